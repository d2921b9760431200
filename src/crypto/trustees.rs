//! Threshold key generation: Pedersen's distributed key generation over Feldman-verifiable secret sharing,
//! as in ElectionGuard 2.0 ("Key Generation") and Belenios (threshold mode).
//!
//! Trustee i (1 <= i <= n) picks a polynomial f_i of degree t−1 with coefficients a_{i,0..t-1}, publishes
//! K_{i,k} = g^{a_{i,k}} with a Schnorr proof of knowledge for each (which stops a trustee choosing its
//! K_{i,0} to cancel the others'), and sends f_i(j) to every other trustee j, encrypted (see `shares`).
//! Trustee j's secret share is s_j = Σ_i f_i(j); anyone can compute g^{s_j} from the commitments, and the
//! election key is Y = Π_i K_{i,0} = g^{Σ_i a_{i,0}}. Any t shares reconstruct Σ_i a_{i,0} "in the
//! exponent" by Lagrange interpolation at 0; t−1 shares say nothing about it.
//!
//! Pedersen's DKG lets a trustee bias the distribution of Y (Gennaro, Jarecki, Krawczyk, Rabin 1999), which
//! does not weaken ElGamal encryption (same authors, CT-RSA 2003), hence ElectionGuard's and Belenios's
//! choice of it. t == n needs no special case: every trustee is then required.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use serde::{Deserialize, Serialize};

use super::error::CryptoError;
use super::group::{Point, ScalarSource, encode_parts, scalar_hex, scalar_hex_vec};
use super::proofs::{SchnorrProof, prove_schnorr, verify_schnorr};

pub use super::shares::{EncryptedShare, receive_shares, shares_for_others};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrusteePublic {
    pub index: u32,
    /// K_{i,0} … K_{i,t-1}.
    pub commitments: Vec<Point>,
    pub commitment_proofs: Vec<SchnorrProof>,
    /// E_i = g^{e_i}, the key other trustees encrypt their shares to.
    pub transport_key: Point,
    pub transport_proof: SchnorrProof,
}

/// What a trustee keeps to itself until the shares are exchanged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrusteePrivate {
    index: u32,
    n: u32,
    t: u32,
    #[serde(with = "scalar_hex_vec")]
    coefficients: Vec<Scalar>,
    #[serde(with = "scalar_hex")]
    transport_secret: Scalar,
}

impl TrusteePrivate {
    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn n(&self) -> u32 {
        self.n
    }

    pub fn t(&self) -> u32 {
        self.t
    }

    /// f_i(x).
    pub(crate) fn evaluate(&self, x: u32) -> Scalar {
        let x = Scalar::from(x);
        self.coefficients.iter().rev().fold(Scalar::ZERO, |acc, a| acc * x + a)
    }

    pub(crate) fn transport_secret(&self) -> &Scalar {
        &self.transport_secret
    }

    /// Whether `public` is this key's public part (its commitments and
    /// transport key; the proofs are random and not compared).
    pub fn matches(&self, public: &TrusteePublic) -> bool {
        public.index == self.index
            && public.commitments.len() == self.coefficients.len()
            && public
                .commitments
                .iter()
                .zip(&self.coefficients)
                .all(|(k, a)| *k == Point::mul_base(a))
            && public.transport_key == Point::mul_base(&self.transport_secret)
    }
}

impl std::fmt::Debug for TrusteePrivate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TrusteePrivate {{ index: {}, n: {}, t: {}, .. }}",
            self.index, self.n, self.t
        )
    }
}

/// A trustee's s_j: what it uses to decrypt the tally.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretShare {
    pub trustee: u32,
    #[serde(with = "scalar_hex")]
    value: Scalar,
}

impl SecretShare {
    pub(crate) fn new(trustee: u32, value: Scalar) -> Self {
        Self { trustee, value }
    }

    pub(crate) fn value(&self) -> &Scalar {
        &self.value
    }
}

impl std::fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretShare {{ trustee: {}, .. }}", self.trustee)
    }
}

/// encode_parts(["quorate trustee", index u32 BE, "coefficient", k u32 BE]).
fn coefficient_context(index: u32, k: usize) -> Vec<u8> {
    encode_parts(&[
        b"quorate trustee",
        &index.to_be_bytes(),
        b"coefficient",
        &(k as u32).to_be_bytes(),
    ])
}

/// encode_parts(["quorate trustee", index u32 BE, "transport"]).
fn transport_context(index: u32) -> Vec<u8> {
    encode_parts(&[b"quorate trustee", &index.to_be_bytes(), b"transport"])
}

fn check_sizes(index: u32, n: u32, t: u32) -> Result<(), CryptoError> {
    if t == 0 || t > n {
        return Err(CryptoError::WrongShape(format!(
            "a threshold of {t} is impossible with {n} trustees"
        )));
    }
    if index == 0 || index > n {
        return Err(CryptoError::WrongShape(format!(
            "trustee index {index} is outside 1 to {n}"
        )));
    }
    Ok(())
}

