//! The review report (`--report FILE.md`): what a team pastes into a design
//! review. The scenario in a few lines (mix, models, prices and their date), the
//! results tables, the recommendation and the binding target, the charts, and the
//! command that reproduces it all.

use std::fmt::Write as _;

use super::format::count;
use super::{markdown, sections, summary_line, sweep};
use crate::engine::results::RunResults;
use crate::scenario::{ClassTokens, Difficulty, Scenario, TokenDist};
use crate::sweep::SweepResults;

fn tokens(t: &TokenDist) -> String {
    match t {
        TokenDist::Fixed(n) => count(*n as f64),
        TokenDist::LogNormal(s) => format!("{} / {}", count(s.median), count(s.p95)),
    }
}

fn price(p: Option<f64>) -> String {
    p.map_or("-".into(), |v| format!("${v}"))
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

/// The scenario as a reader of the report needs it.
fn scenario_section(s: &Scenario) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## Scenario\n");
    if let Some(d) = &s.description {
        let _ = writeln!(o, "{d}\n");
    }
    let _ = writeln!(
        o,
        "- Simulation: {} requests x {} replications, seed {}; {} requests a month; baseline policy `{}`.",
        count(s.requests as f64),
        s.replications,
        s.seed,
        count(s.monthly_requests),
        s.policies[s.baseline].name
    );
    let _ = writeln!(
        o,
        "- Prices: {} {} {}, as of {}; source: {}.",
        s.pricing.region, s.pricing.currency, s.pricing.unit, s.pricing.as_of, s.pricing.source
    );
    if !s.targets.is_empty() {
        let _ = writeln!(o, "- Targets: {}.", s.targets.describe());
    }
    let _ = writeln!(
        o,
        "\n### Traffic mix\n\n| class | share | mode | input tokens (median / p95) | output tokens (median / p95) | cached prefix | cache hit rate | difficulty | extra calls |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"
    );
    for c in &s.classes {
        let difficulty = match c.difficulty {
            Some(Difficulty::Fixed(d)) => d.to_string(),
            Some(Difficulty::Beta { alpha, beta }) => format!("Beta({alpha}, {beta})"),
            None => "from the eval set".into(),
        };
        let (input, output, prefix, hit) = match &c.tokens {
            ClassTokens::Synthetic(t) => (
                tokens(&t.input_tokens),
                tokens(&t.output_tokens),
                count(t.cached_prefix_tokens as f64),
                if t.cached_prefix_tokens > 0 {
                    format!("{:.0}%", t.cache_hit_rate * 100.0)
                } else {
                    "-".into()
                },
            ),
            ClassTokens::Logged { log, .. } => {
                let l = s.measured.logs[*log].path.display().to_string();
                (
                    format!("from {l}"),
                    "(logged)".into(),
                    "(logged)".into(),
                    "(logged)".into(),
                )
            }
        };
        let extra = c
            .extra_calls
            .iter()
            .map(|e| s.models[e.model].name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            o,
            "| {} | {:.1}% | {} | {} | {} | {} | {} | {} | {} |",
            c.name,
            c.share * 100.0,
            if c.batch { "batch" } else { "interactive" },
            input,
            output,
            prefix,
            hit,
            difficulty,
            if extra.is_empty() { "-".into() } else { extra }
        );
    }
    let _ = writeln!(
        o,
        "\n### Models (prices in USD per 1M tokens)\n\n| model | pricing key | input | output | cache read | cache write | batch in / out | per call | skill | confidence AUC |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for m in &s.models {
        let p = &m.price;
        let batch = match (p.batch_input, p.batch_output) {
            (Some(i), Some(o)) => format!("${i} / ${o}"),
            (Some(i), None) => format!("${i} / -"),
            _ => "-".into(),
        };
        let write = if p.cache_read.is_some() {
            price(p.cache_write.or(Some(p.input)))
        } else {
            "-".into()
        };
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.name,
            p.key,
            if p.per_request.is_some() {
                "-".into()
            } else {
                price(Some(p.input))
            },
            price(p.output),
            price(p.cache_read),
            write,
            batch,
            price(p.per_request),
            opt(m.skill),
            opt(m.confidence_auc)
        );
    }
    let _ = writeln!(o, "\n### Policies\n");
    for p in &s.policies {
        // One trigger for every cascade is said once, after the routes;
        // different ones each beside its class's route.
        let described: Vec<String> = p.triggers.iter().map(|t| trigger(s, t)).collect();
        let mut cascades = described.iter().filter(|d| !d.is_empty());
        let first = cascades.next();
        let shared = first.filter(|f| cascades.all(|d| d == *f));
        let mut routes: Vec<String> = Vec::new();
        for (c, r) in p.routes.iter().enumerate() {
            let names: Vec<&str> = r.iter().map(|&m| s.models[m].name.as_str()).collect();
            let batch = if p.batch[c] { " (batch)" } else { "" };
            let own = match shared {
                None if !described[c].is_empty() => format!(", {}", described[c]),
                _ => String::new(),
            };
            routes.push(format!(
                "{}: {}{batch}{own}",
                s.classes[c].name,
                names.join(" -> ")
            ));
        }
        let trigger = shared.map(|t| format!("; {t}")).unwrap_or_default();
        let caching = if p.prompt_caching {
            ""
        } else {
            "; no prompt caching"
        };
        let _ = writeln!(o, "- `{}`: {}{trigger}{caching}", p.name, routes.join("; "));
    }
    o
}

