//! An election's terms and the rules a nomination must meet, without I/O.
//! Each refusal says what is wrong in words a returning officer can put
//! in the published list of nominations.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use crate::ballots::stv::CountRule;
use crate::error::FieldError;

/// Who may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligibility {
    /// A GP partner or salaried GP at a member practice (in the
    /// constituency, where there are constituencies).
    GpAtMemberPractice,
    /// Anyone the nominators name.
    AnyNamedPerson,
}

/// In what order the ballot paper lists the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperOrder {
    Alphabetical,
    /// A recorded random draw (which also decides ties "by lot").
    Random,
}

/// The terms an election is run on, fixed when nominations open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionTerms {
    pub seats: u32,
    pub rule: CountRule,
    pub eligibility: Eligibility,
    pub paper_order: PaperOrder,
    /// How many member practices must nominate a candidate.
    pub nominators_required: u32,
    pub statement_word_limit: u32,
    pub nominations_open: NaiveDateTime,
    pub nominations_close: NaiveDateTime,
    /// Candidates may withdraw until then (at the latest when voting opens).
    pub withdrawals_close: NaiveDateTime,
}

pub const MAX_SEATS: u32 = 50;
pub const MAX_NOMINATORS: u32 = 20;
/// The longest line beside a name on the ballot paper.
pub const BALLOT_LINE_LIMIT: usize = 100;

impl ElectionTerms {
    /// Checks the terms against the voting period that follows them.
    pub fn check(&self, voting_opens: NaiveDateTime) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !(1..=MAX_SEATS).contains(&self.seats) {
            errors.push(FieldError::new(
                "seats",
                format!("Seats must be between 1 and {MAX_SEATS}"),
            ));
        }
        if !(1..=MAX_NOMINATORS).contains(&self.nominators_required) {
            errors.push(FieldError::new(
                "nominators_required",
                format!("Nominating practices needed must be between 1 and {MAX_NOMINATORS}"),
            ));
        }
        if !(25..=1000).contains(&self.statement_word_limit) {
            errors.push(FieldError::new(
                "statement_word_limit",
                "The limit on a candidate's statement must be between 25 and 1,000 words",
            ));
        }
        if self.nominations_close <= self.nominations_open {
            errors.push(FieldError::new(
                "nominations_close",
                "When nominations close must be after they open",
            ));
        }
        if self.withdrawals_close < self.nominations_close {
            errors.push(FieldError::new(
                "withdrawals_close",
                "When withdrawals close must be at or after the close of nominations",
            ));
        }
        if self.withdrawals_close > voting_opens {
            errors.push(FieldError::new(
                "withdrawals_close",
                "When withdrawals close must be no later than when voting opens",
            ));
        }
        errors
    }
}

/// The candidate's post, as the nomination form asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Post {
    GpPartner,
    SalariedGp,
    Other,
}

/// A nomination as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nomination {
    pub candidate_name: String,
    pub post: Post,
    /// The candidate's practice, if they work at a member practice.
    pub practice: Option<String>,
    /// The nominating practices (ODS codes), in the order they nominated.
    pub nominators: Vec<String>,
    pub submitted_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    /// The candidate declared they are eligible and their interests declared.
    pub declared: bool,
    pub statement: String,
    pub ballot_line: String,
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// Why a nomination is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    TooFewNominators { have: usize, need: u32 },
    NominatorNotMember(String),
    NominatorTwice(String),
    SubmittedBeforeOpening,
    SubmittedAfterClosing,
    NotAGp,
    NotAtMemberPractice,
    NotAccepted,
    NoDeclaration,
    StatementTooLong { words: usize, limit: u32 },
    BallotLineTooLong { characters: usize },
    Withdrawn,
}

