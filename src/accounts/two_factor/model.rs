//! Two-factor sign-in: the pure rules. Codes are RFC 6238 time-based
//! one-time passwords (HMAC-SHA-1, 6 digits, 30-second steps: what every
//! authenticator app reads from a QR code), accepted one step either side
//! of the server's clock and never twice.

use totp_rs::{Builder, Secret, Totp};

use crate::accounts::model::Role;
use crate::error::FieldError;

/// Bytes of a new shared secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at enrolment, each good once.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes of a recovery code: 80 bits, shown as 16 base32 letters.
const RECOVERY_CODE_BYTES: usize = 10;
/// How long someone has, after their password, to give their code.
pub const PENDING_SIGN_IN_MINUTES: i64 = 10;

/// Which roles must sign in with a second factor (a setting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondFactorPolicy {
    required_for: Vec<Role>,
}

impl SecondFactorPolicy {
    /// Reads a comma-separated list of role names; empty means none.
    pub fn parse(setting: &str) -> Result<Self, String> {
        let mut required_for = Vec::new();
        for name in setting.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let role = Role::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!(
                    "two_factor_required_for: {name:?} is not a role; use any of {}",
                    names.join(", ")
                )
            })?;
            if !required_for.contains(&role) {
                required_for.push(role);
            }
        }
        Ok(SecondFactorPolicy { required_for })
    }

    /// Whether someone holding `roles` must give a second factor.
    pub fn requires(&self, roles: impl IntoIterator<Item = Role>) -> bool {
        roles.into_iter().any(|role| self.required_for.contains(&role))
    }

    pub fn roles(&self) -> &[Role] {
        &self.required_for
    }
}

/// What someone typed on the code page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnteredCode {
    /// Six digits from the app.
    OneTime(String),
    /// A recovery code, normalised (lower case, no separators).
    Recovery(String),
}

impl EnteredCode {
    /// Spaces and hyphens are ignored, as people copy codes in groups.
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if compact.is_empty() {
            return Err(FieldError::new(
                field,
                "Enter the 6-digit code from your authenticator app, or a recovery code",
            ));
        }
        if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
            return Ok(EnteredCode::OneTime(compact));
        }
        if compact.len() == 16 && compact.chars().all(is_base32_letter) {
            return Ok(EnteredCode::Recovery(compact));
        }
        if compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(field, "The code from your app must be 6 digits"));
        }
        Err(FieldError::new(
            field,
            "Enter the 6-digit code from your authenticator app, or a recovery code like abcd-efgh-ijkl-mnop",
        ))
    }
}

fn is_base32_letter(c: char) -> bool {
    c.is_ascii_lowercase() || ('2'..='7').contains(&c)
}

/// A new random shared secret.
pub fn new_secret() -> Vec<u8> {
    random_bytes(SECRET_BYTES)
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random number source failed");
    bytes
}

/// A new recovery code as shown: four groups of four, like `abcd-efgh-ijkl-mnop`.
pub fn new_recovery_code() -> String {
    let letters = Secret::from(random_bytes(RECOVERY_CODE_BYTES))
        .to_base32()
        .to_ascii_lowercase();
    group_by_four(&letters, '-')
}

/// The form kept (as a digest) and compared: what `EnteredCode::Recovery` holds.
pub fn normalise_recovery_code(shown: &str) -> String {
    shown.replace('-', "")
}

/// The secret as people type it into an app by hand: base32 in groups of four.
pub fn secret_for_typing(secret: &[u8]) -> String {
    group_by_four(&Secret::from(secret.to_vec()).to_base32(), ' ')
}

fn group_by_four(text: &str, separator: char) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// The RFC 6238 generator for a secret. `issuer` and `account` name the
/// entry in the app; a colon, which the key URI format reserves, is dropped.
pub fn generator(secret: &[u8], issuer: &str, account: &str) -> Result<Totp, String> {
    let issuer: String = issuer.chars().filter(|c| *c != ':').collect();
    let account: String = account.chars().filter(|c| *c != ':').collect();
    Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|e| format!("one-time code generator: {e}"))
}

