//! Ballot use-cases: drafts, publication (electorate, links, notices),
//! the timetable kept by the scheduler, cancellation and extension, the
//! count, and what each kind of user may see. Each runs in one transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::Connection;
use serde_json::json;

use super::model::{
    BallotKind, BallotOption, BallotRules, BallotState, DraftInput, Member, MotionKind, RulesInput, Secrecy,
    check_draft, check_notice, freeze_electorate,
};
use super::rules::{self, BallotResult, Elector, Paper};
use super::store::{self, Ballot, ElectorRow, NewToken, OptionRow};
use crate::accounts::model::Grants;
use crate::accounts::service::SessionUser;
use crate::audit::model::Actor;
use crate::audit::service::{Event, record};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox, cancel_pending};
use crate::registry::model::OrganisationCode;
use crate::registry::model::PracticeStatus;
use crate::registry::register::status_on;
use crate::registry::store::{Organisation, Practice, list_sizes, representatives};

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Today in England, the day the register is read on.
pub fn london_day(utc: NaiveDateTime) -> NaiveDate {
    chrono_tz::Europe::London.from_utc_datetime(&utc).date_naive()
}

/// The scheduler, in the audit log.
fn scheduler_actor() -> Actor {
    Actor {
        user_id: None,
        label: "scheduler".into(),
    }
}

/// A draft as the form or the API sends it. Times that could not be read
/// are `None`, with the reason in `edge_errors`.
#[derive(Debug, Clone, Default)]
pub struct DraftRequest {
    pub kind: String,
    pub title: String,
    pub question: String,
    pub papers: String,
    pub current_text: String,
    pub proposed_text: String,
    pub motion_kind: String,
    pub motion_subject: String,
    /// `None`: the kind's preset options.
    pub options: Option<Vec<BallotOption>>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub rules: RulesInput,
    pub edge_errors: Vec<FieldError>,
}

const MAX_TEXT_CHARS: usize = 50_000;

/// Checks a draft against the organisation's settings: the row to write
/// and its options, or every problem.
fn checked_draft(
    request: &DraftRequest,
    settings: &crate::registry::constitution::ConstitutionSettings,
    now: NaiveDateTime,
) -> Result<(store::DraftRow, Vec<BallotOption>), Vec<FieldError>> {
    let mut errors = request.edge_errors.clone();
    let Some(kind) = BallotKind::parse(request.kind.trim()) else {
        errors.push(FieldError::new(
            "kind",
            "Choose the kind of ballot: general, co_commissioning, constitution_amendment or motion",
        ));
        return Err(errors);
    };
    let motion = if kind == BallotKind::Motion {
        let parsed = MotionKind::parse(request.motion_kind.trim());
        if parsed.is_none() {
            errors.push(FieldError::new(
                "motion-kind",
                "Choose what the motion is about: remove_member, recall, merger or application",
            ));
        }
        parsed
    } else {
        None
    };
    if motion == Some(MotionKind::RemoveMember) && request.motion_subject.trim().is_empty() {
        errors.push(FieldError::new(
            "motion-subject",
            "Enter the name of the governing body member the motion would remove",
        ));
    }
    if kind == BallotKind::ConstitutionAmendment {
        if request.current_text.trim().is_empty() {
            errors.push(FieldError::new(
                "current-text",
                "Enter the current text of the clauses the amendment changes",
            ));
        }
        if request.proposed_text.trim().is_empty() {
            errors.push(FieldError::new(
                "proposed-text",
                "Enter the proposed text of the clauses",
            ));
        } else if request.proposed_text.trim() == request.current_text.trim() {
            errors.push(FieldError::new(
                "proposed-text",
                "The proposed text is the same as the current text",
            ));
        }
    }
    for (field, text) in [
        ("papers", &request.papers),
        ("current-text", &request.current_text),
        ("proposed-text", &request.proposed_text),
    ] {
        if text.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError::new(field, "This text must be 50,000 characters or less"));
        }
    }
    if request.motion_subject.chars().count() > 200 {
        errors.push(FieldError::new("motion-subject", "This must be 200 characters or less"));
    }
    let options = request.options.clone().unwrap_or_else(|| kind.preset_options());
    let rules = BallotRules::defaults(settings, kind, motion).with(request.rules.clone());
    let mut rules = rules;
    rules.constituencies = rules
        .constituencies
        .into_iter()
        .map(|(code, name)| (code.trim().to_ascii_uppercase(), name.trim().to_owned()))
        .collect();
    errors.extend(rules.check());
    // A missing time is reported once; the other checks still run.
    let opens_at = request.opens_at.unwrap_or(now + Duration::days(1));
    let closes_at = request.closes_at.unwrap_or(opens_at + Duration::days(1));
    let input = DraftInput {
        kind,
        title: request.title.clone(),
        question: request.question.clone(),
        options: options.clone(),
        opens_at,
        closes_at,
    };
    let mut missing = Vec::new();
    for (field, value, message) in [
        ("opens-at", request.opens_at, "Enter when voting opens"),
        ("closes-at", request.closes_at, "Enter when voting closes"),
    ] {
        if value.is_none() {
            missing.push(field);
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, message));
            }
        }
    }
    errors.extend(
        check_draft(&input, now)
            .into_iter()
            .filter(|e| !missing.contains(&e.field.as_str())),
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let rules_json = serde_json::to_string(&rules).map_err(|e| vec![FieldError::new("rules", e.to_string())])?;
    Ok((
        store::DraftRow {
            kind: kind.as_str().to_owned(),
            title: request.title.trim().to_owned(),
            question: request.question.trim().to_owned(),
            papers: request.papers.trim().to_owned(),
            current_text: request.current_text.trim().to_owned(),
            proposed_text: request.proposed_text.trim().to_owned(),
            motion_kind: motion.map(|m| m.as_str().to_owned()).unwrap_or_default(),
            motion_subject: request.motion_subject.trim().to_owned(),
            rules: rules_json,
            // Both are present: otherwise an error was returned above.
            opens_at: request.opens_at.unwrap_or(now),
            closes_at: request.closes_at.unwrap_or(now),
            updated_at: now,
        },
        options
            .into_iter()
            .map(|o| BallotOption {
                key: o.key.trim().to_owned(),
                label: o.label.trim().to_owned(),
                description: o.description.trim().to_owned(),
            })
            .collect(),
    ))
}

