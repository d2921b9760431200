//! Register use-cases: which organisations a user may see, an
//! organisation's page and register as at a date, a practice's page.

use chrono::Utc;

use super::model::{OrganisationCode, OrganisationKind};
use super::store::{Organisation, Practice};
use crate::accounts::model::{Grants, OrganisationFacts, Role};
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::format::SafeCsv;

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
        // An observer's own LMC is not listed: its page is for those who run
        // it; the observer watches the organisations it covers.
        let mut ids: Vec<i32> = grants
            .0
            .iter()
            .filter(|g| g.role != Role::LmcObserver)
            .filter_map(|g| g.organisation_id)
            .collect();
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
    pub id: i32,
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
        id: organisation.id,
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
    let represented: std::collections::HashSet<i32> =
        super::store::representatives::practices_with_nominated_on(&mut conn, &ids, day)?
            .into_iter()
            .collect();
    Ok(members
        .into_iter()
        .map(|(practice, joined_on)| super::register::RegisterEntry {
            status: super::register::status_on(&practice, day),
            list_size: sizes.get(&practice.id).copied(),
            has_nominated: represented.contains(&practice.id),
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
        .write_safe([
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
            .write_safe([
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
    pub representatives: Vec<super::store::representatives::RepresentativeRecord>,
    /// The viewer may add and end representatives.
    pub may_manage: bool,
    /// The viewer represents the practice and may propose changes.
    pub may_propose: bool,
    pub status_today: super::model::PracticeStatus,
    pub memberships: Vec<super::store::MembershipRecord>,
    pub list_sizes: Vec<(chrono::NaiveDate, i32)>,
    /// Representatives whose last email failed: user id → the reason.
    pub failing_addresses: std::collections::HashMap<i32, String>,
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
    let representatives = super::store::representatives::of_practice(&mut conn, practice.id)?;
    let current: Vec<(i32, String)> = representatives
        .iter()
        .filter(|r| r.ended_on.is_none())
        .map(|r| (r.user_id, r.email.clone()))
        .collect();
    let failing_addresses = crate::mail::store::failing_addresses(&mut conn, &current)?;
    let may_manage = managing_organisation(&mut conn, grants, &practice).is_ok();
    Ok(PracticeDetail {
        failing_addresses,
        representatives,
        may_manage,
        may_propose: grants.represents_practice(practice.id),
        status_today: super::register::status_on(&practice, Utc::now().date_naive()),
        practice,
        memberships,
        list_sizes,
    })
}

/// Who may manage a practice's representatives: a system administrator, or
/// an administrator of the organisation it is a member of today.
fn managing_organisation(
    conn: &mut crate::db::DbConn,
    grants: &Grants,
    practice: &Practice,
) -> AppResult<Option<Organisation>> {
    let organisation = Organisation::of_practice_on(conn, practice.id, Utc::now().date_naive())?;
    let administers = organisation
        .as_ref()
        .is_some_and(|o| grants.administers_organisation(o.id));
    if grants.is_system_admin() || administers {
        Ok(organisation)
    } else {
        Err(AppError::Forbidden(format!(
            "Only administrators of {}'s organisation can change it or its representatives.",
            practice.name
        )))
    }
}

pub struct NewRepresentative {
    pub name: String,
    pub email: String,
    pub kind: String,
}

/// Adds a representative to a practice: an existing account gets the
/// practice representative role, a new person is invited by email. A new
/// nominated representative (or deputy) replaces the current one.
pub fn add_representative(
    pool: &Pool,
    outbox: &crate::mail::service::Outbox,
    actor: &crate::accounts::service::SessionUser,
    ods: &str,
    new: NewRepresentative,
) -> AppResult<()> {
    use super::model::RepresentativeKind;
    use crate::accounts::model::{EmailAddress, PersonName};
    use crate::error::FieldError;
    let mut errors = Vec::new();
    let name = PersonName::parse("name", &new.name).map_err(|e| errors.push(e)).ok();
    let email = EmailAddress::parse("email", &new.email)
        .map_err(|e| errors.push(e))
        .ok();
    let kind = RepresentativeKind::parse(new.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Select how the person acts for the practice"));
    }
    let (Some(name), Some(email), Some(kind)) = (name, email, kind) else {
        return Err(AppError::Invalid(errors));
    };
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let practice = Practice::find_by_code(c, code.as_str())?.ok_or(AppError::NotFound)?;
        add_representative_within(
            c,
            outbox,
            actor,
            &practice,
            Representative {
                name: &name,
                email: &email,
                kind,
            },
        )
    })
}

/// Who becomes a practice's representative, checked.
pub struct Representative<'a> {
    pub name: &'a crate::accounts::model::PersonName,
    pub email: &'a crate::accounts::model::EmailAddress,
    pub kind: super::model::RepresentativeKind,
}

/// Adds a representative inside the caller's transaction, after checking
/// the actor manages the practice (see [`add_representative`]).
pub fn add_representative_within(
    c: &mut crate::db::DbConn,
    outbox: &crate::mail::service::Outbox,
    actor: &crate::accounts::service::SessionUser,
    practice: &Practice,
    new: Representative<'_>,
) -> AppResult<()> {
    use super::store::representatives;
    let Representative { name, email, kind } = new;
    let organisation = managing_organisation(c, &actor.grants(), practice)?;
    // Two changes to one practice's representatives at once: the second
    // reads what the first wrote (one nominated representative at a time).
    crate::db::lock_row(c, crate::db::Locked::Practice(practice.id))?;
    let now = Utc::now().naive_utc();
    let today = now.date();
    let user_id = match crate::accounts::store::User::find_by_email(c, email.normalized())? {
        Some(user) => {
            let held = crate::accounts::store::roles_of(c, Some(&[user.id]))?;
            if !held
                .iter()
                .any(|r| r.role == Role::PracticeRep.as_str() && r.practice_id == Some(practice.id))
            {
                crate::accounts::store::NewUserRole {
                    user_id: user.id,
                    role: Role::PracticeRep.as_str(),
                    organisation_id: None,
                    practice_id: Some(practice.id),
                    created_at: now,
                }
                .insert(c)?;
            }
            user.id
        }
        None => crate::accounts::service::invite_within(
            c,
            outbox,
            &actor.name,
            crate::accounts::service::Invitee {
                email,
                name,
                role: Role::PracticeRep,
                organisation_id: None,
                practice_id: Some(practice.id),
                sending_organisation: organisation.as_ref(),
            },
        )?,
    };
    let current = representatives::of_practice(c, practice.id)?;
    if current
        .iter()
        .any(|r| r.ended_on.is_none() && r.user_id == user_id && r.kind == kind.as_str())
    {
        return Err(AppError::invalid(
            "email",
            format!("{} is already the practice's {}", email.as_str(), kind.in_sentence()),
        ));
    }
    let replaced: Vec<String> = current
        .iter()
        .filter(|r| kind.is_single() && r.ended_on.is_none() && r.kind == kind.as_str())
        .map(|r| format!("{} <{}>", r.name, r.email))
        .collect();
    if kind.is_single() {
        representatives::end_current(c, practice.id, kind.as_str(), today)?;
    }
    representatives::insert(c, practice.id, user_id, kind.as_str(), today, now)?;
    let mut summary = format!("{} <{}> became {}", name.as_str(), email.as_str(), kind.in_sentence());
    if !replaced.is_empty() {
        summary.push_str(&format!(", replacing {}", replaced.join(", ")));
    }
    crate::audit::service::record(
        c,
        &actor.actor(),
        crate::audit::service::Event {
            organisation_id: organisation.as_ref().map(|o| o.id),
            action: "practice.representative_added",
            object_kind: "practice",
            object_key: &practice.ods_code,
            summary,
        },
    )?;
    Ok(())
}

/// Ends one representative's role for a practice (from today).
/// What ending a representative's role would mean, for the page that
/// asks for confirmation.
#[derive(Debug, Clone)]
pub struct EndingRole {
    pub practice: Practice,
    pub record: super::store::representatives::RepresentativeRecord,
    /// Published or open ballots the practice has not voted in: (id, title).
    pub ballots_awaiting: Vec<(i32, String)>,
}

pub fn ending_role(pool: &Pool, grants: &Grants, ods: &str, representative_id: i32) -> AppResult<EndingRole> {
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    let practice = Practice::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    managing_organisation(&mut conn, grants, &practice)?;
    let record = current_representative(&mut conn, practice.id, representative_id)?;
    let ballots_awaiting = crate::ballots::store::awaiting_vote_of(&mut conn, practice.id)?;
    Ok(EndingRole {
        practice,
        record,
        ballots_awaiting,
    })
}

fn current_representative(
    conn: &mut crate::db::DbConn,
    practice_id: i32,
    representative_id: i32,
) -> AppResult<super::store::representatives::RepresentativeRecord> {
    super::store::representatives::of_practice(conn, practice_id)?
        .into_iter()
        .find(|r| r.id == representative_id && r.ended_on.is_none())
        .ok_or(AppError::NotFound)
}

/// Ends a representative's role from today; the reason goes to the audit log.
pub fn end_representative(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    ods: &str,
    representative_id: i32,
    reason: &str,
) -> AppResult<()> {
    use super::store::representatives;
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let grants = actor.grants();
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let practice = Practice::find_by_code(c, code.as_str())?.ok_or(AppError::NotFound)?;
        let organisation = managing_organisation(c, &grants, &practice)?;
        let record = current_representative(c, practice.id, representative_id)?;
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                format!("Enter why {}'s role ends: it is kept in the audit log", record.name),
            ));
        }
        if reason.chars().count() > 1000 {
            return Err(AppError::invalid(
                "reason",
                "The reason must be 1,000 characters or less",
            ));
        }
        representatives::end(c, representative_id, practice.id, Utc::now().date_naive())?;
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: organisation.as_ref().map(|o| o.id),
                action: "practice.representative_ended",
                object_kind: "practice",
                object_key: &practice.ods_code,
                summary: format!(
                    "{} <{}> is no longer {}: {reason}",
                    record.name, record.email, record.kind
                ),
            },
        )?;
        Ok(())
    })
}

