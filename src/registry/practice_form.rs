//! The practice form (adding or editing a practice by hand), checked into
//! `PracticeDetails`; pure.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Postcode, PracticeCode, PracticeStatus};
use super::store::PracticeDetails;
use crate::error::FieldError;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PracticeForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address_1: String,
    #[serde(default)]
    pub address_2: String,
    #[serde(default)]
    pub address_3: String,
    #[serde(default)]
    pub address_4: String,
    #[serde(default)]
    pub address_5: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub telephone: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub opened_on: String,
    #[serde(default)]
    pub closed_on: String,
    #[serde(default)]
    pub joined_on: String,
}

fn date(field: &str, label: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| errors.push(FieldError::new(field, format!("{label} must be a real date"))))
        .ok()
}

fn line(field: &str, label: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{label} must be {max} characters or less"),
        ));
    }
    value
}

impl PracticeForm {
    pub fn from_details(code: &str, details: &PracticeDetails) -> Self {
        let iso = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        PracticeForm {
            code: code.to_owned(),
            name: details.name.clone(),
            address_1: details.address_1.clone(),
            address_2: details.address_2.clone(),
            address_3: details.address_3.clone(),
            address_4: details.address_4.clone(),
            address_5: details.address_5.clone(),
            postcode: details.postcode.clone(),
            telephone: details.telephone.clone(),
            status: details.status.clone(),
            opened_on: iso(details.opened_on),
            closed_on: iso(details.closed_on),
            joined_on: String::new(),
        }
    }

    /// The code of a new practice.
    pub fn checked_code(&self) -> Result<PracticeCode, FieldError> {
        PracticeCode::parse("code", &self.code)
    }

    /// The details, keeping fields the form does not show (`current`).
    pub fn checked_details(&self, current: Option<&PracticeDetails>) -> Result<PracticeDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = line("name", "Practice name", &self.name, 100, &mut errors);
        if name.is_empty() {
            errors.push(FieldError::new("name", "Enter the practice name"));
        }
        let address: Vec<String> = [
            &self.address_1,
            &self.address_2,
            &self.address_3,
            &self.address_4,
            &self.address_5,
        ]
        .iter()
        .enumerate()
        .map(|(i, value)| {
            line(
                &format!("address-{}", i + 1),
                &format!("Address line {}", i + 1),
                value,
                35,
                &mut errors,
            )
        })
        .collect();
        let postcode = match self.postcode.trim() {
            "" => String::new(),
            raw => Postcode::parse("postcode", raw)
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|e| {
                    errors.push(e);
                    String::new()
                }),
        };
        let telephone = line("telephone", "Telephone number", &self.telephone, 20, &mut errors);
        let status = PracticeStatus::parse(self.status.trim());
        if status.is_none() {
            errors.push(FieldError::new("status", "Select the practice's status"));
        }
        let opened_on = date("opened-on", "Open date", &self.opened_on, &mut errors);
        let closed_on = date("closed-on", "Close date", &self.closed_on, &mut errors);
        if status == Some(PracticeStatus::Closed)
            && closed_on.is_none()
            && !errors.iter().any(|e| e.field == "closed-on")
        {
            errors.push(FieldError::new("closed-on", "Enter the date the practice closed"));
        }
        if let (Some(opened), Some(closed)) = (opened_on, closed_on) {
            if closed < opened {
                errors.push(FieldError::new(
                    "closed-on",
                    "Close date must be the same as or after the open date",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let [a1, a2, a3, a4, a5]: [String; 5] = address.try_into().unwrap_or_default();
        Ok(PracticeDetails {
            name,
            address_1: a1,
            address_2: a2,
            address_3: a3,
            address_4: a4,
            address_5: a5,
            postcode,
            status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            opened_on,
            closed_on,
            telephone,
            prescribing_setting: current
                .map(|c| c.prescribing_setting.clone())
                .unwrap_or_else(|| "4".into()),
        })
    }

    /// When a practice added by hand joined the organisation (today if blank).
    pub fn checked_joined_on(&self, today: NaiveDate) -> Result<NaiveDate, FieldError> {
        let mut errors = Vec::new();
        match date("joined-on", "Date it joined", &self.joined_on, &mut errors) {
            Some(d) if d > today => Err(FieldError::new(
                "joined-on",
                "Date it joined must be today or in the past",
            )),
            Some(d) => Ok(d),
            None => errors.pop().map_or(Ok(today), Err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> PracticeForm {
        PracticeForm {
            code: "y12345".into(),
            name: " Riverside   Surgery ".into(),
            postcode: "e11bu".into(),
            status: "active".into(),
            opened_on: "2020-04-01".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_form_is_normalised() {
        let details = valid().checked_details(None).expect("valid");
        assert_eq!(details.name, "Riverside Surgery");
        assert_eq!(details.postcode, "E1 1BU");
        assert_eq!(
            valid().checked_code().map(|c| c.as_str().to_owned()),
            Ok("Y12345".into())
        );
    }

    #[test]
    fn problems_are_named() {
        let form = PracticeForm {
            name: String::new(),
            postcode: "nowhere".into(),
            status: "closed".into(),
            opened_on: "2020-02-30".into(),
            address_1: "x".repeat(40),
            ..valid()
        };
        let errors = form.checked_details(None).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "address-1", "postcode", "opened-on", "closed-on"]);
        let closed_before_open = PracticeForm {
            status: "closed".into(),
            closed_on: "2019-01-01".into(),
            ..valid()
        };
        assert!(
            closed_before_open.checked_details(None).expect_err("invalid")[0]
                .message
                .contains("after the open date")
        );
    }

    #[test]
    fn joining_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        assert_eq!(valid().checked_joined_on(today), Ok(today));
        let future = PracticeForm {
            joined_on: "2027-01-01".into(),
            ..valid()
        };
        assert!(future.checked_joined_on(today).is_err());
    }
}
