-- Start-event check for the ICPC timeliness measure (the Southend failure, seed 004): section 47 enquiries whose
-- recorded strategy discussion (S47ActualStartDate) is later than an earlier related event for the same enquiry.
-- Rule: an enquiry is affected when
--   (a) its ICPC target date (InitialCPCtarget, set 15 working days after the strategy discussion) implies a start
--       earlier than the recorded one: target's working-day number minus :target_working_days is below the
--       strategy discussion's, or
--   (b) its ICPC is dated before the recorded strategy discussion.
-- Checked: enquiries whose strategy discussion falls in the 12 months to each as-at date (the ICPC measure's period),
-- with ICPC dates as known at the as-at date. One row per as-at date of the run.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
checked AS (
    SELECT d.as_at,
           (c_target.working_day_number - :target_working_days < c_start.working_day_number)
           OR (e.icpc_date <= d.as_at AND e.icpc_date < e.strategy_discussion_date) AS affected
    FROM section47_enquiry e
    JOIN as_at_dates d ON e.strategy_discussion_date > d.period_start_exclusive AND e.strategy_discussion_date <= d.as_at
    JOIN calendar_day c_start ON c_start.day = e.strategy_discussion_date
    LEFT JOIN calendar_day c_target ON c_target.day = e.icpc_target_date
    WHERE e.authority = :authority
)
SELECT d.as_at,
       COUNT(c.as_at) AS checked,
       COUNT(*) FILTER (WHERE c.affected) AS affected
FROM as_at_dates d
LEFT JOIN checked c ON c.as_at = d.as_at
GROUP BY d.as_at
ORDER BY d.as_at
