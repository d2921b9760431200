//! The scheduler inside the server: it keeps ballots to their timetable.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::service::{close_and_count_in, now, open_in, scheduler_actor};
use super::store;
use crate::db::{DbConn, Pool};
use crate::error::AppResult;
use crate::mail::service::Outbox;

/// What one round of the scheduler did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleReport {
    pub opened: Vec<i32>,
    pub counted: Vec<i32>,
    pub reminders: usize,
    pub mixed: usize,
    /// Consultations closed at their time, and digest messages of new answers.
    pub consultations_closed: usize,
    pub digests: usize,
    /// Another server was running its round: this one did nothing.
    pub led_elsewhere: bool,
    /// The day's retention purge ran.
    pub purged: bool,
}

/// What the daily purge needs (see `crate::retention`).
#[derive(Debug, Clone)]
pub struct Retention {
    pub policy: crate::retention::model::Policy,
    pub session_hours: u32,
    pub data_dir: std::path::PathBuf,
}

/// The advisory lock a server's round holds on PostgreSQL, so that of
/// several servers on one database one runs each round ("QSCHED").
pub const SCHEDULER_LOCK_KEY: i64 = 0x0051_5343_4845_4400;

#[derive(diesel::QueryableByName)]
struct Leading {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    leading: bool,
}

/// Keeps ballots (and consultations) to their timetable: opens and closes them at the published
/// times, counts at the close, sends the reminders, and (on PostgreSQL)
/// re-mixes the papers of open ballots.
///
/// Several servers on one PostgreSQL database each run a scheduler. A round
/// first takes a transaction-scoped advisory lock on a connection it holds
/// until the round ends; a server that cannot take it skips the round, as
/// another is running it (and if that server dies, its connection closes and
/// the lock is free for the next round elsewhere). Each step also locks its
/// ballot's row and changes state only from the state it read, so a step
/// done twice (an early close racing the close) still happens once.
#[derive(Default)]
pub struct Scheduler {
    papers_at_last_mix: HashMap<i32, i64>,
    retention: Option<Retention>,
    /// When this server last purged (a purge that removed nothing leaves no
    /// record in the database to say so).
    purged_at: Option<NaiveDateTime>,
}

impl Scheduler {
    /// A scheduler that also purges, once a day, what is past its time.
    pub fn with_retention(retention: Retention) -> Self {
        Scheduler {
            retention: Some(retention),
            ..Scheduler::default()
        }
    }

    pub fn run(&mut self, pool: &Pool, outbox: &Outbox, now: NaiveDateTime) -> AppResult<ScheduleReport> {
        use diesel::{Connection, RunQueryDsl};
        let mut leader = pool.get()?;
        match &mut *leader {
            DbConn::Postgres(c) => c.transaction(|c| {
                let lock = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS leading")
                    .bind::<diesel::sql_types::BigInt, _>(SCHEDULER_LOCK_KEY)
                    .get_result::<Leading>(c)?;
                if lock.leading {
                    self.round(pool, outbox, now)
                } else {
                    Ok(ScheduleReport {
                        led_elsewhere: true,
                        ..ScheduleReport::default()
                    })
                }
            }),
            DbConn::Sqlite(_) => {
                drop(leader);
                self.round(pool, outbox, now)
            }
        }
    }

    fn round(&mut self, pool: &Pool, outbox: &Outbox, now: NaiveDateTime) -> AppResult<ScheduleReport> {
        let mut report = ScheduleReport::default();
        (report.consultations_closed, report.digests) = crate::consult::service::run_schedule(pool, outbox, now)?;
        let mut conn = pool.get()?;
        let actor = scheduler_actor();
        for id in store::due(&mut conn, "published", now)? {
            if crate::db::write_transaction(&mut conn, |c| open_in(c, id, &actor, now))? {
                report.opened.push(id);
            }
        }
        let mut to_count = store::due(&mut conn, "open", now)?;
        to_count.extend(store::ids_in_state(&mut conn, "closed")?);
        for id in to_count {
            let counted =
                crate::db::write_transaction(&mut conn, |c| close_and_count_in(c, outbox, id, &actor, now, None))?;
            if counted.is_some() {
                report.counted.push(id);
                self.papers_at_last_mix.remove(&id);
            }
        }
        for id in store::ids_in_state(&mut conn, "open")? {
            report.reminders +=
                crate::db::write_transaction(&mut conn, |c| super::notices::send_due_reminders(c, outbox, id, now))?;
            if matches!(&*conn, DbConn::Postgres(_)) {
                let papers = store::paper_count(&mut conn, id)?;
                if self.papers_at_last_mix.get(&id) != Some(&papers) {
                    store::mix_papers(&mut conn, id)?;
                    self.papers_at_last_mix.insert(id, papers);
                    report.mixed += 1;
                }
            }
        }
        drop(conn);
        let a_day_since = |at: NaiveDateTime| now - at >= chrono::Duration::hours(24);
        if self.purged_at.is_none_or(a_day_since)
            && let Some(retention) = self.retention.clone()
            && crate::retention::service::due(pool, now)?
        {
            // Tried once a day, whatever happens: a failing purge must not
            // run again every round.
            self.purged_at = Some(now);
            let purged = crate::retention::service::purge(
                pool,
                &retention.data_dir,
                retention.policy,
                retention.session_hours,
                now,
                false,
            )?;
            for (code, why) in &purged.skipped {
                tracing::warn!(organisation = %code, "retention purge left for now: {why}");
            }
            report.purged = true;
        }
        Ok(report)
    }
}

impl Scheduler {
    /// Runs a round every `interval`, for as long as the server runs.
    pub async fn run_forever(
        mut self,
        pool: Pool,
        outbox: Outbox,
        interval: std::time::Duration,
        metrics: std::sync::Arc<crate::web::metrics::Metrics>,
    ) {
        loop {
            let (round_pool, round_outbox) = (pool.clone(), outbox.clone());
            let round = actix_web::web::block(move || {
                let report = self.run(&round_pool, &round_outbox, now());
                (self, report)
            })
            .await;
            match round {
                Ok((scheduler, report)) => {
                    self = scheduler;
                    metrics.scheduler_round(report.is_ok());
                    match report {
                        Ok(report) if report.led_elsewhere => {
                            tracing::debug!("another server ran this scheduler round");
                        }
                        Ok(report) if report != ScheduleReport::default() => {
                            tracing::info!(?report, "ballot timetable");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "ballot scheduler round failed"),
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "ballot scheduler stopped");
                    return;
                }
            }
            actix_web::rt::time::sleep(interval).await;
        }
    }
}
