//! End to end: key ceremony, papers, weighted tally and threshold decryption together.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;

use super::CryptoError;
use super::election::{ElectionKey, Fingerprint, fingerprint};
use super::group::{Point, Seeded};
use super::paper::{EncryptedPaper, encrypt_paper, verify_paper};
use super::tally::{
    Aggregates, PartialDecryption, TallyPaper, aggregate, combine, partial_decrypt, verify_aggregates, verify_partial,
};
use super::trustees::{
    SecretShare, TrusteePublic, election_public_key, keygen, lagrange_at_zero, receive_shares, shares_for_others,
};

struct Ceremony {
    shares: Vec<SecretShare>,
    publics: Vec<TrusteePublic>,
    key: ElectionKey,
    fingerprint: Fingerprint,
    t: u32,
}

fn ceremony(n: u32, t: u32, seed: u8) -> Ceremony {
    let mut src = Seeded::new("e2e ceremony", [seed; 32]);
    let (privates, publics): (Vec<_>, Vec<_>) = (1..=n)
        .map(|i| keygen(i, n, t, &mut src).expect("should succeed"))
        .unzip();
    let sealed: Vec<_> = privates
        .iter()
        .flat_map(|p| shares_for_others(p, &publics, &mut src).expect("should succeed"))
        .collect();
    let shares = privates
        .iter()
        .map(|me| {
            let mine: Vec<_> = sealed.iter().filter(|s| s.recipient == me.index()).cloned().collect();
            receive_shares(me, &publics, &mine).expect("should succeed")
        })
        .collect();
    let y = election_public_key(&publics);
    let options = vec!["for".to_owned(), "against".to_owned(), "abstain".to_owned()];
    let fingerprint = fingerprint(7, "LMC-01", &options, &y, &publics, t).expect("should succeed");
    Ceremony {
        shares,
        publics,
        key: ElectionKey::new(y),
        fingerprint,
        t,
    }
}

/// (practice, weight, group, choice).
const VOTES: [(&str, u64, Option<&str>, usize); 9] = [
    ("A1", 12_000, Some("North"), 0),
    ("A2", 8_500, Some("North"), 1),
    ("A3", 3_100, Some("North"), 0),
    ("B1", 40_250, Some("South"), 2),
    ("B2", 1, Some("South"), 0),
    ("B3", 7_777, Some("South"), 1),
    ("B4", 15_000, Some("South"), 0),
    ("C1", 999, None, 1),
    ("C2", 0, Some("North"), 2),
];

fn cast(c: &Ceremony) -> Vec<EncryptedPaper> {
    let mut src = Seeded::new("e2e votes", [1; 32]);
    VOTES
        .iter()
        .map(|(code, _, _, choice)| {
            let paper = encrypt_paper(&c.key, &c.fingerprint, code, 3, *choice, &mut src)
                .expect("should succeed")
                .0;
            verify_paper(&c.key, &c.fingerprint, code, 3, &paper).expect("should succeed");
            paper
        })
        .collect()
}

fn tally_input<'a>(papers: &'a [EncryptedPaper]) -> Vec<TallyPaper<'a>> {
    papers
        .iter()
        .zip(VOTES)
        .map(|(paper, (_, weight, group, _))| TallyPaper { paper, weight, group })
        .collect()
}

/// The plaintext totals in flat order, computed directly from VOTES.
fn expected() -> Vec<u64> {
    let scope = |filter: &dyn Fn(Option<&str>) -> bool| {
        let mut weighted = [0u64; 3];
        let mut counts = [0u64; 3];
        for (_, w, g, choice) in VOTES.iter().filter(|v| filter(v.2)) {
            weighted[*choice] += w;
            counts[*choice] += 1;
            let _ = g;
        }
        weighted.into_iter().chain(counts).collect::<Vec<_>>()
    };
    let mut out = scope(&|_| true);
    out.extend(scope(&|g| g == Some("North")));
    out.extend(scope(&|g| g == Some("South")));
    out
}

fn partials(c: &Ceremony, aggregates: &Aggregates, who: &[u32]) -> Vec<PartialDecryption> {
    let mut src = Seeded::new("e2e partials", [2; 32]);
    who.iter()
        .map(|&j| partial_decrypt(&c.shares[j as usize - 1], aggregates, &c.fingerprint, &mut src))
        .collect()
}

fn decrypt(c: &Ceremony, aggregates: &Aggregates, who: &[u32]) -> Result<Vec<u64>, CryptoError> {
    let parts = partials(c, aggregates, who);
    combine(
        aggregates,
        &parts,
        &c.publics,
        c.t,
        &c.fingerprint,
        &aggregates.bounds(),
    )
}

