//! Proxy votes without I/O: who may appoint whom, when a proxy may cast,
//! and what a direction binds. Each refusal says what is wrong in words a
//! practice manager can act on.
//!
//! A member practice appoints a proxy by a proxy form: another member
//! practice's representative, or the chair. The proxy must accept. The
//! appointing practice may revoke the appointment until it is used. A
//! practice cannot both vote and be voted for by proxy, and a proxy casts
//! separately for each practice it holds, within the ballot's limit.

use chrono::NaiveDateTime;

/// Who holds the proxy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    /// The voting representative of another member practice (its ODS code).
    Practice(String),
    /// The chair of the meeting or of the organisation.
    Chair,
}

impl Holder {
    pub fn words(&self) -> String {
        match self {
            Holder::Practice(code) => format!("the representative of {code}"),
            Holder::Chair => "the chair".to_owned(),
        }
    }
}

/// A ballot's rules on proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRules {
    pub allowed: bool,
    /// The most practices one holder may vote for by proxy.
    pub per_holder: u32,
}

impl ProxyRules {
    /// What is wrong with the rules, if anything.
    pub fn problem(&self) -> Option<&'static str> {
        (self.allowed && !(1..=50).contains(&self.per_holder))
            .then_some("The most proxies one person may hold must be from 1 to 50")
    }
}

/// A proxy instrument as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// The appointing practice (ODS code).
    pub practice: String,
    pub holder: Holder,
    /// The vote the proxy must cast (an option key, or an election's
    /// ranking), or `None` for a proxy who decides.
    pub direction: Option<String>,
    pub made_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The proxy has voted for the practice. (When is the vote's own
    /// record: a practice votes once, and not itself while this stands.)
    pub used: bool,
}

impl Appointment {
    /// Made and not revoked: it blocks another appointment and counts
    /// towards the holder's limit, accepted or not (a place is kept while
    /// the proxy decides; revoking frees it).
    pub fn standing(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Why a proxy cannot be appointed, accepted, revoked or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotAllowed,
    NotInElectorate(String),
    HolderNotInElectorate(String),
    OwnProxy,
    /// The chair is one of the appointing practice's voting representatives.
    ChairRepresents,
    AlreadyVoted,
    AlreadyAppointed(Holder),
    HolderFull {
        holder: Holder,
        limit: u32,
    },
    NotAccepted,
    Revoked,
    Used,
    DirectionNotFollowed {
        direction: String,
    },
    /// The practice votes itself while its appointment stands.
    ProxyStanding(Holder),
}

impl Problem {
    pub fn words(&self) -> String {
        match self {
            Problem::NotAllowed => "This ballot's rules do not allow proxy votes".to_owned(),
            Problem::NotInElectorate(code) => format!("{code} is not in this ballot's electorate"),
            Problem::HolderNotInElectorate(code) => {
                format!("{code} is not in this ballot's electorate, so its representative cannot hold a proxy")
            }
            Problem::OwnProxy => "A practice cannot appoint its own representative as its proxy".to_owned(),
            Problem::ChairRepresents => {
                "The chair is one of the practice's voting representatives, so cannot be its proxy".to_owned()
            }
            Problem::AlreadyVoted => "The practice has already voted, so it cannot be voted for by proxy".to_owned(),
            Problem::AlreadyAppointed(holder) => format!(
                "The practice has already appointed {} as its proxy: revoke that first",
                holder.words()
            ),
            Problem::HolderFull { holder, limit } => format!(
                "{} already holds {limit} {}, the most this ballot allows",
                capitalised(&holder.words()),
                if *limit == 1 { "proxy" } else { "proxies" }
            ),
            Problem::NotAccepted => "The proxy has not accepted the appointment".to_owned(),
            Problem::Revoked => "The practice revoked this appointment".to_owned(),
            Problem::Used => "The proxy has already voted for this practice".to_owned(),
            Problem::DirectionNotFollowed { direction } => {
                format!("The practice directed its proxy to vote \"{direction}\"; the vote must be that")
            }
            Problem::ProxyStanding(holder) => format!(
                "The practice has appointed {} as its proxy: revoke the appointment before voting yourself",
                holder.words()
            ),
        }
    }
}

pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a new appointment is checked against.
pub struct Standing<'a> {
    pub rules: ProxyRules,
    /// The electorate's ODS codes.
    pub electorate: &'a [String],
    /// Practices that have voted (themselves or by proxy).
    pub voted: &'a [String],
    /// Every appointment made in the ballot so far.
    pub appointments: &'a [Appointment],
}

