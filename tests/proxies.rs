//! Proxy votes over HTTP, on both backends: a practice appoints another
//! member practice's voting representative, with a direction; the proxy
//! accepts and votes for it, once, as directed; a practice with a standing
//! appointment cannot vote itself, and one that voted cannot be voted for
//! by proxy; a revoked proxy cannot vote; the holder's limit holds. The
//! electorate page lists the instruments; the certificate and the LMC's
//! checklist say how many votes were cast by proxy. The organisation's
//! chair may hold proxies too, within the same limit, and casts each
//! separately.

mod common;

use common::TestApp;
use common::ballots::{self, action, create_ballot, electorate, log_in, open_when_due, vote_with_link, voting_links};
use serde_json::json;

fn rep(n: usize) -> String {
    format!("rep-{n}@practice.example.org")
}

async fn signed_in(app: &TestApp, n: usize) -> TestApp {
    let visitor = app.new_visitor();
    log_in(&visitor, &rep(n)).await;
    visitor
}

async fn appoint(visitor: &TestApp, id: i64, practice: &str, holder: &str, direction: &str) -> (u16, String) {
    let page = format!("/ballots/{id}/proxy");
    let response = visitor
        .submit(
            &page,
            &page,
            &[("practice", practice), ("holder", holder), ("direction", direction)],
        )
        .await;
    (response.status().as_u16(), response.text().await.expect("body"))
}

fn instrument_of(app: &TestApp, id: i64, practice: &str) -> i32 {
    let mut conn = app.pool.get().expect("connection");
    let practice = quorate::registry::store::Practice::find_by_code(&mut conn, practice)
        .expect("query")
        .expect("practice");
    quorate::ballots::proxy::store::of_ballot(&mut conn, i32::try_from(id).expect("id"))
        .expect("instruments")
        .into_iter()
        .rev()
        .find(|a| a.practice_id == practice.id)
        .expect("an instrument")
        .id
}

async fn post_instrument(visitor: &TestApp, id: i64, instrument: i32, what: &str) -> u16 {
    let page = format!("/ballots/{id}/proxy");
    visitor
        .submit(&page, &format!("{page}/{instrument}/{what}"), &[])
        .await
        .status()
        .as_u16()
}

async fn vote_as(app: &TestApp, token: &str, id: i64, practice: &str, option: &str) -> (u16, serde_json::Value) {
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/ballots/{id}/votes"),
        Some(token),
        Some(json!({"option": option, "practice": practice})),
    )
    .await
}

