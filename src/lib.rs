//! simroute: a Monte Carlo simulator of LLM cost, latency and quality on Amazon
//! Bedrock, for single models and cascades, with prompt caching and batch
//! inference.
//!
//! The pipeline: [`scenario`] and [`pricing`] read and validate the user's files
//! into plain typed data; [`engine`] simulates it; [`report`] prints the figures;
//! [`cmd`] holds one module per subcommand.

pub mod cmd;
pub mod compare;
pub mod engine;
pub mod eval;
pub mod infile;
pub mod input;
pub mod logs;
pub mod numfmt;
pub mod outfile;
pub mod pricing;
pub mod report;
pub mod scenario;
pub mod spec;
pub mod stats;
pub mod sweep;
pub mod uncertain;
pub mod units;
