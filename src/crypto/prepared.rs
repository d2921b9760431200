//! Encrypting a paper in two halves: everything that does not depend on the
//! choice, the ballot's fingerprint or the practice — every scalar
//! multiplication and every point encoding — ahead of time (`prepare`), and
//! the rest at cast time (`fill`): Fiat–Shamir hashes, scalar arithmetic and
//! constant-time selections, a few microseconds. The papers are exactly the
//! ones `paper::encrypt_paper` makes (same proofs, same distribution), so
//! verifiers cannot tell them apart; only the server's latency changes.
//!
//! Why it is sound: in the disjunctive proof the simulated branch needs
//! a = g^v · alpha^{-c}, b = Y^v · (beta / g^{k'})^{-c}. Choosing e at random
//! and v = e + c·r gives a = g^e and b = Y^e · g^{∓c}, with v uniform as
//! before — both computable before the choice is known (the sign of g^c
//! is picked later, in constant time). The sum proof's statement is
//! (Σ alpha, Σ beta / g) = (g^{Σr}, Y^{Σr}) for every valid choice, so it
//! too is known beforehand.

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use subtle::{Choice, ConditionallySelectable};

use super::election::{ElectionKey, Fingerprint};
use super::elgamal::Ciphertext;
use super::error::CryptoError;
use super::group::{GENERATOR, Point, ScalarSource};
use super::paper::{EncryptedPaper, Opening, option_context, paper_context, sum_context};
use super::proofs::{DisjunctiveProof, DleqProof, dleq_challenge, zero_or_one_challenge};

/// The choice-independent half of one option's ciphertext and proof.
struct PreparedOption {
    r: Scalar,
    alpha: Point,
    /// beta for m = 0 and m = 1.
    beta: [Point; 2],
    w: Scalar,
    a_real: Point,
    b_real: Point,
    e: Scalar,
    c_fake: Scalar,
    a_fake: Point,
    /// The simulated branch's b for m = 0 (branch 1 simulated) and m = 1.
    b_fake: [Point; 2],
}

/// A paper prepared for one election key and number of options; filling it
/// consumes it, so its randomness is used once.
pub struct PreparedPaper {
    key: Point,
    options: Vec<PreparedOption>,
    sum_w: Scalar,
    sum_h1: Point,
    sum_h2: Point,
    sum_a: Point,
    sum_b: Point,
}

impl std::fmt::Debug for PreparedPaper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreparedPaper {{ options: {}, .. }}", self.options.len())
    }
}

impl PreparedPaper {
    pub fn option_count(&self) -> usize {
        self.options.len()
    }

    /// Whether it was prepared under this key.
    pub fn is_for(&self, key: &ElectionKey) -> bool {
        self.key == *key.public()
    }
}

fn base(x: &Scalar) -> RistrettoPoint {
    x * RISTRETTO_BASEPOINT_TABLE
}

/// The slow half: 7 fixed-base multiplications per option and 2 more.
pub fn prepare(key: &ElectionKey, option_count: usize, source: &mut dyn ScalarSource) -> PreparedPaper {
    let g = RISTRETTO_BASEPOINT_POINT;
    let mut options = Vec::with_capacity(option_count);
    let mut sum_alpha = RistrettoPoint::identity();
    let mut sum_yr = RistrettoPoint::identity();
    for _ in 0..option_count {
        let r = source.next_scalar();
        let w = source.next_scalar();
        let c_fake = source.next_scalar();
        let e = source.next_scalar();
        let alpha = base(&r);
        let yr = key.mul(&r);
        let g_c = base(&c_fake);
        let y_e = key.mul(&e);
        sum_alpha += alpha;
        sum_yr += yr;
        options.push(PreparedOption {
            r,
            alpha: Point::new(alpha),
            beta: [Point::new(yr), Point::new(yr + g)],
            w,
            a_real: Point::new(base(&w)),
            b_real: Point::new(key.mul(&w)),
            e,
            c_fake,
            a_fake: Point::new(base(&e)),
            // m = 0: branch 1 is simulated, b = Y^e · g^{c}; m = 1: b = Y^e · g^{-c}.
            b_fake: [Point::new(y_e + g_c), Point::new(y_e - g_c)],
        });
    }
    let sum_w = source.next_scalar();
    PreparedPaper {
        key: *key.public(),
        options,
        sum_w,
        sum_h1: Point::new(sum_alpha),
        sum_h2: Point::new(sum_yr),
        sum_a: Point::new(base(&sum_w)),
        sum_b: Point::new(key.mul(&sum_w)),
    }
}

fn select(a: &Point, b: &Point, choice: Choice) -> Point {
    let point = RistrettoPoint::conditional_select(a.point(), b.point(), choice);
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::conditional_select(&a.as_bytes()[i], &b.as_bytes()[i], choice);
    }
    Point::from_parts(point, bytes)
}

