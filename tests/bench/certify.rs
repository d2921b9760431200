//! Certificate benchmark: `cargo bench --bench certify [-- --papers N --audit N]`
//!
//! A counted ballot of N papers (60,000 by default: one per practice of an
//! electorate of 60,000), written straight to the database; then prints the
//! time to issue (build the board and Merkle tree, sign, store) the
//! certificate, the time `quorate verify` (the release binary, a separate
//! process) takes to check it with the board, and the time
//! `quorate audit verify` takes over an audit log of M entries (1,000,000).
//! SQLite; PostgreSQL too when QUORATE_TEST_POSTGRES_URL is set.

#[path = "../common/mod.rs"]
mod common;

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A counted ballot of `papers` papers, one per practice, written directly.
fn counted_ballot(app: &common::TestApp, papers: usize) -> i32 {
    use quorate::ballots::model::{BallotKind, BallotRules, new_paper_id, new_receipt_code, receipt_digest};
    use quorate::ballots::store::{self, ElectorRow, NewVoter, PaperRow};
    use quorate::db::schema::{ballots, memberships, practices};
    let organisation = app.create_organisation("ccg", "08V", "Bench CCG");
    let now = Utc::now().naive_utc();
    let joined = NaiveDate::from_ymd_opt(2024, 4, 1).expect("date");
    let mut pooled = app.pool.get().expect("connection");
    let conn: &mut quorate::db::DbConn = &mut pooled;
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        let kind = BallotKind::Motion;
        let rules = BallotRules::defaults(&Default::default(), kind, None);
        let draft = store::DraftRow {
            kind: kind.as_str().into(),
            title: "Bench ballot".into(),
            question: "Carried?".into(),
            papers: String::new(),
            current_text: String::new(),
            proposed_text: String::new(),
            motion_kind: "application".into(),
            motion_subject: String::new(),
            rules: serde_json::to_string(&rules).expect("rules"),
            opens_at: now,
            closes_at: now,
            updated_at: now,
        };
        let id = store::insert(c, organisation, &draft, None, now)?;
        store::replace_options(c, id, &kind.preset_options())?;
        let mut electors = Vec::new();
        let mut voters = Vec::new();
        let mut ballot_papers = Vec::new();
        let options = ["for", "against", "abstain", "for"];
        for chunk in (0..papers).collect::<Vec<_>>().chunks(1_000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|n| {
                    (
                        practices::ods_code.eq(format!("P{n:06}")),
                        practices::name.eq(format!("Practice {n}")),
                        practices::is_demo.eq(false),
                        practices::created_at.eq(now),
                    )
                })
                .collect();
            let ids: Vec<i32> = quorate::per_backend!(&mut *c, |b| diesel::insert_into(practices::table)
                .values(&rows)
                .returning(practices::id)
                .get_results(b))?;
            let joins: Vec<_> = ids
                .iter()
                .map(|p| {
                    (
                        memberships::practice_id.eq(*p),
                        memberships::organisation_id.eq(organisation),
                        memberships::joined_on.eq(joined),
                    )
                })
                .collect();
            quorate::per_backend!(&mut *c, |b| diesel::insert_into(memberships::table)
                .values(&joins)
                .execute(b))?;
            for (practice, n) in ids.iter().zip(chunk) {
                electors.push(ElectorRow {
                    ballot_id: id,
                    practice_id: *practice,
                    weight: 1,
                    list_size: None,
                    list_size_date: None,
                    constituency: None,
                    nominated_user_id: None,
                    deputy_user_id: None,
                });
                voters.push(NewVoter {
                    ballot_id: id,
                    practice_id: *practice,
                    voted_at: now,
                    method: "link",
                });
                ballot_papers.push(PaperRow {
                    ballot_id: id,
                    paper_id: new_paper_id(),
                    receipt_digest: receipt_digest(&new_receipt_code()),
                    option_key: options[n % options.len()].into(),
                    weight: 1,
                    constituency: None,
                });
            }
        }
        let lines: Vec<(String, u64, Option<String>)> = (0..papers).map(|n| (format!("P{n:06}"), 1, None)).collect();
        let digest = quorate::token::digest(&quorate::ballots::service::electorate_lines(&lines));
        store::insert_electors(c, &electors)?;
        store::insert_voters(c, &voters)?;
        store::insert_papers(c, &ballot_papers)?;
        diesel::update(ballots::table.find(id))
            .set((
                ballots::state.eq("closed"),
                ballots::published_at.eq(now),
                ballots::opened_at.eq(now),
                ballots::closed_at.eq(now),
                ballots::electorate_digest.eq(&digest),
            ))
            .execute(c)?;
        Ok(id)
    })
    .expect("ballot")
}

