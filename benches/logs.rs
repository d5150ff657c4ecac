//! Records per second of `read_log` on a synthetic Bedrock invocation log.
//!
//! A 1M-record log is generated once from scenarios/support.toml (the cascade
//! policy, so records carry cache counts) into a temporary folder, plain and
//! gzip, by the library's generator; `read_log` then streams it on one thread,
//! reading the class from `requestMetadata.feature`. The target is 1M
//! records per second on one core.

use std::fs::File;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::Compression;
use flate2::write::GzEncoder;
use simroute::logs::generate::{GenFormat, GenerateOptions, generate, policy_index};
use simroute::logs::{LogOptions, read_log};
use simroute::scenario::Scenario;

const RECORDS: u64 = 1_000_000;

fn bench(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/support.toml");
    let s = Scenario::load(&path).expect("scenarios/support.toml is valid");
    let opts = GenerateOptions {
        records: RECORDS,
        seed: 1,
        policy: policy_index(&s, Some("cascade")).expect("support.toml has a cascade"),
        format: GenFormat::Bedrock,
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("invocations.jsonl");
    let gzip = dir.path().join("invocations.jsonl.gz");
    generate(&s, &opts, File::create(&plain).unwrap()).unwrap();
    let mut gz = GzEncoder::new(File::create(&gzip).unwrap(), Compression::default());
    generate(&s, &opts, &mut gz).unwrap();
    gz.finish().unwrap();
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    eprintln!(
        "log: {RECORDS} records, {:.0} MB plain, {:.0} MB gzip",
        size(&plain),
        size(&gzip)
    );

    let read = |p: &Path| {
        let opts = LogOptions {
            class_field: Some("requestMetadata.feature"),
            skip_bad_lines: false,
        };
        let mut tokens = 0u64;
        let summary = read_log(p, &opts, |r| {
            tokens += r.input + r.output + r.cache_read + r.cache_write;
            Ok(())
        })
        .unwrap();
        assert_eq!(summary.used, RECORDS);
        black_box(tokens)
    };
    let mut g = c.benchmark_group("bedrock log, 1M records");
    g.throughput(Throughput::Elements(RECORDS));
    g.sample_size(10);
    g.bench_function("plain", |b| b.iter(|| read(&plain)));
    g.bench_function("gzip", |b| b.iter(|| read(&gzip)));
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
