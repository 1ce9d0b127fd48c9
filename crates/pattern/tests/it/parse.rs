//! Parsing through the public API: strict and lenient forms agree.

use meridian_pattern as pattern;

#[test]
fn strict_reports_first_lenient_reports_all() {
    let text = "[file:name = 'a' AND file:size > ] AND [x:y = h'abc']";
    let (_, all) = pattern::parse_lenient(text);
    let first = pattern::parse(text).unwrap_err();
    assert!(all.len() >= 2, "{all:?}");
    assert_eq!(first, all[0]);
}
