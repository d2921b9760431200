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
