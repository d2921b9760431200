//! Certificates of result: the bulletin board of a counted ballot, issuing
//! the signed certificate, and what anyone may look up afterwards.

use chrono::{NaiveDateTime, Utc};
use diesel::Connection;
use serde_json::json;

use super::model::{
    BallotEntry, Board, BoardElector, BoardEntry, BoardPaper, CERTIFICATE_FORMAT, Certificate, ElectorateEntry, Named,
    Notices, Officer, OptionEntry, Reminder, Signed, Timeline, Votes, fingerprint, sign,
};
use super::store::{self, CertificateRow};
use crate::accounts::model::Role;
use crate::accounts::service::SessionUser;
use crate::audit::service::{Event, record};
use crate::ballots::model::{BallotState, Secrecy, percent};
use crate::ballots::rules::BallotResult;
use crate::ballots::service::{Loaded, load};
use crate::ballots::store as ballot_store;
use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};
use crate::mail::model::EventKind;
use crate::mail::service::{DeliveryCounts, Outbox};

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A counted ballot, or why there is nothing to certify or show yet.
fn counted(conn: &mut DbConn, ballot_id: i32) -> AppResult<(Loaded, BallotResult)> {
    let loaded = load(conn, ballot_id)?;
    if loaded.state != BallotState::Counted {
        return Err(match loaded.state {
            BallotState::Draft => AppError::NotFound,
            BallotState::Cancelled => {
                AppError::Conflict("This ballot was cancelled: there is no result to certify.".into())
            }
            _ => AppError::Conflict("The board and the certificate are published after the count.".into()),
        });
    }
    let result = serde_json::from_str(loaded.ballot.result.as_deref().unwrap_or_default())
        .map_err(|e| AppError::Internal(format!("ballot {ballot_id} result: {e}")))?;
    Ok((loaded, result))
}

fn board_of(conn: &mut DbConn, loaded: &Loaded) -> AppResult<Board> {
    let id = loaded.ballot.id;
    let papers = ballot_store::papers(conn, id)?
        .into_iter()
        .map(|p| BoardPaper {
            receipt_digest: p.receipt_digest,
            option: p.option_key,
            weight: u64::try_from(p.weight).unwrap_or(0),
            constituency: p.constituency,
        })
        .collect();
    let voters = ballot_store::voters(conn, id)?
        .into_iter()
        .map(|(code, _, _)| code)
        .collect();
    let electorate = ballot_store::electorate_with_practices(conn, id)?
        .into_iter()
        .map(|(e, code, _)| BoardElector {
            practice: code,
            weight: u64::try_from(e.weight).unwrap_or(0),
            constituency: e.constituency,
        })
        .collect();
    Ok(Board::new(
        loaded.organisation.ods_code.clone(),
        id,
        papers,
        voters,
        electorate,
    ))
}

/// The public bulletin board of a counted ballot.
pub fn board(pool: &Pool, ballot_id: i32) -> AppResult<Board> {
    let mut conn = pool.get()?;
    let (loaded, _) = counted(&mut conn, ballot_id)?;
    board_of(&mut conn, &loaded)
}

/// What a voter learns from their receipt code: their paper, the option
/// on it, and the proof that it is on the board under the root.
pub struct ReceiptCheck {
    pub paper: BoardPaper,
    pub option_label: String,
    pub proof: Vec<(super::merkle::Side, String)>,
    pub root: String,
}

pub fn check_receipt(pool: &Pool, ballot_id: i32, code: &str) -> AppResult<(Loaded, Option<ReceiptCheck>)> {
    let mut conn = pool.get()?;
    let (loaded, _) = counted(&mut conn, ballot_id)?;
    let board = board_of(&mut conn, &loaded)?;
    let digest = crate::ballots::model::receipt_digest(code);
    let found = board.find(&digest).map(|(paper, proof)| ReceiptCheck {
        option_label: loaded.option_label(&paper.option),
        paper: paper.clone(),
        proof,
        root: board.merkle_root.clone(),
    });
    Ok((loaded, found))
}

fn counts(conn: &mut DbConn, ballot_id: i32, template: &str) -> AppResult<DeliveryCounts> {
    Ok(DeliveryCounts::from_rows(crate::mail::store::counts_for_template(
        conn,
        (EventKind::Ballot.as_str(), ballot_id),
        template,
    )?))
}

