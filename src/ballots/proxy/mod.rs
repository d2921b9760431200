//! Proxy votes: a member practice appoints another member's representative
//! or the chair to vote for it, with or without a direction; the proxy
//! accepts; the practice may revoke until the proxy votes.
//!
//! The rules are pure (`model.rs`); the instruments are kept in `store.rs`;
//! `service.rs` appoints, accepts and revokes; casting by proxy is
//! casting's, which checks the instrument when the vote is written.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
