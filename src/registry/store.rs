//! Queries for organisations, practices and memberships.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{memberships, organisation_lmcs, organisations, practices};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organisations, check_for_backend(crate::db::MultiBackend))]
pub struct Organisation {
    pub id: i32,
    pub kind: String,
    pub ods_code: String,
    pub name: String,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation<'a> {
    pub kind: &'a str,
    pub ods_code: &'a str,
    pub name: &'a str,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

impl NewOrganisation<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        diesel::insert_into(organisations::table)
            .values(self)
            .returning(organisations::id)
            .get_result(conn)
    }
}

impl Organisation {
    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Organisation>> {
        organisations::table
            .filter(organisations::ods_code.eq(code))
            .select(Organisation::as_select())
            .first(conn)
            .optional()
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Organisation>> {
        organisations::table
            .order(organisations::name.asc())
            .select(Organisation::as_select())
            .load(conn)
    }

    pub fn with_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<Organisation>> {
        organisations::table
            .filter(organisations::id.eq_any(ids.to_vec()))
            .order(organisations::name.asc())
            .select(Organisation::as_select())
            .load(conn)
    }

    /// The LMCs that cover organisation `id`.
    pub fn covering_lmcs(conn: &mut DbConn, id: i32) -> QueryResult<Vec<Organisation>> {
        organisation_lmcs::table
            .inner_join(organisations::table.on(organisations::id.eq(organisation_lmcs::lmc_id)))
            .filter(organisation_lmcs::organisation_id.eq(id))
            .order(organisations::name.asc())
            .select(Organisation::as_select())
            .load(conn)
    }

    /// Organisations covered by any of the given LMCs.
    pub fn covered_by(conn: &mut DbConn, lmc_ids: &[i32]) -> QueryResult<Vec<i32>> {
        organisation_lmcs::table
            .filter(organisation_lmcs::lmc_id.eq_any(lmc_ids.to_vec()))
            .select(organisation_lmcs::organisation_id)
            .load(conn)
    }

    /// The organisation practice `practice_id` is a member of on `day`.
    pub fn of_practice_on(conn: &mut DbConn, practice_id: i32, day: NaiveDate) -> QueryResult<Option<Organisation>> {
        memberships::table
            .inner_join(organisations::table)
            .filter(memberships::practice_id.eq(practice_id))
            .filter(memberships::joined_on.le(day))
            .filter(memberships::left_on.is_null().or(memberships::left_on.gt(day)))
            .order(memberships::joined_on.desc())
            .select(Organisation::as_select())
            .first(conn)
            .optional()
    }

    pub fn add_covering_lmc(conn: &mut DbConn, id: i32, lmc_id: i32) -> QueryResult<usize> {
        diesel::insert_into(organisation_lmcs::table)
            .values((
                organisation_lmcs::organisation_id.eq(id),
                organisation_lmcs::lmc_id.eq(lmc_id),
            ))
            .execute(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = practices, check_for_backend(crate::db::MultiBackend))]
pub struct Practice {
    pub id: i32,
    pub ods_code: String,
    pub name: String,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = practices)]
pub struct NewPractice<'a> {
    pub ods_code: &'a str,
    pub name: &'a str,
    pub is_demo: bool,
    pub created_at: NaiveDateTime,
}

impl NewPractice<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        diesel::insert_into(practices::table)
            .values(self)
            .returning(practices::id)
            .get_result(conn)
    }
}

impl Practice {
    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Practice>> {
        practices::table
            .filter(practices::ods_code.eq(code))
            .select(Practice::as_select())
            .first(conn)
            .optional()
    }

    /// Practices that are members of organisation `id` on `day`.
    pub fn members_on(conn: &mut DbConn, organisation_id: i32, day: NaiveDate) -> QueryResult<Vec<Practice>> {
        memberships::table
            .inner_join(practices::table)
            .filter(memberships::organisation_id.eq(organisation_id))
            .filter(memberships::joined_on.le(day))
            .filter(memberships::left_on.is_null().or(memberships::left_on.gt(day)))
            .order(practices::name.asc())
            .select(Practice::as_select())
            .load(conn)
    }

    pub fn join(conn: &mut DbConn, practice_id: i32, organisation_id: i32, joined_on: NaiveDate) -> QueryResult<usize> {
        diesel::insert_into(memberships::table)
            .values((
                memberships::practice_id.eq(practice_id),
                memberships::organisation_id.eq(organisation_id),
                memberships::joined_on.eq(joined_on),
            ))
            .execute(conn)
    }
}
