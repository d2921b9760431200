-- A ballot stopped while something is looked into: voting is refused and
-- nothing is counted until it resumes (with a new close) or is declared void.
-- Numbered per ballot; at most one is open (resumed_at is null) at a time.
CREATE TABLE ballot_suspensions (
    ballot_id INTEGER NOT NULL REFERENCES ballots (id),
    number INTEGER NOT NULL,
    suspended_at TIMESTAMP NOT NULL,
    suspended_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The close when it was suspended: the voting time left is measured from it.
    closes_at_before TIMESTAMP NOT NULL,
    resumed_at TIMESTAMP,
    resumed_by TEXT,
    closes_at_after TIMESTAMP,
    -- Why the new close leaves less voting time than was left, if it does.
    short_reason TEXT,
    PRIMARY KEY (ballot_id, number)
);

-- A ballot declared void after an investigation: its row moves to
-- 'cancelled', its papers are kept but never counted or published, and the
-- re-run (a new ballot with the same question and rules) is linked here.
CREATE TABLE ballot_voids (
    ballot_id INTEGER PRIMARY KEY NOT NULL REFERENCES ballots (id),
    voided_at TIMESTAMP NOT NULL,
    voided_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The state it was in: open (suspended) or closed.
    state_before TEXT NOT NULL,
    rerun_ballot_id INTEGER UNIQUE REFERENCES ballots (id)
);
