-- Child protection plans that lasted 2 years (24 calendar months) or more; :measure chooses the population
-- (see indicators/cp_plans_ceased_two_years_or_more.yml and cp_plans_open_two_years_or_more.yml):
--   ceased  plans that ended in the 12 months to each as-at date, measured from start to end (DfE table D7)
--   open    plans open at each as-at date (the children on a plan at it), measured from start to the as-at date
-- A plan ending on the as-at date has ceased; one ending later is still open (its end is not yet known).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
counted AS (
    SELECT d.as_at, p.authority, p.child_id, p.start_date, p.source_file, p.source_ref,
           CASE WHEN p.end_date <= d.as_at THEN p.end_date END AS end_date,
           CASE WHEN p.end_date <= d.as_at THEN p.end_date ELSE d.as_at END AS measured_to
    FROM cp_plan p
    JOIN as_at_dates d
      ON p.start_date <= d.as_at
     AND CASE :measure
             WHEN 'ceased' THEN p.end_date > d.period_start_exclusive AND p.end_date <= d.as_at
             ELSE p.end_date IS NULL OR p.end_date > d.as_at
         END
    WHERE p.authority = :authority
),
classified AS (
    SELECT c.*, c.measured_to >= CAST(c.start_date + INTERVAL '24 months' AS DATE) AS two_years_or_more
    FROM counted c
)
SELECT c.authority,
       c.as_at,
       c.child_id || '/' || CAST(c.start_date AS VARCHAR) AS unit_key,
       c.child_id,
       c.start_date,
       c.end_date,
       c.measured_to - c.start_date AS elapsed,
       CASE WHEN c.two_years_or_more THEN 'met' ELSE 'not_met' END AS status,
       TRUE AS in_denominator,
       c.two_years_or_more AS met,
       c.measured_to AS team_date,
       c.source_file,
       c.source_ref,
       'cin_census' AS method
FROM classified c
