//! Users, roles, passwords, the login throttle and first-run setup.

pub mod email_change;
pub mod email_routes;
pub mod model;
pub mod password;
pub mod routes;
pub mod service;
pub mod sso;
pub mod store;
pub mod subject_access;
pub mod two_factor;
