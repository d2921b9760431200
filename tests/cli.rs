//! The `quorate` binary: admin commands, exit codes, start-up on an empty folder.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::PASSWORD;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");

/// Runs the binary with only the given settings in its environment.
fn quorate(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>, cwd: &Path) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .env("QUORATE_LOG", "warn")
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start quorate");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("quorate finishes")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn app_env(app: &common::TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("QUORATE_DATABASE_URL", app.database_url.clone()),
        ("QUORATE_DATA_DIR", app.data_dir.display().to_string()),
    ]
}

fn run_for(app: &common::TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let env = app_env(app);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cwd = tempfile::tempdir().expect("cwd");
    quorate(args, &env, stdin, cwd.path())
}

backend_tests! {
    async fn a_user_created_on_the_command_line_can_log_in(app: TestApp) {
        app.create_organisation("ccg", "08V", "Test CCG");
        let output = run_for(
            &app,
            &["admin", "create-user", "--email", "Officer@Example.org", "--name", "Olive Officer", "--role", "returning_officer", "--org", "08v", "--password-stdin"],
            Some(&format!("{PASSWORD}\n")),
        );
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("Created the account Officer@Example.org"));
        assert_eq!(app.login("officer@example.org", PASSWORD).await.status(), 303);
        let (_, home) = app.get_text("/").await;
        assert!(home.contains("Returning officer, Test CCG (08V)"), "{home}");

        // The same email again is refused: bad usage, one line.
        let again = run_for(
            &app,
            &["admin", "create-user", "--email", "officer@example.org", "--name", "Other", "--role", "system_admin", "--password-stdin"],
            Some(PASSWORD),
        );
        assert_eq!(again.status.code(), Some(2));
        assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
        assert_eq!(stderr(&again).trim().lines().count(), 1);
    }

    async fn set_password_on_the_command_line_replaces_the_old_one(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let output = run_for(&app, &["admin", "set-password", "--email", "jane@example.org", "--password-stdin"], Some("an entirely new passphrase\r\n"));
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 422);
        assert_eq!(app.login("jane@example.org", "an entirely new passphrase").await.status(), 303);

        let unknown = run_for(&app, &["admin", "set-password", "--email", "nobody@example.org", "--password-stdin"], Some(PASSWORD));
        assert_eq!(unknown.status.code(), Some(2));
        assert!(stderr(&unknown).contains("no account for nobody@example.org"), "{}", stderr(&unknown));
    }

    async fn reset_two_factor_on_the_command_line_needs_a_reason(app: TestApp) {
        use common::two_factor::{code_at, now_seconds, setup_key};
        app.create_user("jane@example.org", "system_admin", None);
        app.login("jane@example.org", PASSWORD).await;
        let (_, page) = app.get_text("/account/two-factor").await;
        let code = code_at(&setup_key(&page), now_seconds());
        let response = app.submit("/account/two-factor", "/account/two-factor", &[("code", &code)]).await;
        assert_eq!(response.status(), 200);
        app.logout().await;
        assert_eq!(app.login("jane@example.org", PASSWORD).await.headers()["location"], "/login/code");

        let reset = ["admin", "reset-two-factor", "--email", "jane@example.org", "--reason"];
        let blank = run_for(&app, &[&reset[..], &[" "]].concat(), None);
        assert_eq!(blank.status.code(), Some(2));
        assert!(stderr(&blank).contains("Enter why two-factor sign-in is being reset"), "{}", stderr(&blank));
        let output = run_for(&app, &[&reset[..], &["Lost phone; she came to the office"]].concat(), None);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("Reset two-factor sign-in of jane@example.org"));
        // Her session ended with the reset. (Two-factor is not required in
        // this test's settings: the password alone signs her in now.)
        let (_, home) = app.get_text("/login").await;
        assert!(home.contains("Log in to Quorate"), "{home}");
        assert_eq!(app.login("jane@example.org", PASSWORD).await.headers()["location"], "/");
        let again = run_for(&app, &[&reset[..], &["again"]].concat(), None);
        assert_eq!(again.status.code(), Some(2));
        assert!(stderr(&again).contains("has not set up two-factor sign-in"), "{}", stderr(&again));
    }

    async fn mail_run_until_idle_delivers_what_is_due_and_exits(app: TestApp) {
        let sink = common::smtp::SmtpSink::start();
        app.create_user("jane@example.org", "system_admin", None);
        quorate::accounts::service::request_password_reset(&app.pool, &app.outbox(), "jane@example.org").expect("reset");
        let mut env = app_env(&app);
        env.push(("QUORATE_SMTP_URL", sink.url()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let cwd = tempfile::tempdir().expect("cwd");
        let output = quorate(&["mail", "run", "--until-idle"], &env, None, cwd.path());
        assert!(output.status.success(), "{}", stderr(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Sent 1 message(s); 0 will be tried again later; 0 failed."), "{stdout}");
        assert_eq!(sink.wait_for(1).len(), 1);
        assert!(!stderr(&output).contains("smtp://"), "the SMTP URL is not logged");
    }

    async fn import_on_the_command_line_shows_a_summary_and_refuses_bad_rows(app: TestApp) {
        app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/epraccur_2019-12_08V.csv");
        let fixture = fixture.to_str().expect("path");
        let dry = run_for(&app, &["import", "practices", fixture, "--org", "08v", "--dry-run"], None);
        assert!(dry.status.success(), "{}", stderr(&dry));
        let out = String::from_utf8_lossy(&dry.stdout);
        assert!(out.contains("08V                  35     36"), "{out}");
        assert!(out.contains("Dry run: nothing was changed."));
        let real = run_for(&app, &["import", "practices", fixture, "--org", "08V"], None);
        assert!(real.status.success(), "{}", stderr(&real));
        assert!(String::from_utf8_lossy(&real.stdout).contains("Imported."));

        let sizes = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gp-reg-pat-prac-all_01JAN2021_08V_16C.csv");
        let sizes_out = run_for(&app, &["import", "list-sizes", sizes.to_str().expect("path")], None);
        assert!(sizes_out.status.success(), "{}", stderr(&sizes_out));
        assert!(String::from_utf8_lossy(&sizes_out.stdout).contains("    35        0"), "{}", String::from_utf8_lossy(&sizes_out.stdout));

        let dir = tempfile::tempdir().expect("dir");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "\"F84999\",\"x\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"2019\",\"\",\"A\",\"B\",\"08V\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"08V\",\"\",\"4\",\"\"\n").expect("write");
        let refused = run_for(&app, &["import", "practices", bad.to_str().expect("path"), "--org", "08V"], None);
        assert_eq!(refused.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&refused.stdout).contains("Line 1: open date \"2019\" is not a real date"), "{}", String::from_utf8_lossy(&refused.stdout));
        assert!(stderr(&refused).contains("--skip-bad-rows"));

        // An endless input stops at the size limit, with nothing written.
        let endless = run_for(&app, &["import", "list-sizes", "/dev/zero"], None);
        assert_eq!(endless.status.code(), Some(2), "{}", stderr(&endless));
        assert!(stderr(&endless).contains("/dev/zero is larger than"), "{}", stderr(&endless));
        // A list-size row with its fields in the wrong columns is named.
        let short = dir.path().join("short.csv");
        std::fs::write(&short, "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\nGP_PRAC_PAT_LIST,01JAN2021,GP,08V,E38000186,F84003,E1 1AA,ALL,ALL,4000\nGP_PRAC_PAT_LIST,01JAN2021,GP,08V,F84004,ALL,ALL,5000\n").expect("write");
        let named = run_for(&app, &["import", "list-sizes", short.to_str().expect("path")], None);
        assert_eq!(named.status.code(), Some(2), "{}", stderr(&named));
        assert!(String::from_utf8_lossy(&named.stdout).contains("Line 3: the line has 8 fields, but the header row has 10"), "{} {}", String::from_utf8_lossy(&named.stdout), stderr(&named));

        let verify = run_for(&app, &["audit", "verify"], None);
        assert!(verify.status.success());
        assert!(String::from_utf8_lossy(&verify.stdout).contains("2 entries are intact"));
    }

    async fn admin_token_prints_a_working_api_token(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let output = run_for(&app, &["admin", "token", "--email", "jane@example.org", "--name", "sync"], None);
        assert!(output.status.success(), "{}", stderr(&output));
        let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert!(token.starts_with("qrt_"), "{token}");
        let response = app.client.get(app.url("/api/v1/organisations")).bearer_auth(&token).send().await.expect("get");
        assert_eq!(response.status(), 200);
        let unknown = run_for(&app, &["admin", "token", "--email", "nobody@example.org"], None);
        assert_eq!(unknown.status.code(), Some(2));
    }

    async fn bad_arguments_exit_with_2_and_name_the_problem(app: TestApp) {
        let cases: &[(&[&str], Option<&str>, &str)] = &[
            (&["admin", "create-user", "--email", "a@example.org", "--name", "A", "--role", "king", "--password-stdin"], Some(PASSWORD), "Role must be one of"),
            (&["admin", "create-user", "--email", "a@example.org", "--name", "A", "--role", "org_admin", "--password-stdin"], Some(PASSWORD), "Enter the ODS code of the organisation"),
            (&["admin", "create-user", "--email", "a@example.org", "--name", "A", "--role", "org_admin", "--org", "ZZZ", "--password-stdin"], Some(PASSWORD), "no organisation with ODS code ZZZ"),
            (&["admin", "create-user", "--email", "not-an-email", "--name", "A", "--role", "system_admin", "--password-stdin"], Some(PASSWORD), "correct format"),
            (&["admin", "create-user", "--email", "a@example.org", "--name", "A", "--role", "system_admin", "--password-stdin"], Some("short\n"), "12 characters or more"),
            (&["admin", "create-user", "--email", "a@example.org", "--name", "A", "--role", "system_admin", "--password-stdin"], Some(""), "first line of standard input"),
            (&["admin", "create-user", "--email", "a@example.org", "--name", "A", "--role", "system_admin"], None, "--password-stdin"),
            (&["frobnicate"], None, "frobnicate"),
        ];
        for (args, stdin, expected) in cases {
            let output = run_for(&app, args, *stdin);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
            assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
        }
        // Nothing was created by any of them.
        let mut conn = app.pool.get().expect("connection");
        assert_eq!(quorate::accounts::store::User::count(&mut conn).expect("count"), 0);
    }
}

#[test]
fn a_database_that_does_not_answer_is_a_runtime_failure_with_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let output = quorate(
        &["migrate"],
        &[("QUORATE_DATABASE_URL", "postgres://quorate@127.0.0.1:9/quorate")],
        None,
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.starts_with("quorate: cannot connect to the database postgres://quorate@127.0.0.1:9/quorate"),
        "{message}"
    );
}

