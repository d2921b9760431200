//! Proxy votes, each use-case one transaction: a practice's voting
//! representative appoints another member practice's voting representative
//! as its proxy (with or without a direction); the proxy accepts; the
//! practice may revoke until the proxy votes. Casting by proxy is casting's
//! (`casting::represented_practice`, `casting::check_proxies`). Every step
//! is audited; the proxy is told by email through the outbox.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::json;

use super::model::{self, Appointment, Holder, ProxyRules, Standing};
use super::store::{self, AppointmentRow, NewAppointment};
use crate::accounts::service::SessionUser;
use crate::ballots::casting::own_practices;
use crate::ballots::model::BallotState;
use crate::ballots::service::Loaded;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::service::{Mail, Outbox};
use crate::registry::store::{Practice, representatives};

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Whether `practice` may vote itself: not while its appointment stands
/// (`model::check_own_vote`); the refusal names the proxy.
pub fn check_own_vote(conn: &mut DbConn, ballot_id: i32, practice: &Practice) -> AppResult<()> {
    let mut appointments = Vec::new();
    for row in store::standing_for(conn, &[ballot_id], &[practice.id])? {
        appointments.push(appointment_alone(conn, &row, false)?);
    }
    model::check_own_vote(&appointments, &practice.ods_code).map_err(|problem| AppError::Forbidden(problem.words()))
}

/// Whether the proxy may cast `vote` under the instrument
/// (`model::check_proxy_vote`): a direction names the option by its label.
pub fn check_proxy_vote(conn: &mut DbConn, loaded: &Loaded, row: &AppointmentRow, vote: &str) -> AppResult<()> {
    let appointment = appointment_alone(conn, row, false)?;
    model::check_proxy_vote(&appointment, false, vote).map_err(|problem| match problem {
        model::Problem::DirectionNotFollowed { direction } => AppError::invalid(
            "option",
            format!(
                "The practice directed its proxy to vote \"{}\": the vote must be that",
                loaded.option_label(&direction)
            ),
        ),
        other => AppError::Conflict(other.words()),
    })
}

/// How the ballot's proxies stand, for the electorate page, the
/// certificate and the LMC's checklist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyCounts {
    pub appointed: usize,
    pub revoked: usize,
    /// Votes recorded by proxy: the practice voted while its accepted
    /// appointment stood (it could not vote itself then).
    pub votes: usize,
}

pub fn counts(conn: &mut DbConn, ballot_id: i32) -> AppResult<ProxyCounts> {
    let appointments = store::of_ballot(conn, ballot_id)?;
    if appointments.is_empty() {
        return Ok(ProxyCounts::default());
    }
    let voted = crate::ballots::store::voted_practice_ids(conn, ballot_id)?;
    Ok(ProxyCounts {
        appointed: appointments.len(),
        revoked: appointments.iter().filter(|a| a.revoked_at.is_some()).count(),
        votes: appointments
            .iter()
            .filter(|a| a.revoked_at.is_none() && a.accepted_at.is_some() && voted.contains(&a.practice_id))
            .count(),
    })
}

/// The practices a ballot's proxies name: practice id → (code, name).
fn names(conn: &mut DbConn, loaded: &Loaded) -> AppResult<HashMap<i32, (String, String)>> {
    Ok(
        crate::ballots::store::electorate_with_practices(conn, loaded.ballot.id)?
            .into_iter()
            .map(|(e, code, name)| (e.practice_id, (code, name)))
            .collect(),
    )
}

fn as_appointment(row: &AppointmentRow, codes: &HashMap<i32, (String, String)>, voted: &[i32]) -> Appointment {
    let code = |id: i32| codes.get(&id).map(|(c, _)| c.clone()).unwrap_or_default();
    Appointment {
        practice: code(row.practice_id),
        holder: Holder::Practice(code(row.holder_practice_id)),
        direction: row.direction.clone(),
        made_at: row.made_at,
        accepted_at: row.accepted_at,
        revoked_at: row.revoked_at,
        used: row.revoked_at.is_none() && row.accepted_at.is_some() && voted.contains(&row.practice_id),
    }
}

/// One instrument as the rules take it, its two practices looked up.
fn appointment_alone(conn: &mut DbConn, row: &AppointmentRow, voted: bool) -> AppResult<Appointment> {
    let mut codes = HashMap::new();
    for id in [row.practice_id, row.holder_practice_id] {
        if let Some(p) = Practice::find(conn, id)? {
            codes.insert(id, (p.ods_code, p.name));
        }
    }
    let voted = if voted { vec![row.practice_id] } else { Vec::new() };
    Ok(as_appointment(row, &codes, &voted))
}

