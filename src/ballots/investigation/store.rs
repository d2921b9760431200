//! Suspensions and voids as kept.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Interruptions, Suspension, Void};
use crate::db::DbConn;
use crate::db::schema::{ballot_suspensions, ballot_voids, ballots};

type SuspensionRow = (
    i32,
    NaiveDateTime,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
);

fn suspension(row: SuspensionRow) -> Suspension {
    let (number, suspended_at, suspended_by, reason, closes_at_before, resumed_at, resumed_by, closes_at_after, short) =
        row;
    Suspension {
        number,
        suspended_at,
        suspended_by,
        reason,
        closes_at_before,
        resumed_at,
        resumed_by,
        closes_at_after,
        short_reason: short,
    }
}

pub fn suspensions(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Vec<Suspension>> {
    let rows: Vec<SuspensionRow> = ballot_suspensions::table
        .filter(ballot_suspensions::ballot_id.eq(ballot_id))
        .order(ballot_suspensions::number)
        .select((
            ballot_suspensions::number,
            ballot_suspensions::suspended_at,
            ballot_suspensions::suspended_by,
            ballot_suspensions::reason,
            ballot_suspensions::closes_at_before,
            ballot_suspensions::resumed_at,
            ballot_suspensions::resumed_by,
            ballot_suspensions::closes_at_after,
            ballot_suspensions::short_reason,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(suspension).collect())
}

/// Whether voting on the ballot is suspended now (read where votes are
/// written, under the ballot's row lock).
pub fn is_suspended(conn: &mut DbConn, ballot_id: i32) -> QueryResult<bool> {
    let open: i64 = ballot_suspensions::table
        .filter(ballot_suspensions::ballot_id.eq(ballot_id))
        .filter(ballot_suspensions::resumed_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(open > 0)
}

pub fn insert_suspension(
    conn: &mut DbConn,
    ballot_id: i32,
    now: NaiveDateTime,
    by: &str,
    reason: &str,
    closes_at_before: NaiveDateTime,
) -> QueryResult<i32> {
    let last: Option<i32> = ballot_suspensions::table
        .filter(ballot_suspensions::ballot_id.eq(ballot_id))
        .select(diesel::dsl::max(ballot_suspensions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    diesel::insert_into(ballot_suspensions::table)
        .values((
            ballot_suspensions::ballot_id.eq(ballot_id),
            ballot_suspensions::number.eq(number),
            ballot_suspensions::suspended_at.eq(now),
            ballot_suspensions::suspended_by.eq(by),
            ballot_suspensions::reason.eq(reason),
            ballot_suspensions::closes_at_before.eq(closes_at_before),
        ))
        .execute(conn)?;
    Ok(number)
}

/// Ends the suspension and moves the ballot's close; 0 when it had ended.
pub fn resume(
    conn: &mut DbConn,
    ballot_id: i32,
    number: i32,
    now: NaiveDateTime,
    by: &str,
    new_close: NaiveDateTime,
    short_reason: Option<&str>,
) -> QueryResult<usize> {
    let ended = diesel::update(
        ballot_suspensions::table
            .filter(ballot_suspensions::ballot_id.eq(ballot_id))
            .filter(ballot_suspensions::number.eq(number))
            .filter(ballot_suspensions::resumed_at.is_null()),
    )
    .set((
        ballot_suspensions::resumed_at.eq(now),
        ballot_suspensions::resumed_by.eq(by),
        ballot_suspensions::closes_at_after.eq(new_close),
        ballot_suspensions::short_reason.eq(short_reason),
    ))
    .execute(conn)?;
    if ended == 1 {
        diesel::update(ballots::table.find(ballot_id))
            .set((ballots::closes_at.eq(new_close), ballots::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(ended)
}

/// Writes to the ballot's row, so (on PostgreSQL) a batch of votes holding
/// it waits, or is waited for, before voting stops.
pub fn touch(conn: &mut DbConn, ballot_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(ballots::table.find(ballot_id))
        .set(ballots::updated_at.eq(now))
        .execute(conn)
}

type VoidRow = (i32, NaiveDateTime, String, String, String, Option<i32>);

fn void(row: VoidRow) -> Void {
    let (ballot_id, voided_at, voided_by, reason, state_before, rerun_ballot_id) = row;
    Void {
        ballot_id,
        voided_at,
        voided_by,
        reason,
        state_before,
        rerun_ballot_id,
    }
}

const VOID_COLUMNS: (
    ballot_voids::ballot_id,
    ballot_voids::voided_at,
    ballot_voids::voided_by,
    ballot_voids::reason,
    ballot_voids::state_before,
    ballot_voids::rerun_ballot_id,
) = (
    ballot_voids::ballot_id,
    ballot_voids::voided_at,
    ballot_voids::voided_by,
    ballot_voids::reason,
    ballot_voids::state_before,
    ballot_voids::rerun_ballot_id,
);

pub fn void_of(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Option<Void>> {
    let row: Option<VoidRow> = ballot_voids::table
        .find(ballot_id)
        .select(VOID_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(row.map(void))
}

/// The void ballot that `ballot_id` re-runs, if it is a re-run.
pub fn rerun_source(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Option<Void>> {
    let row: Option<VoidRow> = ballot_voids::table
        .filter(ballot_voids::rerun_ballot_id.eq(ballot_id))
        .select(VOID_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(row.map(void))
}

pub fn interruptions(conn: &mut DbConn, ballot_id: i32) -> QueryResult<Interruptions> {
    Ok(Interruptions {
        suspensions: suspensions(conn, ballot_id)?,
        void: void_of(conn, ballot_id)?,
        rerun_of: rerun_source(conn, ballot_id)?,
    })
}

pub fn insert_void(conn: &mut DbConn, record: &Void) -> QueryResult<usize> {
    diesel::insert_into(ballot_voids::table)
        .values((
            ballot_voids::ballot_id.eq(record.ballot_id),
            ballot_voids::voided_at.eq(record.voided_at),
            ballot_voids::voided_by.eq(&record.voided_by),
            ballot_voids::reason.eq(&record.reason),
            ballot_voids::state_before.eq(&record.state_before),
            ballot_voids::rerun_ballot_id.eq(record.rerun_ballot_id),
        ))
        .execute(conn)
}

pub fn set_rerun(conn: &mut DbConn, ballot_id: i32, rerun_id: i32) -> QueryResult<usize> {
    diesel::update(ballot_voids::table.find(ballot_id))
        .set(ballot_voids::rerun_ballot_id.eq(rerun_id))
        .execute(conn)
}

/// Of `ballot_ids`, those declared void, and those whose voting is
/// suspended now (for lists of ballots).
pub fn void_and_suspended(
    conn: &mut DbConn,
    ballot_ids: &[i32],
) -> QueryResult<(std::collections::HashSet<i32>, std::collections::HashSet<i32>)> {
    let void: Vec<i32> = ballot_voids::table
        .filter(ballot_voids::ballot_id.eq_any(ballot_ids))
        .select(ballot_voids::ballot_id)
        .load(conn)?;
    let suspended: Vec<i32> = ballot_suspensions::table
        .filter(ballot_suspensions::ballot_id.eq_any(ballot_ids))
        .filter(ballot_suspensions::resumed_at.is_null())
        .select(ballot_suspensions::ballot_id)
        .load(conn)?;
    let void: std::collections::HashSet<i32> = void.into_iter().collect();
    let suspended = suspended.into_iter().filter(|id| !void.contains(id)).collect();
    Ok((void, suspended))
}
