//! `simroute run SCENARIO`.

use std::io::Write;

use anyhow::Context;

use super::RunArgs;
use crate::engine::simulate;
use crate::scenario::Scenario;

pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut scenario = Scenario::load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(n) = args.requests {
        scenario.requests = n;
    }
    if let Some(n) = args.replications {
        scenario.replications = n;
    }
    let results = simulate(&scenario, args.threads.map(usize::from))?;
    args.format
        .report()
        .write(&results, out)
        .context("cannot write the results")?;
    Ok(())
}
