//! `simroute generate-log SCENARIO --records N --out FILE`: a synthetic log drawn
//! from a scenario's traffic (see [`crate::logs::generate`]).
//!
//! Everything that can be wrong with the scenario or the destination is checked
//! first; the log is then written to a temporary file in `--out`'s folder and
//! renamed into place at the end, so that a failure leaves no file behind (nor
//! a half-written one in place of an older log).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd::GenerateLogArgs;
use crate::input::UsageError;
use crate::logs::generate::{GenFormat, GenerateOptions, Generator, policy_index};
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
    let dir = destination_folder(&args.out)?;
    let (tmp, file) = TempFile::create(&dir, &args.out)?;
    let written = if args.gzip {
        let mut gz = GzEncoder::new(file, Compression::default());
        generator
            .write(&mut gz)
            .and_then(|()| gz.finish().map_err(Into::into))
            .and_then(|f| f.sync_all().map_err(Into::into))
    } else {
        let mut file = file;
        generator
            .write(&mut file)
            .and_then(|()| file.sync_all().map_err(Into::into))
    };
    written.with_context(|| format!("cannot write {}", args.out.display()))?;
    tmp.persist(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
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

/// The folder `--out` goes in, once it is known to exist and `out` not to be a
/// folder itself.
fn destination_folder(out: &Path) -> Result<PathBuf, UsageError> {
    if out.is_dir() {
        return Err(UsageError(format!(
            "--out {}: is a folder; give a file name such as log.jsonl",
            out.display()
        )));
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(UsageError(format!(
            "--out {}: the folder {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    Ok(dir)
}

/// A file being written under a temporary name, removed unless persisted.
struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    /// Creates `.NAME.tmp-PID` in `dir` for the final file `out`.
    fn create(dir: &Path, out: &Path) -> anyhow::Result<(TempFile, File)> {
        let name = out
            .file_name()
            .map_or("log".into(), |n| n.to_string_lossy());
        let path = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok((TempFile { path: Some(path) }, file))
    }

    /// Renames the file to `to` (the file must be closed, on some systems).
    fn persist(mut self, to: &Path) -> std::io::Result<()> {
        let path = self.path.take().expect("persisted once");
        std::fs::rename(&path, to).inspect_err(|_| {
            let _ = std::fs::remove_file(&path);
        })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}
