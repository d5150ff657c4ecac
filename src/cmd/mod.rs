//! The command line: clap's derive structs, and one module per subcommand.
//!
//! [`run`] is what `main` calls; it returns an error whose chain `main` prints.
//! Mistakes in the user's files or flags are [`crate::input::InputError`] or
//! [`UsageError`] somewhere in that chain, and exit with code 2.

pub mod aggregate;
pub mod compare;
pub mod fit;
pub mod generate;
pub mod output;
pub mod pricing;
pub mod progress;
pub mod quote;
pub mod run;
pub mod sensitivity;
pub mod sweep;
pub mod validate;
pub mod work;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;
use crate::sweep::run::RunSize;

/// Simulate the cost, latency and quality of LLM traffic on Amazon Bedrock.
#[derive(Debug, Parser)]
#[command(name = "simroute", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and print each policy's cost, latency and quality.
    Run(RunArgs),
    /// Check a scenario and its pricing table without running it.
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Run one policy at many settings of a parameter, on one shared set of requests.
    Sweep(SweepArgs),
    /// Which uncertain input to measure first: how far each moves a policy's
    /// cost, quality, p95 latency and saving, ranked, with each input's share
    /// of their variance.
    ///
    /// Every input given as a range (`skill = { low = 0.7, high = 0.85 }`) goes
    /// from its low to its high end with the others at their midpoints, on the
    /// same simulated requests; then every input is drawn in every replication,
    /// and each figure is regressed on the inputs. Example:
    /// `simroute sensitivity scenarios/support-uncertain.toml --policy cascade --charts out`
    Sensitivity(SensitivityArgs),
    /// Run two scenarios (before and after a price or model change) and show per
    /// policy what changed, with paired CIs.
    Compare(CompareArgs),
    /// Price one call: the what-if calculator at its smallest.
    Quote(QuoteArgs),
    /// Print [[traffic]] tables fitted from a log of real traffic (Bedrock
    /// invocation log, CSV or JSONL; gzip or not), to paste into a scenario.
    ///
    /// Reads the log once and prints, per class (records without one form the
    /// class "all"), a [[traffic]] table: share, input and output token medians
    /// and p95s, cached prefix and cache hit rate, with comments on how well a
    /// lognormal fits each count, and the requests per month the timestamps
    /// imply. Example:
    /// `simroute fit logs/invocations.jsonl.gz --class-field requestMetadata.feature`
    Fit(FitArgs),
    /// Write a synthetic Bedrock invocation log (or CSV) drawn from a
    /// scenario's traffic.
    ///
    /// Records are drawn as the simulation draws requests (class by share, token
    /// counts from the class's distributions, the cache hit, latency from the
    /// model's profile); the model is the first of the policy's route for the
    /// class, and timestamps advance at the scenario's monthly_requests rate from
    /// 2026-01-01. The same seed writes the same file byte for byte. Example:
    /// `simroute generate-log scenarios/support.toml --records 100000 --gzip --out support.jsonl.gz`
    /// (read the class back with `--class-field requestMetadata.feature`).
    GenerateLog(GenerateLogArgs),
    /// Summarize logs into one aggregated traffic file (CSV or Parquet): per
    /// cell (class, model, UTC hour, and the bucket of each of the four token
    /// counts), its records and their exact token sums.
    ///
    /// The file is small enough to copy from S3 and is read wherever a log is
    /// (a scenario's log =, --traffic-log, simroute fit), with bootstrap
    /// replay; Athena writes the same file with one query (scenarios/README.md
    /// §2.8). An input that is itself an aggregate is merged. Example:
    /// `simroute aggregate logs/*.jsonl.gz --class-field requestMetadata.feature --out traffic.parquet`
    Aggregate(AggregateArgs),
    /// Pricing tables: import one from LiteLLM's price list, list one's models,
    /// diff two (and what the change does to a scenario's monthly cost).
    Pricing(PricingArgs),
}