/// An organisation's constitution settings (the defaults until set).
pub fn constitution(
    pool: &Pool,
    grants: &Grants,
    code: &str,
) -> AppResult<(Overseen, super::constitution::ConstitutionSettings)> {
    let organisation = overseen_organisation(pool, grants, code)?;
    let mut conn = pool.get()?;
    let settings = load_constitution(&mut conn, organisation.id)?;
    Ok((organisation, settings))
}

/// The stored settings, or the defaults. Ballots take their rules from here.
pub fn load_constitution(
    conn: &mut crate::db::DbConn,
    organisation_id: i32,
) -> AppResult<super::constitution::ConstitutionSettings> {
    use super::constitution::ConstitutionSettings;
    match super::store::constitution::find(conn, organisation_id)? {
        Some(form) => ConstitutionSettings::from_form(&form).map_err(|_| {
            AppError::Internal(format!(
                "stored constitution settings of organisation {organisation_id} are invalid"
            ))
        }),
        None => Ok(ConstitutionSettings::default()),
    }
}

/// Saves new settings (organisation administrators only), with the reason
/// for the change; kept in the settings' history and the audit log with
/// each change before and after.
pub fn update_constitution(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    code: &str,
    form: &super::constitution::SettingsForm,
    reason: &str,
) -> AppResult<()> {
    change_constitution(pool, actor, code, |_| form.clone(), reason)
}