async fn run(backend: common::Backend, papers: usize, audit_entries: usize) {
    println!("== {backend:?}");
    let app = common::spawn_app(backend).await;
    let started = Instant::now();
    let id = counted_ballot(&app, papers);
    println!("{papers} papers written: {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    quorate::ballots::service::Scheduler::default()
        .run(&app.pool, &app.outbox(), Utc::now().naive_utc())
        .expect("count");
    println!(
        "count {papers} papers (scheduler, with the papers re-mixed on PostgreSQL): {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    app.create_user("ro@bench.example", "returning_officer", Some("08V"));
    let officer = {
        let mut conn = app.pool.get().expect("connection");
        let user = quorate::accounts::store::User::find_by_email(&mut conn, "ro@bench.example")
            .expect("q")
            .expect("user");
        quorate::accounts::service::session_user(&app.pool, user.id)
            .expect("q")
            .expect("session user")
    };
    let started = Instant::now();
    let signed =
        quorate::certify::service::issue(&app.pool, &app.outbox(), &app.data_dir, &officer, id, "").expect("issue");
    println!(
        "issue the certificate of {papers} papers (board, Merkle tree, signature, stored): {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let board = quorate::certify::service::board(&app.pool, id).expect("board");
    let dir = tempfile::tempdir().expect("dir");
    let cert_file = dir.path().join("certificate.json");
    let board_file = dir.path().join("board.json");
    std::fs::write(&cert_file, serde_json::to_string(&signed).expect("json")).expect("write");
    std::fs::write(&board_file, serde_json::to_string(&board).expect("json")).expect("write");
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let output = std::process::Command::new(BIN)
            .arg("verify")
            .arg(&cert_file)
            .arg("--board")
            .arg(&board_file)
            .arg("--key")
            .arg(&signed.certificate.public_key)
            .env_clear()
            .output()
            .expect("quorate verify");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "quorate verify with the board ({} MB), a separate process: median {:.0} ms of 3",
        std::fs::metadata(&board_file).map(|m| m.len() / 1_000_000).unwrap_or(0),
        times[1]
    );

    // The audit log: M entries, then the whole chain checked.
    let started = Instant::now();
    let mut conn = app.pool.get().expect("connection");
    let actor = quorate::audit::model::Actor::command_line();
    let mut written = quorate::audit::store::all(&mut conn).expect("audit").len();
    while written < audit_entries {
        let n = (audit_entries - written).min(20_000);
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let events = (0..n)
                .map(|i| {
                    (
                        actor.clone(),
                        quorate::audit::service::Event {
                            organisation_id: Some(1),
                            action: "bench.entry",
                            object_kind: "bench",
                            object_key: "bench",
                            summary: format!("Entry {} of the benchmark", written + i),
                        },
                    )
                })
                .collect();
            quorate::audit::service::record_all(c, events)
        })
        .expect("append");
        written += n;
    }
    drop(conn);
    println!(
        "audit log of {written} entries written: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let checked = quorate::audit::service::verify(&app.pool).expect("verify");
    println!(
        "audit verify over {} entries: {:.2} s",
        checked.unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(checked, Ok(written));
    app.stop().await;
}

fn main() {
    let papers = arg("--papers", 60_000);
    let audit = arg("--audit", 1_000_000);
    actix_web::rt::System::new().block_on(async {
        run(common::Backend::Sqlite, papers, audit).await;
        if common::postgres_admin_url().is_some() {
            run(common::Backend::Postgres, papers, audit).await;
        }
    });
}
