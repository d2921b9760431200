DROP TABLE interest_breaches;
DROP TABLE interest_returns;
DROP TABLE interest_rounds;
DROP TABLE item_papers;
