//! Certificates of result: the bulletin board of a counted ballot, issuing
//! the signed certificate, and what anyone may look up afterwards.

use chrono::{NaiveDateTime, Utc};
use serde_json::json;

use super::model::{
    BallotEntry, Board, BoardElector, BoardEntry, BoardFile, BoardPaper, CERTIFICATE_FORMAT, Certificate,
    ElectionEntry, ElectorateEntry, KEY_HISTORY_FORMAT, KeyEntry, KeyHistory, Named, Notices, Officer, OptionEntry,
    Reminder, RerunEntry, Signed, SignedKeyHistory, SuspensionEntry, Timeline, TrusteeEntry, Votes, fingerprint, sign,
};
use super::store::{self, CertificateRow};
use super::verifiable::{PaperEntry, VERIFIABLE_BOARD_FORMAT, VerifiableBoard};
use crate::accounts::model::Role;
use crate::accounts::service::SessionUser;
use crate::audit::service::{Event, record};
use crate::ballots::model::{BallotState, Secrecy, percent};
use crate::ballots::rules::BallotResult;
use crate::ballots::service::{Loaded, load};
use crate::ballots::store as ballot_store;
use crate::crypto::tally::Aggregates;
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
    Ok(Board::new(
        loaded.organisation.ods_code.clone(),
        id,
        papers,
        voters,
        electorate_of(conn, id)?,
    ))
}

fn electorate_of(conn: &mut DbConn, id: i32) -> AppResult<Vec<BoardElector>> {
    let mut electorate: Vec<BoardElector> = ballot_store::electorate_with_practices(conn, id)?
        .into_iter()
        .map(|(e, code, _)| BoardElector {
            practice: code,
            weight: u64::try_from(e.weight).unwrap_or(0),
            constituency: e.constituency,
        })
        .collect();
    electorate.sort_by(|a, b| a.practice.cmp(&b.practice));
    Ok(electorate)
}

/// The totals in the aggregates' order, from the counted result.
fn totals_of(aggregates: &Aggregates, options: &[String], result: &BallotResult) -> Vec<u64> {
    let mut totals = Vec::new();
    let mut push = |tally: Option<&crate::ballots::rules::Tally>| {
        let votes = |k: &String| tally.map(|t| t.votes(k)).unwrap_or_default();
        totals.extend(options.iter().map(|k| votes(k).weight));
        totals.extend(options.iter().map(|k| votes(k).practices));
    };
    push(Some(&result.overall.tally));
    for group in &aggregates.groups {
        push(
            result
                .constituencies
                .iter()
                .find(|(name, _)| *name == group.group)
                .map(|(_, count)| &count.tally),
        );
    }
    totals
}

