//! The certificate as a PDF, written directly: A4 pages of text in the
//! standard Courier and Helvetica fonts (which every PDF reader has, so
//! nothing is embedded) and the QR code drawn as squares. No library: a
//! layout engine would add minutes and gigabytes to every build for one
//! page of text.

use std::fmt::Write as _;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const SIZE: f32 = 10.0;
const LEADING: f32 = 13.0;
/// Courier's glyphs are all 0.6 em wide, which makes wrapping exact.
const CHARS_PER_LINE: usize = ((WIDTH - 2.0 * MARGIN) / (SIZE * 0.6)) as usize;

/// A character in WinAnsiEncoding (the standard fonts' encoding).
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '—' => 0x97,
        '–' => 0x96,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '…' => 0x85,
        '£' => 0xA3,
        '©' => 0xA9,
        '·' => 0xB7,
        'é' => 0xE9,
        'è' => 0xE8,
        'ö' => 0xF6,
        'ü' => 0xFC,
        _ => b'?',
    }
}

/// A PDF string literal.
fn literal(text: &str) -> String {
    let mut out = String::from("(");
    for byte in text.chars().map(win_ansi) {
        match byte {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(byte as char);
            }
            32..=126 => out.push(byte as char),
            other => {
                let _ = write!(out, "\\{other:03o}");
            }
        }
    }
    out.push(')');
    out
}

/// Splits `text` into lines of at most `width` characters, at spaces where
/// it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
            }
            let needed = if line.is_empty() { 0 } else { 1 } + word.chars().count();
            if line.chars().count() + needed > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// What goes on the pages, in order.
pub enum Block {
    Heading(String),
    Text(String),
    /// A label and its value, the value wrapped under the label.
    Field(String, String),
    /// One line as it is (columns kept), cut at the page's width.
    Line(String),
    Gap,
    /// A QR code's modules (true = dark), `width` modules a side.
    Qr(Vec<bool>, usize),
}

struct Pages {
    pages: Vec<String>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages {
            pages: vec![String::new()],
            y: HEIGHT - MARGIN,
        }
    }

    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(String::new());
            self.y = HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, font: &str, size: f32, x: f32, text: &str) {
        self.need(size * 1.3);
        self.y -= size * 1.3;
        let page = self.pages.last_mut().expect("a page");
        let _ = writeln!(
            page,
            "BT /{font} {size} Tf {x} {:.1} Td {} Tj ET",
            self.y,
            literal(text)
        );
    }

    fn qr(&mut self, modules: &[bool], width: usize) {
        let side = 120.0;
        let cell = side / width as f32;
        self.need(side + LEADING);
        self.y -= side + LEADING;
        let page = self.pages.last_mut().expect("a page");
        page.push_str("0 0 0 rg\n");
        for (i, dark) in modules.iter().enumerate() {
            if *dark {
                let (col, row) = (i % width, i / width);
                let x = MARGIN + col as f32 * cell;
                let y = self.y + side - (row + 1) as f32 * cell;
                let _ = writeln!(page, "{x:.2} {y:.2} {cell:.2} {cell:.2} re f");
            }
        }
    }
}

/// The PDF file of `blocks`.
pub fn render(title: &str, blocks: &[Block]) -> Vec<u8> {
    let mut pages = Pages::new();
    for block in blocks {
        match block {
            Block::Heading(text) => {
                pages.y -= 6.0;
                for line in wrap(text, 55) {
                    pages.text("F2", 14.0, MARGIN, &line);
                }
            }
            Block::Text(text) => {
                for line in wrap(text, CHARS_PER_LINE) {
                    pages.text("F1", SIZE, MARGIN, &line);
                }
            }
            Block::Field(label, value) => {
                pages.text("F2", SIZE, MARGIN, label);
                for line in wrap(value, CHARS_PER_LINE - 2) {
                    pages.text("F1", SIZE, MARGIN + 12.0, &line);
                }
            }
            Block::Line(text) => {
                let line: String = text.chars().take(CHARS_PER_LINE).collect();
                pages.text("F1", SIZE, MARGIN, &line);
            }
            Block::Gap => pages.y -= LEADING / 2.0,
            Block::Qr(modules, width) => pages.qr(modules, *width),
        }
    }

    // Objects: 1 catalog, 2 page tree, 3 Courier, 4 Helvetica-Bold, 5 info,
    // then a page and its contents for each page.
    let count = pages.pages.len();
    let mut objects: Vec<String> = Vec::new();
    let kids: Vec<String> = (0..count).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {count} >>", kids.join(" ")));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".into());
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".into());
    objects.push(format!("<< /Title {} /Producer (Quorate) >>", literal(title)));
    for (i, content) in pages.pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            7 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}endstream", content.len()));
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_at_spaces_and_breaks_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
        assert!(
            wrap(&"word ".repeat(100), CHARS_PER_LINE)
                .iter()
                .all(|l| l.chars().count() <= CHARS_PER_LINE)
        );
    }

    #[test]
    fn strings_are_escaped_and_encoded() {
        assert_eq!(literal("a (b) \\ c"), "(a \\(b\\) \\\\ c)");
        assert_eq!(literal("Level 1 — x"), "(Level 1 \\227 x)");
        assert_eq!(literal("≥"), "(?)");
    }

    #[test]
    fn the_file_is_well_formed_with_a_correct_cross_reference() {
        let blocks: Vec<Block> = (0..100).map(|i| Block::Text(format!("Line {i}"))).collect();
        let pdf = render("Test", &blocks);
        // Past the binary comment on line 2, the file is ASCII.
        let body = pdf
            .iter()
            .position(|b| *b == b'\n')
            .and_then(|i| pdf[i + 1..].iter().position(|b| *b == b'\n').map(|j| i + j + 2))
            .expect("header");
        let text = std::str::from_utf8(&pdf[body..]).expect("ASCII after the header");
        assert!(pdf.starts_with(b"%PDF-1.4") && text.trim_end().ends_with("%%EOF"));
        assert!(text.contains("/Count 2 "), "100 lines take two pages");
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(pdf[startxref..].starts_with(b"xref"));
        let table = std::str::from_utf8(&pdf[startxref..]).expect("ASCII");
        let entries: Vec<usize> = table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().expect("offset"))
            .collect();
        assert_eq!(entries.len(), 9);
        for (i, offset) in entries.iter().enumerate() {
            assert!(
                pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
    }
}
