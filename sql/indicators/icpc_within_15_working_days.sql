-- ICPC within :timescale_working_days working days of the initiating strategy discussion.
-- One row per section 47 enquiry and as-at date of the run (see indicators/icpc_within_15_working_days.yml).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
enquiry AS (
    SELECT d.as_at,
           d.period_start_exclusive,
           e.authority,
           e.child_id,
           e.strategy_discussion_date,
           e.icpc_not_required,
           CASE WHEN e.icpc_date <= d.as_at THEN e.icpc_date END AS icpc_date,
           COALESCE(r.closure_date <= d.as_at, FALSE) AS episode_closed,
           e.source_file,
           e.source_ref
    FROM section47_enquiry e
    JOIN as_at_dates d ON e.strategy_discussion_date <= d.as_at
    LEFT JOIN referral r
           ON r.authority = e.authority AND r.child_id = e.child_id AND r.referral_date = e.referral_date
    WHERE e.authority = :authority
),
timed AS (
    SELECT q.*,
           COALESCE(q.icpc_date, q.as_at) AS clock_end,
           c_end.working_day_number - c_start.working_day_number AS working_days
    FROM enquiry q
    JOIN calendar_day c_start ON c_start.day = q.strategy_discussion_date
    JOIN calendar_day c_end ON c_end.day = COALESCE(q.icpc_date, q.as_at)
),
classified AS (
    SELECT t.*,
           CASE
               WHEN t.icpc_date > t.period_start_exclusive AND t.working_days <= :timescale_working_days THEN 'met'
               WHEN t.icpc_date > t.period_start_exclusive THEN 'not_met'
               WHEN t.icpc_date IS NULL AND t.strategy_discussion_date > t.period_start_exclusive AND t.icpc_not_required THEN 'excluded'
               WHEN t.icpc_date IS NULL AND t.strategy_discussion_date > t.period_start_exclusive
                    AND NOT t.episode_closed AND t.working_days > :timescale_working_days THEN 'overdue'
           END AS status
    FROM timed t
)
SELECT c.authority,
       c.as_at,
       c.child_id || '/' || CAST(c.strategy_discussion_date AS VARCHAR) AS unit_key,
       c.child_id,
       c.strategy_discussion_date AS start_date,
       c.icpc_date AS end_date,
       c.working_days AS elapsed,
       c.status,
       c.status IN ('met', 'not_met') AS in_denominator,
       c.status = 'met' AS met,
       c.clock_end AS team_date,
       c.source_file,
       c.source_ref,
       'cin_census' AS method
FROM classified c
WHERE c.status IS NOT NULL
