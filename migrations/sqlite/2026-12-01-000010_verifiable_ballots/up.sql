-- Verifiable secret ballots: the trustees who hold the election key between
-- them (their public key parts, the encrypted shares they send each other,
-- and their partial decryptions of the tally), the encrypted papers (one per
-- practice that voted: who voted is public, how is not), papers opened for a
-- cast-as-intended check (never counted), and on the ballot the election key
-- and fingerprint (fixed at publication) and the aggregates (at the close).
CREATE TABLE ballot_trustees (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    user_id INTEGER NOT NULL REFERENCES users (id),
    public_part TEXT,
    public_at TIMESTAMP,
    shares TEXT,
    shares_at TIMESTAMP,
    partial TEXT,
    partial_at TIMESTAMP,
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, user_id)
);
CREATE TABLE encrypted_papers (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    tracker TEXT NOT NULL,
    paper TEXT NOT NULL,
    PRIMARY KEY (ballot_id, practice_id),
    UNIQUE (ballot_id, tracker)
);
CREATE TABLE spoiled_papers (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    tracker TEXT NOT NULL,
    PRIMARY KEY (ballot_id, tracker)
);
ALTER TABLE ballots ADD COLUMN election TEXT;
ALTER TABLE ballots ADD COLUMN aggregates TEXT;
