-- Every export file ever accepted, by content hash: the same file twice is a no-op.
CREATE TABLE IF NOT EXISTS load_file (
    sha256          VARCHAR(64) PRIMARY KEY,
    file_name       VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    authority       VARCHAR NOT NULL,
    collection_year INTEGER,
    reference_date  DATE,
    row_count       INTEGER NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    archived_as     VARCHAR NOT NULL
);
-- What ingest inferred about the file (year from its folder, the schema it was checked against, records set aside).
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS notes VARCHAR;

-- Working days in England and Wales: working_day_number counts working days up to and including the day.
CREATE TABLE IF NOT EXISTS calendar_day (
    day                DATE PRIMARY KEY,
    is_working_day     BOOLEAN NOT NULL,
    working_day_number INTEGER NOT NULL
);