pub fn keygen(
    index: u32,
    n: u32,
    t: u32,
    source: &mut dyn ScalarSource,
) -> Result<(TrusteePrivate, TrusteePublic), CryptoError> {
    check_sizes(index, n, t)?;
    let coefficients: Vec<Scalar> = (0..t).map(|_| source.next_scalar()).collect();
    let mut commitments = Vec::with_capacity(coefficients.len());
    let mut commitment_proofs = Vec::with_capacity(coefficients.len());
    for (k, a) in coefficients.iter().enumerate() {
        let commitment = Point::mul_base(a);
        commitment_proofs.push(prove_schnorr(a, &commitment, &coefficient_context(index, k), source));
        commitments.push(commitment);
    }
    let transport_secret = source.next_scalar();
    let transport_key = Point::mul_base(&transport_secret);
    let transport_proof = prove_schnorr(&transport_secret, &transport_key, &transport_context(index), source);
    let private = TrusteePrivate {
        index,
        n,
        t,
        coefficients,
        transport_secret,
    };
    let public = TrusteePublic {
        index,
        commitments,
        commitment_proofs,
        transport_key,
        transport_proof,
    };
    Ok((private, public))
}

pub fn verify_public(public: &TrusteePublic, n: u32, t: u32) -> Result<(), CryptoError> {
    let i = public.index;
    check_sizes(i, n, t)?;
    if public.commitments.len() != t as usize || public.commitment_proofs.len() != t as usize {
        return Err(CryptoError::WrongShape(format!(
            "trustee {i} published {} commitments and {} proofs, but the threshold is {t}",
            public.commitments.len(),
            public.commitment_proofs.len()
        )));
    }
    for (k, (commitment, proof)) in public.commitments.iter().zip(&public.commitment_proofs).enumerate() {
        if !verify_schnorr(commitment, proof, &coefficient_context(i, k)) {
            return Err(CryptoError::CoefficientProof {
                trustee: i,
                coefficient: k,
            });
        }
    }
    if public.transport_key.is_identity() {
        return Err(CryptoError::WeakTransportKey { trustee: i });
    }
    if !verify_schnorr(&public.transport_key, &public.transport_proof, &transport_context(i)) {
        return Err(CryptoError::TransportProof { trustee: i });
    }
    Ok(())
}

/// Checks a whole ceremony: indices exactly 1..=n, each once, every public part verifying with threshold
/// t. Returns the parts in index order.
pub fn check_ceremony(publics: &[TrusteePublic], t: u32) -> Result<Vec<&TrusteePublic>, CryptoError> {
    let n = u32::try_from(publics.len()).map_err(|_| CryptoError::WrongShape("too many trustees".into()))?;
    // A record someone else wrote may hold no trustee, or a threshold no
    // set of them can meet (found by fuzzing: tests/fuzz/crashes/trustee_upload-1).
    if n == 0 {
        return Err(CryptoError::WrongShape("the ceremony has no trustees".into()));
    }
    if t == 0 || t > n {
        return Err(CryptoError::WrongShape(format!(
            "the threshold {t} is not between 1 and the {n} trustees"
        )));
    }
    let mut ordered: Vec<&TrusteePublic> = publics.iter().collect();
    ordered.sort_by_key(|p| p.index);
    for (position, public) in ordered.iter().enumerate() {
        if position > 0 && ordered[position - 1].index == public.index {
            return Err(CryptoError::DuplicateTrustee { trustee: public.index });
        }
        verify_public(public, n, t)?;
    }
    Ok(ordered)
}

pub(crate) fn find(publics: &[TrusteePublic], index: u32) -> Result<&TrusteePublic, CryptoError> {
    publics
        .iter()
        .find(|p| p.index == index)
        .ok_or(CryptoError::UnknownTrustee { trustee: index })
}

/// Π_k K_{i,k}^{x^k} = g^{f_i(x)}.
pub(crate) fn commitment_at(public: &TrusteePublic, x: u32) -> RistrettoPoint {
    let x = Scalar::from(x);
    // dalek checks that both iterators report the same length, so the powers are collected first.
    let powers: Vec<Scalar> = std::iter::successors(Some(Scalar::ONE), |p| Some(p * x))
        .take(public.commitments.len())
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(&powers, public.commitments.iter().map(Point::point))
}

/// g^{s_j} = Π_i Π_k K_{i,k}^{j^k}: checks a trustee's partial decryptions without its secret.
pub fn verification_key(index: u32, publics: &[TrusteePublic]) -> Point {
    Point::new(publics.iter().map(|p| commitment_at(p, index)).sum())
}

pub fn election_public_key(publics: &[TrusteePublic]) -> Point {
    let sum = publics
        .iter()
        .filter_map(|p| p.commitments.first())
        .fold(RistrettoPoint::identity(), |acc, k| acc + k.point());
    Point::new(sum)
}

