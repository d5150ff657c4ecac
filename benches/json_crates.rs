//! Throwaway: the hand scanner (bedrock::parse_line) against sonic-rs and
//! serde_json on the same lines, one core.
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use simroute::logs::bedrock::{ClassPath, parse_line};

#[derive(Deserialize)]
struct Rec<'a> {
    #[serde(rename = "schemaType", borrow)]
    schema_type: Option<&'a str>,
    #[serde(borrow)]
    timestamp: Option<&'a str>,
    #[serde(rename = "modelId", borrow)]
    model: Option<&'a str>,
    input: Option<In>,
    output: Option<Out>,
    #[serde(rename = "requestMetadata", borrow)]
    meta: Option<Meta<'a>>,
}
#[derive(Deserialize)]
struct In {
    #[serde(rename = "inputTokenCount")]
    tokens: Option<u64>,
    #[serde(rename = "cacheReadInputTokenCount")]
    read: Option<u64>,
    #[serde(rename = "cacheWriteInputTokenCount")]
    write: Option<u64>,
}
#[derive(Deserialize)]
struct Out {
    #[serde(rename = "outputTokenCount")]
    tokens: Option<u64>,
    #[serde(rename = "outputBodyJson")]
    body: Option<Body>,
}
#[derive(Deserialize)]
struct Body {
    usage: Option<Usage>,
    metrics: Option<Metrics>,
}
#[derive(Deserialize)]
struct Usage {
    #[serde(rename = "inputTokens")]
    input: Option<u64>,
    #[serde(rename = "outputTokens")]
    output: Option<u64>,
}
#[derive(Deserialize)]
struct Metrics {
    #[serde(rename = "latencyMs")]
    latency: Option<f64>,
}
#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(borrow)]
    feature: Option<&'a str>,
}

fn sum(r: &Rec) -> u64 {
    let i = r.input.as_ref();
    let o = r.output.as_ref();
    let b = o.and_then(|o| o.body.as_ref());
    i.and_then(|i| i.tokens).unwrap_or(0)
        + i.and_then(|i| i.read).unwrap_or(0)
        + i.and_then(|i| i.write).unwrap_or(0)
        + o.and_then(|o| o.tokens).unwrap_or(0)
        + b.and_then(|b| b.usage.as_ref())
            .and_then(|u| u.input.zip(u.output))
            .map_or(0, |(a, c)| a + c)
        + b.and_then(|b| b.metrics.as_ref())
            .and_then(|m| m.latency)
            .map_or(0, |l| l as u64)
        + r.meta
            .as_ref()
            .and_then(|m| m.feature)
            .map_or(0, |f| f.len() as u64)
        + r.schema_type.map_or(0, |s| s.len() as u64)
        + r.timestamp.map_or(0, |s| s.len() as u64)
        + r.model.map_or(0, |s| s.len() as u64)
}

fn bench(c: &mut Criterion) {
    let path = std::env::var("JSON_BENCH_LOG").expect("JSON_BENCH_LOG=a plain Bedrock log");
    let text = std::fs::read(path).unwrap();
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(50_000)
        .collect();
    let class = ClassPath::new("requestMetadata.feature");
    let mut g = c.benchmark_group("json, 50k Bedrock lines");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.sample_size(20);
    g.bench_function("hand scanner (parse_line)", |b| {
        b.iter(|| {
            let mut t = 0u64;
            for (i, l) in lines.iter().enumerate() {
                t += parse_line(l, i as u64, Some(&class), |r| {
                    Ok(r.input
                        + r.output
                        + r.cache_read
                        + r.cache_write
                        + r.class.map_or(0, |c| c.len() as u64)
                        + r.model.map_or(0, |c| c.len() as u64)
                        + r.latency_ms.map_or(0, |l| l as u64))
                })
                .unwrap();
            }
            black_box(t)
        })
    });
    g.bench_function("sonic-rs typed borrowed", |b| {
        b.iter(|| {
            let mut t = 0u64;
            for l in &lines {
                let r: Rec = sonic_rs::from_slice(l).unwrap();
                t += sum(&r);
            }
            black_box(t)
        })
    });
    let mut tree = sonic_rs::PointerTree::new();
    for p in [
        &["schemaType"][..],
        &["timestamp"],
        &["modelId"],
        &["input", "inputTokenCount"],
        &["input", "cacheReadInputTokenCount"],
        &["input", "cacheWriteInputTokenCount"],
        &["output", "outputTokenCount"],
        &["output", "outputBodyJson", "metrics", "latencyMs"],
        &["requestMetadata", "feature"],
    ] {
        tree.add_path(p.iter().copied());
    }
    g.bench_function("sonic-rs get_many (lazy)", |b| {
        b.iter(|| {
            use sonic_rs::JsonValueTrait;
            let mut t = 0u64;
            for l in &lines {
                let vs = sonic_rs::get_many(*l, &tree).unwrap();
                for v in vs.iter().flatten() {
                    t += v
                        .as_u64()
                        .unwrap_or_else(|| v.as_str().map_or(0, |s| s.len() as u64));
                }
            }
            black_box(t)
        })
    });
    g.bench_function("serde_json typed borrowed", |b| {
        b.iter(|| {
            let mut t = 0u64;
            for l in &lines {
                let r: Rec = serde_json::from_slice(l).unwrap();
                t += sum(&r);
            }
            black_box(t)
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
