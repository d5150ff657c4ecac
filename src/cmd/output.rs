//! `--charts DIR` and `--report FILE.md`: checked before a run starts (a long run
//! should not end in "cannot write"), written only once everything is rendered.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::UsageError;
use crate::engine::results::RunResults;
use crate::report::{charts, review};
use crate::scenario::Scenario;
use crate::sweep::SweepResults;

/// Where a command writes its charts and report.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub charts: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

impl Outputs {
    /// Fails early, with exit code 2, if a destination cannot be written.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(dir) = &self.charts {
            charts::check_writable(dir).map_err(|e| UsageError(format!("--charts: {e}")))?;
        }
        if let Some(file) = &self.report {
            let dir = match file.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            if !dir.is_dir() {
                return Err(UsageError(format!(
                    "--report {}: the folder {} does not exist",
                    file.display(),
                    dir.display()
                ))
                .into());
            }
            if file.is_dir() {
                return Err(UsageError(format!(
                    "--report {}: is a folder; give a file name such as review.md",
                    file.display()
                ))
                .into());
            }
        }
        Ok(())
    }

    /// Writes the charts and the report. Chart paths in the report are relative to
    /// the report's folder where possible.
    pub fn write(
        &self,
        scenario: &Scenario,
        run: Option<&RunResults>,
        sweep: Option<&SweepResults>,
        command: &str,
    ) -> anyhow::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        if let Some(dir) = &self.charts {
            let stem = file_stem(&scenario.name);
            if let Some(s) = sweep {
                written.extend(charts::write_sweep_charts(s, dir, &stem)?);
            }
            if let Some(r) = run {
                written.extend(charts::write_run_charts(r, dir, &stem)?);
            }
        }
        if let Some(file) = &self.report {
            let base = file.parent().unwrap_or(Path::new(""));
            let links: Vec<(String, String)> = written
                .iter()
                .map(|p| {
                    let title = p
                        .file_stem()
                        .map_or(String::new(), |s| s.to_string_lossy().into_owned());
                    (title, relative(p, base))
                })
                .collect();
            let text = review::render(scenario, run, sweep, &links, command);
            review::write_atomically(file, &text)
                .with_context(|| format!("cannot write the report {}", file.display()))?;
            written.push(file.clone());
        }
        Ok(written)
    }
}

/// A scenario name made safe for a file name.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `path` relative to the folder `base` (both exist), `/` separated, for a link.
fn relative(path: &Path, base: &Path) -> String {
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    let (Ok(p), Ok(b)) = (path.canonicalize(), base.canonicalize()) else {
        return path.display().to_string();
    };
    let common = p
        .components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count();
    let ups = b.components().count() - common;
    std::iter::repeat_n("..".to_string(), ups)
        .chain(
            p.components()
                .skip(common)
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// The command line that reproduces this run, as the user typed it.
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| {
            if a.is_empty()
                || a.contains(|c: char| c.is_whitespace() || "'\"$`\\*?[]{}();&|<>".contains(c))
            {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect();
    format!("simroute {}", args.join(" "))
}
