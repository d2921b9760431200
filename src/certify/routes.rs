//! Public pages of certified results: the certificate (printable, with a
//! QR code to its verification), the bulletin board, checking a receipt,
//! verifying any certificate, an organisation's public key; and issuing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::model::{Check, Signed, all_passed};
use super::service;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::AppState;
use crate::web::auth::{ApiUser, CurrentUser, MaybeUser};
use crate::web::csrf::CsrfForm;
use crate::web::json::OptionalApiJson;
use crate::web::page::Ui;
use crate::web::render::Flash;

fn ballot_id(raw: &str) -> AppResult<i32> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize)]
struct Row {
    key: String,
    value: String,
}

fn row(key: &str, value: impl Into<String>) -> Row {
    Row {
        key: key.to_owned(),
        value: value.into(),
    }
}

#[derive(Serialize)]
struct TallyLine {
    scope: String,
    option: String,
    practices: u64,
    weight: u64,
}

#[derive(Serialize)]
struct CertificatePage {
    ballot: i32,
    /// Links to pages that need an account only for someone signed in.
    signed_in: bool,
    issued: bool,
    may_issue: bool,
    title: String,
    organisation: String,
    outcome: String,
    details: Vec<Row>,
    tally: Vec<TallyLine>,
    statements: Vec<String>,
    officer: String,
    officer_statement: String,
    id: String,
    qr: String,
    verify_url: String,
    fingerprint: String,
}

/// A time from a certificate (RFC 3339, UTC) as people read it, in UK
/// time; anything else as it is.
fn people_time(stamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .map(|t| crate::time::date_time(t.naive_utc()))
        .unwrap_or_else(|_| stamp.to_owned())
}

fn plural_u64(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", crate::format::count(n), if n == 1 { one } else { many })
}

