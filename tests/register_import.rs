//! Importing the real NHS files (excerpts in tests/fixtures) into the
//! register, on both backends.

mod common;

use common::TestApp;
use quorate::audit::model::Actor;
use quorate::registry::import::{apply_list_sizes, apply_practices, plan_list_sizes, plan_practices};
use quorate::registry::store::Practice;

const EPRACCUR_2019: &str = include_str!("fixtures/epraccur_2019-12_08V.csv");
const EPRACCUR_2025: &str = include_str!("fixtures/epraccur_2025-04_16C.csv");
const EPRACCUR_2026: &str = include_str!("fixtures/epraccur_2026-02_16C.csv");
const LIST_SIZES_2021: &str = include_str!("fixtures/gp-reg-pat-prac-all_01JAN2021_08V_16C.csv");

fn orgs(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

fn active_members(app: &TestApp, organisation_id: i32) -> usize {
    let mut conn = app.pool.get().expect("connection");
    Practice::members_on(&mut conn, organisation_id, chrono::Utc::now().date_naive())
        .expect("members")
        .iter()
        .filter(|p| p.status == "active")
        .count()
}

fn audit_entries(app: &TestApp) -> usize {
    quorate::audit::service::verify(&app.pool)
        .expect("verify")
        .expect("the chain is intact")
}

/// Replaces line `n` (1-based) of a file.
fn with_line(file: &str, n: usize, replacement: &str) -> String {
    file.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { replacement } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

backend_tests! {
    async fn the_2019_file_gives_08v_its_35_active_practices_and_reimporting_changes_nothing(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        let dry = plan_practices(&app.pool, &orgs(&["08V"]), EPRACCUR_2019.as_bytes()).expect("dry run");
        assert_eq!(dry.organisations[0].active_members, 35);
        assert_eq!(dry.organisations[0].added.len(), 36, "35 active and 1 closed GP practice");
        assert!(dry.errors.is_empty(), "{:?}", dry.errors);
        assert_eq!(active_members(&app, ccg), 0, "a dry run writes nothing");

        let applied = apply_practices(&app.pool, &Actor::command_line(), &orgs(&["08V"]), EPRACCUR_2019.as_bytes(), false).expect("import");
        assert_eq!(applied.organisations[0].added.len(), 36);
        assert_eq!(active_members(&app, ccg), 35);
        assert_eq!(audit_entries(&app), 1);

        let again = apply_practices(&app.pool, &Actor::command_line(), &orgs(&["08V"]), EPRACCUR_2019.as_bytes(), false).expect("import again");
        let plan = &again.organisations[0];
        assert!(!plan.changes_anything(), "{plan:?}");
        assert_eq!(plan.unchanged, 36);
        assert_eq!(active_members(&app, ccg), 35);
        assert_eq!(audit_entries(&app), 1, "nothing changed, nothing audited");

        let mut conn = app.pool.get().expect("connection");
        let practice = Practice::find_by_code(&mut conn, "F84012").expect("query").expect("imported");
        assert_eq!(practice.name, "ALBION HEALTH CENTRE");
        assert!(!practice.postcode.is_empty() && practice.postcode.contains(' '));
    }

    async fn the_2025_and_2026_formats_both_import_for_16c(app: TestApp) {
        let ccg = app.create_organisation("ccg", "16C", "Tees Valley");
        let old = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        // 08V no longer commissions any active practice in 2025 or 2026.
        let plan = plan_practices(&app.pool, &orgs(&["16C", "08V"]), EPRACCUR_2025.as_bytes()).expect("2025 both");
        assert_eq!(plan.organisations.iter().map(|o| o.active_members).collect::<Vec<_>>(), vec![78, 0]);
        let plan = plan_practices(&app.pool, &orgs(&["16C", "08V"]), EPRACCUR_2026.as_bytes()).expect("2026 both");
        assert_eq!(plan.organisations.iter().map(|o| o.active_members).collect::<Vec<_>>(), vec![76, 0]);
        assert_eq!(active_members(&app, old), 0);
        let classic = apply_practices(&app.pool, &Actor::command_line(), &orgs(&["16C"]), EPRACCUR_2025.as_bytes(), false).expect("2025");
        assert_eq!(format!("{:?}", classic.format), "Some(Classic)");
        assert_eq!(active_members(&app, ccg), 78);

        let dry = plan_practices(&app.pool, &orgs(&["16C"]), EPRACCUR_2026.as_bytes()).expect("2026 dry run");
        assert_eq!(format!("{:?}", dry.format), "Some(RoleCodes)");
        let plan = &dry.organisations[0];
        assert_eq!(plan.active_members, 76);
        assert!(!plan.changed.is_empty(), "the 2026 file differs from the 2025 one");
        let change = &plan.changed[0];
        assert!(!change.changes.is_empty() && change.changes.iter().all(|c| c.before != c.after));

        apply_practices(&app.pool, &Actor::command_line(), &orgs(&["16C"]), EPRACCUR_2026.as_bytes(), false).expect("2026");
        assert_eq!(active_members(&app, ccg), 76);
        let again = plan_practices(&app.pool, &orgs(&["16C"]), EPRACCUR_2026.as_bytes()).expect("again");
        assert!(!again.organisations[0].changes_anything());
    }

    async fn list_sizes_attach_to_practices_in_the_register_and_keep_their_history(app: TestApp) {
        app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        apply_practices(&app.pool, &Actor::command_line(), &orgs(&["08V"]), EPRACCUR_2019.as_bytes(), false).expect("import");
        let plan = plan_list_sizes(&app.pool, LIST_SIZES_2021.as_bytes()).expect("dry run");
        assert_eq!(plan.added, 35);
        assert!(plan.not_in_register > 0);
        apply_list_sizes(&app.pool, &Actor::command_line(), LIST_SIZES_2021.as_bytes(), false).expect("import");
        let again = plan_list_sizes(&app.pool, LIST_SIZES_2021.as_bytes()).expect("again");
        assert_eq!((again.added, again.changed.len(), again.unchanged), (0, 0, 35));

        // A later extract adds history; a corrected one shows before and after.
        let mut conn = app.pool.get().expect("connection");
        let practice = Practice::find_by_code(&mut conn, "F84012").expect("query").expect("practice");
        let history = quorate::registry::store::list_sizes::history(&mut conn, practice.id).expect("history");
        assert_eq!(history.len(), 1);
        let original = history[0].1;
        drop(conn);
        let later = format!("CODE,EXTRACT_DATE,SEX,AGE,NUMBER_OF_PATIENTS\nF84012,01APR2021,ALL,ALL,{}\n", original + 100);
        apply_list_sizes(&app.pool, &Actor::command_line(), later.as_bytes(), false).expect("later");
        let corrected = format!("CODE,EXTRACT_DATE,SEX,AGE,NUMBER_OF_PATIENTS\nF84012,01JAN2021,ALL,ALL,{}\n", original + 1);
        let plan = plan_list_sizes(&app.pool, corrected.as_bytes()).expect("plan");
        assert_eq!(plan.changed.len(), 1);
        assert_eq!((plan.changed[0].before, plan.changed[0].after), (original, original + 1));
        let mut conn = app.pool.get().expect("connection");
        let history = quorate::registry::store::list_sizes::history(&mut conn, practice.id).expect("history");
        assert_eq!(history.iter().map(|h| h.1).collect::<Vec<_>>(), vec![original + 100, original], "newest first, nothing overwritten");
    }

    async fn bad_rows_are_named_and_nothing_is_half_imported(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        let line_11 = EPRACCUR_2019.lines().nth(10).expect("line 11");
        let bad_status = line_11.replacen("\",\"A\",\"B\",\"08V\"", "\",\"X\",\"B\",\"08V\"", 1);
        assert_ne!(bad_status, line_11);
        let file = with_line(EPRACCUR_2019, 11, &bad_status);
        let file = with_line(&file, 12, "\"F84999\",\"TOO FEW FIELDS\"");
        let refused = apply_practices(&app.pool, &Actor::command_line(), &orgs(&["08V"]), file.as_bytes(), false).expect_err("refused");
        match refused {
            quorate::error::AppError::Invalid(errors) => {
                let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                assert!(messages.iter().any(|m| m.starts_with("Line 11: status \"X\"")), "{messages:?}");
                assert!(messages.iter().any(|m| m.starts_with("Line 12: has 2 fields")), "{messages:?}");
            }
            other => panic!("expected the bad rows, got {other:?}"),
        }
        assert_eq!(active_members(&app, ccg), 0, "nothing imported");
        assert_eq!(audit_entries(&app), 0);

        let skipped = apply_practices(&app.pool, &Actor::command_line(), &orgs(&["08V"]), file.as_bytes(), true).expect("skip bad rows");
        assert_eq!(skipped.errors.len(), 2);
        assert!(active_members(&app, ccg) >= 33);
    }

    async fn files_that_cannot_be_used_are_refused_with_a_reason(app: TestApp) {
        app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
        let cases: [(&[u8], &str); 4] = [
            (b"", "The file is empty"),
            (b"PUBLICATION,EXTRACT_DATE\nX,Y\n", "Line 1 has 2 fields"),
            (b"\"A81001\",\"CAF\xe9\"\n", "not UTF-8"),
            (b"%PDF-1.4\n\x00\x01\x02", "Line 1 has 1 field"),
        ];
        for (bytes, expected) in cases {
            let error = plan_practices(&app.pool, &orgs(&["08V"]), bytes).expect_err("refused");
            assert!(format!("{error:?}").contains(expected), "{expected}: {error:?}");
        }
        let unknown = plan_practices(&app.pool, &orgs(&["99X"]), EPRACCUR_2019.as_bytes()).expect_err("unknown org");
        assert!(format!("{unknown:?}").contains("no organisation with ODS code 99X"));
        let nobody = plan_list_sizes(&app.pool, LIST_SIZES_2021.as_bytes()).expect_err("no practices yet");
        assert!(format!("{nobody:?}").contains("None of the"), "{nobody:?}");
    }
}
