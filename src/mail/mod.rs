//! Email: the outbox (messages written with the events that cause them),
//! templates, transports (SMTP or .eml files) and the delivery worker.

pub mod bounce;
pub mod model;
pub mod routes;
pub mod seal;
pub mod service;
pub mod store;
pub mod templates;
pub mod transport;
pub mod worker;
