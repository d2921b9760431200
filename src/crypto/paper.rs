//! An encrypted ballot paper: one choice of exactly one of m options, as in Helios (Adida 2008; Helios v4
//! specification, "approval" questions with min = max = 1) and the Belenios specification (individual proofs plus an
//! overall proof). Each option k gets a ciphertext of 0 or 1 with a disjunctive proof, and the product of
//! all ciphertexts, (Π alpha, Π beta), is shown to encrypt exactly 1 by a DLEQ proof that
//! log_g(Π alpha) == log_Y(Π beta / g), whose witness is Σ r_k.
//!
//! Proof contexts (encode_parts writes each part as u64 BE length || bytes):
//!
//! - paper context P = encode_parts([fingerprint (32 bytes), practice_code (UTF-8)])
//! - option k: encode_parts([P, "option", k as u32 BE]); the index stops the options of a paper being
//!   permuted, which would keep the product and so the sum proof intact while changing the vote
//! - sum proof: encode_parts([P, "sum"])
//!
//! so a paper copied to another practice or another ballot does not verify.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::election::{ElectionKey, Fingerprint};
use super::elgamal::{Ciphertext, encrypt};
use super::error::CryptoError;
use super::group::{Point, ScalarSource, encode_parts, scalar_hex_vec};
use super::proofs::{
    DisjunctiveProof, Dleq, DleqProof, prove_dleq_under_key, prove_zero_or_one, verify_dleq, verify_zero_or_one,
};

pub use super::batch::verify_papers_batch;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedPaper {
    pub choices: Vec<Ciphertext>,
    pub proofs: Vec<DisjunctiveProof>,
    pub sum_proof: DleqProof,
}

/// Everything needed to show what a paper encrypts. Revealing it spoils the paper: an opened paper must
/// never be cast (Benaloh 2006).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub chosen: usize,
    #[serde(with = "scalar_hex_vec")]
    pub randomness: Vec<Scalar>,
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Opening {{ chosen: {}, .. }}", self.chosen)
    }
}

pub fn paper_context(fingerprint: &Fingerprint, practice_code: &str) -> Vec<u8> {
    encode_parts(&[fingerprint, practice_code.as_bytes()])
}

pub(crate) fn option_context(paper_context: &[u8], option: usize) -> Vec<u8> {
    encode_parts(&[paper_context, b"option", &(option as u32).to_be_bytes()])
}

pub(crate) fn sum_context(paper_context: &[u8]) -> Vec<u8> {
    encode_parts(&[paper_context, b"sum"])
}

/// (Π alpha, Π beta / g): encrypts Σ m_k − 1, which is 0 exactly when the paper chooses one option.
pub(crate) fn sum_statement(choices: &[Ciphertext]) -> (Point, Point) {
    let (alpha, beta) = choices
        .iter()
        .fold((RistrettoPoint::identity(), RistrettoPoint::identity()), |(a, b), c| {
            (a + c.alpha.point(), b + c.beta.point())
        });
    (Point::new(alpha), Point::new(beta - RISTRETTO_BASEPOINT_POINT))
}

pub(crate) fn check_shape(paper: &EncryptedPaper, option_count: usize) -> Result<(), CryptoError> {
    if paper.choices.len() != option_count || paper.proofs.len() != option_count {
        return Err(CryptoError::WrongShape(format!(
            "the paper has {} choices and {} proofs, but the ballot has {option_count} options",
            paper.choices.len(),
            paper.proofs.len()
        )));
    }
    Ok(())
}

