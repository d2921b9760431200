DROP TABLE account_requests;
ALTER TABLE organisation_sign_in DROP COLUMN practice_staff_may_join;
DROP TABLE sso_link_requests;
