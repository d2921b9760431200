//! Queries of verifiable ballots: trustees and their uploads, encrypted
//! papers, spoiled (opened) papers, the election and the aggregates.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{ballot_trustees, ballots, encrypted_papers, practices, spoiled_papers, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ballot_trustees, check_for_backend(crate::db::MultiBackend))]
pub struct TrusteeRow {
    pub ballot_id: i32,
    pub position: i32,
    pub user_id: i32,
    pub public_part: Option<String>,
    pub public_at: Option<NaiveDateTime>,
    pub shares: Option<String>,
    pub shares_at: Option<NaiveDateTime>,
    pub partial: Option<String>,
    pub partial_at: Option<NaiveDateTime>,
}

/// A trustee with the name and address of their account.
pub type TrusteeWithUser = (TrusteeRow, String, String);

pub fn trustees(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<TrusteeWithUser>> {
    ballot_trustees::table
        .inner_join(users::table)
        .filter(ballot_trustees::ballot_id.eq(ballot_id))
        .order(ballot_trustees::position.asc())
        .select((TrusteeRow::as_select(), users::name, users::email))
        .load(conn)
}

/// Replaces the trustees of a draft (the ceremony starts again).
pub fn replace_trustees(conn: &mut DbConn, ballot_id: i32, user_ids: &[i32]) -> QueryResult<()> {
    diesel::delete(ballot_trustees::table.filter(ballot_trustees::ballot_id.eq(ballot_id))).execute(conn)?;
    for (i, user_id) in user_ids.iter().enumerate() {
        diesel::insert_into(ballot_trustees::table)
            .values((
                ballot_trustees::ballot_id.eq(ballot_id),
                ballot_trustees::position.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                ballot_trustees::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn set_public(
    conn: &mut DbConn,
    ballot_id: i32,
    position: i32,
    json: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(ballot_trustees::table.find((ballot_id, position)))
        .set((ballot_trustees::public_part.eq(json), ballot_trustees::public_at.eq(at)))
        .execute(conn)
}

/// Forgets every trustee's shares: a public part changed, so the shares
/// made from the old ones are of no use.
pub fn clear_shares(conn: &mut DbConn, ballot_id: i32) -> QueryResult<usize> {
    diesel::update(ballot_trustees::table.filter(ballot_trustees::ballot_id.eq(ballot_id)))
        .set((
            ballot_trustees::shares.eq(None::<String>),
            ballot_trustees::shares_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

pub fn set_shares(
    conn: &mut DbConn,
    ballot_id: i32,
    position: i32,
    json: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(ballot_trustees::table.find((ballot_id, position)))
        .set((ballot_trustees::shares.eq(json), ballot_trustees::shares_at.eq(at)))
        .execute(conn)
}

pub fn set_partial(
    conn: &mut DbConn,
    ballot_id: i32,
    position: i32,
    json: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(ballot_trustees::table.find((ballot_id, position)))
        .set((ballot_trustees::partial.eq(json), ballot_trustees::partial_at.eq(at)))
        .execute(conn)
}

pub fn set_election(conn: &mut DbConn, ballot_id: i32, json: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(ballot_id))
        .set(ballots::election.eq(json))
        .execute(conn)
}

pub fn set_aggregates(conn: &mut DbConn, ballot_id: i32, json: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(ballot_id))
        .set(ballots::aggregates.eq(json))
        .execute(conn)
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = encrypted_papers, check_for_backend(crate::db::MultiBackend))]
pub struct EncryptedPaperRow {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub tracker: String,
    pub paper: String,
}

const CHUNK: usize = 500;

pub fn insert_papers(conn: &mut DbConn, rows: &[EncryptedPaperRow]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += crate::per_backend!(&mut *conn, |c| diesel::insert_into(encrypted_papers::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

/// Every encrypted paper of a ballot with its practice's ODS code, by code.
pub fn papers(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<(EncryptedPaperRow, String)>> {
    encrypted_papers::table
        .inner_join(practices::table)
        .filter(encrypted_papers::ballot_id.eq(ballot_id))
        .order(practices::ods_code.asc())
        .select((EncryptedPaperRow::as_select(), practices::ods_code))
        .load(conn)
}

/// Which of these trackers were opened for a check (so must not be cast).
pub fn spoiled_among(conn: &mut DbConn, ballot_id: i32, trackers: &[String]) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    for chunk in trackers.chunks(CHUNK) {
        found.extend(
            spoiled_papers::table
                .filter(spoiled_papers::ballot_id.eq(ballot_id))
                .filter(spoiled_papers::tracker.eq_any(chunk))
                .select(spoiled_papers::tracker)
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

pub fn spoil(conn: &mut DbConn, ballot_id: i32, tracker: &str) -> QueryResult<usize> {
    crate::per_backend!(conn, |c| diesel::insert_into(spoiled_papers::table)
        .values((
            spoiled_papers::ballot_id.eq(ballot_id),
            spoiled_papers::tracker.eq(tracker)
        ))
        .on_conflict_do_nothing()
        .execute(c))
}

pub fn spoiled(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<String>> {
    spoiled_papers::table
        .filter(spoiled_papers::ballot_id.eq(ballot_id))
        .order(spoiled_papers::tracker.asc())
        .select(spoiled_papers::tracker)
        .load(conn)
}
