//! Elections over HTTP: a draft with candidates, seats and an STV rule;
//! ranked papers through the API and the page's number boxes (bad
//! rankings refused, nothing stored); the count stage by stage on the
//! results page, in CSV, JSON and the certificate; the BLT export recounted
//! offline by `quorate stv count`; the certificate's recount from the board.

mod common;

use common::TestApp;
use common::ballots::{self, action, create_ballot, electorate, log_in, open_when_due, voting_links};
use serde_json::{Value, json};

const OFFICER: &str = "ro@example.org";
const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn candidates() -> Value {
    // Entered out of order: the paper lists them by surname.
    json!([
        {"key": "cal", "label": "Dr Cal Cole", "description": "GP partner, Practice 3"},
        {"key": "ann", "label": "Dr Ann Able", "description": "GP partner, Practice 1"},
        {"key": "dee", "label": "Dr Dee Dunn", "description": "GP partner, Practice 4"},
        {"key": "bea", "label": "Dr Bea Best", "description": "Salaried GP, Practice 2"},
    ])
}

fn election(extra_rules: Value) -> Value {
    let mut rules = json!({"secrecy": "secret", "weighting": "per_practice", "seats": 2, "count_rule": "scottish", "allow_early_close": true});
    if let (Some(rules), Value::Object(extra)) = (rules.as_object_mut(), extra_rules) {
        rules.extend(extra);
    }
    json!({
        "kind": "election",
        "title": "GP members of the governing body 2027",
        "question": "Elect two GP members of the governing body",
        "options": candidates(),
        "rules": rules,
    })
}

async fn draft_refused(app: &TestApp, e: &ballots::Electorate, body: Value) -> String {
    let mut full = json!({"opens_at": ballots::rfc3339_in(60), "closes_at": ballots::rfc3339_in(3600)});
    if let (Some(full), Value::Object(body)) = (full.as_object_mut(), body) {
        full.extend(body);
    }
    let (status, refused) = app
        .api(
            reqwest::Method::POST,
            "/api/v1/organisations/08V/ballots",
            Some(&e.admin_token),
            Some(full),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    refused.to_string()
}

fn paper_count(app: &TestApp, id: i64) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    quorate::ballots::store::paper_count(&mut conn, i32::try_from(id).expect("id")).expect("count")
}

async fn vote_ranking(app: &TestApp, id: i64, token: &str, ranking: &[&str]) -> (u16, Value) {
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/ballots/{id}/votes"),
        Some(token),
        Some(json!({ "ranking": ranking })),
    )
    .await
}

