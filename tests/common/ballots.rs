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

/// Creates a draft through the API; `extra` is merged into the body.
pub async fn create_ballot(app: &TestApp, electorate: &Electorate, extra: Value) -> i64 {
    let mut body = json!({
        "kind": "motion",
        "motion_kind": "application",
        "title": "Apply for delegated commissioning",
        "question": "Should the CCG apply to NHS England for delegated commissioning?",
        "opens_at": rfc3339_in(2),
        "closes_at": rfc3339_in(3600),
    });
    if let (Some(map), Value::Object(extra)) = (body.as_object_mut(), extra) {
        map.extend(extra);
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
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/ballots/{id}/{action}"),
        Some(&electorate.admin_token),
        body,
    )
    .await
}

/// Waits until the ballot's opening time has passed, then opens it.
pub async fn open_when_due(app: &TestApp, electorate: &Electorate, id: i64) {
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

/// Logs `email` in (on this client).
pub async fn log_in(app: &TestApp, email: &str) {
    assert_eq!(app.login(email, PASSWORD).await.status(), 303, "login {email}");
}
