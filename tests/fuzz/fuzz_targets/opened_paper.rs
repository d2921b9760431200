//! `quorate::ballots::verifiable::model::OpenedPaper`: a paper opened for a
//! cast-as-intended check, pasted into `/verify` or given to `quorate
//! verify`, then `ballots::verifiable::cli::check_opened` against the
//! election record inside the file (as the CLI does without --election) and
//! against a real election (fixture).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::ballots::verifiable::cli::check_opened;
use quorate::ballots::verifiable::model::OpenedPaper;
use quorate::crypto::paper::{check_opening, tracker};
use quorate_fuzz::fixture;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(opened) = serde_json::from_str::<OpenedPaper>(text.trim()) else { return };
    let _ = tracker(&opened.paper);
    if let Some(record) = &opened.election {
        let _ = record.check();
        let _ = check_opened(&opened, record);
    }
    let f = fixture();
    let result = check_opened(&opened, &f.record);
    let _ = check_opening(&f.election.key, &opened.paper, &opened.opening);
    // A fuzzed paper cannot be a valid encryption under the fixture's key.
    assert!(result.is_err(), "a fuzzed opened paper checks against the fixture election");
});
