//! The certificate of result and the bulletin board, and checking them,
//! without I/O: what `quorate verify` runs on another machine.
//!
//! A certificate is signed over its canonical JSON (RFC 8785: sorted keys,
//! no insignificant whitespace), so any program can recompute the bytes.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::merkle::{self, Hash, Side};
use crate::ballots::model::{BallotKind, BallotRules};
use crate::ballots::rules::{self, BallotResult, Elector, Paper};
use crate::ballots::stv::report::CountReport;

pub const CERTIFICATE_FORMAT: &str = "quorate-certificate/1";
pub const BOARD_FORMAT: &str = "quorate-board/1";

/// One paper on the board: what the count saw, nothing about who cast it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardPaper {
    pub receipt_digest: String,
    pub option: String,
    pub weight: u64,
    pub constituency: Option<String>,
}

/// One practice of the frozen electorate.
/// (Public on the boards of every kind of ballot.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardElector {
    pub practice: String,
    pub weight: u64,
    pub constituency: Option<String>,
}

/// The bulletin board of a counted ballot: every paper (sorted by receipt
/// digest), the practices that voted, the electorate, the Merkle root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub format: String,
    pub organisation: String,
    pub ballot: i32,
    pub papers: Vec<BoardPaper>,
    pub voters: Vec<String>,
    pub electorate: Vec<BoardElector>,
    pub merkle_root: String,
}

pub fn paper_leaf(paper: &BoardPaper) -> Hash {
    // Serialising plain strings and integers cannot fail.
    merkle::leaf_hash(
        serde_json_canonicalizer::to_string(paper)
            .unwrap_or_default()
            .as_bytes(),
    )
}

pub fn merkle_root(papers: &[BoardPaper]) -> String {
    let leaves: Vec<Hash> = papers.iter().map(paper_leaf).collect();
    hex::encode(merkle::root(&leaves))
}

impl Board {
    pub fn new(
        organisation: String,
        ballot: i32,
        mut papers: Vec<BoardPaper>,
        mut voters: Vec<String>,
        mut electorate: Vec<BoardElector>,
    ) -> Board {
        papers.sort_by(|a, b| a.receipt_digest.cmp(&b.receipt_digest));
        voters.sort();
        electorate.sort_by(|a, b| a.practice.cmp(&b.practice));
        let merkle_root = merkle_root(&papers);
        Board {
            format: BOARD_FORMAT.into(),
            organisation,
            ballot,
            papers,
            voters,
            electorate,
            merkle_root,
        }
    }

    /// The digest of the electorate, as the ballot recorded it at
    /// publication (`ballots::service::electorate_lines`).
    pub fn electorate_digest(&self) -> String {
        let lines: Vec<(String, u64, Option<String>)> = self
            .electorate
            .iter()
            .map(|e| (e.practice.clone(), e.weight, e.constituency.clone()))
            .collect();
        crate::token::digest(&crate::ballots::service::electorate_lines(&lines))
    }

    /// The paper with this receipt and its inclusion proof.
    pub fn find(&self, receipt_digest: &str) -> Option<(&BoardPaper, Vec<(Side, String)>)> {
        let index = self.papers.iter().position(|p| p.receipt_digest == receipt_digest)?;
        let leaves: Vec<Hash> = self.papers.iter().map(paper_leaf).collect();
        let path = merkle::proof(&leaves, index)
            .into_iter()
            .map(|(side, h)| (side, hex::encode(h)))
            .collect();
        Some((&self.papers[index], path))
    }
}

