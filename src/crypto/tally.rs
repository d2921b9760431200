//! The weighted homomorphic tally (Cramer, Gennaro, Schoenmakers 1997; ElectionGuard 2.0, "Ballot
//! Aggregation", with the weighting that version 2.1 adds; Belenios weighted elections). Each paper p has a
//! public weight w_p, and option k's weighted aggregate Π_p choice_{p,k}^{w_p} encrypts the total weight
//! behind k; the count aggregate Π_p choice_{p,k} encrypts the number of papers for k. Both are formed
//! overall and for every group (constituency).
//!
//! The flat order used by decryption is: overall weighted[0..m], overall counts[0..m], then for every
//! group in ascending byte order of its name, its weighted[0..m] and counts[0..m].
//!
//! Only the aggregates are decrypted; individual papers never are. Papers must have been verified before
//! they are counted.

use std::collections::BTreeMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};

use super::elgamal::Ciphertext;
use super::error::CryptoError;
use super::group::Point;
use super::paper::EncryptedPaper;

pub use super::decryption::{PartialDecryption, combine, partial_decrypt, verify_partial};

#[derive(Clone, Copy, Debug)]
pub struct TallyPaper<'a> {
    pub paper: &'a EncryptedPaper,
    pub weight: u64,
    pub group: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub weighted: Vec<Ciphertext>,
    pub counts: Vec<Ciphertext>,
    pub total_weight: u64,
    pub papers: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAggregate {
    pub group: String,
    pub aggregate: Aggregate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregates {
    pub option_count: usize,
    pub overall: Aggregate,
    pub groups: Vec<GroupAggregate>,
}

impl Aggregates {
    fn parts(&self) -> impl Iterator<Item = &Aggregate> {
        std::iter::once(&self.overall).chain(self.groups.iter().map(|g| &g.aggregate))
    }

    /// Every aggregate ciphertext in the flat order.
    pub fn ciphertexts(&self) -> Vec<&Ciphertext> {
        self.parts().flat_map(|a| a.weighted.iter().chain(&a.counts)).collect()
    }

    /// The largest value each flat-order aggregate can hold: its total weight for weighted aggregates,
    /// its number of papers for counts.
    pub fn bounds(&self) -> Vec<u64> {
        let m = self.option_count;
        self.parts()
            .flat_map(|a| std::iter::repeat_n(a.total_weight, m).chain(std::iter::repeat_n(a.papers, m)))
            .collect()
    }
}

fn aggregate_one(option_count: usize, papers: &[&TallyPaper<'_>]) -> Result<Aggregate, CryptoError> {
    let total_weight = papers
        .iter()
        .try_fold(0u64, |acc, p| acc.checked_add(p.weight))
        .ok_or(CryptoError::WeightOverflow)?;
    // Weights are public, so the variable-time multiscalar multiplication (Straus or Pippenger) is safe,
    // and it skips the zero top halves of 64-bit weights.
    let weights: Vec<Scalar> = papers.iter().map(|p| Scalar::from(p.weight)).collect();
    let mut weighted = Vec::with_capacity(option_count);
    let mut counts = Vec::with_capacity(option_count);
    for k in 0..option_count {
        let alphas = papers.iter().map(|p| p.paper.choices[k].alpha.point());
        let betas = papers.iter().map(|p| p.paper.choices[k].beta.point());
        weighted.push(Ciphertext {
            alpha: Point::new(RistrettoPoint::vartime_multiscalar_mul(&weights, alphas.clone())),
            beta: Point::new(RistrettoPoint::vartime_multiscalar_mul(&weights, betas.clone())),
        });
        counts.push(Ciphertext {
            alpha: Point::new(alphas.sum()),
            beta: Point::new(betas.sum()),
        });
    }
    Ok(Aggregate {
        weighted,
        counts,
        total_weight,
        papers: papers.len() as u64,
    })
}

fn add(a: &Aggregate, b: &Aggregate) -> Result<Aggregate, CryptoError> {
    let sum = |x: &[Ciphertext], y: &[Ciphertext]| x.iter().zip(y).map(|(p, q)| p.add(q)).collect();
    Ok(Aggregate {
        weighted: sum(&a.weighted, &b.weighted),
        counts: sum(&a.counts, &b.counts),
        total_weight: a
            .total_weight
            .checked_add(b.total_weight)
            .ok_or(CryptoError::WeightOverflow)?,
        papers: a.papers + b.papers,
    })
}

pub fn aggregate(option_count: usize, papers: &[TallyPaper<'_>]) -> Result<Aggregates, CryptoError> {
    let mut buckets: BTreeMap<Option<&str>, Vec<&TallyPaper<'_>>> = BTreeMap::new();
    for (i, p) in papers.iter().enumerate() {
        if p.paper.choices.len() != option_count {
            return Err(CryptoError::WrongShape(format!(
                "paper {i} has {} choices, but the ballot has {option_count} options",
                p.paper.choices.len()
            )));
        }
        buckets.entry(p.group).or_default().push(p);
    }
    let empty = Aggregate {
        weighted: vec![Ciphertext::identity(); option_count],
        counts: vec![Ciphertext::identity(); option_count],
        total_weight: 0,
        papers: 0,
    };
    let mut overall = empty;
    let mut groups = Vec::new();
    // Each paper is multiplied in once, in its own bucket; the overall aggregate is the product of buckets.
    for (group, members) in buckets {
        let part = aggregate_one(option_count, &members)?;
        overall = add(&overall, &part)?;
        if let Some(name) = group {
            groups.push(GroupAggregate {
                group: name.to_owned(),
                aggregate: part,
            });
        }
    }
    Ok(Aggregates {
        option_count,
        overall,
        groups,
    })
}

/// Recomputes the aggregates from the papers and says which one differs: what an auditor runs on the
/// published papers, weights and groups.
pub fn verify_aggregates(
    option_count: usize,
    papers: &[TallyPaper<'_>],
    claimed: &Aggregates,
) -> Result<(), CryptoError> {
    let actual = aggregate(option_count, papers)?;
    if actual.groups.len() != claimed.groups.len()
        || actual
            .groups
            .iter()
            .zip(&claimed.groups)
            .any(|(a, c)| a.group != c.group)
    {
        return Err(CryptoError::WrongShape(
            "the aggregates do not list the papers' groups".into(),
        ));
    }
    let scopes = std::iter::once(("overall".to_owned(), &actual.overall, &claimed.overall)).chain(
        actual
            .groups
            .iter()
            .zip(&claimed.groups)
            .map(|(a, c)| (format!("group {}", a.group), &a.aggregate, &c.aggregate)),
    );
    for (scope, a, c) in scopes {
        if a.total_weight != c.total_weight
            || a.papers != c.papers
            || c.weighted.len() != option_count
            || c.counts.len() != option_count
        {
            return Err(CryptoError::WrongShape(format!(
                "the totals of the aggregates ({scope}) do not match the papers"
            )));
        }
        for k in 0..option_count {
            if a.weighted[k] != c.weighted[k] {
                return Err(CryptoError::AggregateMismatch {
                    what: "weighted aggregate",
                    option: k,
                    scope,
                });
            }
            if a.counts[k] != c.counts[k] {
                return Err(CryptoError::AggregateMismatch {
                    what: "count aggregate",
                    option: k,
                    scope,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::paper::encrypt_paper;
    use crate::crypto::paper::tests::{FP, key};

    fn papers(count: usize) -> Vec<EncryptedPaper> {
        let (key, _) = key();
        let mut src = Seeded::new("tally", [1; 32]);
        (0..count)
            .map(|i| encrypt_paper(&key, &FP, "P", 2, i % 2, &mut src).expect("encrypts").0)
            .collect()
    }

    #[test]
    fn aggregates_are_the_weighted_products() {
        let papers = papers(5);
        let groups = [Some("b"), Some("a"), None, Some("b"), Some("a")];
        let input: Vec<TallyPaper<'_>> = papers
            .iter()
            .zip(groups)
            .enumerate()
            .map(|(i, (paper, group))| TallyPaper {
                paper,
                weight: 10 * i as u64 + 1,
                group,
            })
            .collect();
        let aggregates = aggregate(2, &input).expect("aggregates");
        assert_eq!(
            aggregates.groups.iter().map(|g| g.group.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        for k in 0..2 {
            let weighted: Vec<Ciphertext> = input.iter().map(|p| p.paper.choices[k].pow(p.weight)).collect();
            assert_eq!(aggregates.overall.weighted[k], Ciphertext::product(&weighted));
            let counted: Vec<&Ciphertext> = input.iter().map(|p| &p.paper.choices[k]).collect();
            assert_eq!(aggregates.overall.counts[k], Ciphertext::product(counted));
            let in_a = [&weighted[1], &weighted[4]];
            assert_eq!(aggregates.groups[0].aggregate.weighted[k], Ciphertext::product(in_a));
        }
        assert_eq!(aggregates.overall.total_weight, 1 + 11 + 21 + 31 + 41);
        assert_eq!(aggregates.groups[1].aggregate.total_weight, 1 + 31);
        assert_eq!(aggregates.groups[1].aggregate.papers, 2);
        assert_eq!(aggregates.bounds(), [105, 105, 5, 5, 52, 52, 2, 2, 32, 32, 2, 2]);
        assert_eq!(aggregates.ciphertexts().len(), 12);
        // Input order does not matter.
        let mut reversed = input.clone();
        reversed.reverse();
        assert_eq!(aggregate(2, &reversed).expect("aggregates"), aggregates);
    }

    #[test]
    fn empty_tally_is_the_identity() {
        let aggregates = aggregate(3, &[]).expect("aggregates");
        assert_eq!(aggregates.overall.weighted, vec![Ciphertext::identity(); 3]);
        assert!(aggregates.groups.is_empty());
        assert_eq!(aggregates.bounds(), [0; 6]);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let papers = papers(2);
        let input = [
            TallyPaper {
                paper: &papers[0],
                weight: u64::MAX,
                group: None,
            },
            TallyPaper {
                paper: &papers[1],
                weight: 1,
                group: None,
            },
        ];
        assert_eq!(aggregate(2, &input), Err(CryptoError::WeightOverflow));
        let err = aggregate(3, &input[1..]).expect_err("wrong option count");
        assert_eq!(err.to_string(), "paper 0 has 2 choices, but the ballot has 3 options");
    }
}
