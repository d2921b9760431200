//! Purge queries. Each answers how many rows it removed (or, counting, would).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    ballots, interest_people, interests, item_declarations, login_failures, login_lockouts, mail_bounces,
    outbox_messages, password_tokens, retention_purges, revoked_sessions, setup_tokens, sso_link_requests,
    voting_tokens,
};

/// A ballot is finished when it can take no more votes.
const FINISHED: [&str; 3] = ["counted", "cancelled", "void"];
/// An email is done with once sent or given up.
const DONE_WITH: [&str; 3] = ["sent", "failed", "cancelled"];
/// A purged email's address: the row stays, for the delivery record.
const PURGED: &str = "";

/// Organisations with anything past its time.
pub fn organisations_with_work(
    conn: &mut DbConn,
    links_before: NaiveDateTime,
    messages_before: NaiveDateTime,
) -> QueryResult<Vec<i32>> {
    let mut ids: Vec<i32> = ballots::table
        .filter(ballots::state.eq_any(FINISHED))
        .filter(ballots::updated_at.lt(links_before))
        .filter(ballots::id.eq_any(voting_tokens::table.select(voting_tokens::ballot_id)))
        .select(ballots::organisation_id)
        .load(conn)?;
    ids.extend(
        messages_past(messages_before)
            .filter(outbox_messages::organisation_id.is_not_null())
            .select(outbox_messages::organisation_id.assume_not_null())
            .distinct()
            .load::<i32>(conn)?,
    );
    ids.extend(
        mail_bounces::table
            .filter(mail_bounces::received_at.lt(messages_before))
            .filter(mail_bounces::organisation_id.is_not_null())
            .select(mail_bounces::organisation_id.assume_not_null())
            .load::<i32>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The organisation's finished ballots whose voting links are past their time.
pub fn ballots_past_links(conn: &mut DbConn, organisation_id: i32, before: NaiveDateTime) -> QueryResult<Vec<i32>> {
    ballots::table
        .filter(ballots::organisation_id.eq(organisation_id))
        .filter(ballots::state.eq_any(FINISHED))
        .filter(ballots::updated_at.lt(before))
        .filter(ballots::id.eq_any(voting_tokens::table.select(voting_tokens::ballot_id)))
        .order(ballots::id.asc())
        .select(ballots::id)
        .load(conn)
}

pub fn delete_voting_links(conn: &mut DbConn, ballot_ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(voting_tokens::table.filter(voting_tokens::ballot_id.eq_any(ballot_ids))).execute(conn)
}

/// Done with (sent, failed or cancelled) and not yet purged.
type DoneWith = diesel::dsl::Filter<
    diesel::dsl::Filter<outbox_messages::table, diesel::dsl::EqAny<outbox_messages::state, [&'static str; 3]>>,
    diesel::dsl::NotEq<outbox_messages::recipient_email, &'static str>,
>;
/// Sent before a time, or never sent and made before it.
type EndedBefore = diesel::dsl::Or<
    diesel::dsl::Lt<outbox_messages::sent_at, NaiveDateTime>,
    diesel::dsl::And<
        diesel::dsl::IsNull<outbox_messages::sent_at>,
        diesel::dsl::Lt<outbox_messages::created_at, NaiveDateTime>,
    >,
>;

/// Emails done with before `before` and not yet purged.
fn messages_past(before: NaiveDateTime) -> diesel::dsl::Filter<DoneWith, EndedBefore> {
    outbox_messages::table
        .filter(outbox_messages::state.eq_any(DONE_WITH))
        .filter(outbox_messages::recipient_email.ne(PURGED))
        .filter(
            outbox_messages::sent_at.lt(before).or(outbox_messages::sent_at
                .is_null()
                .and(outbox_messages::created_at.lt(before))),
        )
}

/// Blanks the sealed text, address and name of an organisation's emails
/// (or, with `None`, of emails that are no organisation's) done with
/// before `before`; what was sent when stays.
pub fn purge_messages(conn: &mut DbConn, organisation_id: Option<i32>, before: NaiveDateTime) -> QueryResult<usize> {
    let blank = (
        outbox_messages::recipient_email.eq(PURGED),
        outbox_messages::recipient_name.eq(""),
        outbox_messages::body_text.eq(""),
        outbox_messages::body_html.eq(""),
        outbox_messages::last_error.eq(None::<String>),
    );
    match organisation_id {
        Some(id) => diesel::update(messages_past(before).filter(outbox_messages::organisation_id.eq(id)))
            .set(blank)
            .execute(conn),
        None => diesel::update(messages_past(before).filter(outbox_messages::organisation_id.is_null()))
            .set(blank)
            .execute(conn),
    }
}

/// Bounce reports (whole messages, with addresses) received before `before`.
pub fn delete_bounces(conn: &mut DbConn, organisation_id: Option<i32>, before: NaiveDateTime) -> QueryResult<usize> {
    let old = mail_bounces::table.filter(mail_bounces::received_at.lt(before));
    match organisation_id {
        Some(id) => diesel::delete(old.filter(mail_bounces::organisation_id.eq(id))).execute(conn),
        None => diesel::delete(old.filter(mail_bounces::organisation_id.is_null())).execute(conn),
    }
}

/// Failed sign-ins, lockouts and links that ended before `before`, and
/// revoked sessions that could no longer be used anyway (ended before
/// `sessions_before`).
pub fn delete_sign_in_records(
    conn: &mut DbConn,
    before: NaiveDateTime,
    sessions_before: NaiveDateTime,
) -> QueryResult<usize> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)?
            + diesel::delete(login_lockouts::table.filter(login_lockouts::locked_until.lt(before))).execute(conn)?
            + diesel::delete(password_tokens::table.filter(password_tokens::expires_at.lt(before))).execute(conn)?
            + diesel::delete(setup_tokens::table.filter(setup_tokens::expires_at.lt(before))).execute(conn)?
            + diesel::delete(sso_link_requests::table.filter(sso_link_requests::expires_at.lt(before)))
                .execute(conn)?
            + diesel::delete(revoked_sessions::table.filter(revoked_sessions::revoked_at.lt(sessions_before)))
                .execute(conn)?,
    )
}

