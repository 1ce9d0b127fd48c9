//! Golden files for every export format, from `test-data/export/input.json`.

#[test]
fn every_export_matches_its_golden_file() {
    for (name, contents, _) in crate::exports() {
        crate::golden(&name, &contents);
    }
}

#[test]
fn withheld_summary_matches_its_golden_file() {
    let mut text = String::new();
    for purpose in [formats::Purpose::Enforcement, formats::Purpose::Sharing] {
        text.push_str(&format!("# {purpose:?}\n"));
        for withheld in crate::selection(purpose).withheld {
            text.push_str(&format!("{withheld}\n"));
        }
    }
    crate::golden("withheld.txt", text.as_bytes());
}

#[test]
fn rpz_serial_changes_only_with_content() {
    let options = formats::rpz::RpzOptions::default();
    let selection = crate::selection(formats::Purpose::Enforcement);
    let digest = formats::rpz::content_digest(&selection, &options).expect("digest");
    assert_eq!(digest, formats::rpz::content_digest(&selection, &options).expect("digest"));
    let first = formats::rpz::next_serial(None, digest, 1_717_200_000);
    assert_eq!(formats::rpz::next_serial(Some((first, digest)), digest, 1_717_300_000), first);
    let empty = formats::select(
        Vec::new(),
        &formats::BuiltInRulesOnly,
        &formats::SelectOptions::new(formats::Purpose::Enforcement, crate::now()),
    );
    let other = formats::rpz::content_digest(&empty, &options).expect("digest");
    assert_ne!(other, digest);
    assert!(formats::rpz::next_serial(Some((first, digest)), other, 1_717_200_000) > first);
}
