//! Attacks found by probing the running server, kept so they stay fixed.

mod common;

use common::ballots::{self, ADMIN, OBSERVER};
use common::{PASSWORD, TestApp};
use quorate::accounts::store::User;
use quorate::mail::store::OutboxMessage;

fn messages(app: &TestApp, organisation_id: i32) -> Vec<OutboxMessage> {
    let mut conn = app.pool.get().expect("connection");
    quorate::mail::store::for_organisation(&mut conn, organisation_id, None, None, 1000).expect("messages")
}

fn account_email(app: &TestApp, id: i32) -> String {
    let mut conn = app.pool.get().expect("connection");
    User::find(&mut conn, id).expect("query").expect("user").email
}

fn outbox_to(app: &TestApp, address: &str) -> usize {
    use diesel::prelude::*;
    use quorate::db::schema::outbox_messages;
    let mut conn = app.pool.get().expect("connection");
    outbox_messages::table
        .select(outbox_messages::recipient_email)
        .load::<String>(&mut conn)
        .expect("outbox")
        .into_iter()
        .filter(|to| to.eq_ignore_ascii_case(address))
        .count()
}

fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("connection");
    quorate::audit::store::all(&mut conn)
        .expect("audit")
        .into_iter()
        .map(|e| (e.entry.action, e.entry.summary))
        .collect()
}

