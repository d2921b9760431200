//! Two-factor sign-in (RFC 6238 codes) against the real server, with the
//! production setting: system and organisation administrators and returning
//! officers must give a code. Codes are made here with totp-rs from the key
//! the set-up page shows, as an authenticator app would.

mod common;

use common::two_factor::{code_at, now_seconds, setup_key};
use common::{Backend, PASSWORD, TestApp};
use diesel::prelude::*;
use quorate::db::schema::{recovery_codes, two_factor_keys};

const STAFF: &str = "system_admin,org_admin,returning_officer";

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// An authenticator app holding `key`: the code it shows `steps_ahead`
/// 30-second steps from now (the server accepts one step either side).
fn app_code(key: &str, steps_ahead: u64) -> String {
    code_at(key, now_seconds() + 30 * steps_ahead)
}

/// The app as its owner uses it: each code newer than the last one taken
/// (RFC 6238 section 5.2). The server takes a code one step ahead of its
/// clock, so a new code is at hand at once unless one ahead was already
/// used; then, like a person, this waits for the app to move on (≤ 30 s).
struct Authenticator {
    key: String,
    last_step: u64,
}

impl Authenticator {
    fn enrolled_now(key: String) -> Self {
        let last_step = now_seconds() / 30;
        Authenticator { key, last_step }
    }

    async fn next_code(&mut self) -> String {
        loop {
            let step = now_seconds() / 30 + 1;
            if step > self.last_step {
                self.last_step = step;
                return code_at(&self.key, step * 30);
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// A code that is not the one the app shows now or a step either side.
fn wrong_code(key: &str) -> String {
    let right: Vec<String> = (0..3).map(|s| app_code(key, s)).collect();
    (0..10u32)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !right.contains(c))
        .expect("a wrong code")
}

fn recovery_codes_in(page: &str) -> Vec<String> {
    let list = &page[page.find("id=\"recovery-codes\"").expect("codes shown")..];
    let list = &list[..list.find("</ul>").expect("end of list")];
    list.split("<code>")
        .skip(1)
        .map(|c| c[..c.find("</code>").expect("code end")].to_owned())
        .collect()
}

async fn code_page_post(app: &TestApp, code: &str) -> reqwest::Response {
    app.submit("/login/code", "/login/code", &[("code", code)]).await
}

/// Signs in through the set-up during sign-in; returns the app and the recovery codes.
async fn enrol_at_sign_in(app: &TestApp, email: &str) -> (Authenticator, Vec<String>) {
    let response = app.login(email, PASSWORD).await;
    assert_eq!(location(&response), "/login/two-factor");
    let (status, page) = app.get_text("/login/two-factor").await;
    assert_eq!(status, 200, "{page}");
    let key = setup_key(&page);
    let response = app
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", &app_code(&key, 0))],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("body");
    (Authenticator::enrolled_now(key), recovery_codes_in(&page))
}

async fn staff_must_set_up_a_second_factor_and_give_it_each_time(app: TestApp) {
    app.create_user("ada@example.org", "system_admin", None);

    // The password alone signs nobody in: every page asks for a log in.
    let response = app.login("ada@example.org", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login/two-factor");
    for path in ["/", "/admin/users", "/account"] {
        let (_, page) = app.get_text(path).await;
        assert!(!page.contains("Log out"), "{path} is not signed in yet: {page}");
    }
    assert_eq!(location(&app.get("/admin/users").await), "/login?next=/admin/users");

    let (status, page) = app.get_text("/login/two-factor").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("You are a system administrator, so you log in with a code"),
        "{page}"
    );
    assert!(page.contains("<svg"), "a QR code: {page}");
    let key = setup_key(&page);
    assert_eq!(key.len(), 32, "160 bits in base32");
    // The key shown stays the same when the form comes back with an error.
    let response = app
        .submit("/login/two-factor", "/login/two-factor", &[("code", &wrong_code(&key))])
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(page.contains("The code is not correct"), "{page}");
    assert_eq!(setup_key(&page), key);
    let response = app
        .submit("/login/two-factor", "/login/two-factor", &[("code", "12 34")])
        .await;
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("The code from your app must be 6 digits")
    );
    {
        let mut conn = app.pool.get().expect("connection");
        let keys: i64 = two_factor_keys::table.count().get_result(&mut conn).expect("count");
        assert_eq!(keys, 0, "nothing kept before a right code");
    }

    let response = app
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", &app_code(&key, 0))],
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut phone = Authenticator::enrolled_now(key.clone());
    let page = response.text().await.expect("body");
    let codes = recovery_codes_in(&page);
    assert_eq!(codes.len(), 10);
    assert!(
        codes.iter().all(|c| c.len() == 19 && c.matches('-').count() == 3),
        "{codes:?}"
    );
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("Log out"), "signed in now: {home}");
    assert_eq!(app.get("/admin/users").await.status(), 200);
    assert_eq!(app.emails_to("ada@example.org", "two_factor_notice"), 1);
    assert_eq!(app.audited("account.two_factor_enrolled").len(), 1);
    {
        // Kept sealed, and recovery codes only as digests.
        let mut conn = app.pool.get().expect("connection");
        let sealed: String = two_factor_keys::table
            .select(two_factor_keys::secret_sealed)
            .first(&mut conn)
            .expect("key");
        assert!(sealed.starts_with("sealed:v1:") && !sealed.contains(&key), "{sealed}");
        let digests: Vec<String> = recovery_codes::table
            .select(recovery_codes::code_digest)
            .load(&mut conn)
            .expect("codes");
        assert_eq!(digests.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| !digests.contains(c) && !digests.contains(&c.replace('-', "")))
        );
    }

