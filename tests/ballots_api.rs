//! Ballots through the JSON API: draft, publish (electorate, links,
//! notices), open, vote with links and tokens, refusals, close, count.

mod common;

use common::ballots::{self, ADMIN, OBSERVER, action, create_ballot, electorate, open_when_due, vote_with_link};
use serde_json::json;

backend_tests! {
    async fn a_motion_runs_from_draft_to_result(app: TestApp) {
        let e = electorate(&app, &[9_323, 2_000, 1_450, 4_000, 6_500]);
        let id = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true, "quorum_percent": 50}})).await;
        let (status, draft) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(draft["state"], "draft");
        assert_eq!(draft["options"].as_array().map(Vec::len), Some(3), "for, against, abstain preset");
        assert_eq!(draft["rules"]["secrecy"], "secret");
        assert_eq!(draft["rules"]["threshold"], "gt:1/2", "an application takes the ordinary majority");

        let (status, published) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 200, "{published}");
        assert_eq!(published["state"], "published");
        assert_eq!(published["electorate"], 5);
        // Five nominated representatives and one LMC observer.
        assert_eq!(published["notices"], 6);
        assert!(published["electorate_digest"].as_str().is_some_and(|d| d.len() == 64));

        // The rules are fixed now.
        let (status, refused) = app
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/ballots/{id}"),
                Some(&e.admin_token),
                Some(json!({"kind": "motion", "motion_kind": "application", "title": "t", "question": "q",
                    "opens_at": ballots::rfc3339_in(60), "closes_at": ballots::rfc3339_in(120)})),
            )
            .await;
        assert_eq!(status, 409, "{refused}");

        let links = ballots::voting_links(&app, id);
        assert_eq!(links.len(), 5, "one link per nominated representative: {links:?}");
        let link_of = |code: &str| links[e.rep_of(code)].clone();

        // Before the opening: refused, saying when it opens.
        let (status, early) = vote_with_link(&app, id, &link_of("F84001"), "for").await;
        assert_eq!(status, 403, "{early}");
        assert!(early["error"]["message"].as_str().unwrap_or_default().contains("opens at"), "{early}");

        open_when_due(&app, &e, id).await;

        let (status, first) = vote_with_link(&app, id, &link_of("F84001"), "for").await;
        assert_eq!(status, 201, "{first}");
        let receipt = first["receipt"].as_str().expect("receipt").to_owned();
        assert_eq!(receipt.len(), 39, "32 characters in groups of four: {receipt}");
        // The same link again, or another option: already voted.
        let (status, again) = vote_with_link(&app, id, &link_of("F84001"), "against").await;
        assert_eq!(status, 409, "{again}");
        assert!(again["error"]["message"].as_str().unwrap_or_default().contains("already voted"));

        // An option the ballot does not have.
        let (status, bad) = vote_with_link(&app, id, &link_of("F84002"), "maybe").await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(bad["error"]["field"], "option");
        // A link that does not exist.
        let (status, _) = vote_with_link(&app, id, "not-a-real-voting-link", "for").await;
        assert_eq!(status, 410);
        // Unreadable body: a clear 400.
        let response = app
            .client
            .post(app.url(&format!("/api/v1/ballots/{id}/votes")))
            .bearer_auth(link_of("F84002"))
            .header("content-type", "application/json")
            .body("{\"option\": ")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 400);

        // A representative with a personal API token votes too.
        let rep_token = quorate::accounts::service::create_api_token_for(&app.pool, e.rep_of("F84002"), "mine")
            .expect("token");
        let (status, _) = vote_with_link(&app, id, &rep_token, "against").await;
        assert_eq!(status, 201);
        // Their link is now of no use.
        let (status, _) = vote_with_link(&app, id, &link_of("F84002"), "for").await;
        assert_eq!(status, 409);
        // The administrator is not in the electorate.
        let (status, forbidden) = vote_with_link(&app, id, &e.admin_token, "for").await;
        assert_eq!(status, 403, "{forbidden}");

        for (code, option) in [("F84003", "against"), ("F84004", "abstain")] {
            let (status, body) = vote_with_link(&app, id, &link_of(code), option).await;
            assert_eq!(status, 201, "{body}");
        }

        // Turnout (a count only) for the board.
        let (_, live) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(live["turnout"], json!({"electorate": 5, "voted": 4}));

        // The electorate, with who voted but not how.
        let (status, electorate) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/electorate"), Some(&e.admin_token), None)
            .await;
        assert_eq!(status, 200);
        let practices = electorate["practices"].as_array().expect("practices");
        assert_eq!(practices.len(), 5);
        assert_eq!(practices.iter().filter(|p| p["voted"] == true).count(), 4);
        assert!(!electorate.to_string().contains("against"));

        // No result before the count.
        let (status, _) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None)
            .await;
        assert_eq!(status, 409);

        // An early close needs its reason.
        let (status, refused) = action(&app, &e, id, "close", Some(json!({"reason": " "}))).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["field"], "reason");
        let (status, closed) = action(&app, &e, id, "close", Some(json!({"reason": "Every practice that will vote has"}))).await;
        assert_eq!(status, 200, "{closed}");
        assert_eq!(closed["state"], "counted");
        // After the close, votes are refused.
        let (status, late) = vote_with_link(&app, id, &link_of("F84005"), "for").await;
        assert_eq!(status, 403);
        assert!(late["error"]["message"].as_str().unwrap_or_default().contains("closed"), "{late}");

        let (status, results) = app
            .api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None)
            .await;
        assert_eq!(status, 200, "{results}");
        // One for, two against, one abstention: 1 of 3 votes cast.
        assert_eq!(results["outcome"]["result"], "not_carried");
        assert_eq!(results["overall"]["turnout"]["practices"], 4);
        assert_eq!(results["overall"]["quorum_met"], true);
        let words = results["in_words"].as_str().unwrap_or_default();
        assert!(words.starts_with("Not carried: 33.3% of votes cast for"), "{words}");
        assert!(words.contains("quorum met: 80% of practices voted (50% needed)"), "{words}");
        assert_eq!(results["voters"].as_array().map(Vec::len), Some(4));
        assert!(results["recorded_votes"].is_null(), "a secret ballot shows nobody's vote");
    }

    async fn notice_period_and_draft_checks_are_enforced(app: TestApp) {
        let e = electorate(&app, &[3_000, 3_000]);
        // A draft with problems: every one is named, nothing is written.
        let (status, body) = app
            .api(
                reqwest::Method::POST,
                "/api/v1/organisations/08V/ballots",
                Some(&e.admin_token),
                Some(json!({"kind": "general", "title": "", "question": "Which?", "options": [{"key": "a", "label": "A"}],
                    "opens_at": "tomorrow", "closes_at": ballots::rfc3339_in(60)})),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let fields: Vec<&str> = body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&"opens_at") && fields.contains(&"title") && fields.contains(&"options"), "{fields:?}");
        let (_, list) = app.api(reqwest::Method::GET, "/api/v1/organisations/08V/ballots", Some(&e.admin_token), None).await;
        assert_eq!(list["ballots"].as_array().map(Vec::len), Some(0));
        // Unknown fields are refused.
        let (status, _) = app
            .api(reqwest::Method::POST, "/api/v1/organisations/08V/ballots", Some(&e.admin_token),
                Some(json!({"kind": "motion", "colour": "red"})))
            .await;
        assert_eq!(status, 400);

        // With 14 days' notice in the constitution, a ballot opening in an
        // hour cannot be published.
        ballots::set_constitution(&app, e.organisation_id, &quorate::registry::constitution::ConstitutionSettings::default());
        let id = create_ballot(&app, &e, json!({"opens_at": ballots::rfc3339_in(3600), "closes_at": ballots::rfc3339_in(7200)})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("14 days' notice"), "{body}");
        let (_, still) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(still["state"], "draft");
        let mut conn = app.pool.get().expect("connection");
        assert_eq!(quorate::ballots::store::electorate_size(&mut conn, i32::try_from(id).expect("id")).expect("count"), 0);

        // Opening before the published time is refused; so is an early
        // close the rules do not allow.
        ballots::set_constitution(&app, e.organisation_id, &quorate::registry::constitution::ConstitutionSettings {
            minimum_notice_days: 0, ..Default::default()
        });
        // A member practice with nobody to tell: publishing names it and
        // waits until the caller confirms exactly that list.
        app.create_member_practice("F84099", "Practice 99", e.organisation_id);
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "practices_without_representative");
        assert!(body["error"]["message"].as_str().unwrap_or_default().ends_with(": F84099"), "{body}");
        let (status, _) = action(&app, &e, id, "publish", Some(json!({"practices_without_representative": ["F84001"]}))).await;
        assert_eq!(status, 422, "not another list");
        let mut conn = app.pool.get().expect("connection");
        assert_eq!(quorate::ballots::store::electorate_size(&mut conn, i32::try_from(id).expect("id")).expect("count"), 0);
        drop(conn);
        let (status, published) = action(&app, &e, id, "publish", Some(json!({"practices_without_representative": ["f84099"]}))).await;
        assert_eq!(status, 200, "{published}");
        assert_eq!(published["practices_without_representative"], json!(["F84099"]));
        let (status, body) = action(&app, &e, id, "open", None).await;
        assert_eq!(status, 409, "{body}");
        // An observer may look but not act.
        let observer_token = quorate::accounts::service::create_api_token_for(&app.pool, OBSERVER, "o").expect("token");
        let (status, _) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&observer_token), None).await;
        assert_eq!(status, 200);
        let (status, _) = app
            .api(reqwest::Method::POST, &format!("/api/v1/ballots/{id}/cancel"), Some(&observer_token), Some(json!({"reason": "x"})))
            .await;
        assert_eq!(status, 403);
        let _ = ADMIN;
    }

    async fn a_cancelled_ballot_sends_nothing_more_and_takes_no_votes(app: TestApp) {
        let e = electorate(&app, &[3_000, 3_000, 3_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let links = ballots::voting_links(&app, id);
        let (status, body) = action(&app, &e, id, "cancel", Some(json!({}))).await;
        assert_eq!(status, 422, "a reason is needed: {body}");
        let (status, body) = action(&app, &e, id, "cancel", Some(json!({"reason": "Papers were wrong"}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "cancelled");
        // The notices not yet sent are withdrawn.
        let mut conn = app.pool.get().expect("connection");
        let messages = quorate::mail::store::for_organisation(&mut conn, e.organisation_id, None, Some(("ballot", i32::try_from(id).expect("id"))), 100).expect("messages");
        assert_eq!(messages.len(), 4);
        assert!(messages.iter().all(|m| m.state == "cancelled"), "{:?}", messages.iter().map(|m| &m.state).collect::<Vec<_>>());
        drop(conn);
        let stats = app.mail_worker(None, &[]).run_until_idle().await.expect("worker");
        assert_eq!(stats.sent, 0);
        ballots::tokio_sleep(2_100).await;
        let token = links.values().next().expect("a link");
        let (status, body) = vote_with_link(&app, id, token, "for").await;
        assert_eq!(status, 403);
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("cancelled: Papers were wrong"), "{body}");
        // A cancelled ballot cannot be cancelled again or opened.
        assert_eq!(action(&app, &e, id, "open", None).await.0, 409);
    }
}
