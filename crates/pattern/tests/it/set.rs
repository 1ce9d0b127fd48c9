//! `PatternSet`: the same answers as evaluating every pattern, and a number of candidates that
//! depends on what the observations hit, not on how many patterns the set holds.

use meridian_pattern as pattern;
use proptest::prelude::*;
use serde_json::{Value, json};

/// The positions of the patterns that match, by evaluating each one.
fn brute_force(
    patterns: &[pattern::Pattern],
    observations: &pattern::Observations<'_, Value>,
) -> Vec<usize> {
    patterns
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            pattern::compile(p, pattern::Version::V2_1)
                .and_then(|c| c.is_match(observations))
                .expect("small cases evaluate")
        })
        .map(|(i, _)| i)
        .collect()
}

fn parse_all(texts: &[String]) -> Vec<pattern::Pattern> {
    texts.iter().map(|t| pattern::parse(t).unwrap_or_else(|d| panic!("{t}: {d}"))).collect()
}

/// One observed-data (STIX 2.0 form) at minute `minute` with these objects.
fn observed(n: usize, minute: u32, count: u32, objects: Value) -> Value {
    json!({"type": "observed-data", "id": format!("observed-data--{n}"),
        "first_observed": format!("2024-01-01T00:{minute:02}:00Z"),
        "last_observed": format!("2024-01-01T00:{minute:02}:00Z"),
        "number_observed": count, "objects": objects})
}

const MD5: [&str; 2] = ["d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661"];

/// A comparison over the object kinds `object()` makes.
fn comparison() -> impl Strategy<Value = String> {
    let not = prop_oneof![4 => Just(""), 1 => Just("NOT ")];
    let names = prop_oneof![Just("'a.exe'"), Just("'b.dll'"), Just("'report.pdf'"), Just("'x'")];
    let ips = prop_oneof![
        Just("'10.0.0.1'"),
        Just("'10.0.0.2'"),
        Just("'192.168.1.1'"),
        Just("'8.8.8.8'")
    ];
    let cidrs = prop_oneof![
        Just("'10.0.0.0/8'"),
        Just("'10.0.0.1/32'"),
        Just("'192.168.0.0/16'"),
        Just("'0.0.0.0/0'"),
        Just("'10.0.0.0/30'"),
        Just("'2001:db8::/32'"),
    ];
    let likes = prop_oneof![
        Just("'a%'"),
        Just("'%.exe'"),
        Just("'%example%'"),
        Just("'http://_.example/%'"),
        Just("'%a_e%'"),
        Just("'%'"),
        Just("'x'"),
        Just("'%.d_l'"),
    ];
    let regexes = prop_oneof![
        Just("'^a'"),
        Just("'exe$'"),
        Just("'(dll|pdf)'"),
        Just("'ex.*e'"),
        Just("'[0-9]+'"),
        Just("'(?i)A'"),
        Just("'^http://[a-c]\\\\.example'"),
        Just("'x?'"),
    ];
    let numbers = prop_oneof![Just("0"), Just("10"), Just("100.5"), Just("1024"), Just("-1")];
    let order = prop_oneof![Just("<"), Just("<="), Just(">"), Just(">=")];
    (not, 0usize..16, names, ips, cidrs, likes, regexes, numbers, order).prop_map(
        |(not, kind, name, ip, cidr, like, regex, number, order)| match kind {
            0 => format!("file:name {not}= {name}"),
            1 => format!("file:name {not}!= {name}"),
            2 => format!("file:name {not}IN ({name}, 'x')"),
            3 => format!("file:name {not}LIKE {like}"),
            4 => format!("file:name {not}MATCHES {regex}"),
            5 => format!("file:size {not}{order} {number}"),
            6 => format!("file:size {not}= {number}"),
            7 => format!("file:hashes.MD5 {not}= '{}'", MD5[name.len() % 2]),
            8 => format!("ipv4-addr:value {not}= {ip}"),
            9 => format!("ipv4-addr:value {not}ISSUBSET {cidr}"),
            10 => format!("ipv4-addr:value {not}ISSUPERSET {ip}"),
            11 => format!("network-traffic:dst_ref.value {not}ISSUBSET {cidr}"),
            12 => format!("network-traffic:protocols[*] {not}= 'http'"),
            13 => format!("url:value {not}LIKE {like}"),
            14 => format!("url:value {not}MATCHES {regex}"),
            _ => format!("{not}EXISTS file:hashes.MD5"),
        },
    )
}

fn comparison_expression() -> impl Strategy<Value = String> {
    comparison().prop_recursive(2, 6, 2, |inner| {
        (inner.clone(), inner, prop_oneof![Just("AND"), Just("OR")])
            .prop_map(|(a, b, op)| format!("({a} {op} {b})"))
    })
}

