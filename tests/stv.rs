//! STV counts against real elections: six Glasgow City Council wards of
//! 2007 (Scottish STV) and two Meek test elections, each with the reference
//! count published with it (tests/fixtures/stv, see PROVENANCE.md). The
//! library and the `quorate stv count` command must both give exactly the
//! elected candidates and their final votes, to the last digit, and the
//! Scottish counts must match the reference stage by stage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use quorate::ballots::stv::report::CountReport;
use quorate::ballots::stv::{Count, CountRule, StageAction, blt, count};
use serde_json::Value as Json;

const BIN: &str = env!("CARGO_BIN_EXE_quorate");

fn fixtures() -> Vec<(PathBuf, CountRule)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stv");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "blt"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 8, "six Glasgow wards and two Meek elections");
    files
        .into_iter()
        .map(|path| {
            let meek = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("meek-"));
            (path, if meek { CountRule::Meek } else { CountRule::Scottish })
        })
        .collect()
}

fn sibling(blt: &Path, suffix: &str) -> PathBuf {
    let stem = blt.file_stem().expect("a name").to_string_lossy().to_string();
    blt.with_file_name(format!("{stem}.{suffix}"))
}

struct Expected {
    seats: usize,
    elected: Vec<String>,
    final_votes: BTreeMap<String, String>,
}

fn expected(blt: &Path) -> Expected {
    let json: Json =
        serde_json::from_str(&std::fs::read_to_string(sibling(blt, "expected.json")).expect("expected")).expect("json");
    let elected = sorted_names(&json["elected"]);
    let final_votes = json["elected_final_votes"]
        .as_object()
        .expect("votes")
        .iter()
        .map(|(name, votes)| (name.clone(), votes.as_str().expect("votes").to_string()))
        .collect();
    Expected {
        seats: json["seats"].as_u64().expect("seats") as usize,
        elected,
        final_votes,
    }
}

