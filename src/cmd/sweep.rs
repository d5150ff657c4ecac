//! `simroute sweep SCENARIO --policy NAME --param KEY=VALUES [--param ...]`.

use std::io::Write;

use anyhow::Context;

use super::SweepArgs;
use super::output::command_line;
use super::progress::Progress;
use crate::engine::with_threads;
use crate::report::sweep;
use crate::sweep::param;
use crate::sweep::run::{SweepSpec, prepare, run};

pub fn sweep_cmd(args: &SweepArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let params = args
        .param
        .iter()
        .map(|p| param::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    let spec = SweepSpec {
        policy: args.policy.clone(),
        params,
    };
    // Loading reads the scenario's logs on the pool too: --threads bounds it.
    let prepared = with_threads(args.sim.threads(), || {
        prepare(
            &args.scenario,
            spec,
            args.sim.size(),
            &args.sim.load_options(),
        )
    })??;
    let outputs = args.output.outputs();
    outputs.check(
        prepared.scenario(),
        super::output::ChartSet {
            run: prepared.reproduces_run(),
            sweep: true,
        },
    )?;
    let progress = Progress::new(prepared.total_requests(), "sweep");
    let results = with_threads(args.sim.threads(), || {
        super::work::announce("sweep", &[(&prepared.pass_scenario(), prepared.passes())]);
        run(&prepared, &|n| progress.tick(n))
    })??;
    progress.finish();
    sweep::write(args.sim.format, &results, out).context("cannot write the results")?;
    outputs.write(
        prepared.scenario(),
        results.run.as_ref(),
        Some(&results),
        &command_line(),
    )?;
    Ok(())
}
