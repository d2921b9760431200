//! Consultation pages: the list, drafting, the consultation with its papers
//! and its questions and answers, publishing and closing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{ConsultationDraft, co_commissioning_options, options_text, parse_options};
use super::service;
use crate::error::{AppError, AppResult, FieldError};
use crate::format::SafeCsv;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

fn id_of(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize)]
struct Row {
    id: i32,
    title: String,
    state: &'static str,
    colour: &'static str,
    closes: String,
}

#[derive(Serialize)]
struct ListPage {
    organisation: String,
    code: String,
    may_create: bool,
    rows: Vec<Row>,
}

pub async fn list(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let code = code.into_inner();
    let (organisation, runs, consultations) = ui.state().run(move |pool| service::list(pool, &grants, &code)).await?;
    let rows = consultations
        .into_iter()
        .map(|c| {
            let state =
                super::model::ConsultationState::parse(&c.state).unwrap_or(super::model::ConsultationState::Draft);
            Row {
                id: c.id,
                title: c.title,
                state: state.label(),
                colour: state.tag_colour(),
                closes: crate::time::date_time(c.closes_at),
            }
        })
        .collect();
    ui.page(
        "consult/list",
        "Consultations",
        &ListPage {
            organisation: organisation.name,
            code: organisation.ods_code,
            may_create: runs,
            rows,
        },
    )
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    title: String,
    summary: String,
    body: String,
    options: String,
    closes_date: String,
    closes_time: String,
}

impl DraftForm {
    fn draft(&self) -> ConsultationDraft {
        let mut edge_errors = Vec::new();
        let closes_at = match crate::time::from_london(&self.closes_date, &self.closes_time) {
            Ok(t) => Some(t),
            Err(message) => {
                edge_errors.push(FieldError::new("closes-at", message));
                None
            }
        };
        ConsultationDraft {
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            options: parse_options(&self.options),
            closes_at,
            edge_errors,
        }
    }
}

#[derive(Serialize)]
struct FormPage {
    code: String,
    form: DraftForm,
    /// Set when a draft is being changed: its number.
    editing: Option<i32>,
}

fn form_page(ui: &Ui, status: StatusCode, page: &FormPage, errors: Vec<FieldError>) -> AppResult<HttpResponse> {
    let title = if page.editing.is_some() {
        "Change the draft consultation"
    } else {
        "Create a consultation"
    };
    ui.form_errors(status, "consult/form", title, errors, page)
}

pub async fn edit_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let (code, consultation, options) = ui.state().run(move |pool| service::draft_of(pool, &actor, id)).await?;
    let (closes_date, closes_time) = crate::time::to_london_fields(consultation.closes_at);
    let form = DraftForm {
        title: consultation.title,
        summary: consultation.summary,
        body: consultation.body,
        options: options_text(&options),
        closes_date,
        closes_time,
    };
    let page = FormPage {
        code,
        form,
        editing: Some(id),
    };
    form_page(&ui, StatusCode::OK, &page, Vec::new())
}

