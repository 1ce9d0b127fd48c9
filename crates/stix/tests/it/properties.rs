//! Property tests: validation never panics on arbitrary JSON, and objects round-trip.

use proptest::prelude::*;
use serde_json::Value;

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("indicator".to_owned()),
            Just("bundle".to_owned()),
            Just("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".to_owned()),
            Just("2016-04-06T20:03:48.000Z".to_owned()),
            "[a-z_\\-\\.\\[\\]0-9]{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("id".to_owned()),
                    Just("objects".to_owned()),
                    Just("created".to_owned()),
                    Just("modified".to_owned()),
                    Just("granular_markings".to_owned()),
                    Just("selectors".to_owned()),
                    Just("extensions".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn validation_never_panics(doc in json()) {
        let _ = stix::validate::validate(&doc, &stix::validate::Options::default());
        let text = serde_json::to_vec(&doc).unwrap_or_default();
        let _ = stix::stream::validate_slice(&text, &stix::validate::Options::default(), &mut |_| {});
        if let Ok(object) = stix::Object::from_value(doc.clone()) {
            prop_assert_eq!(serde_json::to_value(&object).ok(), Some(doc));
            let _ = object.typed();
        }
    }
}
