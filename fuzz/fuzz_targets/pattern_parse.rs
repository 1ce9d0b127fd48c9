//! Fuzzes `pattern::parse_lenient`: it must never panic, and a valid pattern must print to text
//! that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (tree, diagnostics) = meridian_pattern::parse_lenient(text);
    if diagnostics.is_empty() {
        assert_eq!(meridian_pattern::parse(&tree.to_string()), Ok(tree));
    }
});
