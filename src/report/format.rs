//! Number formatting for people: dollars with sensible digits, percentages,
//! milliseconds, thousands separators.

use crate::stats::Estimate;

pub use crate::numfmt::count;
use crate::numfmt::group;

/// Decimals that show about four significant digits of `v`, at least 2.
fn decimals(v: f64) -> usize {
    if v == 0.0 || !v.is_finite() {
        return 2;
    }
    (3 - v.abs().log10().floor() as i64).clamp(2, 9) as usize
}

/// A dollar amount: `$0.01234`, `$2,834.12`.
pub fn usd_value(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}${}", group(&format!("{:.*}", decimals(v), v.abs())))
}

/// A dollar estimate with its CI, both to the mean's precision.
pub fn usd(e: &Estimate) -> String {
    let d = decimals(e.mean);
    let sign = if e.mean < 0.0 { "-" } else { "" };
    let below = group(&format!("{:.*}", d, e.mean - e.ci_low));
    let above = group(&format!("{:.*}", d, e.ci_high - e.mean));
    if below != above {
        // An asymmetric interval (a percentile interval over uncertain inputs).
        return format!(
            "{sign}${} -{below}/+{above}",
            group(&format!("{:.*}", d, e.mean.abs()))
        );
    }
    format!(
        "{sign}${} \u{b1} {}",
        group(&format!("{:.*}", d, e.mean.abs())),
        group(&format!("{:.*}", d, e.half_width()))
    )
}

/// A fraction as a percentage with its CI: `70.3% ± 0.4`, or `96.02% ± 0.03`
/// where the interval is narrower than a tenth of a point, so that a figure just
/// below a target does not print as the target. An asymmetric interval (a rate's
/// under an eval set, crate::stats) prints both sides: `92.5% -11.8/+4.4`.
pub fn pct(e: &Estimate) -> String {
    let d = if e.half_width() * 100.0 < 0.05 { 2 } else { 1 };
    let below = format!("{:.*}", d, (e.mean - e.ci_low) * 100.0);
    let above = format!("{:.*}", d, (e.ci_high - e.mean) * 100.0);
    if below == above {
        format!(
            "{:.*}% \u{b1} {:.*}",
            d,
            e.mean * 100.0,
            d,
            e.half_width() * 100.0
        )
    } else {
        format!("{:.*}% -{below}/+{above}", d, e.mean * 100.0)
    }
}

/// Milliseconds with their CI: `1,234 ± 12`.
pub fn ms(e: &Estimate) -> String {
    let below = group(&format!("{:.0}", e.mean - e.ci_low));
    let above = group(&format!("{:.0}", e.ci_high - e.mean));
    if below != above {
        return format!("{} -{below}/+{above}", group(&format!("{:.0}", e.mean)));
    }
    format!(
        "{} \u{b1} {}",
        group(&format!("{:.0}", e.mean)),
        group(&format!("{:.0}", e.half_width()))
    )
}

/// A quantity with its CI, to three significant figures at least: `1,234 ±
/// 12`, `45.6 ± 0.3`, `0.153 ± 0.002`.
pub fn qty(e: &Estimate) -> String {
    let a = e.mean.abs().max(e.half_width());
    let d = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    format!(
        "{} \u{b1} {}",
        group(&format!("{:.*}", d, e.mean)),
        group(&format!("{:.*}", d, e.half_width()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(mean: f64, half: f64) -> Estimate {
        Estimate {
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
        }
    }

    #[test]
    fn formats() {
        assert_eq!(usd_value(0.012345), "$0.01235");
        assert_eq!(usd_value(2834.123), "$2,834.12");
        assert_eq!(usd_value(-0.5), "-$0.5000");
        assert_eq!(usd(&e(-1249.78, 1.75)), "-$1,249.78 \u{b1} 1.75");
        assert_eq!(usd(&e(9123.456, 12.3)), "$9,123.46 \u{b1} 12.30");
        assert_eq!(pct(&e(0.7031, 0.004)), "70.3% \u{b1} 0.4");
        assert_eq!(pct(&e(0.95984, 0.0002)), "95.98% \u{b1} 0.02");
        let wilson = Estimate {
            mean: 0.925,
            ci_low: 0.807,
            ci_high: 0.969,
        };
        assert_eq!(pct(&wilson), "92.5% -11.8/+4.4");
        assert_eq!(ms(&e(1234.4, 12.2)), "1,234 \u{b1} 12");
        assert_eq!(qty(&e(1234.4, 12.2)), "1,234 \u{b1} 12");
        assert_eq!(qty(&e(45.61, 0.31)), "45.6 \u{b1} 0.3");
        assert_eq!(qty(&e(0.1531, 0.0021)), "0.153 \u{b1} 0.002");
        assert_eq!(count(3_000_000.0), "3,000,000");
        assert_eq!(group("-1234.5"), "-1,234.5");
    }
}
