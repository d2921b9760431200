//! The people a register of interests is kept for, and their declarations.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{interest_people, interests};

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
