//! `simroute compare A.toml B.toml`.

use std::io::Write;

use anyhow::Context;

use super::CompareArgs;
use super::progress::Progress;
use crate::compare::compare;
use crate::engine::with_threads;
use crate::report::compare as report;
use crate::scenario::Scenario;
use crate::sweep::run::RunSize;

pub fn compare_cmd(args: &CompareArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let size = RunSize {
        seed: args.seed,
        requests: args.requests,
        replications: args.replications,
    };
    let mut a = Scenario::load(&args.a)?;
    let mut b = Scenario::load(&args.b)?;
    size.apply(&mut a);
    size.apply(&mut b);
    let progress = Progress::new((a.replications + b.replications) as u64, "compare");
    let results = with_threads(args.threads.map(usize::from), || {
        compare(&a, &b, &|| progress.tick())
    })??;
    progress.finish();
    report::write(args.format, &results, out).context("cannot write the results")?;
    Ok(())
}
