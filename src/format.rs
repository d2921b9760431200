//! Numbers as people read them.

/// "12,345".
pub fn group_thousands(n: i32) -> String {
    let out = count(u64::from(n.unsigned_abs()));
    if n < 0 { format!("-{out}") } else { out }
}

/// "12,345" for any unsigned count.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 practice", "2,000 practices".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n as u64), if n == 1 { one } else { many })
}

/// `%2F` and the like decoded (as in a URL's user or password); a `%` not
/// followed by two hexadecimal digits stays as it is.
pub fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A length of time as people say it, to the largest two units: "22 hours
/// 5 minutes", "3 days 2 hours", "under a minute".
pub fn duration_words(d: chrono::Duration) -> String {
    let minutes = usize::try_from(d.num_minutes().max(0)).unwrap_or(0);
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts: Vec<String> = [
        (days, "day", "days"),
        (hours, "hour", "hours"),
        (minutes, "minute", "minutes"),
    ]
    .into_iter()
    .skip_while(|(n, ..)| *n == 0)
    .take(2)
    .filter(|(n, ..)| *n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    if parts.is_empty() {
        "under a minute".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::{count, duration_words, group_thousands, plural};

    #[test]
    fn durations_are_in_words() {
        let minutes = chrono::Duration::minutes;
        assert_eq!(duration_words(minutes(22 * 60 + 5)), "22 hours 5 minutes");
        assert_eq!(duration_words(minutes(3 * 1440 + 120 + 7)), "3 days 2 hours");
        assert_eq!(duration_words(minutes(1440 + 1)), "1 day");
        assert_eq!(duration_words(minutes(1)), "1 minute");
        assert_eq!(duration_words(chrono::Duration::seconds(20)), "under a minute");
    }

    #[test]
    fn counts_have_the_right_plural() {
        assert_eq!(plural(0, "practice", "practices"), "0 practices");
        assert_eq!(plural(1, "practice", "practices"), "1 practice");
        assert_eq!(plural(2000, "vote", "votes"), "2,000 votes");
        assert_eq!(count(70_000_000), "70,000,000");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(60_606_345), "60,606,345");
        assert_eq!(group_thousands(-1234), "-1,234");
    }
}

/// A CSV cell that a spreadsheet would run as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a
/// leading apostrophe, so a practice named "=HYPERLINK(…)" stays text.
/// Numbers, negative ones included, are written as they are.
pub fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// `write_record` with every cell made safe by `csv_cell`.
pub trait SafeCsv {
    fn write_safe<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>;
}

impl<W: std::io::Write> SafeCsv for csv::Writer<W> {
    fn write_safe<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<String> = record.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()).collect();
        self.write_record(&cells)
    }
}

#[cfg(test)]
mod csv_tests {
    use super::csv_cell;

    #[test]
    fn formulas_are_written_as_text_and_numbers_as_numbers() {
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(csv_cell("+44 20"), "'+44 20");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-1.5"), "-1.5");
        assert_eq!(csv_cell("Albion Health Centre"), "Albion Health Centre");
    }
}
