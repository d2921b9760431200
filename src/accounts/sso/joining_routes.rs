//! `/organisations/CODE/account-requests`: practice staff who asked for an
//! account by signing in, waiting for the organisation's administrators.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::joining::{self, Waiting};
use crate::error::{AppError, AppResult};
use crate::registry::model::RepresentativeKind;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Serialize)]
struct Row {
    id: i32,
    name: String,
    email: String,
    practice_name: String,
    practice_code: String,
    provider: String,
    requested_at: String,
}

fn row(ui: &Ui, w: Waiting) -> Row {
    let provider = ui.state().settings.provider_label(&w.provider);
    Row {
        id: w.id,
        name: w.name,
        email: w.email,
        practice_name: w.practice_name,
        practice_code: w.practice_code,
        provider,
        requested_at: crate::time::date_time(w.requested_at),
    }
}

#[derive(Serialize)]
struct ListPage {
    code: String,
    name: String,
    requests: Vec<Row>,
}

pub async fn list(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let (grants, code) = (user.grants(), code.into_inner());
    let (organisation, waiting) = ui
        .state()
        .run(move |pool| joining::waiting(pool, &grants, &code))
        .await?;
    let page = ListPage {
        code: organisation.summary.code,
        name: organisation.summary.name,
        requests: waiting.into_iter().map(|w| row(&ui, w)).collect(),
    };
    ui.page("accounts/account_requests", "Requests to represent practices", &page)
}

#[derive(Serialize)]
struct Choice {
    id: String,
    value: String,
    label: String,
    checked: bool,
}

#[derive(Serialize)]
struct DecisionPage {
    code: String,
    name: String,
    request: Row,
    choices: Vec<Choice>,
    reason: String,
}

async fn decision_page(
    ui: &Ui,
    user: &CurrentUser,
    code: String,
    id: i32,
    chosen: Option<&str>,
    reason: String,
) -> AppResult<DecisionPage> {
    let grants = user.grants();
    let (organisation, waiting) = ui
        .state()
        .run(move |pool| joining::one_waiting(pool, &grants, &code, id))
        .await?;
    let mut choices: Vec<Choice> = RepresentativeKind::ALL
        .into_iter()
        .map(|kind| Choice {
            id: format!("decision-{}", kind.as_str().replace('_', "-")),
            value: kind.as_str().to_owned(),
            label: format!("Approve as {}", kind.in_sentence()),
            checked: chosen == Some(kind.as_str()),
        })
        .collect();
    // The first choice's id is the one the error summary links to.
    choices[0].id = joining::DECISION_FIELD.to_owned();
    choices.push(Choice {
        id: "decision-refuse".into(),
        value: "refuse".into(),
        label: "Refuse the request".into(),
        checked: chosen == Some("refuse"),
    });
    Ok(DecisionPage {
        code: organisation.summary.code,
        name: organisation.summary.name,
        request: row(ui, waiting),
        choices,
        reason,
    })
}

const DECISION_TITLE: &str = "Decide a request to represent a practice";

pub async fn decision_form(ui: Ui, user: CurrentUser, path: web::Path<(String, i32)>) -> AppResult<HttpResponse> {
    let (code, id) = path.into_inner();
    let page = decision_page(&ui, &user, code, id, None, String::new()).await?;
    ui.page("accounts/account_request", DECISION_TITLE, &page)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, i32)>,
    form: CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let (code, id) = path.into_inner();
    let DecisionForm { decision, reason } = form.0;
    let parsed = joining::parse_decision(decision.as_deref(), &reason);
    let outcome = match parsed {
        Ok(decision) => {
            let (actor, target, outbox) = ((*user.0).clone(), code.clone(), ui.state().outbox.clone());
            let settings = ui.state().settings.clone();
            ui.state()
                .run(move |pool| joining::decide(pool, &outbox, &settings, &actor, &target, id, decision))
                .await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(person) => Ok(ui.see_other(
            &format!("/organisations/{code}/account-requests"),
            Some(Flash {
                heading: if decision.as_deref() == Some("refuse") {
                    format!("{person}'s request is refused")
                } else {
                    format!("{person} is now a representative of the practice")
                },
                body: Some("They have been sent an email saying so.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            // The register's own checks (already a representative) are
            // about the choice made here.
            let errors = errors
                .into_iter()
                .map(|e| {
                    if e.field == joining::REASON_FIELD {
                        e
                    } else {
                        crate::error::FieldError::new(joining::DECISION_FIELD, e.message)
                    }
                })
                .collect();
            let page = decision_page(&ui, &user, code, id, decision.as_deref(), reason).await?;
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/account_request",
                DECISION_TITLE,
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}
