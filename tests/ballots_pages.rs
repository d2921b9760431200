//! Ballots through the pages, as an administrator, a representative
//! (signed in, or with the link from the notice) and an observer see them.

mod common;

use common::TestApp;
use common::ballots::{self, ADMIN, OBSERVER, electorate, log_in};

/// London date and time fields `seconds` from now.
fn fields_in(seconds: i64) -> (String, String) {
    let at = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(seconds);
    quorate::time::to_london_fields(at)
}

fn id_from_location(response: &reqwest::Response) -> i64 {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location");
    location
        .trim_start_matches("/ballots/")
        .parse()
        .unwrap_or_else(|_| panic!("not a ballot: {location}"))
}

/// Creates a ballot through the form; `fields` override the defaults.
async fn create_through_form(app: &TestApp, kind: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let form_page = format!("/organisations/08V/ballots/new?kind={kind}");
    let (status, page) = app.get_text(&form_page).await;
    assert_eq!(status, 200, "{page}");
    // Opening a minute from now: the form keeps minutes, so a test waits
    // for the scheduler rather than for the clock.
    let (opens_date, opens_time) = fields_in(120);
    let (closes_date, closes_time) = fields_in(7 * 86_400);
    let mut all: Vec<(&str, &str)> = vec![
        ("kind", kind),
        ("title", "Co-commissioning 2027"),
        ("question", "Which level of co-commissioning should the CCG apply for?"),
        (
            "papers",
            "The board recommends level 2.\n\nThe full papers are on the CCG's website.",
        ),
        ("opens_date", &opens_date),
        ("opens_time", &opens_time),
        ("closes_date", &closes_date),
        ("closes_time", &closes_time),
        ("secrecy", "secret"),
        ("weighting", "per_practice"),
        ("patients_per_vote", "2000"),
        ("quorum_basis", "practices"),
        ("quorum_percent", "50"),
        ("threshold", "gt:1/2"),
        ("threshold_base", "votes_cast"),
        ("choice_rule", "absolute_majority"),
        ("voters", "nominated_or_deputy"),
        ("allow_early_close", "yes"),
        ("reminder_days", "7, 1"),
        (
            "options",
            "Level 1 — greater involvement\nLevel 2 — joint commissioning | A joint committee with NHS England\nLevel 3 — delegated commissioning\nNo change",
        ),
    ];
    for (key, value) in fields {
        all.retain(|(k, _)| k != key);
        all.push((key, value));
    }
    app.submit(&form_page, "/organisations/08V/ballots", &all).await
}

/// Moves the ballot's opening into the past, as the scheduler would find
/// it a minute later, and runs one scheduler round.
async fn open_now(app: &TestApp, id: i64) {
    use diesel::prelude::*;
    use quorate::db::schema::ballots;
    let mut conn = app.pool.get().expect("connection");
    let now = chrono::Utc::now().naive_utc();
    diesel::update(ballots::table.find(i32::try_from(id).expect("id")))
        .set(ballots::opens_at.eq(now - chrono::Duration::seconds(1)))
        .execute(&mut conn)
        .expect("move the opening");
    drop(conn);
    let report = quorate::ballots::service::Scheduler::default()
        .run(&app.pool, &app.outbox(), now)
        .expect("scheduler");
    assert_eq!(report.opened, vec![i32::try_from(id).expect("id")]);
}