/// A ballot with everything the rules and pages need.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub ballot: Ballot,
    pub kind: BallotKind,
    pub state: BallotState,
    pub rules: BallotRules,
    pub options: Vec<OptionRow>,
    pub organisation: Organisation,
    pub covering_lmc_ids: Vec<i32>,
}

impl Loaded {
    pub fn option_keys(&self) -> Vec<String> {
        self.options.iter().map(|o| o.option_key.clone()).collect()
    }

    pub fn option_label(&self, key: &str) -> String {
        self.options
            .iter()
            .find(|o| o.option_key == key)
            .map_or_else(|| key.to_owned(), |o| o.label.clone())
    }
}

pub fn load(conn: &mut DbConn, id: i32) -> AppResult<Loaded> {
    let mut loaded = load_without_access_facts(conn, id)?;
    loaded.covering_lmc_ids = Organisation::covering_lmcs(conn, loaded.organisation.id)?
        .into_iter()
        .map(|o| o.id)
        .collect();
    Ok(loaded)
}

/// The ballot without the facts access rules need (`covering_lmc_ids` is
/// empty): for casting, where the credential decides.
pub fn load_without_access_facts(conn: &mut DbConn, id: i32) -> AppResult<Loaded> {
    let ballot = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    let kind = BallotKind::parse(&ballot.kind).ok_or_else(|| AppError::Internal(format!("ballot {id}: kind")))?;
    let state = BallotState::parse(&ballot.state).ok_or_else(|| AppError::Internal(format!("ballot {id}: state")))?;
    let rules: BallotRules =
        serde_json::from_str(&ballot.rules).map_err(|e| AppError::Internal(format!("ballot {id} rules: {e}")))?;
    let options = store::options(conn, id)?;
    let organisation = crate::registry::store::Organisation::with_ids(conn, &[ballot.organisation_id])?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        ballot,
        kind,
        state,
        rules,
        options,
        organisation,
        covering_lmc_ids: Vec::new(),
    })
}

/// What a user may do with a ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Administrators and the returning officer of its organisation.
    pub runs: bool,
    /// Observers from an LMC covering the organisation.
    pub observes: bool,
    /// Committee members and representatives of member practices.
    pub member: bool,
}

impl Access {
    /// Staff see everything except how a secret ballot's practices voted.
    pub fn oversees(&self) -> bool {
        self.runs || self.observes
    }
}

fn access(conn: &mut DbConn, grants: &Grants, loaded: &Loaded) -> AppResult<Access> {
    let runs = grants.runs_organisation(loaded.organisation.id);
    let observes = grants.observes_organisation(&loaded.covering_lmc_ids);
    let member = if runs || observes {
        true
    } else {
        let represented: Vec<i32> = grants
            .0
            .iter()
            .filter(|g| g.role == crate::accounts::model::Role::PracticeRep)
            .filter_map(|g| g.practice_id)
            .collect();
        let members_now = Practice::members_on(conn, loaded.organisation.id, london_day(now()))?;
        grants.0.iter().any(|g| {
            g.role == crate::accounts::model::Role::CommitteeMember && g.organisation_id == Some(loaded.organisation.id)
        }) || members_now.iter().any(|p| represented.contains(&p.id))
            || store::electorate_with_practices(conn, loaded.ballot.id)?
                .iter()
                .any(|(e, _, _)| represented.contains(&e.practice_id))
    };
    Ok(Access { runs, observes, member })
}

/// Loads a ballot for someone who may see it (drafts: only those who run it).
pub fn visible(conn: &mut DbConn, grants: &Grants, id: i32) -> AppResult<(Loaded, Access)> {
    let loaded = load(conn, id)?;
    let access = access(conn, grants, &loaded)?;
    let may_see = if loaded.state == BallotState::Draft {
        access.runs
    } else {
        access.runs || access.observes || access.member
    };
    if !may_see {
        // A draft is not announced yet: to others it does not exist.
        if loaded.state == BallotState::Draft && (access.observes || access.member) {
            return Err(AppError::NotFound);
        }
        return Err(AppError::Forbidden(format!(
            "Only the people who run {}, observers from its local medical committee and its member practices can see its ballots.",
            loaded.organisation.name
        )));
    }
    Ok((loaded, access))
}

fn require_runs(conn: &mut DbConn, actor: &SessionUser, id: i32) -> AppResult<Loaded> {
    let (loaded, access) = visible(conn, &actor.grants(), id)?;
    if !access.runs {
        return Err(AppError::Forbidden(format!(
            "Only administrators and the returning officer of {} can manage its ballots.",
            loaded.organisation.name
        )));
    }
    Ok(loaded)
}

fn organisation_run_by(conn: &mut DbConn, actor: &SessionUser, code: &str) -> AppResult<Organisation> {
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let organisation = Organisation::find_by_code(conn, code.as_str())?.ok_or(AppError::NotFound)?;
    if !actor.grants().runs_organisation(organisation.id) {
        return Err(AppError::Forbidden(format!(
            "Only administrators and the returning officer of {} can create its ballots.",
            organisation.name
        )));
    }
    Ok(organisation)
}

/// The settings a new ballot of `code` starts from.
pub fn defaults_for(
    pool: &Pool,
    actor: &SessionUser,
    code: &str,
) -> AppResult<(Organisation, crate::registry::constitution::ConstitutionSettings)> {
    let mut conn = pool.get()?;
    let organisation = organisation_run_by(&mut conn, actor, code)?;
    let settings = crate::registry::service::load_constitution(&mut conn, organisation.id)?;
    Ok((organisation, settings))
}

