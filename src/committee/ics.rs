//! A meeting as an iCalendar file (RFC 5545), so members and the public can
//! put it in their calendars: one event, times in UTC, text escaped, lines
//! folded at 75 octets and ended with CRLF.

use chrono::{Duration, NaiveDateTime};

/// What the calendar event says.
pub struct Event<'a> {
    /// Unique and stable for the meeting, like `meeting-12@quorate.example`.
    pub uid: &'a str,
    pub starts_at: NaiveDateTime,
    pub duration: Duration,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    pub url: &'a str,
    pub stamped_at: NaiveDateTime,
}

fn utc(at: NaiveDateTime) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Text escaped as RFC 5545 section 3.3.11 asks.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.replace("\r\n", "\n").chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

pub fn calendar(event: &Event<'_>) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Quorate//Committee meetings//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", text(event.uid)),
        format!("DTSTAMP:{}", utc(event.stamped_at)),
        format!("DTSTART:{}", utc(event.starts_at)),
        format!("DTEND:{}", utc(event.starts_at + event.duration)),
        format!("SUMMARY:{}", text(event.summary)),
        format!("LOCATION:{}", text(event.location)),
        format!("DESCRIPTION:{}", text(event.description)),
        format!("URL:{}", event.url),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn an_event_is_escaped_folded_and_in_utc() {
        let description = format!(
            "Agenda: 1. Minutes; 2. Extended access, {}\nPublic part first",
            "long ".repeat(20)
        );
        let ics = calendar(&Event {
            uid: "meeting-7@quorate.example",
            starts_at: at("2027-01-12 14:00"),
            duration: Duration::hours(2),
            summary: "Primary care commissioning committee, meeting in public",
            location: "Room 3, Mulberry Place; or online",
            description: &description,
            url: "https://quorate.example/meetings/7",
            stamped_at: at("2026-12-06 10:00"),
        });
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("DTSTART:20270112T140000Z\r\nDTEND:20270112T160000Z\r\n"));
        assert!(ics.contains("LOCATION:Room 3\\, Mulberry Place\\; or online\r\n"));
        assert!(ics.contains("\\nPublic part first"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!(
            "DESCRIPTION:Agenda: 1. Minutes\\; 2. Extended access\\, {}",
            "long ".repeat(20)
        )));
    }

    #[test]
    fn folding_never_splits_a_character() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", "").trim_end(), line);
    }
}
