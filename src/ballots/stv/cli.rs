//! `quorate stv count FILE.blt --rule scottish|meek [--json | --csv]`:
//! counts a BLT file offline, so a scrutineer can recount an election
//! from its export without the server.

use std::path::Path;

use super::{CountRule, Profile, blt, count, report};
use crate::ballots::verifiable::cli::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
    Csv,
}

pub fn count_command(file: &Path, rule: CountRule, output: Output, tie_order: Option<&str>) -> Result<String, Failure> {
    let text =
        std::fs::read_to_string(file).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    let profile = blt::parse(&text).map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?;
    let profile = match tie_order {
        Some(order) => with_tie_order(profile, order)?,
        None => profile,
    };
    let count = count(&profile, rule);
    Ok(match output {
        Output::Text => report::text(&count),
        Output::Json => serde_json::to_string_pretty(&report::CountReport::new(&count))
            .map_err(|e| Failure::Failed(format!("cannot write the count as JSON: {e}")))?,
        Output::Csv => report::csv(&report::CountReport::new(&count)),
    })
}

/// "3,1,2": the candidates' numbers in the order a draw put them.
fn with_tie_order(profile: Profile, order: &str) -> Result<Profile, Failure> {
    let numbers = order
        .split(',')
        .map(|n| n.trim().parse::<usize>().ok().filter(|n| *n >= 1).map(|n| n - 1))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--tie-order \"{order}\" must be candidate numbers separated by commas"
            ))
        })?;
    Profile::new(
        profile.title().to_string(),
        profile.seats(),
        profile.candidates().to_vec(),
        profile.withdrawn().clone(),
        profile.papers().to_vec(),
        Some(numbers),
    )
    .map_err(|e| Failure::Usage(format!("--tie-order: {e}")))
}
