//! When something goes wrong with a ballot: the returning officer suspends
//! voting while it is looked into, then resumes it with a new close, or
//! declares the ballot void (its papers sealed, never counted) and re-runs
//! it as a new ballot with a fresh electorate and fresh links.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
