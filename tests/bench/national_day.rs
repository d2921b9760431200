//! National ballot day: `cargo bench --bench national_day -- [--servers N] [--clients C]`
//!
//! Needs QUORATE_TEST_POSTGRES_URL (a PostgreSQL server it may create
//! databases on). Writes 209 organisations (the co-commissioning uptake:
//! 115 delegated, 68 joint, 26 greater involvement) holding the 6,658
//! practices of NHS Digital's January 2021 list-size file with their real
//! list sizes (tests/fixtures/national/list-sizes-2021.csv, in code order
//! split into 209 runs of 31 or 32), each practice with a nominated
//! representative; starts N release-built `quorate serve` processes on the
//! one database (default: 2, then 1, on fresh databases); every
//! organisation publishes and opens a ballot weighted by list size; then
//! every practice votes with its emailed link, the requests spread over the
//! servers by C concurrent clients (default 64), all organisations at once.
//! Then every ballot is closed and counted and its certificate issued.
//!
//! Prints votes/s per server and overall, latency p50/p95/p99, the count and
//! certificate time per organisation, each server's resident memory; and
//! checks every organisation's tally against the votes sent and that the
//! audit chain verifies.

#[path = "../common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use common::measure::{option, percentile};

const ORGANISATIONS: usize = 209;
const UPTAKE: [(usize, &str, &str); 3] = [
    (
        115,
        "delegated",
        "Take on delegated commissioning of primary medical services",
    ),
    (
        68,
        "joint",
        "Commission primary medical services jointly with NHS England",
    ),
    (
        26,
        "greater involvement",
        "Seek greater involvement in primary care commissioning",
    ),
];
const OPTIONS: [&str; 4] = ["for", "against", "abstain", "for"];

struct Practice {
    code: String,
    patients: i32,
}

fn practices() -> Vec<Practice> {
    let text = include_str!("../fixtures/national/list-sizes-2021.csv");
    let mut practices: Vec<Practice> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cells = line.split(',');
            let (_, code, patients) = (cells.next()?, cells.next()?, cells.next()?);
            Some(Practice {
                code: code.to_owned(),
                patients: patients.parse().ok()?,
            })
        })
        .collect();
    practices.sort_by(|a, b| a.code.cmp(&b.code));
    practices
}

/// Organisation `i`'s code, and its practices (runs of 31 or 32 in order).
fn split(practices: &[Practice]) -> Vec<(String, &[Practice])> {
    let (base, extra) = (practices.len() / ORGANISATIONS, practices.len() % ORGANISATIONS);
    let mut start = 0;
    (0..ORGANISATIONS)
        .map(|i| {
            let size = base + usize::from(i < extra);
            let run = &practices[start..start + size];
            start += size;
            (format!("Q{:04}", i + 1), run)
        })
        .collect()
}

fn uptake_of(index: usize) -> (&'static str, &'static str) {
    let mut upto = 0;
    for (count, kind, title) in UPTAKE {
        upto += count;
        if index < upto {
            return (kind, title);
        }
    }
    (UPTAKE[2].1, UPTAKE[2].2)
}

/// The practices, memberships, list sizes and representatives, written
/// straight to the database (no password hashing: they vote by link).
fn write_register(app: &common::TestApp, organisations: &[(String, &[Practice])]) {
    let now = Utc::now().naive_utc();
    let joined = NaiveDate::from_ymd_opt(2020, 4, 1).expect("date");
    let extract = NaiveDate::from_ymd_opt(2021, 1, 1).expect("date");
    let ids: Vec<i32> = organisations
        .iter()
        .enumerate()
        .map(|(i, (code, _))| app.create_organisation("ccg", code, &format!("National test CCG {}", i + 1)))
        .collect();
    let mut conn = app.pool.get().expect("connection");
    let mut sizes = Vec::new();
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for ((_, run), organisation) in organisations.iter().zip(&ids) {
            for practice in run.iter() {
                let (name, email) = (
                    format!("Practice {}", practice.code),
                    format!("rep-{}@national.example", practice.code.to_lowercase()),
                );
                let id = common::insert_practice_with_representative(
                    c,
                    *organisation,
                    (&practice.code, &name, &email),
                    joined,
                    now,
                )?;
                sizes.push((id, extract, practice.patients));
            }
        }
        Ok(())
    })
    .expect("the register");
    quorate::registry::store::list_sizes::insert_all(&mut conn, &sizes, now).expect("list sizes");
    drop(conn);
    for id in ids {
        common::ballots::set_constitution(
            app,
            id,
            &quorate::registry::constitution::ConstitutionSettings {
                minimum_notice_days: 0,
                ..Default::default()
            },
        );
    }
}

