//! Numbers in messages: rounded, grouped by thousands, and never printed with
//! binary noise (`0.8999999999999999`) or as a 309-digit integer (`1e308`).
//! The lowest layer's formatting; [`crate::report::format`] builds the figures'
//! formats on it.

/// Groups the integer part of a formatted number by thousands: 1234567.5 → 1,234,567.5.
pub fn group(s: &str) -> String {
    let (sign, s) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A whole count with thousands separators: 10,000,000.
pub fn count(v: f64) -> String {
    group(&format!("{v:.0}"))
}

/// `v` rounded to `digits` significant digits: printed with `{}` it shows no
/// binary noise (`0.3`, not `0.30000000000000004`).
pub fn round_sig(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let k = digits - 1 - v.abs().log10().floor() as i32;
    if k >= 0 {
        let f = 10f64.powi(k);
        (v * f).round() / f
    } else {
        let f = 10f64.powi(-k);
        (v / f).round() * f
    }
}

/// A number the user wrote, shown back: as written for everyday magnitudes
/// (`0.85`, `4000000`), in exponent form for huge or tiny ones (`1e308`).
pub fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// [`show`], with thousands grouped from 10,000 on: `9,520`, `1,000,000`, `0.001`.
pub fn readable(v: f64) -> String {
    let s = show(v);
    if v.abs() >= 1e4 && !s.contains('e') {
        group(&s)
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_a_person_writes_them() {
        assert_eq!(group("1234567.5"), "1,234,567.5");
        assert_eq!(count(10_000_000.0), "10,000,000");
        assert_eq!(round_sig(0.8999999999999999, 3).to_string(), "0.9");
        assert_eq!(round_sig(16375.59, 3).to_string(), "16400");
        assert_eq!(round_sig(0.000123456, 2).to_string(), "0.00012");
        assert_eq!(show(1e308), "1e308");
        assert_eq!(show(4e6), "4000000");
        assert_eq!(show(0.85), "0.85");
        assert_eq!(show(f64::INFINITY), "inf");
        assert_eq!(readable(1e6), "1,000,000");
        assert_eq!(readable(9520.0), "9520");
        assert_eq!(readable(1e308), "1e308");
    }
}
