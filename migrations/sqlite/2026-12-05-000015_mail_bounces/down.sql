DROP TABLE mail_bounces;
