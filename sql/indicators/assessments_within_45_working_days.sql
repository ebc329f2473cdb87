-- Assessments authorised within :timescale_working_days working days of the clock start: the assessment start
-- (DfE clock, indicators/assessments_within_45_working_days_dfe.yml) or the referral (Working Together clock,
-- indicators/assessments_within_45_working_days_from_referral.yml), chosen by the parameter clock_starts_at.
-- One row per assessment and as-at date.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
known AS (
    SELECT d.as_at, d.period_start_exclusive, s.authority, s.child_id, s.start_date,
           CASE WHEN :clock_starts_at = 'referral' THEN s.referral_date ELSE s.start_date END AS clock_start,
           CASE WHEN s.authorisation_date <= d.as_at THEN s.authorisation_date END AS authorisation_date,
           COALESCE(r.closure_date <= d.as_at, FALSE) AS episode_closed,
           s.source_file, s.source_ref
    FROM assessment s
    JOIN as_at_dates d ON s.start_date <= d.as_at
    LEFT JOIN referral r
           ON r.authority = s.authority AND r.child_id = s.child_id AND r.referral_date = s.referral_date
    WHERE s.authority = :authority
),
timed AS (
    SELECT k.*,
           COALESCE(k.authorisation_date, k.as_at) AS clock_end,
           c_end.working_day_number - c_start.working_day_number AS working_days
    FROM known k
    JOIN calendar_day c_start ON c_start.day = k.clock_start
    JOIN calendar_day c_end ON c_end.day = COALESCE(k.authorisation_date, k.as_at)
),
classified AS (
    SELECT t.*,
           CASE
               WHEN t.authorisation_date > t.period_start_exclusive AND t.working_days <= :timescale_working_days THEN 'met'
               WHEN t.authorisation_date > t.period_start_exclusive THEN 'not_met'
               WHEN t.authorisation_date IS NULL AND NOT t.episode_closed AND t.working_days > :timescale_working_days THEN 'overdue'
           END AS status
    FROM timed t
)
SELECT c.authority,
       c.as_at,
       c.child_id || '/' || CAST(c.start_date AS VARCHAR) AS unit_key,
       c.child_id,
       c.clock_start AS start_date,
       c.authorisation_date AS end_date,
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
