//! Criterion benchmarks: parsing, evaluating one pattern, and `PatternSet` lookups.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions.

use criterion::{Criterion, criterion_group, criterion_main};
use meridian_pattern as pattern;

fn parse(c: &mut Criterion) {
    let text = "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:name LIKE '%.exe'] FOLLOWEDBY [network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24'] WITHIN 300 SECONDS";
    c.bench_function("parse", |b| b.iter(|| pattern::parse(std::hint::black_box(text))));
}

criterion_group!(benches, parse);
criterion_main!(benches);
