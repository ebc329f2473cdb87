-- Statutory visits to looked-after children (Care Planning Regulations 2010 reg 28), one row per due visit.
-- The windows of a placement are its start followed by each visit in it: every window's due date comes
-- from the placement start (1 week) or the previous visit (6 weeks in the placement's first year; then
-- 3 months for long-term placements, 6 weeks otherwise), so LEAD over the visits enumerates them.
-- With no CLA visit events on or before the as-at date, the Annex A list 8 snapshot is used instead.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
placement AS (
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.placement_type, p.source_file, p.source_ref,
           CAST(p.start_date + INTERVAL '12 months' AS DATE) AS first_year_end,
           POSITION(',' || p.placement_type || ',' IN ',' || REPLACE(:long_term_placement_types, ' ', '') || ',') > 0 AS long_term
    FROM v_placement p
    WHERE p.authority = :authority
),
cla_visit AS (
    SELECT authority, child_id, visit_date, MIN(source_file) AS source_file, MIN(source_ref) AS source_ref
    FROM visit
    WHERE authority = :authority AND visit_kind = 'CLA' AND seen
    GROUP BY authority, child_id, visit_date
),
anchor AS (
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.first_year_end, p.long_term,
           p.start_date AS anchor_date, 0 AS from_visit, p.source_file, p.source_ref
    FROM placement p
    UNION ALL
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.first_year_end, p.long_term,
           v.visit_date, 1, v.source_file, v.source_ref
    FROM placement p
    JOIN cla_visit v
      ON v.child_id = p.child_id AND v.visit_date >= p.start_date
     AND (p.end_date IS NULL OR v.visit_date <= p.end_date)
),
window_due AS (
    SELECT w.*,
           CASE
               WHEN w.from_visit = 0 THEN w.anchor_date + 7
               WHEN w.anchor_date < w.first_year_end OR NOT w.long_term THEN w.anchor_date + 42
               ELSE CAST(w.anchor_date + INTERVAL '3 months' AS DATE)
           END AS due_date
    FROM (
        SELECT a.*,
               LEAD(a.anchor_date) OVER placement_anchors AS next_visit,
               LEAD(a.source_file) OVER placement_anchors AS next_source_file,
               LEAD(a.source_ref) OVER placement_anchors AS next_source_ref
        FROM anchor a
        WINDOW placement_anchors AS (PARTITION BY a.child_id, a.start_date ORDER BY a.anchor_date, a.from_visit)
    ) w
),
event_units AS (
    SELECT d.as_at, w.authority, w.child_id,
           w.child_id || '/' || CAST(w.start_date AS VARCHAR) || '/' || CAST(w.anchor_date AS VARCHAR) || '/' || CAST(w.from_visit AS VARCHAR) AS unit_key,
           w.anchor_date AS start_date,
           CASE WHEN w.next_visit <= d.as_at THEN w.next_visit END AS end_date,
           CASE WHEN w.next_visit <= d.as_at THEN w.next_visit
                WHEN w.end_date <= d.as_at THEN w.end_date
                ELSE d.as_at END - w.anchor_date AS elapsed,
           CASE
               WHEN w.next_visit <= w.due_date THEN 'met'
               WHEN w.next_visit <= d.as_at THEN 'not_met'
               WHEN w.end_date <= d.as_at THEN 'not_met'
               ELSE 'overdue'
           END AS status,
           w.due_date AS team_date,
           CASE WHEN w.next_visit <= d.as_at THEN w.next_source_file ELSE w.source_file END AS source_file,
           CASE WHEN w.next_visit <= d.as_at THEN w.next_source_ref ELSE w.source_ref END AS source_ref,
           'events' AS method
    FROM window_due w
    JOIN as_at_dates d
      ON w.due_date > d.period_start_exclusive AND w.due_date <= d.as_at
    WHERE (w.end_date IS NULL OR w.due_date <= w.end_date OR w.next_visit IS NOT NULL)
      AND EXISTS (SELECT 1 FROM visit v WHERE v.authority = :authority AND v.visit_kind = 'CLA' AND v.visit_date <= d.as_at)
),
latest_extract AS (
    SELECT d.as_at, MAX(x.extract_date) AS extract_date
    FROM as_at_dates d
    JOIN annex_a_latest x ON x.authority = :authority AND x.list_number = 8 AND x.extract_date <= d.as_at
    WHERE NOT EXISTS (SELECT 1 FROM visit v WHERE v.authority = :authority AND v.visit_kind = 'CLA' AND v.visit_date <= d.as_at)
    GROUP BY d.as_at
),
snapshot_units AS (
    SELECT e.as_at, x.authority, x.child_id,
           x.child_id || '/' || CAST(x.extract_date AS VARCHAR) AS unit_key,
           x.value_date AS start_date,
           x.extract_date AS end_date,
           x.extract_date - x.value_date AS elapsed,
           CASE WHEN x.extract_date - x.value_date <= :annex_a_max_days_since_visit THEN 'met' ELSE 'not_met' END AS status,
           x.extract_date AS team_date,
           x.source_file, x.source_ref,
           'annex_a_snapshot' AS method
    FROM latest_extract e
    JOIN annex_a_latest x
      ON x.authority = :authority AND x.list_number = 8 AND x.extract_date = e.extract_date
     AND x.measure = :annex_a_visit_measure
),
unit AS (
    SELECT * FROM event_units
    UNION ALL
    SELECT * FROM snapshot_units
)
SELECT u.authority, u.as_at, u.unit_key, u.child_id, u.start_date, u.end_date, u.elapsed, u.status,
       u.status IN ('met', 'not_met') AS in_denominator,
       u.status = 'met' AS met,
       u.team_date AS team_date,
       u.source_file, u.source_ref,
       u.method
FROM unit u
