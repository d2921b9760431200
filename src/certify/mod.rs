//! Certified results: the bulletin board of a counted ballot, its Merkle
//! tree, the signed certificate, and verifying both anywhere.

pub mod checklist;
pub mod dashboard;
pub mod font;
pub mod keys;
pub mod merkle;
pub mod model;
pub mod pdf;
pub mod routes;
pub mod service;
pub mod store;
pub mod verifiable;
