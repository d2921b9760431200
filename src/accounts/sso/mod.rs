//! Single sign-on with OpenID Connect providers (NHSmail, CIS2, any other).

pub mod client;
pub mod joining;
pub mod joining_routes;
pub mod linking;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