/// Checks an inclusion proof against a root (both hex).
pub fn proof_holds(paper: &BoardPaper, path: &[(Side, String)], root: &str) -> bool {
    let decode = |h: &str| -> Option<Hash> { hex::decode(h).ok()?.try_into().ok() };
    let Some(root) = decode(root) else { return false };
    let mut steps = Vec::new();
    for (side, h) in path {
        match decode(h) {
            Some(h) => steps.push((*side, h)),
            None => return false,
        }
    }
    merkle::verify(&paper_leaf(paper), &steps, &root)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionEntry {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotEntry {
    pub id: i32,
    pub kind: BallotKind,
    pub title: String,
    pub question: String,
    pub options: Vec<OptionEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectorateEntry {
    pub practices: u64,
    pub weight: u64,
    /// SHA-256 of the frozen electorate, one line per practice by ODS code:
    /// `code,weight,constituency`.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    pub written: i64,
    /// Delivered by the time voting opened.
    pub delivered_by_opening: i64,
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
    pub practices_without_representative: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reminder {
    pub days_before_close: i32,
    pub sent_at: String,
    pub messages: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeline {
    pub published_at: String,
    pub opens_at: String,
    pub opened_at: String,
    pub closes_at: String,
    pub original_closes_at: Option<String>,
    pub extension_reason: Option<String>,
    pub closed_at: String,
    pub counted_at: String,
    pub notices: Notices,
    pub reminders: Vec<Reminder>,
    /// Times voting was suspended and resumed. (Absent when never, so the
    /// canonical JSON of earlier certificates is as before.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspensions: Vec<SuspensionEntry>,
    /// The void ballot this one re-runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<RerunEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspensionEntry {
    pub suspended_at: String,
    pub reason: String,
    pub closes_at_before: String,
    pub resumed_at: String,
    pub closes_at_after: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RerunEntry {
    pub ballot_id: i32,
    pub title: String,
    pub voided_at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Votes {
    pub entitled: u64,
    pub cast: u64,
    pub weight_cast: u64,
    pub turnout: String,
    /// Papers set aside at the count. Submissions are checked when they are
    /// made and refused then, so none is recorded that could be rejected.
    pub rejected_at_count: u64,
    /// A ballot that took proxy votes: how many of `cast` were by proxy.
    /// (Absent for other ballots, so their certificates are as before.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_proxy: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardEntry {
    pub papers: u64,
    pub merkle_root: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    pub name: String,
    pub statement: String,
}

/// The certificate of result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub format: String,
    pub id: String,
    pub organisation: Named,
    pub ballot: BallotEntry,
    pub rules: BallotRules,
    pub electorate: ElectorateEntry,
    pub timeline: Timeline,
    pub votes: Votes,
    pub result: BallotResult,
    pub outcome_in_words: String,
    pub quorum_met: bool,
    pub board: BoardEntry,
    pub audit_head: String,
    pub returning_officer: Officer,
    pub statements: Vec<String>,
    pub issued_at: String,
    /// The organisation's Ed25519 public key, hex.
    pub public_key: String,
    pub key_fingerprint: String,
    /// A verifiable secret ballot: who held the key, the encrypted totals and
    /// their decryption. (Absent for other ballots, so their canonical JSON,
    /// and so their signatures, are as before.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election: Option<ElectionEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeEntry {
    pub index: u32,
    pub name: String,
    /// g^{s_i}, hex: what the trustee's decryptions are proved against.
    pub verification_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionEntry {
    pub fingerprint: String,
    pub public_key: String,
    pub threshold: u32,
    pub trustees: Vec<TrusteeEntry>,
    /// SHA-256 of the board's canonical JSON.
    pub board_digest: String,
    pub aggregates: crate::crypto::tally::Aggregates,
    pub decryptions: Vec<crate::crypto::tally::PartialDecryption>,
    /// Papers opened for a cast-as-intended check (not counted).
    pub spoiled: u64,
}

/// A board as downloaded: of a plain ballot, or of a verifiable one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BoardFile {
    Plain(Board),
    Verifiable(Box<super::verifiable::VerifiableBoard>),
}

impl BoardFile {
    pub fn parse(text: &str) -> Result<BoardFile, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(super::verifiable::VERIFIABLE_BOARD_FORMAT) => {
                serde_json::from_value(value).map(|b| BoardFile::Verifiable(Box::new(b)))
            }
            _ => serde_json::from_value(value).map(BoardFile::Plain),
        }
    }
}

/// A certificate with its detached signature (hex, over the canonical JSON
/// of `certificate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub certificate: Certificate,
    pub signature: String,
}

pub fn canonical<T: Serialize>(value: &T) -> Result<String, String> {
    let value = serde_json::to_value(value).map_err(|e| format!("canonical JSON: {e}"))?;
    // RFC 8785 writes numbers as IEEE doubles: an integer beyond 2^53 would
    // be signed as a nearby one, so the signature would not bind it
    // (found by fuzzing: tests/fuzz/crashes/certificate-4).
    if let Some(number) = inexact_number(&value) {
        return Err(format!(
            "canonical JSON: the number {number} is larger than 2^53 and cannot be signed exactly"
        ));
    }
    serde_json_canonicalizer::to_string(&value).map_err(|e| format!("canonical JSON: {e}"))
}

/// The first integer in `value` that an IEEE double cannot hold exactly.
fn inexact_number(value: &serde_json::Value) -> Option<String> {
    const EXACT: u64 = 1 << 53;
    match value {
        serde_json::Value::Number(n) => {
            let beyond = n.as_u64().is_some_and(|u| u > EXACT) || n.as_i64().is_some_and(|i| i.unsigned_abs() > EXACT);
            beyond.then(|| n.to_string())
        }
        serde_json::Value::Array(items) => items.iter().find_map(inexact_number),
        serde_json::Value::Object(map) => map.values().find_map(inexact_number),
        _ => None,
    }
}

/// "1A2B 3C4D …": the first 16 bytes of the key's SHA-256, for people to compare.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.to_bytes());
    hex::encode_upper(&digest[..16])
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn sign(certificate: Certificate, key: &SigningKey) -> Result<Signed, String> {
    let bytes = canonical(&certificate)?;
    let signature: Signature = key.sign(bytes.as_bytes());
    Ok(Signed {
        certificate,
        signature: hex::encode(signature.to_bytes()),
    })
}

pub fn parse_key(hex_key: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("a public key is 64 hexadecimal characters")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not an Ed25519 public key".to_owned())
}

pub const KEY_HISTORY_FORMAT: &str = "quorate-key-history/1";

/// One key an organisation has signed with, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub public_key: String,
    pub fingerprint: String,
    pub from: String,
    pub until: Option<String>,
}

/// Every key an organisation has used, oldest first; the last is current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyHistory {
    pub format: String,
    pub organisation: String,
    pub keys: Vec<KeyEntry>,
}

/// The history signed by the current key: the organisation vouches, with
/// the key it signs with now, for the keys it signed with before (a key
/// file lost or replaced), so their certificates stay verifiable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedKeyHistory {
    pub history: KeyHistory,
    pub signature: String,
}

