//! Checking a draft ballot as the form or the API sends it, against the
//! organisation's constitution settings: the row to write and its options,
//! or every problem, each naming its field. No I/O.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::model::{BallotKind, BallotOption, BallotRules, DraftInput, MotionKind, RulesInput, check_draft};
use super::store;
use crate::error::FieldError;
use crate::registry::constitution::ConstitutionSettings;

/// A draft as the form or the API sends it. Times that could not be read
/// are `None`, with the reason in `edge_errors`.
#[derive(Debug, Clone, Default)]
pub struct DraftRequest {
    pub kind: String,
    pub title: String,
    pub question: String,
    pub papers: String,
    pub current_text: String,
    pub proposed_text: String,
    pub motion_kind: String,
    pub motion_subject: String,
    /// `None`: the kind's preset options.
    pub options: Option<Vec<BallotOption>>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub rules: RulesInput,
    /// An external deadline the result is needed for, and what is due.
    pub deadline: Option<NaiveDate>,
    pub deadline_label: String,
    pub edge_errors: Vec<FieldError>,
    /// Set by the service, never by a form: the election's candidates are
    /// the published list of nominations.
    pub candidates_from_nominations: bool,
}

const MAX_TEXT_CHARS: usize = 50_000;

/// Checks a draft against the organisation's settings: the row to write
/// and its options, or every problem.
pub fn checked_draft(
    request: &DraftRequest,
    settings: &ConstitutionSettings,
    now: NaiveDateTime,
) -> Result<(store::DraftRow, Vec<BallotOption>), Vec<FieldError>> {
    let mut errors = request.edge_errors.clone();
    let Some(kind) = BallotKind::parse(request.kind.trim()) else {
        errors.push(FieldError::new(
            "kind",
            "Choose the kind of ballot: general, co_commissioning, constitution_amendment, motion or election",
        ));
        return Err(errors);
    };
    let motion = if kind == BallotKind::Motion {
        let parsed = MotionKind::parse(request.motion_kind.trim());
        if parsed.is_none() {
            errors.push(FieldError::new(
                "motion-kind",
                "Choose what the motion is about: remove_member, recall, merger or application",
            ));
        }
        parsed
    } else {
        None
    };
    if motion == Some(MotionKind::RemoveMember) && request.motion_subject.trim().is_empty() {
        errors.push(FieldError::new(
            "motion-subject",
            "Enter the name of the governing body member the motion would remove",
        ));
    }
    if kind == BallotKind::ConstitutionAmendment {
        if request.current_text.trim().is_empty() {
            errors.push(FieldError::new(
                "current-text",
                "Enter the current text of the clauses the amendment changes",
            ));
        }
        if request.proposed_text.trim().is_empty() {
            errors.push(FieldError::new(
                "proposed-text",
                "Enter the proposed text of the clauses",
            ));
        } else if request.proposed_text.trim() == request.current_text.trim() {
            errors.push(FieldError::new(
                "proposed-text",
                "The proposed text is the same as the current text",
            ));
        }
    }
    for (field, text) in [
        ("papers", &request.papers),
        ("current-text", &request.current_text),
        ("proposed-text", &request.proposed_text),
    ] {
        if text.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError::new(field, "This text must be 50,000 characters or less"));
        }
    }
    let deadline_label = request.deadline_label.trim();
    if deadline_label.chars().count() > 120 {
        errors.push(FieldError::new(
            "deadline-label",
            "What is due must be 120 characters or less",
        ));
    }
    if request.deadline.is_none() && !deadline_label.is_empty() && !errors.iter().any(|e| e.field == "deadline") {
        errors.push(FieldError::new(
            "deadline",
            "Enter the date of the deadline, or leave what is due blank",
        ));
    }
    if request.deadline.is_some_and(|d| d < now.date()) {
        errors.push(FieldError::new("deadline", "The deadline must be today or later"));
    }
    if request.motion_subject.chars().count() > 200 {
        errors.push(FieldError::new("motion-subject", "This must be 200 characters or less"));
    }
    let options = request.options.clone().unwrap_or_else(|| kind.preset_options());
    let rules = BallotRules::defaults(settings, kind, motion).with(request.rules.clone());
    let mut rules = rules;
    rules.constituencies = rules
        .constituencies
        .into_iter()
        .map(|(code, name)| (code.trim().to_ascii_uppercase(), name.trim().to_owned()))
        .collect();
    rules.deadline = request.deadline;
    rules.deadline_label = request
        .deadline
        .and(Some(request.deadline_label.trim().to_owned()))
        .filter(|label| !label.is_empty());
    errors.extend(rules.check());
    let election_rules = [
        ("seats", request.rules.seats.is_some()),
        ("count-rule", request.rules.count_rule.is_some()),
        ("paper-order", request.rules.paper_order.is_some()),
    ];
    if !kind.is_election() {
        for (field, _) in election_rules.iter().filter(|(_, given)| *given) {
            errors.push(FieldError::new(
                field,
                "Only an election has seats, a count rule and an order of candidates on the paper",
            ));
        }
    }
    if let Some(seats) = rules.seats.filter(|_| kind.is_election()) {
        if options.len() <= seats as usize && options.len() >= 2 && !request.candidates_from_nominations {
            errors.push(FieldError::new(
                "options",
                format!(
                    "There are {} candidates for {seats} seats: an election needs more candidates than seats (with no more, they are elected unopposed and no vote is held)",
                    options.len()
                ),
            ));
        }
    }
    // A missing time is reported once; the other checks still run.
    let opens_at = request.opens_at.unwrap_or(now + Duration::days(1));
    let closes_at = request.closes_at.unwrap_or(opens_at + Duration::days(1));
    let input = DraftInput {
        kind,
        title: request.title.clone(),
        question: request.question.clone(),
        options: options.clone(),
        opens_at,
        closes_at,
        candidates_from_nominations: request.candidates_from_nominations,
    };
    let mut missing = Vec::new();
    for (field, value, message) in [
        ("opens-at", request.opens_at, "Enter when voting opens"),
        ("closes-at", request.closes_at, "Enter when voting closes"),
    ] {
        if value.is_none() {
            missing.push(field);
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, message));
            }
        }
    }
    errors.extend(
        check_draft(&input, now)
            .into_iter()
            .filter(|e| !missing.contains(&e.field.as_str())),
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let rules_json = serde_json::to_string(&rules).map_err(|e| vec![FieldError::new("rules", e.to_string())])?;
    Ok((
        store::DraftRow {
            kind: kind.as_str().to_owned(),
            title: request.title.trim().to_owned(),
            question: request.question.trim().to_owned(),
            papers: crate::web::form::lf_lines(request.papers.trim()),
            current_text: crate::web::form::lf_lines(request.current_text.trim()),
            proposed_text: crate::web::form::lf_lines(request.proposed_text.trim()),
            motion_kind: motion.map(|m| m.as_str().to_owned()).unwrap_or_default(),
            motion_subject: request.motion_subject.trim().to_owned(),
            rules: rules_json,
            // Both are present: otherwise an error was returned above.
            opens_at: request.opens_at.unwrap_or(now),
            closes_at: request.closes_at.unwrap_or(now),
            updated_at: now,
        },
        options
            .into_iter()
            .map(|o| BallotOption {
                key: o.key.trim().to_owned(),
                label: o.label.trim().to_owned(),
                description: o.description.trim().to_owned(),
            })
            .collect(),
    ))
}
