//! Reading NHS files without touching the database: the ODS `epraccur`
//! practice file (both the older and the 2026 format) and NHS Digital's
//! "Patients Registered at a GP Practice" list sizes. Every problem names
//! its line.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::model::{Postcode, PracticeCode, PracticeStatus};

/// A problem with one line of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl LineError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        LineError {
            line,
            message: message.into(),
        }
    }
}

/// A problem with the whole file (it cannot be read at all).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

pub const EPRACCUR_FIELDS: usize = 27;

/// Which epraccur layout a row uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EpraccurFormat {
    /// Status `A`/`C`/`D`/`P`, prescribing setting a number (4 = GP practice).
    Classic,
    /// Status `ACTIVE`/`INACTIVE`/`DORMANT`, setting ODS role codes (`RO76` = GP practice).
    RoleCodes,
}

/// One GP practice row of an epraccur file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeRow {
    pub line: usize,
    pub code: PracticeCode,
    pub name: String,
    pub address: [String; 5],
    pub postcode: Option<Postcode>,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub status: PracticeStatus,
    pub commissioner: String,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub telephone: String,
    pub prescribing_setting: String,
}

/// What an epraccur file holds for the commissioners asked about.
#[derive(Debug, Default)]
pub struct EpraccurExtract {
    pub format: Option<EpraccurFormat>,
    pub rows: Vec<PracticeRow>,
    pub errors: Vec<LineError>,
    /// Rows in the file (all commissioners).
    pub total_rows: usize,
    /// Rows for the commissioners asked about that are not GP practices
    /// allocated to them (walk-in centres, out of hours, sub-type Z…).
    pub not_gp_practices: usize,
}

fn parse_date(line: usize, field: &str, value: &str) -> Result<Option<NaiveDate>, LineError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y%m%d").map(Some).map_err(|_| {
        LineError::new(
            line,
            format!("{field} \"{value}\" is not a real date in the form YYYYMMDD"),
        )
    })
}

fn is_gp_practice(setting: &str) -> Option<(EpraccurFormat, bool)> {
    let setting = setting.trim();
    if setting.is_empty() {
        return None;
    }
    if setting.chars().all(|c| c.is_ascii_digit()) {
        return Some((EpraccurFormat::Classic, setting == "4"));
    }
    if setting.split('|').all(|role| role.trim().starts_with("RO")) {
        return Some((
            EpraccurFormat::RoleCodes,
            setting.split('|').any(|role| role.trim() == "RO76"),
        ));
    }
    None
}

fn parse_status(value: &str) -> Option<PracticeStatus> {
    match value.trim() {
        "A" | "ACTIVE" => Some(PracticeStatus::Active),
        "C" | "INACTIVE" | "CLOSED" => Some(PracticeStatus::Closed),
        "D" | "DORMANT" => Some(PracticeStatus::Dormant),
        "P" | "PROPOSED" => Some(PracticeStatus::Proposed),
        _ => None,
    }
}

/// Decodes the file as UTF-8, naming the first line that is not.
pub fn decode(bytes: &[u8]) -> Result<&str, FileError> {
    if bytes.is_empty() || bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError("The file is empty".into()));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        FileError(format!(
            "The file is not UTF-8 text (line {line} has a byte that is not): save it as CSV UTF-8 and try again"
        ))
    })
}