/// What the proxy page shows a signed-in representative.
pub struct ProxyPage {
    pub loaded: Loaded,
    pub limit: u32,
    /// The practices they vote for, each with its instrument if any.
    pub own: Vec<OwnPractice>,
    /// The instruments their practices hold.
    pub held: Vec<HeldProxy>,
    /// The electorate, for the choice of proxy: (code, name).
    pub electorate: Vec<(String, String)>,
    pub open_for_proxies: bool,
}

pub struct OwnPractice {
    pub code: String,
    pub name: String,
    pub voted: bool,
    pub appointment: Option<(AppointmentRow, String)>,
    /// Earlier instruments, revoked.
    pub revoked: Vec<(AppointmentRow, String)>,
}

pub struct HeldProxy {
    pub row: AppointmentRow,
    /// The appointing practice: code and name.
    pub practice: (String, String),
    pub voted: bool,
}

fn proxies_allowed(loaded: &Loaded) -> AppResult<u32> {
    loaded.rules.proxy_limit.ok_or(AppError::NotFound)
}

fn voting_period(loaded: &Loaded) -> bool {
    matches!(loaded.state, BallotState::Published | BallotState::Open)
        && loaded.suspension().is_none()
        && now() < loaded.ballot.closes_at
}

pub fn page(pool: &Pool, user: &SessionUser, ballot_id: i32) -> AppResult<ProxyPage> {
    let mut conn = pool.get()?;
    let (loaded, _) = crate::ballots::service::visible(&mut conn, &user.grants(), ballot_id)?;
    let limit = proxies_allowed(&loaded)?;
    page_in(&mut conn, user, loaded, limit)
}

fn page_in(conn: &mut DbConn, user: &SessionUser, loaded: Loaded, limit: u32) -> AppResult<ProxyPage> {
    let own_ids = own_practices(conn, user, &loaded)?;
    if own_ids.is_empty() {
        return Err(AppError::Forbidden(
            "Only the voting representatives of the practices in the ballot's electorate appoint and hold proxies."
                .into(),
        ));
    }
    let codes = names(conn, &loaded)?;
    let voted = crate::ballots::store::voted_practice_ids(conn, loaded.ballot.id)?;
    let all = store::of_ballot(conn, loaded.ballot.id)?;
    let name_of = |id: i32| {
        codes
            .get(&id)
            .map(|(code, name)| format!("{name} ({code})"))
            .unwrap_or_default()
    };
    let own = own_ids
        .iter()
        .filter_map(|id| codes.get(id).map(|c| (*id, c.clone())))
        .map(|(id, (code, name))| OwnPractice {
            code,
            name,
            voted: voted.contains(&id),
            appointment: all
                .iter()
                .find(|a| a.practice_id == id && a.revoked_at.is_none())
                .map(|a| (a.clone(), name_of(a.holder_practice_id))),
            revoked: all
                .iter()
                .filter(|a| a.practice_id == id && a.revoked_at.is_some())
                .map(|a| (a.clone(), name_of(a.holder_practice_id)))
                .collect(),
        })
        .collect();
    let held = all
        .iter()
        .filter(|a| a.revoked_at.is_none() && own_ids.contains(&a.holder_practice_id))
        .filter_map(|a| {
            Some(HeldProxy {
                row: a.clone(),
                practice: codes.get(&a.practice_id)?.clone(),
                voted: voted.contains(&a.practice_id),
            })
        })
        .collect();
    let mut electorate: Vec<(String, String)> = codes.values().cloned().collect();
    electorate.sort();
    Ok(ProxyPage {
        open_for_proxies: voting_period(&loaded),
        loaded,
        limit,
        own,
        held,
        electorate,
    })
}

/// Loads the ballot for a change to its proxies, holding its row so that a
/// vote being written and this change take turns.
fn for_change(conn: &mut DbConn, user: &SessionUser, ballot_id: i32) -> AppResult<(Loaded, u32)> {
    crate::db::lock_row(conn, crate::db::Locked::Ballot(ballot_id))?;
    let (loaded, _) = crate::ballots::service::visible(conn, &user.grants(), ballot_id)?;
    let limit = proxies_allowed(&loaded)?;
    if !voting_period(&loaded) {
        return Err(AppError::Conflict(
            "Proxies are appointed, accepted and revoked between the notice and the close of voting.".into(),
        ));
    }
    Ok((loaded, limit))
}

