-- Re-referrals: referrals in the 12 months to each as-at date that came within 12 months of an
-- earlier referral for the same child (see indicators/re_referrals_within_12_months.yml).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
in_period AS (
    SELECT d.as_at, r.authority, r.child_id, r.referral_date, r.source_file, r.source_ref,
           MAX(p.referral_date) AS previous_referral_date
    FROM referral r
    JOIN as_at_dates d ON r.referral_date > d.period_start_exclusive AND r.referral_date <= d.as_at
    LEFT JOIN referral p
           ON p.authority = r.authority AND p.child_id = r.child_id
          AND p.referral_date < r.referral_date
          AND p.referral_date >= CAST(r.referral_date - INTERVAL '12 months' AS DATE)
    WHERE r.authority = :authority
    GROUP BY d.as_at, r.authority, r.child_id, r.referral_date, r.source_file, r.source_ref
)
SELECT q.authority,
       q.as_at,
       q.child_id || '/' || CAST(q.referral_date AS VARCHAR) AS unit_key,
       q.child_id,
       q.previous_referral_date AS start_date,
       q.referral_date AS end_date,
       q.referral_date - q.previous_referral_date AS elapsed,
       CASE WHEN q.previous_referral_date IS NOT NULL THEN 'met' ELSE 'not_met' END AS status,
       TRUE AS in_denominator,
       q.previous_referral_date IS NOT NULL AS met,
       q.referral_date AS team_date,
       q.source_file,
       q.source_ref,
       'cin_census' AS method
FROM in_period q
