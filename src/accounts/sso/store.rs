//! Queries for accounts' links to single sign-on identities.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{identity_links, organisation_sign_in};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = identity_links, check_for_backend(crate::db::MultiBackend))]
pub struct IdentityLink {
    pub id: i32,
    pub user_id: i32,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub struct NewLink<'a> {
    pub user_id: i32,
    pub provider: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
}

impl IdentityLink {
    pub fn find(conn: &mut DbConn, issuer: &str, subject: &str) -> QueryResult<Option<IdentityLink>> {
        identity_links::table
            .filter(identity_links::issuer.eq(issuer))
            .filter(identity_links::subject.eq(subject))
            .select(IdentityLink::as_select())
            .first(conn)
            .optional()
    }

    pub fn of_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<IdentityLink>> {
        identity_links::table
            .filter(identity_links::user_id.eq(user_id))
            .order(identity_links::linked_at.asc())
            .select(IdentityLink::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut DbConn, link: &NewLink<'_>, at: NaiveDateTime) -> QueryResult<()> {
        diesel::insert_into(identity_links::table)
            .values((
                identity_links::user_id.eq(link.user_id),
                identity_links::provider.eq(link.provider),
                identity_links::issuer.eq(link.issuer),
                identity_links::subject.eq(link.subject),
                identity_links::email.eq(link.email),
                identity_links::linked_at.eq(at),
                identity_links::last_used_at.eq(Some(at)),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn used(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(identity_links::table.find(id))
            .set(identity_links::last_used_at.eq(Some(at)))
            .execute(conn)
            .map(drop)
    }

    pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<()> {
        diesel::delete(identity_links::table.find(id)).execute(conn).map(drop)
    }
}

/// Whether the organisation's staff must sign in with single sign-on.
pub fn staff_sso_only(conn: &mut DbConn, organisation_id: i32) -> QueryResult<bool> {
    organisation_sign_in::table
        .find(organisation_id)
        .select(organisation_sign_in::staff_sso_only)
        .first(conn)
        .optional()
        .map(|found| found.unwrap_or(false))
}

pub fn set_staff_sso_only(
    conn: &mut DbConn,
    organisation_id: i32,
    on: bool,
    at: NaiveDateTime,
    by: &str,
) -> QueryResult<()> {
    diesel::delete(organisation_sign_in::table.find(organisation_id)).execute(conn)?;
    diesel::insert_into(organisation_sign_in::table)
        .values((
            organisation_sign_in::organisation_id.eq(organisation_id),
            organisation_sign_in::staff_sso_only.eq(on),
            organisation_sign_in::updated_at.eq(at),
            organisation_sign_in::updated_by.eq(by),
        ))
        .execute(conn)
        .map(drop)
}
