//! What a trustee uploads (ballots::verifiable::ceremony::upload, dispatched
//! on "format"): the public part of a key (`KeyUpload`, checked with
//! `crypto::trustees::verify_public`), shares (`SharesUpload`, opened with
//! `receive_shares` as `quorate trustee check` does), a partial decryption
//! (`PartialUpload`, `verify_partial` then `combine`), and the election
//! record (`ElectionRecord::check`, read by `quorate vote` and `quorate
//! verify --election`), against a real ceremony (fixture).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::ballots::verifiable::model::{
    ELECTION_FORMAT, ElectionRecord, KEY_FORMAT, KeyUpload, PARTIAL_FORMAT, PartialUpload, SHARES_FORMAT,
    SharesUpload,
};
use quorate::crypto::tally::{combine, verify_partial};
use quorate::crypto::trustees::{check_ceremony, receive_shares, verify_public};
use quorate_fuzz::{THRESHOLD, TRUSTEES, fixture};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let text = text.trim();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let format = value.get("format").and_then(|f| f.as_str()).unwrap_or_default();
    let f = fixture();
    match format {
        KEY_FORMAT => {
            let Ok(upload) = serde_json::from_str::<KeyUpload>(text) else { return };
            let ok = verify_public(&upload.public, TRUSTEES, THRESHOLD).is_ok();
            let _ = verify_public(&upload.public, upload.trustee, upload.trustee.min(THRESHOLD));
            let mut publics = f.publics.clone();
            if let Some(slot) = publics.iter_mut().find(|p| p.index == upload.public.index) {
                *slot = upload.public.clone();
            }
            let _ = check_ceremony(&publics, THRESHOLD);
            if ok {
                // Only a trustee's own key has valid proofs.
                assert!(f.publics.contains(&upload.public), "a fuzzed key's proofs verify");
            }
        }
        SHARES_FORMAT => {
            let Ok(upload) = serde_json::from_str::<SharesUpload>(text) else { return };
            for me in &f.privates {
                let mine: Vec<_> = upload.shares.iter().filter(|s| s.recipient == me.index()).cloned().collect();
                let _ = receive_shares(me, &f.publics, &mine);
                let _ = receive_shares(me, &f.publics, &upload.shares);
            }
        }
        PARTIAL_FORMAT => {
            let Ok(upload) = serde_json::from_str::<PartialUpload>(text) else { return };
            let fp = &f.election.fingerprint;
            let ok = verify_partial(&upload.partial, &f.aggregates, &f.publics, fp).is_ok();
            if ok {
                assert!(f.partials.contains(&upload.partial), "a fuzzed partial decryption verifies");
            }
            let mut partials = vec![upload.partial.clone()];
            partials.extend(f.partials.iter().filter(|p| p.trustee != upload.partial.trustee).take(1).cloned());
            let _ = combine(&f.aggregates, &partials, &f.publics, THRESHOLD, fp, &f.aggregates.bounds());
            let _ = combine(&f.aggregates, &[upload.partial], &f.publics, THRESHOLD, fp, &f.aggregates.bounds());
        }
        ELECTION_FORMAT => {
            let Ok(record) = serde_json::from_str::<ElectionRecord>(text) else { return };
            if let Ok(election) = record.check() {
                // A record that checks has a ceremony: at least one trustee,
                // a threshold they can meet, and a key that is not the identity.
                assert!(!record.trustees.is_empty(), "an election record with no trustees checks");
                assert!(!election.key.public().is_identity(), "an election record with the identity key checks");
            }
        }
        _ => {}
    }
});
