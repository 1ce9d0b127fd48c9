//! Throughput of `decide` (with `redact` where it redacts) over a mixed batch: indicators at
//! every TLP level, a report with granular markings, and objects with personal data, for a
//! partner under an agreement that pseudonymises.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use policy::{
    Agreement, Context, Decision, Directory, OrgId, Organisation, PiiCategory, PiiForm, Policy,
    Provenance, Recipient, decide, redact,
};
use stix::Tlp;

fn objects() -> Vec<stix::Object> {
    test_support::canary::corpus()
        .objects
        .into_iter()
        .filter_map(|v| stix::Object::from_value(v).ok())
        .collect()
}

fn bench(c: &mut Criterion) {
    let objects = objects();
    let holder = OrgId::new("eu-cert");
    let client = OrgId::new("eu-energy-op");
    let mut directory = Directory::new();
    let mut h = Organisation::new("eu-cert", "DE");
    h.clients.insert(client.clone());
    directory.insert(h);
    directory.insert(Organisation::new("eu-energy-op", "FR"));
    let policy = Policy::new(holder, directory);
    let mut agreement = Agreement::new("bench", client.clone(), Tlp::Amber);
    for category in PiiCategory::ALL {
        agreement.pii.set(category, PiiForm::Pseudonymise);
    }
    let provenance = Provenance::received(&OrgId::new("us-cert"), &OrgId::new("us-cert"));
    let now: stix::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
    let context = Context::new(&provenance, &now, b"bench key");
    let recipient = Recipient::Partner { node: "peer", org: &client, agreement: &agreement };

    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(objects.len() as u64));
    group.bench_function("mixed-corpus-partner", |b| {
        b.iter(|| {
            let mut shared = 0usize;
            for object in &objects {
                match decide(object, &recipient, &policy, &context) {
                    Decision::Share => shared += 1,
                    Decision::ShareRedacted(r) => shared += redact(object, &r).as_map().len(),
                    Decision::Withhold(_) => {}
                }
            }
            shared
        })
    });
    let plain: Vec<&stix::Object> =
        objects.iter().filter(|o| o.object_type() == "indicator").collect();
    group.throughput(Throughput::Elements(plain.len() as u64));
    group.bench_function("indicators-only", |b| {
        b.iter(|| {
            plain.iter().filter(|o| decide(o, &recipient, &policy, &context).is_shared()).count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
