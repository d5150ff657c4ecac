//! Running a sweep: variants of the scenario, grouped so that every group is one
//! pass of the engine over one set of draws.

use std::path::Path;

use anyhow::Context;
use toml::Table;

use super::param::{self, Doc, Leaf, ParamSpec};
use super::verdict::{Verdict, recommend};
use super::{SweepPoint, SweepResults};
use crate::engine::{Raw, results::RunResults, simulate_raw};
use crate::input::{UsageError, did_you_mean};
use crate::scenario::Scenario;

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The policy whose figures are reported.
    pub policy: String,
    /// One or two parameters; two make a grid.
    pub params: Vec<ParamSpec>,
}

/// Overrides of the scenario's run size, from the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunSize {
    pub seed: Option<u64>,
    pub requests: Option<u64>,
    pub replications: Option<u32>,
}

impl RunSize {
    /// Applies the overrides to `s`. Exact replay's number of requests is the
    /// log's, and under `[load]` it follows from the rate and duration, so
    /// `--requests` is a usage error there.
    pub fn apply(&self, s: &mut Scenario) -> Result<(), UsageError> {
        if let Some(v) = self.seed {
            s.seed = v;
        }
        if let Some(v) = self.requests {
            if s.load.is_some() {
                return Err(UsageError(format!(
                    "--requests {v}: under [load] the requests follow from the arrival rate and load.duration; drop --requests, or change load.duration (or load.scale, load.requests_per_s)"
                )));
            }
            if s.replay == crate::scenario::Replay::Exact {
                return Err(UsageError(format!(
                    "--requests {v}: exact replay runs each of the log's {} records once; drop --requests, or use --replay bootstrap to draw {v}",
                    s.requests
                )));
            }
            if v > crate::units::MAX_REQUESTS {
                return Err(UsageError(format!(
                    "--requests: {}",
                    crate::scenario::validate::TooManyRequests(v)
                )));
            }
            s.requests = v;
        }
        if let Some(v) = self.replications {
            s.replications = v;
        }
        Ok(())
    }
}

/// One group: the values of the parameters that change the draws, and the points
/// (indices into the grid) that share them.
struct Group {
    scenario: Scenario,
    points: Vec<usize>,
}

