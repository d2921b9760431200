//! A secret ballot keeps no link between a practice and its paper, and a
//! practice's vote counts once however the requests race.

mod common;

use std::collections::HashSet;

use common::TestApp;
use common::ballots::{action, create_ballot, electorate, open_when_due, vote_with_link, voting_links};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn columns(app: &TestApp, table: &str) -> Vec<String> {
    let mut conn = app.pool.get().expect("connection");
    let query = match &*conn {
        quorate::db::DbConn::Sqlite(_) => format!("SELECT name FROM pragma_table_info('{table}')"),
        quorate::db::DbConn::Postgres(_) => {
            format!("SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'")
        }
    };
    diesel::sql_query(query)
        .load::<Name>(&mut conn)
        .expect("columns")
        .into_iter()
        .map(|n| n.name)
        .collect()
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    diesel::sql_query(sql).get_result::<Count>(&mut conn).expect(sql).n
}

backend_tests! {
    async fn the_stored_rows_of_a_secret_ballot_do_not_link_papers_to_practices(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000, 3_000, 4_000, 5_000, 6_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        let links = voting_links(&app, id);
        let mut receipts = Vec::new();
        // Cast one at a time, in the practices' order, so an insertion
        // order (if one were kept) would reveal who cast what.
        for (n, code) in e.codes().iter().enumerate() {
            let option = ["for", "against", "abstain"][n % 3];
            let (status, body) = vote_with_link(&app, id, &links[e.rep_of(code)], option).await;
            assert_eq!(status, 201, "{body}");
            receipts.push(body["receipt"].as_str().expect("receipt").to_owned());
        }

        // The papers table: no practice, no user, no time, no row number.
        let paper_columns = columns(&app, "ballot_papers");
        assert_eq!(
            paper_columns.iter().map(String::as_str).collect::<HashSet<_>>(),
            HashSet::from(["ballot_id", "paper_id", "receipt_digest", "option_key", "weight", "constituency"])
        );
        // Who voted is kept apart, with nothing shared with the papers but the ballot.
        let voter_columns: HashSet<String> = columns(&app, "ballot_voters").into_iter().collect();
        assert!(voter_columns.contains("practice_id") && !voter_columns.contains("paper_id"));
        let mut conn = app.pool.get().expect("connection");
        let ballot = i32::try_from(id).expect("id");
        let papers = quorate::ballots::store::papers(&mut conn, ballot).expect("papers");
        assert_eq!(papers.len(), 6);
        // Paper keys are random 128-bit values, not a sequence.
        assert!(papers.iter().all(|p| p.paper_id.len() == 32 && p.paper_id.chars().all(|c| c.is_ascii_hexdigit())));
        // Receipts are stored only as digests.
        for receipt in &receipts {
            assert!(papers.iter().all(|p| &p.receipt_digest != receipt));
            assert!(quorate::ballots::store::paper_by_receipt(&mut conn, ballot, &quorate::ballots::model::receipt_digest(receipt)).expect("q").is_some());
        }
        drop(conn);
        match app.backend {
            common::Backend::Sqlite => {
                // No row id, and stored (so scanned) in the order of the random keys.
                let mut conn = app.pool.get().expect("connection");
                assert!(diesel::sql_query("SELECT rowid AS name FROM ballot_papers").load::<Name>(&mut conn).is_err());
                drop(conn);
                let scanned: Vec<String> = {
                    let mut conn = app.pool.get().expect("connection");
                    diesel::sql_query(format!("SELECT paper_id AS name FROM ballot_papers WHERE ballot_id = {id}"))
                        .load::<Name>(&mut conn)
                        .expect("scan")
                        .into_iter()
                        .map(|n| n.name)
                        .collect()
                };
                let mut sorted = scanned.clone();
                sorted.sort();
                assert_eq!(scanned, sorted);
            }
            common::Backend::Postgres => {
                // The scheduler rewrites an open ballot's papers: afterwards they
                // all carry one transaction id, which no ballot_voters row has.
                let report = quorate::ballots::service::Scheduler::default()
                    .run(&app.pool, &app.outbox(), chrono::Utc::now().naive_utc())
                    .expect("scheduler");
                assert_eq!(report.mixed, 1);
                assert_eq!(count(&app, &format!("SELECT COUNT(DISTINCT xmin::text)::bigint AS n FROM ballot_papers WHERE ballot_id = {id}")), 1);
                assert_eq!(
                    count(&app, &format!("SELECT COUNT(*)::bigint AS n FROM ballot_voters v JOIN ballot_papers p ON p.xmin::text = v.xmin::text WHERE v.ballot_id = {id}")),
                    0
                );
            }
        }

        // No message or audit entry in the database gives the choice or a receipt.
        let mut conn = app.pool.get().expect("connection");
        let messages = quorate::mail::store::for_organisation(&mut conn, e.organisation_id, None, Some(("ballot", ballot)), 1_000).expect("messages");
        let receipt_mails: Vec<_> = messages.iter().filter(|m| m.template == "ballot_receipt").collect();
        assert_eq!(receipt_mails.len(), 6);
        for mail in &receipt_mails {
            assert!(quorate::mail::seal::Sealer::is_sealed(&mail.body_text) && quorate::mail::seal::Sealer::is_sealed(&mail.body_html));
            assert!(receipts.iter().all(|r| !mail.body_text.contains(r) && !mail.subject.contains(r)));
        }
        // The notices carry the voting links, so they are sealed too.
        assert!(messages.iter().filter(|m| m.template == "ballot_notice" && m.practice_id.is_some()).all(|m| quorate::mail::seal::Sealer::is_sealed(&m.body_text)));
        let log = quorate::audit::store::all(&mut conn).expect("audit");
        let votes: Vec<&str> = log.iter().filter(|e| e.entry.action == "ballot.vote").map(|e| e.entry.summary.as_str()).collect();
        assert_eq!(votes.len(), 6);
        assert!(votes.iter().all(|s| s.ends_with(" voted")), "{votes:?}");
        drop(conn);

        // The count still comes out right: 2 for, 2 against, 2 abstain.
        assert_eq!(action(&app, &e, id, "close", None).await.0, 409, "no early close for this ballot");
        let mut conn = app.pool.get().expect("connection");
        diesel::update(quorate::db::schema::ballots::table.find(ballot))
            .set(quorate::db::schema::ballots::closes_at.eq(chrono::Utc::now().naive_utc()))
            .execute(&mut conn)
            .expect("close time passes");
        drop(conn);
        let report = quorate::ballots::service::Scheduler::default()
            .run(&app.pool, &app.outbox(), chrono::Utc::now().naive_utc())
            .expect("scheduler");
        assert_eq!(report.counted, vec![ballot]);
        let (_, results) = app.api(reqwest::Method::GET, &format!("/api/v1/ballots/{id}/results"), Some(&e.admin_token), None).await;
        let options = results["overall"]["options"].as_array().expect("options");
        let counts: Vec<u64> = options.iter().map(|o| o["practices"].as_u64().unwrap_or(99)).collect();
        assert_eq!(counts, vec![2, 2, 2]);
        // 1,000 + 4,000 for; 2,000 + 5,000 against: one vote each (per practice).
        assert_eq!(results["outcome"]["result"], "not_carried", "{results}");
    }

    async fn racing_submissions_count_one_vote_per_practice(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000, 1_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        let links = voting_links(&app, id);
        let link = links[e.rep_of("F84001")].clone();
        let rep_token = quorate::accounts::service::create_api_token_for(&app.pool, e.rep_of("F84001"), "t").expect("token");
        // Twelve at once: by the link and by the representative's own token.
        let mut requests = Vec::new();
        for n in 0..12 {
            let credential = if n % 2 == 0 { link.clone() } else { rep_token.clone() };
            let option = if n % 3 == 0 { "for" } else { "against" };
            let client = reqwest::Client::new();
            let url = app.url(&format!("/api/v1/ballots/{id}/votes"));
            requests.push(actix_web::rt::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(credential)
                    .json(&json!({"option": option}))
                    .send()
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for request in requests {
            statuses.push(request.await.expect("task"));
        }
        statuses.sort_unstable();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 11, "{statuses:?}");
        let mut conn = app.pool.get().expect("connection");
        let ballot = i32::try_from(id).expect("id");
        assert_eq!(quorate::ballots::store::turnout(&mut conn, ballot).expect("turnout"), 1);
        assert_eq!(quorate::ballots::store::paper_count(&mut conn, ballot).expect("papers"), 1);
    }
}
