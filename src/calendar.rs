//! Working days in England: Monday to Friday, not a bank holiday. The bank
//! holidays are GOV.UK's list for England and Wales, shipped in
//! `config/bank-holidays-england-and-wales.json` and refreshed with
//! `config/refresh-bank-holidays.sh`; nothing is fetched at run time.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;

const SHIPPED: &str = include_str!("../config/bank-holidays-england-and-wales.json");

#[derive(Deserialize)]
struct Division {
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    title: String,
    date: NaiveDate,
}

/// Bank holidays by date, with their names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankHolidays {
    days: BTreeMap<NaiveDate, String>,
}

static ENGLAND_AND_WALES: LazyLock<BankHolidays> =
    LazyLock::new(|| BankHolidays::from_json(SHIPPED).unwrap_or_default());

impl BankHolidays {
    /// The list shipped with Quorate (a unit test checks it reads).
    pub fn england_and_wales() -> &'static BankHolidays {
        &ENGLAND_AND_WALES
    }

    /// Reads GOV.UK's format for one division: `{"events": [{"title", "date"}…]}`.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let division: Division = serde_json::from_str(text)?;
        Ok(BankHolidays {
            days: division.events.into_iter().map(|e| (e.date, e.title)).collect(),
        })
    }

    pub fn name(&self, day: NaiveDate) -> Option<&str> {
        self.days.get(&day).map(String::as_str)
    }

    /// The years the list covers, first and last.
    pub fn years(&self) -> Option<(i32, i32)> {
        Some((self.days.keys().next()?.year(), self.days.keys().next_back()?.year()))
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.years()
            .is_some_and(|(first, last)| (first..=last).contains(&day.year()))
    }

    /// Why `day` is not a working day ("Saturday", "Boxing Day"), if it is not.
    pub fn closed(&self, day: NaiveDate) -> Option<String> {
        match day.weekday() {
            Weekday::Sat => Some("Saturday".to_string()),
            Weekday::Sun => Some("Sunday".to_string()),
            _ => self.name(day).map(str::to_string),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.closed(day).is_none()
    }

    /// `day` itself if it is a working day, else the working day before it.
    pub fn on_or_before(&self, mut day: NaiveDate) -> NaiveDate {
        while !self.is_working_day(day) {
            day -= Duration::days(1);
        }
        day
    }

    /// The working day `count` working days before `day`.
    pub fn working_days_before(&self, mut day: NaiveDate, count: u32) -> NaiveDate {
        for _ in 0..count {
            day = self.on_or_before(day - Duration::days(1));
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn the_shipped_list_reads_and_has_the_known_days() {
        let holidays = BankHolidays::england_and_wales();
        let (first, last) = holidays.years().expect("not empty");
        assert!(first <= 2014 && last >= 2028, "{first}–{last}");
        assert_eq!(holidays.name(day(2014, 12, 26)), Some("Boxing Day"));
        assert_eq!(holidays.name(day(2015, 4, 3)), Some("Good Friday"));
        assert_eq!(holidays.name(day(2020, 5, 8)), Some("Early May bank holiday (VE day)"));
        assert_eq!(
            holidays.name(day(2022, 9, 19)),
            Some("State Funeral of Queen Elizabeth II")
        );
        // Christmas on a Saturday: the Monday and Tuesday after are the holidays.
        assert_eq!(holidays.name(day(2021, 12, 27)), Some("Christmas Day"));
        assert_eq!(holidays.name(day(2021, 12, 28)), Some("Boxing Day"));
        assert_eq!(holidays.name(day(2027, 3, 29)), Some("Easter Monday"));
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        let holidays = BankHolidays::england_and_wales();
        // Christmas 2014: Thursday 25 and Friday 26 are bank holidays, then
        // the weekend; New Year's Day is Thursday 1 January.
        assert_eq!(holidays.on_or_before(day(2014, 12, 28)), day(2014, 12, 24));
        assert_eq!(holidays.working_days_before(day(2015, 1, 2), 1), day(2014, 12, 31));
        assert_eq!(holidays.working_days_before(day(2014, 12, 29), 2), day(2014, 12, 23));
        assert_eq!(holidays.closed(day(2015, 1, 1)).as_deref(), Some("New Year’s Day"));
        assert_eq!(holidays.closed(day(2015, 1, 3)).as_deref(), Some("Saturday"));
        // Easter 2015: Good Friday 3 April, Easter Monday 6 April.
        assert_eq!(holidays.on_or_before(day(2015, 4, 6)), day(2015, 4, 2));
        assert!(holidays.is_working_day(day(2015, 4, 7)));
    }
}
