//! Outbox queries. Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL so
//! several servers can run workers; SQLite has one writer at a time anyway.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::model::{Disposition, MessageState};
use crate::db::DbConn;
use crate::db::schema::outbox_messages;

#[derive(Insertable)]
#[diesel(table_name = outbox_messages)]
pub struct NewOutboxMessage<'a> {
    pub message_id: &'a str,
    pub recipient_email: &'a str,
    pub recipient_name: &'a str,
    pub template: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub event_kind: &'a str,
    pub event_id: Option<i32>,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
    pub user_id: Option<i32>,
    pub state: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub give_up_at: NaiveDateTime,
    pub last_error: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub resend_of: Option<i32>,
}

impl NewOutboxMessage<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        diesel::insert_into(outbox_messages::table)
            .values(self)
            .returning(outbox_messages::id)
            .get_result(conn)
    }
}

/// One multi-row INSERT (not expressible through `MultiBackend`).
pub fn insert_all(conn: &mut DbConn, rows: &[NewOutboxMessage<'_>]) -> QueryResult<usize> {
    crate::per_backend!(conn, |c| diesel::insert_into(outbox_messages::table)
        .values(rows)
        .execute(c))
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox_messages, check_for_backend(crate::db::MultiBackend))]
pub struct OutboxMessage {
    pub id: i32,
    pub message_id: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub template: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub event_kind: String,
    pub event_id: Option<i32>,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
    pub user_id: Option<i32>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub give_up_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub resend_of: Option<i32>,
}

/// A message claimed for sending: what the worker needs.
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = outbox_messages)]
pub struct Claimed {
    pub id: i32,
    pub message_id: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub give_up_at: NaiveDateTime,
}

const CLAIM_POSTGRES: &str = "UPDATE outbox_messages \
    SET state = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM outbox_messages \
        WHERE (state = 'pending' AND next_attempt_at <= $3) OR (state = 'sending' AND claimed_until < $3) \
        ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
    RETURNING id, message_id, recipient_email, recipient_name, subject, body_text, body_html, attempts, give_up_at";

const CLAIM_SQLITE: &str = "UPDATE outbox_messages \
    SET state = 'sending', claimed_by = ?, claimed_until = ?, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM outbox_messages \
        WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND claimed_until < ?) \
        ORDER BY next_attempt_at, id LIMIT ?) \
    RETURNING id, message_id, recipient_email, recipient_name, subject, body_text, body_html, attempts, give_up_at";

/// Marks up to `limit` due messages (and ones whose sender stopped
/// mid-send) as being sent by `worker` until `lease_until`.
pub fn claim_due(
    conn: &mut DbConn,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i32,
) -> QueryResult<Vec<Claimed>> {
    match conn {
        DbConn::Postgres(c) => diesel::sql_query(CLAIM_POSTGRES)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<Integer, _>(limit)
            .load(c),
        DbConn::Sqlite(c) => diesel::sql_query(CLAIM_SQLITE)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .bind::<Integer, _>(limit)
            .load(c),
    }
}

/// Records how an attempt ended, if the message is still this worker's.
pub fn record(
    conn: &mut DbConn,
    id: i32,
    worker: &str,
    disposition: &Disposition,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mine = outbox_messages::table
        .filter(outbox_messages::id.eq(id))
        .filter(outbox_messages::state.eq(MessageState::Sending.as_str()))
        .filter(outbox_messages::claimed_by.eq(worker));
    let released = (
        outbox_messages::claimed_by.eq(None::<String>),
        outbox_messages::claimed_until.eq(None::<NaiveDateTime>),
    );
    match disposition {
        Disposition::Sent => diesel::update(mine)
            .set((
                outbox_messages::state.eq(MessageState::Sent.as_str()),
                outbox_messages::sent_at.eq(Some(now)),
                outbox_messages::last_error.eq(None::<String>),
                released,
            ))
            .execute(conn),
        Disposition::RetryAt { at, reason } => diesel::update(mine)
            .set((
                outbox_messages::state.eq(MessageState::Pending.as_str()),
                outbox_messages::next_attempt_at.eq(*at),
                outbox_messages::last_error.eq(Some(reason.as_str())),
                released,
            ))
            .execute(conn),
        Disposition::Failed { reason } => diesel::update(mine)
            .set((
                outbox_messages::state.eq(MessageState::Failed.as_str()),
                outbox_messages::last_error.eq(Some(reason.as_str())),
                released,
            ))
            .execute(conn),
    }
}

