//! A verifiable secret ballot end to end on both backends: trustees make
//! the election key between them, practices vote with encrypted papers
//! (the server encrypts, or the voter does), bad and copied papers are
//! refused, any t of the n trustees decrypt the weighted totals (t−1
//! cannot), the count follows the rules (list-size weights, constituencies,
//! dual majority), no stored row or public document holds a plaintext
//! choice, and the certificate verifies — until anything on the board is
//! changed.

mod common;

use std::collections::BTreeMap;

use common::TestApp;
use common::ballots::{
    self, ADMIN, Electorate, action, decrypt_as, electorate, open_when_due, verifiable_ballot, verifiable_board,
    vote_with_link, voting_links,
};
use quorate::ballots::verifiable::model::{ElectionRecord, PAPER_FORMAT};
use serde_json::{Value, json};

const SIZES: [i32; 6] = [4_000, 7_500, 12_000, 3_300, 9_100, 6_400];

fn constituencies() -> Value {
    json!({"F84001": "North", "F84002": "North", "F84003": "North", "F84004": "South", "F84005": "South", "F84006": "South"})
}

async fn election(app: &TestApp, id: i64) -> ElectionRecord {
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/election"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("an election record")
}

fn encrypt(record: &ElectionRecord, practice: &str, option: &str) -> quorate::crypto::paper::EncryptedPaper {
    let checked = record.check().expect("the election checks");
    let chosen = checked.option_index(option).expect("option");
    quorate::crypto::paper::encrypt_paper(
        &checked.key,
        &checked.fingerprint,
        practice,
        checked.options.len(),
        chosen,
        &mut quorate::crypto::group::OsRandom,
    )
    .expect("encrypts")
    .0
}

async fn post_paper(app: &TestApp, id: i64, token: &str, body: Value) -> (u16, Value) {
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/ballots/{id}/votes"),
        Some(token),
        Some(body),
    )
    .await
}

fn table_texts(app: &TestApp, sql: &str) -> Vec<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    let mut conn = app.pool.get().expect("connection");
    diesel::sql_query(sql)
        .load::<Text>(&mut conn)
        .expect("query")
        .into_iter()
        .map(|t| t.text)
        .collect()
}

/// A weighted ballot with constituencies and a dual majority, through to
/// the close; answers the ballot, its trustees and the votes cast.
async fn weighted_ballot_voted(app: &TestApp, e: &Electorate, n: u32, t: u32) -> (i64, ballots::Trustees) {
    let (id, trustees) = verifiable_ballot(
        app,
        e,
        n,
        t,
        json!({"rules": {"weighting": "list_size", "dual_majority": true, "constituencies": constituencies(), "allow_early_close": true}}),
    )
    .await;
    let (status, body) = action(app, e, id, "publish", None).await;
    assert_eq!(status, 200, "{body}");
    open_when_due(app, e, id).await;
    let links = voting_links(app, id);
    // F84001..3 vote with the server encrypting; F84004 encrypts its own paper.
    for (code, option) in [("F84001", "for"), ("F84002", "for"), ("F84003", "against")] {
        let (status, body) = vote_with_link(app, id, &links[e.rep_of(code)], option).await;
        assert_eq!(status, 201, "{code}: {body}");
        assert_eq!(
            body["receipt"].as_str().map(|r| r.replace(' ', "").len()),
            Some(64),
            "the receipt is the tracker"
        );
    }
    let record = election(app, id).await;
    let own = encrypt(&record, "F84004", "against");
    let file = json!({"format": PAPER_FORMAT, "ballot": id, "practice": "F84004", "paper": own});
    let (status, body) = post_paper(app, id, &links[e.rep_of("F84004")], file).await;
    assert_eq!(status, 201, "{body}");

    // Refused, with nothing recorded: a paper with a broken proof …
    let mut broken = serde_json::to_value(encrypt(&record, "F84005", "for")).expect("json");
    broken["proofs"][0]["v0"] = broken["proofs"][1]["v0"].clone();
    let (status, body) = post_paper(app, id, &links[e.rep_of("F84005")], json!({"paper": broken})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("refused"), "{body}");
    // … a paper copied from another practice (bound to F84004, not F84005) …
    let (status, body) = post_paper(app, id, &links[e.rep_of("F84005")], json!({"paper": own})).await;
    assert_eq!(status, 422, "{body}");
    // … a second paper of a practice that voted …
    let again = encrypt(&record, "F84001", "against");
    let (status, _) = post_paper(app, id, &links[e.rep_of("F84001")], json!({"paper": again})).await;
    assert_eq!(status, 409);
    // … and a paper from a practice outside the electorate.
    let outsider = app.create_member_practice("F89999", "Not In The Electorate", e.organisation_id);
    ballots::add_representative(app, "F89999", outsider, "outsider@example.org", "nominated");
    let token =
        quorate::accounts::service::create_api_token_for(&app.pool, "outsider@example.org", "t").expect("token");
    let (status, body) = post_paper(app, id, &token, json!({"paper": encrypt(&record, "F89999", "for")})).await;
    assert_eq!(status, 403, "{body}");
    // The refused link still works: F84005 votes now.
    let (status, _) = vote_with_link(app, id, &links[e.rep_of("F84005")], "for").await;
    assert_eq!(status, 201);
    assert_eq!(action(app, e, id, "close", None).await.0, 200);
    (id, trustees)
}

