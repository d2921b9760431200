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
pub fn lf_lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod line_tests {
    #[test]
    fn crlf_becomes_lf() {
        assert_eq!(super::lf_lines("One.\r\n\r\nTwo.\rThree"), "One.\n\nTwo.\nThree");
    }
}
