//! Committees and their meetings, each use-case one transaction: the
//! organisation's administrators (the committee's secretary) set the terms
//! of reference and the members, call meetings, set the agenda, record
//! attendance, the declarations made for each item with the action agreed,
//! and the decision with each eligible member's vote; the minutes are
//! drafted from that record, edited, approved at a later meeting and
//! published. The public sees the public part; the organisation, its LMC's
//! observers and the committee's members see all of it. Every change is
//! audited.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::model::{
    self, Action, Attendance, ItemVoters, Member, Outcome, QuorumRule, Requirement, Role, Share, Terms, Vote,
};
use super::register::model::{Category, Declaration, Kind};
use super::register::store::{self as register_store, InterestRow, NewInterest, PersonRow};
use super::store::{self, CommitteeRow, CommitteeTerms, ItemRow, MeetingRow, MemberRow, NewItem, NewMember};
use crate::accounts::model::{Grants, OrganisationFacts};
use crate::accounts::service::SessionUser;
use crate::audit::service::{Event, record};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::store::Organisation;
use serde_json::json;

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a viewer may do with a committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Its secretary: the organisation's administrators.
    pub administers: bool,
    /// Everything, private items included: those who run or oversee the
    /// organisation (its LMC's observers too) and the committee's members.
    pub sees_all: bool,
}

fn access(conn: &mut DbConn, grants: &Grants, user_id: Option<i32>, committee: &CommitteeRow) -> AppResult<Access> {
    let lmcs = Organisation::covering_lmcs(conn, committee.organisation_id)?;
    let oversees = grants.may_oversee_organisation(&OrganisationFacts {
        id: committee.organisation_id,
        covering_lmc_ids: lmcs.iter().map(|l| l.id).collect(),
        member_practice_ids: Vec::new(),
    });
    let member = match user_id {
        Some(user) => {
            let people: Vec<i32> = register_store::people(conn, committee.organisation_id)?
                .into_iter()
                .filter(|p| p.user_id == Some(user))
                .map(|p| p.id)
                .collect();
            store::members(conn, committee.id)?
                .iter()
                .any(|m| people.contains(&m.person_id))
        }
        None => false,
    };
    Ok(Access {
        administers: grants.administers_organisation(committee.organisation_id),
        sees_all: oversees || member,
    })
}

fn committee_of(conn: &mut DbConn, id: i32) -> AppResult<(CommitteeRow, Organisation)> {
    let committee = store::committee(conn, id)?.ok_or(AppError::NotFound)?;
    let organisation = Organisation::with_ids(conn, &[committee.organisation_id])?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok((committee, organisation))
}

fn administered(conn: &mut DbConn, actor: &SessionUser, id: i32) -> AppResult<(CommitteeRow, Organisation)> {
    let (committee, organisation) = committee_of(conn, id)?;
    if !actor.grants().administers_organisation(organisation.id) {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} act as the committee's secretary.",
            organisation.name
        )));
    }
    Ok((committee, organisation))
}

