//! A practice manager who signs in lands on their practice's page of work:
//! ballots open and coming (voted or not), consultations open for a
//! response, deadlines, and past results.

mod common;

use common::TestApp;
use common::ballots::{self, ADMIN};

async fn publish_consultation(app: &TestApp) -> String {
    let board = app.new_visitor();
    ballots::log_in(&board, ADMIN).await;
    let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(14));
    let response = board
        .submit(
            "/organisations/08V/consultations/new",
            "/organisations/08V/consultations",
            &[
                ("title", "Delegated commissioning: the options"),
                ("summary", "Which level should we apply for?"),
                ("body", "The board recommends level 2."),
                (
                    "options",
                    "Level 1 | little new work | little influence\nLevel 2 | shared decisions | conflicts",
                ),
                ("closes_date", &closes.0),
                ("closes_time", &closes.1),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let path = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert_eq!(board.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
    path
}

backend_tests! {
    async fn a_representative_lands_on_what_their_practice_must_do(app: TestApp) {
        let electorate = ballots::electorate(&app, &[5000, 6000]);
        let rep = electorate.rep_of("F84001").to_owned();
        let consultation = publish_consultation(&app).await;
        let id = ballots::create_ballot(&app, &electorate, serde_json::json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(ballots::action(&app, &electorate, id, "publish", None).await.0, 200);

        let manager = app.new_visitor();
        ballots::log_in(&manager, &rep).await;
        let (status, home) = manager.get_text("/").await;
        assert_eq!(status, 200);
        assert!(home.contains("Your practice") && home.contains("Practice 1 (F84001)"), "{home}");
        assert!(home.contains("A member of Tower Hamlets CCG (08V)"), "{home}");
        assert!(home.contains("nominated voting representative"));
        assert!(home.contains("Apply for delegated commissioning") && home.contains("Voting opens"), "{home}");
        assert!(home.contains("Practice 1 has not voted yet."));
        assert!(home.contains("Delegated commissioning: the options") && home.contains("Practice 1 has not responded yet."), "{home}");
        assert!(home.contains(&consultation), "links to the consultation");
        assert!(home.contains("Coming up") && home.contains("Consultation closes"), "deadlines: {home}");
        assert!(!home.contains(&format!("/ballots/{id}/vote\"")), "no vote button before the opening");

        ballots::open_when_due(&app, &electorate, id).await;
        let (_, home) = manager.get_text("/").await;
        let vote_href = format!("/ballots/{id}/vote");
        assert!(home.contains(&format!("href=\"{vote_href}\"")), "a vote button once open: {home}");
        assert!(home.contains("Voting closes:"));

        // The vote from the home page's button, signed in.
        let check = manager.submit(&vote_href, &format!("/ballots/{id}/vote/confirm"), &[("option", "for")]).await;
        assert_eq!(check.status(), 200);
        let cast = manager.submit(&vote_href, &vote_href, &[("option", "for")]).await;
        assert_eq!(cast.status(), 200);
        assert!(cast.text().await.expect("body").contains("receipt"));
        let (_, home) = manager.get_text("/").await;
        assert!(home.contains("Practice 1 voted at") && home.contains("signed in"), "{home}");
        assert!(!home.contains(&format!("href=\"{vote_href}\"")), "no second vote");

        // After the count the ballot moves to the past, with its result.
        assert_eq!(ballots::action(&app, &electorate, id, "close", None).await.0, 200);
        let (_, home) = manager.get_text("/").await;
        assert!(home.contains("Past ballots and results") && home.contains(&format!("/ballots/{id}/results")), "{home}");
        assert!(home.contains("Check your receipt"), "{home}");

        // A representative of another practice sees their own, not this one.
        let other = app.new_visitor();
        ballots::log_in(&other, electorate.rep_of("F84002")).await;
        let (_, home) = other.get_text("/").await;
        assert!(home.contains("Practice 2 (F84002)") && !home.contains("Practice 1 (F84001)"));
        assert!(home.contains("Practice 2 did not vote."), "{home}");
    }
}
