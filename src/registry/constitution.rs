//! An organisation's constitution settings — the defaults of its ballots —
//! and the rules they stand for, without I/O.

use serde::Serialize;

use crate::error::FieldError;

/// A share that must be reached: "more than half", "at least two thirds".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub numerator: u32,
    pub denominator: u32,
    /// More than the share (a simple majority), rather than at least it.
    pub strictly_more: bool,
}

impl Threshold {
    pub const SIMPLE_MAJORITY: Threshold = Threshold {
        numerator: 1,
        denominator: 2,
        strictly_more: true,
    };
    pub const THREE_FIFTHS: Threshold = Threshold {
        numerator: 3,
        denominator: 5,
        strictly_more: false,
    };
    pub const TWO_THIRDS: Threshold = Threshold {
        numerator: 2,
        denominator: 3,
        strictly_more: false,
    };
    pub const THREE_QUARTERS: Threshold = Threshold {
        numerator: 3,
        denominator: 4,
        strictly_more: false,
    };
    pub const PRESETS: [Threshold; 4] = [
        Threshold::SIMPLE_MAJORITY,
        Threshold::THREE_FIFTHS,
        Threshold::TWO_THIRDS,
        Threshold::THREE_QUARTERS,
    ];

    /// "gt:1/2" or "ge:2/3".
    pub fn parse(stored: &str) -> Option<Threshold> {
        let (kind, fraction) = stored.split_once(':')?;
        let strictly_more = match kind {
            "gt" => true,
            "ge" => false,
            _ => return None,
        };
        Self::fraction(fraction, strictly_more)
    }

    /// "7/10": a share between 0 and 1 (and not 0).
    pub fn fraction(text: &str, strictly_more: bool) -> Option<Threshold> {
        let (n, d) = text.trim().split_once('/')?;
        let numerator: u32 = n.trim().parse().ok()?;
        let denominator: u32 = d.trim().parse().ok()?;
        (numerator > 0 && denominator > 0 && numerator <= denominator && denominator <= 1000).then_some(Threshold {
            numerator,
            denominator,
            strictly_more,
        })
    }

    pub fn stored(&self) -> String {
        format!(
            "{}:{}/{}",
            if self.strictly_more { "gt" } else { "ge" },
            self.numerator,
            self.denominator
        )
    }

    pub fn label(&self) -> String {
        let share = match (self.numerator, self.denominator) {
            (1, 2) => "half".to_owned(),
            (2, 3) => "two thirds".to_owned(),
            (3, 4) => "three quarters".to_owned(),
            (3, 5) => "three fifths".to_owned(),
            (n, d) => format!("{n}/{d}"),
        };
        if self.strictly_more {
            format!("More than {share}")
        } else {
            format!("At least {share}")
        }
    }

    /// Whether `part` of `whole` reaches the threshold (exact integer arithmetic).
    pub fn is_met(&self, part: u64, whole: u64) -> bool {
        if whole == 0 {
            return false;
        }
        let left = u128::from(part) * u128::from(self.denominator);
        let right = u128::from(self.numerator) * u128::from(whole);
        if self.strictly_more {
            left > right
        } else {
            left >= right
        }
    }
}

/// How much a practice's vote counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// One practice, one vote.
    PerPractice,
    /// One vote per so many registered patients, rounded up.
    PerPatients(u32),
    /// The registered list size itself.
    ListSize,
}

