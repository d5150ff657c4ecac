//! Value shapes shared by the scenario and pricing formats: "a plain number, or a
//! table describing a distribution". Parsed here, validated by the callers, which
//! know the key and its domain.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::input::{Invalid, KeyPath, num};
use crate::numfmt::{count, show};
use crate::stats::{Z95, normal_cdf, normal_quantile};
use crate::units::MAX_CALL_TOKENS;

/// A number, or a table of type `T`.
#[derive(Debug, Clone, PartialEq)]
pub enum NumOr<T> {
    Num(f64),
    Table(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NumOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = NumOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a table")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(NumOr::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(NumOr::Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(NumOr::Num(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(NumOr::Table)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `{ median, p95 }` of a quantity drawn from a lognormal.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedianP95 {
    pub median: f64,
    pub p95: f64,
}

/// `{ alpha, beta }` of a Beta distribution on [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlphaBeta {
    pub alpha: f64,
    pub beta: f64,
}

/// A positive quantity given by its median and 95th percentile (equal for a fixed
/// value). Validated: both finite, median > 0, p95 ≥ median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub p95: f64,
}

impl Spread {
    /// Validates `raw` found at `path`; `min` is the smallest allowed median.
    pub fn from_raw(raw: &NumOr<MedianP95>, path: &KeyPath, min: f64) -> Result<Self, Invalid> {
        match raw {
            NumOr::Num(v) => {
                check_at_least(*v, min, path)?;
                Ok(Spread {
                    median: *v,
                    p95: *v,
                })
            }
            NumOr::Table(t) => {
                check_at_least(t.median, min, &path.key("median"))?;
                check_finite(t.p95, &path.key("p95"))?;
                if t.p95 < t.median {
                    return Err(Invalid::new(
                        path.key("p95"),
                        format!(
                            "p95 ({}) is below the median ({}): a 95th percentile cannot be smaller than the median",
                            t.p95, t.median
                        ),
                    ));
                }
                Ok(Spread {
                    median: t.median,
                    p95: t.p95,
                })
            }
        }
    }
}

/// Checks that `v` is a finite number.
pub fn check_finite(v: f64, path: &KeyPath) -> Result<f64, Invalid> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Invalid::new(
            path.clone(),
            format!("{v} is not a finite number"),
        ))
    }
}

/// Checks that `v` is finite and at least `min` (0 for "not negative").
pub fn check_at_least(v: f64, min: f64, path: &KeyPath) -> Result<f64, Invalid> {
    check_finite(v, path)?;
    if v < min {
        let what = if min == 0.0 {
            "must not be negative".to_string()
        } else {
            format!("must be at least {min}")
        };
        return Err(Invalid::new(path.clone(), format!("{v} {what}")));
    }
    Ok(v)
}

/// Checks that `v` is finite and within `[lo, hi]`.
pub fn check_range(v: f64, lo: f64, hi: f64, path: &KeyPath) -> Result<f64, Invalid> {
    check_finite(v, path)?;
    if !(lo..=hi).contains(&v) {
        return Err(Invalid::new(
            path.clone(),
            format!(
                "{} is out of range: it must be a number between {} and {}{}",
                num(v),
                num(lo),
                num(hi),
                percent_hint(v, lo, hi)
            ),
        ));
    }
    Ok(v)
}

/// " — did you mean 0.85?" where `v` is out of a range that ends at 1 (a
/// fraction: a share, a rate, a threshold) and reads as a percentage of it
/// (85 for 0.85); else "". From 2 on: 1.2 is more likely a slip than 1.2%.
pub fn percent_hint(v: f64, lo: f64, hi: f64) -> String {
    let f = v / 100.0;
    if hi == 1.0 && (2.0..=100.0).contains(&v) && (lo..=hi).contains(&f) {
        format!(" — did you mean {}?", num(f))
    } else {
        String::new()
    }
}

/// Checks that `v` is a whole, non-negative number of tokens, at most
/// [`MAX_CALL_TOKENS`].
pub fn check_tokens(v: f64, path: &KeyPath) -> Result<u64, Invalid> {
    check_at_least(v, 0.0, path)?;
    if v.fract() != 0.0 {
        return Err(Invalid::new(
            path.clone(),
            format!("{v} is not a whole number of tokens"),
        ));
    }
    if v > MAX_CALL_TOKENS as f64 {
        return Err(Invalid::new(
            path.clone(),
            format!(
                "{} tokens is more than any Bedrock model reads or writes in one call (at most {} are accepted)",
                show(v),
                count(MAX_CALL_TOKENS as f64)
            ),
        ));
    }
    Ok(v as u64)
}

/// The largest share of a token distribution's mean that may lie above
/// [`MAX_CALL_TOKENS`], where draws are capped: the cap then moves the mean by
/// less than 0.01%.
pub const MAX_CAPPED_MEAN_SHARE: f64 = 1e-4;

/// Checks that a lognormal token count of median `s.median` and 95th percentile
/// `s.p95` barely reaches `cap` (at most [`MAX_CALL_TOKENS`]: less for a class's
/// uncached input, which shares the prompt with its cached prefix), where the
/// engine caps its draws.
///
/// For a lognormal `X = exp(mu + sigma·Z)`, the share of the mean above `c` is
/// `E[X; X > c] / E[X] = Φ(sigma − z_c)` with `z_c = (ln c − mu) / sigma`, and
/// capping at `c` lowers the mean by `E[(X − c)⁺] ≤ E[X; X > c]`. A spread whose
/// share exceeds [`MAX_CAPPED_MEAN_SHARE`] is refused, with the largest p95 that
/// would pass: the root of `sigma² − Φ⁻¹(share)·sigma − (ln c − mu) = 0`.
pub fn check_token_tail(s: Spread, path: &KeyPath, cap: u64) -> Result<(), Invalid> {
    let c = cap as f64;
    if s.median > c {
        return Err(Invalid::new(
            path.key("median"),
            format!(
                "{} tokens is more than any Bedrock model reads or writes in one call (at most {} are accepted here)",
                show(s.median),
                count(c)
            ),
        ));
    }
    let mu = s.median.ln();
    let sigma = (s.p95 / s.median).ln() / Z95;
    if sigma <= 0.0 {
        return Ok(());
    }
    let share = normal_cdf(sigma - (c.ln() - mu) / sigma);
    if share <= MAX_CAPPED_MEAN_SHARE {
        return Ok(());
    }
    let a = -normal_quantile(MAX_CAPPED_MEAN_SHARE);
    let max_sigma = (-a + (a * a + 4.0 * (c.ln() - mu)).sqrt()) / 2.0;
    let max_p95 = s.median * (max_sigma * Z95).exp();
    Err(Invalid::new(
        path.key("p95"),
        format!(
            "a lognormal with median {} and p95 {} puts {} of its mean above {} tokens in one call{}, more than any Bedrock model reads or writes; with this median the p95 can be at most about {}",
            show(s.median),
            show(s.p95),
            percent(share),
            count(c),
            if cap < MAX_CALL_TOKENS {
                " (10,000,000 less the cached prefix)"
            } else {
                ""
            },
            count(max_p95.floor())
        ),
    ))
}

/// A share as a percentage with two significant digits: "0.31%", "12%".
fn percent(share: f64) -> String {
    format!("{}%", crate::numfmt::round_sig(share * 100.0, 2))
}
