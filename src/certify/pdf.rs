//! The certificate as a tagged PDF (ISO 32000-1 §14.8): a document title
//! shown in the reader's title bar, the language (en-GB), a structure tree
//! (Document → H1, H2, P, Figure with its alternative text) that a screen
//! reader follows, and the text set in DejaVu Sans, a proportional font
//! covering Latin, Greek and Cyrillic scripts and most symbols, embedded as
//! a subset of the glyphs used (`font.rs`).
//!
//! Written directly rather than with a PDF library: a layout engine would
//! add minutes to every build for one page of text, and the structure a
//! certificate needs is small enough to write and test here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::font::Font;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 48.0;
const TEXT: f32 = 9.5;
const HEADING: f32 = 12.0;
const TITLE: f32 = 16.0;
const QR_SIDE: f32 = 92.0;

/// What goes on the pages, in order.
pub enum Block {
    /// The document's one first-level heading.
    Title(String),
    Heading(String),
    Text(String),
    /// A label and its value: the label bold, the value after it.
    Field(String, String),
    Gap,
    /// A QR code's modules (true = dark), `width` modules a side, and what
    /// it is for a screen reader.
    Qr(Vec<bool>, usize, String),
}

/// One element of the structure tree and where its content is.
struct Element {
    tag: &'static str,
    alt: Option<String>,
    /// (page, marked-content id) of each piece of it.
    parts: Vec<(usize, u32)>,
}

struct Layout<'f> {
    font: &'f Font,
    pages: Vec<String>,
    /// The next marked-content id on each page.
    next_mcid: Vec<u32>,
    y: f32,
    elements: Vec<Element>,
}

impl<'f> Layout<'f> {
    fn new(font: &'f Font) -> Self {
        Layout {
            font,
            pages: vec![String::new()],
            next_mcid: vec![0],
            y: HEIGHT - MARGIN,
            elements: Vec::new(),
        }
    }

    fn page(&mut self) -> usize {
        self.pages.len() - 1
    }

    fn new_page(&mut self) {
        self.pages.push(String::new());
        self.next_mcid.push(0);
        self.y = HEIGHT - MARGIN;
    }

    /// Starts a marked-content sequence of element `element` on the current
    /// page.
    fn begin(&mut self, element: usize) {
        let page = self.page();
        let mcid = self.next_mcid[page];
        self.next_mcid[page] += 1;
        let tag = self.elements[element].tag;
        self.elements[element].parts.push((page, mcid));
        let _ = writeln!(self.pages[page], "/{tag} <</MCID {mcid}>> BDC");
    }

    fn end(&mut self) {
        let page = self.page();
        self.pages[page].push_str("EMC\n");
    }

    /// Lines of `(bold, text)` runs, as one element with `tag`; a new page
    /// continues the element in a new marked-content sequence.
    fn paragraph(&mut self, tag: &'static str, size: f32, lines: Vec<Vec<(bool, String)>>, space_after: f32) {
        let element = self.elements.len();
        self.elements.push(Element {
            tag,
            alt: None,
            parts: Vec::new(),
        });
        let leading = size * 1.3;
        let mut open = false;
        for line in lines {
            if self.y - leading < MARGIN {
                if open {
                    self.end();
                }
                self.new_page();
                open = false;
            }
            if !open {
                self.begin(element);
                open = true;
            }
            self.y -= leading;
            let mut x = MARGIN;
            for (bold, text) in line {
                let glyphs = self.font.encode(&text);
                let page = self.page();
                // Bold: the outline stroked as well as filled.
                let (mode, stroke) = if bold { (2, size * 0.03) } else { (0, 0.0) };
                let _ = writeln!(
                    self.pages[page],
                    "BT /F1 {size} Tf {mode} Tr {stroke:.2} w {x:.2} {:.2} Td <{glyphs}> Tj ET",
                    self.y
                );
                x += self.font.width(&text, size);
            }
        }
        if open {
            self.end();
        }
        self.y -= space_after;
    }

    /// The QR code in the first page's top right corner, beside the
    /// heading, where it takes no lines; in the structure tree it comes
    /// where its block is.
    fn qr_in_corner(&mut self, modules: &[bool], width: usize, alt: &str) -> Element {
        let element = self.elements.len();
        self.elements.push(Element {
            tag: "Figure",
            alt: Some(alt.to_owned()),
            parts: Vec::new(),
        });
        self.begin(element);
        let cell = QR_SIDE / width as f32;
        let (left, top) = (WIDTH - MARGIN - QR_SIDE, HEIGHT - MARGIN);
        let _ = writeln!(self.pages[0], "0 0 0 rg");
        for (i, dark) in modules.iter().enumerate() {
            if *dark {
                let (col, row) = (i % width, i / width);
                let x = left + col as f32 * cell;
                let y = top - (row + 1) as f32 * cell;
                let _ = writeln!(self.pages[0], "{x:.2} {y:.2} {cell:.2} {cell:.2} re f");
            }
        }
        self.end();
        self.elements.pop().unwrap_or(Element {
            tag: "Figure",
            alt: None,
            parts: Vec::new(),
        })
    }

