//! Queries for accounts' links to single sign-on identities.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{account_requests, identity_links, organisation_sign_in, sso_link_requests};

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

impl<'a> NewLink<'a> {
    /// `user_id`'s link to `subject` at `provider`.
    pub fn at_provider(
        user_id: i32,
        provider: &'a super::model::ProviderSettings,
        subject: &'a str,
        email: Option<&'a str>,
    ) -> Self {
        NewLink {
            user_id,
            provider: &provider.id,
            issuer: &provider.issuer,
            subject,
            email,
        }
    }
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

/// How an organisation's people sign in (defaults when never set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignInRules {
    /// Staff must use single sign-on; their passwords are refused.
    pub staff_sso_only: bool,
    /// Staff of member practices may ask for an account by signing in with
    /// a provider that names their practice (CIS2); it waits for approval.
    pub practice_staff_may_join: bool,
}

pub fn sign_in_rules(conn: &mut DbConn, organisation_id: i32) -> QueryResult<SignInRules> {
    organisation_sign_in::table
        .find(organisation_id)
        .select((
            organisation_sign_in::staff_sso_only,
            organisation_sign_in::practice_staff_may_join,
        ))
        .first::<(bool, bool)>(conn)
        .optional()
        .map(|found| {
            found.map_or_else(SignInRules::default, |(staff_sso_only, practice_staff_may_join)| {
                SignInRules {
                    staff_sso_only,
                    practice_staff_may_join,
                }
            })
        })
}

pub fn set_sign_in_rules(
    conn: &mut DbConn,
    organisation_id: i32,
    rules: SignInRules,
    at: NaiveDateTime,
    by: &str,
) -> QueryResult<()> {
    diesel::delete(organisation_sign_in::table.find(organisation_id)).execute(conn)?;
    diesel::insert_into(organisation_sign_in::table)
        .values((
            organisation_sign_in::organisation_id.eq(organisation_id),
            organisation_sign_in::staff_sso_only.eq(rules.staff_sso_only),
            organisation_sign_in::practice_staff_may_join.eq(rules.practice_staff_may_join),
            organisation_sign_in::updated_at.eq(at),
            organisation_sign_in::updated_by.eq(by),
        ))
        .execute(conn)
        .map(drop)
}

/// A link emailed to an account's address to link a provider's identity.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sso_link_requests, check_for_backend(crate::db::MultiBackend))]
pub struct LinkRequest {
    pub id: i32,
    pub user_id: i32,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub provider_email: Option<String>,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl LinkRequest {
    pub fn insert(
        conn: &mut DbConn,
        link: &NewLink<'_>,
        digest: &str,
        at: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(sso_link_requests::table)
            .values((
                sso_link_requests::user_id.eq(link.user_id),
                sso_link_requests::provider.eq(link.provider),
                sso_link_requests::issuer.eq(link.issuer),
                sso_link_requests::subject.eq(link.subject),
                sso_link_requests::provider_email.eq(link.email),
                sso_link_requests::token_digest.eq(digest),
                sso_link_requests::created_at.eq(at),
                sso_link_requests::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<LinkRequest>> {
        sso_link_requests::table
            .filter(sso_link_requests::token_digest.eq(digest))
            .select(LinkRequest::as_select())
            .first(conn)
            .optional()
    }

    pub fn count_since(conn: &mut DbConn, user_id: i32, since: NaiveDateTime) -> QueryResult<i64> {
        sso_link_requests::table
            .filter(sso_link_requests::user_id.eq(user_id))
            .filter(sso_link_requests::created_at.gt(since))
            .count()
            .get_result(conn)
    }

    /// Links asked for by one identity (to any account) since `since`.
    pub fn count_for_identity_since(
        conn: &mut DbConn,
        issuer: &str,
        subject: &str,
        since: NaiveDateTime,
    ) -> QueryResult<i64> {
        sso_link_requests::table
            .filter(sso_link_requests::issuer.eq(issuer))
            .filter(sso_link_requests::subject.eq(subject))
            .filter(sso_link_requests::created_at.gt(since))
            .count()
            .get_result(conn)
    }

    /// Uses the link; 0 when it was used first by another request.
    pub fn use_up(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            sso_link_requests::table
                .find(id)
                .filter(sso_link_requests::used_at.is_null()),
        )
        .set(sso_link_requests::used_at.eq(Some(at)))
        .execute(conn)
    }
}

/// A practice's staff member asking, through a provider, to represent it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_requests, check_for_backend(crate::db::MultiBackend))]
pub struct AccountRequest {
    pub id: i32,
    pub user_id: i32,
    pub practice_id: i32,
    pub organisation_id: i32,
    pub provider: String,
    pub requested_at: NaiveDateTime,
    pub decision: Option<String>,
}

impl AccountRequest {
    pub fn insert(
        conn: &mut DbConn,
        user_id: i32,
        practice_id: i32,
        organisation_id: i32,
        provider: &str,
        at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(account_requests::table)
            .values((
                account_requests::user_id.eq(user_id),
                account_requests::practice_id.eq(practice_id),
                account_requests::organisation_id.eq(organisation_id),
                account_requests::provider.eq(provider),
                account_requests::requested_at.eq(at),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn waiting_for_organisation(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<AccountRequest>> {
        account_requests::table
            .filter(account_requests::organisation_id.eq(organisation_id))
            .filter(account_requests::decision.is_null())
            .order(account_requests::requested_at.asc())
            .select(AccountRequest::as_select())
            .load(conn)
    }

    pub fn of_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<AccountRequest>> {
        account_requests::table
            .filter(account_requests::user_id.eq(user_id))
            .select(AccountRequest::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<AccountRequest>> {
        account_requests::table
            .find(id)
            .select(AccountRequest::as_select())
            .first(conn)
            .optional()
    }

    /// Records the decision; 0 when someone decided it first.
    pub fn decide(
        conn: &mut DbConn,
        id: i32,
        decision: &str,
        reason: Option<&str>,
        at: NaiveDateTime,
        by: &str,
    ) -> QueryResult<usize> {
        diesel::update(
            account_requests::table
                .find(id)
                .filter(account_requests::decision.is_null()),
        )
        .set((
            account_requests::decision.eq(Some(decision)),
            account_requests::reason.eq(reason),
            account_requests::decided_at.eq(Some(at)),
            account_requests::decided_by.eq(Some(by)),
        ))
        .execute(conn)
    }
}
