//! Ballot pages: the list, drafting, the ballot's own page with its
//! actions, the electorate, voting (signed in or by link), the result.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::casting::{self, Credential};
use super::diff::{Piece, word_diff};
use super::model::{BallotKind, BallotState, MotionKind, percent};
use super::service::{self, Loaded};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::page::Ui;
use crate::web::render::Flash;

pub(crate) fn ballot_id(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize)]
pub(super) struct KeyValue {
    pub key: String,
    pub value: String,
}

pub(super) fn key_values(rows: Vec<(&'static str, String)>) -> Vec<KeyValue> {
    rows.into_iter()
        .map(|(key, value)| KeyValue {
            key: key.to_owned(),
            value,
        })
        .collect()
}

/// Whether the privacy report is worth showing: some weighting differs.
fn loaded_is_weighted(remedies: &[(String, usize)]) -> bool {
    remedies.iter().any(|(_, n)| *n > 0)
}

pub(super) fn paragraphs(text: &str) -> Vec<String> {
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
                state_label: b.state_tag().0,
                state_colour: b.state_tag().1,
                id: b.id,
                title: b.title,
                kind: b.kind.label(),
                opens: crate::time::date_time(b.opens_at),
                closes: crate::time::date_time(b.closes_at),
            })
            .collect(),
    };
    ui.page("ballots/list", "Ballots", &page)
}

// ---- The ballot's page ------------------------------------------------------

#[derive(Serialize)]
pub(super) struct OptionView {
    pub label: String,
    pub description: String,
    /// An election's candidate: the statement, in paragraphs.
    pub statement: Vec<String>,
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
    /// Where the vote button goes: the ballot's voting page or the link.
    href: String,
    practice: String,
    can_vote: bool,
    message: String,
}

#[derive(Serialize)]
struct DeadlineView {
    words: String,
    warnings: Vec<String>,
    plan_href: Option<String>,
}

#[derive(Serialize)]
struct BallotPage {
    deadline: Option<DeadlineView>,
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
    options_heading: &'static str,
    /// An election's nominations page, once nominations were called.
    nominations: Option<String>,
    /// The proxy page, for a signed-in voter in a ballot that takes proxies.
    proxy_href: Option<String>,
    may_call_nominations: bool,
    opens: String,
    closes: String,
    extension: Option<KeyValue>,
    /// When voting closed before its published time, and why.
    closed_early: Option<KeyValue>,
    published: Option<String>,
    cancelled: Option<String>,
    /// Voting suspended now: why and since when.
    suspended: Option<String>,
    /// Earlier suspensions, in words.
    suspensions: Vec<String>,
    /// Declared void, or a re-run of a void ballot: the record and the link
    /// to the other ballot.
    void: Option<LinkedBallot>,
    rerun_of: Option<LinkedBallot>,
    rules: Vec<KeyValue>,
    runs: bool,
    oversees: bool,
    progress: Option<ProgressView>,
    may_edit: bool,
    may_publish: bool,
    may_extend: bool,
    may_close: bool,
    may_cancel: bool,
    may_suspend: bool,
    may_resume: bool,
    may_void: bool,
    counted: bool,
    voting: Option<VotingView>,
    /// Links to the consultations this ballot follows (inside the voting link for its holder).
    consultations: Vec<KeyValue>,
    /// Shown to the holder of a voting link: nothing that needs an account.
    link: bool,
    /// The constitution settings in force at publication, frozen with it.
    constitution: Vec<KeyValue>,
    verifiable: bool,
    /// The trustees' page, for those who run or observe the ballot.
    trustees_href: Option<String>,
    /// Whether the totals could show how a practice voted, for those who
    /// run or observe a secret ballot.
    privacy: Option<PrivacyView>,
}

#[derive(Serialize)]
struct LinkedBallot {
    words: String,
    href: Option<String>,
}

#[derive(Serialize)]
struct PrivacyView {
    at_risk: usize,
    practices: usize,
    explanation: String,
    groups: Vec<KeyValue>,
    remedies: Vec<KeyValue>,
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
    let credential = Credential::SignedIn((*user.0).clone());
    let page = ballot_page(&ui, loaded, access, credential).await?;
    ui.page("ballots/show", &page.title.clone(), &page)
}

