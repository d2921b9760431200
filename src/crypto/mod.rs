//! Quorate's ballot cryptography: pure functions of their inputs, with no I/O, clock or database, so the
//! server and an offline verifier run exactly the same code.
//!
//! The scheme follows Helios (Adida, USENIX Security 2008) and Belenios (Cortier, Gaudry, Glondu,
//! "Belenios: a simple private and verifiable electronic voting system", 2019; specification v2.x) in
//! its choice of proofs, and ElectionGuard (specification 2.0, 2023) in its key ceremony, over the
//! prime-order group ristretto255 instead of a large prime field.
//!
//! - `group`: points, scalars, hex encodings, randomness sources, Fiat–Shamir hashing
//! - `elgamal`: exponential ElGamal and bounded discrete logarithms
//! - `proofs`: Schnorr, Chaum–Pedersen (DLEQ) and disjunctive 0-or-1 proofs
//! - `election`: the election key and the ballot fingerprint
//! - `trustees`: threshold key generation with verifiable, encrypted shares
//! - `paper`: encrypted papers, their proofs, openings, trackers and batch verification
//! - `tally`: weighted aggregates per option and group, threshold decryption

mod batch;
mod decryption;
mod dlog;
pub mod election;
pub mod elgamal;
mod error;
pub mod group;
pub mod paper;
pub mod prepared;
pub mod proofs;
mod random;
mod shares;
pub mod tally;
pub mod trustees;

#[cfg(test)]
mod tests;

pub use error::{CryptoError, ShareFault};
