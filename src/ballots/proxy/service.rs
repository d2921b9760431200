//! Proxy votes, each use-case one transaction: a practice's voting
//! representative appoints another member practice's voting representative,
//! or the organisation's chair, as its proxy (with or without a direction);
//! the proxy accepts; the practice may revoke until the proxy votes.
//! Casting by proxy is casting's (`casting::represented_practice`,
//! `casting::check_proxies`). Every step is audited; the proxy is told by
//! email through the outbox.
//!
//! The chair is whoever holds the organisation's `chair` role when they
//! act (a vice-chair who presides may be given it too), as a practice's
//! proxy is whichever of its voting representatives acts.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::json;

use super::model::{self, Appointment, Holder, ProxyRules, Standing, capitalised};
use super::store::{self, AppointmentRow, NewAppointment};
use crate::accounts::model::Grants;
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

/// Whether the holder of `row` is among `practices` or, for the chair's
/// instruments, whether these grants chair the ballot's organisation.
fn is_holder(grants: &Grants, loaded: &Loaded, practices: &[i32], row: &AppointmentRow) -> bool {
    match row.holder_practice_id {
        Some(holder) => practices.contains(&holder),
        None => grants.chairs_organisation(loaded.organisation.id),
    }
}

/// The instruments standing (not revoked) in the ballot that a signed-in
/// user holds: through a practice they vote for (`practices`), or as the
/// organisation's chair.
pub fn held_by(
    conn: &mut DbConn,
    grants: &Grants,
    loaded: &Loaded,
    practices: &[i32],
) -> AppResult<Vec<AppointmentRow>> {
    if loaded.rules.proxy_limit.is_none()
        || (practices.is_empty() && !grants.chairs_organisation(loaded.organisation.id))
    {
        return Ok(Vec::new());
    }
    Ok(store::of_ballot(conn, loaded.ballot.id)?
        .into_iter()
        .filter(|a| a.revoked_at.is_none() && is_holder(grants, loaded, practices, a))
        .collect())
}

/// The organisation's chair: every account holding its `chair` role
/// (id, name, email).
fn chairs(conn: &mut DbConn, loaded: &Loaded) -> AppResult<Vec<(i32, String, String)>> {
    Ok(crate::accounts::store::holders_of(
        conn,
        "chair",
        &[loaded.organisation.id],
    )?)
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
        holder: row
            .holder_practice_id
            .map_or(Holder::Chair, |id| Holder::Practice(code(id))),
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
    for id in std::iter::once(row.practice_id).chain(row.holder_practice_id) {
        if let Some(p) = Practice::find(conn, id)? {
            codes.insert(id, (p.ods_code, p.name));
        }
    }
    let voted = if voted { vec![row.practice_id] } else { Vec::new() };
    Ok(as_appointment(row, &codes, &voted))
}

/// The holder of an instrument in words: "the voting representative of
/// Name (CODE)", or "the chair".
pub fn holder_words(row: &AppointmentRow, codes: &HashMap<i32, (String, String)>) -> String {
    holder_id_words(row.holder_practice_id, codes)
}

/// A practice of the ballot as "Name (CODE)" (empty if not among `codes`).
fn named(codes: &HashMap<i32, (String, String)>, id: i32) -> String {
    codes.get(&id).map(|(c, n)| format!("{n} ({c})")).unwrap_or_default()
}

fn holder_id_words(holder_practice_id: Option<i32>, codes: &HashMap<i32, (String, String)>) -> String {
    match holder_practice_id {
        Some(id) => format!("the voting representative of {}", named(codes, id)),
        None => Holder::Chair.words(),
    }
}

/// What the proxy page shows a signed-in representative or the chair.
pub struct ProxyPage {
    pub loaded: Loaded,
    pub limit: u32,
    /// The practices they vote for, each with its instrument if any.
    pub own: Vec<OwnPractice>,
    /// The instruments their practices hold.
    pub held: Vec<HeldProxy>,
    /// The electorate, for the choice of proxy: (code, name).
    pub electorate: Vec<(String, String)>,
    /// The organisation's chair by name, when one is named: a proxy too.
    pub chair: Option<String>,
    /// The viewer is the chair.
    pub viewer_chairs: bool,
    pub open_for_proxies: bool,
}

