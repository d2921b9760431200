//! The proxy page: a practice's voting representative appoints or revokes
//! its proxy (another member practice's voting representative, or the
//! chair); a proxy accepts and goes to vote for each practice it holds.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::capitalised;
use super::service::{self, ProxyPage};
use crate::ballots::routes::{ballot_id, problem_page};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppointForm {
    practice: String,
    holder: String,
    direction: String,
}

#[derive(Serialize)]
struct OwnView {
    code: String,
    name: String,
    status: String,
    revoke_id: Option<i32>,
    history: Vec<String>,
    may_appoint: bool,
}

#[derive(Serialize)]
struct HeldView {
    id: i32,
    practice: String,
    /// "as the chair", or "by Name (CODE)", the practice holding it.
    held_as: String,
    direction: String,
    accepted: bool,
    voted: bool,
    vote_href: Option<String>,
}

#[derive(Serialize)]
struct Page {
    id: i32,
    title: String,
    limit: u32,
    open: bool,
    own: Vec<OwnView>,
    held: Vec<HeldView>,
    may_appoint: bool,
    practices: Vec<Choice>,
    holders: Vec<Choice>,
    directions: Vec<Choice>,
    form: AppointForm,
    /// The organisation's chair by name, who may be appointed.
    chair: Option<String>,
    /// The viewer is the chair.
    chairs: bool,
}

fn view(found: &ProxyPage, form: AppointForm) -> Page {
    let id = found.loaded.ballot.id;
    let direction_words = |direction: Option<&str>| match direction {
        Some(key) => format!("directed to vote \"{}\"", found.loaded.option_label(key)),
        None => "free to decide how to vote".to_owned(),
    };
    let own: Vec<OwnView> = found
        .own
        .iter()
        .map(|p| OwnView {
            code: p.code.clone(),
            name: p.name.clone(),
            status: match (&p.appointment, p.voted) {
                (Some((a, holder)), true) if a.accepted_at.is_some() => {
                    format!("Your proxy, {holder}, has voted for the practice.")
                }
                (Some((a, holder)), _) => format!(
                    "{} is the practice's proxy, {}; {}.{}",
                    capitalised(holder),
                    direction_words(a.direction.as_deref()),
                    match a.accepted_at {
                        Some(at) => format!("accepted {}", crate::time::date_time(at)),
                        None => "not accepted yet".into(),
                    },
                    if a.holder_practice_id.is_none() && found.chair.is_none() {
                        " Nobody holds the chair's role on Quorate now, so the proxy cannot act: revoke the appointment and appoint another proxy, or vote yourself."
                    } else {
                        ""
                    }
                ),
                (None, true) => "The practice has voted.".into(),
                (None, false) => "No proxy appointed: the practice votes itself.".into(),
            },
            revoke_id: p
                .appointment
                .as_ref()
                .filter(|_| !p.voted && found.open_for_proxies)
                .map(|(a, _)| a.id),
            history: p
                .revoked
                .iter()
                .map(|(a, holder)| {
                    format!(
                        "{}, appointed {}, revoked {}",
                        capitalised(holder),
                        crate::time::date_time(a.made_at),
                        a.revoked_at.map(crate::time::date_time).unwrap_or_default()
                    )
                })
                .collect(),
            may_appoint: p.appointment.is_none() && !p.voted && found.open_for_proxies,
        })
        .collect();
    let appointable: Vec<(&str, &str)> = own
        .iter()
        .filter(|p| p.may_appoint)
        .map(|p| (p.code.as_str(), p.name.as_str()))
        .collect();
    // The chair first, when the organisation names one.
    let holders: Vec<(String, String)> = found
        .chair
        .iter()
        .map(|name| (service::CHAIR.to_owned(), format!("The chair ({name})")))
        .chain(
            found
                .electorate
                .iter()
                .map(|(code, name)| (code.clone(), format!("The voting representative of {name} ({code})"))),
        )
        .collect();
    let holder_pairs: Vec<(&str, &str)> = holders.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let mut directions: Vec<(&str, &str)> = vec![("", "Leave it to the proxy")];
    let recorded = found.loaded.rules.secrecy() == crate::ballots::model::Secrecy::Recorded;
    if !found.loaded.kind.is_election() && recorded {
        directions.extend(
            found
                .loaded
                .options
                .iter()
                .map(|o| (o.option_key.as_str(), o.label.as_str())),
        );
    }
    Page {
        id,
        title: found.loaded.ballot.title.clone(),
        limit: found.limit,
        open: found.open_for_proxies,
        may_appoint: !appointable.is_empty(),
        // One practice to appoint for: it is the answer already.
        practices: choices(
            "practice",
            &appointable,
            match appointable.as_slice() {
                [(only, _)] if form.practice.is_empty() => only,
                _ => &form.practice,
            },
        ),
        holders: choices("holder", &holder_pairs, &form.holder),
        directions: choices("direction", &directions, &form.direction),
        held: found
            .held
            .iter()
            .map(|h| HeldView {
                id: h.row.id,
                practice: format!("{} ({})", h.practice.1, h.practice.0),
                held_as: h.held_as.clone(),
                direction: direction_words(h.row.direction.as_deref()),
                accepted: h.row.accepted_at.is_some(),
                voted: h.voted,
                vote_href: (h.row.accepted_at.is_some()
                    && !h.voted
                    && found.loaded.state == crate::ballots::model::BallotState::Open)
                    .then(|| format!("/ballots/{id}/vote?practice={}", h.practice.0)),
            })
            .collect(),
        own,
        form,
        chair: found.chair.clone(),
        chairs: found.viewer_chairs,
    }
}