backend_tests! {
    // The chain that was run end to end: an organisation administrator
    // names the system administrator as a representative, publishes, and
    // resends the notice "to a corrected address" of their own, hoping it
    // becomes the account's address so that a password reset hands them
    // the account (and the practice's voting link on the way).
    async fn an_organisation_administrator_cannot_take_over_an_account_by_resending(app: TestApp) {
        let electorate = ballots::electorate(&app, &[5000]);
        app.create_user("root@example.org", "system_admin", None);
        let root = ballots::user_id(&app, "root@example.org");
        let (code, practice_id, _) = electorate.practices[0].clone();
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let added = board
            .submit(
                &format!("/practices/{code}"),
                &format!("/practices/{code}/representatives"),
                &[("name", "Root"), ("email", "root@example.org"), ("kind", "nominated")],
            )
            .await;
        assert_eq!(added.status(), 303);
        let id = ballots::create_ballot(&app, &electorate, serde_json::json!({})).await;
        assert_eq!(ballots::action(&app, &electorate, id, "publish", None).await.0, 200);
        let notice = messages(&app, electorate.organisation_id)
            .into_iter()
            .find(|m| m.template == "ballot_notice" && m.recipient_email == "root@example.org")
            .expect("the practice's notice, with its voting link");
        assert_eq!(notice.practice_id, Some(practice_id));

        let action = format!("/organisations/08V/deliveries/{}/resend", notice.id);
        let refused = board
            .submit("/organisations/08V/deliveries", &action, &[("email", "attacker@evil.example")])
            .await;
        assert_eq!(refused.status(), 422);
        let page = refused.text().await.expect("body");
        assert!(page.contains("There is a problem") && page.contains("personal link"), "{page}");
        assert!(page.contains("Email delivery record"), "the record again, not a dead end");
        assert_eq!(account_email(&app, root), "root@example.org", "the account is untouched");
        assert_eq!(outbox_to(&app, "attacker@evil.example"), 0, "nothing goes to the other address");
        let log = audit_actions(&app);
        assert!(
            log.iter().any(|(a, s)| a == "message.resend_refused" && s.contains("attacker@evil.example")),
            "the attempt is audited: {log:?}"
        );

        // The reset the chain ended with finds no account for that address.
        let reset = app.new_visitor();
        reset.submit("/forgot-password", "/forgot-password", &[("email", "attacker@evil.example")]).await;
        assert_eq!(outbox_to(&app, "attacker@evil.example"), 0);

        // Sent again without a new address, it goes to the account's own.
        let again = board.submit("/organisations/08V/deliveries", &action, &[]).await;
        assert_eq!(again.status(), 303);
        assert_eq!(outbox_to(&app, "root@example.org"), 2);

        // A system administrator cannot redirect a voting link either.
        let admin = app.new_visitor();
        admin.login("root@example.org", PASSWORD).await;
        let by_root = admin
            .submit("/organisations/08V/deliveries", &action, &[("email", "elsewhere@example.org")])
            .await;
        assert_eq!(by_root.status(), 422);
        assert_eq!(outbox_to(&app, "elsewhere@example.org"), 0);
    }

    async fn a_message_without_a_personal_link_goes_to_a_corrected_address_and_changes_no_account(app: TestApp) {
        let electorate = ballots::electorate(&app, &[5000]);
        let observer = ballots::user_id(&app, OBSERVER);
        let id = ballots::create_ballot(&app, &electorate, serde_json::json!({})).await;
        assert_eq!(ballots::action(&app, &electorate, id, "publish", None).await.0, 200);
        let notice = messages(&app, electorate.organisation_id)
            .into_iter()
            .find(|m| m.template == "ballot_notice" && m.recipient_email == OBSERVER)
            .expect("the observer's notice, without a link");
        app.mail_worker(None, &[]).run_until_idle().await.expect("worker");
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let (_, record) = board.get_text("/organisations/08V/deliveries").await;
        assert!(record.contains("A different address here changes nobody"), "{record}");
        assert!(record.contains("it goes only to"), "the representatives' notices say why they have no address field");
        let action = format!("/organisations/08V/deliveries/{}/resend", notice.id);
        let sent = board
            .submit("/organisations/08V/deliveries", &action, &[("email", "observer.home@example.org")])
            .await;
        assert_eq!(sent.status(), 303);
        assert_eq!(outbox_to(&app, "observer.home@example.org"), 1);
        assert_eq!(account_email(&app, observer), OBSERVER, "the account keeps its address");
        assert!(!audit_actions(&app).iter().any(|(a, _)| a == "account.email_change"));
        // A bad address is named at its form, on the record itself.
        let bad = board.submit("/organisations/08V/deliveries", &action, &[("email", "not an address")]).await;
        assert_eq!(bad.status(), 422);
        let page = bad.text().await.expect("body");
        assert!(page.contains(&format!("href=\"#email-{}\"", notice.id)) && page.contains("correct format"), "{page}");
    }

    async fn an_owner_changes_their_address_only_from_the_new_address(app: TestApp) {
        let sink = common::smtp::SmtpSink::start();
        app.create_user("pat@example.org", "system_admin", None);
        app.create_user("other@example.org", "system_admin", None);
        let pat = ballots::user_id(&app, "pat@example.org");
        ballots::log_in(&app, "pat@example.org").await;
        let wrong = app
            .submit("/account", "/account/email", &[("new_email", "pat@new.example.org"), ("current_password", "not it at all")])
            .await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.expect("body").contains("Your current password is not correct"));
        let taken = app
            .submit("/account", "/account/email", &[("new_email", "other@example.org"), ("current_password", PASSWORD)])
            .await;
        assert_eq!(taken.status(), 422);
        let asked = app
            .submit("/account", "/account/email", &[("new_email", "pat@new.example.org"), ("current_password", PASSWORD)])
            .await;
        assert_eq!(asked.status(), 303);
        assert_eq!(account_email(&app, pat), "pat@example.org", "nothing changes before the link is followed");
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        let received = sink.wait_for(2);
        let to_new = received.iter().find(|m| m.to == vec!["pat@new.example.org".to_owned()]).expect("link to the new address");
        let to_old = received.iter().find(|m| m.to == vec!["pat@example.org".to_owned()]).expect("notice to the old address");
        assert!(!to_old.parsed().body_text(0).expect("text").contains("/account/email/"), "the link goes only to the new address");
        let text = to_new.parsed().body_text(0).expect("text").into_owned();
        let start = text.find("/account/email/").expect("link") ;
        let path: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
        // The link does not set a password.
        let token = path.trim_start_matches("/account/email/");
        assert_eq!(app.get_text(&format!("/password/{token}")).await.0, 410);
        let visitor = app.new_visitor();
        let (status, page) = visitor.get_text(&path).await;
        assert_eq!(status, 200);
        assert!(page.contains("pat@new.example.org"));
        let confirmed = visitor.submit(&path, &path, &[]).await;
        assert_eq!(confirmed.status(), 303);
        assert_eq!(account_email(&app, pat), "pat@new.example.org");
        let token = visitor.csrf_token("/login").await;
        assert_eq!(visitor.post_form(&path, &[("_csrf", &token)]).await.status(), 410, "the link works once");
        let log = audit_actions(&app);
        assert!(log.iter().any(|(a, s)| a == "account.email_change_requested" && s.contains("pat@new.example.org")));
        assert!(log.iter().any(|(a, s)| a == "account.email_change" && s.contains("confirmed from the new address")));
    }

    async fn only_a_system_administrator_sets_someone_elses_address(app: TestApp) {
        let electorate = ballots::electorate(&app, &[5000]);
        app.create_user("root@example.org", "system_admin", None);
        let rep = ballots::user_id(&app, electorate.rep_of("F84001"));
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let path = format!("/admin/users/{rep}/email");
        assert_eq!(board.get_text(&path).await.0, 403);
        let token = board.csrf_token("/").await;
        let refused = board.post_form(&path, &[("_csrf", &token), ("email", "board.owns@example.org")]).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(account_email(&app, rep), electorate.rep_of("F84001"));

        let root = app.new_visitor();
        root.login("root@example.org", PASSWORD).await;
        let taken = root.submit(&path, &path, &[("email", ADMIN)]).await;
        assert_eq!(taken.status(), 422);
        let changed = root.submit(&path, &path, &[("email", "rep.new@example.org")]).await;
        assert_eq!(changed.status(), 303);
        assert_eq!(account_email(&app, rep), "rep.new@example.org");
        assert!(audit_actions(&app).iter().any(|(a, s)| a == "account.email_change" && s.contains("by a system administrator")));
        assert_eq!(outbox_to(&app, "rep.new@example.org"), 1, "the new address is told");
    }

    async fn a_new_representative_gets_a_fresh_link_and_the_old_one_stops_working(app: TestApp) {
        let electorate = ballots::electorate(&app, &[5000, 6000]);
        let id = ballots::create_ballot(&app, &electorate, serde_json::json!({})).await;
        assert_eq!(ballots::action(&app, &electorate, id, "publish", None).await.0, 200);
        let old_link = ballots::voting_links(&app, id)[electorate.rep_of("F84001")].clone();
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let electorate_page = format!("/ballots/{id}/electorate");
        // Someone invited but not yet signed up: no link goes to an unconfirmed address.
        let invited = board
            .submit("/practices/F84001", "/practices/F84001/representatives", &[("name", "New Person"), ("email", "new.person@example.org"), ("kind", "nominated")])
            .await;
        assert_eq!(invited.status(), 303);
        let (status, body) = board.get_text(&electorate_page).await;
        assert_eq!(status, 200);
        assert!(body.contains("Send a new link"), "{body}");
        let refused = board.submit(&electorate_page, &format!("/ballots/{id}/links"), &[("practice", "F84001")]).await;
        assert_eq!(refused.status(), 409);
        assert!(refused.text().await.expect("body").contains("has not yet accepted"));
        // An account holder named instead gets a fresh link; the old one is withdrawn.
        app.create_user("confirmed@example.org", "committee_member", Some("08V"));
        board
            .submit("/practices/F84001", "/practices/F84001/representatives", &[("name", "Confirmed"), ("email", "confirmed@example.org"), ("kind", "nominated")])
            .await;
        let sent = board.submit(&electorate_page, &format!("/ballots/{id}/links"), &[("practice", "F84001")]).await;
        assert_eq!(sent.status(), 303);
        let links = ballots::voting_links(&app, id);
        let new_link = links.get("confirmed@example.org").expect("a notice with a link to the new representative").clone();
        ballots::open_when_due(&app, &electorate, id).await;
        let (status, body) = ballots::vote_with_link(&app, id, &old_link, "for").await;
        assert_eq!(status, 410, "{body}");
        assert!(body.to_string().contains("replaced by a newer one"), "{body}");
        let (status, body) = ballots::vote_with_link(&app, id, &new_link, "for").await;
        assert_eq!(status, 201, "{body}");
        // Once the practice has voted, no new link.
        let again = board.submit(&electorate_page, &format!("/ballots/{id}/links"), &[("practice", "F84001")]).await;
        assert_eq!(again.status(), 409);
        assert!(audit_actions(&app).iter().any(|(a, s)| a == "ballot.link_reissued" && s.contains("confirmed@example.org")));
    }

    async fn a_login_never_sends_someone_to_another_site(app: TestApp) {
        app.create_user("pat@example.org", "system_admin", None);
        for next in ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example"] {
            let visitor = app.new_visitor();
            let response = visitor.submit("/login", "/login", &[("email", "pat@example.org"), ("password", PASSWORD), ("next", next)]).await;
            assert_eq!(response.status(), 303);
            let location = response.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
            assert_eq!(location, "/", "next={next:?}");
        }
    }

    async fn a_form_from_another_origin_is_refused_even_with_a_token(app: TestApp) {
        app.create_user("pat@example.org", "system_admin", None);
        ballots::log_in(&app, "pat@example.org").await;
        let token = app.csrf_token("/account").await;
        let post = |origin: &'static str| {
            let app = &app;
            let token = token.clone();
            async move {
                app.client
                    .post(app.url("/account/tokens"))
                    .header("origin", origin)
                    .form(&[("_csrf", token.as_str()), ("name", "from elsewhere")])
                    .send()
                    .await
                    .expect("post")
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(post("https://evil.example").await, 403);
        assert_eq!(post("null").await, 403);
        assert_eq!(post(Box::leak(app.address.clone().into_boxed_str())).await, 200, "the site's own origin is fine");
    }

    async fn a_nul_character_is_refused_with_its_field_named_on_both_backends(app: TestApp) {
        let electorate = ballots::electorate(&app, &[1_000]);
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let form = "/organisations/08V/practices/new";
        let response = board
            .submit(form, form, &[("code", "F84099"), ("name", "Bad\0Name"), ("address_1", "1 High St"), ("postcode", "E1 1AA"), ("status", "active"), ("opened_on", "2020-01-01"), ("joined_on", "2020-01-01")])
            .await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("name contains a NUL character"));
        let (status, body) = app
            .api(reqwest::Method::POST, "/api/v1/organisations/08V/practices", Some(&electorate.admin_token), Some(serde_json::json!({"code": "F84098", "name": "Bad\u{0}Name", "address": ["1 High St"], "postcode": "E1 1AA"})))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "name", "{body}");
        let mut conn = app.pool.get().expect("connection");
        for code in ["F84099", "F84098"] {
            assert!(quorate::registry::store::Practice::find_by_code(&mut conn, code).expect("query").is_none(), "nothing written");
        }
    }

    async fn a_practice_name_that_is_a_formula_stays_text_in_csv(app: TestApp) {
        let electorate = ballots::electorate(&app, &[1_000]);
        {
            let mut conn = app.pool.get().expect("connection");
            use diesel::prelude::*;
            diesel::update(quorate::db::schema::practices::table.filter(quorate::db::schema::practices::ods_code.eq("F84001")))
                .set(quorate::db::schema::practices::name.eq("=HYPERLINK(\"http://evil.example\",\"x\")"))
                .execute(&mut conn)
                .expect("rename");
        }
        let _ = &electorate;
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let (status, csv) = board.get_text("/organisations/08V/register.csv").await;
        assert_eq!(status, 200);
        assert!(csv.contains("'=HYPERLINK"), "{csv}");
        assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"), "{csv}");
    }

    async fn a_stranger_learns_nothing_of_a_ballots_state_from_the_certificate_form(app: TestApp) {
        let electorate = ballots::electorate(&app, &[1_000]);
        let id = ballots::create_ballot(&app, &electorate, serde_json::json!({})).await;
        app.create_organisation("ccg", "16C", "Other CCG");
        app.create_user("other.ro@example.org", "returning_officer", Some("16C"));
        let stranger = app.new_visitor();
        ballots::log_in(&stranger, "other.ro@example.org").await;
        let token = stranger.csrf_token("/").await;
        let response = stranger.post_form(&format!("/ballots/{id}/certificate"), &[("_csrf", &token)]).await;
        assert_eq!(response.status(), 403, "permission is checked before the ballot's state");
    }

    // A cookie copied before logging out does not work after it, and cannot
    // mint an API token; "sign out everywhere" ends the other sessions too.
    async fn logging_out_ends_the_session_on_the_server(app: TestApp) {
        app.create_user("pat@example.org", "system_admin", None);
        let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let cookie_of = |response: &reqwest::Response| -> String {
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(|v| v.split(';').next().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let form = raw.get(app.url("/login")).send().await.expect("login form");
        let cookie = cookie_of(&form);
        let csrf = common::csrf_in(&form.text().await.expect("body")).expect("csrf");
        let login = raw
            .post(app.url("/login"))
            .header("cookie", &cookie)
            .form(&[("_csrf", csrf.as_str()), ("email", "pat@example.org"), ("password", PASSWORD)])
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), 303);
        let session = cookie_of(&login);
        let account = raw.get(app.url("/account")).header("cookie", &session).send().await.expect("account");
        assert_eq!(account.status(), 200);
        let csrf = common::csrf_in(&account.text().await.expect("body")).expect("csrf");
        let logout = raw
            .post(app.url("/logout"))
            .header("cookie", &session)
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .expect("logout");
        assert_eq!(logout.status(), 303);
        // The copy kept from before.
        let replay = raw.get(app.url("/account")).header("cookie", &session).send().await.expect("replay");
        assert_eq!(replay.status(), 303, "the old cookie is sent to the login page");
        let mint = raw
            .post(app.url("/account/tokens"))
            .header("cookie", &session)
            .form(&[("_csrf", csrf.as_str()), ("name", "stolen")])
            .send()
            .await
            .expect("mint");
        assert_ne!(mint.status(), 200, "no token from an ended session");
        let mut conn = app.pool.get().expect("connection");
        let user = ballots::user_id(&app, "pat@example.org");
        assert!(quorate::accounts::store::api_tokens::of_user(&mut conn, user).expect("tokens").is_empty());
        drop(conn);

        // Sign out everywhere: two browsers, both end.
        let first = app.new_visitor();
        first.login("pat@example.org", PASSWORD).await;
        let second = app.new_visitor();
        second.login("pat@example.org", PASSWORD).await;
        assert_eq!(first.submit("/account", "/account/sessions/end", &[]).await.status(), 303);
        assert_eq!(second.get("/account").await.status(), 303, "the other browser is signed out");
        assert_eq!(first.get("/account").await.status(), 303);
        assert!(audit_actions(&app).iter().any(|(a, _)| a == "account.sessions_ended"));
    }
}