backend_tests! {
    async fn a_weighted_verifiable_ballot_is_decrypted_by_any_t_of_n_trustees_and_certified(app: TestApp) {
        let e = electorate(&app, &SIZES);
        let (id, trustees) = weighted_ballot_voted(&app, &e, 3, 2).await;

        // Closed but not counted: only the trustees can decrypt.
        let (status, ballot) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!((status, ballot["state"].as_str()), (200, Some("closed")), "{ballot}");
        assert_eq!(app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None).await.0, 409);
        let board = verifiable_board(&app, id).await;
        assert_eq!(board.papers.len(), 5);
        assert!(board.aggregates.is_some() && board.decryptions.is_empty());

        // No stored row and no public document holds a plaintext choice.
        let stored = table_texts(&app, &format!("SELECT paper AS text FROM encrypted_papers WHERE ballot_id = {id}"));
        assert_eq!(stored.len(), 5);
        for paper in &stored {
            assert!(!paper.contains("for") && !paper.contains("against"), "{paper}");
        }
        let plain = table_texts(&app, &format!("SELECT paper_id AS text FROM ballot_papers WHERE ballot_id = {id}"));
        assert!(plain.is_empty(), "no plaintext paper is written for a verifiable ballot");
        let summaries = table_texts(&app, &format!("SELECT summary AS text FROM audit_log WHERE object_key = '{id}' AND action = 'ballot.vote'"));
        assert_eq!(summaries.len(), 5);
        assert!(summaries.iter().all(|s| !s.contains("For") && !s.contains("Against")), "{summaries:?}");
        let public = serde_json::to_string(&board).expect("json");
        assert!(!public.contains("\"for\"}") && !public.contains("\"option\""), "the board names no option per paper");

        // One trustee of the two needed cannot decrypt.
        let (status, body) = decrypt_as(&app, id, &trustees, 1).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["counted"], false);
        assert_eq!(app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None).await.0, 409);
        // A decryption with a changed factor is refused.
        let board = verifiable_board(&app, id).await;
        let mut forged = serde_json::to_value(&board.decryptions[0]).expect("json");
        forged["trustee"] = json!(3);
        let (status, body) = ballots::upload_trustee_file(&app, id, &trustees.people[2].1, &json!({"format": "quorate-partial-decryption/1", "ballot": id, "partial": forged})).await;
        assert_eq!(status, 422, "someone else's decryption under your number: {body}");

        // The third trustee makes two: the result is counted.
        let (status, body) = decrypt_as(&app, id, &trustees, 3).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["counted"], true);
        let (status, results) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None).await;
        assert_eq!(status, 200, "{results}");
        let option = |scope: &Value, key: &str| -> (u64, u64) {
            let o = scope["options"].as_array().expect("options").iter().find(|o| o["key"] == key).expect("option").clone();
            (o["practices"].as_u64().expect("n"), o["weight"].as_u64().expect("w"))
        };
        // For: F84001 (4,000) + F84002 (7,500) + F84005 (9,100); against: F84003 (12,000) + F84004 (3,300).
        assert_eq!(option(&results["overall"], "for"), (3, 20_600));
        assert_eq!(option(&results["overall"], "against"), (2, 15_300));
        let constituency = |name: &str| results["constituencies"].as_array().expect("list").iter().find(|c| c["name"] == name).expect("constituency").clone();
        assert_eq!(option(&constituency("North"), "for"), (2, 11_500));
        assert_eq!(option(&constituency("North"), "against"), (1, 12_000));
        assert_eq!(option(&constituency("South"), "for"), (1, 9_100));
        // North's weight is against (11,500 < 12,000): with constituencies it does not carry.
        assert_eq!(results["outcome"]["result"], "not_carried", "{results}");

        // The certificate names the election and verifies with the board.
        let officer = app.new_visitor();
        app.create_user("ro@example.org", "returning_officer", Some("08V"));
        ballots::log_in(&officer, "ro@example.org").await;
        let page = format!("/ballots/{id}/certificate");
        assert_eq!(officer.submit(&page, &page, &[]).await.status(), 303);
        let signed: quorate::certify::model::Signed = serde_json::from_str(&app.get_text(&format!("/ballots/{id}/certificate.json")).await.1).expect("certificate");
        let election = signed.certificate.election.as_ref().expect("the election is certified");
        assert_eq!((election.threshold, election.trustees.len(), election.decryptions.len()), (2, 3, 2));
        let board_text = app.get_text(&format!("/ballots/{id}/board.json")).await.1;
        let board = quorate::certify::model::BoardFile::parse(&board_text).expect("board");
        let checks = quorate::certify::model::verify(&signed, Some(&board), None);
        assert!(quorate::certify::model::all_passed(&checks), "{checks:#?}");

        // Any change on the board fails the check that covers it.
        let tamper = |change: &dyn Fn(&mut Value), failing: &str| {
            let mut value: Value = serde_json::from_str(&board_text).expect("json");
            change(&mut value);
            let changed = quorate::certify::model::BoardFile::parse(&value.to_string()).expect("still a board");
            let checks = quorate::certify::model::verify(&signed, Some(&changed), None);
            let named: Vec<&str> = checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect();
            assert!(named.contains(&failing), "changing the board should fail {failing}: {named:?}");
        };
        tamper(&|b| b["papers"][0]["paper"]["choices"][0]["alpha"] = b["papers"][1]["paper"]["choices"][0]["alpha"].clone(), "every paper's proofs");
        tamper(&|b| b["papers"][0]["paper"]["proofs"][1]["c0"] = b["papers"][0]["paper"]["proofs"][1]["c1"].clone(), "every paper's proofs");
        tamper(&|b| b["electorate"][0]["weight"] = json!(4_001), "aggregates");
        tamper(&|b| b["decryptions"][0]["factors"][0] = b["decryptions"][0]["factors"][1].clone(), "decryption by trustee 1");
        tamper(&|b| b["totals"][0] = json!(20_601), "totals");
    }

    async fn any_pair_of_three_trustees_decrypts_and_one_alone_cannot(app: TestApp) {
        let e = electorate(&app, &SIZES);
        let (id, trustees) = weighted_ballot_voted(&app, &e, 3, 2).await;
        // Two and three decrypt the same totals as one and three did above.
        assert_eq!(decrypt_as(&app, id, &trustees, 2).await.1["counted"], false);
        assert_eq!(decrypt_as(&app, id, &trustees, 3).await.1["counted"], true);
        let (_, results) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None).await;
        let weights: BTreeMap<String, u64> = results["overall"]["options"].as_array().expect("options").iter().map(|o| (o["key"].as_str().expect("key").to_owned(), o["weight"].as_u64().expect("w"))).collect();
        assert_eq!(weights["for"], 20_600);
        assert_eq!(weights["against"], 15_300);
        // Once counted, no more decryptions are taken.
        assert_eq!(decrypt_as(&app, id, &trustees, 1).await.0, 409);
    }

    async fn a_weighted_ballot_warns_which_practices_the_totals_could_name(app: TestApp) {
        let e = electorate(&app, &[3_000, 3_000, 5_000]);
        let (id, _) = verifiable_ballot(&app, &e, 2, 2, json!({"rules": {"weighting": "list_size"}})).await;
        let board = app.new_visitor();
        ballots::log_in(&board, ADMIN).await;
        let (_, page) = board.get_text(&format!("/ballots/{id}")).await;
        assert!(page.contains("The totals could show how some practices voted"), "{page}");
        assert!(page.contains("1 of 3 practices"), "the practice of 5,000 has a weight no other has: {page}");
        assert!(page.contains("One practice, one vote: 0 practices at risk"), "the remedy is offered: {page}");
        let (status, published) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 200, "{published}");
        assert_eq!(published["weight_privacy"]["practices_at_risk"], 1, "{published}");
        let observer = app.new_visitor();
        ballots::log_in(&observer, ballots::OBSERVER).await;
        let (_, pack) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        let line = &pack[pack.find("Totals cannot show a practice").expect("privacy line")..];
        assert!(line[..line.find("</tr>").expect("row")].contains("nhsuk-tag--yellow"), "{pack}");
        assert!(pack.contains("Encrypted papers and their decryption checked") && pack.contains("any 2 of them to decrypt"), "{pack}");
    }

    async fn a_ballot_cannot_be_published_before_its_key_ceremony_is_complete(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        let id = ballots::create_ballot(&app, &e, json!({"rules": {"secrecy": "verifiable"}})).await;
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("name at least two trustees"), "{body}");
        // One trustee is not enough; an address without an account is named.
        app.create_user("t1@example.org", "committee_member", Some("08V"));
        for (trustees, message) in [(json!(["t1@example.org"]), "at least two"), (json!(["t1@example.org", "nobody@example.org"]), "nobody@example.org has no Quorate account")] {
            let (status, body) = app.api(reqwest::Method::PUT, &format!("/api/v1/ballots/{id}/trustees"), Some(&e.admin_token), Some(json!({"trustees": trustees}))).await;
            assert_eq!(status, 422, "{body}");
            assert!(body.to_string().contains(message), "{body}");
        }
        app.create_user("t2@example.org", "committee_member", Some("08V"));
        let (status, body) = app.api(reqwest::Method::PUT, &format!("/api/v1/ballots/{id}/trustees"), Some(&e.admin_token), Some(json!({"trustees": ["t1@example.org", "t2@example.org"], "threshold": 3}))).await;
        assert_eq!(status, 422, "3 of 2: {body}");
        let (status, _) = app.api(reqwest::Method::PUT, &format!("/api/v1/ballots/{id}/trustees"), Some(&e.admin_token), Some(json!({"trustees": ["t1@example.org", "t2@example.org"]}))).await;
        assert_eq!(status, 200);
        let (status, body) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 422);
        assert!(body.to_string().contains("waiting for the key of"), "{body}");
        // Someone who is not a trustee cannot upload a key.
        let (_, public) = quorate::crypto::trustees::keygen(1, 2, 2, &mut quorate::crypto::group::OsRandom).expect("keygen");
        let upload = json!({"format": "quorate-trustee-key/1", "ballot": id, "trustee": 1, "public": public});
        let (status, _) = ballots::upload_trustee_file(&app, id, &e.admin_token, &upload).await;
        assert_eq!(status, 403);
        // A trustee's key for the wrong number is refused with the reason.
        let t2 = quorate::accounts::service::create_api_token_for(&app.pool, "t2@example.org", "t").expect("token");
        let (status, body) = ballots::upload_trustee_file(&app, id, &t2, &upload).await;
        assert_eq!(status, 422);
        assert!(body.to_string().contains("you are trustee 2"), "{body}");
        // A plain secret ballot cannot be weighted.
        let (status, body) = app
            .api(reqwest::Method::POST, "/api/v1/organisations/08V/ballots", Some(&e.admin_token), Some(json!({
                "kind": "motion", "motion_kind": "application", "title": "T", "question": "Q?",
                "opens_at": ballots::rfc3339_in(60), "closes_at": ballots::rfc3339_in(3600),
                "rules": {"secrecy": "secret", "weighting": "list_size"}
            })))
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("must be verifiable"), "{body}");
    }
}

