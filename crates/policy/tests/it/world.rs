//! The test scenario shared by the integration tests: a German CERT holding data from a US
//! CERT, its French client, a Dutch community peer and an unrelated US stranger.

use policy::{Directory, OrgId, Organisation, Policy};
use serde_json::Value;

pub(crate) const HOLDER: &str = "eu-cert";
pub(crate) const SOURCE: &str = "us-cert";
pub(crate) const CLIENT: &str = "eu-energy-op";
pub(crate) const PEER: &str = "eu-isac";
pub(crate) const STRANGER: &str = "stranger";
pub(crate) const COMMUNITY: &str = "eu-csirts";

/// The directory and policy of the holder's node (the unmarked default is AMBER).
pub(crate) fn policy() -> Policy {
    let mut directory = Directory::new();
    let mut holder = Organisation::new(HOLDER, "DE");
    holder.clients.insert(OrgId::new(CLIENT));
    holder.communities.insert(COMMUNITY.into());
    holder.internal_ranges.push("203.0.113.0/24".parse().unwrap_or_else(|e| panic!("{e}")));
    directory.insert(holder);
    let mut client = Organisation::new(CLIENT, "FR");
    client.communities.insert(COMMUNITY.into());
    directory.insert(client);
    let mut peer = Organisation::new(PEER, "NL");
    peer.communities.insert(COMMUNITY.into());
    directory.insert(peer);
    directory.insert(Organisation::new(SOURCE, "US"));
    directory.insert(Organisation::new(STRANGER, "US"));
    Policy::new(OrgId::new(HOLDER), directory)
}

pub(crate) fn object(value: Value) -> stix::Object {
    stix::Object::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn now() -> stix::Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"))
}

/// An indicator with the given markings (none: the property is absent).
pub(crate) fn indicator(markings: &[&str]) -> stix::Object {
    let mut value = serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "Bad domain", "pattern": "[domain-name:value = 'evil.example']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
    });
    if !markings.is_empty() {
        value["object_marking_refs"] = serde_json::json!(markings);
    }
    object(value)
}
