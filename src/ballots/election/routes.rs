//! The nomination pages: the call for nominations, the list with the
//! nominating and seconding forms and the returning officer's review, and
//! the candidate's own page behind the emailed link.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::service::{self, Answers, CallRequest, CandidatePage, NominateRequest, Nominations};
use crate::ballots::routes::{KeyValue, ballot_id, paragraphs, problem_page};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

// ---- The call for nominations ------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CallForm {
    opens_date: String,
    opens_time: String,
    closes_date: String,
    closes_time: String,
    withdrawals_date: String,
    withdrawals_time: String,
    nominators_required: String,
    statement_word_limit: String,
    eligibility: String,
}

impl CallForm {
    fn request(&self) -> CallRequest {
        let mut errors = Vec::new();
        let time = crate::web::form::london_time;
        let opens_at = time(
            "opens-at",
            "When nominations open",
            &self.opens_date,
            &self.opens_time,
            &mut errors,
        );
        let closes_at = time(
            "closes-at",
            "When nominations close",
            &self.closes_date,
            &self.closes_time,
            &mut errors,
        );
        let withdrawals_close = time(
            "withdrawals-close",
            "When withdrawals close",
            &self.withdrawals_date,
            &self.withdrawals_time,
            &mut errors,
        );
        let whole = |text: &str| text.trim().replace(',', "").parse::<u32>().ok();
        CallRequest {
            opens_at,
            closes_at,
            withdrawals_close,
            nominators_required: whole(&self.nominators_required),
            statement_word_limit: whole(&self.statement_word_limit),
            eligibility: self.eligibility.trim().to_owned(),
            edge_errors: errors,
        }
    }

    fn of(call: &super::store::Call) -> Self {
        let (opens_date, opens_time) = crate::time::to_london_fields(call.opens_at);
        let (closes_date, closes_time) = crate::time::to_london_fields(call.closes_at);
        let (withdrawals_date, withdrawals_time) = crate::time::to_london_fields(call.withdrawals_close);
        CallForm {
            opens_date,
            opens_time,
            closes_date,
            closes_time,
            withdrawals_date,
            withdrawals_time,
            nominators_required: call.nominators_required.to_string(),
            statement_word_limit: call.statement_word_limit.to_string(),
            eligibility: call.eligibility.clone(),
        }
    }
}

#[derive(Serialize)]
struct CallPage {
    id: i32,
    title: String,
    voting_opens: String,
    changing: bool,
    form: CallForm,
    eligibilities: Vec<Choice>,
}

async fn call_page(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    form: Option<CallForm>,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let (loaded, call, nominated) = ui.state().run(move |pool| service::call_of(pool, &actor, id)).await?;
    if nominated {
        return problem_page(
            ui,
            StatusCode::CONFLICT,
            "The terms cannot change",
            id,
            vec![FieldError::new(
                "call",
                "Candidates have been nominated under these terms: they can no longer change.",
            )],
        );
    }
    let form = form.unwrap_or_else(|| {
        call.as_ref().map(CallForm::of).unwrap_or_else(|| CallForm {
            nominators_required: "2".into(),
            statement_word_limit: "250".into(),
            eligibility: "gp_at_member_practice".into(),
            ..Default::default()
        })
    });
    let page = CallPage {
        id,
        title: loaded.ballot.title.clone(),
        voting_opens: crate::time::date_time(loaded.ballot.opens_at),
        changing: call.is_some(),
        eligibilities: choices("eligibility", &service::ELIGIBILITIES, &form.eligibility),
        form,
    };
    ui.form_page("ballots/nomination_call", "Call for nominations", errors, &page)
}

pub async fn call_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    call_page(&ui, &user, id, None, Vec::new()).await
}

pub async fn call(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<CallForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let request = form.request();
    let actor = (*user.0).clone();
    match ui
        .state()
        .run(move |pool| service::call_nominations(pool, &actor, id, &request))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/nominations"),
            Some(Flash {
                heading: "Nominations called".into(),
                body: Some(
                    "Member practices' representatives can nominate candidates here while nominations are open.".into(),
                ),
            }),
        )),
        Err(AppError::Invalid(errors)) => call_page(&ui, &user, id, Some(form), errors).await,
        Err(AppError::Conflict(why)) => problem_page(
            &ui,
            StatusCode::CONFLICT,
            "Nominations cannot be called",
            id,
            vec![FieldError::new("call", why)],
        ),
        Err(other) => Err(other),
    }
}