impl Weighting {
    /// The weight of a practice with `list_size` patients, or `None` when a
    /// list-size rule applies and the size is unknown.
    pub fn weight(&self, list_size: Option<u32>) -> Option<u64> {
        match self {
            Weighting::PerPractice => Some(1),
            Weighting::PerPatients(per) => list_size.map(|n| u64::from(n).div_ceil(u64::from((*per).max(1)))),
            Weighting::ListSize => list_size.map(u64::from),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Weighting::PerPractice => "One practice, one vote".to_owned(),
            Weighting::PerPatients(per) => {
                format!(
                    "One vote per {} registered patients, rounded up",
                    crate::format::group_thousands(i32::try_from(*per).unwrap_or(i32::MAX))
                )
            }
            Weighting::ListSize => "By registered list size".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuorumBasis {
    None,
    Practices,
    Weight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voters {
    Nominated,
    NominatedOrDeputy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstitutionSettings {
    pub weighting: Weighting,
    pub quorum_basis: QuorumBasis,
    pub quorum_percent: u32,
    pub ordinary: Threshold,
    pub amendment: Threshold,
    pub removal: Threshold,
    pub dissolution: Threshold,
    pub minimum_notice_days: u32,
    pub voters: Voters,
}

impl Default for ConstitutionSettings {
    /// Common CCG constitution defaults, to be checked against the real one.
    fn default() -> Self {
        ConstitutionSettings {
            weighting: Weighting::PerPractice,
            quorum_basis: QuorumBasis::Practices,
            quorum_percent: 50,
            ordinary: Threshold::SIMPLE_MAJORITY,
            amendment: Threshold::TWO_THIRDS,
            removal: Threshold::TWO_THIRDS,
            dissolution: Threshold::THREE_QUARTERS,
            minimum_notice_days: 14,
            voters: Voters::NominatedOrDeputy,
        }
    }
}

/// The settings as the form and the database hold them (text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub weighting: String,
    #[serde(default)]
    pub patients_per_vote: String,
    #[serde(default)]
    pub quorum_basis: String,
    #[serde(default)]
    pub quorum_percent: String,
    #[serde(default)]
    pub ordinary_threshold: String,
    #[serde(default)]
    pub amendment_threshold: String,
    #[serde(default)]
    pub removal_threshold: String,
    #[serde(default)]
    pub dissolution_threshold: String,
    #[serde(default)]
    pub minimum_notice_days: String,
    #[serde(default)]
    pub voters: String,
}

/// The four kinds of decision, with their form field and label.
pub const DECISIONS: [(&str, &str); 4] = [
    ("ordinary_threshold", "Ordinary resolution"),
    ("amendment_threshold", "Constitution amendment"),
    ("removal_threshold", "Removal of a governing body member"),
    ("dissolution_threshold", "Dissolution or merger"),
];

impl ConstitutionSettings {
    pub fn to_form(&self) -> SettingsForm {
        let (weighting, per) = match self.weighting {
            Weighting::PerPractice => ("per_practice", 2000),
            Weighting::PerPatients(per) => ("per_patients", per),
            Weighting::ListSize => ("list_size", 2000),
        };
        SettingsForm {
            weighting: weighting.into(),
            patients_per_vote: per.to_string(),
            quorum_basis: match self.quorum_basis {
                QuorumBasis::None => "none",
                QuorumBasis::Practices => "practices",
                QuorumBasis::Weight => "weight",
            }
            .into(),
            quorum_percent: self.quorum_percent.to_string(),
            ordinary_threshold: self.ordinary.stored(),
            amendment_threshold: self.amendment.stored(),
            removal_threshold: self.removal.stored(),
            dissolution_threshold: self.dissolution.stored(),
            minimum_notice_days: self.minimum_notice_days.to_string(),
            voters: match self.voters {
                Voters::Nominated => "nominated",
                Voters::NominatedOrDeputy => "nominated_or_deputy",
            }
            .into(),
        }
    }

    /// Checks a form (or stored row); every problem names its field.
    pub fn from_form(form: &SettingsForm) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let number = |field: &str, value: &str, max: u32, message: &str, errors: &mut Vec<FieldError>| match value
            .trim()
            .replace(',', "")
            .parse::<u32>()
        {
            Ok(n) if n <= max => Some(n),
            _ => {
                errors.push(FieldError::new(field, message));
                None
            }
        };
        let weighting = match form.weighting.as_str() {
            "per_practice" => Some(Weighting::PerPractice),
            "list_size" => Some(Weighting::ListSize),
            "per_patients" => number(
                "patients-per-vote",
                &form.patients_per_vote,
                1_000_000,
                "Patients per vote must be a whole number from 1 to 1,000,000",
                &mut errors,
            )
            .filter(|n| *n > 0)
            .map(Weighting::PerPatients)
            .or_else(|| {
                if !errors.iter().any(|e| e.field == "patients-per-vote") {
                    errors.push(FieldError::new(
                        "patients-per-vote",
                        "Patients per vote must be a whole number from 1 to 1,000,000",
                    ));
                }
                None
            }),
            _ => {
                errors.push(FieldError::new("weighting", "Select how votes are weighted"));
                None
            }
        };
        let quorum_basis = match form.quorum_basis.as_str() {
            "none" => Some(QuorumBasis::None),
            "practices" => Some(QuorumBasis::Practices),
            "weight" => Some(QuorumBasis::Weight),
            _ => {
                errors.push(FieldError::new("quorum-basis", "Select what the quorum counts"));
                None
            }
        };
        let quorum_percent = if quorum_basis == Some(QuorumBasis::None) {
            Some(0)
        } else {
            number(
                "quorum-percent",
                &form.quorum_percent,
                100,
                "Quorum must be a whole percentage from 0 to 100",
                &mut errors,
            )
        };
        let mut threshold = |field: &str, value: &str, label: &str| {
            Threshold::parse(value).or_else(|| {
                errors.push(FieldError::new(
                    &field.replace('_', "-"),
                    format!("Select the majority needed for: {}", label.to_lowercase()),
                ));
                None
            })
        };
        let ordinary = threshold(DECISIONS[0].0, &form.ordinary_threshold, DECISIONS[0].1);
        let amendment = threshold(DECISIONS[1].0, &form.amendment_threshold, DECISIONS[1].1);
        let removal = threshold(DECISIONS[2].0, &form.removal_threshold, DECISIONS[2].1);
        let dissolution = threshold(DECISIONS[3].0, &form.dissolution_threshold, DECISIONS[3].1);
        let minimum_notice_days = number(
            "minimum-notice-days",
            &form.minimum_notice_days,
            365,
            "Minimum notice must be a whole number of days from 0 to 365",
            &mut errors,
        );
        let voters = match form.voters.as_str() {
            "nominated" => Some(Voters::Nominated),
            "nominated_or_deputy" => Some(Voters::NominatedOrDeputy),
            _ => {
                errors.push(FieldError::new("voters", "Select who may vote for a practice"));
                None
            }
        };
        match (
            weighting,
            quorum_basis,
            quorum_percent,
            ordinary,
            amendment,
            removal,
            dissolution,
            minimum_notice_days,
            voters,
        ) {
            (
                Some(weighting),
                Some(quorum_basis),
                Some(quorum_percent),
                Some(ordinary),
                Some(amendment),
                Some(removal),
                Some(dissolution),
                Some(minimum_notice_days),
                Some(voters),
            ) if errors.is_empty() => Ok(ConstitutionSettings {
                weighting,
                quorum_basis,
                quorum_percent,
                ordinary,
                amendment,
                removal,
                dissolution,
                minimum_notice_days,
                voters,
            }),
            _ => Err(errors),
        }
    }

    /// Each setting as (label, value), for pages and the audit log.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Vote weighting", self.weighting.label()),
            (
                "Quorum",
                match self.quorum_basis {
                    QuorumBasis::None => "None".to_owned(),
                    QuorumBasis::Practices => format!("{}% of member practices", self.quorum_percent),
                    QuorumBasis::Weight => format!("{}% of the total vote weight", self.quorum_percent),
                },
            ),
            (DECISIONS[0].1, self.ordinary.label()),
            (DECISIONS[1].1, self.amendment.label()),
            (DECISIONS[2].1, self.removal.label()),
            (DECISIONS[3].1, self.dissolution.label()),
            ("Minimum notice", format!("{} days", self.minimum_notice_days)),
            (
                "Who votes for a practice",
                match self.voters {
                    Voters::Nominated => "The nominated voting representative".to_owned(),
                    Voters::NominatedOrDeputy => "The nominated voting representative or their deputy".to_owned(),
                },
            ),
        ]
    }
}

/// "Quorum: 50% of member practices → 60% of member practices; …"
pub fn describe_changes(before: &ConstitutionSettings, after: &ConstitutionSettings) -> String {
    before
        .describe()
        .into_iter()
        .zip(after.describe())
        .filter(|((_, b), (_, a))| a != b)
        .map(|((label, b), (_, a))| format!("{label}: {b} → {a}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_exact() {
        let half = Threshold::SIMPLE_MAJORITY;
        assert!(!half.is_met(50, 100), "exactly half is not more than half");
        assert!(half.is_met(51, 100));
        let two_thirds = Threshold::TWO_THIRDS;
        assert!(two_thirds.is_met(2, 3));
        assert!(!two_thirds.is_met(66, 100));
        assert!(two_thirds.is_met(67, 100));
        assert!(!two_thirds.is_met(0, 0));
        assert_eq!(Threshold::parse("ge:3/4"), Some(Threshold::THREE_QUARTERS));
        assert_eq!(
            Threshold::parse("gt:1/2").map(|t| t.label()),
            Some("More than half".into())
        );
        for bad in ["", "ge", "ge:3", "ge:4/3", "eq:1/2", "ge:0/2", "ge:1/0"] {
            assert!(Threshold::parse(bad).is_none(), "{bad}");
        }
        for t in Threshold::PRESETS {
            assert_eq!(Threshold::parse(&t.stored()), Some(t));
        }
    }

    #[test]
    fn weights_follow_the_rule() {
        assert_eq!(Weighting::PerPractice.weight(None), Some(1));
        let per_2000 = Weighting::PerPatients(2000);
        assert_eq!(per_2000.weight(Some(9323)), Some(5), "rounded up");
        assert_eq!(per_2000.weight(Some(2000)), Some(1));
        assert_eq!(per_2000.weight(Some(2001)), Some(2));
        assert_eq!(per_2000.weight(None), None);
        assert_eq!(Weighting::ListSize.weight(Some(9323)), Some(9323));
    }

    #[test]
    fn forms_round_trip_and_name_their_errors() {
        let settings = ConstitutionSettings::default();
        assert_eq!(
            ConstitutionSettings::from_form(&settings.to_form()),
            Ok(settings.clone())
        );
        let mut form = settings.to_form();
        form.weighting = "per_patients".into();
        form.patients_per_vote = "2,000".into();
        assert_eq!(
            ConstitutionSettings::from_form(&form).map(|s| s.weighting),
            Ok(Weighting::PerPatients(2000))
        );
        form.patients_per_vote = "0".into();
        form.quorum_percent = "150".into();
        form.amendment_threshold = "ge:5/4".into();
        form.voters = String::new();
        let errors = ConstitutionSettings::from_form(&form).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["patients-per-vote", "quorum-percent", "amendment-threshold", "voters"]
        );
    }

    #[test]
    fn changes_are_described_before_and_after() {
        let before = ConstitutionSettings::default();
        let after = ConstitutionSettings {
            quorum_percent: 60,
            ..before.clone()
        };
        assert_eq!(
            describe_changes(&before, &after),
            "Quorum: 50% of member practices → 60% of member practices"
        );
    }
}
