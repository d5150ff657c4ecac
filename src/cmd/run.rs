//! `simroute run SCENARIO`.

use std::io::Write;

use anyhow::Context;

use super::RunArgs;
use super::output::command_line;
use super::progress::Progress;
use crate::engine::{results::RunResults, simulate_raw, total_requests, with_threads};
use crate::scenario::Scenario;

pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let threads = args.sim.threads();
    // Loading reads the scenario's logs on the pool too: --threads bounds it.
    let mut scenario = with_threads(threads, || {
        Scenario::load_with(&args.scenario, &args.sim.load_options())
    })??;
    args.sim.size().apply(&mut scenario)?;
    let outputs = args.output.outputs();
    outputs.check(
        &scenario,
        super::output::ChartSet {
            run: true,
            sweep: false,
        },
    )?;
    let progress = Progress::new(total_requests(&scenario), "run");
    let raw = with_threads(threads, || {
        super::work::announce("run", &[(&scenario, 1)]);
        simulate_raw(&scenario, &|n| progress.tick(n))
    })??;
    progress.finish();
    let results = RunResults::new(&scenario, &raw);
    args.sim
        .format
        .report()
        .write(&results, out)
        .context("cannot write the results")?;
    outputs.write(&scenario, Some(&results), None, &command_line())?;
    Ok(())
}
