//! The purge: one transaction per organisation (and one for sign-in
//! records), each recorded and audited; a dry run does the same work and
//! rolls it back, so what it reports is exactly what a purge would remove.

use chrono::{Duration, NaiveDateTime};

use super::model::{PURGE_FORMAT, Policy, PurgeRecord, Removed};
use super::store;
use crate::audit::model::Actor;
use crate::audit::service::Event;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::registry::store::Organisation;

/// What a purge removed (or, dry, would remove).
#[derive(Debug, Default)]
pub struct PurgeReport {
    pub organisations: Vec<(String, Removed)>,
    /// Organisations left for now, and why (most often: their signing key
    /// is not on this server, so their record could not be signed).
    pub skipped: Vec<(String, String)>,
    pub not_organisations: Removed,
}

impl PurgeReport {
    pub fn is_empty(&self) -> bool {
        self.organisations.iter().all(|(_, r)| r.is_empty()) && self.not_organisations.is_empty()
    }
}

/// A step's way out of its transaction: a failure, or a dry run's report.
enum Outcome {
    Failed(AppError),
    Dry(Removed),
}

impl From<diesel::result::Error> for Outcome {
    fn from(e: diesel::result::Error) -> Self {
        Outcome::Failed(e.into())
    }
}

impl From<AppError> for Outcome {
    fn from(e: AppError) -> Self {
        Outcome::Failed(e)
    }
}

fn purger() -> Actor {
    Actor {
        user_id: None,
        label: "retention purge".into(),
    }
}

/// Removes what `policy` says is past its time at `now`.
pub fn purge(
    pool: &Pool,
    data_dir: &std::path::Path,
    policy: Policy,
    session_hours: u32,
    now: NaiveDateTime,
    dry_run: bool,
) -> AppResult<PurgeReport> {
    let cutoffs = policy.cutoffs(now);
    let mut conn = pool.get()?;
    let mut report = PurgeReport::default();
    // The register of interests keeps an entry six years after it ends (a
    // leaver's running ones, after they left), whatever the settings say.
    let today = crate::time::london_day(now);
    let kept_from = today
        .checked_sub_months(chrono::Months::new(
            crate::committee::register::model::KEPT_FOR_YEARS * 12,
        ))
        .unwrap_or(today);
    let mut with_work = store::organisations_with_work(&mut conn, cutoffs.voting_links, cutoffs.messages)?;
    with_work.extend(store::organisations_with_old_interests(&mut conn, kept_from)?);
    with_work.sort_unstable();
    with_work.dedup();
    for id in with_work {
        let organisation = Organisation::with_ids(&mut conn, &[id])?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
        let code = organisation.ods_code.clone();
        let done = run(&mut conn, dry_run, |c| {
            crate::db::lock_row(c, crate::db::Locked::Organisation(id))?;
            let ballots = store::ballots_past_links(c, id, cutoffs.voting_links)?;
            let removed = Removed {
                voting_links: count(store::delete_voting_links(c, &ballots)?),
                messages: count(store::purge_messages(c, Some(id), cutoffs.messages)?),
                bounce_reports: count(store::delete_bounces(c, Some(id), cutoffs.messages)?),
                sign_in_records: 0,
                interests: {
                    let expired = expired_interests(c, id, kept_from, today)?;
                    count(store::delete_interests(c, &expired)?)
                },
            };
            if !dry_run && !removed.is_empty() {
                write_record(c, data_dir, Some(&organisation), policy, &removed, ballots, now)?;
            }
            Ok(removed)
        });
        // One organisation's failure leaves the others to be purged.
        match done {
            Ok(removed) => report.organisations.push((code, removed)),
            Err(AppError::NotSetUp { detail, .. }) => report.skipped.push((code, detail)),
            Err(e) => report.skipped.push((code, e.to_string())),
        }
    }
    report.not_organisations = run(&mut conn, dry_run, |c| {
        let sessions_before = now - Duration::hours(i64::from(session_hours) + 1);
        let removed = Removed {
            voting_links: 0,
            messages: count(store::purge_messages(c, None, cutoffs.messages)?),
            bounce_reports: count(store::delete_bounces(c, None, cutoffs.messages)?),
            sign_in_records: count(store::delete_sign_in_records(
                c,
                cutoffs.sign_in_records,
                sessions_before.min(cutoffs.sign_in_records),
            )?),
            interests: 0,
        };
        if !dry_run && !removed.is_empty() {
            write_record(c, data_dir, None, policy, &removed, Vec::new(), now)?;
        }
        Ok(removed)
    })?;
    Ok(report)
}

