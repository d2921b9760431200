//! Committees of an organisation and the register of interests.
//!
//! `model.rs` holds the rules of a committee's meetings without I/O: terms
//! of reference, who votes on an item once declarations are managed, the
//! quorum recomputed per item, and the chair's casting vote. `register/`
//! keeps the register of interests.

pub mod model;
pub mod register;
