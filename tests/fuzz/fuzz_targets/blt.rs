//! `quorate::ballots::stv::blt::parse` and both counts: a BLT file, as a
//! scrutineer or another program hands it over. A file that parses must
//! count without panicking, under both rules, and keep the counts' own
//! invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::ballots::stv::{Arithmetic, CountRule, Standing, blt, count};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(profile) = blt::parse(text) else { return };
    // Bound the work of one input, not what the parser accepts.
    let weight: u64 = profile.papers().iter().map(|p| p.weight).sum();
    if profile.candidates().len() > 20 || profile.papers().len() > 200 || weight > 1_000_000 {
        return;
    }
    let standing = profile.candidates().len() - profile.withdrawn().len();
    for rule in [CountRule::Scottish, CountRule::Meek] {
        let counted = count(&profile, rule);
        assert_eq!(counted.valid + counted.invalid, weight);
        assert!(counted.elected.len() <= profile.seats().min(standing));
        for candidate in &counted.elected {
            assert_eq!(counted.final_stage().standing[*candidate], Standing::Elected);
        }
        if rule == CountRule::Scottish {
            let total = Arithmetic::new(5).from_whole(counted.valid);
            for stage in &counted.stages {
                let held: i128 = stage.votes.iter().sum();
                assert_eq!(held + stage.non_transferable + stage.residual, total);
            }
        }
    }
    // Our own export reads back to the same count.
    let again = blt::parse(&blt::write(&profile)).expect("the export parses");
    assert_eq!(count(&again, CountRule::Scottish).stages, count(&profile, CountRule::Scottish).stages);
});
