//! Two servers on one PostgreSQL database, as behind a load balancer: the
//! scheduler's steps happen once however the rounds overlap, votes arriving
//! at both servers make one valid audit chain, the outbox sends each
//! message once, and a server holding another signing key for an
//! organisation refuses to start. (One SQLite file serves one server.)
#![cfg(quorate_pg_tests)]

mod common;

use chrono::{Duration, NaiveDateTime, Utc};
use common::ballots::{action, create_ballot, electorate, open_when_due, vote_with_link, voting_links};
use common::smtp::SmtpSink;
use common::{Backend, TestApp, spawn_app};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use futures_util::future::join_all;
use quorate::ballots::service::{ScheduleReport, Scheduler};
use serde_json::json;

fn sum(reports: &[ScheduleReport]) -> (usize, usize, usize) {
    (
        reports.iter().map(|r| r.opened.len()).sum(),
        reports.iter().map(|r| r.reminders).sum(),
        reports.iter().map(|r| r.counted.len()).sum(),
    )
}

/// Five rounds on each server at once, all at `now`.
fn rounds_on_both(servers: [&TestApp; 2], now: NaiveDateTime) -> Vec<ScheduleReport> {
    std::thread::scope(|scope| {
        let running: Vec<_> = servers
            .into_iter()
            .map(|server| {
                scope.spawn(move || {
                    let (mut scheduler, outbox) = (Scheduler::default(), server.outbox());
                    (0..5)
                        .map(|_| scheduler.run(&server.pool, &outbox, now).expect("a round"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        running
            .into_iter()
            .flat_map(|r| r.join().expect("the rounds ran"))
            .collect()
    })
}

fn outbox_count(app: &TestApp, template: &str) -> i64 {
    use diesel::prelude::*;
    use quorate::db::schema::outbox_messages;
    let mut conn = app.pool.get().expect("connection");
    outbox_messages::table
        .filter(outbox_messages::template.eq(template))
        .count()
        .get_result(&mut conn)
        .expect("count")
}

#[actix_web::test]
async fn the_schedulers_of_two_servers_open_remind_close_and_count_once() {
    let app = spawn_app(Backend::Postgres).await;
    let second = app.second_server(None).await.expect("the second server starts");
    let e = electorate(&app, &[1_000, 2_000, 3_000, 4_000, 5_000, 6_000]);
    let closes = Utc::now() + Duration::days(3);
    let id = create_ballot(
        &app,
        &e,
        json!({"closes_at": closes.to_rfc3339(), "rules": {"reminder_days": [2, 1], "allow_early_close": true}}),
    )
    .await;
    assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
    let opens = Utc::now().naive_utc() + Duration::minutes(2);

    // While one server runs its round, the other's round does nothing (at a
    // time when nothing is due, so that the overlapping rounds below are the
    // ones that open the ballot).
    let mut holder = diesel::PgConnection::establish(&app.database_url).expect("connect");
    holder
        .transaction::<_, diesel::result::Error, _>(|c| {
            c.batch_execute(&format!(
                "SELECT pg_advisory_xact_lock({})",
                quorate::ballots::schedule::SCHEDULER_LOCK_KEY
            ))?;
            let report = Scheduler::default()
                .run(&second.pool, &second.outbox(), opens - Duration::hours(1))
                .expect("a round");
            assert!(report.led_elsewhere, "{report:?}");
            Ok(())
        })
        .expect("held");

    let reports = rounds_on_both([&app, &second], opens);
    assert_eq!(sum(&reports), (1, 0, 0), "opened once: {reports:?}");
    for days in [2, 1] {
        let due = closes.naive_utc() - Duration::days(days) + Duration::minutes(1);
        rounds_on_both([&app, &second], due);
    }
    assert_eq!(
        outbox_count(&app, "ballot_reminder"),
        12,
        "six practices reminded twice"
    );
    for (_, _, email) in &e.practices {
        assert_eq!(app.emails_to(email, "ballot_reminder"), 2, "{email}");
    }

    // At the close, both schedulers and three early closes through both
    // servers' API race: one close and one count.
    let after_close = closes.naive_utc() + Duration::minutes(1);
    let token = e.admin_token.as_str();
    let early_closes = join_all([&app, &second, &app].map(|server| async move {
        server
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/ballots/{id}/close"),
                Some(token),
                Some(json!({"reason": "Closed early while the schedulers close it"})),
            )
            .await
            .0
    }));
    let (answers, reports) = futures_util::join!(
        early_closes,
        actix_web::rt::task::spawn_blocking({
            let (a, b) = (app.pool.clone(), second.pool.clone());
            let (oa, ob) = (app.outbox(), second.outbox());
            move || {
                std::thread::scope(|scope| {
                    let runs = [(a, oa), (b, ob)].map(|(pool, outbox)| {
                        scope.spawn(move || {
                            let mut scheduler = Scheduler::default();
                            (0..5)
                                .map(|_| scheduler.run(&pool, &outbox, after_close).expect("a round"))
                                .collect::<Vec<_>>()
                        })
                    });
                    runs.into_iter()
                        .flat_map(|r| r.join().expect("ran"))
                        .collect::<Vec<_>>()
                })
            }
        })
    );
    let reports = reports.expect("rounds");
    // An early close of a ballot closed meanwhile answers with its state.
    assert!(answers.iter().all(|s| [200, 409].contains(s)), "{answers:?}");
    assert!(sum(&reports).2 <= 1, "{reports:?}");
    let closes_audited = app.audited("ballot.close").len() + app.audited("ballot.close_early").len();
    assert_eq!(
        (
            closes_audited,
            app.audited("ballot.open").len(),
            app.audited("ballot.count").len()
        ),
        (1, 1, 1)
    );
    assert_eq!(
        outbox_count(&app, "ballot_result"),
        7,
        "six practices and the observer told once"
    );
    assert_eq!(
        quorate::audit::service::verify_for(&app.pool, None).expect("read"),
        Ok(app.audited_count())
    );
}

#[actix_web::test]
async fn votes_at_both_servers_make_one_count_and_one_valid_audit_chain() {
    let app = spawn_app(Backend::Postgres).await;
    let second = app.second_server(None).await.expect("the second server starts");
    let sizes: Vec<i32> = (1..=40).map(|i| 1_000 + i * 37).collect();
    let e = electorate(&app, &sizes);
    let id = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
    assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
    open_when_due(&app, &e, id).await;
    let links = voting_links(&app, id);
    let answers = join_all(e.practices.iter().enumerate().map(|(i, (_, _, email))| {
        let server = if i % 2 == 0 { &app } else { &second };
        let option = if i % 3 == 0 { "against" } else { "for" };
        vote_with_link(server, id, &links[email], option)
    }))
    .await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    // The same links again, through the other server: each practice once.
    let again = join_all(e.practices.iter().enumerate().map(|(i, (_, _, email))| {
        let server = if i % 2 == 0 { &second } else { &app };
        vote_with_link(server, id, &links[email], "for")
    }))
    .await;
    assert!(again.iter().all(|(s, _)| *s == 409), "{again:?}");

    let (status, closed) = action(&second, &e, id, "close", None).await;
    assert_eq!((status, &closed["state"]), (200, &json!("counted")), "{closed}");
    let results = common::ballots::results(&app, &e, id).await;
    assert_eq!(results["overall"]["turnout"]["practices"], 40, "{results}");
    // 14 of the 40 (every third) voted against: 26 for is 65%.
    let words = results["in_words"].as_str().unwrap_or_default();
    assert!(words.starts_with("Carried: 65% of votes cast for"), "{words}");
    let entries = app.audited_count();
    assert!(entries > 40, "every vote audited: {entries}");
    assert_eq!(
        quorate::audit::service::verify_for(&app.pool, None).expect("read"),
        Ok(entries),
        "one chain"
    );
}

#[actix_web::test]
async fn the_workers_of_two_servers_send_each_message_once() {
    let app = spawn_app(Backend::Postgres).await;
    let second = app.second_server(None).await.expect("the second server starts");
    let sink = SmtpSink::start();
    let sizes: Vec<i32> = vec![1_000; 60];
    let e = electorate(&app, &sizes);
    let id = create_ballot(&app, &e, json!({})).await;
    assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
    let queued = outbox_count(&app, "ballot_notice");
    assert_eq!(queued, 61, "60 representatives and the observer");
    let workers =
        [&app, &second].map(|server| server.mail_worker(Some(&sink.url()), &[("QUORATE_MAIL_BATCH_SIZE", "5")]));
    let stats = join_all(workers.iter().map(|w| w.run_until_idle())).await;
    let sent: Vec<usize> = stats.into_iter().map(|s| s.expect("worker").sent).collect();
    assert_eq!(sent.iter().sum::<usize>(), 61, "{sent:?}");
    let received = sink.wait_for(61);
    let mut recipients: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!((received.len(), recipients.len()), (61, 61), "each once");
}

#[actix_web::test]
async fn a_server_with_another_signing_key_refuses_to_start() {
    let app = spawn_app(Backend::Postgres).await;
    electorate(&app, &[1_000]);
    // The first server makes 08V's key when its key page is first read.
    assert_eq!(app.get("/organisations/08V/keys.json").await.status(), 200);

    // A second server with its own data folder and no key for 08V starts
    // (it warns) but will not sign for 08V.
    let own = tempfile::tempdir().expect("folder");
    let keyless = app
        .second_server(Some(own.path().join("data")))
        .await
        .expect("starts without the key");
    let refused = keyless.get("/organisations/08V/keys.json").await;
    assert_eq!(refused.status(), 503);
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("not set up to sign for 08V")
    );
    keyless.stop().await;

    // Given a key of its own for 08V, it refuses to start, naming both.
    std::fs::create_dir_all(keyless.data_dir.join("signing-keys")).expect("folder");
    std::fs::write(
        keyless.data_dir.join("signing-keys/08V.key"),
        format!("{}\n", "ab".repeat(32)),
    )
    .expect("key");
    let settings = keyless.settings.clone();
    let why = match quorate::web::Application::build(settings, false).await {
        Ok(_) => panic!("a server with another key for 08V started"),
        Err(e) => e.to_string(),
    };
    assert!(
        why.contains("signing key of 08V") && why.contains("quorate keys replace 08V"),
        "{why}"
    );

    // The same key file as the first server's: it starts and signs.
    std::fs::copy(
        app.data_dir.join("signing-keys/08V.key"),
        keyless.data_dir.join("signing-keys/08V.key"),
    )
    .expect("copy");
    let same = app
        .second_server(Some(keyless.data_dir.clone()))
        .await
        .expect("starts with the shared key");
    assert_eq!(same.get("/organisations/08V/keys.json").await.status(), 200);
}
