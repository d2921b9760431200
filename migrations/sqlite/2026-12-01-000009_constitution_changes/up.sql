-- Every change of an organisation's constitution settings, with its reason
-- and the settings before and after (JSON), so a ballot's checklist can tell
-- a change made in the run-up to its notice.
CREATE TABLE constitution_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    changed_at TIMESTAMP NOT NULL,
    changed_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    before_settings TEXT NOT NULL,
    after_settings TEXT NOT NULL
);
CREATE INDEX constitution_changes_by_organisation ON constitution_changes (organisation_id, changed_at);
-- The constitution settings in force when a ballot was published, frozen with it.
ALTER TABLE ballots ADD COLUMN constitution TEXT;
