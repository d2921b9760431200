//! Ballot pages: the list, drafting, the ballot's own page with its
//! actions, the electorate, voting (signed in or by link), the result.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::casting::{self, Credential, Receipt};
use super::chart::{Bar, bar_chart};
use super::diff::{Piece, word_diff};
use super::model::{BallotKind, BallotOption, BallotState, MotionKind, RulesInput, Secrecy, percent};
use super::rules as count_rules;
use super::service::{self, DraftRequest, Loaded};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

fn ballot_id(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: String,
}

fn key_values(rows: Vec<(&'static str, String)>) -> Vec<KeyValue> {
    rows.into_iter()
        .map(|(key, value)| KeyValue {
            key: key.to_owned(),
            value,
        })
        .collect()
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---- The list ---------------------------------------------------------------

#[derive(Serialize)]
struct ListRow {
    id: i32,
    title: String,
    kind: &'static str,
    state_label: &'static str,
    state_colour: &'static str,
    opens: String,
    closes: String,
}

#[derive(Serialize)]
struct ListPage {
    organisation: String,
    code: String,
    may_create: bool,
    ballots: Vec<ListRow>,
}

pub async fn list(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let code = code.into_inner();
    let (organisation, runs, ballots) = ui.state().run(move |pool| service::list(pool, &grants, &code)).await?;
    let page = ListPage {
        organisation: organisation.name,
        code: organisation.ods_code,
        may_create: runs,
        ballots: ballots
            .into_iter()
            .map(|b| ListRow {
                id: b.id,
                title: b.title,
                kind: b.kind.label(),
                state_label: b.state.label(),
                state_colour: b.state.tag_colour(),
                opens: crate::time::date_time(b.opens_at),
                closes: crate::time::date_time(b.closes_at),
            })
            .collect(),
    };
    ui.page("ballots/list", "Ballots", &page)
}

// ---- Drafting ---------------------------------------------------------------

/// The draft form's fields, as text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BallotForm {
    kind: String,
    title: String,
    question: String,
    papers: String,
    current_text: String,
    proposed_text: String,
    motion_kind: String,
    motion_subject: String,
    options: String,
    opens_date: String,
    opens_time: String,
    closes_date: String,
    closes_time: String,
    secrecy: String,
    weighting: String,
    patients_per_vote: String,
    list_size_date: String,
    quorum_basis: String,
    quorum_percent: String,
    threshold: String,
    threshold_base: String,
    dual_majority: String,
    choice_rule: String,
    voters: String,
    allow_early_close: String,
    allow_vote_change: String,
    constituencies: String,
    reminder_days: String,
}

/// "Level 1 — greater involvement" → "level_1_greater_involvement".
fn option_key(label: &str, taken: &[String]) -> String {
    let mut key = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let mut key: String = key.trim_end_matches('_').chars().take(36).collect();
    if key.is_empty() {
        key = "option".into();
    }
    let base = key.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

fn options_text(options: &[BallotOption]) -> String {
    options
        .iter()
        .map(|o| {
            if o.description.is_empty() {
                o.label.clone()
            } else {
                format!("{} | {}", o.label, o.description)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn number(field: &str, text: &str, message: &str, errors: &mut Vec<FieldError>) -> Option<u32> {
    match text.trim().replace(',', "").parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(field, message));
            None
        }
    }
}

impl BallotForm {
    fn for_kind(kind: BallotKind, settings: &crate::registry::constitution::ConstitutionSettings) -> Self {
        let rules = super::model::BallotRules::defaults(settings, kind, None);
        let mut form = BallotForm {
            kind: kind.as_str().into(),
            options: options_text(&kind.preset_options()),
            opens_time: "09:00".into(),
            closes_time: "17:00".into(),
            ..Default::default()
        };
        form.set_rules(&rules);
        form
    }

    fn set_rules(&mut self, rules: &super::model::BallotRules) {
        let yes = |b: bool| if b { "yes" } else { "" }.to_owned();
        self.secrecy = rules.secrecy.clone();
        self.weighting = rules.weighting.clone();
        self.patients_per_vote = rules.patients_per_vote.to_string();
        self.list_size_date = rules.list_size_date.map(|d| d.to_string()).unwrap_or_default();
        self.quorum_basis = rules.quorum_basis.clone();
        self.quorum_percent = rules.quorum_percent.to_string();
        self.threshold = rules.threshold.clone();
        self.threshold_base = rules.threshold_base.clone();
        self.dual_majority = yes(rules.dual_majority);
        self.choice_rule = rules.choice_rule.clone();
        self.voters = rules.voters.clone();
        self.allow_early_close = yes(rules.allow_early_close);
        self.allow_vote_change = yes(rules.allow_vote_change);
        self.constituencies = service::constituency_lines(&rules.constituencies);
        self.reminder_days = rules
            .reminder_days
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
    }

    fn from_loaded(loaded: &Loaded) -> Self {
        let b = &loaded.ballot;
        let (opens_date, opens_time) = crate::time::to_london_fields(b.opens_at);
        let (closes_date, closes_time) = crate::time::to_london_fields(b.closes_at);
        let options: Vec<BallotOption> = loaded
            .options
            .iter()
            .map(|o| BallotOption {
                key: o.option_key.clone(),
                label: o.label.clone(),
                description: o.description.clone(),
            })
            .collect();
        let mut form = BallotForm {
            kind: b.kind.clone(),
            title: b.title.clone(),
            question: b.question.clone(),
            papers: b.papers.clone(),
            current_text: b.current_text.clone(),
            proposed_text: b.proposed_text.clone(),
            motion_kind: b.motion_kind.clone(),
            motion_subject: b.motion_subject.clone(),
            options: options_text(&options),
            opens_date,
            opens_time,
            closes_date,
            closes_time,
            ..Default::default()
        };
        form.set_rules(&loaded.rules);
        form
    }

    fn request(&self) -> DraftRequest {
        let mut errors = Vec::new();
        let mut time = |field: &str, date: &str, time: &str| match crate::time::from_london(date, time) {
            Ok(t) => Some(t),
            Err(message) => {
                errors.push(FieldError::new(field, message));
                None
            }
        };
        let opens_at = time("opens-at", &self.opens_date, &self.opens_time);
        let closes_at = time("closes-at", &self.closes_date, &self.closes_time);
        let kind = BallotKind::parse(&self.kind);
        // For / Against / Abstain are fixed; the other kinds' options are
        // the form's lines, "Label | description".
        let options = match kind {
            Some(k) if k.is_for_against() => None,
            _ => {
                let mut options: Vec<BallotOption> = Vec::new();
                for line in self.options.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    let (label, description) = line.split_once('|').unwrap_or((line, ""));
                    let taken: Vec<String> = options.iter().map(|o| o.key.clone()).collect();
                    options.push(BallotOption {
                        key: option_key(label, &taken),
                        label: label.trim().to_owned(),
                        description: description.trim().to_owned(),
                    });
                }
                Some(options)
            }
        };
        let patients_per_vote = number(
            "patients-per-vote",
            &self.patients_per_vote,
            "Enter the number of registered patients per vote, like 2000",
            &mut errors,
        );
        let quorum_percent = number(
            "quorum-percent",
            &self.quorum_percent,
            "Enter the quorum as a whole percentage, like 50",
            &mut errors,
        );
        let list_size_date = match self.list_size_date.trim() {
            "" => None,
            text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new("list-size-date", "Enter a real date, like 2026-10-01"));
                    None
                }
            },
        };
        let mut constituencies = BTreeMap::new();
        for (n, line) in self.constituencies.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match line.split_once(',') {
                Some((code, name)) if !code.trim().is_empty() && !name.trim().is_empty() => {
                    constituencies.insert(code.trim().to_ascii_uppercase(), name.trim().to_owned());
                }
                _ => errors.push(FieldError::new(
                    "constituencies",
                    format!(
                        "Line {} of the constituencies must be an ODS code, a comma and a name, like F84012, North",
                        n + 1
                    ),
                )),
            }
        }
        let mut reminder_days = Vec::new();
        for part in self.reminder_days.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<u32>() {
                Ok(d) => reminder_days.push(d),
                Err(_) => errors.push(FieldError::new(
                    "reminder-days",
                    "Enter the days before the close as whole numbers separated by commas, like 7, 1",
                )),
            }
        }
        let rules = RulesInput {
            secrecy: Some(self.secrecy.clone()),
            weighting: Some(self.weighting.clone()),
            patients_per_vote,
            list_size_date,
            quorum_basis: Some(self.quorum_basis.clone()),
            quorum_percent,
            threshold: Some(self.threshold.clone()),
            threshold_base: Some(self.threshold_base.clone()),
            dual_majority: Some(self.dual_majority == "yes"),
            choice_rule: Some(self.choice_rule.clone()),
            voters: Some(self.voters.clone()),
            allow_early_close: Some(self.allow_early_close == "yes"),
            allow_vote_change: Some(self.allow_vote_change == "yes"),
            constituencies: Some(constituencies),
            reminder_days: Some(reminder_days),
        };
        DraftRequest {
            kind: self.kind.clone(),
            title: self.title.clone(),
            question: self.question.clone(),
            papers: self.papers.clone(),
            current_text: self.current_text.clone(),
            proposed_text: self.proposed_text.clone(),
            motion_kind: self.motion_kind.clone(),
            motion_subject: self.motion_subject.clone(),
            options,
            opens_at,
            closes_at,
            rules,
            edge_errors: errors,
        }
    }
}

