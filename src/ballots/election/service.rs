//! Nominations for an election, each use-case one transaction: the
//! returning officer calls for nominations on a draft election; member
//! practices' representatives nominate and second candidates; each
//! candidate consents, declares and writes a statement through an emailed
//! link; after the close the returning officer publishes the list of valid
//! nominations (the draft's candidates) with the reasons for each
//! rejection; candidates may withdraw until the set time. Every step is
//! audited; the candidate's messages go through the outbox.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use serde_json::json;

use super::model::{self, ElectionTerms, Eligibility, Nomination, PaperOrder, Post, Problem};
use super::store::{self, Call, CandidateAnswers, NewNomination, NominationRow, Supporter};
use crate::accounts::model::{EmailAddress, Grants};
use crate::accounts::service::SessionUser;
use crate::audit::model::Actor;
use crate::ballots::model::{BallotOption, BallotState};
use crate::ballots::service::{Access, Loaded, london_day};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::store::Practice;

/// What the call for nominations form or the API sends.
#[derive(Debug, Clone, Default)]
pub struct CallRequest {
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub withdrawals_close: Option<NaiveDateTime>,
    pub nominators_required: Option<u32>,
    pub statement_word_limit: Option<u32>,
    pub eligibility: String,
    /// Fields that could not be read, with the reason.
    pub edge_errors: Vec<FieldError>,
}

pub const ELIGIBILITIES: [(&str, &str); 2] = [
    (
        "gp_at_member_practice",
        "A GP partner or salaried GP at a member practice",
    ),
    ("any_named_person", "Anyone the nominating practices name"),
];

pub const POSTS: [(&str, &str); 3] = [
    ("gp_partner", "GP partner"),
    ("salaried_gp", "Salaried GP"),
    ("other", "Other"),
];

fn eligibility(stored: &str) -> Eligibility {
    if stored == "any_named_person" {
        Eligibility::AnyNamedPerson
    } else {
        Eligibility::GpAtMemberPractice
    }
}

fn post(stored: &str) -> Post {
    match stored {
        "gp_partner" => Post::GpPartner,
        "salaried_gp" => Post::SalariedGp,
        _ => Post::Other,
    }
}

pub fn post_words(stored: &str) -> &'static str {
    POSTS
        .iter()
        .find(|(key, _)| *key == stored)
        .map_or("Other", |(_, words)| words)
}

pub fn eligibility_words(stored: &str) -> &'static str {
    ELIGIBILITIES
        .iter()
        .find(|(key, _)| *key == stored)
        .map_or(ELIGIBILITIES[0].1, |(_, words)| words)
}

/// The election's terms as the pure rules take them.
pub fn terms(call: &Call, loaded: &Loaded) -> ElectionTerms {
    ElectionTerms {
        seats: loaded.rules.seats.unwrap_or(1),
        rule: loaded
            .rules
            .count_rule()
            .unwrap_or(crate::ballots::stv::CountRule::Scottish),
        eligibility: eligibility(&call.eligibility),
        paper_order: if loaded.rules.paper_order.as_deref() == Some("random") {
            PaperOrder::Random
        } else {
            PaperOrder::Alphabetical
        },
        nominators_required: u32::try_from(call.nominators_required).unwrap_or(1),
        statement_word_limit: u32::try_from(call.statement_word_limit).unwrap_or(250),
        nominations_open: call.opens_at,
        nominations_close: call.closes_at,
        withdrawals_close: call.withdrawals_close,
    }
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn draft_election(loaded: &Loaded) -> AppResult<()> {
    if !loaded.kind.is_election() {
        return Err(AppError::NotFound);
    }
    if loaded.state != BallotState::Draft {
        return Err(AppError::Conflict(
            "The election's ballot paper has been published: nominations are over.".into(),
        ));
    }
    Ok(())
}

/// `POST …/nominations/call`: calls for nominations on a draft election,
/// or changes the terms while nobody has been nominated.
pub fn call_nominations(pool: &Pool, actor: &SessionUser, ballot_id: i32, request: &CallRequest) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        crate::db::lock_row(c, crate::db::Locked::Ballot(ballot_id))?;
        let loaded = crate::ballots::service::require_runs(c, actor, ballot_id)?;
        draft_election(&loaded)?;
        let existing = store::call(c, ballot_id)?;
        if existing.is_some() && !store::nominations_of(c, ballot_id)?.is_empty() {
            return Err(AppError::Conflict(
                "Candidates have been nominated under these terms: they can no longer change.".into(),
            ));
        }
        let mut errors = request.edge_errors.clone();
        for (field, value, message) in [
            (
                "nominators-required",
                request.nominators_required,
                "Enter how many member practices must nominate a candidate, as a whole number",
            ),
            (
                "statement-word-limit",
                request.statement_word_limit,
                "Enter the limit on a candidate's statement in words, as a whole number",
            ),
        ] {
            if value.is_none() && !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, message));
            }
        }
        if !ELIGIBILITIES.iter().any(|(key, _)| *key == request.eligibility) {
            errors.push(FieldError::new("eligibility", "Choose who may stand"));
        }
        let (Some(opens_at), Some(closes_at), Some(withdrawals_close)) =
            (request.opens_at, request.closes_at, request.withdrawals_close)
        else {
            return Err(AppError::Invalid(errors));
        };
        let call = Call {
            ballot_id,
            opens_at,
            closes_at,
            withdrawals_close,
            nominators_required: request
                .nominators_required
                .map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX)),
            statement_word_limit: request
                .statement_word_limit
                .map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX)),
            eligibility: request.eligibility.clone(),
            called_at: now(),
            list_published_at: None,
        };
        let mut checked = terms(&call, &loaded);
        checked.nominators_required = request.nominators_required.unwrap_or(1);
        checked.statement_word_limit = request.statement_word_limit.unwrap_or(250);
        errors.extend(
            checked
                .check(loaded.ballot.opens_at)
                .into_iter()
                .map(|e| FieldError::new(&e.field.replace('_', "-"), e.message)),
        );
        if errors.is_empty() && closes_at <= now() {
            errors.push(FieldError::new(
                "closes-at",
                "When nominations close must be in the future",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if existing.is_some() {
            store::update_call(c, &call)?;
        } else {
            store::insert_call(c, &call)?;
        }
        crate::ballots::service::audit_ballot(
            c,
            actor,
            &loaded,
            if existing.is_some() {
                "nomination.call_change"
            } else {
                "nomination.call"
            },
            format!(
                "Nominations for \"{}\" open {} and close {}; {} nominating practices needed; {}; statements up to {} words; withdrawals until {}",
                loaded.ballot.title,
                crate::time::date_time(opens_at),
                crate::time::date_time(closes_at),
                call.nominators_required,
                eligibility_words(&call.eligibility).to_lowercase(),
                call.statement_word_limit,
                crate::time::date_time(withdrawals_close)
            ),
        )?;
        Ok(())
    })
}

