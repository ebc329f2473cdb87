-- Children looked after for 12 months or more at the as-at date with a check of :check_kinds in the
-- 12 months to it (health_check events). With no such events on or before the as-at date, the 903 OC2
-- flag :oc2_flag of the latest collection year ending on or before the as-at date is used instead.
-- Shared by cla_annual_health_assessment (IHA,RHA / health_assessment) and cla_dental_check (DENTAL / teeth_check).
WITH as_at_dates AS (
    SELECT as_at,
           CAST(as_at - INTERVAL '12 months' AS DATE) AS year_before,
           EXTRACT(YEAR FROM as_at) - CASE WHEN EXTRACT(MONTH FROM as_at) * 100 + EXTRACT(DAY FROM as_at) < 331 THEN 1 ELSE 0 END AS reporting_year,
           EXISTS (SELECT 1 FROM health_check h
                   WHERE h.authority = :authority AND h.check_date <= run_as_at.as_at
                     AND POSITION(',' || h.check_kind || ',' IN ',' || REPLACE(:check_kinds, ' ', '') || ',') > 0) AS has_events
    FROM run_as_at
    WHERE run_id = :run_id
),
event_units AS (
    SELECT d.as_at, p.authority, p.child_id,
           p.child_id || '/' || CAST(p.start_date AS VARCHAR) AS unit_key,
           p.start_date,
           (SELECT MAX(h.check_date) FROM health_check h
            WHERE h.authority = p.authority AND h.child_id = p.child_id AND h.check_date <= d.as_at
              AND POSITION(',' || h.check_kind || ',' IN ',' || REPLACE(:check_kinds, ' ', '') || ',') > 0) AS last_check,
           d.year_before, p.source_file, p.source_ref
    FROM v_care_period p
    JOIN as_at_dates d
      ON d.has_events AND p.start_date <= d.year_before AND (p.end_date IS NULL OR p.end_date > d.as_at)
    WHERE p.authority = :authority
),
latest_year AS (
    SELECT d.as_at, MAX(o.collection_year) AS collection_year
    FROM as_at_dates d
    JOIN la_outcome o ON o.authority = :authority AND o.collection_year <= d.reporting_year
    WHERE NOT d.has_events
    GROUP BY d.as_at
),
unit AS (
    SELECT e.as_at, e.authority, e.child_id, e.unit_key, e.start_date, e.last_check AS end_date,
           e.as_at - e.last_check AS elapsed,
           CASE WHEN e.last_check >= e.year_before THEN 'met' ELSE 'not_met' END AS status,
           e.source_file, e.source_ref, 'events' AS method
    FROM event_units e
    UNION ALL
    SELECT y.as_at, o.authority, o.child_id,
           o.child_id || '/' || CAST(o.collection_year AS VARCHAR),
           CAST(NULL AS DATE), CAST(NULL AS DATE), CAST(NULL AS INTEGER),
           CASE WHEN (CASE WHEN :oc2_flag = 'teeth_check' THEN o.teeth_check ELSE o.health_assessment END) THEN 'met' ELSE 'not_met' END,
           o.source_file, o.source_ref, 'ssda903'
    FROM latest_year y
    JOIN la_outcome o ON o.authority = :authority AND o.collection_year = y.collection_year
)
SELECT u.authority, u.as_at, u.unit_key, u.child_id, u.start_date, u.end_date, u.elapsed, u.status,
       TRUE AS in_denominator,
       u.status = 'met' AS met,
       u.as_at AS team_date,
       u.source_file, u.source_ref, u.method
FROM unit u
