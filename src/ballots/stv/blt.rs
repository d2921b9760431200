//! The BLT ballot format read and written by STV counting programs (the
//! ERS program, OpenSTV, Droop):
//!
//! ```text
//! 4 2            candidates, seats
//! -3             optional: withdrawn candidates, negated
//! 12 1 2 0       weight, preferences by candidate number, 0
//! 7 3 0
//! 0              end of papers
//! "Ann Able"     the candidates' names, in number order
//! …
//! "The title"
//! ```
//!
//! Quorate refuses what a ranked paper may not say: equal preferences
//! (`1=2`), a skipped rank (`-`) and a candidate ranked twice. Weights must
//! be whole numbers (a practice's weight, or a count of identical papers).
//! Lines after the title (a source, a note) are allowed and ignored.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Profile, ProfileError, RankedPaper};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BltError {
    #[error("Line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("The file ends before {0}")]
    Truncated(&'static str),
    #[error("{0}")]
    Profile(#[from] ProfileError),
}

fn at(line: usize, message: impl Into<String>) -> BltError {
    BltError::Line {
        line,
        message: message.into(),
    }
}

/// Reads a BLT file into a checked profile.
pub fn parse(text: &str) -> Result<Profile, BltError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, strip_comment(line).trim()))
        .filter(|(_, line)| !line.is_empty());

    let (line, header) = lines
        .next()
        .ok_or(BltError::Truncated("the number of candidates and seats"))?;
    let numbers: Vec<&str> = header.split_whitespace().collect();
    let [candidates, seats] = numbers[..] else {
        return Err(at(
            line,
            "the first line must be two numbers: how many candidates, and how many seats",
        ));
    };
    let candidates =
        whole(candidates).ok_or_else(|| at(line, format!("\"{candidates}\" is not a number of candidates")))?;
    let seats = whole(seats).ok_or_else(|| at(line, format!("\"{seats}\" is not a number of seats")))?;
    if candidates == 0 || candidates > super::MAX_CANDIDATES as u64 {
        return Err(at(
            line,
            format!("there must be between 1 and {} candidates", super::MAX_CANDIDATES),
        ));
    }
    let candidates = candidates as usize;

    let mut withdrawn = BTreeSet::new();
    let mut papers = Vec::new();
    let mut ended = false;
    let mut first = true;
    for (line, text) in lines.by_ref() {
        if std::mem::take(&mut first) && text.starts_with('-') {
            for token in text.split_whitespace() {
                let number = token
                    .strip_prefix('-')
                    .and_then(whole)
                    .filter(|n| (1..=candidates as u64).contains(n))
                    .ok_or_else(|| at(line, format!("\"{token}\" is not a withdrawn candidate: write minus a candidate's number, from -1 to -{candidates}")))?;
                withdrawn.insert(number as usize - 1);
            }
            continue;
        }
        if text == "0" {
            ended = true;
            break;
        }
        papers.push(paper(line, text, candidates)?);
    }
    if !ended {
        return Err(BltError::Truncated("the 0 that ends the papers"));
    }

    // The names, then the title; whatever follows the title (some files
    // add their source and notes) is not part of the count.
    let mut names = Vec::with_capacity(candidates + 1);
    'lines: for (line, text) in lines {
        let mut remaining = text;
        while !remaining.is_empty() {
            if names.len() > candidates {
                break 'lines;
            }
            let Some(after_quote) = remaining.strip_prefix('"') else {
                return Err(at(line, "names and the title must each be in double quotes"));
            };
            let Some(end) = after_quote.find('"') else {
                return Err(at(line, "a name's closing double quote is missing"));
            };
            // Runs of spaces in a name are typing slips (the Glasgow files have them).
            names.push((
                line,
                after_quote[..end].split_whitespace().collect::<Vec<_>>().join(" "),
            ));
            remaining = after_quote[end + 1..].trim_start();
        }
    }
    if names.len() < candidates {
        return Err(BltError::Truncated("every candidate has a name"));
    }
    let title = names.get(candidates).map(|(_, t)| t.clone()).unwrap_or_default();
    names.truncate(candidates);
    if let Some((line, _)) = names.iter().find(|(_, name)| name.is_empty()) {
        return Err(at(*line, "a candidate's name is empty"));
    }
    let names = names.into_iter().map(|(_, name)| name).collect();
    Ok(Profile::new(title, seats as usize, names, withdrawn, papers, None)?)
}