#[derive(Serialize)]
struct FormPage {
    organisation: String,
    action: String,
    heading: &'static str,
    button: &'static str,
    kind_label: &'static str,
    form: BallotForm,
    for_against: bool,
    is_motion: bool,
    is_amendment: bool,
    motion_kinds: Vec<Choice>,
    secrecy: Vec<Choice>,
    weighting: Vec<Choice>,
    quorum_basis: Vec<Choice>,
    thresholds: Vec<Choice>,
    threshold_base: Vec<Choice>,
    choice_rule: Vec<Choice>,
    voters: Vec<Choice>,
}

fn form_page(organisation: &str, action: String, editing: bool, form: BallotForm) -> FormPage {
    let kind = BallotKind::parse(&form.kind).unwrap_or(BallotKind::General);
    let motion_kinds: Vec<(&str, &str)> = MotionKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect();
    let mut thresholds: Vec<(String, String)> = crate::registry::constitution::Threshold::PRESETS
        .iter()
        .map(|t| (t.stored(), t.label()))
        .collect();
    if let Some(custom) = crate::registry::constitution::Threshold::parse(&form.threshold)
        .filter(|t| !crate::registry::constitution::Threshold::PRESETS.contains(t))
    {
        thresholds.push((custom.stored(), custom.label()));
    }
    let threshold_refs: Vec<(&str, &str)> = thresholds.iter().map(|(v, l)| (v.as_str(), l.as_str())).collect();
    FormPage {
        organisation: organisation.to_owned(),
        action,
        heading: if editing {
            "Change the draft ballot"
        } else {
            "Create a ballot"
        },
        button: if editing { "Save the draft" } else { "Create the draft" },
        kind_label: kind.label(),
        for_against: kind.is_for_against(),
        is_motion: kind == BallotKind::Motion,
        is_amendment: kind == BallotKind::ConstitutionAmendment,
        motion_kinds: choices("motion-kind", &motion_kinds, &form.motion_kind),
        secrecy: choices(
            "secrecy",
            &[
                ("secret", "Secret: nobody can see how a practice voted"),
                (
                    "recorded",
                    "Recorded: each practice's vote is shown to the board and the LMC, and to members after the close",
                ),
            ],
            &form.secrecy,
        ),
        weighting: choices(
            "weighting",
            &[
                ("per_practice", "One practice, one vote"),
                ("per_patients", "One vote per so many registered patients, rounded up"),
                ("list_size", "By registered list size"),
            ],
            &form.weighting,
        ),
        quorum_basis: choices(
            "quorum-basis",
            &[
                ("practices", "A share of the practices"),
                ("weight", "A share of the weighted vote"),
                ("none", "No quorum"),
            ],
            &form.quorum_basis,
        ),
        thresholds: choices("threshold", &threshold_refs, &form.threshold),
        threshold_base: choices(
            "threshold-base",
            &[
                (
                    "votes_cast",
                    "Of the votes cast for or against (abstentions do not count)",
                ),
                ("electorate", "Of the whole electorate"),
            ],
            &form.threshold_base,
        ),
        choice_rule: choices(
            "choice-rule",
            &[
                ("plurality", "The option with the most votes wins"),
                ("absolute_majority", "An option needs more than half of the votes cast"),
            ],
            &form.choice_rule,
        ),
        voters: choices(
            "voters",
            &[
                (
                    "nominated_or_deputy",
                    "The nominated voting representative or their deputy",
                ),
                ("nominated", "Only the nominated voting representative"),
            ],
            &form.voters,
        ),
        form,
    }
}

