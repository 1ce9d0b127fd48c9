//! Criterion benchmarks for the index (compile, lookups) and the readers (Zeek TSV, EVE JSON,
//! text) on generated, realistic-looking log lines.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions.

use std::hint::black_box;
use std::io::{self, Cursor};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use matcher::{Hit, Indicator, IndicatorSet, Options, Scratch, Sink};

fn indicators(n: u32) -> Vec<Indicator> {
    (0..n)
        .flat_map(|i| {
            [
                Indicator::parse(&format!("bad{i}.example")).unwrap(),
                Indicator::parse(&std::net::Ipv4Addr::from(0x0a00_0000 + i * 3).to_string())
                    .unwrap(),
            ]
        })
        .chain(
            (0..n / 10).map(|i| {
                Indicator::parse(&format!("172.{}.{}.0/24", 16 + i % 16, i % 256)).unwrap()
            }),
        )
        .collect()
}

fn zeek_dns(lines: u32) -> Vec<u8> {
    let mut log = String::from(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tstring\tvector[string]\n",
    );
    for i in 0..lines {
        log.push_str(&format!(
            "{}.{:06}\tC{i:08x}\t192.168.{}.{}\t{}\t8.8.8.8\t53\tudp\twww{}.site{}.example\tA\tNOERROR\t93.184.{}.{}\n",
            1_700_000_000 + i / 100,
            i % 1_000_000,
            i % 256,
            i / 256 % 256,
            1024 + i % 60000,
            i % 7,
            i % 5000,
            i % 256,
            i / 7 % 256
        ));
    }
    log.into_bytes()
}

fn eve_dns(lines: u32) -> Vec<u8> {
    let mut log = String::new();
    for i in 0..lines {
        log.push_str(&format!(
            "{{\"timestamp\":\"2023-11-14T22:13:20.{:06}+0000\",\"flow_id\":{i},\"event_type\":\"dns\",\"src_ip\":\"192.168.{}.{}\",\"src_port\":{},\"dest_ip\":\"8.8.8.8\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{{\"type\":\"query\",\"id\":{},\"rrname\":\"www{}.site{}.example\",\"rrtype\":\"A\",\"tx_id\":0}}}}\n",
            i % 1_000_000,
            i % 256,
            i / 256 % 256,
            1024 + i % 60000,
            i % 65536,
            i % 7,
            i % 5000
        ));
    }
    log.into_bytes()
}

struct Count(u64);

impl Sink for Count {
    fn hit(&mut self, _: &Hit) -> io::Result<bool> {
        self.0 += 1;
        Ok(true)
    }
}

fn index(c: &mut Criterion) {
    let list = indicators(100_000);
    let mut group = c.benchmark_group("index");
    group.throughput(Throughput::Elements(list.len() as u64));
    group.bench_function("compile 210k", |b| b.iter(|| IndicatorSet::compile(list.clone(), &[])));
    let set = IndicatorSet::compile(list, &[]);
    let names: Vec<String> =
        (0..1000).map(|i| format!("www{}.bad{}.example", i % 3, i * 97)).collect();
    group.throughput(Throughput::Elements(names.len() as u64));
    group.bench_function("lookup_domain", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            names.iter().filter(|n| set.lookup_domain(n.as_bytes(), &mut scratch).is_some()).count()
        })
    });
    let addresses: Vec<String> =
        (0..1000u32).map(|i| std::net::Ipv4Addr::from(0x0a00_0000 + i * 7).to_string()).collect();
    group.bench_function("lookup_ip", |b| {
        b.iter(|| addresses.iter().filter(|a| set.lookup_ip(a.as_bytes()).is_some()).count())
    });
    let bytes = set.to_bytes();
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("load saved", |b| {
        b.iter(|| IndicatorSet::from_bytes(black_box(&bytes)).unwrap().len())
    });
    group.finish();
}

fn readers(c: &mut Criterion) {
    let set = IndicatorSet::compile(indicators(100_000), &[]);
    let options = Options::default();
    let mut group = c.benchmark_group("readers");
    for (name, log) in [("zeek dns", zeek_dns(100_000)), ("eve dns", eve_dns(100_000))] {
        group.throughput(Throughput::Bytes(log.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sink = Count(0);
                matcher::scan_reader(&set, "log", Cursor::new(log.clone()), &options, &mut sink)
                    .unwrap();
                sink.0
            })
        });
    }
    let text: Vec<u8> = zeek_dns(100_000).into_iter().filter(|&b| b != b'#').collect();
    let text_options = Options { format: matcher::Format::Text, ..Options::default() };
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("text", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            matcher::scan_reader(&set, "log", Cursor::new(text.clone()), &text_options, &mut sink)
                .unwrap();
            sink.0
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = index, readers
}
criterion_main!(benches);
