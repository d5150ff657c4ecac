//! `simroute validate SCENARIO`: every check of `run`, without the simulation.

use std::io::Write;
use std::path::Path;

use crate::scenario::{LoadOptions, Scenario};

pub fn validate(path: &Path, load: &LoadOptions, out: &mut dyn Write) -> anyhow::Result<()> {
    let s = Scenario::load_with(
        path,
        &LoadOptions {
            check_only: true,
            ..load.clone()
        },
    )?;
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
    if let Some(u) = &s.uncertainty {
        writeln!(
            out,
            "uncertain: {} (each valid at both ends; `run` draws them once per replication, `sensitivity` ranks them)",
            u.inputs
                .iter()
                .map(|i| format!(
                    "{} {}..{}",
                    i.key,
                    crate::input::num(i.low),
                    crate::input::num(i.high)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    let (line, _) = super::work::estimate("work", &[(&s, 1)]);
    writeln!(out, "{line}")?;
    Ok(())
}