    // Next time: password, then a code. A code is taken once only.
    app.logout().await;
    let response = app.login("ada@example.org", PASSWORD).await;
    assert_eq!(location(&response), "/login/code");
    let (_, page) = app.get_text("/login/code").await;
    assert!(
        page.contains("<h1 class=\"nhsuk-label-wrapper\"><label class=\"nhsuk-label nhsuk-label--l\" for=\"code\">"),
        "the question is the page's heading: {page}"
    );
    let (_, page) = app.get_text("/").await;
    assert!(!page.contains("Log out"));
    let next_code = phone.next_code().await;
    let response = code_page_post(&app, &next_code).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/");
    app.logout().await;
    app.login("ada@example.org", PASSWORD).await;
    let response = code_page_post(&app, &next_code).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(page.contains("That code has already been used"), "{page}");
    assert!(!page.contains(&next_code), "a code typed is never shown back");

    // A recovery code works once, says so, and emails the account.
    let response = code_page_post(&app, &codes[3].to_uppercase()).await;
    assert_eq!(response.status(), 303);
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("You signed in with a recovery code"), "{home}");
    assert!(home.contains("9 are left"), "{home}");
    assert_eq!(app.emails_to("ada@example.org", "two_factor_notice"), 2);
    app.logout().await;
    app.login("ada@example.org", PASSWORD).await;
    let response = code_page_post(&app, &codes[3]).await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("That recovery code is not correct or has already been used")
    );

    // The account page says it is on; a role that needs it cannot turn it off.
    let response = code_page_post(&app, &codes[4]).await;
    assert_eq!(response.status(), 303);
    let (_, page) = app.get_text("/account/two-factor").await;
    assert!(page.contains("You have 8 unused recovery codes"), "{page}");
    assert!(
        page.contains("which needs two-factor sign-in, so you cannot turn it off"),
        "{page}"
    );
    let response = app
        .submit(
            "/account/two-factor",
            "/account/two-factor/off",
            &[("code", &app_code(&key, 0))],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("Your role needs two-factor sign-in")
    );

    // New recovery codes replace the old ones, after a fresh code.
    let response = app
        .submit(
            "/account/two-factor",
            "/account/two-factor/recovery-codes",
            &[("code", &wrong_code(&key))],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.expect("body");
    assert!(
        page.contains("href=\"#codes-code\""),
        "the error links to its field: {page}"
    );
    let response = app
        .submit(
            "/account/two-factor",
            "/account/two-factor/recovery-codes",
            &[("code", &phone.next_code().await)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let fresh = recovery_codes_in(&response.text().await.expect("body"));
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    app.logout().await;
    app.login("ada@example.org", PASSWORD).await;
    let response = code_page_post(&app, &codes[5]).await;
    assert_eq!(response.status(), 422, "old codes no longer work");
    assert_eq!(code_page_post(&app, &fresh[0]).await.status(), 303);
}

async fn a_password_session_ends_when_its_account_gains_a_role_that_needs_a_code(app: TestApp) {
    use quorate::db::schema::{user_roles, users};
    let org = app.create_organisation("ccg", "X3C", "Third CCG");
    app.create_member_practice("Y30001", "Third Surgery", org);
    app.create_user("pm@example.org", "practice_rep", Some("Y30001"));
    assert_eq!(location(&app.login("pm@example.org", PASSWORD).await), "/");
    assert!(app.get_text("/").await.1.contains("Log out"));
    {
        let mut conn = app.pool.get().expect("connection");
        let id: i32 = users::table
            .filter(users::email_normalized.eq("pm@example.org"))
            .select(users::id)
            .first(&mut conn)
            .expect("user");
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(id),
                user_roles::role.eq("org_admin"),
                user_roles::organisation_id.eq(Some(org)),
                user_roles::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut conn)
            .expect("grant");
    }
    let (_, page) = app.get_text("/").await;
    assert!(!page.contains("Log out"), "signed out: {page}");
    assert_eq!(
        location(&app.login("pm@example.org", PASSWORD).await),
        "/login/two-factor"
    );
}

async fn wrong_codes_are_throttled_like_passwords(app: TestApp) {
    app.create_user("ro@example.org", "system_admin", None);
    let (mut phone, _) = enrol_at_sign_in(&app, "ro@example.org").await;
    app.logout().await;
    app.login("ro@example.org", PASSWORD).await;
    let wrong = wrong_code(&phone.key);
    for attempt in 1..=4 {
        let response = code_page_post(&app, &wrong).await;
        assert_eq!(response.status(), 422, "attempt {attempt}");
    }
    let response = code_page_post(&app, &wrong).await;
    assert_eq!(response.status(), 429);
    let page = response.text().await.expect("body");
    assert!(page.contains("too many wrong codes. Wait 1 minute"), "{page}");
    // Even the right code waits now.
    let response = code_page_post(&app, &phone.next_code().await).await;
    assert_eq!(response.status(), 429);
    let (_, page) = app.get_text("/").await;
    assert!(!page.contains("Log out"));
}

async fn anyone_may_turn_it_on_and_off_for_themselves(app: TestApp) {
    let org = app.create_organisation("ccg", "X1C", "Test CCG");
    app.create_member_practice("Y10001", "Test Surgery", org);
    app.create_user("pm@example.org", "practice_rep", Some("Y10001"));
    // Not required: the password signs a practice manager in.
    let response = app.login("pm@example.org", PASSWORD).await;
    assert_eq!(location(&response), "/");
    let (_, account) = app.get_text("/account").await;
    assert!(
        account.contains("Off: you log in with your password alone."),
        "{account}"
    );
    let (_, page) = app.get_text("/account/two-factor").await;
    let key = setup_key(&page);
    let response = app
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[("code", &app_code(&key, 0))],
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut phone = Authenticator::enrolled_now(key.clone());
    assert_eq!(recovery_codes_in(&response.text().await.expect("body")).len(), 10);
    app.logout().await;
    assert_eq!(location(&app.login("pm@example.org", PASSWORD).await), "/login/code");
    assert_eq!(code_page_post(&app, &phone.next_code().await).await.status(), 303);

    // Turning it off needs a fresh code, and it is off at the next sign-in.
    let response = app
        .submit(
            "/account/two-factor",
            "/account/two-factor/off",
            &[("code", &wrong_code(&key))],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.expect("body").contains("href=\"#off-code\""));
    let response = app
        .submit(
            "/account/two-factor",
            "/account/two-factor/off",
            &[("code", &phone.next_code().await)],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.audited("account.two_factor_removed").len(), 1);
    assert_eq!(app.emails_to("pm@example.org", "two_factor_notice"), 2);
    app.logout().await;
    assert_eq!(location(&app.login("pm@example.org", PASSWORD).await), "/");
}

async fn a_system_administrator_resets_a_lost_second_factor(app: TestApp) {
    app.create_user("admin@example.org", "system_admin", None);
    app.create_user("lost@example.org", "system_admin", None);
    // This client is the person who lost their phone, signed in.
    enrol_at_sign_in(&app, "lost@example.org").await;
    let admin = app.new_visitor();
    enrol_at_sign_in(&admin, "admin@example.org").await;
    let lost_id: i32 = {
        use quorate::db::schema::users;
        let mut conn = app.pool.get().expect("connection");
        users::table
            .filter(users::email_normalized.eq("lost@example.org"))
            .select(users::id)
            .first(&mut conn)
            .expect("user")
    };
    let (_, users) = admin.get_text("/admin/users").await;
    assert!(
        users.contains(&format!("/admin/users/{lost_id}/two-factor/reset")),
        "{users}"
    );
    let form = format!("/admin/users/{lost_id}/two-factor/reset");
    let response = admin.submit(&form, &form, &[("reason", "  ")]).await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("Enter why two-factor sign-in is being reset")
    );
    let response = admin
        .submit(
            &form,
            &form,
            &[("reason", "Lost phone; identity checked by a call to her known mobile")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let summaries = app.audited("account.two_factor_reset");
    assert_eq!(summaries.len(), 1);
    assert!(
        summaries[0].contains("identity checked by a call to her known mobile."),
        "{summaries:?}"
    );
    assert_eq!(app.emails_to("lost@example.org", "two_factor_notice"), 2);
    // Her session has ended; her next sign-in sets it up again.
    let (_, page) = app.get_text("/").await;
    assert!(!page.contains("Log out"), "{page}");
    enrol_at_sign_in(&app, "lost@example.org").await;
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("Log out"));
    // Only a system administrator may reset.
    app.create_organisation("ccg", "X2C", "Other CCG");
    app.create_user("board@example.org", "org_admin", Some("X2C"));
    let board = app.new_visitor();
    enrol_at_sign_in(&board, "board@example.org").await;
    assert_eq!(board.get(&form).await.status(), 403);
}

async fn the_command_line_reset_needs_a_reason_and_an_account(app: TestApp) {
    use quorate::accounts::two_factor::service;
    app.create_user("cli@example.org", "system_admin", None);
    enrol_at_sign_in(&app, "cli@example.org").await;
    let outbox = app.outbox();
    let id = quorate::accounts::service::user_id_by_email(&app.pool, "cli@example.org").expect("account");
    let missing = quorate::accounts::service::user_id_by_email(&app.pool, "nobody@example.org");
    assert!(matches!(missing, Err(quorate::error::AppError::Invalid(_))));
    assert!(matches!(
        service::reset(&app.pool, &outbox, None, id, ""),
        Err(quorate::error::AppError::Invalid(_))
    ));
    service::reset(&app.pool, &outbox, None, id, "Lost phone, checked in person").expect("reset");
    assert!(!service::is_enrolled(&app.pool, id).expect("status"));
    // Twice: nothing to reset, said so.
    let again = service::reset(&app.pool, &outbox, None, id, "again");
    assert!(
        matches!(&again, Err(quorate::error::AppError::Invalid(errors)) if errors[0].message.contains("has not set up two-factor sign-in")),
        "{:?}",
        again.err()
    );
}

async fn a_sign_in_left_waiting_for_its_code_goes_back_to_the_log_in_page(app: TestApp) {
    // Without a password first, the code pages send people to log in.
    for path in ["/login/code", "/login/two-factor"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/login");
    }
    let token = app.csrf_token("/login").await;
    let response = app
        .post_form("/login/code", &[("_csrf", token.as_str()), ("code", "123456")])
        .await;
    assert_eq!(location(&response), "/login");
    let (_, page) = app.get_text("/login").await;
    assert!(
        page.contains("The code must be entered within 10 minutes of your password"),
        "{page}"
    );
}

macro_rules! two_factor_tests {
    ($($name:ident),*) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = crate::common::spawn_app_with(crate::common::Backend::Sqlite, &[("QUORATE_TWO_FACTOR_REQUIRED_FOR", crate::STAFF)]).await;
                    crate::$name(app).await;
                }
            )*
        }
        #[cfg(quorate_pg_tests)]
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = crate::common::spawn_app_with(crate::common::Backend::Postgres, &[("QUORATE_TWO_FACTOR_REQUIRED_FOR", crate::STAFF)]).await;
                    crate::$name(app).await;
                }
            )*
        }
    };
}

two_factor_tests!(
    staff_must_set_up_a_second_factor_and_give_it_each_time,
    a_password_session_ends_when_its_account_gains_a_role_that_needs_a_code,
    wrong_codes_are_throttled_like_passwords,
    anyone_may_turn_it_on_and_off_for_themselves,
    a_system_administrator_resets_a_lost_second_factor,
    the_command_line_reset_needs_a_reason_and_an_account,
    a_sign_in_left_waiting_for_its_code_goes_back_to_the_log_in_page
);

#[test]
fn the_setting_refuses_a_role_that_does_not_exist() {
    let dir = tempfile::tempdir().expect("dir");
    let result = quorate::config::Settings::load_from(
        None,
        [
            ("QUORATE_DATA_DIR".to_owned(), dir.path().display().to_string()),
            (
                "QUORATE_TWO_FACTOR_REQUIRED_FOR".to_owned(),
                "system_admin,chairman".to_owned(),
            ),
        ],
    );
    let error = result.expect_err("refused").to_string();
    assert!(error.contains("\"chairman\" is not a role"), "{error}");
    let _ = Backend::Sqlite;
}
