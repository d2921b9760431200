//! The JSON API with personal tokens.

mod common;

use common::{PASSWORD, TestApp};
use serde_json::{Value, json};

fn token_for(app: &TestApp, email: &str) -> String {
    quorate::accounts::service::create_api_token_for(&app.pool, email, "test").expect("token")
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    app.api(method, path, token, body).await
}

fn settings_body(quorum: u32) -> Value {
    json!({
        "weighting": "per_patients", "patients_per_vote": 2000, "quorum_basis": "practices", "quorum_percent": quorum,
        "ordinary_threshold": "gt:1/2", "amendment_threshold": "ge:2/3", "removal_threshold": "ge:2/3",
        "dissolution_threshold": "ge:3/4", "minimum_notice_days": 14, "voters": "nominated_or_deputy",
        "reason": "Agreed at the general meeting"
    })
}

backend_tests! {
    async fn requests_without_a_live_token_are_refused_in_json(app: TestApp) {
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations", None, None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized");
        let (status, _) = call(&app, reqwest::Method::GET, "/api/v1/organisations", Some("qrt_not-a-token"), None).await;
        assert_eq!(status, 401);
        // A logged-in browser session is not enough: the API wants a token.
        app.create_user("admin@example.org", "system_admin", None);
        app.login("admin@example.org", PASSWORD).await;
        let (status, _) = call(&app, reqwest::Method::GET, "/api/v1/organisations", None, None).await;
        assert_eq!(status, 401);
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/nothing-here", None, None).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "not_found");
    }

    async fn organisations_and_their_settings(app: TestApp) {
        app.create_user("admin@example.org", "system_admin", None);
        let token = token_for(&app, "admin@example.org");
        let t = Some(token.as_str());
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/organisations", t, Some(json!({"code": "08v", "name": "Tower Hamlets CCG", "kind": "ccg"}))).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["code"], "08V");
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/organisations", t, Some(json!({"code": "08V", "name": "Again", "kind": "ccg"}))).await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["code"], "conflict");
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/organisations", t, Some(json!({"code": "09A", "name": "X", "kind": "icb"}))).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "kind");
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/organisations", t, Some(json!({"code": "09A", "name": "X", "kind": "ccg", "colour": "blue"}))).await;
        assert_eq!(status, 400);
        assert!(body["error"]["message"].as_str().expect("message").contains("colour"), "{body}");
        let malformed = app.client.post(app.url("/api/v1/organisations")).bearer_auth(&token).header("content-type", "application/json").body("{not json").send().await.expect("post");
        assert_eq!(malformed.status(), 400);

        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V", t, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["settings"]["weighting"], "per_practice");
        let (status, body) = call(&app, reqwest::Method::PUT, "/api/v1/organisations/08V/settings", t, Some(settings_body(60))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["quorum_percent"], 60);
        assert_eq!(body["weighting"], "per_patients");
        // A partial change: what is left out stays as it is.
        let settings = "/api/v1/organisations/08V/settings";
        let (status, body) = call(&app, reqwest::Method::PATCH, settings, t, Some(json!({"minimum_notice_days": 21}))).await;
        assert_eq!(status, 422, "a change needs its reason: {body}");
        assert_eq!(body["error"]["field"], "reason");
        let (status, body) = call(&app, reqwest::Method::PATCH, settings, t, Some(json!({"minimum_notice_days": 21, "reason": "Longer notice"}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["minimum_notice_days"].as_u64(), body["quorum_percent"].as_u64()), (Some(21), Some(60)), "{body}");
        assert_eq!(body["weighting"], "per_patients");
        let (status, _) = call(&app, reqwest::Method::PATCH, settings, t, Some(json!({"colour": "blue"}))).await;
        assert_eq!(status, 400);
        // Found by Schemathesis: serde reads an array as a struct's fields,
        // so `[]` was an empty patch answered 200.
        for not_an_object in [json!([]), json!([14]), json!("x"), json!(null)] {
            let (status, body) = call(&app, reqwest::Method::PATCH, settings, t, Some(not_an_object.clone())).await;
            assert_eq!(status, 400, "{not_an_object}: {body}");
            assert!(body.to_string().contains("must be an object"), "{body}");
        }
        let (status, body) = call(&app, reqwest::Method::PATCH, settings, t, Some(json!({"removal_threshold": null, "reason": "x"}))).await;
        assert_eq!(status, 400, "null is not a value: {body}");
        let (status, body) = call(&app, reqwest::Method::PATCH, settings, t, Some(json!({"quorum_percent": 150, "reason": "x"}))).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "quorum-percent");
        let (status, body) = call(&app, reqwest::Method::PUT, "/api/v1/organisations/08V/settings", t, Some(settings_body(150))).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "quorum-percent");
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations", t, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["organisations"].as_array().expect("list").len(), 1);
    }

    async fn practices_and_representatives(app: TestApp) {
        let sink = common::smtp::SmtpSink::start();
        app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        app.create_organisation("ccg", "09A", "Other CCG");
        app.create_user("board@example.org", "org_admin", Some("08V"));
        app.create_user("other@example.org", "org_admin", Some("09A"));
        let token = token_for(&app, "board@example.org");
        let t = Some(token.as_str());
        let practice = json!({"code": "Y12345", "name": "Riverside Surgery", "address": ["1 River Road"], "postcode": "e11bu", "status": "active", "joined_on": "2025-04-01"});
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/organisations/08V/practices", t, Some(practice.clone())).await;
        assert_eq!(status, 201, "{body}");
        let (status, _) = call(&app, reqwest::Method::POST, "/api/v1/organisations/08V/practices", t, Some(practice)).await;
        assert_eq!(status, 409);
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/practices/Y12345", t, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["postcode"], "E1 1BU");
        assert_eq!(body["memberships"][0]["organisation"], "08V");

        let update = json!({"name": "Riverside Medical Centre", "status": "active", "postcode": "E1 1BU", "address": ["1 River Road"]});
        let (status, body) = call(&app, reqwest::Method::PUT, "/api/v1/practices/Y12345", t, Some(update)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["name"], "Riverside Medical Centre");

        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/practices/Y12345/representatives", t, Some(json!({"email": "priya@example.org", "name": "Priya Manager", "role": "nominated"}))).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/practices/Y12345/representatives", t, Some(json!({"email": "x@example.org", "name": "X", "role": "boss"}))).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "role");
        let (_, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices", t, None).await;
        assert_eq!(body["total"], 1);
        assert_eq!(body["practices"][0]["has_nominated_representative"], true);
        // The page's filters work the same here.
        let closed = json!({"code": "Y99999", "name": "Old Mill Surgery", "address": ["2 Mill Lane"], "postcode": "E1 2AA", "status": "closed", "closed_on": "2024-03-31", "joined_on": "2020-04-01"});
        let (status, body) = call(&app, reqwest::Method::POST, "/api/v1/organisations/08V/practices", t, Some(closed)).await;
        assert_eq!(status, 201, "{body}");
        let codes = |body: &Value| -> Vec<String> {
            body["practices"].as_array().expect("practices").iter().map(|p| p["code"].as_str().unwrap_or_default().to_owned()).collect()
        };
        let (_, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices?status=closed", t, None).await;
        assert_eq!(codes(&body), ["Y99999"], "{body}");
        let (_, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices?status=active&status=closed&sort=name", t, None).await;
        assert_eq!(codes(&body), ["Y99999", "Y12345"], "{body}");
        let (_, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices?nominated=no", t, None).await;
        assert_eq!(codes(&body), ["Y99999"], "{body}");
        let (_, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices?q=riverside", t, None).await;
        assert_eq!(codes(&body), ["Y12345"], "{body}");
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices?status=shut", t, None).await;
        assert_eq!(status, 400);
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("status must be"), "{body}");
        let (status, _) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V/practices?min=", t, None).await;
        assert_eq!(status, 400);
        assert_eq!(app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker").sent, 1, "the invitation");

        let other = token_for(&app, "other@example.org");
        let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/organisations/08V", Some(&other), None).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"]["code"], "forbidden");
        let (status, _) = call(&app, reqwest::Method::PUT, "/api/v1/practices/Y12345", Some(&other), Some(json!({"name": "Hijack", "status": "active"}))).await;
        assert_eq!(status, 403);
        let (status, _) = call(&app, reqwest::Method::POST, "/api/v1/organisations", Some(&other), Some(json!({"code": "10B", "name": "X", "kind": "ccg"}))).await;
        assert_eq!(status, 403, "only system administrators create organisations");
    }

    async fn tokens_are_made_on_the_account_page_and_can_be_revoked(app: TestApp) {
        app.create_user("admin@example.org", "system_admin", None);
        app.login("admin@example.org", PASSWORD).await;
        let response = app.submit("/account", "/account/tokens", &[("name", "register sync")]).await;
        assert_eq!(response.status(), 200);
        let page = response.text().await.expect("body");
        let start = page.find("<code id=\"new-token\">").expect("token shown") + "<code id=\"new-token\">".len();
        let token = page[start..].split('<').next().expect("token").to_owned();
        assert!(token.starts_with("qrt_"));
        assert_eq!(call(&app, reqwest::Method::GET, "/api/v1/organisations", Some(&token), None).await.0, 200);
        let (_, page) = app.get_text("/account").await;
        assert!(!page.contains(&token), "shown only once");
        assert!(page.contains("register sync"));
        let id = {
            let mut conn = app.pool.get().expect("connection");
            let user = quorate::accounts::store::User::find_by_email(&mut conn, "admin@example.org").expect("q").expect("user");
            quorate::accounts::store::api_tokens::of_user(&mut conn, user.id).expect("tokens")[0].id
        };
        assert_eq!(app.submit("/account", &format!("/account/tokens/{id}/revoke"), &[]).await.status(), 303);
        assert_eq!(call(&app, reqwest::Method::GET, "/api/v1/organisations", Some(&token), None).await.0, 401);
        let empty = app.submit("/account", "/account/tokens", &[("name", "")]).await;
        assert_eq!(empty.status(), 422);
    }
}
