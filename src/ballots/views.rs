//! What the pages and the API show of ballots: lists, the electorate,
//! live turnout, results and their CSV.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::model::{BallotKind, BallotState, Secrecy};
use super::rules::{self, BallotResult};
use super::service::{Access, Loaded, visible};
use super::store;
use crate::accounts::model::Grants;
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::format::SafeCsv;
use crate::mail::model::EventKind;
use crate::registry::model::OrganisationCode;
use crate::registry::store::Organisation;

/// One ballot of an organisation, for lists.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: i32,
    pub title: String,
    pub kind: BallotKind,
    pub state: BallotState,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    /// Voting is suspended now.
    pub suspended: bool,
}

impl Summary {
    /// The state as lists show it: a suspended ballot says so.
    pub fn state_tag(&self) -> (&'static str, &'static str) {
        if self.suspended && self.state == BallotState::Open {
            ("Voting suspended", "yellow")
        } else {
            (self.state.label(), self.state.tag_colour())
        }
    }
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
    let rows = store::of_organisation(&mut conn, organisation.id)?;
    let ids: Vec<i32> = rows.iter().map(|b| b.id).collect();
    let (void, suspended) = super::investigation::store::void_and_suspended(&mut conn, &ids)?;
    let ballots = rows
        .into_iter()
        .filter_map(|b| {
            let state = match BallotState::parse(&b.state)? {
                _ if void.contains(&b.id) => BallotState::Void,
                state => state,
            };
            (runs || state != BallotState::Draft).then(|| Summary {
                id: b.id,
                kind: BallotKind::parse(&b.kind).unwrap_or(BallotKind::General),
                title: b.title,
                state,
                opens_at: b.opens_at,
                closes_at: b.closes_at,
                suspended: suspended.contains(&b.id),
            })
        })
        .collect();
    Ok((organisation, runs, ballots))
}

/// A ballot as one member practice sees it, for its representative's home.
#[derive(Debug, Clone)]
pub struct PracticeBallot {
    pub summary: Summary,
    pub in_electorate: bool,
    /// When the practice voted, and how ("link", "signed_in", "api").
    pub voted: Option<(NaiveDateTime, String)>,
    /// Whether this representative may cast the practice's vote.
    pub may_vote: bool,
    pub secret: bool,
    /// The result in words, once counted.
    pub outcome: Option<String>,
}

