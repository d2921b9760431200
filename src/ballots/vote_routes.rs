//! Voting pages: choose, check, cast, receipt — signed in or with the link.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::casting::{self, Credential, Receipt};
use super::model::{BallotState, Secrecy};
use super::routes::{OptionView, ballot_id, refused};
use super::service;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VoteForm {
    option: String,
    practice: String,
    /// A verifiable ballot: the nonce the paper shown for checking was
    /// encrypted from (hex), so that casting or checking it makes the same paper.
    nonce: String,
    /// An election's number boxes, `rank_<candidate key>` (and any other field).
    #[serde(flatten)]
    other: std::collections::BTreeMap<String, String>,
}

const RANK_PREFIX: &str = "rank_";

impl VoteForm {
    fn seed(&self, ui: &Ui) -> Option<[u8; 32]> {
        let bytes: [u8; 32] = hex::decode(self.nonce.trim()).ok()?.try_into().ok()?;
        Some(ui.state().outbox.paper_seed(&bytes))
    }

    /// What was typed in an election's number boxes, by candidate key.
    fn boxes(&self) -> Vec<(String, String)> {
        self.other
            .iter()
            .filter_map(|(name, typed)| Some((name.strip_prefix(RANK_PREFIX)?.to_owned(), typed.clone())))
            .collect()
    }

    fn choice(&self, ui: &Ui) -> casting::Choice {
        let boxes = self.boxes();
        if self.option.is_empty() && !boxes.is_empty() {
            return casting::Choice::Boxes(boxes);
        }
        match self.seed(ui) {
            Some(seed) => casting::Choice::Seeded {
                option: self.option.clone(),
                seed,
            },
            None => casting::Choice::Option(self.option.clone()),
        }
    }
}

fn new_nonce() -> String {
    let mut nonce = [0u8; 32];
    getrandom::fill(&mut nonce).expect("the operating system's random number source failed");
    hex::encode(nonce)
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
    papers: Vec<String>,
    /// A constitution amendment's word difference, to read before choosing.
    diff: Vec<super::diff::Piece>,
    /// An election: a number box per candidate, and the seats to fill.
    ranked: Vec<RankBox>,
    seats: u32,
}

#[derive(Serialize)]
struct RankBox {
    id: String,
    name: String,
    label: String,
    description: String,
    value: String,
    error: Option<String>,
}

/// The number boxes of an election's paper, filled in as the voter left
/// them (or from the ranking they are changing), each with its error.
fn rank_boxes(loaded: &service::Loaded, form: &VoteForm, errors: &[FieldError]) -> Vec<RankBox> {
    let typed = form.boxes();
    let from_ranking = super::election::ranking::decode(&form.option, &loaded.option_keys()).unwrap_or_default();
    loaded
        .options
        .iter()
        .enumerate()
        .map(|(c, o)| {
            let id = format!("rank-{}", o.option_key);
            let value = match typed.iter().find(|(key, _)| *key == o.option_key) {
                Some((_, text)) => text.clone(),
                None => from_ranking
                    .iter()
                    .position(|&r| r == c)
                    .map(|place| (place + 1).to_string())
                    .unwrap_or_default(),
            };
            RankBox {
                error: errors.iter().find(|e| e.field == id).map(|e| e.message.clone()),
                name: format!("{RANK_PREFIX}{}", o.option_key),
                id,
                label: o.label.clone(),
                description: o.description.clone(),
                value,
            }
        })
        .collect()
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
    /// A verifiable ballot: the tracker of the encrypted paper about to be
    /// cast, the nonce it comes from, and where to open it for a check.
    tracker: Option<String>,
    nonce: String,
    check_action: String,
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

/// The ballot's page for this voter: inside the link for its holder.
fn ballot_href(credential: &Credential, ballot: i32) -> String {
    match credential {
        Credential::Link(token) => format!("/vote/{token}/papers"),
        _ => format!("/ballots/{ballot}"),
    }
}

/// Where a refusal sends the voter back to: inside the link for its holder
/// (a page that needs no account), the ballot's page otherwise.
fn back_to(credential: &Credential, ballot: Option<i32>) -> Option<String> {
    match credential {
        Credential::Link(token) => Some(format!("/vote/{token}/papers")),
        _ => ballot.map(|b| format!("/ballots/{b}")),
    }
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
            // And the practices whose proxy they hold (through one of
            // theirs, or as the chair) and accepted.
            let loaded = super::service::load(&mut conn, id)?;
            let proxied: Vec<i32> = super::proxy::service::held_by(&mut conn, &grants, &loaded, &represented)?
                .into_iter()
                .filter(|a| a.accepted_at.is_some())
                .map(|a| a.practice_id)
                .collect();
            Ok(super::store::electorate_with_practices(&mut conn, id)?
                .into_iter()
                .filter(|(e, _, _)| represented.contains(&e.practice_id) || proxied.contains(&e.practice_id))
                .map(|(e, code, name)| {
                    let by_proxy = if proxied.contains(&e.practice_id) {
                        ", as its proxy"
                    } else {
                        ""
                    };
                    let label = format!("{name} ({code}){by_proxy}");
                    (code, label)
                })
                .collect())
        })
        .await?;
    let refs: Vec<(&str, &str)> = codes.iter().map(|(c, l)| (c.as_str(), l.as_str())).collect();
    Ok(choices("practice", &refs, current))
}

