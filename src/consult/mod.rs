//! Consultations of member practices before a ballot: papers, members'
//! questions and the board's answers, responses, the practice impact tool.

pub mod api;
pub mod impact;
pub mod markdown;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
