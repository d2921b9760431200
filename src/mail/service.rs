//! The outbox: messages are rendered and written inside the caller's
//! transaction, so a message exists exactly when the event that caused it
//! does. The worker (`worker.rs`) sends them.

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::Value;

use super::model::{EventKind, MessageState, RetryPolicy};
use super::store::{self, NewOutboxMessage, OutboxMessage};
use super::templates::{MailTemplates, Rendered};
use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};

/// One message to write to the outbox.
pub struct Mail {
    /// Template name under `templates/email/`.
    pub template: &'static str,
    pub to_email: String,
    pub to_name: String,
    /// Who sends it ("Demo Clinical Commissioning Group"), shown in the message.
    pub sender: String,
    /// Why the recipient gets it, shown at the foot of the message.
    pub reason: String,
    pub event: EventKind,
    pub event_id: Option<i32>,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
    pub user_id: Option<i32>,
    /// The template's own fields.
    pub context: Value,
    /// Store the bodies encrypted: they carry a secret (see `seal`).
    pub sealed: bool,
}

/// Rows per multi-row insert: well under both backends' parameter limits.
const INSERT_CHUNK: usize = 500;

/// A message rendered and ready to write.
struct PreparedMessage {
    message_id: String,
    to_email: String,
    to_name: String,
    template: &'static str,
    rendered: Rendered,
    event: EventKind,
    event_id: Option<i32>,
    organisation_id: Option<i32>,
    practice_id: Option<i32>,
    user_id: Option<i32>,
    state: MessageState,
    error: Option<String>,
    now: chrono::NaiveDateTime,
    give_up_at: chrono::NaiveDateTime,
}

impl PreparedMessage {
    fn as_row(&self) -> NewOutboxMessage<'_> {
        NewOutboxMessage {
            message_id: &self.message_id,
            recipient_email: &self.to_email,
            recipient_name: &self.to_name,
            template: self.template,
            subject: &self.rendered.subject,
            body_text: &self.rendered.text,
            body_html: &self.rendered.html,
            event_kind: self.event.as_str(),
            event_id: self.event_id,
            organisation_id: self.organisation_id,
            practice_id: self.practice_id,
            user_id: self.user_id,
            state: self.state.as_str(),
            attempts: 0,
            next_attempt_at: self.now,
            give_up_at: self.give_up_at,
            last_error: self.error.as_deref(),
            created_at: self.now,
            resend_of: None,
        }
    }
}

struct OutboxInner {
    templates: MailTemplates,
    message_id_domain: String,
    retry: RetryPolicy,
    base_url: String,
    operator_name: String,
    sealer: super::seal::Sealer,
}

/// Renders and writes messages; cheap to clone.
#[derive(Clone)]
pub struct Outbox(Arc<OutboxInner>);