fn audit(
    conn: &mut DbConn,
    actor: &SessionUser,
    organisation_id: i32,
    action: &str,
    kind: &str,
    key: i32,
    summary: String,
) -> AppResult<()> {
    Ok(record(
        conn,
        &actor.actor(),
        Event {
            organisation_id: Some(organisation_id),
            action,
            object_kind: kind,
            object_key: &key.to_string(),
            summary,
        },
    )?)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RequirementJson {
    roles: Vec<String>,
    at_least: u32,
}

/// The terms of reference the rules read, with the members' names.
pub fn terms_of(committee: &CommitteeRow, members: &[MemberRow], people: &[PersonRow]) -> AppResult<Terms> {
    let stored = |what: &str| AppError::Internal(format!("committee {} has an unreadable {what}", committee.id));
    let including: Vec<RequirementJson> =
        serde_json::from_str(&committee.quorum_including).map_err(|_| stored("quorum rule"))?;
    let including = including
        .into_iter()
        .map(|r| {
            Ok(Requirement {
                roles: r
                    .roles
                    .iter()
                    .map(|key| Role::parse(key).ok_or_else(|| stored("role")))
                    .collect::<AppResult<_>>()?,
                at_least: r.at_least,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let name = |id: i32| {
        people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("person {id}"), |p| p.name.clone())
    };
    let members = members
        .iter()
        .map(|m| {
            Ok(Member {
                id: m.person_id,
                name: name(m.person_id),
                role: Role::parse(&m.role).ok_or_else(|| stored("role"))?,
                voting: m.voting,
                substitute_for: m.substitute_for,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Terms {
        members,
        quorum: QuorumRule {
            share: Share {
                numerator: u32::try_from(committee.quorum_numerator).map_err(|_| stored("quorum"))?,
                denominator: u32::try_from(committee.quorum_denominator).map_err(|_| stored("quorum"))?,
            },
            including,
        },
        casting_vote: committee.casting_vote,
        withhold_papers_from_conflicted: committee.withhold_papers,
    })
}

/// The terms of reference kept on a meeting when its attendance is
/// recorded: a later change to the committee (a member taken off, a new
/// quorum) does not rewrite the meeting's quorum lines or its checklist.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TermsAtMeeting {
    quorum_numerator: i32,
    quorum_denominator: i32,
    quorum_including: String,
    casting_vote: bool,
    withhold_papers: bool,
    members: Vec<MemberAtMeeting>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MemberAtMeeting {
    person_id: i32,
    role: String,
    voting: bool,
    substitute_for: Option<i32>,
}

impl TermsAtMeeting {
    fn of(committee: &CommitteeRow, members: &[MemberRow]) -> Self {
        TermsAtMeeting {
            quorum_numerator: committee.quorum_numerator,
            quorum_denominator: committee.quorum_denominator,
            quorum_including: committee.quorum_including.clone(),
            casting_vote: committee.casting_vote,
            withhold_papers: committee.withhold_papers,
            members: members
                .iter()
                .map(|m| MemberAtMeeting {
                    person_id: m.person_id,
                    role: m.role.clone(),
                    voting: m.voting,
                    substitute_for: m.substitute_for,
                })
                .collect(),
        }
    }
}

/// The terms a meeting is judged by: those kept when its attendance was
/// recorded or, before that, the committee's current ones.
fn meeting_terms(
    conn: &mut DbConn,
    meeting: &MeetingRow,
    committee: &CommitteeRow,
    people: &[PersonRow],
) -> AppResult<Terms> {
    let Some(kept) = &meeting.terms_at_meeting else {
        return terms_of(committee, &store::members(conn, committee.id)?, people);
    };
    let kept: TermsAtMeeting = serde_json::from_str(kept)
        .map_err(|_| AppError::Internal(format!("meeting {} has unreadable terms", meeting.id)))?;
    let as_then = CommitteeRow {
        quorum_numerator: kept.quorum_numerator,
        quorum_denominator: kept.quorum_denominator,
        quorum_including: kept.quorum_including,
        casting_vote: kept.casting_vote,
        withhold_papers: kept.withhold_papers,
        ..committee.clone()
    };
    let members: Vec<MemberRow> = kept
        .members
        .into_iter()
        .map(|m| MemberRow {
            id: 0,
            committee_id: committee.id,
            person_id: m.person_id,
            role: m.role,
            voting: m.voting,
            substitute_for: m.substitute_for,
        })
        .collect();
    terms_of(&as_then, &members, people)
}

/// Terms of reference as the form sends them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TermsForm {
    pub name: String,
    /// "1/3" and the like.
    pub share: String,
    /// "yes" when the chair or vice-chair must be among those counted.
    pub chair: String,
    pub lay: String,
    pub executives: String,
    pub gps: String,
    pub casting_vote: String,
    pub withhold_papers: String,
}

impl TermsForm {
    pub fn of(committee: &CommitteeRow, terms: &Terms) -> TermsForm {
        let count = |roles: &[Role]| {
            terms
                .quorum
                .including
                .iter()
                .find(|r| r.roles.iter().copied().collect::<Vec<_>>() == roles)
                .map(|r| r.at_least.to_string())
                .unwrap_or_default()
        };
        TermsForm {
            name: committee.name.clone(),
            share: format!("{}/{}", committee.quorum_numerator, committee.quorum_denominator),
            chair: if count(&[Role::LayChair, Role::LayViceChair]).is_empty() {
                "no"
            } else {
                "yes"
            }
            .into(),
            lay: count(&[Role::LayChair, Role::LayViceChair, Role::LayMember]),
            executives: count(&[Role::Executive]),
            gps: count(&[Role::Gp]),
            casting_vote: if committee.casting_vote { "yes" } else { "no" }.into(),
            withhold_papers: if committee.withhold_papers { "yes" } else { "no" }.into(),
        }
    }
}

fn yes_no(field: &str, value: &str, question: &str, errors: &mut Vec<FieldError>) -> bool {
    match value {
        "yes" => true,
        "no" => false,
        _ => {
            errors.push(FieldError::new(field, format!("Say whether {question}")));
            false
        }
    }
}

fn read_terms(form: &TermsForm) -> Result<CommitteeTerms, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = tidy(&form.name);
    if name.is_empty() {
        errors.push(FieldError::new("name", "Enter the committee's name"));
    } else if name.chars().count() > 200 {
        errors.push(FieldError::new(
            "name",
            "Enter the committee's name in 200 characters or fewer",
        ));
    }
    let share = form
        .share
        .trim()
        .split_once('/')
        .and_then(|(n, d)| Some((n.trim().parse::<u32>().ok()?, d.trim().parse::<u32>().ok()?)))
        .filter(|(n, d)| *n >= 1 && *d <= 100 && n <= d);
    if share.is_none() {
        errors.push(FieldError::new(
            "share",
            "Enter the quorum as a share of the voting members, like 1/3 or 1/2",
        ));
    }
    let mut including = Vec::new();
    if yes_no(
        "chair",
        &form.chair,
        "the chair or vice-chair must be present",
        &mut errors,
    ) {
        including.push(RequirementJson {
            roles: vec!["lay_chair".into(), "lay_vice_chair".into()],
            at_least: 1,
        });
    }
    for (field, roles, what) in [
        ("lay", vec!["lay_chair", "lay_vice_chair", "lay_member"], "lay members"),
        ("executives", vec!["executive"], "executives"),
        ("gps", vec!["gp"], "GPs"),
    ] {
        let text = match field {
            "lay" => &form.lay,
            "executives" => &form.executives,
            _ => &form.gps,
        };
        match text.trim() {
            "" | "0" => {}
            typed => match typed.parse::<u32>() {
                Ok(n) if (1..=20).contains(&n) => including.push(RequirementJson {
                    roles: roles.into_iter().map(String::from).collect(),
                    at_least: n,
                }),
                _ => errors.push(FieldError::new(
                    field,
                    format!("Enter how many {what} must be present, from 0 to 20"),
                )),
            },
        }
    }
    let casting_vote = yes_no(
        "casting-vote",
        &form.casting_vote,
        "the chair has a casting vote",
        &mut errors,
    );
    let withhold_papers = yes_no(
        "withhold-papers",
        &form.withhold_papers,
        "an item's papers are withheld from a member with a conflict on it",
        &mut errors,
    );
    match share {
        Some((numerator, denominator)) if errors.is_empty() => Ok(CommitteeTerms {
            name,
            quorum_numerator: numerator as i32,
            quorum_denominator: denominator as i32,
            quorum_including: serde_json::to_string(&including).unwrap_or_else(|_| "[]".into()),
            casting_vote,
            withhold_papers,
        }),
        _ => Err(errors),
    }
}

/// Creates a committee of the organisation (administrators only).
pub fn create_committee(pool: &Pool, actor: &SessionUser, code: &str, form: &TermsForm) -> AppResult<i32> {
    let mut conn = pool.get()?;
    let organisation =
        Organisation::find_by_code(&mut conn, &code.trim().to_ascii_uppercase())?.ok_or(AppError::NotFound)?;
    if !actor.grants().administers_organisation(organisation.id) {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} set up its committees.",
            organisation.name
        )));
    }
    let terms = read_terms(form).map_err(AppError::Invalid)?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::name_taken(c, organisation.id, &terms.name, None)? {
            return Err(AppError::invalid(
                "name",
                format!("{} already has a committee called {}", organisation.name, terms.name),
            ));
        }
        let id = store::insert_committee(c, organisation.id, &terms, now())?;
        audit(
            c,
            actor,
            organisation.id,
            "committee.create",
            "committee",
            id,
            format!("{} created, quorate with {}", terms.name, share_words(&terms)),
        )?;
        Ok(id)
    })
}

fn share_words(terms: &CommitteeTerms) -> String {
    Share {
        numerator: terms.quorum_numerator as u32,
        denominator: terms.quorum_denominator as u32,
    }
    .words()
        + " of the voting members"
}

/// Changes the terms of reference (administrators only).
pub fn update_terms(pool: &Pool, actor: &SessionUser, id: i32, form: &TermsForm) -> AppResult<()> {
    let mut conn = pool.get()?;
    let (committee, organisation) = administered(&mut conn, actor, id)?;
    let terms = read_terms(form).map_err(AppError::Invalid)?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::name_taken(c, organisation.id, &terms.name, Some(id))? {
            return Err(AppError::invalid(
                "name",
                format!("{} already has a committee called {}", organisation.name, terms.name),
            ));
        }
        store::update_terms(c, id, &terms)?;
        let members = store::members(c, id)?;
        let people = register_store::people(c, organisation.id)?;
        let after = terms_of(&store::committee(c, id)?.ok_or(AppError::NotFound)?, &members, &people)?;
        audit(
            c,
            actor,
            organisation.id,
            "committee.terms_change",
            "committee",
            id,
            format!(
                "Terms of reference of {} changed: quorate with {}; {}",
                committee.name,
                after.quorum.words(),
                if after.casting_vote {
                    "the chair has a casting vote"
                } else {
                    "no casting vote"
                }
            ),
        )?;
        Ok(())
    })
}

/// A member to add, as the form sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub person: String,
    pub role: String,
    pub voting: String,
    pub substitute_for: String,
}

