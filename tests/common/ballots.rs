//! An organisation ready for ballots: member practices with list sizes and
//! voting representatives, an administrator with an API token, an LMC
//! observer, and no minimum notice so ballots can open within seconds.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use super::{PASSWORD, TestApp};
use quorate::registry::constitution::ConstitutionSettings;

pub const ADMIN: &str = "board@example.org";
pub const OBSERVER: &str = "observer@lmc.example.org";

pub struct Electorate {
    pub organisation_id: i32,
    pub admin_token: String,
    /// (ODS code, practice id, nominated representative's email).
    pub practices: Vec<(String, i32, String)>,
}

impl Electorate {
    pub fn codes(&self) -> Vec<String> {
        self.practices.iter().map(|(c, _, _)| c.clone()).collect()
    }

    pub fn rep_of(&self, code: &str) -> &str {
        &self
            .practices
            .iter()
            .find(|(c, _, _)| c == code)
            .expect("practice in the electorate")
            .2
    }
}

pub fn user_id(app: &TestApp, email: &str) -> i32 {
    let mut conn = app.pool.get().expect("connection");
    quorate::accounts::store::User::find_by_email(&mut conn, &email.to_lowercase())
        .expect("query")
        .expect("user")
        .id
}

/// Makes `email` (a new account) the practice's representative of `kind`.
pub fn add_representative(app: &TestApp, practice_code: &str, practice_id: i32, email: &str, kind: &str) {
    app.create_user(email, "practice_rep", Some(practice_code));
    let user = user_id(app, email);
    let mut conn = app.pool.get().expect("connection");
    let started = NaiveDate::from_ymd_opt(2024, 4, 1).expect("date");
    quorate::registry::store::representatives::insert(
        &mut conn,
        practice_id,
        user,
        kind,
        started,
        Utc::now().naive_utc(),
    )
    .expect("representative");
}

pub fn set_list_size(app: &TestApp, practice_id: i32, patients: i32) {
    let mut conn = app.pool.get().expect("connection");
    let extract = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
    quorate::registry::store::list_sizes::insert_all(
        &mut conn,
        &[(practice_id, extract, patients)],
        Utc::now().naive_utc(),
    )
    .expect("list size");
}

pub fn set_constitution(app: &TestApp, organisation_id: i32, settings: &ConstitutionSettings) {
    let mut conn = app.pool.get().expect("connection");
    quorate::registry::store::constitution::save(
        &mut conn,
        organisation_id,
        &settings.to_form(),
        Utc::now().naive_utc(),
    )
    .expect("settings");
}

/// `sizes.len()` member practices of 08V (F8xxxx), each with a nominated
/// representative (rep-N@practice.example.org) and the given list size.
pub fn electorate(app: &TestApp, sizes: &[i32]) -> Electorate {
    let organisation_id = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    let lmc = app.create_organisation("lmc", "LMC01", "Londonwide LMCs");
    app.cover_with_lmc(organisation_id, lmc);
    app.create_user(OBSERVER, "lmc_observer", Some("LMC01"));
    app.create_user(ADMIN, "org_admin", Some("08V"));
    set_constitution(
        app,
        organisation_id,
        &ConstitutionSettings {
            minimum_notice_days: 0,
            ..ConstitutionSettings::default()
        },
    );
    let mut practices = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let code = format!("F84{:03}", i + 1);
        let id = app.create_member_practice(&code, &format!("Practice {}", i + 1), organisation_id);
        set_list_size(app, id, *size);
        let email = format!("rep-{}@practice.example.org", i + 1);
        add_representative(app, &code, id, &email, "nominated");
        practices.push((code, id, email));
    }
    let admin_token = quorate::accounts::service::create_api_token_for(&app.pool, ADMIN, "test").expect("token");
    Electorate {
        organisation_id,
        admin_token,
        practices,
    }
}

