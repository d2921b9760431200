//! Non-interactive sigma proofs, made non-interactive by the strong Fiat–Shamir transform: the challenge
//! hashes the context, every statement element and every commitment (`group::challenge`).
//!
//! Proofs carry their commitments and the verifier recomputes the challenge (the form Helios uses,
//! Helios v4 specification "Proofs"; ElectionGuard 1.0 did the same). Carrying commitments rather than
//! only challenges costs 64 bytes per proof, but it turns every check into a linear equation in the group,
//! which is what lets `paper::verify_papers_batch` check thousands of papers with one multiscalar
//! multiplication.
//!
//! - Schnorr proof of knowledge of a discrete log (Schnorr 1991; ElectionGuard 2.0, "Key Generation").
//! - Chaum–Pedersen proof of equality of discrete logs (Chaum, Pedersen, CRYPTO 1992; ElectionGuard 2.0
//!   "Verifiable Decryption" for decryption shares, Belenios's overall proof for "sum to one").
//! - Disjunctive Chaum–Pedersen (Cramer, Damgård, Schoenmakers, CRYPTO 1994) that a ciphertext encrypts 0
//!   or 1: Helios "individual proofs", Belenios `iprove`, ElectionGuard 2.0 "proofs of ballot correctness".

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};
use subtle::{Choice, ConditionallySelectable};

use super::election::ElectionKey;
use super::elgamal::Ciphertext;
use super::group::{GENERATOR, Point, ScalarSource, challenge, scalar_hex};

/// Proves knowledge of x with K = g^x: commitment h = g^w, response u = w + c·x, where
/// c = challenge("schnorr", [context, g, K, h]). Verifies as g^u == h · K^c.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchnorrProof {
    pub commitment: Point,
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

fn schnorr_challenge(public: &Point, commitment: &Point, context: &[u8]) -> Scalar {
    challenge(
        "schnorr",
        &[context, GENERATOR.as_bytes(), public.as_bytes(), commitment.as_bytes()],
    )
}

pub fn prove_schnorr(x: &Scalar, public: &Point, context: &[u8], source: &mut dyn ScalarSource) -> SchnorrProof {
    let w = source.next_scalar();
    let commitment = Point::mul_base(&w);
    let c = schnorr_challenge(public, &commitment, context);
    SchnorrProof {
        commitment,
        response: w + c * x,
    }
}

pub fn verify_schnorr(public: &Point, proof: &SchnorrProof, context: &[u8]) -> bool {
    let c = schnorr_challenge(public, &proof.commitment, context);
    RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, public.point(), &proof.response)
        == *proof.commitment.point()
}

/// Proves log_{g1}(h1) == log_{g2}(h2) = x: commitments a = g1^w, b = g2^w, response v = w + c·x, where
/// c = challenge("dleq", [context, g1, h1, g2, h2, a, b]). Verifies as g1^v == a · h1^c and
/// g2^v == b · h2^c.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DleqProof {
    pub a: Point,
    pub b: Point,
    #[serde(with = "scalar_hex")]
    pub response: Scalar,
}

/// The statement of a DLEQ proof, in the order it is hashed.
#[derive(Clone, Copy, Debug)]
pub struct Dleq<'a> {
    pub g1: &'a Point,
    pub h1: &'a Point,
    pub g2: &'a Point,
    pub h2: &'a Point,
}

pub(crate) fn dleq_challenge(statement: &Dleq<'_>, a: &Point, b: &Point, context: &[u8]) -> Scalar {
    let s = statement;
    challenge(
        "dleq",
        &[
            context,
            s.g1.as_bytes(),
            s.h1.as_bytes(),
            s.g2.as_bytes(),
            s.h2.as_bytes(),
            a.as_bytes(),
            b.as_bytes(),
        ],
    )
}

fn mul(base: &Point, x: &Scalar) -> Point {
    if *base == GENERATOR {
        Point::mul_base(x)
    } else {
        Point::new(base.point() * x)
    }
}

