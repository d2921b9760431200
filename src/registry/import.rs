//! Importing NHS files into the register: first a plan of what would
//! change (the dry run), then the same plan applied in one transaction.
//! Importing the same file twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::ods::{self, EpraccurFormat, LineError, PracticeRow};
use super::store::{Organisation, Practice, PracticeDetails, list_sizes};
use crate::audit::model::Actor;
use crate::audit::service::{Event, record};
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult, FieldError};

/// Largest file accepted (the national epraccur file is about 5 MB).
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PracticeChange {
    pub code: String,
    pub name: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PracticeRef {
    pub code: String,
    pub name: String,
}

/// What importing an epraccur file would do to one organisation.
#[derive(Debug, Clone, Serialize)]
pub struct OrganisationPlan {
    pub code: String,
    pub name: String,
    /// New to the register.
    pub added: Vec<PracticeRef>,
    /// In the register already, now joining this organisation.
    pub joined: Vec<PracticeRef>,
    pub changed: Vec<PracticeChange>,
    /// Changed to closed (also listed under changed).
    pub closed: Vec<PracticeRef>,
    /// Members no longer in the file for this organisation.
    pub left: Vec<PracticeRef>,
    pub unchanged: usize,
    /// Active members after the import.
    pub active_members: usize,
}

impl OrganisationPlan {
    pub fn changes_anything(&self) -> bool {
        !(self.added.is_empty() && self.joined.is_empty() && self.changed.is_empty() && self.left.is_empty())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PracticeImportPlan {
    pub format: Option<EpraccurFormat>,
    pub total_rows: usize,
    pub organisations: Vec<OrganisationPlan>,
    pub errors: Vec<LineError>,
}

fn file_too_large(bytes: &[u8]) -> AppResult<()> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid(
            "file",
            format!(
                "The selected file must be smaller than {} MB",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        ));
    }
    Ok(())
}

fn file_error(e: ods::FileError) -> AppError {
    AppError::invalid("file", e.0)
}

fn details(row: &PracticeRow) -> PracticeDetails {
    let [a1, a2, a3, a4, a5] = row.address.clone();
    PracticeDetails {
        name: row.name.clone(),
        address_1: a1,
        address_2: a2,
        address_3: a3,
        address_4: a4,
        address_5: a5,
        postcode: row.postcode.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        status: row.status.as_str().to_owned(),
        opened_on: row.opened_on,
        closed_on: row.closed_on,
        telephone: row.telephone.clone(),
        prescribing_setting: row.prescribing_setting.clone(),
    }
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(crate::time::day).unwrap_or_default()
}

pub fn differences(before: &PracticeDetails, after: &PracticeDetails) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut compare = |field: &'static str, b: String, a: String| {
        if b != a {
            changes.push(FieldChange {
                field,
                before: b,
                after: a,
            });
        }
    };
    compare("name", before.name.clone(), after.name.clone());
    compare("address line 1", before.address_1.clone(), after.address_1.clone());
    compare("address line 2", before.address_2.clone(), after.address_2.clone());
    compare("address line 3", before.address_3.clone(), after.address_3.clone());
    compare("address line 4", before.address_4.clone(), after.address_4.clone());
    compare("address line 5", before.address_5.clone(), after.address_5.clone());
    compare("postcode", before.postcode.clone(), after.postcode.clone());
    compare("status", before.status.clone(), after.status.clone());
    compare("open date", date_text(before.opened_on), date_text(after.opened_on));
    compare("close date", date_text(before.closed_on), date_text(after.closed_on));
    compare("telephone", before.telephone.clone(), after.telephone.clone());
    compare(
        "prescribing setting",
        before.prescribing_setting.clone(),
        after.prescribing_setting.clone(),
    );
    changes
}

/// Everything the plan was computed from, so applying does exactly what
/// the plan said.
struct Prepared {
    plan: PracticeImportPlan,
    rows_by_org: HashMap<String, Vec<PracticeRow>>,
    organisations: Vec<Organisation>,
    existing: HashMap<String, Practice>,
    members: HashMap<i32, HashSet<i32>>,
}

