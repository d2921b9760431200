//! Checking many papers at once with the small-exponents test (Bellare, Garay, Rabin, "Fast batch
//! verification for modular exponentiation and digital signatures", EUROCRYPT 1998).
//!
//! Every check of a paper is a linear equation E = 0 in the group (see `proofs`): for option k,
//! v0·g − a0 − c0·alpha = 0, v0·Y − b0 − c0·beta = 0, v1·g − a1 − c1·alpha = 0,
//! v1·Y − b1 − c1·(beta − g) = 0, and for the sum proof v·g − a − c·Σalpha = 0,
//! v·Y − b − c·(Σbeta − g) = 0. Instead of each, the verifier checks Σ z_e·E_e = 0 for independent random
//! 128-bit z_e: if any equation is false, the sum is 0 with probability at most 2^-128 (the group has
//! prime order). The sum is one multiscalar multiplication in which g and Y appear once, each alpha and
//! beta once per paper option, and each commitment once with a short scalar. The challenge sums
//! c0 + c1 == c are checked exactly, one by one.
//!
//! The weights come from `source` (the server passes `OsRandom`): one 32-byte seed per batch, expanded as
//! SHA-512(lp("quorate batch weights v1") || seed || block as u64 BE), four weights per block. A prover
//! who could predict the weights could make a false batch pass, so the seed must be secret until the
//! papers are fixed.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use super::election::{ElectionKey, Fingerprint};
use super::error::CryptoError;
use super::group::{Point, ScalarSource};
use super::paper::{
    EncryptedPaper, check_shape, option_context, paper_context, sum_context, sum_statement, verify_paper,
};
use super::proofs::{Dleq, dleq_challenge, zero_or_one_challenge};

const WEIGHTS_DOMAIN: &[u8] = b"quorate batch weights v1";

struct Weights {
    seed: [u8; 32],
    block: u64,
    buffer: [u8; 64],
    used: usize,
}

impl Weights {
    fn new(source: &mut dyn ScalarSource) -> Self {
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&source.wide_bytes()[..32]);
        Self {
            seed,
            block: 0,
            buffer: [0; 64],
            used: 4,
        }
    }

    fn next(&mut self) -> Scalar {
        if self.used == 4 {
            let mut hasher = Sha512::new();
            hasher.update((WEIGHTS_DOMAIN.len() as u64).to_be_bytes());
            hasher.update(WEIGHTS_DOMAIN);
            hasher.update(self.seed);
            hasher.update(self.block.to_be_bytes());
            self.buffer = hasher.finalize().into();
            self.block += 1;
            self.used = 0;
        }
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(&self.buffer[self.used * 16..self.used * 16 + 16]);
        self.used += 1;
        Scalar::from_bytes_mod_order(bytes)
    }
}

/// The terms of Σ z_e·E_e, gathered paper by paper.
struct Combination<'a> {
    g: Scalar,
    y: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<&'a RistrettoPoint>,
}

impl<'a> Combination<'a> {
    fn push(&mut self, scalar: Scalar, point: &'a Point) {
        self.scalars.push(scalar);
        self.points.push(point.point());
    }

    /// Adds one paper's equations; false if a challenge sum is already wrong.
    fn add_paper(
        &mut self,
        key: &ElectionKey,
        fp: &Fingerprint,
        code: &str,
        paper: &'a EncryptedPaper,
        z: &mut Weights,
    ) -> bool {
        let context = paper_context(fp, code);
        let (h1, h2) = sum_statement(&paper.choices);
        let g = Point::generator();
        let statement = Dleq {
            g1: &g,
            h1: &h1,
            g2: key.public(),
            h2: &h2,
        };
        let sum = &paper.sum_proof;
        let c = dleq_challenge(&statement, &sum.a, &sum.b, &sum_context(&context));
        let (z5, z6) = (z.next(), z.next());
        self.g += z5 * sum.response + z6 * c;
        self.y += z6 * sum.response;
        self.push(-z5, &sum.a);
        self.push(-z6, &sum.b);
        for (k, (ct, p)) in paper.choices.iter().zip(&paper.proofs).enumerate() {
            if p.c0 + p.c1 != zero_or_one_challenge(key, ct, p, &option_context(&context, k)) {
                return false;
            }
            let (z1, z2, z3, z4) = (z.next(), z.next(), z.next(), z.next());
            self.g += z1 * p.v0 + z3 * p.v1 + z4 * p.c1;
            self.y += z2 * p.v0 + z4 * p.v1;
            self.push(-z1, &p.a0);
            self.push(-z2, &p.b0);
            self.push(-z3, &p.a1);
            self.push(-z4, &p.b1);
            self.push(-(z1 * p.c0 + z3 * p.c1 + z5 * c), &ct.alpha);
            self.push(-(z2 * p.c0 + z4 * p.c1 + z6 * c), &ct.beta);
        }
        true
    }

    fn holds(self, key: &ElectionKey) -> bool {
        let scalars = self.scalars.into_iter().chain([self.g, self.y]);
        let points = self
            .points
            .into_iter()
            .chain([&RISTRETTO_BASEPOINT_POINT, key.public().point()]);
        RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity()
    }
}