pub async fn update(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<DraftForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let draft = form.draft();
    let lookup = (*user.0).clone();
    match ui
        .state()
        .run(move |pool| service::update_draft(pool, &actor, id, &draft))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/consultations/{id}"),
            Some(Flash {
                heading: "Draft changed".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let (code, _, _) = ui.state().run(move |pool| service::draft_of(pool, &lookup, id)).await?;
            let page = FormPage {
                code,
                form,
                editing: Some(id),
            };
            form_page(&ui, StatusCode::UNPROCESSABLE_ENTITY, &page, errors)
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct DeletePage {
    id: i32,
    title: String,
    documents: usize,
}

pub async fn delete_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let grants = user.grants();
    let (_, consultation, _) = ui.state().run(move |pool| service::draft_of(pool, &actor, id)).await?;
    let documents = ui
        .state()
        .run(move |pool| service::documents(pool, &grants, id))
        .await?
        .len();
    let page = DeletePage {
        id,
        title: consultation.title,
        documents,
    };
    ui.page("consult/delete", "Delete the draft consultation", &page)
}

pub async fn delete(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _form: CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let code = ui
        .state()
        .run(move |pool| service::delete_draft(pool, &actor, id))
        .await?;
    Ok(ui.see_other(
        &format!("/organisations/{code}/consultations"),
        Some(Flash {
            heading: "Draft consultation deleted".into(),
            body: None,
        }),
    ))
}

pub async fn new_form(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let code = code.into_inner();
    let lookup = code.clone();
    // Only those who run the organisation get the form.
    ui.state()
        .run(move |pool| crate::ballots::service::defaults_for(pool, &actor, &lookup))
        .await?;
    let form = DraftForm {
        options: options_text(&co_commissioning_options()),
        closes_time: "17:00".into(),
        ..Default::default()
    };
    let page = FormPage {
        code,
        form,
        editing: None,
    };
    form_page(&ui, StatusCode::OK, &page, Vec::new())
}

pub async fn create(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<DraftForm>,
) -> AppResult<HttpResponse> {
    let form = form.0;
    let actor = (*user.0).clone();
    let code = code.into_inner();
    let (lookup, draft) = (code.clone(), form.draft());
    match ui
        .state()
        .run(move |pool| service::create(pool, &actor, &lookup, &draft))
        .await
    {
        Ok(id) => Ok(ui.see_other(
            &format!("/consultations/{id}"),
            Some(Flash {
                heading: "Draft consultation created".into(),
                body: Some("Check it, then publish it to send the papers to every member practice.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let page = FormPage {
                code,
                form,
                editing: None,
            };
            form_page(&ui, StatusCode::UNPROCESSABLE_ENTITY, &page, errors)
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct OptionView {
    label: String,
    opportunities: String,
    risks: String,
}

#[derive(Serialize)]
struct QuestionView {
    id: i32,
    asked_by: String,
    question: String,
    asked_at: String,
    answer: Option<String>,
    answered_at: String,
    waited: String,
}

#[derive(Serialize)]
struct Page {
    /// Where its documents are downloaded from (inside a voting link for its holder).
    documents_base: String,
    ballot_href: Option<String>,
    /// Read through a voting link: nothing that needs an account.
    link: bool,
    id: i32,
    title: String,
    organisation: String,
    code: String,
    state: &'static str,
    colour: &'static str,
    summary: String,
    body_html: String,
    options: Vec<OptionView>,
    published: String,
    closes: String,
    ballot: Option<i32>,
    runs: bool,
    staff: bool,
    is_draft: bool,
    is_open: bool,
    is_closed: bool,
    questions: Vec<QuestionView>,
    unanswered: usize,
    may_ask: bool,
    practices: Vec<crate::web::form::Choice>,
    /// The response form: one set of radios per option.
    response_options: Vec<ResponseOption>,
    response_practice: String,
    response_comment: String,
    response_revision: i32,
    documents: Vec<DocumentView>,
    ballots: Vec<crate::web::form::Choice>,
    /// What was typed into a form that is shown again with its errors.
    kept: Kept,
    /// The response form's practice radios (their own ids: the question
    /// form has the same choice).
    response_practices: Vec<crate::web::form::Choice>,
}

#[derive(Serialize, Default)]
struct Kept {
    question: String,
    anonymous: bool,
    /// The question whose answer form is shown again, and its text.
    answer_to: i32,
    answer: String,
}

#[derive(Serialize)]
struct DocumentView {
    id: i32,
    name: String,
    size: String,
    uploaded: String,
    sha256: String,
}

#[derive(Serialize)]
struct ResponseOption {
    label: String,
    name: String,
    choices: Vec<crate::web::form::Choice>,
    message: Option<String>,
}

fn waited(d: chrono::Duration) -> String {
    let hours = d.num_hours();
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else if hours >= 1 {
        format!("{hours} hours")
    } else {
        format!("{} minutes", d.num_minutes().max(0))
    }
}

/// The consultation's page again after a form on it was refused: the
/// error summary, and (through `keep`) what was typed.
async fn show_again(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    errors: Vec<FieldError>,
    keep: impl FnOnce(&mut Page),
) -> AppResult<HttpResponse> {
    let mut page = consultation_page(ui, user.grants(), id, None).await?;
    keep(&mut page);
    let title = page.title.clone();
    ui.form_errors(StatusCode::UNPROCESSABLE_ENTITY, "consult/show", &title, errors, &page)
}

/// Marks the radio whose value was sent as checked.
fn check(choices: &mut [crate::web::form::Choice], value: &str) {
    for choice in choices {
        choice.checked = choice.value == value;
    }
}

pub async fn show(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let page = consultation_page(&ui, user.grants(), id, None).await?;
    ui.page("consult/show", &page.title.clone(), &page)
}

/// The holder of a voting link checks that `id` is a consultation leading to
/// the link's ballot; answers what they may read it as.
async fn link_access(ui: &Ui, token: &str, id: i32) -> AppResult<crate::ballots::service::LinkReader> {
    let raw = token.to_owned();
    ui.state()
        .run(move |pool| {
            let reader = crate::ballots::service::link_reader(pool, &raw)?;
            let mut conn = pool.get()?;
            let leads = super::store::leading_to(&mut conn, reader.ballot_id)?
                .iter()
                .any(|c| c.id == id && c.state != "draft");
            if leads { Ok(reader) } else { Err(AppError::NotFound) }
        })
        .await
}

/// `GET /vote/{token}/consultations/{id}`: the consultation a ballot
/// follows, read-only, for a voter with the emailed link.
pub async fn link_show(ui: Ui, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (token, id) = path.into_inner();
    let id = id_of(&id)?;
    let reader = link_access(&ui, &token, id).await?;
    let page = consultation_page(&ui, reader.grants, id, Some(format!("/vote/{token}"))).await?;
    ui.page("consult/show", &page.title.clone(), &page)
}

pub async fn link_download_document(ui: Ui, path: web::Path<(String, String, String)>) -> AppResult<HttpResponse> {
    let (token, id, doc) = path.into_inner();
    let (id, doc) = (id_of(&id)?, id_of(&doc)?);
    let reader = link_access(&ui, &token, id).await?;
    document_response(&ui, reader.grants, id, doc).await
}

/// The consultation's page; with `link` (a voting link's path), read-only
/// and with every link inside the voting link.
async fn consultation_page(
    ui: &Ui,
    grants: crate::accounts::model::Grants,
    id: i32,
    link: Option<String>,
) -> AppResult<Page> {
    let view_grants = grants.clone();
    let mut view = ui
        .state()
        .run(move |pool| service::view(pool, &view_grants, id))
        .await?;
    if link.is_some() {
        view.may_ask_for.clear();
    }
    let doc_grants = grants;
    let documents = ui
        .state()
        .run(move |pool| service::documents(pool, &doc_grants, id))
        .await?;
    let ballots = if view.loaded.access.runs {
        let organisation = view.loaded.organisation.id;
        ui.state()
            .run(move |pool| service::ballots_to_link(pool, organisation))
            .await?
    } else {
        Vec::new()
    };
    // With one practice to answer for, its own response fills the form.
    let own = match view.may_ask_for.as_slice() {
        [(code, _)] => {
            let code = code.clone();
            ui.state()
                .run(move |pool| service::own_response(pool, id, &code))
                .await?
        }
        _ => None,
    };
    let loaded = &view.loaded;
    let c = &loaded.consultation;
    let choices: Vec<(String, String)> = view
        .may_ask_for
        .iter()
        .map(|(code, name)| (code.clone(), format!("{name} ({code})")))
        .collect();
    let refs: Vec<(&str, &str)> = choices.iter().map(|(c, l)| (c.as_str(), l.as_str())).collect();
    let page = Page {
        documents_base: format!("{}/consultations/{id}/documents", link.as_deref().unwrap_or("")),
        ballot_href: c.ballot_id.map(|b| match &link {
            Some(base) => format!("{base}/papers"),
            None => format!("/ballots/{b}"),
        }),
        link: link.is_some(),
        id,
        title: c.title.clone(),
        organisation: loaded.organisation.name.clone(),
        code: loaded.organisation.ods_code.clone(),
        state: loaded.state.label(),
        colour: loaded.state.tag_colour(),
        summary: c.summary.clone(),
        body_html: super::markdown::to_html(&c.body),
        options: loaded
            .options
            .iter()
            .map(|o| OptionView {
                label: o.label.clone(),
                opportunities: o.opportunities.clone(),
                risks: o.risks.clone(),
            })
            .collect(),
        published: c.published_at.map(crate::time::date_time).unwrap_or_default(),
        closes: crate::time::date_time(c.closes_at),
        ballot: c.ballot_id,
        runs: loaded.access.runs,
        staff: loaded.access.runs || loaded.access.observes,
        is_draft: loaded.state == super::model::ConsultationState::Draft,
        is_open: loaded.state == super::model::ConsultationState::Open,
        is_closed: loaded.state == super::model::ConsultationState::Closed,
        unanswered: view.questions.iter().filter(|q| q.answer.is_none()).count(),
        questions: view
            .questions
            .iter()
            .map(|q| QuestionView {
                id: q.id,
                asked_by: q.asked_by.clone(),
                question: q.question.clone(),
                asked_at: crate::time::date_time(q.asked_at),
                answer: q.answer.clone(),
                answered_at: q.answered_at.map(crate::time::date_time).unwrap_or_default(),
                waited: waited(q.waited),
            })
            .collect(),
        may_ask: !view.may_ask_for.is_empty(),
        practices: if view.may_ask_for.len() > 1 {
            crate::web::form::choices("practice", &refs, "")
        } else {
            Vec::new()
        },
        response_practices: if view.may_ask_for.len() > 1 {
            crate::web::form::choices("response-practice", &refs, "")
        } else {
            Vec::new()
        },
        kept: Kept::default(),
        response_options: loaded
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let current = own
                    .as_ref()
                    .and_then(|(positions, _, _)| positions.get(i))
                    .map_or("", |p| p.as_str());
                let positions: Vec<(&str, &str)> = super::model::Position::ALL
                    .iter()
                    .map(|p| (p.as_str(), p.label()))
                    .collect();
                ResponseOption {
                    label: o.label.clone(),
                    name: format!("position_{i}"),
                    choices: crate::web::form::choices(&format!("position-{i}"), &positions, current),
                    message: None,
                }
            })
            .collect(),
        response_practice: view.may_ask_for.first().map(|(c, _)| c.clone()).unwrap_or_default(),
        response_comment: own.as_ref().map(|(_, c, _)| c.clone()).unwrap_or_default(),
        response_revision: own.as_ref().map_or(0, |(_, _, r)| *r),
        ballots: {
            let current = c.ballot_id.map(|b| b.to_string()).unwrap_or_default();
            let labels: Vec<(String, String)> = std::iter::once((String::new(), "None".to_owned()))
                .chain(ballots.into_iter().map(|(id, title)| (id.to_string(), title)))
                .collect();
            let refs: Vec<(&str, &str)> = labels.iter().map(|(v, l)| (v.as_str(), l.as_str())).collect();
            crate::web::form::choices("ballot", &refs, &current)
        },
        documents: documents
            .into_iter()
            .map(|d| DocumentView {
                id: d.id,
                name: d.file_name,
                size: if d.size_bytes >= 1024 * 1024 {
                    format!("{:.1} MB", f64::from(d.size_bytes) / 1_048_576.0)
                } else {
                    format!("{} KB", (d.size_bytes + 1023) / 1024)
                },
                uploaded: crate::time::date_time(d.uploaded_at),
                sha256: d.sha256,
            })
            .collect(),
    };
    Ok(page)
}

pub async fn publish(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _f: CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let notices = ui
        .state()
        .run(move |pool| service::publish(pool, &outbox, &actor, id))
        .await?;
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: "Consultation published".into(),
            body: Some(format!("{notices} notices are being sent.")),
        }),
    ))
}

pub async fn close(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _f: CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    ui.state().run(move |pool| service::close(pool, &actor, id)).await?;
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: "Consultation closed".into(),
            body: None,
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QuestionForm {
    question: String,
    practice: String,
    anonymous: String,
}

pub async fn ask(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<QuestionForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let asker = (*user.0).clone();
    let practice = Some(form.practice.clone()).filter(|p| !p.is_empty());
    let anonymous = form.anonymous == "yes";
    let question = form.question.clone();
    let asked = ui
        .state()
        .run(move |pool| service::ask(pool, &asker, id, practice.as_deref(), &question, anonymous))
        .await;
    if let Err(AppError::Invalid(errors)) = asked {
        return show_again(&ui, &user, id, errors, |page| {
            page.kept.question = form.question.clone();
            page.kept.anonymous = anonymous;
            check(&mut page.practices, &form.practice);
        })
        .await;
    }
    asked?;
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: "Question sent".into(),
            body: Some("The board will answer it here; you will get the answer by email.".into()),
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    answer: String,
}

pub async fn answer(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let (id, question) = path.into_inner();
    let (id, question) = (id_of(&id)?, id_of(&question)?);
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let text = form.0.answer;
    let typed = text.clone();
    let answered = ui
        .state()
        .run(move |pool| service::answer(pool, &outbox, &actor, id, question, &text))
        .await;
    if let Err(AppError::Invalid(errors)) = answered {
        // The error links to this question's own answer box.
        let errors = errors
            .into_iter()
            .map(|e| FieldError::new(&format!("answer-{question}"), e.message))
            .collect();
        return show_again(&ui, &user, id, errors, |page| {
            page.kept.answer_to = question;
            page.kept.answer = typed;
        })
        .await;
    }
    answered?;
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: "Answer published".into(),
            body: Some("The practice that asked is told now; all members in the next daily digest.".into()),
        }),
    ))
}

