//! Consultations without I/O: states, the options under consideration
//! (with the co-commissioning levels preset), checking a draft and a question.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationState {
    Draft,
    Open,
    Closed,
}

impl ConsultationState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Open => "Open for comments",
            Self::Closed => "Closed",
        }
    }

    pub fn tag_colour(self) -> &'static str {
        match self {
            Self::Draft => "grey",
            Self::Open => "green",
            Self::Closed => "orange",
        }
    }
}

/// An option under consideration, with what it means for practices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultOption {
    pub label: String,
    pub opportunities: String,
    pub risks: String,
}

/// The three co-commissioning levels, as practices weigh them.
pub fn co_commissioning_options() -> Vec<ConsultOption> {
    let option = |label: &str, opportunities: &str, risks: &str| ConsultOption {
        label: label.to_owned(),
        opportunities: opportunities.to_owned(),
        risks: risks.to_owned(),
    };
    vec![
        option(
            "Level 1 — greater involvement",
            "A say in NHS England's primary care decisions; little new work for the CCG.",
            "Little real influence over contracts; practices gain few local levers.",
        ),
        option(
            "Level 2 — joint commissioning",
            "Decisions shared with NHS England in a joint committee; local design of incentive schemes.",
            "The CCG shares responsibility for contract decisions that affect its own members; conflicts of interest must be managed.",
        ),
        option(
            "Level 3 — delegated commissioning",
            "Full local control of GP contracts, local incentive schemes in place of QOF/DES, budgets pooled.",
            "The CCG manages its members' contracts: performance management, breach notices and termination; conflicts of interest and arbitration routes change.",
        ),
    ]
}

/// "Label | opportunities | risks", one option a line.
pub fn parse_options(text: &str) -> Vec<ConsultOption> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, '|').map(str::trim);
            ConsultOption {
                label: parts.next().unwrap_or_default().to_owned(),
                opportunities: parts.next().unwrap_or_default().to_owned(),
                risks: parts.next().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

pub fn options_text(options: &[ConsultOption]) -> String {
    options
        .iter()
        .map(|o| format!("{} | {} | {}", o.label, o.opportunities, o.risks))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A draft as the form sends it.
#[derive(Debug, Clone, Default)]
pub struct ConsultationDraft {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub options: Vec<ConsultOption>,
    pub closes_at: Option<NaiveDateTime>,
    pub edge_errors: Vec<FieldError>,
}

pub const MAX_BODY_CHARS: usize = 100_000;

pub fn check_draft(draft: &ConsultationDraft, now: NaiveDateTime) -> Vec<FieldError> {
    let mut errors = draft.edge_errors.clone();
    if draft.title.trim().is_empty() {
        errors.push(FieldError::new("title", "Enter a title"));
    } else if draft.title.chars().count() > 120 {
        errors.push(FieldError::new("title", "The title must be 120 characters or less"));
    }
    if draft.summary.trim().is_empty() {
        errors.push(FieldError::new(
            "summary",
            "Enter a summary of what is being consulted on",
        ));
    } else if draft.summary.chars().count() > 2_000 {
        errors.push(FieldError::new(
            "summary",
            "The summary must be 2,000 characters or less",
        ));
    }
    if draft.body.chars().count() > MAX_BODY_CHARS {
        errors.push(FieldError::new("body", "The paper must be 100,000 characters or less"));
    }
    if draft.options.len() > 20 {
        errors.push(FieldError::new("options", "Give at most 20 options"));
    }
    if draft
        .options
        .iter()
        .any(|o| o.label.is_empty() || o.label.chars().count() > 200)
    {
        errors.push(FieldError::new(
            "options",
            "Every option needs a label of 200 characters or less",
        ));
    }
    match draft.closes_at {
        Some(closes) if closes <= now => errors.push(FieldError::new(
            "closes-at",
            "The consultation must close in the future",
        )),
        Some(_) => {}
        None if !errors.iter().any(|e| e.field == "closes-at") => {
            errors.push(FieldError::new("closes-at", "Enter when the consultation closes"))
        }
        None => {}
    }
    errors
}

/// A member's question: not empty, not a paper.
pub fn check_question(text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("question", "Enter your question"));
    }
    if text.chars().count() > 4_000 {
        return Err(FieldError::new(
            "question",
            "Your question must be 4,000 characters or less",
        ));
    }
    Ok(text.to_owned())
}

