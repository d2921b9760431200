//! Formal ballots of member practices. So far: the counting rules.

pub mod model;
pub mod rules;