pub fn create_draft(pool: &Pool, actor: &SessionUser, code: &str, request: &DraftRequest) -> AppResult<i32> {
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        let organisation = organisation_run_by(c, actor, code)?;
        let settings = crate::registry::service::load_constitution(c, organisation.id)?;
        let now = now();
        let (row, options) = checked_draft(request, &settings, now).map_err(AppError::Invalid)?;
        let id = store::insert(c, organisation.id, &row, Some(actor.id), now)?;
        store::replace_options(c, id, &options)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(organisation.id),
                action: "ballot.create",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!("Draft ballot \"{}\" ({})", row.title, row.kind),
            },
        )?;
        Ok(id)
    })
}

pub fn update_draft(pool: &Pool, actor: &SessionUser, id: i32, request: &DraftRequest) -> AppResult<()> {
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        let loaded = require_runs(c, actor, id)?;
        if loaded.state != BallotState::Draft {
            return Err(AppError::Conflict(
                "This ballot has been published: its question, options and rules can no longer change.".into(),
            ));
        }
        let settings = crate::registry::service::load_constitution(c, loaded.organisation.id)?;
        let now = now();
        let (row, options) = checked_draft(request, &settings, now).map_err(AppError::Invalid)?;
        store::update_draft(c, id, &row)?;
        store::replace_options(c, id, &options)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.edit",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!("Draft ballot \"{}\" changed", row.title),
            },
        )?;
        Ok(())
    })
}

/// What publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub electors: usize,
    pub total_weight: u64,
    pub notices: usize,
    /// Electorate practices with no nominated representative to tell.
    pub without_representative: Vec<String>,
}

/// The text a frozen electorate's digest is taken of: one line per
/// practice, by ODS code: `code,weight,constituency`.
pub fn electorate_lines(rows: &[(String, u64, Option<String>)]) -> String {
    let mut sorted: Vec<&(String, u64, Option<String>)> = rows.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .into_iter()
        .map(|(code, weight, constituency)| format!("{code},{weight},{}\n", constituency.as_deref().unwrap_or("")))
        .collect()
}

/// Publishes a draft: gives notice. Freezes the electorate as the register
/// stands today, issues each voting representative a single-use link and
/// writes every notice, all in one transaction.
pub fn publish(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32) -> AppResult<Published> {
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        crate::db::claim_write_lock(c)?;
        let loaded = require_runs(c, actor, id)?;
        loaded.state.after(super::model::Transition::Publish).map_err(AppError::Conflict)?;
        let now = now();
        let settings = crate::registry::service::load_constitution(c, loaded.organisation.id)?;
        let ballot = &loaded.ballot;
        if ballot.opens_at <= now {
            return Err(AppError::invalid(
                "opens-at",
                "Voting must open after the ballot is published: change the opening time first",
            ));
        }
        check_notice(now, ballot.opens_at, settings.minimum_notice_days).map_err(|e| AppError::Invalid(vec![e]))?;
        let today = london_day(now);
        let members = Practice::members_on(c, loaded.organisation.id, today)?;
        let ids: Vec<i32> = members.iter().map(|p| p.id).collect();
        let size_day = loaded.rules.list_size_date.unwrap_or(today);
        let sizes = list_sizes::latest_on(c, &ids, size_day)?;
        let constituencies = &loaded.rules.constituencies;
        let register: Vec<Member> = members
            .iter()
            .map(|p| Member {
                practice_id: p.id,
                code: p.ods_code.clone(),
                active: status_on(p, today) == PracticeStatus::Active,
                list_size: sizes.get(&p.id).and_then(|(_, n)| u32::try_from(*n).ok()),
                constituency: constituencies.get(&p.ods_code).cloned(),
            })
            .collect();
        let frozen = freeze_electorate(&register, loaded.rules.weighting()).map_err(|e| AppError::Invalid(vec![e]))?;
        let by_id: HashMap<i32, &Practice> = members.iter().map(|p| (p.id, p)).collect();
        if !constituencies.is_empty() {
            let mut unassigned: Vec<&str> = frozen
                .iter()
                .filter(|e| e.elector.constituency.is_none())
                .filter_map(|e| by_id.get(&e.practice_id).map(|p| p.ods_code.as_str()))
                .collect();
            unassigned.sort();
            if !unassigned.is_empty() {
                return Err(AppError::invalid(
                    "constituencies",
                    format!(
                        "Every practice in the electorate needs a constituency; these have none: {}",
                        unassigned.join(", ")
                    ),
                ));
            }
            let electorate_codes: std::collections::HashSet<&str> = frozen
                .iter()
                .filter_map(|e| by_id.get(&e.practice_id).map(|p| p.ods_code.as_str()))
                .collect();
            let strangers: Vec<&str> = constituencies
                .keys()
                .map(String::as_str)
                .filter(|code| !electorate_codes.contains(code))
                .collect();
            if !strangers.is_empty() {
                return Err(AppError::invalid(
                    "constituencies",
                    format!(
                        "These practices are given a constituency but are not in the electorate: {}",
                        strangers.join(", ")
                    ),
                ));
            }
        }

        let elector_ids: Vec<i32> = frozen.iter().map(|e| e.practice_id).collect();
        let reps = representatives::voting_representatives_on(c, &elector_ids, today)?;
        let mut nominated: HashMap<i32, &representatives::CurrentRepresentative> = HashMap::new();
        let mut deputies: HashMap<i32, &representatives::CurrentRepresentative> = HashMap::new();
        for rep in &reps {
            match rep.kind.as_str() {
                "nominated" => nominated.insert(rep.practice_id, rep),
                _ => deputies.insert(rep.practice_id, rep),
            };
        }
        let rows: Vec<ElectorRow> = frozen
            .iter()
            .map(|e| ElectorRow {
                ballot_id: id,
                practice_id: e.practice_id,
                weight: i64::try_from(e.elector.weight).unwrap_or(i64::MAX),
                list_size: sizes.get(&e.practice_id).map(|(_, n)| *n),
                list_size_date: sizes.get(&e.practice_id).map(|(d, _)| *d),
                constituency: e.elector.constituency.clone(),
                nominated_user_id: nominated.get(&e.practice_id).map(|r| r.user_id),
                deputy_user_id: deputies.get(&e.practice_id).map(|r| r.user_id),
            })
            .collect();
        store::insert_electors(c, &rows)?;
        let digest_rows: Vec<(String, u64, Option<String>)> = frozen
            .iter()
            .filter_map(|e| {
                by_id
                    .get(&e.practice_id)
                    .map(|p| (p.ods_code.clone(), e.elector.weight, e.elector.constituency.clone()))
            })
            .collect();
        let electorate_digest = crate::token::digest(&electorate_lines(&digest_rows));
        store::set_electorate_digest(c, id, &electorate_digest)?;

        // Links and notices.
        let notice = NoticeContext::new(outbox, &loaded);
        let mut tokens = Vec::new();
        let mut mails = Vec::new();
        let mut without_representative = Vec::new();
        for elector in &frozen {
            let Some(practice) = by_id.get(&elector.practice_id) else {
                continue;
            };
            if !nominated.contains_key(&elector.practice_id) {
                without_representative.push(practice.ods_code.clone());
            }
            for rep in [nominated.get(&elector.practice_id), deputies.get(&elector.practice_id)]
                .into_iter()
                .flatten()
            {
                let may_vote = rep.kind == "nominated" || loaded.rules.deputies_may_vote();
                let link = may_vote.then(|| {
                    let raw = crate::token::link_token();
                    tokens.push(NewToken {
                        ballot_id: id,
                        practice_id: elector.practice_id,
                        user_id: Some(rep.user_id),
                        token_digest: crate::token::digest(&raw),
                        created_at: now,
                    });
                    format!("{}/vote/{raw}", outbox.base_url())
                });
                mails.push(notice.to_representative(rep, practice, elector.elector.weight, link));
            }
        }
        without_representative.sort();
        store::insert_tokens(c, &tokens)?;
        for (user_id, name, email) in crate::accounts::store::holders_of(c, "lmc_observer", &loaded.covering_lmc_ids)? {
            mails.push(notice.to_observer(user_id, &name, &email));
        }
        let notices = outbox.enqueue_all(c, mails)?;
        if store::transition(c, id, "draft", "published", now)? == 0 {
            return Err(AppError::Conflict("The ballot was published by someone else meanwhile.".into()));
        }
        let total_weight: u64 = frozen.iter().map(|e| e.elector.weight).sum();
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.publish",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Published \"{}\": electorate of {} practices (weight {total_weight}, digest {electorate_digest}); {notices} notices written; {} practices without a nominated representative{}",
                    ballot.title,
                    frozen.len(),
                    without_representative.len(),
                    if without_representative.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", without_representative.join(", "))
                    }
                ),
            },
        )?;
        Ok(Published {
            electors: frozen.len(),
            total_weight,
            notices,
            without_representative,
        })
    })
}