fn certificate_page(signed: &Signed, base_url: &str) -> CertificatePage {
    let c = &signed.certificate;
    let verify_url = format!("{base_url}/verify?certificate={}", c.id);
    let label = |key: &str| {
        c.ballot
            .options
            .iter()
            .find(|o| o.key == key)
            .map_or_else(|| key.to_owned(), |o| o.label.clone())
    };
    let mut tally: Vec<TallyLine> = c
        .result
        .overall
        .tally
        .options
        .iter()
        .map(|(key, v)| TallyLine {
            scope: "Overall".into(),
            option: label(key),
            practices: v.practices,
            weight: v.weight,
        })
        .collect();
    for (name, count) in &c.result.constituencies {
        tally.extend(count.tally.options.iter().map(|(key, v)| TallyLine {
            scope: name.clone(),
            option: label(key),
            practices: v.practices,
            weight: v.weight,
        }));
    }
    let notices = &c.timeline.notices;
    let mut details = vec![];
    if let Some(rerun) = &c.timeline.rerun_of {
        details.push(row(
            "Re-run of",
            format!(
                "Ballot {} (\"{}\"), declared void at {}: {}",
                rerun.ballot_id,
                rerun.title,
                people_time(&rerun.voided_at),
                rerun.reason
            ),
        ));
    }
    for s in &c.timeline.suspensions {
        details.push(row(
            "Voting suspended",
            format!(
                "From {} to {}: {}. The close moved from {} to {}{}",
                people_time(&s.suspended_at),
                people_time(&s.resumed_at),
                s.reason,
                people_time(&s.closes_at_before),
                people_time(&s.closes_at_after),
                s.short_reason
                    .as_deref()
                    .map(|r| format!(", less than the voting time that was left: {r}"))
                    .unwrap_or_default()
            ),
        ));
    }
    CertificatePage {
        signed_in: false,
        ballot: c.ballot.id,
        issued: true,
        may_issue: false,
        title: c.ballot.title.clone(),
        organisation: format!("{} ({})", c.organisation.name, c.organisation.code),
        outcome: c.outcome_in_words.clone(),
        details: vec![
            row("Question", c.ballot.question.clone()),
            row("Practices entitled to vote", crate::format::count(c.votes.entitled)),
            row(
                "Votes cast",
                format!(
                    "{} ({}), weight {} of {}",
                    plural_u64(c.votes.cast, "practice", "practices"),
                    c.votes.turnout,
                    crate::format::count(c.votes.weight_cast),
                    crate::format::count(c.electorate.weight)
                ),
            ),
            row(
                "Papers rejected at the count",
                crate::format::count(c.votes.rejected_at_count),
            ),
            row("Quorum", if c.quorum_met { "Met" } else { "Not met" }),
            row(
                "Notices of ballot",
                format!(
                    "{} written: {} sent, {} failed, {} waiting; {} no nominated voting representative",
                    notices.written,
                    notices.sent,
                    notices.failed,
                    notices.pending,
                    plural_u64(
                        u64::try_from(notices.practices_without_representative).unwrap_or(0),
                        "practice had",
                        "practices had"
                    )
                ),
            ),
            row("Published", people_time(&c.timeline.published_at)),
            row("Voting opened", people_time(&c.timeline.opened_at)),
            row(
                "Voting was to close",
                match &c.timeline.original_closes_at {
                    Some(original) => format!(
                        "{} (extended from {}{})",
                        people_time(&c.timeline.closes_at),
                        people_time(original),
                        c.timeline
                            .extension_reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                    None => people_time(&c.timeline.closes_at),
                },
            ),
            row("Voting closed", people_time(&c.timeline.closed_at)),
            row("Counted", people_time(&c.timeline.counted_at)),
        ]
        .into_iter()
        .chain(details)
        .chain(vec![
            row("Electorate fingerprint (SHA-256)", c.electorate.digest.clone()),
            row("Bulletin board Merkle root", c.board.merkle_root.clone()),
            row("Audit log head at issue", c.audit_head.clone()),
            row("Issued", people_time(&c.issued_at)),
            row("Signing key fingerprint", c.key_fingerprint.clone()),
        ])
        .collect(),
        tally,
        statements: c.statements.clone(),
        officer: c.returning_officer.name.clone(),
        officer_statement: c.returning_officer.statement.clone(),
        id: c.id.clone(),
        qr: crate::web::render::qr_svg(&verify_url),
        verify_url,
        fingerprint: c.key_fingerprint.clone(),
    }
}

pub async fn certificate(ui: Ui, user: MaybeUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let signed = ui.state().run(move |pool| service::of_ballot(pool, id)).await?;
    match signed {
        Some(signed) => {
            let mut page = certificate_page(&signed, &ui.state().settings.base_url);
            page.signed_in = user.0.is_some();
            ui.page("certify/certificate", "Certificate of result", &page)
        }
        None => {
            // Not yet issued: the returning officer gets the form.
            let (title, may_issue) = match &user.0 {
                Some(user) => {
                    let grants = user.grants();
                    let (loaded, access) = ui
                        .state()
                        .run(move |pool| {
                            let mut conn = pool.get()?;
                            crate::ballots::service::visible(&mut conn, &grants, id)
                        })
                        .await?;
                    (
                        loaded.ballot.title,
                        access.runs && loaded.state == crate::ballots::model::BallotState::Counted,
                    )
                }
                None => return Err(AppError::NotFound),
            };
            let page = CertificatePage {
                signed_in: true,
                ballot: id,
                issued: false,
                may_issue,
                title,
                organisation: String::new(),
                outcome: String::new(),
                details: Vec::new(),
                tally: Vec::new(),
                statements: Vec::new(),
                officer: String::new(),
                officer_statement: String::new(),
                id: String::new(),
                qr: String::new(),
                verify_url: String::new(),
                fingerprint: String::new(),
            };
            ui.page("certify/certificate", "Certificate of result", &page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueForm {
    statement: String,
}

pub async fn issue(
    ui: Ui,
    user: CurrentUser,
    id: web::Path<String>,
    form: CsrfForm<IssueForm>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let actor = (*user.0).clone();
    let outbox = ui.state().outbox.clone();
    let data_dir = ui.state().settings.data_dir.clone();
    let statement = form.0.statement;
    ui.state()
        .run(move |pool| service::issue(pool, &outbox, &data_dir, &actor, id, &statement))
        .await?;
    Ok(ui.see_other(
        &format!("/ballots/{id}/certificate"),
        Some(Flash {
            heading: "Certificate issued".into(),
            body: Some("The electorate and the LMC are being told.".into()),
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    #[serde(default, deserialize_with = "crate::web::json::present")]
    statement: Option<String>,
}

/// `POST /api/v1/ballots/{id}/certificate`: what the page's "Issue the
/// certificate" does, for programs; answers with the signed certificate.
pub async fn issue_api(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<String>,
    body: OptionalApiJson<IssueBody>,
) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let statement = body.into_inner_or_default().statement.unwrap_or_default();
    let actor = user.0;
    let outbox = state.outbox.clone();
    let data_dir = state.settings.data_dir.clone();
    let signed = state
        .run(move |pool| service::issue(pool, &outbox, &data_dir, &actor, id, &statement))
        .await?;
    Ok(HttpResponse::Created().json(signed))
}

fn json_download(body: String, name: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

pub async fn certificate_json(state: web::Data<AppState>, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let signed = state
        .run(move |pool| service::of_ballot(pool, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let body = serde_json::to_string_pretty(&signed).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(json_download(
        body,
        format!("certificate-{}.json", signed.certificate.id),
    ))
}

pub async fn board_json(state: web::Data<AppState>, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let board = state.run(move |pool| service::board(pool, id)).await?;
    let body = serde_json::to_string_pretty(&board).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(json_download(body, format!("board-{id}.json")))
}

#[derive(Serialize)]
struct BoardPage {
    ballot: i32,
    title: String,
    root: String,
    verifiable: bool,
    papers: Vec<Row>,
    voters: Vec<String>,
    fingerprint: String,
    aggregates: usize,
    decryptions: usize,
    spoiled: usize,
}

pub async fn board(ui: Ui, id: web::Path<String>) -> AppResult<HttpResponse> {
    use super::model::BoardFile;
    let id = ballot_id(&id)?;
    let page = ui
        .state()
        .run(move |pool| {
            let board = service::board(pool, id)?;
            let mut conn = pool.get()?;
            let loaded = crate::ballots::service::load(&mut conn, id)?;
            let labels = |key: &str| loaded.paper_words(key);
            let page = match board {
                BoardFile::Plain(board) => BoardPage {
                    ballot: id,
                    title: loaded.ballot.title.clone(),
                    root: board.merkle_root.clone(),
                    verifiable: false,
                    papers: board
                        .papers
                        .iter()
                        .map(|p| {
                            row(
                                &p.receipt_digest,
                                format!("{} (weight {})", labels(&p.option), p.weight),
                            )
                        })
                        .collect(),
                    voters: board.voters.clone(),
                    fingerprint: String::new(),
                    aggregates: 0,
                    decryptions: 0,
                    spoiled: 0,
                },
                BoardFile::Verifiable(board) => BoardPage {
                    ballot: id,
                    title: loaded.ballot.title.clone(),
                    root: board.merkle_root(),
                    verifiable: true,
                    papers: board
                        .papers
                        .iter()
                        .map(|p| {
                            row(
                                &p.practice,
                                crate::ballots::verifiable::model::tracker_words(&p.tracker),
                            )
                        })
                        .collect(),
                    voters: board.papers.iter().map(|p| p.practice.clone()).collect(),
                    fingerprint: board.election.fingerprint.clone(),
                    aggregates: board.aggregates.as_ref().map_or(0, |a| a.ciphertexts().len()),
                    decryptions: board.decryptions.len(),
                    spoiled: board.spoiled.len(),
                },
            };
            Ok(page)
        })
        .await?;
    ui.page("certify/board", "Bulletin board", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReceiptQuery {
    code: String,
}

#[derive(Serialize)]
struct ReceiptPage {
    ballot: i32,
    title: String,
    code: String,
    searched: bool,
    found: bool,
    option: String,
    digest: String,
    proof: Vec<Row>,
    root: String,
    proof_holds: bool,
}

/// `GET /ballots/{id}/receipt`: the form. The code is sent by POST, so it
/// never sits in the browser's history or a server's access log.
pub async fn receipt_form(ui: Ui, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    receipt_page(&ui, id, String::new()).await
}

pub async fn receipt(ui: Ui, id: web::Path<String>, form: CsrfForm<ReceiptQuery>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    receipt_page(&ui, id, form.0.code.trim().to_owned()).await
}

async fn receipt_page(ui: &Ui, id: i32, code: String) -> AppResult<HttpResponse> {
    let lookup = code.clone();
    let (loaded, found) = ui
        .state()
        .run(move |pool| service::check_receipt(pool, id, &lookup))
        .await?;
    let searched = !code.is_empty();
    let mut page = ReceiptPage {
        ballot: id,
        title: loaded.ballot.title.clone(),
        code,
        searched,
        found: false,
        option: String::new(),
        digest: String::new(),
        proof: Vec::new(),
        root: String::new(),
        proof_holds: false,
    };
    if let Some(check) = found.filter(|_| searched) {
        page.proof_holds = check.holds;
        page.found = true;
        page.option = check.option_label;
        page.digest = check.paper.receipt_digest;
        page.root = check.root;
        page.proof = check
            .proof
            .into_iter()
            .map(|(side, h)| {
                row(
                    if side == super::merkle::Side::Left {
                        "left"
                    } else {
                        "right"
                    },
                    h,
                )
            })
            .collect();
    }
    let status = if searched && !page.found {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    ui.form_errors(status, "certify/receipt", "Check your receipt", Vec::new(), &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyQuery {
    certificate: String,
}

#[derive(Debug, Default)]
pub struct VerifyForm {
    certificate: String,
    board: String,
    key: String,
}

#[derive(Serialize)]
struct VerifyPage {
    form_certificate: String,
    form_board: String,
    form_key: String,
    checked: bool,
    passed: bool,
    summary: String,
    checks: Vec<Check>,
}

fn verify_page(
    ui: &Ui,
    form: VerifyForm,
    outcome: Option<(String, Vec<Check>)>,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let (summary, checks) = outcome.unwrap_or_default();
    ui.form_page(
        "certify/verify",
        "Verify a certificate",
        errors,
        &VerifyPage {
            form_certificate: form.certificate,
            form_board: form.board,
            form_key: form.key,
            checked: !checks.is_empty(),
            passed: !checks.is_empty() && all_passed(&checks),
            summary,
            checks,
        },
    )
}

fn summary(signed: &Signed) -> String {
    let c = &signed.certificate;
    format!("{}, {}: {}", c.organisation.name, c.ballot.title, c.outcome_in_words)
}

pub async fn verify_form(ui: Ui, query: web::Query<VerifyQuery>) -> AppResult<HttpResponse> {
    let id = query.into_inner().certificate.trim().to_owned();
    if id.is_empty() {
        return verify_page(&ui, VerifyForm::default(), None, Vec::new());
    }
    let (signed, checks) = ui
        .state()
        .run(move |pool| {
            let (signed, board) = service::by_id(pool, &id)?;
            let checks = service::verify_here(pool, &signed, Some(&board))?;
            Ok((signed, checks))
        })
        .await?;
    verify_page(&ui, VerifyForm::default(), Some((summary(&signed), checks)), Vec::new())
}

/// A board of the largest electorate is tens of megabytes.
const VERIFY_LIMITS: crate::web::upload::UploadLimits = crate::web::upload::UploadLimits {
    total_bytes: 64 * 1024 * 1024,
    text_bytes: 8 * 1024 * 1024,
};

/// The text of a field, or of its file when one was chosen.
fn pasted_or_uploaded(
    upload: &crate::web::upload::Upload,
    text_field: &str,
    file_field: &str,
) -> Result<String, String> {
    match upload.file(file_field) {
        Some(file) => file.text(),
        None => Ok(upload.text(text_field).unwrap_or_default().to_owned()),
    }
}

/// `POST /verify`: pasted JSON or uploaded files. Anyone may verify, so
/// without an account only a few uploads are read at once, and a request
/// without this page's token is refused before its files are read.
pub async fn verify_submitted(
    req: actix_web::HttpRequest,
    ui: Ui,
    user: crate::web::auth::MaybeUser,
    form: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let _place =
        match &user.0 {
            Some(_) => None,
            None => {
                Some(ui.state().anonymous_uploads.clone().try_acquire_owned().map_err(|_| {
                    AppError::Busy("Other people's certificates are being checked at the moment.".into())
                })?)
            }
        };
    let upload = crate::web::upload::read(&req, form, VERIFY_LIMITS).await?;
    let mut errors = Vec::new();
    let certificate_text = pasted_or_uploaded(&upload, "certificate", "certificate_file").unwrap_or_else(|e| {
        errors.push(FieldError::new("certificate", format!("The certificate: {e}")));
        String::new()
    });
    let board_text = pasted_or_uploaded(&upload, "board", "board_file").unwrap_or_else(|e| {
        errors.push(FieldError::new("board", format!("The board: {e}")));
        String::new()
    });
    let form = VerifyForm {
        // A large upload is not shown back in the form.
        certificate: if certificate_text.len() <= 200_000 {
            certificate_text.clone()
        } else {
            String::new()
        },
        board: if board_text.len() <= 200_000 {
            board_text.clone()
        } else {
            String::new()
        },
        key: upload.text("key").unwrap_or_default().to_owned(),
    };
    // A paper opened for a cast-as-intended check, against the ballot's own
    // published election record.
    if let Ok(opened) = serde_json::from_str::<crate::ballots::verifiable::model::OpenedPaper>(certificate_text.trim())
    {
        let ballot = opened.ballot;
        let record = ui
            .state()
            .run(move |pool| {
                let mut conn = pool.get()?;
                let loaded = crate::ballots::service::load(&mut conn, ballot)?;
                crate::ballots::verifiable::ceremony::election_of(&loaded)
            })
            .await;
        let checks = match record {
            Ok(record) => match crate::ballots::verifiable::cli::check_opened(&opened, &record) {
                Ok(lines) => lines
                    .into_iter()
                    .map(|detail| Check {
                        name: "opened paper".into(),
                        passed: true,
                        detail,
                    })
                    .collect(),
                Err(detail) => vec![Check {
                    name: "opened paper".into(),
                    passed: false,
                    detail,
                }],
            },
            Err(_) => vec![Check {
                name: "opened paper".into(),
                passed: false,
                detail: format!("ballot {ballot} has no published election record here"),
            }],
        };
        let summary = format!(
            "A paper of ballot {ballot} opened for a check: it can never be cast or counted. It says it holds \"{}\".",
            opened.option
        );
        return verify_page(&ui, form, Some((summary, checks)), Vec::new());
    }
    let signed: Option<Signed> = match serde_json::from_str(certificate_text.trim()) {
        Ok(signed) => Some(signed),
        Err(_) if certificate_text.trim().is_empty() => {
            errors.push(FieldError::new(
                "certificate",
                "Paste the certificate or choose its file",
            ));
            None
        }
        Err(e) => {
            errors.push(FieldError::new(
                "certificate",
                format!(
                    "The certificate is not a Quorate certificate as downloaded: {}",
                    json_problem(&e)
                ),
            ));
            None
        }
    };
    let board: Option<super::model::BoardFile> = match board_text.trim() {
        "" => None,
        text => match super::model::BoardFile::parse(text) {
            Ok(board) => Some(board),
            Err(e) => {
                errors.push(FieldError::new(
                    "board",
                    format!(
                        "The board is not a Quorate bulletin board as downloaded: {}",
                        json_problem(&e)
                    ),
                ));
                None
            }
        },
    };
    let key = Some(form.key.trim().to_owned()).filter(|k| !k.is_empty());
    match signed {
        Some(signed) if errors.is_empty() => {
            let summary = summary(&signed);
            // A key given is checked too; the signer is always checked
            // against the keys the organisation publishes here.
            let checks = ui
                .state()
                .run(move |pool| {
                    let mut checks = service::verify_here(pool, &signed, board.as_ref())?;
                    if let Some(key) = key.as_deref() {
                        checks.push(super::model::signer_check(
                            &signed.certificate,
                            super::model::Trusted::Given(key),
                        ));
                    }
                    Ok(checks)
                })
                .await?;
            verify_page(&ui, form, Some((summary, checks)), Vec::new())
        }
        _ => verify_page(&ui, form, None, errors),
    }
}

#[derive(Serialize)]
struct KeyPage {
    organisation: String,
    code: String,
    key: String,
    fingerprint: String,
    earlier: Vec<Row>,
}

/// An organisation's public signing key, and the keys it signed with
/// before: anyone may see them.
pub async fn key(ui: Ui, code: web::Path<String>) -> AppResult<HttpResponse> {
    let code = code.into_inner().to_ascii_uppercase();
    let data_dir = ui.state().settings.data_dir.clone();
    let lookup = code.clone();
    let (name, signed) = ui
        .state()
        .run(move |pool| service::key_history(pool, &data_dir, &lookup))
        .await?;
    let keys = &signed.history.keys;
    let current = keys.last().cloned();
    ui.page(
        "certify/key",
        "Signing key",
        &KeyPage {
            organisation: name,
            code,
            key: current.as_ref().map(|k| k.public_key.clone()).unwrap_or_default(),
            fingerprint: current.map(|k| k.fingerprint).unwrap_or_default(),
            earlier: keys
                .iter()
                .rev()
                .skip(1)
                .map(|k| {
                    row(
                        &k.fingerprint,
                        format!("{} to {}", k.from, k.until.clone().unwrap_or_default()),
                    )
                })
                .collect(),
        },
    )
}

/// `GET /organisations/{code}/keys.json`: the signed key history, for
/// `quorate verify --keys`.
pub async fn keys_json(state: web::Data<AppState>, code: web::Path<String>) -> AppResult<HttpResponse> {
    let code = code.into_inner().to_ascii_uppercase();
    let data_dir = state.settings.data_dir.clone();
    let (_, signed) = state
        .run(move |pool| service::key_history(pool, &data_dir, &code))
        .await?;
    let body = serde_json::to_string_pretty(&signed).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(json_download(
        body,
        format!("keys-{}.json", signed.history.organisation),
    ))
}

#[derive(Serialize)]
struct LineView {
    check: &'static str,
    label: &'static str,
    colour: &'static str,
    evidence: String,
}

fn line_views(lines: Vec<super::checklist::Line>) -> Vec<LineView> {
    lines
        .into_iter()
        .map(|l| LineView {
            check: l.check,
            label: l.status.label(),
            colour: l.status.colour(),
            evidence: l.evidence,
        })
        .collect()
}

#[derive(Serialize)]
struct DashboardBallot {
    id: i32,
    title: String,
    deadline: Option<String>,
    state: &'static str,
    turnout: String,
    label: &'static str,
    colour: &'static str,
    problems: Vec<LineView>,
}

#[derive(Serialize)]
struct DashboardOrganisation {
    code: String,
    name: String,
    ballots: Vec<DashboardBallot>,
}

#[derive(Serialize)]
struct DashboardPage {
    organisations: Vec<DashboardOrganisation>,
}

/// `/lmc`: the LMC observer's dashboard.
pub async fn dashboard(ui: Ui, user: CurrentUser) -> AppResult<HttpResponse> {
    let grants = user.grants();
    let organisations = ui
        .state()
        .run(move |pool| super::dashboard::dashboard(pool, &grants))
        .await?;
    let page = DashboardPage {
        organisations: organisations
            .into_iter()
            .map(|o| DashboardOrganisation {
                code: o.code,
                name: o.name,
                ballots: o
                    .ballots
                    .into_iter()
                    .map(|b| DashboardBallot {
                        id: b.id,
                        title: b.title,
                        deadline: b.deadline,
                        state: b.state.label(),
                        turnout: b.turnout,
                        label: b.status.label(),
                        colour: b.status.colour(),
                        problems: line_views(b.problems),
                    })
                    .collect(),
            })
            .collect(),
    };
    ui.page("certify/dashboard", "LMC dashboard", &page)
}

#[derive(Serialize)]
struct EvidencePage {
    ballot: i32,
    title: String,
    organisation: String,
    question: String,
    state: &'static str,
    rules: Vec<Row>,
    lines: Vec<LineView>,
    timeline: Vec<Row>,
    certificate: Option<String>,
    fingerprint: String,
    merkle_root: String,
}

/// `/ballots/{id}/evidence`: the printable consultation evidence pack.
pub async fn evidence(ui: Ui, user: CurrentUser, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = ballot_id(&id)?;
    let grants = user.grants();
    let evidence = ui
        .state()
        .run(move |pool| super::dashboard::evidence(pool, &grants, id))
        .await?;
    let loaded = &evidence.loaded;
    let page = EvidencePage {
        ballot: id,
        title: loaded.ballot.title.clone(),
        organisation: format!("{} ({})", loaded.organisation.name, loaded.organisation.ods_code),
        question: loaded.ballot.question.clone(),
        state: loaded.state.label(),
        rules: loaded
            .rules
            .describe(loaded.kind)
            .into_iter()
            .map(|(k, v)| row(k, v))
            .collect(),
        lines: line_views(evidence.lines),
        timeline: evidence
            .timeline
            .iter()
            .map(|e| {
                row(
                    &crate::time::date_time(e.entry.at),
                    format!("{} ({})", e.entry.summary, e.entry.actor),
                )
            })
            .collect(),
        certificate: evidence
            .certificate
            .as_ref()
            .map(|c| c.certificate.outcome_in_words.clone()),
        fingerprint: evidence
            .certificate
            .as_ref()
            .map(|c| c.certificate.key_fingerprint.clone())
            .unwrap_or_default(),
        merkle_root: evidence
            .certificate
            .as_ref()
            .map(|c| c.certificate.board.merkle_root.clone())
            .unwrap_or_default(),
    };
    ui.page("certify/evidence", "Evidence pack", &page)
}

fn qr_modules(text: &str) -> Option<(Vec<bool>, usize)> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let modules = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Some((modules, code.width()))
}

/// `/ballots/{id}/certificate.pdf`: the same certificate as a PDF.
pub async fn certificate_pdf(state: web::Data<AppState>, id: web::Path<String>) -> AppResult<HttpResponse> {
    use super::pdf::{Block, render};
    let id = ballot_id(&id)?;
    let signed = state
        .run(move |pool| service::of_ballot(pool, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let page = certificate_page(&signed, &state.settings.base_url);
    let mut blocks = vec![
        Block::Text(page.organisation.clone()),
        Block::Title(format!("Certificate of result: {}", page.title)),
        Block::Field("Outcome".into(), page.outcome.clone()),
        Block::Gap,
    ];
    blocks.extend(
        page.details
            .iter()
            .map(|r| Block::Field(r.key.clone(), r.value.clone())),
    );
    let report = signed.certificate.result.stv.as_ref();
    blocks.push(Block::Heading(
        if report.is_some() {
            "First preferences"
        } else {
            "Votes for each option"
        }
        .into(),
    ));
    // One line per count (overall, each constituency).
    let mut scopes: Vec<(String, Vec<String>)> = Vec::new();
    for t in &page.tally {
        let part = format!(
            "{} {} ({})",
            t.option,
            plural_u64(t.practices, "practice", "practices"),
            plural_u64(t.weight, "vote", "votes")
        );
        match scopes.last_mut() {
            Some((scope, parts)) if *scope == t.scope => parts.push(part),
            _ => scopes.push((t.scope.clone(), vec![part])),
        }
    }
    blocks.extend(
        scopes
            .into_iter()
            .map(|(scope, parts)| Block::Field(scope, parts.join("; "))),
    );
    if let Some(report) = report {
        blocks.push(Block::Heading("The count, stage by stage".into()));
        blocks.push(Block::Text(format!(
            "{}. Quota {}. Elected, in order: {}. Ties left to lot are settled by the recorded draw: {}.",
            report.rule_description,
            report.quota,
            report.elected.join(", "),
            report.tie_order.join(", ")
        )));
        for stage in &report.stages {
            let votes: Vec<String> = stage
                .votes
                .iter()
                .map(|v| format!("{} {}", v.candidate, v.votes))
                .collect();
            blocks.push(Block::Field(
                format!("Stage {}: {}", stage.stage, stage.action),
                format!("{}; non-transferable {}", votes.join("; "), stage.non_transferable),
            ));
        }
    }
    blocks.push(Block::Heading("The returning officer certifies".into()));
    blocks.extend(page.statements.iter().map(|s| Block::Text(format!("• {s}"))));
    if !page.officer_statement.is_empty() {
        blocks.push(Block::Text(page.officer_statement.clone()));
    }
    blocks.push(Block::Text(format!("{}, returning officer", page.officer)));
    blocks.push(Block::Heading("Check this certificate".into()));
    blocks.push(Block::Text(format!(
        "Certificate {}. Open {} or run: quorate verify certificate.json --board board.json. Signing key fingerprint: {}.",
        page.id, page.verify_url, page.fingerprint
    )));
    if let Some((modules, width)) = qr_modules(&page.verify_url) {
        blocks.push(Block::Qr(
            modules,
            width,
            format!(
                "QR code of the address that checks this certificate: {}",
                page.verify_url
            ),
        ));
    }
    let pdf = render(&format!("Certificate of result: {}", page.title), &blocks);
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"certificate-{}.pdf\"", page.id),
        ))
        .body(pdf))
}

/// What is wrong with a pasted or uploaded file, in words rather than the
/// parser's: the page is read by LMC officers, not programmers.
fn json_problem(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => "it ends too soon, so part of it is missing (copy or download the whole file)".to_owned(),
        Category::Syntax => format!(
            "it is not a JSON file, or it was changed by hand: the first problem is on line {}, character {}",
            error.line(),
            error.column()
        ),
        Category::Data => format!(
            "it is a JSON file but not in the form Quorate writes: a part is missing, extra or of the wrong kind (line {})",
            error.line()
        ),
        Category::Io => "it could not be read".to_owned(),
    }
}
