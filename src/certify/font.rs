//! The certificate's font: DejaVu Sans (Bitstream Vera licence, in
//! `static/fonts/`), read with `ttf-parser` for glyph ids and widths, and
//! embedded as a subset: every glyph the document does not use has its
//! outline removed (glyph ids stay the same, so no remapping can go wrong),
//! and the tables a PDF reader does not need are left out. A certificate
//! then carries some 30 KB of font instead of 760 KB.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use ttf_parser::{Face, GlyphId};

static DEJAVU_SANS: &[u8] = include_bytes!("../../static/fonts/DejaVuSans.ttf");

pub struct Font {
    face: Face<'static>,
    data: &'static [u8],
    /// Glyphs used so far, with the character each stands for.
    used: RefCell<BTreeMap<u16, char>>,
}

/// The subset to embed.
pub struct Embedded {
    pub bytes: Vec<u8>,
    /// The PostScript name with its subset tag ("ABCDEF+DejaVuSans").
    pub name: String,
    pub used: BTreeMap<u16, char>,
}

impl Font {
    pub fn dejavu_sans() -> Font {
        // The font is part of the binary and known to parse (tested).
        let face = Face::parse(DEJAVU_SANS, 0).expect("the embedded DejaVu Sans parses");
        Font {
            face,
            data: DEJAVU_SANS,
            used: RefCell::new(BTreeMap::new()),
        }
    }

    fn glyph(&self, c: char) -> GlyphId {
        let c = if c.is_control() { ' ' } else { c };
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('\u{FFFD}'))
            .or_else(|| self.face.glyph_index('?'))
            .unwrap_or(GlyphId(0))
    }

    /// `text` as glyph ids in hex, for a `Tj` with Identity-H encoding;
    /// remembers the glyphs for the subset and the ToUnicode map.
    pub fn encode(&self, text: &str) -> String {
        let mut used = self.used.borrow_mut();
        text.chars()
            .map(|c| {
                let gid = self.glyph(c).0;
                used.entry(gid).or_insert(c);
                format!("{gid:04X}")
            })
            .collect()
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| u32::from(self.face.glyph_hor_advance(self.glyph(c)).unwrap_or(0)))
            .sum();
        units as f32 * size / f32::from(self.face.units_per_em())
    }

    /// A glyph's advance in thousandths of an em (PDF's glyph space).
    pub fn advance_1000(&self, gid: u16) -> i64 {
        let advance = i64::from(self.face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0));
        advance * 1000 / i64::from(self.face.units_per_em())
    }

    fn to_1000(&self, units: i16) -> i64 {
        i64::from(units) * 1000 / i64::from(self.face.units_per_em())
    }

    /// Ascent, descent, cap height and bounding box, in thousandths of an em.
    pub fn metrics(&self) -> (i64, i64, i64, (i64, i64, i64, i64)) {
        let b = self.face.global_bounding_box();
        (
            self.to_1000(self.face.ascender()),
            self.to_1000(self.face.descender()),
            self.to_1000(self.face.capital_height().unwrap_or(self.face.ascender())),
            (
                self.to_1000(b.x_min),
                self.to_1000(b.y_min),
                self.to_1000(b.x_max),
                self.to_1000(b.y_max),
            ),
        )
    }

    pub fn subset(&self) -> Embedded {
        let used = self.used.borrow().clone();
        let mut keep: BTreeSet<u16> = used.keys().copied().collect();
        keep.insert(0);
        let bytes = subset_truetype(self.data, &keep).unwrap_or_else(|| self.data.to_vec());
        // The subset tag: six capital letters that differ with the glyphs.
        let digest = crate::token::digest_bytes(&keep.iter().flat_map(|g| g.to_be_bytes()).collect::<Vec<u8>>());
        let tag: String = digest.bytes().take(6).map(|b| char::from(b'A' + b % 26)).collect();
        Embedded {
            bytes,
            name: format!("{tag}+DejaVuSans"),
            used,
        }
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *data.get(at)?,
        *data.get(at + 1)?,
        *data.get(at + 2)?,
        *data.get(at + 3)?,
    ]))
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The TrueType tables a PDF reader uses for a CID-keyed TrueType font.
const KEPT_TABLES: [&[u8; 4]; 9] = [
    b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep",
];

