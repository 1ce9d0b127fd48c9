//! Fuzzes indicator parsing and the index: `Indicator::parse` must never panic, a parsed value
//! must be a fixed point of normalisation and be found by a lookup of itself, loading arbitrary
//! bytes as a saved index must fail cleanly, and so must a real index whose tables and header
//! were damaged behind a valid checksum (or, if it loads, its lookups must not panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use matcher::{Indicator, IndicatorSet, Kind, Scratch};

/// Values of every kind, so that every table of the damaged index is in use.
const SAMPLE: &[&str] = &[
    "evil.example",
    "sub.bad.example",
    "192.0.2.7",
    "198.51.100.0/24",
    "2001:db8::5",
    "2001:db8:1::/48",
    "http://evil.example/path",
    "d41d8cd98f00b204e9800998ecf8427e",
    "user@evil.example",
];

fuzz_target!(|data: &[u8]| {
    let _ = IndicatorSet::from_bytes(data);
    damaged_index(data);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut indicators = Vec::new();
    for line in text.lines() {
        if let Ok(indicator) = Indicator::parse(line) {
            let again = Indicator::parse_as(indicator.kind(), indicator.value())
                .expect("a normalised value parses");
            assert_eq!(again.value(), indicator.value());
            indicators.push(indicator);
        }
    }
    let set = IndicatorSet::compile(indicators.clone(), &[]);
    let loaded = IndicatorSet::from_bytes(&set.to_bytes()).expect("a saved set loads");
    let mut scratch = Scratch::default();
    for indicator in &indicators {
        if matches!(indicator.kind(), Kind::Ipv4 | Kind::Ipv6) && indicator.value().contains('/') {
            continue; // A block is not a log value.
        }
        assert!(loaded.lookup(indicator.value(), &mut scratch).is_some(), "{indicator}");
    }
});

/// XORs `data[2..]` into a real index image at an offset chosen by `data[..2]`, reseals it, and
/// loads it: an error is fine, a panic is not, and a set that loads answers lookups.
fn damaged_index(data: &[u8]) {
    /// The undamaged image, compiled once for the whole run.
    static IMAGE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let indicators = SAMPLE.iter().filter_map(|v| Indicator::parse(v).ok());
        IndicatorSet::compile(indicators, &[]).to_bytes()
    });
    let [hi, lo, patch @ ..] = data else { return };
    let mut image = IMAGE.clone();
    let at = usize::from(u16::from_be_bytes([*hi, *lo])) % image.len();
    for (byte, x) in image[at..].iter_mut().zip(patch) {
        *byte ^= x;
    }
    IndicatorSet::reseal_image(&mut image);
    if let Ok(set) = IndicatorSet::from_bytes(&image) {
        let mut scratch = Scratch::default();
        for value in SAMPLE.iter().chain(&["203.0.113.9", "a.b.evil.example", "::1", "x"]) {
            let _ = set.lookup(value, &mut scratch);
        }
    }
}
