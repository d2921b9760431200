//! Adding, changing and closing practices by hand.

mod common;

use common::{PASSWORD, TestApp};

async fn setup(app: &TestApp) {
    let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    app.create_member_practice("F84012", "Albion Health Centre", ccg);
    app.create_user("board@example.org", "org_admin", Some("08V"));
    app.create_user("rep@example.org", "practice_rep", Some("F84012"));
    assert_eq!(app.login("board@example.org", PASSWORD).await.status(), 303);
}

fn audit(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("connection");
    quorate::audit::store::all(&mut conn)
        .expect("audit")
        .into_iter()
        .filter(|s| !s.entry.action.starts_with("account."))
        .map(|s| (s.entry.action, s.entry.summary))
        .collect()
}

const NEW: &str = "/organisations/08V/practices/new";

backend_tests! {
    async fn a_practice_is_added_by_hand(app: TestApp) {
        setup(&app).await;
        let fields = [("code", "y12345"), ("name", "Riverside Surgery"), ("address_1", "1 River Road"), ("postcode", "e11bu"), ("status", "active"), ("joined_on", "2025-04-01")];
        let response = app.submit(NEW, NEW, &fields).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text("/practices/Y12345").await;
        assert!(page.contains("Practice added") && page.contains("Riverside Surgery") && page.contains("E1 1BU"), "{page}");
        assert!(page.contains("1 April 2025"), "membership from the date given");
        let (_, register) = app.get_text("/organisations/08V/practices").await;
        assert!(register.contains("Riverside Surgery"));
        assert_eq!(audit(&app)[0].0, "practice.added");

        let again = app.submit(NEW, NEW, &fields).await;
        assert_eq!(again.status(), 422);
        assert!(again.text().await.expect("body").contains("Y12345 is already in the register"));
        let bad = app.submit(NEW, NEW, &[("code", "12345"), ("name", ""), ("postcode", "nowhere"), ("status", "")]).await;
        assert_eq!(bad.status(), 422);
        let body = bad.text().await.expect("body");
        for message in ["Practice ODS code must be a letter followed by 5 numbers", "Enter the practice name", "Enter a real postcode", "Select the practice&#x27;s status"] {
            assert!(body.contains(message), "{message}: {body}");
        }
        assert_eq!(audit(&app).len(), 1, "nothing half-written");
    }

    async fn a_practice_is_renamed_and_closed_with_its_history_kept(app: TestApp) {
        setup(&app).await;
        let (status, form) = app.get_text("/practices/F84012/edit").await;
        assert_eq!(status, 200);
        assert!(form.contains("value=\"Albion Health Centre\""));
        let fields = [("code", "F84012"), ("name", "Albion Medical Practice"), ("status", "closed"), ("opened_on", "1974-04-01"), ("closed_on", "2025-03-31")];
        let response = app.submit("/practices/F84012/edit", "/practices/F84012/edit", &fields).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text("/practices/F84012").await;
        assert!(page.contains("Practice details saved") && page.contains("Albion Medical Practice"));
        assert!(page.contains(">Closed</strong>"), "{page}");
        // As at a date before the closure, it was active.
        let (_, then) = app.get_text("/organisations/08V/practices?on=2025-01-01&status=active").await;
        assert!(then.contains("Albion Medical Practice"), "{then}");
        let (_, now) = app.get_text("/organisations/08V/practices?status=active").await;
        assert!(!now.contains("Albion Medical Practice"));
        let entries = audit(&app);
        assert_eq!(entries[0].0, "practice.updated");
        assert!(entries[0].1.contains("name: \"Albion Health Centre\" → \"Albion Medical Practice\""), "{entries:?}");
        assert!(entries[0].1.contains("status: \"active\" → \"closed\""));

        let missing_date = app
            .submit("/practices/F84012/edit", "/practices/F84012/edit", &[("code", "F84012"), ("name", "X"), ("status", "closed")])
            .await;
        assert_eq!(missing_date.status(), 422);
        assert!(missing_date.text().await.expect("body").contains("Enter the date the practice closed"));
    }

    async fn representatives_cannot_change_their_practice(app: TestApp) {
        setup(&app).await;
        let rep = app.new_visitor();
        rep.login("rep@example.org", PASSWORD).await;
        assert_eq!(rep.get_text("/practices/F84012/edit").await.0, 403);
        assert_eq!(rep.get_text(NEW).await.0, 403);
        let (_, page) = rep.get_text("/practices/F84012").await;
        assert!(!page.contains("Change the practice"));
    }
}