/// The font with only `keep`'s glyph outlines (and those their composite
/// glyphs are built from) and only the tables in `KEPT_TABLES`; `None` if
/// the font is not a TrueType font this understands.
pub fn subset_truetype(font: &[u8], keep: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let count = usize::from(u16_at(font, 4)?);
    let mut tables: BTreeMap<[u8; 4], &[u8]> = BTreeMap::new();
    for i in 0..count {
        let record = 12 + 16 * i;
        let tag: [u8; 4] = font.get(record..record + 4)?.try_into().ok()?;
        let offset = u32_at(font, record + 8)? as usize;
        let length = u32_at(font, record + 12)? as usize;
        tables.insert(tag, font.get(offset..offset + length)?);
    }
    let head = tables.get(b"head")?;
    let long_offsets = u16_at(head, 50)? == 1;
    let glyphs = usize::from(u16_at(tables.get(b"maxp")?, 4)?);
    let loca = tables.get(b"loca")?;
    let glyf = tables.get(b"glyf")?;
    let offset_of = |gid: usize| -> Option<usize> {
        if long_offsets {
            u32_at(loca, 4 * gid).map(|o| o as usize)
        } else {
            u16_at(loca, 2 * gid).map(|o| 2 * usize::from(o))
        }
    };
    let outline = |gid: usize| -> Option<&[u8]> { glyf.get(offset_of(gid)?..offset_of(gid + 1)?) };

    // Composite glyphs need their components.
    let mut wanted: BTreeSet<u16> = keep.iter().copied().filter(|g| usize::from(*g) < glyphs).collect();
    let mut queue: Vec<u16> = wanted.iter().copied().collect();
    while let Some(gid) = queue.pop() {
        let data = outline(usize::from(gid))?;
        if data.len() < 10 || (u16_at(data, 0)? as i16) >= 0 {
            continue;
        }
        let mut at = 10;
        loop {
            let flags = u16_at(data, at)?;
            let component = u16_at(data, at + 2)?;
            if wanted.insert(component) {
                queue.push(component);
            }
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (glyphs + 1));
    for gid in 0..glyphs {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
        if wanted.contains(&u16::try_from(gid).ok()?) {
            new_glyf.extend_from_slice(outline(gid)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]);
    new_head.get_mut(50..52)?.copy_from_slice(&1u16.to_be_bytes());

    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for tag in KEPT_TABLES {
        let data = match tag {
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => new_head.clone(),
            _ => match tables.get(tag) {
                Some(data) => data.to_vec(),
                None => continue,
            },
        };
        out_tables.push((*tag, data));
    }
    let n = u16::try_from(out_tables.len()).ok()?;
    let power = 1u16 << (15 - n.leading_zeros().min(15));
    let search_range = power * 16;
    let entry_selector = power.trailing_zeros() as u16;
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&search_range.to_be_bytes());
    out.extend_from_slice(&entry_selector.to_be_bytes());
    out.extend_from_slice(&(n * 16 - search_range).to_be_bytes());
    let mut offset = 12 + 16 * out_tables.len();
    let mut head_at = None;
    for (tag, data) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &out_tables {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    // The whole file's checksum adjustment, as the specification asks.
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    let at = head_at? + 8;
    out.get_mut(at..at + 4)?.copy_from_slice(&adjustment.to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_keeps_the_glyphs_used_and_drops_the_rest() {
        let font = Font::dejavu_sans();
        font.encode("Ärztevertretung Øresund ≥ €");
        let embedded = font.subset();
        assert!(
            embedded.bytes.len() < DEJAVU_SANS.len() / 4,
            "{} bytes",
            embedded.bytes.len()
        );
        assert!(embedded.name.ends_with("+DejaVuSans") && embedded.name.len() == 6 + 1 + 10);
        // The subset is a font a parser reads, with the same glyph ids.
        let subset = Face::parse(&embedded.bytes, 0).expect("the subset parses");
        let kept = font.glyph('Ø');
        let dropped = font.glyph('Ж');
        assert!(
            subset.glyph_bounding_box(kept).is_some(),
            "a used glyph keeps its outline"
        );
        assert!(subset.glyph_bounding_box(dropped).is_none(), "an unused glyph has none");
        assert_eq!(subset.glyph_hor_advance(kept), font.face.glyph_hor_advance(kept));
        // Ä is a composite in DejaVu Sans: its parts come along.
        let a_umlaut = font.glyph('Ä');
        assert!(subset.glyph_bounding_box(a_umlaut).is_some());
        assert_eq!(checksum(&embedded.bytes), 0xB1B0_AFBA, "the file's checksum is right");
    }

    #[test]
    fn widths_are_proportional() {
        let font = Font::dejavu_sans();
        assert!(font.width("iiii", 10.0) < font.width("WWWW", 10.0) / 2.0);
        assert!((font.width("", 10.0)).abs() < f32::EPSILON);
    }
}
