//! The timetable planned back from an external deadline: the latest day
//! for each step of a consultation and the ballot that follows it, on
//! working days, so that the certificate of the result is ready in time.
//! Pure: the bank holidays and the organisation's rules come in.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::calendar::BankHolidays;
use crate::error::FieldError;

/// What the board enters, with the constitution's minimum notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInput {
    /// The external deadline, e.g. NHS England's application date.
    pub deadline: NaiveDate,
    /// Working days before the deadline the certificate must be in hand
    /// (to attach it to the application).
    pub days_to_submit: u32,
    /// The constitution's minimum notice of a ballot, in calendar days.
    pub minimum_notice_days: u32,
    /// How long voting stays open, in calendar days.
    pub voting_days: u32,
    /// Working days for the board to consider the consultation's responses
    /// and settle the question before giving notice of the ballot.
    pub review_days: u32,
    /// How long the consultation runs, in calendar days.
    pub consultation_days: u32,
}

impl PlanInput {
    pub const DEFAULT_DAYS_TO_SUBMIT: u32 = 1;
    pub const DEFAULT_VOTING_DAYS: u32 = 7;
    pub const DEFAULT_REVIEW_DAYS: u32 = 5;
    pub const DEFAULT_CONSULTATION_DAYS: u32 = 28;

    /// The deadline with the usual lengths of each step.
    pub fn with_defaults(deadline: NaiveDate, minimum_notice_days: u32) -> Self {
        PlanInput {
            deadline,
            days_to_submit: Self::DEFAULT_DAYS_TO_SUBMIT,
            minimum_notice_days,
            voting_days: Self::DEFAULT_VOTING_DAYS,
            review_days: Self::DEFAULT_REVIEW_DAYS,
            consultation_days: Self::DEFAULT_CONSULTATION_DAYS,
        }
    }

    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut within = |field: &str, value: u32, range: std::ops::RangeInclusive<u32>, what: &str| {
            if !range.contains(&value) {
                errors.push(FieldError::new(
                    field,
                    format!("{what} must be between {} and {}", range.start(), range.end()),
                ));
            }
        };
        within(
            "days-to-submit",
            self.days_to_submit,
            0..=30,
            "Working days to submit the result",
        );
        within("voting-days", self.voting_days, 1..=60, "Days voting is open");
        within(
            "review-days",
            self.review_days,
            0..=60,
            "Working days to consider the responses",
        );
        within(
            "consultation-days",
            self.consultation_days,
            1..=180,
            "Days the consultation runs",
        );
        errors
    }
}

/// One step of the timetable and the latest day it can happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub key: &'static str,
    pub label: &'static str,
    pub latest: NaiveDate,
    /// Why the day was moved earlier (a weekend or a bank holiday), if it was.
    pub moved_from: Option<(NaiveDate, String)>,
}

/// The steps in the order they happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub deadline: NaiveDate,
    pub steps: Vec<Step>,
    /// The bank holidays used do not cover every day of the plan.
    pub beyond_known_holidays: bool,
}

pub const PUBLISH_CONSULTATION: &str = "publish_consultation";
pub const CLOSE_CONSULTATION: &str = "close_consultation";
pub const GIVE_NOTICE: &str = "give_notice";
pub const OPEN_VOTING: &str = "open_voting";
pub const CLOSE_VOTING: &str = "close_voting";
pub const CERTIFY: &str = "certify";

impl Plan {
    pub fn latest(&self, key: &str) -> Option<NaiveDate> {
        self.steps.iter().find(|s| s.key == key).map(|s| s.latest)
    }
}

