-- Short-term placement stability (DfE): children looked after at the as-at date with 3 or more placements
-- in the 12 months to it. Counts placements (v_placement: RNE L is not a move), not episodes; a move to
-- adoption with the same foster carer (A3/A5 starting with RNE T or U) is not a new placement.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
looked_after AS (
    SELECT d.as_at, d.period_start_exclusive, p.authority, p.child_id, p.start_date, p.source_file, p.source_ref
    FROM v_care_period p
    JOIN as_at_dates d ON p.start_date <= d.as_at AND (p.end_date IS NULL OR p.end_date > d.as_at)
    WHERE p.authority = :authority
),
placements_in_year AS (
    SELECT l.as_at, l.child_id,
           COUNT(*) FILTER (WHERE NOT (p.reason_new_episode IN ('T', 'U') AND p.placement_type IN ('A3', 'A5'))) AS placements
    FROM looked_after l
    JOIN v_placement p
      ON p.authority = l.authority AND p.child_id = l.child_id
     AND p.start_date <= l.as_at AND (p.end_date IS NULL OR p.end_date > l.period_start_exclusive)
    GROUP BY l.as_at, l.child_id
),
short_breaks_only AS (
    SELECT l.as_at, l.child_id
    FROM looked_after l
    JOIN care_episode e
      ON e.authority = l.authority AND e.child_id = l.child_id
     AND e.start_date <= l.as_at AND (e.end_date IS NULL OR e.end_date > l.period_start_exclusive)
    GROUP BY l.as_at, l.child_id
    HAVING COUNT(*) FILTER (WHERE e.legal_status NOT IN ('V3', 'V4')) = 0
),
unit AS (
    SELECT l.*, n.placements,
           CASE WHEN s.child_id IS NOT NULL THEN 'excluded'
                WHEN n.placements >= :placements_threshold THEN 'met'
                ELSE 'not_met' END AS status
    FROM looked_after l
    JOIN placements_in_year n ON n.as_at = l.as_at AND n.child_id = l.child_id
    LEFT JOIN short_breaks_only s ON s.as_at = l.as_at AND s.child_id = l.child_id
)
SELECT u.authority, u.as_at, u.child_id || '/' || CAST(u.start_date AS VARCHAR) AS unit_key, u.child_id,
       u.start_date, CAST(NULL AS DATE) AS end_date, u.placements AS elapsed, u.status,
       u.status IN ('met', 'not_met') AS in_denominator,
       u.status = 'met' AS met,
       u.as_at AS team_date,
       u.source_file, u.source_ref,
       'ssda903' AS method
FROM unit u
