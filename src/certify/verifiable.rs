//! The public board of a verifiable secret ballot and every check anyone can
//! make of it, without I/O: the election record (key, trustees, fingerprint),
//! every practice's encrypted paper and its proofs, the aggregates
//! recomputed from the papers and the electorate's weights, each trustee's
//! partial decryption and its proofs, and the totals they combine to. What
//! `quorate trustee decrypt` checks before decrypting, and `quorate verify`
//! after the count.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::merkle::{self, Hash};
use super::model::{BoardElector, Check};
use crate::ballots::verifiable::model::{Election, ElectionRecord};
use crate::crypto::group::OsRandom;
use crate::crypto::paper::{EncryptedPaper, tracker, verify_papers_batch};
use crate::crypto::tally::{Aggregates, PartialDecryption, TallyPaper, aggregate, combine, verify_partial};

pub const VERIFIABLE_BOARD_FORMAT: &str = "quorate-verifiable-board/1";

/// One practice's encrypted paper. Who voted is public; how is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperEntry {
    pub practice: String,
    pub tracker: String,
    pub paper: EncryptedPaper,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifiableBoard {
    pub format: String,
    pub organisation: String,
    pub ballot: i32,
    pub election: ElectionRecord,
    /// The frozen electorate, by ODS code.
    pub electorate: Vec<BoardElector>,
    /// By practice.
    pub papers: Vec<PaperEntry>,
    /// Trackers of papers opened for a cast-as-intended check: never counted.
    pub spoiled: Vec<String>,
    /// Made at the close.
    pub aggregates: Option<Aggregates>,
    /// The trustees' partial decryptions, by trustee.
    pub decryptions: Vec<PartialDecryption>,
    /// The decrypted totals in the aggregates' order, once counted.
    pub totals: Option<Vec<u64>>,
}

impl VerifiableBoard {
    /// SHA-256 (hex) of the board's RFC 8785 canonical JSON: what the
    /// certificate names.
    pub fn digest(&self) -> String {
        let bytes = serde_json_canonicalizer::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }

    /// Merkle root over the papers' (practice, tracker) pairs in order.
    pub fn merkle_root(&self) -> String {
        let leaves: Vec<Hash> = self.papers.iter().map(paper_leaf).collect();
        hex::encode(merkle::root(&leaves))
    }

    /// The frozen electorate's digest, as recorded at publication.
    pub fn electorate_digest(&self) -> String {
        let lines: Vec<(String, u64, Option<String>)> = self
            .electorate
            .iter()
            .map(|e| (e.practice.clone(), e.weight, e.constituency.clone()))
            .collect();
        crate::token::digest(&crate::ballots::service::electorate_lines(&lines))
    }
}

pub fn paper_leaf(entry: &PaperEntry) -> Hash {
    let leaf = serde_json::json!({"practice": entry.practice, "tracker": entry.tracker});
    merkle::leaf_hash(
        serde_json_canonicalizer::to_string(&leaf)
            .unwrap_or_default()
            .as_bytes(),
    )
}

fn check(name: &str, passed: bool, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_owned(),
        passed,
        detail: detail.into(),
    }
}

/// What the checks established, for those who go on (to decrypt, or to
/// recount).
pub struct Checked {
    pub election: Election,
    pub aggregates: Option<Aggregates>,
}

