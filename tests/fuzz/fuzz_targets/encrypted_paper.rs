//! An encrypted paper as a voter posts it: the API's vote body
//! (`ballots::api::VoteBody`, `{"paper": …}` or the file `quorate vote`
//! wrote, `ballots::verifiable::model::PaperFile`), then what casting does
//! with it: the tracker, `verify_paper`, and the batch check
//! `ballots::verifiable::casting::verify_all`, against a real election.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::ballots::verifiable::casting::verify_all;
use quorate::ballots::verifiable::model::PaperFile;
use quorate::crypto::paper::{EncryptedPaper, tracker, verify_paper};
use quorate_fuzz::{PRACTICES, fixture};

#[derive(serde::Deserialize)]
struct Body {
    paper: EncryptedPaper,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = serde_json::from_str::<quorate::ballots::api::VoteBody>(text);
    let (practice, paper) = if let Ok(file) = serde_json::from_str::<PaperFile>(text) {
        (file.practice, file.paper)
    } else if let Ok(body) = serde_json::from_str::<Body>(text) {
        (PRACTICES[0].to_owned(), body.paper)
    } else if let Ok(paper) = serde_json::from_str::<EncryptedPaper>(text) {
        (PRACTICES[0].to_owned(), paper)
    } else {
        return;
    };
    let _ = tracker(&paper);
    let f = fixture();
    let e = &f.election;
    let single = verify_paper(&e.key, &e.fingerprint, &practice, e.options.len(), &paper);
    let batch = verify_all(e, &[(practice.as_str(), &paper)]);
    assert_eq!(batch.len(), 1);
    // The batch check and the one-by-one check agree.
    assert_eq!(single.is_ok(), batch[0].is_ok(), "batch and single verification disagree");
    assert!(single.is_err(), "a fuzzed paper verifies under the fixture election");
});