/// Uploads to `/verify` from anyone, over a raw connection so a test can
/// send part of a body and see the answer come before the rest.
mod uploads {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    const BOUNDARY: &str = "quorate-test-boundary";

    fn host(app: &super::TestApp) -> String {
        app.address.trim_start_matches("http://").to_owned()
    }

    /// Sends a POST to /verify declaring `length` bytes of body, and only
    /// `sent` of them.
    fn start_post(host: &str, length: u64, sent: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(host).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let head = format!(
            "POST /verify HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("head");
        stream.write_all(sent).expect("body");
        stream.flush().expect("flush");
        stream
    }

    /// The status and headers of the answer, read without sending more.
    fn answer(stream: &mut TcpStream) -> (u16, String) {
        let mut read = Vec::new();
        let mut buffer = [0u8; 4096];
        while !read.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buffer[..n]),
            }
        }
        let text = String::from_utf8_lossy(&read).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, text)
    }

    fn field(name: &str, value: &str) -> Vec<u8> {
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes()
    }

    /// The start of a file part: its header and the first bytes of a file
    /// whose rest never comes.
    fn file_begun() -> Vec<u8> {
        let mut bytes = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"board_file\"; filename=\"board.json\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .into_bytes();
        bytes.extend(std::iter::repeat_n(b' ', 64 * 1024));
        bytes
    }

    async fn post_verify(visitor: &super::TestApp, form: reqwest::multipart::Form) -> reqwest::Response {
        visitor
            .client
            .post(visitor.url("/verify"))
            .multipart(form)
            .send()
            .await
            .expect("post")
    }

    async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        actix_web::rt::task::spawn_blocking(f).await.expect("thread")
    }

    #[actix_web::test]
    async fn a_forged_upload_is_refused_before_its_files_are_read() {
        let app = crate::common::spawn_app(crate::common::Backend::Sqlite).await;
        let host = host(&app);
        // 50 MB declared, only the (forged) token sent: the answer comes at
        // once, without waiting for the rest.
        let (status, _) = blocking(move || {
            let mut body = field("_csrf", "forged");
            body.extend(file_begun());
            let mut stream = start_post(&host, 50 * 1024 * 1024, &body);
            answer(&mut stream)
        })
        .await;
        assert_eq!(status, 403);

        // A form whose first field is not the token is refused unread too.
        let host = super::uploads::host(&app);
        let (status, _) = blocking(move || {
            let mut stream = start_post(&host, 50 * 1024 * 1024, &file_begun());
            answer(&mut stream)
        })
        .await;
        assert_eq!(status, 403);

        // More than the limit declared: refused before a byte of the body.
        let host = super::uploads::host(&app);
        let (status, text) = blocking(move || {
            let mut stream = start_post(&host, 65 * 1024 * 1024, b"");
            answer(&mut stream)
        })
        .await;
        assert_eq!(status, 413, "{text}");

        // A pasted field beyond its limit is refused, naming it, nothing kept.
        let visitor = app.new_visitor();
        let csrf = visitor.csrf_token("/verify").await;
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf)
            .text("board", "x".repeat(9 * 1024 * 1024));
        let response = post_verify(&visitor, form).await;
        assert_eq!(response.status(), 413);
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("The board field must be shorter than")
        );

        // A file goes to a temporary file as it arrives, removed once read.
        let csrf = visitor.csrf_token("/verify").await;
        let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
            "certificate_file",
            reqwest::multipart::Part::bytes(b"{not json".to_vec()).file_name("certificate.json"),
        );
        let response = post_verify(&visitor, form).await;
        assert_eq!(response.status(), 422);
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("is not a Quorate certificate")
        );
        let left: Vec<String> = std::fs::read_dir(std::env::temp_dir())
            .expect("temp")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("quorate-upload-"))
            .collect();
        assert!(left.is_empty(), "spooled files left behind: {left:?}");
    }

    #[actix_web::test]
    async fn uploads_without_an_account_are_read_a_few_at_a_time() {
        let app = crate::common::spawn_app(crate::common::Backend::Sqlite).await;
        // Slow senders take every place: each declares a body and sends none.
        // The next one is told to come back, with Retry-After, once they hold
        // their places (they reach the handler in a moment). On a loaded
        // machine a stalled sender has been seen not to take its place
        // within 15 s, so a set that never fills the places is replaced,
        // up to three times.
        let mut held = None;
        for _ in 0..3 {
            let host = host(&app);
            let stalled: Vec<TcpStream> = blocking(move || {
                (0..quorate::web::ANONYMOUS_UPLOADS_AT_ONCE)
                    .map(|_| start_post(&host, 1024 * 1024, b""))
                    .collect()
            })
            .await;
            let host = super::uploads::host(&app);
            let answer_seen = blocking(move || {
                let mut last = (0, String::new());
                for _ in 0..50 {
                    let mut stream = start_post(&host, 10, b"0123456789");
                    last = answer(&mut stream);
                    if last.0 == 503 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                last
            })
            .await;
            let full = answer_seen.0 == 503;
            held = Some((stalled, answer_seen));
            if full {
                break;
            }
        }
        let (stalled, (status, text)) = held.expect("at least one try");
        assert_eq!(status, 503, "{text}");
        assert!(text.to_ascii_lowercase().contains("retry-after: 30"), "{text}");

        // When they go, their places are free again.
        drop(stalled);
        let host = super::uploads::host(&app);
        let status = blocking(move || {
            let mut last = 0;
            for _ in 0..50 {
                let mut stream = start_post(&host, 10, b"0123456789");
                last = answer(&mut stream).0;
                if last != 503 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            last
        })
        .await;
        assert_eq!(status, 400, "read again (and refused: not a multipart form)");

        // A signed-in user is not held up by anonymous senders.
        let host = super::uploads::host(&app);
        let _stalled: Vec<TcpStream> = blocking(move || {
            (0..quorate::web::ANONYMOUS_UPLOADS_AT_ONCE)
                .map(|_| start_post(&host, 1024 * 1024, b""))
                .collect()
        })
        .await;
        app.create_user("officer@example.org", "system_admin", None);
        let officer = app.new_visitor();
        officer.login("officer@example.org", super::PASSWORD).await;
        let csrf = officer.csrf_token("/verify").await;
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf)
            .text("certificate", "{not json");
        let response = officer
            .client
            .post(officer.url("/verify"))
            .multipart(form)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 422, "read and checked");
    }
}
