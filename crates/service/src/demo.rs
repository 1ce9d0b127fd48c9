//! A realistic demo data set, so a newcomer sees a working node at once: three organisations
//! (a US national CERT, a German national CERT and a German energy operator that is its
//! constituent), their users and tokens, collections with different grants, the KestrelNet
//! botnet report, and generated indicators, observed data and reports at every TLP level.
//! Ids are derived from names, so loading twice changes nothing.

use serde_json::{Value, json};
use stix::Tlp;

use crate::{Error, Node};

/// What loading the demo created.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    /// `(user, token)` for each demo user, to be shown once.
    pub tokens: Vec<(String, String)>,
    /// Objects stored.
    pub objects: usize,
}

const KESTRELNET: &str =
    include_str!("../../../test-data/stix/valid/bundle-kestrelnet-c2-report.json");
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6d65_7269_6469_616e_8000_0000_0000_0001);

struct DemoOrg {
    name: &'static str,
    jurisdiction: &'static str,
    sector: &'static str,
    user: &'static str,
}

const ORGS: [DemoOrg; 3] = [
    DemoOrg {
        name: "us-cert",
        jurisdiction: "US",
        sector: "government-national",
        user: "us-analyst",
    },
    DemoOrg {
        name: "de-cert",
        jurisdiction: "DE",
        sector: "government-national",
        user: "de-analyst",
    },
    DemoOrg { name: "energie-nord", jurisdiction: "DE", sector: "energy", user: "energy-analyst" },
];

/// (alias, title, [(org, read, write)]).
type CollectionSpec = (&'static str, &'static str, &'static [(&'static str, bool, bool)]);

const COLLECTIONS: [CollectionSpec; 4] = [
    (
        "kestrelnet",
        "KestrelNet botnet report",
        &[("us-cert", true, true), ("de-cert", true, false), ("energie-nord", true, false)],
    ),
    (
        "shared-indicators",
        "Transatlantic shared indicators",
        &[("us-cert", true, true), ("de-cert", true, true), ("energie-nord", true, false)],
    ),
    (
        "de-cert-constituents",
        "DE-CERT to its constituents",
        &[("de-cert", true, true), ("energie-nord", true, false)],
    ),
    ("us-cert-internal", "US-CERT internal", &[("us-cert", true, true)]),
];

fn id(kind: &str, name: &str) -> String {
    format!("{kind}--{}", uuid::Uuid::new_v5(&NAMESPACE, format!("{kind}/{name}").as_bytes()))
}

/// Loads the demo data set unless it is already there; returns what was created.
///
/// # Errors
/// Store failures.
pub fn load(node: &Node) -> Result<Option<DemoSummary>, Error> {
    let store = node.store();
    if store.org_by_name(ORGS[0].name)?.is_some() {
        return Ok(None);
    }
    let mut summary = DemoSummary::default();
    for org in &ORGS {
        let org_id = store.add_org(org.name, org.jurisdiction, &[org.sector.to_owned()])?;
        store.add_user(org.user, org_id, false)?;
        let (_, token) = node.create_token(org.user, "demo", store::TokenScope::ReadWrite)?;
        summary.tokens.push((org.user.to_owned(), token));
    }
    for (alias, title, grants) in COLLECTIONS {
        let collection = crate::admin::add_collection(node, alias, title, None)?;
        for (org, read, write) in grants {
            let grantee = crate::admin::grantee(node, &format!("org:{org}"))?;
            store
                .grant(&collection, store::Grant { grantee, can_read: *read, can_write: *write })?;
        }
    }
    // Each organisation's objects are submitted by its demo user, who is thereby the named
    // recipient of its TLP:RED content.
    let provenance = |org: &str| -> Result<store::Provenance, Error> {
        let user = ORGS
            .iter()
            .find(|o| o.name == org)
            .and_then(|o| store.user_by_name(o.user).ok().flatten());
        Ok(store::Provenance {
            user: user.map(|u| u.id),
            org: Some(store.org_by_name(org)?.ok_or(Error::NotFound)?.id),
            peer: None,
            channel: "demo".into(),
        })
    };
    let bundle: Value =
        serde_json::from_str(KESTRELNET).map_err(|e| Error::Invalid(e.to_string()))?;
    let report: Vec<String> = bundle["objects"]
        .as_array()
        .map(|o| o.iter().map(Value::to_string).collect())
        .unwrap_or_default();
    summary.objects += node.import("kestrelnet", &report, &provenance("us-cert")?)?.added;
    summary.objects += node
        .import(
            "shared-indicators",
            &generated("us-cert", "US national CERT", 0),
            &provenance("us-cert")?,
        )?
        .added;
    summary.objects += node
        .import(
            "shared-indicators",
            &generated("de-cert", "German national CERT", 1),
            &provenance("de-cert")?,
        )?
        .added;
    summary.objects += node
        .import(
            "de-cert-constituents",
            &generated("de-cert-constituents", "German national CERT", 2),
            &provenance("de-cert")?,
        )?
        .added;
    summary.objects += node
        .import(
            "us-cert-internal",
            &generated("us-internal", "US national CERT", 3),
            &provenance("us-cert")?,
        )?
        .added;
    Ok(Some(summary))
}