/// λ_i = Π_{j ∈ indices, j ≠ i} j / (j − i): f(0) = Σ_i λ_i f(i) for any polynomial of degree below
/// |indices| (ElectionGuard 2.0, "Verifiable Decryption" with missing guardians).
pub fn lagrange_at_zero(indices: &[u32], i: u32) -> Result<Scalar, CryptoError> {
    if !indices.contains(&i) {
        return Err(CryptoError::UnknownTrustee { trustee: i });
    }
    let mut numerator = Scalar::ONE;
    let mut denominator = Scalar::ONE;
    for (position, &j) in indices.iter().enumerate() {
        if j == 0 {
            return Err(CryptoError::WrongShape("trustee index 0 is not allowed".into()));
        }
        if indices[..position].contains(&j) {
            return Err(CryptoError::DuplicateTrustee { trustee: j });
        }
        if j != i {
            numerator *= Scalar::from(j);
            denominator *= Scalar::from(j) - Scalar::from(i);
        }
    }
    Ok(numerator * denominator.invert())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;

    pub(crate) fn ceremony(n: u32, t: u32, seed: u8) -> (Vec<TrusteePrivate>, Vec<TrusteePublic>) {
        let mut src = Seeded::new("ceremony", [seed; 32]);
        (1..=n)
            .map(|i| keygen(i, n, t, &mut src).expect("should succeed"))
            .unzip()
    }

    #[test]
    fn publics_verify_and_round_trip() {
        let (privates, publics) = ceremony(3, 2, 1);
        assert!(check_ceremony(&publics, 2).is_ok());
        for public in &publics {
            let json = serde_json::to_string(public).expect("should succeed");
            assert_eq!(
                &serde_json::from_str::<TrusteePublic>(&json).expect("should succeed"),
                public
            );
        }
        let json = serde_json::to_string(&privates[0]).expect("should succeed");
        assert_eq!(
            serde_json::from_str::<TrusteePrivate>(&json).expect("should succeed"),
            privates[0]
        );
        assert!(!format!("{:?}", privates[0]).contains(&json[40..60]));
    }

    #[test]
    fn tampered_public_refused() {
        let (_, publics) = ceremony(3, 2, 2);
        let mut bad = publics[1].clone();
        bad.commitments[1] = Point::generator();
        assert_eq!(
            verify_public(&bad, 3, 2),
            Err(CryptoError::CoefficientProof {
                trustee: 2,
                coefficient: 1
            })
        );
        let mut bad = publics[1].clone();
        bad.transport_proof.response += Scalar::ONE;
        assert_eq!(
            verify_public(&bad, 3, 2),
            Err(CryptoError::TransportProof { trustee: 2 })
        );
        let mut bad = publics[1].clone();
        bad.index = 3;
        assert!(matches!(
            verify_public(&bad, 3, 2),
            Err(CryptoError::CoefficientProof { trustee: 3, .. })
        ));
        assert!(matches!(
            verify_public(&publics[0], 3, 3),
            Err(CryptoError::WrongShape(_))
        ));
        let twice = vec![publics[0].clone(), publics[0].clone(), publics[2].clone()];
        assert_eq!(
            check_ceremony(&twice, 2).expect_err("should be refused"),
            CryptoError::DuplicateTrustee { trustee: 1 }
        );
        assert!(keygen(4, 3, 2, &mut Seeded::new("x", [0; 32])).is_err());
        assert!(keygen(1, 3, 0, &mut Seeded::new("x", [0; 32])).is_err());
    }

    #[test]
    fn lagrange_interpolates() {
        // f(x) = 5 + 3x + 2x^2 through any three points.
        let f = |x: u32| Scalar::from(5u64 + 3 * u64::from(x) + 2 * u64::from(x) * u64::from(x));
        for set in [[1u32, 2, 3], [2, 4, 5], [5, 1, 3]] {
            let value: Scalar = set
                .iter()
                .map(|&i| lagrange_at_zero(&set, i).expect("should succeed") * f(i))
                .sum();
            assert_eq!(value, Scalar::from(5u64), "{set:?}");
        }
        assert!(lagrange_at_zero(&[1, 2], 3).is_err());
        assert!(lagrange_at_zero(&[1, 2, 2], 1).is_err());
        assert!(lagrange_at_zero(&[0, 2], 2).is_err());
        assert_eq!(lagrange_at_zero(&[4], 4).expect("should succeed"), Scalar::ONE);
    }

    #[test]
    fn verification_keys_match_evaluations() {
        let (privates, publics) = ceremony(4, 3, 3);
        let s2: Scalar = privates.iter().map(|p| p.evaluate(2)).sum();
        assert_eq!(verification_key(2, &publics), Point::mul_base(&s2));
        let secret: Scalar = privates.iter().map(|p| p.evaluate(0)).sum();
        assert_eq!(election_public_key(&publics), Point::mul_base(&secret));
    }
}