// ---- The list of nominations -------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NominateForm {
    candidate_name: String,
    candidate_email: String,
    post: String,
    candidate_practice: String,
    practice: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SecondForm {
    practice: String,
}

#[derive(Serialize)]
struct EntryView {
    id: i32,
    name: String,
    post: &'static str,
    practice: String,
    ballot_line: String,
    nominators: Vec<String>,
    status_label: &'static str,
    status_colour: &'static str,
    /// Problems now, before the list is published; the decision's reasons after.
    problems: Vec<String>,
    consent: String,
    /// Accepted and not withdrawn: what the candidate wrote is shown.
    standing: bool,
    statement: Vec<String>,
    interests: Vec<String>,
    /// For those who run the election only.
    email: Option<String>,
    /// The represented practices that could second it.
    second_choices: Vec<Choice>,
    second_legend: String,
    /// The form fields (and error anchors) of the second and the rejection.
    second_field: String,
    reason_field: String,
    /// The returning officer may reject it, giving a reason.
    rejectable: bool,
    reason: String,
}

#[derive(Serialize)]
struct NominationsPage {
    list_published: bool,
    id: i32,
    title: String,
    organisation: String,
    seats: u32,
    phase: String,
    terms: Vec<KeyValue>,
    entries: Vec<EntryView>,
    may_nominate: bool,
    practices: Vec<Choice>,
    posts: Vec<Choice>,
    form: NominateForm,
    runs: bool,
    may_change_terms: bool,
    may_publish_list: bool,
    /// After the list: what happens next, and the officer's next step.
    next: Option<String>,
    may_declare: bool,
    may_publish_ballot: bool,
    ballot_href: String,
}

