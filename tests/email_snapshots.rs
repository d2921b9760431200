//! Every email, rendered from a realistic context, compared with its
//! snapshot in `tests/fixtures/emails/`: subject, plain text and HTML. A
//! template change shows up as a readable difference. After checking a
//! difference is intended, write the snapshots again with
//! `QUORATE_UPDATE_SNAPSHOTS=1 cargo test --test email_snapshots`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use quorate::mail::templates::MailTemplates;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/emails")
}

fn cases() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(fixtures().join("cases.json")).expect("cases.json");
    match serde_json::from_str(&text).expect("cases.json is JSON") {
        Value::Object(map) => map,
        _ => panic!("cases.json must be an object"),
    }
}

/// The text between `<title>` and `</title>`, and of the first `<h1 …>`.
fn title_and_heading(html: &str) -> (String, String) {
    let between = |start: &str, end: &str| {
        html.find(start)
            .and_then(|i| {
                let from = i + start.len();
                let from = if start.ends_with('>') {
                    from
                } else {
                    from + html[from..].find('>')? + 1
                };
                html[from..].find(end).map(|j| html[from..from + j].to_owned())
            })
            .unwrap_or_default()
    };
    (between("<title>", "</title>"), between("<h1", "</h1>"))
}

#[test]
fn every_email_matches_its_snapshot() {
    let templates = MailTemplates::load().expect("templates");
    let update = std::env::var_os("QUORATE_UPDATE_SNAPSHOTS").is_some();
    let mut differing = Vec::new();
    for (case, spec) in cases() {
        let template = spec["template"].as_str().expect("template");
        let rendered = templates
            .render(template, &spec["context"])
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let snapshot = format!(
            "Subject: {}\n\n--- text ---\n{}\n--- html ---\n{}",
            rendered.subject, rendered.text, rendered.html
        );
        let file = fixtures().join(format!("{case}.snap"));
        if update {
            std::fs::write(&file, &snapshot).expect("write snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        if expected != snapshot {
            let first = expected
                .lines()
                .zip(snapshot.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| expected.lines().count().min(snapshot.lines().count()));
            differing.push(format!(
                "{case}: line {}: expected {:?}, got {:?}",
                first + 1,
                expected.lines().nth(first).unwrap_or("<end>"),
                snapshot.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "emails differ from their snapshots (QUORATE_UPDATE_SNAPSHOTS=1 writes them again once checked):\n{}",
        differing.join("\n")
    );
}

#[test]
fn every_email_template_has_a_case_and_says_its_title_once() {
    let templates = MailTemplates::load().expect("templates");
    let names: BTreeSet<String> = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/email"))
        .expect("templates/email")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".subject.hbs").map(str::to_owned))
        .collect();
    let covered: BTreeSet<String> = cases()
        .values()
        .filter_map(|c| c["template"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names, covered, "every email has a snapshot case");
    for (case, spec) in cases() {
        let rendered = templates
            .render(spec["template"].as_str().unwrap_or_default(), &spec["context"])
            .expect("renders");
        let (title, heading) = title_and_heading(&rendered.html);
        assert!(!title.trim().is_empty(), "{case}: the HTML has a title");
        // The layout's title and the body's heading each say it once:
        // never "Notice of ballot: Notice of ballot".
        for text in [&title, &heading, &rendered.subject] {
            if let Some((before, after)) = text.split_once(": ") {
                assert!(!after.starts_with(before), "{case}: {text:?} repeats itself");
            }
        }
        assert!(rendered.html.contains("<html lang=\"en\">"), "{case}: language");
        assert!(!rendered.text.contains('<'), "{case}: the text part has no markup");
        assert!(
            !rendered.text.contains("&#x"),
            "{case}: the text part is not HTML-escaped"
        );
    }
}
