//! Records per second of `fold_log` on a synthetic Bedrock invocation log, on
//! 1 and 2 threads.
//!
//! A 300,000-record log is generated once from scenarios/support.toml (the
//! cascade policy, so records carry cache counts) into a temporary folder, plain,
//! gzip, and as a folder of 100 gzip files of 3,000 records (as S3 delivers
//! logs), by the library's generator; `fold_log` then reads it on a rayon pool of
//! N threads built here (plus the reader thread that inflates and cuts one large
//! file), reading the class from `requestMetadata.feature`. The target is
//! 1M records per second per core.

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::Compression;
use flate2::write::GzEncoder;
use simroute::logs::generate::{GenFormat, GenerateOptions, generate, policy_index};
use simroute::logs::{LogOptions, fold_log};
use simroute::scenario::Scenario;

const RECORDS: u64 = 300_000;
const FILES: u64 = 100;

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
    let folder = dir.path().join("s3");
    generate(&s, &opts, File::create(&plain).unwrap()).unwrap();
    let mut gz = GzEncoder::new(File::create(&gzip).unwrap(), Compression::default());
    generate(&s, &opts, &mut gz).unwrap();
    gz.finish().unwrap();
    std::fs::create_dir(&folder).unwrap();
    let text = std::fs::read_to_string(&plain).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, part) in lines.chunks((RECORDS / FILES) as usize).enumerate() {
        let f = File::create(folder.join(format!("{i:03}.json.gz"))).unwrap();
        let mut gz = GzEncoder::new(f, Compression::default());
        for l in part {
            writeln!(gz, "{l}").unwrap();
        }
        gz.finish().unwrap();
    }
    drop(text);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    eprintln!(
        "log: {RECORDS} records, {:.0} MB plain, {:.0} MB gzip; {FILES} gzip files",
        size(&plain),
        size(&gzip)
    );

    let read = |p: &Path| {
        let opts = LogOptions {
            class_field: Some("requestMetadata.feature"),
            skip_bad_lines: false,
            class_optional: false,
        };
        let mut tokens = 0u64;
        let summary = fold_log(
            p,
            &opts,
            || 0u64,
            |t, r| {
                *t += r.input + r.output + r.cache_read + r.cache_write;
                Ok(())
            },
            |t| {
                tokens += t;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(summary.used, RECORDS);
        black_box(tokens)
    };
    let mut g = c.benchmark_group("bedrock log, 300k records");
    g.throughput(Throughput::Elements(RECORDS));
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for (name, p) in [
            ("plain", &plain),
            ("gzip", &gzip),
            ("folder of gzip", &folder),
        ] {
            g.bench_function(format!("{name}, {threads} threads"), |b| {
                b.iter(|| pool.install(|| read(p)))
            });
        }
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
