DROP TABLE representatives;
