//! Traffic over time (`[load]`) against the static engine, in simulated
//! requests per second, on benches/support-load-day.toml: support.toml's three
//! policies at 1,000 requests a second with prompt caching (20 prefixes) and
//! quotas on Sonnet and Nova Micro (all-Sonnet is throttled and retried).
//!
//! The scenario simulates a day; here each replication is 20 minutes (a
//! 15-minute warm-up, long enough for all-Sonnet's RPM bucket to empty and its
//! throttling to reach its steady state, then 5 measured minutes): 1.2 M
//! arrivals, each routed by the three policies. Two replications per
//! iteration, on a one-thread and a two-thread pool: the time engine runs a
//! replication on one thread, so it uses two threads only across
//! replications. The static engine draws the same number of requests of the
//! same scenario (its prompt cache is a hit rate, here none).
//!
//! The full target (a day, 86.4 M requests a replication) is measured with
//! `simroute run benches/support-load-day.toml` (README, Performance).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use simroute::engine::Engine;
use simroute::engine::time::TimeEngine;
use simroute::scenario::Scenario;

const REPLICATIONS: u32 = 2;

fn support_load() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support-load-day.toml");
    let mut s = Scenario::load(&path).expect("benches/support-load-day.toml is valid");
    let load = s.load.as_mut().expect("support-load-day.toml has [load]");
    load.warmup_s = 15.0 * 60.0;
    load.duration_s = 5.0 * 60.0;
    s
}

fn bench(c: &mut Criterion) {
    let s = support_load();
    let load = s.load.clone().unwrap();
    let engine = Engine::new(&s);
    let t = TimeEngine::new(&s, &load);
    let per_rep = load.expected_requests().round() as u64;
    let mut g = c.benchmark_group("support-load.toml");
    g.throughput(Throughput::Elements(per_rep * REPLICATIONS as u64));
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(format!("time_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| engine.time_group(&t, s.seed, 0..REPLICATIONS, &|_| ())))
        });
        g.bench_function(format!("static_{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    engine
                        .group(s.seed, 0..REPLICATIONS, per_rep, &|_| ())
                        .unwrap()
                })
            })
        });
    }
    g.finish();
}

// No HTML plots: the figures are read from the terminal, and criterion's plots
// would need system fonts.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
