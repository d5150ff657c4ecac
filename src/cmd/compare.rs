//! `simroute compare A.toml B.toml`.

use std::io::Write;

use anyhow::Context;

use super::CompareArgs;
use super::progress::Progress;
use crate::compare::compare;
use crate::engine::{total_requests, with_threads};
use crate::report::compare as report;
use crate::scenario::Scenario;

pub fn compare_cmd(args: &CompareArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let size = args.sim.size();
    let load = args.sim.load_options();
    // Loading reads the scenarios' logs on the pool too: --threads bounds it.
    let (mut a, mut b) = with_threads(args.sim.threads(), || {
        Ok::<_, anyhow::Error>((
            Scenario::load_with(&args.a, &load)?,
            Scenario::load_with(&args.b, &load)?,
        ))
    })??;
    crate::uncertain::refuse(&a, "compare")?;
    crate::uncertain::refuse(&b, "compare")?;
    size.apply(&mut a)?;
    size.apply(&mut b)?;
    let progress = Progress::new(total_requests(&a) + total_requests(&b), "compare");
    let results = with_threads(args.sim.threads(), || {
        super::work::announce("compare", &[(&a, 1), (&b, 1)]);
        compare(&a, &b, &|n| progress.tick(n))
    })??;
    progress.finish();
    report::write(args.sim.format, &results, out).context("cannot write the results")?;
    Ok(())
}