pub fn rfc3339_in(seconds: i64) -> String {
    (Utc::now() + Duration::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Creates a draft through the API; `extra` is merged into the body (its
/// `rules` into the rules). Unless `extra` says otherwise the ballot is a
/// plain secret one, so tests of other features need no key ceremony;
/// `verifiable_ballot` makes the default kind.
pub async fn create_ballot(app: &TestApp, electorate: &Electorate, extra: Value) -> i64 {
    let mut body = json!({
        "kind": "motion",
        "motion_kind": "application",
        "title": "Apply for delegated commissioning",
        "question": "Should the CCG apply to NHS England for delegated commissioning?",
        // Far enough ahead that publication (which must come before the
        // opening) never races it on a busy machine; `open_when_due` brings
        // the opening forward.
        "opens_at": rfc3339_in(60),
        "closes_at": rfc3339_in(3600),
        "rules": {"secrecy": "secret"},
    });
    if let (Some(map), Value::Object(mut extra)) = (body.as_object_mut(), extra) {
        if let (Some(Value::Object(rules)), Some(Value::Object(more))) = (map.get_mut("rules"), extra.remove("rules")) {
            rules.extend(more);
        }
        map.extend(extra);
    }
    // A weighted ballot, or one with constituencies, cannot be plain secret.
    if let Some(rules) = body.get_mut("rules").and_then(Value::as_object_mut) {
        let weighted = rules
            .get("weighting")
            .and_then(Value::as_str)
            .is_some_and(|w| w != "per_practice");
        let split = rules
            .get("constituencies")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty());
        if rules.get("secrecy").and_then(Value::as_str) == Some("secret") && (weighted || split) {
            rules.insert("secrecy".into(), json!("recorded"));
        }
    }
    let (status, created) = app
        .api(
            reqwest::Method::POST,
            "/api/v1/organisations/08V/ballots",
            Some(&electorate.admin_token),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().expect("id")
}

pub async fn action(
    app: &TestApp,
    electorate: &Electorate,
    id: i64,
    action: &str,
    body: Option<Value>,
) -> (u16, Value) {
    // Closing before the published time needs a reason.
    let body = match (action, body) {
        ("close", None) => Some(json!({"reason": "Closed early by the test"})),
        (_, body) => body,
    };
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/ballots/{id}/{action}"),
        Some(&electorate.admin_token),
        body,
    )
    .await
}

/// Moves a published ballot's opening to a second ago, as if its time had
/// come (the minimum notice was checked at publication).
pub fn bring_opening_forward(app: &TestApp, id: i64) {
    use diesel::prelude::*;
    use quorate::db::schema::ballots;
    let mut conn = app.pool.get().expect("connection");
    let now = Utc::now().naive_utc();
    diesel::update(ballots::table.find(i32::try_from(id).expect("id")))
        .filter(ballots::opens_at.gt(now))
        .set(ballots::opens_at.eq(now - Duration::seconds(1)))
        .execute(&mut conn)
        .expect("move the opening");
}

/// Opens the ballot now that its opening time has passed (brought
/// forward if it had not).
pub async fn open_when_due(app: &TestApp, electorate: &Electorate, id: i64) {
    bring_opening_forward(app, id);
    for _ in 0..50 {
        let (status, body) = action(app, electorate, id, "open", None).await;
        if status == 200 {
            assert_eq!(body["state"], "open");
            return;
        }
        assert_eq!(status, 409, "{body}");
        tokio_sleep(200).await;
    }
    panic!("the ballot never opened");
}

pub async fn tokio_sleep(ms: u64) {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// Each recipient's voting link token, read from the notices in the
/// outbox: recipient email → token.
pub fn voting_links(app: &TestApp, ballot_id: i64) -> HashMap<String, String> {
    let mut conn = app.pool.get().expect("connection");
    let messages = quorate::mail::store::for_organisation(
        &mut conn,
        messages_organisation(app, ballot_id),
        None,
        Some(("ballot", i32::try_from(ballot_id).expect("id"))),
        100_000,
    )
    .expect("messages");
    let outbox = app.outbox();
    messages
        .into_iter()
        .filter(|m| m.template == "ballot_notice")
        .filter_map(|m| {
            let body = outbox.open_body(&m.body_text).expect("readable body");
            let start = body.find("/vote/")? + "/vote/".len();
            let token: String = body[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            Some((m.recipient_email, token))
        })
        .collect()
}

fn messages_organisation(app: &TestApp, ballot_id: i64) -> i32 {
    let mut conn = app.pool.get().expect("connection");
    quorate::ballots::store::find(&mut conn, i32::try_from(ballot_id).expect("id"))
        .expect("query")
        .expect("ballot")
        .organisation_id
}

/// Casts a vote with a voting link's token.
pub async fn vote_with_link(app: &TestApp, ballot_id: i64, token: &str, option: &str) -> (u16, Value) {
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/ballots/{ballot_id}/votes"),
        Some(token),
        Some(json!({ "option": option })),
    )
    .await
}

/// The ballot's results through the API, as the board sees them.
pub async fn results(app: &TestApp, electorate: &Electorate, id: i64) -> Value {
    let (status, results) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/results"),
            Some(&electorate.admin_token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{results}");
    results
}

/// Logs `email` in (on this client).
pub async fn log_in(app: &TestApp, email: &str) {
    assert_eq!(app.login(email, PASSWORD).await.status(), 303, "login {email}");
}

/// The trustees of a verifiable ballot, as the test holds their keys.
pub struct Trustees {
    /// (email, API token, private key file), by trustee number.
    pub people: Vec<(String, String, quorate::ballots::verifiable::model::PrivateFile)>,
}

/// A verifiable draft (the default secrecy) with `n` trustees of whom
/// `threshold` decrypt, whose key ceremony is complete, through the API as
/// each trustee's own program would do it.
pub async fn verifiable_ballot(
    app: &TestApp,
    electorate: &Electorate,
    n: u32,
    threshold: u32,
    extra: Value,
) -> (i64, Trustees) {
    let mut extra = extra;
    if let Value::Object(map) = &mut extra {
        let rules = map.entry("rules").or_insert_with(|| json!({}));
        if let Value::Object(rules) = rules {
            rules.entry("secrecy").or_insert(json!("verifiable"));
        }
    }
    let id = create_ballot(app, electorate, extra).await;
    (id, run_ceremony(app, &electorate.admin_token, id, n, threshold).await)
}

/// Names `n` trustees (trustee-N@example.org, made if need be) of draft
/// `id` with `threshold`, and runs their key ceremony through the API.
pub async fn run_ceremony(app: &TestApp, admin_token: &str, id: i64, n: u32, threshold: u32) -> Trustees {
    use quorate::ballots::verifiable::model::{
        KEY_FORMAT, KeyUpload, PRIVATE_FORMAT, PrivateFile, SHARES_FORMAT, SharesUpload,
    };
    use quorate::crypto::group::OsRandom;
    let mut people = Vec::new();
    for i in 1..=n {
        let email = format!("trustee-{i}@example.org");
        let exists = {
            let mut conn = app.pool.get().expect("connection");
            quorate::accounts::store::User::find_by_email(&mut conn, &email)
                .expect("query")
                .is_some()
        };
        if !exists {
            app.create_user(&email, "committee_member", Some("08V"));
        }
        let token = quorate::accounts::service::create_api_token_for(&app.pool, &email, "trustee").expect("token");
        people.push((email, token));
    }
    let emails: Vec<&str> = people.iter().map(|(e, _)| e.as_str()).collect();
    let (status, body) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/ballots/{id}/trustees"),
            Some(admin_token),
            Some(json!({"trustees": emails, "threshold": threshold})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut keyed = Vec::new();
    for (i, (email, token)) in people.into_iter().enumerate() {
        let index = u32::try_from(i + 1).expect("index");
        let (private, public) = quorate::crypto::trustees::keygen(index, n, threshold, &mut OsRandom).expect("keygen");
        let upload = KeyUpload {
            format: KEY_FORMAT.into(),
            ballot: i32::try_from(id).expect("id"),
            trustee: index,
            public,
        };
        let (status, body) = upload_trustee_file(app, id, &token, &serde_json::to_value(&upload).expect("json")).await;
        assert_eq!(status, 200, "{body}");
        keyed.push((
            email,
            token,
            PrivateFile {
                format: PRIVATE_FORMAT.into(),
                ballot: i32::try_from(id).expect("id"),
                trustee: index,
                trustees: n,
                threshold,
                private,
            },
        ));
    }
    let (status, ceremony) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/trustees"),
            Some(&keyed[0].1),
            None,
        )
        .await;
    assert_eq!(status, 200, "{ceremony}");
    let publics: Vec<quorate::crypto::trustees::TrusteePublic> =
        serde_json::from_value(ceremony["trustees"].clone()).expect("publics");
    for (_, token, key) in &keyed {
        let shares =
            quorate::crypto::trustees::shares_for_others(&key.private, &publics, &mut OsRandom).expect("shares");
        let upload = SharesUpload {
            format: SHARES_FORMAT.into(),
            ballot: key.ballot,
            trustee: key.trustee,
            shares,
        };
        let (status, body) = upload_trustee_file(app, id, token, &serde_json::to_value(&upload).expect("json")).await;
        assert_eq!(status, 200, "{body}");
    }
    Trustees { people: keyed }
}

pub async fn upload_trustee_file(app: &TestApp, id: i64, token: &str, file: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/ballots/{id}/trustees/upload")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(file.to_string())
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

/// The board of a verifiable ballot, as a trustee downloads it.
pub async fn verifiable_board(app: &TestApp, id: i64) -> quorate::certify::verifiable::VerifiableBoard {
    let response = app.get(&format!("/ballots/{id}/board.json")).await;
    assert_eq!(response.status(), 200);
    serde_json::from_str(&response.text().await.expect("body")).expect("a verifiable board")
}

/// Trustee `index` (1-based) decrypts their part, as `quorate trustee decrypt`
/// does, and uploads it; answers the upload's response.
pub async fn decrypt_as(app: &TestApp, id: i64, trustees: &Trustees, index: usize) -> (u16, Value) {
    let (_, token, key) = &trustees.people[index - 1];
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("trustee.key");
    std::fs::write(&key_file, serde_json::to_string(key).expect("key")).expect("write key");
    let board_file = dir.path().join("board.json");
    let board = verifiable_board(app, id).await;
    std::fs::write(&board_file, serde_json::to_string(&board).expect("board")).expect("write board");
    let partial = quorate::ballots::verifiable::cli::decrypt_command(&key_file, &board_file).expect("decrypts");
    let value: Value = serde_json::from_str(&partial).expect("json");
    upload_trustee_file(app, id, token, &value).await
}
