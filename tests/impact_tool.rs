//! The practice impact of change tool: each practice's own answers, kept
//! from others; the board and LMC see totals only from five practices up.

mod common;

use common::TestApp;
use common::ballots::{ADMIN, OBSERVER, electorate, log_in};

async fn published_consultation(app: &TestApp) -> String {
    log_in(app, ADMIN).await;
    let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(14));
    let response = app
        .submit(
            "/organisations/08V/consultations/new",
            "/organisations/08V/consultations",
            &[
                ("title", "Delegation"),
                ("summary", "Should we take on level 3?"),
                ("options", "Level 2 | a | b\nLevel 3 | c | d"),
                ("closes_date", &closes.0),
                ("closes_time", &closes.1),
            ],
        )
        .await;
    let path = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert_eq!(app.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
    path
}

fn answers<'a>(code: &'a str, rating: &'a str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("practice".to_owned(), code.to_owned()),
        ("contract_type".to_owned(), "gms".to_owned()),
        ("list_size".to_owned(), "6000".to_owned()),
        ("notes".to_owned(), format!("Notes of {code}")),
    ];
    for option in 0..2 {
        for area in 0..7 {
            fields.push((format!("rating_{option}_{area}"), rating.to_owned()));
        }
    }
    fields
}

backend_tests! {
    async fn answers_stay_with_the_practice_and_small_groups_are_hidden(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000, 3_000, 4_000, 5_000, 6_000]);
        let path = published_consultation(&app).await;
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;

        let rep1 = app.new_visitor();
        log_in(&rep1, e.rep_of("F84001")).await;
        let (status, form) = rep1.get_text(&format!("{path}/impact")).await;
        assert_eq!(status, 200);
        assert!(form.contains("What would change for Practice 1") && form.contains("Breach notices and termination powers"));
        // Every rating is needed; the answers given are kept.
        let response = rep1.submit(&format!("{path}/impact"), &format!("{path}/impact"), &[("practice", "F84001"), ("contract_type", "pms"), ("list_size", "lots")]).await;
        assert_eq!(response.status(), 422);
        let page = response.text().await.expect("body");
        assert!(page.contains("Enter your registered list size") && page.contains("Rate &quot;Funding&quot; for option 2"), "{page}");

        let codes = ["F84001", "F84002", "F84003", "F84004", "F84005"];
        for (n, code) in codes.iter().enumerate() {
            let rep = app.new_visitor();
            log_in(&rep, e.rep_of(code)).await;
            let rating = if n == 0 { "worse" } else { "better" };
            let fields = answers(code, rating);
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let response = rep.submit(&format!("{path}/impact"), &format!("{path}/impact"), &pairs).await;
            assert_eq!(response.status(), 303, "{code}");
            if n == 3 {
                // Four practices: nothing shown.
                let (_, summary) = observer.get_text(&format!("{path}/impact/summary")).await;
                assert!(summary.contains("4 practices have used") && summary.contains("Nothing is shown until at least 5"), "{summary}");
            }
        }
        let (status, summary) = observer.get_text(&format!("{path}/impact/summary")).await;
        assert_eq!(status, 200);
        assert!(summary.contains("5 practices have used") && !summary.contains("Nothing is shown"), "{summary}");
        assert!(summary.contains(">1</td><td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">0</td><td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">4</td>"), "1 worse, 4 better: {summary}");
        assert!(!summary.contains("Notes of F84001") && !summary.contains("Practice 1"), "no practice is named");

        // A practice sees and downloads its own answers, not another's.
        let (_, mine) = rep1.get_text(&format!("{path}/impact")).await;
        assert!(mine.contains("Last saved") && mine.contains("Notes of F84001"));
        let csv = rep1.get(&format!("{path}/impact.csv?practice=F84001")).await.text().await.expect("csv");
        assert!(csv.contains("Level 3,Funding,Worse for us") && csv.contains(",List size,6000"), "{csv}");
        assert_eq!(rep1.get(&format!("{path}/impact?practice=F84002")).await.status(), 403);
        assert_eq!(rep1.get(&format!("{path}/impact/summary")).await.status(), 403);
        assert_eq!(observer.get(&format!("{path}/impact")).await.status(), 403, "observers have no practice");
    }
}
