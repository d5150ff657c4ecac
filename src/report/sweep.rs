//! Printing a sweep: one row per setting, the verdict against the targets, and the
//! recommendation, in the same four formats as a run.

use std::io::{self, Write};

use super::format::{count, ms, pct, qty, usd};
use super::{Format, Section, markdown, table};
use crate::stats::Estimate;
use crate::sweep::{Check, SweepPoint, SweepResults};

/// The verdict column of one point.
fn verdict(s: &SweepResults, i: usize, p: &SweepPoint) -> String {
    if s.targets.is_empty() {
        return String::new();
    }
    if s.recommendation.point == Some(i) {
        return "<< recommended".into();
    }
    let misses = p.verdict.named(Check::Misses);
    let unknown: Vec<String> = p
        .verdict
        .checks
        .iter()
        .filter(|c| c.check == Check::Unknown)
        .map(|c| c.describe())
        .collect();
    let straddles = p.verdict.named(Check::Straddles);
    if !misses.is_empty() {
        format!("misses {}", misses.join(", "))
    } else if !unknown.is_empty() {
        unknown.join("; ")
    } else if !straddles.is_empty() {
        format!("CI straddles {}", straddles.join(", "))
    } else {
        "meets targets".into()
    }
}

fn opt(e: Option<&Estimate>, f: impl Fn(&Estimate) -> String) -> String {
    e.map_or("-".to_string(), f)
}

/// The header line: what was swept, against which targets.
pub fn header(s: &SweepResults) -> String {
    let sc = &s.scenario;
    let targets = if s.targets.is_empty() {
        "no targets".to_string()
    } else {
        format!("targets: {}", s.targets.describe())
    };
    format!(
        "sweep of policy {} over {} in scenario {}: {} requests x {} replications, seed {}, one shared set of draws per pass; {targets}; \u{b1} is the {}",
        s.policy,
        s.params.join(" x "),
        sc.name,
        count(sc.requests as f64),
        sc.replications,
        sc.seed,
        s.inputs.interval_name()
    )
}

/// The table of points.
pub fn sections(s: &SweepResults) -> Vec<Section> {
    let mut header: Vec<String> = s.params.clone();
    // Under [load] the month follows the swept traffic (load.scale).
    let month = if s.scenario.load.is_some() {
        "per month".to_string()
    } else {
        format!("per month ({} req)", count(s.scenario.monthly_requests))
    };
    let over_time = s.points.iter().any(|p| p.result.traffic.is_some());
    header.extend(
        [
            "per request",
            &month,
            "saving vs baseline",
            "escalation",
            "quality",
            "e2e p95 (ms)",
            "TTFT p95 (ms)",
        ]
        .map(String::from),
    );
    if over_time {
        header.extend(["failed", "retries/request"].map(String::from));
    }
    // The figures a class's own targets judge.
    for c in &s.targets.classes {
        if c.quality.is_some() {
            header.push(format!("{} quality", c.class));
        }
        if c.p95_latency_ms.is_some() {
            header.push(format!("{} e2e p95 (ms)", c.class));
        }
    }
    header.push("verdict".into());
    let rows = s
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let r = &p.result;
            let mut row: Vec<String> = p
                .values
                .iter()
                .zip(&s.params)
                .map(|(v, k)| crate::sweep::param::show_value(k, *v))
                .collect();
            row.extend([
                usd(&r.cost_per_request),
                usd(&r.cost_per_month),
                opt(r.saving_vs_baseline.as_ref(), pct),
                pct(&r.escalation_rate),
                pct(&r.quality),
                opt(r.e2e_latency_ms.as_ref().map(|l| &l.p95), ms),
                opt(r.ttft_ms.as_ref().map(|l| &l.p95), ms),
            ]);
            if over_time {
                let t = r.traffic.as_ref();
                row.push(opt(t.map(|t| &t.failed_rate), pct));
                row.push(opt(t.map(|t| &t.retries_per_request), qty));
            }
            for c in &s.targets.classes {
                let class = &r.classes[c.index];
                if c.quality.is_some() {
                    row.push(opt(class.quality.as_ref(), pct));
                }
                if c.p95_latency_ms.is_some() {
                    row.push(opt(class.e2e_latency_ms.as_ref().map(|l| &l.p95), ms));
                }
            }
            row.push(verdict(s, i, p));
            row
        })
        .collect();
    vec![Section {
        title: format!("Policy {} at each setting", s.policy),
        header,
        rows,
        ..Section::default()
    }]
}

/// CSV in long form: the parameter values, then `metric,mean,ci_low,ci_high`.
fn csv(s: &SweepResults, out: &mut dyn Write) -> io::Result<()> {
    let params: Vec<String> = s.params.iter().map(|p| super::csv::field(p)).collect();
    writeln!(
        out,
        "{},recommended,metric,mean,ci_low,ci_high",
        params.join(",")
    )?;
    for (i, p) in s.points.iter().enumerate() {
        let values: Vec<String> = p.values.iter().map(f64::to_string).collect();
        let rec = s.recommendation.point == Some(i);
        let r = &p.result;
        let mut figures: Vec<(&str, Option<&Estimate>)> = vec![
            ("cost_per_request_usd", Some(&r.cost_per_request)),
            ("cost_per_month_usd", Some(&r.cost_per_month)),
            ("saving_vs_baseline", r.saving_vs_baseline.as_ref()),
            ("escalation_rate", Some(&r.escalation_rate)),
            ("quality", Some(&r.quality)),
        ];
        if let Some(l) = &r.e2e_latency_ms {
            figures.push(("e2e_latency_ms_p95", Some(&l.p95)));
        }
        if let Some(l) = &r.ttft_ms {
            figures.push(("ttft_ms_p95", Some(&l.p95)));
        }
        let mut figures: Vec<(String, Option<&Estimate>)> = figures
            .into_iter()
            .map(|(m, e)| (m.to_string(), e))
            .collect();
        // The figures a class's own targets judge: `chat.quality`,
        // `chat.e2e_latency_ms_p95`.
        for c in &s.targets.classes {
            let class = &r.classes[c.index];
            if c.quality.is_some() {
                figures.push((format!("{}.quality", c.class), class.quality.as_ref()));
            }
            if c.p95_latency_ms.is_some() {
                figures.push((
                    format!("{}.e2e_latency_ms_p95", c.class),
                    class.e2e_latency_ms.as_ref().map(|l| &l.p95),
                ));
            }
        }
        for (metric, e) in figures {
            if let Some(e) = e {
                writeln!(
                    out,
                    "{},{rec},{metric},{},{},{}",
                    values.join(","),
                    e.mean,
                    e.ci_low,
                    e.ci_high
                )?;
            }
        }
    }
    Ok(())
}

/// Writes a sweep in `format`.
/// The logs and eval set read, after the tables.
fn notes(s: &SweepResults, out: &mut dyn Write) -> io::Result<()> {
    super::write_lines(&super::input_notes(&s.inputs), out)
}

pub fn write(format: Format, s: &SweepResults, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, s)?;
            writeln!(out)
        }
        Format::Csv => csv(s, out),
        Format::Table => {
            table::print(&header(s), &sections(s), out)?;
            writeln!(out, "\n{}", s.recommendation.message)?;
            notes(s, out)
        }
        Format::Markdown => {
            markdown::print(&header(s), &sections(s), out)?;
            writeln!(out, "\n**{}**", s.recommendation.message)?;
            notes(s, out)
        }
    }
}