#[derive(Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

#[derive(Serialize)]
struct KindPage {
    organisation: String,
    code: String,
    kinds: Vec<Choice>,
}

/// `GET …/ballots/new`: first the kind, then the form for it.
pub async fn new_form(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<KindQuery>,
) -> AppResult<HttpResponse> {
    let actor = (*user.0).clone();
    let code = code.into_inner();
    let lookup = code.clone();
    let (organisation, settings) = ui
        .state()
        .run(move |pool| service::defaults_for(pool, &actor, &lookup))
        .await?;
    match query.kind.as_deref().and_then(BallotKind::parse) {
        Some(kind) => {
            let action = format!("/organisations/{}/ballots", organisation.ods_code);
            let page = form_page(&organisation.name, action, false, BallotForm::for_kind(kind, &settings));
            ui.page("ballots/form", "Create a ballot", &page)
        }
        None => {
            let kinds: Vec<(&str, &str)> = BallotKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect();
            let page = KindPage {
                organisation: organisation.name,
                code: organisation.ods_code,
                kinds: choices("kind", &kinds, ""),
            };
            let status = if query.kind.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let errors = if query.kind.is_some() {
                vec![FieldError::new("kind", "Choose the kind of ballot")]
            } else {
                Vec::new()
            };
            ui.form_errors(status, "ballots/kind", "Create a ballot", errors, &page)
        }
    }
}

