//! Suspending, resuming and voiding a ballot, and its re-run: votes are
//! refused on every path while voting is suspended and nothing is counted;
//! resuming announces the new close; a void ballot's papers never reach a
//! public document, and its re-run has a fresh electorate and fresh links.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use common::ballots::{
    self, ADMIN, OBSERVER, action, create_ballot, electorate, log_in, open_when_due, vote_with_link,
};
use diesel::prelude::*;
use serde_json::json;

fn templates_sent(app: &TestApp, organisation_id: i32, ballot_id: i64) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("connection");
    quorate::mail::store::for_organisation(
        &mut conn,
        organisation_id,
        None,
        Some(("ballot", i32::try_from(ballot_id).expect("id"))),
        10_000,
    )
    .expect("messages")
    .into_iter()
    .map(|m| (m.template, m.recipient_email))
    .collect()
}

fn recipients_of(sent: &[(String, String)], template: &str) -> Vec<String> {
    let mut to: Vec<String> = sent
        .iter()
        .filter(|(t, _)| t == template)
        .map(|(_, to)| to.clone())
        .collect();
    to.sort();
    to
}

/// Moves the ballot's close into the past, as if its time had come.
fn close_time_passes(app: &TestApp, id: i64) {
    use quorate::db::schema::ballots;
    let mut conn = app.pool.get().expect("connection");
    diesel::update(ballots::table.find(i32::try_from(id).expect("id")))
        .set(ballots::closes_at.eq(Utc::now().naive_utc() - Duration::seconds(5)))
        .execute(&mut conn)
        .expect("move the close");
}

const OFFICER: &str = "officer@example.org";