#[test]
fn a_bad_setting_is_bad_usage() {
    let dir = tempfile::tempdir().expect("dir");
    let output = quorate(
        &["migrate"],
        &[("QUORATE_DATABASE_URL", "mysql://localhost/q")],
        None,
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("must start with sqlite:// or postgres://"));
    let output = quorate(&["--config", "/no/such/file.toml", "migrate"], &[], None, dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/no/such/file.toml does not exist"));
}

#[test]
fn migrate_creates_the_database_then_finds_it_up_to_date() {
    let dir = tempfile::tempdir().expect("dir");
    let first = quorate(
        &["migrate"],
        &[("QUORATE_DATABASE_URL", "sqlite://data/q.db")],
        None,
        dir.path(),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let migrations = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .expect("migrations")
        .count();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains(&format!("Applied {migrations} migration(s)")),
        "{stdout}"
    );
    assert!(dir.path().join("data/q.db").is_file());
    let second = quorate(
        &["migrate"],
        &[("QUORATE_DATABASE_URL", "sqlite://data/q.db")],
        None,
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("is up to date"));
}

/// `quorate` with no arguments in an empty folder: creates and migrates
/// ./quorate.db, keeps a new secret key, prints a setup link, serves.
#[actix_web::test]
async fn start_up_in_an_empty_folder_creates_the_database_and_serves() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(BIN)
        .env_clear()
        .env("QUORATE_BIND", "127.0.0.1:0")
        .env("QUORATE_LOG", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start quorate");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut port = None;
    let mut setup_path = None;
    let started = Instant::now();
    let mut line = String::new();
    while started.elapsed() < Duration::from_secs(30) && (port.is_none() || setup_path.is_none()) {
        line.clear();
        if stdout.read_line(&mut line).expect("read") == 0 {
            break;
        }
        if let Some(rest) = line.split("listening on port ").nth(1) {
            port = rest.split_whitespace().next().and_then(|p| p.parse::<u16>().ok());
        }
        if let Some(i) = line.find("/setup/") {
            setup_path = Some(line[i..].trim().to_owned());
        }
    }
    let port = port.expect("the server says which port it listens on");
    let setup_path = setup_path.expect("the server prints a setup link");
    let client = common::client();
    let health = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let setup = client
        .get(format!("http://127.0.0.1:{port}{setup_path}"))
        .send()
        .await
        .expect("setup");
    assert_eq!(setup.status(), 200);
    let _ = child.kill();
    let _ = child.wait();

    assert!(dir.path().join("quorate.db").is_file());
    let url =
        quorate::db::DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("quorate.db").display())).expect("url");
    assert!(
        quorate::db::migrate(&url).expect("open").is_empty(),
        "already migrated at start-up"
    );
    let key = dir.path().join("quorate-secret.key");
    assert!(key.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).expect("key").permissions().mode() & 0o777,
            0o600
        );
    }
}
