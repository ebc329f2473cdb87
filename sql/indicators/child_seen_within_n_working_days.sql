-- Child seen (CIN or CP visit, seen = TRUE) within :working_days working days of the assessment start.
-- One row per assessment started in the 12 months to each as-at date (see indicators/child_seen_within_n_working_days.yml).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
started AS (
    SELECT d.as_at, s.authority, s.child_id, s.start_date, s.source_file, s.source_ref
    FROM assessment s
    JOIN as_at_dates d ON s.start_date > d.period_start_exclusive AND s.start_date <= d.as_at
    WHERE s.authority = :authority
),
first_seen AS (
    SELECT s.as_at, s.child_id, s.start_date, MIN(v.visit_date) AS seen_date
    FROM started s
    JOIN visit v
      ON v.authority = s.authority AND v.child_id = s.child_id
     AND v.visit_kind IN ('CIN', 'CP') AND v.seen
     AND v.visit_date >= s.start_date AND v.visit_date <= s.as_at
    GROUP BY s.as_at, s.child_id, s.start_date
),
timed AS (
    SELECT s.*,
           f.seen_date,
           COALESCE(f.seen_date, s.as_at) AS clock_end,
           c_end.working_day_number - c_start.working_day_number AS working_days
    FROM started s
    LEFT JOIN first_seen f ON f.as_at = s.as_at AND f.child_id = s.child_id AND f.start_date = s.start_date
    JOIN calendar_day c_start ON c_start.day = s.start_date
    JOIN calendar_day c_end ON c_end.day = COALESCE(f.seen_date, s.as_at)
),
classified AS (
    SELECT t.*,
           CASE
               WHEN t.seen_date IS NOT NULL AND t.working_days <= :working_days THEN 'met'
               WHEN t.seen_date IS NOT NULL THEN 'not_met'
               WHEN t.working_days > :working_days THEN 'overdue'
           END AS status
    FROM timed t
)
SELECT c.authority,
       c.as_at,
       c.child_id || '/' || CAST(c.start_date AS VARCHAR) AS unit_key,
       c.child_id,
       c.start_date,
       c.seen_date AS end_date,
       c.working_days AS elapsed,
       c.status,
       c.status IN ('met', 'not_met') AS in_denominator,
       c.status = 'met' AS met,
       c.clock_end AS team_date,
       c.source_file,
       c.source_ref,
       'events' AS method
FROM classified c
WHERE c.status IS NOT NULL
