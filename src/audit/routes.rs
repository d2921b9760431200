//! An organisation's audit log, for those who run or observe it: filter,
//! page, check the chain, download as CSV.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::service;
use super::store::Filter;
use crate::error::{AppError, AppResult};
use crate::format::SafeCsv;
use crate::registry::service::overseen_organisation;
use crate::web::auth::CurrentUser;
use crate::web::page::Ui;

const PER_PAGE: i64 = 100;
/// The CSV download's limit: far above any organisation's year.
const CSV_LIMIT: i64 = 1_000_000;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct AuditQuery {
    action: String,
    text: String,
    from: String,
    until: String,
    page: String,
    check: String,
}

impl AuditQuery {
    fn filter(&self) -> AppResult<Filter> {
        let day = |field: &str, text: &str| -> AppResult<Option<chrono::NaiveDateTime>> {
            match text.trim() {
                "" => Ok(None),
                t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0))
                    .map_err(|_| AppError::BadRequest(format!("{field} must be a date like 2026-12-01, not \"{t}\""))),
            }
        };
        let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Filter {
            action: text(&self.action),
            text: text(&self.text),
            from: day("from", &self.from)?,
            // Up to the end of the day given.
            until: day("until", &self.until)?.map(|d| d + chrono::Duration::days(1)),
        })
    }

    fn page(&self) -> AppResult<i64> {
        match self.page.trim() {
            "" => Ok(1),
            p => p
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| AppError::BadRequest(format!("page must be a whole number from 1, not \"{p}\""))),
        }
    }

    fn query_string(&self, page: i64) -> String {
        let mut q = self.clone();
        q.page = page.to_string();
        q.check = String::new();
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct EntryRow {
    id: i32,
    at: String,
    actor: String,
    action: String,
    object: String,
    summary: String,
}

/// The kinds of entry the filter offers, in words, by the start of their
/// action codes.
const KINDS: [(&str, &str); 9] = [
    ("", "Every kind of entry"),
    ("ballot.", "Ballots: drafts, publication, the timetable, the count"),
    ("ballot.vote", "Votes cast (who voted, never how in a secret ballot)"),
    ("certificate.", "Certificates of result and signing keys"),
    ("consultation.", "Consultations: papers, questions, answers, responses"),
    ("practice.", "Member practices and their representatives"),
    ("register.", "Imports of NHS files into the register"),
    ("organisation.", "The organisation, its constitution settings and LMCs"),
    ("account.", "Accounts: invitations, passwords, tokens, sign-in"),
];

#[derive(Serialize)]
struct KindChoice {
    value: String,
    label: String,
    selected: bool,
}

/// The kinds to choose from; an action typed into the address that is not
/// one of them is offered too, so the page shows what it filters by.
fn kind_choices(current: &str) -> Vec<KindChoice> {
    let mut choices: Vec<KindChoice> = KINDS
        .iter()
        .map(|(value, label)| KindChoice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == current,
        })
        .collect();
    if !current.is_empty() && !KINDS.iter().any(|(value, _)| *value == current) {
        choices.push(KindChoice {
            value: current.to_owned(),
            label: format!("Entries whose action starts with \"{current}\""),
            selected: true,
        });
    }
    choices
}

#[derive(Serialize)]
struct AuditPage {
    organisation: String,
    code: String,
    kinds: Vec<KindChoice>,
    query: AuditQuery,
    rows: Vec<EntryRow>,
    total: String,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
    csv: String,
    checked: bool,
    chain: String,
    chain_intact: bool,
}

pub async fn log(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let filter = query.filter()?;
    let page = query.page()?;
    let grants = user.grants();
    let code = code.into_inner();
    let check = !query.check.is_empty();
    let lookup = code.clone();
    let (organisation, (entries, total), chain) = ui
        .state()
        .run(move |pool| {
            let organisation = overseen_organisation(pool, &grants, &lookup)?;
            let entries = service::page_of(pool, organisation.id, &filter, PER_PAGE, (page - 1) * PER_PAGE)?;
            let chain = if check {
                Some(service::verify_for(pool, Some(organisation.id))?)
            } else {
                None
            };
            Ok((organisation, entries, chain))
        })
        .await?;
    let base = format!("/organisations/{}/audit", organisation.summary.code);
    let (chain_text, chain_intact) = match chain {
        Some(Ok(n)) => (
            format!("The whole chain is intact; {n} of its entries are this organisation's."),
            true,
        ),
        Some(Err(id)) => (
            format!(
                "Entry {id} does not match the chain: it or an entry before it was edited, deleted, reordered or inserted."
            ),
            false,
        ),
        None => (String::new(), false),
    };
    let page_view = AuditPage {
        organisation: organisation.summary.name.clone(),
        code: organisation.summary.code.clone(),
        kinds: kind_choices(query.action.trim()),
        rows: entries
            .into_iter()
            .map(|e| EntryRow {
                id: e.id,
                at: crate::time::date_time(e.entry.at),
                actor: e.entry.actor,
                action: e.entry.action,
                object: format!("{} {}", e.entry.object_kind, e.entry.object_key),
                summary: e.entry.summary,
            })
            .collect(),
        total: crate::format::plural(usize::try_from(total).unwrap_or(0), "entry", "entries"),
        page,
        previous: (page > 1).then(|| format!("{base}?{}", query.query_string(page - 1))),
        next: (page * PER_PAGE < total).then(|| format!("{base}?{}", query.query_string(page + 1))),
        csv: format!("{base}.csv?{}", query.query_string(1)),
        checked: chain.is_some(),
        chain: chain_text,
        chain_intact,
        query,
    };
    ui.page("audit/log", "Audit log", &page_view)
}

pub async fn log_csv(
    ui: Ui,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.filter()?;
    let grants = user.grants();
    let code = code.into_inner();
    let lookup = code.clone();
    let csv = ui
        .state()
        .run(move |pool| {
            let organisation = overseen_organisation(pool, &grants, &lookup)?;
            let (entries, _) = service::page_of(pool, organisation.id, &filter, CSV_LIMIT, 0)?;
            let mut writer = csv::Writer::from_writer(Vec::new());
            let write_error = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
            writer
                .write_safe([
                    "id",
                    "at_utc",
                    "actor",
                    "action",
                    "object_kind",
                    "object_key",
                    "summary",
                    "previous_hash",
                    "hash",
                ])
                .map_err(write_error)?;
            for e in entries.into_iter().rev() {
                writer
                    .write_safe([
                        e.id.to_string(),
                        e.entry.at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                        e.entry.actor,
                        e.entry.action,
                        e.entry.object_kind,
                        e.entry.object_key,
                        e.entry.summary,
                        e.previous_hash,
                        e.hash,
                    ])
                    .map_err(write_error)?;
            }
            let bytes = writer
                .into_inner()
                .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
            String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"audit-{}.csv\"", code.to_ascii_uppercase()),
        ))
        .body(csv))
}
