-- Proxy instruments: a member practice appoints another member practice's
-- voting representative to vote for it in one ballot, with or without a
-- direction; the proxy accepts; the practice may revoke until it is used.
-- A proxy is used when the appointing practice's vote is recorded while
-- the appointment stands (the practice cannot then vote itself).
CREATE TABLE proxy_appointments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    holder_practice_id INTEGER NOT NULL REFERENCES practices (id),
    direction TEXT,
    made_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    made_at TIMESTAMP NOT NULL,
    accepted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    accepted_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CHECK (practice_id <> holder_practice_id)
);
CREATE INDEX proxy_appointments_by_ballot ON proxy_appointments (ballot_id, practice_id);
