//! CSV in long form: one figure per row,
//! `policy,class,model,metric,mean,ci_low,ci_high`. Every figure of the JSON is
//! here, in a shape spreadsheets and data frames pivot easily. `class` and `model`
//! are empty where the figure is not about one; breakdown means have no interval.
//! The as-logged cost (a sum over the log, not an estimate) is policy
//! `as logged`, without interval.

use std::io::{self, Write};

use crate::engine::results::{Percentiles, RunResults};
use crate::stats::Estimate;

pub struct Csv;

/// Quotes a field where CSV needs it.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

struct Rows<'a> {
    out: &'a mut dyn Write,
}

impl Rows<'_> {
    fn est(
        &mut self,
        policy: &str,
        class: &str,
        model: &str,
        metric: &str,
        e: &Estimate,
    ) -> io::Result<()> {
        writeln!(
            self.out,
            "{},{},{},{},{},{},{}",
            field(policy),
            field(class),
            field(model),
            metric,
            e.mean,
            e.ci_low,
            e.ci_high
        )
    }
    /// A figure of a class (or of none) without interval.
    fn mean_in(&mut self, policy: &str, class: &str, metric: &str, v: f64) -> io::Result<()> {
        writeln!(
            self.out,
            "{},{},,{},{},,",
            field(policy),
            field(class),
            metric,
            v
        )
    }
    fn mean(&mut self, policy: &str, model: &str, metric: &str, v: f64) -> io::Result<()> {
        writeln!(
            self.out,
            "{},,{},{},{},,",
            field(policy),
            field(model),
            metric,
            v
        )
    }
    fn pct(
        &mut self,
        policy: &str,
        class: &str,
        name: &str,
        p: &Option<Percentiles>,
    ) -> io::Result<()> {
        if let Some(p) = p {
            self.est(policy, class, "", &format!("{name}_p50"), &p.p50)?;
            self.est(policy, class, "", &format!("{name}_p95"), &p.p95)?;
            self.est(policy, class, "", &format!("{name}_p99"), &p.p99)?;
        }
        Ok(())
    }
    /// A row whose `mean` holds a word (a verdict), without interval.
    fn word(&mut self, policy: &str, class: &str, metric: &str, w: &str) -> io::Result<()> {
        writeln!(
            self.out,
            "{},{},,{metric},{w},,",
            field(policy),
            field(class)
        )
    }
}