pub async fn respond(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let practice = form.get("practice").cloned().unwrap_or_default();
    let comment = form.get("comment").cloned().unwrap_or_default();
    let positions: Vec<Option<String>> = (0..20).map(|i| form.get(&format!("position_{i}")).cloned()).collect();
    let actor = (*user.0).clone();
    let (given_practice, given_comment, given_positions) = (practice.clone(), comment.clone(), positions.clone());
    let responded = ui
        .state()
        .run(move |pool| {
            let given: Vec<Option<&str>> = positions.iter().map(|p| p.as_deref()).collect();
            service::respond(pool, &actor, id, &practice, &given, &comment)
        })
        .await;
    let revision = match responded {
        Err(AppError::Invalid(errors)) => {
            let messages: Vec<(String, String)> = errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect();
            return show_again(&ui, &user, id, errors, |page| {
                page.response_comment = given_comment;
                check(&mut page.response_practices, &given_practice);
                for (i, option) in page.response_options.iter_mut().enumerate() {
                    let given = given_positions.get(i).cloned().flatten().unwrap_or_default();
                    check(&mut option.choices, &given);
                    let field = format!("position-{i}");
                    option.message = messages.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone());
                }
            })
            .await;
        }
        other => other?,
    };
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: if revision == 1 {
                "Response sent".into()
            } else {
                format!("Response changed (version {revision})")
            },
            body: Some("You can change it until the consultation closes.".into()),
        }),
    ))
}

