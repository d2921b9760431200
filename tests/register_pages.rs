//! The register pages: search, filters, sort, pages, as-at dates, CSV, a
//! practice's history; and who may see them.

mod common;

use common::{PASSWORD, TestApp};
use quorate::audit::model::Actor;
use quorate::registry::import::{apply_list_sizes, apply_practices};

const EPRACCUR_2019: &str = include_str!("fixtures/epraccur_2019-12_08V.csv");
const LIST_SIZES_2021: &str = include_str!("fixtures/gp-reg-pat-prac-all_01JAN2021_08V_16C.csv");

/// 08V with its 2019 practices and 2021 list sizes, and a board member logged in.
async fn register_of_08v(app: &TestApp) {
    app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    let codes = vec!["08V".to_owned()];
    apply_practices(
        &app.pool,
        &Actor::command_line(),
        &codes,
        EPRACCUR_2019.as_bytes(),
        false,
    )
    .expect("practices");
    apply_list_sizes(&app.pool, &Actor::command_line(), LIST_SIZES_2021.as_bytes(), false).expect("sizes");
    app.create_user("board@example.org", "org_admin", Some("08V"));
    assert_eq!(app.login("board@example.org", PASSWORD).await.status(), 303);
}

fn rows(body: &str) -> usize {
    body.matches("<a class=\"nhsuk-link\" href=\"/practices/").count()
}

backend_tests! {
    async fn the_register_is_searched_filtered_sorted_and_paged(app: TestApp) {
        register_of_08v(&app).await;
        let (status, body) = app.get_text("/organisations/08V/practices").await;
        assert_eq!(status, 200);
        assert!(body.contains("Showing 1 to 36 of 36 practices"), "{body}");
        assert_eq!(rows(&body), 36);

        let (_, body) = app.get_text("/organisations/08V/practices?q=albion").await;
        assert_eq!(rows(&body), 1);
        assert!(body.contains("ALBION HEALTH CENTRE"));
        let (_, body) = app.get_text("/organisations/08V/practices?q=f84012").await;
        assert_eq!(rows(&body), 1);

        let (_, body) = app.get_text("/organisations/08V/practices?status=active").await;
        assert!(body.contains("of 35 practices"), "{body}");
        assert!(body.contains("name=\"status\" type=\"checkbox\" value=\"active\" checked"), "the filter is kept");

        let (_, body) = app.get_text("/organisations/08V/practices?min=10000&max=12000").await;
        let filtered = rows(&body);
        assert!(filtered > 0 && filtered < 35, "{filtered}");

        let (_, body) = app.get_text("/organisations/08V/practices?sort=list_size&order=desc").await;
        assert!(body.contains("aria-sort=\"descending\""));
        let sizes: Vec<i32> = body
            .split("nhsuk-table__cell--numeric\">")
            .skip(1)
            .filter_map(|s| s.split('<').next())
            .filter_map(|s| s.replace(',', "").parse().ok())
            .collect();
        assert!(sizes.len() > 30);
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");

        // Before anyone joined (2013) the register was empty.
        let (_, body) = app.get_text("/organisations/08V/practices?on=2010-01-01").await;
        assert!(body.contains("No practices match your search"));
    }

    async fn the_register_downloads_as_csv_as_at_a_date(app: TestApp) {
        register_of_08v(&app).await;
        let response = app.get("/organisations/08V/register.csv?on=2021-06-01").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let text = response.text().await.expect("csv");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("headers").clone();
        assert_eq!(&headers[0], "ods_code");
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
        assert_eq!(records.len(), 36);
        let albion = records.iter().find(|r| &r[0] == "F84012").expect("Albion");
        assert_eq!(&albion[7], "2021-01-01", "the 2021 list size applies on 1 June 2021");
        assert!(!albion[6].is_empty());
    }

    async fn a_practice_page_shows_its_history(app: TestApp) {
        register_of_08v(&app).await;
        let (status, body) = app.get_text("/practices/F84012").await;
        assert_eq!(status, 200);
        assert!(body.contains("ALBION HEALTH CENTRE"));
        assert!(body.contains("Tower Hamlets CCG (08V)"));
        assert!(body.contains("1 January 2021"), "list size history: {body}");
        assert!(body.contains("Still a member"));
        assert_eq!(app.get_text("/practices/ZZ9999").await.0, 404);
    }

    async fn only_those_entitled_see_the_register(app: TestApp) {
        register_of_08v(&app).await;
        app.create_organisation("ccg", "09A", "Other CCG");
        app.create_user("other@example.org", "org_admin", Some("09A"));
        app.create_user("rep@example.org", "practice_rep", Some("F84012"));
        let other = app.new_visitor();
        other.login("other@example.org", PASSWORD).await;
        assert_eq!(other.get_text("/organisations/08V/practices").await.0, 403);
        assert_eq!(other.get_text("/organisations/08V/register.csv").await.0, 403);
        assert_eq!(other.get_text("/practices/F84012").await.0, 403);
        let rep = app.new_visitor();
        rep.login("rep@example.org", PASSWORD).await;
        assert_eq!(rep.get_text("/practices/F84012").await.0, 200, "their own practice");
        assert_eq!(rep.get_text("/practices/F84016").await.0, 403);
        assert_eq!(rep.get_text("/organisations/08V/practices").await.0, 403);
    }

    async fn bad_register_queries_are_named(app: TestApp) {
        register_of_08v(&app).await;
        for (query, expected) in [
            ("status=open", "status must be active, closed, dormant or proposed"),
            ("on=1%20December", "on must be a date like 2026-12-01"),
            ("min=lots", "smallest list size must be a whole number"),
            ("sort=postcode", "sort must be name, code or list_size"),
        ] {
            let (status, body) = app.get_text(&format!("/organisations/08V/practices?{query}")).await;
            assert_eq!(status, 400, "{query}");
            assert!(body.contains(expected), "{query}: {body}");
        }
    }
}
