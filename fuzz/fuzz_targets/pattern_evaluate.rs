//! Fuzzes compile + evaluate: the first line is a pattern, the rest a JSON document of observed
//! data. Nothing may panic, and three ways to the answer must agree: the data read by
//! `pattern::Json` and by `serde_json` (accepted or refused alike), and a `PatternSet` holding
//! the pattern against evaluating it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meridian_pattern as pattern;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern_text, json_text) = text.split_once('\n').unwrap_or((text, "[]"));
    let ours = pattern::Json::parse(json_text);
    let theirs = serde_json::from_str::<serde_json::Value>(json_text);
    assert_eq!(ours.is_ok(), theirs.is_ok(), "{json_text:?}");
    let (Ok(ours), Ok(theirs)) = (ours, theirs) else { return };
    let Ok(tree) = pattern::parse(pattern_text) else { return };
    let Ok(compiled) = pattern::compile(&tree, pattern::Version::V2_1) else { return };
    let set = pattern::PatternSet::new([&tree], pattern::Version::V2_1).expect("it compiled");
    let by_json = pattern::Observations::from_json(&[&ours]);
    let by_value = pattern::Observations::from_json(&[&theirs]);
    assert_eq!(by_json.is_ok(), by_value.is_ok());
    let (Ok(by_json), Ok(by_value)) = (by_json, by_value) else { return };
    let answer = compiled.evaluate(&by_value).map(|outcome| outcome.matched());
    let by_search = compiled.is_match(&by_json);
    if let (Ok(answer), Ok(by_search)) = (&answer, &by_search) {
        assert_eq!(answer, by_search);
        let (matched, errors) = set.matches(&by_json);
        if errors.is_empty() {
            assert_eq!(matched.is_empty(), !answer);
        }
    }
});
