-- Children looked after at each as-at date (a period of care open on it), one row per child; the engine
-- publishes 10,000 x count / :population. Children on short breaks only (legal status V3/V4) are not counted (DfE).
WITH as_at_dates AS (
    SELECT as_at FROM run_as_at WHERE run_id = :run_id
),
looked_after AS (
    SELECT d.as_at, e.authority, e.child_id, MIN(e.legal_status) AS legal_status,
           MIN(p.start_date) AS start_date, MIN(p.source_file) AS source_file, MIN(p.source_ref) AS source_ref
    FROM v_care_episode e
    JOIN as_at_dates d ON e.start_date <= d.as_at AND (e.end_date IS NULL OR e.end_date > d.as_at)
    JOIN v_care_period p ON p.authority = e.authority AND p.child_id = e.child_id AND p.period_number = e.period_number
    WHERE e.authority = :authority
    GROUP BY d.as_at, e.authority, e.child_id
)
SELECT l.authority, l.as_at, l.child_id AS unit_key, l.child_id, l.start_date, CAST(NULL AS DATE) AS end_date,
       l.as_at - l.start_date AS elapsed,
       CASE WHEN l.legal_status IN ('V3', 'V4') THEN 'excluded' ELSE 'met' END AS status,
       l.legal_status NOT IN ('V3', 'V4') AS in_denominator,
       l.legal_status NOT IN ('V3', 'V4') AS met,
       l.as_at AS team_date,
       l.source_file, l.source_ref,
       'ssda903' AS method
FROM looked_after l
