//! Formal ballots of member practices: drafts, publication with notice,
//! the timetable, casting (secret or recorded), the count and results.

pub mod api;
pub mod casting;
pub mod chart;
pub mod diff;
pub mod model;
pub mod routes;
pub mod rules;
pub mod service;
pub mod store;
pub mod words;
