//! Drafting a ballot: the kind, then the form; creating and changing drafts.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{BallotKind, BallotOption, BallotState, MotionKind, RulesInput};
use super::routes::{ballot_id, load_visible};
use super::service::{self, DraftRequest, Loaded};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

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
    /// "7/10": at least that share, instead of `threshold`.
    threshold_custom: String,
    threshold_base: String,
    dual_majority: String,
    choice_rule: String,
    voters: String,
    allow_early_close: String,
    allow_vote_change: String,
    constituencies: String,
    reminder_days: String,
    deadline: String,
    deadline_label: String,
    /// An election's seats and count rule.
    seats: String,
    count_rule: String,
    paper_order: String,
    /// The most proxies one representative may hold; blank for none.
    proxy_limit: String,
    /// An election for one constituency: its name.
    locality: String,
}

/// "Level 1 — greater involvement" → "level_1_greater_involvement".
pub(super) fn option_key(label: &str, taken: &[String]) -> String {
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
        self.seats = rules.seats.map(|n| n.to_string()).unwrap_or_default();
        self.count_rule = rules.count_rule.clone().unwrap_or_default();
        self.paper_order = rules.paper_order.clone().unwrap_or_default();
        self.proxy_limit = rules.proxy_limit.map(|n| n.to_string()).unwrap_or_default();
        self.locality = rules.locality.clone().unwrap_or_default();
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
        let options = loaded.ballot_options();
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
            deadline: loaded.rules.deadline.map(|d| d.to_string()).unwrap_or_default(),
            deadline_label: loaded.rules.deadline_label.clone().unwrap_or_default(),
            ..Default::default()
        };
        form.set_rules(&loaded.rules);
        form
    }

    fn request(&self) -> DraftRequest {
        let mut errors = Vec::new();
        // Each message says which of the two times it is about.
        let time = crate::web::form::london_time;
        let opens_at = time(
            "opens-at",
            "When voting opens",
            &self.opens_date,
            &self.opens_time,
            &mut errors,
        );
        let closes_at = time(
            "closes-at",
            "When voting closes",
            &self.closes_date,
            &self.closes_time,
            &mut errors,
        );
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
        let election = kind.is_some_and(BallotKind::is_election);
        let proxy_limit = if self.proxy_limit.trim().is_empty() {
            Some(0)
        } else {
            number(
                "proxy-limit",
                &self.proxy_limit,
                "Enter the most proxies one representative may hold as a whole number, like 2, or leave it blank",
                &mut errors,
            )
        };
        let seats = if election {
            number(
                "seats",
                &self.seats,
                "Enter the number of seats to fill as a whole number, like 2",
                &mut errors,
            )
        } else {
            None
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
        let list_size_date = crate::web::form::optional_date(
            "list-size-date",
            &self.list_size_date,
            "Enter a real date, like 2026-10-01",
            &mut errors,
        );
        let deadline = crate::web::form::optional_date(
            "deadline",
            &self.deadline,
            "Enter the deadline as a real date",
            &mut errors,
        );
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
        let threshold = match self.threshold_custom.trim() {
            "" => self.threshold.clone(),
            custom => match crate::registry::constitution::Threshold::fraction(custom, false) {
                Some(t) => t.stored(),
                None => {
                    errors.push(FieldError::new(
                        "threshold-custom",
                        "Enter the share as a fraction of whole numbers, like 7/10",
                    ));
                    self.threshold.clone()
                }
            },
        };
        let rules = RulesInput {
            secrecy: Some(self.secrecy.clone()),
            weighting: Some(self.weighting.clone()),
            patients_per_vote,
            list_size_date,
            quorum_basis: Some(self.quorum_basis.clone()),
            quorum_percent,
            threshold: Some(threshold),
            threshold_base: Some(self.threshold_base.clone()),
            dual_majority: Some(self.dual_majority == "yes"),
            choice_rule: Some(self.choice_rule.clone()),
            voters: Some(self.voters.clone()),
            allow_early_close: Some(self.allow_early_close == "yes"),
            allow_vote_change: Some(self.allow_vote_change == "yes"),
            constituencies: Some(constituencies),
            reminder_days: Some(reminder_days),
            // Set with the trustees, on their page.
            trustee_threshold: None,
            seats,
            count_rule: election.then(|| self.count_rule.clone()),
            paper_order: election.then(|| self.paper_order.clone()),
            proxy_limit,
            locality: election.then(|| self.locality.clone()),
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
            deadline,
            deadline_label: self.deadline_label.clone(),
            edge_errors: errors,
            candidates_from_nominations: false,
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
    is_election: bool,
    count_rules: Vec<Choice>,
    paper_orders: Vec<Choice>,
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
        is_election: kind.is_election(),
        count_rules: choices(
            "count-rule",
            &[
                ("scottish", crate::ballots::stv::CountRule::Scottish.description()),
                ("meek", crate::ballots::stv::CountRule::Meek.description()),
            ],
            &form.count_rule,
        ),
        paper_orders: choices(
            "paper-order",
            &[
                ("alphabetical", "Alphabetical by surname"),
                ("random", "In an order drawn at random when the ballot is published"),
                ("as_entered", "In the order listed above"),
            ],
            &form.paper_order,
        ),
        motion_kinds: choices("motion-kind", &motion_kinds, &form.motion_kind),
        secrecy: {
            let all: &[(&str, &str)] = &[
                (
                    "verifiable",
                    "Secret and verifiable: each paper is encrypted, only the totals are decrypted — by trustees you name — and anyone can check the count",
                ),
                (
                    "secret",
                    "Plain secret: papers are kept apart from who voted, but the board lists each paper's vote (only one practice one vote, without constituencies)",
                ),
                (
                    "recorded",
                    "Recorded: each practice's vote is shown to the board and the LMC, and to members after the close",
                ),
            ];
            // An election cannot be counted from encrypted totals.
            let offered: Vec<(&str, &str)> = all
                .iter()
                .copied()
                .filter(|(value, _)| !(kind.is_election() && *value == "verifiable"))
                .collect();
            choices("secrecy", &offered, &form.secrecy)
        },
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
