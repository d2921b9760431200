//! Times are stored in UTC and shown in Europe/London, in NHS style:
//! "5:30pm on 9 January 2026", "midday", "midnight".

use chrono::{NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Europe::London;

/// RFC 3339 in UTC to the second, as the API writes times.
pub fn rfc3339(utc: NaiveDateTime) -> String {
    utc.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn london(utc: NaiveDateTime) -> chrono::DateTime<chrono_tz::Tz> {
    London.from_utc_datetime(&utc)
}

/// "5pm", "5:30pm", "midday", "midnight".
pub fn clock(utc: NaiveDateTime) -> String {
    let local = london(utc);
    let (hour, minute) = (local.hour(), local.minute());
    match (hour, minute) {
        (0, 0) => "midnight".to_owned(),
        (12, 0) => "midday".to_owned(),
        _ => {
            let suffix = if hour < 12 { "am" } else { "pm" };
            let hour12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            if minute == 0 {
                format!("{hour12}{suffix}")
            } else {
                format!("{hour12}:{minute:02}{suffix}")
            }
        }
    }
}

/// "9 January 2026".
pub fn date(utc: NaiveDateTime) -> String {
    london(utc).format("%-d %B %Y").to_string()
}

/// The calendar day in England at that moment.
pub fn london_day(utc: NaiveDateTime) -> chrono::NaiveDate {
    london(utc).date_naive()
}

/// A calendar day (no time of day, so no time zone): "9 January 2026".
pub fn day(day: chrono::NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// How long, in the largest whole unit: "6 minutes", "3 hours", "14 days".
pub fn span(d: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if d.num_days() >= 2 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        plural(d.num_hours(), "hour")
    } else {
        plural(d.num_minutes().max(0), "minute")
    }
}

/// "5:30pm on 9 January 2026".
pub fn date_time(utc: NaiveDateTime) -> String {
    format!("{} on {}", clock(utc), date(utc))
}

/// A date and time someone entered for the UK ("2027-01-09", "17:00") as
/// UTC. A time the clocks skip does not exist and is refused; a time they
/// pass twice is taken as the first.
pub fn from_london(date: &str, time: &str) -> Result<NaiveDateTime, String> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| "Enter a real date, like 2027-01-09".to_owned())?;
    let clock = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M")
        .map_err(|_| "Enter a time on the 24-hour clock, like 17:00".to_owned())?;
    match London.from_local_datetime(&day.and_time(clock)) {
        chrono::LocalResult::Single(t) => Ok(t.naive_utc()),
        chrono::LocalResult::Ambiguous(first, _) => Ok(first.naive_utc()),
        chrono::LocalResult::None => Err(format!(
            "{} does not exist in the UK on {}: the clocks go forward then. Choose another time",
            time.trim(),
            day.format("%-d %B %Y")
        )),
    }
}

/// The UK date and time of `utc` as form fields: ("2027-01-09", "17:00").
pub fn to_london_fields(utc: NaiveDateTime) -> (String, String) {
    let local = london(utc);
    (local.format("%Y-%m-%d").to_string(), local.format("%H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid")
    }

    #[test]
    fn spans_are_in_the_largest_whole_unit() {
        assert_eq!(super::span(chrono::Duration::minutes(6)), "6 minutes");
        assert_eq!(super::span(chrono::Duration::minutes(61)), "1 hour");
        assert_eq!(super::span(chrono::Duration::hours(47)), "47 hours");
        assert_eq!(super::span(chrono::Duration::days(14)), "14 days");
    }

    #[test]
    fn winter_times_are_gmt() {
        assert_eq!(date_time(utc(2026, 1, 9, 17, 0)), "5pm on 9 January 2026");
        assert_eq!(date_time(utc(2026, 1, 9, 17, 30)), "5:30pm on 9 January 2026");
        assert_eq!(clock(utc(2026, 1, 9, 12, 0)), "midday");
        assert_eq!(clock(utc(2026, 1, 9, 0, 0)), "midnight");
        assert_eq!(clock(utc(2026, 1, 9, 9, 5)), "9:05am");
    }

    #[test]
    fn uk_times_entered_in_forms_become_utc() {
        assert_eq!(from_london("2027-01-09", "17:00"), Ok(utc(2027, 1, 9, 17, 0)));
        assert_eq!(from_london("2026-07-01", "17:00"), Ok(utc(2026, 7, 1, 16, 0)));
        assert!(
            from_london("2026-03-29", "01:30")
                .expect_err("gap")
                .contains("clocks go forward")
        );
        // 1:30am on 25 October 2026 happens twice: the first is BST.
        assert_eq!(from_london("2026-10-25", "01:30"), Ok(utc(2026, 10, 25, 0, 30)));
        assert!(from_london("2026-02-30", "10:00").is_err());
        assert!(from_london("2026-02-03", "25:00").is_err());
        assert_eq!(
            to_london_fields(utc(2026, 7, 1, 16, 0)),
            ("2026-07-01".to_owned(), "17:00".to_owned())
        );
    }

    #[test]
    fn summer_times_are_bst() {
        // 16:00 UTC in July is 5pm in London.
        assert_eq!(date_time(utc(2026, 7, 1, 16, 0)), "5pm on 1 July 2026");
        // 23:30 UTC on 30 June is 12:30am on 1 July in London.
        assert_eq!(date_time(utc(2026, 6, 30, 23, 30)), "12:30am on 1 July 2026");
    }
}
