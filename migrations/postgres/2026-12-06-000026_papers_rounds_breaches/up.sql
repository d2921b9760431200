-- Papers of an agenda item (stored like a consultation's documents); the
-- annual declaration round of the register of interests, with each
-- person's return (interests declared, or a nil return); and the
-- breaches register.
CREATE TABLE item_papers (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    item_id INTEGER NOT NULL REFERENCES agenda_items (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX item_papers_by_item ON item_papers (item_id);

CREATE TABLE interest_rounds (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    due_on DATE NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    last_reminded_at TIMESTAMP
);

CREATE TABLE interest_returns (
    round_id INTEGER NOT NULL REFERENCES interest_rounds (id),
    person_id INTEGER NOT NULL REFERENCES interest_people (id),
    nil BOOLEAN NOT NULL,
    returned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (round_id, person_id)
);

CREATE TABLE interest_breaches (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    person_id INTEGER REFERENCES interest_people (id),
    occurred_on DATE NOT NULL,
    description TEXT NOT NULL,
    action_taken TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recorded_at TIMESTAMP NOT NULL
);