/// What every message about a ballot says.
struct NoticeContext {
    base: serde_json::Value,
    organisation_id: i32,
    organisation_name: String,
    ballot_id: i32,
}

impl NoticeContext {
    fn new(outbox: &Outbox, loaded: &Loaded) -> Self {
        let ballot = &loaded.ballot;
        let ballot_url = format!("{}/ballots/{}", outbox.base_url(), ballot.id);
        let options: Vec<serde_json::Value> = loaded
            .options
            .iter()
            .map(|o| json!({"label": o.label, "description": o.description}))
            .collect();
        let rules: Vec<serde_json::Value> = loaded
            .rules
            .describe(loaded.kind)
            .into_iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect();
        NoticeContext {
            base: json!({
                "organisation": loaded.organisation.name,
                "title": ballot.title,
                "question": ballot.question,
                "kind": loaded.kind.label(),
                "options": options,
                "rules": rules,
                "opens": crate::time::date_time(ballot.opens_at),
                "closes": crate::time::date_time(ballot.closes_at),
                "ballot_url": ballot_url,
                "login_url": format!("{}/login", outbox.base_url()),
                "secret": loaded.rules.secrecy() == Secrecy::Secret,
            }),
            organisation_id: loaded.organisation.id,
            organisation_name: loaded.organisation.name.clone(),
            ballot_id: ballot.id,
        }
    }

    fn mail(
        &self,
        template: &'static str,
        to: (&str, &str),
        user_id: i32,
        practice_id: Option<i32>,
        reason: String,
        extra: serde_json::Value,
    ) -> Mail {
        let mut context = self.base.clone();
        if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra) {
            map.extend(extra);
        }
        Mail {
            template,
            to_email: to.1.to_owned(),
            to_name: to.0.to_owned(),
            sender: self.organisation_name.clone(),
            reason,
            event: EventKind::Ballot,
            event_id: Some(self.ballot_id),
            organisation_id: Some(self.organisation_id),
            practice_id,
            user_id: Some(user_id),
            context,
            sealed: false,
        }
    }

    fn representative_reason(&self, rep_kind: &str, practice: &Practice) -> String {
        format!(
            "You get this email because you are the {} of {} ({}), a member practice of {}.",
            if rep_kind == "nominated" {
                "nominated voting representative"
            } else {
                "deputy voting representative"
            },
            practice.name,
            practice.ods_code,
            self.organisation_name
        )
    }

    fn to_representative(
        &self,
        rep: &representatives::CurrentRepresentative,
        practice: &Practice,
        weight: u64,
        link: Option<String>,
    ) -> Mail {
        let sealed = link.is_some();
        let mail = self.mail(
            "ballot_notice",
            (&rep.name, &rep.email),
            rep.user_id,
            Some(practice.id),
            self.representative_reason(&rep.kind, practice),
            json!({
                "practice": practice.name,
                "practice_code": practice.ods_code,
                "weight": weight,
                "link": link,
                "observer": false,
            }),
        );
        // The link is the practice's vote: whoever reads it can cast it.
        Mail { sealed, ..mail }
    }

    fn to_observer(&self, user_id: i32, name: &str, email: &str) -> Mail {
        self.mail(
            "ballot_notice",
            (name, email),
            user_id,
            None,
            format!(
                "You get this email because you observe {} for your local medical committee.",
                self.organisation_name
            ),
            json!({"practice": "", "practice_code": "", "weight": 0, "link": null, "observer": true}),
        )
    }
}