/// `POST …/proxy`: the practice's voting representative appoints another
/// member practice's voting representative as its proxy.
pub fn appoint(
    pool: &Pool,
    outbox: &Outbox,
    user: &SessionUser,
    ballot_id: i32,
    practice: &str,
    holder: &str,
    direction: &str,
) -> AppResult<i32> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let (loaded, limit) = for_change(c, user, ballot_id)?;
        let own = own_practices(c, user, &loaded)?;
        let codes = names(c, &loaded)?;
        let by_code = |code: &str| {
            let code = code.trim().to_ascii_uppercase();
            codes.iter().find(|(_, (c, _))| *c == code).map(|(id, _)| *id)
        };
        let Some(practice_id) = by_code(practice).filter(|id| own.contains(id)) else {
            return Err(if own.is_empty() {
                AppError::Forbidden("Only a practice's voting representative can appoint its proxy.".into())
            } else {
                AppError::invalid("practice", "Choose the practice you appoint a proxy for")
            });
        };
        let Some(holder_id) = by_code(holder) else {
            return Err(AppError::invalid(
                "holder",
                "Choose the member practice whose voting representative is to be the proxy",
            ));
        };
        let direction = direction.trim();
        let secret = loaded.rules.secrecy() == crate::ballots::model::Secrecy::Secret;
        let direction = if direction.is_empty() || loaded.kind.is_election() {
            None
        } else if secret {
            return Err(AppError::invalid(
                "direction",
                "In a secret ballot the proxy decides how to vote: a direction would put the practice's vote on record",
            ));
        } else if loaded.options.iter().any(|o| o.option_key == direction) {
            Some(direction.to_owned())
        } else {
            return Err(AppError::invalid(
                "direction",
                "Choose how the proxy must vote, or leave it to the proxy",
            ));
        };
        let voted: Vec<i32> = crate::ballots::store::voted_practice_ids(c, ballot_id)?;
        let rows = store::of_ballot(c, ballot_id)?;
        let appointments: Vec<Appointment> = rows.iter().map(|r| as_appointment(r, &codes, &voted)).collect();
        let electorate: Vec<String> = codes.values().map(|(code, _)| code.clone()).collect();
        let voted_codes: Vec<String> = voted
            .iter()
            .filter_map(|id| codes.get(id).map(|(c, _)| c.clone()))
            .collect();
        let standing = Standing {
            rules: ProxyRules {
                allowed: true,
                per_holder: limit,
            },
            electorate: &electorate,
            voted: &voted_codes,
            appointments: &appointments,
        };
        let (practice_code, practice_name) = codes[&practice_id].clone();
        let (holder_code, holder_name) = codes[&holder_id].clone();
        let problems = model::check_appointment(&standing, &practice_code, &Holder::Practice(holder_code.clone()));
        if let Some(problem) = problems.first() {
            let field = match problem {
                model::Problem::OwnProxy
                | model::Problem::HolderFull { .. }
                | model::Problem::HolderNotInElectorate(_) => "holder",
                _ => "practice",
            };
            return Err(AppError::Invalid(
                problems
                    .iter()
                    .map(|p| crate::error::FieldError::new(field, p.words()))
                    .collect(),
            ));
        }
        let at = now();
        let id = store::insert(
            c,
            &NewAppointment {
                ballot_id,
                practice_id,
                holder_practice_id: holder_id,
                direction: direction.clone(),
                made_by: Some(user.id),
                made_at: at,
            },
        )?;
        let direction_words = direction
            .as_deref()
            .map(|d| format!("directed to vote \"{}\"", loaded.option_label(d)))
            .unwrap_or_else(|| "free to decide how to vote".into());
        // The proxy's practice's voting representatives are told.
        let today = crate::ballots::service::london_day(at);
        let reps = representatives::voting_representatives_on(c, &[holder_id], today)?;
        let mut mails = Vec::new();
        for rep in reps
            .iter()
            .filter(|r| r.kind == "nominated" || loaded.rules.deputies_may_vote())
        {
            mails.push(Mail {
                template: "proxy_appointed",
                to_email: rep.email.clone(),
                to_name: rep.name.clone(),
                sender: loaded.organisation.name.clone(),
                reason: format!(
                    "You get this email because you are a voting representative of {holder_name} ({holder_code}), a member practice of {}.",
                    loaded.organisation.name
                ),
                event: EventKind::Ballot,
                event_id: Some(ballot_id),
                organisation_id: Some(loaded.organisation.id),
                practice_id: Some(holder_id),
                user_id: Some(rep.user_id),
                context: json!({
                    "organisation": loaded.organisation.name,
                    "title": loaded.ballot.title,
                    "appointing": format!("{practice_name} ({practice_code})"),
                    "direction": direction_words,
                    "closes": crate::time::date_time(loaded.ballot.closes_at),
                    "proxy_url": format!("{}/ballots/{ballot_id}/proxy", outbox.base_url()),
                }),
                sealed: false,
            });
        }
        outbox.enqueue_all(c, mails)?;
        crate::ballots::service::audit_ballot(
            c,
            user,
            &loaded,
            "proxy.appoint",
            format!(
                "{practice_name} ({practice_code}) appointed the voting representative of {holder_name} ({holder_code}) as its proxy, {direction_words} (instrument {id})"
            ),
        )?;
        Ok(id)
    })
}

