//! A consultation that leads to a ballot: linked both ways, one timeline,
//! and a question left unanswered at the opening turns the checklist red.

mod common;

use common::ballots::{ADMIN, OBSERVER, action, create_ballot, electorate, log_in, open_when_due};
use serde_json::json;

fn line<'a>(page: &'a str, check: &str) -> &'a str {
    let start = page.find(check).unwrap_or_else(|| panic!("no line {check}"));
    &page[start..start + page[start..].find("</tr>").expect("row end")]
}

backend_tests! {
    async fn questions_unanswered_when_voting_opens_show_on_the_checklist(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000]);
        log_in(&app, ADMIN).await;
        let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(7));
        let response = app
            .submit(
                "/organisations/08V/consultations/new",
                "/organisations/08V/consultations",
                &[("title", "Before the vote"), ("summary", "Papers"), ("options", ""), ("closes_date", &closes.0), ("closes_time", &closes.1)],
            )
            .await;
        let path = response.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        assert_eq!(app.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
        let ballot = create_ballot(&app, &e, json!({})).await;
        // Link the consultation to its ballot; a ballot of another kind of number is refused.
        assert_eq!(app.submit(&path, &format!("{path}/ballot"), &[("ballot", "999")]).await.status(), 422);
        assert_eq!(app.submit(&path, &format!("{path}/ballot"), &[("ballot", &ballot.to_string())]).await.status(), 303);

        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        assert_eq!(rep.submit(&path, &format!("{path}/questions"), &[("question", "Will our funding fall?")]).await.status(), 303);
        assert_eq!(action(&app, &e, ballot, "publish", None).await.0, 200);
        let (_, ballot_page) = rep.get_text(&format!("/ballots/{ballot}")).await;
        assert!(ballot_page.contains("Before this ballot") && ballot_page.contains(&path), "{ballot_page}");
        open_when_due(&app, &e, ballot).await;

        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (_, pack) = observer.get_text(&format!("/ballots/{ballot}/evidence")).await;
        let questions = line(&pack, "questions answered before voting opened");
        assert!(questions.contains("nhsuk-tag--red") && questions.contains("1 of the 1 questions"), "{questions}");
        assert!(pack.contains("asked question"), "the consultation is in the pack's timeline");

        let (status, timeline) = observer.get_text(&format!("{path}/timeline")).await;
        assert_eq!(status, 200);
        let published = timeline.find("Published &quot;Before the vote&quot;").expect("consultation published");
        let asked = timeline.find("asked question").expect("question");
        let ballot_published = timeline.find("Published &quot;Apply for delegated commissioning&quot;").expect("ballot published");
        assert!(published < asked && asked < ballot_published, "in order");
        assert_eq!(rep.get(&format!("{path}/timeline")).await.status(), 403);
    }
}
