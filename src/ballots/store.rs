//! Ballot queries: ballots and options, the frozen electorate, voting
//! links, who voted, and the papers.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    ballot_electors, ballot_options, ballot_papers, ballot_recorded_votes, ballot_reminders, ballot_voters, ballots,
    practices, voting_tokens,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = ballots, check_for_backend(crate::db::MultiBackend))]
pub struct Ballot {
    pub id: i32,
    pub organisation_id: i32,
    pub kind: String,
    pub title: String,
    pub question: String,
    pub papers: String,
    pub current_text: String,
    pub proposed_text: String,
    pub motion_kind: String,
    pub motion_subject: String,
    pub state: String,
    pub rules: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub original_closes_at: Option<NaiveDateTime>,
    pub extension_reason: Option<String>,
    pub published_at: Option<NaiveDateTime>,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub counted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancel_reason: Option<String>,
    pub electorate_digest: Option<String>,
    pub result: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The constitution settings in force at publication (JSON of the form).
    pub constitution: Option<String>,
    /// A verifiable ballot's election key and fingerprint, fixed at publication (JSON).
    pub election: Option<String>,
    /// A verifiable ballot's encrypted totals, computed at the close (JSON).
    pub aggregates: Option<String>,
    /// Why voting closed before its published time.
    pub close_reason: Option<String>,
}

/// The parts of a ballot an administrator writes while it is a draft.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = ballots)]
pub struct DraftRow {
    pub kind: String,
    pub title: String,
    pub question: String,
    pub papers: String,
    pub current_text: String,
    pub proposed_text: String,
    pub motion_kind: String,
    pub motion_subject: String,
    pub rules: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConn,
    organisation_id: i32,
    draft: &DraftRow,
    created_by: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(ballots::table)
        .values((
            ballots::organisation_id.eq(organisation_id),
            draft,
            ballots::state.eq("draft"),
            ballots::created_by.eq(created_by),
            ballots::created_at.eq(now),
        ))
        .returning(ballots::id)
        .get_result(conn)
}

/// Changes a draft; 0 when the ballot is no longer a draft.
pub fn update_draft(conn: &mut DbConn, id: i32, draft: &DraftRow) -> QueryResult<usize> {
    diesel::update(
        ballots::table
            .filter(ballots::id.eq(id))
            .filter(ballots::state.eq("draft")),
    )
    .set(draft)
    .execute(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Ballot>> {
    ballots::table
        .find(id)
        .select(Ballot::as_select())
        .first(conn)
        .optional()
}

pub fn of_organisation(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<Ballot>> {
    ballots::table
        .filter(ballots::organisation_id.eq(organisation_id))
        .order(ballots::id.desc())
        .select(Ballot::as_select())
        .load(conn)
}

/// Ballots in `state` whose `opens_at` (or `closes_at`) has come.
pub fn due(conn: &mut DbConn, state: &str, now: NaiveDateTime) -> QueryResult<Vec<i32>> {
    let query = ballots::table.filter(ballots::state.eq(state)).select(ballots::id);
    match state {
        "published" => query.filter(ballots::opens_at.le(now)).load(conn),
        "open" => query.filter(ballots::closes_at.le(now)).load(conn),
        _ => query.load(conn),
    }
}

pub fn ids_in_state(conn: &mut DbConn, state: &str) -> QueryResult<Vec<i32>> {
    ballots::table
        .filter(ballots::state.eq(state))
        .select(ballots::id)
        .load(conn)
}

/// Moves a ballot from `from` to `to`; 0 when it was no longer in `from`
/// (another server got there first).
pub fn transition(conn: &mut DbConn, id: i32, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let target = ballots::table
        .filter(ballots::id.eq(id))
        .filter(ballots::state.eq(from));
    let update = diesel::update(target);
    match to {
        "published" => update
            .set((
                ballots::state.eq(to),
                ballots::published_at.eq(now),
                ballots::updated_at.eq(now),
            ))
            .execute(conn),
        "open" => update
            .set((
                ballots::state.eq(to),
                ballots::opened_at.eq(now),
                ballots::updated_at.eq(now),
            ))
            .execute(conn),
        "closed" => update
            .set((
                ballots::state.eq(to),
                ballots::closed_at.eq(now),
                ballots::updated_at.eq(now),
            ))
            .execute(conn),
        "cancelled" => update
            .set((
                ballots::state.eq(to),
                ballots::cancelled_at.eq(now),
                ballots::updated_at.eq(now),
            ))
            .execute(conn),
        _ => update
            .set((ballots::state.eq(to), ballots::updated_at.eq(now)))
            .execute(conn),
    }
}

/// An unopposed election's voting period: the moment it was declared.
pub fn set_voting_period(
    conn: &mut DbConn,
    id: i32,
    opens_at: NaiveDateTime,
    closes_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(ballots::table.find(id))
        .set((ballots::opens_at.eq(opens_at), ballots::closes_at.eq(closes_at)))
        .execute(conn)
}

pub fn set_close_reason(conn: &mut DbConn, id: i32, reason: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(id))
        .set(ballots::close_reason.eq(reason))
        .execute(conn)
}

pub fn set_cancel_reason(conn: &mut DbConn, id: i32, reason: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(id))
        .set(ballots::cancel_reason.eq(reason))
        .execute(conn)
}

pub fn set_electorate_digest(conn: &mut DbConn, id: i32, digest: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(id))
        .set(ballots::electorate_digest.eq(digest))
        .execute(conn)
}