/// A `quorate serve` process on the app's database and data folder.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(app: &common::TestApp) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quorate"))
            .arg("serve")
            .env_clear()
            .env("QUORATE_DATABASE_URL", &app.database_url)
            .env("QUORATE_DATA_DIR", &app.data_dir)
            .env("QUORATE_BIND", "127.0.0.1:0")
            .env("QUORATE_BASE_URL", &app.settings.base_url)
            .env("QUORATE_MAIL_WORKER", "false")
            .env("QUORATE_DB_POOL_SIZE", "8")
            .env("QUORATE_LOG", "warn")
            .env("QUORATE_TWO_FACTOR_REQUIRED_FOR", "")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start quorate serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let port = loop {
            line.clear();
            assert!(stdout.read_line(&mut line).expect("read") > 0, "the server stopped");
            if let Some(port) = line
                .split("listening on port ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|p| p.parse::<u16>().ok())
            {
                break port;
            }
        };
        // Whatever else it prints goes nowhere, so its pipe never fills.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// (resident now, peak resident) in MiB.
    fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (server index, voting link, ballot id, option): one vote to send.
type Vote = (usize, String, i64, &'static str);

struct Ballot {
    id: i64,
    admin: String,
    officer: String,
    /// option → (practices, weight) sent.
    sent: HashMap<&'static str, (u64, u64)>,
}

async fn api(address: &str, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = common::client()
        .request(method, format!("{address}{path}"))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn summary(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let total: f64 = ms.iter().sum();
    println!(
        "{label} per organisation: min {:.0} ms, median {:.0} ms, p95 {:.0} ms, max {:.0} ms; all {} in {:.1} s",
        ms.first().copied().unwrap_or(0.0),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms.last().copied().unwrap_or(0.0),
        ms.len(),
        total / 1000.0
    );
}

async fn run(server_count: usize, clients: usize) {
    println!("== {server_count} server(s), {clients} clients");
    let app = common::spawn_app_with(common::Backend::Postgres, &[("QUORATE_DB_POOL_SIZE", "4")]).await;
    let all = practices();
    let organisations = split(&all);
    let started = Instant::now();
    write_register(&app, &organisations);
    println!(
        "register: {} organisations, {} practices, {} patients written in {:.1} s",
        organisations.len(),
        all.len(),
        all.iter().map(|p| i64::from(p.patients)).sum::<i64>(),
        started.elapsed().as_secs_f64()
    );
    let servers: Vec<Server> = (0..server_count).map(|_| Server::start(&app)).collect();

    // Each organisation's board and returning officer, and its ballot.
    let started = Instant::now();
    let mut ballots = Vec::new();
    let patients: HashMap<&str, i32> = all.iter().map(|p| (p.code.as_str(), p.patients)).collect();
    let mut jobs: Vec<(String, usize, &'static str, &str)> = Vec::new();
    for (index, (code, run)) in organisations.iter().enumerate() {
        let (admin_email, officer_email) = (format!("board@{code}.example"), format!("ro@{code}.example"));
        app.create_user(&admin_email, "org_admin", Some(code));
        app.create_user(&officer_email, "returning_officer", Some(code));
        let admin = quorate::accounts::service::create_api_token_for(&app.pool, &admin_email, "day").expect("token");
        let officer =
            quorate::accounts::service::create_api_token_for(&app.pool, &officer_email, "day").expect("token");
        let (kind, title) = uptake_of(index);
        let server = &servers[index % servers.len()].address;
        let (status, created) = api(
            server,
            reqwest::Method::POST,
            &format!("/api/v1/organisations/{code}/ballots"),
            &admin,
            Some(json!({
                "kind": "motion", "motion_kind": "application",
                "title": title,
                "question": format!("Should the CCG apply for {kind} co-commissioning?"),
                "opens_at": common::ballots::rfc3339_in(60), "closes_at": common::ballots::rfc3339_in(7 * 86_400),
                "rules": {"weighting": "list_size", "secrecy": "recorded", "allow_early_close": true},
            })),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().expect("id");
        let (status, published) = api(
            server,
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/publish"),
            &admin,
            None,
        )
        .await;
        assert_eq!(status, 200, "{published}");
        common::ballots::bring_opening_forward(&app, id);
        let (status, opened) = api(
            server,
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/open"),
            &admin,
            None,
        )
        .await;
        assert_eq!(status, 200, "{opened}");
        let links = common::ballots::voting_links(&app, id);
        assert_eq!(links.len(), run.len(), "{code}");
        let mut sent: HashMap<&'static str, (u64, u64)> = HashMap::new();
        for (n, practice) in run.iter().enumerate() {
            let email = format!("rep-{}@national.example", practice.code.to_lowercase());
            let option = OPTIONS[(n + index) % OPTIONS.len()];
            let entry = sent.entry(option).or_default();
            entry.0 += 1;
            entry.1 += u64::try_from(patients[practice.code.as_str()]).expect("size");
            jobs.push((links[&email].clone(), ballots.len(), option, practice.code.as_str()));
        }
        ballots.push(Ballot {
            id,
            admin,
            officer,
            sent,
        });
    }
    println!(
        "{} ballots created, published (notices and links) and opened in {:.1} s",
        ballots.len(),
        started.elapsed().as_secs_f64()
    );

    // All organisations at once: the jobs interleaved, each sent to a server
    // in turn.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| (i * 7_919) % jobs.len());
    let queue: Rc<RefCell<VecDeque<Vote>>> = Rc::new(RefCell::new(
        order
            .into_iter()
            .enumerate()
            .map(|(n, i)| {
                let (link, ballot, option, _) = &jobs[i];
                (n % servers.len(), link.clone(), ballots[*ballot].id, *option)
            })
            .collect(),
    ));
    let addresses: Rc<Vec<String>> = Rc::new(servers.iter().map(|s| s.address.clone()).collect());
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..clients {
        let (queue, addresses) = (queue.clone(), addresses.clone());
        let client = reqwest::Client::builder().build().expect("client");
        tasks.push(actix_web::rt::spawn(async move {
            let mut results: Vec<(usize, u16, f64)> = Vec::new();
            loop {
                let Some((server, link, ballot, option)) = queue.borrow_mut().pop_front() else {
                    break;
                };
                let sent = Instant::now();
                let status = match client
                    .post(format!("{}/api/v1/ballots/{ballot}/votes", addresses[server]))
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
                results.push((server, status, sent.elapsed().as_secs_f64() * 1000.0));
            }
            results
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.extend(task.await.expect("client task"));
    }
    let seconds = started.elapsed().as_secs_f64();
    let accepted = results.iter().filter(|(_, s, _)| *s == 201).count();
    let mut latencies: Vec<f64> = results.iter().map(|(_, _, ms)| *ms).collect();
    latencies.sort_by(f64::total_cmp);
    println!(
        "{} votes in {seconds:.1} s: {:.0} accepted votes/s overall; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        results.len(),
        accepted as f64 / seconds,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    for (n, server) in servers.iter().enumerate() {
        let mine: Vec<&(usize, u16, f64)> = results.iter().filter(|(s, _, _)| *s == n).collect();
        let mut ms: Vec<f64> = mine.iter().map(|(_, _, ms)| *ms).collect();
        ms.sort_by(f64::total_cmp);
        let (rss, peak) = server.memory_mib();
        println!(
            "  server {}: {} accepted, {:.0} votes/s, p99 {:.1} ms; resident {rss:.0} MiB (peak {peak:.0} MiB)",
            n + 1,
            mine.iter().filter(|(_, s, _)| *s == 201).count(),
            mine.iter().filter(|(_, s, _)| *s == 201).count() as f64 / seconds,
            percentile(&ms, 0.99)
        );
    }
    let refused: Vec<&(usize, u16, f64)> = results.iter().filter(|(_, s, _)| *s != 201).collect();
    assert!(
        refused.is_empty(),
        "{} votes refused: {:?}",
        refused.len(),
        &refused[..refused.len().min(10)]
    );

    // Close and count, then certify, every organisation's ballot.
    let (mut count_ms, mut certificate_ms) = (Vec::new(), Vec::new());
    for (n, ballot) in ballots.iter().enumerate() {
        let server = &servers[n % servers.len()].address;
        let id = ballot.id;
        let started = Instant::now();
        let (status, closed) = api(
            server,
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/close"),
            &ballot.admin,
            Some(json!({"reason": "Every practice has voted"})),
        )
        .await;
        count_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!((status, &closed["state"]), (200, &json!("counted")), "{closed}");
        let started = Instant::now();
        let (status, certificate) = api(
            server,
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/certificate"),
            &ballot.officer,
            None,
        )
        .await;
        certificate_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, 201, "{certificate}");
    }
    summary("close and count", count_ms);
    summary("certificate", certificate_ms);

    // Every tally is what was sent; the audit chain is one valid chain.
    for ballot in &ballots {
        let (status, results) = api(
            &servers[0].address,
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{}/results", ballot.id),
            &ballot.admin,
            None,
        )
        .await;
        assert_eq!(status, 200, "{results}");
        for option in ["for", "against", "abstain"] {
            let counted = results["overall"]["options"]
                .as_array()
                .and_then(|o| o.iter().find(|o| o["key"] == option))
                .map(|o| (o["practices"].as_u64().unwrap_or(0), o["weight"].as_u64().unwrap_or(0)))
                .unwrap_or_default();
            let sent = ballot.sent.get(option).copied().unwrap_or_default();
            assert_eq!(counted, sent, "ballot {} option {option}", ballot.id);
        }
    }
    let started = Instant::now();
    let entries = quorate::audit::service::verify_for(&app.pool, None)
        .expect("read")
        .expect("the audit chain verifies");
    println!(
        "checked: all {} tallies match the votes sent; the audit chain's {entries} entries verify ({:.1} s)",
        ballots.len(),
        started.elapsed().as_secs_f64()
    );
    drop(servers);
    app.stop().await;
    std::thread::sleep(Duration::from_millis(200));
}

#[actix_web::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if common::postgres_admin_url().is_none() {
        eprintln!("national_day needs QUORATE_TEST_POSTGRES_URL (a PostgreSQL server it may create databases on)");
        std::process::exit(2);
    }
    let clients = option("--clients", 64).clamp(1, 512);
    let counts: Vec<usize> = match option("--servers", 0) {
        0 => vec![2, 1],
        n => vec![n.clamp(1, 8)],
    };
    for servers in counts {
        run(servers, clients).await;
    }
}