/// The voter's check that a paper holds their vote, through the pages
/// without JavaScript: the paper shown is opened and never cast.
#[actix_web::test]
async fn a_voter_opens_a_paper_to_check_it_then_casts_a_fresh_one() {
    let app = common::spawn_app(common::Backend::Sqlite).await;
    let e = electorate(&app, &[1_000, 2_000, 3_000]);
    let (id, trustees) = verifiable_ballot(&app, &e, 2, 2, json!({"rules": {"allow_early_close": true}})).await;
    assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
    open_when_due(&app, &e, id).await;
    let voter = app.new_visitor();
    ballots::log_in(&voter, e.rep_of("F84001")).await;
    let form = format!("/ballots/{id}/vote");
    let confirm = voter
        .submit(&form, &format!("/ballots/{id}/vote/confirm"), &[("option", "against")])
        .await;
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.expect("body");
    assert!(
        page.contains("Check that this paper holds your vote") && page.contains("quorate-receipt"),
        "{page}"
    );
    let field = |page: &str, name: &str| -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).expect(name) + marker.len();
        page[start..start + page[start..].find('"').expect("end")].to_owned()
    };
    let nonce = field(&page, "nonce");
    let shown = page
        .split("quorate-receipt\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("tracker")
        .to_owned();
    let checked = voter
        .submit(
            &form,
            &format!("/ballots/{id}/vote/check"),
            &[("option", "against"), ("practice", "F84001"), ("nonce", &nonce)],
        )
        .await;
    assert_eq!(checked.status(), 200);
    let opened_page = checked.text().await.expect("body");
    assert!(
        opened_page.contains("has <strong>not voted yet</strong>") && opened_page.contains(&shown),
        "{opened_page}"
    );
    let json_text = opened_page
        .split("readonly spellcheck=\"false\">")
        .nth(1)
        .and_then(|r| r.split("</textarea>").next())
        .expect("the opened paper");
    let json_text = json_text
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x3D;", "=");
    let opened: quorate::ballots::verifiable::model::OpenedPaper =
        serde_json::from_str(&json_text).expect("an opened paper");
    let record = election(&app, id).await;
    let lines = quorate::ballots::verifiable::cli::check_opened(&opened, &record).expect("the opened paper checks");
    assert!(lines.iter().any(|l| l.contains("encrypts \"against\"")), "{lines:?}");
    // The verification page checks it against the ballot's election record.
    let csrf = voter.csrf_token("/verify").await;
    let upload = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("certificate", json_text.clone());
    let verified = voter
        .client
        .post(voter.url("/verify"))
        .multipart(upload)
        .send()
        .await
        .expect("verify");
    let verified = verified.text().await.expect("body");
    assert!(
        verified.contains("Every check passed") && verified.contains("encrypts &quot;against&quot;"),
        "{verified}"
    );
    // Casting the opened paper (same nonce) is refused; nothing is recorded.
    let cast = voter
        .submit(
            &form,
            &form,
            &[("option", "against"), ("practice", "F84001"), ("nonce", &nonce)],
        )
        .await;
    assert_eq!(cast.status(), 422);
    assert!(cast.text().await.expect("body").contains("opened for a check"));
    // A fresh paper is cast.
    let confirm = voter
        .submit(&form, &format!("/ballots/{id}/vote/confirm"), &[("option", "against")])
        .await;
    let fresh_nonce = field(&confirm.text().await.expect("body"), "nonce");
    assert_ne!(fresh_nonce, nonce);
    let cast = voter
        .submit(
            &form,
            &form,
            &[("option", "against"), ("practice", "F84001"), ("nonce", &fresh_nonce)],
        )
        .await;
    assert_eq!(cast.status(), 200);
    assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
    for trustee in 1..=2 {
        assert_eq!(decrypt_as(&app, id, &trustees, trustee).await.0, 200);
    }
    let board = verifiable_board(&app, id).await;
    assert_eq!(board.spoiled, vec![opened.tracker.clone()]);
    // The voter finds their paper on the board by its tracker, with a proof to the root.
    let receipt = format!("/ballots/{id}/receipt");
    let tracker = quorate::ballots::verifiable::model::tracker_words(&board.papers[0].tracker);
    let found = voter
        .submit(&receipt, &receipt, &[("code", &tracker)])
        .await
        .text()
        .await
        .expect("body");
    assert!(
        found.contains("Your paper is on the bulletin board") && found.contains("(checked: it holds)"),
        "{found}"
    );
    assert!(
        board.papers.iter().all(|p| p.tracker != opened.tracker),
        "the opened paper was never counted"
    );
    let (_, results) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/results"),
            Some(&e.admin_token),
            None,
        )
        .await;
    let against = results["overall"]["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["key"] == "against")
        .expect("against")
        .clone();
    assert_eq!(against["practices"], 1);
    let _ = ADMIN;
}

