-- Child protection review conferences on time: the first within 3 calendar months of the plan start (the ICPC),
-- each later one within 6 calendar months of the one before (see indicators/cp_reviews_on_time.yml).
-- Units: the reviews due in the 12 months to each as-at date, held (met / not_met), missed because the plan ran
-- past the due date and ended without one (not_met), or still awaited past the due date (overdue).
-- With no review conferences recorded on or before an as-at date, the figure falls back to Annex A list 7: each
-- child on a plan at the latest extract meets the standard if their next review was not yet overdue on the
-- extract date (latest review within 6 months, or a plan under 3 months old; method annex_a_snapshot).
WITH all_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
latest_extract AS (
    SELECT d.as_at, MAX(x.extract_date) AS extract_date
    FROM all_dates d
    JOIN annex_a_latest x ON x.authority = :authority AND x.list_number = 7 AND x.extract_date <= d.as_at
    WHERE NOT EXISTS (SELECT 1 FROM cp_review r WHERE r.authority = :authority AND r.review_date <= d.as_at)
    GROUP BY d.as_at
),
as_at_dates AS (  -- the dates measured from recorded review conferences
    SELECT * FROM all_dates WHERE as_at NOT IN (SELECT as_at FROM latest_extract)
),
snapshot_units AS (
    SELECT e.as_at, p.authority, p.child_id, p.start_date AS plan_start_date,
           COALESCE(x.value_date, p.start_date) AS clock_start,
           CASE WHEN x.value_date IS NULL THEN CAST(p.start_date + INTERVAL '3 months' AS DATE)
                ELSE CAST(x.value_date + INTERVAL '6 months' AS DATE) END AS due_date,
           x.value_date AS held_date, e.extract_date AS measured_to,
           p.source_file, p.source_ref
    FROM latest_extract e
    JOIN cp_plan p
      ON p.authority = :authority AND p.start_date <= e.extract_date AND (p.end_date IS NULL OR p.end_date > e.extract_date)
    LEFT JOIN annex_a_latest x
      ON x.authority = p.authority AND x.child_id = p.child_id AND x.list_number = 7 AND x.extract_date = e.extract_date
     AND x.measure = 'latest_review_conference'
),
ordered AS (
    SELECT r.authority, r.child_id, r.plan_start_date, r.review_date, r.source_file, r.source_ref,
           LAG(r.review_date) OVER (PARTITION BY r.authority, r.child_id, r.plan_start_date ORDER BY r.review_date) AS previous_review_date
    FROM cp_review r
    WHERE r.authority = :authority
),
held AS (
    SELECT o.*,
           COALESCE(o.previous_review_date, o.plan_start_date) AS clock_start,
           CASE
               WHEN o.previous_review_date IS NULL THEN CAST(o.plan_start_date + INTERVAL '3 months' AS DATE)
               ELSE CAST(o.previous_review_date + INTERVAL '6 months' AS DATE)
           END AS due_date
    FROM ordered o
),
held_units AS (
    SELECT d.as_at, h.authority, h.child_id, h.plan_start_date, h.clock_start, h.due_date,
           h.review_date AS held_date, h.review_date AS measured_to,
           CASE WHEN h.review_date <= h.due_date THEN 'met' ELSE 'not_met' END AS status,
           h.source_file, h.source_ref, 'cin_census' AS method
    FROM held h
    JOIN as_at_dates d ON h.due_date > d.period_start_exclusive AND h.due_date <= d.as_at AND h.review_date <= d.as_at
),
plan_as_at AS (
    SELECT d.as_at, d.period_start_exclusive, p.authority, p.child_id, p.start_date, p.source_file, p.source_ref,
           CASE WHEN p.end_date <= d.as_at THEN p.end_date END AS ended,
           (SELECT MAX(r.review_date)
            FROM cp_review r
            WHERE r.authority = p.authority AND r.child_id = p.child_id AND r.plan_start_date = p.start_date
              AND r.review_date <= d.as_at) AS last_review_date
    FROM cp_plan p
    JOIN as_at_dates d ON p.start_date <= d.as_at
    WHERE p.authority = :authority
),
next_due AS (
    SELECT q.*,
           COALESCE(q.last_review_date, q.start_date) AS clock_start,
           CASE
               WHEN q.last_review_date IS NULL THEN CAST(q.start_date + INTERVAL '3 months' AS DATE)
               ELSE CAST(q.last_review_date + INTERVAL '6 months' AS DATE)
           END AS due_date
    FROM plan_as_at q
),
awaited_units AS (
    SELECT n.as_at, n.authority, n.child_id, n.start_date AS plan_start_date, n.clock_start, n.due_date,
           CAST(NULL AS DATE) AS held_date, COALESCE(n.ended, n.as_at) AS measured_to,
           CASE WHEN n.ended IS NULL THEN 'overdue' ELSE 'not_met' END AS status,
           n.source_file, n.source_ref, 'cin_census' AS method
    FROM next_due n
    WHERE (n.ended IS NULL AND n.due_date < n.as_at)
       OR (n.ended > n.due_date AND n.due_date > n.period_start_exclusive)
),
units AS (
    SELECT * FROM held_units
    UNION ALL
    SELECT * FROM awaited_units
    UNION ALL
    SELECT as_at, authority, child_id, plan_start_date, clock_start, due_date, held_date, measured_to,
           CASE WHEN due_date >= measured_to THEN 'met' ELSE 'not_met' END AS status,
           source_file, source_ref, 'annex_a_snapshot' AS method
    FROM snapshot_units
)
SELECT u.authority,
       u.as_at,
       u.child_id || '/' || CAST(u.plan_start_date AS VARCHAR) || '/' || CAST(u.due_date AS VARCHAR) AS unit_key,
       u.child_id,
       u.clock_start AS start_date,
       u.held_date AS end_date,
       u.measured_to - u.clock_start AS elapsed,
       u.status,
       u.status IN ('met', 'not_met') AS in_denominator,
       u.status = 'met' AS met,
       u.measured_to AS team_date,
       u.source_file,
       u.source_ref,
       u.method
FROM units u
