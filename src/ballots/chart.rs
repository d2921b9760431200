//! The results' bar chart as inline SVG: one bar per option, labelled with
//! its votes, so nothing depends on colour; the table beside it holds the
//! same figures for screen readers and printing.

/// Escapes text for SVG (XML) content and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub struct Bar {
    pub label: String,
    pub value: u64,
    /// What the value is, for the label: "12 practices", "34 votes".
    pub caption: String,
}

const WIDTH: u64 = 640;
const LABEL_WIDTH: u64 = 240;
const ROW: u64 = 40;
const BAR: u64 = 24;

/// A horizontal bar chart; `id` must be unique on the page.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> String {
    let id = escape(id);
    let height = ROW * bars.len() as u64 + 8;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let room = WIDTH - LABEL_WIDTH - 140;
    let description: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", escape(&b.label), escape(&b.caption)))
        .collect();
    let mut svg = format!(
        r#"<svg class="quorate-chart" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        description.join("; ")
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = ROW * i as u64 + 4;
        let length = if bar.value == 0 {
            0
        } else {
            (bar.value * room / max).max(2)
        };
        let label: String = bar.label.chars().take(34).collect();
        svg.push_str(&format!(
            r##"<text x="0" y="{}" font-family="Arial, sans-serif" font-size="16" fill="#212b32">{}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR}" fill="#005eb8"/><text x="{}" y="{}" font-family="Arial, sans-serif" font-size="16" fill="#212b32">{}</text>"##,
            y + 17,
            escape(&label),
            LABEL_WIDTH + length + 8,
            y + 17,
            escape(&bar.caption)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_labelled_and_text_is_escaped() {
        let svg = bar_chart(
            "overall",
            "Votes <by> option",
            &[
                Bar {
                    label: "For & more".into(),
                    value: 10,
                    caption: "10 practices".into(),
                },
                Bar {
                    label: "Against".into(),
                    value: 0,
                    caption: "0 practices".into(),
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains("role=\"img\"") && svg.contains("<title id=\"overall-title\">Votes &lt;by&gt; option</title>")
        );
        assert!(svg.contains("For &amp; more: 10 practices; Against: 0 practices"));
        assert!(svg.contains("width=\"0\""), "an option with no votes has no bar");
        assert!(!svg.contains("<script"));
    }
}
