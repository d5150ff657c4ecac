//! Units of measure, as type aliases so that a signature says what it carries.
//!
//! Money has two representations. Prices and reported figures are `f64` dollars
//! ([`Usd`], [`UsdPerMTok`]). Inside the engine every call's cost is an exact
//! integer number of femto-dollars ([`Femto`], 1e-15 USD): a price in USD per
//! million tokens becomes an integer femto-dollars per token (`price × 1e9`,
//! [`FemtoPerToken`]), and a call's cost is `tokens × femto_per_token`, computed
//! without rounding ([`cost_of`]). Integer sums are associative, so a total does
//! not depend on how the work was split across threads: this is what makes the
//! output byte-for-byte deterministic.
//!
//! Room: an amount is a `u128` (up to 3.4e23 USD). The largest price a table
//! accepts is 10,000 USD per 1M tokens or per call (1e13 femto-dollars per token,
//! 1e19 per call), and a token count is a `u64`, so one call of any size the
//! formats accept costs at most 1.8e19 × 1e13 ≈ 1.8e32 femto-dollars per kind:
//! no product wraps. A scenario's draws are capped at [`MAX_CALL_TOKENS`] and a
//! replication at [`MAX_REQUESTS`] requests, so a replication's sum stays below
//! 1e12 requests × (a few calls × 2e20) ≈ 1e34, far from the `u128` limit.

/// US dollars.
pub type Usd = f64;
/// US dollars per one million tokens: how Bedrock publishes prices.
pub type UsdPerMTok = f64;
/// Milliseconds.
pub type Ms = f64;
/// A count of tokens.
pub type Tokens = u64;
/// Tokens per second of generated output.
pub type TokPerS = f64;
/// An amount of 1e-15 US dollars: the engine's exact unit of account. 128 bits,
/// so that no call the formats accept can wrap it (see the module header).
pub type Femto = u128;
/// A price in femto-dollars per token (USD per 1M tokens × 1e9). At most 1e13 for
/// the largest price a table accepts, so a `u64` holds it.
pub type FemtoPerToken = u64;

/// The most tokens of one kind (input, output, cache read or write) in one call:
/// no Bedrock model reads or writes more (the largest context windows are about
/// 1M tokens). Log records above it are corrupt; a scenario's fixed counts above
/// it are refused, and its lognormal draws are capped at it (validation refuses a
/// distribution whose mean the cap would move by more than 0.01%).
pub const MAX_CALL_TOKENS: Tokens = 10_000_000;

/// The most simulated requests in one replication (`requests`, `--requests`):
/// about two days of one core's work, and a bound that keeps every sum of
/// femto-dollars far from overflowing.
pub const MAX_REQUESTS: u64 = 1_000_000_000_000;

/// The shortest latency told apart from others, ms (1 µs).
pub const MIN_LATENCY_MS: Ms = 1e-3;
/// The longest latency told apart from others, ms (about 28 hours).
pub const MAX_LATENCY_MS: Ms = 1e8;

/// Femto-dollars in one dollar.
pub const FEMTO_PER_USD: f64 = 1e15;

/// Converts a price in USD per 1M tokens into integer femto-dollars per token.
///
/// `usd_per_mtok × 1e-6 USD/token × 1e15 femto/USD = usd_per_mtok × 1e9`, rounded to
/// the nearest integer: prices are exact to nine decimals of a dollar per 1M tokens.
pub fn femto_per_token(price: UsdPerMTok) -> FemtoPerToken {
    (price * 1e9).round() as FemtoPerToken
}

/// Converts a price in USD per call into integer femto-dollars.
pub fn femto_per_call(price: Usd) -> Femto {
    (price * FEMTO_PER_USD).round() as Femto
}

/// The exact cost of `tokens` tokens at `rate`: a widening multiplication, which
/// cannot overflow (`u64 × u64 < 2¹²⁸`).
#[inline]
pub fn cost_of(tokens: Tokens, rate: FemtoPerToken) -> Femto {
    tokens as Femto * rate as Femto
}

/// Converts femto-dollars (possibly a large sum) back into dollars.
pub fn usd(femto: u128) -> Usd {
    femto as f64 / FEMTO_PER_USD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_conversion_is_exact_for_published_prices() {
        assert_eq!(femto_per_token(0.035), 35_000_000);
        assert_eq!(femto_per_token(3.0), 3_000_000_000);
        assert_eq!(femto_per_token(0.00875), 8_750_000);
        assert_eq!(femto_per_call(0.002), 2_000_000_000_000);
        // 1M tokens at $3 per 1M tokens is $3.
        assert_eq!(usd(1_000_000u128 * femto_per_token(3.0) as u128), 3.0);
    }

    #[test]
    fn the_largest_accepted_call_does_not_wrap() {
        // 4,000,000 tokens at $5,000 per 1M tokens is $20,000 exactly: a u64 of
        // femto-dollars (at most $18,446.74) wrapped here.
        assert_eq!(usd(cost_of(4_000_000, femto_per_token(5000.0))), 20_000.0);
        // The extreme the types allow: every u64 token count at the largest price.
        let max = cost_of(u64::MAX, femto_per_token(10_000.0));
        assert_eq!(max, u64::MAX as u128 * 10_000_000_000_000);
        // Two $10,000 per-call prices: $20,000.
        assert_eq!(usd(2 * femto_per_call(10_000.0)), 20_000.0);
    }
}
