-- Alert lifecycle per indicator, scope ('all' or a team) and severity: what managers were last told, and when.
-- status: ok | pending (breaching, fewer than for_runs runs) | firing. thread_key: the outbox message that first told them.
CREATE TABLE IF NOT EXISTS alert_state (
    indicator_id          VARCHAR NOT NULL,
    authority             VARCHAR NOT NULL,
    scope                 VARCHAR NOT NULL,
    severity              VARCHAR NOT NULL,
    status                VARCHAR NOT NULL,
    breach_runs           INTEGER NOT NULL,
    clean_runs            INTEGER NOT NULL,
    breaching_since       DATE,
    last_evaluated_as_at  DATE NOT NULL,
    last_notified_as_at   DATE,
    channel               VARCHAR,
    thread_key            VARCHAR,
    PRIMARY KEY (indicator_id, authority, scope, severity)
);

-- Silences set from the CLI: matching alerts keep their state but are not posted until the day after `until`.
CREATE TABLE IF NOT EXISTS alert_silence (
    silence_id    VARCHAR PRIMARY KEY,
    authority     VARCHAR NOT NULL,
    indicator_id  VARCHAR NOT NULL,
    team          VARCHAR,
    until_date    DATE NOT NULL,
    created_by    VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

-- Every Slack message is written here first; the sender delivers and marks it.
-- chart_json: a trend chart to render and upload (files_upload_v2) instead of a text message.
CREATE TABLE IF NOT EXISTS slack_outbox (
    delivery_key  VARCHAR PRIMARY KEY,
    channel       VARCHAR NOT NULL,
    thread_key    VARCHAR,
    text          VARCHAR NOT NULL,
    blocks_json   VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    attempts      INTEGER NOT NULL,
    delivered_at  TIMESTAMP,
    message_ts    VARCHAR,
    last_error    VARCHAR
);
ALTER TABLE slack_outbox ADD COLUMN IF NOT EXISTS chart_json VARCHAR;
