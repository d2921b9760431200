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

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Stored>> {
    let rows: Vec<Row> = audit_log::table
        .order(audit_log::id.asc())
        .select((
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
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                at,
                actor_user_id,
                actor,
                organisation_id,
                action,
                object_kind,
                object_key,
                summary,
                previous_hash,
                hash,
            )| {
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
            },
        )
        .collect())
}
