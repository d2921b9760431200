//! The election public key and the fingerprint that binds every proof to one ballot (ElectionGuard 2.0
//! "Extended Base Hash"; Belenios hashes the election file into every proof the same way).

use std::sync::Arc;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::error::CryptoError;
use super::group::{Point, push_part};
use super::trustees::{TrusteePublic, check_ceremony, election_public_key};

pub type Fingerprint = [u8; 32];

/// The election public key Y with tables built once: a fixed-base table makes Y^r as cheap as g^r for the
/// encrypting server, and a variable-time table of (g, Y) speeds up every verification equation.
/// Serialises as Y alone.
#[derive(Clone)]
pub struct ElectionKey {
    public: Point,
    table: Arc<RistrettoBasepointTable>,
    vartime: Arc<VartimeRistrettoPrecomputation>,
}

impl ElectionKey {
    pub fn new(public: Point) -> Self {
        let table = Arc::new(RistrettoBasepointTable::create(public.point()));
        let vartime = Arc::new(VartimeRistrettoPrecomputation::new([
            RISTRETTO_BASEPOINT_POINT,
            *public.point(),
        ]));
        Self { public, table, vartime }
    }

    pub fn public(&self) -> &Point {
        &self.public
    }

    /// Y^r in constant time.
    pub fn mul(&self, r: &Scalar) -> RistrettoPoint {
        r * &*self.table
    }

    /// g^a · Y^b · Π points_i^scalars_i in variable time: for verifiers only.
    pub(crate) fn vartime_gy(
        &self,
        a: Scalar,
        b: Scalar,
        scalars: &[Scalar],
        points: &[&RistrettoPoint],
    ) -> RistrettoPoint {
        self.vartime
            .vartime_mixed_multiscalar_mul([a, b], scalars, points.iter().copied())
    }
}

impl std::fmt::Debug for ElectionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ElectionKey({})", self.public.to_hex())
    }
}

impl PartialEq for ElectionKey {
    fn eq(&self, other: &Self) -> bool {
        self.public == other.public
    }
}

impl Eq for ElectionKey {}

impl Serialize for ElectionKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.public.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ElectionKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Point::deserialize(deserializer).map(ElectionKey::new)
    }
}

const FINGERPRINT_DOMAIN: &[u8] = b"quorate election fingerprint v1";

/// SHA-256 of the following parts, each written as lp(x) = (length of x as u64 big-endian) || x:
///
/// 1. `"quorate election fingerprint v1"` (ASCII)
/// 2. ballot_id as i64 big-endian (8 bytes)
/// 3. organisation_code (UTF-8)
/// 4. number of options as u64 big-endian, then each option key (UTF-8), in ballot order
/// 5. the election public key Y (32-byte ristretto255 encoding)
/// 6. threshold t as u32 big-endian
/// 7. number of trustees n as u64 big-endian, then for each trustee in increasing index order:
///    index as u32 big-endian; number of commitments as u64 big-endian; each commitment K_0 … K_{t-1}
///    (32 bytes each); the transport key E (32 bytes)
///
/// Proofs are left out: they are checked here, and they do not change what the key is.
pub fn fingerprint(
    ballot_id: i64,
    organisation_code: &str,
    option_keys: &[String],
    public_key: &Point,
    trustees: &[TrusteePublic],
    threshold: u32,
) -> Result<Fingerprint, CryptoError> {
    if option_keys.is_empty() {
        return Err(CryptoError::WrongShape("the ballot has no options".into()));
    }
    for (i, key) in option_keys.iter().enumerate() {
        if option_keys[..i].contains(key) {
            return Err(CryptoError::WrongShape(format!("the option key {key:?} appears twice")));
        }
    }
    let ordered = check_ceremony(trustees, threshold)?;
    if election_public_key(trustees) != *public_key {
        return Err(CryptoError::WrongShape(
            "the election public key is not the product of the trustees' first commitments".into(),
        ));
    }

    let mut bytes = Vec::new();
    push_part(&mut bytes, FINGERPRINT_DOMAIN);
    push_part(&mut bytes, &ballot_id.to_be_bytes());
    push_part(&mut bytes, organisation_code.as_bytes());
    push_part(&mut bytes, &(option_keys.len() as u64).to_be_bytes());
    for key in option_keys {
        push_part(&mut bytes, key.as_bytes());
    }
    push_part(&mut bytes, public_key.as_bytes());
    push_part(&mut bytes, &threshold.to_be_bytes());
    push_part(&mut bytes, &(ordered.len() as u64).to_be_bytes());
    for trustee in ordered {
        push_part(&mut bytes, &trustee.index.to_be_bytes());
        push_part(&mut bytes, &(trustee.commitments.len() as u64).to_be_bytes());
        for commitment in &trustee.commitments {
            push_part(&mut bytes, commitment.as_bytes());
        }
        push_part(&mut bytes, trustee.transport_key.as_bytes());
    }
    Ok(Sha256::digest(&bytes).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::Seeded;
    use crate::crypto::trustees::keygen;

    fn ceremony() -> Vec<TrusteePublic> {
        let mut src = Seeded::new("fp", [3; 32]);
        (1..=3)
            .map(|i| keygen(i, 3, 2, &mut src).expect("should succeed").1)
            .collect()
    }

    fn options() -> Vec<String> {
        vec!["yes".into(), "no".into(), "abstain".into()]
    }

    #[test]
    fn fingerprint_binds_every_input() {
        let publics = ceremony();
        let y = election_public_key(&publics);
        let base = fingerprint(42, "ABC", &options(), &y, &publics, 2).expect("should succeed");
        assert_eq!(
            base,
            fingerprint(42, "ABC", &options(), &y, &publics, 2).expect("should succeed")
        );
        let mut reversed = publics.clone();
        reversed.reverse();
        assert_eq!(
            base,
            fingerprint(42, "ABC", &options(), &y, &reversed, 2).expect("should succeed"),
            "order of trustees"
        );
        assert_ne!(
            base,
            fingerprint(43, "ABC", &options(), &y, &publics, 2).expect("should succeed")
        );
        assert_ne!(
            base,
            fingerprint(42, "ABD", &options(), &y, &publics, 2).expect("should succeed")
        );
        let swapped: Vec<String> = vec!["no".into(), "yes".into(), "abstain".into()];
        assert_ne!(
            base,
            fingerprint(42, "ABC", &swapped, &y, &publics, 2).expect("should succeed")
        );
        assert!(
            fingerprint(42, "ABC", &options(), &y, &publics, 3).is_err(),
            "threshold must match commitments"
        );
        let wrong_key = Point::mul_base(&Scalar::from(5u64));
        assert!(fingerprint(42, "ABC", &options(), &wrong_key, &publics, 2).is_err());
        let twice: Vec<String> = vec!["yes".into(), "yes".into()];
        assert!(fingerprint(42, "ABC", &twice, &y, &publics, 2).is_err());
    }

    #[test]
    fn election_key_serialises_as_its_point() {
        let key = ElectionKey::new(Point::mul_base(&Scalar::from(77u64)));
        let json = serde_json::to_string(&key).expect("should succeed");
        assert_eq!(json, serde_json::to_string(key.public()).expect("should succeed"));
        let back: ElectionKey = serde_json::from_str(&json).expect("should succeed");
        assert_eq!(back, key);
        assert_eq!(back.mul(&Scalar::from(3u64)), key.public().point() * Scalar::from(3u64));
    }
}
