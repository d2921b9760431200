DROP TABLE organisation_sign_in;
