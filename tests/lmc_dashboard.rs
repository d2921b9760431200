//! The LMC dashboard and evidence pack: each check green, amber or red,
//! from the data; red when a notice failed or the notice was short.

mod common;

use common::ballots::{
    OBSERVER, action, add_representative, create_ballot, electorate, log_in, open_when_due, vote_with_link,
    voting_links,
};
use common::smtp::SmtpSink;
use serde_json::json;

fn line<'a>(page: &'a str, check: &str) -> &'a str {
    let start = page.find(check).unwrap_or_else(|| panic!("no line {check}"));
    &page[start..start + page[start..].find("</tr>").expect("row end")]
}

backend_tests! {
    async fn the_checklist_shows_what_went_well_and_what_did_not(app: TestApp) {
        let sink = SmtpSink::start();
        let e = electorate(&app, &[1_000, 1_000, 1_000]);
        let extra = app.create_member_practice("F84009", "Bounce Surgery", e.organisation_id);
        add_representative(&app, "F84009", extra, "rep@bounce.example.org", "nominated");
        app.create_user("ro@example.org", "returning_officer", Some("08V"));
        let id = create_ballot(&app, &e, json!({"papers": "The board's paper on delegation.", "rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");

        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (status, dashboard) = observer.get_text("/lmc").await;
        assert_eq!(status, 200, "{dashboard}");
        assert!(dashboard.contains("Tower Hamlets CCG (08V)") && dashboard.contains("Apply for delegated commissioning"));
        assert!(dashboard.contains("nhsuk-tag--red") && dashboard.contains("1 failed"), "{dashboard}");
        let (status, pack) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert_eq!(status, 200);
        assert!(line(&pack, "Every practice sent a notice").contains("nhsuk-tag--red"));
        assert!(line(&pack, "Notice period met").contains("nhsuk-tag--green"), "0 days were required");
        assert!(line(&pack, "Papers published before the opening").contains("nhsuk-tag--green"));
        assert!(line(&pack, "Quorum and threshold").contains("Not counted yet"));
        assert!(line(&pack, "Electorate matches the register").contains("nhsuk-tag--green"));
        assert!(line(&pack, "Audit chain intact").contains("nhsuk-tag--green"));
        assert!(pack.contains("Published &quot;Apply for delegated commissioning&quot;"), "the timeline: {pack}");

        // The constitution changed after publication (to 14 days): the ballot
        // is judged by the rules in force when notice was given.
        common::ballots::set_constitution(&app, e.organisation_id, &quorate::registry::constitution::ConstitutionSettings::default());
        let (_, pack) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        let notice = line(&pack, "Notice period met");
        assert!(notice.contains("nhsuk-tag--green") && notice.contains("in force at publication requires 0"), "{notice}");

        // Counted and certified: those lines turn green.
        open_when_due(&app, &e, id).await;
        let links = voting_links(&app, id);
        for code in ["F84001", "F84002", "F84003"] {
            assert_eq!(vote_with_link(&app, id, &links[e.rep_of(code)], "for").await.0, 201);
        }
        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
        let officer = app.new_visitor();
        log_in(&officer, "ro@example.org").await;
        let page = format!("/ballots/{id}/certificate");
        assert_eq!(officer.submit(&page, &page, &[]).await.status(), 303);
        let (_, pack) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(line(&pack, "Quorum and threshold").contains("nhsuk-tag--green"), "{pack}");
        assert!(line(&pack, "Certificate signature valid").contains("nhsuk-tag--green"));
        assert!(pack.contains("Certified result:"));

        // Practices cannot see the pack; the dashboard is for observers.
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        assert_eq!(rep.get(&format!("/ballots/{id}/evidence")).await.status(), 403);
        assert_eq!(rep.get("/lmc").await.status(), 403);
    }

    // The notice was cut from 14 days to 0 minutes before publishing: the
    // rules in force at publication are frozen with the ballot and shown,
    // and the change is amber on the checklist and on the ballot's timeline.
    async fn a_notice_period_cut_just_before_publishing_is_flagged(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        let board = app.new_visitor();
        log_in(&board, common::ballots::ADMIN).await;
        let settings = |notice: &'static str, reason: &'static str| {
            vec![
                ("weighting", "per_practice"), ("patients_per_vote", "2000"), ("quorum_basis", "practices"),
                ("quorum_percent", "50"), ("ordinary_threshold", "gt:1/2"), ("amendment_threshold", "ge:2/3"),
                ("removal_threshold", "ge:2/3"), ("dissolution_threshold", "ge:3/4"), ("minimum_notice_days", notice),
                ("voters", "nominated_or_deputy"), ("reason", reason),
            ]
        };
        let page = "/organisations/08V/settings";
        assert_eq!(board.submit(page, page, &settings("14", "The constitution as adopted")).await.status(), 303);
        assert_eq!(board.submit(page, page, &settings("0", "The deadline is close")).await.status(), 303);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        // Changed again after publication: the ballot keeps what was in force.
        assert_eq!(board.submit(page, page, &settings("21", "Back to a proper notice")).await.status(), 303);

        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (status, pack) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert_eq!(status, 200);
        let notice = line(&pack, "Notice period met");
        assert!(notice.contains("nhsuk-tag--yellow") && notice.contains("in force at publication requires 0") && notice.contains("required 14 days"), "{notice}");
        let run_up = line(&pack, "Constitution unchanged in the run-up to the notice");
        assert!(run_up.contains("nhsuk-tag--yellow") && run_up.contains("The deadline is close") && run_up.contains("minutes before the notice"), "{run_up}");
        assert!(!run_up.contains("Back to a proper notice"), "a change after publication is not in the run-up");
        assert!(pack.contains("Reason: The deadline is close"), "the change is on the timeline: {pack}");
        let (_, ballot_page) = observer.get_text(&format!("/ballots/{id}")).await;
        let frozen = &ballot_page[ballot_page.find("The constitution when notice was given").expect("frozen settings shown")..];
        assert!(frozen.contains("Minimum notice") && frozen.contains("0 days"), "{frozen}");
    }

    async fn a_ballot_timed_too_late_for_its_deadline_is_flagged_everywhere(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        // The result is needed in two days: closing in an hour is on time...
        let deadline = (chrono::Utc::now() + chrono::Duration::days(10)).date_naive();
        let on_time = create_ballot(
            &app,
            &e,
            json!({"deadline": deadline.to_string(), "deadline_label": "Application to NHS England"}),
        )
        .await;
        // ...closing the day before the deadline leaves no working day to certify.
        let late_close = (deadline - chrono::Duration::days(1)).and_hms_opt(16, 0, 0).expect("time").and_utc();
        let late = create_ballot(
            &app,
            &e,
            json!({"title": "Late", "deadline": deadline.to_string(), "closes_at": late_close.to_rfc3339()}),
        )
        .await;
        let (status, json) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{late}"), Some(&e.admin_token), None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(json["deadline"], json!(deadline.to_string()));
        assert_eq!(json["deadline_label"], json!(null));

        let board = app.new_visitor();
        log_in(&board, common::ballots::ADMIN).await;
        let (_, page) = board.get_text(&format!("/ballots/{on_time}")).await;
        assert!(page.contains("Result needed by") && page.contains("(Application to NHS England)"), "{page}");
        assert!(!page.contains("This timetable may miss the deadline"), "{page}");
        let (_, page) = board.get_text(&format!("/ballots/{late}")).await;
        assert!(page.contains("This timetable may miss the deadline") && page.contains("Voting closes on"), "{page}");
        assert!(page.contains(&format!("/organisations/08V/planner?deadline&#x3D;{deadline}")), "{page}");
        let (_, publish) = board.get_text(&format!("/ballots/{late}/publish")).await;
        assert!(publish.contains("This timetable may miss the deadline"), "{publish}");

        for id in [on_time, late] {
            assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        }
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (_, dashboard) = observer.get_text("/lmc").await;
        assert!(dashboard.contains("(Application to NHS England)") && !dashboard.contains("No deadline given"), "{dashboard}");
        let (_, pack) = observer.get_text(&format!("/ballots/{on_time}/evidence")).await;
        assert!(line(&pack, "Timetable leaves time for the deadline").contains("nhsuk-tag--green"), "{pack}");
        let (_, pack) = observer.get_text(&format!("/ballots/{late}/evidence")).await;
        let flagged = line(&pack, "Timetable leaves time for the deadline");
        assert!(flagged.contains("nhsuk-tag--yellow") && flagged.contains("Voting closes on"), "{flagged}");

        // A deadline in the past, a label without a date and a bad date are refused.
        for (extra, message) in [
            (json!({"deadline": "2015-01-09"}), "The deadline must be today or later"),
            (json!({"deadline_label": "Application"}), "Enter the date of the deadline"),
            (json!({"deadline": "9/1/2027"}), "deadline must be a date like 2015-01-09"),
        ] {
            let mut body = json!({
                "kind": "motion", "motion_kind": "application", "title": "T", "question": "Q?",
                "opens_at": common::ballots::rfc3339_in(60), "closes_at": common::ballots::rfc3339_in(3600),
                "rules": {"secrecy": "secret"},
            });
            body.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
            let (status, refused) = app
                .api(reqwest::Method::POST, "/api/v1/organisations/08V/ballots", Some(&e.admin_token), Some(body))
                .await;
            assert_eq!(status, 422, "{refused}");
            assert!(refused.to_string().contains(message), "{refused}");
        }
    }
}
