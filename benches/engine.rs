//! Simulated requests per second on scenarios/support.toml (three policies).
//!
//! `per_core`: one replication on a one-thread pool, the figure the README's
//! "requests per second per core" quotes. `all_cores`: the same on every core.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use simroute::engine::Engine;
use simroute::scenario::Scenario;

const REQUESTS: u64 = 200_000;

fn support() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/support.toml");
    Scenario::load(&path).expect("scenarios/support.toml is valid")
}

fn bench(c: &mut Criterion) {
    let s = support();
    let engine = Engine::new(&s);
    let mut g = c.benchmark_group("support.toml");
    g.throughput(Throughput::Elements(REQUESTS));
    g.sample_size(20);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    g.bench_function("per_core", |b| {
        b.iter(|| one.install(|| engine.replication(s.seed, 0, REQUESTS, &|_| ())))
    });
    g.bench_function("all_cores", |b| {
        b.iter(|| engine.replication(s.seed, 0, REQUESTS, &|_| ()))
    });
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
