//! Results in plain words: "Carried: 71.4% of votes cast for, threshold at
//! least two thirds; quorum met: 86% of practices voted".

use super::model::percent;
use super::rules::{ABSTAIN, AGAINST, BallotResult, Count, Decision, FOR, Outcome, ThresholdBase};
use super::service::Loaded;
use crate::registry::constitution::QuorumBasis;

fn quorum_phrase(loaded: &Loaded, count: &Count) -> String {
    let quorum = loaded.rules.quorum();
    let turnout = count.tally.turnout();
    let (share, what) = match quorum.basis {
        QuorumBasis::None => return "no quorum was required".to_owned(),
        QuorumBasis::Practices => (
            percent(turnout.practices, count.electorate.practices),
            "of practices voted",
        ),
        QuorumBasis::Weight => (
            percent(turnout.weight, count.electorate.weight),
            "of the weighted vote was cast",
        ),
    };
    format!(
        "quorum {}: {share} {what} ({}% needed)",
        if count.quorum_met { "met" } else { "not met" },
        quorum.percent
    )
}

fn for_share(loaded: &Loaded, count: &Count) -> String {
    let Decision::ForAgainst {
        threshold,
        base,
        dual_majority,
    } = loaded.rules.decision(loaded.kind)
    else {
        return String::new();
    };
    let (yes, no) = (count.tally.votes(FOR), count.tally.votes(AGAINST));
    let (whole_weight, whole_practices, of) = match base {
        ThresholdBase::VotesCast => (yes.weight + no.weight, yes.practices + no.practices, "of votes cast"),
        ThresholdBase::Electorate => (count.electorate.weight, count.electorate.practices, "of the electorate"),
    };
    let weighted = loaded.rules.weighting != "per_practice";
    let share = if dual_majority {
        format!(
            "{} of practices and {} by weight {of} for",
            percent(yes.practices, whole_practices),
            percent(yes.weight, whole_weight)
        )
    } else if weighted {
        format!("{} by weight {of} for", percent(yes.weight, whole_weight))
    } else {
        format!("{} {of} for", percent(yes.weight, whole_weight))
    };
    let abstained = count.tally.votes(ABSTAIN).practices;
    let abstentions = if abstained > 0 {
        format!(", {abstained} abstained")
    } else {
        String::new()
    };
    format!(
        "{share}{abstentions}, threshold {}{}",
        threshold.label().to_lowercase(),
        if dual_majority { " of both" } else { "" }
    )
}

fn option_share(loaded: &Loaded, count: &Count, key: &str) -> String {
    let votes = count.tally.votes(key);
    format!(
        "{} with {} of the votes cast",
        loaded.option_label(key),
        percent(votes.weight, count.tally.cast().weight)
    )
}

/// One count (overall or a constituency) in words.
pub fn count_sentence(loaded: &Loaded, count: &Count) -> String {
    let quorum = quorum_phrase(loaded, count);
    match &count.outcome {
        Outcome::QuorumNotMet => format!("Not decided: {quorum}"),
        Outcome::Carried => format!("Carried: {}; {quorum}", for_share(loaded, count)),
        Outcome::NotCarried => format!("Not carried: {}; {quorum}", for_share(loaded, count)),
        Outcome::Won { option } => format!("{}; {quorum}", option_share(loaded, count, option)),
        Outcome::Tie { options } => {
            let names: Vec<String> = options.iter().map(|o| loaded.option_label(o)).collect();
            format!(
                "Tie: {} have exactly the same votes, so no option is chosen: what happens next is for the board under the constitution, usually a further ballot between them; {quorum}",
                names.join(" and ")
            )
        }
        Outcome::ElectedUnopposed { candidates } if candidates.is_empty() => {
            let seats = loaded.rules.seats.unwrap_or(0);
            format!("No vote held: nobody was validly nominated, so all {seats} seats are left unfilled")
        }
        Outcome::ElectedUnopposed { candidates } => {
            let names: Vec<String> = candidates.iter().map(|c| loaded.option_label(c)).collect();
            let seats = loaded.rules.seats.unwrap_or(0) as usize;
            let unfilled = seats.saturating_sub(names.len());
            format!(
                "Elected unopposed: {}; no vote was held, as there were no more validly nominated candidates than seats{}",
                names.join(", "),
                if unfilled > 0 {
                    format!(" ({unfilled} of {seats} seats left unfilled)")
                } else {
                    String::new()
                }
            )
        }
        Outcome::Elected { candidates } if candidates.is_empty() => {
            format!("Nobody elected: no paper that carries a vote was cast; {quorum}")
        }
        Outcome::Elected { candidates } => {
            let names: Vec<String> = candidates.iter().map(|c| loaded.option_label(c)).collect();
            let seats = loaded.rules.seats.unwrap_or(0) as usize;
            let unfilled = seats.saturating_sub(names.len());
            let rule = loaded.rules.count_rule().map_or("", |r| r.as_str());
            let rule = if rule == "meek" { "Meek STV" } else { "Scottish STV" };
            let papers = count.tally.turnout().practices;
            format!(
                "Elected: {}{}, by {rule} from {papers} {}; {quorum}",
                names.join(", "),
                if unfilled > 0 {
                    format!(" ({unfilled} of {seats} seats left unfilled)")
                } else {
                    String::new()
                },
                if papers == 1 { "paper" } else { "papers" },
            )
        }
        Outcome::NoMajority => {
            let leader = count
                .tally
                .options
                .iter()
                .max_by_key(|(_, v)| v.weight)
                .map(|(k, _)| option_share(loaded, count, k))
                .unwrap_or_default();
            format!(
                "No option reached a majority (the most was {leader}), so none is chosen: what happens next is for the board under the constitution, usually a further ballot between the leading options; {quorum}"
            )
        }
    }
}

/// The ballot's outcome in words, with constituencies when used.
pub fn outcome_sentence(loaded: &Loaded, result: &BallotResult) -> String {
    let overall = count_sentence(loaded, &result.overall);
    if result.outcome == result.overall.outcome {
        if matches!(result.outcome, Outcome::Won { .. }) {
            return format!("Chosen: {overall}");
        }
        return overall;
    }
    let failed: Vec<&str> = result
        .constituencies
        .iter()
        .filter(|(_, c)| c.outcome != Outcome::Carried)
        .map(|(name, _)| name.as_str())
        .collect();
    format!(
        "Not carried: it carried overall ({}) but not in {}, and must carry in every constituency",
        overall.trim_start_matches("Carried: "),
        failed.join(", ")
    )
}
