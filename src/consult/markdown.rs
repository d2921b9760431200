//! Consultation papers in Markdown, rendered to HTML through a whitelist:
//! paragraphs, headings, lists, emphasis, quotes, code and links with
//! http(s), mailto or site-relative addresses. Raw HTML in the source is
//! shown as text, never passed through, so no script or markup can be
//! injected; images become links.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// An address a link may go to; anything else (javascript:, data:, …) is dropped.
fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let allowed = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || crate::site_path::is_same_site_path(url)
        || lower.starts_with('#');
    allowed.then_some(url)
}

/// Headings in papers start at level 2: the page has its own h1.
fn heading(level: HeadingLevel) -> (&'static str, &'static str) {
    match level {
        HeadingLevel::H1 => ("h2", "nhsuk-heading-m"),
        HeadingLevel::H2 => ("h3", "nhsuk-heading-s"),
        _ => ("h4", "nhsuk-heading-xs"),
    }
}

pub fn to_html(markdown: &str) -> String {
    let mut out = String::new();
    // Links whose address was refused: their text is kept, their tags not.
    let mut dropped_links = Vec::new();
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH);
    for event in parser {
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => out.push_str("<p>"),
                Tag::Heading { level, .. } => {
                    let (name, class) = heading(level);
                    out.push_str(&format!("<{name} class=\"{class}\">"));
                }
                Tag::BlockQuote(_) => out.push_str("<blockquote class=\"nhsuk-inset-text\">"),
                Tag::CodeBlock(_) => out.push_str("<pre><code>"),
                Tag::List(Some(start)) => out.push_str(&format!(
                    "<ol class=\"nhsuk-list nhsuk-list--number\" start=\"{start}\">"
                )),
                Tag::List(None) => out.push_str("<ul class=\"nhsuk-list nhsuk-list--bullet\">"),
                Tag::Item => out.push_str("<li>"),
                Tag::Emphasis => out.push_str("<em>"),
                Tag::Strong => out.push_str("<strong>"),
                Tag::Strikethrough => out.push_str("<del>"),
                Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => match safe_url(&dest_url) {
                    Some(url) => {
                        out.push_str("<a class=\"nhsuk-link\" href=\"");
                        escape(url, &mut out);
                        out.push_str("\">");
                        dropped_links.push(false);
                    }
                    None => dropped_links.push(true),
                },
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => out.push_str("</p>\n"),
                TagEnd::Heading(level) => {
                    out.push_str(&format!("</{}>\n", heading(level).0));
                }
                TagEnd::BlockQuote(_) => out.push_str("</blockquote>\n"),
                TagEnd::CodeBlock => out.push_str("</code></pre>\n"),
                TagEnd::List(true) => out.push_str("</ol>\n"),
                TagEnd::List(false) => out.push_str("</ul>\n"),
                TagEnd::Item => out.push_str("</li>\n"),
                TagEnd::Emphasis => out.push_str("</em>"),
                TagEnd::Strong => out.push_str("</strong>"),
                TagEnd::Strikethrough => out.push_str("</del>"),
                TagEnd::Link | TagEnd::Image if dropped_links.pop() == Some(false) => out.push_str("</a>"),
                _ => {}
            },
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => escape(&text, &mut out),
            Event::Code(code) => {
                out.push_str("<code>");
                escape(&code, &mut out);
                out.push_str("</code>");
            }
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>\n"),
            Event::Rule => out.push_str("<hr>\n"),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_nhs_styled_html() {
        let html = to_html(
            "# Delegation\n\nThe *board* recommends **level 2**.\n\n- one\n- two\n\n[Papers](https://www.example.nhs.uk/papers)",
        );
        assert!(html.contains("<h2 class=\"nhsuk-heading-m\">Delegation</h2>"), "{html}");
        assert!(html.contains("<em>board</em>") && html.contains("<strong>level 2</strong>"));
        assert!(
            html.contains("<ul class=\"nhsuk-list nhsuk-list--bullet\"><li>one</li>"),
            "{html}"
        );
        assert!(html.contains("<a class=\"nhsuk-link\" href=\"https://www.example.nhs.uk/papers\">Papers</a>"));
    }

    #[test]
    fn scripts_and_markup_cannot_be_injected() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "Hello <b onclick=\"alert(1)\">there</b>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "![x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](//evil.example/path)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](https://ok.example\" onmouseover=\"alert(1))",
        ] {
            let html = to_html(attack);
            assert!(
                !html.contains("<script")
                    && !html.contains("<img")
                    && !html.contains("<iframe")
                    && !html.contains("<b "),
                "{attack} → {html}"
            );
            assert!(
                !html.to_lowercase().contains("href=\"javascript")
                    && !html.contains("href=\"data:")
                    && !html.contains("href=\"//"),
                "{attack} → {html}"
            );
            assert!(!html.contains("\" onmouseover=\""), "{attack} → {html}");
        }
        let shown = to_html("<script>alert(1)</script>");
        assert!(shown.contains("&lt;script&gt;"), "raw HTML is shown as text: {shown}");
        assert_eq!(to_html("[click](javascript:alert(1))").trim(), "<p>click</p>");
    }

    #[test]
    fn links_that_browsers_would_read_as_another_site_are_dropped() {
        // Found by fuzzing (tests/fuzz/crashes/markdown-*): browsers read
        // `\` as `/` and drop tabs, so these went to evil.example.
        for attack in [
            "[x](/\\evil.example/path)",
            "[x](</\t/evil.example>)",
            "[x](</\n/evil.example>)",
        ] {
            let html = to_html(attack);
            assert!(!html.contains("href"), "{attack:?} → {html}");
            assert!(html.contains('x'), "the link's text is kept: {html}");
        }
        assert!(to_html("[papers](/consultations/1)").contains("href=\"/consultations/1\""));
    }
}
