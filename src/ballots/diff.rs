//! A word-level difference between the current and proposed text of a
//! constitution's clauses, for voters to read: words kept, deleted and
//! inserted, in order.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Deleted,
    Inserted,
}

/// A run of words with the same change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Piece {
    pub change: Change,
    pub text: String,
}

/// Beyond this many word pairs the texts are shown whole, one deleted and
/// one inserted, rather than spending the memory on a finer comparison.
const MAX_CELLS: usize = 4_000_000;

/// Words and the whitespace after each, so line breaks survive.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        match (start, c.is_whitespace()) {
            (None, _) => {
                start = Some(i);
                in_space = c.is_whitespace();
            }
            (Some(s), false) if in_space => {
                out.push(&text[s..i]);
                start = Some(i);
                in_space = false;
            }
            (Some(_), true) => in_space = true,
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

fn push(pieces: &mut Vec<Piece>, change: Change, text: &str) {
    match pieces.last_mut() {
        Some(last) if last.change == change => last.text.push_str(text),
        _ => pieces.push(Piece {
            change,
            text: text.to_owned(),
        }),
    }
}

/// The longest common subsequence of words, as pieces in reading order.
pub fn word_diff(current: &str, proposed: &str) -> Vec<Piece> {
    let (a, b) = (words(current), words(proposed));
    let same = |x: &str, y: &str| x.trim_end() == y.trim_end();
    let mut pieces = Vec::new();
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        push(&mut pieces, Change::Deleted, current);
        push(&mut pieces, Change::Inserted, proposed);
        return pieces;
    }
    // lcs[i][j]: common words of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if same(a[i], b[j]) {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if same(a[i], b[j]) {
            push(&mut pieces, Change::Same, b[j]);
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            push(&mut pieces, Change::Deleted, a[i]);
            i += 1;
        } else {
            push(&mut pieces, Change::Inserted, b[j]);
            j += 1;
        }
    }
    for word in &a[i..] {
        push(&mut pieces, Change::Deleted, word);
    }
    for word in &b[j..] {
        push(&mut pieces, Change::Inserted, word);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p.change {
                Change::Same => p.text.clone(),
                Change::Deleted => format!("[-{}-]", p.text.trim_end()),
                Change::Inserted => format!("{{+{}+}}", p.text.trim_end()),
            })
            .collect()
    }

    #[test]
    fn words_deleted_and_inserted_are_marked_in_place() {
        let diff = word_diff(
            "The Governing Body shall meet at least six times a year.",
            "The Governing Body shall meet in public at least ten times a year.",
        );
        assert_eq!(
            show(&diff),
            "The Governing Body shall meet {+in public+}at least [-six-]{+ten+}times a year."
        );
    }

    #[test]
    fn identical_and_empty_texts() {
        assert!(word_diff("a b c", "a b c").iter().all(|p| p.change == Change::Same));
        assert_eq!(show(&word_diff("", "new clause")), "{+new clause+}");
        assert_eq!(show(&word_diff("old clause", "")), "[-old clause-]");
    }

    #[test]
    fn the_pieces_rebuild_both_texts() {
        let (old, new) = (
            "4.1 Members\nshall vote by practice.",
            "4.1 Member practices\nshall each have one vote.",
        );
        let diff = word_diff(old, new);
        let kept_or = |c: Change| -> String {
            diff.iter()
                .filter(|p| p.change == Change::Same || p.change == c)
                .map(|p| p.text.as_str())
                .collect()
        };
        assert_eq!(
            kept_or(Change::Inserted).split_whitespace().collect::<Vec<_>>(),
            new.split_whitespace().collect::<Vec<_>>()
        );
        assert_eq!(
            kept_or(Change::Deleted).split_whitespace().collect::<Vec<_>>(),
            old.split_whitespace().collect::<Vec<_>>()
        );
    }
}