/// Changes some of the settings (`edit` gets the settings in force and
/// returns them changed), read and written in one transaction.
pub fn change_constitution(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    code: &str,
    edit: impl FnOnce(super::constitution::SettingsForm) -> super::constitution::SettingsForm,
    reason: &str,
) -> AppResult<()> {
    use super::constitution::{ConstitutionSettings, describe_changes};
    let grants = actor.grants();
    let organisation = overseen_organisation(pool, &grants, code)?;
    let administers = grants.administers_organisation(organisation.id);
    if !administers {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} can change its constitution settings.",
            organisation.summary.name
        )));
    }
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        crate::db::lock_row(c, crate::db::Locked::Organisation(organisation.id))?;
        let before = load_constitution(c, organisation.id)?;
        let after = ConstitutionSettings::from_form(&edit(before.to_form())).map_err(AppError::Invalid)?;
        let changes = describe_changes(&before, &after);
        if changes.is_empty() {
            return Ok(());
        }
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "Enter why the settings change: it is kept with the change and shown with every ballot it affects",
            ));
        }
        if reason.chars().count() > 1000 {
            return Err(AppError::invalid(
                "reason",
                "The reason must be 1,000 characters or less",
            ));
        }
        let now = Utc::now().naive_utc();
        let json = |s: &ConstitutionSettings| serde_json::to_string(&s.to_form()).unwrap_or_default();
        super::store::constitution::save(c, organisation.id, &after.to_form(), now)?;
        super::store::constitution_changes::insert(
            c,
            &super::store::constitution_changes::NewChange {
                organisation_id: organisation.id,
                changed_at: now,
                changed_by: Some(actor.id),
                reason: &reason,
                summary: &changes,
                before_settings: &json(&before),
                after_settings: &json(&after),
            },
        )?;
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: Some(organisation.id),
                action: "organisation.constitution_updated",
                object_kind: "organisation",
                object_key: &organisation.summary.code,
                summary: format!("{changes}. Reason: {reason}"),
            },
        )?;
        Ok(())
    })
}

