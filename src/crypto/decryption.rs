//! Threshold decryption of the aggregates (ElectionGuard 2.0, "Verifiable Decryption"; the Belenios
//! specification's threshold decryption). Trustee j publishes for every aggregate (alpha, beta) the factor
//! D_j = alpha^{s_j} with a DLEQ proof that log_g(g^{s_j}) == log_alpha(D_j), where g^{s_j} is the
//! verification key anyone computes from the commitments. With a set S of at least t trustees,
//! g^m = beta / Π_{j ∈ S} D_j^{λ_j}, λ_j the Lagrange coefficients of S at 0, and m follows by a bounded
//! discrete log.
//!
//! Proof context for aggregate number i (flat order) from trustee j:
//! encode_parts([context, "partial decryption", j as u32 BE, i as u64 BE]).

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};

use super::dlog::DlogTable;
use super::error::CryptoError;
use super::group::{Point, ScalarSource, encode_parts};
use super::proofs::{Dleq, DleqProof, prove_dleq, verify_dleq};
use super::tally::Aggregates;
use super::trustees::{SecretShare, TrusteePublic, check_ceremony, find, lagrange_at_zero, verification_key};

/// The largest total a decryption searches for: about a thousand times the
/// list size of every practice in England, with each patient one vote.
pub const MAX_TOTAL: u64 = 1 << 36;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDecryption {
    pub trustee: u32,
    pub factors: Vec<Point>,
    pub proofs: Vec<DleqProof>,
}

fn partial_context(context: &[u8], trustee: u32, position: usize) -> Vec<u8> {
    encode_parts(&[
        context,
        b"partial decryption",
        &trustee.to_be_bytes(),
        &(position as u64).to_be_bytes(),
    ])
}

pub fn partial_decrypt(
    share: &SecretShare,
    aggregates: &Aggregates,
    context: &[u8],
    source: &mut dyn ScalarSource,
) -> PartialDecryption {
    let g = Point::generator();
    let key = Point::mul_base(share.value());
    let ciphertexts = aggregates.ciphertexts();
    let mut factors = Vec::with_capacity(ciphertexts.len());
    let mut proofs = Vec::with_capacity(ciphertexts.len());
    for (i, ct) in ciphertexts.into_iter().enumerate() {
        let factor = Point::new(ct.alpha.point() * share.value());
        let statement = Dleq {
            g1: &g,
            h1: &key,
            g2: &ct.alpha,
            h2: &factor,
        };
        proofs.push(prove_dleq(
            share.value(),
            &statement,
            &partial_context(context, share.trustee, i),
            source,
        ));
        factors.push(factor);
    }
    PartialDecryption {
        trustee: share.trustee,
        factors,
        proofs,
    }
}

pub fn verify_partial(
    partial: &PartialDecryption,
    aggregates: &Aggregates,
    publics: &[TrusteePublic],
    context: &[u8],
) -> Result<(), CryptoError> {
    find(publics, partial.trustee)?;
    let ciphertexts = aggregates.ciphertexts();
    if partial.factors.len() != ciphertexts.len() || partial.proofs.len() != ciphertexts.len() {
        return Err(CryptoError::WrongShape(format!(
            "the partial decryption of trustee {} has {} factors and {} proofs for {} aggregates",
            partial.trustee,
            partial.factors.len(),
            partial.proofs.len(),
            ciphertexts.len()
        )));
    }
    let g = Point::generator();
    let key = verification_key(partial.trustee, publics);
    for (i, ((ct, factor), proof)) in ciphertexts
        .iter()
        .zip(&partial.factors)
        .zip(&partial.proofs)
        .enumerate()
    {
        let statement = Dleq {
            g1: &g,
            h1: &key,
            g2: &ct.alpha,
            h2: factor,
        };
        if !verify_dleq(&statement, proof, &partial_context(context, partial.trustee, i)) {
            return Err(CryptoError::PartialProof {
                trustee: partial.trustee,
                aggregate: i,
            });
        }
    }
    Ok(())
}

/// The plaintext totals in the flat order, from the partial decryptions of at least `threshold` distinct
/// trustees (all of them are used). `bounds[i]` is the largest value aggregate i may hold; see
/// `Aggregates::bounds`.
pub fn combine(
    aggregates: &Aggregates,
    partials: &[PartialDecryption],
    publics: &[TrusteePublic],
    threshold: u32,
    context: &[u8],
    bounds: &[u64],
) -> Result<Vec<u64>, CryptoError> {
    check_ceremony(publics, threshold)?;
    let ciphertexts = aggregates.ciphertexts();
    // The bounds come from the board, which anyone can write: a claimed
    // total beyond any real electorate would make the search below run for
    // ever (found by fuzzing: tests/fuzz/crashes/board-1).
    if let Some(too_large) = bounds.iter().find(|b| **b > MAX_TOTAL) {
        return Err(CryptoError::WrongShape(format!(
            "a total of up to {too_large} cannot be decrypted: no electorate's weight exceeds {MAX_TOTAL}"
        )));
    }
    if bounds.len() != ciphertexts.len() {
        return Err(CryptoError::WrongShape(format!(
            "{} bounds were given for {} aggregates",
            bounds.len(),
            ciphertexts.len()
        )));
    }
    let mut indices = Vec::with_capacity(partials.len());
    for partial in partials {
        if indices.contains(&partial.trustee) {
            return Err(CryptoError::DuplicateTrustee {
                trustee: partial.trustee,
            });
        }
        indices.push(partial.trustee);
    }
    if partials.len() < threshold as usize {
        return Err(CryptoError::NotEnoughPartials {
            given: partials.len(),
            needed: threshold as usize,
        });
    }
    for partial in partials {
        verify_partial(partial, aggregates, publics, context)?;
    }
    let lambdas = indices
        .iter()
        .map(|&j| lagrange_at_zero(&indices, j))
        .collect::<Result<Vec<Scalar>, _>>()?;

    // One table for all logarithms: with step sqrt(Σ bounds) building it costs about as much as all the
    // giant steps together.
    let step_for = bounds.iter().fold(0u64, |acc, b| acc.saturating_add(*b));
    let table = DlogTable::for_bound(step_for);
    let mut totals = Vec::with_capacity(ciphertexts.len());
    for (i, ct) in ciphertexts.iter().enumerate() {
        let combined = RistrettoPoint::vartime_multiscalar_mul(&lambdas, partials.iter().map(|p| p.factors[i].point()));
        let g_m = ct.beta.point() - combined;
        let m = table.solve(&g_m, bounds[i]).ok_or(CryptoError::NoDiscreteLog {
            aggregate: i,
            bound: bounds[i],
        })?;
        totals.push(m);
    }
    Ok(totals)
}