/// The call for a draft election, for its form (None: not called yet).
pub fn call_of(pool: &Pool, actor: &SessionUser, ballot_id: i32) -> AppResult<(Loaded, Option<Call>, bool)> {
    let mut conn = pool.get()?;
    let loaded = crate::ballots::service::require_runs(&mut conn, actor, ballot_id)?;
    if !loaded.kind.is_election() {
        return Err(AppError::NotFound);
    }
    let call = store::call(&mut conn, ballot_id)?;
    let nominated = !store::nominations_of(&mut conn, ballot_id)?.is_empty();
    Ok((loaded, call, nominated))
}

/// A nomination as the pages show it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub row: NominationRow,
    /// The candidate's practice: code and name.
    pub candidate_practice: Option<(String, String)>,
    pub supporters: Vec<Supporter>,
    /// Why it is not valid now (empty: valid).
    pub problems: Vec<Problem>,
}

impl Entry {
    pub fn status(&self, list_published: bool) -> (&'static str, &'static str) {
        match (&self.row.decision, self.row.withdrawn_at) {
            (_, Some(_)) => ("Withdrawn", "grey"),
            (Some(d), None) if d == "valid" => ("Validly nominated", "green"),
            (Some(_), None) => ("Rejected", "red"),
            (None, None) if list_published => ("Not decided", "grey"),
            (None, None) if self.problems.is_empty() => ("Complete", "green"),
            (None, None) => ("Incomplete", "yellow"),
        }
    }
}

/// An election's nominations, for whoever may see them.
pub struct Nominations {
    pub loaded: Loaded,
    pub access: Access,
    pub call: Call,
    pub terms: ElectionTerms,
    pub entries: Vec<Entry>,
    /// The member practices the user represents: (id, code, name).
    pub represented: Vec<(i32, String, String)>,
    /// The ODS codes of the practices that nominate and stand.
    pub members: BTreeSet<String>,
    pub now: NaiveDateTime,
}

impl Nominations {
    pub fn open(&self) -> bool {
        self.call.opens_at <= self.now && self.now <= self.call.closes_at
    }

    pub fn list_published(&self) -> bool {
        self.call.list_published_at.is_some()
    }

    /// The valid nominations after publication, or those valid now.
    pub fn valid(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| match &self.call.list_published_at {
                Some(_) => e.row.decision.as_deref() == Some("valid") && e.row.withdrawn_at.is_none(),
                None => e.problems.is_empty(),
            })
            .collect()
    }
}

