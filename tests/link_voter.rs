//! A voter with only the emailed link (no account) reads everything they
//! need for that ballot — the papers, the amendment's current and proposed
//! text, the consultation it follows with its answers and documents — and
//! votes; nothing sends them to the login page.

mod common;

use common::TestApp;
use common::ballots::{ADMIN, action, create_ballot, electorate, log_in, open_when_due, vote_with_link, voting_links};
use serde_json::json;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn consultation_with_answer(app: &TestApp, rep_email: &str) -> String {
    let board = app.new_visitor();
    log_in(&board, ADMIN).await;
    let closes = quorate::time::to_london_fields(chrono::Utc::now().naive_utc() + chrono::Duration::days(7));
    let response = board
        .submit(
            "/organisations/08V/consultations/new",
            "/organisations/08V/consultations",
            &[
                ("title", "The new quorum"),
                ("summary", "Why change the quorum?"),
                ("body", "The board proposes a quorum of one third."),
                ("options", ""),
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
    let csrf = board.csrf_token(&path).await;
    let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
        "document",
        reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("quorum-paper.pdf"),
    );
    let uploaded = board
        .client
        .post(board.url(&format!("{path}/documents")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 303);
    assert_eq!(board.submit(&path, &format!("{path}/publish"), &[]).await.status(), 303);
    let rep = app.new_visitor();
    log_in(&rep, rep_email).await;
    assert_eq!(
        rep.submit(
            &path,
            &format!("{path}/questions"),
            &[("question", "Does a third include abstentions?")]
        )
        .await
        .status(),
        303
    );
    let id: i32 = path.trim_start_matches("/consultations/").parse().expect("id");
    let question = {
        let mut conn = app.pool.get().expect("connection");
        quorate::consult::store::questions(&mut conn, id).expect("questions")[0]
            .0
            .id
    };
    let answered = board
        .submit(
            &path,
            &format!("{path}/questions/{question}/answer"),
            &[("answer", "Yes: abstentions count towards the quorum.")],
        )
        .await;
    assert_eq!(answered.status(), 303);
    path
}

backend_tests! {
    async fn a_link_voter_reads_the_papers_and_the_amendment_without_an_account(app: TestApp) {
        let sink = common::smtp::SmtpSink::start();
        let e = electorate(&app, &[1_000, 2_000]);
        let rep = e.rep_of("F84001").to_owned();
        let consultation = consultation_with_answer(&app, &rep).await;
        let ballot = create_ballot(
            &app,
            &e,
            json!({
                "kind": "constitution_amendment",
                "title": "Quorum of general meetings",
                "question": "Do you approve the amendment as proposed?",
                "papers": "Why the quorum changes.\r\n\r\nWhat it means for small practices.",
                "current_text": "A general meeting is quorate when half of the member practices are present.",
                "proposed_text": "A general meeting is quorate when one third of the member practices are present.",
            }),
        )
        .await;
        let board = app.new_visitor();
        log_in(&board, ADMIN).await;
        assert_eq!(board.submit(&consultation, &format!("{consultation}/ballot"), &[("ballot", &ballot.to_string())]).await.status(), 303);
        assert_eq!(action(&app, &e, ballot, "publish", None).await.0, 200);

        // The notice carries the current and proposed text, and a papers link inside the voting link.
        app.mail_worker(Some(&sink.url()), &[]).run_until_idle().await.expect("worker");
        let received = sink.received();
        let notice = received
            .iter()
            .find(|m| m.to == vec![rep.clone()] && m.parsed().body_text(0).is_some_and(|t| t.contains("gives notice of a ballot")))
            .expect("the representative's notice");
        let text = notice.parsed().body_text(0).expect("text").into_owned();
        assert!(text.contains("half of the member practices") && text.contains("one third of the member practices"), "{text}");
        let token = voting_links(&app, ballot)[&rep].clone();
        assert!(text.contains(&format!("/vote/{token}/papers")), "{text}");
        let html = notice.parsed().body_html(0).expect("html").into_owned();
        assert!(html.contains("As proposed, it would say") && html.contains(&format!("/vote/{token}/papers")));

        // Someone with only the link: no account, no cookie.
        let voter = app.new_visitor();
        let papers = format!("/vote/{token}/papers");
        let (status, page) = voter.get_text(&papers).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Do you approve the amendment as proposed?"));
        assert!(page.contains("<del class=\"quorate-del\"><span class=\"nhsuk-u-visually-hidden\">[deleted: </span>half"), "{page}");
        assert!(page.contains("<p>Why the quorum changes.</p>") && page.contains("<p>What it means for small practices.</p>"), "CRLF paragraphs kept: {page}");
        assert!(!page.contains("href=\"/login") && !page.contains(&format!("href=\"/ballots/{ballot}")), "nothing that needs an account: {page}");
        let consultation_id = consultation.trim_start_matches("/consultations/");
        let inside = format!("/vote/{token}/consultations/{consultation_id}");
        assert!(page.contains(&inside), "{page}");
        let (status, read) = voter.get_text(&inside).await;
        assert_eq!(status, 200, "{read}");
        assert!(read.contains("Does a third include abstentions?") && read.contains("abstentions count towards the quorum"), "{read}");
        assert!(!read.contains("Ask a question") && !read.contains("Send the response"), "read-only");
        let document = read.split(&format!("{inside}/documents/")).nth(1).and_then(|rest| rest.split('"').next()).expect("a document link").to_owned();
        let downloaded = voter.get(&format!("{inside}/documents/{document}")).await;
        assert_eq!(downloaded.status(), 200);
        assert_eq!(downloaded.bytes().await.expect("bytes").as_ref(), PDF);
        // Only what this ballot follows, only with a real link.
        assert_eq!(voter.get_text(&format!("/vote/{token}/consultations/999")).await.0, 404);
        assert_eq!(voter.get_text("/vote/not-a-real-token/papers").await.0, 410);

        // The voting page shows the amendment too, and links back inside the link.
        open_when_due(&app, &e, ballot).await;
        let (status, vote_page) = voter.get_text(&format!("/vote/{token}")).await;
        assert_eq!(status, 200);
        assert!(vote_page.contains("The amendment as proposed") && vote_page.contains(&format!("href=\"{papers}\"")), "{vote_page}");
        let (status, _) = vote_with_link(&app, ballot, &token, "for").await;
        assert_eq!(status, 201);
        // After voting, the papers stay readable through the link.
        assert_eq!(voter.get_text(&papers).await.0, 200);
    }
}
