//! Printing a run's figures: one module per output format behind [`Report`].
//!
//! `table` and `markdown` render the same [`Section`]s (built once by
//! [`sections`]), `csv` is the tidy long form (one figure per row) and `json` is
//! [`RunResults`] itself.

pub mod capacity;
pub mod charts;
pub mod compare;
pub mod csv;
pub mod format;
pub mod json;
pub mod markdown;
pub mod review;
pub mod sensitivity;
pub mod sweep;
pub mod table;

use std::io::{self, Write};

use crate::engine::results::{Percentiles, RunResults};
use crate::stats::Estimate;
use format::{count, ms, pct, qty, usd};

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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Lines printed right under the table (what a marked row means).
    pub notes: Vec<String>,
    /// Columns of text, aligned left like the first (the others are figures,
    /// aligned right).
    pub text_columns: Vec<usize>,
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
    let interval = if r.inputs.interval == crate::stats::Interval::Percentile {
        format!(
            "\u{b1} is the 95% percentile interval of the replications (-below/+above), each drawing the {} uncertain input{} from {} range{}{}: where the figures could be, given what is not known. More replications pin its ends down; only narrower ranges narrow it",
            r.inputs.uncertain.len(),
            if r.inputs.uncertain.len() == 1 {
                ""
            } else {
                "s"
            },
            if r.inputs.uncertain.len() == 1 {
                "its"
            } else {
                "their"
            },
            if r.inputs.uncertain.len() == 1 {
                ""
            } else {
                "s"
            },
            if r.inputs.eval.is_some() {
                format!(
                    " and resampling the eval set ({} examples)",
                    r.inputs.eval_examples()
                )
            } else {
                String::new()
            }
        )
    } else if r.inputs.interval == crate::stats::Interval::Bootstrap {
        format!(
            "\u{b1} is the 95% bootstrap interval of the eval set ({} examples resampled in each replication; a rate's is Wilson's, -below/+above): what the eval can tell",
            r.inputs.eval_examples()
        )
    } else {
        "\u{b1} is the 95% CI (Student t) across replications".to_string()
    };
    let replay = match r.inputs.replay {
        Some("exact") => "; traffic replayed exactly from the log",
        Some(_) => "; traffic resampled from the log",
        None => "",
    };
    let over_time = s.load.as_ref().map_or(String::new(), |l| {
        format!(
            "; over time: {} measured after a {} warm-up at {} requests/s ({} profile), {} retries ({} attempts)",
            crate::scenario::load::show_secs(l.duration_s.round()),
            crate::scenario::load::show_secs(l.warmup_s),
            crate::numfmt::readable(crate::numfmt::round_sig(l.requests_per_s, 3)),
            l.profile_from,
            l.retry,
            l.max_attempts
        )
    });
    let profiles = if s.profiles.is_empty() {
        String::new()
    } else {
        let each: Vec<_> = s
            .profiles
            .iter()
            .map(|(m, p)| format!("{m} through the {p} inference profile"))
            .collect();
        format!(" ({})", each.join(", "))
    };
    format!(
        "{description}scenario {}: {}{} requests x {} replications, seed {}; pricing {} as of {}{profiles}; baseline {}{replay}{over_time}; {interval}",
        s.name,
        if s.load.is_some() && r.inputs.replay != Some("exact") {
            "about "
        } else {
            ""
        },
        count(s.requests as f64),
        s.replications,
        s.seed,
        s.pricing_region,
        s.pricing_as_of,
        s.baseline
    )
}