/// Every reason `practice` may not appoint `holder` now; empty when it may.
pub fn check_appointment(standing: &Standing<'_>, practice: &str, holder: &Holder) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !standing.rules.allowed {
        return vec![Problem::NotAllowed];
    }
    let in_electorate = |code: &str| standing.electorate.iter().any(|c| c == code);
    if !in_electorate(practice) {
        problems.push(Problem::NotInElectorate(practice.to_owned()));
    }
    if let Holder::Practice(code) = holder {
        if code == practice {
            problems.push(Problem::OwnProxy);
        } else if !in_electorate(code) {
            problems.push(Problem::HolderNotInElectorate(code.clone()));
        }
    }
    if standing.voted.iter().any(|c| c == practice) {
        problems.push(Problem::AlreadyVoted);
    }
    if let Some(existing) = standing
        .appointments
        .iter()
        .find(|a| a.practice == practice && a.standing())
    {
        problems.push(Problem::AlreadyAppointed(existing.holder.clone()));
    }
    let held = standing
        .appointments
        .iter()
        .filter(|a| a.holder == *holder && a.standing())
        .count();
    if held >= standing.rules.per_holder as usize {
        problems.push(Problem::HolderFull {
            holder: holder.clone(),
            limit: standing.rules.per_holder,
        });
    }
    problems
}

/// Whether `practice` may vote itself: not while an appointment it made
/// stands (a practice is never both voted for by proxy and voting).
pub fn check_own_vote(appointments: &[Appointment], practice: &str) -> Result<(), Problem> {
    match appointments.iter().find(|a| a.practice == practice && a.standing()) {
        Some(appointment) => Err(Problem::ProxyStanding(appointment.holder.clone())),
        None => Ok(()),
    }
}

/// Whether the appointing practice may still revoke: until the proxy votes.
pub fn check_revocation(appointment: &Appointment) -> Result<(), Problem> {
    if appointment.revoked_at.is_some() {
        return Err(Problem::Revoked);
    }
    if appointment.used {
        return Err(Problem::Used);
    }
    Ok(())
}