pub fn prove_dleq(x: &Scalar, statement: &Dleq<'_>, context: &[u8], source: &mut dyn ScalarSource) -> DleqProof {
    let w = source.next_scalar();
    let a = mul(statement.g1, &w);
    let b = mul(statement.g2, &w);
    finish_dleq(x, &w, statement, a, b, context)
}

/// `prove_dleq` for g1 = g and g2 = Y, through the key's fixed-base table.
pub(crate) fn prove_dleq_under_key(
    key: &ElectionKey,
    x: &Scalar,
    statement: &Dleq<'_>,
    context: &[u8],
    source: &mut dyn ScalarSource,
) -> DleqProof {
    let w = source.next_scalar();
    finish_dleq(x, &w, statement, Point::mul_base(&w), Point::new(key.mul(&w)), context)
}

fn finish_dleq(x: &Scalar, w: &Scalar, statement: &Dleq<'_>, a: Point, b: Point, context: &[u8]) -> DleqProof {
    let c = dleq_challenge(statement, &a, &b, context);
    DleqProof {
        a,
        b,
        response: w + c * x,
    }
}

pub fn verify_dleq(statement: &Dleq<'_>, proof: &DleqProof, context: &[u8]) -> bool {
    let c = dleq_challenge(statement, &proof.a, &proof.b, context);
    let v = proof.response;
    let s = statement;
    let first = if *s.g1 == GENERATOR {
        RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, s.h1.point(), &v)
    } else {
        RistrettoPoint::vartime_multiscalar_mul([v, -c], [s.g1.point(), s.h1.point()])
    };
    let second = RistrettoPoint::vartime_multiscalar_mul([v, -c], [s.g2.point(), s.h2.point()]);
    first == *proof.a.point() && second == *proof.b.point()
}

/// Proves that (alpha, beta) = (g^r, Y^r · g^m) with m ∈ {0, 1}. Branch k claims
/// log_g(alpha) == log_Y(beta / g^k) and has commitments (a_k, b_k), challenge c_k and response v_k;
/// the prover answers the true branch and simulates the other. With
/// c = challenge("zero-or-one", [context, g, Y, alpha, beta, a0, b0, a1, b1]) the verifier checks
/// c0 + c1 == c, g^{v_k} == a_k · alpha^{c_k} and Y^{v_k} == b_k · (beta / g^k)^{c_k} for k = 0, 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisjunctiveProof {
    pub a0: Point,
    pub b0: Point,
    pub a1: Point,
    pub b1: Point,
    #[serde(with = "scalar_hex")]
    pub c0: Scalar,
    #[serde(with = "scalar_hex")]
    pub c1: Scalar,
    #[serde(with = "scalar_hex")]
    pub v0: Scalar,
    #[serde(with = "scalar_hex")]
    pub v1: Scalar,
}

pub(crate) fn zero_or_one_challenge(
    key: &ElectionKey,
    ct: &Ciphertext,
    p: &DisjunctiveProof,
    context: &[u8],
) -> Scalar {
    let parts: [&[u8]; 9] = [
        context,
        GENERATOR.as_bytes(),
        key.public().as_bytes(),
        ct.alpha.as_bytes(),
        ct.beta.as_bytes(),
        p.a0.as_bytes(),
        p.b0.as_bytes(),
        p.a1.as_bytes(),
        p.b1.as_bytes(),
    ];
    challenge("zero-or-one", &parts)
}