async fn show(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    form: AppointForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let found = ui.state().run(move |pool| service::page(pool, &actor, id)).await?;
    let page = view(&found, form);
    ui.form_page("ballots/proxy", "Proxy votes", errors, &page)
}

pub async fn proxy_page(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    show(&ui, &user, id, AppointForm::default(), Vec::new()).await
}

pub async fn appoint(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<AppointForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let asked = form.clone();
    match ui
        .state()
        .run(move |pool| service::appoint(pool, &outbox, &actor, id, &asked.practice, &asked.holder, &asked.direction))
        .await
    {
        Ok(_) => Ok(ui.see_other(
            &format!("/ballots/{id}/proxy"),
            Some(Flash {
                heading: "Proxy appointed".into(),
                body: Some("The proxy's practice has been emailed; the proxy must accept before voting. You can revoke the appointment until the proxy votes.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => show(&ui, &user, id, form, errors).await,
        Err(AppError::Conflict(why)) => refused(&ui, id, why),
        Err(other) => Err(other),
    }
}

fn refused(ui: &Ui, id: i32, why: String) -> AppResult<HttpResponse> {
    problem_page(
        ui,
        StatusCode::CONFLICT,
        "The proxy was not changed",
        id,
        vec![FieldError::new("proxy", why)],
    )
}

async fn change(ui: Ui, user: CurrentUser, path: web::Path<(String, String)>, accept: bool) -> AppResult<HttpResponse> {
    let (id, instrument) = path.into_inner();
    let id = ballot_id(&id)?;
    let instrument: i32 = instrument.parse().map_err(|_| AppError::NotFound)?;
    let actor = (*user.0).clone();
    let done = ui
        .state()
        .run(move |pool| {
            if accept {
                service::accept(pool, &actor, id, instrument)
            } else {
                service::revoke(pool, &actor, id, instrument)
            }
        })
        .await;
    match done {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/proxy"),
            Some(Flash {
                heading: if accept { "Proxy accepted" } else { "Proxy revoked" }.into(),
                body: None,
            }),
        )),
        Err(AppError::Conflict(why)) => refused(&ui, id, why),
        Err(other) => Err(other),
    }
}

pub async fn accept(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    change(ui, user, path, true).await
}

pub async fn revoke(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    change(ui, user, path, false).await
}
