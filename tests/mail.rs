//! The outbox and the delivery worker against a real SMTP server on loopback.

mod common;

use common::TestApp;
use common::smtp::{SmtpSink, closed_port};
use diesel::Connection;
use quorate::mail::model::{EventKind, MessageState};
use quorate::mail::service::{Mail, cancel_pending};
use quorate::mail::store;
use serde_json::json;

fn reset_mail(to: &str, event_id: i32) -> Mail {
    Mail {
        template: "password_reset",
        to_email: to.to_owned(),
        to_name: "Pat Practice".to_owned(),
        sender: "Test CCG".to_owned(),
        reason: "You get this email because someone asked to reset your password.".to_owned(),
        event: EventKind::Account,
        event_id: Some(event_id),
        organisation_id: None,
        practice_id: None,
        user_id: None,
        context: json!({ "link": "http://127.0.0.1/password/abc123", "expires": "5pm on 9 January 2026" }),
        sealed: true,
    }
}

fn enqueue(app: &TestApp, mail: Mail) -> i32 {
    let outbox = app.outbox();
    let mut conn = app.pool.get().expect("connection");
    outbox.enqueue(&mut conn, mail).expect("enqueue")
}

fn message(app: &TestApp, id: i32) -> store::OutboxMessage {
    let mut conn = app.pool.get().expect("connection");
    store::find(&mut conn, id).expect("query").expect("message exists")
}