/// Indicators, observed data and a report at every TLP level, created by `creator_name`.
fn generated(set: &str, creator_name: &str, seed: u8) -> Vec<String> {
    let creator = id("identity", creator_name);
    let created = format!("2026-0{}-1{}T08:00:00.000Z", 1 + seed % 9, seed % 10);
    let mut objects = vec![json!({
        "type": "identity", "spec_version": "2.1", "id": creator, "created": created, "modified": created,
        "name": creator_name, "identity_class": "organization", "sectors": ["government-national"]
    })];
    for (level_index, tlp) in (0u32..).zip(Tlp::ALL) {
        objects.push(tlp.marking_definition());
        let mut refs = Vec::new();
        for n in 0..8u32 {
            let level = tlp.extension_value().replace('+', "-");
            let domain = format!("c2-{level}-{n}.{set}.kestrel.example");
            // Distinct per set, level and number, within the documentation range 203.0.113.0/24.
            let ip = format!("203.0.113.{}", 10 + level_index * 8 + n + u32::from(seed) * 50);
            let indicator = id("indicator", &format!("{set}/{level}/{n}"));
            objects.push(json!({
                "type": "indicator", "spec_version": "2.1", "id": indicator, "created": created, "modified": created,
                "created_by_ref": creator, "name": format!("KestrelNet C2 {domain}"),
                "description": format!("Command-and-control endpoint observed in {set} sinkhole data ({}).", tlp.label()),
                "indicator_types": ["malicious-activity"],
                "pattern": format!("[domain-name:value = '{domain}'] OR [ipv4-addr:value = '{ip}']"),
                "pattern_type": "stix", "pattern_version": "2.1", "valid_from": created,
                "confidence": 60 + n * 5, "labels": ["botnet", "kestrelnet"],
                "object_marking_refs": [tlp.marking_id()]
            }));
            let dom = json!({"type": "domain-name", "spec_version": "2.1", "value": domain});
            let dom_id = sco_id(&dom);
            let addr = json!({"type": "ipv4-addr", "spec_version": "2.1", "value": ip});
            let addr_id = sco_id(&addr);
            let observed = id("observed-data", &format!("{set}/{level}/{n}"));
            for (mut sco, sco_id) in [(dom, dom_id.clone()), (addr, addr_id.clone())] {
                sco["id"] = sco_id.into();
                sco["object_marking_refs"] = json!([tlp.marking_id()]);
                objects.push(sco);
            }
            objects.push(json!({
                "type": "observed-data", "spec_version": "2.1", "id": observed, "created": created, "modified": created,
                "created_by_ref": creator, "first_observed": created, "last_observed": created,
                "number_observed": 1 + n, "object_refs": [dom_id, addr_id],
                "object_marking_refs": [tlp.marking_id()]
            }));
            refs.push(Value::String(indicator));
            refs.push(Value::String(observed));
        }
        objects.push(json!({
            "type": "report", "spec_version": "2.1", "id": id("report", &format!("{set}/{}", tlp.label())),
            "created": created, "modified": created, "created_by_ref": creator,
            "name": format!("KestrelNet infrastructure update ({})", tlp.label()), "report_types": ["threat-report"],
            "published": created, "object_refs": refs, "object_marking_refs": [tlp.marking_id()]
        }));
    }
    objects.iter().map(Value::to_string).collect()
}

fn sco_id(object: &Value) -> String {
    let map = object.as_object().cloned().unwrap_or_default();
    let ty = map.get("type").and_then(Value::as_str).unwrap_or("");
    stix::scoid::deterministic_id(ty, &map).map(|i| i.to_string()).unwrap_or_default()
}
