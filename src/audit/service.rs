//! Appending to and checking the audit log.

use chrono::Utc;
use diesel::connection::SimpleConnection;

use super::model::{Actor, Entry, GENESIS_HASH, first_break, to_micros};
use super::store;
use crate::db::{DbConn, Pool};
use crate::error::AppResult;

/// Serialises appends on PostgreSQL so two transactions cannot chain to
/// the same entry (SQLite has one writer at a time already).
const AUDIT_LOCK_KEY: i64 = 0x0051_4155_4449_5400;

/// What happened, for `record`.
pub struct Event<'a> {
    pub organisation_id: Option<i32>,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_key: &'a str,
    pub summary: String,
}

/// Appends an entry. Call it inside the transaction of the action.
pub fn record(conn: &mut DbConn, actor: &Actor, event: Event<'_>) -> diesel::QueryResult<()> {
    record_all(conn, vec![(actor.clone(), event)])
}

/// Appends several entries, in order, with one write (a batch of votes).
pub fn record_all(conn: &mut DbConn, events: Vec<(Actor, Event<'_>)>) -> diesel::QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if let DbConn::Postgres(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))?;
    }
    let at = to_micros(Utc::now().naive_utc());
    let mut previous = store::last_hash(conn)?.unwrap_or_else(|| GENESIS_HASH.to_owned());
    let mut chained = Vec::with_capacity(events.len());
    for (actor, event) in events {
        let entry = Entry {
            at,
            actor_user_id: actor.user_id,
            actor: actor.label,
            organisation_id: event.organisation_id,
            action: event.action.to_owned(),
            object_kind: event.object_kind.to_owned(),
            object_key: event.object_key.to_owned(),
            summary: event.summary,
        };
        let hash = entry.chained_hash(&previous);
        chained.push(store::Chained {
            entry,
            previous_hash: std::mem::replace(&mut previous, hash.clone()),
            hash,
        });
    }
    store::insert_all(conn, &chained)?;
    Ok(())
}

/// The number of entries checked, or the id of the first that breaks the chain.
pub fn verify(pool: &Pool) -> AppResult<Result<usize, i32>> {
    let mut conn = pool.get()?;
    let entries = store::all(&mut conn)?;
    Ok(match first_break(&entries) {
        Some(id) => Err(id),
        None => Ok(entries.len()),
    })
}

/// The verification of the whole chain, told for one organisation: how
/// many of its entries there are, or the first entry that breaks the chain
/// (anyone's: the chain is one for all organisations).
pub fn verify_for(pool: &Pool, organisation_id: Option<i32>) -> AppResult<Result<usize, i32>> {
    let mut conn = pool.get()?;
    let entries = store::all(&mut conn)?;
    Ok(match first_break(&entries) {
        Some(id) => Err(id),
        None => Ok(match organisation_id {
            Some(org) => entries.iter().filter(|e| e.entry.organisation_id == Some(org)).count(),
            None => entries.len(),
        }),
    })
}

/// One page of an organisation's log, newest first.
pub fn page_of(
    pool: &Pool,
    organisation_id: i32,
    filter: &store::Filter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<super::model::Stored>, i64)> {
    let mut conn = pool.get()?;
    Ok(store::of_organisation(
        &mut conn,
        organisation_id,
        filter,
        limit,
        offset,
    )?)
}
