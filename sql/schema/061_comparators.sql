-- Published comparator figures (England, the authority's statistical neighbours) per indicator and period,
-- in the indicator's own unit (e.g. percent). Loaded by the comparators step; alerts read the latest
-- period_end on or before the as-at date.
CREATE TABLE IF NOT EXISTS comparator_value (
    indicator_id  VARCHAR NOT NULL,
    geography     VARCHAR NOT NULL,
    period_end    DATE NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (indicator_id, geography, period_end)
);