/// Writes `lines` after a blank line (nothing if there are none).
pub fn write_lines(lines: &[String], out: &mut dyn Write) -> io::Result<()> {
    if !lines.is_empty() {
        writeln!(out)?;
    }
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// Lines printed after the tables: what was read, and the warnings.
pub fn notes(r: &RunResults) -> Vec<String> {
    let mut out = input_notes(&r.inputs);
    if let Some(n) = &r.as_logged_note {
        out.push(format!("as logged: not shown: {n}"));
    }
    for w in &r.warnings {
        out.push(format!("warning: {w}"));
    }
    out
}

/// One line per log and eval set read: records read, used and skipped by kind.
pub fn input_notes(inputs: &crate::engine::inputs::Inputs) -> Vec<String> {
    let mut out = Vec::new();
    if !inputs.uncertain.is_empty() {
        out.push(format!(
            "uncertain inputs, each drawn uniformly from its range once per replication: {}",
            inputs
                .uncertain
                .iter()
                .map(|u| format!(
                    "{} {}..{}",
                    u.key,
                    crate::input::num(u.low),
                    crate::input::num(u.high)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for l in &inputs.logs {
        let skipped = if l.skipped.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                l.skipped
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let span = match (&l.first_timestamp, &l.last_timestamp) {
            (Some(a), Some(b)) => format!("; {a} to {b}"),
            _ => String::new(),
        };
        out.push(format!(
            "log {} ({}): {} read, {} used, {} skipped{skipped}{span}",
            l.file,
            l.format,
            crate::logs::fit::counted(l.records_read, "record"),
            count(l.records_used as f64),
            count(l.records_skipped as f64)
        ));
    }
    if let Some(e) = &inputs.eval {
        let skipped = if e.skipped.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                e.skipped
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.push(format!(
            "eval {} ({}): {} read, {} skipped{skipped}",
            e.file,
            e.format,
            crate::logs::fit::counted(e.rows_read, "row"),
            e.rows_skipped
        ));
    }
    out
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
    let mut cost_rows: Vec<Vec<String>> = r
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
        .collect();
    if let Some(a) = &r.as_logged {
        let exact = |v: f64| format::usd_value(v);
        cost_rows.push(vec![
            format!("as logged ({} requests)", count(a.requests as f64)),
            exact(a.cost_per_request),
            exact(a.cost_per_1k),
            exact(a.cost_per_month),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
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
        rows: cost_rows,
        ..Section::default()
    }];
    if r.policies.iter().any(|p| p.e2e_latency_ms.is_some()) {
        let mut rows: Vec<Vec<String>> = r
            .policies
            .iter()
            .map(|p| {
                // A row that pools other classes than the baseline's is marked.
                let mark = if p.latency_note.is_some() { " *" } else { "" };
                let mut row = vec![format!("{}{mark}", p.name)];
                row.extend(lat(&p.e2e_latency_ms));
                row.extend(lat(&p.ttft_ms));
                row
            })
            .collect();
        // The log's own latencies (every logged call, as it ran), for comparison.
        if let Some([a, b, c]) = r.as_logged.as_ref().and_then(|a| a.latency_ms) {
            let f = |v: f64| count(v.round());
            rows.push(vec![
                "as logged".into(),
                f(a),
                f(b),
                f(c),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
        }
        out.push(Section {
            title: "Latency of interactive requests (ms)".into(),
            header: strings([
                "policy", "e2e p50", "e2e p95", "e2e p99", "TTFT p50", "TTFT p95", "TTFT p99",
            ]),
            rows,
            notes: r
                .policies
                .iter()
                .filter_map(|p| {
                    let n = p.latency_note.as_ref()?;
                    Some(format!("* {} {n}", p.name))
                })
                .collect(),
            ..Section::default()
        });
        if r.scenario.classes.len() > 1 {
            // Each class's own latency: the same under two policies that treat
            // the class alike, whatever happens to the other classes.
            out.push(Section {
                title: "Latency of interactive requests by class (ms)".into(),
                header: strings([
                    "policy", "class", "e2e p50", "e2e p95", "e2e p99", "TTFT p50", "TTFT p95",
                    "TTFT p99",
                ]),
                rows: r
                    .policies
                    .iter()
                    .flat_map(|p| {
                        p.classes
                            .iter()
                            .filter(|c| c.mode == "interactive")
                            .filter(|c| p.interactive_classes.contains(&c.class))
                            .map(move |c| {
                                let mut row = vec![p.name.clone(), c.class.clone()];
                                row.extend(lat(&c.e2e_latency_ms));
                                row.extend(lat(&c.ttft_ms));
                                row
                            })
                    })
                    .collect(),
                ..Section::default()
            });
        }
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
            ..Section::default()
        });
    }
    if let Some(t) = r.targets.as_ref().filter(|t| !t.is_empty()) {
        out.push(Section {
            title: format!("Against the targets ({})", t.describe()),
            header: strings(["policy", "verdict"]),
            text_columns: vec![1],
            rows: r
                .policies
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.verdict.as_ref().map_or("-".into(), |v| v.summary.clone()),
                    ]
                })
                .collect(),
            ..Section::default()
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
        ..Section::default()
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
            ..Section::default()
        });
    }
    if r.policies.iter().any(|p| p.traffic.is_some()) {
        out.extend(traffic_sections(r));
    }
    out.extend(capacity::sections(r));
    if let Some(e) = &r.inputs.eval {
        let models: Vec<String> = {
            let mut m: Vec<String> = e
                .classes
                .iter()
                .flat_map(|c| c.pass_rate.keys().cloned())
                .collect();
            m.sort();
            m.dedup();
            m
        };
        let mut header = vec!["class".to_string(), "examples".to_string()];
        header.extend(models.iter().map(|m| format!("{m} pass rate")));
        out.push(Section {
            title: "Eval set (measured pass rates, per class)".into(),
            header,
            rows: e
                .classes
                .iter()
                .map(|c| {
                    let mut row = vec![c.class.clone(), c.examples.to_string()];
                    row.extend(models.iter().map(|m| {
                        c.pass_rate
                            .get(m)
                            .map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0))
                    }));
                    row
                })
                .collect(),
            ..Section::default()
        });
    }
    out
}

/// Traffic over time (`[load]`): per policy, what throttling did to requests;
/// per policy and model, the cache and quota figures.
fn traffic_sections(r: &RunResults) -> Vec<Section> {
    let requests = Section {
        title: "Traffic over time: requests (measured period)".into(),
        header: strings(["policy", "retries/request", "failed", "fell back"]),
        rows: r
            .policies
            .iter()
            .filter_map(|p| {
                let t = p.traffic.as_ref()?;
                Some(vec![
                    p.name.clone(),
                    qty(&t.retries_per_request),
                    pct(&t.failed_rate),
                    pct(&t.fallback_rate),
                ])
            })
            .collect(),
        ..Section::default()
    };
    let rows = |f: &dyn Fn(&crate::engine::time::results::ModelTraffic) -> Vec<String>| {
        r.policies
            .iter()
            .filter_map(|p| p.traffic.as_ref().map(|t| (p, t)))
            .flat_map(|(p, t)| {
                t.models.iter().map(move |m| {
                    let mut row = vec![p.name.clone(), m.model.clone()];
                    row.extend(f(m));
                    row
                })
            })
            .collect::<Vec<_>>()
    };
    let cache = Section {
        title: "Traffic over time: cache and quota by model".into(),
        header: strings([
            "policy",
            "model",
            "cache hit",
            "unread writes per 1K",
            "throttled",
            "quota",
        ]),
        rows: rows(&|m| {
            let quota = m.quota.as_ref().map_or("-".to_string(), |q| {
                let mut parts = Vec::new();
                parts.extend(q.rpm.map(|v| format!("{} RPM", count(v))));
                parts.extend(q.tpm.map(|v| format!("{} TPM", count(v))));
                parts.extend(q.tpd.map(|v| format!("{} TPD", count(v))));
                parts.join(", ")
            });
            vec![
                opt(&m.cache_hit_rate, pct),
                usd(&m.unread_cache_writes.scale(1000.0)),
                opt(&m.throttled_rate, pct),
                quota,
            ]
        }),
        ..Section::default()
    };
    let quota = Section {
        title: "Traffic over time: what a quota request asks for (per minute; TPM in quota tokens, output × burndown)"
            .into(),
        header: strings([
            "policy",
            "model",
            "RPM mean",
            "RPM peak",
            "TPM mean",
            "TPM peak",
            "input tokens/call",
            "output tokens/call",
        ]),
        rows: rows(&|m| {
            vec![
                qty(&m.rpm_mean),
                qty(&m.rpm_peak),
                qty(&m.tpm_mean),
                qty(&m.tpm_peak),
                opt(&m.input_tokens_per_call, qty),
                opt(&m.output_tokens_per_call, qty),
            ]
        }),
        ..Section::default()
    };
    vec![requests, cache, quota]
}

/// Formats an optional estimate, "-" where it does not exist.
fn opt(e: &Option<Estimate>, f: impl Fn(&Estimate) -> String) -> String {
    e.as_ref().map_or("-".to_string(), f)
}
