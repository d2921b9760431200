//! Audit entries and the hash chain, without I/O.

use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash the first entry is chained to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: a user, or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    /// "Jane Smith <jane@example.org>" or "command line".
    pub label: String,
}

impl Actor {
    pub fn command_line() -> Self {
        Actor {
            user_id: None,
            label: "command line".into(),
        }
    }

    pub fn user(user_id: i32, name: &str, email: &str) -> Self {
        Actor {
            user_id: Some(user_id),
            label: format!("{name} <{email}>"),
        }
    }
}

/// One entry, in the field order that its canonical form uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub actor: String,
    pub organisation_id: Option<i32>,
    pub action: String,
    pub object_kind: String,
    pub object_key: String,
    pub summary: String,
}

impl Entry {
    /// The bytes that are hashed: JSON with a fixed field order and the
    /// time in whole microseconds, identical on both databases.
    pub fn canonical(&self) -> String {
        let at = self.at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        serde_json::json!([
            at,
            self.actor_user_id,
            self.actor,
            self.organisation_id,
            self.action,
            self.object_kind,
            self.object_key,
            self.summary,
        ])
        .to_string()
    }

    pub fn chained_hash(&self, previous_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(previous_hash.as_bytes());
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// An entry as stored, with its link in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i32,
    pub entry: Entry,
    pub previous_hash: String,
    pub hash: String,
}

/// The id of the first stored entry that breaks the chain, if any.
pub fn first_break(entries: &[Stored]) -> Option<i32> {
    let mut expected_previous = GENESIS_HASH.to_owned();
    for stored in entries {
        if stored.previous_hash != expected_previous || stored.entry.chained_hash(&stored.previous_hash) != stored.hash
        {
            return Some(stored.id);
        }
        expected_previous = stored.hash.clone();
    }
    None
}

/// Truncates to whole microseconds, the precision both databases keep.
pub fn to_micros(at: NaiveDateTime) -> NaiveDateTime {
    let micros = at.and_utc().timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros).map_or(at, |t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i32) -> Entry {
        Entry {
            at: chrono::DateTime::from_timestamp(1_800_000_000 + i64::from(n), 0)
                .expect("time")
                .naive_utc(),
            actor_user_id: Some(1),
            actor: "Jane <jane@example.org>".into(),
            organisation_id: Some(2),
            action: "practice.update".into(),
            object_kind: "practice".into(),
            object_key: format!("F8401{n}"),
            summary: "name: A → B".into(),
        }
    }

    fn chain(n: i32) -> Vec<Stored> {
        let mut previous = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|id| {
                let entry = entry(id);
                let hash = entry.chained_hash(&previous);
                let stored = Stored {
                    id,
                    entry,
                    previous_hash: previous.clone(),
                    hash: hash.clone(),
                };
                previous = hash;
                stored
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(first_break(&chain(5)), None);
    }

    #[test]
    fn edits_deletions_and_reordering_are_found() {
        let mut edited = chain(5);
        edited[2].entry.summary = "name: A → C".into();
        assert_eq!(first_break(&edited), Some(3));

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(first_break(&deleted), Some(3));

        let mut reordered = chain(5);
        reordered.swap(1, 2);
        assert_eq!(first_break(&reordered), Some(3));
    }
}