/// Adds a person from the register of interests to the committee
/// (administrators only). Refused, naming the field, when the member would
/// make the terms unsound: an attendee who votes, a substitute who votes,
/// or a substitute for someone not a voting member in the same role.
pub fn add_member(pool: &Pool, actor: &SessionUser, id: i32, form: &MemberForm) -> AppResult<()> {
    let mut conn = pool.get()?;
    let (committee, organisation) = administered(&mut conn, actor, id)?;
    let mut errors = Vec::new();
    let person = match form.person.trim().parse::<i32>() {
        Ok(p) => register_store::person(&mut conn, organisation.id, p)?,
        Err(_) => None,
    };
    if person.is_none() {
        errors.push(FieldError::new(
            "person",
            "Choose a person from the organisation's register of interests",
        ));
    }
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.push(FieldError::new("role", "Choose the member's role"));
    }
    let voting = yes_no("voting", &form.voting, "the member votes", &mut errors);
    let substitute_for = match form.substitute_for.trim() {
        "" => None,
        typed => match typed.parse::<i32>() {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(FieldError::new("substitute-for", "Choose a voting member, or nobody"));
                None
            }
        },
    };
    if let Some(left) = person.as_ref().and_then(|p| p.left_on) {
        errors.push(FieldError::new(
            "person",
            format!(
                "They have left the organisation, or leave on {}",
                crate::time::day(left)
            ),
        ));
    }
    let (Some(person), Some(role)) = (person, role) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    crate::db::write_transaction(&mut conn, |c| {
        let mut members = store::members(c, id)?;
        if members.iter().any(|m| m.person_id == person.id) {
            return Err(AppError::invalid(
                "person",
                format!("{} is a member of the committee already", person.name),
            ));
        }
        members.push(MemberRow {
            id: 0,
            committee_id: id,
            person_id: person.id,
            role: role.key().to_owned(),
            voting,
            substitute_for,
        });
        let people = register_store::people(c, organisation.id)?;
        let terms = terms_of(&committee, &members, &people)?;
        let own: Vec<String> = terms
            .problems()
            .into_iter()
            .filter(|p| {
                matches!(
                    p,
                    model::TermsProblem::AttendeeVoting(n)
                        | model::TermsProblem::SubstituteVotes(n)
                        | model::TermsProblem::SubstituteOfUnknown(n)
                        | model::TermsProblem::SubstituteOfNonVoting(n)
                        | model::TermsProblem::SubstituteRole(n) if *n == person.name
                ) || *p == model::TermsProblem::TwoChairs
            })
            .map(|p| p.to_string())
            .collect();
        if let Some(problem) = own.into_iter().next() {
            let field = if problem.contains("substitute") {
                "substitute-for"
            } else {
                "role"
            };
            return Err(AppError::invalid(field, problem));
        }
        store::insert_member(
            c,
            &NewMember {
                committee_id: id,
                person_id: person.id,
                role: role.key().to_owned(),
                voting,
                substitute_for,
            },
        )?;
        audit(
            c,
            actor,
            organisation.id,
            "committee.member_add",
            "committee",
            id,
            format!(
                "{} joined {} as {}, {}",
                person.name,
                committee.name,
                role.noun(),
                if voting { "voting" } else { "not voting" }
            ),
        )?;
        Ok(())
    })
}

/// Removes a member (administrators only). A member who substitutes for
/// them keeps their place but stands in for nobody until changed.
pub fn remove_member(pool: &Pool, actor: &SessionUser, id: i32, person_id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    let (committee, organisation) = administered(&mut conn, actor, id)?;
    crate::db::write_transaction(&mut conn, |c| {
        let person = register_store::person(c, organisation.id, person_id)?.ok_or(AppError::NotFound)?;
        if store::remove_member(c, id, person_id)? == 0 {
            return Err(AppError::NotFound);
        }
        audit(
            c,
            actor,
            organisation.id,
            "committee.member_remove",
            "committee",
            id,
            format!("{} left {}", person.name, committee.name),
        )?;
        Ok(())
    })
}

/// A committee with its terms, members and meetings, as a viewer sees it.
pub struct CommitteeView {
    pub committee: CommitteeRow,
    pub organisation: Organisation,
    pub terms: Terms,
    pub access: Access,
    pub meetings: Vec<MeetingRow>,
    /// For the secretary's forms: the organisation's register.
    pub people: Vec<PersonRow>,
}

pub fn committee_view(pool: &Pool, grants: &Grants, user_id: Option<i32>, id: i32) -> AppResult<CommitteeView> {
    let mut conn = pool.get()?;
    let (committee, organisation) = committee_of(&mut conn, id)?;
    let access = access(&mut conn, grants, user_id, &committee)?;
    let members = store::members(&mut conn, id)?;
    let people = register_store::people(&mut conn, organisation.id)?;
    let terms = terms_of(&committee, &members, &people)?;
    let meetings = store::meetings_of(&mut conn, id)?;
    Ok(CommitteeView {
        committee,
        organisation,
        terms,
        access,
        meetings,
        people: if access.administers { people } else { Vec::new() },
    })
}

/// The organisation's committees, for its list (public).
pub fn committees(pool: &Pool, grants: &Grants, code: &str) -> AppResult<(Organisation, Vec<CommitteeRow>, bool)> {
    let mut conn = pool.get()?;
    let organisation =
        Organisation::find_by_code(&mut conn, &code.trim().to_ascii_uppercase())?.ok_or(AppError::NotFound)?;
    let committees = store::committees_of(&mut conn, organisation.id)?;
    let administers = grants.administers_organisation(organisation.id);
    Ok((organisation, committees, administers))
}

/// A meeting to call, as the form sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingForm {
    pub title: String,
    pub date: String,
    pub time: String,
    pub location: String,
}

pub fn create_meeting(pool: &Pool, actor: &SessionUser, id: i32, form: &MeetingForm) -> AppResult<i32> {
    let mut conn = pool.get()?;
    let (committee, organisation) = administered(&mut conn, actor, id)?;
    let mut errors = Vec::new();
    let title = tidy(&form.title);
    if title.is_empty() {
        errors.push(FieldError::new(
            "title",
            "Enter the meeting's title, like Meeting in public",
        ));
    } else if title.chars().count() > 200 {
        errors.push(FieldError::new("title", "Enter the title in 200 characters or fewer"));
    }
    let starts_at =
        crate::web::form::london_time("date", "When the meeting starts", &form.date, &form.time, &mut errors);
    let location = tidy(&form.location);
    if location.is_empty() {
        errors.push(FieldError::new(
            "location",
            "Enter where the meeting is held, or how to join it",
        ));
    } else if location.chars().count() > 300 {
        errors.push(FieldError::new(
            "location",
            "Enter the place in 300 characters or fewer",
        ));
    }
    let Some(starts_at) = starts_at.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    crate::db::write_transaction(&mut conn, |c| {
        let meeting = store::insert_meeting(c, id, &title, starts_at, &location, now())?;
        audit(
            c,
            actor,
            organisation.id,
            "meeting.create",
            "meeting",
            meeting,
            format!(
                "{} of {} called for {} at {location}",
                title,
                committee.name,
                crate::time::date_time(starts_at)
            ),
        )?;
        Ok(meeting)
    })
}

fn meeting_of(conn: &mut DbConn, id: i32) -> AppResult<(MeetingRow, CommitteeRow, Organisation)> {
    let meeting = store::meeting(conn, id)?.ok_or(AppError::NotFound)?;
    let (committee, organisation) = committee_of(conn, meeting.committee_id)?;
    Ok((meeting, committee, organisation))
}

fn administered_meeting(
    conn: &mut DbConn,
    actor: &SessionUser,
    id: i32,
) -> AppResult<(MeetingRow, CommitteeRow, Organisation)> {
    let (meeting, committee, organisation) = meeting_of(conn, id)?;
    administered(conn, actor, committee.id)?;
    Ok((meeting, committee, organisation))
}

