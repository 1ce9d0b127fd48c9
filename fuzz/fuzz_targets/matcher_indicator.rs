//! Fuzzes indicator parsing and the index: `Indicator::parse` must never panic, a parsed value
//! must be a fixed point of normalisation and be found by a lookup of itself, and loading
//! arbitrary bytes as a saved index must fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matcher::{Indicator, IndicatorSet, Kind, Scratch};

fuzz_target!(|data: &[u8]| {
    let _ = IndicatorSet::from_bytes(data);
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
