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
    let mut all = vec!["bounce"];
    all.extend_from_slice(args);
    run_mail(app, &all, input, &[])
}

/// Runs `quorate mail ARGS…` with `input` on standard input.
fn run_mail(app: &TestApp, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    let cwd = tempfile::tempdir().expect("cwd");
    let mut child = Command::new(BIN)
        .arg("mail")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
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

/// A Dovecot IMAP server on loopback (Debian's dovecot-imapd), with one
/// mailbox `bounces`; stopped when dropped.
struct Dovecot {
    port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

const IMAP_PASSWORD: &str = "imap-test-password";

impl Dovecot {
    /// None (saying why) when Dovecot is not installed or cannot start;
    /// CI installs it and sets QUORATE_REQUIRE_DOVECOT, so there it must.
    fn start() -> Option<Dovecot> {
        let binary = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let dovecot_user = Command::new("id")
            .arg("dovecot")
            .output()
            .is_ok_and(|o| o.status.success());
        let Some(binary) = binary.filter(|_| dovecot_user) else {
            return Self::cannot("Dovecot is not installed (apt-get install dovecot-imapd)");
        };
        let dir = tempfile::tempdir().expect("dovecot dir");
        let root = dir.path();
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub)).expect("dovecot folders");
        }
        // Mail is read and written as the dovecot user.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).expect("permissions");
        std::fs::set_permissions(root.join("home"), std::fs::Permissions::from_mode(0o777)).expect("permissions");
        std::fs::write(root.join("users"), format!("bounces:{{PLAIN}}{IMAP_PASSWORD}\n")).expect("users");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let r = root.display();
        let config = format!(
            "first_valid_uid = 100\nbase_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
             listen = 127.0.0.1\nprotocols = imap\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\ndefault_internal_user = dovecot\ndefault_login_user = dovenull\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid=dovecot gid=dovecot home={r}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), config).expect("config");
        let child = Command::new(binary)
            .args(["-F", "-c"])
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            return Self::cannot("Dovecot did not start");
        };
        let server = Dovecot { port, child, _dir: dir };
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(15) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(server._dir.path().join("dovecot.log")).unwrap_or_default();
        Self::cannot(&format!("Dovecot did not listen within 15 s: {log}"))
    }

    fn cannot(why: &str) -> Option<Dovecot> {
        assert!(
            std::env::var_os("QUORATE_REQUIRE_DOVECOT").is_none(),
            "the IMAP test needs Dovecot: {why}"
        );
        eprintln!("SKIPPED: the bounce mailbox test needs a Dovecot IMAP server on loopback: {why}");
        None
    }

    fn url(&self) -> String {
        format!("imap://bounces@127.0.0.1:{}/INBOX", self.port)
    }

    /// Delivers `message` into the mailbox, as the MTA would.
    async fn deliver(&self, message: &[u8]) {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.expect("greeting").expect("greeting");
        let mut session = client
            .login("bounces", IMAP_PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("login");
        session.append("INBOX", None, None, message).await.expect("append");
        session.logout().await.expect("logout");
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    async fn the_bounce_mailbox_is_polled_over_imap(app: TestApp) {
        let Some(dovecot) = Dovecot::start() else {
            return;
        };
        let smtp = SmtpSink::start();
        let e = electorate(&app, &[3_000]);
        let second = app.create_member_practice("F84002", "Practice 2", e.organisation_id);
        ballots::set_list_size(&app, second, 4_000);
        ballots::add_representative(&app, "F84002", second, "gone.late-bounce@practice.example.org", "nominated");
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let worker = app.mail_worker(Some(&smtp.url()), &[("QUORATE_BOUNCE_ADDRESS", BOUNCES)]);
        worker.run_until_idle().await.expect("worker");
        let _ = smtp.wait_for(messages(&app, e.organisation_id).len());
        let dsns = smtp.dsns();
        assert_eq!(dsns.len(), 1);

        // The MTA delivers the report, and an auto-reply, into the mailbox.
        dovecot.deliver(&dsns[0].data).await;
        dovecot.deliver(&fixture("out-of-office.eml")).await;
        let url = dovecot.url();
        let env = [("QUORATE_IMAP_URL", url.as_str()), ("QUORATE_IMAP_PASSWORD", IMAP_PASSWORD)];
        let output = run_mail(&app, &["poll"], b"", &env);
        assert!(output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("Read 2 of 2 unread message(s)") && text(&output).contains("1 marked a message failed"), "{}", text(&output));
        let failed: Vec<_> = messages(&app, e.organisation_id).into_iter().filter(|m| m.state == "failed").collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].recipient_email, "gone.late-bounce@practice.example.org");

        // Read messages are not read again; a wrong password says so.
        let output = run_mail(&app, &["poll"], b"", &env);
        assert!(text(&output).contains("Read 0 of 0 unread message(s)"), "{}", text(&output));
        let wrong = [("QUORATE_IMAP_URL", url.as_str()), ("QUORATE_IMAP_PASSWORD", "wrong")];
        let output = run_mail(&app, &["poll"], b"", &wrong);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(text(&output).contains("could not log in"), "{}", text(&output));
        let output = run_mail(&app, &["poll"], b"", &[]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(text(&output).contains("no bounce mailbox is set"), "{}", text(&output));
    }
}
