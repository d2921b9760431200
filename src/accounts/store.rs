//! Queries for users, their roles, the login throttle and setup tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    login_failures, login_lockouts, organisations, password_tokens, practices, setup_tokens, user_roles, users,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(crate::db::MultiBackend))]
pub struct User {
    pub id: i32,
    pub email: String,
    pub email_normalized: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub sessions_valid_after: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub sessions_valid_after: NaiveDateTime,
}

impl NewUser<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i32> {
        diesel::insert_into(users::table)
            .values(self)
            .returning(users::id)
            .get_result(conn)
    }
}

impl User {
    pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<User>> {
        users::table.find(id).select(User::as_select()).first(conn).optional()
    }

    pub fn find_by_email(conn: &mut DbConn, email_normalized: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email_normalized.eq(email_normalized))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }

    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<User>> {
        users::table
            .order(users::email_normalized.asc())
            .select(User::as_select())
            .load(conn)
    }

    /// Whether the holder has chosen a password (accepted their invitation),
    /// which shows the address reaches them.
    pub fn has_chosen_password(&self) -> bool {
        self.password_hash.starts_with('$')
    }

    /// Changes the address someone logs in with and is written to.
    pub fn set_email(conn: &mut DbConn, id: i32, email: &str, email_normalized: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((users::email.eq(email), users::email_normalized.eq(email_normalized)))
            .execute(conn)
    }

    /// Ends every session of the account started before now.
    pub fn end_sessions(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::sessions_valid_after.eq(now))
            .execute(conn)
    }

    /// Replaces the password and ends every session started before now.
    pub fn set_password(conn: &mut DbConn, id: i32, password_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::sessions_valid_after.eq(now),
            ))
            .execute(conn)
    }
}

/// A new user and their first role, written together.
pub struct UserWithRole<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
}

impl UserWithRole<'_> {
    pub fn insert(&self, conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<i32> {
        let user_id = NewUser {
            email: self.email,
            email_normalized: self.email_normalized,
            name: self.name,
            password_hash: self.password_hash,
            created_at: at,
            sessions_valid_after: at,
        }
        .insert(conn)?;
        NewUserRole {
            user_id,
            role: self.role,
            organisation_id: self.organisation_id,
            practice_id: self.practice_id,
            created_at: at,
        }
        .insert(conn)?;
        Ok(user_id)
    }
}

#[derive(Insertable)]
#[diesel(table_name = user_roles)]
pub struct NewUserRole<'a> {
    pub user_id: i32,
    pub role: &'a str,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
    pub created_at: NaiveDateTime,
}

impl NewUserRole<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<usize> {
        diesel::insert_into(user_roles::table).values(self).execute(conn)
    }
}

/// A role row with the names of what it is for.
#[derive(Debug, Clone, Queryable)]
pub struct RoleRow {
    pub user_id: i32,
    pub role: String,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
    pub organisation_code: Option<String>,
    pub organisation_name: Option<String>,
    pub practice_code: Option<String>,
    pub practice_name: Option<String>,
}

/// Roles of the given users (all users when `user_ids` is `None`).
pub fn roles_of(conn: &mut DbConn, user_ids: Option<&[i32]>) -> QueryResult<Vec<RoleRow>> {
    let mut query = user_roles::table
        .left_join(organisations::table)
        .left_join(practices::table)
        .select((
            user_roles::user_id,
            user_roles::role,
            user_roles::organisation_id,
            user_roles::practice_id,
            organisations::ods_code.nullable(),
            organisations::name.nullable(),
            practices::ods_code.nullable(),
            practices::name.nullable(),
        ))
        .order((user_roles::user_id.asc(), user_roles::id.asc()))
        .into_boxed();
    if let Some(ids) = user_ids {
        query = query.filter(user_roles::user_id.eq_any(ids.to_vec()));
    }
    query.load(conn)
}

/// (id, name, email) of the users holding `role` for any of `organisation_ids`.
pub fn holders_of(conn: &mut DbConn, role: &str, organisation_ids: &[i32]) -> QueryResult<Vec<(i32, String, String)>> {
    use crate::db::schema::{user_roles, users};
    users::table
        .inner_join(user_roles::table)
        .filter(user_roles::role.eq(role))
        .filter(user_roles::organisation_id.eq_any(organisation_ids.to_vec()))
        .select((users::id, users::name, users::email))
        .distinct()
        .load(conn)
}