/// `GET /vote/{token}/papers`: everything a voter with the emailed link
/// needs to decide, read-only, without an account.
pub async fn link_papers(ui: Ui, token: web::Path<String>) -> AppResult<HttpResponse> {
    let raw = token.into_inner();
    let lookup = raw.clone();
    let reader = ui.state().run(move |pool| service::link_reader(pool, &lookup)).await?;
    let grants = reader.grants.clone();
    let id = reader.ballot_id;
    let (loaded, access) = ui
        .state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            service::visible(&mut conn, &grants, id)
        })
        .await?;
    let page = ballot_page(&ui, loaded, access, Credential::Link(raw)).await?;
    ui.page("ballots/show", &page.title.clone(), &page)
}

/// The ballot's page for whoever `credential` is: a signed-in user, or the
/// holder of a voting link (then every link stays inside the link).
async fn ballot_page(
    ui: &Ui,
    loaded: Loaded,
    access: service::Access,
    credential: Credential,
) -> AppResult<BallotPage> {
    let id = loaded.ballot.id;
    let link_base = match &credential {
        Credential::Link(token) => Some(format!("/vote/{token}")),
        _ => None,
    };
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
    let vote_href = link_base.clone().unwrap_or_else(|| format!("/ballots/{id}/vote"));
    let voting = if matches!(loaded.state, BallotState::Published | BallotState::Open) {
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
                let may_change = resolved.loaded.rules.votes_may_change();
                // A proxy's only practice here is the one it votes for.
                let whose = if resolved.proxy.is_some() {
                    format!("{}, whose proxy you hold,", resolved.practice.name)
                } else {
                    "Your practice".to_owned()
                };
                Some(match (problem, resolved.already_voted) {
                    (Some(problem), _) => VotingView {
                        href: vote_href.clone(),
                        practice: resolved.practice.name,
                        can_vote: false,
                        message: problem,
                    },
                    (None, true) if !may_change => VotingView {
                        href: vote_href.clone(),
                        practice: resolved.practice.name,
                        can_vote: false,
                        message: format!("{whose} has voted."),
                    },
                    (None, voted) => VotingView {
                        href: vote_href.clone(),
                        practice: resolved.practice.name,
                        can_vote: true,
                        message: if voted {
                            format!("{whose} has voted. You can change its vote until the close.")
                        } else {
                            format!("{whose} has not voted yet.")
                        },
                    },
                })
            }
            // Several practices: the voting page asks which.
            Err(AppError::Invalid(_)) => Some(VotingView {
                href: vote_href.clone(),
                practice: "your practices".into(),
                can_vote: true,
                message: "You represent more than one practice in this ballot.".into(),
            }),
            Err(_) => None,
        }
    } else {
        None
    };
    let consultations = ui
        .state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            Ok(crate::consult::store::leading_to(&mut conn, id)?)
        })
        .await?
        .into_iter()
        .filter(|c| c.state != "draft")
        .map(|c| KeyValue {
            key: format!("{}/consultations/{}", link_base.as_deref().unwrap_or(""), c.id),
            value: c.title,
        })
        .collect();
    let (nominations, statements, ready) = if loaded.kind.is_election() {
        let election = loaded.clone();
        ui.state()
            .run(move |pool| {
                let mut conn = pool.get()?;
                Ok((
                    super::election::service::has_call(&mut conn, id)?,
                    super::election::service::statements(&mut conn, id)?,
                    election.state != BallotState::Draft || service::ready_for_poll(&mut conn, &election)?,
                ))
            })
            .await?
    } else {
        (false, Default::default(), true)
    };
    let b = &loaded.ballot;
    let constitution = service::frozen_constitution(&loaded)
        .map(|settings| key_values(settings.describe()))
        .unwrap_or_default();
    let deadline = match loaded.deadline_words() {
        Some(words) => {
            let warnings = if access.oversees() && link_base.is_none() {
                let loaded = loaded.clone();
                ui.state()
                    .run(move |pool| service::deadline_warnings(pool, &loaded))
                    .await?
            } else {
                Vec::new()
            };
            Some(DeadlineView {
                words,
                warnings: warnings.into_iter().map(|w| w.message).collect(),
                plan_href: (access.runs && link_base.is_none()).then(|| {
                    format!(
                        "/organisations/{}/planner?deadline={}",
                        loaded.organisation.ods_code,
                        loaded.rules.deadline.map(|d| d.to_string()).unwrap_or_default()
                    )
                }),
            })
        }
        None => None,
    };
    let verifiable = loaded.rules.is_verifiable();
    let privacy = if access.oversees() && link_base.is_none() {
        let loaded = loaded.clone();
        ui.state()
            .run(move |pool| service::weight_privacy(pool, &loaded))
            .await?
            .filter(|r| r.at_risk > 0 || loaded_is_weighted(&r.remedies))
            .map(|r| PrivacyView {
                at_risk: r.at_risk,
                practices: r.practices,
                explanation: r.explanation,
                groups: r
                    .groups
                    .into_iter()
                    .map(|(name, at_risk, n)| KeyValue {
                        key: name,
                        value: format!("{at_risk} of {n} at risk"),
                    })
                    .collect(),
                remedies: r
                    .remedies
                    .into_iter()
                    .map(|(label, n)| KeyValue {
                        key: label,
                        value: crate::format::plural(n, "practice at risk", "practices at risk"),
                    })
                    .collect(),
            })
    } else {
        None
    };
    let page = BallotPage {
        deadline,
        privacy,
        verifiable,
        trustees_href: (verifiable && access.oversees() && link_base.is_none())
            .then(|| format!("/ballots/{id}/trustees")),
        constitution,
        link: link_base.is_some(),
        consultations,
        id,
        title: b.title.clone(),
        kind_label: loaded.kind.label(),
        state_label: if loaded.suspension().is_some() {
            "Voting suspended"
        } else {
            loaded.state.label()
        },
        state_colour: if loaded.suspension().is_some() {
            "yellow"
        } else {
            loaded.state.tag_colour()
        },
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
        options_heading: loaded.kind.options_heading(),
        options: loaded
            .options
            .iter()
            .map(|o| OptionView {
                label: o.label.clone(),
                description: o.description.clone(),
                statement: statements.get(&o.option_key).map(|s| paragraphs(s)).unwrap_or_default(),
            })
            .collect(),
        nominations: nominations.then(|| format!("/ballots/{id}/nominations")),
        proxy_href: (loaded.rules.proxy_limit.is_some() && link_base.is_none()).then(|| format!("/ballots/{id}/proxy")),
        may_call_nominations: access.runs
            && loaded.kind.is_election()
            && loaded.state == BallotState::Draft
            && !nominations,
        opens: crate::time::date_time(b.opens_at),
        closes: crate::time::date_time(b.closes_at),
        extension: b.original_closes_at.map(|original| KeyValue {
            key: crate::time::date_time(original),
            value: b.extension_reason.clone().unwrap_or_default(),
        }),
        closed_early: b.close_reason.as_ref().zip(b.closed_at).map(|(reason, at)| KeyValue {
            key: format!(
                "at {}, {} before the published close",
                crate::time::date_time(at),
                crate::format::duration_words(b.closes_at - at)
            ),
            value: reason.clone(),
        }),
        published: b.published_at.map(crate::time::date_time),
        cancelled: b.cancel_reason.clone(),
        suspended: loaded.suspension().map(|s| s.in_words()),
        suspensions: loaded
            .interruptions
            .suspensions
            .iter()
            .filter(|s| !s.is_active())
            .map(|s| s.in_words())
            .collect(),
        void: loaded.interruptions.void.as_ref().map(|v| LinkedBallot {
            words: format!("{}.", v.in_words()),
            href: v.rerun_ballot_id.map(|r| format!("/ballots/{r}")),
        }),
        rerun_of: loaded.interruptions.rerun_of.as_ref().map(|v| LinkedBallot {
            words: format!("{}.", v.in_words()),
            href: Some(format!("/ballots/{}", v.ballot_id)),
        }),
        may_suspend: access.runs
            && loaded.state == BallotState::Open
            && loaded.suspension().is_none()
            && chrono::Utc::now().naive_utc() < b.closes_at,
        may_resume: access.runs && loaded.suspension().is_some(),
        may_void: access.runs && (loaded.suspension().is_some() || loaded.state == BallotState::Closed),
        rules: key_values(loaded.rules.describe(loaded.kind)),
        runs: access.runs,
        oversees: access.oversees(),
        progress,
        may_edit: access.runs && loaded.state == BallotState::Draft,
        // Offered only when publication would be taken: an election needs
        // its candidates (with nominations, the list out and withdrawals
        // closed) and more of them than seats.
        may_publish: access.runs && loaded.state == BallotState::Draft && ready,
        may_extend: access.runs
            && matches!(loaded.state, BallotState::Published | BallotState::Open)
            && b.original_closes_at.is_none()
            && loaded.suspension().is_none(),
        may_close: access.runs
            && loaded.state == BallotState::Open
            && loaded.rules.allow_early_close
            && loaded.suspension().is_none(),
        may_cancel: access.runs
            && !matches!(
                loaded.state,
                BallotState::Counted | BallotState::Cancelled | BallotState::Void
            ),
        counted: loaded.state == BallotState::Counted,
        voting,
    };
    Ok(page)
}