    /// The width text may take here: narrower beside the QR code.
    fn text_width(&self, has_qr: bool) -> f32 {
        let full = WIDTH - 2.0 * MARGIN;
        if has_qr && self.pages.len() == 1 && self.y > HEIGHT - MARGIN - QR_SIDE - 4.0 {
            full - QR_SIDE - 12.0
        } else {
            full
        }
    }
}

/// Splits runs of `(bold, text)` into lines no wider than `width` points,
/// at spaces where it can.
pub fn wrap(font: &Font, size: f32, runs: &[(bool, &str)], width: f32) -> Vec<Vec<(bool, String)>> {
    let mut lines: Vec<Vec<(bool, String)>> = Vec::new();
    let mut line: Vec<(bool, String)> = Vec::new();
    let mut used = 0.0;
    let space = font.width(" ", size);
    let push_word = |line: &mut Vec<(bool, String)>, bold: bool, word: &str, lead: bool| {
        let text = if lead { format!(" {word}") } else { word.to_owned() };
        match line.last_mut() {
            Some((b, t)) if *b == bold => t.push_str(&text),
            _ => line.push((bold, text)),
        }
    };
    for (bold, text) in runs {
        for (i, paragraph) in text.split('\n').enumerate() {
            if i > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            for word in paragraph.split_whitespace() {
                let mut word = word.to_owned();
                // A word wider than a line (a digest) is cut where it must.
                while font.width(&word, size) > width {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        used = 0.0;
                    }
                    let mut head = String::new();
                    for c in word.chars() {
                        let candidate = format!("{head}{c}");
                        if font.width(&candidate, size) > width && !head.is_empty() {
                            break;
                        }
                        head = candidate;
                    }
                    word = word[head.len()..].to_owned();
                    lines.push(vec![(*bold, head)]);
                }
                if word.is_empty() {
                    continue;
                }
                let w = font.width(&word, size);
                let lead = !line.is_empty();
                if used + if lead { space } else { 0.0 } + w > width {
                    lines.push(std::mem::take(&mut line));
                    used = 0.0;
                    push_word(&mut line, *bold, &word, false);
                    used += w;
                } else {
                    push_word(&mut line, *bold, &word, lead);
                    used += w + if lead { space } else { 0.0 };
                }
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A PDF text string: UTF-16BE with its byte order mark, in hex.
fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// The PDF file of `blocks`, titled `title`.
pub fn render(title: &str, blocks: &[Block]) -> Vec<u8> {
    let font = Font::dejavu_sans();
    let mut layout = Layout::new(&font);
    let mut figure = None;
    for block in blocks {
        if let Block::Qr(modules, width, alt) = block {
            figure = Some(layout.qr_in_corner(modules, *width, alt));
        }
    }
    let has_qr = figure.is_some();
    for block in blocks {
        let width = layout.text_width(has_qr);
        match block {
            Block::Title(text) => {
                let lines = wrap(&font, TITLE, &[(true, text)], width);
                layout.paragraph("H1", TITLE, lines, 8.0);
            }
            Block::Heading(text) => {
                layout.y -= 6.0;
                let lines = wrap(&font, HEADING, &[(true, text)], width);
                layout.paragraph("H2", HEADING, lines, 4.0);
            }
            Block::Text(text) => {
                let lines = wrap(&font, TEXT, &[(false, text)], width);
                layout.paragraph("P", TEXT, lines, 4.0);
            }
            Block::Field(label, value) => {
                let label = format!("{label}: ");
                let lines = wrap(&font, TEXT, &[(true, &label), (false, value)], width);
                layout.paragraph("P", TEXT, lines, 2.0);
            }
            Block::Gap => layout.y -= TEXT / 2.0,
            Block::Qr(..) => {
                if let Some(figure) = figure.take() {
                    layout.elements.push(figure);
                }
            }
        }
    }
    write_file(title, &font, &layout)
}

/// Numbers the objects as they are added; `reserve` hands out a number to
/// fill in later.
struct Objects {
    bodies: Vec<Option<Vec<u8>>>,
}

impl Objects {
    fn reserve(&mut self) -> usize {
        self.bodies.push(None);
        self.bodies.len()
    }

    fn set(&mut self, id: usize, body: impl Into<Vec<u8>>) {
        self.bodies[id - 1] = Some(body.into());
    }

    fn add(&mut self, body: impl Into<Vec<u8>>) -> usize {
        let id = self.reserve();
        self.set(id, body);
        id
    }

    fn stream(dictionary: &str, data: &[u8]) -> Vec<u8> {
        let mut out = format!("<< {dictionary} /Length {} >>\nstream\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\nendstream");
        out
    }
}

fn write_file(title: &str, font: &Font, layout: &Layout) -> Vec<u8> {
    let mut objects = Objects { bodies: Vec::new() };
    let catalog = objects.reserve();
    let pages_id = objects.reserve();
    let tree_root = objects.reserve();
    let document = objects.reserve();

    // The font: a Type 0 font over a CID-keyed TrueType subset, glyphs
    // addressed by their ids (Identity-H), with a ToUnicode map so text can
    // be copied and read aloud.
    let embedded = font.subset();
    let compressed = deflate(&embedded.bytes);
    let font_file = objects.add(Objects::stream(
        &format!("/Filter /FlateDecode /Length1 {}", embedded.bytes.len()),
        &compressed,
    ));
    let name = embedded.name.clone();
    let (ascent, descent, cap, bbox) = font.metrics();
    let descriptor = objects.add(format!(
        "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {ascent} /Descent {descent} /CapHeight {cap} /StemV 80 /FontFile2 {font_file} 0 R >>",
        bbox.0, bbox.1, bbox.2, bbox.3
    ));
    let widths: String = embedded
        .used
        .keys()
        .map(|gid| format!("{gid} [{}]", font.advance_1000(*gid)))
        .collect::<Vec<_>>()
        .join(" ");
    let cid_font = objects.add(format!(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW 1000 /W [{widths}] /CIDToGIDMap /Identity >>"
    ));
    let to_unicode = objects.add(Objects::stream("", to_unicode_cmap(&embedded.used).as_bytes()));
    let type0 = objects.add(format!(
        "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
    ));

    // Pages.
    let mut page_ids = Vec::new();
    for (index, content) in layout.pages.iter().enumerate() {
        let contents = objects.add(Objects::stream("", content.as_bytes()));
        let page = objects.add(format!(
            "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Resources << /Font << /F1 {type0} 0 R >> >> /Contents {contents} 0 R /StructParents {index} /Tabs /S >>"
        ));
        page_ids.push(page);
    }
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
    objects.set(
        pages_id,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            page_ids.len()
        ),
    );

    // The structure tree, and the parent tree that leads from each page's
    // marked content back to its element.
    let element_ids: Vec<usize> = layout.elements.iter().map(|_| objects.reserve()).collect();
    let mut by_page: BTreeMap<usize, BTreeMap<u32, usize>> = BTreeMap::new();
    for (element, id) in layout.elements.iter().zip(&element_ids) {
        let kids: Vec<String> = element
            .parts
            .iter()
            .map(|(page, mcid)| format!("<< /Type /MCR /Pg {} 0 R /MCID {mcid} >>", page_ids[*page]))
            .collect();
        let alt = element
            .alt
            .as_deref()
            .map(|a| format!(" /Alt {}", text_string(a)))
            .unwrap_or_default();
        objects.set(
            *id,
            format!(
                "<< /Type /StructElem /S /{} /P {document} 0 R /K [{}]{alt} >>",
                element.tag,
                kids.join(" ")
            ),
        );
        for (page, mcid) in &element.parts {
            by_page.entry(*page).or_default().insert(*mcid, *id);
        }
    }
    let children: Vec<String> = element_ids.iter().map(|id| format!("{id} 0 R")).collect();
    objects.set(
        document,
        format!(
            "<< /Type /StructElem /S /Document /P {tree_root} 0 R /K [{}] >>",
            children.join(" ")
        ),
    );
    let nums: Vec<String> = by_page
        .iter()
        .map(|(page, mcids)| {
            let refs: Vec<String> = mcids.values().map(|id| format!("{id} 0 R")).collect();
            format!("{page} [{}]", refs.join(" "))
        })
        .collect();
    objects.set(
        tree_root,
        format!(
            "<< /Type /StructTreeRoot /K [{document} 0 R] /ParentTree << /Nums [{}] >> /ParentTreeNextKey {} >>",
            nums.join(" "),
            page_ids.len()
        ),
    );
    let info = objects.add(format!("<< /Title {} /Producer (Quorate) >>", text_string(title)));
    objects.set(
        catalog,
        format!(
            "<< /Type /Catalog /Pages {pages_id} 0 R /Lang (en-GB) /MarkInfo << /Marked true >> /StructTreeRoot {tree_root} 0 R /ViewerPreferences << /DisplayDocTitle true >> >>"
        ),
    );

    let mut out: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body.as_deref().unwrap_or(b"null"));
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root {catalog} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.bodies.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// The ToUnicode CMap: each glyph id to the text it stands for.
fn to_unicode_cmap(used: &BTreeMap<u16, char>) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let pairs: Vec<(&u16, &char)> = used.iter().collect();
    for chunk in pairs.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for (gid, c) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c.encode_utf16(&mut units).iter().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(out, "<{gid:04X}> <{hex}>");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate_like() -> Vec<Block> {
        let mut blocks = vec![
            Block::Text("Tower Hamlets CCG (08V)".into()),
            Block::Title("Certificate of result: Wahl der Ärztevertretung — Øresund, naïve café".into()),
            Block::Field("Outcome".into(), "Carried: 71.4% by weight of votes cast for".into()),
        ];
        blocks.extend((0..90).map(|i| Block::Field(format!("Row {i}"), "x".repeat(i % 7 + 1))));
        blocks.push(Block::Heading("Check this certificate".into()));
        blocks.push(Block::Text(format!("Digest {}", "ab12".repeat(40))));
        blocks.push(Block::Qr(
            vec![true, false, false, true],
            2,
            "QR code of the verification address".into(),
        ));
        blocks
    }

    fn text(pdf: &[u8]) -> String {
        String::from_utf8_lossy(pdf).into_owned()
    }

    #[test]
    fn lines_wrap_at_spaces_within_the_width_and_long_words_are_cut() {
        let font = Font::dejavu_sans();
        let lines = wrap(&font, TEXT, &[(false, &"word ".repeat(200))], 400.0);
        assert!(lines.len() > 5);
        for line in &lines {
            let width: f32 = line.iter().map(|(_, t)| font.width(t, TEXT)).sum();
            assert!(width <= 400.0, "{width}");
        }
        let digest = wrap(&font, TEXT, &[(false, &"f".repeat(500))], 200.0);
        assert!(digest.len() > 2 && digest.iter().all(|l| font.width(&l[0].1, TEXT) <= 200.0));
        let field = wrap(&font, TEXT, &[(true, "Outcome: "), (false, "Carried")], 400.0);
        assert_eq!(
            field,
            vec![vec![(true, "Outcome:".to_owned()), (false, " Carried".to_owned())]]
        );
    }

    #[test]
    fn the_file_is_tagged_titled_and_in_english() {
        let pdf = render("Certificate of result: Ärztevertretung", &certificate_like());
        let t = text(&pdf);
        assert!(pdf.starts_with(b"%PDF-1.7") && t.trim_end().ends_with("%%EOF"));
        for needle in [
            "/MarkInfo << /Marked true >>",
            "/Lang (en-GB)",
            "/DisplayDocTitle true",
            "/Type /StructTreeRoot",
            "/S /Document",
            "/S /H1",
            "/S /H2",
            "/S /P",
            "/S /Figure",
            "/StructParents 0",
            "/StructParents 1",
            "/Tabs /S",
        ] {
            assert!(t.contains(needle), "{needle} missing");
        }
        // The title in UTF-16, with the Ä.
        assert!(t.contains(&text_string("Certificate of result: Ärztevertretung")));
        assert!(t.contains("/Alt <FEFF"), "the figure has alternative text");
        // Every marked-content sequence is closed, and each is in the
        // parent tree.
        let opened = t.matches(" BDC").count();
        assert_eq!(opened, t.matches("EMC").count());
        let mcr = t.matches("/Type /MCR").count();
        assert_eq!(opened, mcr, "every piece of content belongs to an element");
    }

    #[test]
    fn letters_outside_ascii_are_set_in_the_embedded_font_not_as_question_marks() {
        let pdf = render("T", &[Block::Text("Ü ø ï ≥ €".into())]);
        let t = text(&pdf);
        for c in ['Ü', 'ø', 'ï', '≥', '€'] {
            assert!(
                t.contains(&format!("<{:04X}>\n", c as u32)) || t.contains(&format!("<{:04X}>", c as u32)),
                "{c} in the ToUnicode map"
            );
        }
        let font = Font::dejavu_sans();
        let glyphs = font.encode("Üøï≥€");
        assert_eq!(glyphs.len(), 5 * 4);
        assert!(
            glyphs.as_bytes().chunks(4).all(|g| g != b"0000"),
            "no glyph is missing (.notdef): {glyphs}"
        );
        assert!(t.contains("/FontFile2") && t.contains("/Subtype /CIDFontType2"));
    }

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let pdf = render("Test", &certificate_like());
        let t = text(&pdf);
        let startxref: usize = t
            .rsplit("startxref\n")
            .next()
            .and_then(|s| s.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(pdf[startxref..].starts_with(b"xref"));
        let table = String::from_utf8_lossy(&pdf[startxref..]).into_owned();
        let entries: Vec<usize> = table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().expect("offset"))
            .collect();
        assert!(entries.len() > 10);
        for (i, offset) in entries.iter().enumerate() {
            assert!(
                pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
    }
}
