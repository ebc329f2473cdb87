-- Children in need at each as-at date (a CIN episode open on the date, NFA referrals excluded), one row per
-- child; the engine publishes 10,000 x count / :population.
WITH as_at_dates AS (
    SELECT as_at FROM run_as_at WHERE run_id = :run_id
),
open_episode AS (
    SELECT d.as_at, r.authority, r.child_id,
           MIN(r.referral_date) AS referral_date,
           MIN(r.source_file) AS source_file,
           MIN(r.source_ref) AS source_ref
    FROM referral r
    JOIN as_at_dates d ON r.referral_date <= d.as_at AND (r.closure_date IS NULL OR r.closure_date > d.as_at)
    WHERE r.authority = :authority AND NOT COALESCE(r.referral_nfa, FALSE)
    GROUP BY d.as_at, r.authority, r.child_id
)
SELECT o.authority,
       o.as_at,
       o.child_id AS unit_key,
       o.child_id,
       o.referral_date AS start_date,
       CAST(NULL AS DATE) AS end_date,
       o.as_at - o.referral_date AS elapsed,
       'met' AS status,
       TRUE AS in_denominator,
       TRUE AS met,
       o.as_at AS team_date,
       o.source_file,
       o.source_ref,
       'cin_census' AS method
FROM open_episode o