/// The trustees' page: the returning officer names them (the LMC's
/// observer is suggested), each trustee sees the command for their next
/// step and uploads its file through the page.
#[actix_web::test]
async fn the_trustees_page_guides_each_trustee_through_the_ceremony() {
    let app = common::spawn_app(common::Backend::Sqlite).await;
    let e = electorate(&app, &[1_000, 2_000]);
    let id = ballots::create_ballot(&app, &e, json!({"rules": {"secrecy": "verifiable"}})).await;
    let board = app.new_visitor();
    ballots::log_in(&board, ADMIN).await;
    let page = format!("/ballots/{id}/trustees");
    let (status, body) = board.get_text(&page).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(ballots::OBSERVER),
        "the LMC's observer is suggested: {body}"
    );
    let refused = board
        .submit(&page, &page, &[("trustees", "not-an-address"), ("threshold", "")])
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("href=\"#trustees\"") && body.contains("not-an-address"),
        "{body}"
    );
    app.create_user("scrutineer@example.org", "committee_member", Some("08V"));
    let named = board
        .submit(
            &page,
            &page,
            &[
                ("trustees", &format!("{}\nscrutineer@example.org", ballots::OBSERVER)),
                ("threshold", ""),
            ],
        )
        .await;
    assert_eq!(named.status(), 303);

    let trustee = app.new_visitor();
    ballots::log_in(&trustee, "scrutineer@example.org").await;
    let (status, body) = trustee.get_text(&page).await;
    assert_eq!(status, 200, "a trustee sees the page without any other role there");
    assert!(
        body.contains(&format!(
            "quorate trustee keygen --ballot {id} --trustee 2 --of 2 --threshold 2"
        )),
        "{body}"
    );
    let (_, public) =
        quorate::crypto::trustees::keygen(2, 2, 2, &mut quorate::crypto::group::OsRandom).expect("keygen");
    let file = json!({"format": "quorate-trustee-key/1", "ballot": id, "trustee": 2, "public": public}).to_string();
    let csrf = trustee.csrf_token(&page).await;
    let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(file.into_bytes()).file_name("key.json"),
    );
    let uploaded = trustee
        .client
        .post(trustee.url(&format!("{page}/upload")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 303);
    let (_, body) = trustee.get_text(&page).await;
    assert!(
        body.contains("Your key&#x27;s public part is in") && body.contains("Wait for the other trustees"),
        "{body}"
    );
    // A pasted file that is not one is named as such.
    let csrf = trustee.csrf_token(&page).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("text", "{\"format\": \"something else\"}");
    let bad = trustee
        .client
        .post(trustee.url(&format!("{page}/upload")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .expect("body")
            .contains("not the public part of a trustee key")
    );
    // Someone with no part in the ballot cannot see the ceremony.
    let rep = app.new_visitor();
    ballots::log_in(&rep, e.rep_of("F84001")).await;
    assert_eq!(rep.get_text(&page).await.0, 404, "a draft does not exist for a member");
}