pub async fn create(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<BallotForm>,
) -> AppResult<HttpResponse> {
    let form = form.0;
    let actor = (*user.0).clone();
    let code = code.into_inner();
    let (request, lookup) = (form.request(), code.clone());
    match ui
        .state()
        .run(move |pool| service::create_draft(pool, &actor, &lookup, &request))
        .await
    {
        Ok(id) => Ok(ui.see_other(
            &format!("/ballots/{id}"),
            Some(Flash {
                heading: "Draft ballot created".into(),
                body: Some("Check it, then publish it to give notice to the member practices.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let actor = (*user.0).clone();
            let (organisation, _) = ui
                .state()
                .run(move |pool| service::defaults_for(pool, &actor, &code))
                .await?;
            let action = format!("/organisations/{}/ballots", organisation.ods_code);
            let page = form_page(&organisation.name, action, false, form);
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballots/form",
                "Create a ballot",
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

async fn load_visible(ui: &Ui, user: &CurrentUser, id: i32) -> AppResult<(Loaded, service::Access)> {
    let grants = user.grants();
    ui.state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            service::visible(&mut conn, &grants, id)
        })
        .await
}

pub async fn edit_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let (loaded, access) = load_visible(&ui, &user, id).await?;
    if !access.runs || loaded.state != BallotState::Draft {
        return Err(AppError::Forbidden(
            "Only a draft can be changed, by the organisation's administrators and returning officer.".into(),
        ));
    }
    let page = form_page(
        &loaded.organisation.name,
        format!("/ballots/{id}/edit"),
        true,
        BallotForm::from_loaded(&loaded),
    );
    ui.page("ballots/form", "Change the draft ballot", &page)
}

pub async fn edit(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<BallotForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let request = form.request();
    match ui
        .state()
        .run(move |pool| service::update_draft(pool, &actor, id, &request))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}"),
            Some(Flash {
                heading: "Draft saved".into(),
                body: None,
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let (loaded, _) = load_visible(&ui, &user, id).await?;
            let page = form_page(&loaded.organisation.name, format!("/ballots/{id}/edit"), true, form);
            ui.form_errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballots/form",
                "Change the draft ballot",
                errors,
                &page,
            )
        }
        Err(other) => Err(other),
    }
}

// ---- The ballot's page ------------------------------------------------------

#[derive(Serialize)]
struct OptionView {
    label: String,
    description: String,
}

#[derive(Serialize)]
struct ProgressView {
    electors: i64,
    voted: i64,
    share: String,
    sent: i64,
    pending: i64,
    failed: i64,
    reminders: Vec<String>,
}

#[derive(Serialize)]
struct VotingView {
    practice: String,
    can_vote: bool,
    message: String,
}

#[derive(Serialize)]
struct BallotPage {
    id: i32,
    title: String,
    kind_label: &'static str,
    state_label: &'static str,
    state_colour: &'static str,
    organisation: String,
    code: String,
    question: String,
    papers: Vec<String>,
    motion: Option<String>,
    is_amendment: bool,
    diff: Vec<Piece>,
    options: Vec<OptionView>,
    opens: String,
    closes: String,
    extension: Option<KeyValue>,
    published: Option<String>,
    cancelled: Option<String>,
    rules: Vec<KeyValue>,
    runs: bool,
    oversees: bool,
    progress: Option<ProgressView>,
    may_edit: bool,
    may_publish: bool,
    may_extend: bool,
    may_close: bool,
    may_cancel: bool,
    counted: bool,
    voting: Option<VotingView>,
}

fn motion_line(loaded: &Loaded) -> Option<String> {
    let kind = MotionKind::parse(&loaded.ballot.motion_kind)?;
    Some(if loaded.ballot.motion_subject.is_empty() {
        kind.label().to_owned()
    } else {
        format!("{}: {}", kind.label(), loaded.ballot.motion_subject)
    })
}

pub async fn show(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let (loaded, access) = load_visible(&ui, &user, id).await?;
    let progress = if access.oversees() && loaded.state != BallotState::Draft {
        let loaded = loaded.clone();
        let p = ui.state().run(move |pool| service::progress(pool, &loaded)).await?;
        Some(ProgressView {
            share: percent(p.voted.unsigned_abs(), p.electors.unsigned_abs()),
            electors: p.electors,
            voted: p.voted,
            sent: p.deliveries.sent,
            pending: p.deliveries.pending,
            failed: p.deliveries.failed,
            reminders: p
                .reminders
                .iter()
                .map(|(days, at, n)| {
                    format!(
                        "{days} days before the close: {n} messages on {}",
                        crate::time::date_time(*at)
                    )
                })
                .collect(),
        })
    } else {
        None
    };
    let voting = if matches!(loaded.state, BallotState::Published | BallotState::Open) {
        let credential = Credential::SignedIn((*user.0).clone());
        match ui
            .state()
            .run(move |pool| casting::resolve(pool, &credential, Some(id), None))
            .await
        {
            Ok(resolved) => {
                let now = chrono::Utc::now().naive_utc();
                let problem = casting::window_problem(&resolved.loaded, now).filter(|_| {
                    !(resolved.loaded.state == BallotState::Published && now >= resolved.loaded.ballot.opens_at)
                });
                let may_change =
                    resolved.loaded.rules.allow_vote_change && resolved.loaded.rules.secrecy() == Secrecy::Recorded;
                Some(match (problem, resolved.already_voted) {
                    (Some(problem), _) => VotingView {
                        practice: resolved.practice.name,
                        can_vote: false,
                        message: problem,
                    },
                    (None, true) if !may_change => VotingView {
                        practice: resolved.practice.name,
                        can_vote: false,
                        message: "Your practice has voted.".into(),
                    },
                    (None, voted) => VotingView {
                        practice: resolved.practice.name,
                        can_vote: true,
                        message: if voted {
                            "Your practice has voted. You can change its vote until the close.".into()
                        } else {
                            "Your practice has not voted yet.".into()
                        },
                    },
                })
            }
            // Several practices: the voting page asks which.
            Err(AppError::Invalid(_)) => Some(VotingView {
                practice: "your practices".into(),
                can_vote: true,
                message: "You represent more than one practice in this ballot.".into(),
            }),
            Err(_) => None,
        }
    } else {
        None
    };
    let b = &loaded.ballot;
    let page = BallotPage {
        id,
        title: b.title.clone(),
        kind_label: loaded.kind.label(),
        state_label: loaded.state.label(),
        state_colour: loaded.state.tag_colour(),
        organisation: loaded.organisation.name.clone(),
        code: loaded.organisation.ods_code.clone(),
        question: b.question.clone(),
        papers: paragraphs(&b.papers),
        motion: motion_line(&loaded),
        is_amendment: loaded.kind == BallotKind::ConstitutionAmendment,
        diff: if loaded.kind == BallotKind::ConstitutionAmendment {
            word_diff(&b.current_text, &b.proposed_text)
        } else {
            Vec::new()
        },
        options: loaded
            .options
            .iter()
            .map(|o| OptionView {
                label: o.label.clone(),
                description: o.description.clone(),
            })
            .collect(),
        opens: crate::time::date_time(b.opens_at),
        closes: crate::time::date_time(b.closes_at),
        extension: b.original_closes_at.map(|original| KeyValue {
            key: crate::time::date_time(original),
            value: b.extension_reason.clone().unwrap_or_default(),
        }),
        published: b.published_at.map(crate::time::date_time),
        cancelled: b.cancel_reason.clone(),
        rules: key_values(loaded.rules.describe(loaded.kind)),
        runs: access.runs,
        oversees: access.oversees(),
        progress,
        may_edit: access.runs && loaded.state == BallotState::Draft,
        may_publish: access.runs && loaded.state == BallotState::Draft,
        may_extend: access.runs
            && matches!(loaded.state, BallotState::Published | BallotState::Open)
            && b.original_closes_at.is_none(),
        may_close: access.runs && loaded.state == BallotState::Open && loaded.rules.allow_early_close,
        may_cancel: access.runs && !matches!(loaded.state, BallotState::Counted | BallotState::Cancelled),
        counted: loaded.state == BallotState::Counted,
        voting,
    };
    ui.page("ballots/show", &loaded.ballot.title, &page)
}

pub async fn publish(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _form: CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    match ui
        .state()
        .run(move |pool| service::publish(pool, &outbox, &actor, id))
        .await
    {
        Ok(published) => {
            let missing = if published.without_representative.is_empty() {
                String::new()
            } else {
                format!(
                    " {} practices have no nominated voting representative and could not be told: {}.",
                    published.without_representative.len(),
                    published.without_representative.join(", ")
                )
            };
            Ok(ui.see_other(
                &format!("/ballots/{id}"),
                Some(Flash {
                    heading: "Ballot published".into(),
                    body: Some(format!(
                        "The electorate of {} practices is fixed and {} notices are being sent.{missing}",
                        published.electors, published.notices
                    )),
                }),
            ))
        }
        Err(AppError::Invalid(errors)) => Ok(problem_page(
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The ballot cannot be published yet",
            id,
            errors,
        )?),
        Err(AppError::Conflict(why)) => Ok(problem_page(
            &ui,
            StatusCode::CONFLICT,
            "The ballot cannot be published",
            id,
            vec![FieldError::new("publish", why)],
        )?),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ProblemPage {
    heading: String,
    ballot: i32,
    problems: Vec<FieldError>,
}

fn problem_page(
    ui: &Ui,
    status: StatusCode,
    heading: &str,
    id: i32,
    problems: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    ui.form_errors(
        status,
        "ballots/problem",
        heading,
        Vec::new(),
        &ProblemPage {
            heading: heading.to_owned(),
            ballot: id,
            problems,
        },
    )
}

pub async fn close(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _form: CsrfForm<crate::web::csrf::NoFields>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    match ui
        .state()
        .run(move |pool| service::close(pool, &outbox, &actor, id))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}/results"),
            Some(Flash {
                heading: "Voting closed and the papers counted".into(),
                body: None,
            }),
        )),
        Err(AppError::Conflict(why)) => problem_page(
            &ui,
            StatusCode::CONFLICT,
            "Voting cannot close yet",
            id,
            vec![FieldError::new("close", why)],
        ),
        Err(other) => Err(other),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
    closes_date: String,
    closes_time: String,
}

#[derive(Serialize)]
struct ReasonPage {
    id: i32,
    title: String,
    closes: String,
    form: ReasonForm,
}

async fn reason_page(
    ui: &Ui,
    user: &CurrentUser,
    id: i32,
    template: &str,
    title: &str,
    form: ReasonForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let (loaded, access) = load_visible(ui, user, id).await?;
    if !access.runs {
        return Err(AppError::Forbidden(
            "Only the organisation's administrators and returning officer can do this.".into(),
        ));
    }
    let page = ReasonPage {
        id,
        title: loaded.ballot.title.clone(),
        closes: crate::time::date_time(loaded.ballot.closes_at),
        form,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ui.form_errors(status, template, title, errors, &page)
}

pub async fn cancel_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    reason_page(
        &ui,
        &user,
        id,
        "ballots/cancel",
        "Cancel the ballot",
        ReasonForm::default(),
        Vec::new(),
    )
    .await
}

pub async fn cancel(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let reason = form.reason.clone();
    match ui
        .state()
        .run(move |pool| service::cancel(pool, &actor, id, &reason))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}"),
            Some(Flash {
                heading: "Ballot cancelled".into(),
                body: Some("Messages about it that had not been sent were withdrawn.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            reason_page(&ui, &user, id, "ballots/cancel", "Cancel the ballot", form, errors).await
        }
        Err(AppError::Conflict(why)) => problem_page(
            &ui,
            StatusCode::CONFLICT,
            "The ballot cannot be cancelled",
            id,
            vec![FieldError::new("cancel", why)],
        ),
        Err(other) => Err(other),
    }
}

pub async fn extend_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    reason_page(
        &ui,
        &user,
        id,
        "ballots/extend",
        "Extend the close",
        ReasonForm::default(),
        Vec::new(),
    )
    .await
}

