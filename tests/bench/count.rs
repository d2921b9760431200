//! Counting benchmark: 1,000,000 weighted papers across 2 constituencies.
//! `cargo bench --bench count`

use std::time::Instant;

use quorate::ballots::rules::{ABSTAIN, AGAINST, Decision, Elector, FOR, Paper, Quorum, ThresholdBase, result};
use quorate::registry::constitution::{QuorumBasis, Threshold};

fn main() {
    let options: Vec<String> = [FOR, AGAINST, ABSTAIN].iter().map(|s| s.to_string()).collect();
    let constituencies = [Some("North".to_owned()), Some("South".to_owned())];
    let electors: Vec<Elector> = (0..1_000_000u64)
        .map(|i| Elector {
            weight: 1 + i % 7,
            constituency: constituencies[(i % 2) as usize].clone(),
        })
        .collect();
    let papers: Vec<Paper> = (0..1_000_000u64)
        .map(|i| Paper {
            option: [FOR, FOR, AGAINST, ABSTAIN][(i % 4) as usize].to_owned(),
            weight: 1 + i % 7,
            constituency: constituencies[(i % 2) as usize].clone(),
        })
        .collect();
    let decision = Decision::ForAgainst {
        threshold: Threshold::TWO_THIRDS,
        base: ThresholdBase::VotesCast,
        dual_majority: true,
    };
    let quorum = Quorum {
        basis: QuorumBasis::Practices,
        percent: 50,
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let r = result(&options, &electors, &papers, quorum, decision);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.overall.tally.turnout().practices, 1_000_000);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "count 1,000,000 papers (overall and 2 constituencies, dual majority): median {:.0} ms, best {:.0} ms over 5 runs",
        times[2], times[0]
    );
}
