//! Reading a bounce: a delivery status notification (RFC 3464) or one of
//! the common non-standard forms. No I/O.

use mail_parser::{MessageParser, MimeHeaders};

/// How bad the bounce is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Permanent (5.x.x, "failed"): the message will never arrive.
    Hard,
    /// Temporary (4.x.x, "delayed"): the remote server is still trying.
    Soft,
    /// Not understood: kept for a person to read.
    Unknown,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Hard => "hard",
            Severity::Soft => "soft",
            Severity::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Hard => "Failed permanently",
            Severity::Soft => "Delayed",
            Severity::Unknown => "Not understood",
        }
    }
}

/// What a bounce says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    pub severity: Severity,
    /// The address that failed, as the report gives it.
    pub recipient: Option<String>,
    /// The enhanced status code, e.g. "5.1.1".
    pub status: Option<String>,
    /// The remote server's words, e.g. "550 5.1.1 User unknown".
    pub diagnostic: Option<String>,
    /// The tag of our VERP return path the bounce was sent to.
    pub verp_tag: Option<String>,
    /// The Message-ID of the returned original, if it came back.
    pub original_message_id: Option<String>,
    pub subject: Option<String>,
}

/// The VERP return path of a message: `local+TAG@domain` for the bounce
/// address `local@domain`, where TAG is the local part of the Message-ID.
pub fn return_path(bounce_address: &str, message_id: &str) -> Option<String> {
    let (local, domain) = bounce_address.trim().rsplit_once('@')?;
    let tag = message_tag(message_id)?;
    Some(format!("{local}+{tag}@{domain}"))
}

/// The tag of a Message-ID `<TAG@host>`: letters, digits, - and _ only, so
/// it is safe in an address's local part.
pub fn message_tag(message_id: &str) -> Option<String> {
    let inner = message_id.trim().trim_start_matches('<').trim_end_matches('>');
    let (tag, _) = inner.split_once('@')?;
    let safe =
        !tag.is_empty() && tag.len() <= 64 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    safe.then(|| tag.to_owned())
}

/// The tag in an address of the form `local+TAG@domain`, if it is ours.
pub fn tag_in_address(address: &str, bounce_address: &str) -> Option<String> {
    let (local, domain) = bounce_address.trim().rsplit_once('@')?;
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (their_local, their_domain) = address.rsplit_once('@')?;
    if !their_domain.eq_ignore_ascii_case(domain) {
        return None;
    }
    let tag = their_local.strip_prefix(local)?.strip_prefix('+')?;
    message_tag(&format!("<{tag}@x>"))
}

/// Reads a bounce. `recipient` is the address it was delivered to, when
/// the MTA says (else the Delivered-To, X-Original-To and To headers are
/// read for our VERP tag).
pub fn read(raw: &[u8], bounce_address: Option<&str>, recipient: Option<&str>) -> Bounce {
    let Some(message) = MessageParser::default().parse(raw) else {
        return unknown();
    };
    let mut bounce = unknown();
    bounce.subject = message.subject().map(str::to_owned);
    if let Some(ours) = bounce_address {
        let mut candidates: Vec<String> = recipient.map(str::to_owned).into_iter().collect();
        for name in ["Delivered-To", "X-Original-To", "Envelope-To", "To"] {
            for value in message.header_values(name) {
                if let Some(text) = value.as_text() {
                    candidates.push(text.to_owned());
                }
                if let Some(addresses) = value.as_address() {
                    candidates.extend(addresses.iter().filter_map(|a| a.address()).map(str::to_owned));
                }
            }
        }
        bounce.verp_tag = candidates.iter().find_map(|c| tag_in_address(c, ours));
    }
    let mut report_text = None;
    for part in &message.parts {
        let Some(content_type) = part.content_type() else {
            continue;
        };
        let (ctype, subtype) = (
            content_type.ctype().to_ascii_lowercase(),
            content_type.subtype().unwrap_or_default().to_ascii_lowercase(),
        );
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status" | "global-delivery-status") => {
                report_text = part.text_contents().map(str::to_owned);
            }
            ("message", "rfc822" | "global") => {
                if let Some(original) = part.message() {
                    bounce.original_message_id = original.message_id().map(|id| format!("<{id}>"));
                }
            }
            ("text", "rfc822-headers") => {
                if let Some(text) = part.text_contents() {
                    bounce.original_message_id = header_in(text, "message-id");
                }
            }
            _ => {}
        }
    }
    match report_text {
        Some(text) => read_status_report(&text, &mut bounce),
        None => {
            let body = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
            read_plain_bounce(&body, &mut bounce);
        }
    }
    bounce
}