/// An agenda item, as the form sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    pub title: String,
    pub description: String,
    /// "yes" for the private part (the public is excluded).
    pub private: String,
    /// What the item is about, one on each line: a practice's code or name,
    /// a provider, a service. Standing interests that name one are shown.
    pub subjects: String,
    pub motion: String,
}

pub fn add_item(pool: &Pool, actor: &SessionUser, meeting_id: i32, form: &ItemForm) -> AppResult<i32> {
    let mut conn = pool.get()?;
    let (meeting, _, organisation) = administered_meeting(&mut conn, actor, meeting_id)?;
    if meeting.minutes_approved_at.is_some() {
        return Err(AppError::Conflict(
            "The minutes of this meeting are approved: its agenda cannot change.".into(),
        ));
    }
    let mut errors = Vec::new();
    let title = tidy(&form.title);
    if title.is_empty() {
        errors.push(FieldError::new("title", "Enter the item's title"));
    } else if title.chars().count() > 300 {
        errors.push(FieldError::new("title", "Enter the title in 300 characters or fewer"));
    }
    let description = crate::web::form::lf_lines(form.description.trim());
    if description.chars().count() > 5000 {
        errors.push(FieldError::new(
            "description",
            "Enter the description in 5,000 characters or fewer",
        ));
    }
    let private = yes_no(
        "private",
        &form.private,
        "the item is taken in the private part, without the public",
        &mut errors,
    );
    let subjects: Vec<String> = form.subjects.lines().map(tidy).filter(|s| !s.is_empty()).collect();
    if subjects.len() > 30 || subjects.iter().any(|s| s.chars().count() > 200) {
        errors.push(FieldError::new(
            "subjects",
            "Enter at most 30 subjects, one on each line, each 200 characters or fewer",
        ));
    }
    let motion = crate::web::form::lf_lines(form.motion.trim());
    if motion.chars().count() > 2000 {
        errors.push(FieldError::new(
            "motion",
            "Enter the motion in 2,000 characters or fewer",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    crate::db::write_transaction(&mut conn, |c| {
        let position = store::items(c, meeting_id)?
            .iter()
            .map(|i| i.position)
            .max()
            .unwrap_or(0)
            + 1;
        let id = store::insert_item(
            c,
            &NewItem {
                meeting_id,
                position,
                title: title.clone(),
                description,
                private,
                subjects: subjects.join("\n"),
                motion,
                status: "open".into(),
            },
        )?;
        audit(
            c,
            actor,
            organisation.id,
            "meeting.item_add",
            "meeting",
            meeting_id,
            format!(
                "Item {position} added to {}: {title}{}",
                meeting.title,
                if private { " (private part)" } else { "" }
            ),
        )?;
        Ok(id)
    })
}

/// Records who attended: `form` maps `attendance-PERSON` to present,
/// apologies or absent for each member.
pub fn record_attendance(
    pool: &Pool,
    actor: &SessionUser,
    meeting_id: i32,
    form: &HashMap<String, String>,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    let (meeting, committee, organisation) = administered_meeting(&mut conn, actor, meeting_id)?;
    let people = register_store::people(&mut conn, organisation.id)?;
    // Until an item is decided, attendance is taken against the current
    // terms, which the meeting then keeps; after that, against those kept.
    let decided = store::items(&mut conn, meeting_id)?.iter().any(|i| i.status != "open");
    let (terms, keep) = if decided {
        (meeting_terms(&mut conn, &meeting, &committee, &people)?, None)
    } else {
        let members = store::members(&mut conn, committee.id)?;
        let keep = serde_json::to_string(&TermsAtMeeting::of(&committee, &members))
            .map_err(|e| AppError::Internal(format!("terms kept on a meeting: {e}")))?;
        (terms_of(&committee, &members, &people)?, Some(keep))
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for member in &terms.members {
        let field = format!("attendance-{}", member.id);
        match form.get(&field).map(String::as_str).and_then(Attendance::parse) {
            Some(a) => rows.push((member.id, a.key())),
            None => errors.push(FieldError::new(
                &field,
                format!("Say whether {} was present, sent apologies or was absent", member.name),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    crate::db::write_transaction(&mut conn, |c| {
        store::set_attendance(c, meeting_id, &rows)?;
        if let Some(keep) = &keep {
            store::keep_terms_at_meeting(c, meeting_id, keep)?;
        }
        let present = rows.iter().filter(|(_, a)| *a == "present").count();
        audit(
            c,
            actor,
            organisation.id,
            "meeting.attendance",
            "meeting",
            meeting_id,
            format!(
                "Attendance at {} recorded: {present} of {} members present",
                meeting.title,
                rows.len()
            ),
        )?;
        Ok(())
    })
}

/// A declaration made for an item, as the form sends it: one of the
/// member's interests on the register, or a new one (which goes into the
/// register, declared at the meeting).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemDeclarationForm {
    pub person: String,
    /// An interest's id, or "new".
    pub interest: String,
    pub category: String,
    pub kind: String,
    pub counterparty: String,
    pub description: String,
    pub action: String,
}

pub fn declare_for_item(
    pool: &Pool,
    actor: &SessionUser,
    meeting_id: i32,
    item_id: i32,
    form: &ItemDeclarationForm,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    let (meeting, committee, organisation) = administered_meeting(&mut conn, actor, meeting_id)?;
    let item = store::items(&mut conn, meeting_id)?
        .into_iter()
        .find(|i| i.id == item_id)
        .ok_or(AppError::NotFound)?;
    if item.status != "open" {
        return Err(AppError::Conflict(format!(
            "Item {} is decided: its declarations are on record.",
            item.position
        )));
    }
    let people = register_store::people(&mut conn, organisation.id)?;
    let terms = meeting_terms(&mut conn, &meeting, &committee, &people)?;
    let mut errors = Vec::new();
    let member = form
        .person
        .trim()
        .parse::<i32>()
        .ok()
        .and_then(|id| terms.member(id))
        .cloned();
    if member.is_none() {
        errors.push(FieldError::new("person", "Choose the member who declares the interest"));
    }
    let action = Action::parse(&form.action);
    if action.is_none() {
        errors.push(FieldError::new("action", "Choose the action agreed for the item"));
    }
    if let (Some(member), Some(Action::Substituted)) = (&member, action)
        && !terms.members.iter().any(|s| model::may_substitute(s, member))
    {
        errors.push(FieldError::new(
            "action",
            format!("{} has no substitute named in the terms of reference", member.name),
        ));
    }
    let day = crate::time::london_day(meeting.starts_at);
    let existing: Option<InterestRow> = match (form.interest.as_str(), &member) {
        ("new", _) | ("", _) => None,
        (id, Some(member)) => {
            let found = match id.parse::<i32>() {
                Ok(id) => register_store::interest_in_organisation(&mut conn, organisation.id, id)?
                    .filter(|i| i.person_id == member.id),
                Err(_) => None,
            };
            if found.is_none() {
                errors.push(FieldError::new(
                    "interest",
                    format!("Choose one of {}'s declared interests, or a new one", member.name),
                ));
            }
            found
        }
        (_, None) => None,
    };
    let new_interest = if form.interest == "new" || form.interest.is_empty() {
        let declaration = Declaration {
            category: Category::parse(&form.category).unwrap_or(Category::Financial),
            kind: Kind::parse(&form.kind).unwrap_or(Kind::Other),
            counterparty: tidy(&form.counterparty),
            description: form.description.trim().to_owned(),
            starts_on: day,
            ends_on: None,
            declared_on: day,
            value_pence: None,
            accepted: None,
            management: action.map(|a| a.words().to_owned()).unwrap_or_default(),
            agreed_by: format!("{}, meeting of {}", committee.name, crate::time::day(day)),
            withheld_reason: None,
        };
        if Category::parse(&form.category).is_none() {
            errors.push(FieldError::new("category", "Choose the category of the new interest"));
        }
        if Kind::parse(&form.kind).is_none() {
            errors.push(FieldError::new("kind", "Choose the type of the new interest"));
        }
        let today = super::register::service::today().max(day);
        errors.extend(
            declaration
                .problems(today)
                .into_iter()
                .filter(|p| matches!(p.field, "counterparty" | "description"))
                .map(|p| FieldError::new(p.field, p.message)),
        );
        Some(declaration)
    } else {
        None
    };
    let (Some(member), Some(action)) = (member, action) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    crate::db::write_transaction(&mut conn, |c| {
        let (interest_id, what) = match (&existing, &new_interest) {
            (Some(row), _) => (
                row.id,
                format!(
                    "{} with {}",
                    Kind::parse(&row.kind).map_or("An interest", |k| k.words()),
                    row.counterparty
                ),
            ),
            (None, Some(d)) => {
                let id = register_store::insert_interest(
                    c,
                    &NewInterest {
                        person_id: member.id,
                        category: d.category.key().to_owned(),
                        kind: d.kind.key().to_owned(),
                        counterparty: d.counterparty.clone(),
                        description: d.description.clone(),
                        starts_on: d.starts_on,
                        ends_on: None,
                        declared_on: d.declared_on,
                        value_pence: None,
                        accepted: None,
                        management: d.management.clone(),
                        agreed_by: d.agreed_by.clone(),
                        withheld_reason: None,
                        recorded_by: Some(actor.id),
                        recorded_at: now(),
                    },
                )?;
                if let Some(person) = people.iter().find(|p| p.id == member.id) {
                    super::register::service::count_as_return(c, person, super::register::service::today())?;
                }
                audit(
                    c,
                    actor,
                    organisation.id,
                    "interests.declare",
                    "interest",
                    id,
                    format!(
                        "{}: {} ({}) with {}, declared at the meeting {}",
                        member.name,
                        d.kind.words(),
                        d.category.words().to_lowercase(),
                        d.counterparty,
                        meeting.title
                    ),
                )?;
                (id, format!("{} with {}", d.kind.words(), d.counterparty))
            }
            (None, None) => return Err(AppError::Internal("a declaration with no interest".into())),
        };
        store::save_declaration(c, item_id, member.id, Some(interest_id), action.key(), now())?;
        audit(
            c,
            actor,
            organisation.id,
            "meeting.declaration",
            "meeting",
            meeting_id,
            format!(
                "Item {} ({}): {} declared an interest ({what}) and {}",
                item.position,
                item.title,
                member.name,
                action.words()
            ),
        )?;
        Ok(())
    })
}

/// Everything the meeting page and the minutes read.
pub struct MeetingView {
    pub meeting: MeetingRow,
    pub committee: CommitteeRow,
    pub organisation: Organisation,
    pub terms: Terms,
    pub access: Access,
    pub attendance: BTreeMap<i32, Attendance>,
    pub items: Vec<ItemView>,
    /// Minutes of earlier meetings of the committee awaiting approval at
    /// this one: (meeting id, title, when).
    pub to_approve: Vec<(i32, String, NaiveDateTime)>,
    /// The meeting whose minutes approved this one's, if any.
    pub approved_at: Option<(i32, String)>,
    /// Everyone on the organisation's register by id, for naming those who
    /// declared at the meeting and have since left the committee.
    pub names: BTreeMap<i32, String>,
    /// Items whose papers are withheld from the viewer, a member with a
    /// conflict on them, when the committee's terms say so.
    pub papers_withheld: BTreeSet<i32>,
}

impl MeetingView {
    /// A member's name, or a former member's, from the register.
    pub fn name(&self, person: i32) -> String {
        self.names
            .get(&person)
            .cloned()
            .unwrap_or_else(|| "A member".to_owned())
    }
}

pub struct ItemView {
    pub row: ItemRow,
    pub subjects: Vec<String>,
    pub actions: BTreeMap<i32, Action>,
    /// (person, interest described, withheld from the public register,
    /// action).
    pub declarations: Vec<(i32, String, bool, Action)>,
    /// Standing interests on the register that name one of the item's
    /// subjects, of members with no declaration for it yet: (person,
    /// interest id, described).
    pub standing: Vec<(i32, i32, String)>,
    pub voters: ItemVoters,
    pub votes: BTreeMap<i32, Vote>,
    pub casting: Option<(i32, Vote)>,
    pub papers: Vec<store::PaperInfo>,
}

/// How a declared interest is named once its register entry has been
/// deleted, six years after it ended.
pub const PAST_KEEPING: &str =
    "an interest since removed from the register, six years after it ended or its holder left";

/// How a declared interest withheld from the public register is named to
/// anyone but the register's keepers, and in the minutes.
pub const WITHHELD: &str = "an interest withheld from the public register";

fn described(row: &InterestRow) -> String {
    format!(
        "{} with {}: {}",
        Kind::parse(&row.kind).map_or("Interest", |k| k.words()),
        row.counterparty,
        row.description
    )
}

pub fn meeting_view(pool: &Pool, grants: &Grants, user_id: Option<i32>, id: i32) -> AppResult<MeetingView> {
    let mut conn = pool.get()?;
    let (meeting, committee, organisation) = meeting_of(&mut conn, id)?;
    let access = access(&mut conn, grants, user_id, &committee)?;
    let people = register_store::people(&mut conn, organisation.id)?;
    let terms = meeting_terms(&mut conn, &meeting, &committee, &people)?;
    let attendance: BTreeMap<i32, Attendance> = store::attendance(&mut conn, id)?
        .into_iter()
        .filter_map(|(person, a)| Some((person, Attendance::parse(&a)?)))
        .collect();
    let rows: Vec<ItemRow> = store::items(&mut conn, id)?
        .into_iter()
        .filter(|i| access.sees_all || !i.private)
        .collect();
    let item_ids: Vec<i32> = rows.iter().map(|i| i.id).collect();
    let declarations = store::declarations(&mut conn, &item_ids)?;
    let votes = store::votes(&mut conn, &item_ids)?;
    let papers = store::papers(&mut conn, &item_ids)?;
    // Members' interests, and those of anyone who declared at the meeting
    // and has since left the committee, so the record keeps its words.
    let mut declarants: BTreeSet<i32> = terms.members.iter().map(|m| m.id).collect();
    declarants.extend(declarations.iter().map(|d| d.person_id));
    let today = crate::time::london_day(meeting.starts_at);
    let declarant_list: Vec<i32> = declarants.iter().copied().collect();
    let interests: Vec<InterestRow> = register_store::interests_of_people(&mut conn, &declarant_list)?;
    let viewer_people: Vec<i32> = people
        .iter()
        .filter(|p| user_id.is_some() && p.user_id == user_id)
        .map(|p| p.id)
        .collect();
    let touching = |person: i32, subjects: &[String]| {
        interests.iter().filter(|i| i.person_id == person).any(|i| {
            super::register::service::declaration_of(i).is_some_and(|d| d.current(today) && d.touches(subjects))
        })
    };
    let mut papers_withheld = BTreeSet::new();
    let interest_of = |id: Option<i32>| interests.iter().find(|i| Some(i.id) == id);
    let mut items = Vec::new();
    for row in rows {
        let subjects: Vec<String> = row
            .subjects
            .lines()
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
            .collect();
        let mine: Vec<_> = declarations.iter().filter(|d| d.item_id == row.id).collect();
        let actions: BTreeMap<i32, Action> = mine
            .iter()
            .filter_map(|d| Some((d.person_id, Action::parse(&d.action)?)))
            .collect();
        let declared: Vec<(i32, String, bool, Action)> = mine
            .iter()
            .filter_map(|d| {
                let interest = interest_of(d.interest_id);
                Some((
                    d.person_id,
                    interest.map_or_else(|| PAST_KEEPING.to_owned(), described),
                    interest.is_some_and(|i| i.withheld_reason.is_some()),
                    Action::parse(&d.action)?,
                ))
            })
            .collect();
        // Shown to the secretary only, so worked out only for them.
        let standing: Vec<(i32, i32, String)> = interests
            .iter()
            .filter(|_| access.administers)
            .filter(|i| !actions.contains_key(&i.person_id))
            .filter(|i| {
                super::register::service::declaration_of(i).is_some_and(|d| d.current(today) && d.touches(&subjects))
            })
            .map(|i| (i.person_id, i.id, described(i)))
            .collect();
        // A member is conflicted on the item by what was declared at the
        // meeting or, before that (when papers go out), by a running
        // interest on the register that names what the item is about.
        if terms.withhold_papers_from_conflicted
            && viewer_people.iter().any(|p| match actions.get(p) {
                Some(action) => !action.votes(),
                None => touching(*p, &subjects),
            })
        {
            papers_withheld.insert(row.id);
        }
        let voters = model::item_voters(&terms, &attendance, &actions);
        let item_votes: BTreeMap<i32, Vote> = votes
            .iter()
            .filter(|v| v.item_id == row.id && !v.casting)
            .filter_map(|v| Some((v.person_id, Vote::parse(&v.vote)?)))
            .collect();
        let casting = votes
            .iter()
            .find(|v| v.item_id == row.id && v.casting)
            .and_then(|v| Some((v.person_id, Vote::parse(&v.vote)?)));
        items.push(ItemView {
            papers: papers.iter().filter(|p| p.item_id == row.id).cloned().collect(),
            subjects,
            actions,
            declarations: declared,
            standing,
            voters,
            votes: item_votes,
            casting,
            row,
        });
    }
    let to_approve = if meeting.starts_at <= now() {
        store::meetings_of(&mut conn, committee.id)?
            .into_iter()
            .filter(|m| m.starts_at < meeting.starts_at && m.minutes.is_some() && m.minutes_approved_at.is_none())
            .map(|m| (m.id, m.title, m.starts_at))
            .collect()
    } else {
        Vec::new()
    };
    let approved_at = match meeting.minutes_approved_by {
        Some(by) => store::meeting(&mut conn, by)?.map(|m| (m.id, m.title)),
        None => None,
    };
    Ok(MeetingView {
        names: people.into_iter().map(|p| (p.id, p.name)).collect(),
        papers_withheld,
        meeting,
        committee,
        organisation,
        terms,
        access,
        attendance,
        items,
        to_approve,
        approved_at,
    })
}

/// The decision on an item, as the form sends it: `outcome` is "vote",
/// "defer" or "note"; with a vote, `vote-PERSON` for each member who may
/// vote, `casting` on a tie, and optionally the proposer and seconder.
pub fn decide_item(
    pool: &Pool,
    actor: &SessionUser,
    meeting_id: i32,
    item_id: i32,
    form: &HashMap<String, String>,
) -> AppResult<()> {
    let view = meeting_view(pool, &actor.grants(), Some(actor.id), meeting_id)?;
    if !view.access.administers {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} act as the committee's secretary.",
            view.organisation.name
        )));
    }
    let item = view
        .items
        .iter()
        .find(|i| i.row.id == item_id)
        .ok_or(AppError::NotFound)?;
    if item.row.status != "open" {
        return Err(AppError::Conflict(format!(
            "Item {} is decided already.",
            item.row.position
        )));
    }
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let name = |id: i32| view.terms.member(id).map_or_else(String::new, |m| m.name.clone());
    let present_member = |field_name: &str, what: &str, errors: &mut Vec<FieldError>| -> Option<i32> {
        match field(field_name) {
            "" => None,
            typed => {
                let id = typed
                    .parse::<i32>()
                    .ok()
                    .filter(|id| view.attendance.get(id) == Some(&Attendance::Present));
                if id.is_none() {
                    errors.push(FieldError::new(
                        field_name,
                        format!("Choose the {what} from the members present"),
                    ));
                }
                id
            }
        }
    };
    let (status, result, proposer, seconder, votes, casting) = match field("outcome") {
        "defer" => (
            "deferred",
            "Deferred to a later meeting.".to_owned(),
            None,
            None,
            Vec::new(),
            None,
        ),
        "note" if item.row.motion.is_empty() => ("noted", "Noted.".to_owned(), None, None, Vec::new(), None),
        "note" => {
            return Err(AppError::invalid(
                "outcome",
                "The item has a motion: record the vote on it, or defer it",
            ));
        }
        "vote" if item.row.motion.is_empty() => {
            return Err(AppError::invalid(
                "outcome",
                "The item has no motion to vote on: note it, or defer it",
            ));
        }
        "vote" => {
            if !item.voters.quorum.quorate() {
                return Err(AppError::Conflict(item.voters.quorum.words()));
            }
            let mut errors = Vec::new();
            let proposer = present_member("proposer", "proposer", &mut errors);
            let seconder = present_member("seconder", "seconder", &mut errors);
            if proposer.is_some() && proposer == seconder {
                errors.push(FieldError::new(
                    "seconder",
                    "The seconder must be someone other than the proposer",
                ));
            }
            let mut votes = BTreeMap::new();
            for (key, value) in form {
                let Some(person) = key.strip_prefix("vote-") else {
                    continue;
                };
                let (Ok(person), Some(vote)) = (person.parse::<i32>(), Vote::parse(value.trim())) else {
                    if !value.trim().is_empty() {
                        errors.push(FieldError::new(key, "Choose for, against or abstain"));
                    }
                    continue;
                };
                votes.insert(person, vote);
            }
            let casting_vote = match field("casting") {
                "" => None,
                typed => match Vote::parse(typed) {
                    Some(v) => Some(v),
                    None => {
                        errors.push(FieldError::new("casting", "Choose for or against"));
                        None
                    }
                },
            };
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            let decision = model::decide(&view.terms, &item.voters, &votes, casting_vote).map_err(|problem| {
                let field = match &problem {
                    model::DecisionProblem::Missing(_) | model::DecisionProblem::NotEligible(_) => item
                        .voters
                        .voters
                        .first()
                        .map_or("outcome".to_owned(), |id| format!("vote-{id}")),
                    model::DecisionProblem::NotQuorate(_) => "outcome".to_owned(),
                    _ => "casting".to_owned(),
                };
                AppError::Invalid(vec![FieldError::new(&field, problem.to_string())])
            })?;
            let mut sentence = String::new();
            if let Some(p) = proposer {
                sentence.push_str(&format!("Proposed by {}", name(p)));
                if let Some(s) = seconder {
                    sentence.push_str(&format!(", seconded by {}", name(s)));
                }
                sentence.push_str(". ");
            }
            sentence.push_str(&decision.sentence(&view.terms, &item.voters));
            let status = match decision.outcome {
                Outcome::Carried => "carried",
                Outcome::Lost => "lost",
            };
            (
                status,
                sentence,
                proposer,
                seconder,
                votes.into_iter().collect::<Vec<_>>(),
                decision.casting,
            )
        }
        _ => {
            return Err(AppError::invalid(
                "outcome",
                "Choose whether the item is voted on, noted or deferred",
            ));
        }
    };
    let mut conn = pool.get()?;
    let organisation_id = view.organisation.id;
    let position = item.row.position;
    crate::db::write_transaction(&mut conn, |c| {
        if store::decide_item(c, item_id, status, proposer, seconder, &result, now())? == 0 {
            return Err(AppError::Conflict(format!("Item {position} is decided already.")));
        }
        let mut rows: Vec<(i32, &str, bool)> = votes.iter().map(|(p, v)| (*p, v.key(), false)).collect();
        if let Some((chair, vote)) = casting {
            rows.push((chair, vote.key(), true));
        }
        store::insert_votes(c, item_id, &rows)?;
        audit(
            c,
            actor,
            organisation_id,
            "meeting.decision",
            "meeting",
            meeting_id,
            format!("Item {position} ({}): {result}", item.row.title),
        )?;
        Ok(())
    })
}

/// Minutes drafted from the record: attendance, apologies, declarations
/// and the action on each, the quorum of each item, and the decisions
/// with their votes. Private items are left out: their record is kept
/// by the organisation and shown to those who see all.
pub fn draft_minutes(view: &MeetingView) -> String {
    let name_role = |id: &i32| {
        view.terms
            .member(*id)
            .map_or_else(String::new, |m| format!("{} ({})", m.name, m.role.noun()))
    };
    let with = |wanted: Attendance, voting: Option<bool>| -> Vec<String> {
        view.terms
            .members
            .iter()
            .filter(|m| view.attendance.get(&m.id) == Some(&wanted))
            .filter(|m| voting.is_none_or(|v| m.voting == v && !m.role.is_attendee()))
            .map(|m| name_role(&m.id))
            .collect()
    };
    let list = |names: Vec<String>| {
        if names.is_empty() {
            "None.".to_owned()
        } else {
            format!("{}.", names.join("; "))
        }
    };
    let mut text = format!(
        "Minutes of the {} of the {} of {}, held on {} at {}.\n\n",
        view.meeting.title,
        view.committee.name,
        view.organisation.name,
        crate::time::date_time(view.meeting.starts_at),
        view.meeting.location
    );
    let attendees: Vec<String> = view
        .terms
        .members
        .iter()
        .filter(|m| (m.role.is_attendee() || !m.voting) && view.attendance.get(&m.id) == Some(&Attendance::Present))
        .map(|m| name_role(&m.id))
        .collect();
    text.push_str(&format!(
        "Voting members present: {}\n",
        list(with(Attendance::Present, Some(true)))
    ));
    text.push_str(&format!("In attendance: {}\n", list(attendees)));
    text.push_str(&format!("Apologies: {}\n\n", list(with(Attendance::Apologies, None))));
    let mut private = 0;
    for item in &view.items {
        if item.row.private {
            private += 1;
            continue;
        }
        text.push_str(&format!("{}. {}\n", item.row.position, item.row.title));
        for (person, interest, withheld, action) in &item.declarations {
            text.push_str(&format!(
                "{} declared an interest ({}) and {}.\n",
                view.name(*person),
                if *withheld { WITHHELD } else { interest.as_str() },
                action.words()
            ));
        }
        if item.declarations.is_empty() {
            text.push_str("No interests were declared.\n");
        }
        if !item.row.motion.is_empty() {
            text.push_str(&format!("Motion: {}\n", item.row.motion));
        }
        match item.row.result.as_deref() {
            Some(result) => text.push_str(&format!("{result}\n")),
            None if !item.voters.quorum.quorate() => text.push_str(&format!("{}\n", item.voters.quorum.words())),
            None => text.push_str("Not decided.\n"),
        }
        text.push('\n');
    }
    if private > 0 {
        text.push_str(&format!(
            "The committee then met in private for {} item{}, the public being excluded. Their record is kept by {}.\n",
            private,
            if private == 1 { "" } else { "s" },
            view.organisation.name
        ));
    }
    text
}

/// Saves the secretary's minutes (until approved); empty drafts them from
/// the record.
pub fn save_minutes(pool: &Pool, actor: &SessionUser, meeting_id: i32, text: &str) -> AppResult<()> {
    let view = meeting_view(pool, &actor.grants(), Some(actor.id), meeting_id)?;
    if !view.access.administers {
        return Err(AppError::Forbidden(
            "Only the committee's secretary edits its minutes.".into(),
        ));
    }
    if view.meeting.minutes_approved_at.is_some() {
        return Err(AppError::Conflict(
            "The minutes are approved: they cannot change.".into(),
        ));
    }
    let text = crate::web::form::lf_lines(text.trim());
    let text = if text.is_empty() { draft_minutes(&view) } else { text };
    if text.chars().count() > 50_000 {
        return Err(AppError::invalid(
            "minutes",
            "The minutes must be 50,000 characters or fewer",
        ));
    }
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::set_minutes(c, meeting_id, &text)? == 0 {
            return Err(AppError::Conflict(
                "The minutes are approved: they cannot change.".into(),
            ));
        }
        audit(
            c,
            actor,
            view.organisation.id,
            "meeting.minutes_save",
            "meeting",
            meeting_id,
            format!("Draft minutes of {} saved", view.meeting.title),
        )?;
        Ok(())
    })
}

/// Records at this meeting (held) the approval of an earlier meeting's
/// draft minutes.
pub fn approve_minutes(pool: &Pool, actor: &SessionUser, meeting_id: i32, earlier: i32) -> AppResult<()> {
    let view = meeting_view(pool, &actor.grants(), Some(actor.id), meeting_id)?;
    if !view.access.administers {
        return Err(AppError::Forbidden(
            "Only the committee's secretary records the approval of minutes.".into(),
        ));
    }
    let Some((_, title, _)) = view.to_approve.iter().find(|(id, _, _)| *id == earlier) else {
        return Err(AppError::invalid(
            "earlier",
            "Choose an earlier meeting of the committee whose draft minutes await approval",
        ));
    };
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::approve_minutes(c, earlier, meeting_id, now())? == 0 {
            return Err(AppError::Conflict("Those minutes are approved already.".into()));
        }
        audit(
            c,
            actor,
            view.organisation.id,
            "meeting.minutes_approve",
            "meeting",
            earlier,
            format!("Minutes of {title} approved at {}", view.meeting.title),
        )?;
        Ok(())
    })
}

