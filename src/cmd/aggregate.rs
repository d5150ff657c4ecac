//! `simroute aggregate LOGS... --out FILE`: one aggregated traffic file (see
//! [`crate::logs::aggregate`]) from one or more logs.
//!
//! The destination is checked before any log is read (an existing file is
//! replaced only with `--force`, never an input; see [`crate::outfile`]), then
//! written to an exclusive temporary file and renamed into place. The format
//! follows `--out`'s name: `.csv`, `.csv.gz` or `.parquet`. An input that is
//! itself an aggregate is merged cell by cell (re-aggregation: two months'
//! files become one).

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd::AggregateArgs;
use crate::input::{InputError, UsageError};
use crate::logs::aggregate::{Aggregate, read_aggregate, sniff};
use crate::logs::fit::{counted, group};
use crate::logs::{LogOptions, fold_log, time};
use crate::outfile::{self, Planned, Replace, Staged};

/// Why a log cannot be added to the logs before it.
const OVERFLOW: &str = "adding it to the logs before it overflows a cell's record count or token sums (more than 18 quintillion): these are not real logs";

/// What `--out`'s name says to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    Csv,
    CsvGz,
    Parquet,
}

fn out_format(path: &Path) -> Result<OutFormat, UsageError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".csv.gz") {
        Ok(OutFormat::CsvGz)
    } else if name.ends_with(".csv") {
        Ok(OutFormat::Csv)
    } else if name.ends_with(".parquet") {
        Ok(OutFormat::Parquet)
    } else {
        Err(UsageError(format!(
            "--out {}: name the file .csv, .csv.gz or .parquet (the name chooses the format)",
            path.display()
        )))
    }
}

/// Reads the logs, writes the aggregate to `--out`, and prints one line to
/// standard error.
pub fn aggregate_cmd(args: &AggregateArgs, _out: &mut dyn Write) -> anyhow::Result<()> {
    let format = out_format(&args.out)?;
    outfile::check(
        &[Planned {
            shown: format!("--out {}", args.out.display()),
            path: args.out.clone(),
            makes_folder: false,
        }],
        &args.logs,
        Replace::WithForce { force: args.force },
    )?;
    let opts = LogOptions {
        class_field: args.class_field.as_deref(),
        skip_bad_lines: args.skip_bad_lines,
        class_optional: true,
    };
    let mut agg = Aggregate::new();
    let (mut read, mut used) = (0u64, 0u64);
    let mut skipped: std::collections::BTreeMap<crate::logs::BadKind, u64> = Default::default();
    for log in &args.logs {
        if sniff(log)?.is_some() {
            let f = read_aggregate(log)?;
            let n = f.data.records();
            let total = read.checked_add(n);
            if !agg.merge(f.data) || total.is_none() {
                return Err(InputError::file(log, OVERFLOW).into());
            }
            read += n;
            used += n;
        } else {
            // Every core (--threads): pieces of the log are aggregated apart and
            // merged in log order; cells add up, so the file does not depend on
            // the number of threads.
            let s = crate::engine::with_threads(super::work::threads(args.threads), || {
                fold_log(
                    log,
                    &opts,
                    Aggregate::new,
                    |a, r| {
                        a.add(r);
                        Ok(())
                    },
                    |piece| match agg.merge(piece) {
                        true => Ok(()),
                        false => Err(InputError::file(log, OVERFLOW)),
                    },
                )
            })??;
            read += s.read;
            used += s.used;
            for (k, n) in s.skipped {
                *skipped.entry(k).or_default() += n;
            }
        }
    }
    let cannot = || format!("cannot write {}", args.out.display());
    let (staged, file) = Staged::create(&args.out).with_context(cannot)?;
    let written: anyhow::Result<()> = (|| {
        match format {
            OutFormat::Csv => {
                let mut w = BufWriter::new(&file);
                agg.write_csv(&mut w)?;
                w.flush()?;
            }
            OutFormat::CsvGz => {
                let mut gz = GzEncoder::new(BufWriter::new(&file), Compression::default());
                agg.write_csv(&mut gz)?;
                gz.finish()?.flush()?;
            }
            OutFormat::Parquet => {
                let mut w = BufWriter::new(&file);
                agg.write_parquet(&mut w)?;
                w.flush()?;
            }
        }
        file.sync_all()?;
        Ok(())
    })();
    written.with_context(cannot)?;
    staged.commit().with_context(cannot)?;
    let span = match (agg.first_ms(), agg.last_ms()) {
        (Some(a), Some(b)) => format!(", {} to {}", time::format_ms(a), time::format_ms(b)),
        _ => ", no timestamps".to_string(),
    };
    let kinds = if skipped.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = skipped
            .iter()
            .map(|(k, n)| format!("{} {k}", group(*n)))
            .collect();
        format!(" ({})", parts.join(", "))
    };
    eprintln!(
        "{}: {} read, {} used, {} skipped{kinds}; {}{span}",
        args.out.display(),
        counted(read, "record"),
        group(used),
        group(read - used),
        counted(agg.len() as u64, "cell"),
    );
    Ok(())
}
