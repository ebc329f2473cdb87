-- Repeat child protection plans: plans starting in the 12 months to each as-at date, met when the child had a
-- plan before. :within_months chooses how recent the earlier plan must be:
--   null (repeat_cp_plans_ever)   however long ago: an earlier plan in the warehouse, or NumberOfPreviousCPP > 0
--                                 in the census
--   N    (repeat_cp_plans_within_2_years: 24)   the child's previous plan in the warehouse ended on or after the
--                                 start date minus N calendar months; NumberOfPreviousCPP has no dates, so it
--                                 does not count
-- Shared by repeat_cp_plans_ever and repeat_cp_plans_within_2_years (named by sql_file in their YAML).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
started AS (
    SELECT d.as_at, p.authority, p.child_id, p.start_date, p.previous_plans, p.source_file, p.source_ref,
           MAX(COALESCE(e.end_date, e.start_date)) AS previous_end_date
    FROM cp_plan p
    JOIN as_at_dates d ON p.start_date > d.period_start_exclusive AND p.start_date <= d.as_at
    LEFT JOIN cp_plan e ON e.authority = p.authority AND e.child_id = p.child_id AND e.start_date < p.start_date
    WHERE p.authority = :authority
    GROUP BY d.as_at, p.authority, p.child_id, p.start_date, p.previous_plans, p.source_file, p.source_ref
),
classified AS (
    SELECT s.*,
           CASE
               WHEN CAST(:within_months AS INTEGER) IS NULL
                   THEN s.previous_end_date IS NOT NULL OR COALESCE(s.previous_plans, 0) > 0
               ELSE COALESCE(s.previous_end_date >= CAST(s.start_date - INTERVAL '1 month' * CAST(:within_months AS INTEGER) AS DATE), FALSE)
           END AS repeat_plan
    FROM started s
)
SELECT c.authority,
       c.as_at,
       c.child_id || '/' || CAST(c.start_date AS VARCHAR) AS unit_key,
       c.child_id,
       c.previous_end_date AS start_date,
       c.start_date AS end_date,
       c.start_date - c.previous_end_date AS elapsed,
       CASE WHEN c.repeat_plan THEN 'met' ELSE 'not_met' END AS status,
       TRUE AS in_denominator,
       c.repeat_plan AS met,
       c.start_date AS team_date,
       c.source_file,
       c.source_ref,
       'cin_census' AS method
FROM classified c
