//! A ranked paper as a voter fills it in without JavaScript: a number box
//! beside each candidate. Turned into an ordered list here, once, with an
//! error for each box that says what to change.

use super::Candidate;

/// What is wrong with one box (or, for `candidate: None`, the whole paper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingError {
    pub candidate: Option<Candidate>,
    pub message: String,
}

/// The boxes in the paper's order: the candidate and what was typed.
/// Blank boxes are candidates not ranked. Numbers must start at 1 and go
/// up without gaps or repeats.
pub fn ranking_from_boxes(boxes: &[(Candidate, &str)], names: &[String]) -> Result<Vec<Candidate>, Vec<RankingError>> {
    let name = |c: Candidate| names.get(c).map(String::as_str).unwrap_or("this candidate");
    let mut errors = Vec::new();
    let mut numbered: Vec<(u32, Candidate)> = Vec::new();
    for &(candidate, typed) in boxes {
        let typed = typed.trim();
        if typed.is_empty() {
            continue;
        }
        match typed.parse::<u32>() {
            Ok(number) if (1..=boxes.len() as u32).contains(&number) => numbered.push((number, candidate)),
            _ => errors.push(RankingError {
                candidate: Some(candidate),
                message: format!(
                    "The number for {} must be a whole number from 1 to {}, or left blank",
                    name(candidate),
                    boxes.len()
                ),
            }),
        }
    }
    numbered.sort_unstable();
    for pair in numbered.windows(2) {
        if pair[0].0 == pair[1].0 {
            errors.push(RankingError {
                candidate: Some(pair[1].1),
                message: format!(
                    "You gave {} to both {} and {}: use each number once",
                    pair[0].0,
                    name(pair[0].1),
                    name(pair[1].1)
                ),
            });
        }
    }
    if errors.is_empty() {
        if numbered.is_empty() {
            errors.push(RankingError {
                candidate: None,
                message: "Number at least one candidate: 1 for your first choice".to_string(),
            });
        } else if let Some(missing) = (1..=numbered.len() as u32).find(|n| numbered[*n as usize - 1].0 != *n) {
            let (gap_after, candidate) = numbered[missing as usize - 1];
            errors.push(RankingError {
                candidate: Some(candidate),
                message: format!(
                    "There is no {missing}: number your choices 1, 2, 3 and so on without gaps ({} has {gap_after})",
                    name(candidate)
                ),
            });
        }
    }
    if errors.is_empty() {
        Ok(numbered.into_iter().map(|(_, candidate)| candidate).collect())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["Ann Able", "Ben Best", "Cat Cole", "Dan Dee"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn rank(typed: [&str; 4]) -> Result<Vec<Candidate>, Vec<RankingError>> {
        let boxes: Vec<(Candidate, &str)> = typed.iter().enumerate().map(|(c, t)| (c, *t)).collect();
        ranking_from_boxes(&boxes, &names())
    }

    #[test]
    fn numbers_become_an_ordered_list() {
        assert_eq!(rank(["2", "", "1", " 3 "]), Ok(vec![2, 0, 3]));
        assert_eq!(rank(["", "1", "", ""]), Ok(vec![1]));
    }

    #[test]
    fn a_repeated_number_names_both_candidates() {
        let errors = rank(["1", "2", "2", ""]).expect_err("repeated");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].candidate, Some(2));
        assert_eq!(
            errors[0].message,
            "You gave 2 to both Ben Best and Cat Cole: use each number once"
        );
    }

    #[test]
    fn a_skipped_number_says_which() {
        let errors = rank(["1", "3", "", ""]).expect_err("gap");
        assert_eq!(
            errors[0].message,
            "There is no 2: number your choices 1, 2, 3 and so on without gaps (Ben Best has 3)"
        );
        let errors = rank(["2", "", "", ""]).expect_err("no first choice");
        assert!(errors[0].message.starts_with("There is no 1"), "{errors:?}");
    }

    #[test]
    fn words_zero_and_large_numbers_are_refused_per_box() {
        let errors = rank(["first", "0", "5", "1"]).expect_err("bad boxes");
        let candidates: Vec<_> = errors.iter().map(|e| e.candidate).collect();
        assert_eq!(candidates, [Some(0), Some(1), Some(2)]);
        assert!(errors[0].message.contains("from 1 to 4"));
    }

    #[test]
    fn an_empty_paper_asks_for_a_first_choice() {
        let errors = rank(["", " ", "", ""]).expect_err("empty");
        assert_eq!(errors[0].candidate, None);
    }
}