fn pattern_text() -> impl Strategy<Value = String> {
    let leaf = comparison_expression().prop_map(|c| format!("[{c}]"));
    leaf.prop_recursive(2, 4, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop_oneof![Just("AND"), Just("OR"), Just("FOLLOWEDBY")]
            )
                .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
            (inner.clone(), 1u32..3).prop_map(|(a, n)| format!("({a} REPEATS {n} TIMES)")),
            (inner, 1u32..600).prop_map(|(a, s)| format!("({a} WITHIN {s} SECONDS)")),
        ]
    })
}

/// One object of a kind the comparisons test, under key `key`; network traffic refers to the
/// address under key `"ip"`.
fn object() -> impl Strategy<Value = Value> {
    let name =
        prop_oneof![Just("a.exe"), Just("b.dll"), Just("report.pdf"), Just("x"), Just("abe")];
    let ip = prop_oneof![
        Just("10.0.0.1"),
        Just("10.0.0.2"),
        Just("192.168.1.1"),
        Just("8.8.8.8"),
        Just("10.0.0.0/24")
    ];
    let url = prop_oneof![
        Just("http://a.example/x"),
        Just("https://b.example/exe"),
        Just("http://c.example/"),
        Just("ftp://x")
    ];
    let size = prop_oneof![
        Just(json!(0)),
        Just(json!(10)),
        Just(json!(100.5)),
        Just(json!(1024)),
        Just(json!(5000)),
        Just(json!("10"))
    ];
    (0usize..4, name, ip, url, size, any::<bool>()).prop_map(|(kind, name, ip, url, size, flag)| match kind {
        0 if flag => json!({"type": "file", "name": name, "size": size, "hashes": {"MD5": MD5[name.len() % 2]}}),
        0 => json!({"type": "file", "name": name, "size": size}),
        1 => json!({"type": "ipv4-addr", "value": ip}),
        2 => json!({"type": "url", "value": url}),
        _ => json!({"type": "network-traffic", "dst_ref": "ip", "protocols": if flag { json!(["tcp", "http"]) } else { json!(["dns"]) }}),
    })
}