fn entry_view(found: &Nominations, entry: &service::Entry, reasons: &HashMap<i32, String>) -> EntryView {
    let row = &entry.row;
    let list_published = found.list_published();
    let (status_label, status_colour) = entry.status(list_published);
    let problems = if list_published {
        row.decision_reasons
            .lines()
            .filter(|r| !r.trim().is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        entry.problems.iter().map(super::model::Problem::words).collect()
    };
    let open = found.open() && !list_published && row.withdrawn_at.is_none();
    let standing = row.accepted_at.is_some() && row.withdrawn_at.is_none();
    EntryView {
        id: row.id,
        name: row.candidate_name.clone(),
        post: service::post_words(&row.post),
        practice: entry
            .candidate_practice
            .as_ref()
            .map(|(code, name)| format!("{name} ({code})"))
            .unwrap_or_else(|| "Not at a practice".into()),
        ballot_line: row.ballot_line.clone(),
        nominators: entry
            .supporters
            .iter()
            .map(|s| {
                format!(
                    "{} ({}), {}",
                    s.practice_name,
                    s.ods_code,
                    crate::time::date_time(s.supported_at)
                )
            })
            .collect(),
        status_label,
        status_colour,
        problems,
        consent: match (row.accepted_at, row.declared_at) {
            (Some(at), Some(_)) => format!("Accepted and declared, {}", crate::time::date_time(at)),
            (Some(at), None) => format!("Accepted {}; declaration not made", crate::time::date_time(at)),
            _ => "Not accepted yet".into(),
        },
        standing,
        // What a candidate wrote is shown once they stand: accepted, not withdrawn.
        statement: if standing {
            paragraphs(&row.statement)
        } else {
            Vec::new()
        },
        interests: if standing {
            paragraphs(&row.interests)
        } else {
            Vec::new()
        },
        email: found.access.runs.then(|| row.candidate_email.clone()),
        second_choices: if open {
            let free: Vec<(&str, &str)> = found
                .represented
                .iter()
                .filter(|(id, _, _)| !entry.supporters.iter().any(|s| s.practice_id == *id))
                .map(|(_, code, name)| (code.as_str(), name.as_str()))
                .collect();
            choices(&format!("practice-{}", row.id), &free, "")
        } else {
            Vec::new()
        },
        second_legend: format!("Second the nomination of {} for", row.candidate_name),
        second_field: format!("practice-{}", row.id),
        reason_field: format!("reason-{}", row.id),
        rejectable: found.access.runs
            && !list_published
            && found.now > found.call.closes_at
            && row.withdrawn_at.is_none(),
        reason: reasons.get(&row.id).cloned().unwrap_or_default(),
    }
}

fn nominations_page(found: &Nominations, form: NominateForm, reasons: &HashMap<i32, String>) -> NominationsPage {
    let call = &found.call;
    let when = crate::time::date_time;
    let draft = found.loaded.state == crate::ballots::model::BallotState::Draft;
    let phase = if let Some(at) = call.list_published_at {
        format!(
            "The returning officer published the list of candidates at {}.",
            when(at)
        )
    } else if found.now < call.opens_at {
        format!("Nominations open at {}.", when(call.opens_at))
    } else if found.open() {
        format!("Nominations are open until {}.", when(call.closes_at))
    } else {
        format!(
            "Nominations closed at {}. The returning officer will check them and publish the list of candidates.",
            when(call.closes_at)
        )
    };
    let seats = found.terms.seats;
    let valid = found.valid().len();
    let uncontested = valid <= seats as usize;
    let withdrawals_closed = found.now > call.withdrawals_close;
    let next = found.list_published().then(|| {
        if !draft {
            "The ballot has been published: see the ballot's page.".to_owned()
        } else if uncontested {
            format!(
                "{} for {} {}: no vote is held. {}",
                crate::format::plural(valid, "validly nominated candidate", "validly nominated candidates"),
                seats,
                if seats == 1 { "seat" } else { "seats" },
                if withdrawals_closed {
                    "The returning officer declares the result."
                } else {
                    "After withdrawals close the returning officer declares the result."
                }
            )
        } else {
            format!(
                "{valid} validly nominated candidates for {seats} {}: the election goes to a poll. {}",
                if seats == 1 { "seat" } else { "seats" },
                if withdrawals_closed {
                    "The returning officer publishes the ballot."
                } else {
                    "After withdrawals close the returning officer publishes the ballot."
                }
            )
        }
    });
    let runs = found.access.runs;
    NominationsPage {
        list_published: found.list_published(),
        id: found.loaded.ballot.id,
        title: found.loaded.ballot.title.clone(),
        organisation: found.loaded.organisation.name.clone(),
        seats,
        phase,
        terms: vec![
            KeyValue {
                key: "Seats".into(),
                value: seats.to_string(),
            },
            KeyValue {
                key: "Who may stand".into(),
                value: service::eligibility_words(&call.eligibility).into(),
            },
            KeyValue {
                key: "Nominating practices needed".into(),
                value: format!(
                    "{}, each a member practice, nominating through its representative",
                    call.nominators_required
                ),
            },
            KeyValue {
                key: "Nominations".into(),
                value: format!("From {} to {}", when(call.opens_at), when(call.closes_at)),
            },
            KeyValue {
                key: "Candidate's statement".into(),
                value: format!("Up to {} words", call.statement_word_limit),
            },
            KeyValue {
                key: "Withdrawals".into(),
                value: format!("Until {}", when(call.withdrawals_close)),
            },
        ],
        entries: found.entries.iter().map(|e| entry_view(found, e, reasons)).collect(),
        may_nominate: found.open() && !found.list_published() && !found.represented.is_empty() && draft,
        practices: {
            let mine: Vec<(&str, &str)> = found
                .represented
                .iter()
                .map(|(_, code, name)| (code.as_str(), name.as_str()))
                .collect();
            choices("practice", &mine, &form.practice)
        },
        posts: choices("post", &service::POSTS, &form.post),
        form,
        runs,
        may_change_terms: runs && draft && found.entries.is_empty() && !found.list_published(),
        may_publish_list: runs && draft && !found.list_published() && found.now > call.closes_at,
        next,
        may_declare: runs && draft && found.list_published() && uncontested && withdrawals_closed,
        may_publish_ballot: runs && draft && found.list_published() && !uncontested && withdrawals_closed,
        ballot_href: format!("/ballots/{}", found.loaded.ballot.id),
    }
}

async fn show_nominations(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    form: NominateForm,
    reasons: HashMap<i32, String>,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let grants = user.0.grants();
    let found = ui
        .state()
        .run(move |pool| service::nominations(pool, &grants, id))
        .await?;
    let page = nominations_page(&found, form, &reasons);
    ui.form_page(
        "ballots/nominations",
        &format!("Nominations: {}", page.title),
        errors,
        &page,
    )
}

pub async fn nominations(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    show_nominations(&ui, &user, id, NominateForm::default(), HashMap::new(), Vec::new()).await
}

pub async fn nominate(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<NominateForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let request = NominateRequest {
        candidate_name: form.candidate_name.clone(),
        candidate_email: form.candidate_email.clone(),
        post: form.post.trim().to_owned(),
        candidate_practice: form.candidate_practice.clone(),
        practice: form.practice.clone(),
    };
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    match ui
        .state()
        .run(move |pool| service::nominate(pool, &outbox, &actor, id, &request))
        .await
    {
        Ok(_) => Ok(ui.see_other(
            &format!("/ballots/{id}/nominations"),
            Some(Flash {
                heading: format!("{} nominated", form.candidate_name.trim()),
                body: Some("The candidate has been emailed a link to accept the nomination, make the declaration and write a statement.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => show_nominations(&ui, &user, id, form, HashMap::new(), errors).await,
        Err(AppError::Conflict(why)) => refused(&ui, id, "The nomination was not made", why),
        Err(other) => Err(other),
    }
}

fn refused(ui: &Ui, id: i32, heading: &str, why: String) -> AppResult<HttpResponse> {
    problem_page(
        ui,
        StatusCode::CONFLICT,
        heading,
        id,
        vec![FieldError::new("nominations", why)],
    )
}

fn nomination_id(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

pub async fn second(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<SecondForm>,
) -> AppResult<HttpResponse> {
    let (id, nomination) = path.into_inner();
    let (id, nomination) = (ballot_id(&id)?, nomination_id(&nomination)?);
    let practice = form.0.practice;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    match ui
        .state()
        .run(move |pool| service::second(pool, &outbox, &actor, id, nomination, &practice))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/nominations#nomination-{nomination}"),
            Some(Flash {
                heading: "Nomination seconded".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError::new(&format!("practice-{nomination}"), e.message))
                .collect();
            show_nominations(&ui, &user, id, NominateForm::default(), HashMap::new(), errors).await
        }
        Err(AppError::Conflict(why)) => refused(&ui, id, "The nomination was not seconded", why),
        Err(other) => Err(other),
    }
}

/// `POST …/nominations/publish`: the form's fields `reason-ID` hold the
/// reasons for rejecting nominations that are otherwise valid.
pub async fn publish_list(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let mut rejections = HashMap::new();
    for (field, value) in &form.0 {
        if let Some(nomination) = field.strip_prefix("reason-") {
            let nomination = nomination
                .parse::<i32>()
                .map_err(|_| AppError::BadRequest(format!("{field} is not a nomination's reason")))?;
            if !value.trim().is_empty() {
                rejections.insert(nomination, value.clone());
            }
        }
    }
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let asked = rejections.clone();
    match ui
        .state()
        .run(move |pool| service::publish_list(pool, &outbox, &actor, id, &asked))
        .await
    {
        Ok((valid, rejected)) => Ok(ui.see_other(
            &format!("/ballots/{id}/nominations"),
            Some(Flash {
                heading: "List of candidates published".into(),
                body: Some(format!(
                    "{} and {} rejected. Each candidate has been emailed the decision.",
                    crate::format::plural(
                        valid,
                        "candidate is validly nominated",
                        "candidates are validly nominated"
                    ),
                    rejected
                )),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            show_nominations(&ui, &user, id, NominateForm::default(), rejections, errors).await
        }
        Err(AppError::Conflict(why)) => refused(&ui, id, "The list was not published", why),
        Err(other) => Err(other),
    }
}

pub async fn declare(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    match ui
        .state()
        .run(move |pool| crate::ballots::service::declare_unopposed(pool, &outbox, &actor, id))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/results"),
            Some(Flash {
                heading: "Declared elected unopposed".into(),
                body: Some("Every member practice's representatives and the LMC have been told. You can now issue the certificate.".into()),
            }),
        )),
        Err(AppError::Conflict(why)) => refused(&ui, id, "The result was not declared", why),
        Err(AppError::Invalid(errors)) => problem_page(&ui, StatusCode::UNPROCESSABLE_ENTITY, "The result was not declared", id, errors),
        Err(other) => Err(other),
    }
}

// ---- The candidate's page ----------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    accept: String,
    declare: String,
    interests: String,
    statement: String,
    ballot_line: String,
}

#[derive(Serialize)]
struct CandidateView {
    token: String,
    title: String,
    organisation: String,
    name: String,
    eligibility: String,
    nominated_by: Vec<String>,
    closes: String,
    withdrawals_close: String,
    word_limit: i32,
    status_label: &'static str,
    status_colour: &'static str,
    problems: Vec<String>,
    may_answer: bool,
    may_withdraw: bool,
    withdrawn: bool,
    form: AnswerForm,
    nominations_href: String,
}

fn candidate_view(page: &CandidatePage, token: String, form: Option<AnswerForm>) -> CandidateView {
    let row = &page.entry.row;
    let found = &page.found;
    let list_published = found.list_published();
    let (status_label, status_colour) = page.entry.status(list_published);
    CandidateView {
        token,
        title: found.loaded.ballot.title.clone(),
        organisation: found.loaded.organisation.name.clone(),
        name: row.candidate_name.clone(),
        eligibility: service::eligibility_words(&found.call.eligibility).to_lowercase(),
        nominated_by: page
            .entry
            .supporters
            .iter()
            .map(|s| format!("{} ({})", s.practice_name, s.ods_code))
            .collect(),
        closes: crate::time::date_time(found.call.closes_at),
        withdrawals_close: crate::time::date_time(found.call.withdrawals_close),
        word_limit: found.call.statement_word_limit,
        status_label,
        status_colour,
        problems: if list_published {
            row.decision_reasons
                .lines()
                .filter(|r| !r.trim().is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            page.entry.problems.iter().map(super::model::Problem::words).collect()
        },
        may_answer: page.may_answer(),
        may_withdraw: page.may_withdraw(),
        withdrawn: row.withdrawn_at.is_some(),
        form: form.unwrap_or_else(|| AnswerForm {
            accept: if row.accepted_at.is_some() {
                "yes".into()
            } else {
                String::new()
            },
            declare: if row.declared_at.is_some() {
                "yes".into()
            } else {
                String::new()
            },
            interests: row.interests.clone(),
            statement: row.statement.clone(),
            ballot_line: row.ballot_line.clone(),
        }),
        nominations_href: format!("/ballots/{}/nominations", found.loaded.ballot.id),
    }
}

async fn candidate_page(
    ui: &Ui,
    token: String,
    form: Option<AnswerForm>,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let lookup = token.clone();
    let page = ui.state().run(move |pool| service::candidate(pool, &lookup)).await?;
    let view = candidate_view(&page, token, form);
    ui.form_page("ballots/candidate", "Your nomination", errors, &view)
}

pub async fn candidate(ui: Ui, token: web::Path<String>) -> AppResult<HttpResponse> {
    candidate_page(&ui, token.into_inner(), None, Vec::new()).await
}

pub async fn answer(ui: Ui, token: web::Path<String>, form: CsrfForm<AnswerForm>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let form = form.0;
    let answers = Answers {
        accept: !form.accept.is_empty(),
        declare: !form.declare.is_empty(),
        interests: form.interests.clone(),
        statement: form.statement.clone(),
        ballot_line: form.ballot_line.clone(),
    };
    let raw = token.clone();
    let outbox = ui.state().outbox.clone();
    match ui
        .state()
        .run(move |pool| service::answer(pool, &outbox, &raw, &answers))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/nominations/{token}"),
            Some(Flash {
                heading: "Your nomination is saved".into(),
                body: Some("You can change it with the same link until the list of candidates is published.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => candidate_page(&ui, token, Some(form), errors).await,
        Err(AppError::Conflict(why)) => {
            candidate_page(&ui, token, Some(form), vec![FieldError::new("accept", why)]).await
        }
        Err(other) => Err(other),
    }
}

pub async fn withdraw(
    ui: Ui,
    token: web::Path<String>,
    form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    if form.0.get("confirm").map(String::as_str) != Some("yes") {
        let error = FieldError::new("confirm", "Tick the box to confirm that you withdraw");
        return candidate_page(&ui, token, None, vec![error]).await;
    }
    let raw = token.clone();
    let outbox = ui.state().outbox.clone();
    match ui.state().run(move |pool| service::withdraw(pool, &outbox, &raw)).await {
        Ok(()) => Ok(ui.see_other(
            &format!("/nominations/{token}"),
            Some(Flash {
                heading: "You have withdrawn".into(),
                body: Some("You are no longer a candidate in this election.".into()),
            }),
        )),
        Err(AppError::Conflict(why)) => candidate_page(&ui, token, None, vec![FieldError::new("confirm", why)]).await,
        Err(other) => Err(other),
    }
}
