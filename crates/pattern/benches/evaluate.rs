//! Criterion benchmarks: parsing, and `PatternSet` throughput as the number of patterns grows.
//!
//! `pattern_set/N` matches the same deterministic stream of observations against sets of
//! N = 1k, 10k and 100k indicator patterns; throughput is in observations per second.
//! `pattern_set_mixed/N` makes one pattern in ten a `LIKE` (prefix or suffix), `MATCHES` or
//! `ISSUBSET` comparison, indexed by literal or by block. `pattern_set_1m/100000` matches
//! 1M observations (the 10k stream, 100 times) against the 100k mixed patterns. The cost per
//! observation depends on the candidates it hits, not on N.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use meridian_pattern as pattern;
use serde_json::{Value, json};

fn parse(c: &mut Criterion) {
    let text = "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:name LIKE '%.exe'] FOLLOWEDBY [network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24'] WITHIN 300 SECONDS";
    c.bench_function("parse", |b| b.iter(|| pattern::parse(std::hint::black_box(text))));
}

use test_support::SplitMix64 as Rng;

fn ip(k: u64) -> String {
    format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255)
}

fn sha256(k: u64) -> String {
    format!("{:064x}", u128::from(k).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835))
}

fn block(k: u64) -> String {
    format!("{}.{}.{}", 11 + (k >> 16) % 200, (k >> 8) & 255, k & 255)
}

/// Indicator pattern `k`: an IP, a domain, a hash or a URL, like a real feed; with `mixed`,
/// every tenth is a `LIKE`, `MATCHES` or `ISSUBSET` comparison instead.
fn indicator(k: u64, mixed: bool) -> String {
    if mixed && k % 10 == 9 {
        return match (k / 10) % 4 {
            0 => format!("[url:value LIKE 'http://h{k}.example/%']"),
            1 => format!("[domain-name:value LIKE '%.s{k}.example']"),
            2 => format!("[url:value MATCHES '^https?://m{k}\\\\.example/']"),
            _ => format!("[ipv4-addr:value ISSUBSET '{}.0/24']", block(k)),
        };
    }
    match k % 4 {
        0 => format!("[ipv4-addr:value = '{}']", ip(k)),
        1 => format!("[domain-name:value = 'd{k}.example']"),
        2 => format!("[file:hashes.'SHA-256' = '{}']", sha256(k)),
        _ => {
            format!("[url:value = 'http://h{k}.example/x' OR url:value = 'https://h{k}.example/x']")
        }
    }
}

/// Observation `k`: one SCO whose value hits one of the first `hit_range` patterns one time in
/// ten, and nothing otherwise.
fn observation(rng: &mut Rng, hit_range: u64) -> Value {
    let r = rng.next_u64();
    let k = if r.is_multiple_of(10) { (r >> 8) % hit_range } else { 1 << 40 | (r >> 8) };
    let object = if k % 10 == 9 {
        match (k / 10) % 4 {
            0 => json!({"type": "url", "value": format!("http://h{k}.example/index.html")}),
            1 => json!({"type": "domain-name", "value": format!("www.s{k}.example")}),
            2 => json!({"type": "url", "value": format!("https://m{k}.example/a")}),
            _ => json!({"type": "ipv4-addr", "value": format!("{}.7", block(k))}),
        }
    } else {
        match k % 4 {
            0 => json!({"type": "ipv4-addr", "value": ip(k)}),
            1 => json!({"type": "domain-name", "value": format!("d{k}.example")}),
            2 => json!({"type": "file", "name": "a.exe", "hashes": {"SHA-256": sha256(k)}}),
            _ => json!({"type": "url", "value": format!("http://h{k}.example/x")}),
        }
    };
    json!({"type": "observed-data", "id": format!("observed-data--{k}"),
        "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z",
        "number_observed": 1, "objects": {"0": object}})
}

fn set_of(n: u64, mixed: bool) -> pattern::PatternSet {
    let texts: Vec<String> = (0..n).map(|k| indicator(k, mixed)).collect();
    let trees: Vec<pattern::Pattern> =
        texts.iter().map(|t| pattern::parse(t).expect("generated patterns are valid")).collect();
    pattern::PatternSet::new(&trees, pattern::Version::V2_1).expect("generated patterns compile")
}

/// The same stream for every N: hits fall among the first 1k patterns.
fn stream() -> Vec<Value> {
    let mut rng = Rng(42);
    (0..OBSERVATIONS).map(|_| observation(&mut rng, 1_000)).collect()
}

const OBSERVATIONS: usize = 10_000;

fn pattern_set(c: &mut Criterion) {
    let data = stream();
    let observations: Vec<_> = data
        .iter()
        .map(|d| pattern::Observations::from_json(&[d]).expect("generated data is valid"))
        .collect();
    for mixed in [false, true] {
        let mut group = c.benchmark_group(if mixed { "pattern_set_mixed" } else { "pattern_set" });
        group.sample_size(10).measurement_time(Duration::from_secs(5));
        group.throughput(Throughput::Elements(OBSERVATIONS as u64));
        for n in [1_000u64, 10_000, 100_000] {
            let set = set_of(n, mixed);
            group.bench_with_input(
                BenchmarkId::from_parameter(n),
                &observations,
                |b, observations| {
                    b.iter(|| observations.iter().map(|o| set.matches(o).0.len()).sum::<usize>())
                },
            );
        }
        group.finish();
    }
    let mut group = c.benchmark_group("pattern_set_1m");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(100 * OBSERVATIONS as u64));
    let set = set_of(100_000, true);
    group.bench_with_input(
        BenchmarkId::from_parameter(100_000),
        &observations,
        |b, observations| {
            b.iter(|| {
                let mut hits = 0;
                for _ in 0..100 {
                    hits += observations.iter().map(|o| set.matches(o).0.len()).sum::<usize>();
                }
                hits
            })
        },
    );
    group.finish();
}

criterion_group!(benches, parse, pattern_set);
criterion_main!(benches);