/// Everyone a ballot's announcements go to: each elector's voting
/// representatives (as frozen at publication) and the LMC's observers.
/// Someone an announcement goes to; `practice_id` for representatives.
struct Recipient {
    user_id: i32,
    name: String,
    email: String,
    practice_id: Option<i32>,
}

fn announcement_recipients(conn: &mut DbConn, loaded: &Loaded) -> AppResult<Vec<Recipient>> {
    let electors = store::electors(conn, loaded.ballot.id)?;
    let user_ids: Vec<i32> = electors
        .iter()
        .flat_map(|e| [e.nominated_user_id, e.deputy_user_id])
        .flatten()
        .collect();
    let users: HashMap<i32, (String, String)> = users_by_id(conn, &user_ids)?;
    let mut recipients = Vec::new();
    for elector in &electors {
        for user_id in [elector.nominated_user_id, elector.deputy_user_id]
            .into_iter()
            .flatten()
        {
            if let Some((name, email)) = users.get(&user_id) {
                recipients.push(Recipient {
                    user_id,
                    name: name.clone(),
                    email: email.clone(),
                    practice_id: Some(elector.practice_id),
                });
            }
        }
    }
    for (user_id, name, email) in crate::accounts::store::holders_of(conn, "lmc_observer", &loaded.covering_lmc_ids)? {
        recipients.push(Recipient {
            user_id,
            name,
            email,
            practice_id: None,
        });
    }
    Ok(recipients)
}

fn users_by_id(conn: &mut DbConn, ids: &[i32]) -> AppResult<HashMap<i32, (String, String)>> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    let mut found = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(i32, String, String)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::name, users::email))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(id, name, email)| (id, (name, email))));
    }
    Ok(found)
}

fn announce(
    conn: &mut DbConn,
    outbox: &Outbox,
    loaded: &Loaded,
    template: &'static str,
    extra: serde_json::Value,
) -> AppResult<usize> {
    let context = NoticeContext::new(outbox, loaded);
    let recipients = announcement_recipients(conn, loaded)?;
    let mails: Vec<Mail> = recipients
        .into_iter()
        .map(|recipient| {
            let reason = match recipient.practice_id {
                Some(_) => format!(
                    "You get this email because you are a voting representative of a practice in the electorate of this {} ballot.",
                    context.organisation_name
                ),
                None => format!(
                    "You get this email because you observe {} for your local medical committee.",
                    context.organisation_name
                ),
            };
            context.mail(
                template,
                (&recipient.name, &recipient.email),
                recipient.user_id,
                recipient.practice_id,
                reason,
                extra.clone(),
            )
        })
        .collect();
    Ok(outbox.enqueue_all(conn, mails)?)
}

/// Opens voting (the scheduler, at the published time).
fn open_in(conn: &mut DbConn, id: i32, actor: &Actor, now: NaiveDateTime) -> AppResult<bool> {
    crate::db::claim_write_lock(conn)?;
    let loaded = load(conn, id)?;
    if loaded.state != BallotState::Published || loaded.ballot.opens_at > now {
        return Ok(false);
    }
    if store::transition(conn, id, "published", "open", now)? == 0 {
        return Ok(false);
    }
    record(
        conn,
        actor,
        Event {
            organisation_id: Some(loaded.organisation.id),
            action: "ballot.open",
            object_kind: "ballot",
            object_key: &id.to_string(),
            summary: format!("Voting opened on \"{}\"", loaded.ballot.title),
        },
    )?;
    Ok(true)
}

/// Opens a published ballot whose opening time has come (if the scheduler
/// has not yet); used before a vote so nobody waits for its next round.
pub fn open_if_due(pool: &Pool, id: i32) -> AppResult<bool> {
    let mut conn = pool.get()?;
    conn.transaction(|c| open_in(c, id, &scheduler_actor(), now()))
}

/// `POST …/open`: opens a ballot whose time has come. Voting never opens
/// before the published time, so the notice period holds.
pub fn open(pool: &Pool, actor: &SessionUser, id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        let loaded = require_runs(c, actor, id)?;
        let now = now();
        match loaded.state {
            BallotState::Open => return Ok(()),
            BallotState::Published if loaded.ballot.opens_at > now => {
                return Err(AppError::Conflict(format!(
                    "Voting opens at {}, as published in the notice; it cannot open earlier.",
                    crate::time::date_time(loaded.ballot.opens_at)
                )));
            }
            BallotState::Published => {}
            other => {
                return Err(AppError::Conflict(format!(
                    "The ballot is {}: it cannot open.",
                    other.label().to_lowercase()
                )));
            }
        }
        open_in(c, id, &actor.actor(), now)?;
        Ok(())
    })
}

/// Closes voting and counts, in one transaction; announces the result.
fn close_and_count_in(
    conn: &mut DbConn,
    outbox: &Outbox,
    id: i32,
    actor: &Actor,
    now: NaiveDateTime,
    early: bool,
) -> AppResult<Option<BallotResult>> {
    crate::db::claim_write_lock(conn)?;
    let loaded = load(conn, id)?;
    if loaded.state == BallotState::Open {
        if store::transition(conn, id, "open", "closed", now)? == 0 {
            return Ok(None);
        }
        record(
            conn,
            actor,
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: if early { "ballot.close_early" } else { "ballot.close" },
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Voting closed on \"{}\"{}",
                    loaded.ballot.title,
                    if early { " early" } else { "" }
                ),
            },
        )?;
        // Queued links are of no use now.
    } else if loaded.state != BallotState::Closed {
        return Ok(None);
    }
    store::mix_papers(conn, id)?;
    let result = count_papers(conn, &loaded)?;
    let stored = serde_json::to_string(&result).map_err(|e| AppError::Internal(format!("result: {e}")))?;
    store::set_counted(conn, id, &stored, now)?;
    let turnout = result.overall.tally.turnout();
    let words = super::words::outcome_sentence(&loaded, &result);
    record(
        conn,
        actor,
        Event {
            organisation_id: Some(loaded.organisation.id),
            action: "ballot.count",
            object_kind: "ballot",
            object_key: &id.to_string(),
            summary: format!(
                "Counted \"{}\": {} papers (weight {}) of {} practices; {words}",
                loaded.ballot.title, turnout.practices, turnout.weight, result.overall.electorate.practices
            ),
        },
    )?;
    announce(
        conn,
        outbox,
        &loaded,
        "ballot_result",
        json!({"outcome": words, "results_url": format!("{}/ballots/{id}/results", outbox.base_url())}),
    )?;
    Ok(Some(result))
}