fn verifiable_board_of(conn: &mut DbConn, loaded: &Loaded) -> AppResult<VerifiableBoard> {
    use crate::ballots::verifiable::{ceremony, store as vstore, tally};
    let id = loaded.ballot.id;
    let election = ceremony::election_of(loaded)?;
    let papers = vstore::papers(conn, id)?
        .into_iter()
        .map(|(row, code)| {
            serde_json::from_str(&row.paper)
                .map(|paper| PaperEntry {
                    practice: code,
                    tracker: row.tracker,
                    paper,
                })
                .map_err(|e| AppError::Internal(format!("stored paper: {e}")))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let aggregates = loaded
        .ballot
        .aggregates
        .is_some()
        .then(|| tally::stored_aggregates(loaded))
        .transpose()?;
    let mut decryptions = tally::partials_of(conn, id)?;
    decryptions.sort_by_key(|p| p.trustee);
    let totals = match (&aggregates, loaded.ballot.result.as_deref()) {
        (Some(aggregates), Some(stored)) => {
            let result: BallotResult =
                serde_json::from_str(stored).map_err(|e| AppError::Internal(format!("result: {e}")))?;
            Some(totals_of(aggregates, &election.options, &result))
        }
        _ => None,
    };
    Ok(VerifiableBoard {
        format: VERIFIABLE_BOARD_FORMAT.into(),
        organisation: loaded.organisation.ods_code.clone(),
        ballot: id,
        election,
        electorate: electorate_of(conn, id)?,
        papers,
        spoiled: vstore::spoiled(conn, id)?,
        aggregates,
        decryptions,
        totals,
    })
}

fn any_board_of(conn: &mut DbConn, loaded: &Loaded) -> AppResult<BoardFile> {
    if loaded.rules.is_verifiable() {
        Ok(BoardFile::Verifiable(Box::new(verifiable_board_of(conn, loaded)?)))
    } else {
        Ok(BoardFile::Plain(board_of(conn, loaded)?))
    }
}

/// The public bulletin board: of a counted ballot; of a verifiable one as
/// soon as voting has closed (the trustees decrypt from it).
pub fn board(pool: &Pool, ballot_id: i32) -> AppResult<BoardFile> {
    let mut conn = pool.get()?;
    let loaded = load(&mut conn, ballot_id)?;
    if loaded.rules.is_verifiable() && loaded.state == BallotState::Closed {
        return any_board_of(&mut conn, &loaded);
    }
    let (loaded, _) = counted(&mut conn, ballot_id)?;
    any_board_of(&mut conn, &loaded)
}

/// What a voter learns from their receipt code: their paper, the option
/// on it, and the proof that it is on the board under the root.
pub struct ReceiptCheck {
    pub paper: BoardPaper,
    pub option_label: String,
    pub proof: Vec<(super::merkle::Side, String)>,
    pub root: String,
    /// The proof climbs from the paper's leaf to the root.
    pub holds: bool,
}

pub fn check_receipt(pool: &Pool, ballot_id: i32, code: &str) -> AppResult<(Loaded, Option<ReceiptCheck>)> {
    let mut conn = pool.get()?;
    let (loaded, _) = counted(&mut conn, ballot_id)?;
    if loaded.rules.is_verifiable() {
        let board = verifiable_board_of(&mut conn, &loaded)?;
        let tracker = crate::ballots::verifiable::model::normalise_tracker(code);
        let found = board.papers.iter().position(|p| p.tracker == tracker).map(|index| {
            let leaves: Vec<super::merkle::Hash> = board.papers.iter().map(super::verifiable::paper_leaf).collect();
            let entry = &board.papers[index];
            let proof = super::merkle::proof(&leaves, index);
            let root = super::merkle::root(&leaves);
            ReceiptCheck {
                holds: super::merkle::verify(&super::verifiable::paper_leaf(entry), &proof, &root),
                paper: BoardPaper {
                    receipt_digest: entry.tracker.clone(),
                    option: String::new(),
                    weight: 0,
                    constituency: None,
                },
                option_label: format!("encrypted, cast for {}", entry.practice),
                proof: proof.into_iter().map(|(side, h)| (side, hex::encode(h))).collect(),
                root: board.merkle_root(),
            }
        });
        return Ok((loaded, found));
    }
    let board = board_of(&mut conn, &loaded)?;
    let digest = crate::ballots::model::receipt_digest(code);
    let found = board.find(&digest).map(|(paper, proof)| ReceiptCheck {
        holds: super::model::proof_holds(paper, &proof, &board.merkle_root),
        option_label: loaded.paper_words(&paper.option),
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
            "The ballot was conducted and counted under the rules published with the notice of ballot at {}, which did not change after publication.",
            loaded.ballot.published_at.map(crate::time::date_time).unwrap_or_default()
        ),
        "The electorate was fixed at publication from the register of member practices; its fingerprint is given above.".to_owned(),
        "Every paper recorded was counted. Submissions were checked when they were made (the practice in the electorate, the ballot open, one vote per practice, an existing option); none was recorded that could be rejected at the count.".to_owned(),
        "Each paper is on the bulletin board under the Merkle root given above; anyone can recount the result from it.".to_owned(),
    ];
    if loaded.rules.is_verifiable() {
        statements.push(
            "The ballot was secret and verifiable: each practice's paper was encrypted under an election key held between the trustees named above, with proofs that it chose exactly one option. Only the totals were decrypted, by the trustees together, with proofs; no paper was decrypted on its own. The board lets anyone check every paper, recompute the totals and the decryption, and recount."
                .to_owned(),
        );
    } else if loaded.rules.secrecy() == Secrecy::Secret {
        statements.push(
            "The ballot was secret: no record links a paper to the practice that cast it; the list of practices that voted is kept apart from the papers."
                .to_owned(),
        );
    }
    statements
}

/// What the certificate of a verifiable ballot says of its election.
fn election_entry(conn: &mut DbConn, loaded: &Loaded, board: &VerifiableBoard) -> AppResult<ElectionEntry> {
    let names: std::collections::HashMap<u32, String> =
        crate::ballots::verifiable::store::trustees(conn, loaded.ballot.id)?
            .into_iter()
            .map(|(row, name, _)| (u32::try_from(row.position).unwrap_or(0), name))
            .collect();
    let trustees = board
        .election
        .trustees
        .iter()
        .map(|t| TrusteeEntry {
            index: t.index,
            name: names.get(&t.index).cloned().unwrap_or_default(),
            verification_key: crate::crypto::trustees::verification_key(t.index, &board.election.trustees).to_hex(),
        })
        .collect();
    Ok(ElectionEntry {
        fingerprint: board.election.fingerprint.clone(),
        public_key: board.election.public_key.to_hex(),
        threshold: board.election.threshold,
        trustees,
        board_digest: board.digest(),
        aggregates: board
            .aggregates
            .clone()
            .ok_or_else(|| AppError::Conflict("The ballot's aggregates are missing.".into()))?,
        decryptions: board.decryptions.clone(),
        spoiled: board.spoiled.len() as u64,
    })
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
    crate::db::write_transaction(&mut conn, |c| {
        // Who may, before whether it can be done now: a stranger learns
        // nothing of the ballot's state.
        let ballot = load(c, ballot_id)?;
        let grants = actor.grants();
        let officer = grants.is_system_admin()
            || grants
                .0
                .iter()
                .any(|g| g.role == Role::ReturningOfficer && g.organisation_id == Some(ballot.organisation.id));
        if !officer {
            return Err(AppError::Forbidden(format!(
                "Only the returning officer of {} issues the certificate of result.",
                ballot.organisation.name
            )));
        }
        let (loaded, result) = counted(c, ballot_id)?;
        if store::of_ballot(c, ballot_id)?.is_some() {
            return Err(AppError::Conflict(
                "The certificate of this ballot has been issued already.".into(),
            ));
        }
        let key = current_key(c, data_dir, &loaded.organisation)?;
        let verifying = key.verifying_key();
        let board = any_board_of(c, &loaded)?;
        let (board_entry, election) = match &board {
            BoardFile::Plain(board) => (
                BoardEntry {
                    papers: board.papers.len() as u64,
                    merkle_root: board.merkle_root.clone(),
                },
                None,
            ),
            BoardFile::Verifiable(board) => (
                BoardEntry {
                    papers: board.papers.len() as u64,
                    merkle_root: board.merkle_root(),
                },
                Some(election_entry(c, &loaded, board)?),
            ),
        };
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
                suspensions: loaded
                    .interruptions
                    .suspensions
                    .iter()
                    .map(|s| SuspensionEntry {
                        suspended_at: rfc3339(s.suspended_at),
                        reason: s.reason.clone(),
                        closes_at_before: rfc3339(s.closes_at_before),
                        resumed_at: s.resumed_at.map(rfc3339).unwrap_or_default(),
                        closes_at_after: s.closes_at_after.map(rfc3339).unwrap_or_default(),
                        short_reason: s.short_reason.clone(),
                    })
                    .collect(),
                rerun_of: match &loaded.interruptions.rerun_of {
                    Some(void) => Some(RerunEntry {
                        ballot_id: void.ballot_id,
                        title: ballot_store::find(c, void.ballot_id)?
                            .map(|b| b.title)
                            .unwrap_or_default(),
                        voided_at: rfc3339(void.voided_at),
                        reason: void.reason.clone(),
                    }),
                    None => None,
                },
            },
            votes: Votes {
                entitled: electorate.practices,
                cast: turnout.practices,
                weight_cast: turnout.weight,
                turnout: percent(turnout.practices, electorate.practices),
                rejected_at_count: 0,
                by_proxy: if loaded.rules.proxy_limit.is_some() {
                    Some(crate::ballots::proxy::service::counts(c, ballot_id)?.votes as u64)
                } else {
                    None
                },
            },
            outcome_in_words: crate::ballots::words::outcome_sentence(&loaded, &result),
            quorum_met: result.overall.quorum_met,
            result,
            board: board_entry,
            audit_head: crate::audit::store::last_hash(c)?.unwrap_or_default(),
            returning_officer: Officer {
                name: actor.name.clone(),
                statement: statement.to_owned(),
            },
            statements: statements(&loaded),
            issued_at: rfc3339(now),
            public_key: hex::encode(verifying.to_bytes()),
            key_fingerprint: fingerprint(&verifying),
            election,
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
pub fn by_id(pool: &Pool, id: &str) -> AppResult<(Signed, BoardFile)> {
    let mut conn = pool.get()?;
    let row = store::find(&mut conn, id.trim())?.ok_or(AppError::NotFound)?;
    let signed = parse(&row.document)?;
    drop(conn);
    Ok((signed, board(pool, row.ballot_id)?))
}

fn parse(document: &str) -> AppResult<Signed> {
    serde_json::from_str(document).map_err(|e| AppError::Internal(format!("stored certificate: {e}")))
}

/// The organisation's signing key, recorded as its current key. The first
/// time, a key is made (or the file the operator placed is used). After
/// that, this server's file must hold the key the database names as
/// current: a server with another key, or none, refuses to sign rather than
/// retire the key the other servers sign with (`quorate keys replace`
/// replaces a lost key deliberately).
fn current_key(
    conn: &mut DbConn,
    data_dir: &std::path::Path,
    organisation: &crate::registry::store::Organisation,
) -> AppResult<ed25519_dalek::SigningKey> {
    // Two servers making an organisation's first key take turns.
    crate::db::lock_row(conn, crate::db::Locked::Organisation(organisation.id))?;
    let current = store::keys::of_organisation(conn, organisation.id)?
        .into_iter()
        .find(|k| k.retired_at.is_none());
    let code = &organisation.ods_code;
    let on_this_server = super::keys::read_key(data_dir, code).map_err(AppError::Internal)?;
    match (on_this_server, current) {
        (Some(key), Some(row)) if hex::encode(key.verifying_key().to_bytes()) == row.public_key => Ok(key),
        (Some(key), Some(row)) => {
            let retired = store::keys::of_organisation(conn, organisation.id)?
                .iter()
                .any(|k| k.public_key == hex::encode(key.verifying_key().to_bytes()));
            Err(AppError::NotSetUp {
                what: format!("sign for {code}"),
                detail: key_mismatch(
                    data_dir,
                    code,
                    &row.fingerprint,
                    &fingerprint(&key.verifying_key()),
                    retired,
                ),
            })
        }
        (None, Some(row)) => Err(AppError::NotSetUp {
            what: format!("sign for {code}"),
            detail: format!(
                "This server does not hold the signing key of {code} (fingerprint {}) that certificates are signed with: copy {} from the server that has it, or if it is lost, run `quorate keys replace {code}`",
                row.fingerprint,
                super::keys::key_path(data_dir, code).display()
            ),
        }),
        (on_this_server, None) => {
            let key = match on_this_server {
                Some(key) => key,
                None => super::keys::generate_key(data_dir, code).map_err(AppError::Internal)?,
            };
            make_current(conn, organisation, &key)?;
            Ok(key)
        }
    }
}

/// Signs `text` with the organisation's current key: (signature in hex,
/// the key's fingerprint).
pub fn sign_as(
    conn: &mut DbConn,
    data_dir: &std::path::Path,
    organisation: &crate::registry::store::Organisation,
    text: &str,
) -> AppResult<(String, String)> {
    use ed25519_dalek::Signer;
    let key = current_key(conn, data_dir, organisation)?;
    Ok((
        hex::encode(key.sign(text.as_bytes()).to_bytes()),
        fingerprint(&key.verifying_key()),
    ))
}

/// Why a server's key file for `code` will not do. A key the organisation
/// used before (retired) is never made current again.
fn key_mismatch(data_dir: &std::path::Path, code: &str, recorded: &str, here: &str, retired: bool) -> String {
    let path = super::keys::key_path(data_dir, code);
    if retired {
        format!(
            "{} holds an earlier key of {code} (fingerprint {here}), since replaced by {recorded}: copy the current key file from a server that has it",
            path.display()
        )
    } else {
        format!(
            "The signing key of {code} in {} (fingerprint {here}) is not the one the database records as current ({recorded}), which another server signs with: give every server the same key file, or run `quorate keys replace {code}` to make this one current",
            path.display()
        )
    }
}

/// Records `key` as the organisation's current key, retiring (and auditing)
/// any it replaces.
fn make_current(
    conn: &mut DbConn,
    organisation: &crate::registry::store::Organisation,
    key: &ed25519_dalek::SigningKey,
) -> AppResult<()> {
    let verifying = key.verifying_key();
    let print = fingerprint(&verifying);
    let replaced = store::keys::make_current(
        conn,
        organisation.id,
        &hex::encode(verifying.to_bytes()),
        &print,
        Utc::now().naive_utc(),
    )?;
    if !replaced.is_empty() {
        let earlier: Vec<&str> = replaced.iter().map(|k| k.fingerprint.as_str()).collect();
        record(
            conn,
            &crate::audit::model::Actor {
                user_id: None,
                label: "server".into(),
            },
            Event {
                organisation_id: Some(organisation.id),
                action: "certificate.key_changed",
                object_kind: "organisation",
                object_key: &organisation.ods_code,
                summary: format!(
                    "The signing key of {} is now {print}, replacing {}. Certificates signed with the earlier key stay verifiable through the published key history.",
                    organisation.name,
                    earlier.join(", ")
                ),
            },
        )?;
    }
    Ok(())
}

/// `quorate keys replace CODE`: makes the key in this server's file the
/// organisation's current one, or when there is no file, a new key. A file
/// that already holds the current key is refused (it would replace nothing).
/// Answers the new key's fingerprint.
pub fn replace_key(pool: &Pool, data_dir: &std::path::Path, organisation_code: &str) -> AppResult<String> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let organisation = crate::registry::store::Organisation::find_by_code(c, organisation_code.trim())?
            .ok_or_else(|| AppError::BadRequest(format!("No organisation has the code {organisation_code}")))?;
        crate::db::lock_row(c, crate::db::Locked::Organisation(organisation.id))?;
        let code = &organisation.ods_code;
        let current = store::keys::of_organisation(c, organisation.id)?
            .into_iter()
            .find(|k| k.retired_at.is_none());
        let known = store::keys::of_organisation(c, organisation.id)?;
        let key = match super::keys::read_key(data_dir, code).map_err(AppError::BadRequest)? {
            Some(key)
                if known
                    .iter()
                    .any(|k| k.retired_at.is_some() && k.public_key == hex::encode(key.verifying_key().to_bytes())) =>
            {
                return Err(AppError::Conflict(format!(
                    "{} holds an earlier key of {code}, since replaced: a retired key is never made current again. Move that file away (keep it) to make a new key, or copy the current key file from a server that has it",
                    super::keys::key_path(data_dir, code).display()
                )));
            }
            Some(key)
                if current.as_ref().map(|k| k.public_key.as_str())
                    == Some(&hex::encode(key.verifying_key().to_bytes())) =>
            {
                return Err(AppError::Conflict(format!(
                    "{} already holds the current key of {code}; to make a new key, move that file away first (keep it: certificates were signed with it)",
                    super::keys::key_path(data_dir, code).display()
                )));
            }
            Some(key) => key,
            None => super::keys::generate_key(data_dir, code).map_err(AppError::Internal)?,
        };
        make_current(c, &organisation, &key)?;
        Ok(fingerprint(&key.verifying_key()))
    })
}

/// At start-up: every key file on this server must hold its organisation's
/// current key, so two servers never sign for one organisation with
/// different keys. Answers a warning for each organisation whose current
/// key this server lacks (it cannot sign for it until the file is copied).
pub fn check_keys(pool: &Pool, data_dir: &std::path::Path) -> Result<Vec<String>, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let here = super::keys::codes_with_keys(data_dir)?;
    let mut warnings = Vec::new();
    for (organisation, row) in store::keys::current_of_all(&mut conn).map_err(|e| e.to_string())? {
        let code = organisation.ods_code;
        if !here.contains(&code) {
            warnings.push(format!(
                "the signing key of {code} (fingerprint {}) is not on this server: it cannot sign for {code} until {} is copied here",
                row.fingerprint,
                super::keys::key_path(data_dir, &code).display()
            ));
            continue;
        }
        let Some(key) = super::keys::read_key(data_dir, &code)? else {
            continue;
        };
        let here = hex::encode(key.verifying_key().to_bytes());
        if here != row.public_key {
            let retired = store::keys::of_organisation(&mut conn, organisation.id)
                .map_err(|e| e.to_string())?
                .iter()
                .any(|k| k.public_key == here);
            return Err(key_mismatch(
                data_dir,
                &code,
                &row.fingerprint,
                &fingerprint(&key.verifying_key()),
                retired,
            ));
        }
    }
    Ok(warnings)
}

