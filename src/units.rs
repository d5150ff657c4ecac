//! Units of measure, as type aliases so that a signature says what it carries.
//!
//! Money has two representations. Prices and reported figures are `f64` dollars
//! ([`Usd`], [`UsdPerMTok`]). Inside the engine every call's cost is an exact
//! integer number of femto-dollars ([`Femto`], 1e-15 USD): a price in USD per
//! million tokens becomes an integer femto-dollars per token (`price × 1e9`), and a
//! call's cost is `tokens × femto_per_token`, computed without rounding. Integer
//! sums are associative, so a total does not depend on how the work was split
//! across threads: this is what makes the output byte-for-byte deterministic.

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
/// 1e-15 US dollars: the engine's exact unit of account.
pub type Femto = u64;

/// Femto-dollars in one dollar.
pub const FEMTO_PER_USD: f64 = 1e15;

/// Converts a price in USD per 1M tokens into integer femto-dollars per token.
///
/// `usd_per_mtok × 1e-6 USD/token × 1e15 femto/USD = usd_per_mtok × 1e9`, rounded to
/// the nearest integer: prices are exact to nine decimals of a dollar per 1M tokens.
pub fn femto_per_token(price: UsdPerMTok) -> Femto {
    (price * 1e9).round() as Femto
}

/// Converts a price in USD per call into integer femto-dollars.
pub fn femto_per_call(price: Usd) -> Femto {
    (price * FEMTO_PER_USD).round() as Femto
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
}