/// How a simulation runs: output format, threads and the run-size overrides,
/// shared by `run`, `sweep` and `compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Worker threads [default: all cores]. The output does not depend on it.
    #[arg(long, value_parser = threads, allow_negative_numbers = true)]
    pub threads: Option<u16>,
    /// Override scenario.seed (for compare: both scenarios' seed, which pairs
    /// their replications).
    #[arg(long, value_parser = seed, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Override scenario.requests (simulated requests per replication).
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    pub requests: Option<u64>,
    /// Override scenario.replications (at least 2).
    #[arg(long, value_parser = replications, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// How the scenario's logs and eval set are read, shared by `run`, `sweep`,
/// `compare` and `validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Take the whole traffic mix from this log (Bedrock invocation log, CSV or
    /// JSONL, gzip or not; or an aggregated traffic file, bootstrap replay
    /// only) instead of the scenario's distributions: every
    /// [[traffic]] class takes its records and its share from it.
    #[arg(long, value_name = "FILE")]
    pub traffic_log: Option<PathBuf>,
    /// With --traffic-log: the record field (dotted path) or CSV column that holds
    /// the class, e.g. requestMetadata.feature.
    #[arg(long, value_name = "PATH", requires = "traffic_log")]
    pub class_field: Option<String>,
    /// Skip bad log records and eval rows, and report how many of each kind,
    /// instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Override scenario.replay: `bootstrap` draws --requests records with
    /// replacement per replication; `exact` replays every logged request once.
    #[arg(long, value_enum)]
    pub replay: Option<ReplayArg>,
}

impl LoadArgs {
    /// The options as the scenario loader takes them.
    pub fn options(&self) -> crate::scenario::LoadOptions {
        crate::scenario::LoadOptions {
            traffic_log: self.traffic_log.clone(),
            class_field: self.class_field.clone(),
            skip_bad_lines: self.skip_bad_lines,
            replay: self.replay.map(|r| match r {
                ReplayArg::Bootstrap => crate::scenario::Replay::Bootstrap,
                ReplayArg::Exact => crate::scenario::Replay::Exact,
            }),
            check_only: false,
        }
    }
}

/// `--replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayArg {
    Bootstrap,
    Exact,
}

impl SimArgs {
    pub fn size(&self) -> RunSize {
        RunSize {
            seed: self.seed,
            requests: self.requests,
            replications: self.replications,
        }
    }
    /// How the scenario's logs and eval set are read.
    pub fn load_options(&self) -> crate::scenario::LoadOptions {
        self.load.options()
    }

    /// `--threads`, capped at the machine's cores (with a note).
    pub fn threads(&self) -> Option<usize> {
        work::threads(self.threads)
    }
}

/// `--charts` and `--report`, shared by `run` and `sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Write SVG charts into this folder (created if missing), named after the
    /// scenario and the chart.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// Write a Markdown review report to this file.
    #[arg(long, value_name = "FILE.md")]
    pub report: Option<PathBuf>,
}

