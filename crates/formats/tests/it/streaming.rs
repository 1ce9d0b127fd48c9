//! Enforcement exports read one object at a time (`EnforcementSelector` and the per-format
//! writers that keep only values) write exactly what `select` and the `write_*` functions
//! write, whatever order the objects come in (a store pages by `date_added`, not input order),
//! and withhold the same objects for the same reasons.

use formats::{BuiltInRulesOnly, EnforcementSelector, Purpose, SelectOptions, Selected};

/// Writes every enforcement format from objects fed one by one, in the given order.
fn streamed(objects: Vec<stix::Object>) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let lists = crate::warninglists();
    let mut options = SelectOptions::new(Purpose::Enforcement, crate::now());
    options.warninglists = Some(&lists);
    options.min_confidence = Some(50);
    // The non-TLP marking definitions of the input: a store knows its definitions up front.
    let defined: Vec<(String, Option<stix::Tlp>)> = objects
        .iter()
        .filter(|o| o.object_type() == "marking-definition")
        .filter(|o| stix::Tlp::from_marking_id(o.id().as_str()).is_none())
        .map(|o| (o.id().as_str().to_owned(), None))
        .collect();
    let mut selector = EnforcementSelector::new(&BuiltInRulesOnly, options, defined);
    let mut zone = formats::rpz::RpzZone::new();
    let mut suricata = formats::suricata::SuricataLists::new();
    let mut intel = formats::zeek::ZeekIntel::new();
    let mut nft = formats::nft::NftSets::new();
    let mut plain = formats::PlainList::new(&[]);
    let mut csv_rows: Vec<(String, Vec<u8>)> = Vec::new();
    for object in objects {
        let Some(selected): Option<Selected> = selector.select(object) else { continue };
        zone.add(&selected);
        suricata.add(&selected);
        intel.add(&selected);
        nft.add(&selected);
        plain.add(&selected);
        let mut rows = Vec::new();
        formats::csv::write_rows(&selected, &mut rows).expect("csv rows");
        csv_rows.push((selected.object().id().to_string(), rows));
    }
    let mut out = Vec::new();
    let mut add = |name: &str, write: &dyn Fn(&mut Vec<u8>) -> Result<(), formats::Error>| {
        let mut buf = Vec::new();
        write(&mut buf).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((name.to_owned(), buf));
    };
    let rpz = formats::rpz::RpzOptions { serial: 2024060101, ..Default::default() };
    add("input.rpz", &|o| zone.write(&rpz, |_| rpz.serial, o).map(|_| ()));
    let suricata_options = formats::suricata::SuricataOptions::default();
    for file in formats::suricata::SuricataFile::ALL {
        let name = format!("suricata/{}", file.file_name(&suricata_options));
        add(&name, &|o| suricata.write(file, &suricata_options, o));
    }
    add("input.intel", &|o| intel.write(&Default::default(), o));
    add("input.nft", &|o| nft.write(&Default::default(), o));
    add("input.txt", &|o| plain.write(o));
    let mut withheld: Vec<String> = selector.withheld.iter().map(ToString::to_string).collect();
    withheld.sort();
    // CSV keeps input order: compare the rows as a multiset.
    csv_rows.sort();
    let mut csv = Vec::new();
    formats::csv::write_header(&mut csv).expect("csv header");
    for (_, rows) in csv_rows {
        csv.extend(rows);
    }
    out.push(("input.csv (rows sorted by indicator)".into(), csv));
    (out, withheld)
}

#[test]
fn streamed_exports_equal_whole_selection_exports_in_any_order() {
    let whole: std::collections::BTreeMap<String, Vec<u8>> =
        crate::exports().into_iter().filter(|(_, _, e)| *e).map(|(n, c, _)| (n, c)).collect();
    let mut expected_withheld: Vec<String> =
        crate::selection(Purpose::Enforcement).withheld.iter().map(ToString::to_string).collect();
    expected_withheld.sort();
    let input = crate::input();
    let mut reversed = input.clone();
    reversed.reverse();
    for objects in [input, reversed] {
        let (files, withheld) = streamed(objects);
        assert_eq!(withheld, expected_withheld);
        for (name, contents) in files {
            let expected = match name.strip_suffix(" (rows sorted by indicator)") {
                Some(csv) => sorted_csv(&whole[csv]),
                None => whole[&name].clone(),
            };
            assert_eq!(
                String::from_utf8_lossy(&contents),
                String::from_utf8_lossy(&expected),
                "{name}"
            );
        }
    }
}

/// The CSV export with its data rows grouped by indicator id and sorted, as `streamed` does.
fn sorted_csv(csv: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(csv);
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    let mut by_id: std::collections::BTreeMap<String, String> = Default::default();
    for line in lines {
        let id = line.split(',').nth(2).expect("an indicator id column").to_owned();
        let rows = by_id.entry(id).or_default();
        rows.push_str(line);
        rows.push('\n');
    }
    let mut out = format!("{header}\n");
    for rows in by_id.values() {
        out.push_str(rows);
    }
    out.into_bytes()
}

#[test]
fn only_the_marking_definitions_the_caller_names_are_known() {
    let statement = "marking-definition--3a6c7c6e-0a8a-4ad0-9d4d-4b6e5a3b2c11";
    let indicator: stix::Object = serde_json::from_value(serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--5e7b3a55-0d3e-4f36-9c6b-2a8f0f4f3a10",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[domain-name:value = 'copyrighted.example']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [statement]
    }))
    .expect("indicator");
    let options = SelectOptions::new(Purpose::Enforcement, crate::now());
    let mut unknown = EnforcementSelector::new(&BuiltInRulesOnly, options.clone(), Vec::new());
    assert!(unknown.select(indicator.clone()).is_none());
    assert_eq!(unknown.withheld[0].reason, formats::Reason::UnknownMarking(statement.to_owned()));
    let mut known = EnforcementSelector::new(
        &BuiltInRulesOnly,
        options.clone(),
        [(statement.to_owned(), None)],
    );
    let selected = known.select(indicator.clone()).expect("a statement restricts nothing");
    assert_eq!(selected.observables()[0].to_string(), "copyrighted.example");
    // A local marking the node maps to TLP:RED is RED.
    let mut red = EnforcementSelector::new(
        &BuiltInRulesOnly,
        options,
        [(statement.to_owned(), Some(stix::Tlp::Red))],
    );
    assert!(red.select(indicator).is_none());
    assert_eq!(red.withheld[0].reason, formats::Reason::TlpRed);
}
