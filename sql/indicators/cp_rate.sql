-- Children on a child protection plan at each as-at date, one row per child; the engine publishes
-- 10,000 x count / :population.
WITH as_at_dates AS (
    SELECT as_at FROM run_as_at WHERE run_id = :run_id
),
on_plan AS (
    SELECT d.as_at, p.authority, p.child_id,
           MIN(p.start_date) AS plan_start_date,
           MIN(p.source_file) AS source_file,
           MIN(p.source_ref) AS source_ref
    FROM cp_plan p
    JOIN as_at_dates d ON p.start_date <= d.as_at AND (p.end_date IS NULL OR p.end_date > d.as_at)
    WHERE p.authority = :authority
    GROUP BY d.as_at, p.authority, p.child_id
)
SELECT o.authority,
       o.as_at,
       o.child_id AS unit_key,
       o.child_id,
       o.plan_start_date AS start_date,
       CAST(NULL AS DATE) AS end_date,
       o.as_at - o.plan_start_date AS elapsed,
       'met' AS status,
       TRUE AS in_denominator,
       TRUE AS met,
       o.as_at AS team_date,
       o.source_file,
       o.source_ref,
       'cin_census' AS method
FROM on_plan o
