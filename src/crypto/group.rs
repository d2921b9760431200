//! The group: ristretto255 (RFC 9496), a prime-order group, so there are no small-subgroup or cofactor
//! checks to forget. The generator g is the Ristretto basepoint. Elements and scalars travel as lowercase
//! hex of their 32-byte canonical encodings (RFC 9496 §4.3.1 and §4.3.2).
//!
//! `Point` keeps both the decoded point and its encoding: every proof hashes the encoding and every
//! verification computes with the point, and recomputing either one costs an inverse square root.

use std::fmt;

use curve25519_dalek::constants::{
    RISTRETTO_BASEPOINT_COMPRESSED, RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE,
};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha512};

use super::error::CryptoError;

pub use super::random::{OsRandom, ScalarSource, Seeded, random_scalar};
pub use curve25519_dalek::scalar::Scalar;

/// g, without paying for its compression at every use.
pub static GENERATOR: Point = Point {
    point: RISTRETTO_BASEPOINT_POINT,
    bytes: RISTRETTO_BASEPOINT_COMPRESSED.to_bytes(),
};

#[derive(Clone, Copy)]
pub struct Point {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

impl Point {
    pub fn new(point: RistrettoPoint) -> Self {
        Self {
            bytes: point.compress().to_bytes(),
            point,
        }
    }

    pub fn generator() -> Self {
        GENERATOR
    }

    /// A point with its encoding, both already known (chosen in constant
    /// time from prepared points).
    pub(crate) fn from_parts(point: RistrettoPoint, bytes: [u8; 32]) -> Self {
        Self { point, bytes }
    }

    pub fn identity() -> Self {
        Self::new(RistrettoPoint::identity())
    }

    /// g^x, through the precomputed basepoint table.
    pub fn mul_base(x: &Scalar) -> Self {
        Self::new(x * RISTRETTO_BASEPOINT_TABLE)
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        match CompressedRistretto(*bytes).decompress() {
            Some(point) => Ok(Self { point, bytes: *bytes }),
            None => Err(CryptoError::NotAPoint {
                hex: hex::encode(bytes),
            }),
        }
    }

    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        Self::from_bytes(&decode_32(text, "point")?)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    pub fn is_identity(&self) -> bool {
        self.bytes == [0u8; 32]
    }
}

impl From<RistrettoPoint> for Point {
    fn from(point: RistrettoPoint) -> Self {
        Self::new(point)
    }
}

// Canonical encodings are unique, so comparing them is comparing the points.
impl PartialEq for Point {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Point {}

impl std::hash::Hash for Point {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Point({})", self.to_hex())
    }
}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Point::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

pub fn scalar_from_hex(text: &str) -> Result<Scalar, CryptoError> {
    let bytes = decode_32(text, "scalar")?;
    Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(CryptoError::NonCanonicalScalar { hex: text.to_owned() })
}

pub fn scalar_to_hex(x: &Scalar) -> String {
    hex::encode(x.as_bytes())
}

/// Refuses upper case and odd lengths, so one value has exactly one textual form.
fn decode_32(text: &str, what: &'static str) -> Result<[u8; 32], CryptoError> {
    let wrong = CryptoError::NotHex { what, digits: 64 };
    if text.len() != 64 || !is_lower_hex(text) {
        return Err(wrong);
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| wrong)?;
    Ok(out)
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `#[serde(with = "scalar_hex")]` for a single scalar.
pub mod scalar_hex {
    use super::*;

    pub fn serialize<S: Serializer>(x: &Scalar, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&scalar_to_hex(x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        let text = String::deserialize(deserializer)?;
        scalar_from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "scalar_hex_vec")]` for a list of scalars.
pub mod scalar_hex_vec {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(xs: &[Scalar], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(xs.len()))?;
        for x in xs {
            seq.serialize_element(&scalar_to_hex(x))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Scalar>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|t| scalar_from_hex(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// `#[serde(with = "bytes_hex")]` for byte strings of any length (share ciphertexts, nonces).
pub mod bytes_hex {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() % 2 != 0 || !is_lower_hex(&text) {
            return Err(serde::de::Error::custom(CryptoError::NotHexBytes {
                what: "byte string",
            }));
        }
        hex::decode(&text).map_err(|_| serde::de::Error::custom(CryptoError::NotHexBytes { what: "byte string" }))
    }
}

/// Appends `part` with its length as 8 big-endian bytes in front. A sequence of such parts parses back in
/// exactly one way, which is what makes every hash input below injective.
pub fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_be_bytes());
    out.extend_from_slice(part);
}

