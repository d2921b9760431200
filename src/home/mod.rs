//! The page everyone lands on after signing in. A practice's representative
//! sees their practice and everything it is asked to do: ballots open and
//! coming (voted or not), consultations open for a response and questions,
//! the deadlines, and past results.

pub mod routes;
pub mod service;