/// Turns a refusal into the page that explains it; other errors pass. A
/// practice that already voted is shown its recorded vote and receipt.
async fn refusal(
    ui: &Ui,
    error: AppError,
    credential: &Credential,
    ballot: Option<i32>,
    practice: &str,
) -> AppResult<HttpResponse> {
    if matches!(error, AppError::Conflict(_)) {
        if let Some(page) = super::recorded_routes::voted_page(ui, credential, ballot, practice).await? {
            return Ok(page);
        }
    }
    match error {
        AppError::Conflict(why) => refused(
            ui,
            StatusCode::CONFLICT,
            "Your practice has already voted",
            why,
            back_to(credential, ballot),
        ),
        AppError::Forbidden(why) => refused(
            ui,
            StatusCode::FORBIDDEN,
            "You cannot vote in this ballot now",
            why,
            back_to(credential, ballot),
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
        (Err(e), _) => return refusal(&ui, e, &credential, id, &form.practice).await,
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
            back_to(&credential, Some(loaded.ballot.id)),
        );
    }
    let may_change = loaded.rules.votes_may_change();
    if let Some(r) = &resolved {
        if r.already_voted && !may_change {
            return refusal(
                &ui,
                casting::already_voted(false),
                &credential,
                Some(loaded.ballot.id),
                &form.practice,
            )
            .await;
        }
    }
    let (confirm_action, _) = vote_paths(&credential, loaded.ballot.id);
    let statements = if loaded.kind.is_election() {
        let id = loaded.ballot.id;
        ui.state()
            .run(move |pool| {
                let mut conn = pool.get()?;
                super::election::service::statements(&mut conn, id)
            })
            .await?
    } else {
        Default::default()
    };
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
        ranked: if loaded.kind.is_election() {
            rank_boxes(&loaded, &form, &errors)
        } else {
            Vec::new()
        },
        seats: loaded.rules.seats.unwrap_or(0),
        descriptions: loaded
            .options
            .iter()
            .filter(|o| {
                (!o.description.is_empty() && !loaded.kind.is_election()) || statements.contains_key(&o.option_key)
            })
            .map(|o| OptionView {
                label: o.label.clone(),
                description: o.description.clone(),
                statement: statements
                    .get(&o.option_key)
                    .map(|s| super::routes::paragraphs(s))
                    .unwrap_or_default(),
            })
            .collect(),
        confirm_action,
        ballot_href: ballot_href(&credential, loaded.ballot.id),
        secret: loaded.rules.secrecy() == Secrecy::Secret,
        papers: super::routes::paragraphs(&loaded.ballot.papers),
        diff: if loaded.kind == super::model::BallotKind::ConstitutionAmendment {
            super::diff::word_diff(&loaded.ballot.current_text, &loaded.ballot.proposed_text)
        } else {
            Vec::new()
        },
    };
    let title = format!("Vote: {}", loaded.ballot.title);
    ui.form_page("ballots/vote", &title, errors, &page)
}

async fn confirm(
    ui: Ui,
    user: Option<CurrentUser>,
    credential: Credential,
    id: Option<i32>,
    form: VoteForm,
) -> AppResult<HttpResponse> {
    let mut form = form;
    form.nonce = new_nonce();
    match prepare(&ui, &credential, id, &form).await {
        Ok(vote) => {
            let (_, cast_action) = vote_paths(&credential, vote.ballot_id);
            let check_action = match &credential {
                Credential::Link(token) => format!("/vote/{token}/check"),
                _ => format!("/ballots/{}/vote/check", vote.ballot_id),
            };
            // "Change your choice" comes back with the choice made.
            let option = vote.option_key.replace('>', "%3E");
            let back_href = match &credential {
                Credential::Link(token) => format!("/vote/{token}?option={option}"),
                _ => format!(
                    "/ballots/{}/vote?option={option}&practice={}",
                    vote.ballot_id, vote.practice_code
                ),
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
                    tracker: vote
                        .encrypted
                        .as_ref()
                        .map(|e| super::verifiable::model::tracker_words(&e.tracker)),
                    nonce: if vote.encrypted.is_some() {
                        form.nonce.clone()
                    } else {
                        String::new()
                    },
                    check_action,
                },
            )
        }
        Err(AppError::Invalid(errors)) => choose(ui, user, credential, id, form, errors).await,
        Err(e) => refusal(&ui, e, &credential, id, &form.practice).await,
    }
}

