//! Certified results: the returning officer issues a signed certificate;
//! anyone verifies it (web page, and the CLI on copies of the files with the
//! server stopped); any change to the certificate or the board is caught;
//! a voter finds their paper on the board with its inclusion proof.

mod common;

use common::TestApp;
use common::ballots::{action, create_ballot, electorate, log_in, open_when_due, vote_with_link, voting_links};
use common::smtp::SmtpSink;
use serde_json::{Value, json};

const OFFICER: &str = "ro@example.org";
const BIN: &str = env!("CARGO_BIN_EXE_quorate");

/// A counted motion with 4 of 5 practices voting; returns (ballot, receipts by practice).
async fn counted_ballot(app: &TestApp, e: &common::ballots::Electorate) -> (i64, Vec<(String, String)>) {
    let id = create_ballot(
        app,
        e,
        json!({"rules": {"allow_early_close": true, "constituencies": {"F84001": "North", "F84002": "North", "F84003": "South", "F84004": "South", "F84005": "South"}}}),
    )
    .await;
    assert_eq!(action(app, e, id, "publish", None).await.0, 200);
    // The notices go out (to .eml files) before voting opens.
    assert_eq!(
        app.mail_worker(None, &[]).run_until_idle().await.expect("worker").sent,
        6
    );
    open_when_due(app, e, id).await;
    let links = voting_links(app, id);
    let mut receipts = Vec::new();
    for (code, option) in [
        ("F84001", "for"),
        ("F84002", "for"),
        ("F84003", "against"),
        ("F84004", "for"),
    ] {
        let (status, cast) = vote_with_link(app, id, &links[e.rep_of(code)], option).await;
        assert_eq!(status, 201, "{cast}");
        receipts.push((code.to_owned(), cast["receipt"].as_str().expect("receipt").to_owned()));
    }
    assert_eq!(action(app, e, id, "close", None).await.0, 200);
    (id, receipts)
}

async fn issue(app: &TestApp, id: i64) -> reqwest::Response {
    let page = format!("/ballots/{id}/certificate");
    app.submit(&page, &page, &[("statement", "The count was observed by the LMC.")])
        .await
}

/// Every scalar in a JSON tree, as a path of keys and indexes.
fn leaves(value: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            let mut p = path.clone();
            p.push(k.clone());
            leaves(v, p, out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let mut p = path.clone();
            p.push(i.to_string());
            leaves(v, p, out);
        }),
        _ => out.push(path),
    }
}

fn at<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(value, |v, key| match v {
        Value::Array(items) => &mut items[key.parse::<usize>().expect("index")],
        other => &mut other[key.as_str()],
    })
}

/// The same value of the same kind, changed.
fn changed(value: &Value) -> Value {
    match value {
        Value::Bool(b) => json!(!b),
        Value::Number(n) => json!(n.as_u64().map_or(1, |n| n + 1)),
        Value::String(s) if s.is_empty() => json!("x"),
        Value::String(s) => json!(format!("{s}x")),
        Value::Null => json!("x"),
        other => other.clone(),
    }
}

fn verifies(signed: &Value, board: Option<&Value>) -> bool {
    let Ok(signed) = serde_json::from_value::<quorate::certify::model::Signed>(signed.clone()) else {
        return false;
    };
    let board = board.map(|b| quorate::certify::model::BoardFile::parse(&b.to_string()));
    match board {
        Some(Err(_)) => false,
        Some(Ok(board)) => {
            quorate::certify::model::all_passed(&quorate::certify::model::verify(&signed, Some(&board), None))
        }
        None => quorate::certify::model::all_passed(&quorate::certify::model::verify(&signed, None, None)),
    }
}