/// Randomness is drawn in a fixed order (per option: r, then the three proof scalars; then the sum
/// proof's), so a `Seeded` source re-creates the same paper.
pub fn encrypt_paper(
    key: &ElectionKey,
    fingerprint: &Fingerprint,
    practice_code: &str,
    option_count: usize,
    chosen: usize,
    source: &mut dyn ScalarSource,
) -> Result<(EncryptedPaper, Opening), CryptoError> {
    if chosen >= option_count {
        return Err(CryptoError::WrongShape(format!(
            "option {chosen} was chosen, but the ballot has only {option_count} options"
        )));
    }
    let context = paper_context(fingerprint, practice_code);
    let mut choices = Vec::with_capacity(option_count);
    let mut proofs = Vec::with_capacity(option_count);
    let mut randomness = Vec::with_capacity(option_count);
    for k in 0..option_count {
        let r = source.next_scalar();
        let is_one = k == chosen;
        let ct = encrypt(key, u64::from(is_one), &r);
        proofs.push(prove_zero_or_one(
            key,
            &ct,
            is_one,
            &r,
            &option_context(&context, k),
            source,
        ));
        choices.push(ct);
        randomness.push(r);
    }
    let total: Scalar = randomness.iter().sum();
    let (h1, h2) = sum_statement(&choices);
    let g = Point::generator();
    let statement = Dleq {
        g1: &g,
        h1: &h1,
        g2: key.public(),
        h2: &h2,
    };
    let sum_proof = prove_dleq_under_key(key, &total, &statement, &sum_context(&context), source);
    Ok((
        EncryptedPaper {
            choices,
            proofs,
            sum_proof,
        },
        Opening { chosen, randomness },
    ))
}

pub fn verify_paper(
    key: &ElectionKey,
    fingerprint: &Fingerprint,
    practice_code: &str,
    option_count: usize,
    paper: &EncryptedPaper,
) -> Result<(), CryptoError> {
    check_shape(paper, option_count)?;
    let context = paper_context(fingerprint, practice_code);
    for (k, (ct, proof)) in paper.choices.iter().zip(&paper.proofs).enumerate() {
        if !verify_zero_or_one(key, ct, proof, &option_context(&context, k)) {
            return Err(CryptoError::OptionProof { option: k });
        }
    }
    let (h1, h2) = sum_statement(&paper.choices);
    let g = Point::generator();
    let statement = Dleq {
        g1: &g,
        h1: &h1,
        g2: key.public(),
        h2: &h2,
    };
    if !verify_dleq(&statement, &paper.sum_proof, &sum_context(&context)) {
        return Err(CryptoError::SumProof);
    }
    Ok(())
}

/// The cast-as-intended check: re-encrypts every option with the revealed randomness and returns the
/// chosen option if the result is the paper, ciphertext for ciphertext.
pub fn check_opening(key: &ElectionKey, paper: &EncryptedPaper, opening: &Opening) -> Result<usize, CryptoError> {
    if opening.randomness.len() != paper.choices.len() || opening.chosen >= paper.choices.len() {
        return Err(CryptoError::WrongShape(format!(
            "the opening has {} random values and chooses option {}, but the paper has {} choices",
            opening.randomness.len(),
            opening.chosen,
            paper.choices.len()
        )));
    }
    for (k, (ct, r)) in paper.choices.iter().zip(&opening.randomness).enumerate() {
        if encrypt(key, u64::from(k == opening.chosen), r) != *ct {
            return Err(CryptoError::OpeningMismatch { option: k });
        }
    }
    Ok(opening.chosen)
}

