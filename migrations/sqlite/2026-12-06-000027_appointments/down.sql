ALTER TABLE interest_people DROP COLUMN appointed_on;
