DROP TABLE interests;
DROP TABLE interest_people;
