DROP TABLE retention_purges;