/// `ct` must be `encrypt(key, is_one, r)`; for a ciphertext of anything else the proof fails.
/// The vote is secret, so which branch is real never decides which code runs: both branches are computed
/// and then placed with constant-time selections.
pub fn prove_zero_or_one(
    key: &ElectionKey,
    ct: &Ciphertext,
    is_one: bool,
    r: &Scalar,
    context: &[u8],
    source: &mut dyn ScalarSource,
) -> DisjunctiveProof {
    let one = Choice::from(u8::from(is_one));
    let w = source.next_scalar();
    let c_fake = source.next_scalar();
    let v_fake = source.next_scalar();

    let a_real = &w * RISTRETTO_BASEPOINT_TABLE;
    let b_real = key.mul(&w);

    // The simulated branch k = 1 - m needs a = g^v · alpha^{-c} and b = Y^v · (beta / g^k)^{-c}. Since
    // alpha = g^r and beta / g^k = Y^r · g^{2m-1}, these are g^{v - cr} and Y^{v - cr} · g^{-(2m-1)c}:
    // fixed-base multiplications only, which are constant-time and four times faster.
    let exponent = v_fake - c_fake * r;
    let a_fake = &exponent * RISTRETTO_BASEPOINT_TABLE;
    let g_term = Scalar::conditional_select(&c_fake, &-c_fake, one);
    let b_fake = key.mul(&exponent) + &g_term * RISTRETTO_BASEPOINT_TABLE;

    let a0 = Point::new(RistrettoPoint::conditional_select(&a_real, &a_fake, one));
    let b0 = Point::new(RistrettoPoint::conditional_select(&b_real, &b_fake, one));
    let a1 = Point::new(RistrettoPoint::conditional_select(&a_fake, &a_real, one));
    let b1 = Point::new(RistrettoPoint::conditional_select(&b_fake, &b_real, one));

    let mut proof = DisjunctiveProof {
        a0,
        b0,
        a1,
        b1,
        c0: Scalar::ZERO,
        c1: Scalar::ZERO,
        v0: w,
        v1: w,
    };
    let c = zero_or_one_challenge(key, ct, &proof, context);
    let c_real = c - c_fake;
    let v_real = w + c_real * r;
    proof.c0 = Scalar::conditional_select(&c_real, &c_fake, one);
    proof.c1 = Scalar::conditional_select(&c_fake, &c_real, one);
    proof.v0 = Scalar::conditional_select(&v_real, &v_fake, one);
    proof.v1 = Scalar::conditional_select(&v_fake, &v_real, one);
    proof
}

