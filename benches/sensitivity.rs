//! A sensitivity analysis against the 2k + 1 separate runs it replaces.
//!
//! `sensitivity`: `simroute sensitivity scenarios/support-uncertain.toml
//! --policy cascade` (k = 6 uncertain inputs: 13 settings, then the
//! second-order run that gives the variance shares). `separate_passes`: the same
//! analysis with every setting on its own pass (`--separate-passes`; same
//! figures). `runs_13`: what a user would do without it: write the 13 settings
//! as 13 files and `simroute run` each. All at 20,000 requests x 20
//! replications, on all cores.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use simroute::engine::{results::RunResults, simulate_raw};
use simroute::scenario::Scenario;
use simroute::uncertain::sensitivity::{self, Spec};

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/support-uncertain.toml")
}

fn bench(c: &mut Criterion) {
    let mut s = Scenario::load(&scenario()).unwrap();
    s.requests = 20_000;
    s.replications = 20;
    let (_, settings) = sensitivity::prepare(&s).unwrap();
    assert_eq!(settings.len(), 13);
    let spec = |shared| Spec {
        policy: Some("cascade".into()),
        by: None,
        shared,
    };
    let mut g = c.benchmark_group("sensitivity, 6 inputs");
    g.sample_size(10);
    g.bench_function("sensitivity", |b| {
        b.iter(|| sensitivity::run(&s, &spec(true), &|_| ()).unwrap())
    });
    g.bench_function("separate_passes", |b| {
        b.iter(|| sensitivity::run(&s, &spec(false), &|_| ()).unwrap())
    });
    g.bench_function("runs_13", |b| {
        b.iter(|| {
            for v in &settings {
                std::hint::black_box(RunResults::new(v, &simulate_raw(v, &|_| ()).unwrap()));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
