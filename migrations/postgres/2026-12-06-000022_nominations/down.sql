DROP TABLE nomination_supporters;
DROP TABLE nominations;
DROP TABLE nomination_calls;
