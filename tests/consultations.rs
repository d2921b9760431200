//! A consultation through the pages on both backends, with its messages
//! over real SMTP: published to every member practice, members ask (one
//! asking not to be named), the board answers, the asker is told at once
//! and all members in a daily digest; injected markup is shown as text.

mod common;

use common::ballots::{ADMIN, OBSERVER, electorate, log_in};
use common::smtp::SmtpSink;

async fn upload(client: &common::TestApp, path: &str, name: &'static str, bytes: Vec<u8>) -> reqwest::Response {
    let csrf = client.csrf_token(path).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .part("document", reqwest::multipart::Part::bytes(bytes).file_name(name));
    client
        .client
        .post(client.url(&format!("{path}/documents")))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

fn subjects(sink: &SmtpSink, start: &str) -> Vec<Vec<String>> {
    sink.received()
        .into_iter()
        .filter(|m| m.parsed().subject().unwrap_or_default().starts_with(start))
        .map(|m| m.to)
        .collect()
}

backend_tests! {
    async fn a_consultation_with_questions_and_answers(app: TestApp) {
        let sink = SmtpSink::start();
        let e = electorate(&app, &[1_000, 2_000, 3_000]);
        log_in(&app, ADMIN).await;
        let (status, form) = app.get_text("/organisations/08V/consultations/new").await;
        assert_eq!(status, 200);
        assert!(form.contains("Level 3 — delegated commissioning | Full local control"), "presets: {form}");
        let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(14));
        let fields = [
            ("title", "Primary care co-commissioning"),
            ("summary", "Which level should we apply for?"),
            ("body", "# Background\n\nThe board recommends **level 2**.\n\n<script>alert('x')</script>\n\n[Papers](javascript:alert(1))"),
            ("options", "Level 1 | little new work | little influence\nLevel 2 | shared decisions | conflicts of interest"),
            ("closes_date", &closes.0),
            ("closes_time", &closes.1),
        ];
        // Problems are named and nothing is written.
        let response = app.submit("/organisations/08V/consultations/new", "/organisations/08V/consultations", &[("title", ""), ("closes_date", "soon")]).await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("body");
        assert!(body.contains("Enter a title") && body.contains("Enter a real date"), "{body}");
        let response = app.submit("/organisations/08V/consultations/new", "/organisations/08V/consultations", &fields).await;
        assert_eq!(response.status(), 303);
        let path = response.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        let (_, page) = app.get_text(&path).await;
        assert!(page.contains("<h2 class=\"nhsuk-heading-m\">Background</h2>") && page.contains("<strong>level 2</strong>"), "{page}");
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>alert"), "script shown as text");
        assert!(!page.contains("href=\"javascript"), "unsafe link dropped");
        assert!(page.contains("conflicts of interest"));

        // Documents: PDF or Office files only, by name and by content.
        let pdf = b"%PDF-1.4\n% the board's paper\n%%EOF\n".to_vec();
        assert_eq!(upload(&app, &path, "Board paper.pdf", pdf.clone()).await.status(), 303);
        // A refused document: the consultation's page again, the error by
        // the upload field.
        let refused = upload(&app, &path, "setup.exe", b"MZ\x90\x00".to_vec()).await;
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.expect("body");
        assert!(refused.contains("PDF or an Office file") && refused.contains("href=\"#document\"") && refused.contains("id=\"document-error\""), "{refused}");
        assert!(refused.contains("Add a document") && refused.contains("<nav"), "the page itself, with its navigation");
        let disguised = upload(&app, &path, "paper.pdf", b"MZ\x90\x00".to_vec()).await;
        assert_eq!(disguised.status(), 422);
        let (_, page) = app.get_text(&path).await;
        let digest = quorate::token::digest_bytes(&pdf);
        assert!(page.contains("Board paper.pdf") && page.contains(&digest) && !page.contains("setup.exe"), "{page}");
        let doc_link = page.split(&format!("{path}/documents/")).nth(1).and_then(|t| t.split('"').next()).expect("a document link").to_owned();
        let download = app.get(&format!("{path}/documents/{doc_link}")).await;
        assert_eq!(download.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
        assert_eq!(download.bytes().await.expect("bytes").to_vec(), pdf);

        // The draft can be changed in the browser, each field checked again.
        let edit = format!("{path}/edit");
        let (status, form) = app.get_text(&edit).await;
        assert_eq!(status, 200);
        assert!(form.contains("Change the draft consultation") && form.contains("value=\"Primary care co-commissioning\""), "{form}");
        let mut changed: Vec<(&str, &str)> = fields.to_vec();
        changed[0] = ("title", "");
        let refused = app.submit(&edit, &edit, &changed).await;
        assert_eq!(refused.status(), 422);
        let refused = refused.text().await.expect("body");
        assert!(refused.contains("Enter a title") && refused.contains("Which level should we apply for?"), "kept: {refused}");
        changed[0] = ("title", "Primary care co-commissioning 2027");
        assert_eq!(app.submit(&edit, &edit, &changed).await.status(), 303);
        let (_, page) = app.get_text(&path).await;
        assert!(page.contains("Draft changed") && page.contains("Primary care co-commissioning 2027"), "{page}");
        // A second draft is deleted, after a page that says what goes.
        let response = app.submit("/organisations/08V/consultations/new", "/organisations/08V/consultations", &fields).await;
        let spare = response.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        let (status, confirm) = app.get_text(&format!("{spare}/delete")).await;
        assert_eq!(status, 200);
        assert!(confirm.contains("Delete the draft consultation"), "{confirm}");
        let deleted = app.submit(&format!("{spare}/delete"), &format!("{spare}/delete"), &[]).await;
        assert_eq!(deleted.status(), 303);
        assert_eq!(app.get(&spare).await.status(), 404);

        // A member practice cannot see the draft.
        let rep1 = app.new_visitor();
        log_in(&rep1, e.rep_of("F84001")).await;
        assert_eq!(rep1.get(&path).await.status(), 404);

        assert_eq!(rep1.get(&edit).await.status(), 404, "a member cannot even see the draft");
        assert_eq!(app.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
        assert_eq!(app.get(&edit).await.status(), 409, "a published consultation is not changed");
        assert_eq!(app.submit(&path, &format!("{path}/delete"), &[]).await.status(), 409);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(subjects(&sink, "Consultation: Primary care co-commissioning 2027").len(), 4, "three practices and the observer");

        // Members ask; one asks not to be named.
        let (_, page) = rep1.get_text(&path).await;
        assert!(page.contains("Ask a question") && page.contains("Board paper.pdf"));
        assert_eq!(upload(&rep1, &path, "mine.pdf", b"%PDF-1.4".to_vec()).await.status(), 403);
        let empty = rep1.submit(&path, &format!("{path}/questions"), &[("question", "   "), ("anonymous", "yes")]).await;
        assert_eq!(empty.status(), 422);
        let empty = empty.text().await.expect("body");
        assert!(empty.contains("There is a problem") && empty.contains("href=\"#question\"") && empty.contains("id=\"anonymous\" name=\"anonymous\" type=\"checkbox\" value=\"yes\" checked"), "{empty}");
        let long = "Why? ".repeat(1000);
        let too_long = rep1.submit(&path, &format!("{path}/questions"), &[("question", &long)]).await;
        assert_eq!(too_long.status(), 422);
        assert!(too_long.text().await.expect("body").contains(long.trim_end()), "what was typed is kept");
        assert_eq!(rep1.submit(&path, &format!("{path}/questions"), &[("question", "What happens to our PMS contract?"), ("anonymous", "yes")]).await.status(), 303);
        let (_, mine) = rep1.get_text(&path).await;
        assert!(mine.contains("PMS contract") && mine.contains("Your practice, Practice 1 (F84001)") && mine.contains("Waiting for an answer"), "a practice sees its own question: {mine}");
        let rep2 = app.new_visitor();
        log_in(&rep2, e.rep_of("F84002")).await;
        let (_, before) = rep2.get_text(&path).await;
        assert!(!before.contains("PMS contract"), "unanswered questions are not shown to members");
        let observer = app.new_visitor();
        log_in(&observer, OBSERVER).await;
        let (_, watched) = observer.get_text(&path).await;
        assert!(watched.contains("PMS contract") && watched.contains("Practice 1 (F84001), asking not to be named") && watched.contains("Waiting for an answer"), "{watched}");

        // The board answers: the asker is told now; members see it unnamed.
        let question_id = {
            let mut conn = app.pool.get().expect("connection");
            quorate::consult::store::questions(&mut conn, path.trim_start_matches("/consultations/").parse().expect("id")).expect("q")[0].0.id
        };
        let answer_path = format!("{path}/questions/{question_id}/answer");
        assert_eq!(rep1.submit(&path, &answer_path, &[("answer", "x")]).await.status(), 403);
        let blank = app.submit(&path, &answer_path, &[("answer", " ")]).await;
        assert_eq!(blank.status(), 422);
        let blank = blank.text().await.expect("body");
        assert!(blank.contains(&format!("href=\"#answer-{question_id}\"")) && blank.contains(&format!("id=\"answer-{question_id}-error\"")), "{blank}");
        assert_eq!(app.submit(&path, &answer_path, &[("answer", "It stays a PMS contract, managed by the CCG.")]).await.status(), 303);
        assert_eq!(app.submit(&path, &answer_path, &[("answer", "again")]).await.status(), 409);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        assert_eq!(subjects(&sink, "Your question has been answered"), vec![vec![e.rep_of("F84001").to_owned()]]);
        let (_, after) = rep2.get_text(&path).await;
        assert!(after.contains("It stays a PMS contract") && after.contains("A member practice") && !after.contains("Practice 1 (F84001)"), "{after}");

        // The daily digest goes to every member, once a day.
        let mut scheduler = quorate::ballots::service::Scheduler::default();
        let now = chrono::Utc::now().naive_utc();
        assert_eq!(scheduler.run(&app.pool, &app.outbox(), now).expect("round").digests, 4);
        assert_eq!(scheduler.run(&app.pool, &app.outbox(), now).expect("round").digests, 0);
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        let digests = subjects(&sink, "New answers in the consultation");
        assert_eq!(digests.len(), 4);

        // The delivery record of this consultation, for the observer.
        let id: i32 = path.trim_start_matches("/consultations/").parse().expect("id");
        let (status, record) = observer.get_text(&format!("/organisations/08V/deliveries?consultation={id}")).await;
        assert_eq!(status, 200);
        assert!(record.contains("consultation ") && record.contains("New answers in the consultation") && record.contains(e.rep_of("F84003")), "{record}");
        assert_eq!(observer.get("/organisations/08V/deliveries?consultation=x").await.status(), 400);

        // Practices respond, and may revise until the close.
        let respond = format!("{path}/response");
        let missing = rep1.submit(&path, &respond, &[("practice", "F84001"), ("position_0", "support"), ("comment", "Kept while I fix it")]).await;
        assert_eq!(missing.status(), 422);
        let missing = missing.text().await.expect("body");
        assert!(missing.contains("position on Level 2") && missing.contains("href=\"#position-1\"") && missing.contains("id=\"position-1-error\""), "{missing}");
        assert!(missing.contains(">Kept while I fix it</textarea>") && missing.contains("value=\"support\" checked"), "answers kept: {missing}");
        assert_eq!(rep1.submit(&path, &respond, &[("practice", "F84001"), ("position_0", "oppose"), ("position_1", "support"), ("comment", "Level 2, with safeguards.")]).await.status(), 303);
        let revised = rep1.submit(&path, &respond, &[("practice", "F84001"), ("position_0", "neutral"), ("position_1", "support"), ("comment", "Level 2.")]).await;
        assert_eq!(revised.status(), 303);
        let (_, mine) = rep1.get_text(&path).await;
        assert!(mine.contains("Response changed (version 2)") && mine.contains("Level 2.</textarea>"), "{mine}");
        assert_eq!(rep2.submit(&path, &respond, &[("practice", "F84002"), ("position_0", "oppose"), ("position_1", "support")]).await.status(), 303);
        assert_eq!(rep2.submit(&path, &respond, &[("practice", "F84001"), ("position_0", "oppose"), ("position_1", "oppose")]).await.status(), 403, "not for another practice");
        assert_eq!(rep1.get(&format!("{path}/responses")).await.status(), 403);
        let (status, summary) = observer.get_text(&format!("{path}/responses")).await;
        assert_eq!(status, 200);
        assert!(summary.contains("2 practices have responded"), "{summary}");
        assert!(summary.contains("2 practices (3,000 patients)"), "both support level 2: {summary}");
        let csv = observer.get(&format!("{path}/responses.csv")).await.text().await.expect("csv");
        assert!(csv.starts_with("ods_code,practice,list_size,Level 1,Level 2,comment,revision"), "{csv}");
        assert!(csv.contains("F84001,Practice 1,1000,neutral,support,Level 2.,2,"), "{csv}");

        // After the close, no more questions or responses.
        assert_eq!(app.submit(&path, &format!("{path}/close"), &[]).await.status(), 303);
        assert_eq!(rep2.submit(&path, &respond, &[("practice", "F84002"), ("position_0", "support"), ("position_1", "support")]).await.status(), 409);
        assert_eq!(rep1.submit(&path, &format!("{path}/questions"), &[("question", "Too late?")]).await.status(), 409);
        // The audit log has each step.
        let mut conn = app.pool.get().expect("connection");
        let actions: Vec<String> = quorate::audit::store::all(&mut conn).expect("audit").into_iter().map(|e| e.entry.action).filter(|a| a.starts_with("consultation.")).collect();
        assert_eq!(
            actions,
            vec!["consultation.create", "consultation.document", "consultation.edit", "consultation.create", "consultation.delete", "consultation.publish", "consultation.question", "consultation.answer", "consultation.response", "consultation.response", "consultation.response", "consultation.close"]
        );
    }

    async fn the_consultation_api_serves_members_and_their_responses(app: TestApp) {
        let e = electorate(&app, &[1_000, 2_000]);
        log_in(&app, ADMIN).await;
        let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(14));
        let response = app
            .submit(
                "/organisations/08V/consultations/new",
                "/organisations/08V/consultations",
                &[("title", "Delegation"), ("summary", "Level 3?"), ("body", "# Paper"), ("options", "Level 2 | a | b\nLevel 3 | c | d"), ("closes_date", &closes.0), ("closes_time", &closes.1)],
            )
            .await;
        let path = response.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        let id: i32 = path.trim_start_matches("/consultations/").parse().expect("id");
        let rep_token = quorate::accounts::service::create_api_token_for(&app.pool, e.rep_of("F84001"), "t").expect("token");
        // A draft is not there for members.
        let (status, _) = app.api(reqwest::Method::GET, &format!("/api/v1/consultations/{id}"), Some(&rep_token), None).await;
        assert_eq!(status, 404);
        assert_eq!(app.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
        let (status, list) = app.api(reqwest::Method::GET, "/api/v1/organisations/08V/consultations", Some(&rep_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(list["consultations"][0]["title"], "Delegation");
        let (_, shown) = app.api(reqwest::Method::GET, &format!("/api/v1/consultations/{id}"), Some(&rep_token), None).await;
        assert_eq!(shown["body_markdown"], "# Paper");
        assert_eq!(shown["options"][1]["label"], "Level 3");
        let (status, questions) = app.api(reqwest::Method::GET, &format!("/api/v1/consultations/{id}/questions"), Some(&rep_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(questions["questions"], serde_json::json!([]));

        let url = format!("/api/v1/consultations/{id}/response");
        let (status, bad) = app.api(reqwest::Method::PUT, &url, Some(&rep_token), Some(serde_json::json!({"practice": "F84001", "positions": ["support"]}))).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(bad["error"]["field"], "position_1");
        let (status, _) = app.api(reqwest::Method::PUT, &url, Some(&rep_token), Some(serde_json::json!({"practice": "F84002", "positions": ["support", "oppose"]}))).await;
        assert_eq!(status, 403, "not another practice's");
        let (status, written) = app.api(reqwest::Method::PUT, &url, Some(&rep_token), Some(serde_json::json!({"practice": "F84001", "positions": ["support", "oppose"], "comment": "Level 2"}))).await;
        assert_eq!(status, 200, "{written}");
        assert_eq!(written["revision"], 1);
        let (status, mine) = app.api(reqwest::Method::GET, &format!("{url}?practice=F84001"), Some(&rep_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(mine["positions"], serde_json::json!(["support", "oppose"]));
        let (status, _) = app.api(reqwest::Method::GET, &format!("{url}?practice=F84002"), Some(&rep_token), None).await;
        assert_eq!(status, 403);
        assert_eq!(app.submit(&path, &format!("{path}/close"), &[]).await.status(), 303);
        let (status, _) = app.api(reqwest::Method::PUT, &url, Some(&rep_token), Some(serde_json::json!({"practice": "F84001", "positions": ["oppose", "oppose"]}))).await;
        assert_eq!(status, 409);
    }
}
