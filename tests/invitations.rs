//! Invitations, password resets and the delivery record, with the emails
//! really sent over SMTP and their links followed.

mod common;

use common::smtp::{Received, SmtpSink};
use common::{PASSWORD, TestApp};

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The path of the first link to this server in a received message.
fn link_in(message: &Received, address: &str) -> String {
    let parsed = message.parsed();
    let text = parsed.body_text(0).expect("text part").into_owned();
    let start = text
        .find(address)
        .unwrap_or_else(|| panic!("no link to {address} in {text}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link[address.len()..].to_owned()
}

async fn deliver(app: &TestApp, sink: &SmtpSink) -> quorate::mail::worker::WorkerStats {
    app.mail_worker(Some(&sink.url()), &[])
        .run_until_idle()
        .await
        .expect("worker")
}

backend_tests! {
    async fn an_invited_representative_chooses_a_password_through_the_emailed_link(app: TestApp) {
        let sink = SmtpSink::start();
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.create_member_practice("F84012", "Test Surgery", ccg);
        app.create_user("admin@example.org", "system_admin", None);
        app.login("admin@example.org", PASSWORD).await;

        let response = app
            .submit("/admin/users/invite", "/admin/users/invite", &[("name", "Priya Manager"), ("email", "Priya@Example.org"), ("role", "practice_rep"), ("org", "f84012")])
            .await;
        assert_eq!(response.status(), 303);
        let (_, users) = app.get_text("/admin/users").await;
        assert!(users.contains("Invitation sent") && users.contains("Priya Manager"), "{users}");

        assert_eq!(deliver(&app, &sink).await.sent, 1);
        let received = sink.wait_for(1);
        assert_eq!(received[0].to, vec!["Priya@Example.org".to_owned()]);
        let parsed = received[0].parsed();
        assert_eq!(parsed.subject(), Some("Test CCG has invited you to Quorate"));
        let text = parsed.body_text(0).expect("text").into_owned();
        assert!(text.contains("practice representative"), "{text}");
        let path = link_in(&received[0], &app.settings.base_url);
        assert!(path.starts_with("/password/"), "{path}");

        // The invitee follows the link in their own browser.
        let invitee = app.new_visitor();
        let (status, page) = invitee.get_text(&path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Choose your password") && page.contains("Priya@Example.org"));
        let short = invitee.submit(&path, &path, &[("password", "short"), ("confirm_password", "short")]).await;
        assert_eq!(short.status(), 422);
        let done = invitee.submit(&path, &path, &[("password", PASSWORD), ("confirm_password", PASSWORD)]).await;
        assert_eq!(done.status(), 303);
        let (_, home) = invitee.get_text("/").await;
        assert!(home.contains("Practice representative, Test Surgery (F84012)"), "{home}");

        // The link worked once.
        assert_eq!(app.new_visitor().get_text(&path).await.0, 410);
        assert_eq!(app.new_visitor().login("priya@example.org", PASSWORD).await.status(), 303);
    }

    async fn the_invitation_form_names_each_problem(app: TestApp) {
        app.create_user("admin@example.org", "system_admin", None);
        app.login("admin@example.org", PASSWORD).await;
        let response = app.submit("/admin/users/invite", "/admin/users/invite", &[("name", ""), ("email", "nope"), ("org", "")]).await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("Enter a full name"));
        assert!(body.contains("Enter an email address in the correct format"));
        assert!(body.contains("Select the role the person will have"));
        let response = app
            .submit("/admin/users/invite", "/admin/users/invite", &[("name", "A Person"), ("email", "a@example.org"), ("role", "org_admin"), ("org", "ZZZ")])
            .await;
        assert!(response.text().await.expect("body").contains("There is no organisation with ODS code ZZZ"));
        let mut conn = app.pool.get().expect("connection");
        assert_eq!(quorate::accounts::store::User::count(&mut conn).expect("count"), 1, "nothing half-written");
        assert_eq!(quorate::mail::store::count_unfinished(&mut conn).expect("count"), 0);
    }

    async fn forgotten_passwords_are_reset_through_a_single_use_link(app: TestApp) {
        let sink = SmtpSink::start();
        app.create_user("jane@example.org", "system_admin", None);
        let response = app.submit("/forgot-password", "/forgot-password", &[("email", "JANE@example.org")]).await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.expect("body").contains("Check your email"));
        // An unknown address gets the same answer and no email.
        let response = app.submit("/forgot-password", "/forgot-password", &[("email", "nobody@example.org")]).await;
        assert!(response.text().await.expect("body").contains("Check your email"));
        assert_eq!(deliver(&app, &sink).await.sent, 1);
        let received = sink.wait_for(1);
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].to, vec!["jane@example.org".to_owned()]);
        let path = link_in(&received[0], &app.settings.base_url);

        let response = app.submit(&path, &path, &[("password", "a new passphrase here"), ("confirm_password", "a new passphrase here")]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(app.new_visitor().login("jane@example.org", PASSWORD).await.status(), 422, "old password gone");
        assert_eq!(app.new_visitor().login("jane@example.org", "a new passphrase here").await.status(), 303);
        assert_eq!(app.new_visitor().get_text(&path).await.0, 410, "single use");

        let empty = app.submit("/forgot-password", "/forgot-password", &[("email", "")]).await;
        assert_eq!(empty.status(), 422);
        assert!(empty.text().await.expect("body").contains("Enter your email address"));
    }

    async fn no_more_than_three_reset_emails_an_hour(app: TestApp) {
        app.create_user("jane@example.org", "system_admin", None);
        for _ in 0..5 {
            assert_eq!(app.submit("/forgot-password", "/forgot-password", &[("email", "jane@example.org")]).await.status(), 200);
        }
        let mut conn = app.pool.get().expect("connection");
        assert_eq!(quorate::mail::store::count_unfinished(&mut conn).expect("count"), 3);
    }

    async fn the_delivery_record_shows_each_message_and_lets_administrators_resend(app: TestApp) {
        let sink = SmtpSink::start();
        let lmc = app.create_organisation("lmc", "L01", "Test LMC");
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.cover_with_lmc(ccg, lmc);
        app.create_member_practice("F84012", "Test Surgery", ccg);
        app.create_user("admin@example.org", "system_admin", None);
        app.create_user("board@example.org", "org_admin", Some("08V"));
        app.create_user("observer@example.org", "lmc_observer", Some("L01"));
        app.create_user("rep@example.org", "practice_rep", Some("F84012"));
        app.login("admin@example.org", PASSWORD).await;
        for (name, email) in [("Good Address", "good@example.org"), ("Bad Address", "bounce@example.org")] {
            let response = app
                .submit("/admin/users/invite", "/admin/users/invite", &[("name", name), ("email", email), ("role", "committee_member"), ("org", "08V")])
                .await;
            assert_eq!(response.status(), 303);
        }
        let stats = deliver(&app, &sink).await;
        assert_eq!((stats.sent, stats.failed), (1, 1));

        let board = app.new_visitor();
        board.login("board@example.org", PASSWORD).await;
        let (status, record) = board.get_text("/organisations/08V/deliveries").await;
        assert_eq!(status, 200);
        assert!(record.contains("good@example.org") && record.contains("bounce@example.org"));
        assert!(record.contains("No such user here"), "the server's reason is shown: {record}");
        let (_, failed_only) = board.get_text("/organisations/08V/deliveries?state=failed").await;
        assert!(failed_only.contains("bounce@example.org") && !failed_only.contains("good@example.org"));
        assert_eq!(board.get_text("/organisations/08V/deliveries?state=bogus").await.0, 400);

        // An invitation carries a password link: it is sent again only to
        // the account's own address, never to a "corrected" one.
        let failed_id = {
            let mut conn = app.pool.get().expect("connection");
            quorate::mail::store::for_organisation(&mut conn, ccg, Some(quorate::mail::model::MessageState::Failed), None, 10)
                .expect("query")[0]
                .id
        };
        let action = format!("/organisations/08V/deliveries/{failed_id}/resend");
        let redirected = board.submit("/organisations/08V/deliveries", &action, &[("email", "fixed@example.org"), ("state", "failed")]).await;
        assert_eq!(redirected.status(), 422);
        let response = board.submit("/organisations/08V/deliveries", &action, &[("state", "failed")]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/organisations/08V/deliveries?state=failed");
        let stats = deliver(&app, &sink).await;
        assert_eq!(stats.failed, 1, "it went to the same (bouncing) address again");
        let mut conn = app.pool.get().expect("connection");
        let newest = quorate::mail::store::for_organisation(&mut conn, ccg, None, None, 10).expect("query");
        assert_eq!(newest[0].recipient_email, "bounce@example.org");
        assert_eq!(newest[0].resend_of, Some(failed_id));
        assert!(!newest.iter().any(|m| m.recipient_email == "fixed@example.org"));
        drop(conn);

        // The LMC observer sees the record but cannot send.
        let observer = app.new_visitor();
        observer.login("observer@example.org", PASSWORD).await;
        let (status, record) = observer.get_text("/organisations/08V/deliveries").await;
        assert_eq!(status, 200);
        assert!(record.contains("bounce@example.org") && !record.contains("Send again"));
        assert_eq!(observer.submit("/organisations/08V/deliveries", &action, &[]).await.status(), 403);

        // A practice representative cannot see it at all.
        let rep = app.new_visitor();
        rep.login("rep@example.org", PASSWORD).await;
        let (status, body) = rep.get_text("/organisations/08V/deliveries").await;
        assert_eq!(status, 403);
        assert!(!body.contains("bounce@example.org"));
    }

    async fn the_delivery_record_pages_through_every_message(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.create_user("board@example.org", "org_admin", Some("08V"));
        let outbox = app.outbox();
        let mut conn = app.pool.get().expect("connection");
        let mails = (1..=230)
            .map(|n| quorate::mail::service::Mail {
                template: "password_reset",
                to_email: format!("person{n:03}@example.org"),
                to_name: format!("Person {n:03}"),
                sender: "Test CCG".into(),
                reason: "A test.".into(),
                event: quorate::mail::model::EventKind::Account,
                event_id: None,
                organisation_id: Some(ccg),
                practice_id: None,
                user_id: None,
                context: serde_json::json!({"link": "http://127.0.0.1/reset/x", "expires": "5pm on 9 January 2026"}),
                sealed: false,
            })
            .collect();
        outbox.enqueue_all(&mut conn, mails).expect("enqueue");
        drop(conn);
        app.login("board@example.org", PASSWORD).await;
        let (_, first) = app.get_text("/organisations/08V/deliveries").await;
        assert!(first.contains("Messages 1 to 100 of 230, newest first"), "{first}");
        assert!(
            first.contains("href=\"/organisations/08V/deliveries?page&#x3D;2\"") && !first.contains("Newer messages"),
            "{first}"
        );
        let (_, last) = app.get_text("/organisations/08V/deliveries?page=3").await;
        assert!(
            last.contains("Messages 201 to 230 of 230")
                && last.contains("Newer messages")
                && !last.contains("Older messages"),
            "{last}"
        );
        // Every message is on exactly one page.
        let mut seen = std::collections::BTreeSet::new();
        for page in 1..=3 {
            let (_, text) = app
                .get_text(&format!("/organisations/08V/deliveries?page={page}"))
                .await;
            for n in 1..=230 {
                if text.contains(&format!("person{n:03}@example.org")) {
                    assert!(seen.insert(n), "person {n} on two pages");
                }
            }
        }
        assert_eq!(seen.len(), 230);
        let (_, beyond) = app.get_text("/organisations/08V/deliveries?page=9").await;
        assert!(beyond.contains("No messages on this page"), "{beyond}");
        let (_, pending) = app.get_text("/organisations/08V/deliveries?state=pending&page=2").await;
        assert!(
            pending.contains("Messages 101 to 200 of 230") && pending.contains("state&#x3D;pending&amp;page&#x3D;3"),
            "{pending}"
        );
        assert_eq!(app.get_text("/organisations/08V/deliveries?page=0").await.0, 400);
        assert_eq!(app.get_text("/organisations/08V/deliveries?page=two").await.0, 400);
    }
}

/// The worker inside `quorate serve` delivers without being asked.
#[actix_web::test]
async fn the_server_delivers_mail_by_itself() {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = common::spawn_app_with(
        common::Backend::Sqlite,
        &[
            ("QUORATE_MAIL_WORKER", "true"),
            ("QUORATE_SMTP_URL", &url),
            ("QUORATE_MAIL_POLL_MS", "50"),
        ],
    )
    .await;
    app.create_user("jane@example.org", "system_admin", None);
    app.submit("/forgot-password", "/forgot-password", &[("email", "jane@example.org")])
        .await;
    let received = sink.wait_for_async(1).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, vec!["jane@example.org".to_owned()]);
}
