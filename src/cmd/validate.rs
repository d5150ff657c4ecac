//! `simroute validate SCENARIO`: every check of `run`, without the simulation.

use std::io::Write;
use std::path::Path;

use crate::scenario::{LoadOptions, Scenario};

pub fn validate(path: &Path, load: &LoadOptions, out: &mut dyn Write) -> anyhow::Result<()> {
    let s = Scenario::load_with(path, load)?;
    writeln!(
        out,
        "{}: ok: scenario \"{}\", {} models, {} traffic classes, {} policies (baseline \"{}\"), pricing {} ({} as of {})",
        path.display(),
        s.name,
        s.models.len(),
        s.classes.len(),
        s.policies.len(),
        s.policies[s.baseline].name,
        s.pricing_path.display(),
        s.pricing.region,
        s.pricing.as_of
    )?;
    Ok(())
}