/// How a cascade escalates, in words; empty for a one-tier route.
fn trigger(s: &Scenario, t: &crate::scenario::Trigger) -> String {
    match t {
        crate::scenario::Trigger::None => String::new(),
        crate::scenario::Trigger::Confidence { thresholds } => format!(
            "escalates when confidence < {}",
            thresholds
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        crate::scenario::Trigger::Validator {
            catches,
            false_alarm,
        } => format!("a validator escalates {catches} of wrong and {false_alarm} of right answers"),
        crate::scenario::Trigger::Classifier(c) => format!(
            "a classifier on {} (AUC {}, threshold {}) picks the first or the last tier",
            s.models[c.model].name, c.auc, c.threshold
        ),
    }
}

fn tables(header: &str, s: &[super::Section]) -> String {
    let mut buf = Vec::new();
    markdown::print(header, s, &mut buf).expect("writing to memory");
    String::from_utf8(buf).expect("UTF-8")
}

/// The Markdown report. `charts` are paths relative to the report's folder;
/// `command` is the command line that reproduces it.
pub fn render(
    scenario: &Scenario,
    run: Option<&RunResults>,
    sweep_results: Option<&SweepResults>,
    charts: &[(String, String)],
    command: &str,
) -> String {
    let mut o = String::new();
    let what = match sweep_results {
        Some(s) => format!("sweep of `{}` over {}", s.policy, s.params.join(" x ")),
        None => "policy comparison".into(),
    };
    let _ = writeln!(o, "# {}: {what}\n", scenario.name);
    o.push_str(&scenario_section(scenario));
    if let Some(s) = sweep_results {
        let _ = writeln!(
            o,
            "\n## Recommendation\n\n**{}**\n",
            s.recommendation.message
        );
        if let Some(i) = s.recommendation.point {
            let r = &s.points[i].result;
            let _ = writeln!(
                o,
                "At {}: {} per request ({} a month), quality {}, escalation {}{}.\n",
                s.points[i].label,
                super::format::usd(&r.cost_per_request),
                super::format::usd(&r.cost_per_month),
                super::format::pct(&r.quality),
                super::format::pct(&r.escalation_rate),
                r.e2e_latency_ms.as_ref().map_or(String::new(), |l| format!(
                    ", interactive p95 {} ms",
                    super::format::ms(&l.p95)
                ))
            );
        }
        if !s.recommendation.binding.is_empty() {
            let _ = writeln!(
                o,
                "Binding target: {}.\n",
                s.recommendation.binding.join(", ")
            );
        }
        let _ = writeln!(o, "## Sweep\n");
        o.push_str(&tables(&sweep::header(s), &sweep::sections(s)));
    }
    if let Some(r) = run {
        let _ = writeln!(o, "\n## Results of the scenario as written\n");
        o.push_str(&tables(&summary_line(r), &sections(r)));
        let notes = super::notes(r);
        if !notes.is_empty() {
            let _ = writeln!(o, "\n### Inputs and warnings\n");
            for n in notes {
                let _ = writeln!(o, "- {}", n.replace('|', "\\|"));
            }
        }
    }
    if !charts.is_empty() {
        let _ = writeln!(o, "\n## Charts\n");
        for (title, path) in charts {
            let _ = writeln!(o, "![{title}]({path})\n");
        }
    }
    let _ = writeln!(
        o,
        "\n## Reproduce\n\n```sh\n{command}\n```\n\nThe same command on the same files gives the same figures, byte for byte."
    );
    o
}
