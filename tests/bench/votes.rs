//! Vote load test: `cargo bench --bench votes -- [--practices N] [--clients C] [--double]`
//!
//! Creates an electorate of N practices (default 2,000), each with a
//! nominated representative; creates, publishes and opens a ballot over the
//! HTTP API of a release-built server on loopback; then casts every
//! practice's vote over HTTP with its voting link from C concurrent clients
//! (default 64), and prints votes/s, latency percentiles and errors, then
//! the time to close and count. With `--double`, every practice's vote is
//! sent twice at once and the run checks that exactly one of each counts.
//! It also prints the raw rate of single-row durable commits on the same
//! database, measured in the same run, for comparison. With `--verifiable`
//! the ballot is a verifiable secret one (3 trustees, any 2 decrypt): every
//! vote is encrypted by the server and its proofs checked before it is
//! acknowledged; after the close two trustees decrypt the totals, timed.
//!
//! On SQLite always; on PostgreSQL too when QUORATE_TEST_POSTGRES_URL is
//! set (`--sqlite` or `--postgres` to run only one).

#[path = "../common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

struct Options {
    practices: usize,
    clients: usize,
    double: bool,
    verifiable: bool,
    backends: Vec<common::Backend>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let only_sqlite = args.iter().any(|a| a == "--sqlite");
    let only_postgres = args.iter().any(|a| a == "--postgres");
    let mut backends = Vec::new();
    if !only_postgres {
        backends.push(common::Backend::Sqlite);
    }
    if !only_sqlite && common::postgres_admin_url().is_some() {
        backends.push(common::Backend::Postgres);
    }
    Options {
        practices: value("--practices", 2_000).clamp(1, 20_000),
        clients: value("--clients", 64).clamp(1, 512),
        double: args.iter().any(|a| a == "--double"),
        verifiable: args.iter().any(|a| a == "--verifiable"),
        backends,
    }
}

/// N member practices of 08V, each with a nominated representative, written
/// straight to the database (no password hashing: they vote by link).
fn populate(app: &common::TestApp, practices: usize) -> i32 {
    let organisation = app.create_organisation("ccg", "08V", "Bench CCG");
    let now = Utc::now().naive_utc();
    let joined = NaiveDate::from_ymd_opt(2024, 4, 1).expect("date");
    let mut conn = app.pool.get().expect("connection");
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for n in 0..practices {
            let (code, name, email) = (
                format!("B{n:05}"),
                format!("Bench practice {n}"),
                format!("rep{n}@bench.example"),
            );
            common::insert_practice_with_representative(c, organisation, (&code, &name, &email), joined, now)?;
        }
        Ok(())
    })
    .expect("populate");
    common::ballots::set_constitution(
        app,
        organisation,
        &quorate::registry::constitution::ConstitutionSettings {
            minimum_notice_days: 0,
            ..Default::default()
        },
    );
    organisation
}

/// Single-row INSERTs, each its own durable transaction, on the same database.
fn raw_commit_rate(app: &common::TestApp) -> f64 {
    let mut conn = app.pool.get().expect("connection");
    conn.batch_execute("CREATE TABLE bench_commits (n INTEGER NOT NULL)")
        .expect("scratch table");
    let count = 300;
    let started = Instant::now();
    for n in 0..count {
        conn.batch_execute(&format!("INSERT INTO bench_commits (n) VALUES ({n})"))
            .expect("insert");
    }
    let rate = f64::from(count) / started.elapsed().as_secs_f64();
    conn.batch_execute("DROP TABLE bench_commits")
        .expect("drop scratch table");
    rate
}