pub async fn extend(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let form = form.0;
    let mut errors = Vec::new();
    let new_close = match crate::time::from_london(&form.closes_date, &form.closes_time) {
        Ok(t) => Some(t),
        Err(message) => {
            errors.push(FieldError::new("closes-at", message));
            None
        }
    };
    if !errors.is_empty() {
        return reason_page(&ui, &user, id, "ballots/extend", "Extend the close", form, errors).await;
    }
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let reason = form.reason.clone();
    match ui
        .state()
        .run(move |pool| service::extend(pool, &outbox, &actor, id, new_close, &reason))
        .await
    {
        Ok(()) => Ok(ui.see_other(
            &format!("/ballots/{id}"),
            Some(Flash {
                heading: "Close extended".into(),
                body: Some("The electorate and the LMC are being told.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            reason_page(&ui, &user, id, "ballots/extend", "Extend the close", form, errors).await
        }
        Err(AppError::Conflict(why)) => problem_page(
            &ui,
            StatusCode::CONFLICT,
            "The close cannot be extended",
            id,
            vec![FieldError::new("extend", why)],
        ),
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct ElectorRowView {
    code: String,
    name: String,
    weight: i64,
    list_size: String,
    constituency: String,
    has_representative: bool,
    voted: String,
}

#[derive(Serialize)]
struct ElectoratePage {
    id: i32,
    title: String,
    digest: String,
    weighted: bool,
    constituencies: bool,
    total: usize,
    voted: usize,
    rows: Vec<ElectorRowView>,
}

pub async fn electorate(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let (loaded, electors) = ui
        .state()
        .run(move |pool| service::electorate(pool, &grants, id))
        .await?;
    let page = ElectoratePage {
        id,
        title: loaded.ballot.title.clone(),
        digest: loaded.ballot.electorate_digest.clone().unwrap_or_default(),
        weighted: loaded.rules.weighting != "per_practice",
        constituencies: !loaded.rules.constituencies.is_empty(),
        total: electors.len(),
        voted: electors.iter().filter(|e| e.voted_at.is_some()).count(),
        rows: electors
            .into_iter()
            .map(|e| ElectorRowView {
                list_size: e.list_size.map(crate::format::group_thousands).unwrap_or_default(),
                constituency: e.constituency.unwrap_or_default(),
                voted: e.voted_at.map(crate::time::date_time).unwrap_or_default(),
                code: e.code,
                name: e.name,
                weight: e.weight,
                has_representative: e.has_representative,
            })
            .collect(),
    };
    ui.page("ballots/electorate", "Electorate", &page)
}

// ---- Voting -----------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VoteForm {
    option: String,
    practice: String,
}

#[derive(Serialize)]
struct ChoiceView {
    title: String,
    question: String,
    organisation: String,
    practice: String,
    practices: Vec<Choice>,
    closes: String,
    options: Vec<Choice>,
    descriptions: Vec<OptionView>,
    confirm_action: String,
    ballot_href: String,
    secret: bool,
}

#[derive(Serialize)]
struct ConfirmView {
    title: String,
    practice: String,
    practice_code: String,
    option: String,
    option_label: String,
    cast_action: String,
    back_href: String,
    secret: bool,
    changing: bool,
}

#[derive(Serialize)]
struct ReceiptView {
    title: String,
    practice: String,
    code: String,
    option: Option<String>,
    cast_at: String,
    ballot_href: String,
    changed: bool,
}

#[derive(Serialize)]
struct RefusedView {
    heading: String,
    message: String,
    ballot_href: Option<String>,
}

/// Where a voting conversation posts to: the link's or the ballot's.
fn vote_paths(credential: &Credential, ballot: i32) -> (String, String) {
    match credential {
        Credential::Link(token) => (format!("/vote/{token}/confirm"), format!("/vote/{token}")),
        _ => (
            format!("/ballots/{ballot}/vote/confirm"),
            format!("/ballots/{ballot}/vote"),
        ),
    }
}

/// The practices a signed-in representative may vote for in this ballot.
async fn practice_choices(ui: &Ui, user: &CurrentUser, id: i32, current: &str) -> AppResult<Vec<Choice>> {
    let grants = user.grants();
    let codes: Vec<(String, String)> = ui
        .state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            let represented: Vec<i32> = grants
                .0
                .iter()
                .filter(|g| g.role == crate::accounts::model::Role::PracticeRep)
                .filter_map(|g| g.practice_id)
                .collect();
            Ok(super::store::electorate_with_practices(&mut conn, id)?
                .into_iter()
                .filter(|(e, _, _)| represented.contains(&e.practice_id))
                .map(|(_, code, name)| (code, name))
                .collect())
        })
        .await?;
    let labels: Vec<(String, String)> = codes.iter().map(|(c, n)| (c.clone(), format!("{n} ({c})"))).collect();
    let refs: Vec<(&str, &str)> = labels.iter().map(|(c, l)| (c.as_str(), l.as_str())).collect();
    Ok(choices("practice", &refs, current))
}

fn refused(
    ui: &Ui,
    status: StatusCode,
    heading: &str,
    message: String,
    ballot: Option<i32>,
) -> AppResult<HttpResponse> {
    ui.form_errors(
        status,
        "ballots/refused",
        heading,
        Vec::new(),
        &RefusedView {
            heading: heading.to_owned(),
            message,
            ballot_href: ballot.map(|b| format!("/ballots/{b}")),
        },
    )
}

/// Turns a refusal into the page that explains it; other errors pass.
fn refusal(ui: &Ui, error: AppError, ballot: Option<i32>) -> AppResult<HttpResponse> {
    match error {
        AppError::Conflict(why) => refused(ui, StatusCode::CONFLICT, "Your practice has already voted", why, ballot),
        AppError::Forbidden(why) => refused(
            ui,
            StatusCode::FORBIDDEN,
            "You cannot vote in this ballot now",
            why,
            ballot,
        ),
        AppError::Gone(why) => refused(ui, StatusCode::GONE, "This voting link does not work", why, None),
        other => Err(other),
    }
}

async fn choose(
    ui: Ui,
    user: Option<CurrentUser>,
    credential: Credential,
    id: Option<i32>,
    form: VoteForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let lookup = credential.clone();
    let practice = (!form.practice.is_empty()).then(|| form.practice.clone());
    let resolved = ui
        .state()
        .run(move |pool| casting::resolve(pool, &lookup, id, practice.as_deref()))
        .await;
    let (resolved, practices) = match (resolved, &user) {
        (Ok(resolved), _) => (Some(resolved), Vec::new()),
        (Err(AppError::Invalid(_)), Some(user)) if id.is_some() => (
            None,
            practice_choices(&ui, user, id.unwrap_or_default(), &form.practice).await?,
        ),
        (Err(e), _) => return refusal(&ui, e, id),
    };
    let loaded = match &resolved {
        Some(r) => r.loaded.clone(),
        None => {
            let grants = user.as_ref().map(|u| u.grants()).unwrap_or_default();
            let ballot = id.unwrap_or_default();
            ui.state()
                .run(move |pool| {
                    let mut conn = pool.get()?;
                    Ok(service::visible(&mut conn, &grants, ballot)?.0)
                })
                .await?
        }
    };
    let now = chrono::Utc::now().naive_utc();
    if let Some(problem) = casting::window_problem(&loaded, now)
        .filter(|_| !(loaded.state == BallotState::Published && now >= loaded.ballot.opens_at))
    {
        return refused(
            &ui,
            StatusCode::FORBIDDEN,
            "You cannot vote in this ballot now",
            problem,
            Some(loaded.ballot.id),
        );
    }
    let may_change = loaded.rules.allow_vote_change && loaded.rules.secrecy() == Secrecy::Recorded;
    if let Some(r) = &resolved {
        if r.already_voted && !(may_change && r.token_digest.is_none()) {
            return refusal(&ui, casting::already_voted(), Some(loaded.ballot.id));
        }
    }
    let (confirm_action, _) = vote_paths(&credential, loaded.ballot.id);
    let options: Vec<(&str, &str)> = loaded
        .options
        .iter()
        .map(|o| (o.option_key.as_str(), o.label.as_str()))
        .collect();
    let page = ChoiceView {
        title: loaded.ballot.title.clone(),
        question: loaded.ballot.question.clone(),
        organisation: loaded.organisation.name.clone(),
        practice: resolved.as_ref().map(|r| r.practice.name.clone()).unwrap_or_default(),
        practices,
        closes: crate::time::date_time(loaded.ballot.closes_at),
        options: choices("option", &options, &form.option),
        descriptions: loaded
            .options
            .iter()
            .filter(|o| !o.description.is_empty())
            .map(|o| OptionView {
                label: o.label.clone(),
                description: o.description.clone(),
            })
            .collect(),
        confirm_action,
        ballot_href: format!("/ballots/{}", loaded.ballot.id),
        secret: loaded.rules.secrecy() == Secrecy::Secret,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ui.form_errors(status, "ballots/vote", "Vote", errors, &page)
}

async fn confirm(
    ui: Ui,
    user: Option<CurrentUser>,
    credential: Credential,
    id: Option<i32>,
    form: VoteForm,
) -> AppResult<HttpResponse> {
    let lookup = credential.clone();
    let (practice, option) = (form.practice.clone(), form.option.clone());
    let prepared = ui
        .state()
        .run(move |pool| {
            casting::prepare(
                pool,
                &lookup,
                id,
                Some(practice.as_str()).filter(|p| !p.is_empty()),
                &option,
            )
        })
        .await;
    match prepared {
        Ok(vote) => {
            let (_, cast_action) = vote_paths(&credential, vote.ballot_id);
            let back_href = match &credential {
                Credential::Link(token) => format!("/vote/{token}"),
                _ => format!("/ballots/{}/vote", vote.ballot_id),
            };
            ui.page(
                "ballots/confirm",
                "Check your vote",
                &ConfirmView {
                    title: vote.ballot_title,
                    practice: vote.practice_name,
                    practice_code: vote.practice_code,
                    option: vote.option_key,
                    option_label: vote.option_label,
                    cast_action,
                    back_href,
                    secret: vote.secret,
                    changing: vote.may_change,
                },
            )
        }
        Err(AppError::Invalid(errors)) => choose(ui, user, credential, id, form, errors).await,
        Err(e) => refusal(&ui, e, id),
    }
}

async fn cast(ui: Ui, credential: Credential, id: Option<i32>, form: VoteForm) -> AppResult<HttpResponse> {
    let (practice, option) = (form.practice.clone(), form.option.clone());
    let prepared = ui
        .state()
        .run(move |pool| {
            casting::prepare(
                pool,
                &credential,
                id,
                Some(practice.as_str()).filter(|p| !p.is_empty()),
                &option,
            )
        })
        .await;
    let vote = match prepared {
        Ok(vote) => vote,
        Err(AppError::Invalid(errors)) => {
            let message = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(". ");
            return refused(
                &ui,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Your vote was not recorded",
                message,
                id,
            );
        }
        Err(e) => return refusal(&ui, e, id),
    };
    let secret = vote.secret;
    match ui.state().votes.submit(vote).await {
        Ok(receipt) => receipt_page(&ui, receipt, secret),
        Err(e) => refusal(&ui, e, id),
    }
}

fn receipt_page(ui: &Ui, receipt: Receipt, secret: bool) -> AppResult<HttpResponse> {
    ui.page(
        "ballots/receipt",
        "Vote recorded",
        &ReceiptView {
            title: receipt.ballot_title,
            practice: receipt.practice_name,
            code: receipt.code,
            option: (!secret).then_some(receipt.option_label),
            cast_at: crate::time::date_time(receipt.cast_at),
            ballot_href: format!("/ballots/{}", receipt.ballot_id),
            changed: receipt.changed,
        },
    )
}

pub async fn vote_form(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    query: web::Query<VoteForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let credential = Credential::SignedIn((*user.0).clone());
    choose(ui, Some(user), credential, Some(id), query.into_inner(), Vec::new()).await
}

pub async fn vote_confirm(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let credential = Credential::SignedIn((*user.0).clone());
    confirm(ui, Some(user), credential, Some(id), form.0).await
}

pub async fn vote(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let credential = Credential::SignedIn((*user.0).clone());
    cast(ui, credential, Some(id), form.0).await
}

pub async fn link_form(ui: Ui, _user: MaybeUser, token: web::Path<String>) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    choose(ui, None, credential, None, VoteForm::default(), Vec::new()).await
}

pub async fn link_confirm(ui: Ui, token: web::Path<String>, form: CsrfForm<VoteForm>) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    confirm(ui, None, credential, None, form.0).await
}

pub async fn link_vote(ui: Ui, token: web::Path<String>, form: CsrfForm<VoteForm>) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    cast(ui, credential, None, form.0).await
}

// ---- Results ----------------------------------------------------------------

#[derive(Serialize)]
struct TallyRow {
    label: String,
    practices: u64,
    weight: u64,
    share: String,
}

#[derive(Serialize)]
struct CountView {
    name: String,
    sentence: String,
    rows: Vec<TallyRow>,
    turnout_practices: u64,
    turnout_weight: u64,
    electorate_practices: u64,
    electorate_weight: u64,
    turnout_share: String,
    chart: String,
}

#[derive(Serialize)]
struct ResultsPage {
    id: i32,
    title: String,
    organisation: String,
    outcome: String,
    carried: bool,
    counted_at: String,
    weighted: bool,
    overall: CountView,
    constituencies: Vec<CountView>,
    voters: Option<Vec<KeyValue>>,
    recorded: Option<Vec<RecordedRow>>,
}

#[derive(Serialize)]
struct RecordedRow {
    practice: String,
    option: String,
}

fn count_view(loaded: &Loaded, name: &str, chart_id: &str, count: &count_rules::Count) -> CountView {
    let weighted = loaded.rules.weighting != "per_practice";
    let cast = count.tally.turnout();
    let rows: Vec<TallyRow> = count
        .tally
        .options
        .iter()
        .map(|(key, votes)| TallyRow {
            label: loaded.option_label(key),
            practices: votes.practices,
            weight: votes.weight,
            share: percent(votes.weight, cast.weight),
        })
        .collect();
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: r.label.clone(),
            value: r.weight,
            caption: if weighted {
                format!("{} votes ({} practices)", r.weight, r.practices)
            } else {
                format!("{} practices", r.practices)
            },
        })
        .collect();
    CountView {
        name: name.to_owned(),
        sentence: super::words::count_sentence(loaded, count),
        chart: bar_chart(chart_id, &format!("Votes for each option: {name}"), &bars),
        rows,
        turnout_practices: cast.practices,
        turnout_weight: cast.weight,
        electorate_practices: count.electorate.practices,
        electorate_weight: count.electorate.weight,
        turnout_share: percent(cast.practices, count.electorate.practices),
    }
}

