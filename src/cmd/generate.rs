//! `simroute generate-log SCENARIO --records N --out FILE`: a synthetic log drawn
//! from a scenario's traffic (see [`crate::logs::generate`]).

use std::fs::File;
use std::io::Write;

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd::GenerateLogArgs;
use crate::logs::generate::{GenFormat, GenerateOptions, generate, policy_index};
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
    let file =
        File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let written = if args.gzip {
        let mut gz = GzEncoder::new(file, Compression::default());
        generate(&s, &opts, &mut gz).and_then(|()| gz.finish().map(drop).map_err(Into::into))
    } else {
        generate(&s, &opts, file)
    };
    written.with_context(|| format!("cannot write {}", args.out.display()))?;
    writeln!(
        out,
        "{}: {} {} records drawn from {} (policy \"{}\", seed {}){}",
        args.out.display(),
        args.records,
        match args.format {
            GenFormat::Bedrock => "Bedrock invocation log",
            GenFormat::Csv => "CSV",
        },
        args.scenario.display(),
        s.policies[policy].name,
        opts.seed,
        if args.gzip { ", gzip" } else { "" }
    )?;
    Ok(())
}
