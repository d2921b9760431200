//! The register: organisations (CCGs, LMCs), member practices, memberships.

pub mod api;
pub mod cli;
pub mod constitution;
pub mod import;
pub mod model;
pub mod ods;
pub mod practice_form;
pub mod register;
pub mod routes;
pub mod service;
pub mod store;
