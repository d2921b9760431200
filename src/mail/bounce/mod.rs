//! Bounces that come back after the mail server accepted a message: read
//! from standard input (an MTA's pipe transport) by `quorate mail bounce`,
//! matched to the message by its VERP return path (or the returned
//! headers), a hard bounce marking it failed with the remote reason.

pub mod imap;
pub mod model;
pub mod service;
pub mod store;
