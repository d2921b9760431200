//! Suspending, resuming and voiding a ballot, and re-running a void one.
//! Each runs in one transaction, is audited and told to the electorate and
//! the LMC's observers through the outbox.

use chrono::{Duration, NaiveDateTime, Timelike};
use serde_json::json;

use super::model::{self, Suspension, Void};
use super::store;
use crate::accounts::service::SessionUser;
use crate::audit::service::{Event, record};
use crate::ballots::model::BallotState;
use crate::ballots::service::{Loaded, audit_ballot as audit, load, require_runs};
use crate::ballots::store as ballot_store;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Outbox, cancel_pending};

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Stops voting at once, with a reason; the electorate and the LMC are told.
pub fn suspend(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32, reason: &str) -> AppResult<()> {
    let reason =
        model::reason("reason", reason, "Enter why voting is suspended").map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, actor, id)?;
        if let Some(active) = loaded.suspension() {
            return Err(AppError::Conflict(format!(
                "Voting has been suspended since {}.",
                crate::time::date_time(active.suspended_at)
            )));
        }
        let now = now();
        if loaded.state != BallotState::Open || now >= loaded.ballot.closes_at {
            return Err(AppError::Conflict(format!(
                "The ballot is {}: only open voting can be suspended.",
                loaded.state.label().to_lowercase()
            )));
        }
        store::touch(c, id, now)?;
        let number = store::insert_suspension(c, id, now, &actor.name, &reason, loaded.ballot.closes_at)?;
        audit(
            c,
            actor,
            &loaded,
            "ballot.suspend",
            format!(
                "Voting on \"{}\" suspended (suspension {number}), {} before its close at {}: {reason}",
                loaded.ballot.title,
                crate::format::duration_words(loaded.ballot.closes_at - now),
                crate::time::date_time(loaded.ballot.closes_at)
            ),
        )?;
        crate::ballots::notices::announce(
            c,
            outbox,
            &loaded,
            "ballot_suspended",
            json!({
                "suspended_at": crate::time::date_time(now),
                "suspension_reason": reason,
                "time_left": crate::format::duration_words(loaded.ballot.closes_at - now),
            }),
        )?;
        Ok(())
    })
}

/// Resumes suspended voting with a new close (at least the voting time
/// that was left, or a reason for less); announced.
pub fn resume(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    new_close: Option<NaiveDateTime>,
    short_reason: &str,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, actor, id)?;
        let Some(suspension) = loaded.suspension().cloned() else {
            return Err(AppError::Conflict(format!(
                "Voting on this ballot is not suspended (it is {}).",
                loaded.state.label().to_lowercase()
            )));
        };
        let now = now();
        let short = model::check_resume(&suspension, now, new_close, short_reason).map_err(AppError::Invalid)?;
        let new_close = new_close.unwrap_or(now);
        store::touch(c, id, now)?;
        if store::resume(c, id, suspension.number, now, &actor.name, new_close, short.as_deref())? == 0 {
            return Err(AppError::Conflict("Voting was resumed meanwhile.".into()));
        }
        audit(
            c,
            actor,
            &loaded,
            "ballot.resume",
            format!(
                "Voting on \"{}\" resumed after {} suspended; closes at {} (was {}){}",
                loaded.ballot.title,
                crate::format::duration_words(now - suspension.suspended_at),
                crate::time::date_time(new_close),
                crate::time::date_time(suspension.closes_at_before),
                short
                    .as_deref()
                    .map(|r| format!(", less than the voting time that was left: {r}"))
                    .unwrap_or_default()
            ),
        )?;
        let reloaded = load(c, id)?;
        crate::ballots::notices::announce(
            c,
            outbox,
            &reloaded,
            "ballot_resumed",
            json!({
                "suspended_at": crate::time::date_time(suspension.suspended_at),
                "suspension_reason": suspension.reason,
                "previous_close": crate::time::date_time(suspension.closes_at_before),
                "short_reason": short,
            }),
        )?;
        Ok(())
    })
}

/// What voiding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voided {
    pub rerun: Option<i32>,
    pub withdrawn: usize,
}

/// Declares a suspended or closed (uncounted) ballot void: its papers stay
/// sealed, never counted or published. With `rerun`, a new draft ballot
/// with the same question, options and rules is created and linked.
pub fn void(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    reason: &str,
    rerun: bool,
) -> AppResult<Voided> {
    let reason =
        model::reason("reason", reason, "Enter why the ballot is void").map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, actor, id)?;
        void_allowed(&loaded)?;
        let now = now();
        if ballot_store::transition(c, id, loaded.state.as_str(), "cancelled", now)? == 0 {
            return Err(AppError::Conflict("The ballot changed meanwhile; try again.".into()));
        }
        let mut record_of_void = Void {
            ballot_id: id,
            voided_at: now,
            voided_by: actor.name.clone(),
            reason: reason.clone(),
            state_before: loaded.state.as_str().to_owned(),
            rerun_ballot_id: None,
        };
        store::insert_void(c, &record_of_void)?;
        let withdrawn = cancel_pending(c, EventKind::Ballot, id, "The ballot was declared void")?;
        audit(
            c,
            actor,
            &loaded,
            "ballot.void",
            format!(
                "\"{}\" declared void when {}; its papers are kept sealed and will not be counted: {reason}; {withdrawn} unsent messages withdrawn",
                loaded.ballot.title,
                loaded.state.label().to_lowercase()
            ),
        )?;
        if rerun {
            let rerun_id = create_rerun(c, actor, &loaded, &record_of_void, now)?;
            store::set_rerun(c, id, rerun_id)?;
            record_of_void.rerun_ballot_id = Some(rerun_id);
        }
        let reloaded = load(c, id)?;
        crate::ballots::notices::announce(
            c,
            outbox,
            &reloaded,
            "ballot_void",
            json!({
                "void_reason": reason,
                "rerun": record_of_void.rerun_ballot_id.is_some(),
            }),
        )?;
        Ok(Voided {
            rerun: record_of_void.rerun_ballot_id,
            withdrawn,
        })
    })
}