pub fn sign_history(history: KeyHistory, key: &SigningKey) -> Result<SignedKeyHistory, String> {
    let bytes = canonical(&history)?;
    let signature: Signature = key.sign(bytes.as_bytes());
    Ok(SignedKeyHistory {
        history,
        signature: hex::encode(signature.to_bytes()),
    })
}

/// Whether `signature` (hex) is the Ed25519 signature of `bytes` by the
/// key `public_key` (hex).
pub fn signature_holds(public_key: &str, bytes: &[u8], signature: &str) -> bool {
    let Ok(key) = parse_key(public_key) else {
        return false;
    };
    hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .is_some_and(|signature| key.verify_strict(bytes, &signature).is_ok())
}

/// The history, if its current key signed it.
pub fn check_history(signed: &SignedKeyHistory) -> Result<&KeyHistory, String> {
    let history = &signed.history;
    if history.format != KEY_HISTORY_FORMAT {
        return Err(format!("not a key history (\"{}\")", history.format));
    }
    let current = history.keys.last().ok_or("the key history is empty")?;
    let key = parse_key(&current.public_key)?;
    let signature = hex::decode(&signed.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or("the key history's signature is not 64 bytes of hex")?;
    let bytes = canonical(history)?;
    key.verify_strict(bytes.as_bytes(), &signature)
        .map_err(|_| "the key history was not signed by its current key, or was changed".to_owned())?;
    Ok(history)
}

/// Whether the certificate's signer is confirmed, and how: against a key
/// history the organisation published (its current key or an earlier one),
/// or a key given by the person verifying; without either it is not.
pub fn signer_check(cert: &Certificate, trusted: Trusted<'_>) -> Check {
    let print = parse_key(&cert.public_key).map(|k| fingerprint(&k)).unwrap_or_default();
    match trusted {
        Trusted::Given(key) => {
            let same = parse_key(key).is_ok_and(|k| hex::encode(k.to_bytes()) == cert.public_key.to_lowercase());
            check(
                "signer",
                same,
                if same {
                    format!("the key given, fingerprint {print}")
                } else {
                    "the certificate was not signed with the key given".to_owned()
                },
            )
        }
        Trusted::History(history) => match history.keys.iter().find(|k| k.public_key == cert.public_key) {
            Some(entry) if history.organisation == cert.organisation.code => check(
                "signer",
                true,
                match &entry.until {
                    None => format!(
                        "{}'s current published key, fingerprint {}",
                        cert.organisation.code, entry.fingerprint
                    ),
                    Some(until) => format!(
                        "an earlier key of {}, used from {} until {} and listed in its signed key history; fingerprint {}",
                        cert.organisation.code, entry.from, until, entry.fingerprint
                    ),
                },
            ),
            _ => check(
                "signer",
                false,
                format!(
                    "the certificate's key (fingerprint {print}) is not one that {} has published: it was not signed by {}",
                    cert.organisation.code, cert.organisation.name
                ),
            ),
        },
        Trusted::Unknown(why) => check(
            "signer",
            false,
            format!(
                "not confirmed: {why}. The certificate was signed by the key with fingerprint {print}; compare it with the fingerprint {} publishes on its key page, then give that key with --key",
                cert.organisation.code
            ),
        ),
    }
}

/// What the signer of a certificate is checked against.
pub enum Trusted<'a> {
    Given(&'a str),
    History(&'a KeyHistory),
    Unknown(&'a str),
}

/// One line of a verification report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

fn check(name: &str, passed: bool, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_owned(),
        passed,
        detail: detail.into(),
    }
}

/// Every check of a certificate, with its board when given, and against
/// `trusted_key` when given (otherwise the key in the certificate).
pub fn verify(signed: &Signed, board: Option<&BoardFile>, trusted_key: Option<&str>) -> Vec<Check> {
    let cert = &signed.certificate;
    let mut checks = vec![check(
        "format",
        cert.format == CERTIFICATE_FORMAT,
        format!("\"{}\"", cert.format),
    )];
    let key = match (parse_key(&cert.public_key), trusted_key) {
        (Ok(key), Some(trusted)) => match parse_key(trusted) {
            Ok(t) if t == key => Some(key),
            Ok(_) => {
                checks.push(check(
                    "key",
                    false,
                    "the certificate names a different key from the one given",
                ));
                None
            }
            Err(e) => {
                checks.push(check("key", false, format!("the key given: {e}")));
                None
            }
        },
        (Ok(key), None) => Some(key),
        (Err(e), _) => {
            checks.push(check("key", false, e));
            None
        }
    };
    if let Some(key) = key {
        checks.push(check(
            "key fingerprint",
            fingerprint(&key) == cert.key_fingerprint,
            fingerprint(&key),
        ));
        let signature = hex::decode(&signed.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b));
        let valid = match (signature, canonical(cert)) {
            (Some(signature), Ok(bytes)) => key.verify_strict(bytes.as_bytes(), &signature).is_ok(),
            _ => false,
        };
        checks.push(check(
            "signature",
            valid,
            if valid {
                "the organisation's key signed exactly this certificate"
            } else {
                "the signature does not match the certificate: it was changed after signing, or signed by another key"
            },
        ));
    }
    let sum = cert.result.overall.tally.turnout();
    checks.push(check(
        "votes cast",
        sum.practices == cert.votes.cast
            && sum.weight == cert.votes.weight_cast
            && cert.board.papers == cert.votes.cast,
        format!("{} papers, weight {}", sum.practices, sum.weight),
    ));
    match (board, &cert.election) {
        (Some(BoardFile::Plain(board)), None) => checks.extend(verify_board(cert, board)),
        (Some(BoardFile::Verifiable(board)), Some(election)) => {
            checks.extend(verify_verifiable_board(cert, election, board));
        }
        (Some(_), _) => checks.push(check(
            "board is this ballot's",
            false,
            "the certificate is of a verifiable ballot and the board of a plain one, or the other way round",
        )),
        (None, _) => {}
    }
    checks
}

fn verify_verifiable_board(
    cert: &Certificate,
    entry: &ElectionEntry,
    board: &super::verifiable::VerifiableBoard,
) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(check(
        "board digest",
        board.digest() == entry.board_digest,
        format!("SHA-256 of the board's canonical JSON: {}", board.digest()),
    ));
    checks.push(check(
        "board is this ballot's",
        board.ballot == cert.ballot.id
            && board.organisation == cert.organisation.code
            && board.election.fingerprint == entry.fingerprint
            && board.election.public_key.to_hex() == entry.public_key
            && board.election.threshold == entry.threshold,
        format!(
            "ballot {} of {}, election {}",
            board.ballot, board.organisation, board.election.fingerprint
        ),
    ));
    let (board_checks, checked) = super::verifiable::check_board(board);
    checks.extend(board_checks);
    checks.push(check(
        "Merkle root",
        board.merkle_root() == cert.board.merkle_root && board.papers.len() as u64 == cert.board.papers,
        format!("{} from {} papers", board.merkle_root(), board.papers.len()),
    ));
    checks.push(check(
        "electorate",
        board.electorate_digest() == cert.electorate.digest
            && board.electorate.len() as u64 == cert.electorate.practices,
        format!(
            "{} practices, digest {}",
            board.electorate.len(),
            board.electorate_digest()
        ),
    ));
    checks.push(check(
        "aggregates and decryptions as certified",
        board.aggregates.as_ref() == Some(&entry.aggregates) && board.decryptions == entry.decryptions,
        format!(
            "{} aggregates, {} decryptions",
            entry.aggregates.ciphertexts().len(),
            entry.decryptions.len()
        ),
    ));
    let options: Vec<String> = cert.ballot.options.iter().map(|o| o.key.clone()).collect();
    let recount = match (&checked, &board.totals) {
        (Some(checked), Some(totals)) => checked.aggregates.as_ref().and_then(|aggregates| {
            crate::ballots::verifiable::model::tallies_from_totals(&options, aggregates, totals).ok()
        }),
        _ => None,
    };
    match recount {
        Some((overall, per_constituency)) => {
            let electors: Vec<Elector> = board
                .electorate
                .iter()
                .map(|e| Elector {
                    weight: e.weight,
                    constituency: e.constituency.clone(),
                })
                .collect();
            let result = rules::result_from_tallies(
                &options,
                &electors,
                overall,
                per_constituency,
                cert.rules.quorum(),
                cert.rules.decision(cert.ballot.kind),
            );
            checks.push(check(
                "tally",
                result.overall.tally == cert.result.overall.tally
                    && result.constituencies.iter().map(|(n, c)| (n, &c.tally)).eq(cert
                        .result
                        .constituencies
                        .iter()
                        .map(|(n, c)| (n, &c.tally))),
                "votes per option, overall and per constituency, from the decrypted totals",
            ));
            checks.push(check(
                "quorum",
                result.overall.quorum_met == cert.result.overall.quorum_met
                    && cert.quorum_met == result.overall.quorum_met,
                if result.overall.quorum_met { "met" } else { "not met" },
            ));
            checks.push(check("outcome", result == cert.result, format!("{:?}", result.outcome)));
        }
        None => checks.push(check(
            "tally",
            false,
            "the count cannot be made from this board: its checks above fail, or it has no decrypted totals",
        )),
    }
    checks
}