pub struct OwnPractice {
    pub code: String,
    pub name: String,
    pub voted: bool,
    /// The standing instrument, with its holder in words.
    pub appointment: Option<(AppointmentRow, String)>,
    /// Earlier instruments, revoked.
    pub revoked: Vec<(AppointmentRow, String)>,
}

pub struct HeldProxy {
    pub row: AppointmentRow,
    /// "as the chair", or "by Name (CODE)", the practice holding it.
    pub held_as: String,
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
    let grants = user.grants();
    if own_ids.is_empty() && !grants.chairs_organisation(loaded.organisation.id) {
        return Err(AppError::Forbidden(
            "Only the voting representatives of the practices in the ballot's electorate, and the organisation's chair, appoint and hold proxies."
                .into(),
        ));
    }
    let codes = names(conn, &loaded)?;
    let voted = crate::ballots::store::voted_practice_ids(conn, loaded.ballot.id)?;
    let all = store::of_ballot(conn, loaded.ballot.id)?;
    let held_rows: Vec<AppointmentRow> = all
        .iter()
        .filter(|a| a.revoked_at.is_none() && is_holder(&grants, &loaded, &own_ids, a))
        .cloned()
        .collect();
    let loaded_organisation = loaded.organisation.id;
    let chair = chairs(conn, &loaded)?
        .into_iter()
        .map(|(_, name, _)| name)
        .collect::<Vec<_>>();
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
                .map(|a| (a.clone(), holder_words(a, &codes))),
            revoked: all
                .iter()
                .filter(|a| a.practice_id == id && a.revoked_at.is_some())
                .map(|a| (a.clone(), holder_words(a, &codes)))
                .collect(),
        })
        .collect();
    let held = held_rows
        .into_iter()
        .filter_map(|a| {
            Some(HeldProxy {
                held_as: match a.holder_practice_id {
                    Some(id) => format!("by {}", named(&codes, id)),
                    None => "as the chair".to_owned(),
                },
                practice: codes.get(&a.practice_id)?.clone(),
                voted: voted.contains(&a.practice_id),
                row: a,
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
        chair: (!chair.is_empty()).then(|| chair.join(" or ")),
        viewer_chairs: grants.chairs_organisation(loaded_organisation),
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

/// The value of the proxy form's holder field that names the chair.
pub const CHAIR: &str = "chair";

/// `POST …/proxy`: the practice's voting representative appoints another
/// member practice's voting representative, or the chair, as its proxy.
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
        let chair = chairs(c, &loaded)?;
        let holder_id = if holder.trim() == CHAIR {
            if chair.is_empty() {
                return Err(AppError::invalid(
                    "holder",
                    format!(
                        "{} has no chair named on Quorate: choose a member practice whose voting representative is to be the proxy",
                        loaded.organisation.name
                    ),
                ));
            }
            None
        } else {
            Some(by_code(holder).ok_or_else(|| {
                AppError::invalid(
                    "holder",
                    "Choose the member practice whose voting representative is to be the proxy, or the chair",
                )
            })?)
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
        let holder = match holder_id {
            Some(id) => Holder::Practice(codes[&id].0.clone()),
            None => Holder::Chair,
        };
        let mut problems = model::check_appointment(&standing, &practice_code, &holder);
        if holder == Holder::Chair && chair_represents(c, &chair, practice_id)? {
            problems.insert(0, model::Problem::ChairRepresents);
        }
        if let Some(problem) = problems.first() {
            let field = match problem {
                model::Problem::OwnProxy
                | model::Problem::ChairRepresents
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
        // The proxy is told: the holder practice's voting representatives,
        // or the chair.
        let recipients = match holder_id {
            Some(holder_id) => {
                let (holder_code, holder_name) = &codes[&holder_id];
                let today = crate::ballots::service::london_day(at);
                representatives::voting_representatives_on(c, &[holder_id], today)?
                    .into_iter()
                    .filter(|r| r.kind == "nominated" || loaded.rules.deputies_may_vote())
                    .map(|r| Recipient {
                        user_id: r.user_id,
                        name: r.name,
                        email: r.email,
                        practice_id: Some(holder_id),
                        appointed: "your practice's voting representative".into(),
                        reason: format!(
                            "You get this email because you are a voting representative of {holder_name} ({holder_code}), a member practice of {}.",
                            loaded.organisation.name
                        ),
                    })
                    .collect()
            }
            None => chair
                .into_iter()
                .map(|(user_id, name, email)| Recipient {
                    user_id,
                    name,
                    email,
                    practice_id: None,
                    appointed: "you, the chair,".into(),
                    reason: format!(
                        "You get this email because you are the chair of {}.",
                        loaded.organisation.name
                    ),
                })
                .collect::<Vec<_>>(),
        };
        let mails = recipients
            .into_iter()
            .map(|to| Mail {
                template: "proxy_appointed",
                to_email: to.email,
                to_name: to.name,
                sender: loaded.organisation.name.clone(),
                reason: to.reason,
                event: EventKind::Ballot,
                event_id: Some(ballot_id),
                organisation_id: Some(loaded.organisation.id),
                practice_id: to.practice_id,
                user_id: Some(to.user_id),
                context: json!({
                    "organisation": loaded.organisation.name,
                    "title": loaded.ballot.title,
                    "appointing": format!("{practice_name} ({practice_code})"),
                    "appointed": to.appointed,
                    "direction": direction_words,
                    "closes": crate::time::date_time(loaded.ballot.closes_at),
                    "proxy_url": format!("{}/ballots/{ballot_id}/proxy", outbox.base_url()),
                }),
                sealed: false,
            })
            .collect();
        outbox.enqueue_all(c, mails)?;
        let holder_words = holder_id_words(holder_id, &codes);
        crate::ballots::service::audit_ballot(
            c,
            user,
            &loaded,
            "proxy.appoint",
            format!(
                "{practice_name} ({practice_code}) appointed {holder_words} as its proxy, {direction_words} (instrument {id})"
            ),
        )?;
        Ok(id)
    })
}

/// Who is told of an appointment, and how the email names them.
struct Recipient {
    user_id: i32,
    name: String,
    email: String,
    practice_id: Option<i32>,
    appointed: String,
    reason: String,
}

/// Whether one of the chair's accounts is a voting representative of the
/// practice: the chair would then hold the practice's own proxy.
fn chair_represents(conn: &mut DbConn, chair: &[(i32, String, String)], practice_id: i32) -> AppResult<bool> {
    let today = crate::ballots::service::london_day(now());
    Ok(representatives::voting_representatives_on(conn, &[practice_id], today)?
        .iter()
        .any(|r| chair.iter().any(|(id, _, _)| *id == r.user_id)))
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
        let own = own_practices(c, user, &loaded)?;
        if !is_holder(&user.grants(), &loaded, &own, &row) {
            return Err(AppError::Forbidden(
                "Only the proxy appointed (the voting representative of the practice named, or the chair) can accept a proxy."
                    .into(),
            ));
        }
        if row.revoked_at.is_some() {
            return Err(AppError::Conflict(model::Problem::Revoked.words()));
        }
        if store::accept(c, id, user.id, now())? == 0 {
            return Ok(());
        }
        let codes = names(c, &loaded)?;
        let name = |id: i32| named(&codes, id);
        crate::ballots::service::audit_ballot(
            c,
            user,
            &loaded,
            "proxy.accept",
            format!(
                "{} accepted the proxy of {} (instrument {id})",
                capitalised(&holder_words(&row, &codes)),
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
        let name = |id: i32| named(&codes, id);
        crate::ballots::service::audit_ballot(
            c,
            user,
            &loaded,
            "proxy.revoke",
            format!(
                "{} revoked its appointment of {} as its proxy (instrument {id})",
                name(row.practice_id),
                holder_words(&row, &codes)
            ),
        )
    })
}

/// A proxy the user holds in a ballot still taking votes, for their home
/// page: accept it, or vote with it.
pub struct HeldOnHome {
    pub ballot_id: i32,
    pub title: String,
    pub closes_at: NaiveDateTime,
    /// The appointing practice: "Name (CODE)".
    pub practice: String,
    /// "as the chair", or "for Name (CODE)", the practice holding it.
    pub held_as: String,
    pub accepted: bool,
    pub voted: bool,
}

/// The proxies a signed-in user holds, through a practice they are a
/// voting representative of today or as an organisation's chair, in
/// ballots published or open.
pub fn held_for_home(pool: &Pool, user: &SessionUser) -> AppResult<Vec<HeldOnHome>> {
    let mut conn = pool.get()?;
    let grants = user.grants();
    let chaired: Vec<i32> = grants
        .0
        .iter()
        .filter(|g| g.role == crate::accounts::model::Role::Chair)
        .filter_map(|g| g.organisation_id)
        .collect();
    let represented: Vec<i32> = grants
        .0
        .iter()
        .filter(|g| g.role == crate::accounts::model::Role::PracticeRep)
        .filter_map(|g| g.practice_id)
        .collect();
    let at = now();
    let today = crate::ballots::service::london_day(at);
    let reps: Vec<(i32, String)> = representatives::voting_representatives_on(&mut conn, &represented, today)?
        .into_iter()
        .filter(|r| r.user_id == user.id)
        .map(|r| (r.practice_id, r.kind))
        .collect();
    let mut voting_for: Vec<i32> = reps.iter().map(|(id, _)| *id).collect();
    voting_for.sort_unstable();
    voting_for.dedup();
    if voting_for.is_empty() && chaired.is_empty() {
        return Ok(Vec::new());
    }
    let mut ballots: HashMap<i32, Loaded> = HashMap::new();
    let mut held = Vec::new();
    for row in store::standing_held(&mut conn, &voting_for, &chaired)? {
        let loaded = match ballots.entry(row.ballot_id) {
            std::collections::hash_map::Entry::Occupied(kept) => kept.into_mut(),
            std::collections::hash_map::Entry::Vacant(new) => {
                new.insert(crate::ballots::service::load(&mut conn, row.ballot_id)?)
            }
        };
        // Only a voting representative holds the practice's proxies: a
        // deputy only where the ballot lets deputies vote.
        let holds = row.holder_practice_id.is_none_or(|holder| {
            reps.iter()
                .any(|(id, kind)| *id == holder && (kind == "nominated" || loaded.rules.deputies_may_vote()))
        });
        if !holds || loaded.ballot.closes_at <= at {
            continue;
        }
        let ballot = &loaded.ballot;
        let name = |conn: &mut DbConn, id: i32| -> AppResult<String> {
            Ok(Practice::find(conn, id)?.map_or_else(String::new, |p| format!("{} ({})", p.name, p.ods_code)))
        };
        held.push(HeldOnHome {
            ballot_id: ballot.id,
            closes_at: ballot.closes_at,
            practice: name(&mut conn, row.practice_id)?,
            held_as: match row.holder_practice_id {
                Some(id) => format!("for {}", name(&mut conn, id)?),
                None => "as the chair".to_owned(),
            },
            accepted: row.accepted_at.is_some(),
            voted: crate::ballots::store::has_voted(&mut conn, ballot.id, row.practice_id)?,
            title: ballot.title.clone(),
        });
    }
    Ok(held)
}

/// Every instrument of the ballot in words, for the electorate page: who
/// appointed whom, the direction, and when it was accepted, revoked or used.
pub fn instruments_in_words(pool: &Pool, loaded: &Loaded) -> AppResult<Vec<String>> {
    let mut conn = pool.get()?;
    let codes = names(&mut conn, loaded)?;
    let voted = crate::ballots::store::voted_practice_ids(&mut conn, loaded.ballot.id)?;
    let name = |id: i32| named(&codes, id);
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
            "Instrument {}: {} appointed {}, {}, {}; {state}",
            a.id,
            name(a.practice_id),
            holder_words(&a, &codes),
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
