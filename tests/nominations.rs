//! Nominations over HTTP, on both backends: the returning officer calls
//! for nominations on a draft election; member practices' representatives
//! nominate and second candidates (too few nominators, an ineligible
//! candidate and a nomination after the close are refused with the reason);
//! each candidate consents, declares and writes a statement through the
//! emailed link; the officer publishes the list with the reasons for each
//! rejection; the poll follows with the statements beside the paper and
//! ends in a certificate. An uncontested election, after a withdrawal, is
//! declared without a vote and certified.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use common::ballots::{self, action, create_ballot, electorate, log_in, open_when_due, voting_links};
use serde_json::{Value, json};

const OFFICER: &str = "ro@example.org";
const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn rep(n: usize) -> String {
    format!("rep-{n}@practice.example.org")
}

/// A draft election with no candidates yet: they come from nominations.
async fn draft_election(app: &TestApp, e: &ballots::Electorate, seats: u32) -> i64 {
    create_ballot(
        app,
        e,
        json!({
            "kind": "election",
            "title": "GP members of the governing body 2027",
            "question": "Elect the GP members of the governing body",
            "options": [],
            "opens_at": ballots::rfc3339_in(5 * 86_400),
            "closes_at": ballots::rfc3339_in(6 * 86_400),
            "rules": {"secrecy": "secret", "weighting": "per_practice", "seats": seats, "count_rule": "scottish", "allow_early_close": true},
        }),
    )
    .await
}

fn fields(at: chrono::NaiveDateTime) -> (String, String) {
    quorate::time::to_london_fields(at)
}

