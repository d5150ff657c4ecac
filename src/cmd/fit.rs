//! `simroute fit LOG [--class-field PATH] [--skip-bad-lines]`: `[[traffic]]`
//! tables fitted from a log of real traffic, to paste into a scenario.

use std::io::Write;

use crate::cmd::FitArgs;
use crate::logs::LogOptions;
use crate::logs::fit::{fit_log, render};

/// Fits the log and prints the tables to `out`.
pub fn fit_cmd(args: &FitArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let opts = LogOptions {
        class_field: args.class_field.as_deref(),
        skip_bad_lines: args.skip_bad_lines,
        class_optional: false,
    };
    let fit = fit_log(&args.log, &opts)?;
    out.write_all(render(&fit).as_bytes())?;
    Ok(())
}