impl OutputArgs {
    pub fn outputs(&self) -> output::Outputs {
        output::Outputs {
            charts: self.charts.clone(),
            report: self.report.clone(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The policy to sweep.
    #[arg(long)]
    pub policy: String,
    /// KEY=FROM..TO:STEP, KEY=V1,V2,... or KEY=V. KEY is a dotted path:
    /// `threshold` (a key of --policy), `models.NAME.skill`,
    /// `models.NAME.price.input`, `traffic.NAME.cache_hit_rate`, ... Twice for a grid.
    #[arg(long, required = true)]
    pub param: Vec<String>,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// The scenario file (TOML), with some inputs given as ranges.
    pub scenario: PathBuf,
    /// The policy whose figures are ranked [default: the file's last policy].
    #[arg(long)]
    pub policy: Option<String>,
    /// The figure the inputs are ranked by [default: saving; cost for the
    /// baseline].
    #[arg(long, value_enum)]
    pub by: Option<crate::uncertain::sensitivity::Figure>,
    /// Run every setting as its own pass instead of letting settings that make
    /// the same draws share one (same figures; for benchmarks).
    #[arg(long, hide = true)]
    pub separate_passes: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Write the tornado chart (SVG) into this folder (created if missing),
    /// named SCENARIO-tornado.svg.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The "before" scenario.
    pub a: PathBuf,
    /// The "after" scenario.
    pub b: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, clap::Args)]
pub struct QuoteArgs {
    /// The pricing table (TOML).
    #[arg(long)]
    pub pricing: PathBuf,
    /// A model key of the pricing table, e.g. amazon.nova-micro-v1:0.
    #[arg(long)]
    pub model: String,
    /// Uncached input tokens (Bedrock's inputTokens).
    #[arg(long, value_parser = tokens, allow_negative_numbers = true)]
    pub input: u64,
    /// Output tokens.
    #[arg(long, value_parser = tokens, allow_negative_numbers = true)]
    pub output: u64,
    /// Input tokens read from the prompt cache (cacheReadInputTokens).
    #[arg(long, default_value_t = 0, value_parser = tokens, allow_negative_numbers = true)]
    pub cache_read: u64,
    /// Input tokens written to the prompt cache (cacheWriteInputTokens).
    #[arg(long, default_value_t = 0, value_parser = tokens, allow_negative_numbers = true)]
    pub cache_write: u64,
    /// Price at batch-inference rates.
    #[arg(long)]
    pub batch: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: QuoteFormat,
    /// Deprecated: `--format json`. Kept so that scripts written for it work.
    #[arg(long, hide = true)]
    pub json: bool,
}

/// `quote --format`: one call's cost as text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QuoteFormat {
    Table,
    Json,
}

/// `simroute fit`: see [`Command::Fit`].
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// The log: Bedrock model invocation records (one JSON object per line, as
    /// delivered to S3 or exported from CloudWatch), or CSV/JSONL with
    /// input_tokens, output_tokens [, class, cache_read_tokens,
    /// cache_write_tokens, timestamp, model, latency_ms]. Gzip is detected. Or
    /// an aggregated traffic file (CSV or Parquet, see `simroute aggregate`).
    pub log: PathBuf,
    /// The record field (dotted path, e.g. requestMetadata.feature) or CSV
    /// column that holds the traffic class.
    #[arg(long, value_name = "PATH")]
    pub class_field: Option<String>,
    /// Skip bad records and count them by kind, instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

/// `simroute generate-log`: see [`Command::GenerateLog`].
#[derive(Debug, clap::Args)]
pub struct GenerateLogArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Records to write.
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    pub records: u64,
    /// Seed of the draws [default: scenario.seed].
    #[arg(long, value_parser = seed, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// The policy whose routes pick each record's model [default: the baseline].
    #[arg(long)]
    pub policy: Option<String>,
    /// `bedrock`: Bedrock invocation log records (JSON Lines); `csv`: plain CSV.
    #[arg(long, value_enum, default_value = "bedrock")]
    pub format: crate::logs::generate::GenFormat,
    /// Compress the output with gzip (as S3 delivers Bedrock logs).
    #[arg(long)]
    pub gzip: bool,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace --out if it exists (only a regular file, never an input of the
    /// scenario).
    #[arg(long)]
    pub force: bool,
}

/// `simroute aggregate`: see [`Command::Aggregate`].
#[derive(Debug, clap::Args)]
pub struct AggregateArgs {
    /// The logs (Bedrock invocation logs, CSV or JSONL, gzip or not; a file, a
    /// folder or a quoted glob pattern such as 'logs/2026/11/*.json.gz'; or
    /// aggregated traffic files, merged).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The file to write: FILE.csv, FILE.csv.gz or FILE.parquet (the name
    /// chooses the format).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The record field (dotted path, e.g. requestMetadata.feature) or CSV
    /// column that holds the traffic class. A record without it is kept, with
    /// an empty class (refused or not where the file is used, as a raw log's).
    #[arg(long, value_name = "PATH")]
    pub class_field: Option<String>,
    /// Skip bad records and count them, instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Worker threads [default: all cores]. The output does not depend on it.
    #[arg(long, value_parser = threads, allow_negative_numbers = true)]
    pub threads: Option<u16>,
    /// Replace --out if it exists (only a regular file, never an input).
    #[arg(long)]
    pub force: bool,
}

/// `simroute pricing`.
#[derive(Debug, clap::Args)]
pub struct PricingArgs {
    #[command(subcommand)]
    pub command: PricingCommand,
}

#[derive(Debug, Subcommand)]
pub enum PricingCommand {
    /// Build a pricing table from LiteLLM's price list
    /// (model_prices_and_context_window_backup.json): every Bedrock chat,
    /// embedding and rerank model of the Region, with its cross-Region
    /// profiles, batch, cache, long-prompt and Priority/Flex prices.
    ///
    /// Every price keeps its LiteLLM key (`source = "litellm:<key>"`); the
    /// output is sorted and the same input gives the same bytes. Example:
    /// `simroute pricing import model_prices_and_context_window_backup.json
    /// --overlay pricing/overlay-us-east-1.toml --litellm-version 1.110.2 --out new.toml`
    Import(ImportArgs),
    /// List a pricing table's models: prices per 1M tokens, context window,
    /// profiles, tiers, long-prompt threshold, deprecation date.
    ///
    /// Without --pricing, the table shipped with simroute
    /// (pricing/bedrock-us-east-1.toml, built into the binary, so it works
    /// from any folder).
    List(ListArgs),
    /// What changed between two pricing tables: models added and removed, and
    /// every price (profiles, tiers, long-prompt prices included) old → new.
    ///
    /// With --scenario, also runs the scenario with OLD and with NEW as its
    /// pricing table (paired, as `compare` does) and prints each policy's
    /// monthly cost old → new. Exits 0 whether or not the tables differ; 2 on
    /// bad input.
    Diff(DiffArgs),
}

/// `simroute pricing import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// LiteLLM's price list (JSON), e.g. pricing/litellm/bedrock-1.110.2.json.
    pub file: PathBuf,
    /// The AWS Region whose prices and inference profiles to import.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Import only the models whose id contains one of these
    /// (case-insensitive), e.g. `--models claude nova`.
    #[arg(long, num_args = 1.., value_name = "FILTER")]
    pub models: Vec<String>,
    /// A pricing table of partial model entries whose keys are merged on top
    /// of the import (what LiteLLM lacks: burndown, latency estimates, …).
    #[arg(long, value_name = "OVERLAY.toml")]
    pub overlay: Option<PathBuf>,
    /// LiteLLM's version, recorded in [meta] (e.g. 1.110.2).
    #[arg(long, value_name = "VERSION")]
    pub litellm_version: Option<String>,
    /// The date of the prices, YYYY-MM-DD [default: today].
    #[arg(long, value_name = "DATE", value_parser = date)]
    pub as_of: Option<String>,
    /// The sha256 of LiteLLM's whole file, where FILE is a filtered copy of
    /// it: recorded in the header.
    #[arg(long, value_name = "HEX", value_parser = sha256)]
    pub upstream_sha256: Option<String>,
    /// The table to write (`-`: standard output). An existing regular file is
    /// replaced; never the input or the overlay.
    #[arg(long, value_name = "TABLE.toml")]
    pub out: PathBuf,
}

