//! The rules of suspending, resuming and voiding a ballot. No I/O.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use crate::error::FieldError;

pub const MAX_REASON: usize = 1000;

/// One suspension of a ballot, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suspension {
    pub number: i32,
    pub suspended_at: NaiveDateTime,
    pub suspended_by: String,
    pub reason: String,
    /// The close when voting was suspended.
    pub closes_at_before: NaiveDateTime,
    pub resumed_at: Option<NaiveDateTime>,
    pub resumed_by: Option<String>,
    pub closes_at_after: Option<NaiveDateTime>,
    /// Why the new close gave back less voting time than was left.
    pub short_reason: Option<String>,
}

impl Suspension {
    pub fn is_active(&self) -> bool {
        self.resumed_at.is_none()
    }

    /// The voting time that was left when voting was suspended.
    pub fn time_left(&self) -> Duration {
        (self.closes_at_before - self.suspended_at).max(Duration::zero())
    }

    /// The earliest close that gives that time back, resuming at `now`.
    pub fn fair_close(&self, now: NaiveDateTime) -> NaiveDateTime {
        now + self.time_left()
    }

    /// The close the resume form suggests: the fair close at `now`, at
    /// least five minutes on (the form is sent a little later, and the fair
    /// close moves with the clock), rounded up to a quarter hour.
    pub fn suggested_close(&self, now: NaiveDateTime) -> NaiveDateTime {
        use chrono::Timelike;
        let target = self.fair_close(now) + Duration::minutes(5);
        let minute = target
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(target);
        let past_quarter = i64::from(minute.minute() % 15);
        if past_quarter == 0 && minute == target {
            target
        } else {
            minute + Duration::minutes(15 - past_quarter)
        }
    }

    /// "Suspended at 9:00am on 12 January 2027 by Ann Officer: a link was
    /// sent to the wrong practice. Resumed at … ; voting then closed at …
    /// instead of …."
    pub fn in_words(&self) -> String {
        let mut words = format!(
            "Suspended at {} by {}: {}",
            crate::time::date_time(self.suspended_at),
            self.suspended_by,
            without_full_stop(&self.reason)
        );
        match (self.resumed_at, self.closes_at_after) {
            (Some(resumed), Some(after)) => {
                words.push_str(&format!(
                    ". Resumed at {} by {}, after {}; the close moved from {} to {}",
                    crate::time::date_time(resumed),
                    self.resumed_by.as_deref().unwrap_or("someone unrecorded"),
                    crate::format::duration_words(resumed - self.suspended_at),
                    crate::time::date_time(self.closes_at_before),
                    crate::time::date_time(after)
                ));
                if let Some(short) = &self.short_reason {
                    words.push_str(&format!(
                        ", less than the {} of voting that was left: {}",
                        crate::format::duration_words(self.time_left()),
                        without_full_stop(short)
                    ));
                }
                words.push('.');
            }
            _ => words.push_str(". Voting has not resumed."),
        }
        words
    }
}

/// A ballot declared void.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Void {
    pub ballot_id: i32,
    pub voided_at: NaiveDateTime,
    pub voided_by: String,
    pub reason: String,
    pub state_before: String,
    pub rerun_ballot_id: Option<i32>,
}

impl Void {
    /// "declared void at … by …: reason".
    pub fn in_words(&self) -> String {
        format!(
            "Ballot {} was declared void at {} by {}: {}",
            self.ballot_id,
            crate::time::date_time(self.voided_at),
            self.voided_by,
            without_full_stop(&self.reason)
        )
    }
}

/// A reason to be followed by more words: its own full stop left off.
fn without_full_stop(reason: &str) -> &str {
    reason.trim_end().trim_end_matches('.')
}

/// What happened to a ballot's voting beyond its timetable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interruptions {
    /// Every suspension, oldest first.
    pub suspensions: Vec<Suspension>,
    /// When this ballot was declared void.
    pub void: Option<Void>,
    /// When this ballot re-runs a void one: that one's record.
    pub rerun_of: Option<Void>,
}

impl Interruptions {
    /// The suspension in force, if voting is suspended now.
    pub fn active(&self) -> Option<&Suspension> {
        if self.void.is_some() {
            return None;
        }
        self.suspensions.iter().find(|s| s.is_active())
    }
}

/// A reason as kept: spaces collapsed; refused when empty or too long.
pub fn reason(field: &str, raw: &str, missing: &str) -> Result<String, FieldError> {
    let reason = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return Err(FieldError::new(field, missing));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(FieldError::new(field, "The reason must be 1,000 characters or less"));
    }
    Ok(reason)
}

