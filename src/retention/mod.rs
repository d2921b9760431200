//! Retention: what is kept how long, and the purge that removes the rest
//! (voting links, emails' sealed text and addresses, bounce reports,
//! sign-in records), recording what it removed, signed by each
//! organisation's key. Boards, results, certificates and the audit log are
//! kept, so certificates stay verifiable.

pub mod model;
pub mod service;
pub mod store;
