-- Formal ballots: the ballot with its options and rules, the electorate
-- frozen at publication, single-use voting links, who voted, and the
-- papers. A secret ballot's papers carry nothing that links them to a
-- practice: a random key, no time, no reference to who voted. PostgreSQL
-- keeps rows in the order they were written (and with the writing
-- transaction's id), so the papers of a ballot are rewritten in random
-- order while it is open and at its close (see ballots::store::mix_papers).

CREATE TABLE ballots (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('general', 'co_commissioning', 'constitution_amendment', 'motion')),
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
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ballots_by_organisation ON ballots (organisation_id, id);
CREATE INDEX ballots_by_state ON ballots (state, opens_at, closes_at);

CREATE TABLE ballot_options (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    position INTEGER NOT NULL,
    option_key TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (ballot_id, option_key)
);

CREATE TABLE ballot_electors (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    weight BIGINT NOT NULL CHECK (weight >= 0),
    list_size INTEGER,
    list_size_date DATE,
    constituency TEXT,
    nominated_user_id INTEGER REFERENCES users (id),
    deputy_user_id INTEGER REFERENCES users (id),
    PRIMARY KEY (ballot_id, practice_id)
);

CREATE TABLE voting_tokens (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    user_id INTEGER REFERENCES users (id),
    token_digest TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX voting_tokens_by_ballot ON voting_tokens (ballot_id, practice_id);

-- One row per practice that voted: the primary key is what makes a second
-- vote impossible, whatever the timing of the requests.
CREATE TABLE ballot_voters (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    voted_at TIMESTAMP NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('link', 'signed_in', 'api')),
    PRIMARY KEY (ballot_id, practice_id)
);

CREATE TABLE ballot_papers (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    paper_id TEXT NOT NULL,
    receipt_digest TEXT NOT NULL UNIQUE,
    option_key TEXT NOT NULL,
    weight BIGINT NOT NULL CHECK (weight >= 0),
    constituency TEXT,
    PRIMARY KEY (ballot_id, paper_id)
);

-- Recorded (open) ballots only: which practice cast which paper.
CREATE TABLE ballot_recorded_votes (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    paper_id TEXT NOT NULL,
    cast_at TIMESTAMP NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ballot_id, practice_id)
);

CREATE TABLE ballot_reminders (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    days_before INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    recipients INTEGER NOT NULL,
    PRIMARY KEY (ballot_id, days_before)
);
