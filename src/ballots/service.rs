//! Ballot use-cases: drafts, publication (electorate, links, notices),
//! the timetable kept by the scheduler, cancellation and extension, the
//! count, and what each kind of user may see. Each runs in one transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::json;

use super::model::{BallotKind, BallotRules, BallotState, Member, check_notice, freeze_electorate};
use super::rules::{self, BallotResult, Elector, Paper};
use super::store::{self, Ballot, ElectorRow, NewToken, OptionRow};
use crate::accounts::model::Grants;
use crate::accounts::service::SessionUser;
use crate::audit::model::Actor;
use crate::audit::service::{Event, record};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Outbox, cancel_pending};
use crate::registry::model::OrganisationCode;
use crate::registry::model::PracticeStatus;
use crate::registry::register::status_on;
use crate::registry::store::{Organisation, Practice, list_sizes, representatives};

pub use super::casting::{LinkReader, link_reader};
pub use super::draft::DraftRequest;
pub use super::links::reissue_link;
pub use super::schedule::{ScheduleReport, Scheduler};
pub use super::views::{
    ElectorView, PracticeBallot, PrivacyReport, Progress, Results, Summary, constituency_lines, constitution_for,
    deadline_warnings, electorate, for_practice, frozen_constitution, list, papers_blt, progress, results, results_csv,
    stages_csv, weight_privacy,
};

pub(super) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Today in England, the day the register is read on.
pub fn london_day(utc: NaiveDateTime) -> NaiveDate {
    chrono_tz::Europe::London.from_utc_datetime(&utc).date_naive()
}

/// The scheduler, in the audit log.
pub(super) fn scheduler_actor() -> Actor {
    Actor {
        user_id: None,
        label: "scheduler".into(),
    }
}

/// Records in the audit log something `actor` did to the ballot.
pub(super) fn audit_ballot(
    conn: &mut DbConn,
    actor: &SessionUser,
    loaded: &Loaded,
    action: &str,
    summary: String,
) -> AppResult<()> {
    audit_ballot_by(conn, &actor.actor(), loaded, action, summary)
}

/// `audit_ballot` for an actor who is not signed in (a candidate with
/// their nomination link, the scheduler).
pub(super) fn audit_ballot_by(
    conn: &mut DbConn,
    actor: &Actor,
    loaded: &Loaded,
    action: &str,
    summary: String,
) -> AppResult<()> {
    Ok(record(
        conn,
        actor,
        Event {
            organisation_id: Some(loaded.organisation.id),
            action,
            object_kind: "ballot",
            object_key: &loaded.ballot.id.to_string(),
            summary,
        },
    )?)
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
    /// Suspensions, and whether it was declared void or re-runs a void one.
    pub interruptions: super::investigation::model::Interruptions,
}

impl Loaded {
    /// The timetable planned back from the ballot's deadline, if it has one.
    pub fn deadline_plan(&self, minimum_notice_days: u32) -> Option<super::plan::Plan> {
        let input = super::plan::PlanInput::with_defaults(self.rules.deadline?, minimum_notice_days);
        Some(super::plan::plan(
            &input,
            crate::calendar::BankHolidays::england_and_wales(),
        ))
    }

    /// Where the ballot's dates fall after its plan (see
    /// `plan::check_ballot_dates`); `now` matters only before publication.
    pub fn deadline_warnings(&self, minimum_notice_days: u32, now: NaiveDateTime) -> Vec<super::plan::PlanWarning> {
        let Some(plan) = self.deadline_plan(minimum_notice_days) else {
            return Vec::new();
        };
        let day = crate::time::london_day;
        super::plan::check_ballot_dates(
            &plan,
            day(self.ballot.opens_at),
            day(self.ballot.closes_at),
            self.ballot.published_at.is_none().then(|| day(now)),
            minimum_notice_days,
        )
    }

    /// "9 January 2015 (Application to NHS England)".
    pub fn deadline_words(&self) -> Option<String> {
        let deadline = crate::time::day(self.rules.deadline?);
        Some(match self.rules.deadline_label.as_deref() {
            Some(label) => format!("{deadline} ({label})"),
            None => deadline,
        })
    }

