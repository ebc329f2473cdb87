-- Initial health assessment within :timescale_working_days working days of becoming looked after,
-- one row per period of care whose deadline fell in the 12 months to the as-at date.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
care_period AS (
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.start_legal_status, p.source_file, p.source_ref,
           c_start.working_day_number AS start_day_number,
           (SELECT MIN(c_due.day) FROM calendar_day c_due
            WHERE c_due.is_working_day AND c_due.working_day_number = c_start.working_day_number + :timescale_working_days) AS due_date,
           (SELECT MIN(h.check_date) FROM health_check h
            WHERE h.authority = p.authority AND h.child_id = p.child_id AND h.check_kind = 'IHA'
              AND h.check_date >= p.start_date AND (p.end_date IS NULL OR h.check_date <= p.end_date)) AS assessed
    FROM v_care_period p
    JOIN calendar_day c_start ON c_start.day = p.start_date
    WHERE p.authority = :authority
),
unit AS (
    SELECT d.as_at, p.*,
           CASE WHEN p.assessed <= d.as_at THEN p.assessed END AS assessed_by_as_at,
           CASE WHEN p.assessed <= d.as_at THEN p.assessed
                WHEN p.end_date <= d.as_at THEN p.end_date
                ELSE d.as_at END AS clock_end
    FROM care_period p
    JOIN as_at_dates d ON p.due_date > d.period_start_exclusive AND p.due_date <= d.as_at
    WHERE p.end_date IS NULL OR p.end_date >= p.due_date OR p.assessed IS NOT NULL
),
classified AS (
    SELECT u.*, c_end.working_day_number - u.start_day_number AS working_days,
           CASE
               WHEN u.start_legal_status IN ('V3', 'V4') THEN 'excluded'
               WHEN u.assessed_by_as_at IS NOT NULL AND c_end.working_day_number - u.start_day_number <= :timescale_working_days THEN 'met'
               WHEN u.assessed_by_as_at IS NOT NULL OR u.end_date <= u.as_at THEN 'not_met'
               ELSE 'overdue'
           END AS status
    FROM unit u
    JOIN calendar_day c_end ON c_end.day = u.clock_end
)
SELECT c.authority, c.as_at, c.child_id || '/' || CAST(c.start_date AS VARCHAR) AS unit_key, c.child_id,
       c.start_date, c.assessed_by_as_at AS end_date, c.working_days AS elapsed, c.status,
       c.status IN ('met', 'not_met') AS in_denominator,
       c.status = 'met' AS met,
       c.due_date AS team_date,
       c.source_file, c.source_ref,
       'events' AS method
FROM classified c
