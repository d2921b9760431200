//! Importing through the web: upload, preview, confirm.

mod common;

use common::{PASSWORD, TestApp};

const EPRACCUR_2019: &str = include_str!("fixtures/epraccur_2019-12_08V.csv");

async fn setup(app: &TestApp) {
    let lmc = app.create_organisation("lmc", "L01", "Test LMC");
    let ccg = app.create_organisation("ccg", "08V", "Tower Hamlets CCG");
    app.cover_with_lmc(ccg, lmc);
    app.create_user("board@example.org", "org_admin", Some("08V"));
    app.create_user("observer@example.org", "lmc_observer", Some("L01"));
    assert_eq!(app.login("board@example.org", PASSWORD).await.status(), 303);
}

async fn upload(
    app: &TestApp,
    kind: Option<&str>,
    file: Option<(&str, Vec<u8>)>,
    with_token: bool,
) -> reqwest::Response {
    let token = app.csrf_token("/organisations/08V/import").await;
    let mut form = reqwest::multipart::Form::new();
    if with_token {
        form = form.text("_csrf", token);
    }
    if let Some(kind) = kind {
        form = form.text("kind", kind.to_owned());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("text/csv")
                .expect("mime"),
        );
    }
    app.client
        .post(app.url("/organisations/08V/import"))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn members(app: &TestApp) -> usize {
    let mut conn = app.pool.get().expect("connection");
    let ccg = quorate::registry::store::Organisation::find_by_code(&mut conn, "08V")
        .expect("q")
        .expect("ccg");
    quorate::registry::store::Practice::current_members(&mut conn, ccg.id)
        .expect("members")
        .len()
}

backend_tests! {
    async fn an_administrator_uploads_previews_and_confirms(app: TestApp) {
        setup(&app).await;
        let response = upload(&app, Some("practices"), Some(("epraccur.csv", EPRACCUR_2019.as_bytes().to_vec())), true).await;
        assert_eq!(response.status(), 303);
        let preview = location(&response);
        assert!(preview.starts_with("/organisations/08V/import/"), "{preview}");
        let (status, page) = app.get_text(&preview).await;
        assert_eq!(status, 200);
        assert!(page.contains("Check the changes before you import them"));
        assert!(page.contains("Practices to add</dt><dd class=\"nhsuk-summary-list__value\">36"), "{page}");
        assert!(page.contains("Active members after the import</dt><dd class=\"nhsuk-summary-list__value\">35"));
        assert_eq!(members(&app), 0, "a preview writes nothing");

        let confirm = format!("{preview}/confirm");
        let response = app.submit(&preview, &confirm, &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/organisations/08V/practices");
        let (_, register) = app.get_text("/organisations/08V/practices").await;
        assert!(register.contains("Register updated") && register.contains("36 practices added"), "{register}");
        assert_eq!(members(&app), 36);
        assert_eq!(app.get_text(&preview).await.0, 410, "the upload is used up");

        // The same file again changes nothing.
        let again = upload(&app, Some("practices"), Some(("epraccur.csv", EPRACCUR_2019.as_bytes().to_vec())), true).await;
        let (_, page) = app.get_text(&location(&again)).await;
        assert!(page.contains("This file changes nothing in the register"));
    }

    async fn upload_mistakes_are_named(app: TestApp) {
        setup(&app).await;
        let response = upload(&app, None, None, true).await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("Select what the file holds") && body.contains("Select a CSV file"), "{body}");
        let empty = upload(&app, Some("practices"), Some(("empty.csv", Vec::new())), true).await;
        assert!(empty.text().await.expect("body").contains("The selected file is empty"));
        let wrong = upload(&app, Some("practices"), Some(("sizes.csv", b"CODE,NUMBER_OF_PATIENTS\nF84012,100\n".to_vec())), true).await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.expect("body").contains("Line 1 has 2 fields"));
        let forged = upload(&app, Some("practices"), Some(("epraccur.csv", EPRACCUR_2019.as_bytes().to_vec())), false).await;
        assert_eq!(forged.status(), 403);
        assert_eq!(members(&app), 0);
    }

    async fn bad_rows_are_shown_and_skipped_only_when_asked(app: TestApp) {
        setup(&app).await;
        let mut lines: Vec<&str> = EPRACCUR_2019.lines().collect();
        lines[10] = "\"F84999\",\"SHORT\"";
        let file = lines.join("\n").into_bytes();
        let response = upload(&app, Some("practices"), Some(("epraccur.csv", file)), true).await;
        let preview = location(&response);
        let (_, page) = app.get_text(&preview).await;
        assert!(page.contains("Rows with problems") && page.contains("has 2 fields"), "{page}");
        let confirm = format!("{preview}/confirm");
        let refused = app.submit(&preview, &confirm, &[]).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.expect("body").contains("Line 11: has 2 fields"));
        assert_eq!(members(&app), 0);
        let skipped = app.submit(&preview, &confirm, &[("skip_bad_rows", "yes")]).await;
        assert_eq!(skipped.status(), 303);
        assert_eq!(members(&app), 35);
    }

    async fn observers_cannot_import(app: TestApp) {
        setup(&app).await;
        let observer = app.new_visitor();
        observer.login("observer@example.org", PASSWORD).await;
        assert_eq!(observer.get_text("/organisations/08V/import").await.0, 403);
    }
}
