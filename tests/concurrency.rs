//! Concurrent writes through every writing service: on SQLite each one
//! claims the write lock at the start of its transaction (waiting its turn)
//! rather than failing with "database is locked" when another writer got in
//! between its read and its write. On PostgreSQL the same requests must
//! pass too.

mod common;

use common::ballots::{ADMIN, action, create_ballot, electorate, open_when_due, rfc3339_in};
use futures_util::future::join_all;
use serde_json::{Value, json};

/// Every answer of a burst, so a failure names them all.
fn statuses(answers: &[(u16, Value)]) -> Vec<u16> {
    answers.iter().map(|(s, _)| *s).collect()
}

fn assert_all(answers: &[(u16, Value)], expected: u16, what: &str) {
    let failed: Vec<&(u16, Value)> = answers.iter().filter(|(s, _)| *s != expected).collect();
    assert!(
        failed.is_empty(),
        "{what}: {} of {} failed: {failed:?}",
        failed.len(),
        answers.len()
    );
}

backend_tests! {
    async fn one_hundred_and_fifteen_drafts_created_at_once_all_land(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        let answers = join_all((0..115).map(|i| {
            let (app, token) = (&app, e.admin_token.clone());
            async move {
                app.api(reqwest::Method::POST, "/api/v1/organisations/08V/ballots", Some(&token), Some(json!({
                    "kind": "motion", "motion_kind": "application",
                    "title": format!("Draft {i}"), "question": "Apply for delegated commissioning?",
                    "opens_at": rfc3339_in(600), "closes_at": rfc3339_in(3600),
                    "rules": {"secrecy": "secret"},
                }))).await
            }
        }))
        .await;
        assert_all(&answers, 201, "draft creation");
        let (_, list) = app.api(reqwest::Method::GET, "/api/v1/organisations/08V/ballots", Some(&e.admin_token), None).await;
        assert_eq!(list["ballots"].as_array().map(Vec::len), Some(115), "{list}");

        // The same drafts edited at once: each edit lands on its own draft.
        let ids: Vec<i64> = answers.iter().filter_map(|(_, b)| b["id"].as_i64()).collect();
        let edits = join_all(ids.iter().map(|id| {
            let (app, token) = (&app, e.admin_token.clone());
            async move {
                app.api(reqwest::Method::PUT, &format!("/api/v1/ballots/{id}"), Some(&token), Some(json!({
                    "kind": "motion", "motion_kind": "application",
                    "title": format!("Edited {id}"), "question": "Apply for delegated commissioning?",
                    "opens_at": rfc3339_in(600), "closes_at": rfc3339_in(7200),
                    "rules": {"secrecy": "secret"},
                }))).await
            }
        }))
        .await;
        assert_all(&edits, 200, "draft edits");
        for id in ids.iter().take(5) {
            let (_, shown) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
            assert_eq!(shown["title"], format!("Edited {id}"));
        }
    }

    async fn twelve_ballots_published_opened_and_closed_at_once(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000, 3_000]);
        let mut ids = Vec::new();
        for _ in 0..12 {
            ids.push(create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await);
        }
        let published = join_all(ids.iter().map(|id| action(&app, &e, *id, "publish", None))).await;
        assert_all(&published, 200, "publication");
        for id in &ids {
            open_when_due(&app, &e, *id).await;
        }
        let closed = join_all(ids.iter().map(|id| action(&app, &e, *id, "close", None))).await;
        assert_all(&closed, 200, "closing");
        for (_, body) in &closed {
            assert_eq!(body["state"], "counted", "closed and counted: {body}");
        }
        // Closing twice at once: both are told it is closed, but it closes
        // and counts once.
        let id = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        let twice = join_all((0..2).map(|_| action(&app, &e, id, "close", None))).await;
        assert_eq!(statuses(&twice), vec![200, 200], "{twice:?}");
        let mut conn = app.pool.get().expect("connection");
        let steps: Vec<String> = quorate::audit::store::all(&mut conn)
            .expect("audit")
            .into_iter()
            .filter(|e| e.entry.object_key == id.to_string())
            .map(|e| e.entry.action)
            .filter(|a| a.starts_with("ballot.close") || a == "ballot.count")
            .collect();
        assert_eq!(steps, vec!["ballot.close_early", "ballot.count"]);
        drop(conn);
        // Cancelling drafts at once.
        let mut drafts = Vec::new();
        for _ in 0..8 {
            drafts.push(create_ballot(&app, &e, json!({})).await);
        }
        let cancelled = join_all(drafts.iter().map(|id| action(&app, &e, *id, "cancel", Some(json!({"reason": "Papers were wrong"}))))).await;
        assert_all(&cancelled, 200, "cancelling");
    }

    async fn the_register_takes_practices_representatives_and_settings_at_once(app: TestApp) {
        let e = electorate(&app, &[1_000]);
        let token = e.admin_token.clone();
        let practices = join_all((0..40).map(|i| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(reqwest::Method::POST, "/api/v1/organisations/08V/practices", Some(&token), Some(json!({
                    "code": format!("Y{:05}", 10_000 + i), "name": format!("Surgery {i}"),
                    "address": ["1 High Street"], "postcode": "E1 1AA", "status": "active", "joined_on": "2025-04-01",
                }))).await
            }
        }))
        .await;
        assert_all(&practices, 201, "practice creation");
        // Representatives, practice edits and constitution changes interleaved.
        let reps = join_all((0..40).map(|i| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(reqwest::Method::POST, &format!("/api/v1/practices/Y{:05}/representatives", 10_000 + i), Some(&token), Some(json!({
                    "email": format!("manager-{i}@surgery.example.org"), "name": format!("Manager {i}"), "role": "nominated",
                }))).await
            }
        }));
        let edits = join_all((0..40).map(|i| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(reqwest::Method::PUT, &format!("/api/v1/practices/Y{:05}", 10_000 + i), Some(&token), Some(json!({
                    "name": format!("Surgery {i} Medical Centre"), "status": "active", "postcode": "E1 1AA", "address": ["1 High Street"],
                }))).await
            }
        }));
        let settings = join_all((0..10).map(|i| {
            let (app, token) = (&app, token.clone());
            async move {
                app.api(reqwest::Method::PUT, "/api/v1/organisations/08V/settings", Some(&token), Some(json!({
                    "weighting": "per_patients", "patients_per_vote": 2000 + i, "quorum_basis": "practices", "quorum_percent": 50,
                    "ordinary_threshold": "gt:1/2", "amendment_threshold": "ge:2/3", "removal_threshold": "ge:2/3",
                    "dissolution_threshold": "ge:3/4", "minimum_notice_days": 0, "voters": "nominated_or_deputy",
                    "reason": format!("Concurrent change {i}"),
                }))).await
            }
        }));
        let (reps, edits, settings) = futures_util::join!(reps, edits, settings);
        assert_all(&reps, 201, "representatives");
        assert_all(&edits, 200, "practice edits");
        assert_all(&settings, 200, "settings");
        let (_, list) = app.api(reqwest::Method::GET, "/api/v1/organisations/08V/practices", Some(&token), None).await;
        let listed = list["practices"].as_array().cloned().unwrap_or_default();
        assert_eq!(listed.len(), 41, "{list}");
        assert!(listed.iter().filter(|p| p["code"] != "F84001").all(|p| p["has_nominated_representative"] == true && p["name"].as_str().is_some_and(|n| n.ends_with("Medical Centre"))), "{list}");
        // Every change to the constitution is in its history, in order.
        let mut conn = app.pool.get().expect("connection");
        let changes: Vec<String> = quorate::audit::store::all(&mut conn).expect("audit").into_iter().map(|e| e.entry.action).filter(|a| a == "organisation.constitution_updated").collect();
        assert_eq!(changes.len(), 10, "{changes:?}");
    }

    async fn members_respond_to_a_consultation_at_once(app: TestApp) {
        let sizes: Vec<i32> = (1..=30).map(|i| 1_000 + i).collect();
        let e = electorate(&app, &sizes);
        common::ballots::log_in(&app, ADMIN).await;
        let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(14));
        let created = app
            .submit(
                "/organisations/08V/consultations/new",
                "/organisations/08V/consultations",
                &[("title", "Delegation"), ("summary", "Level 3?"), ("body", "# Paper"), ("options", "Level 2 | a | b"), ("closes_date", &closes.0), ("closes_time", &closes.1)],
            )
            .await;
        let path = created.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        assert_eq!(app.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
        let url = format!("/api/v1/consultations/{}/response", path.trim_start_matches("/consultations/"));
        let tokens: Vec<(String, String)> = e
            .practices
            .iter()
            .map(|(code, _, email)| (code.clone(), quorate::accounts::service::create_api_token_for(&app.pool, email, "t").expect("token")))
            .collect();
        // Each practice responds twice at once: both land, as versions 1 and 2.
        let answers = join_all(tokens.iter().flat_map(|(code, token)| {
            let url = url.clone();
            let app = &app;
            ["support", "oppose"].map(move |position| {
                let url = url.clone();
                async move { app.api(reqwest::Method::PUT, &url, Some(token), Some(json!({"practice": code, "positions": [position]}))).await }
            })
        }))
        .await;
        assert_all(&answers, 200, "responses");
        for pair in answers.chunks(2) {
            let mut revisions: Vec<i64> = pair.iter().filter_map(|(_, b)| b["revision"].as_i64()).collect();
            revisions.sort_unstable();
            assert_eq!(revisions, vec![1, 2], "{pair:?}");
        }
    }

    async fn people_sign_in_at_once(app: TestApp) {
        app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        for i in 0..20 {
            app.create_user(&format!("person-{i}@example.org"), "org_admin", Some("08V"));
        }
        let visitors: Vec<_> = (0..20).map(|_| app.new_visitor()).collect();
        let answers = join_all(visitors.iter().enumerate().map(|(i, v)| async move {
            v.login(&format!("person-{i}@example.org"), common::PASSWORD).await.status().as_u16()
        }))
        .await;
        assert!(answers.iter().all(|s| *s == 303), "{answers:?}");
        let out = join_all(visitors.iter().map(|v| async move { v.logout().await.status().as_u16() })).await;
        assert!(out.iter().all(|s| *s == 303), "{out:?}");
    }
}
