-- Nominations for an election (a ballot of kind 'election' while it is a
-- draft): the call with its terms, each nomination with the practices
-- that nominate it, the candidate's consent, declaration and statement,
-- and the returning officer's decision when the list is published.
CREATE TABLE nomination_calls (
    ballot_id INTEGER PRIMARY KEY NOT NULL REFERENCES ballots (id),
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    withdrawals_close TIMESTAMP NOT NULL,
    nominators_required INTEGER NOT NULL CHECK (nominators_required BETWEEN 1 AND 20),
    statement_word_limit INTEGER NOT NULL CHECK (statement_word_limit BETWEEN 25 AND 1000),
    eligibility TEXT NOT NULL CHECK (eligibility IN ('gp_at_member_practice', 'any_named_person')),
    called_at TIMESTAMP NOT NULL,
    list_published_at TIMESTAMP
);

CREATE TABLE nominations (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    ballot_id INTEGER NOT NULL REFERENCES nomination_calls (ballot_id),
    candidate_name TEXT NOT NULL,
    candidate_email TEXT NOT NULL,
    post TEXT NOT NULL CHECK (post IN ('gp_partner', 'salaried_gp', 'other')),
    candidate_practice_id INTEGER REFERENCES practices (id),
    submitted_at TIMESTAMP NOT NULL,
    submitted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    token_digest TEXT NOT NULL UNIQUE,
    accepted_at TIMESTAMP,
    declared_at TIMESTAMP,
    interests TEXT NOT NULL DEFAULT '',
    statement TEXT NOT NULL DEFAULT '',
    ballot_line TEXT NOT NULL DEFAULT '',
    withdrawn_at TIMESTAMP,
    decision TEXT CHECK (decision IN ('valid', 'rejected')),
    decision_reasons TEXT NOT NULL DEFAULT '',
    option_key TEXT
);
CREATE INDEX nominations_by_ballot ON nominations (ballot_id, id);

CREATE TABLE nomination_supporters (
    nomination_id INTEGER NOT NULL REFERENCES nominations (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    supported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (nomination_id, practice_id)
);
