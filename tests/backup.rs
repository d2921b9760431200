//! `quorate backup` while a ballot is being voted on and `quorate restore`
//! into an empty database: nothing acknowledged is missing, the audit chain
//! and every certificate verify, and the restored server carries on. Bad
//! backups and occupied targets are refused with nothing changed.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TestApp;
use common::ballots::{action, create_ballot, electorate, open_when_due, vote_with_link, voting_links};
use futures_util::future::join_all;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");
const OFFICER: &str = "ro@example.org";

/// The binary with `database_url` and the app's data folder.
fn quorate(app: &TestApp, database_url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("QUORATE_DATABASE_URL", database_url)
        .env("QUORATE_DATA_DIR", &app.data_dir)
        .env("QUORATE_LOG", "warn")
        .output()
        .expect("quorate runs")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

backend_tests! {
    async fn a_backup_taken_while_voting_restores_with_every_acknowledged_vote_and_certificate(app: TestApp) {
        let sizes: Vec<i32> = (1..=20).map(|i| 1_000 + i * 50).collect();
        let e = electorate(&app, &sizes);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let officer = quorate::accounts::service::create_api_token_for(&app.pool, OFFICER, "test").expect("token");

        // A counted ballot with its certificate.
        let counted = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, counted, "publish", None).await.0, 200);
        open_when_due(&app, &e, counted).await;
        let links = voting_links(&app, counted);
        for (_, _, email) in e.practices.iter().take(12) {
            assert_eq!(vote_with_link(&app, counted, &links[email], "for").await.0, 201);
        }
        assert_eq!(action(&app, &e, counted, "close", None).await.0, 200);
        let (status, certificate) = app
            .api(reqwest::Method::POST, &format!("/api/v1/ballots/{counted}/certificate"), Some(&officer), None)
            .await;
        assert_eq!(status, 201, "{certificate}");
        let certificate_id = certificate["certificate"]["id"].as_str().expect("id").to_owned();

        // A ballot being voted on: ten votes acknowledged, then the backup
        // taken while ten more arrive.
        let open = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, open, "publish", None).await.0, 200);
        open_when_due(&app, &e, open).await;
        let links = voting_links(&app, open);
        let (before, during) = e.practices.split_at(10);
        for (_, _, email) in before {
            assert_eq!(vote_with_link(&app, open, &links[email], "for").await.0, 201);
        }
        let dir = tempfile::tempdir().expect("folder");
        let file = dir.path().join("quorate.backup");
        let backup = {
            let (app_ref, file) = (&app, file.clone());
            async move {
                let url = app_ref.database_url.clone();
                let data_dir = app_ref.data_dir.clone();
                actix_web::rt::task::spawn_blocking(move || {
                    Command::new(BIN)
                        .args(["backup", file.to_str().expect("path")])
                        .env_clear()
                        .env("PATH", std::env::var("PATH").unwrap_or_default())
                        .env("QUORATE_DATABASE_URL", url)
                        .env("QUORATE_DATA_DIR", data_dir)
                        .env("QUORATE_LOG", "warn")
                        .output()
                        .expect("quorate runs")
                })
                .await
                .expect("backup ran")
            }
        };
        let votes = join_all(during.iter().map(|(_, _, email)| vote_with_link(&app, open, &links[email], "against")));
        let (output, answers) = futures_util::join!(backup, votes);
        assert!(output.status.success(), "{}", said(&output));
        assert!(said(&output).contains("signing keys"), "the keys are named: {}", said(&output));
        assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");

        // A backup never overwrites a file.
        let again = quorate(&app, &app.database_url, &["backup", path_str(&file)]);
        assert_eq!(again.status.code(), Some(1), "{}", said(&again));
        assert!(said(&again).contains("never overwrites"), "{}", said(&again));

        // Restored into an empty database.
        let (restored_url, _guard) = app.empty_database(dir.path());
        let output = quorate(&app, &restored_url, &["restore", path_str(&file)]);
        assert!(output.status.success(), "{}", said(&output));
        assert!(said(&output).contains("Certificates checked against their boards: 1, every one verified"), "{}", said(&output));
        let restored = app
            .server_with(quorate::config::Settings {
                database_url: quorate::db::DatabaseUrl::parse(&restored_url).expect("url"),
                ..app.settings.clone()
            })
            .await
            .expect("a server starts on the restored database");
        let entries = restored.audited_count();
        assert_eq!(quorate::audit::service::verify_for(&restored.pool, None).expect("read"), Ok(entries));

        // Every vote acknowledged before the backup is there: its link is used.
        for (_, _, email) in before {
            let (status, body) = vote_with_link(&restored, open, &links[email], "for").await;
            assert_eq!(status, 409, "{email}: {body}");
        }
        let (_, page) = restored.new_visitor().get_text(&format!("/verify?certificate={certificate_id}")).await;
        assert!(page.contains("Every check passed"), "{page}");

        // Voting carries on where the backup left it, and counts.
        let (status, closed) = action(&restored, &e, open, "close", None).await;
        assert_eq!((status, &closed["state"]), (200, &json!("counted")), "{closed}");
        let results = common::ballots::results(&restored, &e, open).await;
        let turnout = results["overall"]["turnout"]["practices"].as_u64().expect("turnout");
        assert!((10..=20).contains(&turnout), "{results}");
        restored.stop().await;

        // A backup whose certificate was altered is refused before it
        // replaces anything (SQLite: the file can be edited here).
        if app.backend == common::Backend::Sqlite {
            let altered = dir.path().join("altered.backup");
            std::fs::copy(&file, &altered).expect("copy");
            {
                use diesel::prelude::*;
                let mut conn = diesel::SqliteConnection::establish(path_str(&altered)).expect("open");
                diesel::sql_query("UPDATE certificates SET document = replace(document, 'Apply for', 'Refuse')")
                    .execute(&mut conn)
                    .expect("alter");
            }
            let before = std::fs::read(restored_url.trim_start_matches("sqlite://")).expect("restored database");
            let refused = quorate(&app, &restored_url, &["restore", path_str(&altered), "--force"]);
            assert_ne!(refused.status.code(), Some(0), "{}", said(&refused));
            assert!(said(&refused).contains("do not verify"), "{}", said(&refused));
            assert_eq!(std::fs::read(restored_url.trim_start_matches("sqlite://")).expect("still there"), before, "nothing replaced");
            assert!(!Path::new(&format!("{}.restoring", restored_url.trim_start_matches("sqlite://"))).exists(), "no copy left");
        }

        // Restoring again over what is there is refused, changing nothing.
        let over = quorate(&app, &restored_url, &["restore", path_str(&file)]);
        assert_ne!(over.status.code(), Some(0), "{}", said(&over));
        let why = said(&over);
        assert!(why.contains("--force") || why.contains("empty database"), "{why}");
    }

    async fn a_file_that_is_not_a_backup_is_refused_and_nothing_is_restored(app: TestApp) {
        electorate(&app, &[1_000]);
        let dir = tempfile::tempdir().expect("folder");
        let garbage = dir.path().join("not-a-backup");
        std::fs::write(&garbage, b"these are not the bytes of a database").expect("write");
        let (url, _guard) = app.empty_database(dir.path());
        let output = quorate(&app, &url, &["restore", path_str(&garbage)]);
        assert_ne!(output.status.code(), Some(0), "{}", said(&output));
        assert!(said(&output).contains("not-a-backup"), "names the file: {}", said(&output));
        if let Some(path) = url.strip_prefix("sqlite://") {
            assert!(!Path::new(path).exists(), "no database was made");
        }
        let missing = quorate(&app, &url, &["restore", path_str(&dir.path().join("missing"))]);
        assert!(said(&missing).contains("is not a file"), "{}", said(&missing));
    }
}