#[derive(Serialize)]
struct SummaryRow {
    option: String,
    support: String,
    neutral: String,
    oppose: String,
}

#[derive(Serialize)]
struct ResponseRow {
    practice: String,
    list_size: u64,
    positions: String,
    comment: String,
    revision: i32,
    updated: String,
}

#[derive(Serialize)]
struct ResponsesPage {
    id: i32,
    count: usize,
    summary: Vec<SummaryRow>,
    rows: Vec<ResponseRow>,
}

pub async fn responses(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.grants();
    let responses = ui
        .state()
        .run(move |pool| service::responses(pool, &grants, id))
        .await?;
    let cell = |c: &super::model::PositionCount| {
        format!(
            "{} practices ({} patients)",
            c.practices,
            crate::format::group_thousands(i32::try_from(c.patients).unwrap_or(i32::MAX))
        )
    };
    let page = ResponsesPage {
        id,
        count: responses.rows.len(),
        summary: responses
            .options
            .iter()
            .zip(&responses.summary)
            .map(|(o, counts)| SummaryRow {
                option: o.label.clone(),
                support: cell(&counts[0]),
                neutral: cell(&counts[1]),
                oppose: cell(&counts[2]),
            })
            .collect(),
        rows: responses
            .rows
            .iter()
            .map(|r| ResponseRow {
                practice: format!("{} ({})", r.name, r.code),
                list_size: r.list_size,
                positions: responses
                    .options
                    .iter()
                    .zip(&r.positions)
                    .map(|(o, p)| format!("{}: {}", o.label, p.label()))
                    .collect::<Vec<_>>()
                    .join("; "),
                comment: r.comment.clone(),
                revision: r.revision,
                updated: crate::time::date_time(r.updated_at),
            })
            .collect(),
    };
    ui.page("consult/responses", "Responses", &page)
}

