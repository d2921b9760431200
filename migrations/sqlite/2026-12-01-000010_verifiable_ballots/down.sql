ALTER TABLE ballots DROP COLUMN aggregates;
ALTER TABLE ballots DROP COLUMN election;
DROP TABLE spoiled_papers;
DROP TABLE encrypted_papers;
DROP TABLE ballot_trustees;
