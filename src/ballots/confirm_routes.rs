//! The two irreversible steps of a ballot, each behind a page that says
//! what will happen: publishing (who is told, who cannot be, the notice
//! given) and closing (early: how early, who has not voted, and why).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::BallotState;
use super::routes::{ballot_id, load_visible, problem_page};
use super::service::{self, Published};
use crate::error::{AppError, AppResult, FieldError};
use crate::format::{duration_words, plural};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Serialize)]
struct PublishPage {
    id: i32,
    title: String,
    opens: String,
    closes: String,
    notice: String,
    electorate: String,
    notices: String,
    unrepresented: Vec<String>,
    unrepresented_heading: String,
    unrepresented_codes: String,
    organisation_code: String,
    privacy: Option<String>,
    deadline: Option<String>,
    deadline_warnings: Vec<String>,
    confirmed: bool,
}

fn publish_page(
    ui: &Ui,
    loaded: &service::Loaded,
    preview: &Published,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let ballot = &loaded.ballot;
    let notice_days = (ballot.opens_at - chrono::Utc::now().naive_utc()).num_days();
    let representatives = preview.notices.saturating_sub(preview.observers);
    let page = PublishPage {
        id: ballot.id,
        title: ballot.title.clone(),
        opens: crate::time::date_time(ballot.opens_at),
        closes: crate::time::date_time(ballot.closes_at),
        notice: format!(
            "{} before voting opens; the constitution requires at least {}",
            plural(usize::try_from(notice_days).unwrap_or(0), "day", "days"),
            plural(preview.minimum_notice_days as usize, "day", "days")
        ),
        electorate: format!(
            "{}, as the register stands today (total weight {})",
            plural(preview.electors, "practice", "practices"),
            crate::format::count(preview.total_weight)
        ),
        notices: format!(
            "{} to practices' voting representatives and deputies, and {} to the LMC's observers",
            plural(representatives, "email", "emails"),
            plural(preview.observers, "email", "emails")
        ),
        unrepresented_heading: format!(
            "{} cannot be told",
            plural(preview.unrepresented_names.len(), "practice", "practices")
        ),
        unrepresented: preview.unrepresented_names.clone(),
        unrepresented_codes: preview.without_representative.join(","),
        organisation_code: loaded.organisation.ods_code.clone(),
        privacy: preview
            .privacy
            .as_ref()
            .filter(|(at_risk, _)| *at_risk > 0)
            .map(|(_, words)| words.clone()),
        deadline: loaded.deadline_words(),
        deadline_warnings: loaded
            .deadline_warnings(preview.minimum_notice_days, chrono::Utc::now().naive_utc())
            .into_iter()
            .map(|w| w.message)
            .collect(),
        confirmed: false,
    };
    ui.form_page("ballots/publish", &format!("Publish: {}", ballot.title), errors, &page)
}

/// What publishing would do, run and rolled back; its problems, if any,
/// on the problem page.
async fn preview(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
) -> AppResult<Result<(service::Loaded, Published), HttpResponse>> {
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let preview = ui
        .state()
        .run(move |pool| service::publish_preview(pool, &outbox, &actor, id))
        .await;
    match preview {
        Ok(published) => {
            let (loaded, _) = load_visible(ui, user, id).await?;
            Ok(Ok((loaded, published)))
        }
        Err(AppError::Invalid(errors)) => Ok(Err(problem_page(
            ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The ballot cannot be published yet",
            id,
            errors,
        )?)),
        Err(AppError::Conflict(why)) => Ok(Err(problem_page(
            ui,
            StatusCode::CONFLICT,
            "The ballot cannot be published",
            id,
            vec![FieldError::new("publish", why)],
        )?)),
        Err(other) => Err(other),
    }
}