/// The election's member practices as the register stands on the day:
/// those of its locality, for an election held for one.
fn electing_practices(conn: &mut DbConn, loaded: &Loaded, now: NaiveDateTime) -> AppResult<Vec<Practice>> {
    let mut members = Practice::members_on(conn, loaded.organisation.id, london_day(now))?;
    if let Some(locality) = &loaded.rules.locality {
        members.retain(|p| loaded.rules.constituencies.get(&p.ods_code) == Some(locality));
    }
    Ok(members)
}

fn gather(conn: &mut DbConn, loaded: Loaded, access: Access, grants: &Grants) -> AppResult<Nominations> {
    let ballot_id = loaded.ballot.id;
    let call = store::call(conn, ballot_id)?.ok_or(AppError::NotFound)?;
    let terms = terms(&call, &loaded);
    let now = now();
    let members = electing_practices(conn, &loaded, now)?;
    let codes: BTreeSet<String> = members.iter().map(|p| p.ods_code.clone()).collect();
    let by_id: HashMap<i32, &Practice> = members.iter().map(|p| (p.id, p)).collect();
    let mut supporters: HashMap<i32, Vec<Supporter>> = HashMap::new();
    for supporter in store::supporters_of(conn, ballot_id)? {
        supporters.entry(supporter.nomination_id).or_default().push(supporter);
    }
    let mut entries = Vec::new();
    for row in store::nominations_of(conn, ballot_id)? {
        let candidate_practice = match row.candidate_practice_id {
            Some(id) => match by_id.get(&id) {
                Some(p) => Some((p.ods_code.clone(), p.name.clone())),
                None => Practice::find(conn, id)?.map(|p| (p.ods_code, p.name)),
            },
            None => None,
        };
        let supporters = supporters.remove(&row.id).unwrap_or_default();
        let nomination = Nomination {
            candidate_name: row.candidate_name.clone(),
            post: post(&row.post),
            practice: candidate_practice.as_ref().map(|(code, _)| code.clone()),
            nominators: supporters.iter().map(|s| s.ods_code.clone()).collect(),
            submitted_at: row.submitted_at,
            accepted_at: row.accepted_at,
            declared: row.declared_at.is_some(),
            statement: row.statement.clone(),
            ballot_line: row.ballot_line.clone(),
            withdrawn_at: row.withdrawn_at,
        };
        let problems = model::check_nomination(&terms, &nomination, &codes);
        entries.push(Entry {
            row,
            candidate_practice,
            supporters,
            problems,
        });
    }
    let represented = members
        .iter()
        .filter(|p| grants.represents_practice(p.id))
        .map(|p| (p.id, p.ods_code.clone(), p.name.clone()))
        .collect();
    Ok(Nominations {
        loaded,
        access,
        call,
        terms,
        entries,
        represented,
        members: codes,
        now,
    })
}

/// The election's nominations, for those who run the organisation, its
/// LMC's observers and its member practices' representatives, once
/// nominations have been called (before, the draft does not exist to them).
pub fn nominations(pool: &Pool, grants: &Grants, ballot_id: i32) -> AppResult<Nominations> {
    let mut conn = pool.get()?;
    let found = load_nominations(&mut conn, grants, ballot_id)?;
    if !(found.access.runs || found.access.observes || found.access.member) {
        return Err(AppError::Forbidden(format!(
            "Only the people who run {}, observers from its local medical committee and its member practices can see its nominations.",
            found.loaded.organisation.name
        )));
    }
    Ok(found)
}

fn load_nominations(conn: &mut DbConn, grants: &Grants, ballot_id: i32) -> AppResult<Nominations> {
    let loaded = crate::ballots::service::load(conn, ballot_id)?;
    if !loaded.kind.is_election() || store::call(conn, ballot_id)?.is_none() {
        return Err(AppError::NotFound);
    }
    let access = crate::ballots::service::access(conn, grants, &loaded)?;
    gather(conn, loaded, access, grants)
}

/// What a nominating practice's representative sends.
#[derive(Debug, Clone, Default)]
pub struct NominateRequest {
    pub candidate_name: String,
    pub candidate_email: String,
    pub post: String,
    /// The candidate's practice (ODS code), if any.
    pub candidate_practice: String,
    /// The nominating practice (ODS code).
    pub practice: String,
}

/// The represented member practice a representative acts for, or why not.
fn acting_practice<'a>(found: &'a Nominations, code: &str, field: &str) -> AppResult<&'a (i32, String, String)> {
    let code = code.trim().to_ascii_uppercase();
    if found.represented.is_empty() {
        return Err(AppError::Forbidden(format!(
            "Only the representatives of {}'s member practices{} can nominate candidates.",
            found.loaded.organisation.name,
            found
                .loaded
                .rules
                .locality
                .as_deref()
                .map(|l| format!(" in {l}"))
                .unwrap_or_default()
        )));
    }
    found
        .represented
        .iter()
        .find(|(_, c, _)| *c == code)
        .ok_or_else(|| AppError::invalid(field, "Choose the member practice you nominate for"))
}