/// Reads an epraccur file, keeping the GP practice rows of the given
/// commissioners. Bad rows of those commissioners are reported; rows of
/// other commissioners are only checked for their shape.
pub fn read_epraccur(bytes: &[u8], commissioners: &[&str]) -> Result<EpraccurExtract, FileError> {
    let text = decode(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut extract = EpraccurExtract::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                if line == 1 {
                    return Err(FileError(format!("The file is not a CSV file that can be read: {e}")));
                }
                extract
                    .errors
                    .push(LineError::new(line, format!("the line cannot be read as CSV: {e}")));
                continue;
            }
        };
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue; // blank line
        }
        extract.total_rows += 1;
        if record.len() != EPRACCUR_FIELDS {
            if line == 1 {
                return Err(FileError(format!(
                    "Line 1 has {} fields; an epraccur file has {EPRACCUR_FIELDS} on every line. Is this the ODS epraccur.csv file?",
                    record.len()
                )));
            }
            extract.errors.push(LineError::new(
                line,
                format!("has {} fields; every line must have {EPRACCUR_FIELDS}", record.len()),
            ));
            continue;
        }
        let field = |n: usize| record.get(n - 1).unwrap_or_default().trim();
        if !commissioners.contains(&field(15)) {
            continue;
        }
        if field(26).is_empty() {
            // No prescribing setting: not identifiable as a GP practice.
            extract.not_gp_practices += 1;
            continue;
        }
        let Some((format, gp)) = is_gp_practice(field(26)) else {
            extract.errors.push(LineError::new(
                line,
                format!(
                    "prescribing setting \"{}\" is neither a number nor ODS role codes like RO76",
                    field(26)
                ),
            ));
            continue;
        };
        match extract.format {
            None => extract.format = Some(format),
            Some(known) if known != format => {
                extract.errors.push(LineError::new(
                    line,
                    "mixes the two epraccur formats (status and setting codes differ from earlier lines)",
                ));
                continue;
            }
            Some(_) => {}
        }
        if !gp || field(14) != "B" {
            extract.not_gp_practices += 1;
            continue;
        }
        match parse_row(line, &field) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.code.as_str().to_owned(), line) {
                    extract.errors.push(LineError::new(
                        line,
                        format!("practice {} is also on line {first}", row.code.as_str()),
                    ));
                } else {
                    extract.rows.push(row);
                }
            }
            Err(e) => extract.errors.push(e),
        }
    }
    if extract.total_rows == 0 {
        return Err(FileError("The file is empty".into()));
    }
    Ok(extract)
}

fn parse_row<'a>(line: usize, field: &impl Fn(usize) -> &'a str) -> Result<PracticeRow, LineError> {
    let code = PracticeCode::parse("code", field(1))
        .map_err(|e| LineError::new(line, format!("\"{}\": {}", field(1), e.message)))?;
    let name = field(2);
    if name.is_empty() {
        return Err(LineError::new(line, format!("practice {} has no name", code.as_str())));
    }
    let status = parse_status(field(13)).ok_or_else(|| {
        LineError::new(
            line,
            format!(
                "status \"{}\" is not one of A, C, D, P, ACTIVE, INACTIVE or DORMANT",
                field(13)
            ),
        )
    })?;
    let postcode = match field(10) {
        "" => None,
        raw => Some(
            Postcode::parse("postcode", raw).map_err(|e| LineError::new(line, format!("\"{raw}\": {}", e.message)))?,
        ),
    };
    Ok(PracticeRow {
        line,
        name: name.to_owned(),
        address: [5, 6, 7, 8, 9].map(|n| field(n).to_owned()),
        postcode,
        opened_on: parse_date(line, "open date", field(11))?,
        closed_on: parse_date(line, "close date", field(12))?,
        status,
        commissioner: field(15).to_owned(),
        joined_on: parse_date(line, "join date", field(16))?,
        left_on: parse_date(line, "left date", field(17))?,
        telephone: field(18).to_owned(),
        prescribing_setting: field(26).to_owned(),
        code,
    })
}

/// One practice's registered list size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSizeRow {
    pub line: usize,
    pub code: PracticeCode,
    pub patients: i32,
    pub extract_date: NaiveDate,
    pub commissioner: String,
}

#[derive(Debug, Default)]
pub struct ListSizeExtract {
    pub rows: Vec<ListSizeRow>,
    pub errors: Vec<LineError>,
    pub total_rows: usize,
}

