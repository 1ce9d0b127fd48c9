//! Properties: lookups agree with naive reference implementations, scanning gives the same
//! answer whatever the block size and thread count, and no input makes a reader panic.

use std::io::Cursor;

use matcher::{Format, Indicator, IndicatorSet, Kind, Options, Scratch};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,8}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A listed domain matches every subdomain, and a name matches only if one of its suffixes
    /// at a dot is listed: never a substring.
    #[test]
    fn domains_match_by_suffix_at_dots(listed in prop::collection::vec(prop::collection::vec(label(), 2..4), 1..20),
                                        probe in prop::collection::vec(label(), 1..6)) {
        let names: Vec<String> = listed.iter().map(|labels| labels.join(".")).collect();
        let set = IndicatorSet::compile(names.iter().map(|n| Indicator::parse_as(Kind::Domain, n).unwrap()), &[]);
        let mut scratch = Scratch::default();
        let probe = probe.join(".");
        let expected = (0..probe.len())
            .filter(|&i| i == 0 || probe.as_bytes()[i - 1] == b'.')
            .find(|&i| names.contains(&probe[i..].to_owned()));
        let got = set.lookup_domain(probe.as_bytes(), &mut scratch).map(|hit| set.entry(hit.entry).value().to_owned());
        prop_assert_eq!(got, expected.map(|i| probe[i..].to_owned()));
        for name in &names {
            let sub = format!("x1.{name}");
            prop_assert!(set.lookup_domain(sub.as_bytes(), &mut scratch).is_some());
        }
    }

    /// CIDR lookups agree with a linear scan for the longest matching prefix.
    #[test]
    fn cidr_longest_prefix_matches_a_linear_scan(blocks in prop::collection::vec((any::<u32>(), 8u8..=32), 1..40),
                                                  probes in prop::collection::vec(any::<u32>(), 1..50)) {
        let nets: Vec<(u32, u8)> = blocks.iter().map(|&(a, p)| (if p == 0 { 0 } else { a & (u32::MAX << (32 - p)) }, p)).collect();
        let set = IndicatorSet::compile(
            nets.iter().map(|&(a, p)| Indicator::parse(&format!("{}/{p}", std::net::Ipv4Addr::from(a))).unwrap()),
            &[],
        );
        // Probe inside the blocks too, not only at random.
        let inside = nets.iter().map(|&(a, p)| a | (!(u32::MAX << (32 - p).min(31)) & 0x5555_5555));
        for probe in probes.into_iter().chain(inside) {
            let expected = nets
                .iter()
                .filter(|&&(a, p)| p == 0 || (probe & (u32::MAX << (32 - p))) == a)
                .max_by_key(|&&(_, p)| p)
                .map(|&(a, p)| if p == 32 { std::net::Ipv4Addr::from(a).to_string() } else { format!("{}/{p}", std::net::Ipv4Addr::from(a)) });
            let text = std::net::Ipv4Addr::from(probe).to_string();
            let got = set.lookup_ip(text.as_bytes()).map(|hit| set.entry(hit.entry).value().to_owned());
            prop_assert_eq!(got, expected, "probe {}", text);
        }
    }

    /// The hits do not depend on how the input is cut into blocks or how many threads scan it.
    #[test]
    fn block_size_and_threads_do_not_change_hits(block in 4096usize..20_000, threads in 1usize..4, seed in any::<u32>()) {
        let set = IndicatorSet::compile(["evil.example", "198.51.100.0/24"].map(|v| Indicator::parse(v).unwrap()), &[]);
        let mut log = String::new();
        for i in 0..3000u32 {
            let x = i.wrapping_mul(2_654_435_761).wrapping_add(seed);
            let name = if x % 17 == 0 { "www.evil.example" } else { "benign.example" };
            log.push_str(&format!("{{\"ts\":{i},\"id.orig_h\":\"198.51.{}.{}\",\"query\":\"{name}\"}}\n", 99 + x % 3, x % 256));
        }
        let scan = |options: &Options| {
            let mut sink = crate::Render::new(&set);
            matcher::scan_reader(&set, "x", Cursor::new(log.clone().into_bytes()), options, &mut sink).unwrap();
            sink.out
        };
        let reference = scan(&Options { threads: 1, block_bytes: 1 << 20, ..Options::default() });
        prop_assert_eq!(scan(&Options { threads, block_bytes: block, ..Options::default() }), reference);
    }

    /// No input makes any reader panic, and every line is counted.
    #[test]
    fn readers_never_panic(lines in prop::collection::vec("[ -~\t\\\\{}\"\\[\\]:,#]{0,80}", 0..30)) {
        let set = IndicatorSet::compile([Indicator::parse("a.example").unwrap()], &[]);
        let input = lines.join("\n");
        for format in [Format::Zeek, Format::ZeekJson, Format::Eve, Format::Csv, Format::Text, Format::Auto] {
            let mut sink = crate::Render::new(&set);
            let options = Options { format, ..Options::default() };
            let summary = matcher::scan_reader(&set, "x", Cursor::new(input.clone().into_bytes()), &options, &mut sink).unwrap();
            prop_assert_eq!(summary.lines as usize, input.lines().count());
        }
    }

    /// Indicator parsing never panics, and whatever parses normalises to a fixed point.
    #[test]
    fn indicator_normalisation_is_idempotent(text in "[ -~]{0,40}|[a-zü.\\[\\]@:/]{0,30}") {
        if let Ok(indicator) = Indicator::parse(&text) {
            let again = Indicator::parse_as(indicator.kind(), indicator.value()).unwrap();
            prop_assert_eq!(again.value(), indicator.value());
        }
    }
}
