//! Representatives: one nominated voting representative at a time,
//! invitations by email for new people, audited changes.

mod common;

use common::smtp::SmtpSink;
use common::{PASSWORD, TestApp};

async fn practice_with_board(app: &TestApp) {
    let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    app.create_member_practice("F84012", "Albion Health Centre", ccg);
    app.create_member_practice("F84016", "The Mission Practice", ccg);
    app.create_user("board@example.org", "org_admin", Some("08V"));
    assert_eq!(app.login("board@example.org", PASSWORD).await.status(), 303);
}

async fn add(app: &TestApp, name: &str, email: &str, kind: &str) -> reqwest::Response {
    app.submit(
        "/practices/F84012",
        "/practices/F84012/representatives",
        &[("name", name), ("email", email), ("kind", kind)],
    )
    .await
}

backend_tests! {
    async fn a_new_nominated_representative_is_invited_and_replaces_the_last(app: TestApp) {
        let sink = SmtpSink::start();
        practice_with_board(&app).await;
        assert_eq!(add(&app, "Priya Manager", "priya@example.org", "nominated").await.status(), 303);
        let (_, page) = app.get_text("/practices/F84012").await;
        assert!(page.contains("Representative added"), "{page}");
        assert!(page.contains("Priya Manager") && page.contains("Nominated voting representative"));

        // An invitation went out through the outbox, from the CCG.
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(stats.sent, 1);
        let received = sink.wait_for(1);
        assert_eq!(received[0].to, vec!["priya@example.org".to_owned()]);
        assert_eq!(received[0].parsed().subject(), Some("Tower Hamlets CCG has invited you to Quorate"));

        // The register knows the practice has one.
        let (_, register) = app.get_text("/organisations/08V/practices?nominated=yes").await;
        assert!(register.contains("Albion Health Centre") && !register.contains("The Mission Practice"), "{register}");
        let (_, register) = app.get_text("/organisations/08V/practices?nominated=no").await;
        assert!(!register.contains("Albion Health Centre") && register.contains("The Mission Practice"));

        // An existing account becomes the new nominated representative; the
        // previous one's role ends the same day.
        app.create_user("sam@example.org", "org_admin", Some("08V"));
        assert_eq!(add(&app, "Sam Partner", "sam@example.org", "nominated").await.status(), 303);
        let mut conn = app.pool.get().expect("connection");
        let practice = quorate::registry::store::Practice::find_by_code(&mut conn, "F84012").expect("q").expect("p");
        let reps = quorate::registry::store::representatives::of_practice(&mut conn, practice.id).expect("reps");
        let current: Vec<_> = reps.iter().filter(|r| r.ended_on.is_none()).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].email, "sam@example.org");
        assert_eq!(reps.len(), 2, "history kept");
        drop(conn);
        // Sam, already an account holder, can now see the practice as its representative.
        let sam = app.new_visitor();
        sam.login("sam@example.org", PASSWORD).await;
        assert_eq!(sam.get_text("/practices/F84012").await.0, 200);
        // Both changes are in the audit log, which still verifies.
        let entries = quorate::audit::service::verify(&app.pool).expect("verify").expect("intact");
        let mut conn = app.pool.get().expect("connection");
        let log = quorate::audit::store::all(&mut conn).expect("audit");
        assert_eq!(log.len(), entries);
        let changes = log.iter().filter(|e| e.entry.action == "practice.representative_added").count();
        assert_eq!(changes, 2, "{:?}", log.iter().map(|e| &e.entry.action).collect::<Vec<_>>());
        // The accounts made for the test are there too.
        assert!(log.iter().any(|e| e.entry.action == "account.create"));
    }

    async fn representatives_can_be_ended_and_bad_forms_are_named(app: TestApp) {
        practice_with_board(&app).await;
        let response = add(&app, "", "not-an-email", "").await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("Enter a full name"));
        assert!(body.contains("Enter an email address in the correct format"));
        assert!(body.contains("Select how the person acts for the practice"));

        assert_eq!(add(&app, "Dee Deputy", "dee@example.org", "deputy").await.status(), 303);
        let again = add(&app, "Dee Deputy", "dee@example.org", "deputy").await;
        assert_eq!(again.status(), 422);
        assert!(again.text().await.expect("body").contains("dee@example.org is already the practice&#x27;s deputy voting representative"));

        let id = {
            let mut conn = app.pool.get().expect("connection");
            let practice = quorate::registry::store::Practice::find_by_code(&mut conn, "F84012").expect("q").expect("p");
            quorate::registry::store::representatives::of_practice(&mut conn, practice.id).expect("reps")[0].id
        };
        let action = format!("/practices/F84012/representatives/{id}/end");
        // Ending a role asks first, and for a reason kept in the audit log.
        let (status, confirm) = app.get_text(&action).await;
        assert_eq!(status, 200, "{confirm}");
        assert!(confirm.contains("End Dee Deputy&#x27;s role") && confirm.contains("Why does the role end?"), "{confirm}");
        let response = app.submit(&action, &action, &[("reason", "")]).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("Enter why Dee Deputy&#x27;s role ends"));
        assert_eq!(app.submit(&action, &action, &[("reason", "Left the practice")]).await.status(), 303);
        let (_, page) = app.get_text("/practices/F84012").await;
        assert!(page.contains("Role ended"));
        let mut conn = app.pool.get().expect("connection");
        let log = quorate::audit::store::all(&mut conn).expect("audit");
        assert!(log.iter().any(|e| e.entry.summary.ends_with("is no longer deputy: Left the practice")), "the reason is kept");
        drop(conn);
        assert_eq!(app.submit("/practices/F84012", &action, &[("reason", "Again")]).await.status(), 404, "already ended");
        assert_eq!(app.get(&action).await.status(), 404);
    }

    async fn only_the_organisations_administrators_change_representatives(app: TestApp) {
        practice_with_board(&app).await;
        app.create_organisation("lmc", "L01", "Test LMC");
        app.create_user("observer@example.org", "lmc_observer", Some("L01"));
        app.create_user("rep@example.org", "practice_rep", Some("F84012"));
        let rep = app.new_visitor();
        rep.login("rep@example.org", PASSWORD).await;
        let (status, page) = rep.get_text("/practices/F84012").await;
        assert_eq!(status, 200);
        assert!(!page.contains("Add a representative"), "representatives see but do not change");
        let response = add(&rep, "Eve", "eve@example.org", "nominated").await;
        assert_eq!(response.status(), 403);
        let mut conn = app.pool.get().expect("connection");
        assert!(quorate::accounts::store::User::find_by_email(&mut conn, "eve@example.org").expect("q").is_none(), "nothing written");
    }

    async fn a_bouncing_address_shows_on_the_practice_and_is_corrected_on_resend(app: TestApp) {
        let sink = SmtpSink::start();
        practice_with_board(&app).await;
        assert_eq!(add(&app, "Pat Typo", "pat@bounce.example.org", "nominated").await.status(), 303);
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(stats.failed, 1);
        let (_, page) = app.get_text("/practices/F84012").await;
        assert!(page.contains("Email failing") && page.contains("No such user here"), "{page}");

        // The invitation carries a link that sets the account's password, so
        // it is never sent to another address: the account keeps its own.
        let failed = {
            let mut conn = app.pool.get().expect("connection");
            let organisation = quorate::registry::store::Organisation::find_by_code(&mut conn, "08V").expect("q").expect("org");
            quorate::mail::store::for_organisation(&mut conn, organisation.id, Some(quorate::mail::model::MessageState::Failed), None, 10).expect("q")[0].id
        };
        let action = format!("/organisations/08V/deliveries/{failed}/resend");
        let redirected = app.submit("/organisations/08V/deliveries", &action, &[("email", "pat@example.org")]).await;
        assert_eq!(redirected.status(), 422);
        assert!(redirected.text().await.expect("body").contains("personal link"));
        {
            let mut conn = app.pool.get().expect("connection");
            assert!(quorate::accounts::store::User::find_by_email(&mut conn, "pat@bounce.example.org").expect("q").is_some());
            assert!(quorate::accounts::store::User::find_by_email(&mut conn, "pat@example.org").expect("q").is_none());
            let log = quorate::audit::store::all(&mut conn).expect("audit");
            assert!(log.iter().any(|e| e.entry.action == "message.resend_refused"));
            assert!(!log.iter().any(|e| e.entry.action == "account.email_change"));
        }
        // The remedy: name the representative again with the right address.
        assert_eq!(add(&app, "Pat Right", "pat@example.org", "nominated").await.status(), 303);
        let stats = app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(stats.sent, 1);
        let (_, page) = app.get_text("/practices/F84012").await;
        assert!(page.contains("pat@example.org") && !page.contains("Email failing"), "{page}");
    }
}