fn subsets(n: u32, size: usize) -> Vec<Vec<u32>> {
    (0u32..1 << n)
        .filter(|mask| mask.count_ones() as usize == size)
        .map(|mask| (1..=n).filter(|i| mask & (1 << (i - 1)) != 0).collect())
        .collect()
}

/// What t−1 trustees get by interpolating among themselves: not g^m.
fn attempt_below_threshold(aggregates: &Aggregates, parts: &[PartialDecryption]) -> Vec<RistrettoPoint> {
    let indices: Vec<u32> = parts.iter().map(|p| p.trustee).collect();
    let lambdas: Vec<Scalar> = indices
        .iter()
        .map(|&j| lagrange_at_zero(&indices, j).expect("should succeed"))
        .collect();
    aggregates
        .ciphertexts()
        .iter()
        .enumerate()
        .map(|(i, ct)| {
            let combined: RistrettoPoint = parts.iter().zip(&lambdas).map(|(p, l)| p.factors[i].point() * l).sum();
            ct.beta.point() - combined
        })
        .collect()
}

fn check_threshold(n: u32, t: u32, sets: &[Vec<u32>], seed: u8) {
    let c = ceremony(n, t, seed);
    let papers = cast(&c);
    let aggregates = aggregate(3, &tally_input(&papers)).expect("should succeed");
    assert_eq!(
        aggregates.groups.iter().map(|g| g.group.as_str()).collect::<Vec<_>>(),
        ["North", "South"]
    );
    for set in sets {
        assert_eq!(
            decrypt(&c, &aggregates, set).expect("should succeed"),
            expected(),
            "n={n} t={t} trustees {set:?}"
        );
    }
    for set in subsets(n, t as usize - 1) {
        let err = decrypt(&c, &aggregates, &set).expect_err("should be refused");
        assert_eq!(
            err,
            CryptoError::NotEnoughPartials {
                given: t as usize - 1,
                needed: t as usize
            }
        );
        if !set.is_empty() {
            let parts = partials(&c, &aggregates, &set);
            let attempts = attempt_below_threshold(&aggregates, &parts);
            for (value, attempt) in expected().into_iter().zip(attempts) {
                assert_ne!(
                    attempt,
                    RISTRETTO_BASEPOINT_POINT * Scalar::from(value),
                    "n={n} t={t} {set:?}"
                );
            }
        }
    }
}

#[test]
fn three_trustees_any_two() {
    check_threshold(
        3,
        2,
        &subsets(3, 2).into_iter().chain(subsets(3, 3)).collect::<Vec<_>>(),
        1,
    );
}

#[test]
fn three_of_three() {
    check_threshold(3, 3, &[vec![1, 2, 3], vec![3, 1, 2]], 2);
}

#[test]
fn five_trustees_any_three() {
    let sets = vec![
        vec![1, 2, 3],
        vec![1, 3, 5],
        vec![2, 4, 5],
        vec![5, 4, 3],
        vec![1, 2, 3, 4, 5],
    ];
    check_threshold(5, 3, &sets, 3);
}

#[test]
fn one_of_one() {
    check_threshold(1, 1, &[vec![1]], 4);
}