/// Works back from the deadline, each step on a working day:
/// certificate `days_to_submit` working days before the deadline; voting
/// closes the working day before the certificate (the count follows the
/// close); opens `voting_days` before it closes; notice given
/// `minimum_notice_days` before it opens; the consultation closes
/// `review_days` working days before notice, and opens `consultation_days`
/// before it closes. A step that falls on a closed day moves earlier.
pub fn plan(input: &PlanInput, holidays: &BankHolidays) -> Plan {
    let mut steps = Vec::new();
    let mut step = |key, label, wanted: NaiveDate| {
        let latest = holidays.on_or_before(wanted);
        let moved_from = (latest != wanted).then(|| (wanted, holidays.closed(wanted).unwrap_or_default()));
        steps.push(Step {
            key,
            label,
            latest,
            moved_from,
        });
        latest
    };
    let certify = step(
        CERTIFY,
        "Issue the certificate of result",
        holidays.working_days_before(holidays.on_or_before(input.deadline), input.days_to_submit),
    );
    let close = step(
        CLOSE_VOTING,
        "Close voting and count",
        holidays.working_days_before(certify, 1),
    );
    let open = step(
        OPEN_VOTING,
        "Open voting",
        close - Duration::days(i64::from(input.voting_days)),
    );
    let notice = step(
        GIVE_NOTICE,
        "Give notice of the ballot (publish it)",
        open - Duration::days(i64::from(input.minimum_notice_days)),
    );
    let consultation_closes = step(
        CLOSE_CONSULTATION,
        "Close the consultation",
        holidays.working_days_before(notice, input.review_days),
    );
    let consultation_opens = step(
        PUBLISH_CONSULTATION,
        "Publish the consultation",
        consultation_closes - Duration::days(i64::from(input.consultation_days)),
    );
    steps.reverse();
    let beyond_known_holidays = !(holidays.covers(consultation_opens) && holidays.covers(input.deadline));
    Plan {
        deadline: input.deadline,
        steps,
        beyond_known_holidays,
    }
}

/// A chosen date later than the plan allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanWarning {
    pub key: &'static str,
    pub message: String,
}

