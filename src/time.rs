//! Times are stored in UTC and shown in Europe/London, in NHS style:
//! "5:30pm on 9 January 2026", "midday", "midnight".

use chrono::{NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Europe::London;

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

/// A calendar day (no time of day, so no time zone): "9 January 2026".
pub fn day(day: chrono::NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// "5:30pm on 9 January 2026".
pub fn date_time(utc: NaiveDateTime) -> String {
    format!("{} on {}", clock(utc), date(utc))
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
    fn winter_times_are_gmt() {
        assert_eq!(date_time(utc(2026, 1, 9, 17, 0)), "5pm on 9 January 2026");
        assert_eq!(date_time(utc(2026, 1, 9, 17, 30)), "5:30pm on 9 January 2026");
        assert_eq!(clock(utc(2026, 1, 9, 12, 0)), "midday");
        assert_eq!(clock(utc(2026, 1, 9, 0, 0)), "midnight");
        assert_eq!(clock(utc(2026, 1, 9, 9, 5)), "9:05am");
    }

    #[test]
    fn summer_times_are_bst() {
        // 16:00 UTC in July is 5pm in London.
        assert_eq!(date_time(utc(2026, 7, 1, 16, 0)), "5pm on 1 July 2026");
        // 23:30 UTC on 30 June is 12:30am on 1 July in London.
        assert_eq!(date_time(utc(2026, 6, 30, 23, 30)), "12:30am on 1 July 2026");
    }
}