fn paper(line: usize, text: &str, candidates: usize) -> Result<RankedPaper, BltError> {
    let mut tokens = text.split_whitespace().peekable();
    // Some programs write a paper's identifier first, in brackets.
    if tokens.peek().is_some_and(|t| t.starts_with('(')) {
        for token in tokens.by_ref() {
            if token.ends_with(')') {
                break;
            }
        }
    }
    let weight_text = tokens
        .next()
        .ok_or_else(|| at(line, "a paper line starts with its weight"))?;
    let weight = whole(weight_text).ok_or_else(|| {
        at(
            line,
            format!("the weight \"{weight_text}\" must be a whole number (a count of papers, or a practice's weight)"),
        )
    })?;
    let mut ranking = Vec::new();
    let mut closed = false;
    for token in tokens {
        if closed {
            return Err(at(line, format!("\"{token}\" comes after the 0 that ends the paper")));
        }
        if token == "0" {
            closed = true;
            continue;
        }
        if token.contains('=') {
            return Err(at(
                line,
                format!("\"{token}\" gives equal preferences; each rank must name one candidate"),
            ));
        }
        if token == "-" {
            return Err(at(
                line,
                "a skipped rank (\"-\") is not accepted: number the preferences in order",
            ));
        }
        let number = whole(token)
            .filter(|n| (1..=candidates as u64).contains(n))
            .ok_or_else(|| {
                at(
                    line,
                    format!("\"{token}\" is not a candidate: use numbers from 1 to {candidates}"),
                )
            })?;
        let candidate = number as usize - 1;
        if ranking.contains(&candidate) {
            return Err(at(line, format!("candidate {number} is ranked more than once")));
        }
        ranking.push(candidate);
    }
    if !closed {
        return Err(at(line, "a paper line ends with 0"));
    }
    if weight == 0 {
        return Err(at(line, "a paper's weight must be at least 1"));
    }
    Ok(RankedPaper { weight, ranking })
}

fn whole(token: &str) -> Option<u64> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

fn strip_comment(line: &str) -> &str {
    // A '#' inside a quoted name is part of the name.
    let mut quoted = false;
    for (index, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..index],
            _ => {}
        }
    }
    line
}

/// Writes the profile as BLT. Identical rankings are written once with
/// their weights added, so the file carries no order of casting.
pub fn write(profile: &Profile) -> String {
    let mut text = format!("{} {}\n", profile.candidates().len(), profile.seats());
    if !profile.withdrawn().is_empty() {
        let withdrawn: Vec<String> = profile.withdrawn().iter().map(|c| format!("-{}", c + 1)).collect();
        text.push_str(&withdrawn.join(" "));
        text.push('\n');
    }
    let mut grouped: std::collections::BTreeMap<&[usize], u64> = std::collections::BTreeMap::new();
    for paper in profile.papers() {
        *grouped.entry(&paper.ranking).or_default() += paper.weight;
    }
    for (ranking, weight) in grouped {
        let _ = write!(text, "{weight}");
        for candidate in ranking {
            let _ = write!(text, " {}", candidate + 1);
        }
        text.push_str(" 0\n");
    }
    text.push_str("0\n");
    for name in profile.candidates() {
        let _ = writeln!(text, "\"{}\"", quoted(name));
    }
    let _ = writeln!(text, "\"{}\"", quoted(profile.title()));
    text
}

/// BLT has no escape for a double quote inside a name.
fn quoted(text: &str) -> String {
    text.replace('"', "'").replace(['\n', '\r'], " ")
}
