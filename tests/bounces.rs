//! Bounces that come back after the mail server accepted a message: each
//! message goes out with its own VERP return path; a real DSN written by
//! the test suite's SMTP server, piped to `quorate mail bounce` as an MTA's
//! pipe transport would, marks the right message failed with the remote
//! server's reason, which the delivery record and the practice page show.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::TestApp;
use common::ballots::{self, ADMIN, action, create_ballot, electorate, log_in};
use common::smtp::SmtpSink;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");
const BOUNCES: &str = "bounces@ccg.example.org";

/// Runs `quorate mail bounce` with `input` on standard input.
fn pipe_bounce(app: &TestApp, input: &[u8], args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().expect("cwd");
    let mut child = Command::new(BIN)
        .args(["mail", "bounce"])
        .args(args)
        .env_clear()
        .env("QUORATE_DATABASE_URL", &app.database_url)
        .env("QUORATE_DATA_DIR", app.data_dir.display().to_string())
        .env("QUORATE_BOUNCE_ADDRESS", BOUNCES)
        .env("QUORATE_LOG", "warn")
        .current_dir(cwd.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start quorate");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write the bounce");
    child.wait_with_output().expect("quorate finishes")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn messages(app: &TestApp, organisation_id: i32) -> Vec<quorate::mail::store::OutboxMessage> {
    let mut conn = app.pool.get().expect("connection");
    quorate::mail::store::for_organisation(&mut conn, organisation_id, None, None, 1000).expect("messages")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/bounces")
            .join(name),
    )
    .expect("fixture")
}

backend_tests! {
    async fn a_late_bounce_through_the_pipe_command_marks_the_right_message_failed(app: TestApp) {
        let smtp = SmtpSink::start();
        let e = electorate(&app, &[3_000, 5_000]);
        // A third practice's manager has left: the relay accepts the notice,
        // and the next server refuses it later.
        let third = app.create_member_practice("F84003", "Practice 3", e.organisation_id);
        ballots::set_list_size(&app, third, 4_000);
        ballots::add_representative(&app, "F84003", third, "old.manager.late-bounce@practice.example.org", "nominated");
        let id = create_ballot(&app, &e, json!({})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 200, "{body}");
        let worker = app.mail_worker(Some(&smtp.url()), &[("QUORATE_BOUNCE_ADDRESS", BOUNCES)]);
        let stats = worker.run_until_idle().await.expect("worker");
        assert_eq!(stats.failed, 0, "the relay accepted everything: {stats:?}");

        // Every message went out with its own return path, naming it.
        let sent = messages(&app, e.organisation_id);
        let received = smtp.wait_for(sent.len());
        assert_eq!(received.len(), sent.len());
        for message in &sent {
            let tag = quorate::mail::bounce::model::message_tag(&message.message_id).expect("tag");
            let path = format!("bounces+{tag}@ccg.example.org");
            assert!(
                received.iter().any(|r| r.from == path && r.to == vec![message.recipient_email.clone()]),
                "{} went out with the return path {path}",
                message.recipient_email
            );
        }

        // The relay's report comes back to that return path, and the MTA
        // pipes it to `quorate mail bounce`.
        let dsns = smtp.dsns();
        assert_eq!(dsns.len(), 1, "one late bounce");
        let output = pipe_bounce(&app, &dsns[0].data, &[]);
        assert!(output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("now marked failed"), "{}", text(&output));
        let after = messages(&app, e.organisation_id);
        let failed: Vec<_> = after.iter().filter(|m| m.state == "failed").collect();
        assert_eq!(failed.len(), 1, "only the bounced message fails");
        assert_eq!(failed[0].recipient_email, "old.manager.late-bounce@practice.example.org");
        let reason = failed[0].last_error.clone().unwrap_or_default();
        assert!(reason.contains("550 5.1.1") && reason.contains("User unknown"), "{reason}");
        assert!(after.iter().filter(|m| m.recipient_email != failed[0].recipient_email).all(|m| m.state == "sent"));

        // The same bounce again changes nothing more, but is kept.
        let output = pipe_bounce(&app, &dsns[0].data, &[]);
        assert!(output.status.success() && !text(&output).contains("now marked failed"), "{}", text(&output));

        // The delivery record, the practice page and the ballot's counts use it.
        log_in(&app, ADMIN).await;
        let (status, page) = app.get_text("/organisations/08V/deliveries").await;
        assert_eq!(status, 200);
        assert!(page.contains("bounced after sending") && page.contains("Bounces that came back"), "{page}");
        let (_, page) = app.get_text("/practices/F84003").await;
        assert!(page.contains("Email failing") && page.contains("User unknown"), "{page}");
        let (_, ballot) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None)
            .await;
        assert_eq!(ballot["deliveries"]["failed"], 1, "{ballot}");
    }

    async fn bounces_that_cannot_be_read_or_matched_are_kept_for_a_person(app: TestApp) {
        let output = pipe_bounce(&app, b"\xff\xfe this is not an email at all\n", &[]);
        assert!(output.status.success(), "kept, so the MTA does not bounce it: {}", text(&output));
        assert!(text(&output).contains("kept for a person to read"), "{}", text(&output));
        let output = pipe_bounce(&app, &fixture("delayed.eml"), &["--recipient", "bounces+nosuchtag@ccg.example.org"]);
        assert!(output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("delayed"), "{}", text(&output));
        let output = pipe_bounce(&app, b"  \n", &[]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(text(&output).contains("standard input was empty"), "{}", text(&output));

        let mut conn = app.pool.get().expect("connection");
        let kept = quorate::mail::bounce::store::of_organisation(&mut conn, None, 10).expect("bounces");
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().any(|b| b.severity == "unknown" && b.raw.contains("not an email")));
        assert!(kept.iter().any(|b| b.severity == "soft" && b.status.as_deref() == Some("4.2.2")));
        drop(conn);

        // A system administrator reads them on the page of unmatched bounces.
        app.create_user("root@example.org", "system_admin", None);
        log_in(&app, "root@example.org").await;
        let (status, page) = app.get_text("/admin/bounces").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("not an email at all") && page.contains("4.2.2"), "{page}");
    }
}
