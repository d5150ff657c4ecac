//! Printing a sensitivity analysis: the advice line, then a table of the
//! uncertain inputs ranked by how far each moves the headline figures, then
//! each input's share of each figure's variance, in the four formats of a run.

use std::io::{self, Write};

use super::{Format, Section, markdown, table};
use crate::input::num;
use crate::uncertain::sensitivity::{FIGURES, Figure, SensitivityResults};

/// The line above the tables: what was run, and how to read it.
pub fn header(r: &SensitivityResults) -> String {
    let s = &r.scenario;
    format!(
        "sensitivity of policy \"{}\" (scenario {}: {} requests x {} replications, seed {}; baseline {}): each of the {} uncertain inputs from its low to its high end, the others at their midpoints, on the same requests (common random numbers), {} settings; ranked by the swing of the {}. \u{b1} is the 95% CI of the simulation's noise",
        r.policy,
        s.name,
        crate::numfmt::count(s.requests as f64),
        s.replications,
        s.seed,
        s.baseline,
        r.inputs.len(),
        r.settings,
        r.ranked_by.name(),
    )
}

fn value(f: Figure, e: &Option<crate::stats::Estimate>) -> String {
    e.map_or("-".into(), |e| f.show(e.mean))
}

/// The tables.
pub fn sections(r: &SensitivityResults) -> Vec<Section> {
    let mut header = vec!["rank".to_string(), "input".into(), "range".into()];
    for f in FIGURES {
        header.push(format!("{} (low → high)", f.name()));
    }
    let mut header_swing = header.clone();
    header_swing.truncate(3);
    let mut rows = vec![{
        let mut row = vec!["".to_string(), "all at their midpoints".into(), "".into()];
        row.extend(FIGURES.iter().map(|f| value(*f, &r.at_mid[f.index()])));
        row
    }];
    for w in &r.inputs {
        let mut row = vec![
            w.rank.to_string(),
            format!("{} ({})", w.input, w.key),
            format!("{}..{}", num(w.low), num(w.high)),
        ];
        for f in FIGURES {
            let i = f.index();
            row.push(match (w.at_low[i], w.at_high[i], w.swing[i]) {
                (Some(lo), Some(hi), Some(sw)) => format!(
                    "{} → {} ({})",
                    f.show(lo.mean),
                    f.show(hi.mean),
                    f.show_swing(sw.mean, sw.half_width(), lo.mean)
                ),
                _ => "-".into(),
            });
        }
        rows.push(row);
    }
    let mut shares_header = vec!["input".to_string()];
    shares_header.extend(FIGURES.iter().map(|f| f.name().to_string()));
    let mut shares: Vec<Vec<String>> = r
        .inputs
        .iter()
        .map(|w| {
            let mut row = vec![w.input.clone()];
            row.extend(
                w.variance_share
                    .iter()
                    .map(|s| s.map_or("-".into(), |s| format!("{:.0}%", s * 100.0))),
            );
            row
        })
        .collect();
    let mut r2 = vec!["all inputs, linearly (R²)".to_string()];
    r2.extend(
        r.r_squared
            .iter()
            .map(|s| s.map_or("-".into(), |s| format!("{:.0}%", s * 100.0))),
    );
    shares.push(r2);
    let mut overall = vec!["every input drawn (mean, 95% interval)".to_string()];
    overall.extend(FIGURES.iter().map(|f| {
        r.overall[f.index()].map_or("-".into(), |e| {
            format!(
                "{} [{} to {}]",
                f.show(e.mean),
                f.show(e.ci_low),
                f.show(e.ci_high)
            )
        })
    }));
    shares.push(overall);
    vec![
        Section {
            title: "Swing of each figure as one input goes from its low to its high end (the others at their midpoints)".into(),
            header,
            rows,
            notes: Vec::new(),
            // The input's name and its range read as text.
            text_columns: vec![1, 2],
        },
        Section {
            title: format!(
                "Share of each figure's variance when every input is drawn ({} replications; squared standardised regression coefficients, Saltelli et al. 2008)",
                r.scenario.replications
            ),
            header: shares_header,
            rows: shares,
            notes: Vec::new(),
            text_columns: Vec::new(),
        },
    ]
}

/// The note under the tables: how to read the shares.
fn note(r: &SensitivityResults) -> String {
    let low: Vec<&str> = FIGURES
        .iter()
        .zip(&r.r_squared)
        .filter(|(_, r2)| r2.is_some_and(|v| v < 0.7))
        .map(|(f, _)| f.name())
        .collect();
    let mut s = "A share is the input's squared standardised regression coefficient: its part of the figure's variance where the figure is near-linear in the inputs; R² is the part the inputs explain together, linearly".to_string();
    if !low.is_empty() {
        s.push_str(&format!(
            ". R² is below 70% for {}: the figure is not linear in the inputs, they interact, or the simulation's noise is a large part of its spread (more requests per replication shrink that), so read those shares as a rough order",
            low.join(", ")
        ));
    }
    s
}

fn csv(r: &SensitivityResults, out: &mut dyn Write) -> io::Result<()> {
    use super::csv::field;
    writeln!(
        out,
        "rank,input,low,high,metric,at_low,at_high,swing,swing_ci_low,swing_ci_high,variance_share"
    )?;
    let o = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for w in &r.inputs {
        for f in FIGURES {
            let i = f.index();
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                w.rank,
                field(&w.key),
                w.low,
                w.high,
                f.key(),
                o(w.at_low[i].map(|e| e.mean)),
                o(w.at_high[i].map(|e| e.mean)),
                o(w.swing[i].map(|e| e.mean)),
                o(w.swing[i].map(|e| e.ci_low)),
                o(w.swing[i].map(|e| e.ci_high)),
                o(w.variance_share[i]),
            )?;
        }
    }
    Ok(())
}

pub fn write(format: Format, r: &SensitivityResults, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)
        }
        Format::Csv => csv(r, out),
        Format::Table => {
            writeln!(out, "{}\n", r.advice)?;
            table::print(&header(r), &sections(r), out)?;
            writeln!(out, "\n{}", note(r))
        }
        Format::Markdown => {
            writeln!(out, "**{}**\n", r.advice)?;
            markdown::print(&header(r), &sections(r), out)?;
            writeln!(out, "\n{}", note(r))
        }
    }
}
