//! A practice's representative proposes a change; an administrator approves or rejects it.

mod common;

use common::{PASSWORD, TestApp};

async fn setup(app: &TestApp) -> (TestApp, TestApp) {
    let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    app.create_member_practice("F84012", "Albion Health Centre", ccg);
    app.create_user("board@example.org", "org_admin", Some("08V"));
    app.create_user("manager@example.org", "practice_rep", Some("F84012"));
    let board = app.new_visitor();
    assert_eq!(board.login("board@example.org", PASSWORD).await.status(), 303);
    let manager = app.new_visitor();
    assert_eq!(manager.login("manager@example.org", PASSWORD).await.status(), 303);
    (board, manager)
}

fn proposal<'a>(name: &'a str, note: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("code", "F84012"),
        ("name", name),
        ("postcode", "E1 1BU"),
        ("telephone", "020 7000 0000"),
        ("status", "active"),
        ("note", note),
    ]
}

fn practice_name(app: &TestApp) -> String {
    let mut conn = app.pool.get().expect("connection");
    quorate::registry::store::Practice::find_by_code(&mut conn, "F84012")
        .expect("q")
        .expect("practice")
        .name
}

backend_tests! {
    async fn an_approved_proposal_changes_the_practice(app: TestApp) {
        let (board, manager) = setup(&app).await;
        let (_, page) = manager.get_text("/practices/F84012").await;
        assert!(page.contains("Propose a change"));
        let response = manager.submit("/practices/F84012/propose", "/practices/F84012/propose", &proposal("Albion Medical Practice", "Dr Khan is our new nominated representative")).await;
        assert_eq!(response.status(), 303);
        assert_eq!(practice_name(&app), "Albion Health Centre", "nothing changes before approval");

        let (status, list) = board.get_text("/organisations/08V/proposals").await;
        assert_eq!(status, 200);
        assert!(list.contains("Albion Medical Practice") && list.contains("Dr Khan is our new nominated representative"), "{list}");
        let id = list.split("/proposals/").nth(1).and_then(|s| s.split('/').next()).expect("proposal id").to_owned();
        let action = format!("/organisations/08V/proposals/{id}/approve");
        assert_eq!(board.submit("/organisations/08V/proposals", &action, &[]).await.status(), 303);
        assert_eq!(practice_name(&app), "Albion Medical Practice");
        let (_, list) = board.get_text("/organisations/08V/proposals").await;
        assert!(list.contains("Change approved") && list.contains("no proposed changes waiting"));
        assert_eq!(board.submit("/organisations/08V/proposals", &action, &[]).await.status(), 404, "decided once");

        let mut conn = app.pool.get().expect("connection");
        let actions: Vec<String> = quorate::audit::store::all(&mut conn).expect("audit").into_iter().map(|s| s.entry.action).filter(|a| !a.starts_with("account.")).collect();
        assert_eq!(actions, vec!["practice.change_proposed", "practice.change_approved"]);
    }

    async fn a_rejected_proposal_changes_nothing(app: TestApp) {
        let (board, manager) = setup(&app).await;
        manager.submit("/practices/F84012/propose", "/practices/F84012/propose", &proposal("Something Else", "")).await;
        let (_, list) = board.get_text("/organisations/08V/proposals").await;
        let id = list.split("/proposals/").nth(1).and_then(|s| s.split('/').next()).expect("proposal id").to_owned();
        let action = format!("/organisations/08V/proposals/{id}/reject");
        assert_eq!(board.submit("/organisations/08V/proposals", &action, &[]).await.status(), 303);
        assert_eq!(practice_name(&app), "Albion Health Centre");
    }

    async fn proposals_are_checked_and_limited_to_the_practice_and_its_administrators(app: TestApp) {
        let (board, manager) = setup(&app).await;
        let empty = manager.submit("/practices/F84012/propose", "/practices/F84012/propose", &proposal("", "")).await;
        assert_eq!(empty.status(), 422);
        assert!(empty.text().await.expect("body").contains("Enter the practice name"));
        let nothing = manager
            .submit("/practices/F84012/propose", "/practices/F84012/propose", &[("code", "F84012"), ("name", "Albion Health Centre"), ("status", "active"), ("note", "")])
            .await;
        assert_eq!(nothing.status(), 422);
        assert!(nothing.text().await.expect("body").contains("Change at least one detail"));
        assert_eq!(board.get_text("/practices/F84012/propose").await.0, 403, "administrators edit directly");
        assert_eq!(manager.get_text("/organisations/08V/proposals").await.0, 403);
    }
}