/// Stops every message of an event that has not started sending.
pub fn cancel_pending_for_event(conn: &mut DbConn, kind: &str, event_id: i32, reason: &str) -> QueryResult<usize> {
    diesel::update(
        outbox_messages::table
            .filter(outbox_messages::event_kind.eq(kind))
            .filter(outbox_messages::event_id.eq(event_id))
            .filter(outbox_messages::state.eq(MessageState::Pending.as_str())),
    )
    .set((
        outbox_messages::state.eq(MessageState::Cancelled.as_str()),
        outbox_messages::last_error.eq(Some(reason)),
    ))
    .execute(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<OutboxMessage>> {
    outbox_messages::table
        .find(id)
        .select(OutboxMessage::as_select())
        .first(conn)
        .optional()
}

/// The newest message of one template for one event and practice (a
/// practice's receipt, say, or the copy sent again).
pub fn latest_for_practice(
    conn: &mut DbConn,
    event: (&str, i32),
    template: &str,
    practice_id: i32,
) -> QueryResult<Option<OutboxMessage>> {
    outbox_messages::table
        .filter(outbox_messages::event_kind.eq(event.0))
        .filter(outbox_messages::event_id.eq(event.1))
        .filter(outbox_messages::template.eq(template))
        .filter(outbox_messages::practice_id.eq(practice_id))
        .order((outbox_messages::created_at.desc(), outbox_messages::id.desc()))
        .select(OutboxMessage::as_select())
        .first(conn)
        .optional()
}

/// Messages for an organisation's delivery record, newest first.
pub fn for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    state: Option<MessageState>,
    event: Option<(&str, i32)>,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    page_for_organisation(conn, organisation_id, state, event, limit, 0)
}

/// `limit` of the record's messages after the first `offset`.
pub fn page_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    state: Option<MessageState>,
    event: Option<(&str, i32)>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    record_query(organisation_id, state, event)
        .order((outbox_messages::created_at.desc(), outbox_messages::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(OutboxMessage::as_select())
        .load(conn)
}

/// How many messages `for_organisation` pages through.
pub fn count_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    state: Option<MessageState>,
    event: Option<(&str, i32)>,
) -> QueryResult<i64> {
    record_query(organisation_id, state, event).count().get_result(conn)
}

fn record_query<'a>(
    organisation_id: i32,
    state: Option<MessageState>,
    event: Option<(&'a str, i32)>,
) -> outbox_messages::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut query = outbox_messages::table
        .filter(outbox_messages::organisation_id.eq(organisation_id))
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(outbox_messages::state.eq(state.as_str()));
    }
    if let Some((kind, id)) = event {
        query = query
            .filter(outbox_messages::event_kind.eq(kind))
            .filter(outbox_messages::event_id.eq(id));
    }
    query
}

pub fn counts_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    event: Option<(&str, i32)>,
) -> QueryResult<Vec<(String, i64)>> {
    let organisation = outbox_messages::table.filter(outbox_messages::organisation_id.eq(organisation_id));
    let count = (outbox_messages::state, diesel::dsl::count_star());
    match event {
        Some((kind, id)) => organisation
            .filter(outbox_messages::event_kind.eq(kind))
            .filter(outbox_messages::event_id.eq(id))
            .group_by(outbox_messages::state)
            .select(count)
            .load(conn),
        None => organisation.group_by(outbox_messages::state).select(count).load(conn),
    }
}

/// Messages of one template for one event, by state (a ballot's notices).
pub fn counts_for_template(conn: &mut DbConn, event: (&str, i32), template: &str) -> QueryResult<Vec<(String, i64)>> {
    outbox_messages::table
        .filter(outbox_messages::event_kind.eq(event.0))
        .filter(outbox_messages::event_id.eq(event.1))
        .filter(outbox_messages::template.eq(template))
        .group_by(outbox_messages::state)
        .select((outbox_messages::state, diesel::dsl::count_star()))
        .load(conn)
}

/// Messages of one template for one event delivered by `at`.
pub fn delivered_by(conn: &mut DbConn, event: (&str, i32), template: &str, at: NaiveDateTime) -> QueryResult<i64> {
    outbox_messages::table
        .filter(outbox_messages::event_kind.eq(event.0))
        .filter(outbox_messages::event_id.eq(event.1))
        .filter(outbox_messages::template.eq(template))
        .filter(outbox_messages::state.eq("sent"))
        .filter(outbox_messages::sent_at.le(at))
        .count()
        .get_result(conn)
}

pub fn count_in_state(conn: &mut DbConn, state: MessageState) -> QueryResult<i64> {
    outbox_messages::table
        .filter(outbox_messages::state.eq(state.as_str()))
        .count()
        .get_result(conn)
}

/// Messages due now or later that a worker could still send.
pub fn count_unfinished(conn: &mut DbConn) -> QueryResult<i64> {
    outbox_messages::table
        .filter(outbox_messages::state.eq_any([MessageState::Pending.as_str(), MessageState::Sending.as_str()]))
        .count()
        .get_result(conn)
}

/// For each of `users` whose latest message to their current address
/// failed: why. (A bouncing or unusable address, shown on the register.)
pub fn failing_addresses(
    conn: &mut DbConn,
    users: &[(i32, String)],
) -> QueryResult<std::collections::HashMap<i32, String>> {
    let ids: Vec<i32> = users.iter().map(|(id, _)| *id).collect();
    let rows: Vec<(Option<i32>, String, String, Option<String>)> = outbox_messages::table
        .filter(outbox_messages::user_id.eq_any(ids))
        .filter(outbox_messages::state.eq_any(["sent", "failed"]))
        .order(outbox_messages::id.desc())
        .select((
            outbox_messages::user_id,
            outbox_messages::recipient_email,
            outbox_messages::state,
            outbox_messages::last_error,
        ))
        .load(conn)?;
    let mut latest = std::collections::HashMap::new();
    for (user_id, address, state, error) in rows {
        let Some(user_id) = user_id else { continue };
        let current = users
            .iter()
            .any(|(id, email)| *id == user_id && email.eq_ignore_ascii_case(&address));
        if current {
            latest.entry(user_id).or_insert((state, error));
        }
    }
    Ok(latest
        .into_iter()
        .filter(|(_, (state, _))| state == "failed")
        .map(|(user_id, (_, error))| {
            (
                user_id,
                error.unwrap_or_else(|| "the message could not be delivered".into()),
            )
        })
        .collect())
}