/// The organisation's register entries past their keeping on `today`, as
/// the register's rules judge them.
fn expired_interests(
    conn: &mut DbConn,
    organisation_id: i32,
    kept_from: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> AppResult<Vec<i32>> {
    Ok(store::old_interests(conn, organisation_id, kept_from)?
        .into_iter()
        .filter(|(row, left_on)| {
            crate::committee::register::service::declaration_of(row)
                .is_some_and(|d| d.held_until_leaving(*left_on).expired_on(today))
        })
        .map(|(row, _)| row.id)
        .collect())
}

/// Runs `step` in a write transaction, rolled back on a dry run.
fn run(
    conn: &mut DbConn,
    dry_run: bool,
    step: impl FnOnce(&mut DbConn) -> Result<Removed, Outcome>,
) -> AppResult<Removed> {
    let result = crate::db::write_transaction(conn, |c| {
        let removed = step(c)?;
        if dry_run {
            Err(Outcome::Dry(removed))
        } else {
            Ok(removed)
        }
    });
    match result {
        Ok(removed) | Err(Outcome::Dry(removed)) => Ok(removed),
        Err(Outcome::Failed(e)) => Err(e),
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Stores what was removed (signed by the organisation's key) and audits it.
fn write_record(
    conn: &mut DbConn,
    data_dir: &std::path::Path,
    organisation: Option<&Organisation>,
    policy: Policy,
    removed: &Removed,
    ballots: Vec<i32>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let record = PurgeRecord {
        format: PURGE_FORMAT.into(),
        organisation: organisation.map(|o| o.ods_code.clone()),
        purged_at: crate::time::rfc3339(now),
        policy,
        removed: removed.clone(),
        ballots,
    };
    let text = crate::certify::model::canonical(&record).map_err(AppError::Internal)?;
    let signed = match organisation {
        Some(o) => Some(crate::certify::service::sign_as(conn, data_dir, o, &text)?),
        None => None,
    };
    store::insert_purge(
        conn,
        organisation.map(|o| o.id),
        now,
        &text,
        signed.as_ref().map(|(s, f)| (s.as_str(), f.as_str())),
    )?;
    crate::audit::service::record(
        conn,
        &purger(),
        Event {
            organisation_id: organisation.map(|o| o.id),
            action: "retention.purge",
            object_kind: if organisation.is_some() {
                "organisation"
            } else {
                "sign-in records"
            },
            object_key: organisation.map_or("", |o| o.ods_code.as_str()),
            summary: format!(
                "Purged under the retention settings: {}{}",
                removed.in_words(),
                match &signed {
                    Some((_, fingerprint)) => format!(" (record signed by key {fingerprint})"),
                    None => String::new(),
                }
            ),
        },
    )?;
    Ok(())
}

/// An organisation's purge records, each with whether its signature holds
/// against the organisation's keys (current or earlier).
pub fn records_of(pool: &Pool, organisation_code: &str) -> AppResult<Vec<(PurgeRecord, bool)>> {
    let mut conn = pool.get()?;
    let organisation = Organisation::find_by_code(&mut conn, organisation_code.trim())?.ok_or(AppError::NotFound)?;
    let keys = crate::certify::store::keys::of_organisation(&mut conn, organisation.id)?;
    store::purges_of(&mut conn, organisation.id)?
        .into_iter()
        .map(|row| {
            let record: PurgeRecord =
                serde_json::from_str(&row.record).map_err(|e| AppError::Internal(format!("purge record: {e}")))?;
            let holds = keys
                .iter()
                .find(|k| Some(&k.fingerprint) == row.key_fingerprint.as_ref())
                .zip(row.signature.as_deref())
                .is_some_and(|(key, signature)| {
                    crate::certify::model::signature_holds(&key.public_key, row.record.as_bytes(), signature)
                });
            Ok((record, holds))
        })
        .collect()
}

/// Whether a daily purge is due (none yet, or the last a day ago).
pub fn due(pool: &Pool, now: NaiveDateTime) -> AppResult<bool> {
    let last = store::last_purge_at(&mut *pool.get()?)?;
    Ok(last.is_none_or(|at| now - at >= Duration::hours(24)))
}
