//! The retention purge: past their time, voting links, emails' text and
//! addresses and sign-in records go; an open ballot's links and unsent mail
//! stay; the purge is recorded, signed by the organisation's key, and
//! audited; the certificate still verifies; a dry run changes nothing.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use common::ballots::{action, create_ballot, electorate, open_when_due, vote_with_link, voting_links};
use diesel::prelude::*;
use quorate::db::schema::{login_failures, outbox_messages, retention_purges, voting_tokens};
use quorate::retention::model::Policy;
use serde_json::json;

const OFFICER: &str = "ro@example.org";

fn links_of(app: &TestApp, ballot: i64) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    voting_tokens::table
        .filter(voting_tokens::ballot_id.eq(i32::try_from(ballot).expect("id")))
        .count()
        .get_result(&mut conn)
        .expect("count")
}

/// (emails whose address is kept, emails purged).
fn emails(app: &TestApp) -> (i64, i64) {
    let mut conn = app.pool.get().expect("connection");
    let purged: i64 = outbox_messages::table
        .filter(outbox_messages::recipient_email.eq(""))
        .count()
        .get_result(&mut conn)
        .expect("count");
    let all: i64 = outbox_messages::table.count().get_result(&mut conn).expect("count");
    (all - purged, purged)
}

fn purge(app: &TestApp, days_later: i64, dry_run: bool) -> quorate::retention::service::PurgeReport {
    quorate::retention::service::purge(
        &app.pool,
        &app.data_dir,
        Policy::from_settings(&app.settings),
        app.settings.session_hours,
        Utc::now().naive_utc() + Duration::days(days_later),
        dry_run,
    )
    .expect("purge")
}

