//! Register use-cases available so far: which organisations a user may see,
//! and one organisation's page.

use chrono::Utc;

use super::model::{OrganisationCode, OrganisationKind};
use super::store::{Organisation, Practice};
use crate::accounts::model::{Grants, OrganisationFacts, Role};
use crate::db::Pool;
use crate::error::{AppError, AppResult};

pub struct OrganisationSummary {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub is_demo: bool,
}

fn summary(org: Organisation) -> OrganisationSummary {
    let kind = OrganisationKind::parse(&org.kind).map_or(org.kind.clone(), |k| k.label().to_owned());
    OrganisationSummary {
        code: org.ods_code,
        name: org.name,
        kind,
        is_demo: org.is_demo,
    }
}

/// The organisations a user has a role in or observes.
pub fn visible_organisations(pool: &Pool, grants: &Grants) -> AppResult<Vec<OrganisationSummary>> {
    let mut conn = pool.get()?;
    let organisations = if grants.is_system_admin() {
        Organisation::all(&mut conn)?
    } else {
        let mut ids: Vec<i32> = grants.0.iter().filter_map(|g| g.organisation_id).collect();
        let lmc_ids: Vec<i32> = grants
            .0
            .iter()
            .filter(|g| g.role == Role::LmcObserver)
            .filter_map(|g| g.organisation_id)
            .collect();
        ids.extend(Organisation::covered_by(&mut conn, &lmc_ids)?);
        Organisation::with_ids(&mut conn, &ids)?
    };
    Ok(organisations.into_iter().map(summary).collect())
}

pub struct OrganisationDetail {
    pub organisation: OrganisationSummary,
    pub covering_lmcs: Vec<OrganisationSummary>,
    /// Shown only to those who run or observe the organisation.
    pub members: Option<Vec<Practice>>,
    pub member_count: usize,
}

pub fn organisation_detail(pool: &Pool, grants: &Grants, code: &str) -> AppResult<OrganisationDetail> {
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    let organisation = Organisation::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    let lmcs = Organisation::covering_lmcs(&mut conn, organisation.id)?;
    let members = Practice::members_on(&mut conn, organisation.id, Utc::now().date_naive())?;
    let facts = OrganisationFacts {
        id: organisation.id,
        covering_lmc_ids: lmcs.iter().map(|l| l.id).collect(),
        member_practice_ids: members.iter().map(|p| p.id).collect(),
    };
    if !grants.may_view_organisation(&facts) {
        return Err(AppError::Forbidden(format!(
            "Only the people who run {}, observers from its local medical committee and its member practices can view this page.",
            organisation.name
        )));
    }
    let member_count = members.len();
    Ok(OrganisationDetail {
        members: grants.may_oversee_organisation(&facts).then_some(members),
        member_count,
        organisation: summary(organisation),
        covering_lmcs: lmcs.into_iter().map(summary).collect(),
    })
}

/// An organisation someone may oversee (runs it, or observes it for its LMC).
pub struct Overseen {
    pub id: i32,
    pub summary: OrganisationSummary,
    /// True for those who run it (administrators, the returning officer);
    /// observers may look but not act.
    pub may_act: bool,
}

pub fn overseen_organisation(pool: &Pool, grants: &Grants, code: &str) -> AppResult<Overseen> {
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    let organisation = Organisation::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    let lmcs = Organisation::covering_lmcs(&mut conn, organisation.id)?;
    let facts = OrganisationFacts {
        id: organisation.id,
        covering_lmc_ids: lmcs.iter().map(|l| l.id).collect(),
        member_practice_ids: Vec::new(),
    };
    if !grants.may_oversee_organisation(&facts) {
        return Err(AppError::Forbidden(format!(
            "Only the people who run {} and observers from its local medical committee can view its email delivery record.",
            organisation.name
        )));
    }
    Ok(Overseen {
        id: organisation.id,
        may_act: grants.runs_organisation(organisation.id),
        summary: summary(organisation),
    })
}
