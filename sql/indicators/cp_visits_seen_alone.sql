-- Child protection visits in the 12 months to each as-at date at which the child was seen, and whether the child
-- was seen alone (see indicators/cp_visits_seen_alone.yml). Seen alone not recorded counts as not seen alone.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
)
SELECT v.authority,
       d.as_at,
       v.child_id || '/' || CAST(v.visit_date AS VARCHAR) || '/' || v.source_ref AS unit_key,
       v.child_id,
       v.visit_date AS start_date,
       v.visit_date AS end_date,
       CAST(NULL AS INTEGER) AS elapsed,
       CASE WHEN COALESCE(v.seen_alone, FALSE) THEN 'met' ELSE 'not_met' END AS status,
       TRUE AS in_denominator,
       COALESCE(v.seen_alone, FALSE) AS met,
       v.visit_date AS team_date,
       v.source_file,
       v.source_ref,
       'events' AS method
FROM visit v
JOIN as_at_dates d ON v.visit_date > d.period_start_exclusive AND v.visit_date <= d.as_at
WHERE v.authority = :authority AND v.visit_kind = 'CP' AND v.seen
