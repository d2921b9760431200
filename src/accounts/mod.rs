//! Users, roles, passwords, the login throttle and first-run setup.

pub mod model;
pub mod password;
pub mod routes;
pub mod service;
pub mod store;
