//! `simroute sensitivity SCENARIO [--policy P]`: which uncertain input to
//! measure first ([`crate::uncertain::sensitivity`]).

use std::io::Write;

use anyhow::Context;

use super::SensitivityArgs;
use super::progress::Progress;
use crate::engine::{total_requests, with_threads};
use crate::outfile::{self, Planned, Replace};
use crate::scenario::Scenario;
use crate::uncertain::sensitivity::{self, Spec};

pub fn sensitivity_cmd(args: &SensitivityArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    // Loading reads the scenario's logs on the pool too: --threads bounds it.
    let mut scenario = with_threads(args.sim.threads(), || {
        Scenario::load_with(&args.scenario, &args.sim.load_options())
    })??;
    args.sim.size().apply(&mut scenario)?;
    let spec = Spec {
        policy: args.policy.clone(),
        by: args.by,
        shared: !args.separate_passes,
    };
    sensitivity::policy_index(&scenario, &spec)?;
    let k = scenario.uncertainty.as_ref().map_or(0, |u| u.inputs.len());
    let chart = args.charts.as_ref().map(|dir| {
        let name =
            crate::report::charts::tornado_chart_name(&super::output::file_stem(&scenario.name));
        Planned {
            shown: format!("--charts {}: {}", dir.display(), dir.join(&name).display()),
            path: dir.join(name),
            makes_folder: true,
        }
    });
    if let Some(c) = &chart {
        outfile::check(
            std::slice::from_ref(c),
            &scenario.input_files(),
            Replace::Allowed,
        )?;
    }
    // 2k + 1 settings and the second-order run.
    let passes = 2 * k as u64 + 2;
    let progress = Progress::new(
        total_requests(&scenario).saturating_mul(passes),
        "sensitivity",
    );
    let results = with_threads(args.sim.threads(), || {
        super::work::announce("sensitivity", &[(&scenario, passes)]);
        sensitivity::run(&scenario, &spec, &|n| progress.tick(n))
    })??;
    progress.finish();
    crate::report::sensitivity::write(args.sim.format, &results, out)
        .context("cannot write the results")?;
    if let Some(c) = chart {
        let svg = crate::report::charts::tornado(&results)?;
        outfile::write_all(&[(c.path.clone(), svg.as_bytes())]).map_err(|(p, e)| {
            anyhow::Error::new(e).context(format!("cannot write chart {}", p.display()))
        })?;
    }
    Ok(())
}
