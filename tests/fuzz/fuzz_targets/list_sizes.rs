//! `quorate::registry::ods::read_list_sizes`: NHS Digital's "Patients
//! Registered at a GP Practice" CSV, as uploaded by an administrator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::registry::ods::read_list_sizes;

fuzz_target!(|data: &[u8]| {
    let Ok(extract) = read_list_sizes(data) else { return };
    assert!(extract.rows.len() <= extract.total_rows);
    let mut codes = std::collections::HashSet::new();
    for row in &extract.rows {
        assert!(row.patients >= 0, "negative list size kept");
        assert!(codes.insert(row.code.as_str().to_owned()), "practice kept twice");
        assert!(row.line >= 2, "data starts on line 2");
    }
});
