-- Care leavers (903 OC3 and Annex A list 9) and adoption milestones (903 AD1, PlacedAdoption, Annex A list 10).

-- One row per care leaver and collection year (903 OC3: recorded around the 17th-21st birthdays).
CREATE TABLE IF NOT EXISTS care_leaver_status (
    authority        VARCHAR NOT NULL,
    child_id         VARCHAR NOT NULL,
    collection_year  INTEGER NOT NULL,
    birth_date       DATE,
    in_touch         VARCHAR,    -- YES, NO, DIED, REFU, NREQ, RHOM
    activity         VARCHAR,    -- F or P codes: in education, employment or training; G4-G6 not; 0 not known
    accommodation    VARCHAR,    -- a letter + 1 suitable / 2 unsuitable
    source_file      VARCHAR NOT NULL,
    source_ref       VARCHAR NOT NULL
);

-- Adoption milestones per child: one row per child and decision (903 AD1 + PlacedAdoption, or Annex A list 10).
CREATE TABLE IF NOT EXISTS adoption (
    authority                 VARCHAR NOT NULL,
    child_id                  VARCHAR NOT NULL,
    decision_date             DATE,      -- AD1 DATE_INT, PlacedAdoption DATE_PLACED: should be placed for adoption
    placement_order_date      DATE,      -- Annex A list 10 (903: legal status E1 start)
    match_date                DATE,      -- AD1 DATE_MATCH
    placed_date               DATE,      -- Annex A list 10 (903: start of the first A3-A6 placement, derived)
    placed_ceased_date        DATE,
    reason_placed_ceased      VARCHAR,
    adoption_order_date       DATE,      -- 903 REC E11/E12 episode end, or Annex A list 10
    adopted_by_foster_carer   BOOLEAN,   -- AD1 FOSTER_CARE
    decision_reversed_date    DATE,      -- Annex A list 10
    source_file               VARCHAR NOT NULL,
    source_ref                VARCHAR NOT NULL
);
