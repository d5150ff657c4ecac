//! `simroute quote`: the cost of one call.

use std::io::Write;

use serde::Serialize;

use super::{QuoteArgs, QuoteFormat, UsageError};
use crate::input::did_you_mean;
use crate::pricing::{CallTokens, PriceError, PriceTable};
use crate::units::usd;

#[derive(Serialize)]
struct Quote<'a> {
    model: &'a str,
    batch: bool,
    input_tokens: u64,
    output_tokens: u64,
    cache_read_tokens: u64,
    cache_write_tokens: u64,
    input_usd: f64,
    output_usd: f64,
    cache_read_usd: f64,
    cache_write_usd: f64,
    per_request_usd: f64,
    total_usd: f64,
}

pub fn quote(a: &QuoteArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let table = PriceTable::load(&a.pricing)?;
    let model = table.models.get(&a.model).ok_or_else(|| {
        UsageError(format!(
            "--model: \"{}\" is not a model of {}{}",
            a.model,
            a.pricing.display(),
            did_you_mean(&a.model, table.models.keys().map(String::as_str))
        ))
    })?;
    let t = CallTokens {
        input: a.input,
        output: a.output,
        cache_read: a.cache_read,
        cache_write: a.cache_write,
    };
    let cost = model.cost(&t, a.batch).map_err(|e| {
        UsageError(match e {
            PriceError::BatchCache => {
                "--batch cannot be combined with --cache-read or --cache-write: batch inference has no prompt caching".to_string()
            }
            e => format!("--model {}: {e}", a.model),
        })
    })?;
    let q = Quote {
        model: &a.model,
        batch: a.batch,
        input_tokens: a.input,
        output_tokens: a.output,
        cache_read_tokens: a.cache_read,
        cache_write_tokens: a.cache_write,
        input_usd: usd(cost.input),
        output_usd: usd(cost.output),
        cache_read_usd: usd(cost.cache_read),
        cache_write_usd: usd(cost.cache_write),
        per_request_usd: usd(cost.per_request),
        total_usd: cost.total_usd(),
    };
    if a.json {
        eprintln!("warning: --json is deprecated: use --format json");
    }
    if a.json || a.format == QuoteFormat::Json {
        serde_json::to_writer_pretty(&mut *out, &q)?;
        writeln!(out)?;
        return Ok(());
    }
    let mode = if a.batch { "batch" } else { "on-demand" };
    writeln!(
        out,
        "{} ({mode}, {} {} as of {})",
        a.model, table.meta.region, table.meta.currency, table.meta.as_of
    )?;
    if model.per_request.is_some() {
        writeln!(
            out,
            "  priced per request: token counts do not change the cost"
        )?;
    }
    let rate = |p: Option<f64>| p.map_or("-".to_string(), |p| format!("${p}/1M"));
    let lines: [(&str, u64, Option<f64>, f64); 4] = if a.batch {
        [
            ("input", a.input, model.batch_input, q.input_usd),
            ("output", a.output, model.batch_output, q.output_usd),
            ("cache read", 0, None, 0.0),
            ("cache write", 0, None, 0.0),
        ]
    } else {
        let (read, write) = match model.cache_read {
            Some(r) => (Some(r), Some(model.cache_write.unwrap_or(model.input))),
            None => (Some(model.input), Some(model.input)),
        };
        [
            ("input", a.input, Some(model.input), q.input_usd),
            ("output", a.output, model.output, q.output_usd),
            ("cache read", a.cache_read, read, q.cache_read_usd),
            ("cache write", a.cache_write, write, q.cache_write_usd),
        ]
    };
    if model.per_request.is_none() {
        for (name, tokens, price, cost) in lines {
            if tokens > 0 {
                writeln!(
                    out,
                    "  {name:<12}{tokens:>10} tokens x {:<12} = ${cost:.8}",
                    rate(price)
                )?;
            }
        }
    } else {
        let price = format!("${}", q.per_request_usd);
        writeln!(
            out,
            "  {:<12}{:>10} call   x {price:<12} = ${:.8}",
            "request", 1, q.per_request_usd
        )?;
    }
    // The "=" of the lines above stands after 2 + 12 + 10 + 10 + 12 characters.
    writeln!(out, "  {:<44} = ${:.8}", "total", q.total_usd)?;
    Ok(())
}
