//! Queries for two-factor keys and recovery codes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{recovery_codes, two_factor_keys};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = two_factor_keys, check_for_backend(crate::db::MultiBackend))]
pub struct TwoFactorKey {
    pub user_id: i32,
    pub secret_sealed: String,
    pub enrolled_at: NaiveDateTime,
    pub last_step: i64,
}

impl TwoFactorKey {
    pub fn find(conn: &mut DbConn, user_id: i32) -> QueryResult<Option<TwoFactorKey>> {
        two_factor_keys::table
            .find(user_id)
            .select(TwoFactorKey::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(
        conn: &mut DbConn,
        user_id: i32,
        secret_sealed: &str,
        at: NaiveDateTime,
        step: i64,
    ) -> QueryResult<()> {
        diesel::insert_into(two_factor_keys::table)
            .values((
                two_factor_keys::user_id.eq(user_id),
                two_factor_keys::secret_sealed.eq(secret_sealed),
                two_factor_keys::enrolled_at.eq(at),
                two_factor_keys::last_step.eq(step),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Takes `step` as the last one used, only if it is newer than the last:
    /// of two requests with the same code at once, one wins.
    pub fn take_step(conn: &mut DbConn, user_id: i32, step: i64) -> QueryResult<bool> {
        diesel::update(
            two_factor_keys::table
                .find(user_id)
                .filter(two_factor_keys::last_step.lt(step)),
        )
        .set(two_factor_keys::last_step.eq(step))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Removes the key and every recovery code.
    pub fn remove(conn: &mut DbConn, user_id: i32) -> QueryResult<bool> {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
        diesel::delete(two_factor_keys::table.find(user_id))
            .execute(conn)
            .map(|n| n == 1)
    }
}

/// Replaces someone's recovery codes with new ones (digests).
pub fn replace_recovery_codes(conn: &mut DbConn, user_id: i32, digests: &[String]) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    let rows: Vec<_> = digests
        .iter()
        .map(|d| (recovery_codes::user_id.eq(user_id), recovery_codes::code_digest.eq(d)))
        .collect();
    crate::per_backend!(conn, |c| diesel::insert_into(recovery_codes::table)
        .values(&rows)
        .execute(c))
    .map(drop)
}

/// Marks an unused recovery code used; false if there is none such.
pub fn use_recovery_code(conn: &mut DbConn, user_id: i32, digest: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_digest.eq(digest))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn unused_recovery_codes(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Every account with two-factor sign-in set up.
pub fn enrolled_users(conn: &mut DbConn) -> QueryResult<std::collections::HashSet<i32>> {
    two_factor_keys::table
        .select(two_factor_keys::user_id)
        .load::<i32>(conn)
        .map(|ids| ids.into_iter().collect())
}
