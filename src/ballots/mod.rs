//! Formal ballots of member practices: drafts, publication with notice,
//! the timetable, casting (secret or recorded), the count and results.

pub mod api;
pub mod casting;
pub mod chart;
pub mod confirm_routes;
pub mod diff;
pub mod draft;
pub mod draft_routes;
pub mod election;
pub mod investigation;
pub mod links;
pub mod model;
pub mod notices;
pub mod plan;
pub mod plan_routes;
pub mod privacy;
pub mod proxy;
pub mod recorded;
pub mod recorded_routes;
pub mod result_routes;
pub mod routes;
pub mod rules;
pub mod schedule;
pub mod service;
pub mod store;
pub mod stv;
pub mod verifiable;
pub mod views;
pub mod vote_routes;
pub mod words;
