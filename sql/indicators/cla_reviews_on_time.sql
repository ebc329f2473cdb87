-- Looked-after (IRO) reviews on time (reg 33), one row per review due. The windows of a period of care
-- are its start followed by each review held in it: the first review is due 20 working days after the
-- child became looked after, the second 3 months after the first, later ones 6 months after the last.
-- A child's short breaks (periods of care starting with legal status V3/V4, reg 48) are one spell from the start
-- of the first to the end of the last (open while any is open): first review 3 months after its start, then
-- every 6 months; the 20-working-day review does not apply. Reviews between and after breaks count for the series.
-- With no reviews recorded on or before the as-at date, the Annex A list 8 snapshot is used instead:
-- one unit per child, met when the latest statutory review is within 6 months of the extract date.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
held AS (
    SELECT child_id, review_date, source_file, source_ref FROM v_cla_review_held WHERE authority = :authority
),
short_break_period AS (
    SELECT p.*,
           ROW_NUMBER() OVER (PARTITION BY p.child_id ORDER BY p.start_date) AS nth,
           CASE WHEN COUNT(*) OVER (PARTITION BY p.child_id) = COUNT(p.end_date) OVER (PARTITION BY p.child_id)
                THEN MAX(p.end_date) OVER (PARTITION BY p.child_id) END AS series_end
    FROM v_care_period p
    WHERE p.authority = :authority AND p.start_legal_status IN ('V3', 'V4')
),
spell AS (  -- a period of care, or a child's whole series of short breaks
    SELECT p.authority, p.child_id, p.start_date, p.end_date, FALSE AS short_breaks, p.source_file, p.source_ref
    FROM v_care_period p
    WHERE p.authority = :authority AND COALESCE(p.start_legal_status, '') NOT IN ('V3', 'V4')
    UNION ALL
    SELECT s.authority, s.child_id, s.start_date, s.series_end, TRUE, s.source_file, s.source_ref
    FROM short_break_period s
    WHERE s.nth = 1
),
anchor AS (
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.short_breaks, p.start_date AS anchor_date, 0 AS review_number,
           p.source_file, p.source_ref
    FROM spell p
    UNION ALL
    SELECT p.authority, p.child_id, p.start_date, p.end_date, p.short_breaks, h.review_date,
           ROW_NUMBER() OVER (PARTITION BY p.child_id, p.start_date ORDER BY h.review_date),
           h.source_file, h.source_ref
    FROM spell p
    JOIN held h
      ON h.child_id = p.child_id AND h.review_date >= p.start_date
     AND (p.end_date IS NULL OR h.review_date <= p.end_date OR p.short_breaks)
),
windows AS (
    SELECT a.*,
           LEAD(a.anchor_date) OVER period_anchors AS next_review,
           LEAD(a.source_file) OVER period_anchors AS next_source_file,
           LEAD(a.source_ref) OVER period_anchors AS next_source_ref
    FROM anchor a
    WINDOW period_anchors AS (PARTITION BY a.child_id, a.start_date ORDER BY a.review_number)
),
window_due AS (
    SELECT w.*,
           CASE
               WHEN w.short_breaks AND w.review_number = 0 THEN CAST(w.anchor_date + INTERVAL '3 months' AS DATE)
               WHEN w.short_breaks THEN CAST(w.anchor_date + INTERVAL '6 months' AS DATE)
               WHEN w.review_number = 0 THEN (
                   SELECT MIN(c_due.day) FROM calendar_day c_due
                   WHERE c_due.is_working_day AND c_due.working_day_number = c_start.working_day_number + :first_review_working_days)
               WHEN w.review_number = 1 THEN CAST(w.anchor_date + INTERVAL '3 months' AS DATE)
               ELSE CAST(w.anchor_date + INTERVAL '6 months' AS DATE)
           END AS due_date
    FROM windows w
    JOIN calendar_day c_start ON c_start.day = w.anchor_date
),
event_units AS (
    SELECT d.as_at, w.authority, w.child_id,
           w.child_id || '/' || CAST(w.start_date AS VARCHAR) || '/' || CAST(w.review_number + 1 AS VARCHAR) AS unit_key,
           w.anchor_date AS start_date,
           CASE WHEN w.next_review <= d.as_at THEN w.next_review END AS end_date,
           CASE WHEN w.next_review <= d.as_at THEN w.next_review
                WHEN w.end_date <= d.as_at THEN w.end_date
                ELSE d.as_at END - w.anchor_date AS elapsed,
           CASE
               WHEN w.next_review <= w.due_date THEN 'met'
               WHEN w.next_review <= d.as_at THEN 'not_met'
               WHEN w.end_date <= d.as_at THEN 'not_met'
               ELSE 'overdue'
           END AS status,
           w.due_date AS team_date,
           CASE WHEN w.next_review <= d.as_at THEN w.next_source_file ELSE w.source_file END AS source_file,
           CASE WHEN w.next_review <= d.as_at THEN w.next_source_ref ELSE w.source_ref END AS source_ref,
           'events' AS method
    FROM window_due w
    JOIN as_at_dates d
      ON w.due_date > d.period_start_exclusive AND w.due_date <= d.as_at
    WHERE (w.end_date IS NULL OR w.due_date <= w.end_date OR w.next_review IS NOT NULL)
      AND EXISTS (SELECT 1 FROM held h WHERE h.review_date <= d.as_at)
),
latest_extract AS (
    SELECT d.as_at, MAX(x.extract_date) AS extract_date
    FROM as_at_dates d
    JOIN annex_a_latest x ON x.authority = :authority AND x.list_number = 8 AND x.extract_date <= d.as_at
    WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.review_date <= d.as_at)
    GROUP BY d.as_at
),
snapshot_units AS (
    SELECT e.as_at, x.authority, x.child_id,
           x.child_id || '/' || CAST(x.extract_date AS VARCHAR) AS unit_key,
           x.value_date AS start_date,
           x.extract_date AS end_date,
           x.extract_date - x.value_date AS elapsed,
           CASE WHEN x.value_date >= CAST(x.extract_date - INTERVAL '6 months' AS DATE) THEN 'met' ELSE 'not_met' END AS status,
           x.extract_date AS team_date,
           x.source_file, x.source_ref,
           'annex_a_snapshot' AS method
    FROM latest_extract e
    JOIN annex_a_latest x
      ON x.authority = :authority AND x.list_number = 8 AND x.extract_date = e.extract_date
     AND x.measure = :annex_a_review_measure
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
