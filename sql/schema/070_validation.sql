-- Validation bookkeeping (src/csc_monitor/validation/).

-- Rows a row-level rule took out of a fact table (deleted there in the same transaction), so no
-- figure counts them; kept with the rule and the place in the export for the data owner to fix.
CREATE TABLE IF NOT EXISTS quarantine (
    run_id          VARCHAR NOT NULL,
    authority       VARCHAR NOT NULL,
    table_name      VARCHAR NOT NULL,
    rule            VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_ref      VARCHAR NOT NULL,
    row_json        VARCHAR NOT NULL,
    quarantined_at  TIMESTAMP NOT NULL
);

-- Rows per table seen by each validation run: a sudden drop against the last passing run is critical.
CREATE TABLE IF NOT EXISTS table_volume (
    run_id       VARCHAR NOT NULL,
    authority    VARCHAR NOT NULL,
    table_name   VARCHAR NOT NULL,
    row_count    INTEGER NOT NULL,
    passed       BOOLEAN NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, table_name)
);

-- Published figures are stale from the first failed run (for their as-at date or a later one) after they
-- were published, until a run for such a date publishes again: the last good figures stay, marked.
CREATE OR REPLACE VIEW result_staleness AS
SELECT p.run_id,
       p.authority,
       p.as_at,
       (SELECT MIN(f.finished_at)
          FROM pipeline_run f
         WHERE f.authority = p.authority AND f.status = 'failed' AND f.as_at >= p.as_at AND f.started_at > p.started_at
           AND NOT EXISTS (SELECT 1 FROM pipeline_run g
                            WHERE g.authority = p.authority AND g.status = 'published' AND g.as_at >= p.as_at
                              AND g.started_at > f.started_at)) AS stale_since
FROM pipeline_run p
WHERE p.status = 'published';