fn history_of(conn: &mut DbConn, organisation: &crate::registry::store::Organisation) -> AppResult<KeyHistory> {
    Ok(KeyHistory {
        format: KEY_HISTORY_FORMAT.into(),
        organisation: organisation.ods_code.clone(),
        keys: store::keys::of_organisation(conn, organisation.id)?
            .into_iter()
            .map(|k| KeyEntry {
                public_key: k.public_key,
                fingerprint: k.fingerprint,
                from: rfc3339(k.first_used_at),
                until: k.retired_at.map(rfc3339),
            })
            .collect(),
    })
}

/// An organisation's published keys, current last, signed by the current
/// key (which is made the first time it is asked for).
pub fn key_history(
    pool: &Pool,
    data_dir: &std::path::Path,
    organisation_code: &str,
) -> AppResult<(String, SignedKeyHistory)> {
    let mut conn = pool.get()?;
    crate::db::write_transaction(&mut conn, |c| {
        let organisation = crate::registry::store::Organisation::find_by_code(c, organisation_code.trim())?
            .ok_or(AppError::NotFound)?;
        let key = current_key(c, data_dir, &organisation)?;
        let history = history_of(c, &organisation)?;
        let signed = super::model::sign_history(history, &key).map_err(AppError::Internal)?;
        Ok((organisation.name, signed))
    })
}

