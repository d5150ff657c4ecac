//! ISO-8601 UTC timestamps, the only form the logs carry (`2026-01-15T12:00:00Z`,
//! with or without fractional seconds), parsed and written by hand: a calendar
//! crate for two conversions is not worth its weight, and parsing sits on the
//! hot path of reading a log (one timestamp per record).

/// Milliseconds since 1970-01-01T00:00:00Z of an ISO-8601 UTC timestamp:
/// `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds (any number of digits),
/// then `Z`, `+00:00` or nothing (taken as UTC). A space may stand for the `T`.
/// `None` for anything else, including other offsets.
pub fn parse_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                ms = ms * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            ms *= 10;
        }
    }
    match &b[i..] {
        b"" | b"Z" | b"z" | b"+00:00" | b"+0000" => {}
        _ => return None,
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for whole seconds since the epoch.
pub fn format_s(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `YYYY-MM-DDTHH:MM:SS.fffZ` for milliseconds since the epoch (`.fff` left out
/// when it is zero).
pub fn format_ms(ms: i64) -> String {
    let s = format_s(ms.div_euclid(1000));
    match ms.rem_euclid(1000) {
        0 => s,
        f => format!("{}.{f:03}Z", &s[..s.len() - 1]),
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_bedrock_and_cloudwatch_write() {
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Some(0));
        // 2024-01-15 is day 19737 since the epoch.
        let day = 19_737 * 86_400_000;
        assert_eq!(parse_ms("2024-01-15T12:00:00Z"), Some(day + 12 * 3_600_000));
        assert_eq!(
            parse_ms("2024-01-15T12:00:00.25Z"),
            Some(day + 12 * 3_600_000 + 250)
        );
        assert_eq!(
            parse_ms("2024-01-15T12:00:00.123456Z"),
            Some(day + 12 * 3_600_000 + 123)
        );
        assert_eq!(
            parse_ms("2024-01-15 12:00:00+00:00"),
            Some(day + 12 * 3_600_000)
        );
        assert_eq!(parse_ms("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_ms("2024-01-15T12:00:00+02:00"), None);
        assert_eq!(parse_ms("2024-01-15T12:00:00."), None);
        assert_eq!(parse_ms("yesterday"), None);
    }

    #[test]
    fn formatting_round_trips() {
        for s in [
            "2026-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "1999-12-31T12:34:56Z",
        ] {
            let ms = parse_ms(s).unwrap();
            assert_eq!(format_s(ms / 1000), s);
        }
        assert_eq!(format_ms(1_500), "1970-01-01T00:00:01.500Z");
    }
}
