-- People acting for a practice. At most one nominated voting
-- representative and one deputy per practice at a time.
CREATE TABLE representatives (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('nominated', 'deputy', 'practice_manager', 'gp_partner', 'salaried_gp')),
    started_on DATE NOT NULL,
    ended_on DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX representatives_by_practice ON representatives (practice_id, ended_on);
CREATE UNIQUE INDEX one_voting_representative_at_a_time
    ON representatives (practice_id, kind) WHERE ended_on IS NULL AND kind IN ('nominated', 'deputy');