pub async fn responses_csv(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.grants();
    let csv = ui
        .state()
        .run(move |pool| service::responses_csv(&service::responses(pool, &grants, id)?))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"consultation-{id}-responses.csv\""),
        ))
        .body(csv))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PracticeQuery {
    practice: String,
}

#[derive(Serialize)]
struct AreaField {
    name: String,
    id: String,
    label: &'static str,
    choices: Vec<crate::web::form::Choice>,
}

#[derive(Serialize)]
struct OptionFields {
    label: String,
    areas: Vec<AreaField>,
    notes_name: String,
    notes_id: String,
    notes: String,
}

#[derive(Serialize)]
struct ImpactPage {
    id: i32,
    title: String,
    practice: String,
    practice_code: String,
    saved: String,
    contract_types: Vec<crate::web::form::Choice>,
    list_size: String,
    options: Vec<OptionFields>,
    notes: String,
}

fn impact_page(
    loaded: &service::Loaded,
    practice: &crate::registry::store::Practice,
    saved: Option<&super::impact::Assessment>,
    form: Option<&std::collections::HashMap<String, String>>,
    saved_at: Option<chrono::NaiveDateTime>,
) -> ImpactPage {
    use super::impact::{AREAS, Rating};
    let value = |name: &str, from_saved: String| form.and_then(|f| f.get(name).cloned()).unwrap_or(from_saved);
    let ratings: Vec<(&str, &str)> = Rating::ALL.iter().map(|r| (r.as_str(), r.label())).collect();
    ImpactPage {
        id: loaded.consultation.id,
        title: loaded.consultation.title.clone(),
        practice: practice.name.clone(),
        practice_code: practice.ods_code.clone(),
        saved: saved_at.map(crate::time::date_time).unwrap_or_default(),
        contract_types: crate::web::form::choices(
            "contract-type",
            &[("gms", "GMS"), ("pms", "PMS"), ("apms", "APMS")],
            &value(
                "contract_type",
                saved.map(|s| s.contract_type.clone()).unwrap_or_default(),
            ),
        ),
        list_size: value("list_size", saved.map(|s| s.list_size.to_string()).unwrap_or_default()),
        options: loaded
            .options
            .iter()
            .enumerate()
            .map(|(o, option)| OptionFields {
                label: option.label.clone(),
                areas: AREAS
                    .iter()
                    .enumerate()
                    .map(|(a, (_, label))| {
                        let name = format!("rating_{o}_{a}");
                        let current = value(
                            &name,
                            saved
                                .and_then(|s| s.ratings.get(o))
                                .and_then(|r| r.get(a))
                                .map(|r| r.as_str().to_owned())
                                .unwrap_or_default(),
                        );
                        AreaField {
                            id: format!("rating-{o}-{a}"),
                            choices: crate::web::form::choices(&format!("rating-{o}-{a}"), &ratings, &current),
                            name,
                            label,
                        }
                    })
                    .collect(),
                notes_name: format!("option_notes_{o}"),
                notes_id: format!("option-notes-{o}"),
                notes: value(
                    &format!("option_notes_{o}"),
                    saved.and_then(|s| s.option_notes.get(o).cloned()).unwrap_or_default(),
                ),
            })
            .collect(),
        notes: value("notes", saved.map(|s| s.notes.clone()).unwrap_or_default()),
    }
}

