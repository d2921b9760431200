//! The people a register of interests is kept for, and their declarations.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{interest_breaches, interest_people, interest_returns, interest_rounds, interests};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interest_people, check_for_backend(crate::db::MultiBackend))]
pub struct PersonRow {
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub email: Option<String>,
    pub position: String,
    pub decision_maker: bool,
    pub user_id: Option<i32>,
    pub added_at: NaiveDateTime,
    pub left_on: Option<NaiveDate>,
    pub appointed_on: Option<NaiveDate>,
}

impl PersonRow {
    /// Whether the person still holds their position on `day`: those who
    /// have left are not asked to declare, nor counted as not declaring.
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.left_on.is_none_or(|left| left > day)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = interest_people)]
pub struct NewPerson {
    pub organisation_id: i32,
    pub name: String,
    pub email: Option<String>,
    pub position: String,
    pub decision_maker: bool,
    pub user_id: Option<i32>,
    pub added_at: NaiveDateTime,
    pub appointed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interests, check_for_backend(crate::db::MultiBackend))]
pub struct InterestRow {
    pub id: i32,
    pub person_id: i32,
    pub category: String,
    pub kind: String,
    pub counterparty: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub declared_on: NaiveDate,
    pub value_pence: Option<i64>,
    pub accepted: Option<bool>,
    pub management: String,
    pub agreed_by: String,
    pub withheld_reason: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = interests)]
pub struct NewInterest {
    pub person_id: i32,
    pub category: String,
    pub kind: String,
    pub counterparty: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub declared_on: NaiveDate,
    pub value_pence: Option<i64>,
    pub accepted: Option<bool>,
    pub management: String,
    pub agreed_by: String,
    pub withheld_reason: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: NaiveDateTime,
}

pub fn insert_person(conn: &mut DbConn, row: &NewPerson) -> QueryResult<i32> {
    diesel::insert_into(interest_people::table)
        .values(row)
        .returning(interest_people::id)
        .get_result(conn)
}

/// The organisation's people, by name.
pub fn people(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<PersonRow>> {
    interest_people::table
        .filter(interest_people::organisation_id.eq(organisation_id))
        .order((interest_people::name.asc(), interest_people::id.asc()))
        .select(PersonRow::as_select())
        .load(conn)
}

pub fn person(conn: &mut DbConn, organisation_id: i32, id: i32) -> QueryResult<Option<PersonRow>> {
    interest_people::table
        .filter(interest_people::organisation_id.eq(organisation_id))
        .filter(interest_people::id.eq(id))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()
}

/// A person's details as an administrator edits them.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = interest_people, treat_none_as_null = true)]
pub struct PersonChanges {
    pub name: String,
    pub email: Option<String>,
    pub position: String,
    pub decision_maker: bool,
    pub user_id: Option<i32>,
    pub appointed_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

pub fn update_person(conn: &mut DbConn, id: i32, changes: &PersonChanges) -> QueryResult<usize> {
    diesel::update(interest_people::table.find(id))
        .set(changes)
        .execute(conn)
}

/// Records when an interest ended; only one with no end yet, so a form
/// sent twice changes nothing.
pub fn end_interest(conn: &mut DbConn, id: i32, ends_on: NaiveDate) -> QueryResult<usize> {
    diesel::update(interests::table.find(id).filter(interests::ends_on.is_null()))
        .set(interests::ends_on.eq(ends_on))
        .execute(conn)
}

/// The committees a person sits on, by name: a leaver must come off them
/// first, or they would still count towards a quorum.
pub fn committees_of_person(conn: &mut DbConn, person_id: i32) -> QueryResult<Vec<String>> {
    use crate::db::schema::{committee_members, committees};
    committee_members::table
        .inner_join(committees::table)
        .filter(committee_members::person_id.eq(person_id))
        .order(committees::name.asc())
        .select(committees::name)
        .load(conn)
}

pub fn insert_interest(conn: &mut DbConn, row: &NewInterest) -> QueryResult<i32> {
    diesel::insert_into(interests::table)
        .values(row)
        .returning(interests::id)
        .get_result(conn)
}

/// Every declaration of the organisation's people, by person then start.
pub fn interests_of_organisation(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<InterestRow>> {
    interests::table
        .inner_join(interest_people::table)
        .filter(interest_people::organisation_id.eq(organisation_id))
        .order((
            interests::person_id.asc(),
            interests::starts_on.asc(),
            interests::id.asc(),
        ))
        .select(InterestRow::as_select())
        .load(conn)
}

/// One declaration, if it is one of the organisation's people's.
pub fn interest_in_organisation(conn: &mut DbConn, organisation_id: i32, id: i32) -> QueryResult<Option<InterestRow>> {
    interests::table
        .inner_join(interest_people::table)
        .filter(interest_people::organisation_id.eq(organisation_id))
        .filter(interests::id.eq(id))
        .select(InterestRow::as_select())
        .first(conn)
        .optional()
}

/// Every declaration of these people, by person then start.
pub fn interests_of_people(conn: &mut DbConn, person_ids: &[i32]) -> QueryResult<Vec<InterestRow>> {
    interests::table
        .filter(interests::person_id.eq_any(person_ids))
        .order((
            interests::person_id.asc(),
            interests::starts_on.asc(),
            interests::id.asc(),
        ))
        .select(InterestRow::as_select())
        .load(conn)
}

/// Whether an identical declaration is on the register already (a form
/// sent twice).
pub fn same_declared(conn: &mut DbConn, row: &NewInterest) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        interests::table
            .filter(interests::person_id.eq(row.person_id))
            .filter(interests::kind.eq(&row.kind))
            .filter(interests::counterparty.eq(&row.counterparty))
            .filter(interests::description.eq(&row.description))
            .filter(interests::starts_on.eq(row.starts_on)),
    ))
    .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interest_rounds, check_for_backend(crate::db::MultiBackend))]