backend_tests! {
    async fn a_co_commissioning_ballot_runs_through_the_pages(app: TestApp) {
        let e = electorate(&app, &[4_000, 4_000, 4_000, 4_000]);
        // A fifth member practice has nobody to vote for it.
        let fifth = app.create_member_practice("F84005", "Practice 5", e.organisation_id);
        ballots::set_list_size(&app, fifth, 4_000);
        log_in(&app, ADMIN).await;
        let (status, list) = app.get_text("/organisations/08V/ballots").await;
        assert_eq!(status, 200);
        assert!(list.contains("There are no ballots yet") && list.contains("Create a ballot"));
        let (status, kinds) = app.get_text("/organisations/08V/ballots/new").await;
        assert_eq!(status, 200);
        assert!(kinds.contains("What kind of ballot is it?") && kinds.contains("Co-commissioning level"));
        let (_, preset) = app.get_text("/organisations/08V/ballots/new?kind=co_commissioning").await;
        assert!(preset.contains("Level 3 — delegated commissioning"), "preset options are offered");

        let response = create_through_form(&app, "co_commissioning", &[]).await;
        assert_eq!(response.status(), 303);
        let id = id_from_location(&response);
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("Draft ballot created") && page.contains("Co-commissioning 2027"), "{page}");
        assert!(page.contains("A joint committee with NHS England"));
        assert!(page.contains("Publish and give notice"));

        // Not yet published: practices and observers cannot see it.
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        assert_eq!(rep.get(&format!("/ballots/{id}")).await.status(), 404);

        // Publishing asks first, saying who will be told and who cannot be.
        let publish = format!("/ballots/{id}/publish");
        let (status, confirm) = app.get_text(&publish).await;
        assert_eq!(status, 200, "{confirm}");
        assert!(confirm.contains("5 practices, as the register stands today"), "{confirm}");
        assert!(confirm.contains("1 practice cannot be told") && confirm.contains("Practice 5 (F84005)"), "{confirm}");
        assert!(confirm.contains("4 emails to practices&#x27; voting representatives and deputies, and 1 email to the LMC&#x27;s observers"), "{confirm}");
        let response = app.submit(&publish, &publish, &[]).await;
        assert_eq!(response.status(), 422, "not without confirming the practice that cannot be told");
        let refused = response.text().await.expect("body");
        assert!(refused.contains("There is a problem") && refused.contains("href=\"#confirm-unrepresented\""), "{refused}");
        assert!(refused.contains("no notice and no voting link: F84005"), "{refused}");
        let (_, draft) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(draft.contains("Publish and give notice"), "still a draft");
        let response = app.submit(&publish, &publish, &[("confirm_unrepresented", "F84005")]).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("Ballot published") && page.contains("electorate of 5 practices"), "{page}");
        assert!(page.contains("1 practice has no nominated voting representative and could not be told: Practice 5 (F84005)"), "{page}");
        assert!(page.contains("0 of 5 (0%)"), "turnout for the board");
        let (_, evidence) = app.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(evidence.contains("1 practice had no nominated voting representative to tell, and the board published knowing it: Practice 5 (F84005)"), "{evidence}");

        // Before the opening the representative sees when it opens.
        let (_, before) = rep.get_text(&format!("/ballots/{id}")).await;
        assert!(before.contains("Voting has not opened yet"), "{before}");
        open_now(&app, id).await;

        // Signed in: choose, check, cast, receipt.
        let (status, choose) = rep.get_text(&format!("/ballots/{id}/vote")).await;
        assert_eq!(status, 200, "{choose}");
        assert!(choose.contains("You are voting for Practice 1"));
        let option_key = "level_2_joint_commissioning";
        // No choice: the form again with the error.
        let response = rep.submit(&format!("/ballots/{id}/vote"), &format!("/ballots/{id}/vote/confirm"), &[]).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("Choose an option"));
        let response = rep
            .submit(&format!("/ballots/{id}/vote"), &format!("/ballots/{id}/vote/confirm"), &[("option", option_key)])
            .await;
        assert_eq!(response.status(), 200);
        let confirm = response.text().await.expect("body");
        assert!(confirm.contains("Check your vote") && confirm.contains("Level 2 — joint commissioning"), "{confirm}");
        let csrf = common::csrf_in(&confirm).expect("csrf");
        let response = rep
            .post_form(&format!("/ballots/{id}/vote"), &[("_csrf", &csrf), ("option", option_key), ("practice", "F84001")])
            .await;
        assert_eq!(response.status(), 200);
        let receipt = response.text().await.expect("body");
        assert!(receipt.contains("Vote recorded") && receipt.contains("Your receipt code"), "{receipt}");
        assert!(!receipt.contains("Level 2"), "a secret ballot's receipt page does not repeat the choice");
        // Again: already voted.
        let response = rep
            .post_form(&format!("/ballots/{id}/vote"), &[("_csrf", &csrf), ("option", option_key), ("practice", "F84001")])
            .await;
        assert_eq!(response.status(), 409);
        let refused = response.text().await.expect("body");
        assert!(refused.contains("already voted") && refused.contains("A vote is final once cast"), "{refused}");
        assert!(!refused.contains("first vote counts"), "one rule, stated the same everywhere");
        let (_, after) = rep.get_text(&format!("/ballots/{id}")).await;
        assert!(after.contains("Your practice has voted."));

        // By link, without signing in.
        let links = ballots::voting_links(&app, id);
        for (code, option) in [("F84002", "level_2_joint_commissioning"), ("F84003", "level_3_delegated_commissioning")] {
            let visitor = app.new_visitor();
            let token = &links[e.rep_of(code)];
            let (status, form) = visitor.get_text(&format!("/vote/{token}")).await;
            assert_eq!(status, 200, "{form}");
            assert!(form.contains("<title>Vote: Co-commissioning 2027"), "the title names the ballot: {form}");
            let response = visitor
                .submit(&format!("/vote/{token}"), &format!("/vote/{token}/confirm"), &[("option", option)])
                .await;
            let confirm = response.text().await.expect("body");
            // "Change your choice" keeps the choice made.
            let back = format!("/vote/{token}?option={option}");
            assert!(confirm.contains(&format!("href=\"{}\"", back.replace('=', "&#x3D;"))), "{confirm}");
            let (_, again) = visitor.get_text(&back).await;
            assert!(again.contains(&format!("value=\"{option}\" checked")), "{again}");
            let csrf = common::csrf_in(&confirm).expect("csrf");
            let response = visitor.post_form(&format!("/vote/{token}"), &[("_csrf", &csrf), ("option", option)]).await;
            assert_eq!(response.status(), 200);
            // The link is used up.
            let (status, again) = visitor.get_text(&format!("/vote/{token}")).await;
            assert_eq!(status, 409, "{again}");
        }
        let (status, gone) = app.new_visitor().get_text("/vote/no-such-link").await;
        assert_eq!(status, 410);
        assert!(gone.contains("This voting link does not work"));

        // The observer sees turnout and the electorate, not the votes.
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (_, watched) = observer.get_text(&format!("/ballots/{id}")).await;
        assert!(watched.contains("3 of 5 (60%)"), "{watched}");
        assert!(!watched.contains("Manage the ballot"));
        let (status, electorate) = observer.get_text(&format!("/ballots/{id}/electorate")).await;
        assert_eq!(status, 200);
        assert!(electorate.contains("F84004") && electorate.contains("Not yet"));
        assert_eq!(rep.get(&format!("/ballots/{id}/electorate")).await.status(), 403);

        // Early close (allowed by this ballot) asks first, says who has not
        // voted, and needs a reason; then it counts at once.
        let close = format!("/ballots/{id}/close");
        let (status, confirm) = app.get_text(&close).await;
        assert_eq!(status, 200, "{confirm}");
        assert!(confirm.contains("Close voting early and count") && confirm.contains("This closes voting"), "{confirm}");
        assert!(confirm.contains("3 of 5 practices have voted.") && confirm.contains("Practice 4 (F84004)"), "{confirm}");
        let response = app.submit(&close, &close, &[("reason", "  ")]).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("Enter why voting closes before its published close"));
        let (_, still) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(still.contains("Close voting now and count"), "nothing closed");
        let response = app.submit(&close, &close, &[("reason", "The board's meeting moved forward")]).await;
        assert_eq!(response.status(), 303);
        let (_, closed) = observer.get_text(&format!("/ballots/{id}")).await;
        assert!(closed.contains("Early close") && closed.contains("Reason: The board&#x27;s meeting moved forward"), "{closed}");
        let (_, evidence) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(evidence.contains("Voting was closed early") && evidence.contains("Reason given: The board&#x27;s meeting moved forward"), "{evidence}");
        assert!(evidence.contains("before its published close at"), "on the timeline too: {evidence}");
        let (status, results) = rep.get_text(&format!("/ballots/{id}/results")).await;
        assert_eq!(status, 200);
        // 2 of 3 for level 2: an absolute majority.
        assert!(results.contains("Chosen: Level 2 — joint commissioning with 66.6% of the votes cast"), "{results}");
        assert!(results.contains("<svg") && results.contains("role=\"img\""));
        assert!(results.contains("Votes cast are votes for an option") && results.contains("rounded down"), "one definition, stated");
        assert!(!results.contains("Practices that voted"), "members do not get the list of voters");
        let (_, board_view) = observer.get_text(&format!("/ballots/{id}/results")).await;
        assert!(board_view.contains("Practices that voted") && board_view.contains("Practice 3 (F84003)"));
        let csv = app.get(&format!("/ballots/{id}/results.csv")).await;
        assert_eq!(csv.status(), 200);
        let csv = csv.text().await.expect("csv");
        assert!(csv.contains("overall,level_2_joint_commissioning,Level 2 — joint commissioning,2,2"), "{csv}");
    }

    async fn a_constitution_amendment_shows_its_changes_and_a_recorded_vote_can_change(app: TestApp) {
        let e = electorate(&app, &[5_000, 3_000, 1_000]);
        log_in(&app, ADMIN).await;
        let response = create_through_form(
            &app,
            "constitution_amendment",
            &[
                ("title", "Amend clause 4.2"),
                ("question", "Should clause 4.2 be amended as proposed?"),
                ("current_text", "The Governing Body shall meet at least six times a year."),
                ("proposed_text", "The Governing Body shall meet in public at least ten times a year."),
                ("secrecy", "recorded"),
                ("allow_vote_change", "yes"),
                ("threshold", "gt:1/2"),
                ("threshold_custom", "2/3"),
            ],
        )
        .await;
        assert_eq!(response.status(), 303);
        let id = id_from_location(&response);
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("<del class=\"quorate-del\"><span class=\"nhsuk-u-visually-hidden\">[deleted: </span>six "), "{page}");
        assert!(page.contains("[inserted: </span>in public "), "{page}");
        assert!(page.contains("At least two thirds of the votes cast"));
        assert_eq!(app.submit(&format!("/ballots/{id}"), &format!("/ballots/{id}/publish"), &[]).await.status(), 303);
        open_now(&app, id).await;

        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        for option in ["against", "for"] {
            let response = rep
                .submit(&format!("/ballots/{id}/vote"), &format!("/ballots/{id}/vote/confirm"), &[("option", option)])
                .await;
            let confirm = response.text().await.expect("body");
            assert!(confirm.contains("You can change your practice's vote until voting closes"), "{confirm}");
            let csrf = common::csrf_in(&confirm).expect("csrf");
            let response = rep.post_form(&format!("/ballots/{id}/vote"), &[("_csrf", &csrf), ("option", option), ("practice", "F84001")]).await;
            assert_eq!(response.status(), 200);
        }
        // The last vote counts; the earlier one is in the audit log.
        let mut conn = app.pool.get().expect("connection");
        let ballot = i32::try_from(id).expect("id");
        let recorded = quorate::ballots::store::recorded_votes(&mut conn, ballot).expect("votes");
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].2, "for");
        assert_eq!(quorate::ballots::store::paper_count(&mut conn, ballot).expect("papers"), 1);
        drop(conn);
        let links = ballots::voting_links(&app, id);
        // A link voter changes its vote the same way: the link works again
        // until the close, and the last vote counts.
        let link = &links[e.rep_of("F84002")];
        let (status, _) = ballots::vote_with_link(&app, id, link, "against").await;
        assert_eq!(status, 201);
        let (_, again) = app.new_visitor().get_text(&format!("/vote/{link}/papers")).await;
        assert!(again.contains("Your practice has voted. You can change its vote until the close."), "{again}");
        let (status, changed) = ballots::vote_with_link(&app, id, link, "for").await;
        assert_eq!(status, 201, "{changed}");
        assert_eq!(changed["changed"], true, "{changed}");
        let (status, _) = ballots::vote_with_link(&app, id, &links[e.rep_of("F84003")], "against").await;
        assert_eq!(status, 201);
        let (_, electorate) = app.get_text(&format!("/ballots/{id}/electorate")).await;
        assert!(electorate.contains("F84003"));

        let response = app.submit(&format!("/ballots/{id}/close"), &format!("/ballots/{id}/close"), &[("reason", "All practices have voted")]).await;
        assert_eq!(response.status(), 303);
        let (_, results) = rep.get_text(&format!("/ballots/{id}/results")).await;
        // 2 for, 1 against: exactly two thirds, which is enough ("at least").
        assert!(results.contains("Carried: 66.6% of votes cast for, threshold at least two thirds"), "{results}");
        assert!(results.contains("How each practice voted") && results.contains("Practice 3 (F84003)"));
        let mut conn = app.pool.get().expect("connection");
        let log = quorate::audit::store::all(&mut conn).expect("audit");
        let summaries: Vec<&str> = log.iter().map(|e| e.entry.summary.as_str()).collect();
        assert!(summaries.iter().any(|s| s.ends_with("(F84001) voted: Against")), "{summaries:?}");
        assert!(summaries.iter().any(|s| s.ends_with("(F84001) changed its vote to: For")));
        let _ = e;
    }

    async fn a_draft_with_problems_is_shown_again_with_each_named(app: TestApp) {
        let _e = electorate(&app, &[1_000, 1_000]);
        log_in(&app, ADMIN).await;
        let response = create_through_form(
            &app,
            "general",
            &[("title", ""), ("options", "Only one"), ("opens_date", "2026-02-30"), ("quorum_percent", "lots"), ("threshold_custom", "most"), ("deadline", "9 Jan"), ("deadline_label", "Application to NHS England")],
        )
        .await;
        assert_eq!(response.status(), 422);
        let page = response.text().await.expect("body");
        assert!(page.contains("There is a problem"), "{page}");
        for message in ["Enter a ballot title", "Give between 2 and 20 options", "When voting opens: Enter a real date", "Enter the quorum as a whole percentage", "Enter the share as a fraction", "Enter the deadline as a real date"] {
            assert!(page.contains(message), "{message} missing");
        }
        assert!(page.contains("Which level of co-commissioning"), "answers are kept");
        assert!(page.contains("value=\"9 Jan\"") && page.contains("value=\"Application to NHS England\""), "the deadline is kept");
        let (_, list) = app.get_text("/organisations/08V/ballots").await;
        assert!(list.contains("There are no ballots yet"), "nothing was written");
        // A practice's representative cannot create ballots.
        let rep = app.new_visitor();
        log_in(&rep, "rep-1@practice.example.org").await;
        assert_eq!(rep.get("/organisations/08V/ballots/new").await.status(), 403);
    }
}
