-- Looked-after children, from the SSDA903 return (one table per 903 file) and event extracts.
-- Every row keeps its source file (sha256) and the CSV row it came from.

-- 903 Episodes: one row per episode of care (a change of legal status, placement or carer starts a new one).
CREATE TABLE IF NOT EXISTS care_episode (
    authority            VARCHAR NOT NULL,
    child_id             VARCHAR NOT NULL,
    start_date           DATE NOT NULL,      -- DECOM
    reason_new_episode   VARCHAR NOT NULL,   -- RNE: S, L, P, T, B, U
    legal_status         VARCHAR NOT NULL,   -- LS
    cin_code             VARCHAR,            -- CIN
    placement_type       VARCHAR NOT NULL,   -- PLACE
    placement_provider   VARCHAR,            -- PLACE_PROVIDER
    end_date             DATE,               -- DEC
    reason_ceased        VARCHAR,            -- REC
    reason_place_change  VARCHAR,            -- REASON_PLACE_CHANGE
    placement_postcode   VARCHAR,            -- PL_POST
    urn                  VARCHAR,
    collection_year      INTEGER,
    source_file          VARCHAR NOT NULL,
    source_ref           VARCHAR NOT NULL
);

-- 903 Reviews: looked-after (IRO) reviews held.
CREATE TABLE IF NOT EXISTS la_review (
    authority      VARCHAR NOT NULL,
    child_id       VARCHAR NOT NULL,
    review_date    DATE NOT NULL,
    review_code    VARCHAR,               -- participation code PN0-PN7
    source_file    VARCHAR NOT NULL,
    source_ref     VARCHAR NOT NULL
);

-- 903 UASC: unaccompanied asylum-seeking children.
CREATE TABLE IF NOT EXISTS uasc (
    authority      VARCHAR NOT NULL,
    child_id       VARCHAR NOT NULL,
    uasc_ceased    DATE,
    source_file    VARCHAR NOT NULL,
    source_ref     VARCHAR NOT NULL
);

-- 903 OC2: outcomes for children looked after 12 months or more at 31 March (one row per child and year).
CREATE TABLE IF NOT EXISTS la_outcome (
    authority          VARCHAR NOT NULL,
    child_id           VARCHAR NOT NULL,
    collection_year    INTEGER NOT NULL,
    sdq_score          INTEGER,
    convicted          BOOLEAN,
    health_check       BOOLEAN,
    immunisations      BOOLEAN,
    teeth_check        BOOLEAN,
    health_assessment  BOOLEAN,
    substance_misuse   BOOLEAN,
    source_file        VARCHAR NOT NULL,
    source_ref         VARCHAR NOT NULL
);

-- 903 Missing, joined by the return-interview events extract when it arrives.
CREATE TABLE IF NOT EXISTS missing_episode (
    authority         VARCHAR NOT NULL,
    child_id          VARCHAR NOT NULL,
    missing_type      VARCHAR NOT NULL,   -- M missing, A away without authorisation
    start_date        DATE NOT NULL,
    end_date          DATE,
    source_file       VARCHAR NOT NULL,
    source_ref        VARCHAR NOT NULL
);

-- 903 SWEpisodes (from 2023/24): social worker episodes.
CREATE TABLE IF NOT EXISTS social_worker_episode (
    authority     VARCHAR NOT NULL,
    child_id      VARCHAR NOT NULL,
    worker_id     VARCHAR NOT NULL,
    start_date    DATE NOT NULL,
    end_date      DATE,
    reason        VARCHAR,
    source_file   VARCHAR NOT NULL,
    source_ref    VARCHAR NOT NULL
);

-- 903 PrevPerm: permanence before this period of care.
CREATE TABLE IF NOT EXISTS previous_permanence (
    authority     VARCHAR NOT NULL,
    child_id      VARCHAR NOT NULL,
    previous_permanence VARCHAR,
    la_code       VARCHAR,
    permanence_date DATE,
    source_file   VARCHAR NOT NULL,
    source_ref    VARCHAR NOT NULL
);