fn sorted_names(names: &Json) -> Vec<String> {
    let mut names: Vec<String> = names
        .as_array()
        .expect("a list of names")
        .iter()
        .map(|n| n.as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

fn counted(path: &Path, rule: CountRule) -> Count {
    let profile = blt::parse(&std::fs::read_to_string(path).expect("blt")).expect("the reference file parses");
    count(&profile, rule)
}

#[test]
fn every_reference_election_elects_the_same_candidates_with_the_same_votes() {
    for (path, rule) in fixtures() {
        let expected = expected(&path);
        let count = counted(&path, rule);
        let report = CountReport::new(&count);
        assert_eq!(count.seats, expected.seats, "{path:?}");
        let mut elected = report.elected.clone();
        elected.sort();
        assert_eq!(elected, expected.elected, "{path:?} under {rule}");
        let final_votes: BTreeMap<String, String> = report
            .final_votes
            .iter()
            .filter(|v| expected.final_votes.contains_key(&v.candidate))
            .map(|v| (v.candidate.clone(), v.votes.clone()))
            .collect();
        assert_eq!(final_votes, expected.final_votes, "{path:?} under {rule}");
    }
}

/// One stage of the reference transcript: each candidate's votes, the
/// non-transferable votes and what rounding lost.
#[derive(Debug, PartialEq)]
struct ReferenceStage {
    votes: BTreeMap<String, String>,
    non_transferable: String,
    residual: String,
}

/// The blocks after each transfer ("Surplus transferred", "Transfer
/// defeated") in a Droop report.
fn reference_stages(report: &str) -> Vec<ReferenceStage> {
    let mut stages = Vec::new();
    let mut current: Option<ReferenceStage> = None;
    for line in report.lines() {
        if line.starts_with("Action: ") {
            if let Some(stage) = current.take() {
                stages.push(stage);
            }
            if line.starts_with("Action: Surplus transferred") || line.starts_with("Action: Transfer defeated") {
                current = Some(ReferenceStage {
                    votes: BTreeMap::new(),
                    non_transferable: String::new(),
                    residual: String::new(),
                });
            }
            continue;
        }
        let Some(stage) = current.as_mut() else { continue };
        let line = line.trim();
        if let Some(value) = line.strip_prefix("Nontransferable votes: ") {
            stage.non_transferable = value.to_string();
        } else if let Some(value) = line.strip_prefix("Residual: ") {
            stage.residual = value.to_string();
        } else if let Some((_, rest)) = ["Elected:", "Pending:", "Hopeful:", "Defeated:"]
            .iter()
            .find_map(|state| line.strip_prefix(state).map(|rest| (state, rest.trim())))
        {
            let (names, votes) = rest.rsplit_once(" (").expect("name (votes)");
            for name in names.split(", ") {
                stage
                    .votes
                    .insert(name.trim().to_string(), votes.trim_end_matches(')').to_string());
            }
        }
    }
    if let Some(stage) = current {
        stages.push(stage);
    }
    stages
}

#[test]
fn glasgow_counts_match_the_reference_transcript_stage_by_stage() {
    for (path, rule) in fixtures().into_iter().filter(|(_, rule)| *rule == CountRule::Scottish) {
        let reference = reference_stages(&std::fs::read_to_string(sibling(&path, "report.txt")).expect("report"));
        let count = counted(&path, rule);
        let arithmetic = count.arithmetic();
        let ours: Vec<ReferenceStage> = count
            .stages
            .iter()
            .filter(|s| matches!(s.action, StageAction::Surplus { .. } | StageAction::Exclusion { .. }))
            .map(|stage| ReferenceStage {
                votes: count
                    .candidates
                    .iter()
                    .enumerate()
                    .map(|(c, name)| (name.clone(), arithmetic.format(stage.votes[c])))
                    .collect(),
                non_transferable: arithmetic.format(stage.non_transferable),
                residual: arithmetic.format(stage.residual),
            })
            .collect();
        assert!(reference.len() >= 5, "{path:?}: the transcript has its transfers");
        assert_eq!(ours, reference, "{path:?}");
    }
}

#[test]
fn meek_elects_and_defeats_in_the_reference_order() {
    for (path, rule) in fixtures().into_iter().filter(|(_, rule)| *rule == CountRule::Meek) {
        let report = std::fs::read_to_string(sibling(&path, "report.txt")).expect("report");
        let reference: Vec<String> = report
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("Action: ")?;
                if let Some(name) = rest.strip_prefix("Elect: ") {
                    Some(format!("elect {name}"))
                } else if rest.starts_with("Defeat (") {
                    Some(format!("defeat {}", rest.rsplit_once("): ")?.1))
                } else {
                    None
                }
            })
            .collect();
        let count = counted(&path, rule);
        let ours: Vec<String> = count
            .stages
            .iter()
            .filter(|s| matches!(s.action, StageAction::Iteration { .. }))
            .flat_map(|s| {
                s.elected
                    .iter()
                    .map(|c| format!("elect {}", count.candidates[*c]))
                    .chain(s.excluded.iter().map(|c| format!("defeat {}", count.candidates[*c])))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(ours, reference, "{path:?}");
    }
}

#[test]
fn the_command_line_count_gives_the_same_results() {
    for (path, rule) in fixtures() {
        let expected = expected(&path);
        let output = Command::new(BIN)
            .args(["stv", "count"])
            .arg(&path)
            .args(["--rule", rule.as_str(), "--json"])
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{path:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Json = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
        assert_eq!(sorted_names(&json["elected"]), expected.elected, "{path:?}");
        for entry in json["final_votes"].as_array().expect("final votes") {
            let name = entry["candidate"].as_str().expect("name");
            if let Some(votes) = expected.final_votes.get(name) {
                assert_eq!(entry["votes"].as_str(), Some(votes.as_str()), "{path:?}: {name}");
            }
        }
        assert!(json["stages"].as_array().expect("stages").len() > 1);
    }
}

#[test]
fn the_command_line_prints_the_stage_table_and_refuses_bad_files() {
    let path = fixtures().into_iter().next().expect("a file").0;
    let text = Command::new(BIN)
        .args(["stv", "count"])
        .arg(&path)
        .args(["--rule", "scottish"])
        .output()
        .expect("runs");
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(text.contains("Quota: 2076.00000"), "{text}");
    assert!(
        text.contains("Stage 2: Surplus of John Mason (1123.00000) transferred"),
        "{text}"
    );
    assert!(text.contains("Elected:\n  John Mason (2076.00000)"), "{text}");

    let csv = Command::new(BIN)
        .args(["stv", "count"])
        .arg(&path)
        .args(["--rule", "scottish", "--csv"])
        .output()
        .expect("runs");
    let csv = String::from_utf8(csv.stdout).expect("utf-8");
    assert!(csv.starts_with(",Stage 1,Stage 2,"), "{csv}");
    assert!(csv.contains("\nJohn Mason,3199.00000,2076.00000,"), "{csv}");

    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("equal.blt");
    std::fs::write(&bad, "2 1\n3 1=2 0\n0\n\"A\"\n\"B\"\n\"T\"\n").expect("write");
    let refused = Command::new(BIN)
        .args(["stv", "count"])
        .arg(&bad)
        .args(["--rule", "meek"])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("Line 2: \"1=2\" gives equal preferences"), "{stderr}");

    let unknown_rule = Command::new(BIN)
        .args(["stv", "count"])
        .arg(&path)
        .args(["--rule", "borda"])
        .output()
        .expect("runs");
    assert_eq!(unknown_rule.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_rule.stderr).contains("not a count rule"));
}