fn statements(loaded: &Loaded) -> Vec<String> {
    let mut statements = vec![
        format!(
            "The ballot was conducted and counted under the rules published with the notice of ballot on {}, which did not change after publication.",
            loaded.ballot.published_at.map(crate::time::date_time).unwrap_or_default()
        ),
        "The electorate was fixed at publication from the register of member practices; its fingerprint is given above.".to_owned(),
        "Every paper recorded was counted. Submissions were checked when they were made (the practice in the electorate, the ballot open, one vote per practice, an existing option); none was recorded that could be rejected at the count.".to_owned(),
        "Each paper is on the bulletin board under the Merkle root given above; anyone can recount the result from it.".to_owned(),
    ];
    if loaded.rules.secrecy() == Secrecy::Secret {
        statements.push(
            "The ballot was secret: no record links a paper to the practice that cast it; the list of practices that voted is kept apart from the papers."
                .to_owned(),
        );
    }
    statements
}

/// Issues and signs the certificate of a counted ballot (its returning
/// officer, or a system administrator), once; tells the electorate.
pub fn issue(
    pool: &Pool,
    outbox: &Outbox,
    data_dir: &std::path::Path,
    actor: &SessionUser,
    ballot_id: i32,
    statement: &str,
) -> AppResult<Signed> {
    let statement = statement.trim();
    if statement.chars().count() > 4000 {
        return Err(AppError::invalid(
            "statement",
            "The statement must be 4,000 characters or less",
        ));
    }
    let mut conn = pool.get()?;
    conn.transaction(|c| {
        crate::db::claim_write_lock(c)?;
        let (loaded, result) = counted(c, ballot_id)?;
        let grants = actor.grants();
        let officer = grants.is_system_admin()
            || grants
                .0
                .iter()
                .any(|g| g.role == Role::ReturningOfficer && g.organisation_id == Some(loaded.organisation.id));
        if !officer {
            return Err(AppError::Forbidden(format!(
                "Only the returning officer of {} issues the certificate of result.",
                loaded.organisation.name
            )));
        }
        if store::of_ballot(c, ballot_id)?.is_some() {
            return Err(AppError::Conflict(
                "The certificate of this ballot has been issued already.".into(),
            ));
        }
        let key = super::keys::signing_key(data_dir, &loaded.organisation.ods_code).map_err(AppError::Internal)?;
        let verifying = key.verifying_key();
        let board = board_of(c, &loaded)?;
        let b = &loaded.ballot;
        let notices = counts(c, ballot_id, "ballot_notice")?;
        let electorate = &result.overall.electorate;
        let without_representative = ballot_store::electors(c, ballot_id)?
            .iter()
            .filter(|e| e.nominated_user_id.is_none())
            .count();
        let turnout = result.overall.tally.turnout();
        let now = Utc::now().naive_utc();
        let id = crate::token::random_token(12).replace(['-', '_'], "x");
        let certificate = Certificate {
            format: CERTIFICATE_FORMAT.into(),
            id: id.clone(),
            organisation: Named {
                code: loaded.organisation.ods_code.clone(),
                name: loaded.organisation.name.clone(),
            },
            ballot: BallotEntry {
                id: ballot_id,
                kind: loaded.kind,
                title: b.title.clone(),
                question: b.question.clone(),
                options: loaded
                    .options
                    .iter()
                    .map(|o| OptionEntry {
                        key: o.option_key.clone(),
                        label: o.label.clone(),
                    })
                    .collect(),
            },
            rules: loaded.rules.clone(),
            electorate: ElectorateEntry {
                practices: electorate.practices,
                weight: electorate.weight,
                digest: b.electorate_digest.clone().unwrap_or_default(),
            },
            timeline: Timeline {
                published_at: b.published_at.map(rfc3339).unwrap_or_default(),
                opens_at: rfc3339(b.opens_at),
                opened_at: b.opened_at.map(rfc3339).unwrap_or_default(),
                closes_at: rfc3339(b.closes_at),
                original_closes_at: b.original_closes_at.map(rfc3339),
                extension_reason: b.extension_reason.clone(),
                closed_at: b.closed_at.map(rfc3339).unwrap_or_default(),
                counted_at: b.counted_at.map(rfc3339).unwrap_or_default(),
                notices: Notices {
                    written: notices.sent + notices.pending + notices.failed + notices.cancelled,
                    delivered_by_opening: match b.opened_at {
                        Some(opened) => crate::mail::store::delivered_by(
                            c,
                            (EventKind::Ballot.as_str(), ballot_id),
                            "ballot_notice",
                            opened,
                        )?,
                        None => 0,
                    },
                    sent: notices.sent,
                    failed: notices.failed,
                    pending: notices.pending,
                    practices_without_representative: i64::try_from(without_representative).unwrap_or(i64::MAX),
                },
                reminders: ballot_store::reminders(c, ballot_id)?
                    .into_iter()
                    .map(|(days, at, n)| Reminder {
                        days_before_close: days,
                        sent_at: rfc3339(at),
                        messages: n,
                    })
                    .collect(),
            },
            votes: Votes {
                entitled: electorate.practices,
                cast: turnout.practices,
                weight_cast: turnout.weight,
                turnout: percent(turnout.practices, electorate.practices),
                rejected_at_count: 0,
            },
            outcome_in_words: crate::ballots::words::outcome_sentence(&loaded, &result),
            quorum_met: result.overall.quorum_met,
            result,
            board: BoardEntry {
                papers: board.papers.len() as u64,
                merkle_root: board.merkle_root.clone(),
            },
            audit_head: crate::audit::store::last_hash(c)?.unwrap_or_default(),
            returning_officer: Officer {
                name: actor.name.clone(),
                statement: statement.to_owned(),
            },
            statements: statements(&loaded),
            issued_at: rfc3339(now),
            public_key: hex::encode(verifying.to_bytes()),
            key_fingerprint: fingerprint(&verifying),
        };
        let signed = sign(certificate, &key).map_err(AppError::Internal)?;
        let document = serde_json::to_string_pretty(&signed).map_err(|e| AppError::Internal(e.to_string()))?;
        store::insert(
            c,
            &CertificateRow {
                id: id.clone(),
                ballot_id,
                organisation_id: loaded.organisation.id,
                document,
                issued_at: now,
                issued_by: Some(actor.id),
            },
        )?;
        record(
            c,
            &actor.actor(),
            Event {
                organisation_id: Some(loaded.organisation.id),
                action: "certificate.issue",
                object_kind: "ballot",
                object_key: &ballot_id.to_string(),
                summary: format!(
                    "Certificate {id} of \"{}\" issued: Merkle root {}, key {}",
                    b.title, signed.certificate.board.merkle_root, signed.certificate.key_fingerprint
                ),
            },
        )?;
        crate::ballots::notices::announce(
            c,
            outbox,
            &loaded,
            "ballot_certificate",
            json!({
                "outcome": signed.certificate.outcome_in_words,
                "certificate_url": format!("{}/ballots/{ballot_id}/certificate", outbox.base_url()),
                "verify_url": format!("{}/verify?certificate={id}", outbox.base_url()),
                "fingerprint": signed.certificate.key_fingerprint,
            }),
        )?;
        Ok(signed)
    })
}