/// The fast half: the paper choosing `chosen`, bound to `fingerprint` and
/// `practice_code`, with the same proofs `encrypt_paper` makes.
pub fn fill(
    prepared: PreparedPaper,
    key: &ElectionKey,
    fingerprint: &Fingerprint,
    practice_code: &str,
    chosen: usize,
) -> Result<(EncryptedPaper, Opening), CryptoError> {
    let option_count = prepared.options.len();
    if chosen >= option_count {
        return Err(CryptoError::WrongShape(format!(
            "option {chosen} was chosen, but the ballot has only {option_count} options"
        )));
    }
    if !prepared.is_for(key) {
        return Err(CryptoError::WrongShape(
            "the paper was prepared under another election key".into(),
        ));
    }
    let context = paper_context(fingerprint, practice_code);
    let mut choices = Vec::with_capacity(option_count);
    let mut proofs = Vec::with_capacity(option_count);
    let mut randomness = Vec::with_capacity(option_count);
    for (k, option) in prepared.options.iter().enumerate() {
        let one = Choice::from(u8::from(k == chosen));
        let ct = Ciphertext {
            alpha: option.alpha,
            beta: select(&option.beta[0], &option.beta[1], one),
        };
        let b_fake = select(&option.b_fake[0], &option.b_fake[1], one);
        let mut proof = DisjunctiveProof {
            a0: select(&option.a_real, &option.a_fake, one),
            b0: select(&option.b_real, &b_fake, one),
            a1: select(&option.a_fake, &option.a_real, one),
            b1: select(&b_fake, &option.b_real, one),
            c0: Scalar::ZERO,
            c1: Scalar::ZERO,
            v0: Scalar::ZERO,
            v1: Scalar::ZERO,
        };
        let c = zero_or_one_challenge(key, &ct, &proof, &option_context(&context, k));
        let c_real = c - option.c_fake;
        let v_real = option.w + c_real * option.r;
        let v_fake = option.e + option.c_fake * option.r;
        proof.c0 = Scalar::conditional_select(&c_real, &option.c_fake, one);
        proof.c1 = Scalar::conditional_select(&option.c_fake, &c_real, one);
        proof.v0 = Scalar::conditional_select(&v_real, &v_fake, one);
        proof.v1 = Scalar::conditional_select(&v_fake, &v_real, one);
        choices.push(ct);
        proofs.push(proof);
        randomness.push(option.r);
    }
    let total: Scalar = randomness.iter().sum();
    let statement = super::proofs::Dleq {
        g1: &GENERATOR,
        h1: &prepared.sum_h1,
        g2: key.public(),
        h2: &prepared.sum_h2,
    };
    let c = dleq_challenge(&statement, &prepared.sum_a, &prepared.sum_b, &sum_context(&context));
    let sum_proof = DleqProof {
        a: prepared.sum_a,
        b: prepared.sum_b,
        response: prepared.sum_w + c * total,
    };
    Ok((
        EncryptedPaper {
            choices,
            proofs,
            sum_proof,
        },
        Opening { chosen, randomness },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::paper::tests::{FP, key};
    use crate::crypto::paper::{check_opening, verify_paper, verify_papers_batch};

    #[test]
    fn filled_papers_verify_open_to_their_choice_and_decrypt() {
        let (key, x) = key();
        let mut src = Seeded::new("prepared", [3; 32]);
        for chosen in 0..3 {
            let prepared = prepare(&key, 3, &mut src);
            let (paper, opening) = fill(prepared, &key, &FP, "P1", chosen).expect("fills");
            verify_paper(&key, &FP, "P1", 3, &paper).expect("verifies");
            assert_eq!(check_opening(&key, &paper, &opening).expect("opens"), chosen);
            for (k, ct) in paper.choices.iter().enumerate() {
                let m = ct.beta.point() - ct.alpha.point() * x;
                assert_eq!(m, RISTRETTO_BASEPOINT_POINT * Scalar::from(u64::from(k == chosen)));
            }
            // Bound like any other paper.
            assert!(verify_paper(&key, &FP, "P2", 3, &paper).is_err());
        }
    }

    #[test]
    fn filled_papers_pass_the_batch_check_beside_ordinary_ones() {
        let (key, _) = key();
        let mut src = Seeded::new("prepared batch", [5; 32]);
        let mut papers = Vec::new();
        for i in 0..20 {
            let code = format!("P{i}");
            let paper = if i % 2 == 0 {
                fill(prepare(&key, 4, &mut src), &key, &FP, &code, i % 4)
                    .expect("fills")
                    .0
            } else {
                crate::crypto::paper::encrypt_paper(&key, &FP, &code, 4, i % 4, &mut src)
                    .expect("encrypts")
                    .0
            };
            papers.push((code, paper));
        }
        let list: Vec<(&str, &EncryptedPaper)> = papers.iter().map(|(c, p)| (c.as_str(), p)).collect();
        verify_papers_batch(&key, &FP, 4, &list, &mut src).expect("all verify");
    }

    #[test]
    fn a_prepared_paper_is_refused_under_another_key_or_for_a_missing_option() {
        let (key, _) = key();
        let mut src = Seeded::new("prepared wrong", [6; 32]);
        let other = ElectionKey::new(Point::mul_base(&src.next_scalar()));
        assert!(fill(prepare(&other, 3, &mut src), &key, &FP, "P1", 0).is_err());
        assert!(fill(prepare(&key, 3, &mut src), &key, &FP, "P1", 3).is_err());
    }
}
