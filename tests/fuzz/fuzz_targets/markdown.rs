//! `quorate::consult::markdown::to_html`: consultation papers. The module
//! promises a whitelist: the tags it writes itself (p, h2–h4, blockquote,
//! pre, code, ol, ul, li, em, strong, del, a, br, hr) with only class,
//! start and href attributes; raw HTML shown as text; links only to http(s),
//! mailto, `#…` or site-relative addresses (never `//host` nor
//! `javascript:`/`data:`). Any other markup in the output is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate::consult::markdown::to_html;

const TAGS: [&str; 16] = [
    "p", "h2", "h3", "h4", "blockquote", "pre", "code", "ol", "ul", "li", "em", "strong", "del", "a", "br", "hr",
];
const ATTRIBUTES: [&str; 3] = ["class", "start", "href"];

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Checks one tag `<...>` (without the angle brackets).
fn check_tag(tag: &str, html: &str, input: &str) {
    let body = tag.strip_prefix('/').unwrap_or(tag);
    let name: String = body.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    assert!(
        TAGS.contains(&name.as_str()),
        "tag <{tag}> is not on the whitelist\ninput: {input:?}\nhtml: {html}"
    );
    // Attributes: name="value" pairs; the value never holds a raw quote
    // (escape() turns it into &quot;).
    let mut rest = body[name.len()..].trim_start();
    while !rest.is_empty() {
        let (attr, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("malformed attributes in <{tag}>\ninput: {input:?}\nhtml: {html}"));
        assert!(
            !attr.to_ascii_lowercase().starts_with("on"),
            "event handler attribute {attr:?} in <{tag}>\ninput: {input:?}\nhtml: {html}"
        );
        assert!(
            ATTRIBUTES.contains(&attr),
            "attribute {attr:?} in <{tag}> is not on the whitelist\ninput: {input:?}\nhtml: {html}"
        );
        let (value, after) = after
            .split_once('"')
            .unwrap_or_else(|| panic!("unterminated attribute in <{tag}>\ninput: {input:?}\nhtml: {html}"));
        if attr == "href" {
            check_href(&unescape(value), html, input);
        }
        rest = after.trim_start();
    }
}

/// What a browser does with an href before resolving it (WHATWG URL
/// parser): strips leading/trailing C0 controls and spaces, removes every
/// tab and newline, and in http(s) URLs treats `\` as `/`.
fn check_href(href: &str, html: &str, input: &str) {
    let normalised: String = href
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect::<String>()
        .to_ascii_lowercase();
    let allowed = normalised.starts_with("https://")
        || normalised.starts_with("http://")
        || normalised.starts_with("mailto:")
        || normalised.starts_with('#')
        || (normalised.starts_with('/') && !normalised.starts_with("//"));
    assert!(
        allowed,
        "href {href:?} is not http(s), mailto, # or site-relative once a browser reads it ({normalised:?})\ninput: {input:?}\nhtml: {html}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let html = to_html(input);
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "<script in output\ninput: {input:?}\nhtml: {html}");
    // Every '<' opens one of our own tags; text is escaped.
    let mut rest = html.as_str();
    while let Some(start) = rest.find('<') {
        assert!(
            !rest[..start].contains('>'),
            "stray '>' in output text\ninput: {input:?}\nhtml: {html}"
        );
        let after = &rest[start + 1..];
        let end = after
            .find('>')
            .unwrap_or_else(|| panic!("unclosed '<' in output\ninput: {input:?}\nhtml: {html}"));
        let tag = &after[..end];
        assert!(!tag.contains('<'), "'<' inside a tag\ninput: {input:?}\nhtml: {html}");
        check_tag(tag, &html, input);
        rest = &after[end + 1..];
    }
    assert!(!rest.contains('>'), "stray '>' in output text\ninput: {input:?}\nhtml: {html}");
});
