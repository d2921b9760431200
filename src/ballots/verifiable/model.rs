//! Verifiable ballots without I/O: the files trustees and voters exchange
//! with the server, the election record fixed at publication, and turning
//! decrypted totals into the count. Used by the server, the command line
//! and `quorate verify` alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ballots::rules::{Tally, Votes};
use crate::crypto::CryptoError;
use crate::crypto::election::{ElectionKey, Fingerprint, fingerprint};
use crate::crypto::group::Point;
use crate::crypto::paper::EncryptedPaper;
use crate::crypto::tally::{Aggregates, PartialDecryption};
use crate::crypto::trustees::{EncryptedShare, TrusteePrivate, TrusteePublic, check_ceremony, election_public_key};

pub const KEY_FORMAT: &str = "quorate-trustee-key/1";
pub const PRIVATE_FORMAT: &str = "quorate-trustee-private/1";
pub const SHARES_FORMAT: &str = "quorate-trustee-shares/1";
pub const PARTIAL_FORMAT: &str = "quorate-partial-decryption/1";
pub const ELECTION_FORMAT: &str = "quorate-election/1";
pub const PAPER_FORMAT: &str = "quorate-encrypted-paper/1";
pub const OPENING_FORMAT: &str = "quorate-opened-paper/1";

/// What `quorate trustee keygen` prints and the trustee uploads: the public
/// part of their key, with its proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyUpload {
    pub format: String,
    pub ballot: i32,
    pub trustee: u32,
    pub public: TrusteePublic,
}

/// The file a trustee keeps on their own machine and never uploads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateFile {
    pub format: String,
    pub ballot: i32,
    pub trustee: u32,
    pub trustees: u32,
    pub threshold: u32,
    pub private: TrusteePrivate,
}

/// What `quorate trustee shares` prints: this trustee's share of their key
/// for each other trustee, each encrypted to its recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharesUpload {
    pub format: String,
    pub ballot: i32,
    pub trustee: u32,
    pub shares: Vec<EncryptedShare>,
}

/// What `quorate trustee decrypt` prints: this trustee's partial decryption
/// of every aggregate, with proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialUpload {
    pub format: String,
    pub ballot: i32,
    pub partial: PartialDecryption,
}

/// The election as fixed at publication, public from then on: every paper
/// is bound to its fingerprint, and the trustees' parts and shares let
/// anyone recompute the key and the fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionRecord {
    pub format: String,
    pub ballot: i32,
    pub organisation: String,
    /// The options' keys in paper order: choice k of a paper is option k.
    pub options: Vec<String>,
    pub threshold: u32,
    pub public_key: Point,
    /// Hex of the 32-byte fingerprint (see `crypto::election::fingerprint`).
    pub fingerprint: String,
    pub trustees: Vec<TrusteePublic>,
    pub shares: Vec<EncryptedShare>,
}

impl ElectionRecord {
    /// Makes the record from a complete ceremony.
    pub fn new(
        ballot: i32,
        organisation: &str,
        options: Vec<String>,
        threshold: u32,
        trustees: Vec<TrusteePublic>,
        shares: Vec<EncryptedShare>,
    ) -> Result<Self, CryptoError> {
        check_ceremony(&trustees, threshold)?;
        check_shares(&trustees, &shares)?;
        let public_key = election_public_key(&trustees);
        let print = fingerprint(
            i64::from(ballot),
            organisation,
            &options,
            &public_key,
            &trustees,
            threshold,
        )?;
        Ok(ElectionRecord {
            format: ELECTION_FORMAT.into(),
            ballot,
            organisation: organisation.to_owned(),
            options,
            threshold,
            public_key,
            fingerprint: hex::encode(print),
            trustees,
            shares,
        })
    }