/// Checks the vote the form describes (see `casting::prepare`).
async fn prepare(
    ui: &Ui,
    credential: &Credential,
    id: Option<i32>,
    form: &VoteForm,
) -> AppResult<casting::PreparedVote> {
    let (credential, practice, choice) = (credential.clone(), form.practice.clone(), form.choice(ui));
    ui.state()
        .run(move |pool| {
            let practice = Some(practice.as_str()).filter(|p| !p.is_empty());
            casting::prepare_choice(pool, &credential, id, practice, choice)
        })
        .await
}

async fn cast(ui: Ui, credential: Credential, id: Option<i32>, form: VoteForm) -> AppResult<HttpResponse> {
    let vote = match prepare(&ui, &credential, id, &form).await {
        Ok(vote) => vote,
        Err(AppError::Invalid(errors)) => {
            let message = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(". ");
            return refused(
                &ui,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Your vote was not recorded",
                message,
                back_to(&credential, id),
            );
        }
        Err(e) => return refusal(&ui, e, &credential, id, &form.practice).await,
    };
    let secret = vote.secret;
    let back = ballot_href(&credential, vote.ballot_id);
    match ui.state().votes.submit(vote).await {
        Ok(receipt) => receipt_page(&ui, receipt, secret, back),
        Err(e) => refusal(&ui, e, &credential, id, &form.practice).await,
    }
}

fn receipt_page(ui: &Ui, receipt: Receipt, secret: bool, ballot_href: String) -> AppResult<HttpResponse> {
    ui.page(
        "ballots/receipt",
        "Vote recorded",
        &ReceiptView {
            title: receipt.ballot_title,
            practice: receipt.practice_name,
            code: receipt.code,
            option: (!secret).then_some(receipt.option_label),
            cast_at: crate::time::date_time(receipt.cast_at),
            ballot_href,
            changed: receipt.changed,
        },
    )
}

#[derive(Serialize)]
struct OpenedView {
    title: String,
    practice: String,
    option_label: String,
    tracker: String,
    file: String,
    back_href: String,
}

/// A verifiable ballot's paper opened for a cast-as-intended check: the
/// paper and its randomness are shown, and it is marked so it can never be
/// cast; the voter then casts a fresh one.
async fn check(ui: Ui, credential: Credential, id: Option<i32>, form: VoteForm) -> AppResult<HttpResponse> {
    // Who may vote is settled first: nobody else learns anything of the form.
    let vote = match prepare(&ui, &credential, id, &form).await {
        Ok(vote) => vote,
        Err(e) => return refusal(&ui, e, &credential, id, &form.practice).await,
    };
    let Some(seed) = form.seed(&ui) else {
        return refused(
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is no paper to check",
            "Choose your vote again: the check page shows a paper you can open.".into(),
            back_to(&credential, id),
        );
    };
    let Some(encrypted) = vote.encrypted.clone() else {
        return Err(AppError::NotFound);
    };
    let (option, practice_code) = (vote.option_key.clone(), vote.practice_code.clone());
    let opened = ui
        .state()
        .run(move |pool| super::verifiable::casting::spoil(pool, &vote, &encrypted, &option, seed))
        .await?;
    let back_href = match &credential {
        Credential::Link(token) => format!("/vote/{token}"),
        _ => format!("/ballots/{}/vote", opened.ballot),
    };
    let label = form.option.clone();
    let file = serde_json::to_string_pretty(&opened).map_err(|e| AppError::Internal(e.to_string()))?;
    ui.page(
        "ballots/opened",
        "Your paper was opened",
        &OpenedView {
            title: opened.election.as_ref().map(|_| String::new()).unwrap_or_default(),
            practice: practice_code,
            option_label: label,
            tracker: super::verifiable::model::tracker_words(&opened.tracker),
            file,
            back_href,
        },
    )
}

pub async fn vote_check(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let credential = Credential::SignedIn((*user.0).clone());
    check(ui, credential, Some(id), form.0).await
}

pub async fn link_check(ui: Ui, token: web::Path<String>, form: CsrfForm<VoteForm>) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    check(ui, credential, None, form.0).await
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

pub async fn link_form(
    ui: Ui,
    _user: MaybeUser,
    token: web::Path<String>,
    query: web::Query<VoteForm>,
) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    choose(ui, None, credential, None, query.into_inner(), Vec::new()).await
}

pub async fn link_confirm(ui: Ui, token: web::Path<String>, form: CsrfForm<VoteForm>) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    confirm(ui, None, credential, None, form.0).await
}

pub async fn link_vote(ui: Ui, token: web::Path<String>, form: CsrfForm<VoteForm>) -> AppResult<HttpResponse> {
    let credential = Credential::Link(token.into_inner());
    cast(ui, credential, None, form.0).await
}