/// Verifies every paper (each with its practice code) under one ballot. If the batch fails, the papers are
/// checked one by one so that the error names every bad paper (by position in `papers`) and the fault of
/// the first.
pub fn verify_papers_batch(
    key: &ElectionKey,
    fingerprint: &Fingerprint,
    option_count: usize,
    papers: &[(&str, &EncryptedPaper)],
    source: &mut dyn ScalarSource,
) -> Result<(), CryptoError> {
    if batch_holds(key, fingerprint, option_count, papers, source) {
        return Ok(());
    }
    let mut bad = Vec::new();
    let mut first = None;
    for (i, (code, paper)) in papers.iter().enumerate() {
        if let Err(e) = verify_paper(key, fingerprint, code, option_count, paper) {
            bad.push(i);
            first.get_or_insert(e);
        }
    }
    match first {
        None => Ok(()),
        Some(first) => Err(CryptoError::BatchRejected {
            total: papers.len(),
            bad,
            first: Box::new(first),
        }),
    }
}

fn batch_holds(
    key: &ElectionKey,
    fingerprint: &Fingerprint,
    option_count: usize,
    papers: &[(&str, &EncryptedPaper)],
    source: &mut dyn ScalarSource,
) -> bool {
    if papers.iter().any(|(_, p)| check_shape(p, option_count).is_err()) {
        return false;
    }
    let terms = papers.len() * (6 * option_count + 2);
    let mut combination = Combination {
        g: Scalar::ZERO,
        y: Scalar::ZERO,
        scalars: Vec::with_capacity(terms),
        points: Vec::with_capacity(terms),
    };
    let mut weights = Weights::new(source);
    for (code, paper) in papers {
        if !combination.add_paper(key, fingerprint, code, paper, &mut weights) {
            return false;
        }
    }
    combination.holds(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::paper::encrypt_paper;
    use crate::crypto::paper::tests::{FP, forge, key};

    fn papers(key: &ElectionKey, count: usize) -> Vec<(String, EncryptedPaper)> {
        let mut src = Seeded::new("batch", [1; 32]);
        (0..count)
            .map(|i| {
                let code = format!("P{}", i % 4);
                let paper = encrypt_paper(key, &FP, &code, 3, i % 3, &mut src)
                    .expect("should succeed")
                    .0;
                (code, paper)
            })
            .collect()
    }

    fn refs(items: &[(String, EncryptedPaper)]) -> Vec<(&str, &EncryptedPaper)> {
        items.iter().map(|(c, p)| (c.as_str(), p)).collect()
    }

    #[test]
    fn honest_batch_passes() {
        let (key, _) = key();
        let items = papers(&key, 20);
        let mut src = Seeded::new("weights", [0; 32]);
        assert_eq!(verify_papers_batch(&key, &FP, 3, &refs(&items), &mut src), Ok(()));
        assert_eq!(verify_papers_batch(&key, &FP, 3, &[], &mut src), Ok(()));
    }

    #[test]
    fn every_kind_of_fault_is_caught_and_named() {
        let (key, _) = key();
        let honest = papers(&key, 12);
        let mut src = Seeded::new("weights", [0; 32]);
        type Fault = (usize, Box<dyn Fn(&mut EncryptedPaper)>, CryptoError);
        let faults: Vec<Fault> = vec![
            (
                3,
                Box::new(|p| p.choices[1].alpha = Point::generator()),
                CryptoError::OptionProof { option: 1 },
            ),
            (
                5,
                Box::new(|p| p.proofs[2].v1 += Scalar::ONE),
                CryptoError::OptionProof { option: 2 },
            ),
            (
                7,
                Box::new(|p| p.proofs[0].b0 = Point::generator()),
                CryptoError::OptionProof { option: 0 },
            ),
            (
                8,
                Box::new(|p| p.sum_proof.response += Scalar::ONE),
                CryptoError::SumProof,
            ),
            (
                9,
                Box::new(|p| p.sum_proof.a = Point::generator()),
                CryptoError::SumProof,
            ),
        ];
        for (index, break_it, expected) in faults {
            let mut items = honest.clone();
            break_it(&mut items[index].1);
            let err = verify_papers_batch(&key, &FP, 3, &refs(&items), &mut src).expect_err("should be refused");
            assert_eq!(
                err,
                CryptoError::BatchRejected {
                    total: 12,
                    bad: vec![index],
                    first: Box::new(expected)
                }
            );
        }
        let mut items = honest.clone();
        items[4].0 = "elsewhere".into();
        items[10].0 = "elsewhere".into();
        let err = verify_papers_batch(&key, &FP, 3, &refs(&items), &mut src).expect_err("should be refused");
        assert!(
            matches!(err, CryptoError::BatchRejected { ref bad, .. } if bad == &vec![4, 10]),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("2 of the 12 papers in the batch do not verify (papers 4, 10)"),
            "{err}"
        );
    }

    #[test]
    fn forged_votes_fail_the_batch() {
        let (key, _) = key();
        let mut src = Seeded::new("forge", [2; 32]);
        let mut items = papers(&key, 6);
        // forge() uses practice "P1"; positions 1 and 5 use P1 too.
        items[1].1 = forge(&key, &[1, 1, 0], &mut src);
        items[5].1 = forge(&key, &[0, 2, 0], &mut src);
        let err = verify_papers_batch(&key, &FP, 3, &refs(&items), &mut src).expect_err("should be refused");
        assert_eq!(
            err,
            CryptoError::BatchRejected {
                total: 6,
                bad: vec![1, 5],
                first: Box::new(CryptoError::SumProof)
            }
        );
    }
}