fn observations() -> impl Strategy<Value = Vec<Value>> {
    let one = (
        proptest::collection::vec(object(), 1..4),
        prop_oneof![Just("10.0.0.1"), Just("192.168.1.1")],
        0u32..20,
        1u32..3,
    );
    proptest::collection::vec(one, 1..4).prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(|(n, (objects, ip, minute, count))| {
                let mut map = serde_json::Map::new();
                for (k, object) in objects.into_iter().enumerate() {
                    map.insert(k.to_string(), object);
                }
                map.insert("ip".into(), json!({"type": "ipv4-addr", "value": ip}));
                observed(n, minute, count, Value::Object(map))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The set answers what evaluating every pattern answers, and every match is a candidate.
    #[test]
    fn set_agrees_with_evaluating_every_pattern(
        texts in proptest::collection::vec(pattern_text(), 1..12),
        data in observations(),
    ) {
        let patterns: Vec<pattern::Pattern> = texts.iter().filter_map(|t| pattern::parse(t).ok()).collect();
        prop_assume!(!patterns.is_empty());
        let set = pattern::PatternSet::new(&patterns, pattern::Version::V2_1).unwrap();
        let refs: Vec<&Value> = data.iter().collect();
        let observations = pattern::Observations::from_json(&refs).unwrap();
        let expected = brute_force(&patterns, &observations);
        let (matched, errors) = set.matches(&observations);
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(&matched, &expected, "patterns {:#?}\ndata {}", texts, serde_json::to_string(&data).unwrap());
        let candidates = set.candidates(&observations);
        prop_assert!(expected.iter().all(|i| candidates.contains(i)), "{:?} ⊄ {:?}", expected, candidates);
    }
}

/// The patterns of one kind: pattern `k` matches the value `value(k)`, and no other.
struct Kind {
    name: &'static str,
    pattern: fn(usize) -> String,
    object: fn(usize) -> Value,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "string =",
        pattern: |k| format!("[domain-name:value = 'd{k}.example']"),
        object: |k| json!({"type": "domain-name", "value": format!("d{k}.example")}),
    },
    Kind {
        name: "number =",
        pattern: |k| format!("[network-traffic:dst_port = {k}]"),
        object: |k| json!({"type": "network-traffic", "dst_port": k}),
    },
    Kind {
        name: "IN",
        pattern: |k| format!("[file:name IN ('f{k}.exe', 'f{k}.dll')]"),
        object: |k| json!({"type": "file", "name": format!("f{k}.dll")}),
    },
    Kind {
        name: "LIKE prefix",
        pattern: |k| format!("[url:value LIKE 'http://h{k}.example/%']"),
        object: |k| json!({"type": "url", "value": format!("http://h{k}.example/index.html")}),
    },
    Kind {
        name: "LIKE suffix",
        pattern: |k| format!("[domain-name:value LIKE '%.s{k}.example']"),
        object: |k| json!({"type": "domain-name", "value": format!("www.s{k}.example")}),
    },
    Kind {
        name: "LIKE with _",
        pattern: |k| format!("[file:name LIKE '%_{k}_%.exe']"),
        object: |k| json!({"type": "file", "name": format!("x_{k}_y.exe")}),
    },
    Kind {
        name: "MATCHES",
        pattern: |k| format!("[url:value MATCHES '^https?://m{k}\\\\.example/[a-z]+$']"),
        object: |k| json!({"type": "url", "value": format!("https://m{k}.example/abc")}),
    },
    Kind {
        name: "MATCHES alternation",
        pattern: |k| format!("[file:name MATCHES '(a{k}|b{k})\\\\.exe']"),
        object: |k| json!({"type": "file", "name": format!("b{k}.exe")}),
    },
    Kind {
        name: "ISSUBSET",
        pattern: |k| format!("[ipv4-addr:value ISSUBSET '10.{}.{}.0/24']", k >> 8, k & 255),
        object: |k| json!({"type": "ipv4-addr", "value": format!("10.{}.{}.77", k >> 8, k & 255)}),
    },
    Kind {
        name: "ISSUBSET via reference",
        pattern: |k| {
            format!("[network-traffic:dst_ref.value ISSUBSET '172.{}.{}.0/24']", k >> 8, k & 255)
        },
        object: |k| json!({"type": "network-traffic", "dst_ref": "1", "x": format!("172.{}.{}.9", k >> 8, k & 255)}),
    },
    Kind {
        name: "ISSUPERSET",
        pattern: |k| format!("[ipv4-addr:value ISSUPERSET '10.{}.{}.5']", k >> 8, k & 255),
        object: |k| json!({"type": "ipv4-addr", "value": format!("10.{}.{}.0/28", k >> 8, k & 255)}),
    },
    Kind {
        name: "AND picks the selective side",
        pattern: |k| format!("[file:size > 10 AND file:hashes.MD5 = '{k:032x}']"),
        object: |k| json!({"type": "file", "size": 11, "hashes": {"MD5": format!("{k:032x}")}}),
    },
    Kind {
        name: "observation AND",
        pattern: |k| format!("[file:name = 'n{k}'] AND [file:size > 10]"),
        object: |k| json!([{"type": "file", "name": format!("n{k}")}, {"type": "file", "size": 11}]),
    },
    Kind {
        name: "observation OR, qualified",
        pattern: |k| format!("([file:name = 'o{k}'] OR [file:size > 100000]) WITHIN 60 SECONDS"),
        object: |k| json!({"type": "file", "name": format!("o{k}"), "size": 1}),
    },
];

/// Observed data with `object` (a list: one observed-data per object); an object with
/// `dst_ref` comes with the address (its `x`) it refers to.
fn observation_of(object: Value) -> Value {
    let objects = match object {
        Value::Array(objects) => objects,
        object => vec![object],
    };
    let list: Vec<Value> = objects
        .into_iter()
        .enumerate()
        .map(|(n, object)| {
            let mut objects = json!({"0": object});
            if objects["0"].get("dst_ref").is_some() {
                let address = objects["0"]["x"].clone();
                objects["1"] = json!({"type": "ipv4-addr", "value": address});
            }
            observed(n, 0, 1, objects)
        })
        .collect();
    Value::Array(list)
}

#[test]
fn candidates_do_not_grow_with_the_number_of_patterns() {
    for kind in KINDS {
        // Pattern 7 is the one the observation hits; the others are of the same kind and miss.
        let target = 7;
        let data = observation_of((kind.object)(target));
        let observations = pattern::Observations::from_json(&[&data]).unwrap();
        let mut counts = Vec::new();
        for n in [20, 2_000] {
            let texts: Vec<String> = (0..n).map(kind.pattern).collect();
            let patterns = parse_all(&texts);
            let set = pattern::PatternSet::new(&patterns, pattern::Version::V2_1).unwrap();
            let (matched, errors) = set.matches(&observations);
            assert!(errors.is_empty(), "{}: {errors:?}", kind.name);
            assert_eq!(matched, vec![target], "{}", kind.name);
            counts.push(set.candidates(&observations).len());
        }
        assert_eq!(counts[0], counts[1], "{}: candidates for 20 and 2000 patterns", kind.name);
        assert!(counts[0] <= 2, "{}: {} candidates", kind.name, counts[0]);
    }
}

#[test]
fn other_comparisons_are_candidates_when_their_type_occurs() {
    let texts: Vec<String> = (0..50)
        .map(|k| format!("[file:name != 'f{k}']"))
        .chain(["[domain-name:value = 'x.example']".to_owned()])
        .collect();
    let set = pattern::PatternSet::new(&parse_all(&texts), pattern::Version::V2_1).unwrap();
    let domain = observation_of(json!({"type": "domain-name", "value": "y.example"}));
    let observations = pattern::Observations::from_json(&[&domain]).unwrap();
    assert!(set.candidates(&observations).is_empty());
    let file = observation_of(json!({"type": "file", "name": "f3"}));
    let observations = pattern::Observations::from_json(&[&file]).unwrap();
    assert_eq!(set.candidates(&observations).len(), 50);
    assert_eq!(set.matches(&observations).0.len(), 49);
}

#[test]
fn ranges_bring_only_the_bounds_a_value_passes() {
    let texts: Vec<String> = (0..1000)
        .map(|k| format!("[file:size > {k}]"))
        .chain((0..1000).map(|k| format!("[file:size <= {}]", k as f64 + 0.5)))
        .collect();
    let set = pattern::PatternSet::new(&parse_all(&texts), pattern::Version::V2_1).unwrap();
    let data = observation_of(json!({"type": "file", "size": 5}));
    let observations = pattern::Observations::from_json(&[&data]).unwrap();
    let (matched, _) = set.matches(&observations);
    // `> 0` … `> 4`, and `<= 5.5` … `<= 999.5`.
    assert_eq!(matched.len(), 5 + 995);
    // Candidates: the bounds at or below 5 for `>`, at or above 5 for `<=`.
    assert_eq!(set.candidates(&observations).len(), 6 + 995);
}

#[test]
fn many_literal_matches_in_one_value_stay_bounded_and_exact() {
    // Literals `a`, `aa`, … each occur at almost every position of a long run of `a`s.
    let texts: Vec<String> =
        (1..200).map(|n| format!("[x-log:line LIKE '%{}b%']", "a".repeat(n))).collect();
    let set = pattern::PatternSet::new(&parse_all(&texts), pattern::Version::V2_1).unwrap();
    let line = "a".repeat(5_000) + "b";
    let data = observation_of(json!({"type": "x-log", "line": line}));
    let observations = pattern::Observations::from_json(&[&data]).unwrap();
    assert_eq!(set.matches(&observations).0, (0..199).collect::<Vec<_>>());
    let data = observation_of(json!({"type": "x-log", "line": "a".repeat(5_000)}));
    let observations = pattern::Observations::from_json(&[&data]).unwrap();
    assert!(set.matches(&observations).0.is_empty());
}

#[test]
fn stix_2_1_patterns_never_match_sdos() {
    let set = pattern::PatternSet::new(
        &parse_all(&["[indicator:name = 'x']".to_owned()]),
        pattern::Version::V2_1,
    )
    .unwrap();
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "observed-data", "id": "observed-data--1", "first_observed": "2024-01-01T00:00:00Z",
         "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["indicator--1"]},
        {"type": "indicator", "id": "indicator--1", "name": "x"}]});
    let observations = pattern::Observations::from_json(&[&bundle]).unwrap();
    assert!(set.matches(&observations).0.is_empty());
    let set = pattern::PatternSet::new(
        &parse_all(&["[indicator:name = 'x']".to_owned()]),
        pattern::Version::V2_0,
    )
    .unwrap();
    assert_eq!(set.matches(&observations).0, vec![0]);
}

#[test]
fn numbers_that_share_an_f64_are_told_apart() {
    let texts = [
        "[x-event:n = 9007199254740993]".to_owned(),
        "[x-event:n = 9007199254740992.0]".to_owned(),
    ];
    let set = pattern::PatternSet::new(&parse_all(&texts), pattern::Version::V2_1).unwrap();
    let data = observation_of(json!({"type": "x-event", "n": 9007199254740992u64}));
    let observations = pattern::Observations::from_json(&[&data]).unwrap();
    // Both are candidates (the same `f64` key); evaluation keeps the one that is equal.
    assert_eq!(set.candidates(&observations), vec![0, 1]);
    assert_eq!(set.matches(&observations).0, vec![1]);
}
