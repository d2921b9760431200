//! The LMC's view: for each organisation it covers, every ballot with its
//! checklist; and a ballot's evidence pack (checklist, timeline, certificate).

use std::collections::{HashMap, HashSet};

use super::checklist::{Facts, Line, Status, checklist, overall};
use super::model::Signed;
use crate::accounts::model::{Grants, Role};
use crate::ballots::model::{BallotState, percent};
use crate::ballots::rules::BallotResult;
use crate::ballots::service::{Loaded, london_day};
use crate::ballots::store as ballot_store;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::service::DeliveryCounts;
use crate::registry::model::PracticeStatus;
use crate::registry::store::{Organisation, Practice};

fn facts(
    conn: &mut DbConn,
    pool: &Pool,
    loaded: &Loaded,
    audit_break: Option<i32>,
) -> AppResult<(Facts, Option<Signed>)> {
    let b = &loaded.ballot;
    let id = b.id;
    let settings = crate::ballots::service::constitution_for(conn, loaded)?;
    let run_up = run_up_changes(conn, loaded, settings.minimum_notice_days)?;
    let notice_lowered_from = run_up
        .iter()
        .map(|(c, _)| c.notice_before)
        .max()
        .filter(|was| *was > settings.minimum_notice_days);
    let electors = ballot_store::electorate_with_practices(conn, id)?;
    let notices = DeliveryCounts::from_rows(crate::mail::store::counts_for_template(
        conn,
        (EventKind::Ballot.as_str(), id),
        "ballot_notice",
    )?);
    let result: Option<BallotResult> = b.result.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let signed = super::service::of_ballot(pool, id)?;
    let certificate_valid = match &signed {
        Some(signed) => {
            let board = super::service::board(pool, id)?;
            Some(super::model::all_passed(&super::service::verify_here(
                pool,
                signed,
                Some(&board),
            )?))
        }
        None => None,
    };
    let (mut extra, mut missing) = (Vec::new(), Vec::new());
    if let Some(published) = b.published_at {
        let day = london_day(published);
        let members: HashSet<String> = Practice::members_on(conn, loaded.organisation.id, day)?
            .into_iter()
            .filter(|p| crate::registry::register::status_on(p, day) == PracticeStatus::Active)
            .map(|p| p.ods_code)
            .collect();
        let frozen: HashSet<String> = electors.iter().map(|(_, code, _)| code.clone()).collect();
        extra = frozen.difference(&members).cloned().collect();
        missing = members.difference(&frozen).cloned().collect();
        extra.sort();
        missing.sort();
    }
    let privacy_at_risk =
        (loaded.rules.secrecy() == crate::ballots::model::Secrecy::Secret && b.published_at.is_some()).then(|| {
            let electors: Vec<(u64, Option<&str>)> = electors
                .iter()
                .map(|(e, _, _)| (u64::try_from(e.weight).unwrap_or(0), e.constituency.as_deref()))
                .collect();
            let exposure = crate::ballots::privacy::exposure(&electors);
            (exposure.at_risk, exposure.practices)
        });
    let unique_rankings = if loaded.kind.is_election()
        && loaded.rules.secrecy() == crate::ballots::model::Secrecy::Secret
        && loaded.state == BallotState::Counted
    {
        let papers = ballot_store::papers(conn, id)?;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for paper in &papers {
            *seen.entry(paper.option_key.as_str()).or_default() += 1;
        }
        Some((seen.values().filter(|n| **n == 1).count(), papers.len()))
    } else {
        None
    };
    let (verifiable, trustees) = if loaded.rules.is_verifiable() {
        let verified = match (&certificate_valid, loaded.state) {
            (Some(valid), _) => Some(*valid),
            (None, BallotState::Counted) => match super::service::board(pool, id)? {
                super::model::BoardFile::Verifiable(board) => Some(super::verifiable::check_board(&board).1.is_some()),
                super::model::BoardFile::Plain(_) => Some(false),
            },
            _ => None,
        };
        let names: Vec<String> = crate::ballots::verifiable::store::trustees(conn, id)?
            .into_iter()
            .map(|(_, name, _)| name)
            .collect();
        let n = u32::try_from(names.len()).unwrap_or(0);
        (
            Some(verified),
            Some((names, loaded.rules.trustee_threshold.unwrap_or(n))),
        )
    } else {
        (None, None)
    };
    let deadline = loaded.deadline_words().map(|words| {
        let warnings = loaded
            .deadline_warnings(settings.minimum_notice_days, chrono::Utc::now().naive_utc())
            .into_iter()
            .map(|w| w.message)
            .collect();
        (words, warnings)
    });
    let proxies = if loaded.rules.proxy_limit.is_some() {
        Some(crate::ballots::proxy::service::counts(conn, id)?)
    } else {
        None
    };
    let facts = Facts {
        proxies,
        suspensions: loaded.interruptions.suspensions.iter().map(|s| s.in_words()).collect(),
        suspended_now: loaded.suspension().is_some(),
        void: loaded.interruptions.void.as_ref().map(|v| v.in_words()),
        rerun_of: loaded.interruptions.rerun_of.as_ref().map(|v| v.in_words()),
        deadline,
        privacy_at_risk,
        unique_rankings,
        verifiable,
        trustees,
        published: b.published_at.is_some(),
        notice_days: b.published_at.map(|p| (b.opens_at - p).num_days()),
        required_notice_days: settings.minimum_notice_days,
        electorate: i64::try_from(electors.len()).unwrap_or(i64::MAX),
        without_representative: electors
            .iter()
            .filter(|(e, _, _)| e.nominated_user_id.is_none())
            .map(|(_, code, name)| format!("{name} ({code})"))
            .collect(),
        closing: match b.closed_at {
            None => super::checklist::Closing::NotYet,
            Some(at) if at < b.closes_at => super::checklist::Closing::Early {
                at: crate::time::date_time(at),
                by: crate::format::duration_words(b.closes_at - at),
                reason: b.close_reason.clone(),
            },
            Some(_) => super::checklist::Closing::AtPublishedTime,
        },
        notices_sent: notices.sent,
        notices_failed: notices.failed,
        notices_pending: notices.pending,
        papers_given: !b.papers.trim().is_empty(),
        counted: loaded.state == BallotState::Counted,
        cancelled: matches!(loaded.state, BallotState::Cancelled | BallotState::Void),
        quorum_met: result.as_ref().map(|r| r.overall.quorum_met),
        outcome: result
            .as_ref()
            .map(|r| crate::ballots::words::outcome_sentence(loaded, r)),
        certificate_valid,
        audit_break,
        electorate_extra: extra,
        electorate_missing: missing,
        run_up_changes: run_up.into_iter().map(|(_, words)| words).collect(),
        notice_lowered_from,
        questions: crate::consult::service::unanswered_at(
            conn,
            id,
            b.opened_at.unwrap_or_else(|| chrono::Utc::now().naive_utc()),
        )?,
    };
    Ok((facts, signed))
}

