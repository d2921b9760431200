//! The delivery worker: claims due messages in batches, sends them a few at
//! a time within the rate limit, and records each outcome.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::rt::time::{Instant, sleep, sleep_until};
use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;

use super::model::{Disposition, Outcome, RetryPolicy};
use super::service::retry_policy;
use super::store::{self, Claimed};
use super::transport::Transport;
use crate::config::Settings;
use crate::db::Pool;
use crate::error::AppError;

/// Spaces sends so no more than the configured number leave per second.
struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    async fn wait(&self) {
        let slot = match self.next.lock() {
            Ok(mut next) => {
                let slot = (*next).max(Instant::now());
                *next = slot + self.interval;
                slot
            }
            Err(_) => Instant::now(),
        };
        sleep_until(slot).await;
    }
}

/// Totals from one run, for the console.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkerStats {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Holds the transport so that dropping it outside an async runtime (when
/// the process ends with the worker still running) does not panic: lettre's
/// connection pool spawns a clean-up task when dropped, which needs one.
struct TransportSlot(Option<Transport>);

impl Drop for TransportSlot {
    fn drop(&mut self) {
        if let Some(transport) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                drop(transport);
            } else {
                // The process is ending; the operating system closes the sockets.
                std::mem::forget(transport);
            }
        }
    }
}

impl TransportSlot {
    fn get(&self) -> Option<&Transport> {
        self.0.as_ref()
    }
}

pub struct Worker {
    pool: Pool,
    transport: Arc<TransportSlot>,
    from: Mailbox,
    id: String,
    batch_size: i32,
    concurrency: usize,
    send_timeout: Duration,
    lease: chrono::Duration,
    policy: RetryPolicy,
    poll: Duration,
    pacer: Option<Pacer>,
    sealer: crate::mail::seal::Sealer,
    /// VERP: see `Transport::send`.
    bounce_address: Option<String>,
}

fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
    actix_web::rt::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("blocking task: {e}")))?
}

impl Worker {
    pub fn new(pool: Pool, settings: &Settings) -> Result<Self, String> {
        let from = settings.mail_from.parse().map_err(|e| format!("mail_from: {e}"))?;
        let pacer = (settings.mail_rate_per_second > 0).then(|| Pacer {
            interval: Duration::from_secs_f64(1.0 / f64::from(settings.mail_rate_per_second)),
            next: Mutex::new(Instant::now()),
        });
        Ok(Worker {
            pool,
            transport: Arc::new(TransportSlot(Some(Transport::from_settings(settings)?))),
            from,
            id: crate::token::random_token(9),
            batch_size: i32::try_from(settings.mail_batch_size).unwrap_or(i32::MAX),
            concurrency: settings.mail_concurrency,
            send_timeout: Duration::from_secs(settings.mail_send_timeout_seconds),
            lease: chrono::Duration::seconds(i64::try_from(settings.mail_lease_seconds).unwrap_or(3600)),
            policy: retry_policy(settings),
            poll: Duration::from_millis(settings.mail_poll_ms),
            pacer,
            sealer: crate::mail::seal::Sealer::from_settings(settings)?,
            bounce_address: Some(settings.bounce_address.trim().to_owned()).filter(|b| !b.is_empty()),
        })
    }

    /// The message with sealed bodies opened, ready to send.
    fn open(&self, message: &Claimed) -> Result<Claimed, String> {
        Ok(Claimed {
            body_text: self.sealer.open(&message.body_text)?,
            body_html: self.sealer.open(&message.body_html)?,
            ..message.clone()
        })
    }

    pub fn describe(&self) -> String {
        self.transport.get().map_or_else(String::new, Transport::describe)
    }

    /// Claims one batch of due messages, sends them and records the
    /// outcomes. Returns the totals (all zero when nothing was due).
    pub async fn run_once(&self) -> Result<WorkerStats, AppError> {
        let now = Utc::now().naive_utc();
        let (pool, id, lease_until, limit) = (self.pool.clone(), self.id.clone(), now + self.lease, self.batch_size);
        let claimed = blocking(move || {
            let mut conn = pool.get()?;
            Ok(store::claim_due(&mut conn, &id, now, lease_until, limit)?)
        })
        .await?;
        if claimed.is_empty() {
            return Ok(WorkerStats::default());
        }
        let sent: Vec<(Claimed, Outcome)> = futures_util::stream::iter(claimed)
            .map(|message| async move {
                if let Some(pacer) = &self.pacer {
                    pacer.wait().await;
                }
                let outcome = match (self.transport.get(), self.open(&message)) {
                    (_, Err(reason)) => Outcome::Permanent(reason),
                    (Some(transport), Ok(opened)) => {
                        transport
                            .send(&self.from, &opened, self.send_timeout, self.bounce_address.as_deref())
                            .await
                    }
                    (None, _) => Outcome::Transient("the mail transport has shut down".into()),
                };
                (message, outcome)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;

        let (pool, id, policy) = (self.pool.clone(), self.id.clone(), self.policy);
        blocking(move || {
            let mut conn = pool.get()?;
            let now = Utc::now().naive_utc();
            crate::db::write_transaction::<_, AppError, _>(&mut conn, |c| {
                let mut stats = WorkerStats::default();
                for (message, outcome) in sent {
                    let disposition = policy.dispose(outcome, message.attempts, now, message.give_up_at, jitter());
                    match &disposition {
                        Disposition::Sent => stats.sent += 1,
                        Disposition::RetryAt { reason, .. } => {
                            stats.retrying += 1;
                            tracing::warn!(message_id = %message.message_id, attempt = message.attempts, %reason, "email not sent yet; will retry");
                        }
                        Disposition::Failed { reason } => {
                            stats.failed += 1;
                            tracing::warn!(message_id = %message.message_id, %reason, "email failed");
                        }
                    }
                    store::record(c, message.id, &id, &disposition, now)?;
                }
                Ok(stats)
            })
        })
        .await
    }

    /// Sends until nothing is due now; messages waiting to retry later stay.
    pub async fn run_until_idle(&self) -> Result<WorkerStats, AppError> {
        let mut total = WorkerStats::default();
        loop {
            let stats = self.run_once().await?;
            if stats == WorkerStats::default() {
                return Ok(total);
            }
            total.sent += stats.sent;
            total.retrying += stats.retrying;
            total.failed += stats.failed;
        }
    }

    /// Runs for as long as the process does.
    pub async fn run_forever(self) {
        tracing::info!(transport = %self.describe(), "email delivery worker started");
        loop {
            match self.run_once().await {
                Ok(stats) if stats != WorkerStats::default() => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "email delivery worker: batch failed"),
            }
            sleep(self.poll).await;
        }
    }
}