impl Problem {
    pub fn words(&self) -> String {
        match self {
            Problem::TooFewNominators { have, need } => format!(
                "Nominated by {have} member {} but {need} {} needed",
                if *have == 1 { "practice" } else { "practices" },
                if *need == 1 { "is" } else { "are" }
            ),
            Problem::NominatorNotMember(code) => format!("{code} is not a member practice, so cannot nominate"),
            Problem::NominatorTwice(code) => format!("{code} nominated more than once; it counts once"),
            Problem::SubmittedBeforeOpening => "Submitted before nominations opened".to_string(),
            Problem::SubmittedAfterClosing => "Submitted after nominations closed".to_string(),
            Problem::NotAGp => "Only a GP partner or salaried GP may stand in this election".to_string(),
            Problem::NotAtMemberPractice => "The candidate does not work at a member practice".to_string(),
            Problem::NotAccepted => "The candidate has not accepted the nomination".to_string(),
            Problem::NoDeclaration => {
                "The candidate has not made the declaration of eligibility and interests".to_string()
            }
            Problem::StatementTooLong { words, limit } => {
                format!("The statement has {words} words; the limit is {limit}")
            }
            Problem::BallotLineTooLong { characters } => {
                format!("The line for the ballot paper has {characters} characters; the limit is {BALLOT_LINE_LIMIT}")
            }
            Problem::Withdrawn => "The candidate withdrew".to_string(),
        }
    }
}

/// Words as a reader counts them: runs of letters, digits and joining marks
/// separated by spaces or punctuation ("GP-led" is one word).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
}

/// Every reason the nomination is not valid; empty when it is. A
/// nominating practice that nominates twice is named but counts once;
/// practices that are not members do not count.
pub fn check_nomination(terms: &ElectionTerms, nomination: &Nomination, members: &BTreeSet<String>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if nomination.withdrawn_at.is_some() {
        problems.push(Problem::Withdrawn);
    }
    if nomination.submitted_at < terms.nominations_open {
        problems.push(Problem::SubmittedBeforeOpening);
    }
    if nomination.submitted_at > terms.nominations_close {
        problems.push(Problem::SubmittedAfterClosing);
    }
    let mut counted = BTreeSet::new();
    for code in &nomination.nominators {
        if !members.contains(code) {
            problems.push(Problem::NominatorNotMember(code.clone()));
        } else if !counted.insert(code.as_str()) {
            problems.push(Problem::NominatorTwice(code.clone()));
        }
    }
    if counted.len() < terms.nominators_required as usize {
        problems.push(Problem::TooFewNominators {
            have: counted.len(),
            need: terms.nominators_required,
        });
    }
    if terms.eligibility == Eligibility::GpAtMemberPractice {
        if nomination.post == Post::Other {
            problems.push(Problem::NotAGp);
        }
        if !nomination.practice.as_ref().is_some_and(|p| members.contains(p)) {
            problems.push(Problem::NotAtMemberPractice);
        }
    }
    // Accepting and declaring may happen after the close of nominations,
    // but not after the list is published: the caller checks by then.
    if nomination.accepted_at.is_none() {
        problems.push(Problem::NotAccepted);
    }
    if !nomination.declared {
        problems.push(Problem::NoDeclaration);
    }
    let words = word_count(&nomination.statement);
    if words > terms.statement_word_limit as usize {
        problems.push(Problem::StatementTooLong {
            words,
            limit: terms.statement_word_limit,
        });
    }
    let characters = nomination.ballot_line.chars().count();
    if characters > BALLOT_LINE_LIMIT {
        problems.push(Problem::BallotLineTooLong { characters });
    }
    problems
}

/// What happens after the close of nominations and withdrawals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterNominations {
    /// No more valid candidates than seats: all are declared elected
    /// without a vote; `vacancies` seats stay unfilled.
    Uncontested { elected: Vec<usize>, vacancies: u32 },
    /// More candidates than seats: the poll goes ahead.
    Contested,
}

