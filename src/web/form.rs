//! View models shared by forms: radios and selects.

use serde::Serialize;

/// One radio button or select option.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub id: String,
    pub checked: bool,
}

/// Radios for `field`: the first has the field's id (so an error summary
/// link reaches it), the others `field-2`, `field-3` …
pub fn choices(field: &str, options: &[(&str, &str)], current: &str) -> Vec<Choice> {
    options
        .iter()
        .enumerate()
        .map(|(i, (value, label))| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            id: if i == 0 {
                field.to_owned()
            } else {
                format!("{field}-{}", i + 1)
            },
            checked: *value == current,
        })
        .collect()
}

/// Text from a browser's textarea with LF line endings: browsers send CRLF,
/// and paragraphs are split on blank lines.
/// A date field as a browser's date input sends it (2026-10-01); blank is
/// `None`, anything else unreadable is `message` at `field`.
pub fn optional_date(
    field: &str,
    text: &str,
    message: &str,
    errors: &mut Vec<crate::error::FieldError>,
) -> Option<chrono::NaiveDate> {
    match text.trim() {
        "" => None,
        text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| errors.push(crate::error::FieldError::new(field, message)))
            .ok(),
    }
}

pub fn lf_lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A UK date and time from a form's two fields as UTC, or `None` with the
/// reason added to `errors` against `field`, saying `which` time it is.
pub fn london_time(
    field: &str,
    which: &str,
    date: &str,
    time: &str,
    errors: &mut Vec<crate::error::FieldError>,
) -> Option<chrono::NaiveDateTime> {
    match crate::time::from_london(date, time) {
        Ok(at) => Some(at),
        Err(message) => {
            errors.push(crate::error::FieldError::new(field, format!("{which}: {message}")));
            None
        }
    }
}

#[cfg(test)]
mod line_tests {
    #[test]
    fn crlf_becomes_lf() {
        assert_eq!(super::lf_lines("One.\r\n\r\nTwo.\rThree"), "One.\n\nTwo.\nThree");
    }
}
