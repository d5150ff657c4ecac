//! Commitments (`[capacity]`) in the text, Markdown and CSV reports: per
//! policy and commitment, the monthly bill against all on demand, and the
//! cheapest commitment for the traffic simulated.

use super::format::{count, pct, qty, usd, usd_value};
use super::{Section, strings};
use crate::engine::results::RunResults;
use crate::engine::time::results::CommitmentResult;

/// "sonnet (reserved)": the models a commitment serves, and its kind.
fn label(c: &CommitmentResult) -> String {
    format!("{} ({})", c.models.join(", "), c.kind)
}

/// What the commitment is: "200,000 in + 20,000 out TPM, 1 month" or
/// "2 units × 50,000 TPM, none".
fn bought(c: &CommitmentResult) -> String {
    match (
        c.reserved_tpm,
        c.reserved_output_tpm,
        c.model_units,
        c.unit_tpm,
    ) {
        (Some(i), Some(o), _, _) => {
            format!("{} in + {} out TPM, {}", count(i), count(o), c.term)
        }
        (_, _, Some(u), Some(t)) => format!("{} units × {} TPM, {}", count(u), count(t), c.term),
        _ => c.term.to_string(),
    }
}

/// The capacity tables, where some policy pays for a commitment.
pub fn sections(r: &RunResults) -> Vec<Section> {
    let rows: Vec<_> = r
        .policies
        .iter()
        .filter_map(|p| p.capacity.as_ref().map(|b| (p, b)))
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let bill = Section {
        title: "Capacity: the monthly bill with commitments, against all on demand (USD a month)"
            .into(),
        header: strings([
            "policy",
            "commitment",
            "bought",
            "fixed",
            "overflow on demand",
            "total",
            "all on demand",
            "saving",
            "tokens served",
            "utilisation in / out",
            "refused",
        ]),
        rows: rows
            .iter()
            .flat_map(|(p, b)| {
                b.commitments.iter().map(move |c| {
                    vec![
                        p.name.clone(),
                        label(c),
                        bought(c),
                        usd_value(c.fixed_per_month),
                        usd(&c.overflow_cost_per_month),
                        usd(&c.total_per_month),
                        usd(&c.on_demand_per_month),
                        usd(&c.savings_per_month),
                        c.covered_share.as_ref().map_or("-".into(), pct),
                        match &c.utilisation_output {
                            Some(o) => format!("{} / {}", pct(&c.utilisation), pct(o)),
                            None => pct(&c.utilisation),
                        },
                        c.refused_rate.as_ref().map_or("-".into(), pct),
                    ]
                })
            })
            .collect(),
        notes: rows
            .iter()
            .map(|(p, b)| {
                format!(
                    "{}: a bill of {} a month ({} fixed), against {} all on demand: {} saved; its cost per request includes the fixed bill ÷ {} monthly requests = {} a request",
                    p.name,
                    usd(&b.total_per_month),
                    usd_value(b.fixed_per_month),
                    usd(&b.all_on_demand_per_month),
                    usd(&b.savings_per_month),
                    count(r.scenario.monthly_requests),
                    usd_value(b.fixed_per_request)
                )
            })
            .collect(),
        text_columns: vec![0, 1, 2],
    };
    let best: Vec<Vec<String>> = rows
        .iter()
        .flat_map(|(p, b)| {
            b.commitments.iter().filter_map(move |c| {
                let o = c.optimum.as_ref()?;
                let none = |e: &crate::stats::Estimate| e.mean == 0.0 && e.ci_high == 0.0;
                let level = match (&o.reserved_tpm, &o.reserved_output_tpm, &o.model_units) {
                    (Some(i), Some(out), _) if none(i) && none(out) => {
                        "nothing: stay on demand".to_string()
                    }
                    (_, _, Some(u)) if none(u) => "nothing: stay on demand".to_string(),
                    (Some(i), Some(out), _) => {
                        format!("{} in + {} out TPM", qty(i), qty(out))
                    }
                    (_, _, Some(u)) => format!("{} units", qty(u)),
                    _ => "-".into(),
                };
                Some(vec![
                    p.name.clone(),
                    label(c),
                    level,
                    usd(&o.cost_per_month),
                    usd(&o.on_demand_per_month),
                    usd(&o.savings_per_month),
                ])
            })
        })
        .collect();
    let scale = rows
        .iter()
        .flat_map(|(_, b)| &b.commitments)
        .find_map(|c| c.optimum.as_ref().map(|o| o.load_scale))
        .unwrap_or(1.0);
    let mut out = vec![bill];
    if !best.is_empty() {
        out.push(Section {
            title: format!(
                "Capacity: the cheapest commitment for this traffic (newsvendor rule, at load.scale = {}; USD a month of the model's calls)",
                crate::numfmt::readable(scale)
            ),
            header: strings(["policy", "commitment", "buy", "cost", "all on demand", "saving"]),
            rows: best,
            notes: vec![
                "Each side (provisioned: all tokens, in whole units) is bought up to the demand exceeded in a fraction price ÷ (on-demand price × 43,200) of the simulated minutes (0: buying does not pay; the Reserved tier sells 100,000 input and 10,000 output TPM at least); costs treat tokens as a fluid, a month being 43,200 simulated minutes. The optimum follows the traffic: sweep load.scale to see it grow.".into(),
            ],
            text_columns: vec![0, 1, 2],
        });
    }
    out
}
