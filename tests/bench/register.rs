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
    });
}
