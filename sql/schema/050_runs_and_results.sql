-- One row per pipeline run (a nightly run, a landing-triggered run or a backfill date).
CREATE TABLE IF NOT EXISTS pipeline_run (
    run_id       VARCHAR PRIMARY KEY,
    authority    VARCHAR NOT NULL,
    as_at        DATE NOT NULL,
    run_type     VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    message      VARCHAR
);

-- The as-at dates a run computes, so one set-based statement can serve many dates.
CREATE TABLE IF NOT EXISTS run_as_at (
    run_id  VARCHAR NOT NULL,
    as_at   DATE NOT NULL,
    PRIMARY KEY (run_id, as_at)
);

-- Published figures: one row per indicator, as-at date and scope; a re-run replaces its rows.
CREATE TABLE IF NOT EXISTS indicator_result (
    indicator_id  VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    authority     VARCHAR NOT NULL,
    as_at         DATE NOT NULL,
    scope_type    VARCHAR NOT NULL,
    scope         VARCHAR NOT NULL,
    numerator     INTEGER NOT NULL,
    denominator   INTEGER NOT NULL,
    value         DOUBLE PRECISION,
    overdue       INTEGER NOT NULL,
    method        VARCHAR NOT NULL,    -- which data the figure was measured from (e.g. cin_census, events, annex_a_snapshot)
    run_id        VARCHAR NOT NULL,
    PRIMARY KEY (indicator_id, authority, as_at, scope_type, scope)
);

-- The child-level units behind each figure. Stays in the warehouse: never sent to Slack.
CREATE TABLE IF NOT EXISTS indicator_unit (
    indicator_id    VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    authority       VARCHAR NOT NULL,
    as_at           DATE NOT NULL,
    unit_key        VARCHAR NOT NULL,
    child_id        VARCHAR NOT NULL,
    start_date      DATE,
    end_date        DATE,
    elapsed         INTEGER,
    status          VARCHAR NOT NULL,
    in_denominator  BOOLEAN NOT NULL,
    met             BOOLEAN NOT NULL,
    team            VARCHAR NOT NULL,
    worker          VARCHAR NOT NULL,
    source_file     VARCHAR,
    source_ref      VARCHAR,
    method          VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);

-- Outcome of each expectation in each run (the readable validation summary is built from it).
CREATE TABLE IF NOT EXISTS validation_result (
    run_id        VARCHAR NOT NULL,
    suite         VARCHAR NOT NULL,
    rule          VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    success       BOOLEAN NOT NULL,
    failing_rows  INTEGER NOT NULL,
    examples      VARCHAR,
    PRIMARY KEY (run_id, suite, rule)
);

-- The published figures (and their units) for a run's dates as they were before the run recomputed them,
-- kept until the run publishes so that a failure, in this process or in a later Airflow task, puts them back.
CREATE TABLE IF NOT EXISTS kept_indicator_result AS
SELECT r.*, CAST(NULL AS VARCHAR) AS kept_for_run FROM indicator_result r WHERE 1 = 0;

CREATE TABLE IF NOT EXISTS kept_indicator_unit AS
SELECT u.*, CAST(NULL AS VARCHAR) AS kept_for_run FROM indicator_unit u WHERE 1 = 0;

-- The schedule a unit was measured by, for indicators whose units follow more than one (their YAML lists `schedules`;
-- blank for the rest): each schedule's units are counted beside the figure (scope_type 'schedule').
ALTER TABLE indicator_unit ADD COLUMN IF NOT EXISTS schedule VARCHAR;
ALTER TABLE kept_indicator_unit ADD COLUMN IF NOT EXISTS schedule VARCHAR;
