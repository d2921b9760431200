//! Shared fixtures of the fuzz targets: a small verifiable election made
//! deterministically (seeded randomness) with quorate's own public
//! functions, so fuzzed papers, openings, shares and decryptions are
//! checked against real keys, aggregates and fingerprints.

use std::sync::OnceLock;

use quorate::ballots::verifiable::model::{Election, ElectionRecord};
use quorate::crypto::group::Seeded;
use quorate::crypto::paper::encrypt_paper;
use quorate::crypto::tally::{Aggregates, PartialDecryption, TallyPaper, aggregate, partial_decrypt};
use quorate::crypto::trustees::{
    EncryptedShare, SecretShare, TrusteePrivate, TrusteePublic, keygen, receive_shares, shares_for_others,
};

pub const TRUSTEES: u32 = 3;
pub const THRESHOLD: u32 = 2;
pub const OPTIONS: [&str; 3] = ["for", "against", "abstain"];
pub const PRACTICES: [&str; 3] = ["A81001", "A81002", "B81001"];

pub struct Fixture {
    pub privates: Vec<TrusteePrivate>,
    pub publics: Vec<TrusteePublic>,
    /// Every trustee's shares for the others.
    pub shares: Vec<EncryptedShare>,
    pub secret_shares: Vec<SecretShare>,
    pub record: ElectionRecord,
    pub election: Election,
    pub aggregates: Aggregates,
    /// A valid partial decryption by each trustee.
    pub partials: Vec<PartialDecryption>,
}

fn make() -> Fixture {
    let mut source = Seeded::new("quorate fuzz fixture", [42; 32]);
    let (privates, publics): (Vec<_>, Vec<_>) = (1..=TRUSTEES)
        .map(|i| keygen(i, TRUSTEES, THRESHOLD, &mut source).expect("keygen"))
        .unzip();
    let shares: Vec<EncryptedShare> = privates
        .iter()
        .flat_map(|p| shares_for_others(p, &publics, &mut source).expect("shares"))
        .collect();
    let secret_shares: Vec<SecretShare> = privates
        .iter()
        .map(|p| {
            let mine: Vec<EncryptedShare> = shares.iter().filter(|s| s.recipient == p.index()).cloned().collect();
            receive_shares(p, &publics, &mine).expect("receive")
        })
        .collect();
    let record = ElectionRecord::new(
        7,
        "08V",
        OPTIONS.iter().map(|o| (*o).to_owned()).collect(),
        THRESHOLD,
        publics.clone(),
        shares.clone(),
    )
    .expect("record");
    let election = record.check().expect("record checks");
    let papers: Vec<_> = PRACTICES
        .iter()
        .enumerate()
        .map(|(i, practice)| {
            encrypt_paper(
                &election.key,
                &election.fingerprint,
                practice,
                OPTIONS.len(),
                i % OPTIONS.len(),
                &mut source,
            )
            .expect("paper")
            .0
        })
        .collect();
    let tally: Vec<TallyPaper<'_>> = papers
        .iter()
        .enumerate()
        .map(|(i, paper)| TallyPaper {
            paper,
            weight: 1 + i as u64,
            group: if i == 2 { Some("south") } else { None },
        })
        .collect();
    let aggregates = aggregate(OPTIONS.len(), &tally).expect("aggregate");
    let partials = secret_shares
        .iter()
        .map(|s| partial_decrypt(s, &aggregates, &election.fingerprint, &mut source))
        .collect();
    Fixture {
        privates,
        publics,
        shares,
        secret_shares,
        record,
        election,
        aggregates,
        partials,
    }
}

/// Made once per fuzzing process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(make)
}

/// Splits an input at its first NUL byte: (before, after).
pub fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}
