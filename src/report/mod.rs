//! Printing a run's figures: one module per output format behind [`Report`].
//!
//! `table` and `markdown` render the same [`Section`]s (built once by
//! [`sections`]), `csv` is the tidy long form (one figure per row) and `json` is
//! [`RunResults`] itself.

pub mod charts;
pub mod compare;
pub mod csv;
pub mod format;
pub mod json;
pub mod markdown;
pub mod review;
pub mod sweep;
pub mod table;

use std::io::{self, Write};

use crate::engine::results::{Percentiles, RunResults};
use crate::stats::Estimate;
use format::{count, ms, pct, usd};

/// An output format of `simroute run`.
pub trait Report {
    fn write(&self, results: &RunResults, out: &mut dyn Write) -> io::Result<()>;
}

/// The `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

impl Format {
    pub fn report(self) -> Box<dyn Report> {
        match self {
            Format::Table => Box::new(table::Table),
            Format::Json => Box::new(json::Json),
            Format::Csv => Box::new(csv::Csv),
            Format::Markdown => Box::new(markdown::Markdown),
        }
    }
}

/// A titled table of strings: what the table and Markdown formats print.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn strings<const N: usize>(v: [&str; N]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// One line saying what was simulated.
pub fn summary_line(r: &RunResults) -> String {
    let s = &r.scenario;
    let description = s
        .description
        .as_ref()
        .map_or(String::new(), |d| format!("{d}\n"));
    format!(
        "{description}scenario {}: {} requests x {} replications, seed {}; pricing {} as of {}; baseline {}; \u{b1} is the 95% CI (Student t) across replications",
        s.name,
        count(s.requests as f64),
        s.replications,
        s.seed,
        s.pricing_region,
        s.pricing_as_of,
        s.baseline
    )
}

fn lat(p: &Option<Percentiles>) -> [String; 3] {
    match p {
        Some(p) => [ms(&p.p50), ms(&p.p95), ms(&p.p99)],
        None => ["-".into(), "-".into(), "-".into()],
    }
}

/// The tables shown by the table and Markdown formats.
pub fn sections(r: &RunResults) -> Vec<Section> {
    let monthly = format!("per month ({} req)", count(r.scenario.monthly_requests));
    let mut out = vec![Section {
        title: "Cost and quality".into(),
        header: vec![
            "policy".into(),
            "per request".into(),
            "per 1K requests".into(),
            monthly,
            "saving vs baseline".into(),
            "escalation".into(),
            "quality".into(),
            "quality of escalated".into(),
        ],
        rows: r
            .policies
            .iter()
            .map(|p| {
                vec![
                    if p.baseline {
                        format!("{} (baseline)", p.name)
                    } else {
                        p.name.clone()
                    },
                    usd(&p.cost_per_request),
                    usd(&p.cost_per_1k),
                    usd(&p.cost_per_month),
                    opt(&p.saving_vs_baseline, pct),
                    pct(&p.escalation_rate),
                    pct(&p.quality),
                    opt(&p.escalated_quality, pct),
                ]
            })
            .collect(),
    }];
    if r.policies.iter().any(|p| p.e2e_latency_ms.is_some()) {
        out.push(Section {
            title: "Latency of interactive requests (ms)".into(),
            header: strings([
                "policy", "e2e p50", "e2e p95", "e2e p99", "TTFT p50", "TTFT p95", "TTFT p99",
            ]),
            rows: r
                .policies
                .iter()
                .map(|p| {
                    let mut row = vec![p.name.clone()];
                    row.extend(lat(&p.e2e_latency_ms));
                    row.extend(lat(&p.ttft_ms));
                    row
                })
                .collect(),
        });
    }
    if r.policies.iter().any(|p| p.batch_latency_ms.is_some()) {
        out.push(Section {
            title: "Latency of batch requests (ms, end to end of the calls)".into(),
            header: strings(["policy", "p50", "p95", "p99"]),
            rows: r
                .policies
                .iter()
                .map(|p| {
                    let mut row = vec![p.name.clone()];
                    row.extend(lat(&p.batch_latency_ms));
                    row
                })
                .collect(),
        });
    }
    let per_1k = |v: f64| format::usd_value(v * 1000.0);
    out.push(Section {
        title: "Cost by model and kind (USD per 1K requests, mean)".into(),
        header: strings([
            "policy",
            "model",
            "calls/request",
            "input",
            "output",
            "cache read",
            "cache write",
            "extra calls",
            "total",
        ]),
        rows: r
            .policies
            .iter()
            .flat_map(|p| {
                p.cost_by_model.iter().map(move |m| {
                    vec![
                        p.name.clone(),
                        m.model.clone(),
                        format!("{:.3}", m.calls_per_request),
                        per_1k(m.input),
                        per_1k(m.output),
                        per_1k(m.cache_read),
                        per_1k(m.cache_write),
                        per_1k(m.extra_calls),
                        per_1k(m.total),
                    ]
                })
            })
            .collect(),
    });
    if r.scenario.classes.len() > 1 {
        out.push(Section {
            title: "By traffic class".into(),
            header: strings([
                "policy",
                "class",
                "per 1K requests",
                "escalation",
                "quality",
            ]),
            rows: r
                .policies
                .iter()
                .flat_map(|p| {
                    p.classes.iter().map(move |c| {
                        vec![
                            p.name.clone(),
                            c.class.clone(),
                            opt(&c.cost_per_request, |e| usd(&e.scale(1000.0))),
                            opt(&c.escalation_rate, pct),
                            opt(&c.quality, pct),
                        ]
                    })
                })
                .collect(),
        });
    }
    out
}

/// Formats an optional estimate, "-" where it does not exist.
fn opt(e: &Option<Estimate>, f: impl Fn(&Estimate) -> String) -> String {
    e.as_ref().map_or("-".to_string(), f)
}
