ALTER TABLE ballots DROP COLUMN constitution;
DROP TABLE constitution_changes;