fn prepare(conn: &mut DbConn, organisation_codes: &[String], bytes: &[u8]) -> AppResult<Prepared> {
    file_too_large(bytes)?;
    let mut organisations = Vec::new();
    for code in organisation_codes {
        let organisation = Organisation::find_by_code(conn, code)?
            .ok_or_else(|| AppError::invalid("org", format!("There is no organisation with ODS code {code}")))?;
        organisations.push(organisation);
    }
    let commissioners: Vec<&str> = organisations.iter().map(|o| o.ods_code.as_str()).collect();
    let extract = ods::read_epraccur(bytes, &commissioners).map_err(file_error)?;

    let codes: Vec<String> = extract.rows.iter().map(|r| r.code.as_str().to_owned()).collect();
    let mut existing: HashMap<String, Practice> = Practice::with_codes(conn, &codes)?
        .into_iter()
        .map(|p| (p.ods_code.clone(), p))
        .collect();
    let mut members: HashMap<i32, HashSet<i32>> = HashMap::new();
    for organisation in &organisations {
        let current = Practice::current_members(conn, organisation.id)?;
        members.insert(organisation.id, current.iter().map(|p| p.id).collect());
        for practice in current {
            existing.entry(practice.ods_code.clone()).or_insert(practice);
        }
    }

    let mut rows_by_org: HashMap<String, Vec<PracticeRow>> = HashMap::new();
    for row in extract.rows {
        rows_by_org.entry(row.commissioner.clone()).or_default().push(row);
    }

    let mut plans = Vec::new();
    for organisation in &organisations {
        let rows = rows_by_org
            .get(&organisation.ods_code)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let current = members.get(&organisation.id).cloned().unwrap_or_default();
        let mut plan = OrganisationPlan {
            code: organisation.ods_code.clone(),
            name: organisation.name.clone(),
            added: Vec::new(),
            joined: Vec::new(),
            changed: Vec::new(),
            closed: Vec::new(),
            left: Vec::new(),
            unchanged: 0,
            active_members: rows
                .iter()
                .filter(|r| r.status == super::model::PracticeStatus::Active)
                .count(),
        };
        let mut in_file = HashSet::new();
        for row in rows {
            let reference = PracticeRef {
                code: row.code.as_str().to_owned(),
                name: row.name.clone(),
            };
            let new_details = details(row);
            match existing.get(row.code.as_str()) {
                None => plan.added.push(reference),
                Some(practice) => {
                    in_file.insert(practice.id);
                    let changes = differences(&practice.details(), &new_details);
                    if !current.contains(&practice.id) {
                        plan.joined.push(reference.clone());
                    }
                    if changes.is_empty() {
                        if current.contains(&practice.id) {
                            plan.unchanged += 1;
                        }
                    } else {
                        if new_details.status == "closed" && practice.status != "closed" {
                            plan.closed.push(reference.clone());
                        }
                        plan.changed.push(PracticeChange {
                            code: reference.code,
                            name: reference.name,
                            changes,
                        });
                    }
                }
            }
        }
        for practice in existing.values() {
            if current.contains(&practice.id) && !in_file.contains(&practice.id) {
                plan.left.push(PracticeRef {
                    code: practice.ods_code.clone(),
                    name: practice.name.clone(),
                });
            }
        }
        plan.left.sort_by(|a, b| a.code.cmp(&b.code));
        plans.push(plan);
    }
    Ok(Prepared {
        plan: PracticeImportPlan {
            format: extract.format,
            total_rows: extract.total_rows,
            organisations: plans,
            errors: extract.errors,
        },
        rows_by_org,
        organisations,
        existing,
        members,
    })
}

/// The dry run: what importing the file would change. Writes nothing.
pub fn plan_practices(pool: &Pool, organisation_codes: &[String], bytes: &[u8]) -> AppResult<PracticeImportPlan> {
    let mut conn = pool.get()?;
    Ok(prepare(&mut conn, organisation_codes, bytes)?.plan)
}