/// `valid` are the indices of the validly nominated candidates.
pub fn after_nominations(seats: u32, valid: &[usize]) -> AfterNominations {
    if valid.len() <= seats as usize {
        AfterNominations::Uncontested {
            elected: valid.to_vec(),
            vacancies: seats - valid.len() as u32,
        }
    } else {
        AfterNominations::Contested
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 1, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("a date")
    }

    fn terms() -> ElectionTerms {
        ElectionTerms {
            seats: 2,
            rule: CountRule::Scottish,
            eligibility: Eligibility::GpAtMemberPractice,
            paper_order: PaperOrder::Random,
            nominators_required: 2,
            statement_word_limit: 250,
            nominations_open: at(4, 9),
            nominations_close: at(15, 17),
            withdrawals_close: at(18, 17),
        }
    }

    fn members() -> BTreeSet<String> {
        ["Y00001", "Y00002", "Y00003"].iter().map(|s| s.to_string()).collect()
    }

    fn valid_nomination() -> Nomination {
        Nomination {
            candidate_name: "Dr Ada Lovelace".into(),
            post: Post::GpPartner,
            practice: Some("Y00001".into()),
            nominators: vec!["Y00002".into(), "Y00003".into()],
            submitted_at: at(10, 12),
            accepted_at: Some(at(11, 9)),
            declared: true,
            statement: "I have been a partner here for ten years.".into(),
            ballot_line: "GP partner, Y00001".into(),
            withdrawn_at: None,
        }
    }

    #[test]
    fn a_complete_nomination_is_valid() {
        assert_eq!(check_nomination(&terms(), &valid_nomination(), &members()), vec![]);
    }

    #[test]
    fn too_few_nominators_counts_each_member_practice_once() {
        let mut nomination = valid_nomination();
        nomination.nominators = vec!["Y00002".into(), "Y00002".into(), "Y99999".into()];
        let problems = check_nomination(&terms(), &nomination, &members());
        assert_eq!(
            problems,
            vec![
                Problem::NominatorTwice("Y00002".into()),
                Problem::NominatorNotMember("Y99999".into()),
                Problem::TooFewNominators { have: 1, need: 2 },
            ]
        );
        assert_eq!(problems[2].words(), "Nominated by 1 member practice but 2 are needed");
    }

    #[test]
    fn a_nomination_after_the_deadline_is_refused() {
        let mut nomination = valid_nomination();
        nomination.submitted_at = at(15, 18);
        assert_eq!(
            check_nomination(&terms(), &nomination, &members()),
            vec![Problem::SubmittedAfterClosing]
        );
        nomination.submitted_at = at(15, 17);
        assert!(
            check_nomination(&terms(), &nomination, &members()).is_empty(),
            "the closing minute itself counts"
        );
    }

    #[test]
    fn an_ineligible_candidate_is_refused_with_the_reason() {
        let mut nomination = valid_nomination();
        nomination.post = Post::Other;
        nomination.practice = Some("Y99999".into());
        let problems = check_nomination(&terms(), &nomination, &members());
        assert_eq!(problems, vec![Problem::NotAGp, Problem::NotAtMemberPractice]);
        let mut open = terms();
        open.eligibility = Eligibility::AnyNamedPerson;
        assert!(check_nomination(&open, &nomination, &members()).is_empty());
    }

    #[test]
    fn acceptance_declaration_statement_and_withdrawal() {
        let mut nomination = valid_nomination();
        nomination.accepted_at = None;
        nomination.declared = false;
        nomination.statement = "word ".repeat(251);
        nomination.ballot_line = "x".repeat(101);
        nomination.withdrawn_at = Some(at(16, 9));
        let problems = check_nomination(&terms(), &nomination, &members());
        assert_eq!(
            problems,
            vec![
                Problem::Withdrawn,
                Problem::NotAccepted,
                Problem::NoDeclaration,
                Problem::StatementTooLong { words: 251, limit: 250 },
                Problem::BallotLineTooLong { characters: 101 },
            ]
        );
        assert_eq!(problems[3].words(), "The statement has 251 words; the limit is 250");
    }

    #[test]
    fn words_are_counted_as_a_reader_would() {
        assert_eq!(word_count("GP-led care, for all — 24/7."), 5);
        assert_eq!(word_count("  "), 0);
    }

    #[test]
    fn no_more_candidates_than_seats_are_elected_without_a_vote() {
        assert_eq!(
            after_nominations(2, &[3, 1]),
            AfterNominations::Uncontested {
                elected: vec![3, 1],
                vacancies: 0
            }
        );
        assert_eq!(
            after_nominations(3, &[0]),
            AfterNominations::Uncontested {
                elected: vec![0],
                vacancies: 2
            }
        );
        assert_eq!(after_nominations(1, &[0, 1]), AfterNominations::Contested);
    }

    #[test]
    fn terms_are_checked_against_the_voting_period() {
        assert!(terms().check(at(20, 9)).is_empty());
        let mut bad = terms();
        bad.seats = 0;
        bad.nominations_close = at(3, 9);
        bad.withdrawals_close = at(21, 9);
        let fields: Vec<String> = bad.check(at(20, 9)).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["seats", "nominations_close", "withdrawals_close"]);
    }
}
