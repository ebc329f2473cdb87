-- Alert lifecycle per indicator and scope: what managers were last told, and when.
CREATE TABLE IF NOT EXISTS alert_state (
    indicator_id          VARCHAR NOT NULL,
    authority             VARCHAR NOT NULL,
    scope                 VARCHAR NOT NULL,
    status                VARCHAR NOT NULL,
    severity              VARCHAR,
    breaching_since       DATE,
    last_evaluated_as_at  DATE NOT NULL,
    last_notified_as_at   DATE,
    channel               VARCHAR,
    thread_key            VARCHAR,
    PRIMARY KEY (indicator_id, authority, scope)
);

-- Every Slack message is written here first; the sender delivers and marks it.
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
