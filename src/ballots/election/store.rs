//! Nomination queries: the call for nominations of an election, its
//! nominations and the practices that nominate each.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{nomination_calls, nomination_supporters, nominations, practices};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = nomination_calls, check_for_backend(crate::db::MultiBackend))]
pub struct Call {
    pub ballot_id: i32,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub withdrawals_close: NaiveDateTime,
    pub nominators_required: i32,
    pub statement_word_limit: i32,
    pub eligibility: String,
    pub called_at: NaiveDateTime,
    pub list_published_at: Option<NaiveDateTime>,
}

pub fn call(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Option<Call>> {
    nomination_calls::table
        .find(ballot_id)
        .select(Call::as_select())
        .first(conn)
        .optional()
}

pub fn insert_call(conn: &mut DbConn, call: &Call) -> QueryResult<usize> {
    diesel::insert_into(nomination_calls::table).values(call).execute(conn)
}

pub fn update_call(conn: &mut DbConn, call: &Call) -> QueryResult<usize> {
    diesel::update(nomination_calls::table.find(call.ballot_id))
        .set(call)
        .execute(conn)
}

/// Marks the list published, once: 0 when it was published already.
pub fn publish_list(conn: &mut DbConn, ballot_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        nomination_calls::table
            .find(ballot_id)
            .filter(nomination_calls::list_published_at.is_null()),
    )
    .set(nomination_calls::list_published_at.eq(now))
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = nominations, check_for_backend(crate::db::MultiBackend))]
pub struct NominationRow {
    pub id: i32,
    pub ballot_id: i32,
    pub candidate_name: String,
    pub candidate_email: String,
    pub post: String,
    pub candidate_practice_id: Option<i32>,
    pub submitted_at: NaiveDateTime,
    pub submitted_by: Option<i32>,
    pub token_digest: String,
    pub accepted_at: Option<NaiveDateTime>,
    pub declared_at: Option<NaiveDateTime>,
    pub interests: String,
    pub statement: String,
    pub ballot_line: String,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub decision: Option<String>,
    pub decision_reasons: String,
    pub option_key: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = nominations)]
pub struct NewNomination {
    pub ballot_id: i32,
    pub candidate_name: String,
    pub candidate_email: String,
    pub post: String,
    pub candidate_practice_id: Option<i32>,
    pub submitted_at: NaiveDateTime,
    pub submitted_by: Option<i32>,
    pub token_digest: String,
}

pub fn insert_nomination(conn: &mut DbConn, row: &NewNomination) -> QueryResult<i32> {
    diesel::insert_into(nominations::table)
        .values(row)
        .returning(nominations::id)
        .get_result(conn)
}

pub fn nominations_of(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<NominationRow>> {
    nominations::table
        .filter(nominations::ballot_id.eq(ballot_id))
        .order(nominations::id.asc())
        .select(NominationRow::as_select())
        .load(conn)
}

pub fn nomination(conn: &mut DbConn, id: i32) -> QueryResult<Option<NominationRow>> {
    nominations::table
        .find(id)
        .select(NominationRow::as_select())
        .first(conn)
        .optional()
}

pub fn nomination_by_token(conn: &mut DbConn, digest: &str) -> QueryResult<Option<NominationRow>> {
    nominations::table
        .filter(nominations::token_digest.eq(digest))
        .select(NominationRow::as_select())
        .first(conn)
        .optional()
}

/// What the candidate writes: consent, declaration, statement.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = nominations, treat_none_as_null = true)]
pub struct CandidateAnswers {
    pub accepted_at: Option<NaiveDateTime>,
    pub declared_at: Option<NaiveDateTime>,
    pub interests: String,
    pub statement: String,
    pub ballot_line: String,
}

pub fn set_answers(conn: &mut DbConn, id: i32, answers: &CandidateAnswers) -> QueryResult<usize> {
    diesel::update(nominations::table.find(id)).set(answers).execute(conn)
}

/// Withdraws once: 0 when withdrawn already.
pub fn withdraw(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(nominations::table.find(id).filter(nominations::withdrawn_at.is_null()))
        .set(nominations::withdrawn_at.eq(now))
        .execute(conn)
}

pub fn decide(
    conn: &mut DbConn,
    id: i32,
    decision: &str,
    reasons: &str,
    option_key: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(nominations::table.find(id))
        .set((
            nominations::decision.eq(decision),
            nominations::decision_reasons.eq(reasons),
            nominations::option_key.eq(option_key),
        ))
        .execute(conn)
}

/// A nominating practice.
#[derive(Debug, Clone)]
pub struct Supporter {
    pub nomination_id: i32,
    pub practice_id: i32,
    pub ods_code: String,
    pub practice_name: String,
    pub supported_at: NaiveDateTime,
}

pub fn insert_supporter(
    conn: &mut DbConn,
    nomination_id: i32,
    practice_id: i32,
    user_id: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(nomination_supporters::table)
        .values((
            nomination_supporters::nomination_id.eq(nomination_id),
            nomination_supporters::practice_id.eq(practice_id),
            nomination_supporters::user_id.eq(user_id),
            nomination_supporters::supported_at.eq(now),
        ))
        .execute(conn)
}

/// Every nominating practice of the election's nominations, in the order
/// they nominated.
pub fn supporters_of(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<Supporter>> {
    let rows: Vec<(i32, i32, String, String, NaiveDateTime)> = nomination_supporters::table
        .inner_join(nominations::table)
        .inner_join(practices::table)
        .filter(nominations::ballot_id.eq(ballot_id))
        .order((nomination_supporters::supported_at.asc(), practices::ods_code.asc()))
        .select((
            nomination_supporters::nomination_id,
            nomination_supporters::practice_id,
            practices::ods_code,
            practices::name,
            nomination_supporters::supported_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(nomination_id, practice_id, ods_code, practice_name, supported_at)| Supporter {
                nomination_id,
                practice_id,
                ods_code,
                practice_name,
                supported_at,
            },
        )
        .collect())
}
