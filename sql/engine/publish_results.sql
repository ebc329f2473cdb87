-- Aggregate one indicator's units for a run into figures: the authority, each team, each worker.
SELECT :indicator_id AS indicator_id, :version AS version, authority, as_at, scope_type, scope,
       SUM(CASE WHEN met THEN 1 ELSE 0 END) AS numerator,
       SUM(CASE WHEN in_denominator THEN 1 ELSE 0 END) AS denominator,
       100.0 * SUM(CASE WHEN met THEN 1 ELSE 0 END) / NULLIF(SUM(CASE WHEN in_denominator THEN 1 ELSE 0 END), 0) AS value,
       SUM(CASE WHEN status = 'overdue' THEN 1 ELSE 0 END) AS overdue,
       :run_id AS run_id
FROM (
    SELECT authority, as_at, 'authority' AS scope_type, 'all' AS scope, met, in_denominator, status
    FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id
    UNION ALL
    SELECT authority, as_at, 'team', team, met, in_denominator, status
    FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id
    UNION ALL
    SELECT authority, as_at, 'worker', worker, met, in_denominator, status
    FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id
) scoped
GROUP BY authority, as_at, scope_type, scope
