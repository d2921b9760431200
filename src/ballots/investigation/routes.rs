//! Pages to suspend, resume and void a ballot.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::service;
use crate::ballots::routes::{ballot_id, load_visible, problem_page};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvestigationForm {
    reason: String,
    closes_date: String,
    closes_time: String,
    /// Voiding: "yes" to create the re-run now.
    rerun: String,
}

#[derive(Serialize)]
struct InvestigationPage {
    id: i32,
    title: String,
    closes: String,
    /// Resuming: the suspension, in words, and the voting time left.
    suspension: Option<String>,
    time_left: Option<String>,
    fair_close: Option<String>,
    /// Voiding: whether voting is suspended (else it has closed).
    suspended: bool,
    form: InvestigationForm,
}

async fn page(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    template: &str,
    title: &str,
    form: InvestigationForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let (loaded, access) = load_visible(ui, user, id).await?;
    if !access.runs {
        return Err(AppError::Forbidden(
            "Only the organisation's administrators and returning officer can do this.".into(),
        ));
    }
    let now = chrono::Utc::now().naive_utc();
    let active = loaded.suspension();
    let mut form = form;
    if let (Some(s), true) = (active, form.closes_date.is_empty() && form.closes_time.is_empty()) {
        // The close that gives back the voting time left (the form drops
        // seconds: a fair close at 9:00:37 suggested as 9:00 was refused).
        (form.closes_date, form.closes_time) = crate::time::to_london_fields(s.suggested_close(now));
    }
    let page = InvestigationPage {
        id,
        title: loaded.ballot.title.clone(),
        closes: crate::time::date_time(loaded.ballot.closes_at),
        suspension: active.map(|s| s.in_words()),
        time_left: active.map(|s| crate::format::duration_words(s.time_left())),
        fair_close: active.map(|s| crate::time::date_time(s.fair_close(now))),
        suspended: active.is_some(),
        form,
    };
    ui.form_page(template, title, errors, &page)
}

/// What went wrong, shown on the form again, or on a problem page when the
/// ballot's state does not allow it.
async fn refused(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    (template, title, cannot): (&str, &str, &str),
    form: InvestigationForm,
    error: AppError,
) -> AppResult<HttpResponse> {
    match error {
        AppError::Invalid(errors) => page(ui, user, id, template, title, form, errors).await,
        AppError::Conflict(why) => problem_page(
            ui,
            StatusCode::CONFLICT,
            cannot,
            id,
            vec![FieldError::new("reason", why)],
        ),
        other => Err(other),
    }
}

const SUSPEND: (&str, &str, &str) = ("ballots/suspend", "Suspend voting", "Voting cannot be suspended");
const RESUME: (&str, &str, &str) = ("ballots/resume", "Resume voting", "Voting cannot be resumed");
const VOID: (&str, &str, &str) = (
    "ballots/void",
    "Declare the ballot void",
    "The ballot cannot be declared void",
);

pub async fn suspend_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    page(
        &ui,
        &user,
        id,
        SUSPEND.0,
        SUSPEND.1,
        InvestigationForm::default(),
        Vec::new(),
    )
    .await
}

pub async fn suspend(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<InvestigationForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let (actor, outbox, reason) = ((*user.0).clone(), ui.state().outbox.clone(), form.reason.clone());
    match ui
        .state()
        .run(move |pool| service::suspend(pool, &outbox, &actor, id, &reason))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}"),
            Some(Flash {
                heading: "Voting suspended".into(),
                body: Some(
                    "No votes are taken until you resume voting or declare the ballot void. The electorate and the LMC are being told."
                        .into(),
                ),
            }),
        )),
        Err(e) => refused(&ui, &user, id, SUSPEND, form, e).await,
    }
}

pub async fn resume_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    page(
        &ui,
        &user,
        id,
        RESUME.0,
        RESUME.1,
        InvestigationForm::default(),
        Vec::new(),
    )
    .await
}

pub async fn resume(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<InvestigationForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let new_close = match crate::time::from_london(&form.closes_date, &form.closes_time) {
        Ok(t) => Some(t),
        Err(message) if !(form.closes_date.trim().is_empty() && form.closes_time.trim().is_empty()) => {
            return page(
                &ui,
                &user,
                id,
                RESUME.0,
                RESUME.1,
                form,
                vec![FieldError::new("closes-at", message)],
            )
            .await;
        }
        Err(_) => None,
    };
    let (actor, outbox, reason) = ((*user.0).clone(), ui.state().outbox.clone(), form.reason.clone());
    match ui
        .state()
        .run(move |pool| service::resume(pool, &outbox, &actor, id, new_close, &reason))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}"),
            Some(Flash {
                heading: "Voting resumed".into(),
                body: Some("The electorate and the LMC are being told the new close.".into()),
            }),
        )),
        Err(e) => refused(&ui, &user, id, RESUME, form, e).await,
    }
}

pub async fn void_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = InvestigationForm {
        rerun: "yes".into(),
        ..InvestigationForm::default()
    };
    page(&ui, &user, id, VOID.0, VOID.1, form, Vec::new()).await
}

pub async fn void(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<InvestigationForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let mut errors = service::void_form_errors(&form.reason);
    let rerun = match form.rerun.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            errors.push(FieldError::new("rerun", "Choose whether to create the re-run now"));
            false
        }
    };
    if !errors.is_empty() {
        return page(&ui, &user, id, VOID.0, VOID.1, form, errors).await;
    }
    let (actor, outbox, reason) = ((*user.0).clone(), ui.state().outbox.clone(), form.reason.clone());
    match ui
        .state()
        .run(move |pool| service::void(pool, &outbox, &actor, id, &reason, rerun))
        .await
    {
        Ok(voided) => Ok(match voided.rerun {
            Some(rerun_id) => ui.see_other(
                &format!("/ballots/{rerun_id}"),
                Some(Flash {
                    heading: format!("Ballot {id} declared void; this is its re-run"),
                    body: Some(
                        "The re-run is a draft with the same question, options and rules. Check its dates and publish it: its electorate is frozen and its voting links are sent then."
                            .into(),
                    ),
                }),
            ),
            None => ui.see_other(
                &format!("/ballots/{id}"),
                Some(Flash {
                    heading: "Ballot declared void".into(),
                    body: Some("Its papers are kept sealed and will not be counted. The electorate and the LMC are being told.".into()),
                }),
            ),
        }),
        Err(e) => refused(&ui, &user, id, VOID, form, e).await,
    }
}