pub async fn results(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let results = match ui.state().run(move |pool| service::results(pool, &grants, id)).await {
        Ok(results) => results,
        Err(AppError::Conflict(why)) => {
            return refused(&ui, StatusCode::CONFLICT, "There is no result yet", why, Some(id));
        }
        Err(other) => return Err(other),
    };
    let loaded = &results.loaded;
    let page = ResultsPage {
        id,
        title: loaded.ballot.title.clone(),
        organisation: loaded.organisation.name.clone(),
        outcome: super::words::outcome_sentence(loaded, &results.result),
        carried: matches!(
            results.result.outcome,
            count_rules::Outcome::Carried | count_rules::Outcome::Won { .. }
        ),
        counted_at: loaded.ballot.counted_at.map(crate::time::date_time).unwrap_or_default(),
        weighted: loaded.rules.weighting != "per_practice",
        overall: count_view(loaded, "Overall", "overall", &results.result.overall),
        constituencies: results
            .result
            .constituencies
            .iter()
            .enumerate()
            .map(|(i, (name, count))| count_view(loaded, name, &format!("constituency-{}", i + 1), count))
            .collect(),
        voters: results.voters.as_ref().map(|voters| {
            voters
                .iter()
                .map(|(code, name, _)| KeyValue {
                    key: code.clone(),
                    value: name.clone(),
                })
                .collect()
        }),
        recorded: results.recorded.as_ref().map(|votes| {
            votes
                .iter()
                .map(|(code, name, option, _)| RecordedRow {
                    practice: format!("{name} ({code})"),
                    option: loaded.option_label(option),
                })
                .collect()
        }),
    };
    ui.page("ballots/results", "Result", &page)
}

pub async fn results_csv(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let csv = ui
        .state()
        .run(move |pool| {
            let results = service::results(pool, &grants, id)?;
            service::results_csv(&results)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"ballot-{id}-result.csv\""),
        ))
        .body(csv))
}
