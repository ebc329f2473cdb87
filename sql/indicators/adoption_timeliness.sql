-- Adoption timeliness (DfE adoption scorecard A1, A2, A10), one row per child adopted in the 12 months
-- to the as-at date; the engine publishes the mean of `elapsed` (days). :measure chooses the clock:
--   a1   entering care (start of the period of care the child was placed from) -> moved in with the adoptive family
--   a10  as a1, but for a child adopted by their foster carer the clock stops when they moved in with that
--        carer: the start of the latest placement before the adoptive placement that began with a carer
--        change (RNE S, P or B; T and U keep the carer)
--   a2   court authority to place (placement order; else the first E1 legal status in the period) -> match
--        with the adopters; 0 when matched before the authority
-- Moved in with the adoptive family = the date placed for adoption: Annex A list 10's, else the start of the
-- first placement in the period of care with a placed-for-adoption code (PLACE A3-A6; the 903 PlacedAdoption
-- DATE_PLACED is the decision date, not this).
-- Adopted = adoption order date, else the end of a period of care with REC E11/E12.
-- Shared by adoption_a1, adoption_a2 and adoption_a10 (`sql_file:` in their YAML).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
adopted AS (
    SELECT a.*,
           COALESCE(a.adoption_order_date,
                    (SELECT MAX(p.end_date) FROM v_care_period p
                     WHERE p.authority = a.authority AND p.child_id = a.child_id AND p.reason_ceased IN ('E11', 'E12'))) AS adopted_on
    FROM adoption a
    WHERE a.authority = :authority
),
timed AS (
    SELECT a.*,
           p.period_number,
           p.start_date AS entered_care,
           COALESCE(a.placement_order_date,
                    (SELECT MIN(e.start_date) FROM v_care_episode e
                     WHERE e.authority = p.authority AND e.child_id = p.child_id
                       AND e.period_number = p.period_number AND e.legal_status = 'E1')) AS court_authority,
           COALESCE(a.placed_date,
                    (SELECT MIN(pl.start_date) FROM v_placement pl
                     WHERE pl.authority = p.authority AND pl.child_id = p.child_id AND pl.period_number = p.period_number
                       AND pl.placement_type IN ('A3', 'A4', 'A5', 'A6'))) AS placed_for_adoption
    FROM adopted a
    LEFT JOIN v_care_period p
           ON p.authority = a.authority AND p.child_id = a.child_id
          AND p.start_date <= COALESCE(a.placed_date, a.adopted_on)
          AND (p.end_date IS NULL OR p.end_date >= COALESCE(a.placed_date, a.adopted_on))
),
clock AS (
    SELECT t.*,
           CASE :measure WHEN 'a2' THEN t.court_authority ELSE t.entered_care END AS clock_start,
           CASE :measure
               WHEN 'a2' THEN t.match_date
               WHEN 'a10' THEN COALESCE(CASE WHEN t.adopted_by_foster_carer THEN
                                            (SELECT MAX(pl.start_date) FROM v_placement pl
                                             WHERE pl.authority = t.authority AND pl.child_id = t.child_id
                                               AND pl.period_number = t.period_number AND pl.start_date <= t.placed_for_adoption
                                               AND pl.reason_new_episode IN ('S', 'P', 'B'))
                                        END, t.placed_for_adoption)
               ELSE t.placed_for_adoption
           END AS clock_stop
    FROM timed t
),
unit AS (
    SELECT d.as_at, c.*,
           CASE WHEN c.clock_start IS NULL OR c.clock_stop IS NULL THEN NULL
                ELSE GREATEST(c.clock_stop - c.clock_start, 0) END AS days
    FROM clock c
    JOIN as_at_dates d ON c.adopted_on > d.period_start_exclusive AND c.adopted_on <= d.as_at
)
SELECT u.authority, u.as_at, u.child_id || '/' || CAST(u.adopted_on AS VARCHAR) AS unit_key, u.child_id,
       u.clock_start AS start_date, u.clock_stop AS end_date, u.days AS elapsed,
       CASE WHEN u.days IS NULL THEN 'excluded'
            WHEN u.days <= :legacy_threshold_days THEN 'met'
            ELSE 'not_met' END AS status,
       u.days IS NOT NULL AS in_denominator,
       COALESCE(u.days <= :legacy_threshold_days, FALSE) AS met,
       u.adopted_on AS team_date,
       u.source_file, u.source_ref,
       CASE WHEN u.adoption_order_date IS NULL THEN 'ssda903' ELSE 'adoption' END AS method
FROM unit u