impl Outbox {
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let from: lettre::message::Mailbox = settings.mail_from.parse().map_err(|e| format!("mail_from: {e}"))?;
        Ok(Outbox(Arc::new(OutboxInner {
            templates: MailTemplates::load()?,
            message_id_domain: from.email.domain().to_owned(),
            retry: retry_policy(settings),
            base_url: settings.base_url.clone(),
            operator_name: settings.operator_name.clone(),
            sealer: super::seal::Sealer::from_settings(settings)?,
        })))
    }

    /// The public address links in messages start with.
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    /// Who runs this Quorate: the sender of messages no organisation sends.
    pub fn operator_name(&self) -> &str {
        &self.0.operator_name
    }

    /// See `seal::Sealer::paper_seed`.
    pub fn paper_seed(&self, nonce: &[u8; 32]) -> [u8; 32] {
        self.0.sealer.paper_seed(nonce)
    }

    /// A stored body as it will be sent (opening a sealed one).
    pub fn open_body(&self, stored: &str) -> Result<String, String> {
        self.0.sealer.open(stored)
    }

    fn new_message_id(&self) -> String {
        format!("<{}@{}>", crate::token::random_token(18), self.0.message_id_domain)
    }

    /// Writes `mail` as a pending message. Call it inside the transaction
    /// of the event that causes the message. A message whose template fails
    /// is written as failed with the reason, so the event still happens and
    /// the failure shows on the delivery record.
    pub fn enqueue(&self, conn: &mut DbConn, mail: Mail) -> diesel::QueryResult<i32> {
        let prepared = self.prepare(mail, Utc::now().naive_utc());
        prepared.as_row().insert(conn)
    }

    /// Writes many messages (a ballot's notices) with multi-row inserts.
    /// Call it inside the transaction of the event that causes them.
    pub fn enqueue_all(&self, conn: &mut DbConn, mails: Vec<Mail>) -> diesel::QueryResult<usize> {
        let now = Utc::now().naive_utc();
        let prepared: Vec<PreparedMessage> = mails.into_iter().map(|mail| self.prepare(mail, now)).collect();
        let rows: Vec<NewOutboxMessage<'_>> = prepared.iter().map(PreparedMessage::as_row).collect();
        let mut written = 0;
        for chunk in rows.chunks(INSERT_CHUNK) {
            written += store::insert_all(conn, chunk)?;
        }
        Ok(written)
    }

    fn prepare(&self, mail: Mail, now: chrono::NaiveDateTime) -> PreparedMessage {
        let mut context = match mail.context {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        context.insert("recipient_name".into(), Value::String(mail.to_name.clone()));
        context.insert("recipient_email".into(), Value::String(mail.to_email.clone()));
        context.insert("sender".into(), Value::String(mail.sender));
        context.insert("reason".into(), Value::String(mail.reason));
        let (rendered, state, error) = match self.0.templates.render(mail.template, &Value::Object(context)) {
            Ok(rendered) if mail.sealed => (
                Rendered {
                    text: self.0.sealer.seal(&rendered.text),
                    html: self.0.sealer.seal(&rendered.html),
                    subject: rendered.subject,
                },
                MessageState::Pending,
                None,
            ),
            Ok(rendered) => (rendered, MessageState::Pending, None),
            Err(e) => {
                tracing::error!(template = mail.template, error = %e, "email could not be prepared");
                let empty = Rendered {
                    subject: mail.template.to_owned(),
                    text: String::new(),
                    html: String::new(),
                };
                (
                    empty,
                    MessageState::Failed,
                    Some(format!("The message could not be prepared: {e}")),
                )
            }
        };
        PreparedMessage {
            message_id: self.new_message_id(),
            to_email: mail.to_email,
            to_name: mail.to_name,
            template: mail.template,
            rendered,
            event: mail.event,
            event_id: mail.event_id,
            organisation_id: mail.organisation_id,
            practice_id: mail.practice_id,
            user_id: mail.user_id,
            state,
            error,
            now,
            give_up_at: now + self.0.retry.limit,
        }
    }

    /// Sends a message again as a new message (new Message-ID) to `address`,
    /// keeping the old one on the record.
    pub fn resend(&self, conn: &mut DbConn, original: &OutboxMessage, address: &str) -> diesel::QueryResult<i32> {
        let now = Utc::now().naive_utc();
        let message_id = self.new_message_id();
        NewOutboxMessage {
            message_id: &message_id,
            recipient_email: address,
            recipient_name: &original.recipient_name,
            template: &original.template,
            subject: &original.subject,
            body_text: &original.body_text,
            body_html: &original.body_html,
            event_kind: &original.event_kind,
            event_id: original.event_id,
            organisation_id: original.organisation_id,
            practice_id: original.practice_id,
            user_id: original.user_id,
            state: MessageState::Pending.as_str(),
            attempts: 0,
            next_attempt_at: now,
            give_up_at: now + self.0.retry.limit,
            last_error: None,
            created_at: now,
            resend_of: Some(original.id),
        }
        .insert(conn)
    }
}

pub fn retry_policy(settings: &Settings) -> RetryPolicy {
    RetryPolicy {
        base: Duration::seconds(settings.mail_retry_base_seconds.min(86_400) as i64),
        limit: Duration::hours(settings.mail_retry_limit_hours.min(24 * 30) as i64),
    }
}

/// Cancels the messages of an event that have not been sent yet (a
/// cancelled ballot sends nothing more). Call inside the event's transaction.
pub fn cancel_pending(conn: &mut DbConn, event: EventKind, event_id: i32, reason: &str) -> diesel::QueryResult<usize> {
    store::cancel_pending_for_event(conn, event.as_str(), event_id, reason)
}

