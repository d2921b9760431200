//! The retention policy and the purge record (pure).

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

pub const PURGE_FORMAT: &str = "quorate-purge-1";

/// Days each kind of data is kept (from the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub voting_links_days: u32,
    pub messages_days: u32,
    pub sign_in_records_days: u32,
}

impl Policy {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Policy {
            voting_links_days: settings.retain_voting_links_days,
            messages_days: settings.retain_messages_days,
            sign_in_records_days: settings.retain_sign_in_records_days,
        }
    }

    /// What ended before these times is past its time at `now`.
    pub fn cutoffs(&self, now: NaiveDateTime) -> Cutoffs {
        let before = |days: u32| now - Duration::days(i64::from(days));
        Cutoffs {
            voting_links: before(self.voting_links_days),
            messages: before(self.messages_days),
            sign_in_records: before(self.sign_in_records_days),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    pub voting_links: NaiveDateTime,
    pub messages: NaiveDateTime,
    pub sign_in_records: NaiveDateTime,
}

/// How many of each were removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    pub voting_links: u64,
    pub messages: u64,
    pub bounce_reports: u64,
    pub sign_in_records: u64,
    /// Register of interests entries six years past their end (records
    /// made before this was purged have none).
    #[serde(default)]
    pub interests: u64,
}

impl Removed {
    pub fn is_empty(&self) -> bool {
        *self == Removed::default()
    }

    /// "12 voting links, 40 emails", for the audit log.
    pub fn in_words(&self) -> String {
        let parts: Vec<String> = [
            (self.voting_links, "voting link", "voting links"),
            (self.messages, "email", "emails"),
            (self.bounce_reports, "bounce report", "bounce reports"),
            (self.sign_in_records, "sign-in record", "sign-in records"),
            (self.interests, "declaration of interest", "declarations of interest"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| crate::format::plural(usize::try_from(n).unwrap_or(usize::MAX), one, many))
        .collect();
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

/// What one purge removed for one organisation (or, with no organisation,
/// the sign-in records): the text that is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeRecord {
    pub format: String,
    /// The organisation's code; none for sign-in records.
    pub organisation: Option<String>,
    /// RFC 3339, UTC.
    pub purged_at: String,
    pub policy: Policy,
    pub removed: Removed,
    /// Ballots whose voting links were removed.
    pub ballots: Vec<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs_count_back_from_now() {
        let now = chrono::NaiveDate::from_ymd_opt(2027, 6, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("time");
        let policy = Policy {
            voting_links_days: 30,
            messages_days: 365,
            sign_in_records_days: 0,
        };
        let cutoffs = policy.cutoffs(now);
        assert_eq!(cutoffs.voting_links, now - Duration::days(30));
        assert_eq!(cutoffs.messages.date().to_string(), "2026-06-01");
        assert_eq!(cutoffs.sign_in_records, now);
    }

    #[test]
    fn what_was_removed_is_said_in_words() {
        assert_eq!(Removed::default().in_words(), "nothing");
        let removed = Removed {
            voting_links: 1,
            messages: 2_000,
            bounce_reports: 0,
            sign_in_records: 0,
            interests: 3,
        };
        assert_eq!(
            removed.in_words(),
            "1 voting link, 2,000 emails, 3 declarations of interest"
        );
    }
}