/// The details of a practice, for its edit form (administrators only).
pub fn practice_for_editing(
    pool: &Pool,
    grants: &Grants,
    ods: &str,
) -> AppResult<(Practice, super::practice_form::PracticeForm)> {
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    let practice = Practice::find_by_code(&mut conn, code.as_str())?.ok_or(AppError::NotFound)?;
    managing_organisation(&mut conn, grants, &practice)?;
    let form = super::practice_form::PracticeForm::from_details(&practice.ods_code, &practice.details());
    Ok((practice, form))
}

/// Changes a practice's details by hand (closing it included), audited.
pub fn edit_practice(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    ods: &str,
    form: &super::practice_form::PracticeForm,
) -> AppResult<()> {
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let grants = actor.grants();
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let practice = Practice::find_by_code(c, code.as_str())?.ok_or(AppError::NotFound)?;
        let organisation = managing_organisation(c, &grants, &practice)?;
        apply_details(c, actor, &practice, organisation.as_ref(), form, "practice.updated")
    })
}

/// Writes checked details to a practice and audits each change. Returns
/// whether anything changed.
fn apply_details(
    c: &mut crate::db::DbConn,
    actor: &crate::accounts::service::SessionUser,
    practice: &Practice,
    organisation: Option<&Organisation>,
    form: &super::practice_form::PracticeForm,
    action: &str,
) -> AppResult<()> {
    let before = practice.details();
    let after = form.checked_details(Some(&before)).map_err(AppError::Invalid)?;
    let changes = super::import::differences(&before, &after);
    if changes.is_empty() {
        return Ok(());
    }
    Practice::update_details(c, practice.id, &after)?;
    crate::audit::service::record(
        c,
        &actor.actor(),
        crate::audit::service::Event {
            organisation_id: organisation.map(|o| o.id),
            action,
            object_kind: "practice",
            object_key: &practice.ods_code,
            summary: describe_field_changes(&changes),
        },
    )?;
    Ok(())
}

