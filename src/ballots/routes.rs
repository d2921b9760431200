//! Ballot pages.
