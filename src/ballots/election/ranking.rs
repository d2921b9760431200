//! A ranked paper as Quorate stores and publishes it: the candidates'
//! option keys in order of preference, joined by `>` ("c_ada>c_bob"). The
//! same text is the paper's option on the board and in the receipt, so
//! casting, receipts, the board and its Merkle proofs treat a ranked paper
//! as they treat any other. Pure: no I/O.

use std::collections::HashSet;

use super::super::model::BallotOption;
use crate::error::FieldError;

/// Between preferences in a stored ranking.
pub const SEPARATOR: char = '>';
/// The most candidates one paper lists.
pub const MAX_CANDIDATES: usize = 30;

/// The stored form of a ranking given as option keys.
pub fn encode<S: AsRef<str>>(keys: &[S]) -> String {
    keys.iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(&SEPARATOR.to_string())
}

/// The candidates' positions in `keys`, in order of preference, or what is
/// wrong with the ranking in words a voter or API client can act on.
pub fn decode(text: &str, keys: &[String]) -> Result<Vec<usize>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Number at least one candidate: 1 for your first choice".to_owned());
    }
    let mut seen = HashSet::new();
    let mut ranking = Vec::new();
    for part in text.split(SEPARATOR).map(str::trim) {
        let Some(position) = keys.iter().position(|k| k == part) else {
            return Err(if part.is_empty() {
                "A ranking lists candidates' keys separated by >, with none left empty".to_owned()
            } else {
                format!(
                    "\"{part}\" is not a candidate in this election; the candidates are {}",
                    keys.join(", ")
                )
            });
        };
        if !seen.insert(position) {
            return Err(format!(
                "\"{part}\" is ranked more than once; each candidate may be ranked once"
            ));
        }
        ranking.push(position);
    }
    Ok(ranking)
}

/// "1. Ada Lovelace; 2. Bob Smith": a ranking as the voter checks it.
pub fn in_words(ranking: &[usize], options: &[BallotOption]) -> String {
    ranking
        .iter()
        .enumerate()
        .map(|(place, &c)| {
            let name = options.get(c).map_or("?", |o| o.label.as_str());
            format!("{}. {name}", place + 1)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The order of the candidates on the paper: "alphabetical" by surname (the
/// last word of the name, then the whole name), "random" (a draw made once,
/// at publication, and kept as the options' order) or "as_entered". Returns
/// the positions of `names` in paper order.
pub fn paper_order(names: &[String], order: &str) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..names.len()).collect();
    match order {
        "alphabetical" => {
            let key = |c: &usize| {
                let name = names[*c].to_lowercase();
                let surname = name.split_whitespace().last().unwrap_or_default().to_owned();
                (surname, name)
            };
            positions.sort_by_key(key);
        }
        "random" => crate::ballots::store::shuffle(&mut positions),
        _ => {}
    }
    positions
}

pub const PAPER_ORDERS: [&str; 3] = ["alphabetical", "random", "as_entered"];

/// The candidates of an election's draft: between 2 and
/// [`MAX_CANDIDATES`], each with a name of its own (the count and the BLT
/// file know candidates by name).
pub fn check_candidates(options: &[BallotOption]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if options.len() < 2 || options.len() > MAX_CANDIDATES {
        errors.push(FieldError::new(
            "options",
            format!("Give between 2 and {MAX_CANDIDATES} candidates, one per line"),
        ));
    }
    let mut names = HashSet::new();
    for option in options {
        let name = option.label.trim();
        if name.chars().count() > 100 {
            errors.push(FieldError::new(
                "options",
                format!("The candidate's name \"{name}\" must be 100 characters or less"),
            ));
        }
        if name.contains('"') {
            errors.push(FieldError::new(
                "options",
                format!("The candidate's name {name} must not contain a double quote (\")"),
            ));
        }
        if !name.is_empty() && !names.insert(name.to_lowercase()) {
            errors.push(FieldError::new(
                "options",
                format!(
                    "Two candidates are both called \"{name}\": add a middle initial or a practice to tell them apart"
                ),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        ["ada", "bob", "cy"].iter().map(|s| s.to_string()).collect()
    }

    fn candidate(key: &str, label: &str) -> BallotOption {
        BallotOption {
            key: key.into(),
            label: label.into(),
            description: String::new(),
        }
    }

    #[test]
    fn a_ranking_round_trips() {
        assert_eq!(encode(&["cy", "ada"]), "cy>ada");
        assert_eq!(decode("cy>ada", &keys()), Ok(vec![2, 0]));
        assert_eq!(decode(" bob ", &keys()), Ok(vec![1]));
    }

    #[test]
    fn bad_rankings_say_what_is_wrong() {
        assert!(decode("", &keys()).expect_err("refused").contains("at least one"));
        assert!(
            decode("ada>ada", &keys())
                .expect_err("refused")
                .contains("ranked more than once")
        );
        assert!(
            decode("ada>zed", &keys())
                .expect_err("refused")
                .contains("\"zed\" is not a candidate")
        );
        assert!(
            decode("ada>>bob", &keys())
                .expect_err("refused")
                .contains("none left empty")
        );
    }

    #[test]
    fn a_ranking_in_words() {
        let options = vec![candidate("ada", "Ada L"), candidate("bob", "Bob S")];
        assert_eq!(in_words(&[1, 0], &options), "1. Bob S; 2. Ada L");
    }

    #[test]
    fn candidates_are_ordered_by_surname_or_by_a_draw() {
        let names: Vec<String> = ["Dr Zoe Adams", "Prof Amy Zane", "Dr Bob Adams"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(paper_order(&names, "alphabetical"), vec![2, 0, 1]);
        assert_eq!(paper_order(&names, "as_entered"), vec![0, 1, 2]);
        let mut drawn = paper_order(&names, "random");
        drawn.sort_unstable();
        assert_eq!(drawn, vec![0, 1, 2]);
    }

    #[test]
    fn candidates_need_names_of_their_own() {
        let same = vec![candidate("a", "Dr Jones"), candidate("b", "dr jones")];
        let errors = check_candidates(&same);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("both called"));
        assert_eq!(check_candidates(&same[..1]).len(), 1, "one candidate is too few");
        let quoted = vec![candidate("a", "Ann \"Nan\" Lee"), candidate("b", "B")];
        assert!(check_candidates(&quoted)[0].message.contains("double quote"));
    }
}
