//! Elections to the governing body and committees: the election's terms,
//! nominations and the declaration of an uncontested result. The count
//! itself is single transferable vote (`super::stv`).
//!
//! Built so far: the pure rules (`model.rs`). The store, use-cases and
//! pages follow in the same folder shape.

pub mod model;
