//! Indicator sources recognised by `source::load`, and saved indexes.

use matcher::source::{self, Source};
use matcher::{IndicatorSet, Scratch};

use crate::sample;

fn now() -> stix::Timestamp {
    "2025-01-01T00:00:00Z".parse().unwrap()
}

#[track_caller]
fn load(path: &str) -> source::Loaded {
    match source::load(&sample(path), &now()).unwrap() {
        Source::Indicators(loaded) => loaded,
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_kind_of_source() {
    let list = load("indicators/list.txt");
    assert_eq!((list.indicators.len(), list.rejected.len()), (12, 1));
    let bundle = load("indicators/bundle.json");
    let rendered: Vec<String> =
        bundle.indicators.iter().map(|i| format!("{i} {}", i.id().unwrap())).collect();
    insta::assert_snapshot!(rendered.join("\n"), @"
    domain:evil.example 00000001-1111-4111-8111-111111111111
    ipv4:198.51.100.0/24 00000002-1111-4111-8111-111111111111
    ipv6:2001:db8:bad::/48 00000002-1111-4111-8111-111111111111
    url:http://malware.example/payload.exe 00000003-1111-4111-8111-111111111111
    sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb 00000003-1111-4111-8111-111111111111
    email:attacker@phish.example 00000007-1111-4111-8111-111111111111
    ");
    assert_eq!((bundle.revoked, bundle.expired, bundle.unusable), (1, 1, 1));
    let misp = load("indicators/misp-event.json");
    let rendered: Vec<String> = misp.indicators.iter().map(ToString::to_string).collect();
    assert_eq!(
        rendered,
        ["domain:evil.example", "ipv4:198.51.100.77", "md5:0cc175b9c0f1b6a831c399e269772661"]
    );
    let error =
        source::load(&sample("indicators/warninglist-public-dns.json"), &now()).unwrap_err();
    assert!(
        error.to_string().ends_with("this is a MISP warninglist, not an indicator source"),
        "{error}"
    );
}

#[test]
fn saved_index_round_trip_through_a_file() {
    let set = IndicatorSet::compile(load("indicators/bundle.json").indicators, &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("indicators.idx");
    set.save(&path).unwrap();
    let Source::Index(loaded) = source::load(&path, &now()).unwrap() else { panic!("an index") };
    assert_eq!(loaded.to_bytes(), set.to_bytes());
    let hit = loaded.lookup("www.evil.example", &mut Scratch::default()).unwrap();
    let ids: Vec<String> = loaded.entry(hit.entry).ids().map(|id| id.to_string()).collect();
    assert_eq!(ids, ["00000001-1111-4111-8111-111111111111"]);
    // Recompiling a loaded set's indicators gives the same values and ids.
    let again = IndicatorSet::compile(loaded.indicators(), &[]);
    let values = |s: &IndicatorSet| {
        s.entries().map(|e| (e.value().to_owned(), e.ids().collect::<Vec<_>>())).collect::<Vec<_>>()
    };
    assert_eq!(values(&again), values(&set));
}

#[test]
fn truncated_index_files_are_errors() {
    let set = IndicatorSet::compile(load("indicators/list.txt").indicators, &[]);
    let bytes = set.to_bytes();
    for cut in [0, 8, 16, 40, bytes.len() / 2, bytes.len() - 1] {
        assert!(IndicatorSet::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}
