//! A progress bar for runs that take a while: shown on a terminal once a run has
//! taken more than a second, never when stderr is not a terminal or under CI.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts replications done out of a total.
pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
}

/// How long a run goes before the bar appears.
const DELAY: Duration = Duration::from_secs(1);

impl Progress {
    pub fn new(total: u64, what: &str) -> Progress {
        let wanted = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = wanted.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} replications, {eta} left",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message(what.to_string());
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
        }
    }

    /// One replication done.
    pub fn tick(&self) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.start.elapsed() > DELAY {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.inc(1);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
