//! The register of interests without I/O, as NHS England's guidance on
//! managing conflicts of interest asks it to be kept: declarations in the
//! guidance's categories and types, a flag on those declared more than 28
//! days after the interest arose, gifts and hospitality with their value
//! and whether they were accepted, and the rules of publication (an entry
//! stays public until six months after the interest ends, is kept six
//! years, and may be withheld only with a recorded reason).

use chrono::{Months, NaiveDate};

/// The guidance's categories of interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Financial,
    NonFinancialProfessional,
    NonFinancialPersonal,
    Indirect,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Financial,
        Category::NonFinancialProfessional,
        Category::NonFinancialPersonal,
        Category::Indirect,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Category::Financial => "financial",
            Category::NonFinancialProfessional => "non_financial_professional",
            Category::NonFinancialPersonal => "non_financial_personal",
            Category::Indirect => "indirect",
        }
    }

    pub fn parse(key: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == key)
    }

    pub fn words(self) -> &'static str {
        match self {
            Category::Financial => "Financial interest",
            Category::NonFinancialProfessional => "Non-financial professional interest",
            Category::NonFinancialPersonal => "Non-financial personal interest",
            Category::Indirect => "Indirect interest",
        }
    }
}

/// The guidance's types of interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    OutsideEmployment,
    Shareholdings,
    Gifts,
    Hospitality,
    SponsoredEvents,
    SponsoredPosts,
    SponsoredResearch,
    Donations,
    Patents,
    LoyaltyInterests,
    ClinicalPrivatePractice,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::OutsideEmployment,
        Kind::Shareholdings,
        Kind::Gifts,
        Kind::Hospitality,
        Kind::SponsoredEvents,
        Kind::SponsoredPosts,
        Kind::SponsoredResearch,
        Kind::Donations,
        Kind::Patents,
        Kind::LoyaltyInterests,
        Kind::ClinicalPrivatePractice,
        Kind::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::OutsideEmployment => "outside_employment",
            Kind::Shareholdings => "shareholdings",
            Kind::Gifts => "gifts",
            Kind::Hospitality => "hospitality",
            Kind::SponsoredEvents => "sponsored_events",
            Kind::SponsoredPosts => "sponsored_posts",
            Kind::SponsoredResearch => "sponsored_research",
            Kind::Donations => "donations",
            Kind::Patents => "patents",
            Kind::LoyaltyInterests => "loyalty_interests",
            Kind::ClinicalPrivatePractice => "clinical_private_practice",
            Kind::Other => "other",
        }
    }

    pub fn parse(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }

    pub fn words(self) -> &'static str {
        match self {
            Kind::OutsideEmployment => "Outside employment",
            Kind::Shareholdings => "Shareholdings and other ownership interests",
            Kind::Gifts => "Gifts",
            Kind::Hospitality => "Hospitality",
            Kind::SponsoredEvents => "Sponsored events",
            Kind::SponsoredPosts => "Sponsored posts",
            Kind::SponsoredResearch => "Sponsored research",
            Kind::Donations => "Donations",
            Kind::Patents => "Patents",
            Kind::LoyaltyInterests => "Loyalty interests",
            Kind::ClinicalPrivatePractice => "Clinical private practice",
            Kind::Other => "Other",
        }
    }

    /// Gifts and hospitality are registered with their value and whether
    /// they were accepted or declined.
    pub fn has_value(self) -> bool {
        matches!(self, Kind::Gifts | Kind::Hospitality)
    }
}

/// How long after an interest arises it must be declared.
pub const DECLARE_WITHIN_DAYS: i64 = 28;
/// How long after an interest ends it stays on the public register.
pub const PUBLIC_FOR_MONTHS: u32 = 6;
/// How long after an interest ends its record is kept.
pub const KEPT_FOR_YEARS: u32 = 6;

/// A declaration as the register holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub category: Category,
    pub kind: Kind,
    /// Who the interest is with: a company, a practice, a charity.
    pub counterparty: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub declared_on: NaiveDate,
    /// For gifts and hospitality: the value in pence, and whether accepted.
    pub value_pence: Option<i64>,
    pub accepted: Option<bool>,
    /// What was agreed to manage the interest, and who agreed it.
    pub management: String,
    pub agreed_by: String,
    /// Withheld from the public register, with the recorded reason.
    pub withheld_reason: Option<String>,
}

/// What is wrong with a declaration, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