pub async fn impact_form(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    query: web::Query<PracticeQuery>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let code = Some(query.into_inner().practice).filter(|p| !p.is_empty());
    let (loaded, practice, saved) = ui
        .state()
        .run(move |pool| service::impact(pool, &actor, id, code.as_deref()))
        .await?;
    let page = impact_page(
        &loaded,
        &practice,
        saved.as_ref().map(|(a, _)| a),
        None,
        saved.as_ref().map(|(_, at)| *at),
    );
    ui.page("consult/impact", "Practice impact of change", &page)
}

pub async fn save_impact(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let code = form.get("practice").cloned().filter(|p| !p.is_empty());
    let actor = (*user.0).clone();
    let lookup = code.clone();
    let (loaded, practice, _) = ui
        .state()
        .run(move |pool| service::impact(pool, &actor, id, lookup.as_deref()))
        .await?;
    let get = |name: &str| form.get(name).cloned().unwrap_or_default();
    let checked = super::impact::check(
        loaded.options.len(),
        &get("contract_type"),
        &get("list_size"),
        |o, a| form.get(&format!("rating_{o}_{a}")).cloned(),
        (0..loaded.options.len())
            .map(|o| get(&format!("option_notes_{o}")))
            .collect(),
        &get("notes"),
    );
    match checked {
        Ok(assessment) => {
            let actor = (*user.0).clone();
            ui.state()
                .run(move |pool| service::save_impact(pool, &actor, id, code.as_deref(), &assessment))
                .await?;
            Ok(ui.see_other(
                &format!("/consultations/{id}/impact?practice={}", practice.ods_code),
                Some(Flash {
                    heading: "Assessment saved".into(),
                    body: Some("Only your practice's representatives can see it. Come back to it at any time.".into()),
                }),
            ))
        }
        Err(errors) => {
            let page = impact_page(&loaded, &practice, None, Some(&form), None);
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "consult/impact",
                "Practice impact of change",
                errors,
                &page,
            )
        }
    }
}

