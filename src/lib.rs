//! Quorate: the register, consultations, formal ballots and certified
//! results of a membership organisation of GP practices.

pub mod accounts;
pub mod audit;
pub mod ballots;
pub mod calendar;
pub mod certify;
pub mod cli;
pub mod committee;
pub mod config;
pub mod consult;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod format;
pub mod home;
pub mod mail;
pub mod registry;
pub mod retention;
pub mod site_path;
pub mod time;
pub mod token;
pub mod web;