    /// Checks the record against itself: the ceremony's proofs, the key
    /// (the product of the trustees' first commitments) and the fingerprint.
    pub fn check(&self) -> Result<Election, CryptoError> {
        if self.format != ELECTION_FORMAT {
            return Err(CryptoError::WrongShape(format!(
                "the election record's format is \"{}\", not {ELECTION_FORMAT}",
                self.format
            )));
        }
        check_ceremony(&self.trustees, self.threshold)?;
        check_shares(&self.trustees, &self.shares)?;
        if election_public_key(&self.trustees) != self.public_key {
            return Err(CryptoError::WrongShape(
                "the election key is not the product of the trustees' public parts".into(),
            ));
        }
        let print = fingerprint(
            i64::from(self.ballot),
            &self.organisation,
            &self.options,
            &self.public_key,
            &self.trustees,
            self.threshold,
        )?;
        if hex::encode(print) != self.fingerprint {
            return Err(CryptoError::WrongShape(
                "the election fingerprint does not match the ballot, its options, key and trustees".into(),
            ));
        }
        Ok(Election {
            key: ElectionKey::new(self.public_key),
            fingerprint: print,
            options: self.options.clone(),
        })
    }
}

/// Every trustee sent every other trustee exactly one share.
fn check_shares(trustees: &[TrusteePublic], shares: &[EncryptedShare]) -> Result<(), CryptoError> {
    let n = trustees.len();
    let mut seen = std::collections::BTreeSet::new();
    for share in shares {
        let known = |i: u32| trustees.iter().any(|t| t.index == i);
        if share.sender == share.recipient || !known(share.sender) || !known(share.recipient) {
            return Err(CryptoError::WrongShape(format!(
                "a share from trustee {} to trustee {} does not belong to this ceremony",
                share.sender, share.recipient
            )));
        }
        if !seen.insert((share.sender, share.recipient)) {
            return Err(CryptoError::WrongShape(format!(
                "trustee {} sent trustee {} two shares",
                share.sender, share.recipient
            )));
        }
    }
    let expected = n.saturating_mul(n.saturating_sub(1));
    if seen.len() != expected {
        return Err(CryptoError::WrongShape(format!(
            "{} of the {expected} shares between the trustees are missing",
            expected.saturating_sub(seen.len()),
        )));
    }
    Ok(())
}

/// A checked election, ready to encrypt and verify papers under.
#[derive(Debug, Clone)]
pub struct Election {
    pub key: ElectionKey,
    pub fingerprint: Fingerprint,
    pub options: Vec<String>,
}

impl Election {
    pub fn option_index(&self, key: &str) -> Option<usize> {
        self.options.iter().position(|o| o == key)
    }
}

/// A paper a voter encrypted on their own machine (`quorate vote`), or the
/// server at cast time, as posted to the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperFile {
    pub format: String,
    pub ballot: i32,
    pub practice: String,
    pub paper: EncryptedPaper,
}

/// A paper opened for a cast-as-intended check: its option and randomness.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenedPaper {
    pub format: String,
    pub ballot: i32,
    pub practice: String,
    pub option: String,
    pub tracker: String,
    pub paper: EncryptedPaper,
    pub opening: crate::crypto::paper::Opening,
    /// The election it was made under, to check it against; the published
    /// record is the one to trust (compare its fingerprint).
    pub election: Option<ElectionRecord>,
}

/// The decrypted totals (flat order of `Aggregates::ciphertexts`) as the
/// overall tally and one per constituency with papers.
pub fn tallies_from_totals(
    options: &[String],
    aggregates: &Aggregates,
    totals: &[u64],
) -> Result<(Tally, BTreeMap<String, Tally>), CryptoError> {
    let m = options.len();
    let parts = 1 + aggregates.groups.len();
    if aggregates.option_count != m || totals.len() != parts * 2 * m {
        return Err(CryptoError::WrongShape(format!(
            "{} totals were decrypted for {} options in {parts} parts",
            totals.len(),
            m
        )));
    }
    let tally_at = |part: usize| Tally {
        options: options
            .iter()
            .enumerate()
            .map(|(k, key)| {
                (
                    key.clone(),
                    Votes {
                        weight: totals[part * 2 * m + k],
                        practices: totals[part * 2 * m + m + k],
                    },
                )
            })
            .collect(),
        unknown: Votes::default(),
    };
    let overall = tally_at(0);
    let groups = aggregates
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.group.clone(), tally_at(i + 1)))
        .collect();
    Ok((overall, groups))
}