/// The published ballots of `organisation_id`, newest first, as practice
/// `practice_id` sees them; `rep_kind` is the viewer's representative role
/// ("nominated", "deputy" or another), which decides whether they may vote.
pub fn for_practice(
    pool: &Pool,
    organisation_id: i32,
    practice_id: i32,
    rep_kind: Option<&str>,
) -> AppResult<Vec<PracticeBallot>> {
    let mut conn = pool.get()?;
    let mut found = Vec::new();
    for ballot in store::of_organisation(&mut conn, organisation_id)? {
        let Some(state) = BallotState::parse(&ballot.state) else {
            continue;
        };
        if state == BallotState::Draft {
            continue;
        }
        let loaded = super::service::load_without_access_facts(&mut conn, ballot.id)?;
        let in_electorate = store::elector(&mut conn, ballot.id, practice_id)?.is_some();
        let voted = store::vote_of(&mut conn, ballot.id, practice_id)?;
        let may_vote = in_electorate
            && match rep_kind {
                Some("nominated") => true,
                Some("deputy") => loaded.rules.deputies_may_vote(),
                _ => false,
            };
        let outcome = match (&loaded.ballot.result, state) {
            (Some(stored), BallotState::Counted) => serde_json::from_str::<BallotResult>(stored)
                .ok()
                .map(|result| super::words::outcome_sentence(&loaded, &result)),
            _ => None,
        };
        found.push(PracticeBallot {
            summary: Summary {
                id: ballot.id,
                kind: loaded.kind,
                title: ballot.title,
                state,
                opens_at: ballot.opens_at,
                closes_at: ballot.closes_at,
                suspended: loaded.suspension().is_some(),
            },
            in_electorate,
            voted,
            may_vote,
            secret: loaded.rules.secrecy() == Secrecy::Secret,
            outcome,
        });
    }
    found.sort_by_key(|b| std::cmp::Reverse(b.summary.closes_at));
    Ok(found)
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
    let deliveries = crate::mail::service::delivery_counts(
        pool,
        loaded.organisation.id,
        Some((EventKind::Ballot, loaded.ballot.id)),
    )?;
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

/// An election's stage table as CSV (see `stv::report::csv`).
pub fn stages_csv(results: &Results) -> AppResult<String> {
    let report = results.result.stv.as_ref().ok_or(AppError::NotFound)?;
    Ok(super::stv::report::csv(report))
}

/// An election's papers as a BLT file, so a scrutineer can recount them
/// with other STV software, or with `quorate stv count` and the tie order
/// the result page gives. Identical rankings are written once with their
/// weights added: the file keeps no order of casting.
pub fn papers_blt(pool: &Pool, results: &Results) -> AppResult<String> {
    let loaded = &results.loaded;
    let (Some(seats), Some(_)) = (loaded.rules.seats, results.result.stv.as_ref()) else {
        return Err(AppError::NotFound);
    };
    let keys = loaded.option_keys();
    let names: Vec<String> = loaded.options.iter().map(|o| o.label.clone()).collect();
    let mut conn = pool.get()?;
    // A paper of weight 0 moved no votes in the count, and BLT has no such line.
    let papers = store::papers(&mut conn, loaded.ballot.id)?
        .into_iter()
        .filter(|paper| paper.weight > 0)
        .map(|paper| {
            let ranking = super::election::ranking::decode(&paper.option_key, &keys)
                .map_err(|why| AppError::Internal(format!("ballot {}: {why}", loaded.ballot.id)))?;
            Ok(super::stv::RankedPaper {
                weight: u64::try_from(paper.weight).unwrap_or(0),
                ranking,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let profile = super::stv::Profile::new(
        loaded.ballot.title.clone(),
        seats as usize,
        names.clone(),
        Default::default(),
        papers,
        loaded
            .rules
            .tie_order
            .as_deref()
            .and_then(|order| super::election::count::tie_order_positions(order, &keys))
            .or_else(|| Some((0..keys.len()).collect())),
    )
    .map_err(|e| AppError::Internal(format!("ballot {}: {e}", loaded.ballot.id)))?;
    Ok(super::stv::blt::write(&profile))
}

/// The result as CSV: one row per option, overall and per constituency.
pub fn results_csv(results: &Results) -> AppResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    writer
        .write_safe(["scope", "option_key", "option", "practices", "weight"])
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
                .write_safe([
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
            .write_safe([
                scope.as_str(),
                "",
                "Turnout",
                &turnout.practices.to_string(),
                &turnout.weight.to_string(),
            ])
            .map_err(write_error)?;
        writer
            .write_safe([
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

/// Whether the published totals of a secret ballot could show how a
/// practice voted (see `privacy`), in words, with the weightings that would
/// make it rarer. None for a recorded or unweighted ballot.
#[derive(Debug, Clone)]
pub struct PrivacyReport {
    pub at_risk: usize,
    pub practices: usize,
    pub explanation: String,
    /// (constituency, practices at risk, practices), when split.
    pub groups: Vec<(String, usize, usize)>,
    /// (weighting in words, practices at risk), fewest first.
    pub remedies: Vec<(String, usize)>,
}

pub fn weight_privacy(pool: &Pool, loaded: &Loaded) -> AppResult<Option<PrivacyReport>> {
    if loaded.rules.secrecy() != Secrecy::Secret {
        return Ok(None);
    }
    let mut conn = pool.get()?;
    // The electorate as frozen, or as it would be frozen today.
    let sizes_and_groups: Vec<(Option<u32>, Option<String>)> = if loaded.state == BallotState::Draft {
        let today = super::service::london_day(chrono::Utc::now().naive_utc());
        let members = crate::registry::store::Practice::members_on(&mut conn, loaded.organisation.id, today)?;
        let ids: Vec<i32> = members.iter().map(|p| p.id).collect();
        let sizes = crate::registry::store::list_sizes::latest_on(
            &mut conn,
            &ids,
            loaded.rules.list_size_date.unwrap_or(today),
        )?;
        members
            .iter()
            .filter(|p| {
                crate::registry::register::status_on(p, today) == crate::registry::model::PracticeStatus::Active
            })
            .map(|p| {
                (
                    sizes.get(&p.id).and_then(|(_, n)| u32::try_from(*n).ok()),
                    loaded.rules.constituencies.get(&p.ods_code).cloned(),
                )
            })
            .collect()
    } else {
        store::electors(&mut conn, loaded.ballot.id)?
            .into_iter()
            .map(|e| (e.list_size.and_then(|n| u32::try_from(n).ok()), e.constituency))
            .collect()
    };
    let weighting = loaded.rules.weighting();
    let with_groups: Vec<(Option<u32>, Option<&str>)> =
        sizes_and_groups.iter().map(|(s, g)| (*s, g.as_deref())).collect();
    let Some(electors) = with_groups
        .iter()
        .map(|&(size, group)| weighting.weight(size).map(|w| (w, group)))
        .collect::<Option<Vec<(u64, Option<&str>)>>>()
    else {
        // Some practice has no list size: publication will say so.
        return Ok(None);
    };
    let exposure = super::privacy::exposure(&electors);
    Ok(Some(PrivacyReport {
        at_risk: exposure.at_risk,
        practices: exposure.practices,
        explanation: super::privacy::explain(&exposure),
        groups: exposure
            .groups
            .iter()
            .filter_map(|g| {
                g.group
                    .as_ref()
                    .map(|name| (name.clone(), g.at_risk.len(), g.practices))
            })
            .collect(),
        remedies: super::privacy::remedies(&with_groups, weighting)
            .into_iter()
            .map(|(w, n)| (w.label(), n))
            .collect(),
    }))
}

/// The constitution settings frozen with the ballot at publication.
pub fn frozen_constitution(loaded: &Loaded) -> Option<crate::registry::constitution::ConstitutionSettings> {
    loaded
        .ballot
        .constitution
        .as_deref()
        .and_then(|json| serde_json::from_str::<crate::registry::constitution::SettingsForm>(json).ok())
        .and_then(|form| crate::registry::constitution::ConstitutionSettings::from_form(&form).ok())
}

/// The settings the ballot is held to: those frozen at publication, or
/// today's for a draft.
pub fn constitution_for(
    conn: &mut crate::db::DbConn,
    loaded: &Loaded,
) -> AppResult<crate::registry::constitution::ConstitutionSettings> {
    match frozen_constitution(loaded) {
        Some(settings) => Ok(settings),
        None => crate::registry::service::load_constitution(conn, loaded.organisation.id),
    }
}

/// Where the ballot's dates fall after the timetable its deadline allows.
pub fn deadline_warnings(pool: &Pool, loaded: &Loaded) -> AppResult<Vec<super::plan::PlanWarning>> {
    if loaded.rules.deadline.is_none() {
        return Ok(Vec::new());
    }
    let mut conn = pool.get()?;
    let notice = constitution_for(&mut conn, loaded)?.minimum_notice_days;
    Ok(loaded.deadline_warnings(notice, chrono::Utc::now().naive_utc()))
}
