//! A progress bar for runs that take a while: shown on a terminal once a run has
//! taken more than a second, never when stderr is not a terminal or under CI.
//! It counts simulated requests, which workers add chunk by chunk (4,096
//! requests), so it moves within a long replication too.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts requests simulated out of a total.
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
                    "{msg} [{bar:40}] {percent}% of {human_len} simulated requests, {eta} left",
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

    /// `n` more requests simulated (from any thread).
    pub fn tick(&self, n: u64) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.start.elapsed() > DELAY {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.inc(n);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
