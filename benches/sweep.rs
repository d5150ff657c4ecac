//! A sweep of 20 threshold values against 20 separate runs of the scenario.
//!
//! `sweep_20`: `simroute sweep scenarios/support.toml --policy cascade
//! --param threshold=0.05..1:0.05`, one pass over shared draws. `runs_20`: what
//! a user would do without it: edit the threshold and `simroute run` 20 times. Both
//! at 50,000 requests x 2 replications, on all cores.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use simroute::engine::{results::RunResults, simulate_raw};
use simroute::scenario::{Scenario, Trigger};
use simroute::sweep::param;
use simroute::sweep::run::{RunSize, SweepSpec, prepare, run};

const SIZE: RunSize = RunSize {
    seed: None,
    requests: Some(50_000),
    replications: Some(2),
};

fn support() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/support.toml")
}

fn bench(c: &mut Criterion) {
    let spec = SweepSpec {
        policy: "cascade".into(),
        params: vec![param::parse("threshold=0.05..1:0.05").unwrap()],
    };
    assert_eq!(spec.params[0].values.len(), 20);
    let prepared = prepare(&support(), spec.clone(), SIZE, &Default::default()).unwrap();
    // The 20 scenarios a user would run, one threshold each.
    let base = prepared.scenario().clone();
    let cascade = base
        .policies
        .iter()
        .position(|p| p.name == "cascade")
        .unwrap();
    let singles: Vec<Scenario> = spec.params[0]
        .values
        .iter()
        .map(|&v| {
            let mut s = base.clone();
            let p = &mut s.policies[cascade];
            for (t, r) in p.triggers.iter_mut().zip(&p.routes) {
                if r.len() > 1 {
                    *t = Trigger::Confidence {
                        thresholds: vec![v],
                    };
                }
            }
            s
        })
        .collect();
    let mut g = c.benchmark_group("threshold sweep, 20 values");
    g.sample_size(10);
    g.bench_function("sweep_20", |b| b.iter(|| run(&prepared, &|_| ()).unwrap()));
    g.bench_function("runs_20", |b| {
        b.iter(|| {
            for s in &singles {
                std::hint::black_box(RunResults::new(s, &simulate_raw(s, &|_| ()).unwrap()));
            }
        })
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