fn refuse_bad_rows(errors: &[LineError]) -> AppError {
    AppError::Invalid(
        errors
            .iter()
            .map(|e| FieldError::new("file", format!("Line {}: {}", e.line, e.message)))
            .collect(),
    )
}

/// Applies the import in one transaction: all of it or nothing. With bad
/// rows it refuses unless `skip_bad_rows`.
pub fn apply_practices(
    pool: &Pool,
    actor: &Actor,
    organisation_codes: &[String],
    bytes: &[u8],
    skip_bad_rows: bool,
) -> AppResult<PracticeImportPlan> {
    let digest = crate::token::digest_bytes(bytes);
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let prepared = prepare(c, organisation_codes, bytes)?;
        if !prepared.plan.errors.is_empty() && !skip_bad_rows {
            return Err(refuse_bad_rows(&prepared.plan.errors));
        }
        let now = Utc::now().naive_utc();
        let today = now.date();
        for (organisation, plan) in prepared.organisations.iter().zip(&prepared.plan.organisations) {
            let rows = prepared
                .rows_by_org
                .get(&organisation.ods_code)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let current = prepared.members.get(&organisation.id).cloned().unwrap_or_default();
            let new_rows: Vec<&PracticeRow> = rows
                .iter()
                .filter(|r| !prepared.existing.contains_key(r.code.as_str()))
                .collect();
            Practice::insert_all(
                c,
                new_rows
                    .iter()
                    .map(|r| (r.code.as_str().to_owned(), details(r)))
                    .collect(),
                now,
            )?;
            let new_codes: Vec<String> = new_rows.iter().map(|r| r.code.as_str().to_owned()).collect();
            let inserted: HashMap<String, i32> = Practice::with_codes(c, &new_codes)?
                .into_iter()
                .map(|p| (p.ods_code, p.id))
                .collect();

            let mut joins = Vec::new();
            for row in rows {
                let joined_on = row.joined_on.or(row.opened_on).unwrap_or(today);
                match prepared.existing.get(row.code.as_str()) {
                    None => {
                        if let Some(id) = inserted.get(row.code.as_str()) {
                            joins.push((*id, joined_on));
                        }
                    }
                    Some(practice) => {
                        let new_details = details(row);
                        if practice.details() != new_details {
                            Practice::update_details(c, practice.id, &new_details)?;
                        }
                        if !current.contains(&practice.id) {
                            joins.push((practice.id, joined_on.min(today)));
                        }
                    }
                }
            }
            Practice::join_all(c, organisation.id, &joins)?;
            for left in &plan.left {
                if let Some(practice) = prepared.existing.get(&left.code) {
                    Practice::leave(c, practice.id, organisation.id, today)?;
                }
            }
            if plan.changes_anything() {
                record(
                    c,
                    actor,
                    Event {
                        organisation_id: Some(organisation.id),
                        action: "register.import_practices",
                        object_kind: "organisation",
                        object_key: &organisation.ods_code,
                        summary: format!(
                            "epraccur import (file SHA-256 {digest}): {} added, {} joined, {} changed, {} closed, {} left",
                            plan.added.len(),
                            plan.joined.len(),
                            plan.changed.len(),
                            plan.closed.len(),
                            plan.left.len()
                        ),
                    },
                )?;
            }
        }
        Ok(prepared.plan)
    })
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListSizeChange {
    pub code: String,
    pub name: String,
    pub before: i32,
    pub after: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListSizePlan {
    pub extract_dates: Vec<NaiveDate>,
    pub added: usize,
    pub changed: Vec<ListSizeChange>,
    pub unchanged: usize,
    /// Rows for practices that are not in the register (ignored).
    pub not_in_register: usize,
    pub errors: Vec<LineError>,
}

struct PreparedSizes {
    plan: ListSizePlan,
    inserts: Vec<(i32, NaiveDate, i32)>,
    updates: Vec<(i32, NaiveDate, i32)>,
}

fn prepare_sizes(conn: &mut DbConn, bytes: &[u8]) -> AppResult<PreparedSizes> {
    file_too_large(bytes)?;
    let extract = ods::read_list_sizes(bytes).map_err(file_error)?;
    let codes: Vec<String> = extract.rows.iter().map(|r| r.code.as_str().to_owned()).collect();
    let practices: HashMap<String, Practice> = Practice::with_codes(conn, &codes)?
        .into_iter()
        .map(|p| (p.ods_code.clone(), p))
        .collect();
    let mut dates: Vec<NaiveDate> = extract.rows.iter().map(|r| r.extract_date).collect();
    dates.sort();
    dates.dedup();
    let mut recorded: HashMap<(i32, NaiveDate), i32> = HashMap::new();
    for date in &dates {
        for (practice_id, patients) in list_sizes::on_date(conn, *date)? {
            recorded.insert((practice_id, *date), patients);
        }
    }
    let mut prepared = PreparedSizes {
        plan: ListSizePlan {
            extract_dates: dates,
            added: 0,
            changed: Vec::new(),
            unchanged: 0,
            not_in_register: 0,
            errors: extract.errors,
        },
        inserts: Vec::new(),
        updates: Vec::new(),
    };
    for row in &extract.rows {
        let Some(practice) = practices.get(row.code.as_str()) else {
            prepared.plan.not_in_register += 1;
            continue;
        };
        match recorded.get(&(practice.id, row.extract_date)) {
            None => {
                prepared.plan.added += 1;
                prepared.inserts.push((practice.id, row.extract_date, row.patients));
            }
            Some(before) if *before != row.patients => {
                prepared.plan.changed.push(ListSizeChange {
                    code: practice.ods_code.clone(),
                    name: practice.name.clone(),
                    before: *before,
                    after: row.patients,
                });
                prepared.updates.push((practice.id, row.extract_date, row.patients));
            }
            Some(_) => prepared.plan.unchanged += 1,
        }
    }
    // Bad rows are named first: they may be why the rest matched nothing.
    if prepared.plan.errors.is_empty()
        && !extract.rows.is_empty()
        && prepared.plan.not_in_register == extract.rows.len()
    {
        return Err(AppError::invalid(
            "file",
            format!(
                "None of the {} practices in this file are in the register. Import the practices (epraccur) first.",
                extract.rows.len()
            ),
        ));
    }
    Ok(prepared)
}

pub fn plan_list_sizes(pool: &Pool, bytes: &[u8]) -> AppResult<ListSizePlan> {
    let mut conn = pool.get()?;
    Ok(prepare_sizes(&mut conn, bytes)?.plan)
}

pub fn apply_list_sizes(pool: &Pool, actor: &Actor, bytes: &[u8], skip_bad_rows: bool) -> AppResult<ListSizePlan> {
    let digest = crate::token::digest_bytes(bytes);
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let prepared = prepare_sizes(c, bytes)?;
        if !prepared.plan.errors.is_empty() && !skip_bad_rows {
            return Err(refuse_bad_rows(&prepared.plan.errors));
        }
        let now = Utc::now().naive_utc();
        list_sizes::insert_all(c, &prepared.inserts, now)?;
        for (practice_id, date, patients) in &prepared.updates {
            list_sizes::update(c, *practice_id, *date, *patients, now)?;
        }
        if !(prepared.inserts.is_empty() && prepared.updates.is_empty()) {
            let dates: Vec<String> = prepared.plan.extract_dates.iter().map(|d| d.to_string()).collect();
            record(
                c,
                actor,
                Event {
                    organisation_id: None,
                    action: "register.import_list_sizes",
                    object_kind: "list_sizes",
                    object_key: &dates.join(","),
                    summary: format!(
                        "list size import (file SHA-256 {digest}): {} added, {} changed, {} not in the register",
                        prepared.plan.added,
                        prepared.plan.changed.len(),
                        prepared.plan.not_in_register
                    ),
                },
            )?;
        }
        Ok(prepared.plan)
    })
}

