//! Criterion benchmark: validation throughput of the STIX validator on a generated bundle.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bundle(n: usize) -> Vec<u8> {
    let mut objects = Vec::with_capacity(n);
    for i in 0..n {
        objects.push(serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--{:08x}-17d4-4cbf-938f-98ee46b3cd3f", i),
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.123Z",
            "name": format!("C2 domain {i}"), "indicator_types": ["malicious-activity"],
            "pattern": format!("[domain-name:value = 'c2-{i}.example']"), "pattern_type": "stix",
            "valid_from": "2016-01-01T00:00:00Z",
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
            "external_references": [{"source_name": "acme", "url": "https://acme.example/r/1"}]
        }));
    }
    serde_json::to_vec(&serde_json::json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": objects}))
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let data = bundle(10_000);
    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("bundle_10k_indicators", |b| {
        b.iter(|| {
            let mut n = 0u64;
            stix::stream::validate_slice(&data, &stix::validate::Options::default(), &mut |_| {
                n += 1
            })
            .map(|s| (s, n))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