/// Calls for nominations as the returning officer: open now, close in two
/// days, withdrawals a day later; two nominating practices; 25 words.
async fn call(officer: &TestApp, id: i64) {
    let now = Utc::now().naive_utc();
    let (od, ot) = fields(now - Duration::minutes(5));
    let (cd, ct) = fields(now + Duration::days(2));
    let (wd, wt) = fields(now + Duration::days(3));
    let page = format!("/ballots/{id}/nominations/call");
    // Withdrawals before the close of nominations are refused.
    let refused = officer
        .submit(
            &page,
            &page,
            &[
                ("opens_date", &od),
                ("opens_time", &ot),
                ("closes_date", &wd),
                ("closes_time", &wt),
                ("withdrawals_date", &cd),
                ("withdrawals_time", &ct),
                ("nominators_required", "2"),
                ("statement_word_limit", "25"),
                ("eligibility", "gp_at_member_practice"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.expect("body");
    assert!(
        text.contains("When withdrawals close must be at or after the close of nominations"),
        "{text}"
    );
    let called = officer
        .submit(
            &page,
            &page,
            &[
                ("opens_date", &od),
                ("opens_time", &ot),
                ("closes_date", &cd),
                ("closes_time", &ct),
                ("withdrawals_date", &wd),
                ("withdrawals_time", &wt),
                ("nominators_required", "2"),
                ("statement_word_limit", "25"),
                ("eligibility", "gp_at_member_practice"),
            ],
        )
        .await;
    assert_eq!(called.status(), 303);
}

async fn nominate(reps: &TestApp, id: i64, practice: &str, name: &str, post: &str, at: &str) -> reqwest::Response {
    let page = format!("/ballots/{id}/nominations");
    let email = format!("{}@gp.example.org", name.to_lowercase().replace(' ', "."));
    reps.submit(
        &page,
        &page,
        &[
            ("practice", practice),
            ("candidate_name", name),
            ("candidate_email", &email),
            ("post", post),
            ("candidate_practice", at),
        ],
    )
    .await
}

async fn second(reps: &TestApp, id: i64, nomination: i32, practice: &str) -> u16 {
    let page = format!("/ballots/{id}/nominations");
    reps.submit(&page, &format!("{page}/{nomination}/second"), &[("practice", practice)])
        .await
        .status()
        .as_u16()
}

/// The candidate's link, from the consent email in the outbox.
fn consent_link(app: &TestApp, name: &str) -> String {
    let mut conn = app.pool.get().expect("connection");
    let messages =
        quorate::mail::store::for_organisation(&mut conn, organisation(app), None, None, 10_000).expect("messages");
    let outbox = app.outbox();
    let message = messages
        .into_iter()
        .find(|m| m.template == "nomination_consent" && m.recipient_name == name)
        .unwrap_or_else(|| panic!("no consent email to {name}"));
    let body = outbox.open_body(&message.body_text).expect("readable body");
    let start = body.find("/nominations/").expect("link");
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ['-', '_', '/'].contains(c))
        .collect()
}

fn organisation(app: &TestApp) -> i32 {
    use diesel::prelude::*;
    use quorate::db::schema::organisations;
    let mut conn = app.pool.get().expect("connection");
    organisations::table
        .filter(organisations::ods_code.eq("08V"))
        .select(organisations::id)
        .first(&mut conn)
        .expect("organisation")
}

fn nomination_id(app: &TestApp, id: i64, name: &str) -> i32 {
    let mut conn = app.pool.get().expect("connection");
    quorate::ballots::election::store::nominations_of(&mut conn, i32::try_from(id).expect("id"))
        .expect("nominations")
        .into_iter()
        .find(|n| n.candidate_name == name)
        .unwrap_or_else(|| panic!("no nomination of {name}"))
        .id
}

/// The candidate accepts, declares and writes a statement.
async fn consent(app: &TestApp, link: &str, statement: &str) -> reqwest::Response {
    let candidate = app.new_visitor();
    candidate
        .submit(
            link,
            link,
            &[
                ("accept", "yes"),
                ("declare", "yes"),
                ("interests", "Partner at the practice, which holds a GMS contract."),
                ("statement", statement),
                ("ballot_line", "GP partner"),
            ],
        )
        .await
}

/// Moves the call's close (and, if asked, the close of withdrawals) into
/// the past, as if the time had come: the nominations made so far move an
/// hour back with it, so they stay inside the period.
fn close_nominations(app: &TestApp, id: i64, withdrawals_too: bool) {
    use diesel::prelude::*;
    use quorate::db::schema::{nomination_calls, nominations};
    let mut conn = app.pool.get().expect("connection");
    let past = Utc::now().naive_utc() - Duration::seconds(2);
    let ballot = i32::try_from(id).expect("id");
    let call = nomination_calls::table.find(ballot);
    diesel::update(nominations::table.filter(nominations::ballot_id.eq(ballot)))
        .set(nominations::submitted_at.eq(past - Duration::hours(1)))
        .execute(&mut conn)
        .expect("nominations an hour back");
    diesel::update(call)
        .set((
            nomination_calls::opens_at.eq(past - Duration::hours(2)),
            nomination_calls::closes_at.eq(past - Duration::seconds(1)),
        ))
        .execute(&mut conn)
        .expect("close nominations");
    if withdrawals_too {
        diesel::update(call)
            .set(nomination_calls::withdrawals_close.eq(past))
            .execute(&mut conn)
            .expect("close withdrawals");
    }
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use quorate::db::schema::audit_log;
    let mut conn = app.pool.get().expect("connection");
    audit_log::table
        .select(audit_log::action)
        .order(audit_log::id.asc())
        .load(&mut conn)
        .expect("audit")
}

/// Issues the certificate and checks it offline with `quorate verify`.
async fn certify_and_verify(app: &TestApp, id: i64) -> Value {
    let officer = app.new_visitor();
    log_in(&officer, OFFICER).await;
    let certificate = format!("/ballots/{id}/certificate");
    assert_eq!(
        officer
            .submit(&certificate, &certificate, &[("statement", "Nominations checked.")])
            .await
            .status(),
        303
    );
    let signed: Value = officer
        .get(&format!("/ballots/{id}/certificate.json"))
        .await
        .json()
        .await
        .expect("json");
    let board: Value = officer
        .get(&format!("/api/v1/ballots/{id}/board"))
        .await
        .json()
        .await
        .expect("json");
    let dir = tempfile::tempdir().expect("dir");
    let (cert_file, board_file) = (dir.path().join("certificate.json"), dir.path().join("board.json"));
    std::fs::write(&cert_file, signed.to_string()).expect("write");
    std::fs::write(&board_file, board.to_string()).expect("write");
    let key = signed["certificate"]["public_key"].as_str().expect("key").to_owned();
    let verified = std::process::Command::new(BIN)
        .arg("verify")
        .arg(&cert_file)
        .arg("--board")
        .arg(&board_file)
        .args(["--key", &key])
        .output()
        .expect("run quorate verify");
    let out = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    signed
}

backend_tests! {
    async fn an_election_runs_from_nominations_to_a_certified_count(app: TestApp) {
        let e = electorate(&app, &[1_000; 8]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let id = draft_election(&app, &e, 2).await;
        let officer = app.new_visitor();
        log_in(&officer, OFFICER).await;
        // Publishing needs candidates: none yet.
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 422);
        // Nobody but those who run it knows of the draft before the call.
        let one = app.new_visitor();
        log_in(&one, &rep(1)).await;
        assert_eq!(one.get_text(&format!("/ballots/{id}/nominations")).await.0, 404);
        call(&officer, id).await;
        let (status, page) = one.get_text(&format!("/ballots/{id}/nominations")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Nominations are open until"), "{page}");
        // The ballot's page sends the officer to the nominations, not to a
        // publication that would be refused.
        let (_, ballot_page) = officer.get_text(&format!("/ballots/{id}")).await;
        assert!(!ballot_page.contains(&format!("href=\"/ballots/{id}/publish\"")), "{ballot_page}");
        assert!(ballot_page.contains("The ballot is published from the"), "{ballot_page}");

        // Refused with the reason, nothing stored.
        let refused = nominate(&one, id, "F84001", "Dr Zed Zim", "other", "F84002").await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.expect("body").contains("Only a GP partner or salaried GP may stand"));
        let refused = nominate(&one, id, "F84001", "Dr Zed Zim", "gp_partner", "Y99999").await;
        assert!(refused.text().await.expect("body").contains("No practice has the ODS code Y99999"));
        let refused = nominate(&one, id, "F84002", "Dr Zed Zim", "gp_partner", "F84002").await;
        assert!(refused.text().await.expect("body").contains("Choose the member practice you nominate for"), "not a practice rep 1 represents");

        // Six nominations; the second practice seconds some.
        for (practice, name, at) in [
            ("F84001", "Dr Ada Okafor", "F84002"),
            ("F84001", "Dr Ben Lee", "F84003"),
            ("F84001", "Dr Cy Dow", "F84004"),
            ("F84001", "Dr Di Eve", "F84005"),
            ("F84001", "Dr Fay Gold", "F84006"),
            ("F84001", "Dr Gus Hill", "F84007"),
        ] {
            assert_eq!(nominate(&one, id, practice, name, "gp_partner", at).await.status(), 303, "{name}");
        }
        let same = nominate(&one, id, "F84001", "dr ada okafor", "gp_partner", "F84002").await;
        assert!(same.text().await.expect("body").contains("is nominated already: second that nomination instead"));
        let two = app.new_visitor();
        log_in(&two, &rep(2)).await;
        for name in ["Dr Ada Okafor", "Dr Cy Dow", "Dr Di Eve", "Dr Fay Gold", "Dr Gus Hill"] {
            assert_eq!(second(&two, id, nomination_id(&app, id, name), "F84002").await, 303, "{name}");
        }
        assert_eq!(second(&two, id, nomination_id(&app, id, "Dr Ada Okafor"), "F84002").await, 422, "a practice seconds once");
        // An observer sees the nominations but cannot nominate.
        let observer = app.new_visitor();
        log_in(&observer, common::ballots::OBSERVER).await;
        assert_eq!(observer.get_text(&format!("/ballots/{id}/nominations")).await.0, 200);

        // Each candidate answers through the emailed link; Di never does.
        let ada = consent_link(&app, "Dr Ada Okafor");
        let too_long = consent(&app, &ada, &"word ".repeat(26)).await;
        assert_eq!(too_long.status(), 422);
        assert!(too_long.text().await.expect("body").contains("Your statement has 26 words: shorten it to 25 words or fewer"));
        for name in ["Dr Ada Okafor", "Dr Ben Lee", "Dr Cy Dow", "Dr Fay Gold", "Dr Gus Hill"] {
            let statement = format!("{name} will stand up for general practice in the locality.");
            assert_eq!(consent(&app, &consent_link(&app, name), &statement).await.status(), 303, "{name}");
        }
        let (_, mine) = app.new_visitor().get_text(&ada).await;
        assert!(mine.contains("Complete"), "{mine}");

        // The list waits for the close; nominations stop at the close.
        let publish = format!("/ballots/{id}/nominations");
        let early = officer.submit(&publish, &format!("{publish}/publish"), &[]).await;
        assert_eq!(early.status(), 409);
        close_nominations(&app, id, false);
        let late = nominate(&one, id, "F84001", "Dr Late Comer", "gp_partner", "F84008").await;
        assert_eq!(late.status(), 409);
        assert!(late.text().await.expect("body").contains("it is not the time to nominate"));

        // The officer rejects Gus with a reason; Ben (one nominator) and Di
        // (no consent) are rejected for their problems.
        let gus = format!("reason-{}", nomination_id(&app, id, "Dr Gus Hill"));
        let blank = officer.submit(&publish, &format!("{publish}/publish"), &[("reason-0", "Who?")]).await;
        assert_eq!(blank.status(), 422, "a reason for no such nomination");
        let published = officer
            .submit(&publish, &format!("{publish}/publish"), &[(gus.as_str(), "Not on the national performers list")])
            .await;
        assert_eq!(published.status(), 303);
        let (_, list) = one.get_text(&format!("/ballots/{id}/nominations")).await;
        assert!(list.contains("Nominated by 1 member practice but 2 are needed"), "{list}");
        assert!(list.contains("The candidate has not accepted the nomination"), "{list}");
        assert!(list.contains("Not on the national performers list"), "{list}");
        assert!(list.contains("The returning officer published the list of candidates"), "{list}");
        let again = officer.submit(&publish, &format!("{publish}/publish"), &[]).await;
        assert_eq!(again.status(), 409, "the list is published once");

        // Three valid candidates for two seats: a poll, after withdrawals close.
        let (_, draft) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        let names: Vec<&str> = draft["options"].as_array().expect("options").iter().filter_map(|o| o["label"].as_str()).collect();
        assert_eq!(names, ["Dr Ada Okafor", "Dr Cy Dow", "Dr Fay Gold"]);
        let (status, early) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 409, "{early}");
        assert!(early.to_string().contains("Candidates may withdraw until"), "{early}");
        close_nominations(&app, id, true);
        let fay = consent_link(&app, "Dr Fay Gold");
        // The page no longer offers it; a form kept open from before is refused.
        let late = app.new_visitor().submit("/login", &format!("{fay}/withdraw"), &[("confirm", "yes")]).await;
        assert_eq!(late.status(), 422, "withdrawals have closed");
        assert!(late.text().await.expect("body").contains("you remain a candidate"));
        // The draft's candidates can no longer be edited by hand.
        let (status, edit) = app
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/ballots/{id}"),
                Some(&e.admin_token),
                Some(json!({
                    "kind": "election", "title": "GP members", "question": "Elect",
                    "options": [{"key": "x", "label": "Dr Extra"}, {"key": "ada", "label": "Dr Ada Okafor"}],
                    "opens_at": ballots::rfc3339_in(5 * 86_400), "closes_at": ballots::rfc3339_in(6 * 86_400),
                    "rules": {"secrecy": "secret", "seats": 2, "count_rule": "scottish"},
                })),
            )
            .await;
        assert_eq!(status, 422, "{edit}");
        assert!(edit.to_string().contains("cannot be changed here"), "{edit}");

        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let (_, published) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        let names: Vec<&str> = published["options"].as_array().expect("options").iter().filter_map(|o| o["label"].as_str()).collect();
        assert_eq!(names, ["Dr Cy Dow", "Dr Fay Gold", "Dr Ada Okafor"], "alphabetical by surname");
        open_when_due(&app, &e, id).await;
        // The paper shows each candidate's statement.
        let (_, paper) = one.get_text(&format!("/ballots/{id}/vote")).await;
        assert!(paper.contains("The candidates&#x27; statements") || paper.contains("The candidates' statements"), "{paper}");
        assert!(paper.contains("Dr Cy Dow will stand up for general practice"), "{paper}");
        let links = voting_links(&app, id);
        let keys: Vec<String> = published["options"].as_array().expect("options").iter().filter_map(|o| o["key"].as_str().map(str::to_owned)).collect();
        for n in 1..=5 {
            let ranking = if n <= 3 { vec![&keys[2], &keys[0]] } else { vec![&keys[1], &keys[0]] };
            let (status, body) = app
                .api(
                    reqwest::Method::POST,
                    &format!("/api/v1/ballots/{id}/votes"),
                    Some(&links[e.rep_of(&format!("F84{n:03}"))]),
                    Some(json!({"ranking": ranking})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
        let result = ballots::results(&app, &e, id).await;
        assert_eq!(result["outcome"]["result"], "elected", "{result}");
        let signed = certify_and_verify(&app, id).await;
        assert_eq!(signed["certificate"]["result"]["outcome"]["result"], "elected");

        // Every step is in the audit log.
        let actions = audit_actions(&app);
        for step in ["nomination.call", "nomination.submit", "nomination.second", "nomination.accept", "nomination.list_publish"] {
            assert!(actions.iter().any(|a| a == step), "{step} audited: {actions:?}");
        }
    }

    async fn an_uncontested_election_is_declared_without_a_vote(app: TestApp) {
        let e = electorate(&app, &[1_000; 4]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let id = draft_election(&app, &e, 2).await;
        let officer = app.new_visitor();
        log_in(&officer, OFFICER).await;
        call(&officer, id).await;
        let (one, two) = (app.new_visitor(), app.new_visitor());
        log_in(&one, &rep(1)).await;
        log_in(&two, &rep(2)).await;
        for (name, at) in [("Dr Ada Okafor", "F84003"), ("Dr Cy Dow", "F84004"), ("Dr Fay Gold", "F84003")] {
            assert_eq!(nominate(&one, id, "F84001", name, "salaried_gp", at).await.status(), 303);
            assert_eq!(second(&two, id, nomination_id(&app, id, name), "F84002").await, 303);
            assert_eq!(consent(&app, &consent_link(&app, name), "Statement.").await.status(), 303);
        }
        close_nominations(&app, id, false);
        let page = format!("/ballots/{id}/nominations");
        assert_eq!(officer.submit(&page, &format!("{page}/publish"), &[]).await.status(), 303);
        // Three for two seats, until Fay withdraws.
        let fay = consent_link(&app, "Dr Fay Gold");
        let unconfirmed = app.new_visitor().submit(&fay, &format!("{fay}/withdraw"), &[]).await;
        assert_eq!(unconfirmed.status(), 422, "withdrawing is confirmed");
        assert_eq!(app.new_visitor().submit(&fay, &format!("{fay}/withdraw"), &[("confirm", "yes")]).await.status(), 303);
        // The returning officer was told of each step, through the outbox:
        // each nomination, each seconding, each acceptance and the withdrawal.
        let progress: Vec<String> = {
            let mut conn = app.pool.get().expect("connection");
            quorate::mail::store::for_organisation(&mut conn, organisation(&app), None, None, 1_000)
                .expect("messages")
                .into_iter()
                .filter(|m| m.template == "nomination_progress")
                .map(|m| {
                    assert_eq!(m.recipient_email, OFFICER);
                    m.subject
                })
                .collect()
        };
        for step in ["Dr Ada Okafor nominated", "Dr Ada Okafor seconded", "Dr Ada Okafor accepted", "Dr Fay Gold withdrew"] {
            assert_eq!(progress.iter().filter(|s| s.starts_with(&format!("Nominations: {step},"))).count(), 1, "{step}: {progress:?}");
        }
        assert_eq!(progress.len(), 10, "three of each step and the withdrawal: {progress:?}");
        let declare = officer.submit(&page, &format!("{page}/declare"), &[]).await;
        assert_eq!(declare.status(), 409, "withdrawals are still open");
        close_nominations(&app, id, true);
        let (status, poll) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 409, "{poll}");
        assert!(poll.to_string().contains("Declare them elected unopposed instead"), "{poll}");
        let (_, list) = officer.get_text(&page).await;
        assert!(list.contains("2 validly nominated candidates for 2 seats: no vote is held"), "{list}");
        let declared = officer.submit(&page, &format!("{page}/declare"), &[]).await;
        assert_eq!(declared.status(), 303);

        let (_, results) = one.get_text(&format!("/ballots/{id}/results")).await;
        assert!(results.contains("Elected unopposed: Dr Cy Dow, Dr Ada Okafor"), "{results}");
        assert!(!results.contains("First preferences"), "no tally of a poll that was not held");
        let result = ballots::results(&app, &e, id).await;
        assert_eq!(result["outcome"]["result"], "elected_unopposed", "{result}");
        assert_eq!(voting_links(&app, id).len(), 0, "no voting links are sent");
        // Each practice's representative is told, in words that fit.
        let mut conn = app.pool.get().expect("connection");
        let told = quorate::mail::store::for_organisation(&mut conn, organisation(&app), None, Some(("ballot", i32::try_from(id).expect("id"))), 1_000)
            .expect("messages")
            .into_iter()
            .filter(|m| m.template == "ballot_result")
            .collect::<Vec<_>>();
        drop(conn);
        assert_eq!(told.iter().filter(|m| m.recipient_email.starts_with("rep-")).count(), 4);
        let body = app.outbox().open_body(&told[0].body_text).expect("readable");
        assert!(body.contains("no vote is held"), "{body}");
        let signed = certify_and_verify(&app, id).await;
        assert_eq!(signed["certificate"]["result"]["outcome"]["result"], "elected_unopposed");
        let actions = audit_actions(&app);
        for step in ["nomination.withdraw", "ballot.freeze_electorate", "ballot.count"] {
            assert!(actions.iter().any(|a| a == step), "{step} audited: {actions:?}");
        }
    }
}
