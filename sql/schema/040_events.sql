-- Event-level extracts from the case management system (csc-monitor's CSV contract; see README).

-- Visits: CP, CIN and CLA statutory visits, and care leaver (personal adviser) contacts.
CREATE TABLE IF NOT EXISTS visit (
    authority     VARCHAR NOT NULL,
    child_id      VARCHAR NOT NULL,
    visit_kind    VARCHAR NOT NULL,   -- CP, CIN, CLA, CL
    visit_date    DATE NOT NULL,
    seen          BOOLEAN NOT NULL,
    seen_alone    BOOLEAN,
    worker        VARCHAR,
    source_file   VARCHAR NOT NULL,
    source_ref    VARCHAR NOT NULL
);

-- Reviews held or due: CP review conferences, CLA (IRO) reviews, pathway plan reviews.
CREATE TABLE IF NOT EXISTS review_event (
    authority     VARCHAR NOT NULL,
    child_id      VARCHAR NOT NULL,
    review_kind   VARCHAR NOT NULL,   -- CP, CLA, PATHWAY
    due_date      DATE,
    review_date   DATE,
    cancelled     BOOLEAN NOT NULL,
    source_file   VARCHAR NOT NULL,
    source_ref    VARCHAR NOT NULL
);

-- Health assessments and dental checks for looked-after children.
CREATE TABLE IF NOT EXISTS health_check (
    authority     VARCHAR NOT NULL,
    child_id      VARCHAR NOT NULL,
    check_kind    VARCHAR NOT NULL,   -- IHA initial health assessment, RHA review health assessment, DENTAL
    check_date    DATE NOT NULL,
    source_file   VARCHAR NOT NULL,
    source_ref    VARCHAR NOT NULL
);

-- Return home interviews offered after a missing episode.
CREATE TABLE IF NOT EXISTS return_interview (
    authority           VARCHAR NOT NULL,
    child_id            VARCHAR NOT NULL,
    missing_start_date  DATE NOT NULL,
    returned_at         TIMESTAMP NOT NULL,
    offered_at          TIMESTAMP,
    accepted            BOOLEAN,
    source_file         VARCHAR NOT NULL,
    source_ref          VARCHAR NOT NULL
);

-- Per-plan override of the child protection visit frequency (authority default in config/authority.yml).
CREATE TABLE IF NOT EXISTS cp_visit_frequency (
    authority        VARCHAR NOT NULL,
    child_id         VARCHAR NOT NULL,
    plan_start_date  DATE NOT NULL,
    every_working_days INTEGER NOT NULL,
    source_file      VARCHAR NOT NULL,
    source_ref       VARCHAR NOT NULL
);

-- What the 903 cannot tell about a placement (Care Planning Regulations 2010 reg 28(3)-(4)): a child placed with a
-- temporarily approved connected person (reg 24) or with parents before their assessment is complete (reg 19).
-- One row per placement, keyed by its start date; a placement without one is taken as fully approved / assessed.
CREATE TABLE IF NOT EXISTS placement_arrangement (
    authority             VARCHAR NOT NULL,
    child_id              VARCHAR NOT NULL,
    placement_start_date  DATE NOT NULL,
    arrangement           VARCHAR NOT NULL,   -- REG24_TEMPORARY_APPROVAL, REG19_BEFORE_ASSESSMENT
    source_file           VARCHAR NOT NULL,
    source_ref            VARCHAR NOT NULL
);

-- Looked-after (IRO) reviews held: the 903 Reviews table and the CLA review events extract, merged by date (a
-- cancelled review or one without a date is not held). One reading for every indicator that asks whether a review was held.
CREATE OR REPLACE VIEW v_cla_review_held AS
SELECT authority, child_id, review_date, MIN(source_file) AS source_file, MIN(source_ref) AS source_ref
FROM (
    SELECT authority, child_id, review_date, source_file, source_ref FROM la_review
    UNION ALL
    SELECT authority, child_id, review_date, source_file, source_ref FROM review_event
    WHERE review_kind = 'CLA' AND review_date IS NOT NULL AND NOT cancelled
) r
GROUP BY authority, child_id, review_date;
