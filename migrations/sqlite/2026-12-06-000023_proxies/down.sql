DROP TABLE proxy_appointments;