/// Counts a closed ballot's papers against its frozen electorate.
fn count_papers(conn: &mut DbConn, loaded: &Loaded) -> AppResult<BallotResult> {
    let electors: Vec<Elector> = store::electors(conn, loaded.ballot.id)?
        .into_iter()
        .map(|e| Elector {
            weight: u64::try_from(e.weight).unwrap_or(0),
            constituency: e.constituency,
        })
        .collect();
    let papers: Vec<Paper> = store::papers(conn, loaded.ballot.id)?
        .into_iter()
        .map(|p| Paper {
            option: p.option_key,
            weight: u64::try_from(p.weight).unwrap_or(0),
            constituency: p.constituency,
        })
        .collect();
    Ok(rules::result(
        &loaded.option_keys(),
        &electors,
        &papers,
        loaded.rules.quorum(),
        loaded.rules.decision(loaded.kind),
    ))
}

/// `POST …/close`: closes a ballot at or after its published close, or
/// earlier when its rules allow an early close; then counts.
pub fn close(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        let loaded = require_runs(c, actor, id)?;
        let now = now();
        match loaded.state {
            BallotState::Open => {}
            BallotState::Closed | BallotState::Counted => return Ok(()),
            other => {
                return Err(AppError::Conflict(format!(
                    "The ballot is {}: only an open ballot can close.",
                    other.label().to_lowercase()
                )));
            }
        }
        let early = now < loaded.ballot.closes_at;
        if early && !loaded.rules.allow_early_close {
            return Err(AppError::Conflict(format!(
                "This ballot's rules do not allow an early close: voting closes at {}.",
                crate::time::date_time(loaded.ballot.closes_at)
            )));
        }
        close_and_count_in(c, outbox, id, &actor.actor(), now, early)?;
        Ok(())
    })
}

pub fn cancel(pool: &Pool, actor: &SessionUser, id: i32, reason: &str) -> AppResult<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "Enter why the ballot is cancelled"));
    }
    if reason.chars().count() > 1000 {
        return Err(AppError::invalid(
            "reason",
            "The reason must be 1,000 characters or less",
        ));
    }
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        let loaded = require_runs(c, actor, id)?;
        loaded
            .state
            .after(super::model::Transition::Cancel)
            .map_err(AppError::Conflict)?;
        let now = now();
        if store::transition(c, id, loaded.state.as_str(), "cancelled", now)? == 0 {
            return Err(AppError::Conflict("The ballot changed meanwhile; try again.".into()));
        }
        store::set_cancel_reason(c, id, reason)?;
        let withdrawn = cancel_pending(c, EventKind::Ballot, id, "The ballot was cancelled")?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.cancel",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Cancelled \"{}\" when {}: {reason}; {withdrawn} unsent messages withdrawn",
                    loaded.ballot.title,
                    loaded.state.label().to_lowercase()
                ),
            },
        )?;
        Ok(())
    })
}

/// Extends the close once, with a reason; announced to the electorate.
pub fn extend(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    new_close: Option<NaiveDateTime>,
    reason: &str,
) -> AppResult<()> {
    let reason = reason.trim();
    let mut errors = Vec::new();
    if new_close.is_none() {
        errors.push(FieldError::new("closes-at", "Enter the new closing date and time"));
    }
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "Enter why the close is extended"));
    } else if reason.chars().count() > 1000 {
        errors.push(FieldError::new("reason", "The reason must be 1,000 characters or less"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let new_close = new_close.unwrap_or_default();
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        let loaded = require_runs(c, actor, id)?;
        if !matches!(loaded.state, BallotState::Published | BallotState::Open) {
            return Err(AppError::Conflict(format!(
                "The ballot is {}: its close can no longer be extended.",
                loaded.state.label().to_lowercase()
            )));
        }
        if loaded.ballot.original_closes_at.is_some() {
            return Err(AppError::Conflict(
                "The close of this ballot has been extended once already; it cannot be extended again.".into(),
            ));
        }
        if new_close <= loaded.ballot.closes_at {
            return Err(AppError::invalid(
                "closes-at",
                format!(
                    "The new close must be later than the current one, {}",
                    crate::time::date_time(loaded.ballot.closes_at)
                ),
            ));
        }
        let now = now();
        store::extend_close(c, id, new_close, reason, now)?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.extend",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Close of \"{}\" extended from {} to {}: {reason}",
                    loaded.ballot.title,
                    crate::time::date_time(loaded.ballot.closes_at),
                    crate::time::date_time(new_close)
                ),
            },
        )?;
        let reloaded = load(c, id)?;
        announce(
            c,
            outbox,
            &reloaded,
            "ballot_extended",
            json!({
                "previous_close": crate::time::date_time(loaded.ballot.closes_at),
                "extension_reason": reason,
            }),
        )?;
        Ok(())
    })
}

/// What one round of the scheduler did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleReport {
    pub opened: Vec<i32>,
    pub counted: Vec<i32>,
    pub reminders: usize,
    pub mixed: usize,
}

/// Keeps ballots to their timetable: opens and closes them at the published
/// times, counts at the close, sends the reminders, and (on PostgreSQL)
/// re-mixes the papers of open ballots. Safe to run on several servers.
#[derive(Default)]
pub struct Scheduler {
    papers_at_last_mix: HashMap<i32, i64>,
}

