-- Facts from the CIN census and case-management extracts. Every row names the file (sha256)
-- and the place in it (element path and line, or CSV row) it came from. Natural keys are not
-- declared unique here on purpose: a duplicate in an export must reach validation, which names it.
CREATE TABLE IF NOT EXISTS child (
    authority    VARCHAR NOT NULL,
    child_id     VARCHAR NOT NULL,
    birth_date   DATE,
    sex          VARCHAR,
    ethnicity    VARCHAR,
    death_date   DATE,
    source_file  VARCHAR NOT NULL,
    source_ref   VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS referral (
    authority        VARCHAR NOT NULL,
    child_id         VARCHAR NOT NULL,
    referral_date    DATE NOT NULL,
    referral_source  VARCHAR,
    primary_need     VARCHAR,
    closure_date     DATE,
    closure_reason   VARCHAR,
    referral_nfa     BOOLEAN,
    collection_year  INTEGER,            -- census year: a row is never replaced by an older year's
    source_file      VARCHAR NOT NULL,
    source_ref       VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS assessment (
    authority           VARCHAR NOT NULL,
    child_id            VARCHAR NOT NULL,
    referral_date       DATE NOT NULL,
    start_date          DATE NOT NULL,
    authorisation_date  DATE,
    collection_year  INTEGER,            -- census year: a row is never replaced by an older year's
    source_file         VARCHAR NOT NULL,
    source_ref          VARCHAR NOT NULL
);

-- A section 47 enquiry, dated by the strategy discussion that initiated it.
CREATE TABLE IF NOT EXISTS section47_enquiry (
    authority                 VARCHAR NOT NULL,
    child_id                  VARCHAR NOT NULL,
    referral_date             DATE NOT NULL,
    strategy_discussion_date  DATE NOT NULL,
    icpc_target_date          DATE,
    icpc_date                 DATE,
    icpc_not_required         BOOLEAN NOT NULL,
    collection_year  INTEGER,            -- census year: a row is never replaced by an older year's
    source_file               VARCHAR NOT NULL,
    source_ref                VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS cp_plan (
    authority          VARCHAR NOT NULL,
    child_id           VARCHAR NOT NULL,
    start_date         DATE NOT NULL,
    end_date           DATE,
    initial_category   VARCHAR,
    latest_category    VARCHAR,
    previous_plans     INTEGER,
    collection_year  INTEGER,            -- census year: a row is never replaced by an older year's
    source_file        VARCHAR NOT NULL,
    source_ref         VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS cp_review (
    authority        VARCHAR NOT NULL,
    child_id         VARCHAR NOT NULL,
    plan_start_date  DATE NOT NULL,
    review_date      DATE NOT NULL,
    collection_year  INTEGER,            -- census year: a row is never replaced by an older year's
    source_file      VARCHAR NOT NULL,
    source_ref       VARCHAR NOT NULL
);

-- Who holds the case: one row per allocation period (end_date inclusive, NULL while open).
CREATE TABLE IF NOT EXISTS allocation (
    authority    VARCHAR NOT NULL,
    child_id     VARCHAR NOT NULL,
    start_date   DATE NOT NULL,
    end_date     DATE,
    team         VARCHAR NOT NULL,
    worker       VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    source_ref   VARCHAR NOT NULL
);
