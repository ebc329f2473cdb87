-- Statutory visits to looked-after children (Care Planning Regulations 2010 reg 28), one row per due visit.
-- The windows of a placement open at its start, at each visit in it, and when an interim or full care order is made
-- while the child lives with parents (a legal status change inside a P1 placement). Each window closes at the next
-- visit and takes the schedule in force on the day it opens (its episode's legal status, the placement type and the
-- placement arrangements extract): reg 28(2) 1 week from the start, then 6 weeks in the placement's first year, then
-- 3 months for long-term placements, 6 weeks otherwise; reg 24 temporary approval and an interim care order at home
-- weekly until the first review held since the schedule began, then 4 weeks; reg 19 before assessment weekly until
-- that review, then 6 weeks; a care order at home 1 week from the order, then 6 weeks. Short breaks (V3/V4, reg 48)
-- are not measured. With no CLA visit events on or before the as-at date, the Annex A list 8 snapshot is used instead.
WITH as_at_dates AS (
    SELECT as_at, CAST(as_at - INTERVAL '12 months' AS DATE) AS period_start_exclusive
    FROM run_as_at
    WHERE run_id = :run_id
),
arrangement AS (  -- two rows for one placement: the stricter, reg 24 (4-weekly after the first review)
    SELECT child_id, placement_start_date, MAX(arrangement) AS arrangement
    FROM placement_arrangement
    WHERE authority = :authority
    GROUP BY child_id, placement_start_date
),
placement AS (
    SELECT p.authority, p.child_id, p.placement_number, p.start_date, p.end_date, p.source_file, p.source_ref,
           CAST(p.start_date + INTERVAL '12 months' AS DATE) AS first_year_end,
           POSITION(',' || p.placement_type || ',' IN ',' || REPLACE(:long_term_placement_types, ' ', '') || ',') > 0 AS long_term,
           a.arrangement
    FROM v_placement p
    LEFT JOIN arrangement a ON a.child_id = p.child_id AND a.placement_start_date = p.start_date
    WHERE p.authority = :authority
),
segment AS (  -- each episode of a placement, with the schedule in force from its start to the next episode's
    SELECT s.*, LEAD(s.segment_start) OVER (PARTITION BY s.child_id, s.placement_number ORDER BY s.segment_start) AS segment_end,
           LAG(s.schedule) OVER (PARTITION BY s.child_id, s.placement_number ORDER BY s.segment_start) AS previous_schedule
    FROM (
        SELECT e.child_id, e.placement_number, e.start_date AS segment_start, e.reason_new_episode, e.source_file, e.source_ref,
               CASE
                   WHEN e.legal_status IN ('V3', 'V4') THEN 'short_break'
                   WHEN p.arrangement = 'REG24_TEMPORARY_APPROVAL' THEN 'reg28_reg24'
                   WHEN e.placement_type = 'P1' AND e.legal_status = 'C1' THEN 'reg28_ico_at_home'
                   WHEN p.arrangement = 'REG19_BEFORE_ASSESSMENT' THEN 'reg28_reg19'
                   WHEN e.placement_type = 'P1' AND e.legal_status = 'C2' THEN 'reg28_co_at_home'
                   ELSE 'reg28_2'
               END AS schedule
        FROM v_care_episode e
        JOIN placement p ON p.child_id = e.child_id AND p.placement_number = e.placement_number
        WHERE e.authority = :authority
    ) s
),
cla_visit AS (
    SELECT authority, child_id, visit_date, MIN(source_file) AS source_file, MIN(source_ref) AS source_ref
    FROM visit
    WHERE authority = :authority AND visit_kind = 'CLA' AND seen
    GROUP BY authority, child_id, visit_date
),
anchor AS (  -- anchor_kind 0 placement start, 1 a visit, 2 an interim or full care order made while living at home
    SELECT p.*, p.start_date AS anchor_date, 0 AS anchor_kind, p.source_file AS anchor_source_file, p.source_ref AS anchor_source_ref
    FROM placement p
    UNION ALL
    SELECT p.*, v.visit_date, 1, v.source_file, v.source_ref
    FROM placement p
    JOIN cla_visit v
      ON v.child_id = p.child_id AND v.visit_date >= p.start_date
     AND (p.end_date IS NULL OR v.visit_date <= p.end_date)
    UNION ALL
    SELECT p.*, s.segment_start, 2, s.source_file, s.source_ref
    FROM placement p
    JOIN segment s ON s.child_id = p.child_id AND s.placement_number = p.placement_number
    WHERE s.reason_new_episode = 'L' AND s.schedule IN ('reg28_ico_at_home', 'reg28_co_at_home') AND s.schedule <> s.previous_schedule
),
ordered AS (  -- on one day the start or the order comes before the visit, which can close its window
    SELECT a.*,
           MIN(CASE WHEN a.anchor_kind = 1 THEN a.anchor_date END) OVER (
               PARTITION BY a.child_id, a.placement_number ORDER BY a.anchor_date, a.anchor_kind = 1
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_visit,
           MAX(CASE WHEN a.anchor_kind <> 1 THEN a.anchor_date END) OVER (
               PARTITION BY a.child_id, a.placement_number ORDER BY a.anchor_date, a.anchor_kind = 1
               ROWS UNBOUNDED PRECEDING) AS schedule_start
    FROM anchor a
),
first_review AS (  -- the first looked-after review held on or after the day a schedule began
    SELECT o.child_id, o.anchor_date AS schedule_start, MIN(h.review_date) AS review_date
    FROM ordered o
    JOIN v_cla_review_held h ON h.authority = :authority AND h.child_id = o.child_id AND h.review_date >= o.anchor_date
    WHERE o.anchor_kind <> 1
    GROUP BY o.child_id, o.anchor_date
),
scheduled AS (
    SELECT o.*, s.schedule, r.review_date AS first_review
    FROM ordered o
    JOIN segment s
      ON s.child_id = o.child_id AND s.placement_number = o.placement_number
     AND s.segment_start <= o.anchor_date AND (s.segment_end IS NULL OR o.anchor_date < s.segment_end)
    LEFT JOIN first_review r ON r.child_id = o.child_id AND r.schedule_start = o.schedule_start
    WHERE s.schedule <> 'short_break'
),
window_due AS (
    SELECT w.*, v.source_file AS next_source_file, v.source_ref AS next_source_ref,
           CASE
               WHEN w.anchor_kind <> 1 THEN w.anchor_date + 7
               WHEN w.schedule IN ('reg28_reg24', 'reg28_ico_at_home', 'reg28_reg19')
                    AND (w.first_review IS NULL OR w.anchor_date < w.first_review) THEN w.anchor_date + 7
               WHEN w.schedule IN ('reg28_reg24', 'reg28_ico_at_home') THEN w.anchor_date + 28
               WHEN w.schedule IN ('reg28_reg19', 'reg28_co_at_home') THEN w.anchor_date + 42
               WHEN w.anchor_date < w.first_year_end OR NOT w.long_term THEN w.anchor_date + 42
               ELSE CAST(w.anchor_date + INTERVAL '3 months' AS DATE)
           END AS due_date
    FROM scheduled w
    LEFT JOIN cla_visit v ON v.child_id = w.child_id AND v.visit_date = w.next_visit
),
event_units AS (
    SELECT d.as_at, w.authority, w.child_id,
           w.child_id || '/' || CAST(w.start_date AS VARCHAR) || '/' || CAST(w.anchor_date AS VARCHAR) || '/' || CAST(w.anchor_kind AS VARCHAR) AS unit_key,
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
           CASE WHEN w.next_visit <= d.as_at THEN w.next_source_file ELSE w.anchor_source_file END AS source_file,
           CASE WHEN w.next_visit <= d.as_at THEN w.next_source_ref ELSE w.anchor_source_ref END AS source_ref,
           'events' AS method,
           w.schedule
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
           'annex_a_snapshot' AS method,
           CAST(NULL AS VARCHAR) AS schedule
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
       u.method, u.schedule
FROM unit u