fn refuse_unless_open(found: &Nominations) -> AppResult<()> {
    if found.list_published() || !found.open() {
        return Err(AppError::Conflict(format!(
            "Nominations are open from {} to {}: it is not the time to nominate.",
            crate::time::date_time(found.call.opens_at),
            crate::time::date_time(found.call.closes_at)
        )));
    }
    Ok(())
}

const CONSENT_TEMPLATE: &str = "nomination_consent";
const OUTCOME_TEMPLATE: &str = "nomination_outcome";

fn candidate_mail(
    loaded: &Loaded,
    row: &NominationRow,
    template: &'static str,
    reason: String,
    extra: serde_json::Value,
) -> Mail {
    let mut context = json!({
        "organisation": loaded.organisation.name,
        "title": loaded.ballot.title,
        "candidate": row.candidate_name,
    });
    if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra) {
        map.extend(extra);
    }
    Mail {
        template,
        to_email: row.candidate_email.clone(),
        to_name: row.candidate_name.clone(),
        sender: loaded.organisation.name.clone(),
        reason,
        event: EventKind::Ballot,
        event_id: Some(loaded.ballot.id),
        organisation_id: Some(loaded.organisation.id),
        practice_id: None,
        user_id: None,
        context,
        // The message carries the candidate's link.
        sealed: template == CONSENT_TEMPLATE,
    }
}

const PROGRESS_TEMPLATE: &str = "nomination_progress";

/// Tells the organisation's returning officers (or, with none, its
/// administrators), through the outbox, that a nomination moved on:
/// `short` for the subject, `event` the sentence that says what happened.
fn tell_officers(conn: &mut DbConn, outbox: &Outbox, found: &Nominations, short: &str, event: &str) -> AppResult<()> {
    let organisation = &found.loaded.organisation;
    let mut officers = crate::accounts::store::holders_of(conn, "returning_officer", &[organisation.id])?;
    let mut reason = format!(
        "You get this email because you are a returning officer of {}.",
        organisation.name
    );
    if officers.is_empty() {
        officers = crate::accounts::store::holders_of(conn, "org_admin", &[organisation.id])?;
        reason = format!(
            "You get this email because you are an administrator of {}, which has no returning officer named.",
            organisation.name
        );
    }
    let mails = officers
        .into_iter()
        .map(|(user_id, name, email)| Mail {
            template: PROGRESS_TEMPLATE,
            to_email: email,
            to_name: name,
            sender: organisation.name.clone(),
            reason: reason.clone(),
            event: EventKind::Ballot,
            event_id: Some(found.loaded.ballot.id),
            organisation_id: Some(organisation.id),
            practice_id: None,
            user_id: Some(user_id),
            context: json!({
                "organisation": organisation.name,
                "title": found.loaded.ballot.title,
                "event_short": short,
                "event": event,
                "closes": crate::time::date_time(found.call.closes_at),
                "withdrawals_close": crate::time::date_time(found.call.withdrawals_close),
                "nominations_url": format!("{}/ballots/{}/nominations", outbox.base_url(), found.loaded.ballot.id),
            }),
            sealed: false,
        })
        .collect();
    outbox.enqueue_all(conn, mails)?;
    Ok(())
}