backend_tests! {
    async fn an_election_runs_from_candidates_to_a_certified_stv_count(app: TestApp) {
        let e = electorate(&app, &[1_000; 12]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));

        // Drafts that cannot be run are refused, naming what is wrong.
        let mut two = election(json!({}));
        two["options"] = json!([{"key": "ann", "label": "Ann"}, {"key": "bea", "label": "Bea"}]);
        assert!(draft_refused(&app, &e, two).await.contains("more candidates than seats"));
        let verifiable = draft_refused(&app, &e, election(json!({"secrecy": "verifiable"}))).await;
        assert!(verifiable.contains("An election cannot be verifiable"), "{verifiable}");
        let mut same = election(json!({}));
        same["options"][1]["label"] = json!("dr cal cole");
        assert!(draft_refused(&app, &e, same).await.contains("both called"));
        let weighted = draft_refused(&app, &e, election(json!({"weighting": "list_size"}))).await;
        assert!(weighted.contains("A weighted election must be recorded"), "a weighted plain secret election could name a voter: {weighted}");
        assert!(draft_refused(&app, &e, election(json!({"count_rule": "borda"}))).await.contains("scottish or meek"));
        let mut motion = election(json!({}));
        motion["kind"] = json!("motion");
        motion["motion_kind"] = json!("application");
        motion.as_object_mut().map(|m| m.remove("options"));
        assert!(draft_refused(&app, &e, motion).await.contains("Only an election has seats"));

        let id = create_ballot(&app, &e, election(json!({}))).await;
        let (_, draft) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(draft["kind"], "election");
        assert_eq!(draft["rules"]["seats"], 2);
        assert_eq!(draft["rules"]["count_rule"], "scottish");
        assert_eq!(draft["rules"]["paper_order"], "alphabetical");
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let (_, published) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        let order: Vec<&str> = published["options"].as_array().expect("options").iter().filter_map(|o| o["key"].as_str()).collect();
        assert_eq!(order, ["ann", "bea", "cal", "dee"], "alphabetical by surname from publication");
        assert!(draft_refused(&app, &e, election(json!({"paper_order": "by height"}))).await.contains("alphabetical, random or as_entered"));
        open_when_due(&app, &e, id).await;
        let links = voting_links(&app, id);
        let link = |n: usize| links[e.rep_of(&format!("F84{n:03}"))].clone();

        // Bad rankings are refused and nothing is stored; the link still works.
        for (bad, why) in [
            (vec!["ann", "ann"], "ranked more than once"),
            (vec!["ann", "zed"], "\"zed\" is not a candidate"),
            (vec![], "at least one"),
        ] {
            let (status, refused) = vote_ranking(&app, id, &link(1), &bad).await;
            assert_eq!(status, 422, "{refused}");
            assert!(refused["error"]["message"].as_str().unwrap_or_default().contains(why), "{refused}");
        }
        for (bad, why) in [(vec!["ann>bea"], "Preference 1"), (vec!["ann", " "], "Preference 2")] {
            let (status, refused) = vote_ranking(&app, id, &link(1), &bad).await;
            assert_eq!(status, 422, "{refused}");
            assert!(refused["error"]["message"].as_str().unwrap_or_default().contains(why), "{refused}");
        }
        let (status, both) = app
            .api(reqwest::Method::POST, &format!("/api/v1/ballots/{id}/votes"), Some(&link(1)),
                Some(json!({"option": "ann", "ranking": ["ann"]})))
            .await;
        assert_eq!(status, 422, "{both}");
        assert_eq!(paper_count(&app, id), 0);

        // Practice 12 votes on the page: a number box per candidate.
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84012")).await;
        let (status, form) = rep.get_text(&format!("/ballots/{id}/vote")).await;
        assert_eq!(status, 200, "{form}");
        for name in ["rank_ann", "rank_bea", "rank_cal", "rank_dee"] {
            assert!(form.contains(&format!("name=\"{name}\"")), "{form}");
        }
        assert!(form.contains("Salaried GP, Practice 2"), "the line beside the name");
        let page = format!("/ballots/{id}/vote");
        let confirm = format!("/ballots/{id}/vote/confirm");
        let response = rep.submit(&page, &confirm, &[("rank_ann", "1"), ("rank_bea", "2"), ("rank_cal", "2")]).await;
        assert_eq!(response.status(), 422);
        let refused = response.text().await.expect("body");
        assert!(refused.contains("You gave 2 to both Dr Bea Best and Dr Cal Cole"), "{refused}");
        assert!(refused.contains("href=\"#rank-cal\""), "the error summary links to the box: {refused}");
        assert!(refused.contains("value=\"2\""), "the numbers typed are kept");
        let response = rep.submit(&page, &confirm, &[]).await;
        assert_eq!(response.status(), 422);
        let empty = response.text().await.expect("body");
        assert!(empty.contains("href=\"#ranking\"") && empty.contains("id=\"ranking-error\""), "a whole-paper error has its place: {empty}");
        let response = rep.submit(&page, &confirm, &[("rank_cal", "1"), ("rank_bea", "2"), ("rank_dee", " ")]).await;
        assert_eq!(response.status(), 200);
        let check = response.text().await.expect("body");
        assert!(check.contains("1. Dr Cal Cole; 2. Dr Bea Best"), "{check}");
        // "Change your choice" comes back with the numbers filled in.
        assert!(check.contains("?option&#x3D;cal%3Ebea&amp;practice&#x3D;F84012"), "{check}");
        let (_, again) = rep.get_text(&format!("/ballots/{id}/vote?option=cal%3Ebea&practice=F84012")).await;
        assert!(again.contains("id=\"rank-cal\" name=\"rank_cal\" type=\"text\" inputmode=\"numeric\" value=\"1\""), "{again}");
        // Cast what the check page carries, as the browser would.
        let hidden = check.split("name=\"option\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("hidden option");
        assert_eq!(hidden, "cal&gt;bea");
        let csrf = common::csrf_in(&check).expect("csrf");
        let response = rep.post_form(&page, &[("_csrf", &csrf), ("option", "cal>bea"), ("practice", "F84012")]).await;
        assert_eq!(response.status(), 200);
        let receipt = response.text().await.expect("body");
        assert!(!receipt.contains("Dr Cal Cole") && !receipt.contains("cal&gt;bea"), "a secret paper's receipt page does not repeat it: {receipt}");
        assert_eq!(paper_count(&app, id), 1);

        // The rest by the API: a hand-worked count. Quota 12/3 + 1 = 5:
        // Ann 5 is elected at once; Dee (1) is excluded and transfers to
        // Cal; then Bea (3) is excluded and transfers to Cal, elected.
        let papers: [&[&str]; 11] = [
            &["ann", "bea"], &["ann", "bea"], &["ann", "bea"], &["ann", "bea"], &["ann", "bea"],
            &["bea", "cal"], &["bea", "cal"], &["bea", "cal"],
            &["cal", "bea"], &["cal", "bea"],
            &["dee", "cal"],
        ];
        for (n, ranking) in papers.iter().enumerate() {
            let (status, cast) = vote_ranking(&app, id, &link(n + 1), ranking).await;
            assert_eq!(status, 201, "{cast}");
        }
        let (status, again) = vote_ranking(&app, id, &link(1), &["bea"]).await;
        assert_eq!(status, 409, "{again}");
        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);

        let results = ballots::results(&app, &e, id).await;
        assert_eq!(results["outcome"], json!({"result": "elected", "candidates": ["ann", "cal"]}));
        let stv = &results["stv"];
        assert_eq!(stv["elected"], json!(["Dr Ann Able", "Dr Cal Cole"]));
        assert_eq!(stv["quota"], "5.00000");
        assert_eq!(stv["valid_papers"], 12);
        // Ties left to lot follow the draw published with the rules, before any paper.
        let (_, counted) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        let drawn: Vec<String> = counted["rules"]["tie_order"].as_array().expect("drawn at publication").iter()
            .filter_map(|k| k.as_str()).map(|k| published["options"].as_array().expect("options").iter()
                .find(|o| o["key"] == k).and_then(|o| o["label"].as_str()).expect("candidate").to_owned()).collect();
        assert_eq!(stv["tie_order"], json!(drawn));
        let actions: Vec<&str> = stv["stages"].as_array().expect("stages").iter().filter_map(|s| s["action"].as_str()).collect();
        assert_eq!(actions[0], "First preferences");
        assert!(actions[1].starts_with("Dr Dee Dunn excluded"), "{actions:?}");
        assert!(actions[2].starts_with("Dr Bea Best excluded"), "{actions:?}");
        let cal_final = stv["final_votes"].as_array().expect("final").iter().find(|v| v["candidate"] == "Dr Cal Cole").expect("cal").clone();
        assert_eq!(cal_final["votes"], "7.00000");
        assert_eq!(results["overall"]["options"][2]["practices"], 3, "first preferences for Cal");
        assert!(results["in_words"].as_str().unwrap_or_default().starts_with("Elected: Dr Ann Able, Dr Cal Cole, by Scottish STV from 12 papers"), "{results}");

        // The page, the CSV and the BLT file.
        let (status, page) = rep.get_text(&format!("/ballots/{id}/results")).await;
        assert_eq!(status, 200);
        assert!(page.contains("The count, stage by stage") && page.contains("Dr Dee Dunn excluded"), "{page}");
        let (status, csv) = rep.get_text(&format!("/ballots/{id}/stages.csv")).await;
        assert_eq!(status, 200);
        assert!(csv.lines().any(|l| l.starts_with("Dr Cal Cole,3.00000,4.00000,7.00000")), "{csv}");
        let (status, blt) = rep.get_text(&format!("/ballots/{id}/papers.blt")).await;
        assert_eq!(status, 200);
        let profile = quorate::ballots::stv::blt::parse(&blt).expect("the export is BLT");
        assert_eq!(profile.papers().iter().map(|p| p.weight).sum::<u64>(), 12);
        assert!(blt.lines().any(|l| l == "5 1 2 0"), "identical rankings written once: {blt}");
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("papers.blt");
        std::fs::write(&file, &blt).expect("write");
        let offline = std::process::Command::new(BIN)
            .args(["stv", "count"]).arg(&file).args(["--rule", "scottish", "--json"])
            .output().expect("run quorate");
        assert!(offline.status.success(), "{}", String::from_utf8_lossy(&offline.stderr));
        let offline: Value = serde_json::from_slice(&offline.stdout).expect("json");
        assert_eq!(offline["elected"], stv["elected"]);
        assert_eq!(offline["final_votes"], stv["final_votes"]);
        // A counted ballot that is not an election has no stage table, and
        // takes no ranking.
        let motion = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, motion, "publish", None).await.0, 200);
        open_when_due(&app, &e, motion).await;
        let motion_link = voting_links(&app, motion)[e.rep_of("F84001")].clone();
        let (status, refused) = vote_ranking(&app, motion, &motion_link, &["for"]).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap_or_default().contains("not an election"), "{refused}");
        assert_eq!(action(&app, &e, motion, "close", None).await.0, 200);
        assert_eq!(rep.get_text(&format!("/ballots/{motion}/stages.csv")).await.0, 404);
        assert_eq!(rep.get_text(&format!("/ballots/{motion}/papers.blt")).await.0, 404);

        // The LMC's checklist says whether a published ranking is one of a kind.
        let observer = app.new_visitor();
        log_in(&observer, common::ballots::OBSERVER).await;
        let (_, checklist) = observer.get_text(&format!("/ballots/{id}/evidence")).await;
        assert!(checklist.contains("Published rankings cannot single out a paper"), "{checklist}");
        assert!(checklist.contains("1 of the 12 papers has a ranking no other paper has"), "{checklist}");

        // The certificate carries the stage table and is recounted from the board.
        let officer = app.new_visitor();
        log_in(&officer, OFFICER).await;
        let certificate = format!("/ballots/{id}/certificate");
        assert_eq!(officer.submit(&certificate, &certificate, &[("statement", "Counted in public.")]).await.status(), 303);
        let signed: Value = officer.get(&format!("/ballots/{id}/certificate.json")).await.json().await.expect("json");
        assert_eq!(signed["certificate"]["result"]["stv"], *stv);
        let board: Value = officer.get(&format!("/api/v1/ballots/{id}/board")).await.json().await.expect("json");
        // Offline, as a scrutineer would: the command recounts the board.
        let (cert_file, board_file) = (dir.path().join("certificate.json"), dir.path().join("board.json"));
        std::fs::write(&cert_file, signed.to_string()).expect("write");
        std::fs::write(&board_file, board.to_string()).expect("write");
        let key = signed["certificate"]["public_key"].as_str().expect("key").to_owned();
        let verified = std::process::Command::new(BIN)
            .arg("verify").arg(&cert_file).arg("--board").arg(&board_file).args(["--key", &key])
            .output().expect("run quorate verify");
        let out = String::from_utf8_lossy(&verified.stdout);
        assert_eq!(verified.status.code(), Some(0), "{out}");
        assert!(out.contains("PASS STV count") && !out.contains("FAIL"), "{out}");
        let board = quorate::certify::model::BoardFile::parse(&board.to_string()).expect("board");
        let parsed: quorate::certify::model::Signed = serde_json::from_value(signed.clone()).expect("certificate");
        let checks = quorate::certify::model::verify(&parsed, Some(&board), None);
        assert!(quorate::certify::model::all_passed(&checks), "{checks:?}");
        assert!(checks.iter().any(|c| c.name == "STV count" && c.passed), "{checks:?}");
        // A stage table that the board does not give fails its recount.
        let mut forged = parsed.clone();
        if let Some(report) = forged.certificate.result.stv.as_mut() {
            report.stages[1].votes[2].votes = "5.00000".into();
        }
        let checks = quorate::certify::model::verify(&forged, Some(&board), None);
        assert!(checks.iter().any(|c| c.name == "STV count" && !c.passed), "{checks:?}");
        let pdf = officer.get(&format!("/ballots/{id}/certificate.pdf")).await;
        assert_eq!(pdf.status(), 200);
    }


    async fn a_weighted_election_is_recorded_and_a_weightless_paper_moves_nothing(app: TestApp) {
        // Practice 1 has no registered patients: weight 0.
        let e = electorate(&app, &[0, 3_000, 2_000, 1_000]);
        let body = election(json!({"weighting": "list_size", "secrecy": "recorded", "seats": 1, "count_rule": "meek", "paper_order": "as_entered"}));
        let id = create_ballot(&app, &e, body).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        let links = voting_links(&app, id);
        for (code, ranking) in [
            ("F84001", vec!["dee", "ann"]),
            ("F84002", vec!["ann"]),
            ("F84003", vec!["bea", "cal"]),
            ("F84004", vec!["cal", "bea"]),
        ] {
            let (status, cast) = vote_ranking(&app, id, &links[e.rep_of(code)], &ranking).await;
            assert_eq!(status, 201, "{cast}");
        }
        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
        let results = ballots::results(&app, &e, id).await;
        // Weights 0, 3,000, 2,000 and 1,000: 6,000 valid, whoever wins.
        assert_eq!(results["overall"]["turnout"]["practices"], 4, "the weightless practice took part");
        assert_eq!(results["stv"]["valid_papers"], 6_000);
        assert_eq!(results["stv"]["rule"], "meek");
        let dee = results["stv"]["final_votes"].as_array().expect("final").iter().find(|v| v["candidate"] == "Dr Dee Dunn").expect("dee").clone();
        assert_eq!(dee["votes"], "0.000000000", "the weightless paper moved no votes");
        // Recorded: how each practice voted, its ranking in words.
        let admin = app.new_visitor();
        log_in(&admin, common::ballots::ADMIN).await;
        let (status, page) = admin.get_text(&format!("/ballots/{id}/results")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("1. Dr Dee Dunn; 2. Dr Ann Able"), "{page}");
        let (status, blt) = admin.get_text(&format!("/ballots/{id}/papers.blt")).await;
        assert_eq!(status, 200, "{blt}");
        let profile = quorate::ballots::stv::blt::parse(&blt).expect("BLT");
        assert_eq!(profile.papers().iter().map(|p| p.weight).sum::<u64>(), 6_000, "no line for the weightless paper: {blt}");
    }

    async fn an_election_for_one_locality_is_voted_by_its_practices_only(app: TestApp) {
        let e = electorate(&app, &[1_000; 6]);
        let localities = json!({"F84001": "North", "F84002": "North", "F84003": "North", "F84004": "South", "F84005": "South", "F84006": "South"});
        // The locality must be one of the constituencies; only an election has one.
        let unknown = draft_refused(&app, &e, election(json!({"constituencies": localities, "locality": "East"}))).await;
        assert!(unknown.contains("The locality must be one of the constituencies listed"), "{unknown}");
        let whole = draft_refused(&app, &e, election(json!({"constituencies": localities}))).await;
        assert!(whole.contains("naming it as the election's locality"), "{whole}");
        let mut motion = election(json!({"locality": "North"}));
        motion["kind"] = json!("motion");
        motion["motion_kind"] = json!("application");
        motion.as_object_mut().map(|m| m.remove("options"));
        if let Some(rules) = motion["rules"].as_object_mut() {
            rules.remove("seats");
            rules.remove("count_rule");
        }
        assert!(draft_refused(&app, &e, motion).await.contains("Only an election is held for one locality"));

        let id = create_ballot(&app, &e, election(json!({"constituencies": localities, "locality": "North", "seats": 1}))).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        let links = voting_links(&app, id);
        let mut told: Vec<&str> = links.keys().map(String::as_str).collect();
        told.sort_unstable();
        assert_eq!(told, [e.rep_of("F84001"), e.rep_of("F84002"), e.rep_of("F84003")], "only the North's practices get a link");
        open_when_due(&app, &e, id).await;
        // A South practice's representative, signed in, is not in the electorate.
        let south = quorate::accounts::service::create_api_token_for(&app.pool, e.rep_of("F84004"), "south").expect("token");
        let (status, refused) = vote_ranking(&app, id, &south, &["ann"]).await;
        assert_eq!(status, 403, "{refused}");
        for n in 1..=3 {
            let (status, cast) = vote_ranking(&app, id, &links[e.rep_of(&format!("F84{n:03}"))], &["bea", "ann"]).await;
            assert_eq!(status, 201, "{cast}");
        }
        assert_eq!(action(&app, &e, id, "close", None).await.0, 200);
        let results = ballots::results(&app, &e, id).await;
        assert_eq!(results["overall"]["electorate"]["practices"], 3, "{results}");
        assert_eq!(results["outcome"]["candidates"], json!(["bea"]), "{results}");
        let (_, ballot) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}"), Some(&e.admin_token), None).await;
        assert_eq!(ballot["rules"]["locality"], "North");
    }
}
