//! `simroute run SCENARIO`.

use std::io::Write;

use anyhow::Context;

use super::RunArgs;
use super::output::{Outputs, command_line};
use super::progress::Progress;
use crate::engine::{results::RunResults, simulate_raw, with_threads};
use crate::scenario::Scenario;
use crate::sweep::run::RunSize;

pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut scenario = Scenario::load(&args.scenario)?;
    RunSize {
        seed: args.seed,
        requests: args.requests,
        replications: args.replications,
    }
    .apply(&mut scenario);
    let outputs = Outputs {
        charts: args.charts.clone(),
        report: args.report.clone(),
    };
    outputs.check()?;
    let progress = Progress::new(scenario.replications as u64, "run");
    let raw = with_threads(args.threads.map(usize::from), || {
        simulate_raw(&scenario, &|| progress.tick())
    })?;
    progress.finish();
    let results = RunResults::new(&scenario, &raw);
    args.format
        .report()
        .write(&results, out)
        .context("cannot write the results")?;
    outputs.write(&scenario, Some(&results), None, &command_line())?;
    Ok(())
}