backend_tests! {
    async fn a_certificate_is_issued_verified_anywhere_and_tampering_fails(app: TestApp) {
        let sink = SmtpSink::start();
        let e = electorate(&app, &[1_000, 2_000, 3_000, 4_000, 5_000]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let (id, receipts) = counted_ballot(&app, &e).await;

        // The board administrator may not issue it; the returning officer does.
        log_in(&app, common::ballots::ADMIN).await;
        assert_eq!(issue(&app, id).await.status(), 403);
        let officer = app.new_visitor();
        log_in(&officer, OFFICER).await;
        let (_, form) = officer.get_text(&format!("/ballots/{id}/certificate")).await;
        assert!(form.contains("Issue and sign the certificate"), "{form}");
        assert_eq!(issue(&officer, id).await.status(), 303);
        assert_eq!(issue(&officer, id).await.status(), 409, "issued once");

        // Anyone sees it, printable, with a QR code to its verification page.
        let visitor = app.new_visitor();
        let (status, page) = visitor.get_text(&format!("/ballots/{id}/certificate")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Certificate of result") && page.contains("Not carried"), "{page}");
        assert!(page.contains("<svg") && page.contains("/verify?certificate"), "{page}");
        assert!(page.contains("The count was observed by the LMC."));
        assert!(!page.contains(&format!("href=\"/ballots/{id}\"")), "no link a visitor without an account cannot follow");
        let signed: Value = visitor.get(&format!("/ballots/{id}/certificate.json")).await.json().await.expect("json");
        let pdf = visitor.get(&format!("/ballots/{id}/certificate.pdf")).await;
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
        let pdf = pdf.bytes().await.expect("pdf");
        assert!(pdf.starts_with(b"%PDF-1.7") && pdf.ends_with(b"%%EOF\n"));
        if let Ok(path) = std::env::var("QUORATE_KEEP_PDF") {
            std::fs::write(path, &pdf).expect("keep");
        }
        let pdf_text = String::from_utf8_lossy(&pdf);
        let title: String = "Certificate of result: Apply for delegated commissioning".encode_utf16().map(|u| format!("{u:04X}")).collect();
        assert!(pdf_text.contains(&format!("/Title <FEFF{title}>")) && pdf_text.contains("re f"), "title and QR squares");
        assert!(pdf_text.contains("/StructTreeRoot") && pdf_text.contains("/Lang (en-GB)"), "a tagged PDF in English");
        assert!(pdf.len() < 120_000, "the font is a subset: {} bytes", pdf.len());
        // People's dates, not timestamps; and one page, not a near-empty second.
        assert!(!page.contains("T") || !page.split_whitespace().any(|w| w.len() > 20 && w.contains('T') && w.ends_with('Z')), "no raw timestamps");
        assert!(page.contains("Voting was to close") && page.contains(" on "), "{page}");
        assert!(pdf_text.contains("/Count 1 "), "the certificate fits one page");
        let board: Value = visitor.get(&format!("/api/v1/ballots/{id}/board")).await.json().await.expect("json");
        assert_eq!(signed["certificate"]["votes"]["cast"], 4);
        assert_eq!(signed["certificate"]["timeline"]["notices"]["delivered_by_opening"], 6);
        assert_eq!(board["papers"].as_array().map(Vec::len), Some(4));
        assert_eq!(board["voters"], json!(["F84001", "F84002", "F84003", "F84004"]));
        // Overall 3 for, 1 against; South 1 against, 1 for: not carried in South.
        assert_eq!(signed["certificate"]["result"]["outcome"]["result"], "not_carried");
        assert!(verifies(&signed, Some(&board)));
        let (_, api_cert) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/certificate"), None, None).await;
        assert_eq!(api_cert, signed);

        // The key is the organisation's, shown on its public page.
        let (status, key_page) = visitor.get_text("/organisations/08V/key").await;
        assert_eq!(status, 200);
        let fingerprint = signed["certificate"]["key_fingerprint"].as_str().expect("fingerprint");
        assert!(key_page.contains(fingerprint) && key_page.contains(signed["certificate"]["public_key"].as_str().expect("key")));

        // The verification page, by id and by pasting.
        let cert_id = signed["certificate"]["id"].as_str().expect("id");
        let (status, checked) = visitor.get_text(&format!("/verify?certificate={cert_id}")).await;
        assert_eq!(status, 200);
        assert!(checked.contains("Every check passed.") && !checked.contains("nhsuk-tag--red"), "{checked}");
        let mut forged = signed.clone();
        forged["certificate"]["outcome_in_words"] = json!("Carried: 100% for");
        let post = |parts: Vec<(&'static str, String, bool)>| {
            let visitor = &visitor;
            async move {
                let csrf = visitor.csrf_token("/verify").await;
                let mut form = reqwest::multipart::Form::new().text("_csrf", csrf);
                for (name, value, as_file) in parts {
                    form = if as_file {
                        form.part(name, reqwest::multipart::Part::bytes(value.into_bytes()).file_name("upload.json"))
                    } else {
                        form.text(name, value)
                    };
                }
                visitor.client.post(visitor.url("/verify")).multipart(form).send().await.expect("post")
            }
        };
        let response = post(vec![("certificate", forged.to_string(), false), ("board", board.to_string(), false)]).await;
        let body = response.text().await.expect("body");
        assert!(body.contains("Some checks failed") && body.contains("it was changed after signing"), "{body}");
        // Files as downloaded, uploaded.
        let response = post(vec![("certificate_file", signed.to_string(), true), ("board_file", board.to_string(), true)]).await;
        let body = response.text().await.expect("body");
        assert!(body.contains("Every check passed.") && body.contains("Merkle root"), "{body}");
        // A certificate signed with some other key is consistent with itself
        // but is not the organisation's: /verify checks the published key.
        let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let mut resigned: quorate::certify::model::Signed = serde_json::from_value(signed.clone()).expect("signed");
        resigned.certificate.public_key = hex::encode(other.verifying_key().to_bytes());
        resigned.certificate.key_fingerprint = quorate::certify::model::fingerprint(&other.verifying_key());
        let resigned = quorate::certify::model::sign(resigned.certificate, &other).expect("sign");
        let response = post(vec![("certificate", serde_json::to_string(&resigned).expect("json"), false), ("board", board.to_string(), false)]).await;
        let body = response.text().await.expect("body");
        assert!(body.contains("Some checks failed") && body.contains("is not one that 08V has published"), "{body}");
        assert!(!body.contains("Every check passed"));
        let response = post(vec![("certificate", "{not json".to_owned(), false)]).await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("is not a Quorate certificate as downloaded: it is not a JSON file, or it was changed by hand: the first problem is on line 1, character 2"), "{body}");
        // Errors in words, not the parser's.
        assert!(!body.contains("key must be a string"), "{body}");
        let cut = serde_json::to_string(&signed).expect("json");
        let response = post(vec![("certificate", cut[..cut.len() / 2].to_owned(), false)]).await;
        assert!(response.text().await.expect("body").contains("it ends too soon, so part of it is missing"));
        let response = post(vec![("certificate", "{\"certificate\": 1}".to_owned(), false), ("board", "[1]".to_owned(), false)]).await;
        let body = response.text().await.expect("body");
        assert!(body.contains("a part is missing, extra or of the wrong kind"), "{body}");
        assert!(body.contains("is not a Quorate bulletin board as downloaded"), "{body}");

        // Changing any single field of the certificate breaks it.
        let mut paths = Vec::new();
        leaves(&signed["certificate"], vec!["certificate".into()], &mut paths);
        assert!(paths.len() > 60, "{} fields", paths.len());
        for path in &paths {
            let mut copy = signed.clone();
            let field = at(&mut copy, path);
            *field = changed(field);
            assert!(!verifies(&copy, Some(&board)), "changing {path:?} went unnoticed");
        }
        // … and so does changing, dropping, adding or reordering a paper.
        let mut paper_paths = Vec::new();
        leaves(&board["papers"], vec!["papers".into()], &mut paper_paths);
        for path in &paper_paths {
            let mut copy = board.clone();
            let field = at(&mut copy, path);
            *field = changed(field);
            assert!(!verifies(&signed, Some(&copy)), "changing {path:?} went unnoticed");
        }
        let mut dropped = board.clone();
        dropped["papers"].as_array_mut().expect("papers").pop();
        assert!(!verifies(&signed, Some(&dropped)));
        let mut reordered = board.clone();
        reordered["papers"].as_array_mut().expect("papers").swap(0, 1);
        assert!(!verifies(&signed, Some(&reordered)));
        let mut stuffed = board.clone();
        let extra = stuffed["papers"][0].clone();
        stuffed["papers"].as_array_mut().expect("papers").push(extra);
        assert!(!verifies(&signed, Some(&stuffed)));
        let mut other_electorate = board.clone();
        other_electorate["electorate"][0]["weight"] = json!(9);
        assert!(!verifies(&signed, Some(&other_electorate)));

        // A voter finds their paper with its proof; a wrong code finds nothing.
        let (code, receipt) = &receipts[2];
        let receipt_page = format!("/ballots/{id}/receipt");
        let check = |code: String| {
            let visitor = &visitor;
            let receipt_page = receipt_page.clone();
            async move {
                let response = visitor.submit(&receipt_page, &receipt_page, &[("code", &code)]).await;
                let status = response.status().as_u16();
                (status, response.text().await.expect("body"))
            }
        };
        // A code in the address is not looked at: it would sit in the history.
        let (_, ignored) = visitor.get_text(&format!("/ballots/{id}/receipt?code={receipt}")).await;
        assert!(!ignored.contains("Your paper is on the bulletin board"), "{ignored}");
        let (status, found) = check(receipt.to_string()).await;
        assert_eq!(status, 200, "{code}");
        assert!(found.contains("Your paper is on the bulletin board and was counted: <strong>Against</strong>"), "{found}");
        assert!(found.contains("(checked: it holds)"));
        let lower = receipt.to_lowercase().replace('-', " ");
        assert_eq!(check(lower.to_string()).await.0, 200, "typed loosely");
        let (status, missing) = check("AAAA-BBBB".to_owned()).await;
        assert_eq!(status, 404);
        assert!(missing.contains("No paper has this receipt"));

        // The electorate and the LMC are told.
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        let told: Vec<_> = sink
            .received()
            .into_iter()
            .filter(|m| m.parsed().subject().unwrap_or_default().starts_with("Certificate of result issued"))
            .collect();
        assert_eq!(told.len(), 6, "five representatives and the observer");

        // Offline, on copies of the files, with the server stopped.
        let dir = tempfile::tempdir().expect("dir");
        let cert_file = dir.path().join("certificate.json");
        let board_file = dir.path().join("board.json");
        std::fs::write(&cert_file, signed.to_string()).expect("write");
        std::fs::write(&board_file, board.to_string()).expect("write");
        let forged_file = dir.path().join("forged.json");
        std::fs::write(&forged_file, forged.to_string()).expect("write");
        let keys_json = app.get_text("/organisations/08V/keys.json").await.1;
        app.stop().await;
        let run = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new(BIN)
                .args(args)
                .env_clear()
                .current_dir(dir.path())
                .output()
                .expect("run quorate verify")
        };
        // Without the organisation's key the signer is not confirmed: not all pass.
        let unconfirmed = run(&["verify".as_ref(), cert_file.as_os_str(), "--board".as_ref(), board_file.as_os_str()]);
        let out = String::from_utf8_lossy(&unconfirmed.stdout);
        assert_eq!(unconfirmed.status.code(), Some(1), "{out}");
        assert!(out.contains("FAIL signer: not confirmed") && out.contains(signed["certificate"]["key_fingerprint"].as_str().expect("fp")), "{out}");
        let key_hex = signed["certificate"]["public_key"].as_str().expect("key").to_owned();
        let ok = run(&["verify".as_ref(), cert_file.as_os_str(), "--board".as_ref(), board_file.as_os_str(), "--key".as_ref(), key_hex.as_ref()]);
        let out = String::from_utf8_lossy(&ok.stdout);
        assert_eq!(ok.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&ok.stderr));
        // The signed key history confirms it too.
        let keys_file = dir.path().join("keys.json");
        std::fs::write(&keys_file, &keys_json).expect("write");
        let with_history = run(&["verify".as_ref(), cert_file.as_os_str(), "--keys".as_ref(), keys_file.as_os_str()]);
        assert_eq!(with_history.status.code(), Some(0), "{}", String::from_utf8_lossy(&with_history.stdout));
        assert!(String::from_utf8_lossy(&with_history.stdout).contains("PASS signer: 08V's current published key"));
        assert!(out.contains("PASS signature") && out.contains("PASS Merkle root") && out.contains("PASS tally") && !out.contains("FAIL"), "{out}");
        let bad = run(&["verify".as_ref(), forged_file.as_os_str(), "--board".as_ref(), board_file.as_os_str()]);
        assert_eq!(bad.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&bad.stdout).contains("FAIL signature"));
        let wrong_key = run(&["verify".as_ref(), cert_file.as_os_str(), "--key".as_ref(), "00".repeat(32).as_ref()]);
        assert_eq!(wrong_key.status.code(), Some(1));
        let unreadable = run(&["verify".as_ref(), board_file.as_os_str()]);
        assert_eq!(unreadable.status.code(), Some(2), "a board is not a certificate");
    }

    async fn nothing_is_certified_before_the_count(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let officer = app.new_visitor();
        log_in(&officer, OFFICER).await;
        assert_eq!(issue(&officer, id).await.status(), 409);
        assert_eq!(app.new_visitor().get(&format!("/ballots/{id}/board.json")).await.status(), 409);
        assert_eq!(app.new_visitor().get(&format!("/ballots/{id}/certificate.json")).await.status(), 404);
    }

    // Programs can do what the page does: issue the certificate.
    async fn the_returning_officer_issues_the_certificate_through_the_api(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000, 3_000, 4_000, 5_000]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let (id, _) = counted_ballot(&app, &e).await;
        let path = format!("/api/v1/ballots/{id}/certificate");
        let admin = quorate::accounts::service::create_api_token_for(&app.pool, common::ballots::ADMIN, "test").expect("token");
        let (status, body) = app.api(reqwest::Method::POST, &path, Some(&admin), None).await;
        assert_eq!(status, 403, "the board does not certify its own ballot: {body}");
        let officer = quorate::accounts::service::create_api_token_for(&app.pool, OFFICER, "test").expect("token");
        let (status, body) = app.api(reqwest::Method::POST, &path, Some(&officer), Some(json!({"statement": "x".repeat(4001)}))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "statement");
        let (status, body) = app.api(reqwest::Method::POST, &path, Some(&officer), Some(json!({"colour": "blue"}))).await;
        assert_eq!(status, 400, "{body}");
        let (status, signed) = app.api(reqwest::Method::POST, &path, Some(&officer), Some(json!({"statement": "Counted in public."}))).await;
        assert_eq!(status, 201, "{signed}");
        assert!(verifies(&signed, None), "{signed}");
        assert_eq!(signed["certificate"]["returning_officer"]["statement"], "Counted in public.");
        let (status, _) = app.api(reqwest::Method::POST, &path, Some(&officer), None).await;
        assert_eq!(status, 409, "issued once");
        let (_, public) = app.api(reqwest::Method::GET, &path, None, None).await;
        assert_eq!(public, signed);
    }

    // The key file was lost: nothing is signed until the operator replaces
    // the key (a server without the key must not retire the key other
    // servers sign with); a new key signs from then on, and certificates
    // signed with the old one still verify through the signed key history.
    async fn a_lost_signing_key_is_replaced_and_earlier_certificates_stay_verifiable(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000, 1_000, 1_000, 1_000]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let officer = app.new_visitor();
        log_in(&officer, OFFICER).await;
        let (first, _) = counted_ballot(&app, &e).await;
        assert_eq!(issue(&officer, first).await.status(), 303);
        let first_cert: Value = app.get(&format!("/ballots/{first}/certificate.json")).await.json().await.expect("json");
        let key_file = app.data_dir.join("signing-keys").join("08V.key");
        let first_key = std::fs::read_to_string(&key_file).expect("the first key");
        std::fs::remove_file(&key_file).expect("the key file is lost");
        app.mail_worker(None, &[]).run_until_idle().await.expect("the first ballot's mail goes");
        let (second, _) = counted_ballot(&app, &e).await;
        let refused = issue(&officer, second).await;
        assert_eq!(refused.status(), 503);
        let page = refused.text().await.expect("page");
        assert!(page.contains("not set up to sign for 08V") && !page.contains("signing-keys"), "the operator's detail is logged, not shown: {page}");
        assert_eq!(app.get(&format!("/ballots/{second}/certificate.json")).await.status(), 404, "nothing was signed");
        let fingerprint = quorate::certify::service::replace_key(&app.pool, &app.data_dir, "08V").expect("replaced");
        let again = quorate::certify::service::replace_key(&app.pool, &app.data_dir, "08V").expect_err("already current");
        assert!(again.to_string().contains("already holds the current key"), "{again}");
        // The lost file found again: a retired key is never made current again.
        let current_key = std::fs::read_to_string(&key_file).expect("the new key");
        std::fs::write(&key_file, &first_key).expect("the old file back");
        let retired = quorate::certify::service::replace_key(&app.pool, &app.data_dir, "08V").expect_err("retired");
        assert!(retired.to_string().contains("holds an earlier key of 08V"), "{retired}");
        std::fs::write(&key_file, &current_key).expect("the current key back");
        assert_eq!(issue(&officer, second).await.status(), 303);
        let second_cert: Value = app.get(&format!("/ballots/{second}/certificate.json")).await.json().await.expect("json");
        assert_ne!(first_cert["certificate"]["public_key"], second_cert["certificate"]["public_key"], "a new key");
        assert_eq!(second_cert["certificate"]["key_fingerprint"], fingerprint.as_str());

        let visitor = app.new_visitor();
        let id = first_cert["certificate"]["id"].as_str().expect("id");
        let (_, checked) = visitor.get_text(&format!("/verify?certificate={id}")).await;
        assert!(checked.contains("Every check passed") && checked.contains("an earlier key of 08V"), "{checked}");
        let (_, key_page) = visitor.get_text("/organisations/08V/key").await;
        assert!(key_page.contains("Keys used before") && key_page.contains(first_cert["certificate"]["key_fingerprint"].as_str().expect("fp")), "{key_page}");
        let history: quorate::certify::model::SignedKeyHistory = serde_json::from_str(&visitor.get_text("/organisations/08V/keys.json").await.1).expect("history");
        let checked = quorate::certify::model::check_history(&history).expect("signed by the current key");
        assert_eq!(checked.keys.len(), 2);
        assert_eq!(checked.keys[1].public_key, second_cert["certificate"]["public_key"].as_str().expect("key"));
        let mut altered = history.clone();
        altered.history.keys.remove(0);
        assert!(quorate::certify::model::check_history(&altered).is_err(), "the history cannot be edited");
        let mut conn = app.pool.get().expect("connection");
        let log = quorate::audit::store::all(&mut conn).expect("audit");
        assert!(log.iter().any(|e| e.entry.action == "certificate.key_changed"));
    }
}
