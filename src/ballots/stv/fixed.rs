//! Fixed-point decimal arithmetic as the counting rules prescribe it:
//! Scottish STV works to five decimal places with every remainder ignored,
//! the PR Foundation's Meek rule to nine with some steps rounded up. A
//! value is an integer count of the smallest unit (10⁻⁵ or 10⁻⁹), so no
//! step depends on floating point and a recount anywhere gives the same
//! digits.

use std::fmt::Write as _;

/// The arithmetic of one rule: how many decimal places it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arithmetic {
    places: u32,
    one: i128,
}

/// A value in units of 10^-places (the rule's arithmetic says which).
pub type Value = i128;

impl Arithmetic {
    pub const fn new(places: u32) -> Self {
        Arithmetic {
            places,
            one: 10i128.pow(places),
        }
    }

    pub fn places(&self) -> u32 {
        self.places
    }

    /// The value of one whole vote.
    pub fn one(&self) -> Value {
        self.one
    }

    /// The smallest value this arithmetic can hold.
    pub fn epsilon(&self) -> Value {
        1
    }

    pub fn from_whole(&self, whole: u64) -> Value {
        i128::from(whole) * self.one
    }

    /// a × b, the remainder ignored.
    pub fn mul_down(&self, a: Value, b: Value) -> Value {
        (a * b).div_euclid(self.one)
    }

    /// a × b, rounded up to the last place.
    pub fn mul_up(&self, a: Value, b: Value) -> Value {
        ceil_div(a * b, self.one)
    }

    /// a ÷ b, rounded up to the last place.
    pub fn div_up(&self, a: Value, b: Value) -> Value {
        ceil_div(a * self.one, b)
    }

    /// a × b ÷ c with the product kept exact and the remainder ignored.
    pub fn mul_div_down(&self, a: Value, b: Value, c: Value) -> Value {
        (a * b).div_euclid(c)
    }

    /// a ÷ n (a whole number), the remainder ignored.
    pub fn div_whole_down(&self, a: Value, n: u64) -> Value {
        a.div_euclid(i128::from(n))
    }

    /// The value with exactly `places` decimals, e.g. "2076.00000".
    pub fn format(&self, value: Value) -> String {
        let sign = if value < 0 { "-" } else { "" };
        let magnitude = value.unsigned_abs();
        let one = self.one.unsigned_abs();
        let mut text = format!("{sign}{}", magnitude / one);
        if self.places > 0 {
            let _ = write!(text, ".{:0width$}", magnitude % one, width = self.places as usize);
        }
        text
    }

    /// Reads a decimal written with at most `places` decimals.
    pub fn parse(&self, text: &str) -> Option<Value> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || fraction.len() > self.places as usize {
            return None;
        }
        if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i128 = whole.parse().ok()?;
        let padded = format!("{fraction:0<width$}", width = self.places as usize);
        let fraction: i128 = if padded.is_empty() { 0 } else { padded.parse().ok()? };
        let value = whole.checked_mul(self.one)?.checked_add(fraction)?;
        Some(if negative { -value } else { value })
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    let quotient = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { quotient } else { quotient + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Arithmetic = Arithmetic::new(5);
    const NINE: Arithmetic = Arithmetic::new(9);

    #[test]
    fn formats_every_place() {
        assert_eq!(FIVE.format(FIVE.from_whole(2076)), "2076.00000");
        assert_eq!(FIVE.format(265_950_560), "2659.50560");
        assert_eq!(NINE.format(1), "0.000000001");
        assert_eq!(NINE.format(-1), "-0.000000001");
    }

    #[test]
    fn parses_what_it_formats() {
        for value in [0, 1, 265_950_560, -42, 10i128.pow(15) + 7] {
            assert_eq!(FIVE.parse(&FIVE.format(value)), Some(value));
        }
        assert_eq!(FIVE.parse("12"), Some(1_200_000));
        assert_eq!(FIVE.parse("1.000001"), None, "more places than the rule keeps");
        assert_eq!(FIVE.parse("1e5"), None);
    }

    #[test]
    fn rounds_as_each_rule_says() {
        // 1 × 1123 ÷ 3199 = 0.351047… → 0.35104 (remainder ignored).
        assert_eq!(
            FIVE.mul_div_down(FIVE.one(), FIVE.from_whole(1123), FIVE.from_whole(3199)),
            35_104
        );
        // 2 ÷ 3 rounded up: 0.666666667.
        assert_eq!(NINE.div_up(NINE.from_whole(2), NINE.from_whole(3)), 666_666_667);
        assert_eq!(NINE.mul_up(NINE.from_whole(2), NINE.from_whole(3)), NINE.from_whole(6));
        assert_eq!(
            NINE.mul_up(333_333_333, 3),
            1,
            "0.333333333 × 0.000000003 = 0.000000000999…, up to 0.000000001"
        );
        assert_eq!(NINE.mul_down(333_333_333, 3), 0);
    }
}
