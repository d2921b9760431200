//! A practice's vote already recorded: when it was, and the receipt that
//! was emailed, which its voter can have sent again to the representative's
//! own address. A voter whose answer never arrived (a dropped connection, a
//! server restarted after the vote was saved) tries again, is told the vote
//! stands, and can still get the receipt.

use chrono::{Duration, NaiveDateTime, Utc};

use super::casting::{self, Credential};
use crate::audit::service::{Event, record};
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::mail::model::{EventKind, MessageState};
use crate::mail::service::Outbox;
use crate::mail::store::OutboxMessage;

/// How long after sending a receipt again the next request is refused, so
/// a link cannot be used to flood a representative's mailbox.
pub const RESEND_INTERVAL_MINUTES: i64 = 10;

const RECEIPT_TEMPLATE: &str = "ballot_receipt";

/// What a voter may know of the vote their practice already cast.
#[derive(Debug, Clone)]
pub struct RecordedVote {
    pub ballot_id: i32,
    pub ballot_title: String,
    pub practice_name: String,
    pub voted_at: NaiveDateTime,
    pub receipt: Option<ReceiptEmail>,
}

/// The newest email of a practice's receipt.
#[derive(Debug, Clone)]
pub struct ReceiptEmail {
    pub to_name: String,
    pub queued_at: NaiveDateTime,
    pub state: MessageState,
    pub sent_again: bool,
    /// Before this time the receipt cannot be sent again.
    pub next_resend_at: Option<NaiveDateTime>,
}

impl ReceiptEmail {
    fn of(message: &OutboxMessage) -> ReceiptEmail {
        let sent_again = message.resend_of.is_some();
        ReceiptEmail {
            to_name: message.recipient_name.clone(),
            queued_at: message.created_at,
            state: MessageState::parse(&message.state).unwrap_or(MessageState::Pending),
            sent_again,
            next_resend_at: sent_again.then(|| message.created_at + Duration::minutes(RESEND_INTERVAL_MINUTES)),
        }
    }

    pub fn may_resend(&self, now: NaiveDateTime) -> bool {
        self.next_resend_at.is_none_or(|at| now >= at)
    }
}

/// The practice's recorded vote, if the credential's practice has voted.
pub fn recorded_vote(
    pool: &Pool,
    credential: &Credential,
    ballot_id: Option<i32>,
    practice: Option<&str>,
) -> AppResult<Option<RecordedVote>> {
    let resolved = casting::resolve(pool, credential, ballot_id, practice)?;
    let (ballot, practice) = (resolved.loaded.ballot.id, resolved.practice.id);
    let mut conn = pool.get()?;
    let Some((voted_at, _)) = super::store::vote_of(&mut conn, ballot, practice)? else {
        return Ok(None);
    };
    let receipt = crate::mail::store::latest_for_practice(
        &mut conn,
        (EventKind::Ballot.as_str(), ballot),
        RECEIPT_TEMPLATE,
        practice,
    )?;
    Ok(Some(RecordedVote {
        ballot_id: ballot,
        ballot_title: resolved.loaded.ballot.title.clone(),
        practice_name: resolved.practice.name.clone(),
        voted_at,
        receipt: receipt.as_ref().map(ReceiptEmail::of),
    }))
}

/// Sends the practice's receipt again, to the account address (as it is
/// now) of the representative it was made for: never anywhere else, so
/// holding a link does not let anyone redirect it. Audited.
pub fn resend_receipt(
    pool: &Pool,
    outbox: &Outbox,
    credential: &Credential,
    ballot_id: Option<i32>,
    practice: Option<&str>,
) -> AppResult<ReceiptEmail> {
    use crate::accounts::store::User;
    let resolved = casting::resolve(pool, credential, ballot_id, practice)?;
    let (ballot, practice) = (&resolved.loaded, &resolved.practice);
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        crate::db::lock_row(c, crate::db::Locked::Practice(practice.id))?;
        if super::store::vote_of(c, ballot.ballot.id, practice.id)?.is_none() {
            return Err(AppError::Conflict(format!(
                "{} has not voted in this ballot, so there is no receipt to send.",
                practice.name
            )));
        }
        let original = crate::mail::store::latest_for_practice(
            c,
            (EventKind::Ballot.as_str(), ballot.ballot.id),
            RECEIPT_TEMPLATE,
            practice.id,
        )?
        .filter(|m| !m.body_text.is_empty())
        .ok_or_else(|| {
            AppError::Conflict(
                "No receipt email was made for this vote (it was cast without a representative's account), so none can be sent again."
                    .into(),
            )
        })?;
        let now = Utc::now().naive_utc();
        let latest = ReceiptEmail::of(&original);
        if let Some(at) = latest.next_resend_at.filter(|_| !latest.may_resend(now)) {
            return Err(AppError::Conflict(format!(
                "The receipt was sent again at {}. You can ask again after {}.",
                crate::time::clock(latest.queued_at),
                crate::time::clock(at)
            )));
        }
        let own_address = match original.user_id {
            Some(id) => User::find(c, id)?.map(|u| u.email),
            None => None,
        }
        .unwrap_or_else(|| original.recipient_email.clone());
        let id = outbox.resend(c, &original, &own_address)?;
        record(
            c,
            &casting::actor_of(resolved.voter.as_ref(), &practice.ods_code),
            Event {
                organisation_id: Some(ballot.organisation.id),
                action: "ballot.receipt_resent",
                object_kind: "ballot",
                object_key: &ballot.ballot.id.to_string(),
                summary: format!(
                    "The receipt of {} ({}) sent again to {}'s own address as message {id}",
                    practice.name, practice.ods_code, original.recipient_name
                ),
            },
        )?;
        let queued = crate::mail::store::find(c, id)?.ok_or(AppError::NotFound)?;
        Ok(ReceiptEmail::of(&queued))
    })
}
