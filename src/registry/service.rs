//! Register use-cases: which organisations a user may see, an
//! organisation's page and register as at a date, a practice's page.

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

/// The register of `code` as it stood on `day`, searched and paged.
pub fn register_on(
    pool: &Pool,
    grants: &Grants,
    code: &str,
    day: chrono::NaiveDate,
    query: &super::register::RegisterQuery,
) -> AppResult<(Overseen, super::register::RegisterPage)> {
    let organisation = overseen_organisation(pool, grants, code)?;
    let entries = register_entries(pool, organisation.id, day)?;
    Ok((organisation, super::register::select(entries, query)))
}

fn register_entries(
    pool: &Pool,
    organisation_id: i32,
    day: chrono::NaiveDate,
) -> AppResult<Vec<super::register::RegisterEntry>> {
    let mut conn = pool.get()?;
    let members = Practice::members_with_joined_on(&mut conn, organisation_id, day)?;
    let ids: Vec<i32> = members.iter().map(|(p, _)| p.id).collect();
    let sizes = super::store::list_sizes::latest_on(&mut conn, &ids, day)?;
    Ok(members
        .into_iter()
        .map(|(practice, joined_on)| super::register::RegisterEntry {
            status: super::register::status_on(&practice, day),
            list_size: sizes.get(&practice.id).copied(),
            address: [
                &practice.address_1,
                &practice.address_2,
                &practice.address_3,
                &practice.address_4,
                &practice.address_5,
            ]
            .into_iter()
            .filter(|line| !line.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
            code: practice.ods_code,
            name: practice.name,
            postcode: practice.postcode,
            joined_on,
        })
        .collect())
}

/// The register of `code` on `day` as CSV, for spreadsheets.
pub fn register_csv(pool: &Pool, grants: &Grants, code: &str, day: chrono::NaiveDate) -> AppResult<String> {
    let organisation = overseen_organisation(pool, grants, code)?;
    let mut entries = register_entries(pool, organisation.id, day)?;
    entries.sort_by(|a, b| a.code.cmp(&b.code));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    writer
        .write_record([
            "ods_code",
            "name",
            "address",
            "postcode",
            "status",
            "member_since",
            "list_size",
            "list_size_extract_date",
        ])
        .map_err(write_error)?;
    for entry in entries {
        let (size, extract) = entry
            .list_size
            .map_or((String::new(), String::new()), |(d, n)| (n.to_string(), d.to_string()));
        writer
            .write_record([
                entry.code.as_str(),
                &entry.name,
                &entry.address,
                &entry.postcode,
                entry.status.as_str(),
                &entry.joined_on.to_string(),
                &size,
                &extract,
            ])
            .map_err(write_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
}

pub struct PracticeDetail {
    pub practice: Practice,
    pub status_today: super::model::PracticeStatus,
    pub memberships: Vec<super::store::MembershipRecord>,
    pub list_sizes: Vec<(chrono::NaiveDate, i32)>,
}

/// A practice's page: those who run or observe an organisation it belongs
/// or belonged to, and its own representatives, may see it.
pub fn practice_detail(pool: &Pool, grants: &Grants, ods: &str) -> AppResult<PracticeDetail> {
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    let practice = Practice::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    let memberships = Practice::membership_history(&mut conn, practice.id)?;
    let mut allowed = grants.is_system_admin() || grants.represents_practice(practice.id);
    for membership in &memberships {
        if allowed {
            break;
        }
        if let Some(organisation) = Organisation::find_by_code(&mut conn, &membership.organisation_code)? {
            let lmcs = Organisation::covering_lmcs(&mut conn, organisation.id)?;
            allowed = grants.may_oversee_organisation(&OrganisationFacts {
                id: organisation.id,
                covering_lmc_ids: lmcs.iter().map(|l| l.id).collect(),
                member_practice_ids: Vec::new(),
            });
        }
    }
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "Only the people who run {}'s organisation, its LMC's observers and the practice's own representatives can view this page.",
            practice.name
        )));
    }
    let list_sizes = super::store::list_sizes::history(&mut conn, practice.id)?;
    Ok(PracticeDetail {
        status_today: super::register::status_on(&practice, Utc::now().date_naive()),
        practice,
        memberships,
        list_sizes,
    })
}
