//! Fuzz target: STIX JSON decoding, typed views and validation never panic, and an accepted
//! object serialises back to the same JSON value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = stix::validate::Options::default();
    let _ = stix::stream::validate_slice(data, &options, &mut |_| {});
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = stix::validate::validate(&value, &options);
        if let Ok(object) = stix::Object::from_value(value.clone()) {
            assert_eq!(serde_json::to_value(&object).ok(), Some(value));
            if let Ok(typed) = object.typed() {
                let _ = typed.to_map();
            }
        }
        let _ = serde_json::from_value::<stix::Bundle>(
            serde_json::from_slice(data).unwrap_or_default(),
        );
    }
});