/// What a web upload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Practices,
    ListSizes,
}

impl UploadKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "practices" => Some(UploadKind::Practices),
            "list_sizes" => Some(UploadKind::ListSizes),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::Practices => "practices",
            UploadKind::ListSizes => "list_sizes",
        }
    }
}

/// The plan of an uploaded file.
pub enum UploadPlan {
    Practices(PracticeImportPlan),
    ListSizes(ListSizePlan),
}

impl UploadPlan {
    pub fn errors(&self) -> &[LineError] {
        match self {
            UploadPlan::Practices(p) => &p.errors,
            UploadPlan::ListSizes(p) => &p.errors,
        }
    }
}

pub struct StagedUpload {
    pub file_name: String,
    pub plan: UploadPlan,
}

/// How long an uploaded file waits for confirmation.
const UPLOAD_KEPT_FOR: chrono::Duration = chrono::Duration::days(1);

fn plan_for(pool: &Pool, organisation_code: &str, kind: UploadKind, bytes: &[u8]) -> AppResult<UploadPlan> {
    Ok(match kind {
        UploadKind::Practices => UploadPlan::Practices(plan_practices(pool, &[organisation_code.to_owned()], bytes)?),
        UploadKind::ListSizes => UploadPlan::ListSizes(plan_list_sizes(pool, bytes)?),
    })
}