impl Scheduler {
    pub fn run(&mut self, pool: &Pool, outbox: &Outbox, now: NaiveDateTime) -> AppResult<ScheduleReport> {
        let mut report = ScheduleReport::default();
        let mut conn = pool.get()?;
        let actor = scheduler_actor();
        for id in store::due(&mut conn, "published", now)? {
            if conn.transaction(|c| open_in(c, id, &actor, now))? {
                report.opened.push(id);
            }
        }
        let mut to_count = store::due(&mut conn, "open", now)?;
        to_count.extend(store::ids_in_state(&mut conn, "closed")?);
        for id in to_count {
            let counted = conn.transaction(|c| close_and_count_in(c, outbox, id, &actor, now, false))?;
            if counted.is_some() {
                report.counted.push(id);
                self.papers_at_last_mix.remove(&id);
            }
        }
        for id in store::ids_in_state(&mut conn, "open")? {
            report.reminders += conn.transaction(|c| send_due_reminders(c, outbox, id, now))?;
            if matches!(&*conn, DbConn::Postgres(_)) {
                let papers = store::paper_count(&mut conn, id)?;
                if self.papers_at_last_mix.get(&id) != Some(&papers) {
                    store::mix_papers(&mut conn, id)?;
                    self.papers_at_last_mix.insert(id, papers);
                    report.mixed += 1;
                }
            }
        }
        Ok(report)
    }
}

impl Scheduler {
    /// Runs a round every `interval`, for as long as the server runs.
    pub async fn run_forever(mut self, pool: Pool, outbox: Outbox, interval: std::time::Duration) {
        loop {
            let (round_pool, round_outbox) = (pool.clone(), outbox.clone());
            let round = actix_web::web::block(move || {
                let report = self.run(&round_pool, &round_outbox, now());
                (self, report)
            })
            .await;
            match round {
                Ok((scheduler, report)) => {
                    self = scheduler;
                    match report {
                        Ok(report) if report != ScheduleReport::default() => {
                            tracing::info!(?report, "ballot timetable");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "ballot scheduler round failed"),
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "ballot scheduler stopped");
                    return;
                }
            }
            actix_web::rt::time::sleep(interval).await;
        }
    }
}

/// Sends the reminders whose time has come to the practices that have not
/// voted; returns how many messages were written.
fn send_due_reminders(conn: &mut DbConn, outbox: &Outbox, id: i32, now: NaiveDateTime) -> AppResult<usize> {
    crate::db::claim_write_lock(conn)?;
    let loaded = load(conn, id)?;
    let opened = loaded.ballot.opened_at.unwrap_or(loaded.ballot.opens_at);
    let mut written = 0;
    for days in &loaded.rules.reminder_days {
        let due_at = loaded.ballot.closes_at - Duration::days(i64::from(*days));
        let days = i32::try_from(*days).unwrap_or(i32::MAX);
        // A reminder due before voting opened would only repeat the notice.
        if due_at > now || due_at < opened || store::reminder_sent(conn, id, days)? {
            continue;
        }
        let voted: std::collections::HashSet<i32> = store::voted_practice_ids(conn, id)?.into_iter().collect();
        let context = NoticeContext::new(outbox, &loaded);
        let electors = store::electors(conn, id)?;
        let waiting: Vec<&ElectorRow> = electors.iter().filter(|e| !voted.contains(&e.practice_id)).collect();
        let user_ids: Vec<i32> = waiting
            .iter()
            .flat_map(|e| [e.nominated_user_id, e.deputy_user_id])
            .flatten()
            .collect();
        let users = users_by_id(conn, &user_ids)?;
        let practice_ids: Vec<i32> = waiting.iter().map(|e| e.practice_id).collect();
        let practices: HashMap<i32, Practice> = practices_by_id(conn, &practice_ids)?;
        let mut mails = Vec::new();
        for elector in waiting {
            let Some(practice) = practices.get(&elector.practice_id) else {
                continue;
            };
            for (user_id, kind) in [
                (elector.nominated_user_id, "nominated"),
                (elector.deputy_user_id, "deputy"),
            ] {
                let Some((name, email)) = user_id.and_then(|u| users.get(&u)) else {
                    continue;
                };
                mails.push(context.mail(
                    "ballot_reminder",
                    (name, email),
                    user_id.unwrap_or_default(),
                    Some(practice.id),
                    context.representative_reason(kind, practice),
                    json!({
                        "practice": practice.name,
                        "notice_sent": loaded.ballot.published_at.map(crate::time::date).unwrap_or_default(),
                        "may_vote": kind == "nominated" || loaded.rules.deputies_may_vote(),
                    }),
                ));
            }
        }
        let count = outbox.enqueue_all(conn, mails)?;
        store::insert_reminder(conn, id, days, now, i32::try_from(count).unwrap_or(i32::MAX))?;
        record(
            conn,
            &scheduler_actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "ballot.remind",
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "Reminder {days} days before the close of \"{}\": {count} messages to practices that have not voted",
                    loaded.ballot.title
                ),
            },
        )?;
        written += count;
    }
    Ok(written)
}

fn practices_by_id(conn: &mut DbConn, ids: &[i32]) -> AppResult<HashMap<i32, Practice>> {
    use crate::db::schema::practices;
    use diesel::prelude::*;
    let mut found = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<Practice> = practices::table
            .filter(practices::id.eq_any(chunk))
            .select(Practice::as_select())
            .load(conn)?;
        found.extend(rows.into_iter().map(|p| (p.id, p)));
    }
    Ok(found)
}

/// One ballot of an organisation, for lists.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: i32,
    pub title: String,
    pub kind: BallotKind,
    pub state: BallotState,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