pub fn check_answer(text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("answer", "Enter the answer"));
    }
    if text.chars().count() > 20_000 {
        return Err(FieldError::new(
            "answer",
            "The answer must be 20,000 characters or less",
        ));
    }
    Ok(text.to_owned())
}

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// Checks an uploaded document: a PDF or an Office file, by its name and by
/// its first bytes (so a renamed program is refused). Returns its clean
/// file name and content type.
pub fn check_document(file_name: &str, bytes: &[u8]) -> Result<(String, &'static str), FieldError> {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let name = name.trim().to_owned();
    if bytes.is_empty() {
        return Err(FieldError::new("document", "The selected file is empty"));
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(FieldError::new("document", "The document must be smaller than 20 MB"));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    let (magic, content_type): (&[u8], &'static str) = match extension.as_str() {
        "pdf" => (b"%PDF-", "application/pdf"),
        "docx" => (
            ZIP,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xlsx" => (ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "pptx" => (
            ZIP,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        "odt" => (ZIP, "application/vnd.oasis.opendocument.text"),
        "doc" => (OLE, "application/msword"),
        "xls" => (OLE, "application/vnd.ms-excel"),
        "ppt" => (OLE, "application/vnd.ms-powerpoint"),
        _ => {
            return Err(FieldError::new(
                "document",
                "The document must be a PDF or an Office file (.pdf, .docx, .xlsx, .pptx, .odt, .doc, .xls, .ppt)",
            ));
        }
    };
    if !bytes.starts_with(magic) {
        return Err(FieldError::new(
            "document",
            format!("The file is named .{extension} but its content is not a .{extension} file"),
        ));
    }
    Ok((name, content_type))
}

/// A practice's position on one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Support,
    Neutral,
    Oppose,
}

impl Position {
    pub const ALL: [Position; 3] = [Position::Support, Position::Neutral, Position::Oppose];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "support" => Some(Self::Support),
            "neutral" => Some(Self::Neutral),
            "oppose" => Some(Self::Oppose),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Support => "support",
            Self::Neutral => "neutral",
            Self::Oppose => "oppose",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Support => "Support",
            Self::Neutral => "Neither",
            Self::Oppose => "Oppose",
        }
    }
}

/// Positions per option (by index), as a practice gives them: each option
/// must have one.
pub fn check_positions(options: &[ConsultOption], given: &[Option<&str>]) -> Result<Vec<Position>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut positions = Vec::new();
    for (i, option) in options.iter().enumerate() {
        match given.get(i).copied().flatten().and_then(Position::parse) {
            Some(p) => positions.push(p),
            None => errors.push(FieldError::new(
                &format!("position-{i}"),
                format!("Give your practice's position on {}", option.label),
            )),
        }
    }
    if errors.is_empty() { Ok(positions) } else { Err(errors) }
}

/// Practices and list-size weight behind each position on one option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PositionCount {
    pub practices: u64,
    pub patients: u64,
}

/// For each option, the count per position (support, neutral, oppose).
pub fn summarise(options: usize, responses: &[(Vec<Position>, u64)]) -> Vec<[PositionCount; 3]> {
    let mut out: Vec<[PositionCount; 3]> = (0..options).map(|_| Default::default()).collect();
    for (positions, patients) in responses {
        for (i, position) in positions.iter().enumerate().take(options) {
            let slot = &mut out[i][Position::ALL.iter().position(|p| p == position).unwrap_or(1)];
            slot.practices += 1;
            slot.patients += patients;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("time")
    }

    #[test]
    fn documents_are_checked_by_name_and_content() {
        assert_eq!(
            check_document("C:\\papers\\plan.PDF", b"%PDF-1.7 ...").expect("pdf"),
            ("plan.PDF".to_owned(), "application/pdf")
        );
        assert!(check_document("plan.docx", b"PK\x03\x04rest").is_ok());
        assert!(
            check_document("plan.pdf", b"MZ\x90\x00")
                .expect_err("not a pdf")
                .message
                .contains("content is not a .pdf")
        );
        assert!(
            check_document("run.exe", b"MZ")
                .expect_err("exe")
                .message
                .contains("PDF or an Office file")
        );
        assert!(check_document("empty.pdf", b"").is_err());
        assert!(check_document("big.pdf", &vec![b'%'; MAX_DOCUMENT_BYTES + 1]).is_err());
    }

    #[test]
    fn options_round_trip_through_their_lines() {
        let options = co_commissioning_options();
        assert_eq!(options.len(), 3);
        assert_eq!(parse_options(&options_text(&options)), options);
        assert_eq!(parse_options("Only a label\n\n")[0].opportunities, "");
    }

    #[test]
    fn positions_are_required_for_every_option_and_summed_with_list_sizes() {
        let options = co_commissioning_options();
        let errors = check_positions(&options, &[Some("support"), None, Some("maybe")]).expect_err("missing");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "position-1");
        let given = check_positions(&options, &[Some("support"), Some("oppose"), Some("neutral")]).expect("ok");
        let summary = summarise(3, &[(given.clone(), 9_323), (given, 2_000)]);
        assert_eq!(
            summary[0][0],
            PositionCount {
                practices: 2,
                patients: 11_323
            }
        );
        assert_eq!(summary[1][2].practices, 2);
        assert_eq!(summary[2][1].patients, 11_323);
    }

    #[test]
    fn drafts_and_questions_name_their_problems() {
        let draft = ConsultationDraft {
            title: "Delegation".into(),
            summary: "Should we?".into(),
            closes_at: Some(at(20)),
            ..Default::default()
        };
        assert!(check_draft(&draft, at(1)).is_empty());
        let bad = ConsultationDraft {
            title: String::new(),
            closes_at: Some(at(1)),
            ..draft
        };
        let fields: Vec<String> = check_draft(&bad, at(2)).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["title", "closes-at"]);
        assert!(check_question("   ").is_err());
        assert_eq!(check_question(" Why? ").expect("ok"), "Why?");
        assert!(check_answer("").is_err());
    }
}