/// A ballot's certificate, once issued (public).
pub fn of_ballot(pool: &Pool, ballot_id: i32) -> AppResult<Option<Signed>> {
    let mut conn = pool.get()?;
    store::of_ballot(&mut conn, ballot_id)?
        .map(|row| parse(&row.document))
        .transpose()
}

/// A certificate and its ballot's board, by certificate id (public).
pub fn by_id(pool: &Pool, id: &str) -> AppResult<(Signed, Board)> {
    let mut conn = pool.get()?;
    let row = store::find(&mut conn, id.trim())?.ok_or(AppError::NotFound)?;
    let signed = parse(&row.document)?;
    drop(conn);
    Ok((signed, board(pool, row.ballot_id)?))
}

fn parse(document: &str) -> AppResult<Signed> {
    serde_json::from_str(document).map_err(|e| AppError::Internal(format!("stored certificate: {e}")))
}

/// The organisation's public key (hex) and fingerprint, for its public page.
pub fn public_key(data_dir: &std::path::Path, organisation_code: &str) -> AppResult<(String, String)> {
    let key = super::keys::signing_key(data_dir, organisation_code).map_err(AppError::Internal)?;
    let verifying = key.verifying_key();
    Ok((hex::encode(verifying.to_bytes()), fingerprint(&verifying)))
}
