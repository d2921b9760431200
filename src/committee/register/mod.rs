//! The register of interests: the people an organisation keeps it for,
//! their declarations, and the public register of decision-makers'
//! interests (page and CSV).
//!
//! The rules are pure (`model.rs`); `store.rs` keeps people and
//! declarations; `service.rs` adds, records and reads them; `routes.rs`
//! serves the pages.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
