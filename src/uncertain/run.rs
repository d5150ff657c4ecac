//! Second-order Monte Carlo: each replication draws the uncertain inputs once,
//! then simulates its requests on that variant of the scenario.
//!
//! Replication r draws its inputs from a stream of its own (seeded from
//! (seed, r), apart from the request streams), builds the variant from the TOML
//! documents (validated as a file is: a draw that makes the scenario invalid is
//! an error naming the values drawn), compiles it and simulates it on the
//! request streams (seed, r, chunk) of any run. Replications run one after
//! another, each on every core, so the output does not depend on the number of
//! threads. Each replication's figures go into the running moments of a plain
//! run ([`crate::engine::summary`]) and into a bounded sample of replications
//! for the percentile intervals ([`super::sample`]); memory is bounded in
//! replications.

use super::Uncertainty;
use super::sample::Samples;
use super::sensitivity::Regression;
use crate::engine::summary::Summary;
use crate::engine::{Engine, Pooled, Raw};
use crate::input::InputError;
use crate::scenario::Scenario;

/// What a second-order run keeps beside the moments.
#[derive(Debug, Clone)]
pub struct Outer {
    /// A bounded sample of the replications' figures: the percentile intervals.
    pub samples: Samples,
    /// Running sums for the regression of the headline figures on the inputs
    /// drawn: each input's share of each figure's variance.
    pub regression: Regression,
}

/// Simulates `s`, whose uncertain inputs are `u`, drawing them once per
/// replication.
pub fn simulate(
    s: &Scenario,
    u: &Uncertainty,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Raw, InputError> {
    let mut summary: Option<Summary> = None;
    let mut pooled: Vec<Pooled> = Vec::new();
    let mut samples = Samples::new(s.seed, s.baseline);
    let mut regression = Regression::new(u.inputs.len(), s.policies.len());
    for rep in 0..s.replications {
        let values = u.draw(s.seed, rep);
        let variant = u.variant(s, &values).map_err(|e| {
            InputError::file(
                &s.path,
                format!(
                    "replication {rep} drew {}, and the scenario is not valid there: {e}. Narrow the ranges so that every value in them is valid",
                    u.say(&values)
                ),
            )
        })?;
        let engine = Engine::new(&variant);
        let (accs, figures) =
            crate::engine::time::replication_figures(&variant, &engine, rep, progress)?;
        let summary = summary.get_or_insert_with(|| {
            Summary::new(
                figures.len(),
                variant.models.len(),
                variant.classes.len(),
                s.baseline,
            )
        });
        if pooled.is_empty() {
            pooled = accs.iter().map(|_| Pooled::default()).collect();
        }
        for (p, acc) in pooled.iter_mut().zip(&accs) {
            for c in &acc.classes {
                p.e2e.merge(&c.e2e);
                p.ttft.merge(&c.ttft);
            }
        }
        summary.push(&figures);
        samples.push(&figures);
        regression.push(&values, &figures, s.baseline);
    }
    Ok(Raw {
        summary: summary.expect("at least two replications"),
        pooled,
        outer: Some(Box::new(Outer {
            samples,
            regression,
        })),
        series: None,
    })
}