/// `simroute pricing list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only the models whose key contains this (case-insensitive).
    pub filter: Option<String>,
    /// The pricing table [default: the shipped one, built in].
    #[arg(long)]
    pub pricing: Option<PathBuf>,
}

/// `simroute pricing diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old pricing table.
    pub old: PathBuf,
    /// The new pricing table.
    pub new: PathBuf,
    /// Also run this scenario with OLD and with NEW as its pricing table.
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// With --scenario: override scenario.seed.
    #[arg(long, value_parser = seed, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// With --scenario: override scenario.requests.
    #[arg(long, value_parser = at_least_one, allow_negative_numbers = true)]
    pub requests: Option<u64>,
    /// With --scenario: override scenario.replications (at least 2).
    #[arg(long, value_parser = replications, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    /// Worker threads [default: all cores]. The output does not depend on it.
    #[arg(long, value_parser = threads, allow_negative_numbers = true)]
    pub threads: Option<u16>,
}

/// `--as-of`: a date YYYY-MM-DD.
fn date(text: &str) -> Result<String, String> {
    if crate::pricing::is_date(text) {
        Ok(text.to_string())
    } else {
        Err("expected a date YYYY-MM-DD, e.g. 2026-11-25".into())
    }
}

/// `--upstream-sha256`: 64 hex digits.
fn sha256(text: &str) -> Result<String, String> {
    if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err("expected a SHA-256: 64 hex digits".into())
    }
}

