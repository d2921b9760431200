//! A verifiable ballot run with the real `quorate` binary on the trustees'
//! and a voter's side, offline: `trustee keygen`, `shares`, `check`,
//! `decrypt`, `vote` (and `vote --open` with `verify` of the opened paper),
//! then `verify` of the certificate and its board — which fails when the
//! board is changed.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::ballots::{self, action, electorate, open_when_due, upload_trustee_file, vote_with_link, voting_links};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn quorate(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .current_dir(dir)
        .output()
        .expect("run quorate")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ok(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout(output)).expect("the command prints JSON")
}

async fn save_ceremony(app: &common::TestApp, id: i64, token: &str, dir: &Path) {
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/trustees"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    std::fs::write(dir.join("ceremony.json"), body.to_string()).expect("write ceremony");
}

#[actix_web::test]
async fn trustees_and_a_voter_use_the_command_line_and_anyone_verifies_offline() {
    let app = common::spawn_app(common::Backend::Sqlite).await;
    let e = electorate(&app, &[2_000, 3_000, 4_000]);
    let dir = tempfile::tempdir().expect("dir");
    let id = ballots::create_ballot(
        &app,
        &e,
        json!({"rules": {"secrecy": "verifiable", "weighting": "list_size", "allow_early_close": true}}),
    )
    .await;
    let mut tokens = Vec::new();
    for i in 1..=2 {
        let email = format!("t{i}@example.org");
        app.create_user(&email, "committee_member", Some("08V"));
        tokens.push(quorate::accounts::service::create_api_token_for(&app.pool, &email, "trustee").expect("token"));
    }
    let (status, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/ballots/{id}/trustees"),
            Some(&e.admin_token),
            Some(json!({"trustees": ["t1@example.org", "t2@example.org"]})),
        )
        .await;
    assert_eq!(status, 200);
    let id_text = id.to_string();

    // Each trustee makes a key on their own machine; the private part stays there.
    for i in 1..=2u32 {
        let key_file = format!("t{i}.key");
        let out = quorate(
            dir.path(),
            &[
                "trustee",
                "keygen",
                "--ballot",
                &id_text,
                "--trustee",
                &i.to_string(),
                "--of",
                "2",
                "--threshold",
                "2",
                "--out",
                &key_file,
            ],
        );
        let upload = ok(&out);
        assert!(
            !stdout(&out).contains("coefficients"),
            "the private part is not printed"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(&key_file))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "owner-only");
        }
        let (status, body) = upload_trustee_file(&app, id, &tokens[i as usize - 1], &upload).await;
        assert_eq!(status, 200, "{body}");
    }
    let again = quorate(
        dir.path(),
        &[
            "trustee",
            "keygen",
            "--ballot",
            &id_text,
            "--trustee",
            "1",
            "--of",
            "2",
            "--threshold",
            "2",
            "--out",
            "t1.key",
        ],
    );
    assert_eq!(again.status.code(), Some(2), "a key file is never overwritten");
    let bad_usage = quorate(
        dir.path(),
        &[
            "trustee",
            "keygen",
            "--ballot",
            &id_text,
            "--trustee",
            "3",
            "--of",
            "2",
            "--threshold",
            "2",
            "--out",
            "x.key",
        ],
    );
    assert_eq!(bad_usage.status.code(), Some(2));

    save_ceremony(&app, id, &tokens[0], dir.path()).await;
    for i in 1..=2u32 {
        let shares = ok(&quorate(
            dir.path(),
            &[
                "trustee",
                "shares",
                "--key",
                &format!("t{i}.key"),
                "--ceremony",
                "ceremony.json",
            ],
        ));
        let (status, body) = upload_trustee_file(&app, id, &tokens[i as usize - 1], &shares).await;
        assert_eq!(status, 200, "{body}");
    }
    save_ceremony(&app, id, &tokens[0], dir.path()).await;
    for i in 1..=2u32 {
        let check = quorate(
            dir.path(),
            &[
                "trustee",
                "check",
                "--key",
                &format!("t{i}.key"),
                "--ceremony",
                "ceremony.json",
            ],
        );
        assert_eq!(
            check.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert!(stdout(&check).starts_with("PASS"), "{}", stdout(&check));
    }
    assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
    open_when_due(&app, &e, id).await;

    // A voter encrypts on their own machine and posts the file as it is.
    let election = app.get_text(&format!("/ballots/{id}/election.json")).await.1;
    std::fs::write(dir.path().join("election.json"), &election).expect("write election");
    let paper = ok(&quorate(
        dir.path(),
        &[
            "vote",
            "--election",
            "election.json",
            "--practice",
            "F84001",
            "--option",
            "for",
        ],
    ));
    let links = voting_links(&app, id);
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/ballots/{id}/votes"),
            Some(&links[e.rep_of("F84001")]),
            Some(paper),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Opened for a check instead: it says what it holds, and is never cast.
    let opened = ok(&quorate(
        dir.path(),
        &[
            "vote",
            "--election",
            "election.json",
            "--practice",
            "F84002",
            "--option",
            "against",
            "--open",
        ],
    ));
    std::fs::write(dir.path().join("opened.json"), opened.to_string()).expect("write opened");
    let verified = quorate(dir.path(), &["verify", "opened.json", "--election", "election.json"]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(
        stdout(&verified).contains("encrypts \"against\""),
        "{}",
        stdout(&verified)
    );
    let mut lying = opened.clone();
    lying["option"] = json!("for");
    std::fs::write(dir.path().join("lying.json"), lying.to_string()).expect("write");
    assert_eq!(
        quorate(dir.path(), &["verify", "lying.json", "--election", "election.json"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        vote_with_link(&app, id, &links[e.rep_of("F84002")], "against").await.0,
        201
    );
    assert_eq!(action(&app, &e, id, "close", None).await.0, 200);

    // Each trustee checks the board and decrypts their part.
    let board = app.get_text(&format!("/ballots/{id}/board.json")).await.1;
    std::fs::write(dir.path().join("board.json"), &board).expect("write board");
    let mut forged: Value = serde_json::from_str(&board).expect("json");
    forged["electorate"][0]["weight"] = json!(1);
    std::fs::write(dir.path().join("forged-board.json"), forged.to_string()).expect("write");
    let refused = quorate(
        dir.path(),
        &["trustee", "decrypt", "--key", "t1.key", "--board", "forged-board.json"],
    );
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a trustee does not decrypt a board that does not check"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("aggregates"));
    for i in 1..=2u32 {
        let partial = ok(&quorate(
            dir.path(),
            &[
                "trustee",
                "decrypt",
                "--key",
                &format!("t{i}.key"),
                "--board",
                "board.json",
            ],
        ));
        let (status, body) = upload_trustee_file(&app, id, &tokens[i as usize - 1], &partial).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, results) = app
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/ballots/{id}/results"),
            Some(&e.admin_token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{results}");

    // The certificate verifies offline with its board; a changed board does not.
    app.create_user("ro@example.org", "returning_officer", Some("08V"));
    let officer = app.new_visitor();
    ballots::log_in(&officer, "ro@example.org").await;
    let page = format!("/ballots/{id}/certificate");
    assert_eq!(officer.submit(&page, &page, &[]).await.status(), 303);
    std::fs::write(
        dir.path().join("certificate.json"),
        app.get_text(&format!("/ballots/{id}/certificate.json")).await.1,
    )
    .expect("write");
    std::fs::write(
        dir.path().join("board.json"),
        app.get_text(&format!("/ballots/{id}/board.json")).await.1,
    )
    .expect("write");
    std::fs::write(
        dir.path().join("keys.json"),
        app.get_text("/organisations/08V/keys.json").await.1,
    )
    .expect("write");
    app.stop().await;
    let out = quorate(
        dir.path(),
        &[
            "verify",
            "certificate.json",
            "--board",
            "board.json",
            "--keys",
            "keys.json",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for check in [
        "PASS every paper's proofs",
        "PASS aggregates",
        "PASS decryption by trustee 1",
        "PASS totals",
        "PASS tally",
        "PASS outcome",
    ] {
        assert!(text.contains(check), "{check}: {text}");
    }
    let mut changed: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("board.json")).expect("read")).expect("json");
    changed["papers"][0]["paper"]["choices"][0]["beta"] = changed["papers"][0]["paper"]["choices"][1]["beta"].clone();
    std::fs::write(dir.path().join("changed.json"), changed.to_string()).expect("write");
    let out = quorate(
        dir.path(),
        &[
            "verify",
            "certificate.json",
            "--board",
            "changed.json",
            "--keys",
            "keys.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("FAIL every paper's proofs"), "{}", stdout(&out));
}