fn describe_field_changes(changes: &[super::import::FieldChange]) -> String {
    changes
        .iter()
        .map(|ch| format!("{}: \"{}\" → \"{}\"", ch.field, ch.before, ch.after))
        .collect::<Vec<_>>()
        .join("; ")
}
/// Adds a practice to an organisation's register by hand, audited.
pub fn add_practice(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    organisation_code: &str,
    form: &super::practice_form::PracticeForm,
) -> AppResult<String> {
    let grants = actor.grants();
    let organisation = overseen_organisation(pool, &grants, organisation_code)?;
    let administers = grants.administers_organisation(organisation.id);
    if !administers {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} can add practices to its register.",
            organisation.summary.name
        )));
    }
    let today = Utc::now().date_naive();
    let mut errors = Vec::new();
    let code = form.checked_code().map_err(|e| errors.push(e)).ok();
    let details = form.checked_details(None).map_err(|e| errors.extend(e)).ok();
    let joined_on = form.checked_joined_on(today).map_err(|e| errors.push(e)).ok();
    let (Some(code), Some(details), Some(joined_on)) = (code, details, joined_on) else {
        return Err(AppError::Invalid(errors));
    };
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if Practice::find_by_code(c, code.as_str())?.is_some() {
            return Err(AppError::Conflict(format!(
                "{} is already in the register; import the ODS file to move it between organisations",
                code.as_str()
            )));
        }
        let now = Utc::now().naive_utc();
        let summary = format!("added {} {} (member from {joined_on})", code.as_str(), details.name);
        Practice::insert_all(c, vec![(code.as_str().to_owned(), details)], now)?;
        let practice = Practice::find_by_code(c, code.as_str())?.ok_or(AppError::NotFound)?;
        Practice::join(c, practice.id, organisation.id, joined_on)?;
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: Some(organisation.id),
                action: "practice.added",
                object_kind: "practice",
                object_key: code.as_str(),
                summary,
            },
        )?;
        Ok(code.as_str().to_owned())
    })
}

/// Creates an organisation (system administrators only), audited.
pub fn create_organisation(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    code: &str,
    name: &str,
    kind: &str,
    settings: Option<&super::constitution::SettingsForm>,
) -> AppResult<OrganisationSummary> {
    use crate::error::FieldError;
    if !actor.grants().is_system_admin() {
        return Err(AppError::Forbidden(
            "Only system administrators can create organisations.".into(),
        ));
    }
    let mut errors = Vec::new();
    let code = OrganisationCode::parse("code", code).map_err(|e| errors.push(e)).ok();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        errors.push(FieldError::new("name", "Enter the organisation's name"));
    } else if name.chars().count() > 120 {
        errors.push(FieldError::new(
            "name",
            "Organisation name must be 120 characters or less",
        ));
    }
    let kind = OrganisationKind::parse(kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "kind must be one of ccg, lmc, federation or pcn",
        ));
    }
    let settings = match settings {
        Some(form) => super::constitution::ConstitutionSettings::from_form(form)
            .map_err(|e| errors.extend(e))
            .ok(),
        None => None,
    };
    let (Some(code), Some(kind), true) = (code, kind, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        if Organisation::find_by_code(c, code.as_str())?.is_some() {
            return Err(AppError::Conflict(format!(
                "An organisation with ODS code {} already exists",
                code.as_str()
            )));
        }
        let now = Utc::now().naive_utc();
        let id = super::store::NewOrganisation {
            kind: kind.as_str(),
            ods_code: code.as_str(),
            name: &name,
            is_demo: false,
            created_at: now,
        }
        .insert(c)?;
        if let Some(settings) = &settings {
            super::store::constitution::save(c, id, &settings.to_form(), now)?;
        }
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: Some(id),
                action: "organisation.created",
                object_kind: "organisation",
                object_key: code.as_str(),
                summary: format!("created {} {name} ({})", code.as_str(), kind.as_str()),
            },
        )?;
        Ok(OrganisationSummary {
            code: code.as_str().to_owned(),
            name: name.clone(),
            kind: kind.label().to_owned(),
            is_demo: false,
        })
    })
}