pub use crate::input::UsageError;

/// A whole number in `[min, max]` from the command line, or what was expected in
/// words: clap's own messages say "invalid digit found in string" for `1e5` and
/// take `-1` for a flag ("to pass '-1' as a value, use '-- -1'", which fails).
fn whole(text: &str, min: u64, max: u64) -> Result<u64, String> {
    let range = format!("a whole number from {min} to {max}");
    whole_in(text, min, max, &range)
}

/// [`whole`], with the range said as `range`.
fn whole_in(text: &str, min: u64, max: u64, range: &str) -> Result<u64, String> {
    let plain = text.trim().replace('_', "");
    match plain.parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(_) => Err(format!("expected {range}")),
        Err(_) => {
            let written = crate::input::loose_number(text)
                // Below 2^53, where a float holds every whole number exactly.
                .filter(|v| v.fract() == 0.0 && *v >= min as f64 && *v <= max as f64 && *v < 9.0e15)
                .map(|v| format!(" — write {}", crate::input::num(v)))
                .unwrap_or_default();
            Err(format!("expected {range}{written}"))
        }
    }
}

/// `--seed`: any u64.
fn seed(text: &str) -> Result<u64, String> {
    whole(text, 0, u64::MAX)
}

/// `--requests`, `--records`.
fn at_least_one(text: &str) -> Result<u64, String> {
    whole_in(text, 1, u64::MAX, "a whole number, at least 1")
}

/// `--replications`.
fn replications(text: &str) -> Result<u32, String> {
    whole(text, 2, u32::MAX.into()).map(|v| v as u32)
}

/// `--threads`.
fn threads(text: &str) -> Result<u16, String> {
    whole(text, 1, u16::MAX.into()).map(|v| v as u16)
}

/// `quote`'s token counts.
fn tokens(text: &str) -> Result<u64, String> {
    whole_in(text, 0, u64::MAX, "a whole number of tokens (0 or more)")
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(&args, out),
        Command::Validate { scenario, load } => validate::validate(&scenario, &load.options(), out),
        Command::Sweep(args) => sweep::sweep_cmd(&args, out),
        Command::Compare(args) => compare::compare_cmd(&args, out),
        Command::Sensitivity(args) => sensitivity::sensitivity_cmd(&args, out),
        Command::Quote(args) => quote::quote(&args, out),
        Command::Fit(args) => fit::fit_cmd(&args, out),
        Command::GenerateLog(args) => generate::generate_cmd(&args, out),
        Command::Aggregate(args) => aggregate::aggregate_cmd(&args, out),
        Command::Pricing(args) => pricing::pricing_cmd(&args, out),
    }
}

/// The exit code for an error: 2 for bad input, 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    let bad_input = e.chain().any(|c| {
        c.downcast_ref::<crate::input::InputError>().is_some()
            || c.downcast_ref::<UsageError>().is_some()
    });
    if bad_input { 2 } else { 1 }
}