/// The minimum notice in a stored copy of the settings form.
fn notice_of(settings_json: &str) -> u32 {
    serde_json::from_str::<crate::registry::constitution::SettingsForm>(settings_json)
        .ok()
        .and_then(|f| f.minimum_notice_days.trim().parse().ok())
        .unwrap_or(0)
}

/// The constitution changes in the run-up to the ballot's notice, each with
/// its description for the checklist.
fn run_up_changes(
    conn: &mut DbConn,
    loaded: &Loaded,
    frozen_notice: u32,
) -> AppResult<Vec<(super::checklist::SettingsChange, String)>> {
    let Some(published) = loaded.ballot.published_at else {
        return Ok(Vec::new());
    };
    let year_before = published - chrono::Duration::days(366);
    let changes =
        crate::registry::store::constitution_changes::between(conn, loaded.organisation.id, year_before, published)?;
    Ok(changes
        .into_iter()
        .filter_map(|c| {
            let change = super::checklist::SettingsChange {
                at: c.changed_at,
                notice_before: notice_of(&c.before_settings),
                notice_after: notice_of(&c.after_settings),
            };
            super::checklist::in_run_up(published, frozen_notice, &change).then(|| {
                let before = published - c.changed_at;
                let words = format!(
                    "{} ({} before the notice): {}. Reason given: {}",
                    crate::time::date_time(c.changed_at),
                    crate::time::span(before),
                    c.summary,
                    c.reason
                );
                (change, words)
            })
        })
        .collect())
}

fn audit_break(conn: &mut DbConn) -> AppResult<Option<i32>> {
    Ok(crate::audit::model::first_break(&crate::audit::store::all(conn)?))
}

/// One ballot on the dashboard.
pub struct BallotStatus {
    pub id: i32,
    pub title: String,
    /// "9 January 2015 (Application to NHS England)", when it has one.
    pub deadline: Option<String>,
    pub state: BallotState,
    pub turnout: String,
    pub status: Status,
    pub problems: Vec<Line>,
}

pub struct OrganisationStatus {
    pub code: String,
    pub name: String,
    pub ballots: Vec<BallotStatus>,
}