/// Reads "Patients Registered at a GP Practice": header row, columns found
/// by name; only `SEX=ALL`, `AGE=ALL` rows count.
pub fn read_list_sizes(bytes: &[u8]) -> Result<ListSizeExtract, FileError> {
    let text = decode(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError(format!("The file is not a CSV file that can be read: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let need = |name: &str| {
        column(name).ok_or_else(|| {
            FileError(format!(
                "The header row has no {name} column. Is this NHS Digital's \"Patients Registered at a GP Practice\" file?"
            ))
        })
    };
    let code_col = need("CODE")?;
    let patients_col = need("NUMBER_OF_PATIENTS")?;
    let date_col = need("EXTRACT_DATE")?;
    let commissioner_col = column("SUB_ICB_LOCATION_CODE").or_else(|| column("CCG_CODE"));
    let (sex_col, age_col) = (column("SEX"), column("AGE"));
    let mut extract = ListSizeExtract::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                extract
                    .errors
                    .push(LineError::new(line, format!("the line cannot be read as CSV: {e}")));
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        extract.total_rows += 1;
        // A short or long row has its fields in the wrong columns: named,
        // never read (a missing SEX or AGE would skip it silently).
        if record.len() != headers.len() {
            extract.errors.push(LineError::new(
                line,
                format!(
                    "the line has {} {}, but the header row has {}",
                    record.len(),
                    if record.len() == 1 { "field" } else { "fields" },
                    headers.len()
                ),
            ));
            continue;
        }
        let get = |col: usize| record.get(col).unwrap_or_default().trim();
        let all = |col: Option<usize>| col.is_none_or(|c| get(c).eq_ignore_ascii_case("ALL"));
        if !all(sex_col) || !all(age_col) {
            continue;
        }
        let code = match PracticeCode::parse("code", get(code_col)) {
            Ok(code) => code,
            Err(e) => {
                extract
                    .errors
                    .push(LineError::new(line, format!("\"{}\": {}", get(code_col), e.message)));
                continue;
            }
        };
        let patients = match get(patients_col).parse::<i32>() {
            Ok(n) if n >= 0 => n,
            _ => {
                extract.errors.push(LineError::new(
                    line,
                    format!(
                        "NUMBER_OF_PATIENTS \"{}\" is not a whole number of 0 or more",
                        get(patients_col)
                    ),
                ));
                continue;
            }
        };
        let extract_date = match parse_extract_date(get(date_col)) {
            Some(date) => date,
            None => {
                extract.errors.push(LineError::new(
                    line,
                    format!("EXTRACT_DATE \"{}\" is not a date like 01JAN2021", get(date_col)),
                ));
                continue;
            }
        };
        if let Some(first) = seen.insert(code.as_str().to_owned(), line) {
            extract.errors.push(LineError::new(
                line,
                format!("practice {} is also on line {first}", code.as_str()),
            ));
            continue;
        }
        extract.rows.push(ListSizeRow {
            line,
            code,
            patients,
            extract_date,
            commissioner: commissioner_col.map(|c| get(c).to_owned()).unwrap_or_default(),
        });
    }
    if extract.total_rows == 0 {
        return Err(FileError("The file has a header row but no data".into()));
    }
    Ok(extract)
}

/// "01JAN2021" (also "01-JAN-2021" and ISO "2021-01-01").
fn parse_extract_date(value: &str) -> Option<NaiveDate> {
    let compact: String = value.chars().filter(|c| *c != '-' && *c != ' ').collect();
    let title_case = compact
        .char_indices()
        .map(|(i, c)| if (3..5).contains(&i) { c.to_ascii_lowercase() } else { c })
        .collect::<String>();
    NaiveDate::parse_from_str(&title_case, "%d%b%Y")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, status: &str, commissioner: &str, setting: &str) -> String {
        let mut fields = vec![String::new(); EPRACCUR_FIELDS];
        fields[0] = code.into();
        fields[1] = format!("{code} SURGERY");
        fields[4] = "1 HIGH STREET".into();
        fields[9] = "ts18 1hu".into();
        fields[10] = "19740401".into();
        fields[12] = status.into();
        fields[13] = "B".into();
        fields[14] = commissioner.into();
        fields[15] = "20130401".into();
        fields[25] = setting.into();
        fields.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(",")
    }

    #[test]
    fn reads_the_classic_format() {
        let file = [
            row("A81001", "A", "00K", "4"),
            row("A81002", "C", "00K", "4"),
            row("A81003", "A", "00K", "1"),
            row("B81001", "A", "02Y", "4"),
        ]
        .join("\n");
        let extract = read_epraccur(file.as_bytes(), &["00K"]).expect("reads");
        assert_eq!(extract.format, Some(EpraccurFormat::Classic));
        assert_eq!(extract.total_rows, 4);
        assert_eq!(extract.rows.len(), 2);
        assert_eq!(extract.not_gp_practices, 1);
        assert_eq!(extract.rows[0].status, PracticeStatus::Active);
        assert_eq!(extract.rows[1].status, PracticeStatus::Closed);
        assert_eq!(extract.rows[0].postcode.as_ref().map(|p| p.as_str()), Some("TS18 1HU"));
        assert_eq!(extract.rows[0].joined_on, NaiveDate::from_ymd_opt(2013, 4, 1));
        assert!(extract.errors.is_empty());
    }

    #[test]
    fn reads_the_role_code_format() {
        let file = [
            row("A81001", "ACTIVE", "16C", "RO76"),
            row("A81002", "INACTIVE", "16C", "RO76|RO268"),
            row("A81003", "ACTIVE", "16C", "RO80|RO87"),
        ]
        .join("\n");
        let extract = read_epraccur(file.as_bytes(), &["16C"]).expect("reads");
        assert_eq!(extract.format, Some(EpraccurFormat::RoleCodes));
        assert_eq!(extract.rows.len(), 2);
        assert_eq!(extract.not_gp_practices, 1);
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let mut bad_date = row("A81004", "A", "00K", "4");
        bad_date = bad_date.replace("19740401", "19741341");
        let file = [
            row("A81001", "A", "00K", "4"),
            row("A8100X", "A", "00K", "4"),
            row("A81002", "Q", "00K", "4"),
            bad_date,
            row("A81001", "A", "00K", "4"),
            "\"A81005\",\"SHORT\"".to_owned(),
        ]
        .join("\n");
        let extract = read_epraccur(file.as_bytes(), &["00K"]).expect("reads");
        let lines: Vec<usize> = extract.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6], "{:?}", extract.errors);
        assert!(extract.errors[1].message.contains("status \"Q\""));
        assert!(
            extract.errors[2]
                .message
                .contains("open date \"19741341\" is not a real date")
        );
        assert!(extract.errors[3].message.contains("also on line 1"));
        assert!(extract.errors[4].message.contains("has 2 fields"));
    }

    #[test]
    fn files_that_are_not_epraccur_are_refused() {
        assert_eq!(read_epraccur(b"", &["00K"]).expect_err("empty").0, "The file is empty");
        assert!(
            read_epraccur(b"code,name\nA81001,X\n", &["00K"])
                .expect_err("not epraccur")
                .0
                .contains("Line 1 has 2 fields")
        );
        assert!(
            read_epraccur(b"\xff\xfe\x00A", &["00K"])
                .expect_err("binary")
                .0
                .contains("not UTF-8")
        );
    }

    #[test]
    fn list_sizes_by_column_name() {
        let file = "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\n\
                    GP_PRAC_PAT_LIST,01JAN2021,GP,00L,E38000130,A84002,NE65 7UW,ALL,ALL,5903\n\
                    GP_PRAC_PAT_LIST,01JAN2021,GP,00L,E38000130,A84002,NE65 7UW,MALE,ALL,2903\n\
                    GP_PRAC_PAT_LIST,01JAN2021,GP,00L,E38000130,A84003,NE63 9UT,ALL,ALL,lots\n";
        let extract = read_list_sizes(file.as_bytes()).expect("reads");
        assert_eq!(extract.rows.len(), 1);
        assert_eq!(extract.rows[0].patients, 5903);
        assert_eq!(
            extract.rows[0].extract_date,
            NaiveDate::from_ymd_opt(2021, 1, 1).expect("date")
        );
        assert_eq!(extract.rows[0].commissioner, "00L");
        assert_eq!(extract.errors.len(), 1);
        assert_eq!(extract.errors[0].line, 4);
        let newer =
            "EXTRACT_DATE,SUB_ICB_LOCATION_CODE,CODE,SEX,AGE,NUMBER_OF_PATIENTS\n01APR2025,16C,A81001,ALL,ALL,12000\n";
        let extract = read_list_sizes(newer.as_bytes()).expect("reads");
        assert_eq!(extract.rows[0].commissioner, "16C");
        let short =
            "EXTRACT_DATE,CODE,SEX,AGE,NUMBER_OF_PATIENTS\n01APR2025,A81001,ALL,ALL,12000\n01APR2025,A81002,12000\n";
        let extract = read_list_sizes(short.as_bytes()).expect("reads");
        assert_eq!(extract.rows.len(), 1);
        assert_eq!(extract.errors[0].line, 3);
        assert_eq!(
            extract.errors[0].message,
            "the line has 3 fields, but the header row has 5"
        );
        assert!(
            read_list_sizes(b"A,B\n1,2\n")
                .expect_err("no columns")
                .0
                .contains("no CODE column")
        );
    }
}
