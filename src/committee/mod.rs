//! Committees of an organisation, their meetings, and the register of
//! interests.
//!
//! `model.rs` holds the rules of a committee's meetings without I/O: terms
//! of reference, who votes on an item once declarations are managed, the
//! quorum recomputed per item, and the chair's casting vote. `store.rs`
//! keeps committees, members, meetings, agenda items, declarations and
//! votes; `service.rs` holds the use-cases; `routes.rs` the pages;
//! `ics.rs` a meeting's calendar file. `register/` keeps the register of
//! interests.

pub mod api;
pub mod ics;
pub mod model;
pub mod register;
pub mod routes;
pub mod service;
pub mod store;
