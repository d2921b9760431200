//! Recording a bounce: kept whatever it is; a hard bounce of a message we
//! sent marks it failed with the remote server's reason, which the
//! delivery record, the practice's "Email failing" mark and the LMC's
//! checklist then show.

use chrono::Utc;

use super::model::{self, Severity};
use super::store::{self, NewBounce};
use crate::audit::model::Actor;
use crate::audit::service::{Event, record};
use crate::db::Pool;
use crate::error::AppResult;

/// The most of a bounce kept (the rest of a returned attachment is not needed).
pub const KEPT_BYTES: usize = 256 * 1024;

/// What recording a bounce did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i32,
    pub severity: Severity,
    /// The outbox message it is about, when it could be matched.
    pub message: Option<i32>,
    /// Whether that message was marked failed by it.
    pub marked_failed: bool,
    pub recipient: Option<String>,
    pub diagnostic: Option<String>,
}

pub fn record_bounce(
    pool: &Pool,
    raw: &[u8],
    bounce_address: Option<&str>,
    recipient: Option<&str>,
) -> AppResult<Recorded> {
    let bounce = model::read(raw, bounce_address, recipient);
    let kept = String::from_utf8_lossy(&raw[..raw.len().min(KEPT_BYTES)]).into_owned();
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let matched = store::message_for(c, bounce.verp_tag.as_deref(), bounce.original_message_id.as_deref())?;
        let now = Utc::now().naive_utc();
        let id = store::insert(
            c,
            &NewBounce {
                received_at: now,
                outbox_id: matched.map(|(id, _)| id),
                organisation_id: matched.and_then(|(_, organisation)| organisation),
                severity: bounce.severity.as_str().to_owned(),
                recipient: bounce.recipient.clone(),
                status: bounce.status.clone(),
                diagnostic: bounce.diagnostic.clone(),
                subject: bounce.subject.clone(),
                raw: kept,
            },
        )?;
        let reason = reason_words(&bounce);
        let marked_failed = match (bounce.severity, matched) {
            (Severity::Hard, Some((message, _))) => store::mark_bounced(c, message, &reason)? == 1,
            _ => false,
        };
        record(
            c,
            &Actor {
                user_id: None,
                label: "bounce reader".into(),
            },
            Event {
                organisation_id: matched.and_then(|(_, organisation)| organisation),
                action: "mail.bounce",
                object_kind: "mail_bounce",
                object_key: &id.to_string(),
                summary: format!(
                    "{} bounce{}{}: {reason}{}",
                    bounce.severity.label(),
                    bounce
                        .recipient
                        .as_deref()
                        .map(|r| format!(" from {r}"))
                        .unwrap_or_default(),
                    matched
                        .map(|(m, _)| format!(" about message {m}"))
                        .unwrap_or_else(|| ", matched to no message".into()),
                    if marked_failed {
                        "; the message is marked failed"
                    } else {
                        ""
                    }
                ),
            },
        )?;
        Ok(Recorded {
            id,
            severity: bounce.severity,
            message: matched.map(|(m, _)| m),
            marked_failed,
            recipient: bounce.recipient.clone(),
            diagnostic: bounce.diagnostic.clone(),
        })
    })
}

/// "bounced after sending: 550 5.1.1 … (5.1.1)".
fn reason_words(bounce: &model::Bounce) -> String {
    let said = match (&bounce.diagnostic, &bounce.status) {
        (Some(d), Some(s)) if !d.contains(s.as_str()) => format!("{d} ({s})"),
        (Some(d), _) => d.clone(),
        (None, Some(s)) => format!("status {s}"),
        (None, None) => "no reason given".into(),
    };
    format!("bounced after sending: the remote server said {said}")
}
