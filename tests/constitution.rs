//! Constitution settings: defaults, edits by administrators, audited,
//! errors named, observers read only.

mod common;

use common::{PASSWORD, TestApp};

async fn setup(app: &TestApp) {
    let lmc = app.create_organisation("lmc", "L01", "Test LMC");
    let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    app.cover_with_lmc(ccg, lmc);
    app.create_user("board@example.org", "org_admin", Some("08V"));
    app.create_user("observer@example.org", "lmc_observer", Some("L01"));
    assert_eq!(app.login("board@example.org", PASSWORD).await.status(), 303);
}

fn form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("weighting", "per_practice"),
        ("patients_per_vote", "2000"),
        ("quorum_basis", "practices"),
        ("quorum_percent", "50"),
        ("ordinary_threshold", "gt:1/2"),
        ("amendment_threshold", "ge:2/3"),
        ("removal_threshold", "ge:2/3"),
        ("dissolution_threshold", "ge:3/4"),
        ("minimum_notice_days", "14"),
        ("voters", "nominated_or_deputy"),
        ("reason", "Agreed at the general meeting of 3 March"),
    ];
    for (key, value) in overrides {
        if let Some(field) = fields.iter_mut().find(|(k, _)| k == key) {
            field.1 = value;
        }
    }
    fields
}

fn audit_summaries(app: &TestApp) -> Vec<String> {
    let mut conn = app.pool.get().expect("connection");
    quorate::audit::store::all(&mut conn)
        .expect("audit")
        .into_iter()
        // Accounts made to set the test up are audited too; not the subject here.
        .filter(|s| !s.entry.action.starts_with("account."))
        .map(|s| s.entry.summary)
        .collect()
}