fn unknown() -> Bounce {
    Bounce {
        severity: Severity::Unknown,
        recipient: None,
        status: None,
        diagnostic: None,
        verp_tag: None,
        original_message_id: None,
        subject: None,
    }
}

/// The value of `name` in a block of header lines (continuations joined).
fn header_in(text: &str, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for line in text.lines() {
        if let Some(value) = found.as_mut() {
            if line.starts_with([' ', '\t']) {
                value.push(' ');
                value.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            if key.trim().eq_ignore_ascii_case(name) {
                found = Some(value.trim().to_owned());
            }
        }
    }
    found.filter(|v| !v.is_empty())
}

/// RFC 3464: a per-message block, then a block per recipient with Action,
/// Status, Final-Recipient and Diagnostic-Code. The first recipient that
/// failed (else was delayed) is the one reported.
fn read_status_report(text: &str, bounce: &mut Bounce) {
    let normalised = text.replace("\r\n", "\n");
    let mut best: Option<Bounce> = None;
    for block in normalised.split("\n\n").skip(1) {
        let action = header_in(block, "action").map(|a| a.to_ascii_lowercase());
        let status = header_in(block, "status").and_then(|s| enhanced_status(&s));
        let severity = match (action.as_deref(), status.as_deref()) {
            (Some("failed"), _) => Severity::Hard,
            (Some("delayed"), _) => Severity::Soft,
            (Some("delivered" | "relayed" | "expanded"), _) => continue,
            (_, Some(s)) if s.starts_with('5') => Severity::Hard,
            (_, Some(s)) if s.starts_with('4') => Severity::Soft,
            _ => continue,
        };
        let recipient = header_in(block, "final-recipient")
            .or_else(|| header_in(block, "original-recipient"))
            .map(|r| {
                r.split_once(';')
                    .map_or(r.clone(), |(_, address)| address.trim().to_owned())
            });
        let diagnostic = header_in(block, "diagnostic-code").map(|d| {
            d.split_once(';')
                .map_or(d.clone(), |(_, words)| words.trim().to_owned())
        });
        let better = match &best {
            None => true,
            Some(held) => held.severity == Severity::Soft && severity == Severity::Hard,
        };
        if better {
            best = Some(Bounce {
                severity,
                recipient,
                status,
                diagnostic,
                ..unknown()
            });
        }
    }
    if let Some(found) = best {
        bounce.severity = found.severity;
        bounce.recipient = found.recipient;
        bounce.status = found.status;
        bounce.diagnostic = found.diagnostic;
    }
}

/// "5.1.1" out of "5.1.1 (bad destination mailbox address)".
fn enhanced_status(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|word| {
            let parts: Vec<&str> = word.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "2" | "4" | "5")
                && parts[1..].iter().all(|p| !p.is_empty() && p.len() <= 3)
        })
        .map(str::to_owned)
}

/// Bounces without a report (qmail, older Exim, some hosted services):
/// the first line with an SMTP reply code or an enhanced status, and the
/// first address in the text.
fn read_plain_bounce(body: &str, bounce: &mut Bounce) {
    let looks_like_bounce = {
        let lower = body.to_ascii_lowercase();
        [
            "could not be delivered",
            "delivery has failed",
            "undeliverable",
            "permanent error",
            "delivery failed",
            "failed permanently",
            "not be delivered",
            "mail delivery failed",
            "returned to sender",
            "delivery status notification",
        ]
        .iter()
        .any(|phrase| lower.contains(phrase))
    };
    for line in body.lines() {
        let trimmed = line.trim();
        let reply = trimmed
            .split_whitespace()
            .find(|w| w.len() == 3 && w.starts_with(['4', '5']) && w.chars().all(|c| c.is_ascii_digit()));
        let status = enhanced_status(trimmed);
        if reply.is_none() && status.is_none() {
            continue;
        }
        let first = status.as_deref().or(reply).unwrap_or_default();
        if !looks_like_bounce && status.is_none() {
            continue;
        }
        bounce.severity = if first.starts_with('5') {
            Severity::Hard
        } else {
            Severity::Soft
        };
        bounce.status = status;
        bounce.diagnostic = Some(trimmed.chars().take(500).collect());
        break;
    }
    if bounce.severity != Severity::Unknown {
        bounce.recipient = body
            .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ',' | ';' | ':' | '(' | ')'))
            .find(|w| w.contains('@') && w.contains('.') && !w.starts_with('@'))
            .map(str::to_owned);
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