/// `POST …/nominations`: a member practice's representative nominates a
/// candidate; the candidate is emailed a link to consent. Returns the
/// nomination's id.
pub fn nominate(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    ballot_id: i32,
    request: &NominateRequest,
) -> AppResult<i32> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        crate::db::lock_row(c, crate::db::Locked::Ballot(ballot_id))?;
        let found = load_nominations(c, &actor.grants(), ballot_id)?;
        let (practice_id, practice_code, practice_name) =
            acting_practice(&found, &request.practice, "practice")?.clone();
        refuse_unless_open(&found)?;
        draft_election(&found.loaded)?;
        let mut errors = Vec::new();
        let name = request.candidate_name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            errors.push(FieldError::new("candidate-name", "Enter the candidate's full name"));
        } else if name.chars().count() > 100 {
            errors.push(FieldError::new(
                "candidate-name",
                "The candidate's name must be 100 characters or less",
            ));
        } else if name.contains(['"', '|', '>']) {
            errors.push(FieldError::new(
                "candidate-name",
                "The candidate's name must not contain \", | or >",
            ));
        } else if let Some(same) = found
            .entries
            .iter()
            .find(|e| e.row.withdrawn_at.is_none() && e.row.candidate_name.to_lowercase() == name.to_lowercase())
        {
            errors.push(FieldError::new(
                "candidate-name",
                format!(
                    "{} is nominated already: second that nomination instead",
                    same.row.candidate_name
                ),
            ));
        }
        let email = EmailAddress::parse("candidate-email", &request.candidate_email);
        if let Err(e) = &email {
            errors.push(e.clone());
        }
        if !POSTS.iter().any(|(key, _)| *key == request.post) {
            errors.push(FieldError::new("post", "Choose the candidate's post"));
        }
        let candidate_code = request.candidate_practice.trim().to_ascii_uppercase();
        let candidate_practice = if candidate_code.is_empty() {
            None
        } else {
            match Practice::find_by_code(c, &candidate_code)? {
                Some(p) => Some(p),
                None => {
                    errors.push(FieldError::new(
                        "candidate-practice",
                        format!("No practice has the ODS code {candidate_code}"),
                    ));
                    None
                }
            }
        };
        if found.terms.eligibility == Eligibility::GpAtMemberPractice {
            if request.post == "other" {
                errors.push(FieldError::new("post", Problem::NotAGp.words()));
            }
            let unknown = errors.iter().any(|e| e.field == "candidate-practice");
            if !unknown
                && !candidate_practice
                    .as_ref()
                    .is_some_and(|p| found.members.contains(&p.ods_code))
            {
                errors.push(FieldError::new(
                    "candidate-practice",
                    format!(
                        "{}: enter the ODS code of the member practice where the candidate works",
                        Problem::NotAtMemberPractice.words()
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let email = email.map_err(|e| AppError::Invalid(vec![e]))?;
        let raw = crate::token::link_token();
        let now = found.now;
        let row = NewNomination {
            ballot_id,
            candidate_name: name.clone(),
            candidate_email: email.as_str().to_owned(),
            post: request.post.clone(),
            candidate_practice_id: candidate_practice.as_ref().map(|p| p.id),
            submitted_at: now,
            submitted_by: Some(actor.id),
            token_digest: crate::token::digest(&raw),
        };
        let id = store::insert_nomination(c, &row)?;
        store::insert_supporter(c, id, practice_id, actor.id, now)?;
        let stored = store::nomination(c, id)?.ok_or(AppError::NotFound)?;
        tell_officers(
            c,
            outbox,
            &found,
            &format!("{name} nominated"),
            &format!(
                "{practice_name} ({practice_code}) nominated {name}, who has been emailed a link to accept. {} must nominate each candidate.",
                crate::format::plural(
                    found.terms.nominators_required as usize,
                    "member practice",
                    "member practices"
                )
            ),
        )?;
        let loaded = &found.loaded;
        outbox.enqueue(
            c,
            candidate_mail(
                loaded,
                &stored,
                CONSENT_TEMPLATE,
                format!(
                    "You get this email because {practice_name} ({practice_code}) nominated you in {}'s election.",
                    loaded.organisation.name
                ),
                json!({
                    "nominated_by": format!("{practice_name} ({practice_code})"),
                    "seats": found.terms.seats,
                    "nominators_required": found.terms.nominators_required,
                    "word_limit": found.terms.statement_word_limit,
                    "closes": crate::time::date_time(found.call.closes_at),
                    "link": format!("{}/nominations/{raw}", outbox.base_url()),
                }),
            ),
        )?;
        crate::ballots::service::audit_ballot(
            c,
            actor,
            loaded,
            "nomination.submit",
            format!(
                "{practice_name} ({practice_code}) nominated {name} ({}{}) in \"{}\"; the candidate was emailed a link to consent",
                post_words(&request.post),
                candidate_practice
                    .as_ref()
                    .map(|p| format!(", {}", p.ods_code))
                    .unwrap_or_default(),
                loaded.ballot.title
            ),
        )?;
        Ok(id)
    })
}

/// `POST …/nominations/ID/second`: another member practice joins a
/// nomination.
pub fn second(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    ballot_id: i32,
    nomination_id: i32,
    practice: &str,
) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        crate::db::lock_row(c, crate::db::Locked::Ballot(ballot_id))?;
        let found = load_nominations(c, &actor.grants(), ballot_id)?;
        let (practice_id, practice_code, practice_name) = acting_practice(&found, practice, "practice")?.clone();
        let entry = found
            .entries
            .iter()
            .find(|e| e.row.id == nomination_id)
            .ok_or(AppError::NotFound)?;
        refuse_unless_open(&found)?;
        if entry.row.withdrawn_at.is_some() {
            return Err(AppError::Conflict(format!(
                "{} has withdrawn.",
                entry.row.candidate_name
            )));
        }
        if entry.supporters.iter().any(|s| s.practice_id == practice_id) {
            return Err(AppError::invalid(
                "practice",
                format!("{practice_name} nominates {} already", entry.row.candidate_name),
            ));
        }
        store::insert_supporter(c, nomination_id, practice_id, actor.id, found.now)?;
        tell_officers(
            c,
            outbox,
            &found,
            &format!("{} seconded", entry.row.candidate_name),
            &format!(
                "{practice_name} ({practice_code}) also nominated {}: {} of the {} member practices needed.",
                entry.row.candidate_name,
                entry.supporters.len() + 1,
                found.terms.nominators_required
            ),
        )?;
        crate::ballots::service::audit_ballot(
            c,
            actor,
            &found.loaded,
            "nomination.second",
            format!(
                "{practice_name} ({practice_code}) also nominated {} in \"{}\" ({} nominating practices now)",
                entry.row.candidate_name,
                found.loaded.ballot.title,
                entry.supporters.len() + 1
            ),
        )?;
        Ok(())
    })
}

