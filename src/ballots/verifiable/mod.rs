//! Verifiable secret ballots: encrypted papers, trustees who hold the
//! election key between them, and a weighted count decrypted only in
//! aggregate, which anyone can check from the board (`quorate verify`).

pub mod casting;
pub mod ceremony;
pub mod cli;
pub mod model;
pub mod routes;
pub mod store;
pub mod tally;