/// Only after an investigation: voting suspended, or closed and not yet
/// counted (a counted ballot's result is certified).
fn void_allowed(loaded: &Loaded) -> AppResult<()> {
    match loaded.state {
        BallotState::Open if loaded.suspension().is_some() => Ok(()),
        BallotState::Closed => Ok(()),
        BallotState::Open => Err(AppError::Conflict(
            "Suspend voting first: a ballot is declared void after an investigation, with voting stopped.".into(),
        )),
        BallotState::Counted => Err(AppError::Conflict(
            "A counted ballot cannot be declared void here: its result has been counted and can be certified.".into(),
        )),
        other => Err(AppError::Conflict(format!(
            "The ballot is {}: only a suspended or closed ballot can be declared void.",
            other.label().to_lowercase()
        ))),
    }
}

/// The re-run as a draft: the same question, papers, options and rules,
/// with dates the board can publish on (the constitution's notice from
/// today, voting as long as before). Its electorate is frozen and its links
/// made when it is published, like any ballot's.
fn create_rerun(
    conn: &mut DbConn,
    actor: &SessionUser,
    loaded: &Loaded,
    void: &Void,
    now: NaiveDateTime,
) -> AppResult<i32> {
    let b = &loaded.ballot;
    let settings = crate::registry::service::load_constitution(conn, loaded.organisation.id)?;
    let opens_at = rerun_opening(now, settings.minimum_notice_days);
    let voting = b.original_closes_at.unwrap_or(b.closes_at) - b.opens_at;
    let title = rerun_title(&b.title);
    let row = ballot_store::DraftRow {
        kind: b.kind.clone(),
        title: title.clone(),
        question: b.question.clone(),
        papers: b.papers.clone(),
        current_text: b.current_text.clone(),
        proposed_text: b.proposed_text.clone(),
        motion_kind: b.motion_kind.clone(),
        motion_subject: b.motion_subject.clone(),
        rules: b.rules.clone(),
        opens_at,
        closes_at: opens_at + voting.max(Duration::hours(1)),
        updated_at: now,
    };
    let rerun_id = ballot_store::insert(conn, loaded.organisation.id, &row, Some(actor.id), now)?;
    ballot_store::replace_options(conn, rerun_id, &loaded.ballot_options())?;
    record(
        conn,
        &actor.actor(),
        Event {
            organisation_id: Some(loaded.organisation.id),
            action: "ballot.rerun",
            object_kind: "ballot",
            object_key: &rerun_id.to_string(),
            summary: format!(
                "Draft ballot \"{title}\" re-runs ballot {}, declared void: {}",
                void.ballot_id, void.reason
            ),
        },
    )?;
    Ok(rerun_id)
}

/// "Re-run: …", within the 120 characters a title may have.
fn rerun_title(title: &str) -> String {
    const PREFIX: &str = "Re-run: ";
    if title.starts_with(PREFIX) {
        return title.to_owned();
    }
    let kept: String = title.chars().take(120 - PREFIX.len()).collect();
    format!("{PREFIX}{kept}")
}

/// The first whole hour after the minimum notice (and a day to publish in).
fn rerun_opening(now: NaiveDateTime, minimum_notice_days: u32) -> NaiveDateTime {
    let later = now + Duration::days(i64::from(minimum_notice_days) + 1) + Duration::hours(1);
    later
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(later)
}

/// The form's checks for the page, before anything is written.
pub fn void_form_errors(reason: &str) -> Vec<FieldError> {
    model::reason("reason", reason, "Enter why the ballot is void")
        .err()
        .into_iter()
        .collect()
}

/// The active suspension, for the resume page.
pub fn active_suspension(pool: &Pool, actor: &SessionUser, id: i32) -> AppResult<(Loaded, Option<Suspension>)> {
    let mut conn = pool.get()?;
    let loaded = require_runs(&mut conn, actor, id)?;
    let active = loaded.suspension().cloned();
    Ok((loaded, active))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_is_titled_as_one_within_the_limit() {
        assert_eq!(
            rerun_title("Delegated commissioning"),
            "Re-run: Delegated commissioning"
        );
        assert_eq!(rerun_title("Re-run: Delegated"), "Re-run: Delegated");
        assert_eq!(rerun_title(&"x".repeat(120)).chars().count(), 120);
    }

    #[test]
    fn a_rerun_opens_on_the_hour_after_the_notice() {
        let now = chrono::NaiveDate::from_ymd_opt(2027, 1, 11)
            .and_then(|d| d.and_hms_opt(9, 41, 7))
            .expect("time");
        let opens = rerun_opening(now, 14);
        assert_eq!(opens.to_string(), "2027-01-26 10:00:00");
    }
}
