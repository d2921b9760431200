//! The outbox's states and the retry rule, without I/O.

use chrono::{Duration, NaiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    Pending,
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl MessageState {
    pub const ALL: [MessageState; 5] = [
        MessageState::Pending,
        MessageState::Sending,
        MessageState::Sent,
        MessageState::Failed,
        MessageState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Sending => "sending",
            MessageState::Sent => "sent",
            MessageState::Failed => "failed",
            MessageState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Sentence-case label for pages.
    pub fn label(self) -> &'static str {
        match self {
            MessageState::Pending => "Waiting to send",
            MessageState::Sending => "Sending",
            MessageState::Sent => "Sent",
            MessageState::Failed => "Failed",
            MessageState::Cancelled => "Cancelled",
        }
    }

    /// NHS tag colour, the same for the same state everywhere.
    pub fn tag_colour(self) -> &'static str {
        match self {
            MessageState::Pending | MessageState::Sending => "blue",
            MessageState::Sent => "green",
            MessageState::Failed => "red",
            MessageState::Cancelled => "grey",
        }
    }
}

/// What a message belongs to, for the delivery record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Account,
    Organisation,
    Practice,
    Ballot,
    Consultation,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Account => "account",
            EventKind::Organisation => "organisation",
            EventKind::Practice => "practice",
            EventKind::Ballot => "ballot",
            EventKind::Consultation => "consultation",
        }
    }
}

/// How one attempt to send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Worth trying again: no connection, a timeout, a 4xx reply.
    Transient(String),
    /// Never going to work: a 5xx reply, an address that cannot be used.
    Permanent(String),
}

/// What to record after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Sent,
    RetryAt { at: NaiveDateTime, reason: String },
    Failed { reason: String },
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    /// How long after a message was written we stop trying.
    pub limit: Duration,
}

/// The longest single wait between attempts.
const MAX_DELAY: Duration = Duration::hours(2);

impl RetryPolicy {
    /// base · 2^(attempts−1), capped, then spread by ±20 % (`jitter` in
    /// [0, 1)) so a server that comes back is not hit by every message at once.
    pub fn delay(&self, attempts: i32, jitter: f64) -> Duration {
        let exponent = attempts.clamp(1, 20) - 1;
        let raw_ms = self.base.num_milliseconds().saturating_mul(1_i64 << exponent);
        let capped = raw_ms.min(MAX_DELAY.num_milliseconds()).max(0);
        let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
        Duration::milliseconds((capped as f64 * factor) as i64)
    }

    pub fn dispose(
        &self,
        outcome: Outcome,
        attempts: i32,
        now: NaiveDateTime,
        give_up_at: NaiveDateTime,
        jitter: f64,
    ) -> Disposition {
        match outcome {
            Outcome::Sent => Disposition::Sent,
            Outcome::Permanent(reason) => Disposition::Failed { reason },
            Outcome::Transient(reason) => {
                let at = now + self.delay(attempts, jitter);
                if at > give_up_at {
                    Disposition::Failed {
                        reason: format!("Gave up after {attempts} attempts. Last error: {reason}"),
                    }
                } else {
                    Disposition::RetryAt { at, reason }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .expect("time")
            .naive_utc()
    }

    #[test]
    fn states_round_trip() {
        for state in MessageState::ALL {
            assert_eq!(MessageState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn delays_double_and_are_capped() {
        let policy = RetryPolicy {
            base: Duration::seconds(60),
            limit: Duration::hours(24),
        };
        assert_eq!(policy.delay(1, 0.5), Duration::seconds(60));
        assert_eq!(policy.delay(2, 0.5), Duration::seconds(120));
        assert_eq!(policy.delay(4, 0.5), Duration::seconds(480));
        assert_eq!(policy.delay(30, 0.5), MAX_DELAY);
        assert_eq!(policy.delay(1, 0.0), Duration::seconds(48));
        assert!(policy.delay(1, 0.999) < Duration::seconds(73));
    }

    #[test]
    fn outcomes_become_dispositions() {
        let policy = RetryPolicy {
            base: Duration::seconds(60),
            limit: Duration::hours(24),
        };
        let give_up = at(24 * 3600);
        assert_eq!(policy.dispose(Outcome::Sent, 1, at(0), give_up, 0.5), Disposition::Sent);
        assert_eq!(
            policy.dispose(Outcome::Permanent("550 no such user".into()), 1, at(0), give_up, 0.5),
            Disposition::Failed {
                reason: "550 no such user".into()
            }
        );
        assert_eq!(
            policy.dispose(Outcome::Transient("refused".into()), 1, at(0), give_up, 0.5),
            Disposition::RetryAt {
                at: at(60),
                reason: "refused".into()
            }
        );
        match policy.dispose(
            Outcome::Transient("refused".into()),
            12,
            at(24 * 3600 - 10),
            give_up,
            0.5,
        ) {
            Disposition::Failed { reason } => assert!(reason.starts_with("Gave up after 12 attempts"), "{reason}"),
            other => panic!("expected failure, got {other:?}"),
        }
    }
}