/// The practice's own assessment, as CSV.
pub async fn impact_csv(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    query: web::Query<PracticeQuery>,
) -> AppResult<HttpResponse> {
    use super::impact::AREAS;
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let code = Some(query.into_inner().practice).filter(|p| !p.is_empty());
    let (loaded, practice, saved) = ui
        .state()
        .run(move |pool| service::impact(pool, &actor, id, code.as_deref()))
        .await?;
    let (assessment, _) = saved.ok_or(AppError::NotFound)?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    writer.write_safe(["option", "area", "rating"]).map_err(write_error)?;
    for (o, option) in loaded.options.iter().enumerate() {
        for (a, (_, area)) in AREAS.iter().enumerate() {
            let rating = assessment
                .ratings
                .get(o)
                .and_then(|r| r.get(a))
                .map_or("", |r| r.label());
            writer
                .write_safe([option.label.as_str(), area, rating])
                .map_err(write_error)?;
        }
        let notes = assessment.option_notes.get(o).map_or("", String::as_str);
        writer
            .write_safe([option.label.as_str(), "Notes", notes])
            .map_err(write_error)?;
    }
    writer
        .write_safe(["", "Contract", &assessment.contract_type.to_uppercase()])
        .map_err(write_error)?;
    writer
        .write_safe(["", "List size", &assessment.list_size.to_string()])
        .map_err(write_error)?;
    writer
        .write_safe(["", "Notes", &assessment.notes])
        .map_err(write_error)?;
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"impact-{}-{id}.csv\"", practice.ods_code),
        ))
        .body(bytes))
}

#[derive(Serialize)]
struct AggregateRow {
    area: &'static str,
    worse: usize,
    same: usize,
    better: usize,
}

#[derive(Serialize)]
struct AggregateOption {
    label: String,
    rows: Vec<AggregateRow>,
}

#[derive(Serialize)]
struct AggregatePage {
    id: i32,
    title: String,
    practices: usize,
    minimum: usize,
    shown: bool,
    options: Vec<AggregateOption>,
}

