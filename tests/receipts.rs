//! A vote saved whose answer never reached the voter (the connection
//! dropped, the server was restarted): on trying again the voter is told
//! the practice's vote is recorded and when, where the receipt was emailed,
//! and can have it sent again — only ever to the representative's own
//! address, at most once every ten minutes.

mod common;

use common::TestApp;
use common::ballots::{ADMIN, create_ballot, electorate, log_in, open_when_due, voting_links};
use common::smtp::{Received, SmtpSink};
use serde_json::json;

fn text_of(message: &Received) -> String {
    message.parsed().body_text(0).expect("text part").into_owned()
}

async fn deliver(app: &TestApp, sink: &SmtpSink) -> usize {
    app.mail_worker(Some(&sink.url()), &[])
        .run_until_idle()
        .await
        .expect("worker")
        .sent
}

fn receipts_to(messages: &[Received], address: &str) -> Vec<String> {
    messages
        .iter()
        .filter(|m| {
            m.parsed()
                .subject()
                .unwrap_or_default()
                .starts_with("Your practice's vote was recorded")
        })
        .filter(|m| m.to == vec![address.to_owned()])
        .map(text_of)
        .collect()
}

backend_tests! {
    async fn a_voter_whose_answer_was_lost_sees_the_vote_stands_and_gets_the_receipt_again(app: TestApp) {
        let sink = SmtpSink::start();
        let e = electorate(&app, &[1_000, 2_000, 3_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(common::ballots::action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        let links = voting_links(&app, id);
        let token = links[e.rep_of("F84001")].clone();

        // The vote is saved; its answer is thrown away, as if the server
        // died before sending it.
        let (status, lost) = common::ballots::vote_with_link(&app, id, &token, "for").await;
        assert_eq!(status, 201, "{lost}");
        let code = lost["receipt"].as_str().expect("code").to_owned();

        // Trying again with the link: the page says the vote stands, when,
        // and where the receipt went — not a bare "already voted".
        let voter = app.new_visitor();
        let (status, page) = voter.get_text(&format!("/vote/{token}")).await;
        assert_eq!(status, 409, "{page}");
        assert!(page.contains("Your practice has already voted"), "{page}");
        assert!(page.contains("The vote of Practice 1 was recorded on"), "{page}");
        assert!(page.contains("Receipt emailed to") && page.contains("Waiting to send"), "{page}");
        assert!(!page.contains(&code), "the code itself is never shown again");
        // The API says the same.
        let (status, again) = common::ballots::vote_with_link(&app, id, &token, "against").await;
        assert_eq!(status, 409);
        let message = again["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Practice 1 has already voted in this ballot: its vote was recorded at") && message.contains("receipt was emailed to"), "{message}");

        // The first receipt goes out; the voter says it never came and asks
        // again: the same receipt goes to the representative's own address.
        assert_eq!(deliver(&app, &sink).await, 1 + 4, "the receipt, after the notices");
        let resent = voter.submit(&format!("/vote/{token}"), &format!("/vote/{token}/receipt"), &[]).await;
        assert_eq!(resent.status(), 200);
        let page = resent.text().await.expect("page");
        assert!(page.contains("Receipt sent again"), "{page}");
        assert_eq!(deliver(&app, &sink).await, 1);
        let received = sink.wait_for(4 + 1 + 1);
        let receipts = receipts_to(&received, e.rep_of("F84001"));
        assert_eq!(receipts.len(), 2, "the first and the copy");
        assert!(receipts.iter().all(|text| text.contains(&code)), "{receipts:?}");

        // The page no longer offers to send it; asking again at once anyway
        // (a second tab, a replayed form) is refused, saying when it can be.
        let (_, page) = voter.get_text(&format!("/vote/{token}")).await;
        assert!(!page.contains("Send the receipt again") && page.contains("You can ask for it to be sent again after"), "{page}");
        let refused = voter.submit("/login", &format!("/vote/{token}/receipt"), &[]).await;
        assert_eq!(refused.status(), 409);
        let page = refused.text().await.expect("page");
        assert!(page.contains("The receipt was not sent again") && page.contains("You can ask again after"), "{page}");
        let (status, body) = app.api(reqwest::Method::POST, &format!("/api/v1/ballots/{id}/receipt"), Some(&token), None).await;
        assert_eq!(status, 409, "{body}");

        // A practice that has not voted has no receipt to send.
        let (status, body) = app.api(reqwest::Method::POST, &format!("/api/v1/ballots/{id}/receipt"), Some(&links[e.rep_of("F84002")]), None).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("has not voted"), "{body}");
        // A body that is there must be right.
        let (status, body) = app.api(reqwest::Method::POST, &format!("/api/v1/ballots/{id}/receipt"), Some(&token), Some(json!({"practise": "F84001"}))).await;
        assert_eq!(status, 400, "{body}");

        // Every copy is in the audit log.
        let mut conn = app.pool.get().expect("connection");
        let resends = quorate::audit::store::all(&mut conn).expect("audit").into_iter().filter(|e| e.entry.action == "ballot.receipt_resent").count();
        assert_eq!(resends, 1);
    }

    async fn a_signed_in_representative_has_the_receipt_sent_to_their_address_as_it_is_now(app: TestApp) {
        let sink = SmtpSink::start();
        let e = electorate(&app, &[1_000, 2_000]);
        let id = create_ballot(&app, &e, json!({})).await;
        assert_eq!(common::ballots::action(&app, &e, id, "publish", None).await.0, 200);
        open_when_due(&app, &e, id).await;
        let rep = app.new_visitor();
        log_in(&rep, e.rep_of("F84002")).await;
        let vote_page = format!("/ballots/{id}/vote");
        let cast = rep.submit(&vote_page, &format!("/ballots/{id}/vote"), &[("option", "against"), ("practice", "F84002")]).await;
        assert_eq!(cast.status(), 200);
        let code_page = cast.text().await.expect("receipt page");
        assert!(code_page.contains("Vote recorded"), "{code_page}");

        // Casting again: the recorded vote, not a second one.
        let again = rep.submit(&vote_page, &format!("/ballots/{id}/vote"), &[("option", "for"), ("practice", "F84002")]).await;
        assert_eq!(again.status(), 409);
        let page = again.text().await.expect("page");
        assert!(page.contains("The vote of Practice 2 was recorded on") && page.contains("Send the receipt again"), "{page}");

        // The representative's address changes; the copy goes to the new one,
        // whatever address the first receipt went to.
        let user = common::ballots::user_id(&app, e.rep_of("F84002"));
        let mut conn = app.pool.get().expect("connection");
        quorate::accounts::store::User::set_email(&mut conn, user, "new.address@practice.example.org", "new.address@practice.example.org").expect("email");
        drop(conn);
        let sent = rep.submit(&format!("/ballots/{id}"), &format!("/ballots/{id}/vote/receipt"), &[("practice", "F84002")]).await;
        assert_eq!(sent.status(), 200);
        deliver(&app, &sink).await;
        let received = sink.wait_for(1);
        let copies = receipts_to(&received, "new.address@practice.example.org");
        assert_eq!(copies.len(), 1, "{:?}", received.iter().map(|m| m.to.clone()).collect::<Vec<_>>());

        // Someone else's representative cannot ask for it.
        let other = app.new_visitor();
        log_in(&other, ADMIN).await;
        let refused = other.submit(&format!("/ballots/{id}"), &format!("/ballots/{id}/vote/receipt"), &[("practice", "F84002")]).await;
        assert!(matches!(refused.status().as_u16(), 403 | 422), "{}", refused.status());
    }
}