/// Compares a ballot's dates with the plan. What matters is when voting
/// closes (the count and certificate follow); before publication, also
/// whether notice given today still lets a vote of the same length close in
/// time.
pub fn check_ballot_dates(
    plan: &Plan,
    opens: NaiveDate,
    closes: NaiveDate,
    unpublished_today: Option<NaiveDate>,
    minimum_notice_days: u32,
) -> Vec<PlanWarning> {
    let day = crate::time::day;
    let Some(latest) = plan.latest(CLOSE_VOTING) else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    let too_late = |what: String| PlanWarning {
        key: CLOSE_VOTING,
        message: format!(
            "{what}, after the latest day for the {} deadline ({}): the certificate may not be ready in time",
            day(plan.deadline),
            day(latest)
        ),
    };
    if closes > latest {
        warnings.push(too_late(format!("Voting closes on {}", day(closes))));
    } else if let Some(today) = unpublished_today {
        let earliest_close =
            today + Duration::days(i64::from(minimum_notice_days)) + (closes - opens).max(Duration::zero());
        if earliest_close > latest {
            warnings.push(too_late(format!(
                "Published today, with {} notice and as long a vote, voting could not close before {}",
                crate::format::plural(minimum_notice_days as usize, "day's", "days'"),
                day(earliest_close)
            )));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn input(deadline: NaiveDate) -> PlanInput {
        PlanInput::with_defaults(deadline, 14)
    }

    fn dates(plan: &Plan) -> Vec<(&'static str, NaiveDate)> {
        plan.steps.iter().map(|s| (s.key, s.latest)).collect()
    }

    #[test]
    fn delegated_commissioning_by_9_january_2015_over_christmas() {
        // NHS England wanted delegated applications by Friday 9 January 2015.
        // Certificate the working day before (Thursday 8), voting closes
        // Wednesday 7, opens a week before (Wednesday 31 December, a working
        // day between the bank holidays), notice 14 days before that
        // (Wednesday 17 December), responses considered over 5 working days
        // (consultation closes Wednesday 10 December), 28 days of
        // consultation (published Wednesday 12 November).
        let plan = plan(&input(day(2015, 1, 9)), BankHolidays::england_and_wales());
        assert_eq!(
            dates(&plan),
            vec![
                (PUBLISH_CONSULTATION, day(2014, 11, 12)),
                (CLOSE_CONSULTATION, day(2014, 12, 10)),
                (GIVE_NOTICE, day(2014, 12, 17)),
                (OPEN_VOTING, day(2014, 12, 31)),
                (CLOSE_VOTING, day(2015, 1, 7)),
                (CERTIFY, day(2015, 1, 8)),
            ]
        );
        assert!(!plan.beyond_known_holidays);
        assert!(plan.steps.iter().all(|s| s.moved_from.is_none()));
    }

    #[test]
    fn a_deadline_after_christmas_moves_steps_off_the_bank_holidays() {
        // Deadline Monday 29 December 2014: certificate the working day
        // before is Wednesday 24 (25 and 26 are bank holidays, then the
        // weekend); voting closes Tuesday 23; opening a week earlier would
        // be Tuesday 16.
        let mut short = input(day(2014, 12, 29));
        short.voting_days = 9;
        let plan = plan(&short, BankHolidays::england_and_wales());
        assert_eq!(plan.latest(CERTIFY), Some(day(2014, 12, 24)));
        assert_eq!(plan.latest(CLOSE_VOTING), Some(day(2014, 12, 23)));
        // 23 − 9 days = Sunday 14 December: moved to Friday 12.
        let open = plan.steps.iter().find(|s| s.key == OPEN_VOTING).expect("step");
        assert_eq!(open.latest, day(2014, 12, 12));
        assert_eq!(open.moved_from, Some((day(2014, 12, 14), "Sunday".to_string())));
    }

    #[test]
    fn easter_bank_holidays_are_skipped() {
        // Deadline Tuesday 7 April 2015: Monday 6 is Easter Monday and
        // Friday 3 Good Friday, so the certificate is due Thursday 2 April
        // and voting closes Wednesday 1 April.
        let plan = plan(&input(day(2015, 4, 7)), BankHolidays::england_and_wales());
        assert_eq!(plan.latest(CERTIFY), Some(day(2015, 4, 2)));
        assert_eq!(plan.latest(CLOSE_VOTING), Some(day(2015, 4, 1)));
        let mut on_good_friday = input(day(2015, 4, 13));
        on_good_friday.days_to_submit = 5;
        let later = super::plan(&on_good_friday, BankHolidays::england_and_wales());
        // 13 April less 5 working days: 2 April (skipping 3 and 6 April).
        assert_eq!(later.latest(CERTIFY), Some(day(2015, 4, 2)));
    }

    #[test]
    fn dates_after_the_plan_are_warned_about() {
        let plan = plan(&input(day(2015, 1, 9)), BankHolidays::england_and_wales());
        // Closing on the latest day is in time; a day later is not.
        assert!(check_ballot_dates(&plan, day(2014, 12, 31), day(2015, 1, 7), None, 14).is_empty());
        let warnings = check_ballot_dates(&plan, day(2015, 1, 2), day(2015, 1, 8), None, 14);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].message,
            "Voting closes on 8 January 2015, after the latest day for the 9 January 2015 deadline (7 January 2015): the certificate may not be ready in time"
        );
        // A draft still unpublished on 20 December cannot give 14 days'
        // notice and run a week by 7 January.
        let draft = check_ballot_dates(&plan, day(2014, 12, 31), day(2015, 1, 7), Some(day(2014, 12, 20)), 14);
        assert_eq!(draft.len(), 1);
        assert!(
            draft[0].message.starts_with("Published today, with 14 days' notice and as long a vote, voting could not close before 10 January 2015"),
            "{}",
            draft[0].message
        );
        assert!(check_ballot_dates(&plan, day(2014, 12, 31), day(2015, 1, 7), Some(day(2014, 12, 17)), 14).is_empty());
    }

    #[test]
    fn a_deadline_beyond_the_known_bank_holidays_says_so() {
        let plan = plan(&input(day(2040, 3, 1)), BankHolidays::england_and_wales());
        assert!(plan.beyond_known_holidays);
    }

    #[test]
    fn bad_numbers_are_named() {
        let mut bad = input(day(2015, 1, 9));
        bad.voting_days = 0;
        bad.consultation_days = 400;
        let fields: Vec<String> = bad.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["voting-days", "consultation-days"]);
    }
}