/// What the candidate's link shows.
pub struct CandidatePage {
    pub found: Nominations,
    pub entry: Entry,
}

impl CandidatePage {
    /// Consent, declaration and statement can change until the list is
    /// published (and not after withdrawing).
    pub fn may_answer(&self) -> bool {
        !self.found.list_published()
            && self.entry.row.withdrawn_at.is_none()
            && self.found.loaded.state == BallotState::Draft
    }

    /// Until withdrawals close, and while the ballot paper is not published.
    pub fn may_withdraw(&self) -> bool {
        self.entry.row.withdrawn_at.is_none()
            && self.found.now <= self.found.call.withdrawals_close
            && self.found.loaded.state == BallotState::Draft
    }
}

fn candidate_in(conn: &mut DbConn, raw: &str) -> AppResult<CandidatePage> {
    let row = store::nomination_by_token(conn, &crate::token::digest(raw.trim()))?.ok_or_else(|| {
        AppError::Gone(
            "This nomination link is not known. Use the link in the latest email about your nomination.".into(),
        )
    })?;
    let found = load_nominations(conn, &Grants(Vec::new()), row.ballot_id)?;
    let entry = found
        .entries
        .iter()
        .find(|e| e.row.id == row.id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok(CandidatePage { found, entry })
}

/// The candidate's nomination for a change: the ballot's row is held first,
/// so the list's publication and the change take turns, and the
/// nomination is read after.
fn locked_candidate(conn: &mut DbConn, raw: &str) -> AppResult<CandidatePage> {
    if let Some(row) = store::nomination_by_token(conn, &crate::token::digest(raw.trim()))? {
        crate::db::lock_row(conn, crate::db::Locked::Ballot(row.ballot_id))?;
    }
    candidate_in(conn, raw)
}

/// `GET /nominations/TOKEN`: the candidate's own nomination.
pub fn candidate(pool: &Pool, raw: &str) -> AppResult<CandidatePage> {
    let mut conn = pool.get()?;
    candidate_in(&mut conn, raw)
}

fn candidate_actor(row: &NominationRow) -> Actor {
    Actor {
        user_id: None,
        label: format!(
            "{} <{}>, candidate, with the nomination link",
            row.candidate_name, row.candidate_email
        ),
    }
}

/// What the candidate sends.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub accept: bool,
    pub declare: bool,
    pub interests: String,
    pub statement: String,
    pub ballot_line: String,
}

/// `POST /nominations/TOKEN`: the candidate consents (or not yet),
/// declares, and writes the statement and the line for the ballot paper.
pub fn answer(pool: &Pool, outbox: &Outbox, raw: &str, answers: &Answers) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let page = locked_candidate(c, raw)?;
        if !page.may_answer() {
            return Err(AppError::Conflict(if page.entry.row.withdrawn_at.is_some() {
                "You have withdrawn: the nomination can no longer change.".into()
            } else {
                "The returning officer has published the list of candidates: the nomination can no longer change."
                    .into()
            }));
        }
        let mut errors = Vec::new();
        let statement = crate::web::form::lf_lines(answers.statement.trim());
        let words = model::word_count(&statement);
        let limit = page.found.terms.statement_word_limit as usize;
        if words > limit {
            errors.push(FieldError::new(
                "statement",
                format!("Your statement has {words} words: shorten it to {limit} words or fewer"),
            ));
        }
        let ballot_line = answers.ballot_line.split_whitespace().collect::<Vec<_>>().join(" ");
        if ballot_line.chars().count() > model::BALLOT_LINE_LIMIT {
            errors.push(FieldError::new(
                "ballot-line",
                format!(
                    "The line for the ballot paper must be {} characters or less",
                    model::BALLOT_LINE_LIMIT
                ),
            ));
        }
        let interests = crate::web::form::lf_lines(answers.interests.trim());
        if interests.chars().count() > 10_000 {
            errors.push(FieldError::new(
                "interests",
                "Your interests must be 10,000 characters or less",
            ));
        }
        if answers.declare && !answers.accept {
            errors.push(FieldError::new(
                "accept",
                "Accept the nomination to make the declaration",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let row = &page.entry.row;
        let now = page.found.now;
        let changes = CandidateAnswers {
            accepted_at: answers.accept.then(|| row.accepted_at.unwrap_or(now)),
            declared_at: answers.declare.then(|| row.declared_at.unwrap_or(now)),
            interests,
            statement,
            ballot_line,
        };
        store::set_answers(c, row.id, &changes)?;
        // The officers hear of the steps that make a nomination valid, not
        // of each edit to a statement.
        let step = match (
            row.accepted_at.is_none() && changes.accepted_at.is_some(),
            row.declared_at.is_none() && changes.declared_at.is_some(),
        ) {
            (true, true) => Some((
                "accepted",
                "accepted the nomination and made the declaration of eligibility and interests",
            )),
            (true, false) => Some((
                "accepted",
                "accepted the nomination, and has yet to make the declaration of eligibility and interests",
            )),
            (false, true) => Some(("declared", "made the declaration of eligibility and interests")),
            (false, false) => None,
        };
        if let Some((short, sentence)) = step {
            let name = &row.candidate_name;
            tell_officers(
                c,
                outbox,
                &page.found,
                &format!("{name} {short}"),
                &format!("{name} {sentence}."),
            )?;
        }
        let state = match (changes.accepted_at.is_some(), changes.declared_at.is_some()) {
            (true, true) => "accepted the nomination and made the declaration",
            (true, false) => "accepted the nomination without yet making the declaration",
            _ => "has not accepted the nomination",
        };
        crate::ballots::service::audit_ballot_by(
            c,
            &candidate_actor(row),
            &page.found.loaded,
            if row.accepted_at.is_none() && changes.accepted_at.is_some() {
                "nomination.accept"
            } else {
                "nomination.update"
            },
            format!(
                "{} {state}; statement of {words} words; interests {}",
                row.candidate_name,
                if changes.interests.is_empty() {
                    "none declared".to_owned()
                } else {
                    "declared".to_owned()
                }
            ),
        )?;
        Ok(())
    })
}

