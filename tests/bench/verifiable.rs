//! Verifiable ballot at national size: `cargo bench --bench verifiable -- [--practices N] [--constituencies C] [FILE]`
//!
//! An electorate of N practices (6,658 and 60,000 by default) in C
//! constituencies (135), with list-size weights — from NHS Digital's
//! gp-reg-pat-prac-all.csv when FILE is given (constituency = the CCG),
//! otherwise a fixed spread of list sizes from 1,000 to 30,000 — and three
//! trustees of whom two decrypt. Every practice casts an encrypted paper of
//! three options. Prints, each a figure of its own: the key ceremony, the
//! encryption per paper, the proof check per paper (alone and in a batch),
//! the board (building and writing its JSON), the aggregates, each trustee's
//! decryption, combining and counting, and `quorate verify` — the release
//! binary, a separate process — on the certificate and board. No database:
//! this is the cryptography and the public record, as anyone recomputes it.

use std::collections::BTreeMap;
use std::time::Instant;

use quorate::ballots::model::{BallotKind, BallotRules};
use quorate::ballots::rules::{self, Elector};
use quorate::ballots::verifiable::model::{ElectionRecord, tallies_from_totals};
use quorate::certify::model::{
    BallotEntry, BoardElector, BoardEntry, CERTIFICATE_FORMAT, Certificate, ElectionEntry, ElectorateEntry, Named,
    Notices, Officer, OptionEntry, Timeline, TrusteeEntry, Votes, fingerprint, sign,
};
use quorate::certify::verifiable::{PaperEntry, VERIFIABLE_BOARD_FORMAT, VerifiableBoard, check_board};
use quorate::crypto::group::OsRandom;
use quorate::crypto::paper::{encrypt_paper, tracker, verify_paper, verify_papers_batch};
use quorate::crypto::tally::{TallyPaper, aggregate, combine, partial_decrypt, verify_partial};
use quorate::crypto::trustees::{election_public_key, keygen, receive_shares, shares_for_others, verification_key};

const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// (ODS code, list size, constituency) for the electorate.
fn electorate(practices: usize, constituencies: usize, file: Option<&str>) -> Vec<(String, u64, String)> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).expect("the list-size file");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("headers").clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .unwrap_or_else(|| panic!("no {name} column"))
        };
        let (code, ccg, sex, age, size) = (
            column("CODE"),
            column("CCG_CODE"),
            column("SEX"),
            column("AGE"),
            column("NUMBER_OF_PATIENTS"),
        );
        let mut found: Vec<(String, u64, String)> = reader
            .records()
            .filter_map(Result::ok)
            .filter(|r| &r[sex] == "ALL" && &r[age] == "ALL")
            .filter_map(|r| Some((r[code].to_owned(), r[size].trim().parse().ok()?, r[ccg].to_owned())))
            .collect();
        found.truncate(practices);
        return found;
    }
    (0..practices)
        .map(|i| {
            // A fixed spread (no randomness, so runs compare).
            let size = 1_000 + (i as u64 * 7_919 % 29_000);
            (format!("P{i:05}"), size, format!("C{:03}", i % constituencies.max(1)))
        })
        .collect()
}

