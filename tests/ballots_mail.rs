//! A ballot's messages over real SMTP on loopback: notices with working
//! links, receipts, reminders only to practices that have not voted, the
//! extension and the result; and the scheduler inside the server.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use common::ballots::{self, action, create_ballot, electorate, open_when_due, vote_with_link};
use common::smtp::{Received, SmtpSink};
use serde_json::json;

fn text_of(message: &Received) -> String {
    message.parsed().body_text(0).expect("text part").into_owned()
}

fn to(messages: &[Received], subject_part: &str) -> Vec<String> {
    let mut to: Vec<String> = messages
        .iter()
        .filter(|m| m.parsed().subject().unwrap_or_default().contains(subject_part))
        .flat_map(|m| m.to.clone())
        .collect();
    to.sort();
    to
}

async fn deliver(app: &TestApp, sink: &SmtpSink) -> usize {
    app.mail_worker(Some(&sink.url()), &[])
        .run_until_idle()
        .await
        .expect("worker")
        .sent
}

backend_tests! {
    async fn notices_receipts_reminders_extension_and_result_go_out_over_smtp(app: TestApp) {
        let sink = SmtpSink::start();
        let e = electorate(&app, &[2_000, 2_000, 2_000, 2_000]);
        ballots::add_representative(&app, "F84001", e.practices[0].1, "deputy-1@practice.example.org", "deputy");
        let closes = Utc::now() + Duration::days(3);
        let id = create_ballot(
            &app,
            &e,
            json!({"closes_at": closes.to_rfc3339(), "rules": {"reminder_days": [2, 1]}}),
        )
        .await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        // Four nominated representatives, one deputy, one observer.
        assert_eq!(deliver(&app, &sink).await, 6);
        let received = sink.wait_for(6);
        let notices: Vec<&Received> = received.iter().filter(|m| m.parsed().subject().unwrap_or_default().starts_with("Notice of ballot")).collect();
        assert_eq!(notices.len(), 6);
        let rep_notice = notices.iter().find(|m| m.to == vec![e.rep_of("F84002").to_owned()]).expect("notice to F84002");
        let parsed = rep_notice.parsed();
        assert_eq!(parsed.subject(), Some("Notice of ballot: Apply for delegated commissioning – vote for Practice 2"));
        assert!(parsed.body_html(0).expect("HTML part").contains("Vote for Practice 2"));
        let text = text_of(rep_notice);
        assert!(text.contains("Tower Hamlets CCG gives notice") && text.contains("Voting closes:"), "{text}");
        assert!(text.contains("nominated voting representative of Practice 2 (F84002)"), "why they get it");
        // The link in the email works.
        let link = text.lines().find(|l| l.trim().starts_with("http") && l.contains("/vote/")).expect("a voting link").trim().to_owned();
        assert!(text.contains(&format!("{link}/papers (no account needed)")), "the papers, inside the link: {text}");
        let path = link.trim_start_matches(&app.settings.base_url);
        open_when_due(&app, &e, id).await;
        let visitor = app.new_visitor();
        let (status, page) = visitor.get_text(path).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("You are voting for Practice 2"));
        // The observer is told, without a link.
        let observer_notice = notices.iter().find(|m| m.to == vec![ballots::OBSERVER.to_owned()]).expect("observer notice");
        let observer_text = text_of(observer_notice);
        assert!(!observer_text.contains("/vote/") && observer_text.contains("You cannot vote in it"));

        // Two practices vote; each voter gets the receipt code by email.
        let token = path.trim_start_matches("/vote/");
        let (status, cast) = vote_with_link(&app, id, token, "for").await;
        assert_eq!(status, 201);
        let links = ballots::voting_links(&app, id);
        let (status, _) = vote_with_link(&app, id, &links[e.rep_of("F84003")], "against").await;
        assert_eq!(status, 201);
        assert_eq!(deliver(&app, &sink).await, 2);
        let received = sink.wait_for(8);
        let receipt = received.iter().find(|m| m.parsed().subject().unwrap_or_default().starts_with("Your practice's vote was recorded") && m.to == vec![e.rep_of("F84002").to_owned()]).expect("receipt");
        let receipt_text = text_of(receipt);
        assert!(receipt_text.contains(cast["receipt"].as_str().expect("code")), "{receipt_text}");
        assert!(!receipt_text.contains("Vote: For"), "a secret ballot's receipt does not say how");

        // Reminders, two days and one day before the close, only to
        // practices that have not voted (F84001 with its deputy, F84004).
        let mut scheduler = quorate::ballots::service::Scheduler::default();
        let two_days_before = closes.naive_utc() - Duration::days(2) + Duration::minutes(1);
        let report = scheduler.run(&app.pool, &app.outbox(), two_days_before).expect("round");
        assert_eq!(report.reminders, 3);
        assert_eq!(scheduler.run(&app.pool, &app.outbox(), two_days_before).expect("again").reminders, 0, "once only");
        assert_eq!(deliver(&app, &sink).await, 3);
        let received = sink.wait_for(11);
        assert_eq!(
            to(&received, "has not voted yet"),
            vec!["deputy-1@practice.example.org".to_owned(), e.rep_of("F84001").to_owned(), e.rep_of("F84004").to_owned()]
        );
        let (status, _) = vote_with_link(&app, id, &links[e.rep_of("F84004")], "for").await;
        assert_eq!(status, 201);
        let one_day_before = closes.naive_utc() - Duration::days(1) + Duration::minutes(1);
        assert_eq!(scheduler.run(&app.pool, &app.outbox(), one_day_before).expect("round").reminders, 2, "F84004 voted since");

        // The close is extended once, announced to all.
        let new_close = (closes + Duration::days(2)).to_rfc3339();
        let (status, body) = action(&app, &e, id, "extend", Some(json!({"closes_at": new_close, "reason": "Christmas post"}))).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["original_closes_at"].is_string());
        let (status, again) = action(&app, &e, id, "extend", Some(json!({"closes_at": new_close, "reason": "again"}))).await;
        assert_eq!(status, 409, "{again}");
        deliver(&app, &sink).await;
        let received = sink.received();
        let extended: Vec<&Received> = received.iter().filter(|m| m.parsed().subject().unwrap_or_default().starts_with("Voting extended")).collect();
        assert_eq!(extended.len(), 6);
        assert!(text_of(extended[0]).contains("Why: Christmas post"));

        // The count at the close, and the result to all.
        let after_close = (closes + Duration::days(2)).naive_utc() + Duration::minutes(1);
        let report = scheduler.run(&app.pool, &app.outbox(), after_close).expect("round");
        assert_eq!(report.counted, vec![i32::try_from(id).expect("id")]);
        deliver(&app, &sink).await;
        let received = sink.received();
        let results: Vec<&Received> = received.iter().filter(|m| m.parsed().subject().unwrap_or_default().starts_with("Result of ballot")).collect();
        assert_eq!(results.len(), 6);
        // 2 for, 1 against of 4: carried, quorum met.
        assert!(text_of(results[0]).contains("Carried: 66.6% of votes cast for"), "{}", text_of(results[0]));
    }

    async fn publishing_fails_whole_when_list_sizes_are_missing(app: TestApp) {
        let e = electorate(&app, &[2_000, 2_000]);
        let extra = app.create_member_practice("F84999", "No List Size Surgery", e.organisation_id);
        ballots::add_representative(&app, "F84999", extra, "rep-999@practice.example.org", "nominated");
        let id = create_ballot(&app, &e, json!({"rules": {"weighting": "per_patients", "patients_per_vote": 2000}})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("F84999"), "{body}");
        // Nothing of the publication exists: no electorate, no link, no notice.
        let mut conn = app.pool.get().expect("connection");
        let ballot = i32::try_from(id).expect("id");
        assert_eq!(quorate::ballots::store::electorate_size(&mut conn, ballot).expect("count"), 0);
        let messages = quorate::mail::store::for_organisation(&mut conn, e.organisation_id, None, Some(("ballot", ballot)), 100).expect("messages");
        assert!(messages.is_empty());
        drop(conn);
        assert!(ballots::voting_links(&app, id).is_empty());
        let (_, shown) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(shown["state"], "draft");
    }
}