/// `POST /nominations/TOKEN/withdraw`: the candidate withdraws, until
/// withdrawals close. After the list is published, the candidate leaves
/// the draft's ballot paper too.
pub fn withdraw(pool: &Pool, outbox: &Outbox, raw: &str) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let page = locked_candidate(c, raw)?;
        let row = &page.entry.row;
        if row.withdrawn_at.is_some() {
            return Ok(());
        }
        if !page.may_withdraw() {
            return Err(AppError::Conflict(format!(
                "Withdrawals closed at {}: you remain a candidate.",
                crate::time::date_time(page.found.call.withdrawals_close)
            )));
        }
        if store::withdraw(c, row.id, page.found.now)? == 0 {
            return Ok(());
        }
        tell_officers(
            c,
            outbox,
            &page.found,
            &format!("{} withdrew", row.candidate_name),
            &format!(
                "{} withdrew{}.",
                row.candidate_name,
                if row.option_key.is_some() {
                    ", and leaves the list of candidates"
                } else {
                    ""
                }
            ),
        )?;
        let loaded = &page.found.loaded;
        if let Some(key) = row.option_key.as_deref() {
            let remaining: Vec<BallotOption> = loaded.ballot_options().into_iter().filter(|o| o.key != key).collect();
            crate::ballots::store::replace_options(c, loaded.ballot.id, &remaining)?;
        }
        crate::ballots::service::audit_ballot_by(
            c,
            &candidate_actor(row),
            loaded,
            "nomination.withdraw",
            format!(
                "{} withdrew from \"{}\"{}",
                row.candidate_name,
                loaded.ballot.title,
                if row.option_key.is_some() {
                    ", and leaves the list of candidates"
                } else {
                    ""
                }
            ),
        )?;
        Ok(())
    })
}