fn verify_board(cert: &Certificate, board: &Board) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(check(
        "board is this ballot's",
        board.format == BOARD_FORMAT && board.ballot == cert.ballot.id && board.organisation == cert.organisation.code,
        format!("ballot {} of {}", board.ballot, board.organisation),
    ));
    let sorted = board
        .papers
        .windows(2)
        .all(|w| w[0].receipt_digest < w[1].receipt_digest);
    let root = merkle_root(&board.papers);
    checks.push(check(
        "Merkle root",
        sorted && root == cert.board.merkle_root && root == board.merkle_root,
        if sorted {
            format!("{root} from {} papers", board.papers.len())
        } else {
            "the papers are not sorted by receipt digest (or one appears twice)".to_owned()
        },
    ));
    checks.push(check(
        "electorate",
        board.electorate_digest() == cert.electorate.digest
            && board.electorate.len() as u64 == cert.electorate.practices,
        format!(
            "{} practices, digest {}",
            board.electorate.len(),
            board.electorate_digest()
        ),
    ));
    let mut distinct = board.voters.clone();
    distinct.dedup();
    let electorate: std::collections::HashSet<&str> = board.electorate.iter().map(|e| e.practice.as_str()).collect();
    checks.push(check(
        "one paper per practice that voted",
        board.voters.len() == board.papers.len()
            && distinct.len() == board.voters.len()
            && board.voters.iter().all(|v| electorate.contains(v.as_str())),
        format!("{} practices voted, {} papers", board.voters.len(), board.papers.len()),
    ));
    let options: Vec<String> = cert.ballot.options.iter().map(|o| o.key.clone()).collect();
    let electors: Vec<Elector> = board
        .electorate
        .iter()
        .map(|e| Elector {
            weight: e.weight,
            constituency: e.constituency.clone(),
        })
        .collect();
    let papers: Vec<Paper> = board
        .papers
        .iter()
        .map(|p| Paper {
            option: p.option.clone(),
            weight: p.weight,
            constituency: p.constituency.clone(),
        })
        .collect();
    let recount = match recount(cert, &options, &electors, &papers) {
        Ok(recount) => recount,
        Err(why) => {
            checks.push(check("tally", false, format!("the board cannot be counted: {why}")));
            return checks;
        }
    };
    if let Some(report) = &cert.result.stv {
        checks.push(check(
            "STV count",
            recount.stv.as_ref().map(CountReport::figures) == Some(report.figures()),
            format!(
                "{} recounted from the board stage by stage ({} stages; elected {})",
                cert.rules.count_rule().map_or("an unknown rule", |r| r.description()),
                report.stages.len(),
                report.elected.join(", ")
            ),
        ));
    }
    checks.push(check(
        "tally",
        recount.overall.tally == cert.result.overall.tally
            && recount.constituencies.iter().map(|(n, c)| (n, &c.tally)).eq(cert
                .result
                .constituencies
                .iter()
                .map(|(n, c)| (n, &c.tally))),
        "votes per option recounted from the board, overall and per constituency",
    ));
    checks.push(check(
        "quorum",
        recount.overall.quorum_met == cert.result.overall.quorum_met && cert.quorum_met == recount.overall.quorum_met,
        if recount.overall.quorum_met { "met" } else { "not met" },
    ));
    // An election's stage table is compared by its figures (above), not
    // its wording, so a later change of words keeps old certificates valid.
    let same = BallotResult {
        stv: None,
        ..recount.clone()
    } == BallotResult {
        stv: None,
        ..cert.result.clone()
    } && recount.stv.is_some() == cert.result.stv.is_some();
    checks.push(check("outcome", same, format!("{:?}", recount.outcome)));
    checks
}

/// The count of a plain board's papers, as the certificate's rules make
/// it: an election by its STV rule, with the tie order its count recorded.
fn recount(
    cert: &Certificate,
    keys: &[String],
    electors: &[Elector],
    papers: &[Paper],
) -> Result<BallotResult, String> {
    use crate::ballots::election::count;
    if let (Some(seats), Some(rule)) = (cert.rules.seats, cert.rules.count_rule()) {
        let names: Vec<String> = cert.ballot.options.iter().map(|o| o.label.clone()).collect();
        if let Some(order) = &cert.rules.tie_order {
            if count::tie_order_positions(order, keys).is_none() {
                return Err("the rules' tie_order does not name each candidate's key exactly once".to_owned());
            }
        }
        let tie_order = count::recorded_draw(cert.rules.tie_order.as_deref(), keys);
        let election = count::Election {
            title: &cert.ballot.title,
            keys,
            names: &names,
            seats,
            rule,
            tie_order,
        };
        return count::result(&election, electors, papers, cert.rules.quorum());
    }
    Ok(rules::result(
        keys,
        electors,
        papers,
        cert.rules.quorum(),
        cert.rules.decision(cert.ballot.kind),
    ))
}

pub fn all_passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.passed)
}
