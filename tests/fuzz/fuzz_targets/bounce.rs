//! `quorate::mail::bounce::model::read`: whatever arrives at the bounce
//! address, from anyone on the internet, through the pipe or the mailbox.
//! It must never panic, and what it reports must be consistent: a tag is
//! always one our return paths could carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::mail::bounce::model::{Severity, read, return_path};

fuzz_target!(|data: &[u8]| {
    let bounce = read(data, Some("bounces@ccg.example.org"), None);
    if let Some(tag) = &bounce.verp_tag {
        let path = return_path("bounces@ccg.example.org", &format!("<{tag}@x>"));
        assert_eq!(path, Some(format!("bounces+{tag}@ccg.example.org")));
    }
    if bounce.severity == Severity::Unknown {
        // Nothing understood is reported as said.
        assert!(bounce.status.is_none());
    }
    if let Some(status) = &bounce.status {
        assert!(status.starts_with(['2', '4', '5']) && status.split('.').count() == 3, "{status}");
    }
});
