//! Bounces as kept, and the messages they are about.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{mail_bounces, outbox_messages};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mail_bounces)]
pub struct NewBounce {
    pub received_at: NaiveDateTime,
    pub outbox_id: Option<i32>,
    pub organisation_id: Option<i32>,
    pub severity: String,
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub subject: Option<String>,
    pub raw: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_bounces, check_for_backend(crate::db::MultiBackend))]
pub struct StoredBounce {
    pub id: i32,
    pub received_at: NaiveDateTime,
    pub outbox_id: Option<i32>,
    pub organisation_id: Option<i32>,
    pub severity: String,
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub subject: Option<String>,
    pub raw: String,
    pub read_at: Option<NaiveDateTime>,
    pub read_by: Option<String>,
}

pub fn insert(conn: &mut DbConn, bounce: &NewBounce) -> QueryResult<i32> {
    diesel::insert_into(mail_bounces::table)
        .values(bounce)
        .returning(mail_bounces::id)
        .get_result(conn)
}

/// The message whose Message-ID is `<TAG@…>` (the VERP tag), or exactly
/// `message_id`: (id, organisation).
pub fn message_for(
    conn: &mut DbConn,
    tag: Option<&str>,
    message_id: Option<&str>,
) -> QueryResult<Option<(i32, Option<i32>)>> {
    if let Some(tag) = tag {
        let found = outbox_messages::table
            .filter(outbox_messages::message_id.like(format!("<{tag}@%")))
            .select((outbox_messages::id, outbox_messages::organisation_id))
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    match message_id {
        Some(id) => outbox_messages::table
            .filter(outbox_messages::message_id.eq(id))
            .select((outbox_messages::id, outbox_messages::organisation_id))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// Marks a message the server had accepted as failed after all; 0 when it
/// was not marked sent (still being sent, or already failed).
pub fn mark_bounced(conn: &mut DbConn, outbox_id: i32, reason: &str) -> QueryResult<usize> {
    diesel::update(
        outbox_messages::table
            .filter(outbox_messages::id.eq(outbox_id))
            .filter(outbox_messages::state.eq("sent")),
    )
    .set((
        outbox_messages::state.eq("failed"),
        outbox_messages::last_error.eq(reason),
    ))
    .execute(conn)
}

/// An organisation's bounces, newest first, or (None) those matched to no
/// organisation's message.
pub fn of_organisation(conn: &mut DbConn, organisation_id: Option<i32>, limit: i64) -> QueryResult<Vec<StoredBounce>> {
    let query = mail_bounces::table
        .order(mail_bounces::id.desc())
        .limit(limit)
        .select(StoredBounce::as_select());
    match organisation_id {
        Some(id) => query.filter(mail_bounces::organisation_id.eq(id)).load(conn),
        None => query.filter(mail_bounces::organisation_id.is_null()).load(conn),
    }
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<StoredBounce>> {
    mail_bounces::table
        .find(id)
        .select(StoredBounce::as_select())
        .first(conn)
        .optional()
}

pub fn mark_read(conn: &mut DbConn, id: i32, by: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(mail_bounces::table.find(id).filter(mail_bounces::read_at.is_null()))
        .set((mail_bounces::read_at.eq(now), mail_bounces::read_by.eq(by)))
        .execute(conn)
}