/// A practice's own representative proposes new details (and a note, for
/// example about a new nominated representative) for an administrator to approve.
pub fn propose_change(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    ods: &str,
    form: &super::practice_form::PracticeForm,
    note: &str,
) -> AppResult<()> {
    let code = super::model::PracticeCode::parse("code", ods).map_err(|_| AppError::NotFound)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let practice = Practice::find_by_code(c, code.as_str())?.ok_or(AppError::NotFound)?;
        if !actor.grants().represents_practice(practice.id) {
            return Err(AppError::Forbidden(format!(
                "Only {}'s own representatives can propose changes to it.",
                practice.name
            )));
        }
        let before = practice.details();
        let after = form.checked_details(Some(&before)).map_err(AppError::Invalid)?;
        let note = note.trim();
        if note.chars().count() > 2000 {
            return Err(AppError::invalid("note", "Note must be 2,000 characters or less"));
        }
        let changes = super::import::differences(&before, &after);
        if changes.is_empty() && note.is_empty() {
            return Err(AppError::invalid(
                "name",
                "Change at least one detail, or write a note for the administrators",
            ));
        }
        let proposed = serde_json::to_string(form).map_err(|e| AppError::Internal(format!("proposal: {e}")))?;
        super::store::change_requests::insert(c, practice.id, actor.id, &proposed, note, Utc::now().naive_utc())?;
        let organisation = Organisation::of_practice_on(c, practice.id, Utc::now().date_naive())?;
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: organisation.map(|o| o.id),
                action: "practice.change_proposed",
                object_kind: "practice",
                object_key: &practice.ods_code,
                summary: if changes.is_empty() {
                    format!("note: {note}")
                } else {
                    describe_field_changes(&changes)
                },
            },
        )?;
        Ok(())
    })
}

/// A pending proposal with what it would change.
pub struct Proposal {
    pub id: i32,
    pub practice_code: String,
    pub practice_name: String,
    pub requested_by: String,
    pub created_at: chrono::NaiveDateTime,
    pub changes: Vec<super::import::FieldChange>,
    pub note: String,
}

fn administered_organisation(pool: &Pool, grants: &Grants, code: &str) -> AppResult<Overseen> {
    let organisation = overseen_organisation(pool, grants, code)?;
    let administers = grants.administers_organisation(organisation.id);
    if !administers {
        return Err(AppError::Forbidden(format!(
            "Only administrators of {} can decide on proposed changes.",
            organisation.summary.name
        )));
    }
    Ok(organisation)
}

pub fn proposals(pool: &Pool, grants: &Grants, code: &str) -> AppResult<(Overseen, Vec<Proposal>)> {
    let organisation = administered_organisation(pool, grants, code)?;
    let mut conn = pool.get()?;
    let requests = super::store::change_requests::pending_for(&mut conn, organisation.id)?;
    let mut proposals = Vec::new();
    for request in requests {
        let practice = Practice::find_by_code(&mut conn, &request.practice_code)?.ok_or(AppError::NotFound)?;
        let form: super::practice_form::PracticeForm = serde_json::from_str(&request.proposed)
            .map_err(|e| AppError::Internal(format!("proposal {}: {e}", request.id)))?;
        let changes = form
            .checked_details(Some(&practice.details()))
            .map(|after| super::import::differences(&practice.details(), &after))
            .unwrap_or_default();
        proposals.push(Proposal {
            id: request.id,
            practice_code: request.practice_code,
            practice_name: request.practice_name,
            requested_by: request.requested_by,
            created_at: request.created_at,
            changes,
            note: request.note,
        });
    }
    Ok((organisation, proposals))
}