pub async fn impact_summary(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    use super::impact::{AREAS, MIN_GROUP};
    let id = id_of(&id)?;
    let grants = user.grants();
    let (loaded, aggregate) = ui
        .state()
        .run(move |pool| service::impact_aggregate(pool, &grants, id))
        .await?;
    let options = aggregate
        .counts
        .as_ref()
        .map(|counts| {
            loaded
                .options
                .iter()
                .zip(counts)
                .map(|(option, areas)| AggregateOption {
                    label: option.label.clone(),
                    rows: AREAS
                        .iter()
                        .zip(areas)
                        .map(|((_, area), c)| AggregateRow {
                            area,
                            worse: c[0],
                            same: c[1],
                            better: c[2],
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    ui.page(
        "consult/impact_summary",
        "Impact of change: summary",
        &AggregatePage {
            id,
            title: loaded.consultation.title.clone(),
            practices: aggregate.practices,
            minimum: MIN_GROUP,
            shown: aggregate.counts.is_some(),
            options,
        },
    )
}

#[derive(actix_multipart::form::MultipartForm)]
pub struct DocumentUpload {
    #[multipart(rename = "_csrf")]
    csrf: Option<actix_multipart::form::text::Text<String>>,
    document: Option<actix_multipart::form::bytes::Bytes>,
}

pub fn upload_config() -> actix_multipart::form::MultipartFormConfig {
    let limit = super::model::MAX_DOCUMENT_BYTES + 64 * 1024;
    actix_multipart::form::MultipartFormConfig::default()
        .total_limit(limit)
        .memory_limit(limit)
        .error_handler(|error, _req| {
            AppError::BadRequest(format!(
                "the document could not be read ({error}); it must be smaller than 20 MB"
            ))
            .into()
        })
}

pub async fn upload_document(
    req: actix_web::HttpRequest,
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: actix_multipart::form::MultipartForm<DocumentUpload>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.into_inner();
    crate::web::csrf::verify(&req, form.csrf.as_ref().map(|t| t.0.as_str()))?;
    let added = match form
        .document
        .filter(|f| f.file_name.as_deref().is_some_and(|n| !n.is_empty()))
    {
        None => Err(AppError::invalid("document", "Choose a document to upload")),
        Some(file) => {
            let name = file.file_name.clone().unwrap_or_default();
            let data = file.data;
            let actor = (*user.0).clone();
            ui.state()
                .run(move |pool| service::add_document(pool, &actor, id, &name, &data))
                .await
        }
    };
    if let Err(AppError::Invalid(errors)) = added {
        return show_again(&ui, &user, id, errors, |_| {}).await;
    }
    added?;
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: "Document added".into(),
            body: None,
        }),
    ))
}

pub async fn download_document(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, doc) = path.into_inner();
    let (id, doc) = (id_of(&id)?, id_of(&doc)?);
    document_response(&ui, user.grants(), id, doc).await
}

async fn document_response(
    ui: &Ui,
    grants: crate::accounts::model::Grants,
    id: i32,
    doc: i32,
) -> AppResult<HttpResponse> {
    let (name, content_type, content) = ui
        .state()
        .run(move |pool| service::document(pool, &grants, id, doc))
        .await?;
    Ok(crate::web::page::attachment(&name, content_type, content))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    ballot: String,
}

pub async fn link_ballot(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<LinkForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let ballot = match form.0.ballot.trim() {
        "" => None,
        b => Some(
            b.parse::<i32>()
                .map_err(|_| AppError::BadRequest(format!("ballot must be a ballot's number, not \"{b}\"")))?,
        ),
    };
    let actor = (*user.0).clone();
    let linked = ui
        .state()
        .run(move |pool| service::link_ballot(pool, &actor, id, ballot))
        .await;
    if let Err(AppError::Invalid(errors)) = linked {
        return show_again(&ui, &user, id, errors, |_| {}).await;
    }
    linked?;
    Ok(ui.see_other(
        &format!("/consultations/{id}"),
        Some(Flash {
            heading: "Ballot linked".into(),
            body: None,
        }),
    ))
}

#[derive(Serialize)]
struct TimelinePage {
    id: i32,
    title: String,
    entries: Vec<TimelineEntry>,
}

#[derive(Serialize)]
struct TimelineEntry {
    at: String,
    what: String,
    who: String,
}

pub async fn timeline(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.grants();
    let (loaded, entries) = ui.state().run(move |pool| service::timeline(pool, &grants, id)).await?;
    ui.page(
        "consult/timeline",
        "Timeline",
        &TimelinePage {
            id,
            title: loaded.consultation.title.clone(),
            entries: entries
                .into_iter()
                .map(|e| TimelineEntry {
                    at: crate::time::date_time(e.entry.at),
                    what: e.entry.summary,
                    who: e.entry.actor,
                })
                .collect(),
        },
    )
}
