//! How much work a command is about to do: the size of a simulation, its
//! estimated duration at the pace measured on this machine, and the thread
//! count actually used.
//!
//! Why: `--requests 1e12` used to start silently and run for days. `validate`
//! prints the estimate; `run`, `sweep` and `compare` print it on stderr before
//! they start when it is long ([`ANNOUNCE_AFTER_S`]), so a mistyped size is
//! caught at once (Ctrl-C stops a run and creates nothing).

use crate::engine::{REPLAY_GROUP, measured_rate, total_requests};
use crate::numfmt::count;
use crate::scenario::{Replay, Scenario};

/// A run estimated to take longer than this many seconds is announced.
pub const ANNOUNCE_AFTER_S: f64 = 10.0;

/// The worker threads to use: `--threads`, capped at the machine's cores (more
/// threads only add overhead, and tens of thousands exhaust the system), with a
/// note saying so; all cores without `--threads`.
pub fn threads(asked: Option<u16>) -> Option<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    asked.map(|n| {
        let n = usize::from(n);
        if n > cores {
            eprintln!(
                "note: --threads {n} is more than this machine's {cores} cores; using {cores} (the figures do not depend on it)"
            );
            cores
        } else {
            n
        }
    })
}

/// One simulation's size in words: requests, replications, policies, and for
/// an exact replay how often the log is read.
pub fn size(s: &Scenario, passes: u64) -> String {
    let mut text = format!(
        "{} {} x {} replications x {} policies",
        count(s.requests as f64),
        if s.replay == Replay::Exact {
            "logged records"
        } else {
            "requests"
        },
        count(s.replications as f64),
        s.policies.len()
    );
    if passes > 1 {
        text.push_str(&format!(", in {passes} passes"));
    }
    if s.replay == Replay::Exact {
        let reads = passes * (s.replications as u64).div_ceil(REPLAY_GROUP as u64);
        text.push_str(&format!(
            "; the log is read {} time{} (once per {REPLAY_GROUP} replications)",
            count(reads as f64),
            if reads == 1 { "" } else { "s" }
        ));
    }
    text
}

/// The estimated seconds of `passes` simulations of `s` on the current thread
/// pool, at its measured pace; `None` for an exact replay.
pub fn seconds(s: &Scenario, passes: u64) -> Option<f64> {
    let rate = measured_rate(s)?;
    Some(passes as f64 * total_requests(s) as f64 / rate)
}

/// A duration for people: "0.4 s", "2 min 10 s", "3 h 5 min", "2.3 days".
pub fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{} s", crate::numfmt::round_sig(secs, 2))
    } else if secs < 3600.0 {
        format!("{} min {} s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else if secs < 86_400.0 {
        format!(
            "{} h {} min",
            (secs / 3600.0) as u64,
            ((secs % 3600.0) / 60.0) as u64
        )
    } else {
        format!("{} days", crate::numfmt::round_sig(secs / 86_400.0, 2))
    }
}

/// The estimate line: the size and, where measured, the duration.
pub fn estimate(what: &str, sizes: &[(&Scenario, u64)]) -> (String, Option<f64>) {
    let threads = rayon::current_num_threads();
    let times: Option<Vec<f64>> = sizes.iter().map(|&(s, p)| seconds(s, p)).collect();
    let described: Vec<String> = sizes.iter().map(|&(s, p)| size(s, p)).collect();
    let total = times.map(|t| t.iter().sum::<f64>());
    let mut line = format!("{what}: {}", described.join(", and "));
    if let Some(t) = total {
        line.push_str(&format!(
            "; about {} on {threads} thread{} at the pace measured here",
            duration(t),
            if threads == 1 { "" } else { "s" }
        ));
    }
    (line, total)
}

/// Prints the estimate on stderr if the work looks long.
pub fn announce(what: &str, sizes: &[(&Scenario, u64)]) {
    // Small runs are not worth timing.
    let small = sizes.iter().all(|&(s, p)| {
        (p as u128) * (total_requests(s) as u128) * (s.policies.len() as u128) < 10_000_000
    });
    if small {
        return;
    }
    let (line, secs) = estimate(what, sizes);
    if secs.is_none_or(|t| t > ANNOUNCE_AFTER_S) {
        eprintln!("note: {line}; Ctrl-C stops it and writes nothing");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(duration(0.4321), "0.43 s");
        assert_eq!(duration(130.0), "2 min 10 s");
        assert_eq!(duration(3.0 * 3600.0 + 300.0), "3 h 5 min");
        assert_eq!(duration(2.3 * 86_400.0), "2.3 days");
    }
}
