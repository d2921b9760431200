//! Proxy votes: a member practice appoints another member's representative
//! or the chair to vote for it, with or without a direction; the proxy
//! accepts; the practice may revoke until the proxy votes.
//!
//! Built so far: the pure rules (`model.rs`). The instruments' store, the
//! proxy form, acceptance and casting by proxy follow in the same shape.

pub mod model;
