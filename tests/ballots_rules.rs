//! The counting rules end to end over HTTP, with hand-worked examples:
//! weights of one vote per 2,000 patients, a dual majority, constituencies
//! that must each carry, a tie among options, a recorded ballot.

mod common;

use common::TestApp;
use common::ballots::{action, create_ballot, electorate, open_when_due, vote_with_link, voting_links};
use serde_json::{Value, json};

/// Publishes, opens, casts `votes` (ODS code → option), closes and counts;
/// returns the results JSON.
async fn run_ballot(app: &TestApp, e: &common::ballots::Electorate, body: Value, votes: &[(&str, &str)]) -> Value {
    let mut body = body;
    body["rules"]["allow_early_close"] = json!(true);
    let id = create_ballot(app, e, body).await;
    let (status, published) = action(app, e, id, "publish", None).await;
    assert_eq!(status, 200, "{published}");
    open_when_due(app, e, id).await;
    let links = voting_links(app, id);
    for (code, option) in votes {
        let (status, cast) = vote_with_link(app, id, &links[e.rep_of(code)], option).await;
        assert_eq!(status, 201, "{code}: {cast}");
    }
    let (status, closed) = action(app, e, id, "close", None).await;
    assert_eq!(status, 200, "{closed}");
    let (status, results) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/results"),
            Some(&e.admin_token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{results}");
    results
}

fn option(scope: &Value, key: &str) -> (u64, u64) {
    let found = scope["options"]
        .as_array()
        .and_then(|options| options.iter().find(|o| o["key"] == key))
        .unwrap_or_else(|| panic!("no option {key}"));
    (
        found["practices"].as_u64().unwrap_or(0),
        found["weight"].as_u64().unwrap_or(0),
    )
}

backend_tests! {
    async fn one_vote_per_2000_patients_with_and_without_a_dual_majority(app: TestApp) {
        // 9,323, 2,000 and 1,450 patients: 5, 1 and 1 votes.
        let e = electorate(&app, &[9_323, 2_000, 1_450]);
        let weighted = json!({"weighting": "per_patients", "patients_per_vote": 2000, "quorum_basis": "none"});
        let votes = [("F84001", "for"), ("F84002", "against"), ("F84003", "against")];
        let results = run_ballot(&app, &e, json!({"rules": weighted.clone()}), &votes).await;
        assert_eq!(option(&results["overall"], "for"), (1, 5));
        assert_eq!(option(&results["overall"], "against"), (2, 2));
        assert_eq!(results["overall"]["electorate"], json!({"practices": 3, "weight": 7}));
        assert_eq!(results["outcome"]["result"], "carried", "5 of 7 weighted votes");
        let words = results["in_words"].as_str().unwrap_or_default();
        assert!(words.starts_with("Carried: 71.4% by weight of votes cast for"), "{words}");

        // With a dual majority, one practice of three is not a majority.
        let mut dual = weighted;
        dual["dual_majority"] = json!(true);
        let results = run_ballot(&app, &e, json!({"rules": dual, "title": "Dual"}), &votes).await;
        assert_eq!(results["outcome"]["result"], "not_carried");
        let words = results["in_words"].as_str().unwrap_or_default();
        assert!(words.contains("33.3% of practices and 71.4% by weight"), "{words}");
    }

    async fn a_question_must_carry_in_every_constituency(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000, 1_000, 1_000]);
        let constituencies = json!({"F84001": "North", "F84002": "North", "F84003": "South", "F84004": "South"});
        let results = run_ballot(
            &app,
            &e,
            json!({"kind": "motion", "motion_kind": "merger", "rules": {"constituencies": constituencies, "threshold": "gt:1/2"}}),
            &[("F84001", "for"), ("F84002", "for"), ("F84003", "for"), ("F84004", "against")],
        )
        .await;
        assert_eq!(results["overall"]["outcome"]["result"], "carried", "3 of 4 overall");
        let scopes = results["constituencies"].as_array().expect("constituencies");
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0]["name"], "North");
        assert_eq!(scopes[0]["outcome"]["result"], "carried");
        assert_eq!(scopes[1]["name"], "South");
        assert_eq!(scopes[1]["outcome"]["result"], "not_carried", "1 of 2 is not more than half");
        assert_eq!(results["outcome"]["result"], "not_carried");
        let words = results["in_words"].as_str().unwrap_or_default();
        assert!(words.contains("but not in South"), "{words}");

        // A constituency map that misses a practice cannot be published.
        let id = create_ballot(&app, &e, json!({"title": "Incomplete", "rules": {"constituencies": {"F84001": "North"}}})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 422);
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("F84002, F84003, F84004"), "{body}");
    }

    async fn a_tie_among_options_is_reported_not_decided(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000, 1_000, 1_000]);
        let results = run_ballot(
            &app,
            &e,
            json!({"kind": "general", "question": "Where should the members' meeting be held?",
                "options": [{"key": "bow", "label": "Bow"}, {"key": "poplar", "label": "Poplar"}, {"key": "wapping", "label": "Wapping"}]}),
            &[("F84001", "bow"), ("F84002", "poplar"), ("F84003", "bow"), ("F84004", "poplar")],
        )
        .await;
        assert_eq!(results["outcome"], json!({"result": "tie", "options": ["bow", "poplar"]}));
        let words = results["in_words"].as_str().unwrap_or_default();
        assert!(words.starts_with("Tie: Bow and Poplar have exactly the same votes"), "{words}");
    }

    async fn a_recorded_ballot_shows_each_practices_vote_after_the_count(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000, 1_000]);
        let results = run_ballot(
            &app,
            &e,
            json!({"kind": "motion", "motion_kind": "remove_member", "motion_subject": "Dr A. Example",
                "rules": {"secrecy": "recorded"}}),
            &[("F84001", "for"), ("F84002", "against"), ("F84003", "for")],
        )
        .await;
        let recorded = results["recorded_votes"].as_array().expect("recorded votes");
        assert_eq!(recorded.len(), 3);
        assert_eq!(recorded[1], json!({"practice": "F84002", "name": "Practice 2", "option": "against"}));
        // Removal needs two thirds (the constitution's default): 2 of 3 is enough.
        assert_eq!(results["outcome"]["result"], "carried", "{results}");
        // A secret ballot may not let votes change.
        let (status, body) = app
            .api(
                reqwest::Method::POST,
                "/api/v1/organisations/08V/ballots",
                Some(&e.admin_token),
                Some(json!({"kind": "motion", "motion_kind": "recall", "title": "t", "question": "q",
                    "opens_at": common::ballots::rfc3339_in(60), "closes_at": common::ballots::rfc3339_in(120),
                    "rules": {"allow_vote_change": true}})),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "allow_vote_change", "{body}");
    }
}
