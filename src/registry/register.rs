//! The register as it stood on a date, searched, filtered, sorted and cut
//! into pages. Pure: the service hands it the members and list sizes.

use chrono::NaiveDate;
use serde::Serialize;

use super::model::PracticeStatus;
use super::store::Practice;

/// One member practice as at a date.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterEntry {
    pub code: String,
    pub name: String,
    pub postcode: String,
    pub address: String,
    pub status: PracticeStatus,
    pub joined_on: NaiveDate,
    /// The latest list size extracted on or before the date.
    pub list_size: Option<(NaiveDate, i32)>,
    /// It had a nominated voting representative on the date.
    pub has_nominated: bool,
}

/// A practice's status on `day`, from its current status and its dates.
pub fn status_on(practice: &Practice, day: NaiveDate) -> PracticeStatus {
    if practice.closed_on.is_some_and(|closed| closed <= day) {
        return PracticeStatus::Closed;
    }
    if practice.opened_on.is_some_and(|opened| opened > day) {
        return PracticeStatus::Proposed;
    }
    match PracticeStatus::parse(&practice.status) {
        // Closed later than `day`: it was open then.
        Some(PracticeStatus::Closed) if practice.closed_on.is_some() => PracticeStatus::Active,
        Some(status) => status,
        None => PracticeStatus::Active,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Name,
    Code,
    ListSize,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "name" => Some(SortKey::Name),
            "code" => Some(SortKey::Code),
            "list_size" => Some(SortKey::ListSize),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Code => "code",
            SortKey::ListSize => "list_size",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RegisterQuery {
    /// Matches name, ODS code or postcode, ignoring case and spaces.
    pub search: String,
    /// Empty: every status.
    pub statuses: Vec<PracticeStatus>,
    pub min_list_size: Option<i32>,
    pub max_list_size: Option<i32>,
    /// Only practices with (true) or without (false) a nominated representative.
    pub nominated: Option<bool>,
    pub sort: SortKey,
    pub descending: bool,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
}

impl Default for RegisterQuery {
    fn default() -> Self {
        RegisterQuery {
            search: String::new(),
            statuses: Vec::new(),
            min_list_size: None,
            max_list_size: None,
            nominated: None,
            sort: SortKey::Name,
            descending: false,
            page: 1,
            per_page: 50,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegisterPage {
    pub entries: Vec<RegisterEntry>,
    /// Matching entries on all pages.
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn select(entries: Vec<RegisterEntry>, query: &RegisterQuery) -> RegisterPage {
    let needle = squash(&query.search);
    let mut matching: Vec<RegisterEntry> = entries
        .into_iter()
        .filter(|e| {
            needle.is_empty()
                || squash(&e.name).contains(&needle)
                || squash(&e.code).contains(&needle)
                || squash(&e.postcode).contains(&needle)
        })
        .filter(|e| query.statuses.is_empty() || query.statuses.contains(&e.status))
        .filter(|e| query.nominated.is_none_or(|wanted| e.has_nominated == wanted))
        .filter(|e| {
            let size = e.list_size.map(|(_, n)| n);
            query.min_list_size.is_none_or(|min| size.is_some_and(|n| n >= min))
                && query.max_list_size.is_none_or(|max| size.is_some_and(|n| n <= max))
        })
        .collect();
    match query.sort {
        SortKey::Name => matching.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.code.cmp(&b.code))),
        SortKey::Code => matching.sort_by(|a, b| a.code.cmp(&b.code)),
        SortKey::ListSize => matching.sort_by(|a, b| {
            a.list_size
                .map(|(_, n)| n)
                .cmp(&b.list_size.map(|(_, n)| n))
                .then_with(|| a.code.cmp(&b.code))
        }),
    }
    if query.descending {
        matching.reverse();
    }
    let total = matching.len();
    let per_page = query.per_page.max(1);
    let pages = total.div_ceil(per_page).max(1);
    let page = query.page.clamp(1, pages);
    let entries = matching
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    RegisterPage {
        entries,
        total,
        page,
        pages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn entry(code: &str, name: &str, postcode: &str, status: PracticeStatus, size: Option<i32>) -> RegisterEntry {
        RegisterEntry {
            code: code.into(),
            name: name.into(),
            postcode: postcode.into(),
            address: String::new(),
            status,
            joined_on: day(2013, 4, 1),
            list_size: size.map(|n| (day(2021, 1, 1), n)),
            has_nominated: code == "F84012",
        }
    }

    fn sample() -> Vec<RegisterEntry> {
        vec![
            entry(
                "F84012",
                "Albion Health Centre",
                "E1 1BU",
                PracticeStatus::Active,
                Some(12000),
            ),
            entry(
                "F84016",
                "The Mission Practice",
                "E2 6HG",
                PracticeStatus::Active,
                Some(8000),
            ),
            entry("F84025", "Gough Walk Practice", "E14 6PB", PracticeStatus::Closed, None),
            entry("Y01234", "Albion Branch", "E1 2AA", PracticeStatus::Dormant, Some(2000)),
        ]
    }

    #[test]
    fn search_matches_name_code_and_postcode() {
        let by_name = select(
            sample(),
            &RegisterQuery {
                search: "albion".into(),
                ..Default::default()
            },
        );
        assert_eq!(by_name.total, 2);
        let by_code = select(
            sample(),
            &RegisterQuery {
                search: "f84016".into(),
                ..Default::default()
            },
        );
        assert_eq!(by_code.entries[0].name, "The Mission Practice");
        let by_postcode = select(
            sample(),
            &RegisterQuery {
                search: "e146pb".into(),
                ..Default::default()
            },
        );
        assert_eq!(by_postcode.entries[0].code, "F84025");
    }

    #[test]
    fn filters_sort_and_pages() {
        let active = select(
            sample(),
            &RegisterQuery {
                statuses: vec![PracticeStatus::Active],
                ..Default::default()
            },
        );
        assert_eq!(active.total, 2);
        let sized = select(
            sample(),
            &RegisterQuery {
                min_list_size: Some(5000),
                max_list_size: Some(10000),
                ..Default::default()
            },
        );
        assert_eq!(
            sized.entries.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            vec!["F84016"]
        );
        let biggest_first = select(
            sample(),
            &RegisterQuery {
                sort: SortKey::ListSize,
                descending: true,
                ..Default::default()
            },
        );
        assert_eq!(biggest_first.entries[0].code, "F84012");
        let represented = select(
            sample(),
            &RegisterQuery {
                nominated: Some(true),
                ..Default::default()
            },
        );
        assert_eq!(
            represented.entries.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            vec!["F84012"]
        );
        assert_eq!(
            select(
                sample(),
                &RegisterQuery {
                    nominated: Some(false),
                    ..Default::default()
                }
            )
            .total,
            3
        );
        let page_two = select(
            sample(),
            &RegisterQuery {
                per_page: 3,
                page: 2,
                ..Default::default()
            },
        );
        assert_eq!(
            (page_two.total, page_two.pages, page_two.page, page_two.entries.len()),
            (4, 2, 2, 1)
        );
        let beyond = select(
            sample(),
            &RegisterQuery {
                per_page: 3,
                page: 9,
                ..Default::default()
            },
        );
        assert_eq!(beyond.page, 2, "clamped to the last page");
    }

    #[test]
    fn status_follows_the_dates() {
        let practice = Practice {
            id: 1,
            ods_code: "F84025".into(),
            name: "Gough Walk Practice".into(),
            is_demo: false,
            created_at: day(2020, 1, 1).and_hms_opt(0, 0, 0).expect("time"),
            address_1: String::new(),
            address_2: String::new(),
            address_3: String::new(),
            address_4: String::new(),
            address_5: String::new(),
            postcode: String::new(),
            status: "closed".into(),
            opened_on: Some(day(1974, 4, 1)),
            closed_on: Some(day(2018, 3, 31)),
            telephone: String::new(),
            prescribing_setting: "4".into(),
        };
        assert_eq!(status_on(&practice, day(2017, 12, 1)), PracticeStatus::Active);
        assert_eq!(status_on(&practice, day(2018, 3, 31)), PracticeStatus::Closed);
        assert_eq!(status_on(&practice, day(1970, 1, 1)), PracticeStatus::Proposed);
    }
}