/// Organisations with register entries that may be past their keeping:
/// ended before `kept_from`, or held by someone who left before it.
pub fn organisations_with_old_interests(conn: &mut DbConn, kept_from: NaiveDate) -> QueryResult<Vec<i32>> {
    interests::table
        .inner_join(interest_people::table)
        .filter(
            interests::ends_on
                .lt(kept_from)
                .or(interest_people::left_on.lt(kept_from)),
        )
        .select(interest_people::organisation_id)
        .distinct()
        .load(conn)
}

/// The organisation's register entries that may be past their keeping,
/// with when their holder left, for the rules to judge.
pub fn old_interests(
    conn: &mut DbConn,
    organisation_id: i32,
    kept_from: NaiveDate,
) -> QueryResult<Vec<(crate::committee::register::store::InterestRow, Option<NaiveDate>)>> {
    use crate::committee::register::store::InterestRow;
    interests::table
        .inner_join(interest_people::table)
        .filter(interest_people::organisation_id.eq(organisation_id))
        .filter(
            interests::ends_on
                .lt(kept_from)
                .or(interest_people::left_on.lt(kept_from)),
        )
        .select((InterestRow::as_select(), interest_people::left_on))
        .load(conn)
}

/// Deletes register entries; a meeting's record of a declaration keeps
/// its action and loses only the link to the entry.
pub fn delete_interests(conn: &mut DbConn, ids: &[i32]) -> QueryResult<usize> {
    diesel::update(item_declarations::table.filter(item_declarations::interest_id.eq_any(ids)))
        .set(item_declarations::interest_id.eq(None::<i32>))
        .execute(conn)?;
    diesel::delete(interests::table.filter(interests::id.eq_any(ids))).execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = retention_purges, check_for_backend(crate::db::MultiBackend))]
pub struct PurgeRow {
    pub id: i32,
    pub organisation_id: Option<i32>,
    pub purged_at: NaiveDateTime,
    pub record: String,
    pub signature: Option<String>,
    pub key_fingerprint: Option<String>,
}

pub fn insert_purge(
    conn: &mut DbConn,
    organisation_id: Option<i32>,
    purged_at: NaiveDateTime,
    record: &str,
    signed: Option<(&str, &str)>,
) -> QueryResult<usize> {
    diesel::insert_into(retention_purges::table)
        .values((
            retention_purges::organisation_id.eq(organisation_id),
            retention_purges::purged_at.eq(purged_at),
            retention_purges::record.eq(record),
            retention_purges::signature.eq(signed.map(|(s, _)| s)),
            retention_purges::key_fingerprint.eq(signed.map(|(_, f)| f)),
        ))
        .execute(conn)
}

/// An organisation's purge records, oldest first.
pub fn purges_of(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<PurgeRow>> {
    retention_purges::table
        .filter(retention_purges::organisation_id.eq(organisation_id))
        .order(retention_purges::id.asc())
        .select(PurgeRow::as_select())
        .load(conn)
}

/// When the last purge ran (of anything).
pub fn last_purge_at(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    retention_purges::table
        .select(diesel::dsl::max(retention_purges::purged_at))
        .first(conn)
}
