//! Fuzzes compile + evaluate: the first line is a pattern, the rest a JSON document of observed
//! data. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern_text, json_text) = text.split_once('\n').unwrap_or((text, "[]"));
    let Ok(tree) = meridian_pattern::parse(pattern_text) else { return };
    let Ok(compiled) = meridian_pattern::compile(&tree, meridian_pattern::Version::V2_1) else {
        return;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(json_text) else { return };
    if let Ok(observations) = meridian_pattern::Observations::from_json(&[&json]) {
        let _ = compiled.evaluate(&observations);
    }
});
