//! `--charts DIR` and `--report FILE.md`: checked before a run starts (a long run
//! should not end in "cannot write", and a mistaken path must not cost the user a
//! file: see [`crate::outfile`]), written only once everything is rendered.

use std::path::{Path, PathBuf};

use crate::engine::results::RunResults;
use crate::outfile::{self, Planned, Replace};
use crate::report::{charts, review};
use crate::scenario::Scenario;
use crate::sweep::SweepResults;

/// Where a command writes its charts and report.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub charts: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

/// Which charts a command draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSet {
    /// The run's charts (frontier, latency, breakdown).
    pub run: bool,
    /// The sweep's cost curve.
    pub sweep: bool,
}

impl Outputs {
    /// Every file the command will write, with the flag that named it.
    pub fn planned(&self, scenario: &Scenario, charts: ChartSet) -> Vec<Planned> {
        let mut v = Vec::new();
        if let Some(dir) = &self.charts {
            let stem = file_stem(&scenario.name);
            let mut names: Vec<String> = Vec::new();
            if charts.sweep {
                names.extend(charts::sweep_chart_names(&stem));
            }
            if charts.run {
                names.extend(charts::run_chart_names(&stem));
                if scenario.load.is_some() {
                    names.push(charts::load_chart_name(&stem));
                }
            }
            v.extend(names.into_iter().map(|n| Planned {
                shown: format!("--charts {}: {}", dir.display(), dir.join(&n).display()),
                path: dir.join(n),
                makes_folder: true,
            }));
        }
        if let Some(file) = &self.report {
            v.push(Planned {
                shown: format!("--report {}", file.display()),
                path: file.clone(),
                makes_folder: false,
            });
        }
        v
    }

    /// Fails early, with exit code 2 and before anything is created, if a file
    /// the command will write cannot or must not be written ([`outfile::check`]).
    pub fn check(&self, scenario: &Scenario, charts: ChartSet) -> anyhow::Result<()> {
        outfile::check(
            &self.planned(scenario, charts),
            &scenario.input_files(),
            Replace::Allowed,
        )?;
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
                written.extend(charts::write_run_charts(r, &scenario.targets, dir, &stem)?);
            }
        }
        if let Some(file) = &self.report {
            let base = outfile::folder_of(file);
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
            outfile::write_all(&[(file.clone(), text.as_bytes())]).map_err(|(_, e)| {
                anyhow::Error::new(e).context(format!("cannot write the report {}", file.display()))
            })?;
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