/// The voter's receipt: lowercase hex SHA-256 of the paper's RFC 8785 (JCS) canonical JSON, i.e. the
/// UTF-8 bytes of `{"choices":[{"alpha":"…","beta":"…"},…],"proofs":[{"a0":…,"a1":…,"b0":…,"b1":…,
/// "c0":…,"c1":…,"v0":…,"v1":…},…],"sum_proof":{"a":…,"b":…,"response":…}}` with keys sorted, no
/// whitespace, and every point and scalar as 64 lowercase hex digits.
pub fn tracker(paper: &EncryptedPaper) -> Result<String, CryptoError> {
    let canonical = serde_json_canonicalizer::to_vec(paper).map_err(|e| CryptoError::Json(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::proofs::prove_dleq;

    pub(crate) fn key() -> (ElectionKey, Scalar) {
        let x = Seeded::new("paper key", [4; 32]).next_scalar();
        (ElectionKey::new(Point::mul_base(&x)), x)
    }

    pub(crate) const FP: Fingerprint = [0xab; 32];

    /// An honest prover run on dishonest values: what a cheating client would get by using our code.
    pub(crate) fn forge(key: &ElectionKey, values: &[u64], src: &mut Seeded) -> EncryptedPaper {
        let context = paper_context(&FP, "P1");
        let rs: Vec<Scalar> = values.iter().map(|_| src.next_scalar()).collect();
        let choices: Vec<Ciphertext> = values.iter().zip(&rs).map(|(&m, r)| encrypt(key, m, r)).collect();
        let proofs = choices
            .iter()
            .zip(&rs)
            .enumerate()
            .map(|(k, (ct, r))| prove_zero_or_one(key, ct, values[k] != 0, r, &option_context(&context, k), src))
            .collect();
        let (h1, h2) = sum_statement(&choices);
        let g = Point::generator();
        let st = Dleq {
            g1: &g,
            h1: &h1,
            g2: key.public(),
            h2: &h2,
        };
        let sum_proof = prove_dleq(&rs.iter().sum(), &st, &sum_context(&context), src);
        EncryptedPaper {
            choices,
            proofs,
            sum_proof,
        }
    }

    #[test]
    fn honest_papers_verify_and_decrypt() {
        let (key, x) = key();
        let mut src = Seeded::new("papers", [1; 32]);
        for chosen in 0..3 {
            let (paper, opening) = encrypt_paper(&key, &FP, "P1", 3, chosen, &mut src).expect("should succeed");
            verify_paper(&key, &FP, "P1", 3, &paper).expect("should succeed");
            for (k, ct) in paper.choices.iter().enumerate() {
                let m = ct.beta.point() - ct.alpha.point() * x;
                assert_eq!(m, RISTRETTO_BASEPOINT_POINT * Scalar::from(u64::from(k == chosen)));
            }
            assert_eq!(check_opening(&key, &paper, &opening).expect("should succeed"), chosen);
        }
        assert!(encrypt_paper(&key, &FP, "P1", 3, 3, &mut src).is_err());
    }

    #[test]
    fn paper_is_bound_to_practice_ballot_and_positions() {
        let (key, _) = key();
        let mut src = Seeded::new("papers", [2; 32]);
        let (paper, _) = encrypt_paper(&key, &FP, "P1", 3, 1, &mut src).expect("should succeed");
        assert_eq!(
            verify_paper(&key, &FP, "P2", 3, &paper),
            Err(CryptoError::OptionProof { option: 0 })
        );
        assert_eq!(
            verify_paper(&key, &[0xac; 32], "P1", 3, &paper),
            Err(CryptoError::OptionProof { option: 0 })
        );
        assert!(matches!(
            verify_paper(&key, &FP, "P1", 4, &paper),
            Err(CryptoError::WrongShape(_))
        ));
        let mut swapped = paper.clone();
        swapped.choices.swap(0, 1);
        swapped.proofs.swap(0, 1);
        assert_eq!(
            verify_paper(&key, &FP, "P1", 3, &swapped),
            Err(CryptoError::OptionProof { option: 0 })
        );
        let other_key = ElectionKey::new(Point::mul_base(&Scalar::from(3u64)));
        assert!(verify_paper(&other_key, &FP, "P1", 3, &paper).is_err());
    }

    #[test]
    fn tampering_is_named() {
        let (key, _) = key();
        let mut src = Seeded::new("papers", [3; 32]);
        let (paper, _) = encrypt_paper(&key, &FP, "P1", 3, 2, &mut src).expect("should succeed");

        let mut bad = paper.clone();
        bad.choices[1].beta = Point::new(bad.choices[1].beta.point() + RISTRETTO_BASEPOINT_POINT);
        let err = verify_paper(&key, &FP, "P1", 3, &bad).expect_err("should be refused");
        assert_eq!(err.to_string(), "the proof that option 1 is 0 or 1 does not verify");

        let mut bad = paper.clone();
        bad.proofs[2].v0 += Scalar::ONE;
        assert_eq!(
            verify_paper(&key, &FP, "P1", 3, &bad),
            Err(CryptoError::OptionProof { option: 2 })
        );

        let mut bad = paper.clone();
        bad.sum_proof.response += Scalar::ONE;
        let err = verify_paper(&key, &FP, "P1", 3, &bad).expect_err("should be refused");
        assert_eq!(
            err.to_string(),
            "the proof that the paper's options sum to 1 does not verify"
        );
    }

    #[test]
    fn invalid_votes_cannot_be_proved() {
        let (key, _) = key();
        let mut src = Seeded::new("forge", [1; 32]);
        let two = forge(&key, &[0, 2, 0], &mut src);
        assert_eq!(
            verify_paper(&key, &FP, "P1", 3, &two),
            Err(CryptoError::OptionProof { option: 1 })
        );
        let double = forge(&key, &[1, 1, 0], &mut src);
        assert_eq!(verify_paper(&key, &FP, "P1", 3, &double), Err(CryptoError::SumProof));
        let none = forge(&key, &[0, 0, 0], &mut src);
        assert_eq!(verify_paper(&key, &FP, "P1", 3, &none), Err(CryptoError::SumProof));
        let fine = forge(&key, &[0, 0, 1], &mut src);
        assert_eq!(verify_paper(&key, &FP, "P1", 3, &fine), Ok(()));
    }

    #[test]
    fn wrong_opening_refused() {
        let (key, _) = key();
        let mut src = Seeded::new("papers", [5; 32]);
        let (paper, opening) = encrypt_paper(&key, &FP, "P1", 3, 0, &mut src).expect("should succeed");
        let lie = Opening {
            chosen: 1,
            ..opening.clone()
        };
        assert_eq!(
            check_opening(&key, &paper, &lie),
            Err(CryptoError::OpeningMismatch { option: 0 })
        );
        let mut wrong_r = opening.clone();
        wrong_r.randomness[2] += Scalar::ONE;
        assert_eq!(
            check_opening(&key, &paper, &wrong_r),
            Err(CryptoError::OpeningMismatch { option: 2 })
        );
        let short = Opening {
            chosen: 0,
            randomness: opening.randomness[..2].to_vec(),
        };
        assert!(matches!(
            check_opening(&key, &paper, &short),
            Err(CryptoError::WrongShape(_))
        ));
        let json = serde_json::to_string(&opening).expect("should succeed");
        assert_eq!(serde_json::from_str::<Opening>(&json).expect("should succeed"), opening);
    }

    #[test]
    fn seeded_source_recreates_the_paper() {
        let (key, _) = key();
        let make = |seed: u8| {
            let mut src = Seeded::new("paper", [seed; 32]);
            encrypt_paper(&key, &FP, "P1", 3, 1, &mut src)
                .expect("should succeed")
                .0
        };
        let (a, b, c) = (make(8), make(8), make(9));
        assert_eq!(a, b);
        assert_eq!(
            tracker(&a).expect("should succeed"),
            tracker(&b).expect("should succeed")
        );
        assert_ne!(
            tracker(&a).expect("should succeed"),
            tracker(&c).expect("should succeed")
        );
        assert_eq!(tracker(&a).expect("should succeed").len(), 64);
    }

    #[test]
    fn json_round_trip_and_tracker_is_over_canonical_json() {
        let (key, _) = key();
        let mut src = Seeded::new("papers", [6; 32]);
        let (paper, _) = encrypt_paper(&key, &FP, "P1", 2, 1, &mut src).expect("should succeed");
        let json = serde_json::to_string_pretty(&paper).expect("should succeed");
        let back: EncryptedPaper = serde_json::from_str(&json).expect("should succeed");
        assert_eq!(back, paper);
        let canonical = serde_json_canonicalizer::to_string(&paper).expect("should succeed");
        assert!(canonical.starts_with("{\"choices\":[{\"alpha\":\""));
        assert_eq!(
            tracker(&paper).expect("should succeed"),
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        // A non-canonical scalar inside a paper is refused with the module's message.
        let v0 = crate::crypto::group::scalar_to_hex(&paper.proofs[0].v0);
        let bad = json.replace(&v0, &"ff".repeat(32));
        let err = serde_json::from_str::<EncryptedPaper>(&bad).expect_err("should be refused");
        assert!(err.to_string().contains("is not canonical"), "{err}");
    }
}

#[cfg(test)]
mod properties {
    use super::tests::{FP, key};
    use super::*;
    use crate::crypto::group::Seeded;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_choice_verifies_and_opens(options in 1usize..6, pick in 0usize..6, seed in any::<[u8; 32]>()) {
            let (key, _) = key();
            let chosen = pick % options;
            let mut src = Seeded::new("prop", seed);
            let (paper, opening) = encrypt_paper(&key, &FP, "P", options, chosen, &mut src).expect("encrypts");
            prop_assert_eq!(verify_paper(&key, &FP, "P", options, &paper), Ok(()));
            prop_assert_eq!(check_opening(&key, &paper, &opening), Ok(chosen));
        }
    }
}
