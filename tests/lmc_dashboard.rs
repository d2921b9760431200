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

        // Against a constitution that wants 14 days, the notice was short.
        common::ballots::set_constitution(&app, e.organisation_id, &quorate::registry::constitution::ConstitutionSettings::default());
        let (_, pack) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(line(&pack, "Notice period met").contains("nhsuk-tag--red") && line(&pack, "Notice period met").contains("requires 14"));

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
}
