-- The register of interests (NHS England, Managing conflicts of interest):
-- the people an organisation keeps it for (its decision-makers and others),
-- and their declarations in the guidance's categories and types. An entry
-- is public until six months after the interest ends unless withheld with
-- a recorded reason, and is kept six years after it ends.
CREATE TABLE interest_people (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    email TEXT,
    position TEXT NOT NULL,
    decision_maker BOOLEAN NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    added_at TIMESTAMP NOT NULL,
    left_on DATE
);
CREATE INDEX interest_people_by_organisation ON interest_people (organisation_id, name);

CREATE TABLE interests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES interest_people (id),
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE,
    declared_on DATE NOT NULL,
    value_pence BIGINT,
    accepted BOOLEAN,
    management TEXT NOT NULL,
    agreed_by TEXT NOT NULL,
    withheld_reason TEXT,
    recorded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recorded_at TIMESTAMP NOT NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX interests_by_person ON interests (person_id, starts_on);
