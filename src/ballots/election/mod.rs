//! Elections to the governing body and committees: the election's terms,
//! nominations, the ranked paper and the count. The count itself is single
//! transferable vote (`super::stv`).
//!
//! An election is a ballot of kind `election`: its options are the
//! candidates, its rules name the seats and the count rule, and a paper's
//! option is the voter's ranking (`ranking.rs`), so casting, receipts, the
//! board and the certificate are those of every ballot. Built so far: the
//! pure rules of nominations (`model.rs`), the ranked paper and the count.
//! The nomination pages and proxies follow.

pub mod count;
pub mod model;
pub mod ranking;
