//! `simroute generate-log SCENARIO --records N --out FILE`: a synthetic log drawn
//! from a scenario's traffic (see [`crate::logs::generate`]).
//!
//! Everything that can be wrong with the scenario or the destination is checked
//! first (an existing file is replaced only with `--force`; see
//! [`crate::outfile`]); the log is then written to an exclusive temporary file in
//! `--out`'s folder and renamed into place at the end, so that a failure or a
//! Ctrl-C leaves no file behind (nor a half-written one in place of an older log).

use std::fs::File;
use std::io::Write;

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd::GenerateLogArgs;
use crate::logs::generate::{GenFormat, GenerateOptions, Generator, policy_index};
use crate::outfile::{self, Planned, Replace, Staged};
use crate::scenario::Scenario;

/// Writes the log to `--out` and one line saying so to `out`.
pub fn generate_cmd(args: &GenerateLogArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let s = Scenario::load(&args.scenario)?;
    let policy = policy_index(&s, args.policy.as_deref())?;
    let opts = GenerateOptions {
        records: args.records,
        seed: args.seed.unwrap_or(s.seed),
        policy,
        format: args.format,
    };
    let generator = Generator::new(&s, &opts)?;
    outfile::check(
        &[Planned {
            shown: format!("--out {}", args.out.display()),
            path: args.out.clone(),
            makes_folder: false,
        }],
        &s.input_files(),
        Replace::WithForce { force: args.force },
    )?;
    let cannot = || format!("cannot write {}", args.out.display());
    let (staged, file) = Staged::create(&args.out).with_context(cannot)?;
    // The generator buffers its writes.
    let written = if args.gzip {
        let mut gz = GzEncoder::new(file, Compression::default());
        generator
            .write(&mut gz)
            .and_then(|()| gz.finish().map_err(Into::into))
            .and_then(finish)
    } else {
        let mut file = file;
        generator.write(&mut file).and_then(|()| finish(file))
    };
    written.with_context(cannot)?;
    staged.commit().with_context(cannot)?;
    writeln!(
        out,
        "{}: {} {} record{} drawn from {} (policy \"{}\", seed {}){}",
        args.out.display(),
        args.records,
        match args.format {
            GenFormat::Bedrock => "Bedrock invocation log",
            GenFormat::Csv => "CSV",
        },
        if args.records == 1 { "" } else { "s" },
        args.scenario.display(),
        s.policies[policy].name,
        opts.seed,
        if args.gzip { ", gzip" } else { "" }
    )?;
    Ok(())
}

/// Syncs the written file, so that a full disk is reported before the file is
/// renamed into place.
fn finish(f: File) -> anyhow::Result<()> {
    f.sync_all()?;
    Ok(())
}
