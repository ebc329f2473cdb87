-- Long-term placement stability (DfE): children under 16 at the as-at date, looked after continuously for
-- 2.5 years or more, who have been in the same placement for 2 years or more (or are placed for adoption
-- and their adoptive placement together with the placement before it has lasted 2 years or more).
WITH as_at_dates AS (
    SELECT as_at,
           CAST(as_at - INTERVAL '30 months' AS DATE) AS looked_after_since,
           CAST(as_at - INTERVAL '2 years' AS DATE) AS placed_since
    FROM run_as_at
    WHERE run_id = :run_id
),
placement AS (
    SELECT p.*,
           LAG(p.start_date) OVER (PARTITION BY p.authority, p.child_id, p.period_number ORDER BY p.start_date) AS previous_start
    FROM v_placement p
    WHERE p.authority = :authority
),
cohort AS (
    SELECT d.as_at, d.placed_since, c.authority, c.child_id, c.start_date AS period_start,
           pl.start_date AS placement_start, pl.placement_type, pl.previous_start,
           pl.source_file, pl.source_ref,
           (SELECT MAX(ch.birth_date) FROM child ch WHERE ch.authority = c.authority AND ch.child_id = c.child_id) AS birth_date
    FROM v_care_period c
    JOIN as_at_dates d
      ON c.start_date <= d.looked_after_since AND (c.end_date IS NULL OR c.end_date > d.as_at)
    JOIN placement pl
      ON pl.child_id = c.child_id AND pl.period_number = c.period_number
     AND pl.start_date <= d.as_at AND (pl.end_date IS NULL OR pl.end_date > d.as_at)
    WHERE c.authority = :authority
),
unit AS (
    SELECT q.*,
           CASE WHEN q.placement_type IN ('A3', 'A4', 'A5', 'A6') AND q.previous_start IS NOT NULL
                THEN q.previous_start ELSE q.placement_start END AS stable_since
    FROM cohort q
    WHERE q.birth_date IS NULL OR CAST(q.birth_date + INTERVAL '16 years' AS DATE) > q.as_at
)
SELECT u.authority, u.as_at, u.child_id || '/' || CAST(u.period_start AS VARCHAR) AS unit_key, u.child_id,
       u.stable_since AS start_date, CAST(NULL AS DATE) AS end_date, u.as_at - u.stable_since AS elapsed,
       CASE WHEN u.birth_date IS NULL THEN 'excluded'
            WHEN u.stable_since <= u.placed_since THEN 'met'
            ELSE 'not_met' END AS status,
       u.birth_date IS NOT NULL AS in_denominator,
       u.birth_date IS NOT NULL AND u.stable_since <= u.placed_since AS met,
       u.as_at AS team_date,
       u.source_file, u.source_ref,
       'ssda903' AS method
FROM unit u