/// `POST …/nominations/publish`: after nominations close, the returning
/// officer publishes the list. A nomination with a problem is rejected with
/// it; the officer may reject another, giving the reason (`rejections`:
/// nomination id → reason). The valid candidates become the draft's
/// candidates, each told the decision.
pub fn publish_list(
    pool: &Pool,
    outbox: &Outbox,
    actor: &SessionUser,
    ballot_id: i32,
    rejections: &HashMap<i32, String>,
) -> AppResult<(usize, usize)> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        crate::db::lock_row(c, crate::db::Locked::Ballot(ballot_id))?;
        crate::ballots::service::require_runs(c, actor, ballot_id)?;
        let found = load_nominations(c, &actor.grants(), ballot_id)?;
        draft_election(&found.loaded)?;
        if found.list_published() {
            return Err(AppError::Conflict(
                "The list of candidates has been published already.".into(),
            ));
        }
        if found.now <= found.call.closes_at {
            return Err(AppError::Conflict(format!(
                "Nominations close at {}: the list is published after that.",
                crate::time::date_time(found.call.closes_at)
            )));
        }
        let mut errors = Vec::new();
        for (id, reason) in rejections {
            if !found.entries.iter().any(|e| e.row.id == *id) {
                errors.push(FieldError::new(
                    "rejections",
                    format!("There is no nomination {id} in this election"),
                ));
            } else if reason.trim().is_empty() {
                errors.push(FieldError::new(
                    &format!("reason-{id}"),
                    "Enter why the nomination is rejected: the reason is published with the list",
                ));
            } else if reason.chars().count() > 1000 {
                errors.push(FieldError::new(
                    &format!("reason-{id}"),
                    "The reason must be 1,000 characters or less",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut options: Vec<BallotOption> = Vec::new();
        let mut mails = Vec::new();
        let (mut valid, mut rejected) = (0, 0);
        for entry in &found.entries {
            let row = &entry.row;
            if row.withdrawn_at.is_some() {
                store::decide(c, row.id, "rejected", &Problem::Withdrawn.words(), None)?;
                continue;
            }
            let mut reasons: Vec<String> = entry.problems.iter().map(Problem::words).collect();
            if let Some(reason) = rejections.get(&row.id) {
                reasons.push(reason.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            let stored = reasons.join("\n");
            if reasons.is_empty() {
                let taken: Vec<String> = options.iter().map(|o| o.key.clone()).collect();
                let key = crate::ballots::draft_routes::option_key(&row.candidate_name, &taken);
                store::decide(c, row.id, "valid", "", Some(&key))?;
                options.push(BallotOption {
                    key,
                    label: row.candidate_name.clone(),
                    description: row.ballot_line.clone(),
                });
                valid += 1;
            } else {
                store::decide(c, row.id, "rejected", &stored, None)?;
                rejected += 1;
            }
            mails.push(candidate_mail(
                &found.loaded,
                row,
                OUTCOME_TEMPLATE,
                format!(
                    "You get this email because you were nominated in {}'s election.",
                    found.loaded.organisation.name
                ),
                json!({
                    "valid": reasons.is_empty(),
                    "reasons": reasons,
                    "nominations_url": format!("{}/ballots/{ballot_id}/nominations", outbox.base_url()),
                    "withdrawals_close": crate::time::date_time(found.call.withdrawals_close),
                }),
            ));
        }
        if options.len() > super::ranking::MAX_CANDIDATES {
            return Err(AppError::Conflict(format!(
                "{} candidates are validly nominated; a ballot paper takes at most {}.",
                options.len(),
                super::ranking::MAX_CANDIDATES
            )));
        }
        crate::ballots::store::replace_options(c, ballot_id, &options)?;
        if store::publish_list(c, ballot_id, found.now)? == 0 {
            return Err(AppError::Conflict(
                "The list of candidates has been published already.".into(),
            ));
        }
        outbox.enqueue_all(c, mails)?;
        crate::ballots::service::audit_ballot(
            c,
            actor,
            &found.loaded,
            "nomination.list_publish",
            format!(
                "Published the list of candidates for \"{}\": {valid} validly nominated ({}), {rejected} rejected, {} withdrawn, for {} seats",
                found.loaded.ballot.title,
                if options.is_empty() {
                    "none".to_owned()
                } else {
                    options.iter().map(|o| o.label.clone()).collect::<Vec<_>>().join(", ")
                },
                found.entries.iter().filter(|e| e.row.withdrawn_at.is_some()).count(),
                found.terms.seats
            ),
        )?;
        Ok((valid, rejected))
    })
}

/// Whether the ballot of a draft election may be published: with a call
/// for nominations, only once the list is published and withdrawals have
/// closed, and only when the poll is contested.
pub fn check_ready_for_poll(conn: &mut DbConn, loaded: &Loaded, now: NaiveDateTime) -> AppResult<()> {
    let Some(call) = store::call(conn, loaded.ballot.id)? else {
        return Ok(());
    };
    if call.list_published_at.is_none() {
        return Err(AppError::Conflict(
            "Publish the list of candidates first: the ballot paper lists the validly nominated candidates.".into(),
        ));
    }
    if now <= call.withdrawals_close {
        return Err(AppError::Conflict(format!(
            "Candidates may withdraw until {}: publish the ballot after then.",
            crate::time::date_time(call.withdrawals_close)
        )));
    }
    Ok(())
}

/// The candidates' statements by option key, for the ballot paper.
pub fn statements(conn: &mut DbConn, ballot_id: i32) -> AppResult<HashMap<String, String>> {
    Ok(store::nominations_of(conn, ballot_id)?
        .into_iter()
        .filter_map(|n| Some((n.option_key?, n.statement)))
        .filter(|(_, statement)| !statement.is_empty())
        .collect())
}

/// Whether the election has a call for nominations.
pub fn has_call(conn: &mut DbConn, ballot_id: i32) -> AppResult<bool> {
    Ok(store::call(conn, ballot_id)?.is_some())
}
