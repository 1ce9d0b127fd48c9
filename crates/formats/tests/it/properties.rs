//! Properties: merged IP blocks cover exactly the addresses of their inputs; text and CSV import
//! never panic and only make indicators whose patterns parse; CSV cells never start a formula.

use proptest::prelude::*;

fn block() -> impl Strategy<Value = (u32, u8)> {
    // Blocks inside 10.0.0.0/20, so that random blocks overlap and touch often.
    (0u32..4096, 20u8..=32).prop_map(|(offset, prefix)| (0x0a00_0000 | offset, prefix))
}

fn contains(net: &formats::IpNet, addr: u32) -> bool {
    let parsed =
        formats::IpNet::parse(&std::net::Ipv4Addr::from(addr).to_string()).expect("address");
    net.overlaps(&parsed)
}

proptest! {
    #[test]
    fn merged_blocks_cover_the_same_addresses(blocks in prop::collection::vec(block(), 0..12), probes in prop::collection::vec(0u32..4096, 32)) {
        let nets: Vec<formats::IpNet> = blocks
            .iter()
            .map(|(addr, prefix)| formats::IpNet::parse(&format!("{}/{prefix}", std::net::Ipv4Addr::from(*addr))).expect("block"))
            .collect();
        let merged = formats::merge_ip_blocks(&nets);
        for probe in probes {
            let addr = 0x0a00_0000 | probe;
            let before = nets.iter().any(|n| contains(n, addr));
            let after = merged.iter().filter(|n| contains(n, addr)).count();
            prop_assert_eq!(after, usize::from(before), "address {}", std::net::Ipv4Addr::from(addr));
        }
        prop_assert!(merged.len() <= nets.len().max(1) * 32);
    }

    #[test]
    fn text_import_never_panics_and_patterns_parse(text in "(\\PC|hxxp://|\\[\\.\\]|\\(dot\\)|\\[@\\]|[0-9.:/@a-f]){0,200}") {
        let options = formats::text::TextOptions { meta: formats::IndicatorMeta::new(crate::now()), warninglists: None };
        let import = formats::text::import_text(&text, &options);
        for object in &import.objects {
            if let Some(pattern) = object.get("pattern").and_then(|p| p.as_str()) {
                prop_assert!(pattern::parse(pattern).is_ok(), "{pattern}");
            }
        }
        let csv = formats::csv::import_csv(&text, &formats::csv::CsvMapping::default(), &options);
        if let Ok(import) = csv {
            for object in &import.objects {
                if let Some(pattern) = object.get("pattern").and_then(|p| p.as_str()) {
                    prop_assert!(pattern::parse(pattern).is_ok(), "{pattern}");
                }
            }
        }
    }

    #[test]
    fn csv_cells_are_inert(value in "[\\t\\r=+@ -]{0,3}\\PC{0,17}") {
        let cell = formats::csv::cell(&value);
        let unquoted = cell.strip_prefix('"').unwrap_or(&cell);
        prop_assert!(!unquoted.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?}");
    }
}
