//! The practice impact of change tool, without I/O: the questions, checking
//! a practice's answers, and the anonymised aggregate (nothing shown for
//! fewer than five practices, so no practice can be picked out).

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// What an option could change for a practice.
pub const AREAS: [(&str, &str); 7] = [
    ("contract_management", "Contract management by the CCG"),
    ("performance_management", "Performance management"),
    ("breach_termination", "Breach notices and termination powers"),
    ("incentive_schemes", "Local incentive schemes replacing QOF or DES"),
    ("conflicts", "Conflicts of interest"),
    ("arbitration", "Arbitration and dispute routes"),
    ("funding", "Funding"),
];

/// The smallest group whose answers are shown in the aggregate.
pub const MIN_GROUP: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Worse,
    Same,
    Better,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Worse, Rating::Same, Rating::Better];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Worse => "worse",
            Rating::Same => "same",
            Rating::Better => "better",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Worse => "Worse for us",
            Rating::Same => "No change",
            Rating::Better => "Better for us",
        }
    }
}

/// A practice's answers: for each option, a rating per area and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub contract_type: String,
    pub list_size: u32,
    /// options × areas.
    pub ratings: Vec<Vec<Rating>>,
    pub option_notes: Vec<String>,
    pub notes: String,
}

/// Checks answers read from the form; `rating(option, area)` gives the raw value.
pub fn check(
    options: usize,
    contract_type: &str,
    list_size: &str,
    rating: impl Fn(usize, usize) -> Option<String>,
    option_notes: Vec<String>,
    notes: &str,
) -> Result<Assessment, Vec<FieldError>> {
    let mut errors = Vec::new();
    let contract_type = contract_type.trim().to_ascii_lowercase();
    if !matches!(contract_type.as_str(), "gms" | "pms" | "apms") {
        errors.push(FieldError::new(
            "contract-type",
            "Choose your practice's contract: GMS, PMS or APMS",
        ));
    }
    let list_size = match list_size.trim().replace(',', "").parse::<u32>() {
        Ok(n) if n <= 200_000 => n,
        _ => {
            errors.push(FieldError::new(
                "list-size",
                "Enter your registered list size as a whole number, like 9323",
            ));
            0
        }
    };
    let mut ratings = Vec::new();
    for option in 0..options {
        let mut row = Vec::new();
        for (area, (_, label)) in AREAS.iter().enumerate() {
            match rating(option, area).as_deref().and_then(Rating::parse) {
                Some(r) => row.push(r),
                None => errors.push(FieldError::new(
                    &format!("rating-{option}-{area}"),
                    format!("Rate \"{label}\" for option {}", option + 1),
                )),
            }
        }
        ratings.push(row);
    }
    if notes.chars().count() > 20_000 || option_notes.iter().any(|n| n.chars().count() > 5_000) {
        errors.push(FieldError::new(
            "notes",
            "Notes must be 20,000 characters or less (5,000 for each option)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Assessment {
        contract_type,
        list_size,
        ratings,
        option_notes: option_notes.into_iter().map(|n| n.trim().to_owned()).collect(),
        notes: notes.trim().to_owned(),
    })
}

/// The aggregate the board and the LMC see: per option and area, how many
/// practices rated it worse, the same, better — or nothing when fewer than
/// `MIN_GROUP` practices answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Aggregate {
    pub practices: usize,
    /// None: too few practices to show anything.
    pub counts: Option<Vec<Vec<[usize; 3]>>>,
}

pub fn aggregate(options: usize, assessments: &[Assessment]) -> Aggregate {
    if assessments.len() < MIN_GROUP {
        return Aggregate {
            practices: assessments.len(),
            counts: None,
        };
    }
    let mut counts = vec![vec![[0usize; 3]; AREAS.len()]; options];
    for assessment in assessments {
        for (option, row) in assessment.ratings.iter().enumerate().take(options) {
            for (area, rating) in row.iter().enumerate().take(AREAS.len()) {
                let slot = Rating::ALL.iter().position(|r| r == rating).unwrap_or(1);
                counts[option][area][slot] += 1;
            }
        }
    }
    Aggregate {
        practices: assessments.len(),
        counts: Some(counts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessment(rating: Rating) -> Assessment {
        Assessment {
            contract_type: "gms".into(),
            list_size: 5_000,
            ratings: vec![vec![rating; AREAS.len()]; 2],
            option_notes: vec![String::new(); 2],
            notes: String::new(),
        }
    }

    #[test]
    fn small_groups_are_hidden() {
        let four = vec![assessment(Rating::Worse); 4];
        assert_eq!(
            aggregate(2, &four),
            Aggregate {
                practices: 4,
                counts: None
            }
        );
        let mut five = four.clone();
        five.push(assessment(Rating::Better));
        let shown = aggregate(2, &five).counts.expect("five are shown");
        assert_eq!(shown[1][6], [4, 0, 1]);
    }

    #[test]
    fn every_rating_and_the_contract_are_required() {
        let errors = check(
            2,
            "xyz",
            "lots",
            |_, area| (area != 3).then(|| "same".into()),
            vec![],
            "",
        )
        .expect_err("bad");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["contract-type", "list-size", "rating-0-3", "rating-1-3"]);
        let ok = check(
            1,
            "PMS",
            "9,323",
            |_, _| Some("better".into()),
            vec!["fine".into()],
            " notes ",
        )
        .expect("ok");
        assert_eq!(
            (ok.contract_type.as_str(), ok.list_size, ok.notes.as_str()),
            ("pms", 9_323, "notes")
        );
    }
}