pub struct DeliveryRecord {
    pub messages: Vec<OutboxMessage>,
    pub counts: DeliveryCounts,
    /// How many messages the filters select, over every page.
    pub total: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryCounts {
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
    pub cancelled: i64,
}

impl DeliveryCounts {
    pub fn from_rows(rows: Vec<(String, i64)>) -> Self {
        let mut counts = DeliveryCounts::default();
        for (state, n) in rows {
            match MessageState::parse(&state) {
                Some(MessageState::Sent) => counts.sent += n,
                Some(MessageState::Pending | MessageState::Sending) => counts.pending += n,
                Some(MessageState::Failed) => counts.failed += n,
                Some(MessageState::Cancelled) => counts.cancelled += n,
                None => {}
            }
        }
        counts
    }
}

/// Messages on one page of the delivery record.
pub const DELIVERY_PAGE_SIZE: i64 = 100;

/// Page `page` (from 1) of the record, with the counts of every message.
pub fn delivery_record(
    pool: &Pool,
    organisation_id: i32,
    state: Option<MessageState>,
    event: Option<(EventKind, i32)>,
    page: i64,
) -> AppResult<DeliveryRecord> {
    let mut conn = pool.get()?;
    let event = event.map(|(kind, id)| (kind.as_str(), id));
    let offset = (page.max(1) - 1).saturating_mul(DELIVERY_PAGE_SIZE);
    let messages = store::page_for_organisation(&mut conn, organisation_id, state, event, DELIVERY_PAGE_SIZE, offset)?;
    let total = store::count_for_organisation(&mut conn, organisation_id, state, event)?;
    let counts = DeliveryCounts::from_rows(store::counts_for_organisation(&mut conn, organisation_id, event)?);
    Ok(DeliveryRecord {
        messages,
        counts,
        total,
    })
}

/// Only the counts of `delivery_record`: for pages that show them.
pub fn delivery_counts(
    pool: &Pool,
    organisation_id: i32,
    event: Option<(EventKind, i32)>,
) -> AppResult<DeliveryCounts> {
    let mut conn = pool.get()?;
    let event = event.map(|(kind, id)| (kind.as_str(), id));
    Ok(DeliveryCounts::from_rows(store::counts_for_organisation(
        &mut conn,
        organisation_id,
        event,
    )?))
}

/// Why a resend was refused, for the audit log and the person who asked.
fn personal_link_refusal(recipient_name: &str) -> String {
    format!(
        "This message carries a personal link (to vote or to set a password), so it goes only to {recipient_name}'s own \
         address. To reach someone else, make them the practice's representative (a new voting link can then be sent \
         to them from the ballot's electorate page); an account's address is changed only by its owner or a system \
         administrator."
    )
}

/// Resends one message of `organisation_id` and returns the new message's
/// id. It goes to the recipient's own address (their account's address as
/// it is now), or to a corrected address given here; a corrected address
/// never changes anyone's account. A message that carries a personal link
/// (sealed: a voting link, a receipt of a secret ballot, a password link)
/// goes only to its recipient's own address, whoever asks. Every attempt,
/// refused ones too, is in the audit log.
pub fn resend(
    pool: &Pool,
    outbox: &Outbox,
    actor: &crate::audit::model::Actor,
    organisation_id: i32,
    message_id: i32,
    new_address: Option<&str>,
) -> AppResult<i32> {
    use crate::accounts::model::EmailAddress;
    use crate::accounts::store::User;
    use crate::audit::service::{Event, record};
    let field = format!("email-{message_id}");
    let new_address = match new_address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(address) => Some(EmailAddress::parse(&field, address).map_err(|e| AppError::Invalid(vec![e]))?),
        None => None,
    };
    enum Outcome {
        Queued(i32),
        Refused(String),
    }
    let mut conn = pool.get()?;
    let outcome = crate::db::write_transaction(&mut conn, |c| {
        let original = store::find(c, message_id)?
            .filter(|m| m.organisation_id == Some(organisation_id))
            .ok_or(AppError::NotFound)?;
        if original.body_text.is_empty() {
            return Err(AppError::invalid(
                &field,
                "This message could not be prepared, so it cannot be sent again",
            ));
        }
        let own_address = match original.user_id {
            Some(id) => User::find(c, id)?.map(|u| u.email),
            None => None,
        }
        .unwrap_or_else(|| original.recipient_email.clone());
        let elsewhere = new_address
            .as_ref()
            .filter(|a| a.normalized() != own_address.to_lowercase());
        let audit = |c: &mut DbConn, action: &'static str, summary: String| {
            record(
                c,
                actor,
                Event {
                    organisation_id: Some(organisation_id),
                    action,
                    object_kind: "message",
                    object_key: &original.message_id,
                    summary,
                },
            )
        };
        if let Some(address) = elsewhere.filter(|_| super::seal::Sealer::is_sealed(&original.body_text)) {
            audit(
                c,
                "message.resend_refused",
                format!(
                    "Refused to send \"{}\" (carries a personal link) to {} instead of {own_address}",
                    original.subject,
                    address.as_str()
                ),
            )?;
            return Ok(Outcome::Refused(personal_link_refusal(&original.recipient_name)));
        }
        let destination = elsewhere.map_or(own_address.as_str(), EmailAddress::as_str);
        let id = outbox.resend(c, &original, destination)?;
        audit(
            c,
            "message.resend",
            format!("\"{}\" sent again to {destination} as message {id}", original.subject),
        )?;
        Ok(Outcome::Queued(id))
    })?;
    match outcome {
        Outcome::Queued(id) => Ok(id),
        Outcome::Refused(reason) => Err(AppError::invalid(&field, reason)),
    }
}