/// Whether the proxy may cast `vote` (an option key or a stored ranking)
/// for the appointing practice, which has `voted` or not.
pub fn check_proxy_vote(appointment: &Appointment, voted: bool, vote: &str) -> Result<(), Problem> {
    if appointment.revoked_at.is_some() {
        return Err(Problem::Revoked);
    }
    if appointment.used {
        return Err(Problem::Used);
    }
    if appointment.accepted_at.is_none() {
        return Err(Problem::NotAccepted);
    }
    if voted {
        return Err(Problem::AlreadyVoted);
    }
    match &appointment.direction {
        Some(direction) if direction != vote => Err(Problem::DirectionNotFollowed {
            direction: direction.clone(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 1, 10)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("a time")
    }

    fn electorate() -> Vec<String> {
        ["F84001", "F84002", "F84003", "F84004"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn rules(per_holder: u32) -> ProxyRules {
        ProxyRules {
            allowed: true,
            per_holder,
        }
    }

    fn appointment(practice: &str, holder: Holder) -> Appointment {
        Appointment {
            practice: practice.into(),
            holder,
            direction: None,
            made_at: at(9),
            accepted_at: Some(at(10)),
            revoked_at: None,
            used: false,
        }
    }

    fn holder(code: &str) -> Holder {
        Holder::Practice(code.into())
    }

    #[test]
    fn a_member_appoints_another_members_representative_or_the_chair() {
        let electorate = electorate();
        let standing = Standing {
            rules: rules(2),
            electorate: &electorate,
            voted: &[],
            appointments: &[],
        };
        assert_eq!(check_appointment(&standing, "F84001", &holder("F84002")), vec![]);
        assert_eq!(check_appointment(&standing, "F84001", &Holder::Chair), vec![]);
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let electorate = electorate();
        let voted = vec!["F84003".to_string()];
        let existing = vec![appointment("F84001", Holder::Chair)];
        let standing = Standing {
            rules: rules(2),
            electorate: &electorate,
            voted: &voted,
            appointments: &existing,
        };
        assert_eq!(
            check_appointment(&standing, "F84001", &holder("F84001")),
            vec![Problem::OwnProxy, Problem::AlreadyAppointed(Holder::Chair)]
        );
        assert_eq!(
            check_appointment(&standing, "F84003", &holder("Y99999")),
            vec![Problem::HolderNotInElectorate("Y99999".into()), Problem::AlreadyVoted]
        );
        assert_eq!(
            check_appointment(&standing, "Y99999", &Holder::Chair),
            vec![Problem::NotInElectorate("Y99999".into())]
        );
        let closed = Standing {
            rules: ProxyRules {
                allowed: false,
                per_holder: 2,
            },
            ..standing
        };
        assert_eq!(
            check_appointment(&closed, "F84002", &Holder::Chair),
            vec![Problem::NotAllowed]
        );
        assert_eq!(
            Problem::AlreadyAppointed(Holder::Chair).words(),
            "The practice has already appointed the chair as its proxy: revoke that first"
        );
    }

    #[test]
    fn a_holder_holds_at_most_the_limit_and_a_revoked_appointment_frees_a_place() {
        let electorate = electorate();
        let mut existing = vec![
            appointment("F84001", holder("F84004")),
            appointment("F84002", holder("F84004")),
        ];
        let full = Standing {
            rules: rules(2),
            electorate: &electorate,
            voted: &[],
            appointments: &existing,
        };
        let problems = check_appointment(&full, "F84003", &holder("F84004"));
        assert_eq!(
            problems,
            vec![Problem::HolderFull {
                holder: holder("F84004"),
                limit: 2
            }]
        );
        assert_eq!(
            problems[0].words(),
            "The representative of F84004 already holds 2 proxies, the most this ballot allows"
        );
        existing[1].revoked_at = Some(at(11));
        let freed = Standing {
            rules: rules(2),
            electorate: &electorate,
            voted: &[],
            appointments: &existing,
        };
        assert_eq!(check_appointment(&freed, "F84003", &holder("F84004")), vec![]);
        assert_eq!(
            check_appointment(&freed, "F84002", &Holder::Chair),
            vec![],
            "after revoking, a practice may appoint again"
        );
    }

    #[test]
    fn a_practice_with_a_standing_proxy_does_not_vote_itself() {
        let mut appointments = vec![appointment("F84001", Holder::Chair)];
        assert_eq!(
            check_own_vote(&appointments, "F84001"),
            Err(Problem::ProxyStanding(Holder::Chair))
        );
        assert_eq!(check_own_vote(&appointments, "F84002"), Ok(()));
        appointments[0].revoked_at = Some(at(11));
        assert_eq!(check_own_vote(&appointments, "F84001"), Ok(()));
        assert!(rules(0).problem().is_some(), "a limit of none is refused");
        assert!(rules(2).problem().is_none());
    }

    #[test]
    fn a_proxy_votes_once_when_accepted_not_revoked_and_as_directed() {
        let mut proxy = appointment("F84001", holder("F84002"));
        assert_eq!(check_proxy_vote(&proxy, false, "for"), Ok(()));
        assert_eq!(check_proxy_vote(&proxy, true, "for"), Err(Problem::AlreadyVoted));
        proxy.direction = Some("against".into());
        assert_eq!(
            check_proxy_vote(&proxy, false, "for"),
            Err(Problem::DirectionNotFollowed {
                direction: "against".into()
            })
        );
        assert_eq!(check_proxy_vote(&proxy, false, "against"), Ok(()));
        proxy.accepted_at = None;
        assert_eq!(check_proxy_vote(&proxy, false, "against"), Err(Problem::NotAccepted));
        proxy.accepted_at = Some(at(10));
        proxy.used = true;
        assert_eq!(check_proxy_vote(&proxy, false, "against"), Err(Problem::Used));
        assert_eq!(check_revocation(&proxy), Err(Problem::Used), "used: too late to revoke");
        proxy.used = false;
        assert_eq!(check_revocation(&proxy), Ok(()));
        proxy.revoked_at = Some(at(11));
        assert_eq!(check_proxy_vote(&proxy, false, "against"), Err(Problem::Revoked));
        assert_eq!(check_revocation(&proxy), Err(Problem::Revoked));
    }
}
