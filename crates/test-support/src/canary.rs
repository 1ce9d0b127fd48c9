//! A canary corpus and a leak oracle for sharing-policy tests (SECURITY.md "test harness").
//!
//! [`corpus`] builds STIX objects at every marking (TLP 2.0 and 1.0 ids, unmarked, an unknown
//! marking), with granular markings, and with personal data in structured and free-text fields.
//! Every object id and every field value holds a unique token, recorded as a [`Canary`] with
//! the level that protects it and whether it is personal data. The scenario is fixed: the
//! holder is `eu-cert` (DE), which received every object from its source `us-cert` (US), so it
//! is the TLP recipient organisation; `eu-energy-op` (FR) is its declared client, and with
//! `eu-isac` (NL) a member of the `eu-csirts` community the holder belongs to; `stranger` (US)
//! has no relation.
//!
//! [`Corpus::leaks`] is the oracle: given any output (a TAXII response body, a sync batch, an
//! export file, a log line) and who received it, it lists the canaries in it that the viewer
//! may not see, by a reference model written as a table. Server and federation tests reuse it.

use serde_json::{Value, json};
use stix::Tlp;

/// How a viewer stands to the holder organisation `eu-cert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A user or system of the holder organisation itself.
    SameOrg,
    /// The holder's declared client (`eu-energy-op`, also a community member).
    Client,
    /// A member of one of the holder's communities (`eu-isac`).
    Community,
    /// Anyone else (`stranger`, the public).
    Stranger,
}

/// Who received an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// The receiving organisation's relation to the holder.
    pub relation: Relation,
    /// A user on the holder's node named as a TLP:RED recipient.
    pub named: bool,
    /// The output leaves the node (federation, export, feed): TLP:RED never does.
    pub leaves_node: bool,
    /// Personal data may reach this viewer unminimised (only inside the holder organisation,
    /// unless an agreement says `pass`).
    pub personal_data: bool,
}

/// One unique token in the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    /// The token as it appears in the JSON.
    pub token: String,
    /// The id of the object holding it.
    pub object: String,
    /// Where in the object, e.g. `description`.
    pub field: String,
    /// The level protecting it: the object's level, or a stricter granular marking's.
    pub level: Tlp,
    /// Whether the token is personal data.
    pub personal: bool,
}

/// The corpus: objects (as JSON) and their canaries.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The objects, marking definitions excluded (the TLP ones are public).
    pub objects: Vec<Value>,
    /// Every token.
    pub canaries: Vec<Canary>,
}

/// A marking no node knows: objects carrying it are treated as TLP:RED.
pub const UNKNOWN_MARKING: &str = "marking-definition--00000000-0000-4000-8000-00000000dead";

/// The level unmarked corpus objects are expected to get (the node default in the scenario).
pub const UNMARKED_LEVEL: Tlp = Tlp::Amber;

impl Corpus {
    /// The canaries present in `output` that `viewer` may not see.
    pub fn leaks(&self, output: &str, viewer: &Viewer) -> Vec<Canary> {
        self.canaries
            .iter()
            .filter(|c| output.contains(&c.token) && !may_see(c, viewer))
            .cloned()
            .collect()
    }

    /// The canaries present in `output`.
    pub fn present(&self, output: &str) -> Vec<&Canary> {
        self.canaries.iter().filter(|c| output.contains(&c.token)).collect()
    }
}

/// The reference model: TLP 2.0 for a holder that is the recipient organisation, as a table.
pub fn may_see(canary: &Canary, viewer: &Viewer) -> bool {
    use Relation::*;
    let tlp = match canary.level {
        Tlp::Clear => true,
        Tlp::Green => matches!(viewer.relation, SameOrg | Client | Community),
        Tlp::Amber => matches!(viewer.relation, SameOrg | Client),
        Tlp::AmberStrict => viewer.relation == SameOrg,
        Tlp::Red => viewer.named && !viewer.leaves_node,
    };
    tlp && (!canary.personal || viewer.personal_data)
}

struct Builder {
    corpus: Corpus,
    next: u32,
}

impl Builder {
    fn token(&mut self) -> String {
        self.next += 1;
        format!("cnry{:04}", self.next)
    }

    fn uuid(&mut self) -> String {
        self.next += 1;
        format!("0000{:04}-0000-4000-8000-{:012}", self.next, self.next)
    }