/// The instrument, checked to be this ballot's.
fn instrument(conn: &mut DbConn, ballot_id: i32, id: i32) -> AppResult<AppointmentRow> {
    store::of_ballot(conn, ballot_id)?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(AppError::NotFound)
}

/// `POST …/proxy/ID/accept`: the proxy's practice's voting representative accepts.
pub fn accept(pool: &Pool, user: &SessionUser, ballot_id: i32, id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let (loaded, _) = for_change(c, user, ballot_id)?;
        let row = instrument(c, ballot_id, id)?;
        if !own_practices(c, user, &loaded)?.contains(&row.holder_practice_id) {
            return Err(AppError::Forbidden(
                "Only the voting representative of the practice appointed can accept a proxy.".into(),
            ));
        }
        if row.revoked_at.is_some() {
            return Err(AppError::Conflict(model::Problem::Revoked.words()));
        }
        if store::accept(c, id, user.id, now())? == 0 {
            return Ok(());
        }
        let codes = names(c, &loaded)?;
        let name = |id: i32| codes.get(&id).map(|(c, n)| format!("{n} ({c})")).unwrap_or_default();
        crate::ballots::service::audit_ballot(
            c,
            user,
            &loaded,
            "proxy.accept",
            format!(
                "The voting representative of {} accepted the proxy of {} (instrument {id})",
                name(row.holder_practice_id),
                name(row.practice_id)
            ),
        )
    })
}

/// `POST …/proxy/ID/revoke`: the appointing practice revokes, until its
/// proxy has voted.
pub fn revoke(pool: &Pool, user: &SessionUser, ballot_id: i32, id: i32) -> AppResult<()> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let (loaded, _) = for_change(c, user, ballot_id)?;
        let row = instrument(c, ballot_id, id)?;
        if !own_practices(c, user, &loaded)?.contains(&row.practice_id) {
            return Err(AppError::Forbidden(
                "Only the appointing practice's voting representative can revoke its proxy.".into(),
            ));
        }
        let codes = names(c, &loaded)?;
        let voted = crate::ballots::store::voted_practice_ids(c, ballot_id)?;
        model::check_revocation(&as_appointment(&row, &codes, &voted))
            .map_err(|problem| AppError::Conflict(problem.words()))?;
        store::revoke(c, id, now())?;
        let name = |id: i32| codes.get(&id).map(|(c, n)| format!("{n} ({c})")).unwrap_or_default();
        crate::ballots::service::audit_ballot(
            c,
            user,
            &loaded,
            "proxy.revoke",
            format!(
                "{} revoked its appointment of the voting representative of {} as its proxy (instrument {id})",
                name(row.practice_id),
                name(row.holder_practice_id)
            ),
        )
    })
}

/// Every instrument of the ballot in words, for the electorate page: who
/// appointed whom, the direction, and when it was accepted, revoked or used.
pub fn instruments_in_words(pool: &Pool, loaded: &Loaded) -> AppResult<Vec<String>> {
    let mut conn = pool.get()?;
    let codes = names(&mut conn, loaded)?;
    let voted = crate::ballots::store::voted_practice_ids(&mut conn, loaded.ballot.id)?;
    let name = |id: i32| codes.get(&id).map(|(c, n)| format!("{n} ({c})")).unwrap_or_default();
    let when = crate::time::date_time;
    let rows = store::of_ballot(&mut conn, loaded.ballot.id)?;
    let mut lines = Vec::new();
    for a in rows {
        let state = match (a.accepted_at, a.revoked_at) {
            (_, Some(at)) => format!("revoked {}", when(at)),
            (Some(at), None) if voted.contains(&a.practice_id) => format!("accepted {}; the proxy voted", when(at)),
            (Some(at), None) => format!("accepted {}; not used yet", when(at)),
            (None, None) => "not accepted yet".to_owned(),
        };
        lines.push(format!(
            "Instrument {}: {} appointed the voting representative of {}, {}, {}; {state}",
            a.id,
            name(a.practice_id),
            name(a.holder_practice_id),
            a.direction
                .as_deref()
                .map(|d| format!("directed to vote \"{}\"", loaded.option_label(d)))
                .unwrap_or_else(|| "free to decide".into()),
            when(a.made_at)
        ));
    }
    if lines.is_empty() {
        lines.push("No practice has appointed a proxy.".into());
    }
    Ok(lines)
}
