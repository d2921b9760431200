//! Ballots without I/O: kinds and their preset options, the lifecycle,
//! checking a draft, and freezing the electorate.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::rules::{ABSTAIN, AGAINST, Elector, FOR};
use crate::error::FieldError;
use crate::registry::constitution::Weighting;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotKind {
    General,
    CoCommissioning,
    ConstitutionAmendment,
    Motion,
}

impl BallotKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "general" => Some(BallotKind::General),
            "co_commissioning" => Some(BallotKind::CoCommissioning),
            "constitution_amendment" => Some(BallotKind::ConstitutionAmendment),
            "motion" => Some(BallotKind::Motion),
            _ => None,
        }
    }

    /// The options a ballot of this kind starts with (editable in draft).
    pub fn preset_options(self) -> Vec<BallotOption> {
        let option = |key: &str, label: &str, description: &str| BallotOption {
            key: key.to_owned(),
            label: label.to_owned(),
            description: description.to_owned(),
        };
        match self {
            BallotKind::General => Vec::new(),
            BallotKind::CoCommissioning => vec![
                option(
                    "level_1",
                    "Level 1 — greater involvement",
                    "Greater involvement in primary care decision making with NHS England.",
                ),
                option(
                    "level_2",
                    "Level 2 — joint commissioning",
                    "Joint commissioning of primary care services with NHS England through a joint committee.",
                ),
                option(
                    "level_3",
                    "Level 3 — delegated commissioning",
                    "Delegated commissioning: the CCG takes on NHS England's responsibility for GP contracts.",
                ),
                option("no_change", "No change", "Keep the current arrangements."),
            ],
            BallotKind::ConstitutionAmendment | BallotKind::Motion => vec![
                option(FOR, "For", ""),
                option(AGAINST, "Against", ""),
                option(ABSTAIN, "Abstain", ""),
            ],
        }
    }

    /// For / Against / Abstain questions (the others choose one option).
    pub fn is_for_against(self) -> bool {
        matches!(self, BallotKind::ConstitutionAmendment | BallotKind::Motion)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BallotOption {
    pub key: String,
    pub label: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotState {
    Draft,
    Published,
    Open,
    Closed,
    Counted,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Publish,
    Open,
    Close,
    Count,
    Cancel,
}

impl BallotState {
    /// The state after `transition`, or why it is not allowed.
    pub fn after(self, transition: Transition) -> Result<BallotState, String> {
        use BallotState::*;
        match (self, transition) {
            (Draft, Transition::Publish) => Ok(Published),
            (Published, Transition::Open) => Ok(Open),
            (Open, Transition::Close) => Ok(Closed),
            (Closed, Transition::Count) => Ok(Counted),
            (Counted, Transition::Cancel) => Err("A counted ballot cannot be cancelled".into()),
            (Cancelled, _) => Err("The ballot has been cancelled".into()),
            (_, Transition::Cancel) => Ok(Cancelled),
            (state, transition) => Err(format!("A {state:?} ballot cannot {transition:?}").to_lowercase()),
        }
    }
}

/// A draft as an administrator (or an API client) sends it.
#[derive(Debug, Clone)]
pub struct DraftInput {
    pub kind: BallotKind,
    pub title: String,
    pub question: String,
    pub options: Vec<BallotOption>,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

pub const MAX_OPTIONS: usize = 20;

/// Checks a draft; each problem names its field.
pub fn check_draft(input: &DraftInput, now: NaiveDateTime) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if input.title.trim().is_empty() {
        errors.push(FieldError::new("title", "Enter a ballot title"));
    } else if input.title.chars().count() > 120 {
        errors.push(FieldError::new("title", "Ballot title must be 120 characters or less"));
    }
    if input.question.trim().is_empty() {
        errors.push(FieldError::new("question", "Enter the question practices are asked"));
    } else if input.question.chars().count() > 2000 {
        errors.push(FieldError::new("question", "Question must be 2,000 characters or less"));
    }
    if input.kind.is_for_against() {
        let keys: Vec<&str> = input.options.iter().map(|o| o.key.as_str()).collect();
        if keys != [FOR, AGAINST, ABSTAIN] {
            errors.push(FieldError::new(
                "options",
                "A motion or amendment has the options for, against and abstain",
            ));
        }
    } else if input.options.len() < 2 || input.options.len() > MAX_OPTIONS {
        errors.push(FieldError::new(
            "options",
            format!("Give between 2 and {MAX_OPTIONS} options"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for option in &input.options {
        let key_ok = !option.key.is_empty()
            && option.key.len() <= 40
            && option
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            errors.push(FieldError::new(
                "options",
                format!(
                    "Option key \"{}\" must be lower-case letters, numbers and _",
                    option.key
                ),
            ));
        } else if !seen.insert(option.key.as_str()) {
            errors.push(FieldError::new(
                "options",
                format!("Option key \"{}\" is used twice", option.key),
            ));
        }
        if option.label.trim().is_empty() {
            errors.push(FieldError::new("options", "Every option needs a label"));
        }
    }
    if input.opens_at <= now {
        errors.push(FieldError::new("opens-at", "Voting must open in the future"));
    }
    if input.closes_at <= input.opens_at {
        errors.push(FieldError::new("closes-at", "Voting must close after it opens"));
    }
    errors
}

/// Publishing gives notice: voting may not open sooner than the
/// constitution's minimum notice after publication.
pub fn check_notice(
    published_at: NaiveDateTime,
    opens_at: NaiveDateTime,
    minimum_notice_days: u32,
) -> Result<(), FieldError> {
    let earliest = published_at + Duration::days(i64::from(minimum_notice_days));
    if opens_at < earliest {
        return Err(FieldError::new(
            "opens-at",
            format!(
                "Voting opens at {}, but the constitution needs {minimum_notice_days} days' notice: it can open at {} at the earliest",
                crate::time::date_time(opens_at),
                crate::time::date_time(earliest)
            ),
        ));
    }
    Ok(())
}

/// A member practice as the register has it on the electorate date.
#[derive(Debug, Clone)]
pub struct Member {
    pub practice_id: i32,
    pub code: String,
    pub active: bool,
    pub list_size: Option<u32>,
    pub constituency: Option<String>,
}

/// One practice in the frozen electorate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenElector {
    pub practice_id: i32,
    pub elector: Elector,
}

/// Freezes the electorate: every active member with its weight and
/// constituency. Refuses (naming them) when a list-size rule applies and
/// practices have no list size on the date.
pub fn freeze_electorate(members: &[Member], weighting: Weighting) -> Result<Vec<FrozenElector>, FieldError> {
    let mut missing = Vec::new();
    let mut electors = Vec::new();
    for member in members.iter().filter(|m| m.active) {
        match weighting.weight(member.list_size) {
            Some(weight) => electors.push(FrozenElector {
                practice_id: member.practice_id,
                elector: Elector {
                    weight,
                    constituency: member.constituency.clone(),
                },
            }),
            None => missing.push(member.code.clone()),
        }
    }
    if !missing.is_empty() {
        missing.sort();
        return Err(FieldError::new(
            "weighting",
            format!(
                "Votes are weighted by list size, but {} practice(s) have no list size on the electorate date: {}. Import list sizes first",
                missing.len(),
                missing.join(", ")
            ),
        ));
    }
    if electors.is_empty() {
        return Err(FieldError::new(
            "electorate",
            "The organisation has no active member practices on the electorate date",
        ));
    }
    Ok(electors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("time")
    }

    fn draft(kind: BallotKind) -> DraftInput {
        let options = if kind == BallotKind::General {
            vec![
                BallotOption {
                    key: "yes".into(),
                    label: "Yes".into(),
                    description: String::new(),
                },
                BallotOption {
                    key: "no".into(),
                    label: "No".into(),
                    description: String::new(),
                },
            ]
        } else {
            kind.preset_options()
        };
        DraftInput {
            kind,
            title: "Delegated commissioning".into(),
            question: "Which level?".into(),
            options,
            opens_at: at(10, 9),
            closes_at: at(17, 17),
        }
    }

    #[test]
    fn each_kind_has_its_preset_options() {
        assert_eq!(BallotKind::CoCommissioning.preset_options().len(), 4);
        assert_eq!(
            BallotKind::Motion
                .preset_options()
                .iter()
                .map(|o| o.key.as_str())
                .collect::<Vec<_>>(),
            vec![FOR, AGAINST, ABSTAIN]
        );
        for kind in [
            BallotKind::General,
            BallotKind::CoCommissioning,
            BallotKind::ConstitutionAmendment,
            BallotKind::Motion,
        ] {
            assert!(check_draft(&draft(kind), at(1, 9)).is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn drafts_name_their_problems() {
        let mut bad = draft(BallotKind::General);
        bad.title = String::new();
        bad.options.truncate(1);
        bad.closes_at = bad.opens_at;
        let fields: Vec<String> = check_draft(&bad, at(1, 9)).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["title", "options", "closes-at"]);
        let mut duplicate = draft(BallotKind::General);
        duplicate.options[1].key = "yes".into();
        assert!(check_draft(&duplicate, at(1, 9))[0].message.contains("used twice"));
        let mut motion = draft(BallotKind::Motion);
        motion.options.pop();
        assert!(
            check_draft(&motion, at(1, 9))[0]
                .message
                .contains("for, against and abstain")
        );
        assert_eq!(
            check_draft(&draft(BallotKind::General), at(11, 9))[0].field,
            "opens-at",
            "opening in the past"
        );
    }

    #[test]
    fn the_lifecycle_only_moves_forward() {
        use BallotState::*;
        assert_eq!(Draft.after(Transition::Publish), Ok(Published));
        assert_eq!(Published.after(Transition::Open), Ok(Open));
        assert_eq!(Open.after(Transition::Close), Ok(Closed));
        assert_eq!(Closed.after(Transition::Count), Ok(Counted));
        assert_eq!(Open.after(Transition::Cancel), Ok(Cancelled));
        assert!(Counted.after(Transition::Cancel).is_err());
        assert!(Cancelled.after(Transition::Open).is_err());
        assert!(Draft.after(Transition::Open).is_err());
        assert!(Closed.after(Transition::Open).is_err());
    }

    #[test]
    fn notice_is_enforced_and_may_be_zero() {
        assert!(check_notice(at(1, 9), at(15, 9), 14).is_ok());
        let error = check_notice(at(1, 9), at(14, 9), 14).expect_err("too soon");
        assert!(error.message.contains("14 days' notice"), "{}", error.message);
        assert!(check_notice(at(1, 9), at(1, 9), 0).is_ok());
    }

    #[test]
    fn the_electorate_is_the_active_members_with_their_weights() {
        let member = |id: i32, active: bool, size: Option<u32>| Member {
            practice_id: id,
            code: format!("F8401{id}"),
            active,
            list_size: size,
            constituency: None,
        };
        let members = vec![
            member(1, true, Some(9_323)),
            member(2, true, Some(2_000)),
            member(3, false, Some(5_000)),
        ];
        let frozen = freeze_electorate(&members, Weighting::PerPatients(2000)).expect("frozen");
        assert_eq!(
            frozen
                .iter()
                .map(|e| (e.practice_id, e.elector.weight))
                .collect::<Vec<_>>(),
            vec![(1, 5), (2, 1)]
        );
        let unknown = vec![member(1, true, Some(9_323)), member(4, true, None)];
        let error = freeze_electorate(&unknown, Weighting::PerPatients(2000)).expect_err("missing size");
        assert!(error.message.contains("F84014"), "{}", error.message);
        assert_eq!(
            freeze_electorate(&unknown, Weighting::PerPractice)
                .expect("one each")
                .len(),
            2
        );
        assert!(freeze_electorate(&[member(3, false, None)], Weighting::PerPractice).is_err());
    }
}