impl Declaration {
    /// Every problem with the declaration, so the form shows them together.
    pub fn problems(&self, today: NaiveDate) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.counterparty.trim().is_empty() {
            problems.push(problem("counterparty", "Enter who the interest is with"));
        }
        if self.description.trim().is_empty() {
            problems.push(problem("description", "Describe the interest"));
        }
        if self.counterparty.chars().count() > 200 {
            problems.push(problem(
                "counterparty",
                "Who the interest is with must be 200 characters or fewer",
            ));
        }
        if self.description.chars().count() > 2000 {
            problems.push(problem(
                "description",
                "The description must be 2,000 characters or fewer",
            ));
        }
        if self.ends_on.is_some_and(|end| end < self.starts_on) {
            problems.push(problem("ends", "The interest cannot end before it started"));
        }
        if self.declared_on > today {
            problems.push(problem("declared", "The date declared cannot be in the future"));
        }
        if self.kind.has_value() {
            match self.value_pence {
                None => problems.push(problem(
                    "value",
                    "Enter the value of the gift or hospitality, in pounds",
                )),
                Some(v) if v < 0 => problems.push(problem("value", "The value cannot be negative")),
                Some(_) => {}
            }
            if self.accepted.is_none() {
                problems.push(problem(
                    "accepted",
                    "Say whether the gift or hospitality was accepted or declined",
                ));
            }
        } else {
            if self.value_pence.is_some() {
                problems.push(problem("value", "A value is recorded only for gifts and hospitality"));
            }
            if self.accepted.is_some() {
                problems.push(problem(
                    "accepted",
                    "Accepted or declined is recorded only for gifts and hospitality",
                ));
            }
        }
        if self.management.trim().is_empty() {
            problems.push(problem(
                "management",
                "Enter the action agreed to manage the interest, or \"No action needed\" with the reason",
            ));
        } else if self.management.chars().count() > 2000 {
            problems.push(problem(
                "management",
                "The action taken must be 2,000 characters or fewer",
            ));
        }
        if self.agreed_by.trim().is_empty() {
            problems.push(problem("agreed-by", "Enter who agreed the action"));
        } else if self.agreed_by.chars().count() > 200 {
            problems.push(problem(
                "agreed-by",
                "Who agreed the action must be 200 characters or fewer",
            ));
        }
        if self.withheld_reason.as_deref().is_some_and(|r| r.chars().count() > 500) {
            problems.push(problem("withheld-reason", "The reason must be 500 characters or fewer"));
        }
        if self
            .withheld_reason
            .as_deref()
            .is_some_and(|reason| reason.trim().is_empty())
        {
            problems.push(problem(
                "withheld-reason",
                "Give the reason the entry is withheld from the public register",
            ));
        }
        problems
    }

    /// Declared more than 28 days after the interest arose.
    pub fn declared_late(&self) -> bool {
        self.declared_late_after(None)
    }

    /// Declared more than 28 days after the interest arose or, for one
    /// already held when the person was appointed, after the appointment.
    pub fn declared_late_after(&self, appointed_on: Option<NaiveDate>) -> bool {
        let due_from = appointed_on.map_or(self.starts_on, |a| a.max(self.starts_on));
        (self.declared_on - due_from).num_days() > DECLARE_WITHIN_DAYS
    }

    /// Still held after `today`: running, and not ending today. A return
    /// made on the day an interest ends need not declare it.
    pub fn running_after(&self, today: NaiveDate) -> bool {
        self.starts_on <= today && self.ends_on.is_none_or(|end| end > today)
    }

    /// Still held on `today`.
    pub fn current(&self, today: NaiveDate) -> bool {
        self.starts_on <= today && self.ends_on.is_none_or(|end| end >= today)
    }

    /// On the public register on `today`: not withheld, and not ended more
    /// than six months ago. (Only decision-makers' registers are public;
    /// the caller picks whose entries to pass.)
    pub fn public_on(&self, today: NaiveDate) -> bool {
        self.withheld_reason.is_none()
            && self.ends_on.is_none_or(|end| {
                end.checked_add_months(Months::new(PUBLIC_FOR_MONTHS))
                    .is_none_or(|until| today <= until)
            })
    }

    /// The declaration as the register keeps it once its holder has left
    /// (on `left_on`): an interest still running then ended, for the
    /// register, when they left; the entry itself is not changed.
    pub fn held_until_leaving(self, left_on: Option<NaiveDate>) -> Declaration {
        let mut kept = self;
        // One that arose after they left is not capped (it is refused when
        // declared, but one recorded before the leaving date was set stays).
        if let Some(left) = left_on.filter(|left| kept.starts_on <= *left) {
            kept.ends_on = Some(kept.ends_on.map_or(left, |end| end.min(left)));
        }
        kept
    }

    /// Past its keeping: ended more than six years ago, so retention may
    /// delete it.
    pub fn expired_on(&self, today: NaiveDate) -> bool {
        self.ends_on.is_some_and(|end| {
            end.checked_add_months(Months::new(KEPT_FOR_YEARS * 12))
                .is_some_and(|until| today > until)
        })
    }

    /// Whether the interest touches one of an agenda item's declared
    /// subjects: the counterparty or the description names it, ignoring
    /// case and spacing. Subjects are what an item is about (a practice's
    /// ODS code or name, a provider, a service).
    pub fn touches(&self, subjects: &[String]) -> bool {
        let haystack = normalise(&format!("{} {}", self.counterparty, self.description));
        subjects
            .iter()
            .map(|s| normalise(s))
            .filter(|s| s.trim().chars().count() >= 3)
            .any(|subject| haystack.contains(&subject))
    }
}

