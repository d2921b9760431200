//! Committees' pages: the list of an organisation's committees, a
//! committee's terms of reference and members, and a meeting's page with
//! its agenda, attendance, declarations per item, quorum per item,
//! decisions and minutes. The secretary's forms are on the same pages.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{Action, Attendance, Exclusion, Role};
use super::register::model::{Category, Kind};
use super::service::{self, ItemDeclarationForm, ItemForm, ItemView, MeetingForm, MeetingView, MemberForm, TermsForm};
use crate::accounts::model::Grants;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::CsrfForm;
use crate::web::form::{Choice, choices};
use crate::web::page::Ui;
use crate::web::render::Flash;

fn id_of(text: &str) -> AppResult<i32> {
    text.parse().map_err(|_| AppError::NotFound)
}

fn viewer(user: &MaybeUser) -> (Grants, Option<i32>) {
    match &user.0 {
        Some(u) => (u.grants(), Some(u.id)),
        None => (Grants::default(), None),
    }
}

fn flash(heading: &str) -> Option<Flash> {
    Some(Flash {
        heading: heading.to_owned(),
        body: None,
    })
}

const YES_NO: [(&str, &str); 2] = [("yes", "Yes"), ("no", "No")];

#[derive(Serialize)]
struct CommitteeLine {
    id: i32,
    name: String,
}

#[derive(Serialize)]
struct ListPage {
    code: String,
    organisation: String,
    committees: Vec<CommitteeLine>,
    administers: bool,
}

pub async fn list(ui: Ui, user: MaybeUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let (grants, _) = viewer(&user);
    let code = code.into_inner();
    let (organisation, committees, administers) = ui
        .state()
        .run(move |pool| service::committees(pool, &grants, &code))
        .await?;
    let page = ListPage {
        code: organisation.ods_code,
        organisation: organisation.name,
        committees: committees
            .into_iter()
            .map(|c| CommitteeLine { id: c.id, name: c.name })
            .collect(),
        administers,
    };
    ui.page("committee/list", "Committees", &page)
}

#[derive(Serialize)]
struct TermsPage {
    action: String,
    heading: String,
    organisation: String,
    back: String,
    form: TermsForm,
    shares: Vec<Choice>,
    chair: Vec<Choice>,
    casting_vote: Vec<Choice>,
    withhold_papers: Vec<Choice>,
}

fn terms_page(action: String, heading: &str, organisation: &str, back: String, form: TermsForm) -> TermsPage {
    let shares = [
        ("1/3", "One third"),
        ("1/2", "Half"),
        ("2/3", "Two thirds"),
        ("1/4", "One quarter"),
    ];
    let mut share_pairs: Vec<(&str, &str)> = shares.to_vec();
    if !form.share.is_empty() && !shares.iter().any(|(v, _)| *v == form.share) {
        share_pairs.push((form.share.as_str(), form.share.as_str()));
    }
    TermsPage {
        action,
        heading: heading.to_owned(),
        organisation: organisation.to_owned(),
        back,
        shares: choices("share", &share_pairs, &form.share),
        chair: choices("chair", &YES_NO, &form.chair),
        casting_vote: choices("casting-vote", &YES_NO, &form.casting_vote),
        withhold_papers: choices("withhold-papers", &YES_NO, &form.withhold_papers),
        form,
    }
}

pub async fn new_form(ui: Ui, user: CurrentUser, code: web::Path<String>) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let code = code.into_inner();
    let (organisation, _, administers) = ui
        .state()
        .run(move |pool| service::committees(pool, &grants, &code))
        .await?;
    if !administers {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} set up its committees.",
            organisation.name
        )));
    }
    let form = TermsForm {
        share: "1/3".into(),
        chair: "yes".into(),
        lay: "1".into(),
        executives: "1".into(),
        casting_vote: "yes".into(),
        withhold_papers: "yes".into(),
        ..TermsForm::default()
    };
    let page = terms_page(
        format!("/organisations/{}/committees/new", organisation.ods_code),
        "Set up a committee",
        &organisation.name,
        format!("/organisations/{}/committees", organisation.ods_code),
        form,
    );
    ui.page("committee/terms", "Set up a committee", &page)
}

