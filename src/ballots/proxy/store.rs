//! Proxy instruments: who appointed whom in which ballot, the direction,
//! acceptance and revocation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::proxy_appointments;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proxy_appointments, check_for_backend(crate::db::MultiBackend))]
pub struct AppointmentRow {
    pub id: i32,
    pub ballot_id: i32,
    pub practice_id: i32,
    /// The holder's practice; `None` when the organisation's chair holds it.
    pub holder_practice_id: Option<i32>,
    pub direction: Option<String>,
    pub made_by: Option<i32>,
    pub made_at: NaiveDateTime,
    pub accepted_by: Option<i32>,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = proxy_appointments)]
pub struct NewAppointment {
    pub ballot_id: i32,
    pub practice_id: i32,
    pub holder_practice_id: Option<i32>,
    pub direction: Option<String>,
    pub made_by: Option<i32>,
    pub made_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &NewAppointment) -> QueryResult<i32> {
    diesel::insert_into(proxy_appointments::table)
        .values(row)
        .returning(proxy_appointments::id)
        .get_result(conn)
}

/// Every appointment made in the ballot, oldest first.
pub fn of_ballot(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<AppointmentRow>> {
    proxy_appointments::table
        .filter(proxy_appointments::ballot_id.eq(ballot_id))
        .order(proxy_appointments::id.asc())
        .select(AppointmentRow::as_select())
        .load(conn)
}

/// The appointments not revoked for these practices in these ballots.
pub fn standing_for(conn: &mut DbConn, ballot_ids: &[i32], practice_ids: &[i32]) -> QueryResult<Vec<AppointmentRow>> {
    proxy_appointments::table
        .filter(proxy_appointments::ballot_id.eq_any(ballot_ids))
        .filter(proxy_appointments::practice_id.eq_any(practice_ids))
        .filter(proxy_appointments::revoked_at.is_null())
        .select(AppointmentRow::as_select())
        .load(conn)
}

/// The standing (not revoked) appointments held by these practices, or by
/// the chair of these organisations, in ballots still taking votes.
pub fn standing_held(
    conn: &mut DbConn,
    holder_practice_ids: &[i32],
    chaired_organisation_ids: &[i32],
) -> QueryResult<Vec<AppointmentRow>> {
    use crate::db::schema::ballots;
    let live = ballots::table
        .filter(ballots::state.eq_any(["published", "open"]))
        .select(ballots::id);
    let chaired = ballots::table
        .filter(ballots::organisation_id.eq_any(chaired_organisation_ids))
        .select(ballots::id);
    proxy_appointments::table
        .filter(proxy_appointments::revoked_at.is_null())
        .filter(proxy_appointments::ballot_id.eq_any(live))
        .filter(
            proxy_appointments::holder_practice_id.eq_any(holder_practice_ids).or(
                proxy_appointments::holder_practice_id
                    .is_null()
                    .and(proxy_appointments::ballot_id.eq_any(chaired)),
            ),
        )
        .order(proxy_appointments::id.asc())
        .select(AppointmentRow::as_select())
        .load(conn)
}

/// Accepts once: 0 when accepted or revoked already.
pub fn accept(conn: &mut DbConn, id: i32, user_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        proxy_appointments::table
            .find(id)
            .filter(proxy_appointments::accepted_at.is_null())
            .filter(proxy_appointments::revoked_at.is_null()),
    )
    .set((
        proxy_appointments::accepted_at.eq(now),
        proxy_appointments::accepted_by.eq(user_id),
    ))
    .execute(conn)
}

/// Revokes once: 0 when revoked already.
pub fn revoke(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        proxy_appointments::table
            .find(id)
            .filter(proxy_appointments::revoked_at.is_null()),
    )
    .set(proxy_appointments::revoked_at.eq(now))
    .execute(conn)
}