fn run(practices: usize, constituencies: usize, file: Option<&str>) {
    let electorate = electorate(practices, constituencies, file);
    let groups: std::collections::BTreeSet<&str> = electorate.iter().map(|(_, _, g)| g.as_str()).collect();
    let total_weight: u64 = electorate.iter().map(|(_, w, _)| w).sum();
    println!(
        "== {} practices in {} constituencies, total weight {total_weight}, 3 options, 3 trustees of whom 2 decrypt",
        electorate.len(),
        groups.len()
    );
    let options = vec!["for".to_owned(), "against".to_owned(), "abstain".to_owned()];

    let started = Instant::now();
    let (n, t) = (3u32, 2u32);
    let (privates, publics): (Vec<_>, Vec<_>) =
        (1..=n).map(|i| keygen(i, n, t, &mut OsRandom).expect("keygen")).unzip();
    let mut shares = Vec::new();
    for p in &privates {
        shares.extend(shares_for_others(p, &publics, &mut OsRandom).expect("shares"));
    }
    let record = ElectionRecord::new(1, "NAT", options.clone(), t, publics.clone(), shares.clone()).expect("record");
    let election = record.check().expect("election");
    println!(
        "key ceremony (keys, shares, election record checked): {:.0} ms",
        ms(started)
    );
    assert_eq!(record.public_key, election_public_key(&publics));

    let started = Instant::now();
    let papers: Vec<PaperEntry> = electorate
        .iter()
        .enumerate()
        .map(|(i, (code, _, _))| {
            let (paper, _) = encrypt_paper(
                &election.key,
                &election.fingerprint,
                code,
                options.len(),
                i % 3,
                &mut OsRandom,
            )
            .expect("paper");
            PaperEntry {
                practice: code.clone(),
                tracker: tracker(&paper).expect("tracker"),
                paper,
            }
        })
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "encrypt {} papers with their proofs: {:.0} ms ({:.0} µs per paper)",
        papers.len(),
        seconds * 1000.0,
        seconds * 1e6 / papers.len() as f64
    );

    let sample = papers.len().min(500);
    let started = Instant::now();
    for p in &papers[..sample] {
        verify_paper(
            &election.key,
            &election.fingerprint,
            &p.practice,
            options.len(),
            &p.paper,
        )
        .expect("verifies");
    }
    println!(
        "proof check of one paper alone: {:.0} µs",
        started.elapsed().as_secs_f64() * 1e6 / sample as f64
    );
    let list: Vec<(&str, &quorate::crypto::paper::EncryptedPaper)> =
        papers.iter().map(|p| (p.practice.as_str(), &p.paper)).collect();
    let started = Instant::now();
    verify_papers_batch(
        &election.key,
        &election.fingerprint,
        options.len(),
        &list,
        &mut OsRandom,
    )
    .expect("batch");
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "proof check of all {} papers in one batch: {:.0} ms ({:.0} µs per paper)",
        papers.len(),
        seconds * 1000.0,
        seconds * 1e6 / papers.len() as f64
    );

    let weights: BTreeMap<&str, (u64, &str)> = electorate
        .iter()
        .map(|(c, w, g)| (c.as_str(), (*w, g.as_str())))
        .collect();
    let started = Instant::now();
    let tally_papers: Vec<TallyPaper<'_>> = papers
        .iter()
        .map(|p| {
            let (weight, group) = weights[p.practice.as_str()];
            TallyPaper {
                paper: &p.paper,
                weight,
                group: Some(group),
            }
        })
        .collect();
    let aggregates = aggregate(options.len(), &tally_papers).expect("aggregates");
    println!(
        "aggregates ({} encrypted totals: per option weighted and counted, overall and per constituency): {:.0} ms",
        aggregates.ciphertexts().len(),
        ms(started)
    );

    let secret = |i: usize| {
        let mine: Vec<_> = shares
            .iter()
            .filter(|s| s.recipient == privates[i].index())
            .cloned()
            .collect();
        receive_shares(&privates[i], &publics, &mine).expect("share")
    };
    let mut partials = Vec::new();
    for i in [0, 2] {
        let share = secret(i);
        let started = Instant::now();
        let partial = partial_decrypt(&share, &aggregates, &election.fingerprint, &mut OsRandom);
        println!(
            "trustee {}'s partial decryption of the aggregates, with proofs: {:.0} ms",
            i + 1,
            ms(started)
        );
        let started = Instant::now();
        verify_partial(&partial, &aggregates, &publics, &election.fingerprint).expect("verifies");
        println!("checking it (as the server does on upload): {:.0} ms", ms(started));
        partials.push(partial);
    }
    let started = Instant::now();
    let totals = combine(
        &aggregates,
        &partials,
        &publics,
        t,
        &election.fingerprint,
        &aggregates.bounds(),
    )
    .expect("combine");
    let (overall, per_group) = tallies_from_totals(&options, &aggregates, &totals).expect("tallies");
    let electors: Vec<Elector> = electorate
        .iter()
        .map(|(_, w, g)| Elector {
            weight: *w,
            constituency: Some(g.clone()),
        })
        .collect();
    let settings = quorate::registry::constitution::ConstitutionSettings::default();
    let mut ballot_rules = BallotRules::defaults(&settings, BallotKind::General, None);
    ballot_rules.weighting = "list_size".into();
    ballot_rules.dual_majority = true;
    let result = rules::result_from_tallies(
        &options,
        &electors,
        overall,
        per_group,
        ballot_rules.quorum(),
        ballot_rules.decision(BallotKind::General),
    );
    println!(
        "combine, check both decryptions again, discrete logs and count: {:.0} ms",
        ms(started)
    );
    let expected: u64 = electorate
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 0)
        .map(|(_, (_, w, _))| w)
        .sum();
    assert_eq!(
        result.overall.tally.votes("for").weight,
        expected,
        "the decrypted total is what was cast"
    );

    let started = Instant::now();
    let mut board_electorate: Vec<BoardElector> = electorate
        .iter()
        .map(|(c, w, g)| BoardElector {
            practice: c.clone(),
            weight: *w,
            constituency: Some(g.clone()),
        })
        .collect();
    board_electorate.sort_by(|a, b| a.practice.cmp(&b.practice));
    let mut board_papers = papers;
    board_papers.sort_by(|a, b| a.practice.cmp(&b.practice));
    let board = VerifiableBoard {
        format: VERIFIABLE_BOARD_FORMAT.into(),
        organisation: "NAT".into(),
        ballot: 1,
        election: record.clone(),
        electorate: board_electorate,
        papers: board_papers,
        spoiled: Vec::new(),
        aggregates: Some(aggregates.clone()),
        decryptions: partials.clone(),
        totals: Some(totals.clone()),
    };
    let board_json = serde_json::to_string(&board).expect("board json");
    let digest = board.digest();
    let root = board.merkle_root();
    println!(
        "board (assemble, digest, Merkle root, JSON of {:.1} MB): {:.0} ms",
        board_json.len() as f64 / 1e6,
        ms(started)
    );

    let started = Instant::now();
    let (checks, checked) = check_board(&board);
    assert!(checked.is_some(), "{checks:#?}");
    println!("every check of the board in this process: {:.0} ms", ms(started));

    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let verifying = key.verifying_key();
    let turnout = result.overall.tally.turnout();
    let certificate = Certificate {
        format: CERTIFICATE_FORMAT.into(),
        id: "bench".into(),
        organisation: Named {
            code: "NAT".into(),
            name: "National bench".into(),
        },
        ballot: BallotEntry {
            id: 1,
            kind: BallotKind::General,
            title: "National bench".into(),
            question: "Which?".into(),
            options: options
                .iter()
                .map(|k| OptionEntry {
                    key: k.clone(),
                    label: k.clone(),
                })
                .collect(),
        },
        rules: ballot_rules,
        electorate: ElectorateEntry {
            practices: electorate.len() as u64,
            weight: total_weight,
            digest: board.electorate_digest(),
        },
        timeline: Timeline {
            published_at: String::new(),
            opens_at: String::new(),
            opened_at: String::new(),
            closes_at: String::new(),
            original_closes_at: None,
            extension_reason: None,
            closed_at: String::new(),
            counted_at: String::new(),
            notices: Notices {
                written: 0,
                delivered_by_opening: 0,
                sent: 0,
                failed: 0,
                pending: 0,
                practices_without_representative: 0,
            },
            reminders: Vec::new(),
            suspensions: Vec::new(),
            rerun_of: None,
        },
        votes: Votes {
            entitled: electorate.len() as u64,
            cast: turnout.practices,
            weight_cast: turnout.weight,
            turnout: "100%".into(),
            rejected_at_count: 0,
            by_proxy: None,
        },
        outcome_in_words: String::new(),
        quorum_met: result.overall.quorum_met,
        result,
        board: BoardEntry {
            papers: board.papers.len() as u64,
            merkle_root: root,
        },
        audit_head: String::new(),
        returning_officer: Officer {
            name: "Bench".into(),
            statement: String::new(),
        },
        statements: Vec::new(),
        issued_at: String::new(),
        public_key: hex::encode(verifying.to_bytes()),
        key_fingerprint: fingerprint(&verifying),
        election: Some(ElectionEntry {
            fingerprint: record.fingerprint.clone(),
            public_key: record.public_key.to_hex(),
            threshold: t,
            trustees: publics
                .iter()
                .map(|p| TrusteeEntry {
                    index: p.index,
                    name: format!("Trustee {}", p.index),
                    verification_key: verification_key(p.index, &publics).to_hex(),
                })
                .collect(),
            board_digest: digest,
            aggregates,
            decryptions: partials,
            spoiled: 0,
        }),
    };
    let signed = sign(certificate, &key).expect("sign");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("certificate.json"),
        serde_json::to_string(&signed).expect("json"),
    )
    .expect("write");
    std::fs::write(dir.path().join("board.json"), &board_json).expect("write");
    let started = Instant::now();
    let output = std::process::Command::new(BIN)
        .args([
            "verify",
            "certificate.json",
            "--board",
            "board.json",
            "--key",
            &hex::encode(verifying.to_bytes()),
        ])
        .env_clear()
        .current_dir(dir.path())
        .output()
        .expect("quorate verify");
    let seconds = started.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    println!(
        "quorate verify (release binary, separate process: read, every paper, aggregates, decryptions, totals, recount): {:.2} s, {} checks passed",
        seconds,
        text.matches("PASS").count()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let file = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .map(|(_, a)| a.as_str());
    let constituencies = value("--constituencies").unwrap_or(135);
    match value("--practices") {
        Some(n) => run(n, constituencies, file),
        None => {
            run(6_658, constituencies, file);
            run(60_000, constituencies, None);
        }
    }
}
