DROP TABLE practice_change_requests;
