DROP TABLE ballot_reminders;
DROP TABLE ballot_recorded_votes;
DROP TABLE ballot_papers;
DROP TABLE ballot_voters;
DROP TABLE voting_tokens;
DROP TABLE ballot_electors;
DROP TABLE ballot_options;
DROP TABLE ballots;