/// An organisation's ballots that `grants` may see (drafts only for those
/// who run it).
pub fn list(pool: &Pool, grants: &Grants, code: &str) -> AppResult<(Organisation, bool, Vec<Summary>)> {
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    let organisation = Organisation::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    // Those who may see the organisation may see its published ballots.
    crate::registry::service::organisation_detail(pool, grants, code.as_str())?;
    let runs = grants.runs_organisation(organisation.id);
    let ballots = store::of_organisation(&mut conn, organisation.id)?
        .into_iter()
        .filter_map(|b| {
            let state = BallotState::parse(&b.state)?;
            (runs || state != BallotState::Draft).then(|| Summary {
                id: b.id,
                kind: BallotKind::parse(&b.kind).unwrap_or(BallotKind::General),
                title: b.title,
                state,
                opens_at: b.opens_at,
                closes_at: b.closes_at,
            })
        })
        .collect();
    Ok((organisation, runs, ballots))
}

/// The electorate of a published ballot, for those who oversee it.
#[derive(Debug, Clone)]
pub struct ElectorView {
    pub code: String,
    pub name: String,
    pub weight: i64,
    pub list_size: Option<i32>,
    pub constituency: Option<String>,
    pub has_representative: bool,
    pub voted_at: Option<NaiveDateTime>,
}

pub fn electorate(pool: &Pool, grants: &Grants, id: i32) -> AppResult<(Loaded, Vec<ElectorView>)> {
    let mut conn = pool.get()?;
    let (loaded, access) = visible(&mut conn, grants, id)?;
    if !access.oversees() {
        return Err(AppError::Forbidden(
            "Only the people who run the organisation and its LMC's observers can see the electorate.".into(),
        ));
    }
    let voted: HashMap<String, NaiveDateTime> = store::voters(&mut conn, id)?
        .into_iter()
        .map(|(code, _, at)| (code, at))
        .collect();
    let rows = store::electorate_with_practices(&mut conn, id)?
        .into_iter()
        .map(|(e, code, name)| ElectorView {
            voted_at: voted.get(&code).copied(),
            code,
            name,
            weight: e.weight,
            list_size: e.list_size,
            constituency: e.constituency,
            has_representative: e.nominated_user_id.is_some(),
        })
        .collect();
    Ok((loaded, rows))
}

/// Live figures for a ballot's page.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub electors: i64,
    pub voted: i64,
    pub deliveries: crate::mail::service::DeliveryCounts,
    pub reminders: Vec<(i32, NaiveDateTime, i32)>,
}

pub fn progress(pool: &Pool, loaded: &Loaded) -> AppResult<Progress> {
    let mut conn = pool.get()?;
    let deliveries = crate::mail::service::delivery_record(
        pool,
        loaded.organisation.id,
        Some(crate::mail::model::MessageState::Failed),
        Some((EventKind::Ballot, loaded.ballot.id)),
    )?
    .counts;
    Ok(Progress {
        electors: store::electorate_size(&mut conn, loaded.ballot.id)?,
        voted: store::turnout(&mut conn, loaded.ballot.id)?,
        deliveries,
        reminders: store::reminders(&mut conn, loaded.ballot.id)?,
    })
}

/// A counted ballot's result, for members and observers.
#[derive(Debug, Clone)]
pub struct Results {
    pub loaded: Loaded,
    pub access: Access,
    pub result: BallotResult,
    /// Practices that voted, for those who oversee the ballot.
    pub voters: Option<Vec<(String, String, NaiveDateTime)>>,
    /// How each practice voted: recorded ballots only, for those who
    /// oversee it, and for members after the close.
    pub recorded: Option<Vec<(String, String, String, NaiveDateTime)>>,
}

pub fn results(pool: &Pool, grants: &Grants, id: i32) -> AppResult<Results> {
    let mut conn = pool.get()?;
    let (loaded, access) = visible(&mut conn, grants, id)?;
    if loaded.state != BallotState::Counted {
        return Err(AppError::Conflict(match loaded.state {
            BallotState::Cancelled => "This ballot was cancelled: there is no result.".to_owned(),
            _ => format!(
                "The result is published after the count; voting closes at {}.",
                crate::time::date_time(loaded.ballot.closes_at)
            ),
        }));
    }
    let stored = loaded.ballot.result.clone().unwrap_or_default();
    let result: BallotResult =
        serde_json::from_str(&stored).map_err(|e| AppError::Internal(format!("ballot {id} result: {e}")))?;
    let voters = if access.oversees() {
        Some(store::voters(&mut conn, id)?)
    } else {
        None
    };
    let recorded = if loaded.rules.secrecy() == Secrecy::Recorded {
        Some(store::recorded_votes(&mut conn, id)?)
    } else {
        None
    };
    Ok(Results {
        loaded,
        access,
        result,
        voters,
        recorded,
    })
}

/// The result as CSV: one row per option, overall and per constituency.
pub fn results_csv(results: &Results) -> AppResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    writer
        .write_record(["scope", "option_key", "option", "practices", "weight"])
        .map_err(write_error)?;
    let mut scopes: Vec<(String, &rules::Count)> = vec![("overall".to_owned(), &results.result.overall)];
    scopes.extend(
        results
            .result
            .constituencies
            .iter()
            .map(|(name, count)| (name.clone(), count)),
    );
    for (scope, count) in scopes {
        for (key, votes) in &count.tally.options {
            writer
                .write_record([
                    scope.as_str(),
                    key,
                    &results.loaded.option_label(key),
                    &votes.practices.to_string(),
                    &votes.weight.to_string(),
                ])
                .map_err(write_error)?;
        }
        let turnout = count.tally.turnout();
        writer
            .write_record([
                scope.as_str(),
                "",
                "Turnout",
                &turnout.practices.to_string(),
                &turnout.weight.to_string(),
            ])
            .map_err(write_error)?;
        writer
            .write_record([
                scope.as_str(),
                "",
                "Electorate",
                &count.electorate.practices.to_string(),
                &count.electorate.weight.to_string(),
            ])
            .map_err(write_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
}

/// Per-constituency names as the form shows them: "F84012, North" lines.
pub fn constituency_lines(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(code, name)| format!("{code}, {name}"))
        .collect::<Vec<_>>()
        .join("\n")
}
