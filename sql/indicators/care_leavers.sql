-- Care leaver measures, one row per care leaver and as-at date; :measure chooses what "met" means:
--   in_touch       OC3 IN_TOUCH = YES (NO, REFU, NREQ, not recorded: not in touch)
--   eet            OC3 ACTIV starts with F or P (in education, employment or training; G4-G6 and 0 not)
--   accommodation  OC3 ACCOM second character 1 (suitable)
--   contact        a personal adviser contact (visit CL, seen) in the last :contact_days days
--   pathway        a pathway plan review (review_event PATHWAY, held, not cancelled) in the last 6 months
-- The OC3 measures use the latest collection year ending on or before the as-at date (DfE cohort) and are
-- measured on that year's 31 March: the age group is the birthday that fell in the collection year (DfE), and
-- "looked after again" and "transferred" are as at that day, so every as-at date in a year gives the same figure.
-- Contact and pathway use every care leaver's latest OC3 row and are measured on the as-at date.
-- Died, returned home 6 months+ and transferred to another authority are excluded.
-- Shared by every care_leavers_* and pathway_* indicator (`sql_file:` in their YAML).
WITH as_at_dates AS (
    SELECT as_at,
           CAST(as_at - INTERVAL '6 months' AS DATE) AS six_months_before,
           EXTRACT(YEAR FROM as_at) - CASE WHEN EXTRACT(MONTH FROM as_at) * 100 + EXTRACT(DAY FROM as_at) < 331 THEN 1 ELSE 0 END AS reporting_year
    FROM run_as_at
    WHERE run_id = :run_id
),
status_row AS (
    SELECT d.as_at, d.six_months_before, s.*,
           CASE WHEN :measure IN ('contact', 'pathway') THEN d.as_at
                ELSE MAKE_DATE(CAST(s.collection_year AS INTEGER), 3, 31) END AS measured_on,
           COALESCE((SELECT MAX(c.birth_date) FROM child c WHERE c.authority = s.authority AND c.child_id = s.child_id),
                    s.birth_date) AS born,
           ROW_NUMBER() OVER (PARTITION BY d.as_at, s.child_id ORDER BY s.collection_year DESC) AS latest_first,
           MAX(s.collection_year) OVER (PARTITION BY d.as_at) AS latest_year
    FROM care_leaver_status s
    JOIN as_at_dates d ON s.collection_year <= d.reporting_year
    WHERE s.authority = :authority
),
care_leaver AS (
    SELECT r.*,
           EXTRACT(YEAR FROM r.measured_on) - EXTRACT(YEAR FROM r.born)
             - CASE WHEN EXTRACT(MONTH FROM r.measured_on) * 100 + EXTRACT(DAY FROM r.measured_on)
                         < EXTRACT(MONTH FROM r.born) * 100 + EXTRACT(DAY FROM r.born) THEN 1 ELSE 0 END AS age,
           (SELECT MAX(v.visit_date) FROM visit v
            WHERE v.authority = r.authority AND v.child_id = r.child_id AND v.visit_kind = 'CL' AND v.seen
              AND v.visit_date <= r.as_at) AS last_contact,
           (SELECT MAX(e.review_date) FROM review_event e
            WHERE e.authority = r.authority AND e.child_id = r.child_id AND e.review_kind = 'PATHWAY'
              AND NOT e.cancelled AND e.review_date <= r.as_at) AS last_pathway_review,
           EXISTS (SELECT 1 FROM v_care_period p
                   WHERE p.authority = r.authority AND p.child_id = r.child_id AND p.start_date <= r.measured_on
                     AND (p.end_date IS NULL OR p.end_date > r.measured_on)) AS looked_after,
           EXISTS (SELECT 1 FROM v_care_period p
                   WHERE p.authority = r.authority AND p.child_id = r.child_id AND p.end_date <= r.measured_on
                     AND p.reason_ceased = 'E3') AS transferred
    FROM status_row r
    WHERE r.latest_first = 1
      AND (:measure IN ('contact', 'pathway') OR r.collection_year = r.latest_year)
),
unit AS (
    SELECT c.*,
           CASE
               WHEN c.in_touch IN ('DIED', 'RHOM') OR c.transferred THEN 'excluded'
               WHEN CASE :measure
                        WHEN 'in_touch' THEN c.in_touch = 'YES'
                        WHEN 'eet' THEN SUBSTRING(c.activity, 1, 1) IN ('F', 'P')
                        WHEN 'accommodation' THEN SUBSTRING(c.accommodation, 2, 1) = '1'
                        WHEN 'contact' THEN c.as_at - c.last_contact <= :contact_days
                        WHEN 'pathway' THEN c.last_pathway_review >= c.six_months_before
                    END THEN 'met'
               ELSE 'not_met'
           END AS status,
           CASE :measure WHEN 'contact' THEN c.last_contact WHEN 'pathway' THEN c.last_pathway_review END AS last_event
    FROM care_leaver c
    WHERE c.age BETWEEN :min_age AND :max_age AND NOT c.looked_after
)
SELECT u.authority, u.as_at, u.child_id || '/' || CAST(u.collection_year AS VARCHAR) AS unit_key, u.child_id,
       u.last_event AS start_date, u.as_at AS end_date,
       CASE WHEN :measure IN ('contact', 'pathway') THEN u.as_at - u.last_event ELSE CAST(u.age AS INTEGER) END AS elapsed,
       u.status,
       u.status IN ('met', 'not_met') AS in_denominator,
       u.status = 'met' AS met,
       u.as_at AS team_date,
       u.source_file, u.source_ref,
       CASE WHEN :measure IN ('contact', 'pathway') THEN 'events' ELSE 'ssda903' END AS method
FROM unit u