/// Checks a resumption: the new close is in the future, and either gives
/// back the voting time that was left or comes with a reason for less.
/// Returns the reason to keep, if one was needed.
pub fn check_resume(
    suspension: &Suspension,
    now: NaiveDateTime,
    new_close: Option<NaiveDateTime>,
    short_reason: &str,
) -> Result<Option<String>, Vec<FieldError>> {
    let Some(new_close) = new_close else {
        return Err(vec![FieldError::new(
            "closes-at",
            "Enter the new closing date and time",
        )]);
    };
    if new_close <= now {
        return Err(vec![FieldError::new(
            "closes-at",
            format!(
                "The new close must be in the future; it is now {}",
                crate::time::date_time(now)
            ),
        )]);
    }
    let fair = suspension.fair_close(now);
    if new_close >= fair {
        return Ok(None);
    }
    let missing = format!(
        "Voting had {} left when it was suspended: a close at or after {} gives that time back. Choose a later close, or say why less time is enough",
        crate::format::duration_words(suspension.time_left()),
        crate::time::date_time(fair)
    );
    reason("short-reason", short_reason, &missing)
        .map(Some)
        .map_err(|e| vec![e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 1, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("a real time")
    }

    fn suspended() -> Suspension {
        Suspension {
            number: 1,
            suspended_at: at(10, 9),
            suspended_by: "Ann Officer".into(),
            reason: "Links went to the wrong practices".into(),
            closes_at_before: at(12, 17),
            resumed_at: None,
            resumed_by: None,
            closes_at_after: None,
            short_reason: None,
        }
    }

    #[test]
    fn resuming_gives_back_the_time_left_or_says_why_not() {
        let s = suspended();
        assert_eq!(s.time_left(), Duration::hours(56));
        let now = at(11, 9);
        assert_eq!(s.fair_close(now), at(13, 17));
        // Suggested: at least five minutes after the fair close, on a
        // quarter hour, whatever the seconds (the form drops them).
        let suggested = s.suggested_close(now);
        assert!(suggested >= s.fair_close(now) + Duration::minutes(5), "{suggested}");
        assert_eq!(chrono::Timelike::minute(&suggested) % 15, 0);
        assert_eq!(chrono::Timelike::second(&suggested), 0);
        for seconds in [0, 1, 59, 299, 300, 301, 899, 900] {
            let later = now + Duration::seconds(seconds);
            let suggested = s.suggested_close(later);
            assert!(
                suggested >= s.fair_close(later) + Duration::minutes(5),
                "{later}: {suggested}"
            );
            assert!(
                suggested < s.fair_close(later) + Duration::minutes(20),
                "{later}: {suggested}"
            );
            assert_eq!(
                (
                    chrono::Timelike::minute(&suggested) % 15,
                    chrono::Timelike::second(&suggested)
                ),
                (0, 0)
            );
        }
        assert_eq!(check_resume(&s, now, Some(at(13, 17)), ""), Ok(None));
        let short = check_resume(&s, now, Some(at(12, 17)), "").expect_err("less time needs a reason");
        assert_eq!(short[0].field, "short-reason");
        assert!(short[0].message.contains("2 days 8 hours left"), "{}", short[0].message);
        assert!(
            short[0].message.contains("5pm on 13 January 2027"),
            "{}",
            short[0].message
        );
        assert_eq!(
            check_resume(&s, now, Some(at(12, 17)), "  The  board meets on the 13th "),
            Ok(Some("The board meets on the 13th".into()))
        );
        let past = check_resume(&s, now, Some(at(11, 8)), "why").expect_err("past");
        assert_eq!(past[0].field, "closes-at");
        assert_eq!(
            check_resume(&s, now, None, "")
                .expect_err("missing")
                .first()
                .map(|e| e.field.as_str()),
            Some("closes-at")
        );
    }

    #[test]
    fn a_suspension_after_the_close_leaves_no_time_to_give_back() {
        let s = Suspension {
            closes_at_before: at(9, 17),
            ..suspended()
        };
        assert_eq!(s.time_left(), Duration::zero());
        assert_eq!(check_resume(&s, at(11, 9), Some(at(11, 10)), ""), Ok(None));
    }

    #[test]
    fn a_void_ballot_is_not_suspended_any_more() {
        let mut interruptions = Interruptions {
            suspensions: vec![suspended()],
            ..Interruptions::default()
        };
        assert!(interruptions.active().is_some());
        interruptions.void = Some(Void {
            ballot_id: 4,
            voided_at: at(11, 9),
            voided_by: "Ann Officer".into(),
            reason: "The electorate was wrong".into(),
            state_before: "open".into(),
            rerun_ballot_id: Some(5),
        });
        assert!(interruptions.active().is_none());
    }

    #[test]
    fn suspensions_read_as_a_sentence() {
        let ended = Suspension {
            reason: "The links are being checked.".into(),
            ..suspended()
        };
        assert!(
            ended.in_words().contains("being checked. Voting has not resumed."),
            "{}",
            ended.in_words()
        );
        let mut s = suspended();
        assert!(s.in_words().ends_with("Voting has not resumed."), "{}", s.in_words());
        s.resumed_at = Some(at(11, 9));
        s.resumed_by = Some("Ann Officer".into());
        s.closes_at_after = Some(at(12, 17));
        s.short_reason = Some("The board meets on the 13th".into());
        let words = s.in_words();
        assert!(words.contains("after 1 day"), "{words}");
        assert!(
            words.contains("less than the 2 days 8 hours of voting that was left: The board meets on the 13th."),
            "{words}"
        );
    }

    #[test]
    fn reasons_are_needed_and_bounded() {
        assert!(reason("reason", "  ", "Enter why").is_err());
        assert!(reason("reason", &"x".repeat(1001), "Enter why").is_err());
        assert_eq!(reason("reason", " a\n b ", "Enter why"), Ok("a b".into()));
    }
}