/// Publishes approved minutes: they appear on the public meeting page.
pub fn publish_minutes(pool: &Pool, actor: &SessionUser, meeting_id: i32) -> AppResult<()> {
    let view = meeting_view(pool, &actor.grants(), Some(actor.id), meeting_id)?;
    if !view.access.administers {
        return Err(AppError::Forbidden(
            "Only the committee's secretary publishes its minutes.".into(),
        ));
    }
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if store::publish_minutes(c, meeting_id, now())? == 0 {
            return Err(AppError::Conflict(
                "Only approved minutes that are not yet published can be published.".into(),
            ));
        }
        audit(
            c,
            actor,
            view.organisation.id,
            "meeting.minutes_publish",
            "meeting",
            meeting_id,
            format!("Minutes of {} published", view.meeting.title),
        )?;
        Ok(())
    })
}

/// The line of an LMC's checklist for a decided item: quorate after
/// recusals, conflicted members did not vote, minutes published.
pub fn checklist(view: &MeetingView, item: &ItemView) -> Vec<(String, bool)> {
    let conflicted_voted = item
        .votes
        .keys()
        .any(|p| item.actions.get(p).is_some_and(|a| !a.votes()));
    vec![
        (
            "Quorate after declarations and substitutions".to_owned(),
            item.voters.quorum.quorate(),
        ),
        (
            "No member who declared a conflict and was excluded voted".to_owned(),
            !conflicted_voted,
        ),
        (
            "Minutes approved and published".to_owned(),
            view.meeting.minutes_published_at.is_some(),
        ),
    ]
}

