-- Children looked after at the as-at date with a check of :check_kinds in time for their age (health_check events):
-- the next check is due :under_five_interval_months calendar months after one held before the child's fifth
-- birthday, 12 months after one held on or after it (no check yet: the period of care's start, at the child's age
-- then). A child is counted once in care for at least that interval; met when the latest check on or before the
-- as-at date is on or after the as-at date minus the interval (inclusive). No date of birth: 12 months.
-- With no such events on or before the as-at date, or with :measured_from = 'oc2' (the DfE-comparable id), the
-- 903 OC2 flag :oc2_flag of the latest collection year ending on or before the as-at date is used instead.
-- Shared by cla_annual_health_assessment (IHA,RHA; 6 months under 5), cla_dental_check (DENTAL; 12 months) and
-- cla_health_assessment_oc2_dfe (OC2 health_assessment only).
WITH as_at_dates AS (
    SELECT as_at,
           EXTRACT(YEAR FROM as_at) - CASE WHEN EXTRACT(MONTH FROM as_at) * 100 + EXTRACT(DAY FROM as_at) < 331 THEN 1 ELSE 0 END AS reporting_year,
           :measured_from <> 'oc2' AND EXISTS (
               SELECT 1 FROM health_check h
               WHERE h.authority = :authority AND h.check_date <= run_as_at.as_at
                 AND POSITION(',' || h.check_kind || ',' IN ',' || REPLACE(:check_kinds, ' ', '') || ',') > 0) AS has_events
    FROM run_as_at
    WHERE run_id = :run_id
),
looked_after AS (
    SELECT d.as_at, p.authority, p.child_id,
           p.child_id || '/' || CAST(p.start_date AS VARCHAR) AS unit_key,
           p.start_date,
           (SELECT MAX(h.check_date) FROM health_check h
            WHERE h.authority = p.authority AND h.child_id = p.child_id AND h.check_date <= d.as_at
              AND POSITION(',' || h.check_kind || ',' IN ',' || REPLACE(:check_kinds, ' ', '') || ',') > 0) AS last_check,
           (SELECT MAX(c.birth_date) FROM child c WHERE c.authority = p.authority AND c.child_id = p.child_id) AS birth_date,
           p.source_file, p.source_ref
    FROM v_care_period p
    JOIN as_at_dates d
      ON d.has_events AND p.start_date <= d.as_at AND (p.end_date IS NULL OR p.end_date > d.as_at)
    WHERE p.authority = :authority
),
with_interval AS (
    SELECT l.*,
           CASE WHEN COALESCE(l.last_check, l.start_date) < CAST(l.birth_date + INTERVAL '5 years' AS DATE)
                THEN CAST(:under_five_interval_months AS INTEGER) ELSE 12 END AS interval_months
    FROM looked_after l
),
event_units AS (
    SELECT w.*, CAST(w.as_at - INTERVAL '1 month' * w.interval_months AS DATE) AS interval_before
    FROM with_interval w
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
           CASE WHEN e.last_check >= e.interval_before THEN 'met' ELSE 'not_met' END AS status,
           e.source_file, e.source_ref, 'events' AS method
    FROM event_units e
    WHERE e.start_date <= e.interval_before
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
