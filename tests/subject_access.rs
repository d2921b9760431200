//! A subject access request: a system administrator downloads what Quorate
//! holds about an account, as JSON (audited), without its secrets or the
//! links inside its emails; nobody else can. The privacy notice states this
//! server's retention periods.

mod common;

use common::PASSWORD;
use common::ballots::{ADMIN, action, create_ballot, electorate, log_in};
use serde_json::{Value, json};

const SYSTEM_ADMIN: &str = "sysadmin@example.org";

/// `quorate admin export --email EMAIL` on the app's database.
fn export(app: &common::TestApp, email: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(["admin", "export", "--email", email])
        .env_clear()
        .env("QUORATE_DATABASE_URL", &app.database_url)
        .env("QUORATE_DATA_DIR", &app.data_dir)
        .env("QUORATE_LOG", "warn")
        .output()
        .expect("quorate runs")
}

backend_tests! {
    async fn a_system_administrator_downloads_what_is_held_about_an_account(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let rep = e.rep_of("F84001").to_owned();
        assert_eq!(app.new_visitor().login(&rep, "not the password!").await.status(), 422);
        let rep_id = common::ballots::user_id(&app, &rep);
        let path = format!("/admin/users/{rep_id}/export.json");

        // Only a system administrator may.
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;
        assert_eq!(board.get(&path).await.status(), 403);
        let signed_out = app.new_visitor().get(&path).await;
        assert_eq!(signed_out.status(), 303);
        assert!(signed_out.headers()["location"].to_str().expect("location").starts_with("/login"), "signed out: to the sign-in page");

        app.create_user(SYSTEM_ADMIN, "system_admin", None);
        let admin = app.new_visitor();
        assert_eq!(admin.login(SYSTEM_ADMIN, PASSWORD).await.status(), 303);
        let (_, users) = admin.get_text("/admin/users").await;
        assert!(users.contains(&format!("href=\"{path}\"")), "linked from the users page");
        let response = admin.get(&path).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-disposition"].to_str().expect("header").contains("attachment"));
        let text = response.text().await.expect("body");
        let exported: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(exported["account"]["email"], rep.as_str());
        assert_eq!(exported["represents"][0]["practice"], "F84001");
        assert_eq!(exported["failed_sign_ins"].as_array().map(Vec::len), Some(1));
        let emails = exported["emails"].as_array().expect("emails");
        assert!(emails.iter().any(|m| m["subject"].as_str().unwrap_or_default().starts_with("Notice of ballot")), "{text}");
        assert!(!text.contains("/vote/") && !text.contains("password_hash") && !text.contains("$argon2"), "no links or secrets: {text}");
        assert!(app.audited("account.subject_access").iter().any(|s| s.contains(&rep)));
        assert_eq!(admin.get("/admin/users/999999/export.json").await.status(), 404);

        // The command line prints the same for an address.
        let output = export(&app, &rep.to_uppercase());
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(printed["account"]["email"], rep.as_str());
        let unknown = export(&app, "nobody@example.org");
        assert_eq!(unknown.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("No account has the address nobody@example.org"));
    }

    async fn the_privacy_notice_states_the_retention_periods(app: TestApp) {
        let (status, page) = app.get_text("/privacy").await;
        assert_eq!(status, 200);
        assert!(page.contains("<h1 class=\"nhsuk-heading-l\">Privacy notice</h1>"));
        assert!(page.contains("deleted 365 days after they were sent") && page.contains("30 days after the result"), "{page}");
        let (_, other) = app.get_text("/accessibility").await;
        assert!(other.contains("href=\"/privacy\""), "linked from every page's footer");
    }
}