pub async fn publish_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    match preview(&ui, &user, id).await? {
        Ok((loaded, published)) => publish_page(&ui, &loaded, &published, Vec::new()),
        Err(problem) => Ok(problem),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PublishForm {
    /// The ODS codes, comma-separated, of the practices without a nominated
    /// representative that the board accepts will not be told.
    confirm_unrepresented: String,
}

pub async fn publish(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<PublishForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let confirmed: Vec<String> = form
        .0
        .confirm_unrepresented
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect();
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let outcome = ui
        .state()
        .run(move |pool| service::publish(pool, &outbox, &actor, id, &confirmed))
        .await;
    match outcome {
        Ok(published) => {
            let missing = if published.without_representative.is_empty() {
                String::new()
            } else {
                format!(
                    " {} no nominated voting representative and could not be told: {}.",
                    plural(published.without_representative.len(), "practice has", "practices have"),
                    published.unrepresented_names.join(", ")
                )
            };
            let privacy = match &published.privacy {
                Some((at_risk, words)) if *at_risk > 0 => format!(" Warning: {words}"),
                _ => String::new(),
            };
            Ok(ui.see_other(
                &format!("/ballots/{id}"),
                Some(Flash {
                    heading: "Ballot published".into(),
                    body: Some(format!(
                        "The electorate of {} is fixed and {} being sent.{missing}{privacy}",
                        plural(published.electors, "practice", "practices"),
                        plural(published.notices, "notice is", "notices are")
                    )),
                }),
            ))
        }
        // The register changed since the page was shown, or the box was
        // not ticked: the page again, as it stands now, saying so.
        Err(AppError::Invalid(errors)) if errors.iter().all(|e| e.field == "confirm-unrepresented") => {
            match preview(&ui, &user, id).await? {
                Ok((loaded, published)) => publish_page(&ui, &loaded, &published, errors),
                Err(problem) => Ok(problem),
            }
        }
        Err(AppError::Invalid(errors)) => problem_page(
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The ballot cannot be published yet",
            id,
            errors,
        ),
        Err(AppError::Conflict(why)) => problem_page(
            &ui,
            StatusCode::CONFLICT,
            "The ballot cannot be published",
            id,
            vec![FieldError::new("publish", why)],
        ),
        Err(other) => Err(other),
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CloseForm {
    reason: String,
}

#[derive(Serialize)]
struct ClosePage {
    id: i32,
    title: String,
    closes: String,
    early_by: Option<String>,
    turnout: String,
    not_voted: Vec<String>,
    form: CloseForm,
}

async fn close_page(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    form: CloseForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let (loaded, electors) = ui
        .state()
        .run(move |pool| super::views::electorate(pool, &grants, id))
        .await?;
    let (_, access) = load_visible(ui, user, id).await?;
    if !access.runs {
        return Err(AppError::Forbidden(
            "Only the organisation's administrators and returning officer can close voting.".into(),
        ));
    }
    let now = chrono::Utc::now().naive_utc();
    let early = now < loaded.ballot.closes_at;
    let problem = match loaded.state {
        BallotState::Open if early && !loaded.rules.allow_early_close => Some(format!(
            "This ballot's rules do not allow an early close: voting closes at {}.",
            crate::time::date_time(loaded.ballot.closes_at)
        )),
        BallotState::Open => None,
        other => Some(format!(
            "The ballot is {}: only an open ballot can close.",
            other.label().to_lowercase()
        )),
    };
    if let Some(problem) = problem {
        return problem_page(
            ui,
            StatusCode::CONFLICT,
            "Voting cannot close now",
            id,
            vec![FieldError::new("close", problem)],
        );
    }
    let voted = electors.iter().filter(|e| e.voted_at.is_some()).count();
    let page = ClosePage {
        id,
        title: loaded.ballot.title.clone(),
        closes: crate::time::date_time(loaded.ballot.closes_at),
        early_by: early.then(|| duration_words(loaded.ballot.closes_at - now)),
        turnout: format!(
            "{} of {} {} voted.",
            crate::format::count(voted as u64),
            plural(electors.len(), "practice", "practices"),
            if voted == 1 { "has" } else { "have" }
        ),
        not_voted: electors
            .iter()
            .filter(|e| e.voted_at.is_none())
            .map(|e| format!("{} ({})", e.name, e.code))
            .collect(),
        form,
    };
    let heading = if early { "Close voting early" } else { "Close voting" };
    ui.form_page(
        "ballots/close",
        &format!("{heading}: {}", loaded.ballot.title),
        errors,
        &page,
    )
}

pub async fn close_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    close_page(&ui, &user, id, CloseForm::default(), Vec::new()).await
}

pub async fn close(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<CloseForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let reason = form.reason.clone();
    match ui
        .state()
        .run(move |pool| service::close(pool, &outbox, &actor, id, &reason))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/results"),
            Some(Flash {
                heading: "Voting closed and the papers counted".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => close_page(&ui, &user, id, form, errors).await,
        Err(AppError::Conflict(why)) => problem_page(
            &ui,
            StatusCode::CONFLICT,
            "Voting cannot close now",
            id,
            vec![FieldError::new("close", why)],
        ),
        Err(other) => Err(other),
    }
}