backend_tests! {
    async fn a_proxy_votes_once_for_the_practice_that_appointed_it(app: TestApp) {
        let e = electorate(&app, &[1_000; 5]);
        // A secret ballot's proxy decides: a direction would put the vote on record.
        let secret = create_ballot(&app, &e, json!({"rules": {"secrecy": "secret", "proxy_limit": 2}})).await;
        assert_eq!(action(&app, &e, secret, "publish", None).await.0, 200);
        let first = signed_in(&app, 1).await;
        let (status, directed) = appoint(&first, secret, "F84001", "F84002", "for").await;
        assert_eq!(status, 422);
        assert!(directed.contains("In a secret ballot the proxy decides how to vote"), "{directed}");
        assert_eq!(appoint(&first, secret, "F84001", "F84002", "").await.0, 303, "free to decide");
        // Rules that cannot take proxies are refused.
        for (rules, why) in [
            (json!({"proxy_limit": 51}), "from 1 to 50"),
            (json!({"proxy_limit": 2, "secrecy": "verifiable"}), "A verifiable ballot takes no proxy votes"),
        ] {
            let (status, refused) = app
                .api(
                    reqwest::Method::POST,
                    "/api/v1/organisations/08V/ballots",
                    Some(&e.admin_token),
                    Some(json!({"kind": "motion", "motion_kind": "application", "title": "Proxies", "question": "Should we?",
                        "opens_at": ballots::rfc3339_in(60), "closes_at": ballots::rfc3339_in(3600), "rules": rules})),
                )
                .await;
            assert_eq!(status, 422, "{refused}");
            assert!(refused.to_string().contains(why), "{refused}");
        }
        let id = create_ballot(&app, &e, json!({"rules": {"secrecy": "recorded", "proxy_limit": 1, "allow_early_close": true}})).await;
        let (_, draft) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(draft["rules"]["proxy_limit"], 1);
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let links = voting_links(&app, id);
        let link = |n: usize| links[e.rep_of(&format!("F84{n:03}"))].clone();
        let (one, two, three, four, five) = (
            signed_in(&app, 1).await,
            signed_in(&app, 2).await,
            signed_in(&app, 3).await,
            signed_in(&app, 4).await,
            signed_in(&app, 5).await,
        );

        // Practice 1 appoints practice 2's representative, directed "for".
        let (status, page) = appoint(&one, id, "F84001", "F84002", "for").await;
        assert_eq!(status, 303, "{page}");
        let mut conn = app.pool.get().expect("connection");
        let told = quorate::mail::store::for_organisation(&mut conn, e.organisation_id, None, Some(("ballot", i32::try_from(id).expect("id"))), 1_000)
            .expect("messages")
            .into_iter()
            .filter(|m| m.template == "proxy_appointed")
            .map(|m| m.recipient_email)
            .collect::<Vec<_>>();
        drop(conn);
        assert_eq!(told, [rep(2)], "the proxy's practice is told");
        // The limit of one per holder, and no practice is its own proxy.
        let (status, full) = appoint(&three, id, "F84003", "F84002", "").await;
        assert_eq!(status, 422);
        assert!(full.contains("already holds 1 proxy, the most this ballot allows"), "{full}");
        let (status, own) = appoint(&three, id, "F84003", "F84003", "").await;
        assert_eq!(status, 422);
        assert!(own.contains("A practice cannot appoint its own representative as its proxy"), "{own}");
        let (status, again) = appoint(&one, id, "F84001", "F84004", "").await;
        assert_eq!(status, 422, "{again}");
        assert!(again.contains("The practice has already appointed the representative of F84002 as its proxy: revoke that first"), "{again}");

        open_when_due(&app, &e, id).await;
        // Practice 1 cannot vote itself while its appointment stands.
        let (status, body) = vote_with_link(&app, id, &link(1), "against").await;
        assert_eq!(status, 403, "{body}");
        assert!(body.to_string().contains("revoke the appointment before voting yourself"), "{body}");
        // The proxy cannot vote before accepting.
        let token_two = quorate::accounts::service::create_api_token_for(&app.pool, &rep(2), "proxy").expect("token");
        let (status, body) = vote_as(&app, &token_two, id, "F84001", "for").await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("You cannot vote for practice F84001"), "{body}");
        let instrument = instrument_of(&app, id, "F84001");
        assert_eq!(post_instrument(&five, id, instrument, "accept").await, 403, "only the proxy's practice accepts");
        assert_eq!(post_instrument(&two, id, instrument, "accept").await, 303);
        let (_, page) = two.get_text(&format!("/ballots/{id}/proxy")).await;
        assert!(page.contains("Vote for Practice 1 (F84001)"), "{page}");
        let (_, home) = two.get_text("/").await;
        assert!(home.contains("The proxy of Practice 1 (F84001), held for Practice 2 (F84002): not voted yet"), "{home}");
        // As directed, and once.
        let (status, body) = vote_as(&app, &token_two, id, "F84001", "against").await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("directed its proxy to vote"), "{body}");
        let (status, body) = vote_as(&app, &token_two, id, "F84001", "for").await;
        assert_eq!(status, 201, "{body}");
        let (status, _) = vote_as(&app, &token_two, id, "F84001", "for").await;
        assert_eq!(status, 409, "a proxy votes once");
        // The proxy still votes for its own practice, separately.
        let (status, body) = vote_as(&app, &token_two, id, "F84002", "against").await;
        assert_eq!(status, 201, "{body}");
        // Used: practice 1 can neither revoke nor vote.
        assert_eq!(post_instrument(&one, id, instrument, "revoke").await, 409);
        assert_eq!(vote_with_link(&app, id, &link(1), "against").await.0, 409);

        // Practice 4 appoints practice 5, then revokes: the proxy cannot
        // accept or vote, and practice 4 votes itself.
        assert_eq!(appoint(&four, id, "F84004", "F84005", "").await.0, 303);
        let revoked = instrument_of(&app, id, "F84004");
        assert_eq!(post_instrument(&four, id, revoked, "revoke").await, 303);
        assert_eq!(post_instrument(&five, id, revoked, "accept").await, 409);
        let token_five = quorate::accounts::service::create_api_token_for(&app.pool, &rep(5), "proxy").expect("token");
        assert_eq!(vote_as(&app, &token_five, id, "F84004", "for").await.0, 422, "a revoked proxy cannot vote");
        assert_eq!(vote_with_link(&app, id, &link(4), "against").await.0, 201);

        // A practice that voted cannot then be voted for by proxy.
        assert_eq!(vote_with_link(&app, id, &link(3), "for").await.0, 201);
        let (status, voted) = appoint(&three, id, "F84003", "F84005", "").await;
        assert_eq!(status, 422);
        assert!(voted.contains("The practice has already voted, so it cannot be voted for by proxy"), "{voted}");

        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
        let result = ballots::results(&app, &e, id).await;
        assert_eq!(result["overall"]["turnout"]["practices"], 4, "{result}");
        let for_votes = result["overall"]["options"].as_array().expect("options").iter().find(|o| o["key"] == "for").expect("for")["practices"].clone();
        assert_eq!(for_votes, 2, "practice 1 by proxy and practice 3: {result}");

        // On record: the electorate page, the checklist, the certificate.
        let observer = app.new_visitor();
        log_in(&observer, common::ballots::OBSERVER).await;
        let (_, electorate_page) = observer.get_text(&format!("/ballots/{id}/electorate")).await;
        assert!(electorate_page.contains("Practice 1 (F84001) appointed the voting representative of Practice 2 (F84002), directed to vote"), "{electorate_page}");
        assert!(electorate_page.contains("the proxy voted"), "{electorate_page}");
        assert!(electorate_page.contains("Practice 4 (F84004) appointed the voting representative of Practice 5 (F84005), free to decide"), "{electorate_page}");
        let (_, checklist) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(checklist.contains("1 vote was cast by proxy, each under an accepted instrument on record (2 appointed, 1 revoked)"), "{checklist}");
        app.create_user("ro@example.org", "returning_officer", Some("08V"));
        let officer = app.new_visitor();
        log_in(&officer, "ro@example.org").await;
        let certificate = format!("/ballots/{id}/certificate");
        assert_eq!(officer.submit(&certificate, &certificate, &[("statement", "Proxies checked.")]).await.status(), 303);
        let signed: serde_json::Value = officer.get(&format!("/ballots/{id}/certificate.json")).await.json().await.expect("json");
        assert_eq!(signed["certificate"]["votes"]["by_proxy"], 1);
        assert_eq!(signed["certificate"]["rules"]["proxy_limit"], 1);

        let mut conn = app.pool.get().expect("connection");
        let actions: Vec<String> = {
            use diesel::prelude::*;
            quorate::db::schema::audit_log::table
                .select(quorate::db::schema::audit_log::action)
                .load(&mut conn)
                .expect("audit")
        };
        for step in ["proxy.appoint", "proxy.accept", "proxy.revoke"] {
            assert!(actions.iter().any(|a| a == step), "{step}: {actions:?}");
        }
    }

    async fn the_chair_holds_proxies_and_casts_each_separately(app: TestApp) {
        let e = electorate(&app, &[1_000; 4]);
        let id = create_ballot(&app, &e, json!({"rules": {"secrecy": "recorded", "proxy_limit": 2, "allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let (one, two, three) = (signed_in(&app, 1).await, signed_in(&app, 2).await, signed_in(&app, 3).await);
        // With no chair named, the chair cannot be appointed.
        let (_, page) = one.get_text(&format!("/ballots/{id}/proxy")).await;
        assert!(!page.contains("The chair ("), "no chair to choose: {page}");
        let (status, refused) = appoint(&one, id, "F84001", "chair", "").await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("Tower Hamlets CCG has no chair named on Quorate"), "{refused}");

        // The chair is also a deputy of practice 3 (deputies vote here).
        const CHAIR: &str = "chair@example.org";
        ballots::add_representative(&app, "F84003", e.practices[2].1, CHAIR, "deputy");
        {
            let mut conn = app.pool.get().expect("connection");
            quorate::accounts::store::NewUserRole {
                user_id: ballots::user_id(&app, CHAIR),
                role: "chair",
                organisation_id: Some(e.organisation_id),
                practice_id: None,
                created_at: chrono::Utc::now().naive_utc(),
            }
            .insert(&mut conn)
            .expect("chair role");
        }
        let (_, page) = one.get_text(&format!("/ballots/{id}/proxy")).await;
        assert!(page.contains("<option value=\"chair\">The chair (Test practice_rep)</option>"), "{page}");
        let (status, page) = appoint(&one, id, "F84001", "chair", "for").await;
        assert_eq!(status, 303, "{page}");
        assert_eq!(app.emails_to(CHAIR, "proxy_appointed"), 1, "the chair is told");
        assert_eq!(appoint(&two, id, "F84002", "chair", "").await.0, 303);
        // The chair's limit is the ballot's, and a practice the chair
        // represents cannot make the chair its proxy.
        let (status, refused) = appoint(&three, id, "F84003", "chair", "").await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("The chair is one of the practice&#x27;s voting representatives, so cannot be its proxy"), "{refused}");
        assert!(refused.contains("The chair already holds 2 proxies, the most this ballot allows"), "{refused}");

        let chair = app.new_visitor();
        log_in(&chair, CHAIR).await;
        let (status, page) = chair.get_text(&format!("/ballots/{id}/proxy")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Proxies you hold"), "{page}");
        assert!(page.contains("For Practice 1 (F84001)") && page.contains("For Practice 2 (F84002)"), "{page}");
        assert!(page.contains("Held as the chair. You are directed to vote"), "{page}");
        let (_, home) = chair.get_text("/").await;
        assert!(home.contains("Proxies you hold"), "{home}");
        assert!(home.contains("The proxy of Practice 1 (F84001), held as the chair: not accepted yet"), "{home}");
        assert!(home.contains("Accept the proxy before voting closes"), "a deadline: {home}");
        let first = instrument_of(&app, id, "F84001");
        let second = instrument_of(&app, id, "F84002");
        assert_eq!(post_instrument(&three, id, first, "accept").await, 403, "only the chair accepts the chair's proxy");
        assert_eq!(post_instrument(&chair, id, first, "accept").await, 303);

        open_when_due(&app, &e, id).await;
        let token = quorate::accounts::service::create_api_token_for(&app.pool, CHAIR, "chair").expect("token");
        let (status, body) = vote_as(&app, &token, id, "F84002", "for").await;
        assert_eq!(status, 422, "not accepted yet: {body}");
        assert!(body.to_string().contains("You cannot vote for practice F84002"), "{body}");
        assert_eq!(post_instrument(&chair, id, second, "accept").await, 303);
        let (_, page) = chair.get_text(&format!("/ballots/{id}/vote")).await;
        assert!(page.contains("Practice 1 (F84001), as its proxy") && page.contains("Practice 2 (F84002), as its proxy"), "{page}");
        assert!(page.contains("Practice 3 (F84003)"), "the chair's own practice too: {page}");
        let (status, body) = vote_as(&app, &token, id, "F84001", "against").await;
        assert_eq!(status, 422, "directed: {body}");
        assert_eq!(vote_as(&app, &token, id, "F84001", "for").await.0, 201);
        assert_eq!(vote_as(&app, &token, id, "F84001", "for").await.0, 409, "once");
        assert_eq!(vote_as(&app, &token, id, "F84002", "against").await.0, 201, "separately");
        assert_eq!(vote_as(&app, &token, id, "F84003", "for").await.0, 201, "and for its own practice");
        let (_, home) = chair.get_text("/").await;
        assert!(home.contains("The proxy of Practice 2 (F84002), held as the chair: voted"), "{home}");
        // Used: practice 2 can neither revoke nor vote itself.
        assert_eq!(post_instrument(&two, id, second, "revoke").await, 409);
        let links = voting_links(&app, id);
        assert_eq!(vote_with_link(&app, id, &links[e.rep_of("F84002")], "for").await.0, 409);

        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
        let result = ballots::results(&app, &e, id).await;
        assert_eq!(result["overall"]["turnout"]["practices"], 3, "{result}");
        let observer = app.new_visitor();
        log_in(&observer, common::ballots::OBSERVER).await;
        let (_, electorate_page) = observer.get_text(&format!("/ballots/{id}/electorate")).await;
        assert!(electorate_page.contains("Practice 1 (F84001) appointed the chair, directed to vote"), "{electorate_page}");
        assert!(electorate_page.contains("Practice 2 (F84002) appointed the chair, free to decide"), "{electorate_page}");
        let (_, checklist) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(checklist.contains("2 votes were cast by proxy"), "{checklist}");
        let accepted = app.audited("proxy.accept");
        assert!(accepted.iter().any(|a| a.contains("The chair accepted the proxy of Practice 1 (F84001)")), "{accepted:?}");
    }
}
