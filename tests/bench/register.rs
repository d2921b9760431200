//! Register import benchmark: the whole national epraccur file, every
//! commissioner at once, dry run then apply then a second dry run.
//! `cargo bench --bench register [-- FILE]`; the file defaults to the
//! 2025 national file in ../shared/data (about 16,500 rows).

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use quorate::audit::model::Actor;
use quorate::registry::import::{apply_practices, plan_practices};

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/data/epraccur_2025-04__jscuffell.csv"
            )
            .to_owned()
        });
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    actix_web::rt::System::new().block_on(async move {
        let app = common::spawn_app(common::Backend::Sqlite).await;
        let text = String::from_utf8_lossy(&bytes);
        let codes: BTreeSet<String> = text
            .lines()
            .filter_map(|line| line.split("\",\"").nth(14).map(str::to_owned))
            .filter(|code| quorate::registry::model::OrganisationCode::parse("org", code).is_ok())
            .collect();
        for code in &codes {
            app.create_organisation("ccg", code, &format!("Commissioner {code}"));
        }
        let codes: Vec<String> = codes.into_iter().collect();
        println!(
            "file: {path} ({} bytes, {} lines), {} commissioners",
            bytes.len(),
            text.lines().count(),
            codes.len()
        );

        let started = Instant::now();
        let plan = plan_practices(&app.pool, &codes, &bytes).expect("dry run");
        let dry = started.elapsed();
        let added: usize = plan.organisations.iter().map(|o| o.added.len()).sum();
        let active: usize = plan.organisations.iter().map(|o| o.active_members).sum();
        println!(
            "dry run (empty register): {:.0} ms — {added} practices to add, {active} active, {} bad rows",
            dry.as_secs_f64() * 1000.0,
            plan.errors.len()
        );

        let started = Instant::now();
        apply_practices(&app.pool, &Actor::command_line(), &codes, &bytes, true).expect("apply");
        println!("apply: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        let again = plan_practices(&app.pool, &codes, &bytes).expect("dry run again");
        let changes = again.organisations.iter().filter(|o| o.changes_anything()).count();
        println!(
            "dry run (full register): {:.0} ms — organisations with changes: {changes}",
            started.elapsed().as_secs_f64() * 1000.0
        );

        let started = Instant::now();
        apply_practices(&app.pool, &Actor::command_line(), &codes, &bytes, true).expect("apply again");
        println!(
            "apply again (no changes): {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );

        // A register of 2,000 practices, read through the web page.
        let big = app.create_organisation("ccg", "X2K", "Two thousand practices");
        {
            let mut conn = app.pool.get().expect("connection");
            let ids: Vec<i32> = quorate::registry::store::Organisation::all(&mut conn)
                .expect("organisations")
                .iter()
                .flat_map(|o| quorate::registry::store::Practice::current_members(&mut conn, o.id).expect("members"))
                .map(|p| p.id)
                .take(2_000)
                .collect();
            let joined = chrono::NaiveDate::from_ymd_opt(2020, 4, 1).expect("date");
            let joins: Vec<(i32, chrono::NaiveDate)> = ids.iter().map(|id| (*id, joined)).collect();
            quorate::registry::store::Practice::join_all(&mut conn, big, &joins).expect("join");
        }
        app.create_user("board@bench.example", "org_admin", Some("X2K"));
        assert_eq!(app.login("board@bench.example", common::PASSWORD).await.status(), 303);
        for (label, path) in [
            ("first page of 50, no filter", "/organisations/X2K/practices"),
            (
                "search \"surgery\", page of 50",
                "/organisations/X2K/practices?q=surgery",
            ),
            (
                "active only, sorted by list size",
                "/organisations/X2K/practices?status=active&sort=list_size&order=desc",
            ),
        ] {
            let mut times = Vec::new();
            for _ in 0..60 {
                let started = Instant::now();
                let response = app.get(path).await;
                assert_eq!(response.status(), 200);
                let _ = response.text().await;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            println!(
                "register page, 2,000 members, {label}: median {:.1} ms, p95 {:.1} ms (over 60 requests)",
                times[30], times[57]
            );
        }
    });
}
