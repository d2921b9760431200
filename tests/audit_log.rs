//! The audit log as observers see it: filtered, paged, checked, exported;
//! and a tampered entry named by the page and by `quorate audit verify`.

mod common;

use common::TestApp;
use common::ballots::{OBSERVER, action, create_ballot, electorate, log_in};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn audit_verify(app: &TestApp, org: &str) -> std::process::Output {
    let cwd = tempfile::tempdir().expect("cwd");
    std::process::Command::new(BIN)
        .args(["audit", "verify", "--org", org])
        .env_clear()
        .env("QUORATE_DATABASE_URL", &app.database_url)
        .env("QUORATE_DATA_DIR", app.data_dir.display().to_string())
        .env("QUORATE_LOG", "warn")
        .current_dir(cwd.path())
        .output()
        .expect("run quorate")
}

backend_tests! {
    async fn observers_browse_check_and_export_the_log_and_tampering_is_named(app: TestApp) {
        let e = electorate(&app, &[1_000, 1_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        let (status, published) = action(&app, &e, id, "publish", None).await;
        assert_eq!(status, 200, "{published}");
        assert_eq!(action(&app, &e, id, "cancel", Some(json!({"reason": "Wrong date"}))).await.0, 200);

        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (status, page) = observer.get_text("/organisations/08V/audit").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("ballot.publish") && page.contains("ballot.cancel") && page.contains("Wrong date"), "{page}");
        let (_, filtered) = observer.get_text("/organisations/08V/audit?action=ballot.cancel").await;
        assert!(filtered.contains("ballot.cancel") && !filtered.contains("ballot.publish"), "{filtered}");
        assert!(filtered.contains("1 entry."), "{filtered}");
        // The filter is in words; an action typed into the address is shown as what it filters by.
        assert!(page.contains("<option value=\"ballot.\">Ballots: drafts, publication, the timetable, the count</option>"), "{page}");
        assert!(filtered.contains("<option value=\"ballot.cancel\" selected>Entries whose action starts with &quot;ballot.cancel&quot;</option>"), "{filtered}");
        let (_, ballots) = observer.get_text("/organisations/08V/audit?action=ballot.").await;
        assert!(ballots.contains("<option value=\"ballot.\" selected>") && ballots.contains("3 entries."), "{ballots}");
        let (_, by_text) = observer.get_text("/organisations/08V/audit?text=wrong%20date").await;
        assert!(by_text.contains("ballot.cancel"));
        assert_eq!(observer.get("/organisations/08V/audit?from=yesterday").await.status(), 400);
        let (_, checked) = observer.get_text("/organisations/08V/audit?check=yes").await;
        assert!(checked.contains("The whole chain is intact"), "{checked}");
        let csv = observer.get("/organisations/08V/audit.csv?action=ballot.").await;
        assert_eq!(csv.status(), 200);
        let csv = csv.text().await.expect("csv");
        assert!(csv.starts_with("id,at_utc,actor,action,object_kind,object_key,summary,previous_hash,hash"));
        assert_eq!(csv.lines().count(), 1 + 3, "create, publish, cancel: {csv}");
        // A practice's representative cannot see the log.
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84001")).await;
        assert_eq!(rep.get("/organisations/08V/audit").await.status(), 403);

        // Account actions are audited too, and entries say in what role.
        {
            let mut conn = app.pool.get().expect("connection");
            let log = quorate::audit::store::all(&mut conn).expect("audit");
            assert!(log.iter().any(|e| e.entry.action == "account.create" && e.entry.summary.contains(OBSERVER)));
            assert!(log.iter().any(|e| e.entry.action == "account.token" && e.entry.summary.contains("\"test\"")));
            let publish = log.iter().find(|e| e.entry.action == "ballot.publish").expect("publish");
            assert!(publish.entry.actor.ends_with("as Organisation administrator, Tower Hamlets CCG (08V)"), "{}", publish.entry.actor);
        }
        let intact = audit_verify(&app, "08V");
        assert!(intact.status.success(), "{}", String::from_utf8_lossy(&intact.stderr));
        assert!(String::from_utf8_lossy(&intact.stdout).contains("of its entries are Tower Hamlets CCG's (08V)"));

        // Someone with database access edits the publication's entry.
        let tampered = {
            use diesel::prelude::*;
            use quorate::db::schema::audit_log;
            let mut conn = app.pool.get().expect("connection");
            let target: i32 = audit_log::table
                .filter(audit_log::action.eq("ballot.publish"))
                .select(audit_log::id)
                .first(&mut conn)
                .expect("entry");
            diesel::update(audit_log::table.find(target))
                .set(audit_log::summary.eq("Published to nobody"))
                .execute(&mut conn)
                .expect("tamper");
            target
        };
        let (_, broken) = observer.get_text("/organisations/08V/audit?check=yes").await;
        assert!(broken.contains(&format!("Entry {tampered} does not match the chain")), "{broken}");
        let named = audit_verify(&app, "08V");
        assert_eq!(named.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&named.stderr).contains(&format!("entry {tampered} does not match")));
        assert_eq!(audit_verify(&app, "ZZZ").status.code(), Some(2));
    }
}
