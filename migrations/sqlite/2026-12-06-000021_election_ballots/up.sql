-- Elections are ballots of kind 'election' (candidates as options, a
-- ranking as each paper's option, seats and the STV rule in the rules).
-- SQLite cannot change a CHECK constraint in place: rebuild the table with
-- every column it has gained since (foreign keys are off while migrating).
CREATE TABLE ballots_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('general', 'co_commissioning', 'constitution_amendment', 'motion', 'election')),
    title TEXT NOT NULL,
    question TEXT NOT NULL,
    papers TEXT NOT NULL,
    current_text TEXT NOT NULL,
    proposed_text TEXT NOT NULL,
    motion_kind TEXT NOT NULL,
    motion_subject TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'open', 'closed', 'counted', 'cancelled')),
    rules TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    original_closes_at TIMESTAMP,
    extension_reason TEXT,
    published_at TIMESTAMP,
    opened_at TIMESTAMP,
    closed_at TIMESTAMP,
    counted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    cancel_reason TEXT,
    electorate_digest TEXT,
    result TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    constitution TEXT,
    election TEXT,
    aggregates TEXT,
    close_reason TEXT
);
INSERT INTO ballots_new (id, organisation_id, kind, title, question, papers, current_text, proposed_text, motion_kind, motion_subject, state, rules, opens_at, closes_at, original_closes_at, extension_reason, published_at, opened_at, closed_at, counted_at, cancelled_at, cancel_reason, electorate_digest, result, created_by, created_at, updated_at, constitution, election, aggregates, close_reason)
    SELECT id, organisation_id, kind, title, question, papers, current_text, proposed_text, motion_kind, motion_subject, state, rules, opens_at, closes_at, original_closes_at, extension_reason, published_at, opened_at, closed_at, counted_at, cancelled_at, cancel_reason, electorate_digest, result, created_by, created_at, updated_at, constitution, election, aggregates, close_reason FROM ballots;
DROP TABLE ballots;
ALTER TABLE ballots_new RENAME TO ballots;
CREATE INDEX ballots_by_organisation ON ballots (organisation_id, id);
CREATE INDEX ballots_by_state ON ballots (state, opens_at, closes_at);
