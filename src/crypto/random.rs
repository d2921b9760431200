//! Where secret scalars come from. Every function that needs randomness takes a `ScalarSource`, so the
//! same code serves the server (OS randomness), tests, and the re-creation of a paper from a secret seed
//! for a cast-as-intended check (Benaloh, "Simple verifiable elections", EVT 2006).
//!
//! 64 uniform bytes reduced mod the group order give a scalar whose bias is below 2^-250 (RFC 9496 §4.4).

use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

pub trait ScalarSource {
    /// 64 bytes that the caller treats as uniformly random.
    fn wide_bytes(&mut self) -> [u8; 64];

    fn next_scalar(&mut self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.wide_bytes())
    }
}

/// The operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl ScalarSource for OsRandom {
    fn wide_bytes(&mut self) -> [u8; 64] {
        let mut bytes = [0u8; 64];
        // The one allowed `expect`: without an OS random source no secret can be made, and carrying on
        // with predictable bytes would be worse than stopping.
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        bytes
    }
}

pub fn random_scalar() -> Scalar {
    OsRandom.next_scalar()
}

/// Deterministic stream: block k is SHA-512(lp("quorate seeded source v1") || lp(tag) || seed || k as u64
/// big-endian), lp = u64 big-endian length prefix. The tag keeps streams for different purposes apart
/// even when a seed is reused.
pub struct Seeded {
    tag: Vec<u8>,
    seed: [u8; 32],
    counter: u64,
}

impl Seeded {
    pub fn new(tag: &str, seed: [u8; 32]) -> Self {
        Self {
            tag: tag.as_bytes().to_vec(),
            seed,
            counter: 0,
        }
    }
}

// The seed is as secret as the vote it re-creates, so it is never printed.
impl std::fmt::Debug for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seeded")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

const SEEDED_DOMAIN: &[u8] = b"quorate seeded source v1";

impl ScalarSource for Seeded {
    fn wide_bytes(&mut self) -> [u8; 64] {
        let mut hasher = Sha512::new();
        hasher.update((SEEDED_DOMAIN.len() as u64).to_be_bytes());
        hasher.update(SEEDED_DOMAIN);
        hasher.update((self.tag.len() as u64).to_be_bytes());
        hasher.update(&self.tag);
        hasher.update(self.seed);
        hasher.update(self.counter.to_be_bytes());
        self.counter += 1;
        hasher.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_deterministic_and_tag_separated() {
        let mut a = Seeded::new("paper", [7; 32]);
        let mut b = Seeded::new("paper", [7; 32]);
        let mut c = Seeded::new("other", [7; 32]);
        let first = a.next_scalar();
        assert_eq!(first, b.next_scalar());
        assert_ne!(first, c.next_scalar());
        assert_ne!(first, a.next_scalar());
    }

    #[test]
    fn os_random_differs() {
        assert_ne!(random_scalar(), random_scalar());
    }
}