/// Issues the certificate as the returning officer (created here: once a test).
async fn certify(app: &TestApp, id: i64) -> serde_json::Value {
    app.create_user(OFFICER, "returning_officer", Some("08V"));
    let token = quorate::accounts::service::create_api_token_for(&app.pool, OFFICER, "test").expect("token");
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/certificate"),
            Some(&token),
            Some(json!({"statement": "I certify this result."})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn run_scheduler(app: &TestApp) -> quorate::ballots::service::ScheduleReport {
    quorate::ballots::service::Scheduler::default()
        .run(&app.pool, &app.outbox(), Utc::now().naive_utc())
        .expect("scheduler")
}

backend_tests! {
    async fn a_suspended_ballot_takes_no_votes_and_counts_nothing_until_it_resumes(app: TestApp) {
        let e = electorate(&app, &[3_000, 5_000, 7_000]);
        let id = create_ballot(&app, &e, json!({"closes_at": ballots::rfc3339_in(6 * 3600)})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 200, "{body}");
        open_when_due(&app, &e, id).await;
        let links = ballots::voting_links(&app, id);
        let (status, body) = vote_with_link(&app, id, &links[e.rep_of("F84001")], "for").await;
        assert_eq!(status, 201, "{body}");

        // A reason is needed.
        let (status, body) = action(&app, &e, id, "suspend", Some(json!({"reason": "  "}))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "reason", "{body}");
        let (status, body) = action(
            &app,
            &e,
            id,
            "suspend",
            Some(json!({"reason": "Voting links for two practices went to a former practice manager"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "open");
        assert!(body["suspended"]["reason"].as_str().unwrap_or_default().contains("former practice manager"), "{body}");
        let (status, body) = action(&app, &e, id, "suspend", Some(json!({"reason": "again"}))).await;
        assert_eq!(status, 409, "a second suspension while suspended: {body}");

        // Every way to vote is refused, saying why.
        let (status, body) = vote_with_link(&app, id, &links[e.rep_of("F84002")], "against").await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("Voting is suspended"), "{body}");
        let visitor = app.new_visitor();
        let (status, page) = visitor.get_text(&format!("/vote/{}", links[e.rep_of("F84002")])).await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("Voting is suspended") && page.contains("former practice manager"), "{page}");
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84003")).await;
        let (status, page) = rep.get_text(&format!("/ballots/{id}/vote")).await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("Voting is suspended"), "{page}");

        // Nothing closes, counts or is reminded while suspended, even after
        // the published close; the returning officer cannot close or extend.
        close_time_passes(&app, id);
        let report = run_scheduler(&app);
        assert!(report.counted.is_empty(), "{report:?}");
        let (status, body) = action(&app, &e, id, "close", None).await;
        assert_eq!(status, 409, "{body}");
        let (status, body) = action(
            &app,
            &e,
            id,
            "extend",
            Some(json!({"closes_at": ballots::rfc3339_in(7200), "reason": "more time"})),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        let (_, body) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None)
            .await;
        assert_eq!(body["state"], "open", "{body}");

        // Resuming: the new close must be in the future, and give back the
        // time that was left (about six hours) or say why not.
        let (status, body) = action(&app, &e, id, "resume", Some(json!({"closes_at": ballots::rfc3339_in(-60)}))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "closes_at", "{body}");
        let (status, body) = action(&app, &e, id, "resume", Some(json!({"closes_at": ballots::rfc3339_in(3600)}))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "reason", "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("left when it was suspended"), "{body}");
        let new_close = ballots::rfc3339_in(3600);
        let (status, body) = action(
            &app,
            &e,
            id,
            "resume",
            Some(json!({"closes_at": new_close, "reason": "The board must decide before the NHS England deadline"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["suspended"].is_null(), "{body}");
        assert_eq!(body["closes_at"], new_close.as_str(), "{body}");
        assert_eq!(body["suspensions"][0]["short_reason"], "The board must decide before the NHS England deadline");

        // Voting works again, and the count happens at the new close.
        let (status, body) = vote_with_link(&app, id, &links[e.rep_of("F84002")], "against").await;
        assert_eq!(status, 201, "{body}");
        let sent = templates_sent(&app, e.organisation_id, id);
        let everyone = {
            let mut all: Vec<String> = e.practices.iter().map(|(_, _, email)| email.clone()).collect();
            all.push(OBSERVER.to_owned());
            all.sort();
            all
        };
        assert_eq!(recipients_of(&sent, "ballot_suspended"), everyone);
        assert_eq!(recipients_of(&sent, "ballot_resumed"), everyone);
        close_time_passes(&app, id);
        let report = run_scheduler(&app);
        assert_eq!(report.counted, vec![i32::try_from(id).expect("id")]);

        // The certificate's timeline shows the suspension.
        let body = certify(&app, id).await;
        let suspensions = &body["certificate"]["timeline"]["suspensions"];
        assert_eq!(suspensions.as_array().map(Vec::len), Some(1), "{body}");
        assert!(suspensions[0]["reason"].as_str().unwrap_or_default().contains("former practice manager"));
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (status, page) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Voting ran without suspension") && page.contains("former practice manager"), "{page}");
    }

    async fn a_void_ballot_is_never_counted_and_its_rerun_has_a_fresh_electorate_and_links(app: TestApp) {
        let e = electorate(&app, &[3_000, 5_000, 7_000]);
        let id = create_ballot(&app, &e, json!({"closes_at": ballots::rfc3339_in(6 * 3600)})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 200, "{body}");
        open_when_due(&app, &e, id).await;
        let old_links = ballots::voting_links(&app, id);
        for code in ["F84001", "F84002"] {
            let (status, body) = vote_with_link(&app, id, &old_links[e.rep_of(code)], "for").await;
            assert_eq!(status, 201, "{body}");
        }
        // Only after an investigation: voting must be suspended first.
        let (status, body) = action(&app, &e, id, "void", Some(json!({"reason": "The electorate was wrong"}))).await;
        assert_eq!(status, 409, "{body}");
        let (status, _) = action(&app, &e, id, "suspend", Some(json!({"reason": "A practice that merged still has a vote"}))).await;
        assert_eq!(status, 200);
        let (status, body) = action(&app, &e, id, "void", Some(json!({"reason": ""}))).await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = action(
            &app,
            &e,
            id,
            "void",
            Some(json!({"reason": "The electorate included a practice that had merged; the result cannot stand"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "void", "{body}");
        let rerun = body["rerun_ballot_id"].as_i64().expect("a re-run");
        assert_eq!(body["void"]["rerun_ballot_id"], rerun);

        // The void ballot: no votes, no count, no public document.
        let (status, body) = vote_with_link(&app, id, &old_links[e.rep_of("F84003")], "for").await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("declared void"), "{body}");
        let visitor = app.new_visitor();
        let (status, page) = visitor.get_text(&format!("/vote/{}", old_links[e.rep_of("F84003")])).await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("declared void") && page.contains("new voting link"), "{page}");
        close_time_passes(&app, id);
        assert!(run_scheduler(&app).counted.is_empty());
        for path in ["results", "board.json", "certificate.json", "results.csv"] {
            let (status, text) = visitor.get_text(&format!("/ballots/{id}/{path}")).await;
            assert_ne!(status, 200, "/ballots/{id}/{path} of a void ballot: {text}");
        }
        let (status, body) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None)
            .await;
        assert_ne!(status, 200, "{body}");
        let sent = templates_sent(&app, e.organisation_id, id);
        assert_eq!(recipients_of(&sent, "ballot_void").len(), 4, "{sent:?}");

        // The re-run: a draft with the same question and options, linked back.
        let (status, draft) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{rerun}"), Some(&e.admin_token), None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(draft["state"], "draft");
        assert_eq!(draft["question"], "Should the CCG apply to NHS England for delegated commissioning?");
        assert_eq!(draft["rerun_of"]["ballot_id"], id, "{draft}");
        assert_eq!(draft["options"].as_array().map(Vec::len), Some(3));

        // Its electorate is frozen when it is published: the register has
        // changed since, and every practice gets a new link.
        let fourth = app.create_member_practice("F84004", "Practice 4", e.organisation_id);
        ballots::set_list_size(&app, fourth, 2_000);
        ballots::add_representative(&app, "F84004", fourth, "rep-4@practice.example.org", "nominated");
        let (status, body) = action(&app, &e, rerun, "publish", None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["electorate"], 4, "{body}");
        open_when_due(&app, &e, rerun).await;
        let new_links = ballots::voting_links(&app, rerun);
        assert_eq!(new_links.len(), 4);
        for (email, token) in &new_links {
            assert!(old_links.get(email) != Some(token), "{email} got the old link again");
        }
        let (status, body) = vote_with_link(&app, rerun, &old_links[e.rep_of("F84003")], "for").await;
        assert_ne!(status, 201, "an old link cannot vote in the re-run: {body}");
        let (status, body) = vote_with_link(&app, rerun, &new_links[e.rep_of("F84003")], "against").await;
        assert_eq!(status, 201, "{body}");

        // Pages of both say so, and the LMC's checklist has an amber line.
        log_in(&app, ADMIN).await;
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("Declared void") && page.contains(&format!("/ballots/{rerun}")), "{page}");
        let (_, page) = app.get_text(&format!("/ballots/{rerun}")).await;
        assert!(page.contains("re-runs a ballot declared void") && page.contains(&format!("/ballots/{id}\"")), "{page}");
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (status, page) = observer.get_text(&format!("/ballots/{rerun}/evidence")).await;
        assert_eq!(status, 200);
        assert!(page.contains("A re-run of a void ballot") && page.contains("had merged"), "{page}");
        let (_, page) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(page.contains("Declared void"), "{page}");

        // Counted, the re-run's certificate names the void ballot.
        close_time_passes(&app, rerun);
        assert_eq!(run_scheduler(&app).counted, vec![i32::try_from(rerun).expect("id")]);
        let body = certify(&app, rerun).await;
        assert_eq!(body["certificate"]["timeline"]["rerun_of"]["ballot_id"], id, "{body}");
        assert_eq!(body["certificate"]["votes"]["cast"], 1, "only the re-run's vote counts: {body}");
        let (_, page) = app.get_text(&format!("/ballots/{rerun}/results")).await;
        assert!(page.contains("re-ran a ballot declared void") && page.contains("had merged"), "{page}");
    }

    async fn the_pages_suspend_resume_and_void_with_clear_errors(app: TestApp) {
        let e = electorate(&app, &[3_000, 5_000]);
        let id = create_ballot(&app, &e, json!({"closes_at": ballots::rfc3339_in(6 * 3600)})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        log_in(&app, ADMIN).await;
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains(&format!("/ballots/{id}/suspend")) && !page.contains(&format!("/ballots/{id}/resume")), "{page}");

        let form = format!("/ballots/{id}/suspend");
        let response = app.submit(&form, &form, &[("reason", "")]).await;
        assert_eq!(response.status(), 422);
        let text = response.text().await.expect("body");
        assert!(text.contains("Enter why voting is suspended") && text.contains("href=\"#reason\""), "{text}");
        let response = app.submit(&form, &form, &[("reason", "A complaint about the notice is being looked into")]).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("Voting is suspended") && page.contains("A complaint about the notice"), "{page}");
        assert!(page.contains(&format!("/ballots/{id}/resume")) && page.contains(&format!("/ballots/{id}/void")), "{page}");
        assert!(!page.contains(&format!("/ballots/{id}/extend")), "no extension while suspended");
        let (_, list) = app.get_text("/organisations/08V/ballots").await;
        assert!(list.contains("Voting suspended"), "{list}");
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        let (_, home) = rep.get_text("/").await;
        assert!(home.contains("Voting is suspended while something is looked into") && !home.contains(&format!("/ballots/{id}/vote\"")), "{home}");
        assert!(!home.contains("Voting closes: Apply for delegated commissioning"), "no close is coming up while suspended: {home}");

        // The resume form offers the close that gives the time back.
        let form = format!("/ballots/{id}/resume");
        let (status, page) = app.get_text(&form).await;
        assert_eq!(status, 200);
        assert!(page.contains("left when it was suspended") && page.contains("name=\"closes_date\" type=\"date\" value=\"20"), "{page}");
        let response = app
            .submit(&form, &form, &[("closes_date", "2027-02-30"), ("closes_time", "17:00"), ("reason", "")])
            .await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("Enter a real date"));
        let soon = Utc::now().naive_utc() + Duration::hours(1);
        let (date, time) = quorate::time::to_london_fields(soon);
        let response = app.submit(&form, &form, &[("closes_date", &date), ("closes_time", &time), ("reason", "")]).await;
        assert_eq!(response.status(), 422);
        let text = response.text().await.expect("body");
        assert!(text.contains("href=\"#short-reason\"") && text.contains("say why less time is enough"), "{text}");
        let later = Utc::now().naive_utc() + Duration::hours(8);
        let (date, time) = quorate::time::to_london_fields(later);
        let response = app.submit(&form, &form, &[("closes_date", &date), ("closes_time", &time), ("reason", "")]).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(!page.contains("Voting is suspended") && page.contains("Suspended at"), "{page}");

        // Void from the page, without a re-run.
        let suspend = format!("/ballots/{id}/suspend");
        assert_eq!(app.submit(&suspend, &suspend, &[("reason", "Again")]).await.status(), 303);
        let form = format!("/ballots/{id}/void");
        let response = app.submit(&form, &form, &[("reason", "Found wanting"), ("rerun", "maybe")]).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.expect("body").contains("Choose whether to create the re-run now"));
        let response = app.submit(&form, &form, &[("reason", "Found wanting"), ("rerun", "no")]).await;
        assert_eq!(response.status(), 303);
        let (_, page) = app.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("Declared void") && page.contains("Found wanting") && !page.contains("Go to the re-run"), "{page}");
        let (_, list) = app.get_text("/organisations/08V/ballots").await;
        assert!(list.contains(">Void<"), "{list}");
        let response = app.submit(&format!("/ballots/{id}"), &suspend, &[("reason", "Once more")]).await;
        assert_eq!(response.status(), 409, "a void ballot cannot be suspended");
    }
}