/// The day of a meeting in England, for its page and calendar file.
pub fn meeting_day(meeting: &MeetingRow) -> NaiveDate {
    crate::time::london_day(meeting.starts_at)
}

/// Sends the notice of the meeting, with its agenda, to every member with
/// an email address on the register (administrators only); again if the
/// agenda changes. The number sent.
pub fn send_notice(pool: &Pool, outbox: &Outbox, actor: &SessionUser, meeting_id: i32) -> AppResult<usize> {
    let view = meeting_view(pool, &actor.grants(), Some(actor.id), meeting_id)?;
    if !view.access.administers {
        return Err(AppError::Forbidden(
            "Only the committee's secretary gives notice of its meetings.".into(),
        ));
    }
    if view.items.is_empty() {
        return Err(AppError::invalid(
            "notice",
            "Set the agenda before giving notice of the meeting",
        ));
    }
    if view.meeting.starts_at <= now() {
        return Err(AppError::invalid(
            "notice",
            "The meeting has begun: notice is given before it",
        ));
    }
    let mut conn = pool.get()?;
    let people = register_store::people(&mut conn, view.organisation.id)?;
    let base = outbox.base_url().trim_end_matches('/').to_owned();
    let items: Vec<String> = view
        .items
        .iter()
        .map(|i| {
            format!(
                "{}. {}{}",
                i.row.position,
                i.row.title,
                if i.row.private { " (private part)" } else { "" }
            )
        })
        .collect();
    let when = crate::time::date_time(view.meeting.starts_at);
    let mails: Vec<Mail> = view
        .terms
        .members
        .iter()
        .filter_map(|m| {
            let person = people.iter().find(|p| p.id == m.id)?;
            let email = person.email.clone()?;
            Some(Mail {
                template: "meeting_notice",
                to_email: email,
                to_name: person.name.clone(),
                sender: view.organisation.name.clone(),
                reason: format!(
                    "You get this email because you are a member of {}'s {}.",
                    view.organisation.name, view.committee.name
                ),
                event: EventKind::Organisation,
                event_id: Some(view.organisation.id),
                organisation_id: Some(view.organisation.id),
                practice_id: None,
                user_id: person.user_id,
                context: json!({
                    "organisation": view.organisation.name,
                    "committee": view.committee.name,
                    "title": view.meeting.title,
                    "when": when,
                    "location": view.meeting.location,
                    "items": items,
                    "meeting_url": format!("{base}/meetings/{meeting_id}"),
                    "calendar_url": format!("{base}/meetings/{meeting_id}/calendar.ics"),
                }),
                sealed: false,
            })
        })
        .collect();
    if mails.is_empty() {
        return Err(AppError::invalid(
            "notice",
            "No member has an email address on the register of interests: add them there first",
        ));
    }
    let sent = mails.len();
    crate::db::write_transaction(&mut conn, |c| {
        outbox.enqueue_all(c, mails)?;
        store::mark_noticed(c, meeting_id, now())?;
        audit(
            c,
            actor,
            view.organisation.id,
            "meeting.notice",
            "meeting",
            meeting_id,
            format!(
                "Notice of {} on {when} sent to {sent} of {} members{}",
                view.meeting.title,
                view.terms.members.len(),
                if view.meeting.noticed_at.is_some() {
                    ", again"
                } else {
                    ""
                }
            ),
        )?;
        Ok(sent)
    })
}

