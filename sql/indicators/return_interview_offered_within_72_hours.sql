-- Return home interviews offered within 72 hours of the child's return, one row per missing episode
-- (903 Missing, type M) that ended in the 12 months to the as-at date and whose 72 hours have passed.
WITH as_at_dates AS (
    SELECT as_at,
           CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive,
           CAST(as_at + 1 AS TIMESTAMP) AS as_at_end
    FROM run_as_at
    WHERE run_id = :run_id
),
episode AS (
    SELECT d.as_at, m.authority, m.child_id, m.start_date, m.end_date,
           COALESCE(r.returned_at, CAST(m.end_date AS TIMESTAMP)) AS returned_at,
           CASE WHEN r.offered_at < d.as_at_end THEN r.offered_at END AS offered_at,
           d.as_at_end,
           COALESCE(r.source_file, m.source_file) AS source_file,
           COALESCE(r.source_ref, m.source_ref) AS source_ref
    FROM missing_episode m
    JOIN as_at_dates d ON m.end_date > d.period_start_exclusive AND m.end_date <= d.as_at
    LEFT JOIN return_interview r
           ON r.authority = m.authority AND r.child_id = m.child_id AND r.missing_start_date = m.start_date
    WHERE m.authority = :authority AND m.missing_type = 'M'
),
unit AS (
    SELECT e.*,
           CASE WHEN e.offered_at <= e.returned_at + INTERVAL '72 hours' THEN 'met' ELSE 'not_met' END AS status,
           CAST(FLOOR(EXTRACT(EPOCH FROM (COALESCE(e.offered_at, e.as_at_end) - e.returned_at)) / 3600) AS INTEGER) AS hours
    FROM episode e
    WHERE e.offered_at IS NOT NULL OR e.returned_at + INTERVAL '72 hours' < e.as_at_end
)
SELECT u.authority, u.as_at, u.child_id || '/' || CAST(u.start_date AS VARCHAR) AS unit_key, u.child_id,
       u.start_date, u.end_date, u.hours AS elapsed, u.status,
       TRUE AS in_denominator,
       u.status = 'met' AS met,
       u.end_date AS team_date,
       u.source_file, u.source_ref,
       'events' AS method
FROM unit u
