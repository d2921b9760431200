//! Email benchmark: `cargo bench --bench mail` (SQLite), or with
//! QUORATE_TEST_POSTGRES_URL set, on PostgreSQL too. Prints:
//! - the time to write 10,000 notices through the outbox in one transaction
//!   (what publishing a ballot to 10,000 practices does);
//! - the delivery worker's rate to a real SMTP server on loopback;
//! - resident memory while 50,000 messages are sent.
//!
//! Everything runs on loopback, with a bounded number of messages.
//! `cargo bench --bench mail -- write` measures only the writing.

#[path = "../common/mod.rs"]
mod common;

use std::time::Instant;

use common::smtp::SmtpSink;
use diesel::Connection;
use quorate::mail::model::EventKind;
use quorate::mail::service::{Mail, Outbox};
use serde_json::json;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn notice(n: usize, base_url: &str) -> Mail {
    Mail {
        template: "password_reset",
        to_email: format!("practice{n}@bench.example"),
        to_name: format!("Practice Manager {n}"),
        sender: "Bench Clinical Commissioning Group".into(),
        reason: "You get this email because you are your practice's nominated voting representative.".into(),
        event: EventKind::Ballot,
        event_id: Some(1),
        organisation_id: None,
        practice_id: None,
        user_id: None,
        context: json!({
            "link": format!("{base_url}/vote/{}", quorate::token::link_token()),
            "expires": "5pm on 9 January 2026",
        }),
        // Notices carry voting links, so they are stored sealed.
        sealed: true,
    }
}

/// Writes `count` notices in one transaction; returns the seconds taken.
fn write_notices(pool: &quorate::db::Pool, outbox: &Outbox, count: usize) -> f64 {
    let mut conn = pool.get().expect("connection");
    let started = Instant::now();
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        let notices = (0..count).map(|n| notice(n, outbox.base_url())).collect();
        outbox.enqueue_all(c, notices)?;
        Ok(())
    })
    .expect("write notices");
    started.elapsed().as_secs_f64()
}

async fn bench(backend: common::Backend) {
    let app = common::spawn_app(backend).await;
    let outbox = app.outbox();
    println!("== {backend:?}");

    let seconds = write_notices(&app.pool, &outbox, 10_000);
    println!("write 10,000 notices in one transaction: {:.0} ms", seconds * 1000.0);
    if std::env::args().any(|a| a == "write") {
        return;
    }

    let sink = SmtpSink::start_counting();
    let options = [
        ("QUORATE_MAIL_RATE_PER_SECOND", "0"),
        ("QUORATE_MAIL_BATCH_SIZE", "500"),
        ("QUORATE_MAIL_CONCURRENCY", "16"),
    ];
    let worker = app.mail_worker(Some(&sink.url()), &options);
    let started = Instant::now();
    let stats = worker.run_until_idle().await.expect("worker");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(stats.sent, 10_000, "{stats:?}");
    println!(
        "deliver 10,000 over SMTP (loopback, 16 connections): {:.1} s, {:.0} messages/s",
        seconds,
        10_000.0 / seconds
    );

    // 50,000 more, written 10,000 to a transaction, memory sampled as they go.
    for _ in 0..5 {
        write_notices(&app.pool, &outbox, 10_000);
    }
    let before = rss_kib();
    let mut samples = Vec::new();
    let mut sent = 0;
    let started = Instant::now();
    while sent < 50_000 {
        let stats = worker.run_once().await.expect("worker");
        if stats.sent == 0 && stats.failed == 0 && stats.retrying == 0 {
            break;
        }
        sent += stats.sent;
        if sent % 5_000 < 500 {
            samples.push((sent, rss_kib()));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "deliver 50,000: {:.1} s, {:.0} messages/s; sink counted {}",
        seconds,
        sent as f64 / seconds,
        sink.count()
    );
    println!("resident memory before: {} MiB", before / 1024);
    for (sent, kib) in samples {
        println!("  after {sent:>6} sent: {} MiB", kib / 1024);
    }
}

fn main() {
    actix_web::rt::System::new().block_on(async {
        bench(common::Backend::Sqlite).await;
        if common::postgres_admin_url().is_some() {
            bench(common::Backend::Postgres).await;
        }
    });
}
