ALTER TABLE ballots DROP COLUMN close_reason;
