//! The page a voter meets when the practice's vote is already recorded,
//! and the request to send its receipt again.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::casting::Credential;
use super::recorded::{self, ReceiptEmail, RecordedVote};
use super::routes::ballot_id;
use crate::error::{AppError, AppResult};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PracticeForm {
    practice: String,
}

#[derive(Serialize)]
struct ReceiptView {
    to_name: String,
    queued_at: String,
    state_label: &'static str,
    state_colour: &'static str,
    sent_again: bool,
}

#[derive(Serialize)]
struct VotedView {
    title: String,
    practice: String,
    practice_code: String,
    voted_at: String,
    rule: &'static str,
    receipt: Option<ReceiptView>,
    may_resend: bool,
    next_resend_at: String,
    resend_action: String,
    ballot_href: String,
    resent: bool,
    /// Why sending again was refused, if it was.
    problem: Option<String>,
}

fn resend_action(credential: &Credential, ballot: i32) -> String {
    match credential {
        Credential::Link(token) => format!("/vote/{token}/receipt"),
        _ => format!("/ballots/{ballot}/vote/receipt"),
    }
}

fn ballot_href(credential: &Credential, ballot: i32) -> String {
    match credential {
        Credential::Link(token) => format!("/vote/{token}/papers"),
        _ => format!("/ballots/{ballot}"),
    }
}

fn page(
    ui: &Ui,
    status: StatusCode,
    credential: &Credential,
    practice_code: &str,
    vote: RecordedVote,
    outcome: Result<(), String>,
) -> AppResult<HttpResponse> {
    let resent = outcome.is_ok() && status == StatusCode::OK;
    let now = chrono::Utc::now().naive_utc();
    let may_resend = vote.receipt.as_ref().is_some_and(|r| r.may_resend(now));
    let next_resend_at = vote
        .receipt
        .as_ref()
        .and_then(|r| r.next_resend_at)
        .map(crate::time::clock)
        .unwrap_or_default();
    let view = VotedView {
        title: vote.ballot_title.clone(),
        practice: vote.practice_name.clone(),
        practice_code: practice_code.to_owned(),
        voted_at: crate::time::date_time(vote.voted_at),
        rule: super::model::VOTE_IS_FINAL,
        receipt: vote.receipt.as_ref().map(receipt_view),
        may_resend,
        next_resend_at,
        resend_action: resend_action(credential, vote.ballot_id),
        ballot_href: ballot_href(credential, vote.ballot_id),
        resent,
        problem: outcome.err(),
    };
    let heading = if resent {
        "Receipt sent again"
    } else {
        "Your practice's vote is recorded"
    };
    ui.form_errors(status, "ballots/voted", heading, Vec::new(), &view)
}

fn receipt_view(receipt: &ReceiptEmail) -> ReceiptView {
    ReceiptView {
        to_name: receipt.to_name.clone(),
        queued_at: crate::time::date_time(receipt.queued_at),
        state_label: receipt.state.label(),
        state_colour: receipt.state.tag_colour(),
        sent_again: receipt.sent_again,
    }
}

/// The page for a vote refused because the practice already voted: when
/// it was recorded and where its receipt went. `None` when the practice
/// has no recorded vote (the refusal was for another reason).
pub async fn voted_page(
    ui: &Ui,
    credential: &Credential,
    id: Option<i32>,
    practice: &str,
) -> AppResult<Option<HttpResponse>> {
    let (lookup, code) = (credential.clone(), practice.to_owned());
    let vote = ui
        .state()
        .run(move |pool| recorded::recorded_vote(pool, &lookup, id, Some(code.as_str()).filter(|c| !c.is_empty())))
        .await;
    match vote {
        Ok(Some(vote)) => page(ui, StatusCode::CONFLICT, credential, practice, vote, Ok(())).map(Some),
        Ok(None) | Err(_) => Ok(None),
    }
}

async fn resend(ui: Ui, credential: Credential, id: Option<i32>, form: PracticeForm) -> AppResult<HttpResponse> {
    let (lookup, code) = (credential.clone(), form.practice.clone());
    let practice = || Some(code.as_str()).filter(|c| !c.is_empty());
    let outbox = ui.state().outbox.clone();
    let sent = {
        let code = code.clone();
        ui.state()
            .run(move |pool| {
                let practice = Some(code.as_str()).filter(|c| !c.is_empty());
                recorded::resend_receipt(pool, &outbox, &lookup, id, practice)
            })
            .await
    };
    let lookup = credential.clone();
    let practice_code = practice().map(str::to_owned);
    let vote = ui
        .state()
        .run(move |pool| recorded::recorded_vote(pool, &lookup, id, practice_code.as_deref()))
        .await?
        .ok_or(AppError::NotFound)?;
    match sent {
        Ok(_) => page(&ui, StatusCode::OK, &credential, &code, vote, Ok(())),
        Err(AppError::Conflict(why)) => page(&ui, StatusCode::CONFLICT, &credential, &code, vote, Err(why)),
        Err(e) => Err(e),
    }
}

/// `POST /ballots/{id}/vote/receipt`
pub async fn resend_signed_in(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<PracticeForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    resend(ui, Credential::SignedIn((*user.0).clone()), Some(id), form.0).await
}

/// `POST /vote/{token}/receipt`
pub async fn resend_with_link(
    ui: Ui,
    token: web::Path<String>,
    form: CsrfForm<PracticeForm>,
) -> AppResult<HttpResponse> {
    resend(ui, Credential::Link(token.into_inner()), None, form.0).await
}
