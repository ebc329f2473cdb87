-- Periods of care and placements derived from 903 episodes (views, so they always match the episodes).
-- A period of care starts with RNE 'S'; a placement starts with any RNE except 'L' (legal status change only).
-- Each period and placement keeps the source row of the episode that started it, for traceability.
CREATE OR REPLACE VIEW v_care_episode AS
SELECT e.*,
       SUM(CASE WHEN e.reason_new_episode = 'S' THEN 1 ELSE 0 END)
           OVER (PARTITION BY e.authority, e.child_id ORDER BY e.start_date ROWS UNBOUNDED PRECEDING) AS period_number,
       SUM(CASE WHEN e.reason_new_episode <> 'L' THEN 1 ELSE 0 END)
           OVER (PARTITION BY e.authority, e.child_id ORDER BY e.start_date ROWS UNBOUNDED PRECEDING) AS placement_number
FROM care_episode e;

CREATE OR REPLACE VIEW v_care_period AS
SELECT authority, child_id, period_number,
       MIN(start_date) AS start_date,
       CASE WHEN COUNT(*) = COUNT(end_date) THEN MAX(end_date) END AS end_date,
       MAX(CASE WHEN reason_ceased IS NOT NULL AND reason_ceased <> 'X1' THEN reason_ceased END) AS reason_ceased,
       MAX(CASE WHEN reason_new_episode = 'S' THEN legal_status END) AS start_legal_status,
       MAX(CASE WHEN reason_new_episode = 'S' THEN source_file END) AS source_file,
       MAX(CASE WHEN reason_new_episode = 'S' THEN source_ref END) AS source_ref
FROM v_care_episode
GROUP BY authority, child_id, period_number;

CREATE OR REPLACE VIEW v_placement AS
SELECT authority, child_id, period_number, placement_number,
       MIN(start_date) AS start_date,
       CASE WHEN COUNT(*) = COUNT(end_date) THEN MAX(end_date) END AS end_date,
       MAX(CASE WHEN reason_new_episode <> 'L' THEN reason_new_episode END) AS reason_new_episode,
       MAX(placement_type) AS placement_type,   -- one placement type per placement: only RNE 'L' continues one
       MAX(CASE WHEN reason_new_episode <> 'L' THEN source_file END) AS source_file,
       MAX(CASE WHEN reason_new_episode <> 'L' THEN source_ref END) AS source_ref
FROM v_care_episode
GROUP BY authority, child_id, period_number, placement_number;
