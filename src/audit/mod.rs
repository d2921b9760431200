//! The audit log: every state-changing action, appended in the same
//! transaction as the action, each entry chained to the one before by
//! SHA-256 so that editing, deleting, reordering or inserting entries shows.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
