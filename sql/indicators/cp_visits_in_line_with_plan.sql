-- Child protection visits in line with the plan: every visit window since the plan started, not just the last visit.
-- Windows are consecutive blocks of F working days from the plan start (F = the plan's cp_visit_frequency override,
-- else the authority's :every_working_days); window 1 runs from the plan start day to the working day numbered
-- start + F, window k from the day after window k-1 ended to start + k*F. A window is met when the child was seen
-- on a CP visit in it. Units: windows that ended in the 12 months to each as-at date while the plan was open
-- (see indicators/cp_visits_in_line_with_plan.yml). Overdue: a plan open at the as-at date whose child has not been
-- seen on a CP visit for more than F working days (since the plan start if never).
-- With no CP visit events on or before an as-at date, the figure falls back to Annex A list 7: a child on a plan at
-- the latest extract meets the standard if their last statutory visit was at most F working days before the extract
-- date (method annex_a_snapshot: time since the last visit, the only measure a snapshot allows).
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
latest_extract AS (
    SELECT d.as_at, MAX(x.extract_date) AS extract_date
    FROM as_at_dates d
    JOIN annex_a_latest x ON x.authority = :authority AND x.list_number = 7 AND x.extract_date <= d.as_at
    WHERE NOT EXISTS (SELECT 1 FROM visit v WHERE v.authority = :authority AND v.visit_kind = 'CP' AND v.visit_date <= d.as_at)
    GROUP BY d.as_at
),
event_dates AS (  -- every date that does not fall back to the snapshot is measured from events
    SELECT d.as_at FROM as_at_dates d WHERE d.as_at NOT IN (SELECT as_at FROM latest_extract)
),
snapshot_units AS (
    SELECT e.as_at, x.authority, x.child_id,
           x.child_id || '/' || CAST(x.extract_date AS VARCHAR) AS unit_key,
           x.value_date AS start_date, x.extract_date AS end_date, x.extract_date AS team_date,
           c_extract.working_day_number - c_last.working_day_number AS elapsed,
           CASE WHEN c_extract.working_day_number - c_last.working_day_number <= :every_working_days THEN 'met' ELSE 'not_met' END AS status,
           x.source_file, x.source_ref, 'annex_a_snapshot' AS method
    FROM latest_extract e
    JOIN annex_a_latest x
      ON x.authority = :authority AND x.list_number = 7 AND x.extract_date = e.extract_date AND x.measure = 'last_statutory_visit'
    JOIN calendar_day c_extract ON c_extract.day = x.extract_date
    LEFT JOIN calendar_day c_last ON c_last.day = x.value_date
),
plans AS (
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.source_file, p.source_ref,
           c.working_day_number AS first_number,
           COALESCE(f.every_working_days, :every_working_days) AS every
    FROM cp_plan p
    JOIN calendar_day c ON c.day = p.start_date
    LEFT JOIN cp_visit_frequency f
           ON f.authority = p.authority AND f.child_id = p.child_id AND f.plan_start_date = p.start_date
    WHERE p.authority = :authority
),
windows AS (
    SELECT p.authority, p.child_id, p.start_date AS plan_start_date, p.source_file, p.source_ref,
           CASE WHEN c.working_day_number - p.first_number = p.every THEN p.start_date
                ELSE CAST(previous_end.day + INTERVAL '1 day' AS DATE) END AS window_start,
           c.day AS window_end
    FROM plans p
    JOIN calendar_day c
      ON c.is_working_day
     AND c.working_day_number > p.first_number
     AND (c.working_day_number - p.first_number) % p.every = 0
     AND c.day > (SELECT MIN(period_start_exclusive) FROM as_at_dates)
     AND c.day <= (SELECT MAX(as_at) FROM as_at_dates)
     AND (p.end_date IS NULL OR c.day <= p.end_date)
    JOIN calendar_day previous_end
      ON previous_end.is_working_day AND previous_end.working_day_number = c.working_day_number - p.every
),
visited AS (
    SELECT w.authority, w.child_id, w.plan_start_date, w.source_file, w.source_ref, w.window_start, w.window_end,
           MIN(v.visit_date) AS seen_date
    FROM windows w
    LEFT JOIN visit v
           ON v.authority = w.authority AND v.child_id = w.child_id AND v.visit_kind = 'CP' AND v.seen
          AND v.visit_date >= w.window_start AND v.visit_date <= w.window_end
    GROUP BY w.authority, w.child_id, w.plan_start_date, w.source_file, w.source_ref, w.window_start, w.window_end
),
window_units AS (
    SELECT d.as_at, v.authority, v.child_id,
           v.child_id || '/' || CAST(v.plan_start_date AS VARCHAR) || '/' || CAST(v.window_end AS VARCHAR) AS unit_key,
           v.window_start AS start_date, v.window_end AS end_date, v.window_end AS team_date,
           c_seen.working_day_number - c_start.working_day_number AS elapsed,
           CASE WHEN v.seen_date IS NOT NULL THEN 'met' ELSE 'not_met' END AS status,
           v.source_file, v.source_ref, 'events' AS method
    FROM visited v
    JOIN event_dates e ON v.window_end <= e.as_at
    JOIN as_at_dates d ON d.as_at = e.as_at AND v.window_end > d.period_start_exclusive
    JOIN calendar_day c_start ON c_start.day = v.window_start
    LEFT JOIN calendar_day c_seen ON c_seen.day = v.seen_date
),
open_plans AS (
    SELECT d.as_at, p.authority, p.child_id, p.start_date, p.every, p.source_file, p.source_ref,
           COALESCE(MAX(v.visit_date), p.start_date) AS last_seen_or_start
    FROM plans p
    JOIN event_dates d ON p.start_date <= d.as_at AND (p.end_date IS NULL OR p.end_date > d.as_at)
    LEFT JOIN visit v
           ON v.authority = p.authority AND v.child_id = p.child_id AND v.visit_kind = 'CP' AND v.seen
          AND v.visit_date >= p.start_date AND v.visit_date <= d.as_at
    GROUP BY d.as_at, p.authority, p.child_id, p.start_date, p.every, p.source_file, p.source_ref
),
overdue_units AS (
    SELECT o.as_at, o.authority, o.child_id,
           o.child_id || '/' || CAST(o.start_date AS VARCHAR) || '/overdue' AS unit_key,
           o.last_seen_or_start AS start_date, CAST(NULL AS DATE) AS end_date, o.as_at AS team_date,
           c_now.working_day_number - c_last.working_day_number AS elapsed,
           'overdue' AS status,
           o.source_file, o.source_ref, 'events' AS method
    FROM open_plans o
    JOIN calendar_day c_last ON c_last.day = o.last_seen_or_start
    JOIN calendar_day c_now ON c_now.day = o.as_at
    WHERE c_now.working_day_number - c_last.working_day_number > o.every
),
units AS (
    SELECT * FROM window_units
    UNION ALL
    SELECT * FROM overdue_units
    UNION ALL
    SELECT * FROM snapshot_units
)
SELECT u.authority,
       u.as_at,
       u.unit_key,
       u.child_id,
       u.start_date,
       u.end_date,
       u.elapsed,
       u.status,
       u.status IN ('met', 'not_met') AS in_denominator,
       u.status = 'met' AS met,
       u.team_date AS team_date,
       u.source_file,
       u.source_ref,
       u.method
FROM units u
