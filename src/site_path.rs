//! Whether an address stays on this site: a path browsers cannot read as
//! another site's address. They treat `\` as `/` and drop tabs and line
//! breaks, so `/\evil.example` and `/<TAB>/evil.example` both mean
//! `//evil.example`; such a path is refused, not repaired.

/// A path on this site (`/…`), with no second slash at its start and no
/// backslash, space or control character anywhere.
pub fn is_same_site_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::is_same_site_path;

    #[test]
    fn paths_that_browsers_would_read_as_another_site_are_refused() {
        for good in ["/", "/ballots/3", "/consultations/1/documents/2?x=1#top"] {
            assert!(is_same_site_path(good), "{good}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert!(!is_same_site_path(bad), "{bad:?}");
        }
    }
}
