//! STV counting benchmark: `quorate stv count` (the release binary, parse
//! included) on 100,000 papers with 15 candidates and 5 seats under both
//! rules, then each reference election in tests/fixtures/stv.
//! `cargo bench --bench stv`

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use quorate::ballots::stv::{CountRule, blt, count};

const BIN: &str = env!("CARGO_BIN_EXE_quorate");
const PAPERS: usize = 100_000;
const CANDIDATES: usize = 15;
const SEATS: usize = 5;

/// A small deterministic generator, so every run counts the same papers.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Papers that look like an election's: some candidates far more popular,
/// most voters ranking a handful, a few ranking everyone.
fn large_election() -> String {
    let mut random = SplitMix(2007);
    let popularity: Vec<u64> = (0..CANDIDATES as u64)
        .map(|c| 1 + (CANDIDATES as u64 - c) * (CANDIDATES as u64 - c))
        .collect();
    let mut text = format!("{CANDIDATES} {SEATS}\n");
    for _ in 0..PAPERS {
        let length = match random.below(10) {
            0..=5 => 1 + random.below(4) as usize,
            6..=8 => 4 + random.below(6) as usize,
            _ => CANDIDATES,
        };
        let mut left: Vec<usize> = (0..CANDIDATES).collect();
        text.push('1');
        for _ in 0..length {
            let total: u64 = left.iter().map(|c| popularity[*c]).sum();
            let mut pick = random.below(total);
            let index = left
                .iter()
                .position(|c| {
                    if pick < popularity[*c] {
                        true
                    } else {
                        pick -= popularity[*c];
                        false
                    }
                })
                .unwrap_or(0);
            let _ = write!(text, " {}", left.remove(index) + 1);
        }
        text.push_str(" 0\n");
    }
    text.push_str("0\n");
    for c in 1..=CANDIDATES {
        let _ = writeln!(text, "\"Candidate {c}\"");
    }
    text.push_str("\"Benchmark: 100,000 papers, 15 candidates, 5 seats\"\n");
    text
}

fn time_command(file: &Path, rule: CountRule) -> f64 {
    let started = Instant::now();
    let output = Command::new(BIN)
        .args(["stv", "count"])
        .arg(file)
        .args(["--rule", rule.as_str(), "--json"])
        .output()
        .expect("runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    seconds
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("large.blt");
    std::fs::write(&file, large_election()).expect("write");
    let profile = blt::parse(&std::fs::read_to_string(&file).expect("read")).expect("parses");
    for rule in [CountRule::Scottish, CountRule::Meek] {
        let command = median((0..5).map(|_| time_command(&file, rule)).collect());
        let library = median(
            (0..5)
                .map(|_| {
                    let started = Instant::now();
                    let counted = count(&profile, rule);
                    assert_eq!(counted.elected.len(), SEATS);
                    started.elapsed().as_secs_f64()
                })
                .collect(),
        );
        let counted = count(&profile, rule);
        println!(
            "{rule:>8}: 100,000 papers, 15 candidates, 5 seats: `quorate stv count --json` median {:.0} ms (count alone {:.0} ms, {} stages) over 5 runs",
            command * 1000.0,
            library * 1000.0,
            counted.stages.len()
        );
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stv");
    let mut files: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "blt"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_stem().expect("name").to_string_lossy().to_string();
        let rule = if name.starts_with("meek-") {
            CountRule::Meek
        } else {
            CountRule::Scottish
        };
        let profile = blt::parse(&std::fs::read_to_string(&path).expect("read")).expect("parses");
        let papers: u64 = profile.papers().iter().map(|p| p.weight).sum();
        let library = median(
            (0..9)
                .map(|_| {
                    let started = Instant::now();
                    let _ = count(&profile, rule);
                    started.elapsed().as_secs_f64()
                })
                .collect(),
        );
        let command = median((0..5).map(|_| time_command(&path, rule)).collect());
        println!(
            "{name:>18} ({rule}, {papers} papers): count {:.2} ms, `quorate stv count` {:.0} ms",
            library * 1000.0,
            command * 1000.0
        );
    }
}