/// Adds a paper to an agenda item (administrators only): the same file
/// types and size as a consultation's documents.
pub fn add_paper(
    pool: &Pool,
    actor: &SessionUser,
    meeting_id: i32,
    item_id: i32,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<i32> {
    let mut conn = pool.get()?;
    // Who may add is settled before the file is looked at.
    let (meeting, _, organisation) = administered_meeting(&mut conn, actor, meeting_id)?;
    let item = store::items(&mut conn, meeting_id)?
        .into_iter()
        .find(|i| i.id == item_id)
        .ok_or(AppError::NotFound)?;
    if item.status != "open" {
        return Err(AppError::invalid(
            "paper",
            format!(
                "Item {} is decided: its papers are on record as they were",
                item.position
            ),
        ));
    }
    let (name, content_type) = crate::consult::model::check_document(file_name, bytes)
        .map_err(|e| AppError::Invalid(vec![FieldError::new("paper", e.message)]))?;
    let sha256 = crate::token::digest_bytes(bytes);
    crate::db::write_transaction(&mut conn, |c| {
        let id = store::add_paper(c, item_id, &name, content_type, bytes, &sha256, actor.id, now())?;
        audit(
            c,
            actor,
            organisation.id,
            "meeting.paper",
            "meeting",
            meeting_id,
            format!(
                "Paper \"{name}\" added to item {} of {} ({} bytes, SHA-256 {sha256})",
                item.position,
                meeting.title,
                bytes.len()
            ),
        )?;
        Ok(id)
    })
}

/// Why a member cannot have an item's papers.
const PAPERS_WITHHELD: &str = "The committee withholds an item's papers from a member with a conflict of interest on it: \
     declared for the item, or on the register of interests naming what the item is about.";

/// A paper for download: a private item's only for those who see all, and
/// none for a member conflicted on the item when the committee withholds
/// papers from them. (file name, content type, content).
pub fn paper(
    pool: &Pool,
    grants: &Grants,
    user_id: Option<i32>,
    meeting_id: i32,
    item_id: i32,
    paper_id: i32,
) -> AppResult<(String, String, Vec<u8>)> {
    let view = meeting_view(pool, grants, user_id, meeting_id)?;
    let item = view
        .items
        .iter()
        .find(|i| i.row.id == item_id)
        .ok_or(AppError::NotFound)?;
    if view.papers_withheld.contains(&item.row.id) {
        return Err(AppError::Forbidden(PAPERS_WITHHELD.into()));
    }
    let mut conn = pool.get()?;
    store::paper(&mut conn, item_id, paper_id)?.ok_or(AppError::NotFound)
}
