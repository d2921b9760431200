-- The organisation's chair may hold a practice's proxy: the instrument then
-- names no holder practice (NULL means the chair).
ALTER TABLE proxy_appointments ALTER COLUMN holder_practice_id DROP NOT NULL;

-- The chair is a role of one organisation, like a committee member.
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles DROP CONSTRAINT user_roles_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('system_admin', 'org_admin', 'returning_officer', 'practice_rep', 'lmc_observer', 'committee_member', 'chair'));
ALTER TABLE user_roles ADD CONSTRAINT user_roles_check CHECK (
    (role = 'system_admin' AND organisation_id IS NULL AND practice_id IS NULL)
    OR (role = 'practice_rep' AND organisation_id IS NULL AND practice_id IS NOT NULL)
    OR (role IN ('org_admin', 'returning_officer', 'lmc_observer', 'committee_member', 'chair')
        AND organisation_id IS NOT NULL AND practice_id IS NULL)
);
