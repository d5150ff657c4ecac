//! Printing a comparison of two scenarios.

use std::io::{self, Write};

use super::format::{ms, pct, usd};
use super::{Format, Section, markdown, table};
use crate::compare::{CompareResults, Delta};
use crate::stats::Estimate;

fn figure(metric: &str, e: &Estimate) -> String {
    match metric {
        "cost_per_request_usd" | "cost_per_month_usd" => usd(e),
        "escalation_rate" | "quality" => pct(e),
        _ => ms(e),
    }
}

fn change(d: &Delta) -> String {
    let sign = |v: f64| if v > 0.0 { "+" } else { "" };
    let body = figure(d.metric, &d.change);
    let rel = d.relative.map_or(String::new(), |r| {
        format!(" ({}{:.1}%)", sign(r), r * 100.0)
    });
    // Percentages of a fraction change are points.
    let body = if matches!(d.metric, "escalation_rate" | "quality") {
        body.replacen('%', " pts", 1)
    } else {
        body
    };
    format!("{}{body}{rel}", sign(d.change.mean))
}

const LABELS: [(&str, &str); 6] = [
    ("cost_per_request_usd", "cost per request"),
    ("cost_per_month_usd", "cost per month"),
    ("escalation_rate", "escalation"),
    ("quality", "quality"),
    ("e2e_latency_ms_p95", "e2e p95 (ms)"),
    ("ttft_ms_p95", "TTFT p95 (ms)"),
];

fn label(metric: &str) -> &str {
    LABELS
        .iter()
        .find(|(m, _)| *m == metric)
        .map_or(metric, |(_, l)| l)
}

pub fn header(c: &CompareResults) -> String {
    // The files, not only the names: two scenarios may share a name and a
    // pricing date.
    let side = |s: &crate::engine::results::ScenarioInfo| {
        format!(
            "{} (scenario {}, pricing {}: {} as of {})",
            s.path, s.name, s.pricing, s.pricing_region, s.pricing_as_of
        )
    };
    let mut h = format!(
        "compare A = {}\n   with B = {}:\n{} replications, seed {} / {}; change = B - A, paired per replication, \u{b1} is its 95% {}",
        side(&c.a),
        side(&c.b),
        c.a.replications,
        c.a.seed,
        c.b.seed,
        match c.interval {
            crate::stats::Interval::Bootstrap =>
                "bootstrap interval (the eval set's sampling error)",
            crate::stats::Interval::Replications => "CI",
            crate::stats::Interval::Percentile => "percentile interval",
        }
    );
    if !c.only_in_a.is_empty() {
        h.push_str(&format!("\nonly in A: {}", c.only_in_a.join(", ")));
    }
    if !c.only_in_b.is_empty() {
        h.push_str(&format!("\nonly in B: {}", c.only_in_b.join(", ")));
    }
    h
}

pub fn sections(c: &CompareResults) -> Vec<Section> {
    vec![Section {
        title: "What changed, per policy".into(),
        header: ["policy", "figure", "A", "B", "change"]
            .map(String::from)
            .to_vec(),
        rows: c
            .policies
            .iter()
            .flat_map(|p| {
                p.deltas.iter().map(move |d| {
                    vec![
                        p.name.clone(),
                        label(d.metric).to_string(),
                        figure(d.metric, &d.a),
                        figure(d.metric, &d.b),
                        change(d),
                    ]
                })
            })
            .collect(),
        ..Section::default()
    }]
}

pub fn write(format: Format, c: &CompareResults, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, c)?;
            writeln!(out)
        }
        Format::Table => table::print(&header(c), &sections(c), out),
        Format::Markdown => markdown::print(&header(c), &sections(c), out),
        Format::Csv => {
            writeln!(out, "policy,metric,side,mean,ci_low,ci_high")?;
            for p in &c.policies {
                for d in &p.deltas {
                    for (side, e) in [("a", &d.a), ("b", &d.b), ("change", &d.change)] {
                        writeln!(
                            out,
                            "{},{},{side},{},{},{}",
                            super::csv::field(&p.name),
                            d.metric,
                            e.mean,
                            e.ci_low,
                            e.ci_high
                        )?;
                    }
                }
            }
            Ok(())
        }
    }
}
