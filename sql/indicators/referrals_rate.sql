-- Referrals in the 12 months to each as-at date; the engine publishes 10,000 x count / :population.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
)
SELECT r.authority,
       d.as_at,
       r.child_id || '/' || CAST(r.referral_date AS VARCHAR) AS unit_key,
       r.child_id,
       r.referral_date AS start_date,
       CAST(NULL AS DATE) AS end_date,
       CAST(NULL AS INTEGER) AS elapsed,
       'met' AS status,
       TRUE AS in_denominator,
       TRUE AS met,
       r.referral_date AS team_date,
       r.source_file,
       r.source_ref,
       'cin_census' AS method
FROM referral r
JOIN as_at_dates d ON r.referral_date > d.period_start_exclusive AND r.referral_date <= d.as_at
WHERE r.authority = :authority
