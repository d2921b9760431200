//! Logging in and out, the throttle, CSRF, session cookies, first-run setup.

mod common;

use common::PASSWORD;

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

backend_tests! {
    async fn login_with_the_right_password_reaches_the_home_page(app: TestApp) {
        app.create_user("Jane.Admin@Example.org", "system_admin", None);
        // Email is matched whatever its case.
        let response = app.login("jane.admin@example.org", PASSWORD).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/");
        let (status, body) = app.get_text("/").await;
        assert_eq!(status, 200);
        assert!(body.contains("Welcome, Test system_admin"), "{body}");
        assert!(body.contains("Log out"));
    }

    async fn login_with_a_wrong_password_is_refused_with_an_error_summary(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let response = app.login("jane@example.org", "not the password at all").await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("<title>Error: Log in to Quorate – Quorate</title>"), "{body}");
        assert!(body.contains("There is a problem"));
        assert!(body.contains("Email address or password is not correct"));
        assert!(body.contains("value=\"jane@example.org\""), "the email is kept");
        // Still not logged in.
        let response = app.get("/").await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/login?next=/");
    }

    async fn an_unknown_account_gets_the_same_answer_as_a_wrong_password(app: TestApp) {
        let response = app.login("nobody@example.org", PASSWORD).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("Email address or password is not correct"));
    }

    async fn empty_fields_are_named(app: TestApp) {
        let response = app.login("", "").await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("<a href=\"#email\">Enter your email address</a>"), "{body}");
        assert!(body.contains("<a href=\"#password\">Enter your password</a>"), "{body}");
    }

    async fn logout_ends_the_session(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 303);
        let response = app.logout().await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/login");
        let (_, body) = app.get_text("/login").await;
        assert!(body.contains("You have logged out"));
        let response = app.get("/account").await;
        assert_eq!(response.status(), 303, "logged out users are sent to log in");
        assert_eq!(location(&response), "/login?next=/account");
    }

    async fn after_five_failures_an_unknown_browser_waits_longer_each_time(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        for attempt in 1..=4 {
            let response = app.login("jane@example.org", "wrong password here").await;
            assert_eq!(response.status(), 422, "attempt {attempt}");
        }
        let fifth = app.login("jane@example.org", "wrong password here").await;
        assert_eq!(fifth.status(), 429);
        let body = fifth.text().await.expect("body");
        assert!(body.contains("too many failed attempts to log in. Wait 1 minute,"), "{body}");
        assert!(body.contains("Forgot your password?"), "the owner is told how not to wait");

        let right = app.login("jane@example.org", PASSWORD).await;
        assert_eq!(right.status(), 429, "refused while waiting, even with the right password");
        assert_eq!(app.get("/").await.status(), 303, "not logged in");

        // The address waits too: another account from it is refused.
        app.create_user("other@example.org", "system_admin", None);
        let other = app.new_visitor();
        assert_eq!(other.login("other@example.org", PASSWORD).await.status(), 429);

        // The minute passes; each further failure doubles the wait.
        the_waits_end(&app);
        let sixth = app.login("jane@example.org", "wrong password here").await;
        assert_eq!(sixth.status(), 429);
        assert!(sixth.text().await.expect("body").contains("Wait 2 minutes,"));
        the_waits_end(&app);
        let seventh = app.login("jane@example.org", "wrong password here").await;
        assert!(seventh.text().await.expect("body").contains("Wait 4 minutes,"));
        the_waits_end(&app);
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 303, "the right password, once the wait is over");
    }

    async fn failures_by_others_never_keep_the_owner_out_of_a_browser_they_signed_in_from(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let signed_in = app.login("jane@example.org", PASSWORD).await;
        assert_eq!(signed_in.status(), 303);
        let device = signed_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("quorate_device="))
            .expect("a device cookie at sign-in")
            .to_owned();
        for part in ["Path=/login", "HttpOnly", "SameSite=Lax", "Max-Age="] {
            assert!(device.contains(part), "{part}: {device}");
        }
        assert!(!device.contains("jane"), "encrypted: {device}");
        app.logout().await;

        // Someone else guesses from another browser until made to wait.
        let outsider = app.new_visitor();
        for _ in 1..=4 {
            assert_eq!(outsider.login("jane@example.org", "guess guess guess").await.status(), 422);
        }
        assert_eq!(outsider.login("jane@example.org", "guess guess guess").await.status(), 429);
        assert_eq!(outsider.login("jane@example.org", PASSWORD).await.status(), 429);

        // Jane's own browser is not held up by them, from the same address.
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 303);
        app.logout().await;
        // …and the outsider still waits: her sign-in reset nothing of theirs.
        assert_eq!(outsider.login("jane@example.org", PASSWORD).await.status(), 429);

        // Her browser's own failures are throttled on their own.
        for _ in 1..=4 {
            assert_eq!(app.login("jane@example.org", "my old password").await.status(), 422);
        }
        assert_eq!(app.login("jane@example.org", "my old password").await.status(), 429);
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 429);

        // The browser is known only to Jane's account: for another account
        // it is any browser, and waits with the address the outsider used.
        app.create_user("other@example.org", "system_admin", None);
        let response = app.login("other@example.org", PASSWORD).await;
        assert_eq!(response.status(), 429, "Jane's browser is not known to the other account");
    }

    async fn a_form_without_the_right_csrf_token_is_refused(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        // Load the page so the session has a token, then send none or a wrong one.
        let _ = app.csrf_token("/login").await;
        let missing = app.post_form("/login", &[("email", "jane@example.org"), ("password", PASSWORD)]).await;
        assert_eq!(missing.status(), 403);
        assert!(missing.text().await.expect("body").contains("Your form could not be sent"));
        let wrong = app
            .post_form("/login", &[("_csrf", "forged"), ("email", "jane@example.org"), ("password", PASSWORD)])
            .await;
        assert_eq!(wrong.status(), 403);
        assert_eq!(app.get("/").await.status(), 303, "the refused logins did not log in");

        // A token from another visitor's session does not work either.
        let stranger = app.new_visitor();
        let foreign = stranger.csrf_token("/login").await;
        let crossed = app
            .post_form("/login", &[("_csrf", &foreign), ("email", "jane@example.org"), ("password", PASSWORD)])
            .await;
        assert_eq!(crossed.status(), 403);

        // Logged in, logging out without the token is refused too.
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 303);
        assert_eq!(app.post_form("/logout", &[]).await.status(), 403);
        assert_eq!(app.get("/").await.status(), 200, "still logged in");
    }

    async fn a_cross_site_post_is_refused_even_with_a_token(app: TestApp) {
        let token = app.csrf_token("/login").await;
        let response = app
            .client
            .post(app.url("/login"))
            .header("sec-fetch-site", "cross-site")
            .form(&[("_csrf", token.as_str()), ("email", "a@example.org"), ("password", "x")])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 403);
    }

    async fn the_session_cookie_is_http_only_same_site_lax_and_changes_at_login(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let before = app.get("/login").await;
        let cookie_before = session_cookie(&before).expect("a session cookie on the login page");
        assert!(cookie_before.contains("HttpOnly"), "{cookie_before}");
        assert!(cookie_before.contains("SameSite=Lax"), "{cookie_before}");
        assert!(!cookie_before.contains("Secure"), "plain http base URL: not Secure");
        assert!(!cookie_before.contains("Max-Age"), "ends with the browser session");
        let body = before.text().await.expect("body");
        let token_before = common::csrf_in(&body).expect("token");

        let response = app
            .post_form("/login", &[("_csrf", &token_before), ("email", "jane@example.org"), ("password", PASSWORD)])
            .await;
        assert_eq!(response.status(), 303);
        let cookie_after = session_cookie(&response).expect("a new session cookie at login");
        assert_ne!(cookie_value(&cookie_before), cookie_value(&cookie_after));
        let token_after = app.csrf_token("/").await;
        assert_ne!(token_before, token_after, "the CSRF token is rotated at login");
        // The value is encrypted: its plain form (JSON such as `{"uid":"1"}`,
        // percent-encoded in a cookie) is not readable in it. Encrypted
        // values are base64 (percent-encoded), which has no quote, so
        // a random run of letters spelling "uid" cannot fail this check.
        let value = cookie_value(&cookie_after);
        assert!(!value.contains("\"uid\"") && !value.contains("%22uid%22"), "{value}");
        let decoded = value["quorate_session=".len()..]
            .replace("%2F", "/")
            .replace("%2B", "+")
            .replace("%3D", "=");
        assert!(
            decoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')),
            "{value}"
        );
    }

    async fn first_run_setup_link_creates_the_first_administrator_once(app: TestApp) {
        let token = app.setup_token.clone().expect("an empty database gets a setup link");
        let path = format!("/setup/{token}");
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200);
        assert!(body.contains("Set up Quorate"));

        // Bad answers are named and nothing is created.
        let response = app
            .submit(&path, &path, &[("name", ""), ("email", "admin@example.org"), ("password", "short"), ("confirm_password", "short")])
            .await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("Enter a full name"), "{body}");
        assert!(body.contains("Password must be 12 characters or more"), "{body}");
        let response = app
            .submit(&path, &path, &[("name", "Ada Admin"), ("email", "admin@example.org"), ("password", "Password1234"), ("confirm_password", "Password1234")])
            .await;
        assert!(response.text().await.expect("body").contains("Password is too common"));
        let response = app
            .submit(&path, &path, &[("name", "Ada Admin"), ("email", "admin@example.org"), ("password", PASSWORD), ("confirm_password", "something else entirely")])
            .await;
        assert!(response.text().await.expect("body").contains("Passwords do not match"));

        let response = app
            .submit(&path, &path, &[("name", "Ada Admin"), ("email", "admin@example.org"), ("password", PASSWORD), ("confirm_password", PASSWORD)])
            .await;
        assert_eq!(response.status(), 303);
        let (_, home) = app.get_text("/").await;
        assert!(home.contains("Your administrator account is ready"), "{home}");
        assert!(home.contains("System administrator"));

        // Single use: the link is gone for everyone now.
        let visitor = app.new_visitor();
        let (status, body) = visitor.get_text(&path).await;
        assert_eq!(status, 410);
        assert!(body.contains("This link no longer works"));
        let (status, _) = visitor.get_text("/setup/not-a-real-token").await;
        assert_eq!(status, 410);
        // And the new administrator can log in.
        assert_eq!(visitor.login("admin@example.org", PASSWORD).await.status(), 303);
    }

    async fn login_returns_to_the_page_asked_for_but_never_off_site(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let response = app.get("/admin/users").await;
        assert_eq!(location(&response), "/login?next=/admin/users");
        let token = app.csrf_token("/login?next=/admin/users").await;
        let response = app
            .post_form("/login", &[("_csrf", &token), ("email", "jane@example.org"), ("password", PASSWORD), ("next", "/admin/users")])
            .await;
        assert_eq!(location(&response), "/admin/users");

        let other = app.new_visitor();
        let token = other.csrf_token("/login").await;
        let response = other
            .post_form("/login", &[("_csrf", &token), ("email", "jane@example.org"), ("password", PASSWORD), ("next", "//evil.example/")])
            .await;
        assert_eq!(location(&response), "/");
    }

    async fn a_user_changes_their_password_and_other_sessions_end(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        let laptop = app.new_visitor();
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 303);
        assert_eq!(laptop.login("jane@example.org", PASSWORD).await.status(), 303);

        let wrong = app
            .submit("/account", "/account/password", &[("current_password", "not it at all"), ("new_password", "a fresh passphrase"), ("confirm_password", "a fresh passphrase")])
            .await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.expect("body").contains("<a href=\"#current-password\">Your current password is not correct</a>"));
        let weak = app
            .submit("/account", "/account/password", &[("current_password", PASSWORD), ("new_password", "jane@example.org"), ("confirm_password", "jane@example.org")])
            .await;
        assert!(weak.text().await.expect("body").contains("Password must not be your email address"));

        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        let done = app
            .submit("/account", "/account/password", &[("current_password", PASSWORD), ("new_password", "a fresh passphrase"), ("confirm_password", "a fresh passphrase")])
            .await;
        assert_eq!(done.status(), 303);
        let (status, body) = app.get_text("/account").await;
        assert_eq!(status, 200, "this session carries on");
        assert!(body.contains("Password changed"));
        assert_eq!(laptop.get("/account").await.status(), 303, "the other session has ended");
        assert_eq!(laptop.login("jane@example.org", "a fresh passphrase").await.status(), 303);
    }

    async fn changing_the_password_ends_existing_sessions(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        assert_eq!(app.login("jane@example.org", PASSWORD).await.status(), 303);
        assert_eq!(app.get("/").await.status(), 200);
        // Sessions are compared at millisecond precision.
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        quorate::accounts::service::set_password(&app.pool, "jane@example.org", "a brand new passphrase").expect("set");
        assert_eq!(app.get("/").await.status(), 303, "the old session no longer works");
        assert_eq!(app.login("jane@example.org", "a brand new passphrase").await.status(), 303);
    }
}

/// Cookie flags depend on settings, not on the database: SQLite only.
#[actix_web::test]
async fn the_session_cookie_is_secure_when_the_base_url_is_https() {
    let app = common::spawn_app_with(
        common::Backend::Sqlite,
        &[("QUORATE_BASE_URL", "https://quorate.example")],
    )
    .await;
    let response = app.get("/login").await;
    let cookie = session_cookie(&response).expect("cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("quorate_session="))
        .map(str::to_owned)
}

fn cookie_value(cookie: &str) -> String {
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// Ends every wait of the login throttle, as if its time had passed.
fn the_waits_end(app: &common::TestApp) {
    use diesel::prelude::*;
    use quorate::db::schema::login_lockouts;
    let mut conn = app.pool.get().expect("connection");
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
    diesel::update(login_lockouts::table)
        .set(login_lockouts::locked_until.eq(past))
        .execute(&mut *conn)
        .expect("waits ended");
}
