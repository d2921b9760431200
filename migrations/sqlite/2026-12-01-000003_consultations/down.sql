DROP TABLE consultation_questions;
DROP TABLE consultations;