backend_tests! {
    async fn what_is_past_its_time_is_purged_recorded_and_signed_and_certificates_still_verify(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000, 3_000, 4_000]);
        app.create_user(OFFICER, "returning_officer", Some("08V"));
        let officer = quorate::accounts::service::create_api_token_for(&app.pool, OFFICER, "test").expect("token");

        // A counted, certified ballot whose notices were sent.
        let done = create_ballot(&app, &e, json!({"rules": {"allow_early_close": true}})).await;
        assert_eq!(action(&app, &e, done, "publish", None).await.0, 200);
        assert_eq!(app.mail_worker(None, &[]).run_until_idle().await.expect("worker").sent, 5);
        open_when_due(&app, &e, done).await;
        let links = voting_links(&app, done);
        for (_, _, email) in e.practices.iter().take(3) {
            assert_eq!(vote_with_link(&app, done, &links[email], "for").await.0, 201);
        }
        assert_eq!(action(&app, &e, done, "close", None).await.0, 200);
        let (status, body) = app
            .api(reqwest::Method::POST, &format!("/api/v1/ballots/{done}/certificate"), Some(&officer), None)
            .await;
        assert_eq!(status, 201, "{body}");
        app.mail_worker(None, &[]).run_until_idle().await.expect("worker");
        // An open ballot, its notices not yet sent.
        let open = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, open, "publish", None).await.0, 200);
        // A failed sign-in.
        assert_eq!(app.new_visitor().login(common::ballots::ADMIN, "wrong password!!").await.status(), 422);
        let (kept_before, _) = emails(&app);
        let (done_links, open_links) = (links_of(&app, done), links_of(&app, open));
        assert!(done_links == 4 && open_links == 4, "{done_links} {open_links}");

        // Within the retention periods nothing goes.
        assert!(purge(&app, 1, false).is_empty());

        // A dry run a year and more later says what would go, and removes nothing.
        let dry = purge(&app, 400, true);
        assert_eq!(dry.organisations.len(), 1, "{dry:?}");
        let (code, would) = &dry.organisations[0];
        assert_eq!((code.as_str(), would.voting_links), ("08V", 4), "{dry:?}");
        assert!(would.messages >= 5, "{dry:?}");
        assert!(dry.not_organisations.sign_in_records >= 1, "{dry:?}");
        assert_eq!((links_of(&app, done), emails(&app).0), (4, kept_before), "a dry run removes nothing");

        let report = purge(&app, 400, false);
        assert_eq!(report.organisations, dry.organisations, "the dry run said exactly this");
        assert!(report.skipped.is_empty(), "{report:?}");
        assert_eq!(links_of(&app, done), 0, "the finished ballot's links are gone");
        assert_eq!(links_of(&app, open), 4, "the open ballot's links stay");
        let (kept, purged) = emails(&app);
        assert_eq!(purged, i64::try_from(would.messages).expect("n"));
        assert!(kept >= 5, "the open ballot's notices, unsent, stay: {kept}");
        {
            let mut conn = app.pool.get().expect("connection");
            let left: i64 = login_failures::table.count().get_result(&mut conn).expect("count");
            assert_eq!(left, 0, "sign-in records past their time are gone");
            let blanked: Vec<(String, String)> = outbox_messages::table
                .filter(outbox_messages::recipient_email.eq(""))
                .select((outbox_messages::body_text, outbox_messages::recipient_name))
                .load(&mut conn)
                .expect("rows");
            assert!(blanked.iter().all(|(body, name)| body.is_empty() && name.is_empty()));
        }

        // The record is signed by 08V's key and audited; the certificate and
        // the audit chain still verify.
        let records = quorate::retention::service::records_of(&app.pool, "08V").expect("records");
        assert_eq!(records.len(), 1);
        let (record, holds) = &records[0];
        assert!(*holds, "the signature holds");
        assert_eq!(record.removed, report.organisations[0].1);
        assert_eq!(record.ballots, vec![i32::try_from(done).expect("id")]);
        assert!(app.audited("retention.purge").iter().any(|s| s.contains("4 voting links") && s.contains("signed by key")));
        assert_eq!(quorate::certify::service::verify_all(&app.pool).expect("checked"), (1, Vec::new()));
        assert_eq!(quorate::audit::service::verify_for(&app.pool, None).expect("read"), Ok(app.audited_count()));
        let results = common::ballots::results(&app, &e, done).await;
        assert_eq!(results["overall"]["turnout"]["practices"], 3, "the result is kept: {results}");

        // An altered record no longer verifies.
        {
            let mut conn = app.pool.get().expect("connection");
            let text: String = retention_purges::table
                .filter(retention_purges::organisation_id.is_not_null())
                .select(retention_purges::record)
                .first(&mut conn)
                .expect("record");
            diesel::update(retention_purges::table.filter(retention_purges::organisation_id.is_not_null()))
                .set(retention_purges::record.eq(text.replace("\"voting_links\":4", "\"voting_links\":0")))
                .execute(&mut conn)
                .expect("alter");
        }
        let records = quorate::retention::service::records_of(&app.pool, "08V").expect("records");
        assert!(!records[0].1, "an altered record fails its signature");

        // Purged once: a second purge finds nothing.
        assert!(purge(&app, 400, false).is_empty());
    }

    async fn register_entries_six_years_past_their_end_are_purged_and_the_meetings_record_keeps_its_action(app: TestApp) {
        use quorate::committee::register::store as register;
        use quorate::committee::store as committee;
        let e = electorate(&app, &[1_000]);
        let now = Utc::now().naive_utc();
        let today = quorate::committee::register::service::today();
        let years_ago = |years: u32| today.checked_sub_months(chrono::Months::new(years * 12)).expect("date");
        let (declaration, item, meeting) = {
            let mut conn = app.pool.get().expect("connection");
            let mut person = |name: &str, left_on: Option<chrono::NaiveDate>| {
                let id = register::insert_person(&mut conn, &register::NewPerson {
                    organisation_id: e.organisation_id, name: name.into(), email: None, position: "GP member".into(),
                    decision_maker: true, user_id: None, added_at: now, appointed_on: None,
                })
                .expect("person");
                if left_on.is_some() {
                    diesel::update(quorate::db::schema::interest_people::table.find(id))
                        .set(quorate::db::schema::interest_people::left_on.eq(left_on))
                        .execute(&mut conn)
                        .expect("left");
                }
                id
            };
            let (stayed, left) = (person("Dr Stayed", None), person("Dr Left", Some(years_ago(7))));
            let mut interest = |person_id: i32, counterparty: &str, starts_on: chrono::NaiveDate, ends_on: Option<chrono::NaiveDate>| {
                register::insert_interest(&mut conn, &register::NewInterest {
                    person_id, category: "financial".into(), kind: "shareholdings".into(), counterparty: counterparty.into(),
                    description: "Shares".into(), starts_on, ends_on, declared_on: starts_on, value_pence: None, accepted: None,
                    management: "Leaves for items on it".into(), agreed_by: "The chair".into(), withheld_reason: None,
                    recorded_by: None, recorded_at: now,
                })
                .expect("interest")
            };
            let ended_seven_years_ago = interest(stayed, "Ended Long Ago Ltd", years_ago(9), Some(years_ago(7)));
            interest(stayed, "Ended Five Years Ago Ltd", years_ago(9), Some(years_ago(5)));
            interest(stayed, "Running Ltd", years_ago(9), None);
            interest(left, "Held When He Left Ltd", years_ago(9), None);
            let id = committee::insert_committee(&mut conn, e.organisation_id, &committee::CommitteeTerms {
                name: "Primary care commissioning committee".into(), quorum_numerator: 1, quorum_denominator: 3,
                quorum_including: "[]".into(), casting_vote: true, withhold_papers: false,
            }, now)
            .expect("committee");
            let meeting = committee::insert_meeting(&mut conn, id, "Meeting in public", now - Duration::days(2_600), "Room 1", now).expect("meeting");
            let item = committee::insert_item(&mut conn, &committee::NewItem {
                meeting_id: meeting, position: 1, title: "Extended access".into(), description: String::new(), private: false,
                subjects: String::new(), motion: String::new(), status: "noted".into(),
            })
            .expect("item");
            committee::save_declaration(&mut conn, item, stayed, Some(ended_seven_years_ago), "leaves", now).expect("declaration");
            (ended_seven_years_ago, item, meeting)
        };
        let counterparties = || -> Vec<String> {
            let mut conn = app.pool.get().expect("connection");
            let mut all: Vec<String> = quorate::db::schema::interests::table
                .select(quorate::db::schema::interests::counterparty)
                .load(&mut conn)
                .expect("interests");
            all.sort();
            all
        };

        let dry = purge(&app, 0, true);
        assert_eq!(dry.organisations.len(), 1, "{dry:?}");
        assert_eq!(dry.organisations[0].1.interests, 2, "{dry:?}");
        assert_eq!(counterparties().len(), 4, "a dry run removes nothing");

        let report = purge(&app, 0, false);
        assert_eq!(report.organisations, dry.organisations);
        assert_eq!(counterparties(), vec!["Ended Five Years Ago Ltd", "Running Ltd"]);
        let declarations = {
            let mut conn = app.pool.get().expect("connection");
            committee::declarations(&mut conn, &[item]).expect("declarations")
        };
        assert_eq!(declarations.len(), 1, "the meeting's record of the declaration stays");
        assert_eq!((declarations[0].interest_id, declarations[0].action.as_str()), (None, "leaves"));
        let (status, page) = app.new_visitor().get_text(&format!("/meetings/{meeting}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("removed from the register, six years after it ended") && page.contains("left the meeting for the item"), "{page}");
        assert!(app.audited("retention.purge").iter().any(|s| s.contains("2 declarations of interest")));
        let records = quorate::retention::service::records_of(&app.pool, "08V").expect("records");
        assert_eq!((records[0].0.removed.interests, records[0].1), (2, true));
        let _ = declaration;
        assert!(purge(&app, 0, false).is_empty(), "purged once");
    }

    async fn the_scheduler_purges_once_a_day(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        app.mail_worker(None, &[]).run_until_idle().await.expect("worker");
        let mut scheduler = quorate::ballots::schedule::Scheduler::with_retention(quorate::ballots::schedule::Retention {
            policy: Policy::from_settings(&app.settings),
            session_hours: app.settings.session_hours,
            data_dir: app.data_dir.clone(),
        });
        let later = Utc::now().naive_utc() + Duration::days(400);
        let outbox = app.outbox();
        assert!(scheduler.run(&app.pool, &outbox, later).expect("round").purged);
        // (The round also opened, closed and counted the ballot, queuing its result.)
        assert_eq!(emails(&app).1, 3, "the sent notices are purged");
        let records = app.audited("retention.purge").len();
        assert!(records >= 1);
        assert!(!scheduler.run(&app.pool, &outbox, later + Duration::hours(1)).expect("round").purged, "once a day");
        assert!(scheduler.run(&app.pool, &outbox, later + Duration::hours(25)).expect("round").purged, "and the next day");
        assert_eq!(app.audited("retention.purge").len(), records, "a purge that removes nothing records nothing");
    }

    async fn the_command_line_purge_says_what_it_would_remove(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(action(&app, &e, id, "publish", None).await.0, 200);
        assert_eq!(app.mail_worker(None, &[]).run_until_idle().await.expect("worker").sent, 3);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_quorate"))
            .args(["purge", "--dry-run"])
            .env_clear()
            .env("QUORATE_DATABASE_URL", &app.database_url)
            .env("QUORATE_DATA_DIR", &app.data_dir)
            .env("QUORATE_RETAIN_MESSAGES_DAYS", "0")
            .env("QUORATE_LOG", "warn")
            .output()
            .expect("quorate runs");
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{said}{}", String::from_utf8_lossy(&output.stderr));
        assert!(said.contains("08V: would remove 3 emails"), "{said}");
        assert_eq!(emails(&app), (3, 0), "nothing removed");
    }
}
