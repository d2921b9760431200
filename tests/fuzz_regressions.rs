//! Every input the fuzz targets (tests/fuzz) found crashing, hanging or
//! breaking a promise, replayed through the same public functions, so each
//! stays fixed. A new file in tests/fuzz/crashes/ is replayed too.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use quorate::ballots::verifiable::model::ElectionRecord;
use quorate::certify::model::{BoardFile, Signed, canonical, verify};

fn crashes(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/crashes"));
    let mut found: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/fuzz/crashes")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{target}-")))
        })
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no saved input for {target}");
    found
}

fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}

/// A verification that must end quickly, whatever it concludes.
fn quickly<T>(what: &std::path::Path, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = f();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{} took {:?}",
        what.display(),
        started.elapsed()
    );
    result
}

#[test]
fn markdown_links_that_leave_the_site_are_dropped() {
    for (path, bytes) in crashes("markdown") {
        let html = quorate::consult::markdown::to_html(&String::from_utf8_lossy(&bytes));
        for href in html.split("href=\"").skip(1) {
            let address = href.split('"').next().unwrap_or_default();
            let same_site = quorate::site_path::is_same_site_path(address)
                || ["https://", "http://", "mailto:", "#"]
                    .iter()
                    .any(|p| address.starts_with(p));
            assert!(same_site, "{}: {address:?} in {html}", path.display());
        }
    }
}

#[test]
fn forged_certificates_and_boards_fail_their_checks_without_panicking_or_hanging() {
    for (path, bytes) in crashes("certificate") {
        let (certificate, board) = split_nul(&bytes);
        let signed: Signed = serde_json::from_slice(certificate).expect("the saved certificate parses");
        let board = board
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| BoardFile::parse(t).expect("the saved board parses"));
        let checks = quickly(&path, || verify(&signed, board.as_ref(), None));
        assert!(
            checks.iter().any(|c| !c.passed),
            "{}: every check passed",
            path.display()
        );
        // What is signed reads back as the same certificate, or is refused.
        if let Ok(bytes) = canonical(&signed.certificate) {
            let again: quorate::certify::model::Certificate = serde_json::from_str(&bytes).expect("reads back");
            assert!(
                again == signed.certificate,
                "{}: the signed form is another certificate",
                path.display()
            );
        }
    }
    for (path, bytes) in crashes("board") {
        let BoardFile::Verifiable(board) = BoardFile::parse(&String::from_utf8_lossy(&bytes)).expect("parses") else {
            panic!("{}: a verifiable board was saved", path.display());
        };
        let (checks, checked) = quickly(&path, || quorate::certify::verifiable::check_board(&board));
        assert!(
            checked.is_none() && checks.iter().any(|c| !c.passed),
            "{}",
            path.display()
        );
    }
}

#[test]
fn an_election_record_without_trustees_is_refused() {
    for (path, bytes) in crashes("trustee_upload") {
        let record: ElectionRecord = serde_json::from_slice(&bytes).expect("the saved record parses");
        assert!(record.check().is_err(), "{}: the record checked", path.display());
    }
}
