//! `simroute sweep`: one policy at many settings, on one shared set of requests.
//!
//! A swept policy parameter (a threshold, a classifier's AUC, ...) becomes one
//! policy variant per value, and all variants route the same simulated requests in
//! a single pass: the requests are drawn once (common random numbers), so the curve
//! is smooth and a sweep of 20 values costs far less than 20 runs. A parameter of
//! the traffic, the models or the prices changes the draws themselves; each of its
//! values is then its own pass, on the same random streams (same seed), which still
//! pairs the points.

pub mod param;
pub mod run;
pub mod verdict;

use serde::Serialize;

use crate::engine::results::{PolicyResult, RunResults, ScenarioInfo};
use crate::scenario::Targets;
pub use verdict::{Check, Recommendation, Verdict};

/// Everything a sweep reports.
#[derive(Debug, Clone, Serialize)]
pub struct SweepResults {
    pub scenario: ScenarioInfo,
    /// The logs and eval set the sweep was fed, and how intervals were formed.
    pub inputs: crate::engine::inputs::Inputs,
    /// The swept policy.
    pub policy: String,
    /// The swept parameters, as dotted paths (`policy.cascade.threshold`).
    pub params: Vec<String>,
    /// One point per value (per combination of values for a grid), in the order
    /// the values were given, the last parameter varying fastest.
    pub points: Vec<SweepPoint>,
    pub targets: Targets,
    pub recommendation: Recommendation,
    /// Every policy of the scenario as written, from the same pass: present when
    /// only policy keys are swept (the scenario itself is then unchanged).
    pub run: Option<RunResults>,
}

/// The policy's figures at one setting.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    /// One value per parameter, in the order of `params`.
    pub values: Vec<f64>,
    /// `threshold=0.45` or `threshold=0.45, models.micro.skill=0.6`.
    pub label: String,
    pub result: PolicyResult,
    pub verdict: Verdict,
}
