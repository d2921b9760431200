//! Pages, error pages, authorisation by role and by object, assets, health.

mod common;

use common::PASSWORD;

backend_tests! {
    async fn an_unknown_page_gets_the_not_found_page(app: TestApp) {
        let (status, body) = app.get_text("/no/such/page").await;
        assert_eq!(status, 404);
        assert!(body.contains("<h1 class=\"nhsuk-heading-l\">Page not found</h1>"), "{body}");
        assert!(body.contains("If you typed the web address, check it is correct."));
        assert!(body.contains("nhsuk-header"), "in the same layout as every page");
        // An unknown organisation is not found either, once logged in.
        app.create_user("admin@example.org", "system_admin", None);
        app.login("admin@example.org", PASSWORD).await;
        assert_eq!(app.get_text("/organisations/ZZZ").await.0, 404);
        assert_eq!(app.get_text("/organisations/not-a-code").await.0, 404);
    }

    async fn a_wrong_method_gets_an_error_page_not_a_blank(app: TestApp) {
        let response = app.client.put(app.url("/login")).send().await.expect("PUT");
        assert_eq!(response.status(), 405);
        let allow = response.headers().get("allow").map(|v| v.to_str().unwrap_or_default().to_owned());
        assert_eq!(allow.as_deref(), Some("GET, POST"), "405 names the methods the page answers");
        let body = response.text().await.expect("body");
        assert!(body.contains("This page cannot be used in that way"), "{body}");
    }

    async fn a_practice_representative_may_not_see_the_user_list(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.create_member_practice("F84012", "Test Surgery", ccg);
        app.create_user("rep@example.org", "practice_rep", Some("F84012"));
        app.login("rep@example.org", PASSWORD).await;
        let (status, body) = app.get_text("/admin/users").await;
        assert_eq!(status, 403);
        assert!(body.contains("You cannot view this page"), "{body}");
        assert!(body.contains("Only system administrators can manage user accounts."));
        assert!(!body.contains("rep@example.org"), "the page shows none of the data");
        // Their own organisation's page, yes, but not the member list.
        let (status, body) = app.get_text("/organisations/08V").await;
        assert_eq!(status, 200);
        assert!(!body.contains("Member practices today"));
    }

    async fn organisation_pages_are_authorised_by_object(app: TestApp) {
        let lmc = app.create_organisation("lmc", "L01", "Test LMC");
        let ccg = app.create_organisation("ccg", "08V", "Covered CCG");
        let other = app.create_organisation("ccg", "09A", "Other CCG");
        app.cover_with_lmc(ccg, lmc);
        app.create_member_practice("F84012", "Covered Surgery", ccg);
        app.create_member_practice("G12345", "Other Surgery", other);
        app.create_user("board@example.org", "org_admin", Some("08V"));
        app.create_user("observer@example.org", "lmc_observer", Some("L01"));

        app.login("board@example.org", PASSWORD).await;
        let (status, body) = app.get_text("/organisations/08V").await;
        assert_eq!(status, 200);
        assert!(body.contains("Covered Surgery"));
        let (status, body) = app.get_text("/organisations/09A").await;
        assert_eq!(status, 403, "an administrator of one CCG cannot see another");
        assert!(!body.contains("Other Surgery"));
        let (_, list) = app.get_text("/organisations").await;
        assert!(list.contains("Covered CCG") && !list.contains("Other CCG"));

        let observer = app.new_visitor();
        observer.login("observer@example.org", PASSWORD).await;
        let (status, body) = observer.get_text("/organisations/08V").await;
        assert_eq!(status, 200, "the LMC's observer sees a CCG it covers");
        assert!(body.contains("Covered Surgery") && body.contains("Test LMC (L01)"));
        assert_eq!(observer.get_text("/organisations/09A").await.0, 403);
        // The list leads only to pages the observer may open.
        let (_, list) = observer.get_text("/organisations").await;
        assert!(list.contains("href=\"/organisations/08V\"") && !list.contains("href=\"/organisations/L01\""), "{list}");
        assert_eq!(observer.get("/organisations/L01").await.status(), 403);
    }

    async fn a_system_administrator_creates_an_organisation_in_the_browser(app: TestApp) {
        app.create_user("admin@example.org", "system_admin", None);
        app.login("admin@example.org", PASSWORD).await;
        let (_, list) = app.get_text("/organisations").await;
        assert!(list.contains("href=\"/organisations/create\""), "{list}");
        let (status, form) = app.get_text("/organisations/create").await;
        assert_eq!(status, 200);
        assert!(form.contains("Type of organisation") && form.contains("Local medical committee"), "{form}");
        let bad = app.submit("/organisations/create", "/organisations", &[("code", "0"), ("name", "Tower Hamlets CCG")]).await;
        assert_eq!(bad.status(), 422);
        let bad = bad.text().await.expect("body");
        assert!(bad.contains("Choose the type of organisation") && bad.contains("value=\"Tower Hamlets CCG\""), "{bad}");
        let summary_order: Vec<usize> = ["href=\"#code\"", "href=\"#kind\""].iter().filter_map(|h| bad.find(h)).collect();
        assert!(summary_order.len() == 2 && summary_order[0] < summary_order[1], "errors in page order: {bad}");
        let made = app.submit("/organisations/create", "/organisations", &[("code", "08v"), ("name", "Tower Hamlets CCG"), ("kind", "ccg")]).await;
        assert_eq!(made.status(), 303);
        assert_eq!(made.headers().get("location").and_then(|v| v.to_str().ok()), Some("/organisations/08V"));
        let (_, page) = app.get_text("/organisations/08V").await;
        assert!(page.contains("Tower Hamlets CCG created"), "{page}");
        let again = app.submit("/organisations/create", "/organisations", &[("code", "08V"), ("name", "Again"), ("kind", "ccg")]).await;
        assert_eq!(again.status(), 422, "a taken code is named at its field");
        // Nobody else may.
        app.create_organisation("ccg", "09A", "Other CCG");
        app.create_user("board@example.org", "org_admin", Some("09A"));
        let board = app.new_visitor();
        board.login("board@example.org", PASSWORD).await;
        assert_eq!(board.get("/organisations/create").await.status(), 403);
        let (_, list) = board.get_text("/organisations").await;
        assert!(!list.contains("Create an organisation"));
    }

    async fn the_accessibility_statement_has_every_part_the_regulations_require(app: TestApp) {
        let (status, page) = app.get_text("/accessibility").await;
        assert_eq!(status, 200);
        for part in [
            "How accessible this website is",
            "Feedback and contact information",
            "Reporting accessibility problems with this website",
            "Enforcement procedure",
            "Equality Advisory and Support Service",
            "Compliance status",
            "partially compliant",
            "Non-accessible content",
            "What we are doing to improve accessibility",
            "This statement was prepared on",
            "This website was last tested on",
            "zoom in up to 400%",
        ] {
            assert!(page.contains(part), "{part} missing");
        }
    }

    async fn navigation_follows_the_role(app: TestApp) {
        let ccg = app.create_organisation("ccg", "08V", "Test CCG");
        app.create_member_practice("F84012", "Test Surgery", ccg);
        app.create_user("admin@example.org", "system_admin", None);
        app.create_user("rep@example.org", "practice_rep", Some("F84012"));
        app.login("admin@example.org", PASSWORD).await;
        let (_, body) = app.get_text("/").await;
        assert!(body.contains("href=\"/admin/users\">Users</a>"), "{body}");
        let rep = app.new_visitor();
        rep.login("rep@example.org", PASSWORD).await;
        let (_, body) = rep.get_text("/").await;
        assert!(!body.contains("/admin/users"));
        assert!(body.contains("Practice representative, Test Surgery (F84012)"), "{body}");
    }

    async fn healthz_and_readyz_answer_with_json_when_the_database_answers(app: TestApp) {
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["status"], "ok");
        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["status"], "ready");
        assert_eq!(body["database"], "ok");
    }

    async fn every_response_has_the_security_headers(app: TestApp) {
        for path in ["/login", "/healthz", "/no/such/page", "/assets/css/nhsuk-frontend.min.css"] {
            let response = app.get(path).await;
            let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let csp = header("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("script-src 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(header("referrer-policy"), "same-origin", "{path}");
            assert!(!header("x-request-id").is_empty(), "{path}");
        }
    }

    async fn pages_and_styles_load_nothing_from_other_sites(app: TestApp) {
        app.create_user("admin@example.org", "system_admin", None);
        let mut bodies = vec![app.get_text("/login").await.1, app.get_text("/accessibility").await.1];
        app.login("admin@example.org", PASSWORD).await;
        for path in ["/", "/account", "/organisations", "/admin/users"] {
            let (status, body) = app.get_text(path).await;
            assert_eq!(status, 200, "{path}");
            bodies.push(body);
        }
        let response = app.get("/assets/css/nhsuk-frontend.min.css").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/css");
        bodies.push(response.text().await.expect("css"));
        // Anything a browser would fetch by itself: src=, a <link>'s href,
        // CSS url(); plain links to other sites (<a href>) load nothing.
        for body in &bodies {
            let loads = |at: usize| {
                let before = &body[..at];
                before.ends_with("src=\"") || before.ends_with("url(") || before.ends_with("url(\"")
                    || (before.ends_with("href=\"") && before.rfind('<').is_some_and(|tag| before[tag..].starts_with("<link")))
            };
            let outside = body
                .match_indices("http")
                .filter(|(i, _)| loads(*i))
                .map(|(i, _)| &body[i..body.len().min(i + 40)])
                .find(|s| (s.starts_with("http://") || s.starts_with("https://")) && !s.starts_with("http://www.w3.org/2000/svg"));
            assert!(outside.is_none(), "outside URL: {outside:?}");
        }
        // The test above would see a stylesheet from elsewhere.
        assert!(bodies[0].contains("<link rel=\"stylesheet\" href=\"/assets/css/quorate.css\">"));
        // The icons the CSS refers to are served where it expects them.
        assert_eq!(app.get("/assets/images/nhsuk-icon-arrow-up.svg").await.status(), 200);
        assert_eq!(app.get("/assets/manifest.json").await.status(), 200);
        assert_eq!(app.get("/assets/../Cargo.toml").await.status(), 404);
    }

    async fn the_layout_has_a_skip_link_landmarks_and_a_title(app: TestApp) {
        let (_, body) = app.get_text("/login").await;
        let skip = body.find("nhsuk-skip-link").expect("skip link");
        let header = body.find("<header").expect("header");
        assert!(skip < header, "the skip link comes first");
        assert!(body.contains("href=\"#maincontent\""));
        assert!(body.contains("<main class=\"nhsuk-main-wrapper nhsuk-main-wrapper--s\" id=\"maincontent\">"));
        assert!(body.contains("<html lang=\"en\">"));
        assert!(body.contains("<label class=\"nhsuk-label\" for=\"email\">"));
        assert!(!body.contains("<svg class=\"nhsuk-header__logo\""), "no NHS logo unless configured");
    }

    async fn demo_data_is_labelled_and_its_accounts_work(app: TestApp) {
        let demo = quorate::demo::load(&app.pool).expect("load").expect("loaded the first time");
        assert!(quorate::demo::load(&app.pool).expect("load again").is_none(), "loading twice changes nothing");
        assert!(demo.accounts.iter().all(|(email, _)| email.ends_with("@demo.quorate.invalid")));
        assert_eq!(app.login("board@demo.quorate.invalid", &demo.password).await.status(), 303);
        let (status, body) = app.get_text("/organisations/D9C").await;
        assert_eq!(status, 200);
        assert!(body.contains("This is demonstration data"), "{body}");
        assert!(body.contains("Demo Riverside Surgery"));
        let rep = app.new_visitor();
        assert_eq!(rep.login("manager.y99001@demo.quorate.invalid", &demo.password).await.status(), 303);
        assert_eq!(rep.get_text("/admin/users").await.0, 403);
    }
}

#[actix_web::test]
async fn the_nhs_logo_appears_only_when_configured() {
    let app = common::spawn_app_with(common::Backend::Sqlite, &[("QUORATE_NHS_BRANDING", "true")]).await;
    let (_, body) = app.get_text("/login").await;
    assert!(body.contains("<svg class=\"nhsuk-header__logo\""));
}