pub fn verify_zero_or_one(key: &ElectionKey, ct: &Ciphertext, proof: &DisjunctiveProof, context: &[u8]) -> bool {
    let p = proof;
    if p.c0 + p.c1 != zero_or_one_challenge(key, ct, p, context) {
        return false;
    }
    let alpha = ct.alpha.point();
    let beta = ct.beta.point();
    let g = |v: &Scalar, c: &Scalar| RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, alpha, v);
    // Y^{v1} · (beta / g)^{-c1} = g^{c1} · Y^{v1} · beta^{-c1}.
    g(&p.v0, &p.c0) == *p.a0.point()
        && g(&p.v1, &p.c1) == *p.a1.point()
        && key.vartime_gy(Scalar::ZERO, p.v0, &[-p.c0], &[beta]) == *p.b0.point()
        && key.vartime_gy(p.c1, p.v1, &[-p.c1], &[beta]) == *p.b1.point()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::elgamal::encrypt;
    use crate::crypto::group::Seeded;

    fn setup() -> (ElectionKey, Seeded) {
        let mut src = Seeded::new("proofs", [9; 32]);
        let key = ElectionKey::new(Point::mul_base(&src.next_scalar()));
        (key, src)
    }

    #[test]
    fn schnorr() {
        let (_, mut src) = setup();
        let x = src.next_scalar();
        let k = Point::mul_base(&x);
        let proof = prove_schnorr(&x, &k, b"ctx", &mut src);
        assert!(verify_schnorr(&k, &proof, b"ctx"));
        assert!(!verify_schnorr(&k, &proof, b"other"));
        assert!(!verify_schnorr(&Point::mul_base(&(x + Scalar::ONE)), &proof, b"ctx"));
        let bad = SchnorrProof {
            response: proof.response + Scalar::ONE,
            ..proof
        };
        assert!(!verify_schnorr(&k, &bad, b"ctx"));
        let wrong_secret = prove_schnorr(&(x + Scalar::ONE), &k, b"ctx", &mut src);
        assert!(!verify_schnorr(&k, &wrong_secret, b"ctx"));
    }

    #[test]
    fn dleq() {
        let (_, mut src) = setup();
        let x = src.next_scalar();
        let base2 = Point::mul_base(&src.next_scalar());
        let h1 = Point::mul_base(&x);
        let h2 = Point::new(base2.point() * x);
        let g = Point::generator();
        let st = Dleq {
            g1: &g,
            h1: &h1,
            g2: &base2,
            h2: &h2,
        };
        let proof = prove_dleq(&x, &st, b"ctx", &mut src);
        assert!(verify_dleq(&st, &proof, b"ctx"));
        assert!(!verify_dleq(&st, &proof, b"ctx2"));
        let h2_wrong = Point::new(h2.point() + g.point());
        assert!(!verify_dleq(&Dleq { h2: &h2_wrong, ..st }, &proof, b"ctx"));
        let swapped = Dleq {
            g1: &base2,
            h1: &h2,
            g2: &g,
            h2: &h1,
        };
        let proof2 = prove_dleq(&x, &swapped, b"ctx", &mut src);
        assert!(verify_dleq(&swapped, &proof2, b"ctx"));
        assert!(!verify_dleq(&swapped, &proof, b"ctx"));
        let lying = prove_dleq(&x, &Dleq { h2: &h2_wrong, ..st }, b"ctx", &mut src);
        assert!(!verify_dleq(&Dleq { h2: &h2_wrong, ..st }, &lying, b"ctx"));
    }

    #[test]
    fn zero_or_one_for_both_values() {
        let (key, mut src) = setup();
        for m in [0u64, 1] {
            let r = src.next_scalar();
            let ct = encrypt(&key, m, &r);
            let proof = prove_zero_or_one(&key, &ct, m == 1, &r, b"ctx", &mut src);
            assert!(verify_zero_or_one(&key, &ct, &proof, b"ctx"), "m={m}");
            assert!(!verify_zero_or_one(&key, &ct, &proof, b"ctx!"), "m={m}");
            let other = encrypt(&key, m, &src.next_scalar());
            assert!(!verify_zero_or_one(&key, &other, &proof, b"ctx"), "m={m}");
            for field in 0..4 {
                let mut bad = proof;
                match field {
                    0 => bad.c0 += Scalar::ONE,
                    1 => bad.v1 += Scalar::ONE,
                    2 => bad.a0 = Point::generator(),
                    _ => bad.b1 = Point::generator(),
                }
                assert!(!verify_zero_or_one(&key, &ct, &bad, b"ctx"), "m={m} field={field}");
            }
        }
    }

    #[test]
    fn honest_prover_with_wrong_value_fails() {
        let (key, mut src) = setup();
        for (m, claimed) in [(2u64, true), (2, false), (1, false), (0, true), (5, true)] {
            let r = src.next_scalar();
            let ct = encrypt(&key, m, &r);
            let proof = prove_zero_or_one(&key, &ct, claimed, &r, b"ctx", &mut src);
            assert!(
                !verify_zero_or_one(&key, &ct, &proof, b"ctx"),
                "m={m} claimed one={claimed}"
            );
        }
    }

    #[test]
    fn proofs_round_trip_json() {
        let (key, mut src) = setup();
        let r = src.next_scalar();
        let ct = encrypt(&key, 1, &r);
        let proof = prove_zero_or_one(&key, &ct, true, &r, b"c", &mut src);
        let json = serde_json::to_string(&proof).expect("should succeed");
        assert_eq!(
            serde_json::from_str::<DisjunctiveProof>(&json).expect("should succeed"),
            proof
        );
        let s = prove_schnorr(&r, &ct.alpha, b"c", &mut src);
        assert_eq!(
            serde_json::from_str::<SchnorrProof>(&serde_json::to_string(&s).expect("should succeed"))
                .expect("should succeed"),
            s
        );
        let g = Point::generator();
        let d = prove_dleq(
            &r,
            &Dleq {
                g1: &g,
                h1: &ct.alpha,
                g2: &g,
                h2: &ct.alpha,
            },
            b"c",
            &mut src,
        );
        assert_eq!(
            serde_json::from_str::<DleqProof>(&serde_json::to_string(&d).expect("should succeed"))
                .expect("should succeed"),
            d
        );
    }
}
