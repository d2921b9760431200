//! A primary care commissioning committee over HTTP, on both backends,
//! from its terms of reference to published minutes: members from the
//! register of interests; a meeting with a public and a private item;
//! attendance; a voting GP conflicted on an item is replaced by the
//! non-voting GP named as substitute and the quorum of one third still
//! holds; a conflicted member's vote is refused; a tie needs the chair's
//! casting vote; an item made inquorate by a recusal cannot be decided and
//! is deferred; a new interest declared at the meeting goes into the
//! register; the minutes are drafted, approved at the next meeting and
//! published; the public never sees the private part; the LMC's observer
//! sees the checklist; every step is audited.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use common::ballots::{ADMIN, OBSERVER, electorate, log_in};
use common::smtp::SmtpSink;

fn audit(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("connection");
    quorate::audit::store::all(&mut conn)
        .expect("audit")
        .into_iter()
        .map(|e| (e.entry.action, e.entry.summary))
        .collect()
}

fn id_after(response: &reqwest::Response, prefix: &str) -> i32 {
    let location = response.headers()["location"].to_str().expect("location");
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(['?', '/']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{location} after {prefix}"))
}

async fn person(board: &TestApp, name: &str, position: &str) -> i32 {
    person_at(board, name, position, "").await
}

async fn person_at(board: &TestApp, name: &str, position: &str, email: &str) -> i32 {
    let page = "/organisations/08V/interests/people";
    let response = board
        .submit(
            page,
            page,
            &[
                ("name", name),
                ("position", position),
                ("email", email),
                ("decision_maker", "yes"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    location
        .split("person=")
        .nth(1)
        .and_then(|id| id.parse().ok())
        .expect("person id")
}

async fn post(board: &TestApp, page: &str, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = board.submit(page, action, fields).await;
    (response.status().as_u16(), response.text().await.expect("body"))
}

async fn upload(board: &TestApp, meeting: &str, item: i32, name: &'static str, bytes: &'static [u8]) -> u16 {
    let csrf = board.csrf_token(meeting).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .part("paper", reqwest::multipart::Part::bytes(bytes).file_name(name));
    board
        .client
        .post(board.url(&format!("{meeting}/items/{item}/papers")))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .status()
        .as_u16()
}

fn paper_ids(app: &TestApp, item: i32) -> Vec<i32> {
    let mut conn = app.pool.get().expect("connection");
    quorate::committee::store::papers(&mut conn, &[item])
        .expect("papers")
        .iter()
        .map(|p| p.id)
        .collect()
}

fn london(at: chrono::DateTime<Utc>) -> (String, String) {
    let local = at.with_timezone(&chrono_tz::Europe::London);
    (local.format("%Y-%m-%d").to_string(), local.format("%H:%M").to_string())
}

backend_tests! {
    async fn a_committee_meets_decides_with_recusals_and_publishes_its_minutes(app: TestApp) {
        let _e = electorate(&app, &[1_000]);
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;

        let sink = SmtpSink::start();
        let chair = person_at(&board, "Pat Chair", "Lay chair", "pat.chair@example.org").await;
        let vice = person(&board, "Val Vice", "Lay vice-chair").await;
        let lay = person(&board, "Lee Lay", "Lay member").await;
        let exec_a = person(&board, "Ann Exec", "Director of commissioning").await;
        let exec_b = person(&board, "Bob Exec", "Chief finance officer").await;
        // Dr Gee One has an account: the register links it by address.
        app.create_user("gee.one@example.org", "committee_member", Some("08V"));
        let gp1 = person_at(&board, "Dr Gee One", "GP member", "gee.one@example.org").await;
        let gp2 = person(&board, "Dr Gee Two", "GP member").await;
        let gp3 = person(&board, "Dr Gee Three", "GP member (substitute)").await;
        let lmc = person(&board, "Lou LMC", "LMC representative").await;
        // Dr Gee One's shares, on the register before the meeting.
        let declare = "/organisations/08V/interests/declare";
        let gp1_text = gp1.to_string();
        let starts = (Utc::now() - Duration::days(400)).format("%Y-%m-%d").to_string();
        let (status, _) = post(&board, declare, declare, &[
            ("person", &gp1_text), ("category", "financial"), ("kind", "shareholdings"),
            ("counterparty", "Riverside Health Ltd"), ("description", "Shares in the federation bidding for extended access"),
            ("starts", &starts), ("declared", &starts), ("management", "Leaves for items on extended access"), ("agreed_by", "The chair"),
        ]).await;
        assert_eq!(status, 303);

        // A declaration round is open: a new interest declared at the meeting is the member's return.
        let due = (Utc::now() + Duration::days(30)).format("%Y-%m-%d").to_string();
        let register_page = "/organisations/08V/interests";
        assert_eq!(post(&board, register_page, "/organisations/08V/interests/rounds", &[("title", "Annual declaration"), ("due", &due)]).await.0, 303);

        // The terms of reference: one third, with the chair or vice-chair, a lay member and an executive.
        let new = "/organisations/08V/committees/new";
        let (status, body) = post(&board, new, new, &[("name", ""), ("share", "5/3"), ("chair", "yes"), ("lay", "x"), ("casting_vote", "yes"), ("withhold_papers", "yes")]).await;
        assert_eq!(status, 422);
        for message in ["Enter the committee&#x27;s name", "like 1/3", "how many lay members"] {
            assert!(body.contains(message) || body.contains(&message.replace("&#x27;", "'")), "{message}: {body}");
        }
        let response = board.submit(new, new, &[
            ("name", "Primary care commissioning committee"), ("share", "1/3"), ("chair", "yes"), ("lay", "1"),
            ("executives", "1"), ("gps", "0"), ("casting_vote", "yes"), ("withhold_papers", "yes"),
        ]).await;
        assert_eq!(response.status(), 303);
        let committee = id_after(&response, "/committees/");
        let page = format!("/committees/{committee}");
        let members = format!("{page}/members");
        for (who, role, voting, substitute) in [
            (chair, "lay_chair", "yes", String::new()),
            (vice, "lay_vice_chair", "yes", String::new()),
            (lay, "lay_member", "yes", String::new()),
            (exec_a, "executive", "yes", String::new()),
            (exec_b, "executive", "yes", String::new()),
            (gp1, "gp", "yes", String::new()),
            (gp2, "gp", "yes", String::new()),
        ] {
            let (status, body) = post(&board, &page, &members, &[("person", &who.to_string()), ("role", role), ("voting", voting), ("substitute_for", &substitute)]).await;
            assert_eq!(status, 303, "{body}");
        }
        // An LMC attendee cannot vote; a substitute must hold the member's role.
        let (status, body) = post(&board, &page, &members, &[("person", &lmc.to_string()), ("role", "lmc_attendee"), ("voting", "yes")]).await;
        assert_eq!(status, 422);
        assert!(body.contains("attends for another body and cannot be a voting member"), "{body}");
        let (status, body) = post(&board, &page, &members, &[("person", &gp3.to_string()), ("role", "gp"), ("voting", "no"), ("substitute_for", &exec_a.to_string())]).await;
        assert_eq!(status, 422);
        assert!(body.contains("can substitute only for a member in the same role"), "{body}");
        assert_eq!(post(&board, &page, &members, &[("person", &gp3.to_string()), ("role", "gp"), ("voting", "no"), ("substitute_for", &gp1.to_string())]).await.0, 303);
        assert_eq!(post(&board, &page, &members, &[("person", &lmc.to_string()), ("role", "lmc_attendee"), ("voting", "no")]).await.0, 303);
        let (_, committee_page) = app.new_visitor().get_text(&page).await;
        assert!(committee_page.contains("one third of the voting members, including a lay chair or lay vice-chair and a lay member (the chair and vice-chair count) and an executive"), "{committee_page}");
        assert!(committee_page.contains("substitutes for Dr Gee One"), "{committee_page}");

        // Two meetings: the one decided (called for tomorrow; it is held once notice is given) and
        // the next (an hour ago), which approves its minutes.
        let meetings = format!("{page}/meetings");
        let (day, time) = london(Utc::now() + Duration::days(1));
        let response = board.submit(&page, &meetings, &[("title", "Meeting in public"), ("date", &day), ("time", &time), ("location", "Room 3, Mulberry Place")]).await;
        assert_eq!(response.status(), 303);
        let first = id_after(&response, "/meetings/");
        let (day, time) = london(Utc::now() - Duration::hours(1));
        let response = board.submit(&page, &meetings, &[("title", "Next meeting in public"), ("date", &day), ("time", &time), ("location", "Room 3")]).await;
        let second = id_after(&response, "/meetings/");
        let (status, body) = post(&board, &page, &meetings, &[("title", ""), ("date", "2027-13-40"), ("time", "9"), ("location", "")]).await;
        assert_eq!(status, 422);
        assert!(body.contains("Enter the meeting&#x27;s title") || body.contains("Enter the meeting's title"), "{body}");

        let meeting = format!("/meetings/{first}");
        let items = format!("{meeting}/items");
        for (title, private, subjects, motion) in [
            ("Extended access contract", "no", "Riverside Health Ltd", "That the committee awards the extended access contract"),
            ("Contract dispute with Limehouse Practice", "yes", "Limehouse Practice", "That the committee settles the dispute"),
            ("Finance report", "no", "", ""),
        ] {
            assert_eq!(post(&board, &meeting, &items, &[("title", title), ("private", private), ("subjects", subjects), ("motion", motion), ("description", "")]).await.0, 303);
        }
        let item_ids: Vec<i32> = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::store::items(&mut conn, first).expect("items").iter().map(|i| i.id).collect()
        };
        let (access_item, private_item, noted_item) = (item_ids[0], item_ids[1], item_ids[2]);

        // Papers: a file that is not what it says is refused; the private item's paper is for members only.
        assert_eq!(upload(&board, &meeting, access_item, "evil.pdf", b"MZ not a pdf").await, 422);
        assert_eq!(upload(&board, &meeting, access_item, "bid-evaluation.pdf", b"%PDF-1.4 evaluation").await, 303);
        assert_eq!(upload(&board, &meeting, private_item, "dispute.pdf", b"%PDF-1.4 dispute").await, 303);
        assert_eq!(upload(&board, &meeting, noted_item, "finance.pdf", b"%PDF-1.4 finance").await, 303);
        let access_paper = format!("{meeting}/items/{access_item}/papers/{}", paper_ids(&app, access_item)[0]);
        let private_paper = format!("{meeting}/items/{private_item}/papers/{}", paper_ids(&app, private_item)[0]);
        let finance_paper = format!("{meeting}/items/{noted_item}/papers/{}", paper_ids(&app, noted_item)[0]);
        let stranger = app.new_visitor();
        assert_eq!(stranger.get(&access_paper).await.status(), 200);
        assert_eq!(stranger.get(&private_paper).await.status(), 404, "never served to the public");
        let (_, public_page) = stranger.get_text(&meeting).await;
        assert!(!public_page.contains("dispute.pdf") && public_page.contains("bid-evaluation.pdf"), "{public_page}");

        // Notice to the members with an address on the register, with the whole agenda.
        assert_eq!(post(&board, &meeting, &format!("{meeting}/notice"), &[]).await.0, 303);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        let notices: Vec<_> = sink
            .received()
            .into_iter()
            .filter(|m| m.parsed().subject().unwrap_or_default().starts_with("Notice of meeting: Primary care commissioning committee"))
            .collect();
        let mut to: Vec<String> = notices.iter().flat_map(|m| m.to.clone()).collect();
        to.sort();
        assert_eq!(to, vec!["gee.one@example.org", "pat.chair@example.org"]);
        let text = notices[0].parsed().body_text(0).expect("text").into_owned();
        // Time passes: the meeting is held (yesterday), and notice of it can no longer be given.
        {
            use diesel::prelude::*;
            let mut conn = app.pool.get().expect("connection");
            diesel::update(quorate::db::schema::meetings::table.find(first))
                .set(quorate::db::schema::meetings::starts_at.eq((Utc::now() - Duration::days(1)).naive_utc()))
                .execute(&mut conn)
                .expect("the meeting is held");
        }
        let (status, body) = post(&board, &meeting, &format!("{meeting}/notice"), &[]).await;
        assert_eq!(status, 422);
        assert!(body.contains("The meeting has begun: notice is given before it"), "{body}");
        assert!(text.contains("2. Contract dispute with Limehouse Practice (private part)") && text.contains(&format!("/meetings/{first}/calendar.ics")), "{text}");

        // The register's entry naming the item is shown to the secretary.
        let (_, secretary) = board.get_text(&meeting).await;
        assert!(secretary.contains("Dr Gee One: Shareholdings and other ownership interests with Riverside Health Ltd"), "{secretary}");
        // The meeting page carries no forms for the items: each item's page does.
        assert!(!secretary.contains("Record the decision</button>") && secretary.contains(&format!("href=\"/meetings/{first}/items/{access_item}\"")), "{secretary}");
        let item_page = format!("{meeting}/items/{access_item}");
        let (status, own) = board.get_text(&item_page).await;
        assert_eq!(status, 200);
        assert!(own.contains("Record the decision</button>") && own.contains("bid-evaluation.pdf"), "{own}");
        let (status, public_item) = stranger.get_text(&item_page).await;
        assert_eq!(status, 200);
        assert!(!public_item.contains("Record the decision") && !public_item.contains("_csrf"), "{public_item}");
        assert_eq!(stranger.get(&format!("{meeting}/items/{private_item}")).await.status(), 404, "the private part is not public");
        assert_eq!(stranger.get(&format!("{meeting}/items/999999")).await.status(), 404);

        // Before anything is declared at the meeting, Dr Gee One's shares on the register name what
        // item 1 is about: the committee withholds its papers from him, and does not show him their links.
        let gee = app.new_visitor();
        log_in(&gee, "gee.one@example.org").await;
        assert_eq!(gee.get(&access_paper).await.status(), 403);
        let (_, gee_page) = gee.get_text(&meeting).await;
        assert!(!gee_page.contains("bid-evaluation.pdf") && gee_page.contains("The papers for this item are withheld from you"), "{gee_page}");
        assert!(gee_page.contains("finance.pdf"), "{gee_page}");
        let gee_token = quorate::accounts::service::create_api_token_for(&app.pool, "gee.one@example.org", "gee").expect("token");
        let (status, as_gee) = app.api(reqwest::Method::GET, &format!("/api/v1/meetings/{first}"), Some(&gee_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(as_gee["items"][0]["papers_withheld"], true);
        assert!(!as_gee.to_string().contains("bid-evaluation.pdf") && as_gee.to_string().contains("finance.pdf"), "{as_gee}");

        // Attendance: every member must be accounted for.
        let attendance = format!("{meeting}/attendance");
        let (status, body) = post(&board, &meeting, &attendance, &[(&format!("attendance-{chair}"), "present")]).await;
        assert_eq!(status, 422);
        assert!(body.contains("Say whether Val Vice was present"), "{body}");
        let fields: Vec<(String, &str)> = [
            (chair, "present"), (vice, "apologies"), (lay, "present"), (exec_a, "present"), (exec_b, "apologies"),
            (gp1, "present"), (gp2, "apologies"), (gp3, "present"), (lmc, "present"),
        ]
        .iter()
        .map(|(p, a)| (format!("attendance-{p}"), *a))
        .collect();
        let refs: Vec<(&str, &str)> = fields.iter().map(|(f, a)| (f.as_str(), *a)).collect();
        assert_eq!(post(&board, &meeting, &attendance, &refs).await.0, 303);

        // Item 1: Dr Gee One declares the shares and is substituted by Dr Gee Three.
        let interest_id = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::register::store::interests_of_organisation(&mut conn, _e.organisation_id).expect("interests")[0].id
        };
        let declarations = format!("{meeting}/items/{access_item}/declarations");
        let (status, body) = post(&board, &meeting, &declarations, &[("person", &gp1.to_string()), ("interest", &interest_id.to_string()), ("action", "")]).await;
        assert_eq!(status, 422);
        assert!(body.contains("Choose the action agreed for the item") && body.contains(&format!("href=\"#item-{access_item}-action\"")), "{body}");
        assert_eq!(post(&board, &meeting, &declarations, &[("person", &gp1.to_string()), ("interest", &interest_id.to_string()), ("action", "substituted")]).await.0, 303);
        let (_, page_now) = board.get_text(&item_page).await;
        assert!(page_now.contains("Substituting for Dr Gee One"), "{page_now}");
        // The committee withholds an item's papers from a member conflicted on it; his others he sees,
        // the private part's too, as a member.
        assert_eq!(gee.get(&access_paper).await.status(), 403);
        assert_eq!(gee.get(&finance_paper).await.status(), 200);
        assert_eq!(gee.get(&private_paper).await.status(), 200);
        assert!(page_now.contains("Quorate: 4 voting member(s) able to vote, of the 3 needed from 7"), "{page_now}");

        let decision = format!("{meeting}/items/{access_item}/decision");
        let chair_s = chair.to_string();
        let lay_s = lay.to_string();
        let votes = |extra: &[(&'static str, &'static str)]| {
            let mut v: Vec<(String, String)> = vec![
                ("outcome".into(), "vote".into()),
                ("proposer".into(), chair_s.clone()),
                ("seconder".into(), lay_s.clone()),
                (format!("vote-{chair}"), "for".into()),
                (format!("vote-{lay}"), "for".into()),
                (format!("vote-{exec_a}"), "against".into()),
                (format!("vote-{gp3}"), "against".into()),
            ];
            v.extend(extra.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())));
            v
        };
        // The conflicted member's vote is refused.
        let mut with_conflicted = votes(&[("casting", "for")]);
        with_conflicted.push((format!("vote-{gp1}"), "for".into()));
        let refs: Vec<(&str, &str)> = with_conflicted.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (status, body) = post(&board, &meeting, &decision, &refs).await;
        assert_eq!(status, 422);
        assert!(body.contains("Dr Gee One may not vote on this item"), "{body}");
        // The API refuses it too, naming the member; a token sees what its holder sees.
        let token = quorate::accounts::service::create_api_token_for(&app.pool, ADMIN, "committee").expect("token");
        let api_decision = format!("/api/v1/meetings/{first}/items/{access_item}/decision");
        let mut api_votes = serde_json::Map::new();
        for (person, vote) in [(chair, "for"), (lay, "for"), (exec_a, "against"), (gp3, "against"), (gp1, "for")] {
            api_votes.insert(person.to_string(), serde_json::json!(vote));
        }
        let (status, body) = app
            .api(reqwest::Method::POST, &api_decision, Some(&token), Some(serde_json::json!({"outcome": "vote", "votes": api_votes, "casting": "for"})))
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("Dr Gee One may not vote on this item"), "{body}");
        let (status, body) = app
            .api(reqwest::Method::POST, &api_decision, Some(&token), Some(serde_json::json!({"outcome": "vote", "ballot": 1})))
            .await;
        assert_eq!(status, 400, "an unknown field is refused: {body}");
        let rep_token = quorate::accounts::service::create_api_token_for(&app.pool, _e.rep_of("F84001"), "rep").expect("token");
        let (status, as_rep) = app.api(reqwest::Method::GET, &format!("/api/v1/meetings/{first}"), Some(&rep_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(as_rep["part"], "public");
        assert!(!as_rep.to_string().contains("Limehouse"), "{as_rep}");
        let (_, as_secretary) = app.api(reqwest::Method::GET, &format!("/api/v1/meetings/{first}"), Some(&token), None).await;
        assert!(as_secretary.to_string().contains("Limehouse"), "{as_secretary}");
        let item = &as_secretary["items"][0];
        assert_eq!(item["quorum"]["quorate"], true);
        assert!(item["voters"].as_array().expect("voters").iter().any(|v| v["substituting_for"] == gp1), "{item}");
        assert_eq!(app.api(reqwest::Method::GET, &format!("/api/v1/meetings/{first}"), None, None).await.0, 401);

        // A tie needs the chair's casting vote.
        let tied = votes(&[]);
        let refs: Vec<(&str, &str)> = tied.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (status, body) = post(&board, &meeting, &decision, &refs).await;
        assert_eq!(status, 422);
        assert!(body.contains("The votes are tied: record the casting vote of Pat Chair"), "{body}");
        let cast = votes(&[("casting", "for")]);
        let refs: Vec<(&str, &str)> = cast.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(post(&board, &meeting, &decision, &refs).await.0, 303);
        let (status, _) = post(&board, &meeting, &decision, &refs).await;
        assert_eq!(status, 409, "decided once");
        assert_eq!(upload(&board, &meeting, access_item, "late.pdf", b"%PDF-1.4 late").await, 422, "a decided item's papers are on record");
        assert_eq!(paper_ids(&app, access_item).len(), 1);

        // Item 2 (private): a new interest declared at the meeting takes the only executive out; not quorate.
        let declarations = format!("{meeting}/items/{private_item}/declarations");
        let (status, body) = post(&board, &meeting, &declarations, &[
            ("person", &exec_a.to_string()), ("interest", "new"), ("category", "non_financial_personal"), ("kind", "other"),
            ("counterparty", "Limehouse Practice"), ("description", "Spouse is a partner"), ("action", "leaves"),
        ]).await;
        assert_eq!(status, 303, "{body}");
        let returned: Vec<i32> = {
            let mut conn = app.pool.get().expect("connection");
            let round = quorate::committee::register::store::rounds(&mut conn, _e.organisation_id).expect("rounds")[0].id;
            quorate::committee::register::store::returns(&mut conn, round).expect("returns").iter().map(|r| r.0).collect()
        };
        assert_eq!(returned, vec![exec_a], "the interest declared at the meeting is Ann Exec's return");
        let decision = format!("{meeting}/items/{private_item}/decision");
        let mut inquorate = vec![("outcome".to_owned(), "vote".to_owned())];
        inquorate.extend([chair, lay, gp1].iter().map(|p| (format!("vote-{p}"), "for".to_owned())));
        let refs: Vec<(&str, &str)> = inquorate.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (status, body) = post(&board, &meeting, &decision, &refs).await;
        assert_eq!(status, 409);
        assert!(body.contains("Not quorate, so the item cannot be decided") && body.contains("no executive able to vote"), "{body}");
        assert_eq!(post(&board, &meeting, &decision, &[("outcome", "defer")]).await.0, 303);
        // Item 3 is noted.
        let decision = format!("{meeting}/items/{noted_item}/decision");
        let (status, _) = post(&board, &meeting, &decision, &[("outcome", "vote")]).await;
        assert_eq!(status, 422, "no motion to vote on");
        assert_eq!(post(&board, &meeting, &decision, &[("outcome", "note")]).await.0, 303);

        // The new interest is on the register, declared at the meeting.
        let (_, register) = board.get_text("/organisations/08V/interests").await;
        assert!(register.contains("Limehouse Practice") && register.contains("Primary care commissioning committee, meeting of"), "{register}");

        // Minutes: drafted from the record, without the private part.
        let minutes = format!("{meeting}/minutes");
        assert_eq!(post(&board, &meeting, &minutes, &[("minutes", "")]).await.0, 303);
        let draft = {
            let mut conn = app.pool.get().expect("connection");
            quorate::committee::store::meeting(&mut conn, first).expect("meeting").expect("row").minutes.expect("minutes")
        };
        assert!(draft.contains("Dr Gee One declared an interest (Shareholdings and other ownership interests with Riverside Health Ltd"), "{draft}");
        assert!(draft.contains("left the meeting and was replaced by their substitute"), "{draft}");
        assert!(draft.contains("Proposed by Pat Chair, seconded by Lee Lay. Carried: 2 for, 2 against, 0 abstaining; the votes being tied, Pat Chair gave a casting vote for."), "{draft}");
        assert!(draft.contains("Dr Gee Three (substituting for Dr Gee One)"), "{draft}");
        assert!(draft.contains("Apologies: Val Vice (lay vice-chair); Bob Exec (executive); Dr Gee Two (GP)."), "{draft}");
        assert!(!draft.contains("Limehouse"), "the private part stays out of the minutes: {draft}");
        assert!(draft.contains("met in private for 1 item"), "{draft}");
        assert_eq!(post(&board, &meeting, &minutes, &[("minutes", &format!("{draft}\nThe chair closed the meeting at 16:10."))]).await.0, 303);

        // Not public until approved at the next meeting and published.
        let public = app.new_visitor();
        let (status, page_public) = public.get_text(&meeting).await;
        assert_eq!(status, 200);
        assert!(!page_public.contains("closed the meeting at 16:10"));
        let publish = format!("{meeting}/minutes/publish");
        assert_eq!(post(&board, &meeting, &publish, &[]).await.0, 409, "not approved yet");
        let next = format!("/meetings/{second}");
        let (status, body) = post(&board, &next, &format!("{next}/minutes/approve"), &[("earlier", "999999")]).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(post(&board, &next, &format!("{next}/minutes/approve"), &[("earlier", &first.to_string())]).await.0, 303);
        assert_eq!(post(&board, &meeting, &minutes, &[("minutes", "changed")]).await.0, 409, "approved minutes do not change");
        assert_eq!(post(&board, &meeting, &publish, &[]).await.0, 303);
        let (_, page_public) = public.get_text(&meeting).await;
        assert!(page_public.contains("closed the meeting at 16:10") && page_public.contains("Approved at the Next meeting in public and published"), "{page_public}");
        // The private part is never public: not on the page, the calendar file or the minutes.
        assert!(page_public.contains("Extended access contract") && !page_public.contains("Limehouse"), "{page_public}");
        let ics = public.get(&format!("{meeting}/calendar.ics")).await;
        assert_eq!(ics.status(), 200);
        assert!(ics.headers()["content-type"].to_str().expect("type").starts_with("text/calendar"));
        // Long lines are folded (RFC 5545): unfold before reading.
        let ics = ics.text().await.expect("ics").replace("\r\n ", "");
        assert!(ics.contains("BEGIN:VEVENT") && ics.contains("Extended access contract") && !ics.contains("Limehouse"), "{ics}");
        let (status, _) = public.get_text(&format!("/meetings/{first}/items/{private_item}/decision")).await;
        assert!(status == 404 || status == 405, "{status}");

        // The LMC's observer sees the private part and the checklist.
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (_, seen) = observer.get_text(&meeting).await;
        assert!(seen.contains("Limehouse Practice") && seen.contains("Deferred"), "{seen}");
        assert!(seen.contains("Quorate after declarations and substitutions") && seen.contains("No member who declared a conflict and was excluded voted"), "{seen}");
        assert!(!seen.contains("Record the decision"), "observers do not act");

        let log = audit(&app);
        for action in ["committee.create", "committee.member_add", "meeting.create", "meeting.item_add", "meeting.paper", "meeting.notice", "meeting.attendance", "meeting.declaration", "meeting.decision", "meeting.minutes_save", "meeting.minutes_approve", "meeting.minutes_publish"] {
            assert!(log.iter().any(|(a, _)| a == action), "{action} audited");
        }
        assert!(log.iter().any(|(a, s)| a == "meeting.decision" && s.contains("casting vote")), "{log:?}");
        // What the meeting's record says of its quorum, kept from now on.
        let quorum_lines = |page: &str| -> Vec<String> {
            page.lines()
                .filter(|l| l.contains("uorate") || l.contains("needed from") || l.contains("voting member"))
                .map(|l| l.trim().to_owned())
                .collect()
        };
        let quorum_then = quorum_lines(&seen);
        assert!(quorum_then.iter().any(|l| l.contains("needed from 7")), "{quorum_then:?}");

        // A member who leaves the organisation must come off the committee first, or they would count
        // towards its quorum.
        let ann_page = format!("/organisations/08V/interests/people/{exec_a}");
        let yesterday = (Utc::now() - Duration::days(1)).format("%Y-%m-%d").to_string();
        let leaving = [("name", "Ann Exec"), ("position", "Director of commissioning"), ("decision_maker", "yes"), ("left", yesterday.as_str())];
        let (status, body) = post(&board, &ann_page, &ann_page, &leaving).await;
        assert_eq!(status, 422);
        assert!(body.contains("sits on Primary care commissioning committee: take them off first"), "{body}");
        assert_eq!(post(&board, &page, &format!("{page}/members/{exec_a}/remove"), &[]).await.0, 303);
        assert_eq!(post(&board, &ann_page, &ann_page, &leaving).await.0, 303);
        let (status, body) = post(&board, &page, &members, &[("person", &exec_a.to_string()), ("role", "executive"), ("voting", "yes")]).await;
        assert_eq!(status, 422, "a leaver cannot be put back on the committee");
        assert!(body.contains("They have left the organisation"), "{body}");
        // The meeting's record still names her and what she declared.
        let (_, seen) = observer.get_text(&meeting).await;
        assert!(seen.contains("Ann Exec declared an interest (Other with Limehouse Practice: Spouse is a partner) and left the meeting for the item"), "{seen}");
        // Neither her leaving nor new terms (half, not a third) rewrite the meeting's quorum or checklist:
        // it is judged by the terms it was held under.
        let terms = format!("{page}/terms");
        let response = board.submit(&terms, &terms, &[
            ("name", "Primary care commissioning committee"), ("share", "1/2"), ("chair", "yes"), ("lay", "1"),
            ("executives", "1"), ("gps", "0"), ("casting_vote", "yes"), ("withhold_papers", "yes"),
        ]).await;
        assert_eq!(response.status(), 303);
        let (_, committee_page) = app.new_visitor().get_text(&page).await;
        assert!(committee_page.contains("half of the voting members"), "{committee_page}");
        assert_eq!(quorum_lines(&seen), quorum_then, "the meeting keeps the terms it was held under");
        assert!(seen.contains("Quorate after declarations and substitutions"), "{seen}");
    }
}
