//! Exponential ElGamal (Cramer, Gennaro, Schoenmakers, "A secure and optimally efficient multi-authority
//! election scheme", EUROCRYPT 1997; ElectionGuard 2.0, "Ballot Encryption"; the Belenios specification's
//! ElGamal): a message m is encrypted as (g^r, Y^r · g^m), so multiplying ciphertexts adds their messages
//! and raising one to a public weight multiplies its message. Decryption yields g^m, from which the small
//! m is recovered by a bounded discrete logarithm.
//!
//! Notation is multiplicative as in the papers; the code is additive as in curve25519-dalek.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};

use super::election::ElectionKey;
use super::group::Point;

pub use super::dlog::{DlogTable, dlog_bounded};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ciphertext {
    pub alpha: Point,
    pub beta: Point,
}

/// (g^r, Y^r · g^m). Constant-time in r and m, because the server encrypts votes.
pub fn encrypt(key: &ElectionKey, m: u64, r: &Scalar) -> Ciphertext {
    let alpha = Point::mul_base(r);
    let beta = key.mul(r) + &Scalar::from(m) * RISTRETTO_BASEPOINT_TABLE;
    Ciphertext {
        alpha,
        beta: Point::new(beta),
    }
}

impl Ciphertext {
    /// The encryption of 0 with randomness 0: the neutral element of `add`.
    pub fn identity() -> Self {
        Self {
            alpha: Point::identity(),
            beta: Point::identity(),
        }
    }

    /// Componentwise product: encrypts the sum of the two messages.
    pub fn add(&self, other: &Ciphertext) -> Self {
        Self {
            alpha: Point::new(self.alpha.point() + other.alpha.point()),
            beta: Point::new(self.beta.point() + other.beta.point()),
        }
    }

    /// Componentwise power: encrypts `weight` times the message. Weights are public, so variable time is
    /// fine, but a single power is rare enough that the constant-time routine costs nothing that matters.
    pub fn pow(&self, weight: u64) -> Self {
        let w = Scalar::from(weight);
        Self {
            alpha: Point::new(self.alpha.point() * w),
            beta: Point::new(self.beta.point() * w),
        }
    }

    pub fn product<'a>(items: impl IntoIterator<Item = &'a Ciphertext>) -> Self {
        let (alpha, beta) = items
            .into_iter()
            .fold((RistrettoPoint::identity(), RistrettoPoint::identity()), |(a, b), c| {
                (a + c.alpha.point(), b + c.beta.point())
            });
        Self {
            alpha: Point::new(alpha),
            beta: Point::new(beta),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::group::{ScalarSource, Seeded};

    fn key_and_secret() -> (ElectionKey, Scalar) {
        let x = Seeded::new("test", [1; 32]).next_scalar();
        (ElectionKey::new(Point::mul_base(&x)), x)
    }

    fn decrypt(x: &Scalar, c: &Ciphertext) -> RistrettoPoint {
        c.beta.point() - c.alpha.point() * x
    }

    #[test]
    fn homomorphic_operations() {
        let (key, x) = key_and_secret();
        let mut src = Seeded::new("test", [2; 32]);
        let a = encrypt(&key, 3, &src.next_scalar());
        let b = encrypt(&key, 4, &src.next_scalar());
        let g = Point::generator();
        assert_eq!(decrypt(&x, &a.add(&b)), g.point() * Scalar::from(7u64));
        assert_eq!(decrypt(&x, &a.pow(10)), g.point() * Scalar::from(30u64));
        assert_eq!(
            decrypt(&x, &Ciphertext::product([&a, &b, &a])),
            g.point() * Scalar::from(10u64)
        );
        assert_eq!(Ciphertext::product([]), Ciphertext::identity());
        assert_eq!(a.add(&Ciphertext::identity()), a);
        assert_eq!(dlog_bounded(&Point::new(decrypt(&x, &a.pow(1000))), 5000), Some(3000));
    }

    #[test]
    fn json_round_trip() {
        let (key, _) = key_and_secret();
        let c = encrypt(&key, 1, &Scalar::from(99u64));
        let json = serde_json::to_string(&c).expect("should succeed");
        assert_eq!(serde_json::from_str::<Ciphertext>(&json).expect("should succeed"), c);
    }
}