pub fn set_counted(conn: &mut DbConn, id: i32, result: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        ballots::table
            .filter(ballots::id.eq(id))
            .filter(ballots::state.eq("closed")),
    )
    .set((
        ballots::state.eq("counted"),
        ballots::result.eq(result),
        ballots::counted_at.eq(now),
        ballots::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Extends the close once: 0 when it was extended before.
pub fn extend_close(
    conn: &mut DbConn,
    id: i32,
    new_close: NaiveDateTime,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        ballots::table
            .filter(ballots::id.eq(id))
            .filter(ballots::original_closes_at.is_null())
            .filter(ballots::state.eq_any(["published", "open"])),
    )
    .set((
        ballots::original_closes_at.eq(ballots::closes_at.nullable()),
        ballots::closes_at.eq(new_close),
        ballots::extension_reason.eq(reason),
        ballots::updated_at.eq(now),
    ))
    .execute(conn)
}

/// On PostgreSQL, holds the ballot's row against a concurrent close until
/// this transaction ends, so no vote commits after the ballot closed.
pub fn hold_against_close(conn: &mut DbConn, id: i32) -> QueryResult<()> {
    if let DbConn::Postgres(c) = conn {
        c.batch_execute(&format!("SELECT id FROM ballots WHERE id = {id} FOR SHARE"))?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ballot_options, check_for_backend(crate::db::MultiBackend))]
pub struct OptionRow {
    pub ballot_id: i32,
    pub position: i32,
    pub option_key: String,
    pub label: String,
    pub description: String,
}

pub fn options(conn: &mut DbConn, id: i32) -> QueryResult<Vec<OptionRow>> {
    ballot_options::table
        .filter(ballot_options::ballot_id.eq(id))
        .order(ballot_options::position.asc())
        .select(OptionRow::as_select())
        .load(conn)
}

pub fn replace_options(conn: &mut DbConn, id: i32, options: &[super::model::BallotOption]) -> QueryResult<()> {
    diesel::delete(ballot_options::table.filter(ballot_options::ballot_id.eq(id))).execute(conn)?;
    for (position, option) in options.iter().enumerate() {
        diesel::insert_into(ballot_options::table)
            .values((
                ballot_options::ballot_id.eq(id),
                ballot_options::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                ballot_options::option_key.eq(&option.key),
                ballot_options::label.eq(&option.label),
                ballot_options::description.eq(&option.description),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ballot_electors, check_for_backend(crate::db::MultiBackend))]
pub struct ElectorRow {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub weight: i64,
    pub list_size: Option<i32>,
    pub list_size_date: Option<NaiveDate>,
    pub constituency: Option<String>,
    pub nominated_user_id: Option<i32>,
    pub deputy_user_id: Option<i32>,
}

/// Rows per multi-row insert, well under both backends' parameter limits.
const CHUNK: usize = 500;

pub fn insert_electors(conn: &mut DbConn, rows: &[ElectorRow]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += crate::per_backend!(conn, |c| diesel::insert_into(ballot_electors::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

pub fn electors(conn: &mut DbConn, id: i32) -> QueryResult<Vec<ElectorRow>> {
    ballot_electors::table
        .filter(ballot_electors::ballot_id.eq(id))
        .select(ElectorRow::as_select())
        .load(conn)
}

pub fn elector(conn: &mut DbConn, id: i32, practice_id: i32) -> QueryResult<Option<ElectorRow>> {
    ballot_electors::table
        .filter(ballot_electors::ballot_id.eq(id))
        .filter(ballot_electors::practice_id.eq(practice_id))
        .select(ElectorRow::as_select())
        .first(conn)
        .optional()
}

/// One elector with its practice.
pub fn elector_with_practice(
    conn: &mut DbConn,
    id: i32,
    practice_id: i32,
) -> QueryResult<Option<(ElectorRow, crate::registry::store::Practice)>> {
    ballot_electors::table
        .inner_join(practices::table)
        .filter(ballot_electors::ballot_id.eq(id))
        .filter(ballot_electors::practice_id.eq(practice_id))
        .select((ElectorRow::as_select(), crate::registry::store::Practice::as_select()))
        .first(conn)
        .optional()
}

/// The electorate with each practice's code and name, by code.
pub fn electorate_with_practices(conn: &mut DbConn, id: i32) -> QueryResult<Vec<(ElectorRow, String, String)>> {
    ballot_electors::table
        .inner_join(practices::table)
        .filter(ballot_electors::ballot_id.eq(id))
        .order(practices::ods_code.asc())
        .select((ElectorRow::as_select(), practices::ods_code, practices::name))
        .load(conn)
}

pub fn electorate_size(conn: &mut DbConn, id: i32) -> QueryResult<i64> {
    ballot_electors::table
        .filter(ballot_electors::ballot_id.eq(id))
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = voting_tokens)]
pub struct NewToken {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub user_id: Option<i32>,
    pub token_digest: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_tokens(conn: &mut DbConn, rows: &[NewToken]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += crate::per_backend!(conn, |c| diesel::insert_into(voting_tokens::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = voting_tokens, check_for_backend(crate::db::MultiBackend))]
pub struct TokenRow {
    pub id: i32,
    pub ballot_id: i32,
    pub practice_id: i32,
    pub user_id: Option<i32>,
    pub token_digest: String,
    pub created_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A person as messages need them: (user id, name, email).
pub type Contact = (i32, String, String);

/// A link with the person it was sent to.
pub fn token_with_recipient(conn: &mut DbConn, digest: &str) -> QueryResult<Option<(TokenRow, Option<Contact>)>> {
    use crate::db::schema::users;
    voting_tokens::table
        .left_join(users::table.on(users::id.nullable().eq(voting_tokens::user_id)))
        .filter(voting_tokens::token_digest.eq(digest))
        .select((TokenRow::as_select(), (users::id, users::name, users::email).nullable()))
        .first(conn)
        .optional()
}

/// Marks links used; returns the digests of those that were still unused.
pub fn use_tokens(conn: &mut DbConn, digests: &[String], now: NaiveDateTime) -> QueryResult<Vec<String>> {
    let mut fresh = Vec::new();
    for chunk in digests.chunks(CHUNK) {
        fresh.extend(crate::per_backend!(&mut *conn, |c| diesel::update(
            voting_tokens::table
                .filter(voting_tokens::token_digest.eq_any(chunk))
                .filter(voting_tokens::used_at.is_null())
                .filter(voting_tokens::revoked_at.is_null()),
        )
        .set(voting_tokens::used_at.eq(now))
        .returning(voting_tokens::token_digest)
        .get_results::<String>(c))?);
    }
    Ok(fresh)
}

/// Replaces a draft's rules (JSON).
pub fn set_rules(conn: &mut DbConn, id: i32, rules: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(id).filter(ballots::state.eq("draft")))
        .set(ballots::rules.eq(rules))
        .execute(conn)
}

/// Freezes the constitution settings in force at publication with the ballot.
pub fn set_constitution(conn: &mut DbConn, id: i32, settings: &str) -> QueryResult<usize> {
    diesel::update(ballots::table.find(id))
        .set(ballots::constitution.eq(settings))
        .execute(conn)
}

/// Withdraws a practice's unused links of one ballot; how many.
pub fn revoke_tokens(conn: &mut DbConn, ballot_id: i32, practice_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        voting_tokens::table
            .filter(voting_tokens::ballot_id.eq(ballot_id))
            .filter(voting_tokens::practice_id.eq(practice_id))
            .filter(voting_tokens::used_at.is_null())
            .filter(voting_tokens::revoked_at.is_null()),
    )
    .set(voting_tokens::revoked_at.eq(now))
    .execute(conn)
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ballot_voters)]
pub struct NewVoter {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub voted_at: NaiveDateTime,
    pub method: &'static str,
}

/// Records that practices voted; returns (ballot, practice) of the rows
/// written. The primary key refuses a practice that voted already, so
/// those are simply not returned.
pub fn insert_voters(conn: &mut DbConn, rows: &[NewVoter]) -> QueryResult<Vec<(i32, i32)>> {
    let mut written = Vec::new();
    match conn {
        DbConn::Postgres(c) => {
            for chunk in rows.chunks(CHUNK) {
                written.extend(
                    diesel::insert_into(ballot_voters::table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .returning((ballot_voters::ballot_id, ballot_voters::practice_id))
                        .get_results::<(i32, i32)>(c)?,
                );
            }
        }
        // diesel runs a multi-row RETURNING insert on SQLite row by row and
        // takes a skipped row for an error, so ask each row (in-process,
        // this costs little).
        DbConn::Sqlite(c) => {
            for row in rows {
                let inserted = diesel::insert_into(ballot_voters::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute(c)?;
                if inserted == 1 {
                    written.push((row.ballot_id, row.practice_id));
                }
            }
        }
    }
    Ok(written)
}

pub fn insert_papers(conn: &mut DbConn, rows: &[PaperRow]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += crate::per_backend!(&mut *conn, |c| diesel::insert_into(ballot_papers::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ballot_recorded_votes)]
pub struct NewRecordedVote {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub paper_id: String,
    pub cast_at: NaiveDateTime,
    pub changes: i32,
}

pub fn insert_recorded_all(conn: &mut DbConn, rows: &[NewRecordedVote]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        written += crate::per_backend!(&mut *conn, |c| diesel::insert_into(ballot_recorded_votes::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

/// Published or open ballots whose electorate holds the practice and in
/// which it has not voted yet: (id, title), by close.
pub fn awaiting_vote_of(conn: &mut DbConn, practice_id: i32) -> QueryResult<Vec<(i32, String)>> {
    let voted = ballot_voters::table
        .filter(ballot_voters::practice_id.eq(practice_id))
        .select(ballot_voters::ballot_id);
    ballot_electors::table
        .inner_join(ballots::table)
        .filter(ballot_electors::practice_id.eq(practice_id))
        .filter(ballots::state.eq_any(["published", "open"]))
        .filter(ballots::id.ne_all(voted))
        .order(ballots::closes_at.asc())
        .select((ballots::id, ballots::title))
        .load(conn)
}

pub fn has_voted(conn: &mut DbConn, ballot_id: i32, practice_id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ballot_voters::table
            .filter(ballot_voters::ballot_id.eq(ballot_id))
            .filter(ballot_voters::practice_id.eq(practice_id)),
    ))
    .get_result(conn)
}

/// When and how a practice voted, if it did.
pub fn vote_of(conn: &mut DbConn, ballot_id: i32, practice_id: i32) -> QueryResult<Option<(NaiveDateTime, String)>> {
    ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(ballot_id))
        .filter(ballot_voters::practice_id.eq(practice_id))
        .select((ballot_voters::voted_at, ballot_voters::method))
        .first(conn)
        .optional()
}

pub fn turnout(conn: &mut DbConn, ballot_id: i32) -> QueryResult<i64> {
    ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(ballot_id))
        .count()
        .get_result(conn)
}

/// Practices that voted (code, name, when), by code.
pub fn voters(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    ballot_voters::table
        .inner_join(practices::table)
        .filter(ballot_voters::ballot_id.eq(ballot_id))
        .order(practices::ods_code.asc())
        .select((practices::ods_code, practices::name, ballot_voters::voted_at))
        .load(conn)
}

pub fn voted_practice_ids(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<i32>> {
    ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(ballot_id))
        .select(ballot_voters::practice_id)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ballot_papers, check_for_backend(crate::db::MultiBackend))]
pub struct PaperRow {
    pub ballot_id: i32,
    pub paper_id: String,
    pub receipt_digest: String,
    pub option_key: String,
    pub weight: i64,
    pub constituency: Option<String>,
}

/// A ballot's papers, in the order of their random keys.
pub fn papers(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<PaperRow>> {
    ballot_papers::table
        .filter(ballot_papers::ballot_id.eq(ballot_id))
        .order(ballot_papers::paper_id.asc())
        .select(PaperRow::as_select())
        .load(conn)
}

pub fn paper_count(conn: &mut DbConn, ballot_id: i32) -> QueryResult<i64> {
    ballot_papers::table
        .filter(ballot_papers::ballot_id.eq(ballot_id))
        .count()
        .get_result(conn)
}

pub fn paper_by_receipt(conn: &mut DbConn, ballot_id: i32, digest: &str) -> QueryResult<Option<PaperRow>> {
    ballot_papers::table
        .filter(ballot_papers::ballot_id.eq(ballot_id))
        .filter(ballot_papers::receipt_digest.eq(digest))
        .select(PaperRow::as_select())
        .first(conn)
        .optional()
}

/// A recorded ballot's changed vote: the paper's choice and receipt.
pub fn change_paper(
    conn: &mut DbConn,
    ballot_id: i32,
    paper_id: &str,
    option_key: &str,
    receipt_digest: &str,
) -> QueryResult<usize> {
    diesel::update(
        ballot_papers::table
            .filter(ballot_papers::ballot_id.eq(ballot_id))
            .filter(ballot_papers::paper_id.eq(paper_id)),
    )
    .set((
        ballot_papers::option_key.eq(option_key),
        ballot_papers::receipt_digest.eq(receipt_digest),
    ))
    .execute(conn)
}

/// PostgreSQL stores rows in the order they were written, each with the id
/// of the transaction that wrote it, which is also the id on the matching
/// `ballot_voters` row. Rewriting the ballot's papers in one transaction,
/// in random order, gives them all one new transaction id and a new
/// physical order. SQLite needs none of this: its papers table has no row
/// id and is stored in the order of the random keys.
pub fn mix_papers(conn: &mut DbConn, ballot_id: i32) -> QueryResult<usize> {
    if !matches!(conn, DbConn::Postgres(_)) {
        return Ok(0);
    }
    conn.transaction(|c| {
        let mut papers: Vec<PaperRow> = ballot_papers::table
            .filter(ballot_papers::ballot_id.eq(ballot_id))
            .select(PaperRow::as_select())
            .load(c)?;
        diesel::delete(ballot_papers::table.filter(ballot_papers::ballot_id.eq(ballot_id))).execute(c)?;
        shuffle(&mut papers);
        for chunk in papers.chunks(CHUNK) {
            crate::per_backend!(&mut *c, |pg| diesel::insert_into(ballot_papers::table)
                .values(chunk)
                .execute(pg))?;
        }
        Ok(papers.len())
    })
}

/// Fisher–Yates with the operating system's randomness.
pub fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the operating system's random number source failed");
        let j = (u64::from_le_bytes(bytes) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The paper a practice cast in a recorded ballot.
pub fn recorded_paper(conn: &mut DbConn, ballot_id: i32, practice_id: i32) -> QueryResult<Option<String>> {
    ballot_recorded_votes::table
        .filter(ballot_recorded_votes::ballot_id.eq(ballot_id))
        .filter(ballot_recorded_votes::practice_id.eq(practice_id))
        .select(ballot_recorded_votes::paper_id)
        .first(conn)
        .optional()
}

pub fn note_recorded_change(
    conn: &mut DbConn,
    ballot_id: i32,
    practice_id: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        ballot_recorded_votes::table
            .filter(ballot_recorded_votes::ballot_id.eq(ballot_id))
            .filter(ballot_recorded_votes::practice_id.eq(practice_id)),
    )
    .set((
        ballot_recorded_votes::cast_at.eq(now),
        ballot_recorded_votes::changes.eq(ballot_recorded_votes::changes + 1),
    ))
    .execute(conn)
}

/// A recorded ballot's votes: practice code, name, option, when.
pub fn recorded_votes(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<(String, String, String, NaiveDateTime)>> {
    ballot_recorded_votes::table
        .inner_join(practices::table)
        .inner_join(
            ballot_papers::table.on(ballot_papers::ballot_id
                .eq(ballot_recorded_votes::ballot_id)
                .and(ballot_papers::paper_id.eq(ballot_recorded_votes::paper_id))),
        )
        .filter(ballot_recorded_votes::ballot_id.eq(ballot_id))
        .order(practices::ods_code.asc())
        .select((
            practices::ods_code,
            practices::name,
            ballot_papers::option_key,
            ballot_recorded_votes::cast_at,
        ))
        .load(conn)
}

pub fn reminder_sent(conn: &mut DbConn, ballot_id: i32, days_before: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ballot_reminders::table
            .filter(ballot_reminders::ballot_id.eq(ballot_id))
            .filter(ballot_reminders::days_before.eq(days_before)),
    ))
    .get_result(conn)
}

pub fn insert_reminder(
    conn: &mut DbConn,
    ballot_id: i32,
    days_before: i32,
    now: NaiveDateTime,
    recipients: i32,
) -> QueryResult<usize> {
    diesel::insert_into(ballot_reminders::table)
        .values((
            ballot_reminders::ballot_id.eq(ballot_id),
            ballot_reminders::days_before.eq(days_before),
            ballot_reminders::sent_at.eq(now),
            ballot_reminders::recipients.eq(recipients),
        ))
        .execute(conn)
}

/// (days before the close, when sent, recipients) of a ballot's reminders.
pub fn reminders(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<(i32, NaiveDateTime, i32)>> {
    ballot_reminders::table
        .filter(ballot_reminders::ballot_id.eq(ballot_id))
        .order(ballot_reminders::sent_at.asc())
        .select((
            ballot_reminders::days_before,
            ballot_reminders::sent_at,
            ballot_reminders::recipients,
        ))
        .load(conn)
}