/// Every organisation the user's LMCs cover (all, for a system
/// administrator), with each published ballot's checklist summed up.
pub fn dashboard(pool: &Pool, grants: &Grants) -> AppResult<Vec<OrganisationStatus>> {
    let mut conn = pool.get()?;
    let organisations = if grants.is_system_admin() {
        Organisation::all(&mut conn)?
    } else {
        let lmcs: Vec<i32> = grants
            .0
            .iter()
            .filter(|g| g.role == Role::LmcObserver)
            .filter_map(|g| g.organisation_id)
            .collect();
        if lmcs.is_empty() {
            return Err(AppError::Forbidden(
                "The dashboard is for observers from local medical committees.".into(),
            ));
        }
        let covered = Organisation::covered_by(&mut conn, &lmcs)?;
        Organisation::with_ids(&mut conn, &covered)?
    };
    let chain = audit_break(&mut conn)?;
    let mut out = Vec::new();
    for organisation in organisations.into_iter().filter(|o| o.kind != "lmc") {
        let mut ballots = Vec::new();
        for ballot in ballot_store::of_organisation(&mut conn, organisation.id)? {
            if ballot.state == "draft" {
                continue;
            }
            let loaded = crate::ballots::service::load(&mut conn, ballot.id)?;
            let (facts, _) = facts(&mut conn, pool, &loaded, chain)?;
            let lines = checklist(&facts);
            let voted = ballot_store::turnout(&mut conn, ballot.id)?;
            ballots.push(BallotStatus {
                id: ballot.id,
                title: ballot.title,
                deadline: facts.deadline.as_ref().map(|(words, _)| words.clone()),
                state: loaded.state,
                turnout: format!(
                    "{voted} of {} ({})",
                    facts.electorate,
                    percent(voted.unsigned_abs(), facts.electorate.unsigned_abs())
                ),
                status: overall(&lines),
                problems: lines.into_iter().filter(|l| l.status == Status::Red).collect(),
            });
        }
        out.push(OrganisationStatus {
            code: organisation.ods_code,
            name: organisation.name,
            ballots,
        });
    }
    Ok(out)
}

/// A ballot's evidence pack: its checklist, its timeline from the audit
/// log, and its certificate if issued. For those who run or observe it.
pub struct Evidence {
    pub loaded: Loaded,
    pub lines: Vec<Line>,
    pub timeline: Vec<crate::audit::model::Stored>,
    pub certificate: Option<Signed>,
}

pub fn evidence(pool: &Pool, grants: &Grants, ballot_id: i32) -> AppResult<Evidence> {
    let mut conn = pool.get()?;
    let (loaded, access) = crate::ballots::service::visible(&mut conn, grants, ballot_id)?;
    if !access.oversees() {
        return Err(AppError::Forbidden(
            "The evidence pack is for the people who run the organisation and its LMC's observers.".into(),
        ));
    }
    let chain = audit_break(&mut conn)?;
    let (facts, certificate) = facts(&mut conn, pool, &loaded, chain)?;
    let mut timeline =
        crate::audit::store::of_object(&mut conn, loaded.organisation.id, "ballot", &ballot_id.to_string())?;
    for consultation in crate::consult::store::leading_to(&mut conn, ballot_id)? {
        timeline.extend(crate::audit::store::of_object(
            &mut conn,
            loaded.organisation.id,
            "consultation",
            &consultation.id.to_string(),
        )?);
    }
    // Changes of the constitution in the run-up belong to the ballot's story.
    let frozen_notice = crate::ballots::service::constitution_for(&mut conn, &loaded)?.minimum_notice_days;
    let run_up = run_up_changes(&mut conn, &loaded, frozen_notice)?;
    if let (Some(first), Some(published)) = (run_up.first(), loaded.ballot.published_at) {
        let from = first.0.at;
        timeline.extend(
            crate::audit::store::of_object(
                &mut conn,
                loaded.organisation.id,
                "organisation",
                &loaded.organisation.ods_code,
            )?
            .into_iter()
            .filter(|e| {
                e.entry.action == "organisation.constitution_updated" && e.entry.at >= from && e.entry.at <= published
            }),
        );
    }
    timeline.sort_by_key(|e| e.id);
    let timeline = timeline
        .into_iter()
        // A secret ballot's individual votes add nothing to the timeline
        // that the count does not show.
        .filter(|e| e.entry.action != "ballot.vote" && e.entry.action != "ballot.vote_change")
        .collect();
    Ok(Evidence {
        lines: checklist(&facts),
        loaded,
        timeline,
        certificate,
    })
}