/// "7c1e 9a02 …": a tracker in groups of four, as a receipt.
pub fn tracker_words(tracker: &str) -> String {
    tracker
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tracker as someone typed it: hex only, lower case.
pub fn normalise_tracker(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::trustees::{keygen, shares_for_others};

    pub fn ceremony(n: u32, t: u32) -> (Vec<TrusteePrivate>, Vec<TrusteePublic>, Vec<EncryptedShare>) {
        let mut source = Seeded::new("test ceremony", [7; 32]);
        let (privates, publics): (Vec<_>, Vec<_>) =
            (1..=n).map(|i| keygen(i, n, t, &mut source).expect("keygen")).unzip();
        let mut shares = Vec::new();
        for p in &privates {
            shares.extend(shares_for_others(p, &publics, &mut source).expect("shares"));
        }
        (privates, publics, shares)
    }

    #[test]
    fn an_election_record_checks_itself_and_refuses_changes() {
        let (_, publics, shares) = ceremony(3, 2);
        let options = vec!["for".to_owned(), "against".to_owned(), "abstain".to_owned()];
        let record =
            ElectionRecord::new(12, "08V", options.clone(), 2, publics.clone(), shares.clone()).expect("record");
        let election = record.check().expect("checks");
        assert_eq!(election.option_index("against"), Some(1));
        let mut other_ballot = record.clone();
        other_ballot.ballot = 13;
        assert!(other_ballot.check().is_err(), "the fingerprint names the ballot");
        let mut reordered = record.clone();
        reordered.options.swap(0, 1);
        assert!(reordered.check().is_err(), "and the options in their order");
        let mut missing = record.clone();
        missing.shares.pop();
        assert!(missing.check().is_err(), "every share is there");
        let too_few = ElectionRecord::new(12, "08V", options, 2, publics, shares[1..].to_vec());
        assert!(too_few.is_err());
    }

    #[test]
    fn totals_become_tallies_in_option_order() {
        let aggregates = Aggregates {
            option_count: 2,
            overall: crate::crypto::tally::Aggregate {
                weighted: vec![],
                counts: vec![],
                total_weight: 0,
                papers: 0,
            },
            groups: vec![crate::crypto::tally::GroupAggregate {
                group: "North".into(),
                aggregate: crate::crypto::tally::Aggregate {
                    weighted: vec![],
                    counts: vec![],
                    total_weight: 0,
                    papers: 0,
                },
            }],
        };
        let options = vec!["for".to_owned(), "against".to_owned()];
        // overall weighted, overall counts, North weighted, North counts
        let (overall, groups) =
            tallies_from_totals(&options, &aggregates, &[30, 12, 3, 2, 10, 0, 1, 0]).expect("tallies");
        assert_eq!(
            overall.votes("for"),
            Votes {
                practices: 3,
                weight: 30
            }
        );
        assert_eq!(
            overall.votes("against"),
            Votes {
                practices: 2,
                weight: 12
            }
        );
        assert_eq!(
            groups["North"].votes("for"),
            Votes {
                practices: 1,
                weight: 10
            }
        );
        assert!(tallies_from_totals(&options, &aggregates, &[1, 2, 3]).is_err());
    }

    #[test]
    fn trackers_are_read_as_typed() {
        assert_eq!(normalise_tracker("7C1E 9a02-ff"), "7c1e9a02ff");
        assert_eq!(tracker_words("7c1e9a02ff"), "7c1e 9a02 ff");
    }
}