backend_tests! {
    async fn a_message_arrives_with_its_headers_both_parts_and_link(app: TestApp) {
        let sink = SmtpSink::start();
        let id = enqueue(&app, reset_mail("pat@example.org", 1));
        assert_eq!(message(&app, id).state, "pending");
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("run");
        assert_eq!(stats.sent, 1);

        let received = sink.wait_for(1);
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].to, vec!["pat@example.org".to_owned()]);
        assert_eq!(received[0].from, "quorate@test.example");
        let stored = message(&app, id);
        assert_eq!(stored.state, "sent");
        assert!(stored.sent_at.is_some());
        let parsed = received[0].parsed();
        assert_eq!(parsed.message_id(), Some(stored.message_id.trim_matches(['<', '>'])));
        assert_eq!(parsed.subject(), Some("Reset your Quorate password"));
        assert_eq!(parsed.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
        let to = parsed.to().and_then(|a| a.first()).expect("To");
        assert_eq!(to.name(), Some("Pat Practice"));
        let text = parsed.body_text(0).expect("plain text part");
        let html = parsed.body_html(0).expect("HTML part");
        assert!(text.contains("Dear Pat Practice"), "{text}");
        assert!(text.contains("http://127.0.0.1/password/abc123"));
        assert!(text.contains("Sent by Test CCG through Quorate."), "says who sent it");
        assert!(text.contains("You get this email because"), "says why");
        assert!(html.contains("href=\"http://127.0.0.1/password/abc123\""), "{html}");
        assert!(html.contains("Test CCG"));
    }

    async fn with_the_server_down_messages_wait_then_go_exactly_once(app: TestApp) {
        let (port, listener) = closed_port();
        drop(listener);
        let url = format!("smtp://127.0.0.1:{port}");
        let id = enqueue(&app, reset_mail("pat@example.org", 2));
        let worker = app.mail_worker(Some(&url), &[]);
        let stats = worker.run_until_idle().await.expect("run");
        assert_eq!(stats.retrying, 1);
        let waiting = message(&app, id);
        assert_eq!(waiting.state, "pending");
        assert_eq!(waiting.attempts, 1);
        assert!(waiting.last_error.as_deref().is_some_and(|e| !e.is_empty()), "the error is kept");
        assert!(waiting.next_attempt_at > waiting.created_at, "retried later, not at once");

        // The server comes back on the same port; after the backoff the
        // message goes, once.
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("rebind the port");
        let sink = SmtpSink::start_on(listener);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1300)).await;
        let stats = worker.run_until_idle().await.expect("run");
        assert_eq!(stats.sent, 1);
        assert_eq!(worker.run_until_idle().await.expect("run").sent, 0, "nothing left to send");
        let received = sink.wait_for(1);
        assert_eq!(received.len(), 1);
        let sent = message(&app, id);
        assert_eq!(sent.state, "sent");
        assert_eq!(sent.attempts, 2);
    }

    async fn a_5xx_reply_fails_the_message_with_the_reason(app: TestApp) {
        let sink = SmtpSink::start();
        let bounced = enqueue(&app, reset_mail("bounce@example.org", 3));
        let fine = enqueue(&app, reset_mail("fine@example.org", 3));
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("run");
        assert_eq!((stats.sent, stats.failed), (1, 1));
        let failed = message(&app, bounced);
        assert_eq!(failed.state, "failed");
        let reason = failed.last_error.expect("reason");
        assert!(reason.contains("550") && reason.contains("No such user here"), "{reason}");
        assert_eq!(message(&app, fine).state, "sent");
    }

    async fn a_4xx_reply_is_retried_later(app: TestApp) {
        let sink = SmtpSink::start();
        let id = enqueue(&app, reset_mail("busy@example.org", 4));
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("run");
        assert_eq!(stats.retrying, 1);
        let waiting = message(&app, id);
        assert_eq!(waiting.state, "pending");
        assert!(waiting.last_error.expect("reason").contains("451"));
    }

    async fn after_the_retry_limit_a_message_is_failed(app: TestApp) {
        let (port, listener) = closed_port();
        drop(listener);
        let id = enqueue(&app, reset_mail("pat@example.org", 5));
        // Written as if 25 hours ago: past the 24-hour limit.
        {
            use quorate::db::schema::outbox_messages::dsl::*;
            use diesel::prelude::*;
            let mut conn = app.pool.get().expect("connection");
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(25);
            diesel::update(outbox_messages.find(id))
                .set((created_at.eq(past), give_up_at.eq(past + chrono::Duration::hours(24))))
                .execute(&mut conn)
                .expect("age the message");
        }
        let stats = app.mail_worker(Some(&format!("smtp://127.0.0.1:{port}")), &[]).run_until_idle().await.expect("run");
        assert_eq!(stats.failed, 1);
        let failed = message(&app, id);
        assert_eq!(failed.state, "failed");
        assert!(failed.last_error.expect("reason").starts_with("Gave up after 1 attempts"));
    }

    async fn a_server_that_stops_answering_does_not_hang_the_worker(app: TestApp) {
        // Accepts connections and never says anything.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = silent.local_addr().expect("address").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in silent.incoming().flatten() {
                held.push(stream);
            }
        });
        let id = enqueue(&app, reset_mail("pat@example.org", 6));
        let worker = app.mail_worker(Some(&format!("smtp://127.0.0.1:{port}")), &[("QUORATE_MAIL_SEND_TIMEOUT_SECONDS", "1")]);
        let started = std::time::Instant::now();
        let stats = worker.run_until_idle().await.expect("run");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
        assert_eq!(stats.retrying, 1);
        assert!(message(&app, id).last_error.expect("reason").contains("did not answer"));
    }

    async fn without_an_smtp_server_messages_become_eml_files(app: TestApp) {
        let id = enqueue(&app, reset_mail("pat@example.org", 7));
        let stats = app.mail_worker(None, &[]).run_until_idle().await.expect("run");
        assert_eq!(stats.sent, 1);
        let folder = app.data_dir.join("mail");
        let files: Vec<_> = std::fs::read_dir(&folder).expect("mail folder").filter_map(Result::ok).collect();
        assert_eq!(files.len(), 1);
        assert!(files[0].file_name().to_string_lossy().ends_with(".eml"));
        let bytes = std::fs::read(files[0].path()).expect("read");
        let parsed = mail_parser::MessageParser::default().parse(&bytes).expect("a valid message");
        let stored = message(&app, id);
        assert_eq!(parsed.message_id(), Some(stored.message_id.trim_matches(['<', '>'])));
        assert_eq!(parsed.subject(), Some("Reset your Quorate password"));
        assert!(parsed.body_text(0).expect("text").contains("abc123"));
        assert!(parsed.body_html(0).expect("html").contains("abc123"));
    }

    async fn messages_of_a_cancelled_event_are_not_sent(app: TestApp) {
        let sink = SmtpSink::start();
        let first = enqueue(&app, reset_mail("one@example.org", 8));
        let second = enqueue(&app, reset_mail("two@example.org", 8));
        let other = enqueue(&app, reset_mail("three@example.org", 9));
        {
            let mut conn = app.pool.get().expect("connection");
            assert_eq!(cancel_pending(&mut conn, EventKind::Account, 8, "Ballot cancelled").expect("cancel"), 2);
        }
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("run");
        assert_eq!(stats.sent, 1);
        assert_eq!(sink.wait_for(1).len(), 1);
        assert_eq!(message(&app, first).state, "cancelled");
        assert_eq!(message(&app, second).state, "cancelled");
        assert_eq!(message(&app, other).state, "sent");
        assert_eq!(sink.received().len(), 1);
    }

    async fn a_template_error_fails_that_message_only(app: TestApp) {
        let sink = SmtpSink::start();
        let mut broken = reset_mail("pat@example.org", 10);
        broken.context = json!({ "expires": "soon" }); // no link: strict mode refuses
        let broken = enqueue(&app, broken);
        let fine = enqueue(&app, reset_mail("sam@example.org", 10));
        let stored = message(&app, broken);
        assert_eq!(stored.state, "failed");
        assert!(stored.last_error.expect("reason").contains("could not be prepared"));
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("run");
        assert_eq!(stats.sent, 1);
        assert_eq!(message(&app, fine).state, "sent");
    }

    async fn a_message_written_in_a_rolled_back_transaction_does_not_exist(app: TestApp) {
        let outbox = app.outbox();
        let mut conn = app.pool.get().expect("connection");
        let result: Result<(), diesel::result::Error> = conn.transaction(|c| {
            outbox.enqueue(c, reset_mail("pat@example.org", 11))?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(result.is_err());
        assert_eq!(store::count_in_state(&mut conn, MessageState::Pending).expect("count"), 0);
    }

    async fn many_messages_are_written_together_or_not_at_all(app: TestApp) {
        let outbox = app.outbox();
        let mut conn = app.pool.get().expect("connection");
        let mails = |n: usize| (0..n).map(|i| reset_mail(&format!("p{i}@example.org"), 13)).collect::<Vec<_>>();
        let rolled_back: Result<(), diesel::result::Error> = conn.transaction(|c| {
            outbox.enqueue_all(c, mails(1200))?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(rolled_back.is_err());
        assert_eq!(store::count_unfinished(&mut conn).expect("count"), 0, "nothing written");
        let written = conn.transaction(|c| outbox.enqueue_all(c, mails(1200))).expect("write");
        assert_eq!(written, 1200);
        assert_eq!(store::count_in_state(&mut conn, MessageState::Pending).expect("count"), 1200);
    }

    async fn two_workers_never_send_the_same_message(app: TestApp) {
        let sink = SmtpSink::start();
        for n in 0..60 {
            enqueue(&app, reset_mail(&format!("member{n}@example.org"), 12));
        }
        let small = [("QUORATE_MAIL_BATCH_SIZE", "7")];
        let (a, b) = (app.mail_worker(Some(&sink.url()), &small), app.mail_worker(Some(&sink.url()), &small));
        let (ra, rb) = futures_util::join!(a.run_until_idle(), b.run_until_idle());
        let (ra, rb) = (ra.expect("a"), rb.expect("b"));
        assert_eq!(ra.sent + rb.sent, 60);
        let received = sink.wait_for(60);
        assert_eq!(received.len(), 60);
        let mut ids: Vec<String> = received.iter().filter_map(|r| r.parsed().message_id().map(str::to_owned)).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 60, "every message exactly once");
    }
}