pub fn record_login_failure(conn: &mut DbConn, subject: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::subject.eq(subject), login_failures::failed_at.eq(at)))
        .execute(conn)
}

pub fn count_login_failures_since(conn: &mut DbConn, subject: &str, since: NaiveDateTime) -> QueryResult<i64> {
    login_failures::table
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn clear_login_failures(conn: &mut DbConn, subject: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::subject.eq(subject))).execute(conn)
}

/// The end of the latest lockout of any of `subjects`.
pub fn latest_lockout_end(conn: &mut DbConn, subjects: &[String]) -> QueryResult<Option<NaiveDateTime>> {
    login_lockouts::table
        .filter(login_lockouts::subject.eq_any(subjects.to_vec()))
        .select(diesel::dsl::max(login_lockouts::locked_until))
        .first(conn)
}

/// Ends a subject's current waits at `at`.
pub fn end_lockouts(conn: &mut DbConn, subject: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        login_lockouts::table
            .filter(login_lockouts::subject.eq(subject))
            .filter(login_lockouts::locked_until.gt(at)),
    )
    .set(login_lockouts::locked_until.eq(at))
    .execute(conn)
}

pub fn lock_out(conn: &mut DbConn, subject: &str, now: NaiveDateTime, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(login_lockouts::table)
        .values((
            login_lockouts::subject.eq(subject),
            login_lockouts::locked_at.eq(now),
            login_lockouts::locked_until.eq(until),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = setup_tokens, check_for_backend(crate::db::MultiBackend))]
pub struct SetupToken {
    pub id: i32,
    pub token_digest: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl SetupToken {
    pub fn insert(
        conn: &mut DbConn,
        digest: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(setup_tokens::table)
            .values((
                setup_tokens::token_digest.eq(digest),
                setup_tokens::created_at.eq(now),
                setup_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)
    }

    /// Unused tokens stop working when a new one is issued.
    pub fn withdraw_unused(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(setup_tokens::table.filter(setup_tokens::used_at.is_null()))
            .set(setup_tokens::expires_at.eq(now))
            .execute(conn)
    }

    pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<SetupToken>> {
        setup_tokens::table
            .filter(setup_tokens::token_digest.eq(digest))
            .select(SetupToken::as_select())
            .first(conn)
            .optional()
    }

    /// Marks the token used; 0 rows when someone else used it first.
    pub fn mark_used(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(setup_tokens::table.find(id).filter(setup_tokens::used_at.is_null()))
            .set(setup_tokens::used_at.eq(now))
            .execute(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_tokens, check_for_backend(crate::db::MultiBackend))]
pub struct PasswordToken {
    pub id: i32,
    pub user_id: i32,
    pub purpose: String,
    pub token_digest: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// For an email change: the address that becomes the account's.
    pub new_email: Option<String>,
}

impl PasswordToken {
    pub fn insert(
        conn: &mut DbConn,
        user_id: i32,
        purpose: &str,
        digest: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(password_tokens::table)
            .values((
                password_tokens::user_id.eq(user_id),
                password_tokens::purpose.eq(purpose),
                password_tokens::token_digest.eq(digest),
                password_tokens::created_at.eq(now),
                password_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)
    }

    /// A link that, once followed, makes `new_email` the account's address.
    pub fn insert_email_change(
        conn: &mut DbConn,
        user_id: i32,
        new_email: &str,
        digest: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(password_tokens::table)
            .values((
                password_tokens::user_id.eq(user_id),
                password_tokens::purpose.eq(EMAIL_CHANGE),
                password_tokens::token_digest.eq(digest),
                password_tokens::created_at.eq(now),
                password_tokens::expires_at.eq(expires_at),
                password_tokens::new_email.eq(new_email),
            ))
            .execute(conn)
    }

    pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<PasswordToken>> {
        password_tokens::table
            .filter(password_tokens::token_digest.eq(digest))
            .select(PasswordToken::as_select())
            .first(conn)
            .optional()
    }

    /// Uses the token and withdraws the user's other unused tokens; 0 when
    /// someone used it first.
    pub fn use_up(conn: &mut DbConn, token: &PasswordToken, now: NaiveDateTime) -> QueryResult<usize> {
        let used = diesel::update(
            password_tokens::table
                .find(token.id)
                .filter(password_tokens::used_at.is_null()),
        )
        .set(password_tokens::used_at.eq(now))
        .execute(conn)?;
        diesel::update(
            password_tokens::table
                .filter(password_tokens::user_id.eq(token.user_id))
                .filter(password_tokens::used_at.is_null()),
        )
        .set(password_tokens::expires_at.eq(now))
        .execute(conn)?;
        Ok(used)
    }

    /// Ends every unused link of one account.
    pub fn withdraw_unused(conn: &mut DbConn, user_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            password_tokens::table
                .filter(password_tokens::user_id.eq(user_id))
                .filter(password_tokens::used_at.is_null())
                .filter(password_tokens::expires_at.gt(now)),
        )
        .set(password_tokens::expires_at.eq(now))
        .execute(conn)
    }

    pub fn count_since(conn: &mut DbConn, user_id: i32, purpose: &str, since: NaiveDateTime) -> QueryResult<i64> {
        password_tokens::table
            .filter(password_tokens::user_id.eq(user_id))
            .filter(password_tokens::purpose.eq(purpose))
            .filter(password_tokens::created_at.gt(since))
            .count()
            .get_result(conn)
    }
}

/// Sessions ended by logging out (by the digest of their random id).
pub mod sessions {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::revoked_sessions;

    pub fn revoke(conn: &mut DbConn, digest: &str, user_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
        crate::per_backend!(conn, |c| diesel::insert_into(revoked_sessions::table)
            .values((
                revoked_sessions::session_digest.eq(digest),
                revoked_sessions::user_id.eq(user_id),
                revoked_sessions::revoked_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c))
    }

    pub fn is_revoked(conn: &mut DbConn, digest: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            revoked_sessions::table.filter(revoked_sessions::session_digest.eq(digest)),
        ))
        .get_result(conn)
    }

    /// Forgets revocations of sessions that have expired anyway.
    pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(revoked_sessions::table.filter(revoked_sessions::revoked_at.lt(before))).execute(conn)
    }
}

/// The purpose of a link that confirms a new email address.
pub const EMAIL_CHANGE: &str = "email_change";

/// Personal API tokens.
pub mod api_tokens {
    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use crate::db::DbConn;
    use crate::db::schema::api_tokens;

    #[derive(Debug, Clone, Queryable)]
    pub struct ApiToken {
        pub id: i32,
        pub name: String,
        pub created_at: NaiveDateTime,
        pub last_used_at: Option<NaiveDateTime>,
        pub revoked_at: Option<NaiveDateTime>,
    }

    pub fn insert(conn: &mut DbConn, user_id: i32, name: &str, digest: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(user_id),
                api_tokens::name.eq(name),
                api_tokens::token_digest.eq(digest),
                api_tokens::created_at.eq(now),
            ))
            .execute(conn)
    }

    pub fn of_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<ApiToken>> {
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .order(api_tokens::id.desc())
            .select((
                api_tokens::id,
                api_tokens::name,
                api_tokens::created_at,
                api_tokens::last_used_at,
                api_tokens::revoked_at,
            ))
            .load(conn)
    }

    /// The user a live token belongs to, marking it used.
    pub fn use_token(conn: &mut DbConn, digest: &str, now: NaiveDateTime) -> QueryResult<Option<i32>> {
        let found: Option<(i32, i32)> = api_tokens::table
            .filter(api_tokens::token_digest.eq(digest))
            .filter(api_tokens::revoked_at.is_null())
            .select((api_tokens::id, api_tokens::user_id))
            .first(conn)
            .optional()?;
        if let Some((id, _)) = found {
            diesel::update(api_tokens::table.find(id))
                .set(api_tokens::last_used_at.eq(now))
                .execute(conn)?;
        }
        Ok(found.map(|(_, user_id)| user_id))
    }

    pub fn revoke(conn: &mut DbConn, user_id: i32, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            api_tokens::table
                .filter(api_tokens::id.eq(id))
                .filter(api_tokens::user_id.eq(user_id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)
    }
}