/// Lower case, punctuation as spaces, single spaces, padded so a whole-word
/// search is a substring search.
fn normalise(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    format!(" {} ", cleaned.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Reads a value in pounds ("25", "25.50", "£1,200") as pence.
pub fn parse_pounds(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (pounds, pence) = match cleaned.split_once('.') {
        Some((p, d)) if d.len() == 2 && d.chars().all(|c| c.is_ascii_digit()) => (p, d.parse::<i64>().ok()?),
        Some(_) => return None,
        None => (cleaned.as_str(), 0),
    };
    if pounds.is_empty() || !pounds.chars().all(|c| c.is_ascii_digit()) || pounds.len() > 9 {
        return None;
    }
    Some(pounds.parse::<i64>().ok()? * 100 + pence)
}

/// Pence as pounds for display: 2550 → "£25.50".
pub fn pounds(pence: i64) -> String {
    let whole = pence / 100;
    let grouped = crate::format::count(whole.unsigned_abs());
    match pence % 100 {
        0 => format!("£{grouped}"),
        p => format!("£{grouped}.{p:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn shares() -> Declaration {
        Declaration {
            category: Category::Financial,
            kind: Kind::Shareholdings,
            counterparty: "Riverside Health Ltd".into(),
            description: "Shares in the GP federation providing extended access, including Brick Lane Surgery (F84004)"
                .into(),
            starts_on: date(2026, 1, 1),
            ends_on: None,
            declared_on: date(2026, 1, 20),
            value_pence: None,
            accepted: None,
            management: "Leaves the meeting for decisions on extended access".into(),
            agreed_by: "The chair".into(),
            withheld_reason: None,
        }
    }

    #[test]
    fn a_leavers_running_interest_leaves_the_public_register_six_months_after_they_left() {
        let d = shares();
        let left = date(2026, 3, 31);
        let kept = d.clone().held_until_leaving(Some(left));
        assert_eq!(kept.ends_on, Some(left));
        assert!(kept.public_on(date(2026, 9, 30)));
        assert!(!kept.public_on(date(2026, 10, 1)));
        assert!(d.public_on(date(2026, 10, 1)), "the entry itself is unchanged");
        let mut ended_earlier = shares();
        ended_earlier.ends_on = Some(date(2026, 2, 1));
        assert_eq!(
            ended_earlier.held_until_leaving(Some(left)).ends_on,
            Some(date(2026, 2, 1))
        );
        assert_eq!(d.clone().held_until_leaving(None).ends_on, None);
        assert_eq!(
            d.clone().held_until_leaving(Some(date(2025, 12, 31))).ends_on,
            None,
            "one that arose after they left is not ended by it"
        );
        assert!(d.running_after(date(2026, 6, 1)));
        let mut ending = shares();
        ending.ends_on = Some(date(2026, 6, 1));
        assert!(ending.current(date(2026, 6, 1)) && !ending.running_after(date(2026, 6, 1)));
    }

    #[test]
    fn a_declaration_more_than_28_days_late_is_flagged() {
        let mut d = shares();
        assert!(!d.declared_late());
        d.declared_on = date(2026, 1, 29);
        assert!(!d.declared_late(), "28 days is in time");
        d.declared_on = date(2026, 1, 30);
        assert!(d.declared_late());
    }

    #[test]
    fn an_interest_held_on_appointment_is_due_28_days_after_it() {
        let mut d = shares();
        d.starts_on = date(2020, 1, 1);
        d.declared_on = date(2026, 2, 20);
        assert!(d.declared_late(), "years after it arose");
        assert!(
            !d.declared_late_after(Some(date(2026, 2, 1))),
            "within 28 days of the appointment"
        );
        assert!(
            d.declared_late_after(Some(date(2026, 1, 1))),
            "50 days after the appointment"
        );
        d.starts_on = date(2026, 3, 1);
        d.declared_on = date(2026, 4, 15);
        assert!(
            d.declared_late_after(Some(date(2026, 1, 1))),
            "arose after the appointment: due from when it arose"
        );
    }

    #[test]
    fn an_ended_interest_is_public_for_six_months_then_kept_to_six_years() {
        let mut d = shares();
        d.ends_on = Some(date(2026, 3, 31));
        assert!(d.public_on(date(2026, 9, 30)));
        assert!(!d.public_on(date(2026, 10, 1)));
        assert!(!d.expired_on(date(2032, 3, 31)));
        assert!(d.expired_on(date(2032, 4, 1)));
        let current = shares();
        assert!(current.public_on(date(2040, 1, 1)));
        assert!(!current.expired_on(date(2040, 1, 1)));
    }

    #[test]
    fn a_withheld_entry_is_never_public_and_needs_a_reason() {
        let mut d = shares();
        d.withheld_reason = Some("Risk to the member's safety".into());
        assert!(!d.public_on(date(2026, 2, 1)));
        assert!(d.problems(date(2026, 2, 1)).is_empty());
        d.withheld_reason = Some("  ".into());
        assert_eq!(d.problems(date(2026, 2, 1))[0].field, "withheld-reason");
    }

    #[test]
    fn gifts_need_a_value_and_a_decision_and_other_kinds_none() {
        let mut gift = shares();
        gift.kind = Kind::Gifts;
        let fields: Vec<&str> = gift.problems(date(2026, 2, 1)).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["value", "accepted"]);
        gift.value_pence = Some(4_500);
        gift.accepted = Some(false);
        assert!(gift.problems(date(2026, 2, 1)).is_empty());
        let mut shares = shares();
        shares.value_pence = Some(100);
        assert_eq!(shares.problems(date(2026, 2, 1))[0].field, "value");
    }

    #[test]
    fn dates_in_the_wrong_order_or_the_future_are_named() {
        let mut d = shares();
        d.ends_on = Some(date(2025, 12, 31));
        d.declared_on = date(2026, 3, 1);
        let fields: Vec<&str> = d.problems(date(2026, 2, 1)).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["ends", "declared"]);
    }

    #[test]
    fn an_interest_touches_an_item_naming_its_counterparty_or_a_practice_in_it() {
        let d = shares();
        assert!(d.touches(&["riverside health LTD".into()]));
        assert!(d.touches(&["F84004".into()]));
        assert!(d.touches(&["Brick Lane Surgery".into()]));
        assert!(!d.touches(&["F84005".into(), "Limehouse".into()]));
        assert!(!d.touches(&["ex".into()]), "a fragment of a word matches nothing");
        assert!(!d.touches(&["Riverside Healthcare".into()]), "whole words only");
    }

    #[test]
    fn pounds_are_read_and_written_to_the_penny() {
        assert_eq!(parse_pounds("25"), Some(2_500));
        assert_eq!(parse_pounds("£1,200.50"), Some(120_050));
        assert_eq!(parse_pounds("12.5"), None);
        assert_eq!(parse_pounds("-3"), None);
        assert_eq!(parse_pounds(""), None);
        assert_eq!(pounds(120_050), "£1,200.50");
        assert_eq!(pounds(4_500), "£45");
    }

    proptest! {
        #[test]
        fn what_is_expired_is_never_public_unless_current(start in 0i64..5000, length in 0i64..3000, today in 0i64..10000) {
            let base = date(2010, 1, 1);
            let mut d = shares();
            d.starts_on = base + chrono::Duration::days(start);
            d.ends_on = Some(d.starts_on + chrono::Duration::days(length));
            d.declared_on = d.starts_on;
            let today = base + chrono::Duration::days(today);
            prop_assert!(!(d.expired_on(today) && d.public_on(today)));
            prop_assert!(!d.current(today) || d.public_on(today));
        }

        #[test]
        fn pounds_round_trip(pence in 0i64..100_000_000_000) {
            prop_assert_eq!(parse_pounds(&pounds(pence)), Some(pence));
        }
    }
}
