//! The register's validated codes and kinds. The full register (addresses,
//! list sizes, imports) builds on these.

use serde::Serialize;

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Ccg,
    Lmc,
    Federation,
    Pcn,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::Ccg => "ccg",
            OrganisationKind::Lmc => "lmc",
            OrganisationKind::Federation => "federation",
            OrganisationKind::Pcn => "pcn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            OrganisationKind::Ccg,
            OrganisationKind::Lmc,
            OrganisationKind::Federation,
            OrganisationKind::Pcn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrganisationKind::Ccg => "Clinical commissioning group",
            OrganisationKind::Lmc => "Local medical committee",
            OrganisationKind::Federation => "GP federation",
            OrganisationKind::Pcn => "Primary care network",
        }
    }
}

/// An organisation's ODS code: 3 or 5 letters and digits, upper-cased
/// (for example `08V` or `A3A8R`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationCode(String);

impl OrganisationCode {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(FieldError::new(field, "Enter the organisation's ODS code"));
        }
        if !(code.len() == 3 || code.len() == 5) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                field,
                "Organisation ODS code must be 3 or 5 letters and numbers, like 08V",
            ));
        }
        Ok(OrganisationCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A GP practice's ODS code: a letter and five digits, upper-cased
/// (for example `F84012`, or `Y02345` for newer practices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PracticeCode(String);

impl PracticeCode {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(FieldError::new(field, "Enter the practice's ODS code"));
        }
        let mut chars = code.chars();
        let well_formed = code.len() == 6
            && chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(FieldError::new(
                field,
                "Practice ODS code must be a letter followed by 5 numbers, like F84012",
            ));
        }
        Ok(PracticeCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a person acts for a practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepresentativeKind {
    /// Casts the practice's vote; exactly one at a time.
    Nominated,
    /// Votes when the nominated representative cannot; at most one.
    Deputy,
    PracticeManager,
    GpPartner,
    SalariedGp,
}

impl RepresentativeKind {
    pub const ALL: [RepresentativeKind; 5] = [
        RepresentativeKind::Nominated,
        RepresentativeKind::Deputy,
        RepresentativeKind::PracticeManager,
        RepresentativeKind::GpPartner,
        RepresentativeKind::SalariedGp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RepresentativeKind::Nominated => "nominated",
            RepresentativeKind::Deputy => "deputy",
            RepresentativeKind::PracticeManager => "practice_manager",
            RepresentativeKind::GpPartner => "gp_partner",
            RepresentativeKind::SalariedGp => "salaried_gp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RepresentativeKind::Nominated => "Nominated voting representative",
            RepresentativeKind::Deputy => "Deputy voting representative",
            RepresentativeKind::PracticeManager => "Practice manager",
            RepresentativeKind::GpPartner => "GP partner",
            RepresentativeKind::SalariedGp => "Salaried GP",
        }
    }

    /// The label inside a sentence: "practice manager", "GP partner".
    pub fn in_sentence(self) -> String {
        match self {
            RepresentativeKind::GpPartner | RepresentativeKind::SalariedGp => {
                self.label().replace("Salaried", "salaried")
            }
            _ => self.label().to_lowercase(),
        }
    }

    /// Only one person at a time may hold this for a practice.
    pub fn is_single(self) -> bool {
        matches!(self, RepresentativeKind::Nominated | RepresentativeKind::Deputy)
    }
}

/// Whether a practice is open, per ODS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeStatus {
    Active,
    Closed,
    Dormant,
    Proposed,
}

impl PracticeStatus {
    pub const ALL: [PracticeStatus; 4] = [
        PracticeStatus::Active,
        PracticeStatus::Closed,
        PracticeStatus::Dormant,
        PracticeStatus::Proposed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PracticeStatus::Active => "active",
            PracticeStatus::Closed => "closed",
            PracticeStatus::Dormant => "dormant",
            PracticeStatus::Proposed => "proposed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PracticeStatus::Active => "Active",
            PracticeStatus::Closed => "Closed",
            PracticeStatus::Dormant => "Dormant",
            PracticeStatus::Proposed => "Proposed",
        }
    }
}

/// A UK postcode, upper-cased with one space before the inward code
/// (for example `TS18 1HU`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.is_empty() {
            return Err(FieldError::new(field, "Enter a postcode"));
        }
        let well_formed = (5..=7).contains(&compact.len()) && compact.is_char_boundary(compact.len() - 3) && {
            let (outward, inward) = compact.split_at(compact.len() - 3);
            let inward: Vec<char> = inward.chars().collect();
            let outward_ok = outward.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && outward.chars().any(|c| c.is_ascii_digit())
                && outward.chars().all(|c| c.is_ascii_alphanumeric());
            outward_ok && inward[0].is_ascii_digit() && inward[1].is_ascii_uppercase() && inward[2].is_ascii_uppercase()
        };
        if !well_formed {
            return Err(FieldError::new(field, "Enter a real postcode, like TS18 1HU"));
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        Ok(Postcode(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_right_inside_a_sentence() {
        assert_eq!(RepresentativeKind::GpPartner.in_sentence(), "GP partner");
        assert_eq!(RepresentativeKind::SalariedGp.in_sentence(), "salaried GP");
        assert_eq!(RepresentativeKind::PracticeManager.in_sentence(), "practice manager");
    }

    #[test]
    fn postcodes_are_normalised() {
        assert_eq!(Postcode::parse("p", "ts181hu").map(|p| p.0), Ok("TS18 1HU".into()));
        assert_eq!(Postcode::parse("p", " sw1a  1aa ").map(|p| p.0), Ok("SW1A 1AA".into()));
        assert_eq!(Postcode::parse("p", "M1 1AE").map(|p| p.0), Ok("M1 1AE".into()));
        for bad in ["", "TS18", "12345", "TS18 1H1", "TS18-1HU", "ÅS18 1HU"] {
            assert!(Postcode::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn organisation_codes() {
        assert_eq!(OrganisationCode::parse("org", " 08v ").map(|c| c.0), Ok("08V".into()));
        assert_eq!(OrganisationCode::parse("org", "a3a8r").map(|c| c.0), Ok("A3A8R".into()));
        for bad in ["", "08", "08VV", "08V-1", "ABCDEF"] {
            assert!(OrganisationCode::parse("org", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn practice_codes() {
        assert_eq!(PracticeCode::parse("p", "f84012").map(|c| c.0), Ok("F84012".into()));
        assert_eq!(PracticeCode::parse("p", "Y02345").map(|c| c.0), Ok("Y02345".into()));
        for bad in ["", "F8401", "F840123", "184012", "FF4012", "F84O12"] {
            assert!(PracticeCode::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in ["ccg", "lmc", "federation", "pcn"] {
            assert_eq!(OrganisationKind::parse(k).map(|k| k.as_str()), Some(k));
        }
        assert!(OrganisationKind::parse("icb").is_none());
    }
}
