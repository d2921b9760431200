//! A certificate of result as `/verify` (certify::routes::verify_submitted)
//! and `quorate verify` (cli::verify_certificate) read it: JSON into
//! `certify::model::Signed`, then `certify::model::verify`, the checks that
//! need no database (format, key, fingerprint, Ed25519 signature over the
//! RFC 8785 form, votes cast; with a board: Merkle root, electorate, recount,
//! or for a verifiable ballot every proof), and `signer_check`.
//!
//! Input: the certificate, optionally followed by a NUL byte and a board.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::certify::model::{BoardFile, Certificate, Signed, Trusted, canonical, signer_check, verify};
use quorate_fuzz::split_nul;

fuzz_target!(|data: &[u8]| {
    let (certificate, board) = split_nul(data);
    let Ok(text) = std::str::from_utf8(certificate) else { return };
    // The /verify page first tries the text as an opened paper.
    let _ = serde_json::from_str::<quorate::ballots::verifiable::model::OpenedPaper>(text.trim());
    let Ok(signed) = serde_json::from_str::<Signed>(text.trim()) else { return };
    let board = board
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| BoardFile::parse(t).ok());
    let checks = verify(&signed, board.as_ref(), None);
    assert!(!checks.is_empty());
    let cert = &signed.certificate;
    let _ = verify(&signed, None, Some(&cert.public_key));
    let _ = verify(&signed, None, Some("00"));
    let _ = signer_check(cert, Trusted::Given(&cert.public_key));
    let _ = signer_check(cert, Trusted::Unknown("fuzz"));

    // What is signed is the canonical JSON: it must read back as the same
    // certificate, or a genuine signature could fail to verify (or cover
    // something else than what is shown).
    if let Ok(bytes) = canonical(cert) {
        let again: Certificate = serde_json::from_str(&bytes)
            .unwrap_or_else(|e| panic!("canonical form does not read back: {e}\n{bytes}"));
        assert!(&again == cert, "canonical form reads back as another certificate\n{bytes}");
    }
    let json = serde_json::to_string(&signed).expect("a parsed certificate serialises");
    let again: Signed = serde_json::from_str(&json).expect("serialised certificate reads back");
    assert!(again == signed, "certificate changes on a JSON round trip");
});