pub struct RoundRow {
    pub id: i32,
    pub organisation_id: i32,
    pub title: String,
    pub due_on: NaiveDate,
    pub opened_at: NaiveDateTime,
    pub last_reminded_at: Option<NaiveDateTime>,
}

pub fn insert_round(
    conn: &mut DbConn,
    organisation_id: i32,
    title: &str,
    due_on: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(interest_rounds::table)
        .values((
            interest_rounds::organisation_id.eq(organisation_id),
            interest_rounds::title.eq(title),
            interest_rounds::due_on.eq(due_on),
            interest_rounds::opened_at.eq(now),
        ))
        .returning(interest_rounds::id)
        .get_result(conn)
}

/// The organisation's rounds, the latest first.
pub fn rounds(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<RoundRow>> {
    interest_rounds::table
        .filter(interest_rounds::organisation_id.eq(organisation_id))
        .order(interest_rounds::id.desc())
        .select(RoundRow::as_select())
        .load(conn)
}

pub fn set_reminded(conn: &mut DbConn, round_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(interest_rounds::table.find(round_id))
        .set(interest_rounds::last_reminded_at.eq(now))
        .execute(conn)
}

/// The round's returns: (person, nil, when).
pub fn returns(conn: &mut DbConn, round_id: i32) -> QueryResult<Vec<(i32, bool, NaiveDateTime)>> {
    interest_returns::table
        .filter(interest_returns::round_id.eq(round_id))
        .select((
            interest_returns::person_id,
            interest_returns::nil,
            interest_returns::returned_at,
        ))
        .load(conn)
}

/// Records a person's return in the round, replacing an earlier one.
pub fn save_return(conn: &mut DbConn, round_id: i32, person_id: i32, nil: bool, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        interest_returns::table
            .filter(interest_returns::round_id.eq(round_id))
            .filter(interest_returns::person_id.eq(person_id)),
    )
    .execute(conn)?;
    diesel::insert_into(interest_returns::table)
        .values((
            interest_returns::round_id.eq(round_id),
            interest_returns::person_id.eq(person_id),
            interest_returns::nil.eq(nil),
            interest_returns::returned_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interest_breaches, check_for_backend(crate::db::MultiBackend))]
pub struct BreachRow {
    pub id: i32,
    pub organisation_id: i32,
    pub person_id: Option<i32>,
    pub occurred_on: NaiveDate,
    pub description: String,
    pub action_taken: String,
    pub recorded_by: Option<i32>,
    pub recorded_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn insert_breach(
    conn: &mut DbConn,
    organisation_id: i32,
    person_id: Option<i32>,
    occurred_on: NaiveDate,
    description: &str,
    action_taken: &str,
    recorded_by: i32,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(interest_breaches::table)
        .values((
            interest_breaches::organisation_id.eq(organisation_id),
            interest_breaches::person_id.eq(person_id),
            interest_breaches::occurred_on.eq(occurred_on),
            interest_breaches::description.eq(description),
            interest_breaches::action_taken.eq(action_taken),
            interest_breaches::recorded_by.eq(recorded_by),
            interest_breaches::recorded_at.eq(now),
        ))
        .returning(interest_breaches::id)
        .get_result(conn)
}

pub fn breaches(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<BreachRow>> {
    interest_breaches::table
        .filter(interest_breaches::organisation_id.eq(organisation_id))
        .order(interest_breaches::occurred_on.desc())
        .select(BreachRow::as_select())
        .load(conn)
}