/// The label of a grid point: `threshold=0.45` or `threshold=0.45, models.micro.skill=0.6`.
fn label(params: &[ParamSpec], values: &[f64]) -> String {
    params
        .iter()
        .zip(values)
        .map(|(p, v)| format!("{}={}", p.key, param::show_value(&p.key, *v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cartesian product of the parameters' values, the last varying fastest.
fn grid(params: &[ParamSpec]) -> Vec<Vec<f64>> {
    params.iter().fold(vec![vec![]], |acc, p| {
        acc.iter()
            .flat_map(|prefix| {
                p.values.iter().map(move |v| {
                    let mut row = prefix.clone();
                    row.push(*v);
                    row
                })
            })
            .collect()
    })
}

/// Prepares a sweep: checks the policy and the parameters, and builds every
/// variant scenario (each validated like a file). Nothing is simulated yet.
pub struct Prepared {
    spec: SweepSpec,
    leaves: Vec<Leaf>,
    values: Vec<Vec<f64>>,
    labels: Vec<String>,
    groups: Vec<Group>,
    base: Scenario,
}

impl Prepared {
    /// Passes of the engine: one per batch of [`BATCH`] points of each group.
    pub fn passes(&self) -> u64 {
        self.groups
            .iter()
            .map(|g| g.points.len().div_ceil(BATCH) as u64)
            .sum()
    }

    /// The scenario of the first pass (the file's policies and up to [`BATCH`]
    /// swept variants): a fair sample of a pass's work, for estimates.
    pub fn pass_scenario(&self) -> Scenario {
        let g = &self.groups[0];
        let n = self.base.policies.len() + g.points.len().min(BATCH);
        let mut s = g.scenario.clone();
        s.policies.truncate(n);
        s
    }

    /// Requests simulated in all passes of the engine: the units of progress.
    pub fn total_requests(&self) -> u64 {
        self.groups
            .iter()
            .map(|g| {
                let passes = g.points.len().div_ceil(BATCH) as u64;
                passes.saturating_mul(crate::engine::total_requests(&g.scenario))
            })
            .sum()
    }

    /// The scenario as written (with the command line's run size).
    pub fn scenario(&self) -> &Scenario {
        &self.base
    }

    /// Whether the sweep also reproduces `simroute run` (one pass, only policy
    /// keys swept): its results then carry the run's figures and charts.
    pub fn reproduces_run(&self) -> bool {
        self.groups.len() == 1 && self.leaves.iter().all(Leaf::is_policy)
    }

    /// The dotted paths of the parameters.
    pub fn param_paths(&self) -> Vec<String> {
        self.leaves.iter().map(|l| l.path.clone()).collect()
    }
}

pub fn prepare(
    path: &Path,
    spec: SweepSpec,
    size: RunSize,
    load: &crate::scenario::LoadOptions,
) -> anyhow::Result<Prepared> {
    let mut base = Scenario::load_with(path, load)?;
    crate::uncertain::refuse(&base, "sweep")?;
    size.apply(&mut base)?;
    let policy = base
        .policies
        .iter()
        .position(|p| p.name == spec.policy)
        .ok_or_else(|| {
            UsageError(format!(
                "--policy: no policy is named \"{}\" in {}{}",
                spec.policy,
                path.display(),
                did_you_mean(&spec.policy, base.policies.iter().map(|p| p.name.as_str()))
            ))
        })?;
    if spec.params.is_empty() {
        return Err(UsageError("give at least one --param KEY=VALUES".into()).into());
    }
    if spec.params.len() > 2 {
        return Err(UsageError(format!(
            "{} --param flags: a sweep takes one parameter, or two for a grid",
            spec.params.len()
        ))
        .into());
    }
    let read = |p: &Path, kind| -> anyhow::Result<Table> {
        let text = crate::input::read_toml_text(p, kind)?;
        text.parse::<Table>()
            .with_context(|| format!("cannot parse {}", p.display()))
    };
    let scenario_doc = read(path, crate::input::TomlKind::Scenario)?;
    let pricing_doc = read(&base.pricing_path, crate::input::TomlKind::Pricing)?;
    let all = param::leaves(&scenario_doc, &pricing_doc);
    let leaves: Vec<Leaf> = spec
        .params
        .iter()
        .map(|p| param::resolve(&p.key, &spec.policy, &all).cloned())
        .collect::<Result<_, _>>()?;
    if load.traffic_log.is_some() {
        // --traffic-log replaces these keys with the log's: sweeping them would
        // give the same figures at every point.
        for l in &leaves {
            let replaced = [
                "share",
                "input_tokens",
                "output_tokens",
                "cached_prefix_tokens",
                "cache_hit_rate",
            ];
            if l.path.starts_with("traffic.")
                && replaced.iter().any(|k| l.path.split('.').nth(2) == Some(k))
            {
                return Err(UsageError(format!(
                    "--param {}: with --traffic-log every class takes this from the log, so sweeping it changes nothing; drop one of the two",
                    l.path
                ))
                .into());
            }
        }
    }
    if leaves.len() == 2 && leaves[0].path == leaves[1].path {
        return Err(UsageError(format!("--param {} is given twice", leaves[0].path)).into());
    }
    let points: usize = spec.params.iter().map(|p| p.values.len()).product();
    if points > param::MAX_VALUES {
        return Err(UsageError(format!(
            "a grid of {} points ({}) is more than {} in all; use larger steps",
            points,
            spec.params
                .iter()
                .map(|p| format!("{} values of {}", p.values.len(), p.key))
                .collect::<Vec<_>>()
                .join(" × "),
            param::MAX_VALUES
        ))
        .into());
    }
    let values = grid(&spec.params);
    let labels: Vec<String> = values.iter().map(|v| label(&spec.params, v)).collect();

    // Group the points by the values of the parameters that change the draws.
    let mut groups: Vec<(Vec<f64>, Vec<usize>)> = Vec::new();
    for (i, row) in values.iter().enumerate() {
        let key: Vec<f64> = row
            .iter()
            .zip(&leaves)
            .filter(|(_, l)| !l.is_policy())
            .map(|(v, _)| *v)
            .collect();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, pts)) => pts.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    let variant = |row: &[f64], policy_params: bool| -> anyhow::Result<Scenario> {
        let (mut s_doc, mut p_doc) = (scenario_doc.clone(), pricing_doc.clone());
        for (leaf, v) in leaves.iter().zip(row) {
            if leaf.is_policy() && !policy_params {
                continue;
            }
            let doc = match leaf.doc {
                Doc::Scenario => &mut s_doc,
                Doc::Pricing => &mut p_doc,
            };
            param::set(doc, &leaf.segs, *v);
        }
        let mut s = Scenario::from_tables(
            path,
            s_doc,
            &base.pricing_path,
            p_doc,
            base.measured.clone(),
        )
        .map_err(|e| {
            UsageError(format!(
                "--param {}: the scenario is not valid with these values: {e}",
                label(&spec.params, row)
            ))
        })?;
        size.apply(&mut s)?;
        Ok(s)
    };
    let mut built = Vec::with_capacity(groups.len());
    for (_, points) in groups {
        // The group's scenario keeps every policy of the file, so that the draws
        // (which depend on which models are routed and which triggers are used)
        // are those of `simroute run`; the swept policy's variants are added.
        let mut scenario = variant(&values[points[0]], false)?;
        for &i in &points {
            let mut p = variant(&values[i], true)?.policies[policy].clone();
            p.name = format!("{} [{}]", spec.policy, labels[i]);
            scenario.policies.push(p);
        }
        built.push(Group { scenario, points });
    }
    Ok(Prepared {
        spec,
        leaves,
        values,
        labels,
        groups: built,
        base,
    })
}

/// Swept variants routed in one pass of the engine. A pass holds each
/// policy's accumulators (latency histograms per traffic class, up to a few
/// hundred KB per policy and worker: 88 MB in all for 64 variants of
/// support.toml on 2 threads), so the variants of a group go through in passes of at
/// most this many, on the same draws (the same streams, and the same file
/// policies beside them): memory stays flat however many points a sweep has.
pub const BATCH: usize = 64;

/// Runs a prepared sweep on the current thread pool; `progress` is called with
/// the number of requests simulated as they are.
pub fn run(p: &Prepared, progress: &(dyn Fn(u64) + Sync)) -> anyhow::Result<SweepResults> {
    let n_base = p.base.policies.len();
    let mut slots: Vec<Option<SweepPoint>> = vec![None; p.values.len()];
    let mut info = None;
    let mut as_written = None;
    for g in &p.groups {
        for (batch, points) in g.points.chunks(BATCH).enumerate() {
            let mut scenario = g.scenario.clone();
            let first = n_base + batch * BATCH;
            scenario.policies = scenario.policies[..n_base]
                .iter()
                .chain(&scenario.policies[first..first + points.len()])
                .cloned()
                .collect();
            let raw: Raw = simulate_raw(&scenario, progress)?;
            let results = RunResults::new(&scenario, &raw);
            if p.reproduces_run() && as_written.is_none() {
                let mut r = results.clone();
                r.policies.truncate(n_base);
                as_written = Some(r);
            }
            for (j, &i) in points.iter().enumerate() {
                let mut result = results.policies[n_base + j].clone();
                result.name = p.spec.policy.clone();
                let verdict = Verdict::of(&result, &p.base.targets);
                slots[i] = Some(SweepPoint {
                    values: p.values[i].clone(),
                    label: p.labels[i].clone(),
                    result,
                    verdict,
                });
            }
            info.get_or_insert((results.scenario, results.inputs));
        }
    }
    let points: Vec<SweepPoint> = slots
        .into_iter()
        .map(|s| s.expect("every point ran"))
        .collect();
    let costs: Vec<f64> = points
        .iter()
        .map(|pt| pt.result.cost_per_request.mean)
        .collect();
    let verdicts: Vec<Verdict> = points.iter().map(|pt| pt.verdict.clone()).collect();
    let (scenario, inputs) = info.expect("at least one group");
    let recommendation = recommend(
        &p.base.targets,
        &costs,
        &verdicts,
        &p.labels,
        inputs.eval_examples(),
    );
    Ok(SweepResults {
        scenario,
        inputs,
        policy: p.spec.policy.clone(),
        params: p.param_paths(),
        points,
        targets: p.base.targets.clone(),
        recommendation,
        run: as_written,
    })
}
