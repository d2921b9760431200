//! What a representative's home shows, gathered from the features that own
//! it (ballots, consultations) through their services.

use chrono::{NaiveDateTime, Utc};

use crate::accounts::model::Role;
use crate::accounts::service::SessionUser;
use crate::ballots::model::BallotState;
use crate::ballots::proxy::service::HeldOnHome;
use crate::ballots::service::{PracticeBallot, for_practice as ballots_for_practice, london_day};
use crate::consult::model::ConsultationState;
use crate::consult::service::{PracticeConsultation, for_practice as consultations_for_practice};
use crate::db::Pool;
use crate::error::AppResult;
use crate::registry::store::{Organisation, representatives};

/// A practice the user represents, with what it is asked to do.
pub struct RepresentedPractice {
    pub code: String,
    pub name: String,
    pub organisation: Option<Organisation>,
    /// The user's current roles for it ("nominated", "deputy", "practice_manager", …).
    pub roles: Vec<String>,
    pub ballots: Vec<PracticeBallot>,
    pub consultations: Vec<PracticeConsultation>,
}

/// Something due, for the list of deadlines.
pub struct Deadline {
    pub at: NaiveDateTime,
    pub what: String,
    pub href: String,
}

pub fn represented_practices(pool: &Pool, user: &SessionUser) -> AppResult<Vec<RepresentedPractice>> {
    let mut practices: Vec<(i32, String, String)> = user
        .roles
        .iter()
        .filter(|r| r.grant.role == Role::PracticeRep)
        .filter_map(|r| Some((r.grant.practice_id?, r.practice_code.clone()?, r.practice_name.clone()?)))
        .collect();
    practices.sort();
    practices.dedup();
    let today = london_day(Utc::now().naive_utc());
    let mut found = Vec::new();
    for (practice_id, code, name) in practices {
        let mut conn = pool.get()?;
        let organisation = Organisation::of_practice_on(&mut conn, practice_id, today)?;
        let roles: Vec<String> = representatives::of_practice(&mut conn, practice_id)?
            .into_iter()
            .filter(|r| r.user_id == user.id && r.ended_on.is_none_or(|end| end > today))
            .map(|r| r.kind)
            .collect();
        drop(conn);
        let voting_kind = if roles.iter().any(|r| r == "nominated") {
            Some("nominated")
        } else if roles.iter().any(|r| r == "deputy") {
            Some("deputy")
        } else {
            None
        };
        let (ballots, consultations) = match &organisation {
            Some(org) => (
                ballots_for_practice(pool, org.id, practice_id, voting_kind)?,
                consultations_for_practice(pool, org.id, practice_id)?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        found.push(RepresentedPractice {
            code,
            name,
            organisation,
            roles,
            ballots,
            consultations,
        });
    }
    Ok(found)
}

/// What is due next for these practices, soonest first.
pub fn deadlines(practices: &[RepresentedPractice], now: NaiveDateTime) -> Vec<Deadline> {
    let mut due = Vec::new();
    for practice in practices {
        for b in &practice.ballots {
            let s = &b.summary;
            if !b.in_electorate {
                continue;
            }
            match s.state {
                BallotState::Published if s.opens_at > now => due.push(Deadline {
                    at: s.opens_at,
                    what: format!("Voting opens: {}", s.title),
                    href: format!("/ballots/{}", s.id),
                }),
                // A suspended ballot's close is set again when voting resumes.
                BallotState::Open if s.suspended => {}
                BallotState::Published | BallotState::Open if b.voted.is_none() && s.closes_at > now => {
                    due.push(Deadline {
                        at: s.closes_at,
                        what: format!("Voting closes: {} ({} has not voted)", s.title, practice.name),
                        href: format!("/ballots/{}", s.id),
                    })
                }
                _ => {}
            }
        }
        for c in &practice.consultations {
            if c.state == ConsultationState::Open && c.consultation.closes_at > now {
                due.push(Deadline {
                    at: c.consultation.closes_at,
                    what: format!(
                        "Consultation closes: {}{}",
                        c.consultation.title,
                        if c.responded.is_none() {
                            format!(" ({} has not responded)", practice.name)
                        } else {
                            String::new()
                        }
                    ),
                    href: format!("/consultations/{}", c.consultation.id),
                });
            }
        }
    }
    due.sort_by_key(|d| d.at);
    due
}

/// What is due for the proxies held: accepting, then voting, before the close.
pub fn proxy_deadlines(held: &[HeldOnHome], now: NaiveDateTime) -> Vec<Deadline> {
    held.iter()
        .filter(|p| !p.voted && p.closes_at > now)
        .map(|p| Deadline {
            at: p.closes_at,
            what: format!(
                "{}: {} ({}, whose proxy you hold)",
                if p.accepted {
                    "Proxy vote closes"
                } else {
                    "Accept the proxy before voting closes"
                },
                p.title,
                p.practice
            ),
            href: format!("/ballots/{}/proxy", p.ballot_id),
        })
        .collect()
}