    /// The suspension in force, if voting is suspended now.
    pub fn suspension(&self) -> Option<&super::investigation::model::Suspension> {
        if self.state != BallotState::Open {
            return None;
        }
        self.interruptions.active()
    }

    /// The options as a draft holds them.
    pub fn ballot_options(&self) -> Vec<super::model::BallotOption> {
        self.options
            .iter()
            .map(|o| super::model::BallotOption {
                key: o.option_key.clone(),
                label: o.label.clone(),
                description: o.description.clone(),
            })
            .collect()
    }

    pub fn option_keys(&self) -> Vec<String> {
        self.options.iter().map(|o| o.option_key.clone()).collect()
    }

    /// A paper's option in words: an election's ranking as "1. Ann; 2. Bea",
    /// any other ballot's option by its label.
    pub fn paper_words(&self, option: &str) -> String {
        if self.kind.is_election() {
            if let Ok(ranking) = super::election::ranking::decode(option, &self.option_keys()) {
                return super::election::ranking::in_words(&ranking, &self.ballot_options());
            }
        }
        self.option_label(option)
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
    let mut state =
        BallotState::parse(&ballot.state).ok_or_else(|| AppError::Internal(format!("ballot {id}: state")))?;
    let interruptions = super::investigation::store::interruptions(conn, id)?;
    if interruptions.void.is_some() {
        state = BallotState::Void;
    }
    let rules: BallotRules =
        serde_json::from_str(&ballot.rules).map_err(|e| AppError::Internal(format!("ballot {id} rules: {e}")))?;
    let options = store::options(conn, id)?;
    let organisation = {
        use diesel::prelude::*;
        crate::db::schema::organisations::table
            .find(ballot.organisation_id)
            .select(Organisation::as_select())
            .first(conn)?
    };
    Ok(Loaded {
        ballot,
        kind,
        state,
        rules,
        options,
        organisation,
        covering_lmc_ids: Vec::new(),
        interruptions,
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

pub(super) fn access(conn: &mut DbConn, grants: &Grants, loaded: &Loaded) -> AppResult<Access> {
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
        grants.sits_on_organisation(loaded.organisation.id)
            || members_now.iter().any(|p| represented.contains(&p.id))
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

pub(super) fn require_runs(conn: &mut DbConn, actor: &SessionUser, id: i32) -> AppResult<Loaded> {
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
    crate::db::write_transaction(&mut conn, |c| {
        let organisation = organisation_run_by(c, actor, code)?;
        let settings = crate::registry::service::load_constitution(c, organisation.id)?;
        let now = now();
        let (row, options) = super::draft::checked_draft(request, &settings, now).map_err(AppError::Invalid)?;
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
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, actor, id)?;
        if loaded.state != BallotState::Draft {
            return Err(AppError::Conflict(
                "This ballot has been published: its question, options and rules can no longer change.".into(),
            ));
        }
        let settings = crate::registry::service::load_constitution(c, loaded.organisation.id)?;
        let now = now();
        let request = &candidates_kept(c, &loaded, request)?;
        let (mut row, options) = super::draft::checked_draft(request, &settings, now).map_err(AppError::Invalid)?;
        // The trustees' threshold is set with the trustees, not on this form.
        if let Ok(mut rules) = serde_json::from_str::<super::model::BallotRules>(&row.rules) {
            if rules.trustee_threshold.is_none() && loaded.rules.trustee_threshold.is_some() {
                rules.trustee_threshold = loaded.rules.trustee_threshold;
                row.rules = serde_json::to_string(&rules).map_err(|e| AppError::Internal(e.to_string()))?;
            }
        }
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

/// A draft election that called for nominations keeps its candidates:
/// they are the published list (or none, until it is published), so the
/// form must send them back unchanged, and the kind cannot change.
fn candidates_kept(conn: &mut DbConn, loaded: &Loaded, request: &DraftRequest) -> AppResult<DraftRequest> {
    let mut request = request.clone();
    if !loaded.kind.is_election() || !super::election::service::has_call(conn, loaded.ballot.id)? {
        return Ok(request);
    }
    if request.kind.trim() != loaded.kind.as_str() {
        return Err(AppError::invalid(
            "kind",
            "Nominations have been called for this election: it stays an election",
        ));
    }
    if request
        .rules
        .seats
        .is_some_and(|seats| Some(seats) != loaded.rules.seats)
    {
        return Err(AppError::invalid(
            "seats",
            "Nominations have been called for these seats: their number can no longer change",
        ));
    }
    let stored = loaded.ballot_options();
    let same = request.options.as_ref().is_some_and(|given| {
        given.len() == stored.len()
            && given
                .iter()
                .zip(&stored)
                .all(|(a, b)| a.label.trim() == b.label && a.description.trim() == b.description)
    });
    if !same {
        return Err(AppError::invalid(
            "options",
            "The candidates are those the returning officer lists from the nominations: they cannot be changed here",
        ));
    }
    request.options = Some(stored);
    request.candidates_from_nominations = true;
    Ok(request)
}

/// What publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub electors: usize,
    pub total_weight: u64,
    pub notices: usize,
    /// Of the notices, those to the LMC's observers.
    pub observers: usize,
    /// The constitution's minimum notice, now frozen with the ballot.
    pub minimum_notice_days: u32,
    /// "Name (CODE)" of each practice in `without_representative`.
    pub unrepresented_names: Vec<String>,
    /// Electorate practices with no nominated representative to tell.
    pub without_representative: Vec<String>,
    /// A secret ballot: practices whose vote the totals could show (see
    /// `privacy`), with the explanation.
    pub privacy: Option<(usize, String)>,
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
///
/// Practices with no nominated representative get no notice and no link:
/// `unrepresented_confirmed` must name exactly those practices (the board
/// saw them on the confirmation page, or a program listed them), or
/// nothing is published.
pub fn publish(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    unrepresented_confirmed: &[String],
) -> AppResult<Published> {
    let published = publish_in_transaction(pool, outbox, actor, id, Publication::Confirmed(unrepresented_confirmed))?;
    // A verifiable ballot: start preparing its papers while nobody votes yet.
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, id)?;
    if loaded.rules.is_verifiable() {
        super::verifiable::casting::warm_for_electorate(&loaded, published.electors);
    }
    Ok(published)
}

/// What publishing would do now, for the confirmation page: the whole
/// publication is run and rolled back, so every check is the real one.
pub fn publish_preview(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32) -> AppResult<Published> {
    publish_in_transaction(pool, outbox, actor, id, Publication::Preview)
}

#[derive(Clone, Copy)]
enum Publication<'a> {
    Preview,
    /// The practices without a nominated representative the board accepted.
    Confirmed(&'a [String]),
    /// An election with no more validly nominated candidates than seats:
    /// the electorate is frozen as at a publication, but no vote is held;
    /// the candidates are declared elected at once.
    Unopposed,
}

/// Rolls a preview's transaction back; never seen outside this module.
const PREVIEW_ROLLBACK: &str = "publication preview rolled back";

fn publish_in_transaction(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    id: i32,
    publication: Publication,
) -> AppResult<Published> {
    let mut conn = pool.get()?;
    let mut preview = None;
    let outcome = crate::db::write_transaction(&mut conn, |c| {
        let mut loaded = require_runs(c, actor, id)?;
        loaded
            .state
            .after(super::model::Transition::Publish)
            .map_err(AppError::Conflict)?;
        let unopposed = matches!(publication, Publication::Unopposed);
        if loaded.kind.is_election() {
            poll_or_declaration(c, &loaded, unopposed)?;
            // The candidates' order is fixed now (a random order drawn once).
            let names: Vec<String> = loaded.options.iter().map(|o| o.label.clone()).collect();
            let order = loaded.rules.paper_order.as_deref().unwrap_or("as_entered");
            let positions = super::election::ranking::paper_order(&names, order);
            loaded.options = positions.iter().map(|&p| loaded.options[p].clone()).collect();
            store::replace_options(c, id, &loaded.ballot_options())?;
            // Ties left to lot are drawn now, before any paper exists.
            loaded.rules.tie_order = Some(super::election::count::draw_tie_order(&loaded.option_keys()));
            let rules = serde_json::to_string(&loaded.rules).map_err(|e| AppError::Internal(format!("rules: {e}")))?;
            store::set_rules(c, id, &rules)?;
        }
        let now = now();
        let settings = crate::registry::service::load_constitution(c, loaded.organisation.id)?;
        let ballot = &loaded.ballot;
        if unopposed {
            // Nothing opens: the result is declared now.
        } else if ballot.opens_at <= now {
            return Err(AppError::invalid(
                "opens-at",
                "Voting must open after the ballot is published: change the opening time first",
            ));
        }
        if !unopposed {
            check_notice(now, ballot.opens_at, settings.minimum_notice_days).map_err(|e| AppError::Invalid(vec![e]))?;
        }
        let frozen_settings =
            serde_json::to_string(&settings.to_form()).map_err(|e| AppError::Internal(format!("settings: {e}")))?;
        store::set_constitution(c, id, &frozen_settings)?;
        if loaded.rules.is_verifiable() {
            let record = super::verifiable::ceremony::election_for_publication(c, &loaded)?;
            let json = serde_json::to_string(&record).map_err(|e| AppError::Internal(format!("election: {e}")))?;
            super::verifiable::store::set_election(c, id, &json)?;
        }
        let today = london_day(now);
        let members = Practice::members_on(c, loaded.organisation.id, today)?;
        let ids: Vec<i32> = members.iter().map(|p| p.id).collect();
        let size_day = loaded.rules.list_size_date.unwrap_or(today);
        let sizes = list_sizes::latest_on(c, &ids, size_day)?;
        let constituencies = &loaded.rules.constituencies;
        let locality = loaded.rules.locality.as_deref();
        let register: Vec<Member> = members
            .iter()
            // An election for one locality: only its practices, counted as one group.
            .filter(|p| locality.is_none_or(|l| constituencies.get(&p.ods_code).map(String::as_str) == Some(l)))
            .map(|p| Member {
                practice_id: p.id,
                code: p.ods_code.clone(),
                active: status_on(p, today) == PracticeStatus::Active,
                list_size: sizes.get(&p.id).and_then(|(_, n)| u32::try_from(*n).ok()),
                constituency: if locality.is_some() {
                    None
                } else {
                    constituencies.get(&p.ods_code).cloned()
                },
            })
            .collect();
        let frozen = freeze_electorate(&register, loaded.rules.weighting()).map_err(|e| AppError::Invalid(vec![e]))?;
        let by_id: HashMap<i32, &Practice> = members.iter().map(|p| (p.id, p)).collect();
        if !constituencies.is_empty() && locality.is_none() {
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
        let notice = super::notices::NoticeContext::new(outbox, &loaded);
        let mut tokens = Vec::new();
        let mut mails = Vec::new();
        let mut without_representative = Vec::new();
        for elector in &frozen {
            let Some(practice) = by_id.get(&elector.practice_id) else {
                continue;
            };
            if !nominated.contains_key(&elector.practice_id) {
                without_representative.push((practice.ods_code.clone(), practice.name.clone()));
            }
            if unopposed {
                // No notice of a poll and no links: the result is announced.
                continue;
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
        let (without_representative, unrepresented_names): (Vec<String>, Vec<String>) = without_representative
            .into_iter()
            .map(|(code, name)| (code.clone(), format!("{name} ({code})")))
            .unzip();
        if let Publication::Confirmed(confirmed) = publication {
            let mut confirmed: Vec<String> = confirmed.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
            confirmed.sort();
            confirmed.dedup();
            if confirmed != without_representative {
                return Err(AppError::invalid(
                    "confirm-unrepresented",
                    if without_representative.is_empty() {
                        "Every practice now has a nominated voting representative: check the summary again before publishing".to_owned()
                    } else {
                        format!(
                            "Confirm that you want to publish although these practices have no nominated voting representative, so will get no notice and no voting link: {}",
                            without_representative.join(", ")
                        )
                    },
                ));
            }
        }
        store::insert_tokens(c, &tokens)?;
        let observers = crate::accounts::store::holders_of(c, "lmc_observer", &loaded.covering_lmc_ids)?;
        for (user_id, name, email) in observers.iter().filter(|_| !unopposed) {
            mails.push(notice.to_observer(*user_id, name, email));
        }
        let notices = outbox.enqueue_all(c, mails)?;
        if store::transition(c, id, "draft", "published", now)? == 0 {
            return Err(AppError::Conflict(
                "The ballot was published by someone else meanwhile.".into(),
            ));
        }
        let total_weight: u64 = frozen.iter().map(|e| e.elector.weight).sum();
        let privacy = (loaded.rules.secrecy() == super::model::Secrecy::Secret).then(|| {
            let electors: Vec<(u64, Option<&str>)> = frozen
                .iter()
                .map(|e| (e.elector.weight, e.elector.constituency.as_deref()))
                .collect();
            let exposure = super::privacy::exposure(&electors);
            (exposure.at_risk, super::privacy::explain(&exposure))
        });
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: if unopposed {
                    "ballot.freeze_electorate"
                } else {
                    "ballot.publish"
                },
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: format!(
                    "{} \"{}\": electorate of {} practices (weight {total_weight}, digest {electorate_digest}); {notices} notices written; {} practices without a nominated representative{}{}",
                    if unopposed {
                        "Declared unopposed, so no vote is held; froze the electorate of"
                    } else {
                        "Published"
                    },
                    ballot.title,
                    frozen.len(),
                    without_representative.len(),
                    if without_representative.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", without_representative.join(", "))
                    },
                    match &privacy {
                        Some((at_risk, _)) if *at_risk > 0 => {
                            format!(
                                "; the totals could show how {at_risk} practices voted (weights no other practice in their group has)"
                            )
                        }
                        _ => String::new(),
                    }
                ),
            },
        )?;
        if unopposed {
            declare_unopposed_in(c, outbox, &actor.actor(), id, now)?;
        }
        let published = Published {
            electors: frozen.len(),
            total_weight,
            notices,
            observers: observers.len(),
            unrepresented_names,
            minimum_notice_days: settings.minimum_notice_days,
            without_representative,
            privacy,
        };
        if matches!(publication, Publication::Preview) {
            preview = Some(published);
            return Err(AppError::Internal(PREVIEW_ROLLBACK.into()));
        }
        Ok(published)
    });
    match (outcome, preview) {
        (Err(AppError::Internal(why)), Some(published)) if why == PREVIEW_ROLLBACK => Ok(published),
        (outcome, _) => outcome,
    }
}

/// Whether a draft election could go to a poll now, for the pages that
/// offer its publication: the same rule publication applies.
pub fn ready_for_poll(conn: &mut DbConn, loaded: &Loaded) -> AppResult<bool> {
    match poll_or_declaration(conn, loaded, false) {
        Ok(()) => Ok(true),
        Err(AppError::Conflict(_) | AppError::Invalid(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Whether a draft election can go to a poll (or, `unopposed`, be declared
/// without one): with nominations, once the list is published and
/// withdrawals are closed; a poll needs more candidates than seats.
fn poll_or_declaration(conn: &mut DbConn, loaded: &Loaded, unopposed: bool) -> AppResult<()> {
    let nominations = super::election::service::has_call(conn, loaded.ballot.id)?;
    if nominations {
        super::election::service::check_ready_for_poll(conn, loaded, now())?;
    }
    let seats = loaded.rules.seats.unwrap_or(1) as usize;
    let candidates = loaded.options.len();
    let contested = candidates > seats;
    match (unopposed, contested) {
        (false, false) if nominations => Err(AppError::Conflict(format!(
            "There {} {} for {seats} {}: no vote is held. Declare {} elected unopposed instead.",
            if candidates == 1 { "is" } else { "are" },
            crate::format::plural(
                candidates,
                "validly nominated candidate",
                "validly nominated candidates"
            ),
            if seats == 1 { "seat" } else { "seats" },
            if candidates == 1 { "the candidate" } else { "them" }
        ))),
        (false, false) => Err(AppError::invalid(
            "options",
            "An election needs more candidates than seats: give the candidates, or call for nominations",
        )),
        (true, true) => Err(AppError::Conflict(format!(
            "There are {candidates} candidates for {seats} seats: the election is contested, so the poll goes ahead."
        ))),
        (true, false) if !nominations => Err(AppError::Conflict(
            "Only an election that called for nominations is declared unopposed.".into(),
        )),
        _ => Ok(()),
    }
}

/// `POST …/nominations/declare`: declares the candidates of an uncontested
/// election elected without a vote. The electorate is frozen (the practices
/// that would have voted, which the certificate names) and each is told
/// the result; the ballot is counted at once, with no papers.
pub fn declare_unopposed(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32) -> AppResult<()> {
    publish_in_transaction(pool, outbox, actor, id, Publication::Unopposed).map(|_| ())
}

fn declare_unopposed_in(
    conn: &mut DbConn,
    outbox: &Outbox,
    actor: &Actor,
    id: i32,
    now: NaiveDateTime,
) -> AppResult<()> {
    store::set_voting_period(conn, id, now, now)?;
    for (from, to) in [("published", "open"), ("open", "closed")] {
        if store::transition(conn, id, from, to, now)? == 0 {
            return Err(AppError::Conflict(format!("ballot {id} changed meanwhile")));
        }
    }
    let loaded = load(conn, id)?;
    let result = count_papers(conn, &loaded)?;
    record_count(conn, outbox, &loaded, &result, actor, now)
}

/// Opens voting (the scheduler, at the published time).
pub(super) fn open_in(conn: &mut DbConn, id: i32, actor: &Actor, now: NaiveDateTime) -> AppResult<bool> {
    crate::db::claim_write_lock(conn)?;
    crate::db::lock_row(conn, crate::db::Locked::Ballot(id))?;
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
    crate::db::write_transaction(&mut conn, |c| open_in(c, id, &scheduler_actor(), now()))
}

/// `POST …/open`: opens a ballot whose time has come. Voting never opens
/// before the published time, so the notice period holds.
pub fn open(pool: &Pool, actor: &SessionUser, id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
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
pub(super) fn close_and_count_in(
    conn: &mut DbConn,
    outbox: &Outbox,
    id: i32,
    actor: &Actor,
    now: NaiveDateTime,
    early_reason: Option<&str>,
) -> AppResult<Option<BallotResult>> {
    crate::db::claim_write_lock(conn)?;
    // Another server's scheduler (or an early close) may be at the same
    // ballot: the second waits here, then reads what the first wrote.
    crate::db::lock_row(conn, crate::db::Locked::Ballot(id))?;
    let loaded = load(conn, id)?;
    if loaded.suspension().is_some() {
        // Nothing closes or counts until voting resumes (or is declared void).
        return Ok(None);
    }
    if loaded.state == BallotState::Open {
        // Extended since the scheduler read the timetable: not due yet.
        if early_reason.is_none() && loaded.ballot.closes_at > now {
            return Ok(None);
        }
        if store::transition(conn, id, "open", "closed", now)? == 0 {
            return Ok(None);
        }
        record(
            conn,
            actor,
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: if early_reason.is_some() {
                    "ballot.close_early"
                } else {
                    "ballot.close"
                },
                object_kind: "ballot",
                object_key: &id.to_string(),
                summary: match early_reason {
                    Some(reason) => format!(
                        "Voting closed on \"{}\" early, {} before its published close at {}: {reason}",
                        loaded.ballot.title,
                        crate::format::duration_words(loaded.ballot.closes_at - now),
                        crate::time::date_time(loaded.ballot.closes_at)
                    ),
                    None => format!("Voting closed on \"{}\"", loaded.ballot.title),
                },
            },
        )?;
        // Queued links are of no use now.
    } else if loaded.state != BallotState::Closed {
        return Ok(None);
    }
    if loaded.rules.is_verifiable() {
        // Only the trustees can decrypt the totals: the count waits for them.
        super::verifiable::tally::close_in(conn, outbox, &loaded, actor)?;
        return Ok(None);
    }
    store::mix_papers(conn, id)?;
    let result = count_papers(conn, &loaded)?;
    record_count(conn, outbox, &loaded, &result, actor, now)?;
    Ok(Some(result))
}

/// Stores a ballot's result, audits and announces it.
pub(super) fn record_count(
    conn: &mut DbConn,
    outbox: &Outbox,
    loaded: &Loaded,
    result: &BallotResult,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    let id = loaded.ballot.id;
    let stored = serde_json::to_string(result).map_err(|e| AppError::Internal(format!("result: {e}")))?;
    if store::set_counted(conn, id, &stored, now)? == 0 {
        return Err(AppError::Conflict(format!("ballot {id} was counted already")));
    }
    let turnout = result.overall.tally.turnout();
    let words = super::words::outcome_sentence(loaded, result);
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
    super::notices::announce(
        conn,
        outbox,
        loaded,
        "ballot_result",
        json!({
            "outcome": words,
            "results_url": format!("{}/ballots/{id}/results", outbox.base_url()),
            "unopposed": matches!(result.outcome, super::rules::Outcome::ElectedUnopposed { .. }),
        }),
    )?;
    Ok(())
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
    if let (Some(seats), Some(rule)) = (loaded.rules.seats, loaded.rules.count_rule()) {
        let keys = loaded.option_keys();
        let names: Vec<String> = loaded.options.iter().map(|o| o.label.clone()).collect();
        let tie_order = super::election::count::recorded_draw(loaded.rules.tie_order.as_deref(), &keys);
        let election = super::election::count::Election {
            title: &loaded.ballot.title,
            keys: &keys,
            names: &names,
            seats,
            rule,
            tie_order,
        };
        return super::election::count::result(&election, &electors, &papers, loaded.rules.quorum())
            .map_err(|why| AppError::Internal(format!("ballot {}: {why}", loaded.ballot.id)));
    }
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
/// Closes voting and counts. Before the published close (only if the rules
/// allow it) the returning officer must say why: the reason is kept with
/// the ballot and shown on its timeline and the LMC's checklist.
pub fn close(pool: &Pool, outbox: &Outbox, actor: &SessionUser, id: i32, reason: &str) -> AppResult<()> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        // Two closes (or a close and the scheduler) take turns: the second
        // reads the state the first left, before writing a reason.
        crate::db::lock_row(c, crate::db::Locked::Ballot(id))?;
        let loaded = require_runs(c, actor, id)?;
        let now = now();
        refuse_while_suspended(&loaded)?;
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
        if early {
            if reason.is_empty() {
                return Err(AppError::invalid(
                    "reason",
                    format!(
                        "Enter why voting closes before its published close ({}): the reason is shown on the ballot's timeline and the LMC's checklist",
                        crate::time::date_time(loaded.ballot.closes_at)
                    ),
                ));
            }
            if reason.chars().count() > 1000 {
                return Err(AppError::invalid(
                    "reason",
                    "The reason must be 1,000 characters or less",
                ));
            }
            store::set_close_reason(c, id, &reason)?;
        }
        close_and_count_in(c, outbox, id, &actor.actor(), now, early.then_some(reason.as_str()))?;
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
    crate::db::write_transaction(&mut conn, |c| {
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

/// While voting is suspended its close is settled when it resumes.
fn refuse_while_suspended(loaded: &Loaded) -> AppResult<()> {
    match loaded.suspension() {
        Some(suspension) => Err(AppError::Conflict(format!(
            "Voting has been suspended since {}: resume it with a new close, or declare the ballot void.",
            crate::time::date_time(suspension.suspended_at)
        ))),
        None => Ok(()),
    }
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
    crate::db::write_transaction(&mut conn, |c| {
        let loaded = require_runs(c, actor, id)?;
        refuse_while_suspended(&loaded)?;
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
        super::notices::announce(
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