/// The keys this server knows an organisation by, for checking a
/// certificate's signer; None when the organisation is not known here.
pub fn known_keys(pool: &Pool, organisation_code: &str) -> AppResult<Option<KeyHistory>> {
    let mut conn = pool.get()?;
    match crate::registry::store::Organisation::find_by_code(&mut conn, organisation_code.trim())? {
        Some(organisation) => Ok(Some(history_of(&mut conn, &organisation)?)),
        None => Ok(None),
    }
}

/// Every certificate checked against its board and the organisation's
/// keys, as after a restore: how many there are, and those that fail (with
/// the first check each fails).
pub fn verify_all(pool: &Pool) -> AppResult<(usize, Vec<String>)> {
    let ids = store::all_ids(&mut *pool.get()?)?;
    let mut failed = Vec::new();
    for id in &ids {
        let (signed, board) = by_id(pool, id)?;
        let checks = verify_here(pool, &signed, Some(&board))?;
        if let Some(check) = checks.iter().find(|c| !c.passed) {
            failed.push(format!("{id}: {}", check.name));
        }
    }
    Ok((ids.len(), failed))
}

/// Every check of a certificate (with its board), its signer checked
/// against the organisation's keys as this server knows them.
pub fn verify_here(pool: &Pool, signed: &Signed, board: Option<&BoardFile>) -> AppResult<Vec<super::model::Check>> {
    use super::model::{Trusted, signer_check, verify};
    let cert = &signed.certificate;
    let history = known_keys(pool, &cert.organisation.code)?;
    Ok(match &history {
        Some(history) => {
            let listed = history.keys.iter().any(|k| k.public_key == cert.public_key);
            let against = if listed {
                Some(cert.public_key.clone())
            } else {
                history.keys.last().map(|k| k.public_key.clone())
            };
            let mut checks = verify(signed, board, against.as_deref());
            checks.insert(1, signer_check(cert, Trusted::History(history)));
            checks
        }
        None => {
            let mut checks = verify(signed, board, None);
            let why = format!("{} is not an organisation of this server", cert.organisation.code);
            checks.insert(1, signer_check(cert, Trusted::Unknown(&why)));
            checks
        }
    })
}
