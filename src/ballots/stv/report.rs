//! A count written out: the stage table as text (for the terminal), CSV
//! (one column per stage, as returning officers publish it) and JSON (for
//! programs, the certificate and `quorate verify`).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::format::SafeCsv;

use super::{Count, StageAction, Standing, Tie, TiePurpose};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountReport {
    pub title: String,
    pub rule: String,
    pub rule_description: String,
    pub seats: usize,
    pub candidates: Vec<String>,
    pub valid_papers: u64,
    pub invalid_papers: u64,
    pub quota: String,
    pub elected: Vec<String>,
    pub final_votes: Vec<CandidateVotes>,
    pub tie_order: Vec<String>,
    pub stages: Vec<StageReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateVotes {
    pub candidate: String,
    pub votes: String,
    pub standing: Standing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageReport {
    pub stage: usize,
    pub action: String,
    pub votes: Vec<CandidateVotes>,
    pub non_transferable: String,
    pub residual: String,
    pub quota: String,
    pub elected: Vec<String>,
    pub excluded: Vec<String>,
    pub tie: Option<String>,
}

impl CountReport {
    pub fn new(count: &Count) -> Self {
        let arithmetic = count.arithmetic();
        let name = |c: &usize| count.candidates[*c].clone();
        let votes_at = |stage: &super::Stage| {
            stage
                .votes
                .iter()
                .enumerate()
                .map(|(c, v)| CandidateVotes {
                    candidate: count.candidates[c].clone(),
                    votes: arithmetic.format(*v),
                    standing: stage.standing[c],
                })
                .collect()
        };
        CountReport {
            title: count.title.clone(),
            rule: count.rule.as_str().to_owned(),
            rule_description: count.rule.description().to_owned(),
            seats: count.seats,
            candidates: count.candidates.clone(),
            valid_papers: count.valid,
            invalid_papers: count.invalid,
            quota: arithmetic.format(count.quota()),
            elected: count.elected.iter().map(name).collect(),
            final_votes: votes_at(count.final_stage()),
            tie_order: count.tie_order.iter().map(name).collect(),
            stages: count
                .stages
                .iter()
                .map(|stage| StageReport {
                    stage: stage.number,
                    action: action_words(count, &stage.action),
                    votes: votes_at(stage),
                    non_transferable: arithmetic.format(stage.non_transferable),
                    residual: arithmetic.format(stage.residual),
                    quota: arithmetic.format(stage.quota),
                    elected: stage.elected.iter().map(name).collect(),
                    excluded: stage.excluded.iter().map(name).collect(),
                    tie: stage.tie.as_ref().map(|tie| tie_words(count, tie)),
                })
                .collect(),
        }
    }
}

impl CountReport {
    /// The report without its words (rule description, stage actions, tie
    /// sentences; whether a stage had a tie stays): what a recount must
    /// reproduce, so a change of wording does not fail an earlier certificate.
    pub fn figures(&self) -> CountReport {
        let mut bare = self.clone();
        bare.rule_description.clear();
        for stage in &mut bare.stages {
            stage.action.clear();
            if let Some(tie) = stage.tie.as_mut() {
                tie.clear();
            }
        }
        bare
    }
}

pub fn action_words(count: &Count, action: &StageAction) -> String {
    let arithmetic = count.arithmetic();
    match action {
        StageAction::FirstPreferences => "First preferences".to_string(),
        StageAction::Surplus { candidate, surplus } => format!(
            "Surplus of {} ({}) transferred",
            count.candidates[*candidate],
            arithmetic.format(*surplus)
        ),
        StageAction::Exclusion { candidate } => {
            format!("{} excluded, papers transferred", count.candidates[*candidate])
        }
        StageAction::Iteration { iterations } => {
            format!(
                "Keep factors iterated ({iterations} {})",
                if *iterations == 1 { "time" } else { "times" }
            )
        }
        StageAction::ElectRemaining => "Remaining candidates fill the remaining seats".to_string(),
    }
}

pub fn tie_words(count: &Count, tie: &Tie) -> String {
    let names: Vec<&str> = tie.between.iter().map(|c| count.candidates[*c].as_str()).collect();
    let purpose = match tie.purpose {
        TiePurpose::TransferFirst => "whose surplus to transfer first",
        TiePurpose::Exclude => "whom to exclude",
    };
    let how = match tie.by_stage {
        Some(stage) => format!("decided by the totals at stage {stage}"),
        None => "decided by lot (the recorded tie order)".to_string(),
    };
    format!(
        "Tie between {} on {purpose}: {how}, {} chosen",
        names.join(", "),
        count.candidates[tie.chosen]
    )
}

fn standing_word(standing: Standing) -> &'static str {
    match standing {
        Standing::Hopeful => "",
        Standing::Elected => "elected",
        Standing::Excluded => "excluded",
        Standing::Withdrawn => "withdrawn",
    }
}

/// The count for a terminal: the totals stage by stage, then the result.
pub fn text(count: &Count) -> String {
    let arithmetic = count.arithmetic();
    let width = count
        .candidates
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    let mut out = String::new();
    let _ = writeln!(out, "Election: {}", count.title);
    let _ = writeln!(out, "Rule: {}", count.rule.description());
    let _ = writeln!(out, "Seats: {}", count.seats);
    let _ = writeln!(out, "Valid papers: {}", count.valid);
    if count.invalid > 0 {
        let _ = writeln!(
            out,
            "Papers with no preference for a standing candidate: {}",
            count.invalid
        );
    }
    let _ = writeln!(out, "Quota: {}", arithmetic.format(count.quota()));
    let mut previous: Option<&super::Stage> = None;
    for stage in &count.stages {
        let _ = writeln!(out, "\nStage {}: {}", stage.number, action_words(count, &stage.action));
        if let Some(tie) = &stage.tie {
            let _ = writeln!(out, "  {}", tie_words(count, tie));
        }
        for (candidate, name) in count.candidates.iter().enumerate() {
            let votes = stage.votes[candidate];
            let change = previous.map(|p| votes - p.votes[candidate]).unwrap_or(0);
            let change = if change == 0 {
                String::new()
            } else {
                format!("({}{})", if change > 0 { "+" } else { "" }, arithmetic.format(change))
            };
            let _ = writeln!(
                out,
                "  {name:<width$}  {:>18}  {change:<20} {}",
                arithmetic.format(votes),
                standing_word(stage.standing[candidate])
            );
        }
        let _ = writeln!(
            out,
            "  {:<width$}  {:>18}",
            "Non-transferable",
            arithmetic.format(stage.non_transferable)
        );
        if stage.residual != 0 {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>18}",
                "Lost to rounding",
                arithmetic.format(stage.residual)
            );
        }
        previous = Some(stage);
    }
    let _ = writeln!(out, "\nElected:");
    for candidate in &count.elected {
        let _ = writeln!(
            out,
            "  {} ({})",
            count.candidates[*candidate],
            arithmetic.format(count.final_votes(*candidate))
        );
    }
    out
}

/// The stage table as CSV: a column per stage, a row per candidate. From
/// the report, so a stored result writes the same table as a fresh count.
pub fn csv(report: &CountReport) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["".to_string()];
    let mut actions = vec!["Action".to_string()];
    for stage in &report.stages {
        header.push(format!("Stage {}", stage.stage));
        actions.push(stage.action.clone());
    }
    rows.push(header);
    rows.push(actions);
    for (candidate, name) in report.candidates.iter().enumerate() {
        let mut row = vec![name.clone()];
        row.extend(
            report
                .stages
                .iter()
                .map(|s| s.votes.get(candidate).map(|v| v.votes.clone()).unwrap_or_default()),
        );
        rows.push(row);
    }
    let mut add = |label: &str, cell: &dyn Fn(&StageReport) -> String| {
        let mut row = vec![label.to_string()];
        row.extend(report.stages.iter().map(cell));
        rows.push(row);
    };
    add("Non-transferable", &|s| s.non_transferable.clone());
    add("Lost to rounding", &|s| s.residual.clone());
    add("Quota", &|s| s.quota.clone());
    add("Elected", &|s| s.elected.join("; "));
    add("Excluded", &|s| s.excluded.join("; "));
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_safe(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