backend_tests! {
    async fn administrators_change_the_settings_and_each_change_is_audited(app: TestApp) {
        setup(&app).await;
        let (status, page) = app.get_text("/organisations/08V/settings").await;
        assert_eq!(status, 200);
        assert!(page.contains("One practice, one vote") && page.contains("50% of member practices"), "defaults shown");

        let fields = form(&[("weighting", "per_patients"), ("quorum_percent", "60"), ("amendment_threshold", "ge:3/4")]);
        let response = app.submit("/organisations/08V/settings", "/organisations/08V/settings", &fields).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text("/organisations/08V/settings").await;
        assert!(page.contains("Constitution settings saved"));
        assert!(page.contains("One vote per 2,000 registered patients, rounded up"), "{page}");
        assert!(page.contains("60% of member practices"));
        let summaries = audit_summaries(&app);
        assert_eq!(summaries.len(), 1);
        assert!(summaries[0].contains("Quorum: 50% of member practices → 60% of member practices"), "{summaries:?}");
        assert!(summaries[0].contains("Constitution amendment: At least two thirds → At least three quarters"));
        assert!(summaries[0].contains("Reason: Agreed at the general meeting of 3 March"), "{summaries:?}");
        // A change without a reason is refused, with the answers kept.
        let unexplained = form(&[("quorum_percent", "70"), ("reason", "  ")]);
        let response = app.submit("/organisations/08V/settings", "/organisations/08V/settings", &unexplained).await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("Enter why the settings change") && body.contains("href=\"#reason\""), "{body}");
        assert!(body.contains("value=\"70\""), "the answers are kept");
        assert_eq!(audit_summaries(&app).len(), 1, "nothing saved");

        // Saving the same again changes nothing and audits nothing.
        app.submit("/organisations/08V/settings", "/organisations/08V/settings", &fields).await;
        assert_eq!(audit_summaries(&app).len(), 1);
        assert!(quorate::audit::service::verify(&app.pool).expect("verify").is_ok());
    }

    async fn bad_settings_are_named_and_nothing_is_saved(app: TestApp) {
        setup(&app).await;
        let fields = form(&[("weighting", "per_patients"), ("patients_per_vote", "0"), ("quorum_percent", "150"), ("voters", "anyone")]);
        let response = app.submit("/organisations/08V/settings", "/organisations/08V/settings", &fields).await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("<a href=\"#patients-per-vote\">Patients per vote must be a whole number from 1 to 1,000,000</a>"), "{body}");
        assert!(body.contains("<a href=\"#quorum-percent\">Quorum must be a whole percentage from 0 to 100</a>"));
        assert!(body.contains("<a href=\"#voters\">Select who may vote for a practice</a>"));
        assert!(body.contains("value=\"150\""), "answers kept");
        assert!(audit_summaries(&app).is_empty());
        let (_, page) = app.get_text("/organisations/08V/settings").await;
        assert!(page.contains("50% of member practices"), "unchanged");
    }

    async fn system_administrators_set_which_lmc_covers_an_organisation(app: TestApp) {
        setup(&app).await;
        app.create_organisation("lmc", "L02", "Second LMC");
        app.create_user("second@example.org", "lmc_observer", Some("L02"));
        app.create_user("admin@example.org", "system_admin", None);
        let admin = app.new_visitor();
        admin.login("admin@example.org", PASSWORD).await;
        let observer = app.new_visitor();
        observer.login("second@example.org", PASSWORD).await;
        assert_eq!(observer.get_text("/organisations/08V").await.0, 403);

        let response = admin.submit("/organisations/08V", "/organisations/08V/lmcs/add", &[("lmc", "l02")]).await;
        assert_eq!(response.status(), 303);
        let (_, page) = admin.get_text("/organisations/08V").await;
        assert!(page.contains("Second LMC now covers this organisation"));
        assert_eq!(observer.get_text("/organisations/08V/practices").await.0, 200, "its observers now see the register");
        // Not an LMC: the organisation's page again, the error at the field, what was typed kept.
        let refused = admin.submit("/organisations/08V", "/organisations/08V/lmcs/add", &[("lmc", "08V")]).await;
        assert_eq!(refused.status(), 422, "not an LMC");
        let refused = refused.text().await.expect("body");
        assert!(refused.contains("href=\"#lmc\"") && refused.contains("There is no local medical committee with ODS code 08V"), "{refused}");
        assert!(refused.contains("value=\"08V\"") && refused.contains("Local medical committees"), "{refused}");
        let again = admin.submit("/organisations/08V", "/organisations/08V/lmcs/add", &[("lmc", "L02")]).await;
        assert_eq!(again.status(), 422, "already covers");
        assert!(again.text().await.expect("body").contains("Second LMC already covers"));

        assert_eq!(admin.submit("/organisations/08V", "/organisations/08V/lmcs/remove", &[("lmc", "L02")]).await.status(), 303);
        assert_eq!(observer.get_text("/organisations/08V").await.0, 403);
        // Organisation administrators cannot change coverage.
        assert_eq!(app.submit("/organisations/08V", "/organisations/08V/lmcs/remove", &[("lmc", "L01")]).await.status(), 403);
        let actions: Vec<String> = {
            let mut conn = app.pool.get().expect("connection");
            quorate::audit::store::all(&mut conn).expect("audit").into_iter().map(|s| s.entry.action).filter(|a| !a.starts_with("account.")).collect()
        };
        assert_eq!(actions, vec!["organisation.lmc_added", "organisation.lmc_removed"]);
    }

    async fn observers_read_but_cannot_change(app: TestApp) {
        setup(&app).await;
        let observer = app.new_visitor();
        observer.login("observer@example.org", PASSWORD).await;
        let (status, page) = observer.get_text("/organisations/08V/settings").await;
        assert_eq!(status, 200);
        assert!(!page.contains("Save settings"));
        let response = observer.submit("/organisations/08V/settings", "/organisations/08V/settings", &form(&[("quorum_percent", "10")])).await;
        assert_eq!(response.status(), 403);
        assert!(audit_summaries(&app).is_empty());
    }
}
