-- Aggregate one indicator's units for a run into figures: the authority, each team, each worker, and each schedule
-- for an indicator whose units follow several (the units measured by each, counted beside the figure).
-- :aggregate chooses what `value` is: percentage met (default), mean elapsed days (adoption A1/A2/A10),
-- or a rate per 10,000 children of :population (the denominator counted).
SELECT :indicator_id AS indicator_id, :version AS version, authority, as_at, scope_type, scope,
       numerator, denominator,
       CASE
           WHEN :aggregate = 'mean_elapsed' THEN 1.0 * elapsed_total / NULLIF(denominator, 0)
           WHEN :aggregate = 'rate_per_10000' THEN 10000.0 * denominator / :population
           ELSE 100.0 * numerator / NULLIF(denominator, 0)
       END AS value,
       overdue, method, :run_id AS run_id
FROM (
    SELECT authority, as_at, scope_type, scope,
           SUM(CASE WHEN met THEN 1 ELSE 0 END) AS numerator,
           SUM(CASE WHEN in_denominator THEN 1 ELSE 0 END) AS denominator,
           SUM(CASE WHEN in_denominator THEN elapsed ELSE 0 END) AS elapsed_total,
           SUM(CASE WHEN status = 'overdue' THEN 1 ELSE 0 END) AS overdue,
           CASE WHEN MIN(method) = MAX(method) THEN MIN(method) ELSE 'mixed' END AS method
    FROM (
        SELECT authority, as_at, 'authority' AS scope_type, 'all' AS scope, met, in_denominator, status, elapsed, method
        FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id
        UNION ALL
        SELECT authority, as_at, 'team', team, met, in_denominator, status, elapsed, method
        FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id
        UNION ALL
        SELECT authority, as_at, 'worker', worker, met, in_denominator, status, elapsed, method
        FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id
        UNION ALL
        SELECT authority, as_at, 'schedule', schedule, met, in_denominator, status, elapsed, method
        FROM indicator_unit WHERE run_id = :run_id AND indicator_id = :indicator_id AND schedule IS NOT NULL
    ) scoped
    GROUP BY authority, as_at, scope_type, scope
) counted
