-- Back to practices only: the chair's instruments cannot be kept.
CREATE TABLE proxy_appointments_old (
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
INSERT INTO proxy_appointments_old
    (id, ballot_id, practice_id, holder_practice_id, direction, made_by, made_at, accepted_by, accepted_at, revoked_at)
SELECT id, ballot_id, practice_id, holder_practice_id, direction, made_by, made_at, accepted_by, accepted_at, revoked_at
FROM proxy_appointments
WHERE holder_practice_id IS NOT NULL;
DROP TABLE proxy_appointments;
ALTER TABLE proxy_appointments_old RENAME TO proxy_appointments;
CREATE INDEX proxy_appointments_by_ballot ON proxy_appointments (ballot_id, practice_id);

CREATE TABLE user_roles_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system_admin', 'org_admin', 'returning_officer', 'practice_rep', 'lmc_observer', 'committee_member')),
    organisation_id INTEGER REFERENCES organisations (id),
    practice_id INTEGER REFERENCES practices (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (
        (role = 'system_admin' AND organisation_id IS NULL AND practice_id IS NULL)
        OR (role = 'practice_rep' AND organisation_id IS NULL AND practice_id IS NOT NULL)
        OR (role IN ('org_admin', 'returning_officer', 'lmc_observer', 'committee_member')
            AND organisation_id IS NOT NULL AND practice_id IS NULL)
    )
);
INSERT INTO user_roles_old (id, user_id, role, organisation_id, practice_id, created_at)
SELECT id, user_id, role, organisation_id, practice_id, created_at FROM user_roles WHERE role <> 'chair';
DROP TABLE user_roles;
ALTER TABLE user_roles_old RENAME TO user_roles;
CREATE INDEX user_roles_by_user ON user_roles (user_id);