    fn record(&mut self, token: &str, object: &str, field: &str, level: Tlp, personal: bool) {
        self.corpus.canaries.push(Canary {
            token: token.to_owned(),
            object: object.to_owned(),
            field: field.to_owned(),
            level,
            personal,
        });
    }

    fn push(&mut self, object: Value) {
        self.corpus.objects.push(object);
    }
}

const CREATED: &str = "2026-01-01T00:00:00.000Z";

/// Builds the corpus.
pub fn corpus() -> Corpus {
    let mut b = Builder { corpus: Corpus::default(), next: 0 };
    let markings: Vec<(Option<&str>, Tlp)> = vec![
        (Some(Tlp::Clear.marking_id()), Tlp::Clear),
        (Some(Tlp::Green.marking_id()), Tlp::Green),
        (Some(Tlp::Amber.marking_id()), Tlp::Amber),
        (Some(Tlp::AmberStrict.marking_id()), Tlp::AmberStrict),
        (Some(Tlp::Red.marking_id()), Tlp::Red),
        // TLP 1.0 WHITE, GREEN, AMBER, RED.
        (Some("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"), Tlp::Clear),
        (Some("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"), Tlp::Green),
        (Some("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"), Tlp::Amber),
        (Some("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"), Tlp::Red),
        (None, UNMARKED_LEVEL),
        (Some(UNKNOWN_MARKING), Tlp::Red),
    ];
    let mut indicators = Vec::new();
    for (marking, level) in &markings {
        let id = format!("indicator--{}", b.uuid());
        let (name, domain, desc) = (b.token(), b.token(), b.token());
        b.record(&id, &id, "id", *level, false);
        b.record(&name, &id, "name", *level, false);
        b.record(&domain, &id, "pattern", *level, false);
        b.record(&desc, &id, "description", *level, false);
        let mut object = json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": CREATED, "modified": CREATED,
            "name": name, "description": format!("Indicator {desc} for the corpus."),
            "pattern": format!("[domain-name:value = '{domain}.example']"), "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
        });
        if let Some(m) = marking {
            object["object_marking_refs"] = json!([m]);
        }
        indicators.push((id, *level));
        b.push(object);
    }
    // All-of: GREEN together with AMBER+STRICT is AMBER+STRICT.
    let id = format!("indicator--{}", b.uuid());
    let name = b.token();
    b.record(&id, &id, "id", Tlp::AmberStrict, false);
    b.record(&name, &id, "name", Tlp::AmberStrict, false);
    b.push(json!({
        "type": "indicator", "spec_version": "2.1", "id": id, "created": CREATED, "modified": CREATED,
        "name": name, "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [Tlp::Green.marking_id(), Tlp::AmberStrict.marking_id()],
    }));

    // A GREEN report with a RED description and an AMBER+STRICT label (granular markings), and
    // references to indicators at every level: the hidden ones must vanish from object_refs.
    let report = format!("report--{}", b.uuid());
    let (rname, rdesc, label0, label1) = (b.token(), b.token(), b.token(), b.token());
    b.record(&report, &report, "id", Tlp::Green, false);
    b.record(&rname, &report, "name", Tlp::Green, false);
    b.record(&rdesc, &report, "description", Tlp::Red, false);
    b.record(&label0, &report, "labels.[0]", Tlp::Green, false);
    b.record(&label1, &report, "labels.[1]", Tlp::AmberStrict, false);
    b.push(json!({
        "type": "report", "spec_version": "2.1", "id": report, "created": CREATED, "modified": CREATED,
        "name": rname, "description": format!("Secret {rdesc}"), "published": CREATED,
        "report_types": ["threat-report"], "labels": [label0, label1],
        "object_refs": indicators.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        "object_marking_refs": [Tlp::Green.marking_id()],
        "granular_markings": [
            {"marking_ref": Tlp::Red.marking_id(), "selectors": ["description"]},
            {"marking_ref": Tlp::AmberStrict.marking_id(), "selectors": ["labels.[1]"]},
            {"marking_ref": Tlp::Clear.marking_id(), "selectors": ["name"]},
        ],
    }));

    // CLEAR relationships and sightings whose other end is at each level: shared only when
    // the other end is, so a hidden id never appears.
    let Some((clear_indicator, _)) = indicators.first().cloned() else { return b.corpus };
    for (target, level) in &indicators[1..] {
        let rel = format!("relationship--{}", b.uuid());
        let desc = b.token();
        b.record(&rel, &rel, "id", *level, false);
        b.record(&desc, &rel, "description", *level, false);
        b.push(json!({
            "type": "relationship", "spec_version": "2.1", "id": rel, "created": CREATED,
            "modified": CREATED, "relationship_type": "related-to", "description": desc,
            "source_ref": clear_indicator, "target_ref": target,
            "object_marking_refs": [Tlp::Clear.marking_id()],
        }));
        let sighting = format!("sighting--{}", b.uuid());
        b.record(&sighting, &sighting, "id", *level, false);
        b.push(json!({
            "type": "sighting", "spec_version": "2.1", "id": sighting, "created": CREATED,
            "modified": CREATED, "sighting_of_ref": target, "count": 1,
            "object_marking_refs": [Tlp::Clear.marking_id()],
        }));
    }

    // Personal data at TLP:CLEAR, so only minimisation stands between it and the world.
    let clear = [Tlp::Clear.marking_id()];
    let email_token = b.token();
    let email_value = format!("{email_token}@corp.example");
    let email_id = stix_sco_id("email-addr", &email_value);
    b.record(&email_token, &email_id, "value", Tlp::Clear, true);
    b.record(&email_id, &email_id, "id", Tlp::Clear, true);
    b.push(
        json!({"type": "email-addr", "spec_version": "2.1", "id": email_id, "value": email_value,
        "object_marking_refs": clear}),
    );

    let login = b.token();
    let account = format!("user-account--{}", b.uuid());
    b.record(&login, &account, "account_login", Tlp::Clear, true);
    b.push(json!({"type": "user-account", "spec_version": "2.1", "id": account,
        "account_login": login, "object_marking_refs": clear}));

    let person = format!("identity--{}", b.uuid());
    let (pname, pcontact) = (b.token(), b.token());
    b.record(&pname, &person, "name", Tlp::Clear, true);
    b.record(&pcontact, &person, "contact_information", Tlp::Clear, true);
    b.push(json!({"type": "identity", "spec_version": "2.1", "id": person, "created": CREATED,
        "modified": CREATED, "name": pname, "identity_class": "individual",
        "contact_information": format!("desk {pcontact}"), "object_marking_refs": clear}));

    let victim = "10.77.123.45";
    let victim_id = stix_sco_id("ipv4-addr", victim);
    b.record(victim, &victim_id, "value", Tlp::Clear, true);
    b.record(&victim_id, &victim_id, "id", Tlp::Clear, true);
    b.push(json!({"type": "ipv4-addr", "spec_version": "2.1", "id": victim_id, "value": victim,
        "object_marking_refs": clear}));

    // Free text: an e-mail address (defanged), a phone number, a victim address, a titled
    // name, inside a CLEAR note whose other text is public.
    let note = format!("note--{}", b.uuid());
    let (public, mail, author) = (b.token(), b.token(), b.token());
    let phone = "+49 30 5550 1234";
    let text_ip = "192.168.213.14";
    let titled = "Dr. Quentin Zyxwell";
    b.record(&note, &note, "id", Tlp::Clear, false);
    b.record(&public, &note, "abstract", Tlp::Clear, false);
    b.record(&mail, &note, "content", Tlp::Clear, true);
    b.record(phone, &note, "content", Tlp::Clear, true);
    b.record(text_ip, &note, "content", Tlp::Clear, true);
    b.record("Zyxwell", &note, "content", Tlp::Clear, true);
    b.record(&author, &note, "authors.[0]", Tlp::Clear, true);
    b.push(json!({"type": "note", "spec_version": "2.1", "id": note, "created": CREATED,
        "modified": CREATED, "abstract": format!("Public {public}"),
        "content": format!("Mail {mail}[@]corp[.]example, call {phone}; host {text_ip} was infected; thanks to {titled}."),
        "authors": [author], "object_refs": [clear_indicator], "object_marking_refs": clear}));
    b.corpus
}

/// The deterministic id of a single-valued SCO (STIX 2.1 §2.9), via the `stix` crate.
fn stix_sco_id(object_type: &str, value: &str) -> String {
    let mut map = serde_json::Map::new();
    map.insert("type".into(), Value::String(object_type.into()));
    map.insert("value".into(), Value::String(value.into()));
    stix::scoid::deterministic_id(object_type, &map)
        .map_or_else(String::new, |id| id.as_str().to_owned())
}