pub async fn create(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    form: CsrfForm<TermsForm>,
) -> AppResult<HttpResponse> {
    let code = code.into_inner().to_ascii_uppercase();
    let form = form.0;
    let actor = (*user.0).clone();
    let (lookup, sent) = (code.clone(), form.clone());
    match ui
        .state()
        .run(move |pool| service::create_committee(pool, &actor, &lookup, &sent))
        .await
    {
        Ok(id) => Ok(ui.see_other(
            &format!("/committees/{id}"),
            Some(Flash {
                heading: "Committee set up".into(),
                body: Some("Now add its members from the register of interests.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            let grants = user.grants();
            let (organisation, _, _) = ui
                .state()
                .run(move |pool| service::committees(pool, &grants, &code))
                .await?;
            let page = terms_page(
                format!("/organisations/{}/committees/new", organisation.ods_code),
                "Set up a committee",
                &organisation.name,
                format!("/organisations/{}/committees", organisation.ods_code),
                form,
            );
            ui.form_page("committee/terms", "Set up a committee", errors, &page)
        }
        Err(other) => Err(other),
    }
}

pub async fn terms_form(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let grants = user.grants();
    let user_id = user.0.id;
    let view = ui
        .state()
        .run(move |pool| service::committee_view(pool, &grants, Some(user_id), id))
        .await?;
    if !view.access.administers {
        return Err(AppError::Forbidden(
            "Only the committee's secretary changes its terms of reference.".into(),
        ));
    }
    let form = TermsForm::of(&view.committee, &view.terms);
    let page = terms_page(
        format!("/committees/{id}/terms"),
        "Change the terms of reference",
        &view.organisation.name,
        format!("/committees/{id}"),
        form,
    );
    ui.page("committee/terms", "Change the terms of reference", &page)
}

pub async fn update_terms(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<TermsForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let sent = form.clone();
    match ui
        .state()
        .run(move |pool| service::update_terms(pool, &actor, id, &sent))
        .await
    {
        Ok(()) => Ok(ui.see_other(&format!("/committees/{id}"), flash("Terms of reference changed"))),
        Err(AppError::Invalid(errors)) => {
            let grants = user.grants();
            let user_id = user.0.id;
            let view = ui
                .state()
                .run(move |pool| service::committee_view(pool, &grants, Some(user_id), id))
                .await?;
            let page = terms_page(
                format!("/committees/{id}/terms"),
                "Change the terms of reference",
                &view.organisation.name,
                format!("/committees/{id}"),
                form,
            );
            ui.form_page("committee/terms", "Change the terms of reference", errors, &page)
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct MemberLine {
    id: i32,
    name: String,
    role: String,
    voting: bool,
    substitute_for: Option<String>,
}

#[derive(Serialize)]
struct MeetingLine {
    id: i32,
    title: String,
    when: String,
}

#[derive(Serialize)]
struct CommitteePage {
    id: i32,
    name: String,
    organisation: String,
    code: String,
    quorum: String,
    casting_vote: bool,
    withhold_papers: bool,
    problems: Vec<String>,
    members: Vec<MemberLine>,
    meetings: Vec<MeetingLine>,
    administers: bool,
    people: Vec<Choice>,
    roles: Vec<Choice>,
    voting: Vec<Choice>,
    substitutes: Vec<Choice>,
    member_form: MemberForm,
    meeting_form: MeetingForm,
}

async fn committee_page(
    ui: &Ui,
    user: &MaybeUser,
    id: i32,
    member_form: MemberForm,
    meeting_form: MeetingForm,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let (grants, user_id) = viewer(user);
    let view = ui
        .state()
        .run(move |pool| service::committee_view(pool, &grants, user_id, id))
        .await?;
    let name = |id: i32| view.terms.member(id).map(|m| m.name.clone());
    let people: Vec<(String, String)> = view
        .people
        .iter()
        .filter(|p| view.terms.member(p.id).is_none())
        .map(|p| (p.id.to_string(), format!("{}, {}", p.name, p.position)))
        .collect();
    let mut people_pairs: Vec<(&str, &str)> = vec![("", "Choose a person")];
    people_pairs.extend(people.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let roles: Vec<(&str, &str)> = Role::ALL.iter().map(|r| (r.key(), r.words())).collect();
    let voting_members: Vec<(String, String)> = view
        .terms
        .voting_members()
        .map(|m| (m.id.to_string(), format!("{} ({})", m.name, m.role.noun())))
        .collect();
    let mut substitute_pairs: Vec<(&str, &str)> = vec![("", "Nobody")];
    substitute_pairs.extend(voting_members.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let page = CommitteePage {
        id,
        name: view.committee.name.clone(),
        organisation: view.organisation.name.clone(),
        code: view.organisation.ods_code.clone(),
        quorum: view.terms.quorum.words(),
        casting_vote: view.terms.casting_vote,
        withhold_papers: view.terms.withhold_papers_from_conflicted,
        problems: if view.access.administers {
            view.terms.problems().iter().map(ToString::to_string).collect()
        } else {
            Vec::new()
        },
        members: view
            .terms
            .members
            .iter()
            .map(|m| MemberLine {
                id: m.id,
                name: m.name.clone(),
                role: m.role.words().to_owned(),
                voting: m.voting,
                substitute_for: m.substitute_for.and_then(name),
            })
            .collect(),
        meetings: view
            .meetings
            .iter()
            .map(|m| MeetingLine {
                id: m.id,
                title: m.title.clone(),
                when: crate::time::date_time(m.starts_at),
            })
            .collect(),
        administers: view.access.administers,
        people: choices("person", &people_pairs, &member_form.person),
        roles: choices("role", &roles, &member_form.role),
        voting: choices("voting", &YES_NO, &member_form.voting),
        substitutes: choices("substitute-for", &substitute_pairs, &member_form.substitute_for),
        member_form,
        meeting_form,
    };
    let title = page.name.clone();
    ui.form_page("committee/committee", &title, errors, &page)
}

pub async fn show(ui: Ui, user: MaybeUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    committee_page(
        &ui,
        &user,
        id,
        MemberForm::default(),
        MeetingForm::default(),
        Vec::new(),
    )
    .await
}

pub async fn add_member(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<MemberForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let sent = form.clone();
    match ui
        .state()
        .run(move |pool| service::add_member(pool, &actor, id, &sent))
        .await
    {
        Ok(()) => Ok(ui.see_other(&format!("/committees/{id}"), flash("Member added"))),
        Err(AppError::Invalid(errors)) => {
            committee_page(&ui, &MaybeUser(Some(user.0)), id, form, MeetingForm::default(), errors).await
        }
        Err(other) => Err(other),
    }
}

pub async fn remove_member(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let (id, person) = path.into_inner();
    let (id, person) = (id_of(&id)?, id_of(&person)?);
    let actor = (*user.0).clone();
    ui.state()
        .run(move |pool| service::remove_member(pool, &actor, id, person))
        .await?;
    Ok(ui.see_other(&format!("/committees/{id}"), flash("Member removed")))
}

pub async fn create_meeting(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<MeetingForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let sent = form.clone();
    match ui
        .state()
        .run(move |pool| service::create_meeting(pool, &actor, id, &sent))
        .await
    {
        Ok(meeting) => Ok(ui.see_other(
            &format!("/meetings/{meeting}"),
            Some(Flash {
                heading: "Meeting called".into(),
                body: Some("Now set its agenda.".into()),
            }),
        )),
        Err(AppError::Invalid(errors)) => {
            committee_page(&ui, &MaybeUser(Some(user.0)), id, MemberForm::default(), form, errors).await
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct AttendanceLine {
    id: i32,
    name: String,
    legend: String,
    role: String,
    voting: bool,
    attendance: String,
    field: String,
    choices: Vec<Choice>,
    message: Option<String>,
}

#[derive(Serialize)]
struct VoterLine {
    name: String,
    substituting: Option<String>,
    legend: String,
    field: String,
    choices: Vec<Choice>,
    message: Option<String>,
}

#[derive(Serialize)]
struct CheckLine {
    line: String,
    met: bool,
}

#[derive(Serialize)]
struct ItemPage {
    id: i32,
    position: i32,
    title: String,
    description: String,
    private: bool,
    subjects: String,
    motion: String,
    open: bool,
    status: String,
    result: Option<String>,
    declarations: Vec<String>,
    standing: Vec<String>,
    excluded: Vec<String>,
    quorate: bool,
    quorum: String,
    checklist: Vec<CheckLine>,
    papers: Vec<PaperLine>,
    /// The viewer has a conflict on the item and the committee withholds
    /// its papers from them: the links are not shown.
    papers_withheld: bool,
}

/// The secretary's forms for an undecided item, on the item's own page.
#[derive(Serialize)]
struct ItemForms {
    id: i32,
    position: i32,
    has_motion: bool,
    /// Field ids prefixed with the item, so each form's errors link to it.
    prefix: String,
    voters: Vec<VoterLine>,
    casting_choices: Vec<Choice>,
    show_casting: bool,
    present: Vec<Choice>,
    seconders: Vec<Choice>,
    outcomes: Vec<Choice>,
    declarants: Vec<Choice>,
    interests: Vec<Choice>,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    actions: Vec<Choice>,
}

#[derive(Serialize)]
struct PaperLine {
    name: String,
    size: String,
    href: String,
}

#[derive(Serialize)]
struct MeetingPage {
    id: i32,
    title: String,
    committee_id: i32,
    committee: String,
    organisation: String,
    when: String,
    location: String,
    administers: bool,
    sees_all: bool,
    attendance_recorded: bool,
    members: Vec<AttendanceLine>,
    items: Vec<ItemPage>,
    minutes: Option<String>,
    minutes_state: String,
    minutes_draft: String,
    may_edit_minutes: bool,
    may_publish: bool,
    to_approve: Vec<Choice>,
    item_form: ItemForm,
    private_choices: Vec<Choice>,
    noticed: Option<String>,
    /// Notice is given before the meeting begins.
    may_notice: bool,
}

fn error_for(errors: &[FieldError], field: &str) -> Option<String> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.clone())
}

/// One agenda item's record as the meeting page and the item's own page
/// show it.
fn item_view(view: &MeetingView, item: &ItemView) -> ItemPage {
    let name = |id: i32| view.name(id);
    let checklist = if view.access.sees_all && item.row.status != "open" {
        service::checklist(view, item)
            .into_iter()
            .map(|(line, met)| CheckLine { line, met })
            .collect()
    } else {
        Vec::new()
    };
    ItemPage {
        papers_withheld: view.papers_withheld.contains(&item.row.id),
        papers: item
            .papers
            .iter()
            .filter(|_| !view.papers_withheld.contains(&item.row.id))
            .map(|p| PaperLine {
                name: p.file_name.clone(),
                size: format!(
                    "{} KB",
                    crate::format::count(u64::try_from(p.size_bytes).unwrap_or(0).div_ceil(1024))
                ),
                href: format!("/meetings/{}/items/{}/papers/{}", view.meeting.id, item.row.id, p.id),
            })
            .collect(),
        id: item.row.id,
        position: item.row.position,
        title: item.row.title.clone(),
        description: item.row.description.clone(),
        private: item.row.private,
        subjects: item.subjects.join(", "),
        motion: item.row.motion.clone(),
        open: item.row.status == "open",
        status: match item.row.status.as_str() {
            "carried" => "Carried",
            "lost" => "Not carried",
            "deferred" => "Deferred",
            "noted" => "Noted",
            _ if !item.voters.quorum.quorate() && !view.attendance.is_empty() => "Not quorate: cannot be decided",
            _ => "To be decided",
        }
        .to_owned(),
        result: item.row.result.clone(),
        declarations: item
            .declarations
            .iter()
            .map(|(person, what, withheld, action)| {
                let what = if *withheld && !view.access.administers {
                    service::WITHHELD
                } else {
                    what.as_str()
                };
                format!(
                    "{} declared an interest ({what}) and {}.",
                    name(*person),
                    action.words()
                )
            })
            .collect(),
        // The register's entries that name the item's subjects: for
        // the secretary, who records the declarations.
        standing: if view.access.administers {
            item.standing
                .iter()
                .map(|(person, _, what)| format!("{}: {what}", name(*person)))
                .collect()
        } else {
            Vec::new()
        },
        excluded: item
            .voters
            .excluded
            .iter()
            .filter_map(|(id, why)| match why {
                Exclusion::Conflict(action) => Some(format!("{} {}", name(*id), action.words())),
                Exclusion::Unsubstituted => Some(format!("{} left; no substitute was available", name(*id))),
                Exclusion::NonVoting => None,
            })
            .collect(),
        // Before attendance is recorded there is nothing to count.
        quorate: item.voters.quorum.quorate() || view.attendance.is_empty(),
        quorum: if view.attendance.is_empty() {
            format!(
                "Quorate with {} able to vote; counted for this item once attendance is recorded.",
                view.terms.quorum.words()
            )
        } else {
            item.voters.quorum.words()
        },
        checklist,
    }
}

/// The secretary's forms for an item: its declarations and its decision.
fn item_forms(view: &MeetingView, item: &ItemView, errors: &[FieldError]) -> ItemForms {
    let name = |id: i32| view.name(id);
    let present_members: Vec<(String, String)> = view
        .terms
        .members
        .iter()
        .filter(|m| view.attendance.get(&m.id) == Some(&Attendance::Present))
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let mut present_pairs: Vec<(&str, &str)> = vec![("", "Not recorded")];
    present_pairs.extend(present_members.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let member_names: Vec<(String, String)> = view
        .terms
        .members
        .iter()
        .map(|m| (m.id.to_string(), format!("{} ({})", m.name, m.role.noun())))
        .collect();
    let mut declarant_pairs: Vec<(&str, &str)> = vec![("", "Choose a member")];
    declarant_pairs.extend(member_names.iter().map(|(v, l)| (v.as_str(), l.as_str())));
    let category_pairs: Vec<(&str, &str)> = Category::ALL.iter().map(|c| (c.key(), c.words())).collect();
    let mut kind_pairs: Vec<(&str, &str)> = vec![("", "Choose a type")];
    kind_pairs.extend(Kind::ALL.iter().map(|k| (k.key(), k.words())));
    let action_pairs: Vec<(&str, &str)> = Action::ALL
        .iter()
        .map(|a| {
            (
                a.key(),
                match a {
                    Action::RemainsAndVotes => "Remains and votes",
                    Action::RemainsWithoutVoting => "Remains but does not vote",
                    Action::LeavesForItem => "Leaves the meeting for the item",
                    Action::Substituted => "Leaves, and their substitute votes instead",
                },
            )
        })
        .collect();
    let prefix = format!("item-{}-", item.row.id);
    let field = |name: &str| format!("{prefix}{name}");
    let interests: Vec<(String, String)> =
        std::iter::once(("new".to_owned(), "A new interest, described below".to_owned()))
            .chain(
                item.standing
                    .iter()
                    .map(|(person, id, what)| (id.to_string(), format!("{}: {what}", name(*person)))),
            )
            .collect();
    let interest_pairs: Vec<(&str, &str)> = interests.iter().map(|(v, l)| (v.as_str(), l.as_str())).collect();
    let voters = item
        .voters
        .voters
        .iter()
        .map(|id| {
            let f = field(&format!("vote-{id}"));
            VoterLine {
                name: name(*id),
                substituting: item.voters.standing_in.get(id).map(|m| name(*m)),
                legend: format!("{}'s vote", name(*id)),
                choices: choices(
                    &f,
                    &[("for", "For"), ("against", "Against"), ("abstain", "Abstain")],
                    item.votes.get(id).map_or("", |v| v.key()),
                ),
                message: error_for(errors, &f),
                field: format!("vote-{id}"),
            }
        })
        .collect();
    ItemForms {
        id: item.row.id,
        position: item.row.position,
        has_motion: !item.row.motion.is_empty(),
        voters,
        casting_choices: choices(
            &field("casting"),
            &[
                ("", "No casting vote (the votes are not tied)"),
                ("for", "For"),
                ("against", "Against"),
            ],
            "",
        ),
        show_casting: view.terms.casting_vote,
        present: choices(&field("proposer"), &present_pairs, ""),
        seconders: choices(&field("seconder"), &present_pairs, ""),
        outcomes: if item.row.motion.is_empty() {
            choices(
                &field("outcome"),
                &[("note", "Noted"), ("defer", "Deferred to a later meeting")],
                "",
            )
        } else {
            choices(
                &field("outcome"),
                &[
                    ("vote", "Voted on, as recorded below"),
                    ("defer", "Deferred to a later meeting"),
                ],
                "",
            )
        },
        declarants: choices(&field("person"), &declarant_pairs, ""),
        interests: choices(&field("interest"), &interest_pairs, "new"),
        categories: choices(&field("category"), &category_pairs, ""),
        kinds: choices(&field("kind"), &kind_pairs, ""),
        actions: choices(&field("action"), &action_pairs, ""),
        prefix,
    }
}

fn meeting_page_view(view: &MeetingView, errors: &[FieldError], item_form: ItemForm) -> MeetingPage {
    let attendance_choices = [("present", "Present"), ("apologies", "Apologies"), ("absent", "Absent")];
    let items = view.items.iter().map(|item| item_view(view, item)).collect();
    let members = view
        .terms
        .members
        .iter()
        .map(|m| {
            let field = format!("attendance-{}", m.id);
            let current = view.attendance.get(&m.id).map_or("", |a| a.key());
            AttendanceLine {
                id: m.id,
                name: m.name.clone(),
                legend: format!(
                    "{}, {}{}",
                    m.name,
                    m.role.noun(),
                    if m.voting { "" } else { " (not voting)" }
                ),
                role: m.role.words().to_owned(),
                voting: m.voting,
                attendance: match view.attendance.get(&m.id) {
                    Some(Attendance::Present) => "Present",
                    Some(Attendance::Apologies) => "Apologies",
                    Some(Attendance::Absent) => "Absent",
                    None => "Not recorded",
                }
                .to_owned(),
                choices: choices(&field, &attendance_choices, current),
                message: error_for(errors, &field),
                field,
            }
        })
        .collect();
    let approvals: Vec<(String, String)> = view
        .to_approve
        .iter()
        .map(|(id, title, at)| (id.to_string(), format!("{title}, {}", crate::time::date_time(*at))))
        .collect();
    let approval_pairs: Vec<(&str, &str)> = approvals.iter().map(|(v, l)| (v.as_str(), l.as_str())).collect();
    let m = &view.meeting;
    let published = m.minutes_published_at.is_some();
    MeetingPage {
        id: m.id,
        title: m.title.clone(),
        committee_id: view.committee.id,
        committee: view.committee.name.clone(),
        organisation: view.organisation.name.clone(),
        when: crate::time::date_time(m.starts_at),
        location: m.location.clone(),
        administers: view.access.administers,
        sees_all: view.access.sees_all,
        attendance_recorded: !view.attendance.is_empty(),
        members,
        items,
        minutes: m.minutes.clone().filter(|_| published || view.access.sees_all),
        minutes_state: match (m.minutes.is_some(), m.minutes_approved_at, published) {
            (_, _, true) => format!(
                "Approved{} and published.",
                view.approved_at
                    .as_ref()
                    .map(|(_, t)| format!(" at the {t}"))
                    .unwrap_or_default()
            ),
            (_, Some(_), false) => format!(
                "Approved{}; not yet published.",
                view.approved_at
                    .as_ref()
                    .map(|(_, t)| format!(" at the {t}"))
                    .unwrap_or_default()
            ),
            (true, None, _) => "Draft, to be approved at a later meeting of the committee.".to_owned(),
            (false, None, _) => "Not yet drafted.".to_owned(),
        },
        minutes_draft: m.minutes.clone().unwrap_or_else(|| service::draft_minutes(view)),
        may_edit_minutes: view.access.administers && m.minutes_approved_at.is_none(),
        may_publish: view.access.administers && m.minutes_approved_at.is_some() && !published,
        to_approve: choices("earlier", &approval_pairs, ""),
        private_choices: choices(
            "private",
            &[("no", "No: in public"), ("yes", "Yes: in private")],
            &item_form.private,
        ),
        noticed: m.noticed_at.map(crate::time::date_time),
        may_notice: view.access.administers && m.starts_at > chrono::Utc::now().naive_utc(),
        item_form,
    }
}

async fn meeting_page(
    ui: &Ui,
    user: &MaybeUser,
    id: i32,
    status: StatusCode,
    errors: Vec<FieldError>,
    item_form: ItemForm,
) -> AppResult<HttpResponse> {
    let (grants, user_id) = viewer(user);
    let view = ui
        .state()
        .run(move |pool| service::meeting_view(pool, &grants, user_id, id))
        .await?;
    let page = meeting_page_view(&view, &errors, item_form);
    let title = format!("{}: {}", view.committee.name, view.meeting.title);
    ui.form_errors(status, "committee/meeting", &title, errors, &page)
}

#[derive(Serialize)]
struct ItemOwnPage {
    meeting_id: i32,
    meeting: String,
    committee_id: i32,
    committee: String,
    organisation: String,
    item: ItemPage,
    /// For the secretary, while the item is undecided.
    forms: Option<ItemForms>,
}

async fn item_page(
    ui: &Ui,
    user: &MaybeUser,
    id: i32,
    item_id: i32,
    status: StatusCode,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let (grants, user_id) = viewer(user);
    let view = ui
        .state()
        .run(move |pool| service::meeting_view(pool, &grants, user_id, id))
        .await?;
    let item = view
        .items
        .iter()
        .find(|i| i.row.id == item_id)
        .ok_or(AppError::NotFound)?;
    let title = format!("Item {}: {}", item.row.position, item.row.title);
    let page = ItemOwnPage {
        meeting_id: view.meeting.id,
        meeting: view.meeting.title.clone(),
        committee_id: view.committee.id,
        committee: view.committee.name.clone(),
        organisation: view.organisation.name.clone(),
        item: item_view(&view, item),
        forms: (view.access.administers && item.row.status == "open").then(|| item_forms(&view, item, &errors)),
    };
    ui.form_errors(status, "committee/item", &title, errors, &page)
}

/// An agenda item's own page: its record, and for the secretary the forms
/// for its declarations, papers and decision.
pub async fn item(ui: Ui, user: MaybeUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    item_page(&ui, &user, id, item, StatusCode::OK, Vec::new()).await
}

/// After a secretary's form on an item's page: on to `next`, or the item's
/// page again with what was wrong (fields prefixed with the item).
async fn after_item(
    ui: &Ui,
    user: CurrentUser,
    (id, item): (i32, i32),
    done: AppResult<()>,
    heading: &str,
    next: &str,
) -> AppResult<HttpResponse> {
    let prefix = format!("item-{item}-");
    let user = MaybeUser(Some(user.0));
    let (status, errors) = match done {
        Ok(()) => return Ok(ui.see_other(next, flash(heading))),
        Err(AppError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .into_iter()
                .map(|e| FieldError::new(&format!("{prefix}{}", e.field), e.message))
                .collect(),
        ),
        Err(AppError::Conflict(why)) => (
            StatusCode::CONFLICT,
            vec![FieldError::new(&format!("{prefix}outcome"), why)],
        ),
        Err(other) => return Err(other),
    };
    item_page(ui, &user, id, item, status, errors).await
}

pub async fn meeting(ui: Ui, user: MaybeUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    meeting_page(&ui, &user, id, StatusCode::OK, Vec::new(), ItemForm::default()).await
}

pub async fn calendar(ui: Ui, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let base = ui.state().settings.base_url.trim_end_matches('/').to_owned();
    let view = ui
        .state()
        .run(move |pool| service::meeting_view(pool, &Grants::default(), None, id))
        .await?;
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or("quorate")
        .split('/')
        .next()
        .unwrap_or("quorate")
        .to_owned();
    let uid = format!("meeting-{id}@{host}");
    let summary = format!("{}: {}", view.committee.name, view.meeting.title);
    let agenda: Vec<String> = view
        .items
        .iter()
        .map(|i| format!("{}. {}", i.row.position, i.row.title))
        .collect();
    let description = format!(
        "{}\n\nAgenda (public part):\n{}",
        view.organisation.name,
        agenda.join("\n")
    );
    let url = format!("{base}/meetings/{id}");
    let body = super::ics::calendar(&super::ics::Event {
        uid: &uid,
        starts_at: view.meeting.starts_at,
        duration: chrono::Duration::hours(2),
        summary: &summary,
        location: &view.meeting.location,
        description: &description,
        url: &url,
        stamped_at: view.meeting.created_at,
    });
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"meeting-{id}.ics\""),
        ))
        .body(body))
}

/// After a secretary's form on the meeting page: back to the page, or the
/// page again with what was wrong.
async fn after(
    ui: &Ui,
    user: CurrentUser,
    id: i32,
    done: AppResult<()>,
    heading: &str,
    item_form: ItemForm,
) -> AppResult<HttpResponse> {
    let user = MaybeUser(Some(user.0));
    let (status, errors) = match done {
        Ok(()) => return Ok(ui.see_other(&format!("/meetings/{id}"), flash(heading))),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Conflict(why)) => (StatusCode::CONFLICT, vec![FieldError::new("minutes", why)]),
        Err(other) => return Err(other),
    };
    meeting_page(ui, &user, id, status, errors, item_form).await
}

pub async fn add_item(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<ItemForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let form = form.0;
    let actor = (*user.0).clone();
    let sent = form.clone();
    let done = ui
        .state()
        .run(move |pool| service::add_item(pool, &actor, id, &sent).map(|_| ()))
        .await;
    let kept = if done.is_ok() { ItemForm::default() } else { form };
    after(&ui, user, id, done, "Item added to the agenda", kept).await
}

pub async fn attendance(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let sent = form.0;
    let done = ui
        .state()
        .run(move |pool| service::record_attendance(pool, &actor, id, &sent))
        .await;
    after(&ui, user, id, done, "Attendance recorded", ItemForm::default()).await
}

pub async fn declare(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<ItemDeclarationForm>,
) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let actor = (*user.0).clone();
    let sent = form.0;
    let done = ui
        .state()
        .run(move |pool| service::declare_for_item(pool, &actor, id, item, &sent))
        .await;
    let next = format!("/meetings/{id}/items/{item}");
    after_item(&ui, user, (id, item), done, "Declaration recorded", &next).await
}

pub async fn decide(
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let actor = (*user.0).clone();
    let sent = form.0;
    let done = ui
        .state()
        .run(move |pool| service::decide_item(pool, &actor, id, item, &sent))
        .await;
    let next = format!("/meetings/{id}#item-{item}-heading");
    after_item(&ui, user, (id, item), done, "Decision recorded", &next).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MinutesForm {
    minutes: String,
    earlier: String,
}

pub async fn save_minutes(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<MinutesForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let text = form.0.minutes;
    let done = ui
        .state()
        .run(move |pool| service::save_minutes(pool, &actor, id, &text))
        .await;
    after(&ui, user, id, done, "Draft minutes saved", ItemForm::default()).await
}

pub async fn approve_minutes(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<MinutesForm>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let earlier = form.0.earlier.trim().parse::<i32>().unwrap_or_default();
    let done = ui
        .state()
        .run(move |pool| service::approve_minutes(pool, &actor, id, earlier))
        .await;
    after(&ui, user, id, done, "Minutes approved", ItemForm::default()).await
}

pub async fn publish_minutes(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let done = ui
        .state()
        .run(move |pool| service::publish_minutes(pool, &actor, id))
        .await;
    after(&ui, user, id, done, "Minutes published", ItemForm::default()).await
}

pub async fn notice(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    _form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id = id_of(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let done = ui
        .state()
        .run(move |pool| service::send_notice(pool, &outbox, &actor, id).map(|_| ()))
        .await;
    after(&ui, user, id, done, "Notice of the meeting sent", ItemForm::default()).await
}

#[derive(Debug, actix_multipart::form::MultipartForm)]
pub struct PaperUpload {
    #[multipart(rename = "_csrf")]
    csrf: Option<actix_multipart::form::text::Text<String>>,
    paper: Option<actix_multipart::form::bytes::Bytes>,
}

pub async fn upload_paper(
    req: actix_web::HttpRequest,
    ui: Ui,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: actix_multipart::form::MultipartForm<PaperUpload>,
) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let form = form.into_inner();
    crate::web::csrf::verify(&req, form.csrf.as_ref().map(|t| t.0.as_str()))?;
    let actor = (*user.0).clone();
    let done = match form
        .paper
        .filter(|f| f.file_name.as_deref().is_some_and(|n| !n.is_empty()))
    {
        None => {
            // Only the secretary is told what is missing.
            let check = actor.clone();
            ui.state()
                .run(move |pool| service::add_paper(pool, &check, id, item, "", &[]).map(|_| ()))
                .await
                .and_then(|()| Err(AppError::Internal("an empty paper was taken".into())))
                .map_err(|e| match e {
                    AppError::Invalid(_) => AppError::invalid("paper", "Choose a paper to upload"),
                    other => other,
                })
        }
        Some(file) => {
            let name = file.file_name.clone().unwrap_or_default();
            let data = file.data;
            ui.state()
                .run(move |pool| service::add_paper(pool, &actor, id, item, &name, &data).map(|_| ()))
                .await
        }
    };
    let next = format!("/meetings/{id}/items/{item}");
    after_item(&ui, user, (id, item), done, "Paper added", &next).await
}

pub async fn download_paper(
    ui: Ui,
    user: MaybeUser,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (id, item, paper) = path.into_inner();
    let (id, item, paper) = (id_of(&id)?, id_of(&item)?, id_of(&paper)?);
    let (grants, user_id) = viewer(&user);
    let (name, content_type, content) = ui
        .state()
        .run(move |pool| service::paper(pool, &grants, user_id, id, item, paper))
        .await?;
    Ok(crate::web::page::attachment(&name, content_type, content))
}