/// The 30-second step a code matches at `unix_seconds`, if it is right and
/// newer than `last_step` (the step of the last code taken).
pub fn accepted_step(totp: &Totp, code: &str, unix_seconds: u64, last_step: i64) -> Result<u64, CodeRefusal> {
    let step = totp.check(code, unix_seconds).ok_or(CodeRefusal::Wrong)?;
    if i64::try_from(step).map_or(true, |s| s <= last_step) {
        return Err(CodeRefusal::AlreadyUsed);
    }
    Ok(step)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    Wrong,
    AlreadyUsed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_reads_role_names_and_refuses_others() {
        let policy = SecondFactorPolicy::parse("system_admin, returning_officer,,system_admin").expect("accepted");
        assert_eq!(policy.roles(), &[Role::SystemAdmin, Role::ReturningOfficer]);
        assert!(policy.requires([Role::PracticeRep, Role::ReturningOfficer]));
        assert!(!policy.requires([Role::PracticeRep, Role::OrgAdmin]));
        assert!(SecondFactorPolicy::parse("").expect("accepted").roles().is_empty());
        let error = SecondFactorPolicy::parse("system_admin,treasurer").expect_err("refused");
        assert!(error.contains("\"treasurer\" is not a role"), "{error}");
    }

    #[test]
    fn codes_are_read_whether_typed_in_groups_or_not() {
        assert_eq!(
            EnteredCode::parse("code", " 123 456 ").expect("accepted"),
            EnteredCode::OneTime("123456".into())
        );
        assert_eq!(
            EnteredCode::parse("code", "ABCD-efgh-2345-mnop").expect("accepted"),
            EnteredCode::Recovery("abcdefgh2345mnop".into())
        );
        assert_eq!(
            EnteredCode::parse("code", "12345").expect_err("refused").message,
            "The code from your app must be 6 digits"
        );
        assert!(
            EnteredCode::parse("code", "")
                .expect_err("refused")
                .message
                .starts_with("Enter the 6-digit code")
        );
        assert!(EnteredCode::parse("code", "abcd-efgh").is_err());
        // 0, 1, 8 and 9 are not base32 letters.
        assert!(EnteredCode::parse("code", "abcd-efgh-ijkl-mno0").is_err());
    }

    #[test]
    fn recovery_codes_are_random_and_read_back() {
        let a = new_recovery_code();
        let b = new_recovery_code();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert_eq!(
            EnteredCode::parse("code", &a).expect("accepted"),
            EnteredCode::Recovery(normalise_recovery_code(&a))
        );
    }

    /// RFC 6238 appendix B's SHA-1 vectors, truncated to the six digits
    /// apps show (the RFC prints eight).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let totp = generator(b"12345678901234567890", "Quorate", "someone@example.org").expect("accepted");
        for (time, eight_digits) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(totp.generate(time).to_string(), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_taken_once_and_a_step_either_side() {
        let totp = generator(&new_secret(), "Quorate: CCG", "a:b@example.org").expect("accepted");
        let now = 1_800_000_000u64;
        let code = totp.generate(now).to_string();
        let step = accepted_step(&totp, &code, now, 0).expect("accepted");
        assert_eq!(step, now / 30);
        assert_eq!(
            accepted_step(&totp, &code, now, step as i64),
            Err(CodeRefusal::AlreadyUsed)
        );
        let late = totp.generate(now - 30).to_string();
        assert!(accepted_step(&totp, &late, now, 0).is_ok());
        let too_late = totp.generate(now - 90).to_string();
        assert_eq!(accepted_step(&totp, &too_late, now, 0), Err(CodeRefusal::Wrong));
        let other = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(accepted_step(&totp, other, now, 0), Err(CodeRefusal::Wrong));
    }

    #[test]
    fn the_typed_secret_is_base32_in_groups() {
        assert_eq!(
            secret_for_typing(b"12345678901234567890"),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
    }
}