pub fn encode_parts(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        push_part(&mut out, part);
    }
    out
}

const CHALLENGE_DOMAIN: &[u8] = b"quorate fiat-shamir v1";

/// The Fiat–Shamir challenge (Bernhard, Pereira, Warinschi, "How not to prove yourself", 2012: hash the
/// whole statement, not just the commitments). Input to SHA-512, then reduced mod the group order:
///
/// `lp("quorate fiat-shamir v1") || lp(tag) || lp(part_1) || … || lp(part_n)`
///
/// where `lp(x)` = length of x as u64 big-endian || x.
pub fn challenge(tag: &str, parts: &[&[u8]]) -> Scalar {
    let mut hasher = Sha512::new();
    for part in [CHALLENGE_DOMAIN, tag.as_bytes()].iter().chain(parts.iter()) {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let wide: [u8; 64] = hasher.finalize().into();
    Scalar::from_bytes_mod_order_wide(&wide)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_hex_round_trip() {
        let p = Point::mul_base(&Scalar::from(12345u64));
        let json = serde_json::to_string(&p).expect("should succeed");
        let back: Point = serde_json::from_str(&json).expect("should succeed");
        assert_eq!(p, back);
        assert_eq!(back.point(), p.point());
        assert_eq!(json.len(), 66);
    }

    #[test]
    fn invalid_point_refused() {
        // All-0xff is not a canonical field element.
        let err = Point::from_hex(&"ff".repeat(32)).expect_err("should be refused");
        assert!(matches!(err, CryptoError::NotAPoint { .. }));
        let via_serde =
            serde_json::from_str::<Point>(&format!("\"{}\"", "ff".repeat(32))).expect_err("should be refused");
        assert!(
            via_serde.to_string().contains("not a valid ristretto255 encoding"),
            "{via_serde}"
        );
        // A negative s (low bit set) is invalid in Ristretto.
        let mut odd = [0u8; 32];
        odd[0] = 1;
        assert!(Point::from_bytes(&odd).is_err());
    }

    #[test]
    fn non_canonical_scalar_refused() {
        let l_minus_one = Scalar::ZERO - Scalar::ONE;
        let mut bytes = l_minus_one.to_bytes();
        bytes[0] = bytes[0].wrapping_add(2); // l + 1, not reduced
        let err = scalar_from_hex(&hex::encode(bytes)).expect_err("should be refused");
        assert!(matches!(err, CryptoError::NonCanonicalScalar { .. }));
        assert!(scalar_from_hex(&"ff".repeat(32)).is_err());
    }

    #[test]
    fn malformed_hex_refused() {
        let upper = scalar_to_hex(&Scalar::from(10u64)).to_uppercase();
        assert!(matches!(scalar_from_hex(&upper), Err(CryptoError::NotHex { .. })));
        assert!(matches!(scalar_from_hex("00"), Err(CryptoError::NotHex { .. })));
        assert!(matches!(
            Point::from_hex(&"zz".repeat(32)),
            Err(CryptoError::NotHex { .. })
        ));
    }

    #[test]
    fn challenge_separates_parts() {
        let a = challenge("t", &[b"ab", b"c"]);
        let b = challenge("t", &[b"a", b"bc"]);
        let c = challenge("t", &[b"abc"]);
        let d = challenge("u", &[b"ab", b"c"]);
        let e = challenge("t", &[b"ab", b"c", b""]);
        let all = [a, b, c, d, e];
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j], "{i} vs {j}");
            }
        }
        assert_eq!(a, challenge("t", &[b"ab", b"c"]));
    }

    #[test]
    fn encode_parts_is_length_prefixed() {
        assert_eq!(encode_parts(&[b"ab"]), [0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']);
    }
}