/// Every check of the board on its own. With `Some`, the election, papers
/// and aggregates all hold (decryptions and totals are checked when there).
pub fn check_board(board: &VerifiableBoard) -> (Vec<Check>, Option<Checked>) {
    let mut checks = Vec::new();
    checks.push(check(
        "board format",
        board.format == VERIFIABLE_BOARD_FORMAT,
        format!("\"{}\"", board.format),
    ));
    let election = match board.election.check() {
        Ok(election) => {
            checks.push(check(
                "election key and trustees",
                true,
                format!(
                    "{} trustees' public parts and proofs check, any {} decrypt; the key is their product; fingerprint {}",
                    board.election.trustees.len(),
                    board.election.threshold,
                    board.election.fingerprint
                ),
            ));
            Some(election)
        }
        Err(e) => {
            checks.push(check("election key and trustees", false, e.to_string()));
            None
        }
    };
    checks.push(check(
        "board is this election's",
        board.ballot == board.election.ballot && board.organisation == board.election.organisation,
        format!("ballot {} of {}", board.ballot, board.organisation),
    ));
    let weights: BTreeMap<&str, &BoardElector> = board.electorate.iter().map(|e| (e.practice.as_str(), e)).collect();
    let practices: Vec<&str> = board.papers.iter().map(|p| p.practice.as_str()).collect();
    let distinct: BTreeSet<&str> = practices.iter().copied().collect();
    let strangers: Vec<&str> = practices.iter().copied().filter(|p| !weights.contains_key(p)).collect();
    checks.push(check(
        "one paper per practice, each in the electorate",
        distinct.len() == practices.len() && strangers.is_empty() && practices.windows(2).all(|w| w[0] < w[1]),
        if strangers.is_empty() {
            format!("{} papers from {} practices", practices.len(), distinct.len())
        } else {
            format!("papers from practices outside the electorate: {}", strangers.join(", "))
        },
    ));
    let bad_trackers: Vec<&str> = board
        .papers
        .iter()
        .filter(|p| tracker(&p.paper).ok().as_deref() != Some(p.tracker.as_str()))
        .map(|p| p.practice.as_str())
        .collect();
    let spoiled: BTreeSet<&str> = board.spoiled.iter().map(String::as_str).collect();
    let cast_spoiled: Vec<&str> = board
        .papers
        .iter()
        .filter(|p| spoiled.contains(p.tracker.as_str()))
        .map(|p| p.practice.as_str())
        .collect();
    checks.push(check(
        "trackers",
        bad_trackers.is_empty() && cast_spoiled.is_empty(),
        if !bad_trackers.is_empty() {
            format!("the tracker does not match the paper of {}", bad_trackers.join(", "))
        } else if !cast_spoiled.is_empty() {
            format!("a paper opened for a check was counted: {}", cast_spoiled.join(", "))
        } else {
            format!(
                "every tracker is its paper's digest; {} opened papers, none counted",
                board.spoiled.len()
            )
        },
    ));
    let Some(election) = election else {
        return (checks, None);
    };
    let list: Vec<(&str, &EncryptedPaper)> = board.papers.iter().map(|p| (p.practice.as_str(), &p.paper)).collect();
    let papers_ok = match verify_papers_batch(
        &election.key,
        &election.fingerprint,
        election.options.len(),
        &list,
        &mut OsRandom,
    ) {
        Ok(()) => {
            checks.push(check(
                "every paper's proofs",
                true,
                format!(
                    "each of the {} papers encrypts one choice of exactly one of {} options, bound to this ballot and its practice",
                    list.len(),
                    election.options.len()
                ),
            ));
            true
        }
        Err(crate::crypto::CryptoError::BatchRejected { bad, first, .. }) => {
            let named: Vec<&str> = bad.iter().filter_map(|&i| list.get(i).map(|(c, _)| *c)).collect();
            checks.push(check(
                "every paper's proofs",
                false,
                format!("the papers of {} do not verify: {first}", named.join(", ")),
            ));
            false
        }
        Err(e) => {
            checks.push(check("every paper's proofs", false, e.to_string()));
            false
        }
    };
    let Some(stored) = &board.aggregates else {
        let ok = papers_ok && checks.iter().all(|c| c.passed);
        return (
            checks,
            ok.then_some(Checked {
                election,
                aggregates: None,
            }),
        );
    };
    let tally_papers: Option<Vec<TallyPaper<'_>>> = board
        .papers
        .iter()
        .map(|p| {
            weights.get(p.practice.as_str()).map(|e| TallyPaper {
                paper: &p.paper,
                weight: e.weight,
                group: e.constituency.as_deref(),
            })
        })
        .collect();
    let recomputed = tally_papers.and_then(|papers| aggregate(election.options.len(), &papers).ok());
    let aggregates_ok = recomputed.as_ref() == Some(stored);
    checks.push(check(
        "aggregates",
        aggregates_ok,
        if aggregates_ok {
            format!(
                "recomputed from the papers and the electorate's weights: {} encrypted totals (per option weighted and counted, overall and for {} constituencies)",
                stored.ciphertexts().len(),
                stored.groups.len()
            )
        } else {
            "the aggregates on the board are not the product of the papers raised to their practices' weights".to_owned()
        },
    ));
    let context = election.fingerprint;
    let mut partials_ok = true;
    for partial in &board.decryptions {
        let verified = verify_partial(partial, stored, &board.election.trustees, &context);
        partials_ok &= verified.is_ok();
        checks.push(check(
            &format!("decryption by trustee {}", partial.trustee),
            verified.is_ok(),
            match verified {
                Ok(()) => format!(
                    "each of the {} factors is proved to use the trustee's key share",
                    partial.factors.len()
                ),
                Err(e) => e.to_string(),
            },
        ));
    }
    // Decrypting is the costly step: only aggregates and decryptions that
    // checked are combined.
    if let Some(totals) = board.totals.as_ref().filter(|_| aggregates_ok && partials_ok) {
        let combined = combine(
            stored,
            &board.decryptions,
            &board.election.trustees,
            board.election.threshold,
            &context,
            &stored.bounds(),
        );
        let matches = combined.as_ref().is_ok_and(|c| c == totals);
        checks.push(check(
            "totals",
            matches,
            match &combined {
                Ok(_) if matches => format!(
                    "the {} decryptions combine to the totals on the board",
                    board.decryptions.len()
                ),
                Ok(_) => "the decryptions combine to other totals than the board's".to_owned(),
                Err(e) => e.to_string(),
            },
        ));
    } else if board.totals.is_some() {
        checks.push(check(
            "totals",
            false,
            "not combined: the aggregates or the decryptions above did not check".to_owned(),
        ));
    }
    let ok = papers_ok && aggregates_ok && partials_ok && checks.iter().all(|c| c.passed);
    (
        checks,
        ok.then_some(Checked {
            election,
            aggregates: Some(stored.clone()),
        }),
    )
}
