DROP TABLE ballot_voids;
DROP TABLE ballot_suspensions;
