//! The register: organisations (CCGs, LMCs), member practices, memberships.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
