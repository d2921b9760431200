//! Audit log queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Entry, Stored};
use crate::db::DbConn;
use crate::db::schema::audit_log;

pub fn last_hash(conn: &mut DbConn) -> QueryResult<Option<String>> {
    audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first(conn)
        .optional()
}

/// An entry with its place in the chain.
pub struct Chained {
    pub entry: Entry,
    pub previous_hash: String,
    pub hash: String,
}

/// Appends entries in order (ids follow the order of the rows).
pub fn insert_all(conn: &mut DbConn, entries: &[Chained]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in entries.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|c| {
                (
                    audit_log::at.eq(c.entry.at),
                    audit_log::actor_user_id.eq(c.entry.actor_user_id),
                    audit_log::actor.eq(&c.entry.actor),
                    audit_log::organisation_id.eq(c.entry.organisation_id),
                    audit_log::action.eq(&c.entry.action),
                    audit_log::object_kind.eq(&c.entry.object_kind),
                    audit_log::object_key.eq(&c.entry.object_key),
                    audit_log::summary.eq(&c.entry.summary),
                    audit_log::previous_hash.eq(&c.previous_hash),
                    audit_log::hash.eq(&c.hash),
                )
            })
            .collect();
        written += crate::per_backend!(conn, |c| diesel::insert_into(audit_log::table).values(&rows).execute(c))?;
    }
    Ok(written)
}

type Row = (
    i32,
    NaiveDateTime,
    Option<i32>,
    String,
    Option<i32>,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn stored(row: Row) -> Stored {
    let (id, at, actor_user_id, actor, organisation_id, action, object_kind, object_key, summary, previous_hash, hash) =
        row;
    Stored {
        id,
        entry: Entry {
            at,
            actor_user_id,
            actor,
            organisation_id,
            action,
            object_kind,
            object_key,
            summary,
        },
        previous_hash,
        hash,
    }
}

type Columns = (
    audit_log::id,
    audit_log::at,
    audit_log::actor_user_id,
    audit_log::actor,
    audit_log::organisation_id,
    audit_log::action,
    audit_log::object_kind,
    audit_log::object_key,
    audit_log::summary,
    audit_log::previous_hash,
    audit_log::hash,
);

const COLUMNS: Columns = (
    audit_log::id,
    audit_log::at,
    audit_log::actor_user_id,
    audit_log::actor,
    audit_log::organisation_id,
    audit_log::action,
    audit_log::object_kind,
    audit_log::object_key,
    audit_log::summary,
    audit_log::previous_hash,
    audit_log::hash,
);

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Stored>> {
    let rows: Vec<Row> = audit_log::table.order(audit_log::id.asc()).select(COLUMNS).load(conn)?;
    Ok(rows.into_iter().map(stored).collect())
}

diesel::define_sql_function! {
    /// SQL's lower(), the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// What the audit log page filters by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The start of an action, like "ballot." or "ballot.vote".
    pub action: Option<String>,
    /// Text in the summary, the actor or the object.
    pub text: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

fn filtered<'a>(organisation_id: i32, filter: &'a Filter) -> audit_log::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut query = audit_log::table
        .filter(audit_log::organisation_id.eq(organisation_id))
        .into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(
            audit_log::action
                .like(format!("{}%", like_escaped(action)))
                .escape('\\'),
        );
    }
    if let Some(text) = &filter.text {
        // Case-insensitive on both backends (PostgreSQL's LIKE is not).
        let pattern = format!("%{}%", like_escaped(&text.to_lowercase()));
        query = query.filter(
            lower(audit_log::summary)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(audit_log::actor).like(pattern.clone()).escape('\\'))
                .or(lower(audit_log::object_key).like(pattern).escape('\\')),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::at.lt(until));
    }
    query
}

fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// An organisation's entries, newest first, and how many match in all.
pub fn of_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Stored>, i64)> {
    let total = filtered(organisation_id, filter).count().get_result(conn)?;
    let rows: Vec<Row> = filtered(organisation_id, filter)
        .order(audit_log::id.desc())
        .select(COLUMNS)
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows.into_iter().map(stored).collect(), total))
}

/// The entries about one object (a ballot), oldest first.
pub fn of_object(
    conn: &mut DbConn,
    organisation_id: i32,
    object_kind: &str,
    object_key: &str,
) -> QueryResult<Vec<Stored>> {
    let rows: Vec<Row> = audit_log::table
        .filter(audit_log::organisation_id.eq(organisation_id))
        .filter(audit_log::object_kind.eq(object_kind))
        .filter(audit_log::object_key.eq(object_key))
        .order(audit_log::id.asc())
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(stored).collect())
}
