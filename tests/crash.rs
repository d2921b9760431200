//! Votes under load, the server killed with SIGKILL part-way, restarted:
//! every vote it acknowledged is counted exactly once, and a vote whose
//! answer was lost is on record at most once (trying again is told the
//! practice has already voted). The server is the real binary, on the same
//! database as the test.
//!
//! `QUORATE_CRASH_TRIALS` sets the number of kills per backend (2 unless
//! set); each trial prints what it saw.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;
use common::ballots::{action, create_ballot, electorate, open_when_due, voting_links};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");
const VOTES_PER_TRIAL: usize = 24;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

/// Starts `quorate serve` on the test's database and waits until it answers.
async fn start_server(app: &TestApp, port: u16) -> Child {
    let mut child = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("QUORATE_DATABASE_URL", &app.database_url)
        .env("QUORATE_DATA_DIR", app.data_dir.display().to_string())
        .env("QUORATE_BIND", format!("127.0.0.1:{port}"))
        .env("QUORATE_MAIL_WORKER", "false")
        .env("QUORATE_SCHEDULER", "false")
        .env("QUORATE_WORKERS", "2")
        .env("QUORATE_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start quorate serve");
    let client = common::client();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await {
            if response.status() == 200 {
                return child;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("quorate serve did not answer within a minute");
}

async fn vote(client: &reqwest::Client, port: u16, ballot: i64, token: &str) -> Option<u16> {
    client
        .post(format!("http://127.0.0.1:{port}/api/v1/ballots/{ballot}/votes"))
        .bearer_auth(token)
        .json(&json!({"option": "for"}))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

backend_tests! {
    async fn every_acknowledged_vote_survives_a_kill_and_counts_once(app: TestApp) {
        let trials: usize = std::env::var("QUORATE_CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
        let sizes: Vec<i32> = (0..trials * VOTES_PER_TRIAL).map(|i| 1_000 + i as i32).collect();
        let e = electorate(&app, &sizes);
        let ballot = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, ballot, "publish", None).await.0, 200);
        open_when_due(&app, &e, ballot).await;
        let links = voting_links(&app, ballot);
        let practices = e.practices.clone();

        let mut acknowledged = BTreeSet::new();
        let mut answers_lost_but_recorded = 0;
        for trial in 0..trials {
            let port = free_port();
            let mut server = start_server(&app, port).await;
            let batch = &practices[trial * VOTES_PER_TRIAL..(trial + 1) * VOTES_PER_TRIAL];
            // Every vote of the batch at once; the kill lands part-way, after
            // a number of acknowledgements that differs from trial to trial,
            // while other votes are in flight.
            let acknowledged_now = std::rc::Rc::new(std::cell::Cell::new(0usize));
            let sending: Vec<_> = batch
                .iter()
                .map(|(code, _, rep)| {
                    let token = links[rep].clone();
                    let code = code.clone();
                    let counter = acknowledged_now.clone();
                    actix_web::rt::spawn(async move {
                        let client = common::client();
                        let status = vote(&client, port, ballot, &token).await;
                        if status == Some(201) {
                            counter.set(counter.get() + 1);
                        }
                        (code, status)
                    })
                })
                .collect();
            let kill_after = 2 + (trial * 7) % (VOTES_PER_TRIAL / 2);
            let waiting = Instant::now();
            while acknowledged_now.get() < kill_after && waiting.elapsed() < Duration::from_secs(30) {
                actix_web::rt::time::sleep(Duration::from_millis(1)).await;
            }
            server.kill().expect("SIGKILL");
            server.wait().expect("reaped");
            let delay = kill_after;
            let mut answered = 0;
            for task in sending {
                let (code, status) = task.await.expect("task");
                if status == Some(201) {
                    acknowledged.insert(code);
                    answered += 1;
                }
            }
            // Restarted, every vote not acknowledged is sent again: it is
            // either taken now or already on record, never twice.
            let mut server = start_server(&app, port).await;
            let client = common::client();
            let mut retaken = 0;
            let unanswered: Vec<_> = batch.iter().filter(|(code, _, _)| !acknowledged.contains(code)).collect();
            for (code, _, rep) in unanswered {
                match vote(&client, port, ballot, &links[rep]).await {
                    Some(201) => retaken += 1,
                    Some(409) => answers_lost_but_recorded += 1,
                    other => panic!("{code} after the restart: {other:?}"),
                }
                acknowledged.insert(code.clone());
            }
            // Those acknowledged before the kill are refused a second vote.
            for (code, _, rep) in batch.iter().take(3) {
                assert_eq!(vote(&client, port, ballot, &links[rep]).await, Some(409), "{code} voted twice");
            }
            println!(
                "trial {trial}: killed after {delay} acknowledgements, {answered} of {} votes acknowledged, {retaken} taken after the restart",
                batch.len()
            );
            server.kill().expect("stop");
            server.wait().expect("reaped");
        }

        // Every practice is on record once, with one paper each.
        let mut conn = app.pool.get().expect("connection");
        let id = i32::try_from(ballot).expect("id");
        let voted: BTreeSet<i32> = quorate::ballots::store::voted_practice_ids(&mut conn, id).expect("voters").into_iter().collect();
        let papers = quorate::ballots::store::paper_count(&mut conn, id).expect("papers");
        drop(conn);
        assert_eq!(voted.len(), practices.len(), "every practice is on record");
        assert_eq!(papers, practices.len() as i64, "one paper per practice");
        // And the count says so.
        let (status, closed) = action(&app, &e, ballot, "close", None).await;
        assert_eq!(status, 200, "{closed}");
        let (_, results) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{ballot}/results"), Some(&e.admin_token), None)
            .await;
        assert_eq!(results["overall"]["turnout"]["practices"], json!(practices.len()), "{results}");
        println!(
            "{trials} kills: {} votes, {answers_lost_but_recorded} recorded whose answer was lost, 0 lost, 0 counted twice",
            practices.len()
        );
    }
}
