//! Accounts: validated input types, roles and the pure access rules.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use crate::error::FieldError;

/// An email address as a person typed it, checked and with a normalised
/// (lower-case) form used for uniqueness and look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    display: String,
    normalized: String,
}

impl EmailAddress {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, "Enter an email address"));
        }
        if value.chars().count() > 254 {
            return Err(FieldError::new(field, "Email address must be 254 characters or less"));
        }
        let well_formed = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && !value
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
            }
            None => false,
        };
        if !well_formed {
            return Err(FieldError::new(
                field,
                "Enter an email address in the correct format, like name@example.com",
            ));
        }
        Ok(EmailAddress {
            display: value.to_owned(),
            normalized: value.to_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// A person's name for their account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err(FieldError::new(field, "Enter a full name"));
        }
        if value.chars().count() > 100 {
            return Err(FieldError::new(field, "Full name must be 100 characters or less"));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "Full name must only include letters, spaces and punctuation",
            ));
        }
        Ok(PersonName(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords people pick most often that are long enough to pass the length
/// rule (from public breach lists); compared ignoring case.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456123456",
    "111111111111",
    "000000000000",
    "123123123123",
    "qwertyuiopas",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyqwerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "q1w2e3r4t5y6",
    "asdfghjkl123",
    "zxcvbnm12345",
    "password1234",
    "password12345",
    "password123!",
    "passwordpassword",
    "password1!password",
    "p@ssw0rd1234",
    "passw0rd1234",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "welcome123!!",
    "changeme1234",
    "trustno1trustno1",
    "abcdefghijkl",
    "abc123abc123",
    "monkey123456",
    "football1234",
    "baseball1234",
    "superman1234",
    "sunshine1234",
    "princess1234",
    "dragon123456",
    "master123456",
    "administrator",
    "administrator1",
    "admin1234567",
    "adminadmin12",
    "correcthorsebatterystaple",
    "primarycare1",
    "generalpractice",
    "practicemanager",
    "surgery12345",
    "doctor123456",
    "nhs123456789",
    "nhspassword1",
    "quorate12345",
    "quoratequorate",
    "votevotevote",
    "democracy123",
    "january20262",
    "summer2026!!",
    "winter2026!!",
    "spring2026!!",
    "autumn2026!!",
];

/// A new password that meets the rules. Never logged: `Debug` is redacted.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

impl NewPassword {
    pub fn parse(field: &str, input: &str, email: Option<&EmailAddress>) -> Result<Self, FieldError> {
        if input.is_empty() {
            return Err(FieldError::new(field, "Enter a password"));
        }
        let chars = input.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(FieldError::new(
                field,
                format!("Password must be {MIN_PASSWORD_CHARS} characters or more"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(
                field,
                format!("Password must be {MAX_PASSWORD_CHARS} characters or less"),
            ));
        }
        let lowered = input.trim().to_lowercase();
        if let Some(email) = email {
            let local = email.normalized().split('@').next().unwrap_or_default();
            if lowered == email.normalized() || lowered == local {
                return Err(FieldError::new(field, "Password must not be your email address"));
            }
        }
        if COMMON_PASSWORDS.contains(&lowered.as_str()) || is_one_repeated_character(&lowered) {
            return Err(FieldError::new(
                field,
                "Password is too common – choose one that is harder to guess, like three random words",
            ));
        }
        Ok(NewPassword(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_one_repeated_character(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|first| chars.all(|c| c == first))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SystemAdmin,
    OrgAdmin,
    ReturningOfficer,
    PracticeRep,
    LmcObserver,
    CommitteeMember,
    /// The organisation's chair (or a vice-chair who presides): may hold
    /// member practices' proxies.
    Chair,
}

/// What a role's grant is scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleScope {
    Everything,
    Organisation,
    Practice,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SystemAdmin,
        Role::OrgAdmin,
        Role::ReturningOfficer,
        Role::PracticeRep,
        Role::LmcObserver,
        Role::CommitteeMember,
        Role::Chair,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::OrgAdmin => "org_admin",
            Role::ReturningOfficer => "returning_officer",
            Role::PracticeRep => "practice_rep",
            Role::LmcObserver => "lmc_observer",
            Role::CommitteeMember => "committee_member",
            Role::Chair => "chair",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SystemAdmin => "System administrator",
            Role::OrgAdmin => "Organisation administrator",
            Role::ReturningOfficer => "Returning officer",
            Role::PracticeRep => "Practice representative",
            Role::LmcObserver => "LMC observer",
            Role::CommitteeMember => "Committee member",
            Role::Chair => "Chair of the organisation",
        }
    }

    pub fn scope(self) -> RoleScope {
        match self {
            Role::SystemAdmin => RoleScope::Everything,
            Role::PracticeRep => RoleScope::Practice,
            _ => RoleScope::Organisation,
        }
    }
}

/// One role held by a user, with what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub organisation_id: Option<i32>,
    pub practice_id: Option<i32>,
}

/// Everything a user may do follows from their grants; these rules need no
/// database, the caller supplies the facts about the object.
#[derive(Debug, Clone, Default)]
pub struct Grants(pub Vec<Grant>);

impl Grants {
    pub fn has_role(&self, role: Role) -> bool {
        self.0.iter().any(|g| g.role == role)
    }

    pub fn is_system_admin(&self) -> bool {
        self.has_role(Role::SystemAdmin)
    }

    fn holds_for_organisation(&self, role: Role, organisation_id: i32) -> bool {
        self.0
            .iter()
            .any(|g| g.role == role && g.organisation_id == Some(organisation_id))
    }

    /// A system administrator, or an administrator of the organisation:
    /// those who may change its register and settings.
    pub fn administers_organisation(&self, organisation_id: i32) -> bool {
        self.is_system_admin() || self.holds_for_organisation(Role::OrgAdmin, organisation_id)
    }

    /// Board members and officers of the organisation, and its returning officer.
    pub fn runs_organisation(&self, organisation_id: i32) -> bool {
        self.is_system_admin()
            || self.holds_for_organisation(Role::OrgAdmin, organisation_id)
            || self.holds_for_organisation(Role::ReturningOfficer, organisation_id)
    }

    /// An observer from an LMC that covers the organisation.
    pub fn observes_organisation(&self, covering_lmc_ids: &[i32]) -> bool {
        covering_lmc_ids
            .iter()
            .any(|lmc| self.holds_for_organisation(Role::LmcObserver, *lmc))
    }

    /// A committee member or the chair: those who sit on its board or
    /// committees and see its pages without running it.
    pub fn sits_on_organisation(&self, organisation_id: i32) -> bool {
        self.holds_for_organisation(Role::CommitteeMember, organisation_id) || self.chairs_organisation(organisation_id)
    }

    /// The organisation's chair, who may hold member practices' proxies.
    pub fn chairs_organisation(&self, organisation_id: i32) -> bool {
        self.holds_for_organisation(Role::Chair, organisation_id)
    }

    pub fn represents_practice(&self, practice_id: i32) -> bool {
        self.0
            .iter()
            .any(|g| g.role == Role::PracticeRep && g.practice_id == Some(practice_id))
    }

    /// Who may see an organisation's page: those who run it, its LMC's
    /// observers, its committee members and the representatives of its
    /// current member practices.
    pub fn may_view_organisation(&self, org: &OrganisationFacts) -> bool {
        self.runs_organisation(org.id)
            || self.observes_organisation(&org.covering_lmc_ids)
            || self.sits_on_organisation(org.id)
            || org.member_practice_ids.iter().any(|p| self.represents_practice(*p))
    }

    /// Who may see the list of member practices and staff-only details.
    pub fn may_oversee_organisation(&self, org: &OrganisationFacts) -> bool {
        self.runs_organisation(org.id) || self.observes_organisation(&org.covering_lmc_ids)
    }
}

/// The facts about an organisation that access rules need.
#[derive(Debug, Clone)]
pub struct OrganisationFacts {
    pub id: i32,
    pub covering_lmc_ids: Vec<i32>,
    pub member_practice_ids: Vec<i32>,
}

/// The login throttle. Each subject — an account tried from a browser that
/// has never signed in to it, an address, or a browser that has — may fail
/// `max_failures` times; every failure after that makes that subject wait,
/// twice as long each time, up to `longest_wait`. A success, or a day
/// without failures, forgets them. An outsider can slow down attempts on an
/// account from unknown browsers, but never its owner's known browsers,
/// which are throttled on their own (OWASP's device cookies).
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub longest_wait: Duration,
}

