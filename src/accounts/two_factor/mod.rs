//! Two-factor sign-in with one-time codes from an authenticator app.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