/// The scheduler inside the server opens, closes and counts by itself.
#[actix_web::test]
async fn the_server_keeps_the_timetable_by_itself() {
    let app = common::spawn_app_with(
        common::Backend::Sqlite,
        &[("QUORATE_SCHEDULER", "true"), ("QUORATE_SCHEDULER_INTERVAL_MS", "200")],
    )
    .await;
    let e = electorate(&app, &[1_000, 1_000]);
    let id = create_ballot(
        &app,
        &e,
        json!({"opens_at": ballots::rfc3339_in(5), "closes_at": ballots::rfc3339_in(8)}),
    )
    .await;
    assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
    let links = ballots::voting_links(&app, id);
    let mut state = String::new();
    for _ in 0..120 {
        let (_, body) = app
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/ballots/{id}"),
                Some(&e.admin_token),
                None,
            )
            .await;
        state = body["state"].as_str().unwrap_or_default().to_owned();
        if state == "open" {
            break;
        }
        ballots::tokio_sleep(100).await;
    }
    assert_eq!(state, "open", "opened at its time");
    let (status, _) = vote_with_link(&app, id, &links[e.rep_of("F84001")], "for").await;
    assert_eq!(status, 201);
    let mut results = serde_json::Value::Null;
    for _ in 0..120 {
        let (status, body) = app
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/ballots/{id}/results"),
                Some(&e.admin_token),
                None,
            )
            .await;
        if status == 200 {
            results = body;
            break;
        }
        ballots::tokio_sleep(100).await;
    }
    assert_eq!(
        results["overall"]["turnout"]["practices"], 1,
        "counted at its close: {results}"
    );
    assert_eq!(results["outcome"]["result"], "carried");
}
