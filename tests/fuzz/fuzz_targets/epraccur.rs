//! `quorate::registry::ods::read_epraccur`: the ODS epraccur practice file
//! (classic and 2026 role-code layouts), as uploaded by an administrator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::registry::ods::read_epraccur;

fuzz_target!(|data: &[u8]| {
    for commissioners in [&["08V", "16C"][..], &[][..]] {
        let Ok(extract) = read_epraccur(data, commissioners) else {
            continue;
        };
        // Every row counted is kept, set aside as not a GP practice, or
        // neither; never both.
        assert!(extract.rows.len() + extract.not_gp_practices <= extract.total_rows);
        assert!(extract.total_rows > 0, "an Ok extract has rows");
        let mut codes = std::collections::HashSet::new();
        for row in &extract.rows {
            assert!(
                commissioners.contains(&row.commissioner.as_str()),
                "row of commissioner {:?} kept",
                row.commissioner
            );
            assert!(codes.insert(row.code.as_str().to_owned()), "practice kept twice");
            assert!(row.line >= 1);
        }
        if commissioners.is_empty() {
            assert!(extract.rows.is_empty() && extract.not_gp_practices == 0);
        }
    }
});