#[derive(Serialize)]
struct ProblemPage {
    heading: String,
    ballot: i32,
    problems: Vec<FieldError>,
}

pub(super) fn problem_page(
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
    ui.form_page(template, title, errors, &page)
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
    /// Those who run it may send a practice that has not voted a new link.
    may_reissue: bool,
    /// A ballot that takes proxy votes: its instruments, in words.
    proxies: Option<Vec<String>>,
}

pub async fn electorate(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let (loaded, electors) = ui
        .state()
        .run(move |pool| service::electorate(pool, &grants, id))
        .await?;
    let open = matches!(loaded.state, BallotState::Published | BallotState::Open);
    let proxies = if loaded.rules.proxy_limit.is_some() {
        let for_words = loaded.clone();
        Some(
            ui.state()
                .run(move |pool| super::proxy::service::instruments_in_words(pool, &for_words))
                .await?,
        )
    } else {
        None
    };
    let page = ElectoratePage {
        proxies,
        may_reissue: open && user.grants().runs_organisation(loaded.organisation.id),
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

#[derive(Deserialize)]
pub struct ReissueForm {
    #[serde(default)]
    practice: String,
}

/// `POST /ballots/{id}/links`: a new voting link for one practice.
pub async fn reissue_link(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<ReissueForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let practice = form.0.practice;
    let (name, email) = ui
        .state()
        .run(move |pool| service::reissue_link(pool, &outbox, &actor, id, &practice))
        .await?;
    Ok(ui.see_other(
        &format!("/ballots/{id}/electorate"),
        Some(Flash {
            heading: "New voting link sent".into(),
            body: Some(format!(
                "It goes to {name} ({email}). The practice's earlier links no longer work."
            )),
        }),
    ))
}

pub(super) async fn load_visible(ui: &Ui, user: &CurrentUser, id: i32) -> AppResult<(Loaded, service::Access)> {
    let grants = user.grants();
    ui.state()
        .run(move |pool| {
            let mut conn = pool.get()?;
            service::visible(&mut conn, &grants, id)
        })
        .await
}

#[derive(Serialize)]
struct RefusedView {
    heading: String,
    message: String,
    ballot_href: Option<String>,
}

pub(super) fn refused(
    ui: &Ui,
    status: StatusCode,
    heading: &str,
    message: String,
    ballot_href: Option<String>,
) -> AppResult<HttpResponse> {
    ui.form_errors(
        status,
        "ballots/refused",
        heading,
        Vec::new(),
        &RefusedView {
            heading: heading.to_owned(),
            message,
            ballot_href,
        },
    )
}
