-- Committees of an organisation (a primary care commissioning committee):
-- terms of reference, members from the register of interests, meetings
-- with agendas, attendance, declarations per item with the action agreed,
-- and recorded votes. The quorum rule's parts are JSON, e.g.
-- [{"roles": ["lay_chair", "lay_vice_chair"], "at_least": 1}].
CREATE TABLE committees (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    quorum_numerator INTEGER NOT NULL,
    quorum_denominator INTEGER NOT NULL,
    quorum_including TEXT NOT NULL,
    casting_vote BOOLEAN NOT NULL,
    withhold_papers BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE committee_members (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    committee_id INTEGER NOT NULL REFERENCES committees (id),
    person_id INTEGER NOT NULL REFERENCES interest_people (id),
    role TEXT NOT NULL,
    voting BOOLEAN NOT NULL,
    substitute_for INTEGER REFERENCES interest_people (id),
    UNIQUE (committee_id, person_id)
);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    committee_id INTEGER NOT NULL REFERENCES committees (id),
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    location TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    noticed_at TIMESTAMP,
    -- The secretary's minutes: drafted from the record, edited, approved
    -- at a later meeting of the committee, then published.
    minutes TEXT,
    minutes_approved_at TIMESTAMP,
    minutes_approved_by INTEGER REFERENCES meetings (id),
    minutes_published_at TIMESTAMP
);
CREATE INDEX meetings_by_committee ON meetings (committee_id, starts_at);

CREATE TABLE meeting_attendance (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    person_id INTEGER NOT NULL REFERENCES interest_people (id),
    attendance TEXT NOT NULL,
    PRIMARY KEY (meeting_id, person_id)
);

CREATE TABLE agenda_items (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    private BOOLEAN NOT NULL,
    subjects TEXT NOT NULL,
    motion TEXT NOT NULL,
    status TEXT NOT NULL,
    proposer_id INTEGER REFERENCES interest_people (id),
    seconder_id INTEGER REFERENCES interest_people (id),
    result TEXT,
    decided_at TIMESTAMP
);
CREATE INDEX agenda_items_by_meeting ON agenda_items (meeting_id, position);

CREATE TABLE item_declarations (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    item_id INTEGER NOT NULL REFERENCES agenda_items (id),
    person_id INTEGER NOT NULL REFERENCES interest_people (id),
    interest_id INTEGER REFERENCES interests (id),
    action TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (item_id, person_id)
);

CREATE TABLE item_votes (
    item_id INTEGER NOT NULL REFERENCES agenda_items (id),
    person_id INTEGER NOT NULL REFERENCES interest_people (id),
    vote TEXT NOT NULL,
    casting BOOLEAN NOT NULL,
    PRIMARY KEY (item_id, person_id, casting)
);