impl super::Report for Csv {
    fn write(&self, r: &RunResults, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "policy,class,model,metric,mean,ci_low,ci_high")?;
        let mut w = Rows { out };
        for p in &r.policies {
            let n = p.name.as_str();
            w.est(n, "", "", "cost_per_request_usd", &p.cost_per_request)?;
            w.est(n, "", "", "cost_per_1k_usd", &p.cost_per_1k)?;
            w.est(n, "", "", "cost_per_month_usd", &p.cost_per_month)?;
            if let Some(e) = &p.saving_vs_baseline {
                w.est(n, "", "", "saving_vs_baseline", e)?;
            }
            w.est(n, "", "", "escalation_rate", &p.escalation_rate)?;
            w.est(n, "", "", "quality", &p.quality)?;
            if let Some(e) = &p.escalated_quality {
                w.est(n, "", "", "escalated_quality", e)?;
            }
            w.pct(n, "", "e2e_latency_ms", &p.e2e_latency_ms)?;
            w.pct(n, "", "ttft_ms", &p.ttft_ms)?;
            w.pct(n, "", "batch_latency_ms", &p.batch_latency_ms)?;
            if let Some(v) = &p.verdict {
                let status = serde_json::to_value(v.status).unwrap_or_default();
                w.word(n, "", "verdict", status.as_str().unwrap_or_default())?;
                for c in &v.checks {
                    let class = c.class.as_deref().unwrap_or("");
                    let key = c.target.key();
                    w.mean_in(n, class, &format!("target_{key}"), c.limit)?;
                    let check = serde_json::to_value(c.check).unwrap_or_default();
                    w.word(
                        n,
                        class,
                        &format!("verdict_{key}"),
                        check.as_str().unwrap_or_default(),
                    )?;
                }
            }
            for m in &p.cost_by_model {
                let k = m.model.as_str();
                w.mean(n, k, "calls_per_request", m.calls_per_request)?;
                w.mean(n, k, "input_usd_per_request", m.input)?;
                w.mean(n, k, "output_usd_per_request", m.output)?;
                w.mean(n, k, "cache_read_usd_per_request", m.cache_read)?;
                w.mean(n, k, "cache_write_usd_per_request", m.cache_write)?;
                w.mean(n, k, "extra_calls_usd_per_request", m.extra_calls)?;
                w.mean(n, k, "total_usd_per_request", m.total)?;
            }
            for c in &p.classes {
                for (metric, e) in [
                    ("cost_per_request_usd", &c.cost_per_request),
                    ("escalation_rate", &c.escalation_rate),
                    ("quality", &c.quality),
                ] {
                    if let Some(e) = e {
                        w.est(n, &c.class, "", metric, e)?;
                    }
                }
                w.pct(n, &c.class, "e2e_latency_ms", &c.e2e_latency_ms)?;
                w.pct(n, &c.class, "ttft_ms", &c.ttft_ms)?;
                w.pct(n, &c.class, "batch_latency_ms", &c.batch_latency_ms)?;
            }
            // Traffic over time ([load]): the policy's, then each model's.
            if let Some(t) = &p.traffic {
                w.est(n, "", "", "retries_per_request", &t.retries_per_request)?;
                w.est(n, "", "", "failed_rate", &t.failed_rate)?;
                w.est(n, "", "", "fallback_rate", &t.fallback_rate)?;
                for m in &t.models {
                    let k = m.model.as_str();
                    if let Some(e) = &m.cache_hit_rate {
                        w.est(n, "", k, "cache_hit_rate", e)?;
                    }
                    for c in &m.cache_hit_rate_by_class {
                        w.est(n, &c.class, k, "cache_hit_rate", &c.cache_hit_rate)?;
                    }
                    w.est(n, "", k, "unread_cache_writes_usd", &m.unread_cache_writes)?;
                    if let Some(e) = &m.throttled_rate {
                        w.est(n, "", k, "throttled_rate", e)?;
                    }
                    w.est(n, "", k, "rpm_mean", &m.rpm_mean)?;
                    w.est(n, "", k, "rpm_peak", &m.rpm_peak)?;
                    w.est(n, "", k, "tpm_mean", &m.tpm_mean)?;
                    w.est(n, "", k, "tpm_peak", &m.tpm_peak)?;
                    if let Some(e) = &m.input_tokens_per_call {
                        w.est(n, "", k, "input_tokens_per_call", e)?;
                    }
                    if let Some(e) = &m.output_tokens_per_call {
                        w.est(n, "", k, "output_tokens_per_call", e)?;
                    }
                    if let Some(q) = &m.quota {
                        for (metric, v) in [
                            ("quota_rpm", q.rpm),
                            ("quota_tpm", q.tpm),
                            ("quota_tpd", q.tpd),
                        ] {
                            if let Some(v) = v {
                                w.mean(n, k, metric, v)?;
                            }
                        }
                        w.mean(n, k, "quota_output_burndown", q.output_burndown)?;
                    }
                }
            }
            // Commitments ([capacity]): the policy's bill, then each one's
            // figures, its pricing key in the model column.
            if let Some(b) = &p.capacity {
                w.mean(n, "", "capacity_fixed_per_month_usd", b.fixed_per_month)?;
                w.mean(n, "", "capacity_fixed_per_request_usd", b.fixed_per_request)?;
                w.est(
                    n,
                    "",
                    "",
                    "all_on_demand_per_month_usd",
                    &b.all_on_demand_per_month,
                )?;
                w.est(
                    n,
                    "",
                    "",
                    "capacity_savings_per_month_usd",
                    &b.savings_per_month,
                )?;
                for c in &b.commitments {
                    let k = c.price_key.as_str();
                    w.mean(n, k, "capacity_fixed_per_month_usd", c.fixed_per_month)?;
                    let o = c.optimum.as_ref();
                    for (metric, e) in [
                        (
                            "capacity_overflow_cost_per_month_usd",
                            Some(&c.overflow_cost_per_month),
                        ),
                        ("capacity_total_per_month_usd", Some(&c.total_per_month)),
                        (
                            "capacity_on_demand_per_month_usd",
                            Some(&c.on_demand_per_month),
                        ),
                        ("capacity_savings_per_month_usd", Some(&c.savings_per_month)),
                        ("capacity_covered_share", c.covered_share.as_ref()),
                        (
                            "capacity_covered_calls_share",
                            c.covered_calls_share.as_ref(),
                        ),
                        ("capacity_utilisation", Some(&c.utilisation)),
                        ("capacity_utilisation_output", c.utilisation_output.as_ref()),
                        ("capacity_overflow_input_tpm", Some(&c.overflow_input_tpm)),
                        ("capacity_overflow_output_tpm", Some(&c.overflow_output_tpm)),
                        ("capacity_refused_rate", c.refused_rate.as_ref()),
                        (
                            "optimum_reserved_tpm",
                            o.and_then(|o| o.reserved_tpm.as_ref()),
                        ),
                        (
                            "optimum_reserved_output_tpm",
                            o.and_then(|o| o.reserved_output_tpm.as_ref()),
                        ),
                        (
                            "optimum_model_units",
                            o.and_then(|o| o.model_units.as_ref()),
                        ),
                        ("optimum_cost_per_month_usd", o.map(|o| &o.cost_per_month)),
                        (
                            "optimum_on_demand_per_month_usd",
                            o.map(|o| &o.on_demand_per_month),
                        ),
                        (
                            "optimum_savings_per_month_usd",
                            o.map(|o| &o.savings_per_month),
                        ),
                    ] {
                        if let Some(e) = e {
                            w.est(n, "", k, metric, e)?;
                        }
                    }
                }
            }
        }
        // The as-logged cost is a sum, not an estimate: a mean without interval.
        if let Some(a) = &r.as_logged {
            let n = "as logged";
            w.mean(n, "", "cost_per_request_usd", a.cost_per_request)?;
            w.mean(n, "", "cost_per_1k_usd", a.cost_per_1k)?;
            w.mean(n, "", "cost_per_month_usd", a.cost_per_month)?;
            for m in &a.by_model {
                w.mean(n, &m.price_key, "total_usd_per_request", m.cost_per_request)?;
            }
            if let Some([p50, p95, p99]) = a.latency_ms {
                w.mean(n, "", "e2e_latency_ms_p50", p50)?;
                w.mean(n, "", "e2e_latency_ms_p95", p95)?;
                w.mean(n, "", "e2e_latency_ms_p99", p99)?;
            }
        }
        Ok(())
    }
}