#[test]
fn tampered_partial_decryption_is_named() {
    let c = ceremony(3, 2, 5);
    let papers = cast(&c);
    let aggregates = aggregate(3, &tally_input(&papers)).expect("should succeed");
    let mut parts = partials(&c, &aggregates, &[1, 3]);
    parts[1].factors[4] = Point::new(parts[1].factors[4].point() + RISTRETTO_BASEPOINT_POINT);
    let err = combine(&aggregates, &parts, &c.publics, 2, &c.fingerprint, &aggregates.bounds())
        .expect_err("should be refused");
    assert_eq!(
        err,
        CryptoError::PartialProof {
            trustee: 3,
            aggregate: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "the partial decryption of trustee 3 for aggregate 4 does not verify"
    );

    let mut parts = partials(&c, &aggregates, &[1, 2]);
    parts[0].proofs[0].response += Scalar::ONE;
    assert_eq!(
        verify_partial(&parts[0], &aggregates, &c.publics, &c.fingerprint),
        Err(CryptoError::PartialProof {
            trustee: 1,
            aggregate: 0
        })
    );
    // Right factors, wrong context (another ballot).
    let parts = partials(&c, &aggregates, &[1, 2]);
    assert!(verify_partial(&parts[0], &aggregates, &c.publics, b"another ballot").is_err());
    // A partial claiming to be from another trustee.
    let mut parts = partials(&c, &aggregates, &[1, 2]);
    parts[0].trustee = 3;
    assert!(matches!(
        combine(&aggregates, &parts, &c.publics, 2, &c.fingerprint, &aggregates.bounds()),
        Err(CryptoError::PartialProof { trustee: 3, .. })
    ));
    let twice = vec![parts[1].clone(), parts[1].clone()];
    assert_eq!(
        combine(&aggregates, &twice, &c.publics, 2, &c.fingerprint, &aggregates.bounds()),
        Err(CryptoError::DuplicateTrustee { trustee: 2 })
    );
}

#[test]
fn changed_weight_changes_the_aggregate() {
    let c = ceremony(3, 2, 6);
    let papers = cast(&c);
    let honest = tally_input(&papers);
    let published = aggregate(3, &honest).expect("should succeed");
    verify_aggregates(3, &honest, &published).expect("should succeed");

    let mut altered = honest.clone();
    altered[3].weight += 1; // B1, South, option 2
    let err = verify_aggregates(3, &altered, &published).expect_err("should be refused");
    assert!(matches!(err, CryptoError::WrongShape(_)), "{err}");
    // Even with the totals adjusted to hide it, the ciphertexts give it away: every option's aggregate
    // changes, since the paper's encryptions of 0 are re-weighted too.
    let mut disguised = published.clone();
    disguised.overall.total_weight += 1;
    disguised.groups[1].aggregate.total_weight += 1;
    let err = verify_aggregates(3, &altered, &disguised).expect_err("should be refused");
    assert_eq!(
        err.to_string(),
        "the weighted aggregate for option 0 (overall) does not match the papers"
    );

    // Decrypting the altered tally gives the altered result, not the published one.
    let recount = aggregate(3, &altered).expect("should succeed");
    let totals = decrypt(&c, &recount, &[2, 3]).expect("should succeed");
    assert_eq!(totals[2], expected()[2] + 1);

    let mut swapped_group = honest.clone();
    swapped_group[0].group = Some("South");
    assert!(verify_aggregates(3, &swapped_group, &published).is_err());
}

#[test]
fn out_of_bound_totals_are_refused() {
    let c = ceremony(3, 2, 7);
    let papers = cast(&c);
    let aggregates = aggregate(3, &tally_input(&papers)).expect("should succeed");
    let parts = partials(&c, &aggregates, &[1, 2]);
    let mut bounds = aggregates.bounds();
    bounds[0] = expected()[0] - 1;
    let err = combine(&aggregates, &parts, &c.publics, 2, &c.fingerprint, &bounds).expect_err("should be refused");
    assert_eq!(
        err,
        CryptoError::NoDiscreteLog {
            aggregate: 0,
            bound: expected()[0] - 1
        }
    );
    assert!(combine(&aggregates, &parts, &c.publics, 2, &c.fingerprint, &bounds[1..]).is_err());
}

#[test]
fn public_structures_round_trip_json() {
    let c = ceremony(3, 2, 8);
    let papers = cast(&c);
    let aggregates = aggregate(3, &tally_input(&papers)).expect("should succeed");
    let json = serde_json::to_string(&aggregates).expect("should succeed");
    assert_eq!(
        serde_json::from_str::<Aggregates>(&json).expect("should succeed"),
        aggregates
    );
    let part = partials(&c, &aggregates, &[2]).remove(0);
    let json = serde_json::to_string(&part).expect("should succeed");
    assert_eq!(
        serde_json::from_str::<PartialDecryption>(&json).expect("should succeed"),
        part
    );
    let json = serde_json::to_string(&c.shares[0]).expect("should succeed");
    assert_eq!(
        serde_json::from_str::<SecretShare>(&json).expect("should succeed"),
        c.shares[0]
    );
    assert!(
        !format!("{:?}", c.shares[0]).contains(&json[20..40]),
        "Debug must not print the secret"
    );
}

#[test]
fn empty_tally_decrypts_to_zero() {
    let c = ceremony(3, 2, 9);
    let aggregates = aggregate(3, &[]).expect("aggregates");
    assert_eq!(decrypt(&c, &aggregates, &[1, 3]).expect("decrypts"), vec![0; 6]);
    // With alpha the identity the statement's second base is the identity; a factor other than the
    // identity then makes the statement false, and the proof does not verify.
    let mut parts = partials(&c, &aggregates, &[1, 3]);
    parts[0].factors[0] = Point::generator();
    assert_eq!(
        verify_partial(&parts[0], &aggregates, &c.publics, &c.fingerprint),
        Err(CryptoError::PartialProof {
            trustee: 1,
            aggregate: 0
        })
    );
}