/// Checks an uploaded file by planning its import; keeps it for the
/// confirmation and returns the token that names it.
pub fn stage_upload(
    pool: &Pool,
    organisation_id: i32,
    organisation_code: &str,
    uploaded_by: i32,
    kind: UploadKind,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<String> {
    plan_for(pool, organisation_code, kind, bytes)?;
    let token = crate::token::link_token();
    let now = Utc::now().naive_utc();
    let mut conn = pool.get()?;
    super::store::pending_imports::delete_older_than(&mut conn, now - UPLOAD_KEPT_FOR)?;
    super::store::pending_imports::insert(
        &mut conn,
        &super::store::pending_imports::NewPendingImport {
            token: &token,
            organisation_id,
            kind: kind.as_str(),
            file_name,
            content: bytes,
            uploaded_by,
            created_at: now,
        },
    )?;
    Ok(token)
}

fn staged(
    conn: &mut DbConn,
    organisation_id: i32,
    token: &str,
) -> AppResult<super::store::pending_imports::PendingImport> {
    let gone = || AppError::Gone("This upload has already been imported or has expired. Upload the file again.".into());
    let pending = super::store::pending_imports::find(conn, token, organisation_id)?.ok_or_else(gone)?;
    if pending.created_at < Utc::now().naive_utc() - UPLOAD_KEPT_FOR {
        return Err(gone());
    }
    Ok(pending)
}

/// The preview of a staged upload, planned against the register as it is now.
pub fn staged_plan(pool: &Pool, organisation_id: i32, organisation_code: &str, token: &str) -> AppResult<StagedUpload> {
    let pending = {
        let mut conn = pool.get()?;
        staged(&mut conn, organisation_id, token)?
    };
    let kind = UploadKind::parse(&pending.kind).ok_or_else(|| AppError::Internal("unknown upload kind".into()))?;
    Ok(StagedUpload {
        plan: plan_for(pool, organisation_code, kind, &pending.content)?,
        file_name: pending.file_name,
    })
}

/// Imports a staged upload (all or nothing) and forgets the file.
pub fn confirm_upload(
    pool: &Pool,
    actor: &Actor,
    organisation_id: i32,
    organisation_code: &str,
    token: &str,
    skip_bad_rows: bool,
) -> AppResult<UploadPlan> {
    let pending = {
        let mut conn = pool.get()?;
        staged(&mut conn, organisation_id, token)?
    };
    let plan = match UploadKind::parse(&pending.kind) {
        Some(UploadKind::Practices) => UploadPlan::Practices(apply_practices(
            pool,
            actor,
            &[organisation_code.to_owned()],
            &pending.content,
            skip_bad_rows,
        )?),
        Some(UploadKind::ListSizes) => {
            UploadPlan::ListSizes(apply_list_sizes(pool, actor, &pending.content, skip_bad_rows)?)
        }
        None => return Err(AppError::Internal("unknown upload kind".into())),
    };
    let mut conn = pool.get()?;
    super::store::pending_imports::delete(&mut conn, pending.id)?;
    Ok(plan)
}
