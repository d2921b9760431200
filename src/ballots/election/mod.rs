//! Elections to the governing body and committees: the election's terms,
//! nominations, the ranked paper and the count. The count itself is single
//! transferable vote (`super::stv`).
//!
//! An election is a ballot of kind `election`: its options are the
//! candidates, its rules name the seats and the count rule, and a paper's
//! option is the voter's ranking (`ranking.rs`), so casting, receipts, the
//! board and the certificate are those of every ballot.
//!
//! Nominations (`model.rs` the rules, `store.rs`, `service.rs`,
//! `routes.rs`) come before the poll, while the election is a draft: its
//! candidates are the list the returning officer publishes from them. An
//! uncontested election is declared without a poll.

pub mod count;
pub mod model;
pub mod ranking;
pub mod routes;
pub mod service;
pub mod store;
