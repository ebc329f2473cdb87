-- DfE: children on a child protection plan at each as-at date for at least 3 months, and whether every review due
-- by then was held on time (first within 3 calendar months of the plan start, then within 6 months of the previous
-- review); one row per plan (see indicators/cp_reviews_on_time_dfe.yml).
WITH as_at_dates AS (
    SELECT as_at FROM run_as_at WHERE run_id = :run_id
),
ordered AS (
    SELECT r.authority, r.child_id, r.plan_start_date, r.review_date,
           LAG(r.review_date) OVER (PARTITION BY r.authority, r.child_id, r.plan_start_date ORDER BY r.review_date) AS previous_review_date
    FROM cp_review r
    WHERE r.authority = :authority
),
held AS (
    SELECT o.*,
           CASE
               WHEN o.previous_review_date IS NULL THEN CAST(o.plan_start_date + INTERVAL '3 months' AS DATE)
               ELSE CAST(o.previous_review_date + INTERVAL '6 months' AS DATE)
           END AS due_date
    FROM ordered o
),
on_plan AS (
    SELECT d.as_at, p.authority, p.child_id, p.start_date, p.source_file, p.source_ref,
           MAX(h.review_date) AS last_review_date,
           SUM(CASE WHEN h.review_date > h.due_date THEN 1 ELSE 0 END) AS late_reviews
    FROM cp_plan p
    JOIN as_at_dates d
      ON CAST(p.start_date + INTERVAL '3 months' AS DATE) <= d.as_at AND (p.end_date IS NULL OR p.end_date > d.as_at)
    LEFT JOIN held h
           ON h.authority = p.authority AND h.child_id = p.child_id AND h.plan_start_date = p.start_date
          AND h.review_date <= d.as_at
    WHERE p.authority = :authority
    GROUP BY d.as_at, p.authority, p.child_id, p.start_date, p.source_file, p.source_ref
),
classified AS (
    SELECT o.*,
           COALESCE(o.late_reviews, 0) = 0
           AND CASE
                   WHEN o.last_review_date IS NULL THEN CAST(o.start_date + INTERVAL '3 months' AS DATE)
                   ELSE CAST(o.last_review_date + INTERVAL '6 months' AS DATE)
               END >= o.as_at AS all_on_time
    FROM on_plan o
)
SELECT c.authority,
       c.as_at,
       c.child_id || '/' || CAST(c.start_date AS VARCHAR) AS unit_key,
       c.child_id,
       c.start_date,
       c.last_review_date AS end_date,
       c.as_at - c.start_date AS elapsed,
       CASE WHEN c.all_on_time THEN 'met' ELSE 'not_met' END AS status,
       TRUE AS in_denominator,
       c.all_on_time AS met,
       c.as_at AS team_date,
       c.source_file,
       c.source_ref,
       'cin_census' AS method
FROM classified c