/// Approves (applying the details) or rejects a proposal, in one transaction.
pub fn decide_proposal(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    code: &str,
    id: i32,
    approve: bool,
) -> AppResult<String> {
    let organisation = administered_organisation(pool, &actor.grants(), code)?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let request = super::store::change_requests::pending_for(c, organisation.id)?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)?;
        let practice = Practice::find_by_code(c, &request.practice_code)?.ok_or(AppError::NotFound)?;
        let members = Organisation::with_ids(c, &[organisation.id])?;
        if approve {
            let form: super::practice_form::PracticeForm = serde_json::from_str(&request.proposed)
                .map_err(|e| AppError::Internal(format!("proposal {id}: {e}")))?;
            apply_details(c, actor, &practice, members.first(), &form, "practice.change_approved")?;
        } else {
            crate::audit::service::record(
                c,
                &actor.actor(),
                crate::audit::service::Event {
                    organisation_id: Some(organisation.id),
                    action: "practice.change_rejected",
                    object_kind: "practice",
                    object_key: &practice.ods_code,
                    summary: format!("rejected the change proposed by {}", request.requested_by),
                },
            )?;
        }
        let state = if approve { "approved" } else { "rejected" };
        if super::store::change_requests::decide(c, id, state, actor.id, Utc::now().naive_utc())? != 1 {
            return Err(AppError::Conflict(
                "Someone else decided on this proposal first.".into(),
            ));
        }
        Ok(practice.name)
    })
}

/// Records that an LMC covers (or no longer covers) an organisation; its
/// observers then see (or stop seeing) the organisation. System
/// administrators only; audited.
pub fn set_lmc_coverage(
    pool: &Pool,
    actor: &crate::accounts::service::SessionUser,
    code: &str,
    lmc_code: &str,
    covers: bool,
) -> AppResult<String> {
    if !actor.grants().is_system_admin() {
        return Err(AppError::Forbidden(
            "Only system administrators can change which LMC covers an organisation.".into(),
        ));
    }
    let code = OrganisationCode::parse("code", code).map_err(|_| AppError::NotFound)?;
    let lmc_code = OrganisationCode::parse("lmc", lmc_code).map_err(|e| AppError::Invalid(vec![e]))?;
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let organisation = Organisation::find_by_code(c, code.as_str())?.ok_or(AppError::NotFound)?;
        let lmc = Organisation::find_by_code(c, lmc_code.as_str())?
            .filter(|o| o.kind == "lmc")
            .ok_or_else(|| {
                AppError::invalid(
                    "lmc",
                    format!(
                        "There is no local medical committee with ODS code {}",
                        lmc_code.as_str()
                    ),
                )
            })?;
        let covering = Organisation::covering_lmcs(c, organisation.id)?;
        let already = covering.iter().any(|l| l.id == lmc.id);
        match (covers, already) {
            (true, true) => {
                return Err(AppError::invalid(
                    "lmc",
                    format!("{} already covers {}", lmc.name, organisation.name),
                ));
            }
            (false, false) => return Err(AppError::NotFound),
            (true, false) => {
                Organisation::add_covering_lmc(c, organisation.id, lmc.id)?;
            }
            (false, true) => {
                Organisation::remove_covering_lmc(c, organisation.id, lmc.id)?;
            }
        }
        crate::audit::service::record(
            c,
            &actor.actor(),
            crate::audit::service::Event {
                organisation_id: Some(organisation.id),
                action: if covers {
                    "organisation.lmc_added"
                } else {
                    "organisation.lmc_removed"
                },
                object_kind: "organisation",
                object_key: &organisation.ods_code,
                summary: format!(
                    "{} {} {}",
                    lmc.name,
                    if covers { "now covers" } else { "no longer covers" },
                    organisation.name
                ),
            },
        )?;
        Ok(lmc.name)
    })
}