/// Opens the client's connection (and the server's database connections)
/// before the clock starts, as on a server that has been running.
async fn warm_up(client: &reqwest::Client, health: &str) {
    for _ in 0..3 {
        let _ = client.get(health).send().await.map(|r| r.status());
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn run(backend: common::Backend, options: &Options) {
    println!(
        "== {backend:?}: {} practices, {} clients{}{}",
        options.practices,
        options.clients,
        if options.double { ", every vote sent twice" } else { "" },
        if options.verifiable {
            ", verifiable (papers encrypted and proofs checked before acknowledgement)"
        } else {
            ""
        }
    );
    let app = common::spawn_app_with(backend, &[("QUORATE_DB_POOL_SIZE", "8"), ("QUORATE_WORKERS", "2")]).await;
    let started = Instant::now();
    populate(&app, options.practices);
    println!("electorate written: {:.1} s", started.elapsed().as_secs_f64());
    println!(
        "raw single-row commits on this database: {:.0}/s",
        raw_commit_rate(&app)
    );

    app.create_user(common::ballots::ADMIN, "org_admin", Some("08V"));
    let token =
        quorate::accounts::service::create_api_token_for(&app.pool, common::ballots::ADMIN, "bench").expect("token");
    let (status, created) = app
        .api(
            reqwest::Method::POST,
            "/api/v1/organisations/08V/ballots",
            Some(&token),
            Some(json!({
                "kind": "motion", "motion_kind": "application",
                "title": "Bench ballot", "question": "Carried?",
                "opens_at": common::ballots::rfc3339_in(2), "closes_at": common::ballots::rfc3339_in(3600),
                "rules": {"allow_early_close": true, "secrecy": if options.verifiable { "verifiable" } else { "secret" }},
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    let trustees = if options.verifiable {
        let started = Instant::now();
        let trustees = common::ballots::run_ceremony(&app, &token, id, 3, 2).await;
        println!(
            "key ceremony of 3 trustees (any 2 decrypt) through the API: {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        Some(trustees)
    } else {
        None
    };
    let started = Instant::now();
    let (status, published) = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/publish"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{published}");
    println!(
        "publish (freeze {} practices, {} links and notices) over HTTP: {:.0} ms",
        published["electorate"],
        published["notices"],
        started.elapsed().as_secs_f64() * 1000.0
    );
    let links: Vec<String> = common::ballots::voting_links(&app, id).into_values().collect();
    if options.verifiable {
        let mut conn = app.pool.get().expect("connection");
        let loaded = quorate::ballots::service::load(&mut conn, i32::try_from(id).expect("id")).expect("ballot");
        let election = quorate::ballots::verifiable::casting::election(&loaded).expect("election");
        for _ in 0..100 {
            if quorate::ballots::verifiable::casting::pool::ready(&election) >= options.practices.min(2_048) {
                break;
            }
            common::ballots::tokio_sleep(50).await;
        }
        println!(
            "papers prepared ahead (the slow half of encrypting, done while nobody votes): {}",
            quorate::ballots::verifiable::casting::pool::ready(&election)
        );
    }
    assert_eq!(links.len(), options.practices);
    loop {
        let (status, _) = app
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/ballots/{id}/open"),
                Some(&token),
                None,
            )
            .await;
        if status == 200 {
            break;
        }
        common::ballots::tokio_sleep(100).await;
    }

    let mut jobs: VecDeque<(String, &'static str)> = VecDeque::new();
    let options_cycle = ["for", "against", "abstain", "for"];
    for (n, link) in links.iter().enumerate() {
        let option = options_cycle[n % options_cycle.len()];
        jobs.push_back((link.clone(), option));
        if options.double {
            // The second copy right behind the first: two clients race.
            jobs.push_back((link.clone(), options_cycle[(n + 1) % options_cycle.len()]));
        }
    }
    let total = jobs.len();
    let queue = Rc::new(RefCell::new(jobs));
    let url = app.url(&format!("/api/v1/ballots/{id}/votes"));
    let health = app.url("/healthz");
    let mut clients = Vec::new();
    for _ in 0..options.clients {
        let client = reqwest::Client::builder().build().expect("client");
        warm_up(&client, &health).await;
        clients.push(client);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in clients {
        let queue = queue.clone();
        let url = url.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let mut results: Vec<(u16, f64)> = Vec::new();
            loop {
                let Some((link, option)) = queue.borrow_mut().pop_front() else {
                    break;
                };
                let sent = Instant::now();
                let status = match client
                    .post(&url)
                    .bearer_auth(&link)
                    .json(&json!({"option": option}))
                    .send()
                    .await
                {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                results.push((status, sent.elapsed().as_secs_f64() * 1000.0));
            }
            results
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.extend(task.await.expect("client task"));
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = results.iter().map(|(_, ms)| *ms).collect();
    latencies.sort_by(f64::total_cmp);
    let accepted = results.iter().filter(|(s, _)| *s == 201).count();
    let already = results.iter().filter(|(s, _)| *s == 409).count();
    let errors = results.len() - accepted - already;
    println!(
        "{total} vote requests in {seconds:.2} s: {:.0} requests/s, {:.0} accepted votes/s",
        total as f64 / seconds,
        accepted as f64 / seconds
    );
    println!(
        "latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    println!("accepted {accepted}, refused as already voted {already}, errors {errors}");
    if std::env::var_os("QUORATE_BENCH_VOTES_ONLY").is_some() {
        // For a profiler: stop as soon as the votes are in.
        std::process::exit(0);
    }
    let mut conn = app.pool.get().expect("connection");
    let ballot = i32::try_from(id).expect("id");
    let voters = quorate::ballots::store::turnout(&mut conn, ballot).expect("turnout");
    let papers = if options.verifiable {
        quorate::ballots::verifiable::store::papers(&mut conn, ballot)
            .expect("papers")
            .len() as i64
    } else {
        quorate::ballots::store::paper_count(&mut conn, ballot).expect("papers")
    };
    drop(conn);
    println!("stored: {voters} practices voted, {papers} papers");
    assert_eq!(accepted, options.practices, "every practice's vote counted once");
    assert_eq!(
        (voters, papers),
        (options.practices as i64, options.practices as i64),
        "no double votes"
    );
    assert_eq!(errors, 0);

    let started = Instant::now();
    let (status, closed) = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/close"),
            Some(&token),
            // Every practice has voted; closing before the published time needs a reason.
            Some(json!({"reason": "Every practice has voted"})),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    println!(
        "close and count {} papers over HTTP: {:.0} ms",
        papers,
        started.elapsed().as_secs_f64() * 1000.0
    );
    if let Some(trustees) = &trustees {
        let board = common::ballots::verifiable_board(&app, id).await;
        let election = board.election.check().expect("election");
        let list: Vec<(&str, &quorate::crypto::paper::EncryptedPaper)> =
            board.papers.iter().map(|p| (p.practice.as_str(), &p.paper)).collect();
        let started = Instant::now();
        quorate::crypto::paper::verify_papers_batch(
            &election.key,
            &election.fingerprint,
            election.options.len(),
            &list,
            &mut quorate::crypto::group::OsRandom,
        )
        .expect("every paper verifies");
        let batch = started.elapsed().as_secs_f64();
        println!(
            "proof check of all {} papers together: {:.0} ms, {:.0} µs per paper",
            list.len(),
            batch * 1000.0,
            batch * 1e6 / list.len() as f64
        );
        for trustee in [1, 3] {
            let started = Instant::now();
            let (status, body) = common::ballots::decrypt_as(&app, id, trustees, trustee).await;
            assert_eq!(status, 200, "{body}");
            println!(
                "trustee {trustee}: download the board, check it, decrypt and upload (checked by the server){}: {:.0} ms",
                if body["counted"] == true {
                    ", then combine and count"
                } else {
                    ""
                },
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    let (_, results) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/results"),
            Some(&token),
            None,
        )
        .await;
    println!("result: {}", results["in_words"]);
    if options.verifiable {
        assert_eq!(
            results["overall"]["turnout"]["practices"].as_u64(),
            Some(options.practices as u64),
            "the decrypted totals count every paper"
        );
    }
    // Close every database connection before the process exits: libpq's
    // TLS connections must not be torn down while OpenSSL cleans up at exit.
    app.stop().await;
}

fn main() {
    let options = options();
    actix_web::rt::System::new().block_on(async {
        for backend in options.backends.clone() {
            run(backend, &options).await;
        }
    });
}
