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

pub fn insert(conn: &mut DbConn, entry: &Entry, previous_hash: &str, hash: &str) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(entry.at),
            audit_log::actor_user_id.eq(entry.actor_user_id),
            audit_log::actor.eq(&entry.actor),
            audit_log::organisation_id.eq(entry.organisation_id),
            audit_log::action.eq(&entry.action),
            audit_log::object_kind.eq(&entry.object_kind),
            audit_log::object_key.eq(&entry.object_key),
            audit_log::summary.eq(&entry.summary),
            audit_log::previous_hash.eq(previous_hash),
            audit_log::hash.eq(hash),
        ))
        .execute(conn)
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