impl ThrottlePolicy {
    /// Failures older than this are forgotten.
    pub fn remembered_since(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - Duration::hours(24)
    }

    /// How long a subject waits after its `failures`-th remembered failure:
    /// nothing below `max_failures`, then 1 minute, 2, 4 … up to the longest.
    pub fn wait_after(&self, failures: i64) -> Option<Duration> {
        let beyond = failures - i64::from(self.max_failures);
        if beyond < 0 {
            return None;
        }
        let doublings = u32::try_from(beyond.min(20)).unwrap_or(20);
        Some(Duration::minutes(1_i64 << doublings).min(self.longest_wait))
    }
}

pub fn account_subject(email: &EmailAddress) -> String {
    format!("account:{}", email.normalized())
}

pub fn address_subject(address: &str) -> String {
    format!("address:{address}")
}

/// A browser's proof that it signed in to an account before: the random
/// token of its device cookie (encrypted by the server, so it cannot be
/// forged or moved to another account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub user_id: i32,
    pub token: String,
}

/// A browser that has signed in to an account before, by the digest of
/// the random token its device cookie holds.
pub fn device_subject(token_digest: &str) -> String {
    format!("device:{token_digest}")
}

/// Whole minutes left until `until`, at least 1.
pub fn minutes_until(now: NaiveDateTime, until: NaiveDateTime) -> i64 {
    let seconds = (until - now).num_seconds().max(0);
    ((seconds + 59) / 60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse("email", s).expect("valid email")
    }

    #[test]
    fn emails_are_checked_and_normalised() {
        let e = email("  Jane.Smith@NHS.net ");
        assert_eq!(e.as_str(), "Jane.Smith@NHS.net");
        assert_eq!(e.normalized(), "jane.smith@nhs.net");
        for bad in [
            "",
            "jane",
            "jane@",
            "@nhs.net",
            "jane@nhs",
            "ja ne@nhs.net",
            "a@b@c.net",
            "jane@nhs..net",
        ] {
            assert!(EmailAddress::parse("email", bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            EmailAddress::parse("email", "").expect_err("empty").message,
            "Enter an email address"
        );
    }

    #[test]
    fn password_rules() {
        let e = email("practice.manager@example.org");
        assert!(NewPassword::parse("password", "short", Some(&e)).is_err());
        assert!(NewPassword::parse("password", "", Some(&e)).is_err());
        let same = NewPassword::parse("password", "Practice.Manager@example.org", Some(&e)).expect_err("email");
        assert!(same.message.contains("email address"));
        let common = NewPassword::parse("password", "Password1234", Some(&e)).expect_err("common");
        assert!(common.message.contains("too common"));
        assert!(NewPassword::parse("password", "aaaaaaaaaaaaaa", None).is_err());
        assert!(NewPassword::parse("password", "maple kettle orbit", Some(&e)).is_ok());
        assert!(NewPassword::parse("password", &"x1".repeat(200), None).is_err());
    }

    #[test]
    fn new_password_is_never_printed() {
        let p = NewPassword::parse("password", "maple kettle orbit", None).expect("ok");
        assert!(!format!("{p:?}").contains("maple"));
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    fn grant(role: Role, organisation_id: Option<i32>, practice_id: Option<i32>) -> Grant {
        Grant {
            role,
            organisation_id,
            practice_id,
        }
    }

    #[test]
    fn access_follows_the_object() {
        let org = OrganisationFacts {
            id: 1,
            covering_lmc_ids: vec![10],
            member_practice_ids: vec![100, 101],
        };
        let admin_here = Grants(vec![grant(Role::OrgAdmin, Some(1), None)]);
        let admin_elsewhere = Grants(vec![grant(Role::OrgAdmin, Some(2), None)]);
        let observer = Grants(vec![grant(Role::LmcObserver, Some(10), None)]);
        let other_observer = Grants(vec![grant(Role::LmcObserver, Some(11), None)]);
        let member_rep = Grants(vec![grant(Role::PracticeRep, None, Some(101))]);
        let other_rep = Grants(vec![grant(Role::PracticeRep, None, Some(200))]);
        let sysadmin = Grants(vec![grant(Role::SystemAdmin, None, None)]);

        assert!(admin_here.may_view_organisation(&org) && admin_here.may_oversee_organisation(&org));
        assert!(!admin_elsewhere.may_view_organisation(&org));
        assert!(observer.may_view_organisation(&org) && observer.may_oversee_organisation(&org));
        assert!(!other_observer.may_view_organisation(&org));
        assert!(member_rep.may_view_organisation(&org) && !member_rep.may_oversee_organisation(&org));
        assert!(!other_rep.may_view_organisation(&org));
        assert!(sysadmin.may_oversee_organisation(&org));
    }

    #[test]
    fn throttle_waits_grow_after_the_free_failures_up_to_the_longest() {
        let policy = ThrottlePolicy {
            max_failures: 5,
            longest_wait: Duration::minutes(15),
        };
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("time")
            .naive_utc();
        assert_eq!(policy.remembered_since(now), now - Duration::hours(24));
        for free in 0..5 {
            assert_eq!(policy.wait_after(free), None, "failure {free}");
        }
        let waits: Vec<i64> = (5..12)
            .map(|n| policy.wait_after(n).expect("a wait").num_minutes())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 15, 15, 15]);
        assert_eq!(policy.wait_after(i64::MAX), Some(Duration::minutes(15)));
        assert_eq!(minutes_until(now, now + Duration::seconds(61)), 2);
        assert_eq!(minutes_until(now, now), 1);
    }
}
