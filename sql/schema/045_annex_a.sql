-- Ofsted Annex A snapshots: "last/latest" dates as they stood on the extract date, one row per child,
-- list and measure (long form, so a new list column is a new measure, not a schema change).
CREATE TABLE IF NOT EXISTS annex_a_latest (
    authority     VARCHAR NOT NULL,
    extract_date  DATE NOT NULL,
    list_number   INTEGER NOT NULL,
    child_id      VARCHAR NOT NULL,
    measure       VARCHAR NOT NULL,   -- e.g. last_statutory_visit, latest_review, last_health_assessment
    value_date    DATE,
    value_text    VARCHAR,
    source_file   VARCHAR NOT NULL,
    source_ref    VARCHAR NOT NULL
);
