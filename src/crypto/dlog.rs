//! Bounded discrete logarithm by baby-step giant-step (Shanks 1971), as ElectionGuard 2.0 ("Verifiable Decryption") and
//! Belenios leave to the implementation.
//!
//! Compressing a ristretto255 point costs an inverse square root, far more than the addition that makes
//! it. `double_and_compress_batch` (ristretto.group, "batched double-and-encode") encodes 2P for many P
//! with one shared inversion, and doubling is a bijection in a prime-order group, so both the table and
//! the search work with encodings of doubled points.

use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

use super::group::Point;

const BATCH: usize = 256;
/// 2^22 entries is about 200 MB of table, enough for bounds up to 2^44 at one table per logarithm.
const MAX_STEP: u64 = 1 << 22;

/// Baby steps: encodings of 2·(j·g) for 0 <= j < step, reusable for many logarithms.
pub struct DlogTable {
    step: u64,
    baby: HashMap<[u8; 32], u32>,
}

impl DlogTable {
    pub fn new(step: u64) -> Self {
        let step = step.clamp(1, MAX_STEP);
        let mut baby = HashMap::with_capacity(step as usize);
        let mut current = RistrettoPoint::identity();
        let mut chunk = Vec::with_capacity(BATCH);
        let mut j: u32 = 0;
        while u64::from(j) < step {
            chunk.clear();
            while chunk.len() < BATCH && u64::from(j) + (chunk.len() as u64) < step {
                chunk.push(current);
                current += RISTRETTO_BASEPOINT_POINT;
            }
            for encoding in RistrettoPoint::double_and_compress_batch(&chunk) {
                baby.insert(encoding.to_bytes(), j);
                j += 1;
            }
        }
        Self { step, baby }
    }

    /// A table sized so that one logarithm up to `bound` costs about as much as building it.
    pub fn for_bound(bound: u64) -> Self {
        Self::new(isqrt(bound.saturating_add(1)) + 1)
    }

    /// The m in 0..=bound with m·g == h, if there is one.
    pub fn solve(&self, h: &RistrettoPoint, bound: u64) -> Option<u64> {
        let giant = RISTRETTO_BASEPOINT_POINT * Scalar::from(self.step);
        let mut current = *h;
        let mut chunk = Vec::with_capacity(BATCH);
        let mut i: u64 = 0;
        // Giant step i covers i·step .. i·step + step - 1.
        let giants = bound / self.step + 1;
        while i < giants {
            chunk.clear();
            while chunk.len() < BATCH && i + (chunk.len() as u64) < giants {
                chunk.push(current);
                current -= giant;
            }
            for (k, encoding) in RistrettoPoint::double_and_compress_batch(&chunk).iter().enumerate() {
                if let Some(&j) = self.baby.get(encoding.as_bytes()) {
                    let m = (i + k as u64) * self.step + u64::from(j);
                    return (m <= bound).then_some(m);
                }
            }
            i += chunk.len() as u64;
        }
        None
    }
}

/// log_g(point) if it lies in 0..=bound. Builds a table of about sqrt(bound) entries; to take many
/// logarithms, build one `DlogTable` and reuse it.
pub fn dlog_bounded(point: &Point, bound: u64) -> Option<u64> {
    DlogTable::for_bound(bound).solve(point.point(), bound)
}

fn isqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r.checked_mul(r).is_none_or(|s| s > n) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|s| s <= n) {
        r += 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g_to(m: u64) -> Point {
        Point::mul_base(&Scalar::from(m))
    }

    #[test]
    fn small_bounds() {
        for bound in [0u64, 1, 2, 3, 10] {
            for m in 0..=bound {
                assert_eq!(dlog_bounded(&g_to(m), bound), Some(m), "m={m} bound={bound}");
            }
            assert_eq!(dlog_bounded(&g_to(bound + 1), bound), None);
        }
    }

    #[test]
    fn edges_of_a_large_bound() {
        let bound = 100_000_000u64;
        let table = DlogTable::for_bound(bound);
        let root = isqrt(bound);
        for m in [
            0,
            1,
            2,
            root - 1,
            root,
            root + 1,
            root + 2,
            2 * root,
            bound - 1,
            bound,
            12_345_678,
        ] {
            assert_eq!(table.solve(g_to(m).point(), bound), Some(m), "m={m}");
        }
        assert_eq!(table.solve(g_to(bound + 1).point(), bound), None);
        // A value just outside the bound but within the last giant step is still refused.
        assert_eq!(table.solve(g_to(bound + 1).point(), bound - 1), None);
        assert_eq!(table.solve(&(-RISTRETTO_BASEPOINT_POINT), bound), None);
    }

    #[test]
    fn table_of_any_step_agrees() {
        for step in [1u64, 2, 7, 300] {
            let table = DlogTable::new(step);
            for m in [0u64, 1, 6, 7, 8, 299, 300, 301, 1000] {
                assert_eq!(table.solve(g_to(m).point(), 1000), Some(m), "step={step} m={m}");
            }
        }
    }

    #[test]
    fn isqrt_exact() {
        for n in [0u64, 1, 2, 3, 4, 15, 16, 17, 99_999_999, 100_000_000, u64::MAX] {
            let r = isqrt(n);
            assert!(
                r.checked_mul(r).is_some_and(|s| s <= n) && (r + 1).checked_mul(r + 1).is_none_or(|s| s > n),
                "{n}"
            );
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn finds_every_value_within_the_bound(bound in 0u64..2_000_000, fraction in 0.0f64..=1.0) {
            let m = ((bound as f64) * fraction) as u64;
            let point = Point::mul_base(&Scalar::from(m));
            prop_assert_eq!(dlog_bounded(&point, bound), Some(m));
            prop_assert_eq!(dlog_bounded(&Point::mul_base(&Scalar::from(bound + 1)), bound), None);
        }
    }
}
