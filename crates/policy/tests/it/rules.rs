//! One test per rule of `decide`, through one `check` helper that renders the decision.

use std::collections::BTreeSet;

use policy::{
    Agreement, Audience, Context, Decision, Edit, MarkingMeaning, OrgId, PiiCategory, PiiForm,
    Policy, Provenance, Recipient, Unmarked, UserId, decide, redact,
};
use serde_json::{Value, json};
use stix::Tlp;

use crate::world::{self, CLIENT, COMMUNITY, HOLDER, PEER, SOURCE, STRANGER};

/// Who receives, as a short string: `user:ORG`, `named:ORG`, `partner:ORG`, `export:ORG`,
/// `community:NAME`, `public`; and the holder's role: `source`, `recipient`, `onward`.
#[track_caller]
fn check_with(
    policy: &Policy,
    agreement: &Agreement,
    object: &stix::Object,
    to: &str,
    role: &str,
) -> String {
    check_reviewed(policy, agreement, object, to, role, false)
}

#[track_caller]
fn check_reviewed(
    policy: &Policy,
    agreement: &Agreement,
    object: &stix::Object,
    to: &str,
    role: &str,
    reviewed: bool,
) -> String {
    let holder = OrgId::new(HOLDER);
    let mut provenance = match role {
        "source" => Provenance::local(&holder),
        "recipient" => Provenance::received(&OrgId::new(SOURCE), &OrgId::new(SOURCE)),
        "onward" => Provenance::received(&OrgId::new(SOURCE), &OrgId::new(PEER)),
        other => panic!("unknown role {other}"),
    };
    provenance.named_users.insert(UserId::new("alice"));
    provenance.collection = Some("shared".into());
    let now = world::now();
    let mut context = Context::new(&provenance, &now, b"partner key");
    context.reviewed = reviewed;
    let (kind, name) = to.split_once(':').unwrap_or((to, ""));
    let org = OrgId::new(name);
    let (alice, bob) = (UserId::new("alice"), UserId::new("bob"));
    let recipient = match kind {
        "user" => Recipient::User { user: &bob, org: &org },
        "named" => Recipient::User { user: &alice, org: &org },
        "partner" => Recipient::Partner { node: "peer", org: &org, agreement },
        "export" => Recipient::Export { feed: "rpz", audience: Audience::Org(&org) },
        "community" => Recipient::Export { feed: "misp", audience: Audience::Community(name) },
        "public" => Recipient::Export { feed: "atom", audience: Audience::Public },
        other => panic!("unknown recipient {other}"),
    };
    render(object, &decide(object, &recipient, policy, &context))
}

fn render(object: &stix::Object, decision: &Decision) -> String {
    match decision {
        Decision::Share => "share".into(),
        Decision::Withhold(reason) => format!("withhold {}", reason.code()),
        Decision::ShareRedacted(r) => {
            let edits: Vec<String> = r
                .edits()
                .iter()
                .map(|e| match &e.edit {
                    Edit::Remove(p) => format!("-{p}"),
                    Edit::Set(p, v) => {
                        format!("{p}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    }
                })
                .collect();
            let out = serde_json::to_value(redact(object, r)).unwrap_or(Value::Null);
            let findings = stix::validate::validate(&out, &stix::validate::Options::default());
            assert!(!stix::validate::has_errors(&findings), "invalid redacted STIX: {findings:?}");
            format!("redacted {}", edits.join(" "))
        }
    }
}

fn agreement(partner: &str, highest: Tlp) -> Agreement {
    let mut a = Agreement::new("test", OrgId::new(partner), highest);
    a.pseudonymise_submitters = false;
    a
}

#[track_caller]
fn check(object: &stix::Object, to: &str, role: &str) -> String {
    let partner = to.strip_prefix("partner:").unwrap_or(CLIENT);
    check_with(&world::policy(), &agreement(partner, Tlp::AmberStrict), object, to, role)
}

fn marked(level: Tlp) -> stix::Object {
    world::indicator(&[level.marking_id()])
}

#[test]
fn clear_goes_to_anyone() {
    for to in ["user:stranger", "partner:stranger", "public", "community:other"] {
        assert_eq!(check(&marked(Tlp::Clear), to, "onward"), "share", "{to}");
    }
}

#[test]
fn green_stays_in_the_community() {
    let o = marked(Tlp::Green);
    assert_eq!(check(&o, &format!("partner:{PEER}"), "recipient"), "share");
    assert_eq!(check(&o, &format!("community:{COMMUNITY}"), "onward"), "share");
    assert_eq!(
        check(&o, &format!("partner:{STRANGER}"), "recipient"),
        "withhold tlp.green.outside-community"
    );
    // The source chooses its recipients (GREEN is never narrower than AMBER).
    assert_eq!(check(&o, &format!("partner:{STRANGER}"), "source"), "share");
    assert_eq!(check(&o, "public", "source"), "withhold tlp.green.outside-community");
    assert_eq!(check(&o, "community:elsewhere", "source"), "withhold tlp.green.outside-community");
}

#[test]
fn amber_reaches_the_recipient_org_and_its_clients_only() {
    let o = marked(Tlp::Amber);
    assert_eq!(check(&o, &format!("user:{HOLDER}"), "recipient"), "share");
    assert_eq!(check(&o, &format!("partner:{CLIENT}"), "recipient"), "share");
    assert_eq!(check(&o, &format!("export:{HOLDER}"), "onward"), "share");
    // A community peer is not a client.
    assert_eq!(check(&o, &format!("partner:{PEER}"), "recipient"), "withhold tlp.amber.not-client");
    // A holder that got it as a client may not pass it to its own clients.
    assert_eq!(check(&o, &format!("partner:{CLIENT}"), "onward"), "withhold tlp.amber.not-client");
    // The source chooses its recipient organisation.
    assert_eq!(check(&o, &format!("partner:{PEER}"), "source"), "share");
    assert_eq!(
        check(&o, &format!("community:{COMMUNITY}"), "source"),
        "withhold tlp.amber.not-client"
    );
}

#[test]
fn amber_strict_never_leaves_the_recipient_org() {
    let o = marked(Tlp::AmberStrict);
    assert_eq!(check(&o, &format!("user:{HOLDER}"), "recipient"), "share");
    assert_eq!(
        check(&o, &format!("partner:{CLIENT}"), "recipient"),
        "withhold tlp.amber-strict.outside-org"
    );
    assert_eq!(
        check(&o, &format!("user:{CLIENT}"), "recipient"),
        "withhold tlp.amber-strict.outside-org"
    );
    assert_eq!(check(&o, &format!("partner:{CLIENT}"), "source"), "share");
}

#[test]
fn red_only_for_named_users_never_by_sync_export_or_feed() {
    let o = marked(Tlp::Red);
    assert_eq!(check(&o, &format!("named:{HOLDER}"), "recipient"), "share");
    assert_eq!(check(&o, &format!("user:{HOLDER}"), "recipient"), "withhold tlp.red.not-named");
    for to in [format!("partner:{CLIENT}"), format!("export:{HOLDER}"), "public".into()] {
        assert_eq!(check(&o, &to, "source"), "withhold tlp.red.never-leaves", "{to}");
    }
}

#[test]
fn tlp1_ids_mean_their_tlp2_level() {
    let white = world::indicator(&["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]);
    let amber = world::indicator(&["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]);
    let red = world::indicator(&["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]);
    assert_eq!(check(&white, "public", "onward"), "share");
    assert_eq!(check(&amber, &format!("partner:{CLIENT}"), "recipient"), "share");
    assert_eq!(
        check(&amber, &format!("partner:{PEER}"), "recipient"),
        "withhold tlp.amber.not-client"
    );
    assert_eq!(
        check(&red, &format!("partner:{CLIENT}"), "source"),
        "withhold tlp.red.never-leaves"
    );
}

#[test]
fn markings_combine_as_all_of_and_unknown_is_red() {
    let o = world::indicator(&[Tlp::Clear.marking_id(), Tlp::AmberStrict.marking_id()]);
    assert_eq!(
        check(&o, &format!("partner:{CLIENT}"), "recipient"),
        "withhold tlp.amber-strict.outside-org"
    );
    let unknown = world::indicator(&[
        Tlp::Clear.marking_id(),
        "marking-definition--00000000-0000-4000-8000-000000000001",
    ]);
    assert_eq!(check(&unknown, &format!("user:{HOLDER}"), "source"), "withhold tlp.red.not-named");
    let malformed = world::object(
        json!({"type": "x-thing", "id": "x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "object_marking_refs": "nope"}),
    );
    assert_eq!(check(&malformed, "public", "source"), "withhold tlp.red.never-leaves");
}

#[test]
fn unmarked_gets_the_node_default_never_clear() {
    let o = world::indicator(&[]);
    assert_eq!(check(&o, &format!("partner:{CLIENT}"), "recipient"), "share");
    assert_eq!(check(&o, &format!("partner:{PEER}"), "recipient"), "withhold tlp.amber.not-client");
    let mut strict = world::policy();
    strict.unmarked = Unmarked::Red;
    let a = agreement(CLIENT, Tlp::AmberStrict);
    assert_eq!(
        check_with(&strict, &a, &o, &format!("user:{HOLDER}"), "source"),
        "withhold tlp.red.not-named"
    );
    // A statement marking is not a TLP marking: the default still applies.
    let statement = "marking-definition--11111111-1111-4111-8111-111111111111";
    strict.known_markings.insert(statement.into(), MarkingMeaning::Statement);
    let o = world::indicator(&[statement]);
    assert_eq!(check_with(&strict, &a, &o, "public", "source"), "withhold tlp.red.never-leaves");
}

#[test]
fn agreement_limits() {
    let o = marked(Tlp::Amber);
    let to = format!("partner:{CLIENT}");
    let policy = world::policy();
    let run = |a: &Agreement| check_with(&policy, a, &o, &to, "recipient");
    assert_eq!(run(&agreement(CLIENT, Tlp::Green)), "withhold agreement.highest-tlp");
    assert_eq!(run(&agreement(PEER, Tlp::Amber)), "withhold agreement.wrong-partner");
    let mut a = agreement(CLIENT, Tlp::Amber);
    a.object_types = Some(BTreeSet::from(["malware".to_owned()]));
    assert_eq!(run(&a), "withhold agreement.object-type");
    let mut a = agreement(CLIENT, Tlp::Amber);
    a.collections = Some(BTreeSet::from(["other".to_owned()]));
    assert_eq!(run(&a), "withhold agreement.collection");
    let mut a = agreement(CLIENT, Tlp::Amber);
    a.require_labels = BTreeSet::from(["energy".to_owned()]);
    assert_eq!(run(&a), "withhold agreement.label-missing");
    let mut a = agreement(CLIENT, Tlp::Amber);
    a.valid_until = Some("2026-03-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(run(&a), "withhold agreement.not-in-force");
    let mut labelled = o.as_map().clone();
    labelled.insert("labels".into(), json!(["internal-only"]));
    let labelled = world::object(Value::Object(labelled));
    let mut a = agreement(CLIENT, Tlp::Amber);
    a.exclude_labels = BTreeSet::from(["internal-only".to_owned()]);
    assert_eq!(
        check_with(&policy, &a, &labelled, &to, "recipient"),
        "withhold agreement.label-excluded"
    );
}

fn report_with_granular() -> stix::Object {
    world::object(json!({
        "type": "report", "spec_version": "2.1", "id": "report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "Campaign", "description": "secret", "published": "2026-01-01T00:00:00.000Z",
        "labels": ["a", "b", "c"],
        "object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],
        "object_marking_refs": [Tlp::Green.marking_id()],
        "granular_markings": [
            {"marking_ref": Tlp::Red.marking_id(), "selectors": ["description", "labels.[0]"]},
            {"marking_ref": Tlp::Green.marking_id(), "selectors": ["labels.[2]", "labels.[0]"]},
        ],
    }))
}

#[test]
fn granular_markings_withhold_exactly_the_marked_properties() {
    let o = report_with_granular();
    // The RED entry goes with what it covers; the GREEN one loses `labels.[0]` and is re-indexed.
    assert_eq!(
        check(&o, &format!("partner:{PEER}"), "recipient"),
        format!(
            "redacted -description -labels.[0] granular_markings={}",
            json!([{"marking_ref": Tlp::Green.marking_id(), "selectors": ["labels.[1]"]}])
        )
    );
    assert_eq!(check(&o, &format!("named:{HOLDER}"), "recipient"), "share");
    // Covering a required property withholds the whole object.
    let mut map = o.as_map().clone();
    map.insert(
        "granular_markings".into(),
        json!([{"marking_ref": Tlp::Red.marking_id(), "selectors": ["name"]}]),
    );
    let required = world::object(Value::Object(map.clone()));
    assert_eq!(
        check(&required, &format!("partner:{PEER}"), "recipient"),
        "withhold granular.unredactable"
    );
    map.insert(
        "granular_markings".into(),
        json!([{"marking_ref": Tlp::Red.marking_id(), "selectors": ["object_marking_refs"]}]),
    );
    let markings = world::object(Value::Object(map));
    assert_eq!(
        check(&markings, &format!("partner:{PEER}"), "recipient"),
        "withhold granular.unredactable"
    );
}

fn pii_agreement(form: PiiForm) -> Agreement {
    let mut a = agreement(CLIENT, Tlp::Amber);
    for c in PiiCategory::ALL {
        if form != PiiForm::Truncate || c.can_truncate() {
            a.pii.set(c, form);
        }
    }
    a
}

#[track_caller]
fn pii(object: Value, form: PiiForm) -> String {
    let mut object = object;
    object["object_marking_refs"] = json!([Tlp::Clear.marking_id()]);
    let object = world::object(object);
    check_with(
        &world::policy(),
        &pii_agreement(form),
        &object,
        &format!("partner:{CLIENT}"),
        "recipient",
    )
}

#[test]
fn structured_personal_data_per_agreement() {
    let email = json!({"type": "email-addr", "spec_version": "2.1",
        "id": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3", "value": "john@corp.example"});
    assert_eq!(pii(email.clone(), PiiForm::Drop), "withhold pii.drop");
    assert_eq!(pii(email.clone(), PiiForm::Pass), "share");
    let truncated = pii(email.clone(), PiiForm::Truncate);
    assert!(
        truncated.starts_with("redacted value=redacted@corp.example id=email-addr--"),
        "{truncated}"
    );
    let pseudo = pii(email, PiiForm::Pseudonymise);
    assert!(pseudo.contains("@pseudonym.invalid id=email-addr--"), "{pseudo}");
    let victim = json!({"type": "ipv4-addr", "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "10.1.2.3"});
    assert_eq!(pii(victim.clone(), PiiForm::Drop), "withhold pii.drop");
    assert!(
        pii(victim, PiiForm::Truncate).starts_with("redacted value=10.1.2.0/24 id=ipv4-addr--")
    );
    let public = json!({"type": "ipv4-addr", "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.1"});
    assert_eq!(pii(public, PiiForm::Drop), "share");
    let declared = json!({"type": "ipv4-addr", "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "203.0.113.9"});
    assert_eq!(pii(declared, PiiForm::Drop), "withhold pii.drop");
    let person = json!({"type": "identity", "spec_version": "2.1", "id": "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "John Doe", "identity_class": "individual", "contact_information": "john@corp.example"});
    assert_eq!(pii(person.clone(), PiiForm::Drop), "withhold pii.drop");
    let p = pii(person, PiiForm::Pseudonymise);
    assert!(
        p.starts_with("redacted name=individual-") && p.ends_with(" -contact_information"),
        "{p}"
    );
    let account = json!({"type": "user-account", "spec_version": "2.1",
        "id": "user-account--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "account_login": "jdoe", "credential": "hunter2"});
    assert_eq!(pii(account.clone(), PiiForm::Drop), "withhold pii.drop");
    let p = pii(account, PiiForm::Pseudonymise);
    assert!(p.contains("account_login=user-") && p.contains("-credential"), "{p}");
}

fn note(content: &str) -> Value {
    json!({"type": "note", "spec_version": "2.1", "id": "note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "content": content, "authors": ["Jane Roe"],
        "object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]})
}

#[test]
fn free_text_personal_data_and_review() {
    assert_eq!(
        pii(
            note(
                "Ask jdoe[@]corp[.]example or call +33 1 23 45 67 89; host 10.0.0.5 hit evil[.]example"
            ),
            PiiForm::Drop
        ),
        "redacted -authors.[0] content=Ask [redacted] or call [redacted]; host [redacted] hit evil[.]example"
    );
    assert_eq!(
        pii(note("host 10.0.0.5 and ｊｄｏｅ＠corp.example"), PiiForm::Truncate),
        "redacted -authors.[0] content=host 10.0.0.0/24 and redacted@corp.example"
    );
    assert_eq!(pii(note("contact: Jane Roe at the plant"), PiiForm::Drop), "withhold pii.review");
    assert_eq!(pii(note("contact: Jane Roe at the plant"), PiiForm::Pass), "share");
    // Once a person has reviewed the uncertain finding and found no personal data, it no
    // longer holds the object back; certain findings are still minimised.
    let mut unsure = note("contact: Jane Roe at the plant, or jdoe@corp.example");
    unsure["object_marking_refs"] = json!([Tlp::Clear.marking_id()]);
    let unsure = world::object(unsure);
    let (policy, a) = (world::policy(), pii_agreement(PiiForm::Drop));
    let to = format!("partner:{CLIENT}");
    assert_eq!(
        check_reviewed(&policy, &a, &unsure, &to, "recipient", false),
        "withhold pii.review"
    );
    assert_eq!(
        check_reviewed(&policy, &a, &unsure, &to, "recipient", true),
        "redacted -authors.[0] content=contact: Jane Roe at the plant, or [redacted]"
    );
    // Inside the holder organisation nothing is minimised.
    let inside = world::object(note("contact: Jane Roe, jdoe@corp.example"));
    assert_eq!(check(&inside, &format!("user:{HOLDER}"), "recipient"), "share");
}

#[test]
fn personal_data_crossing_a_border_is_not_passed_by_default() {
    let mut a = agreement(STRANGER, Tlp::Clear);
    a.pii.set(PiiCategory::EmailAddress, PiiForm::Pass);
    let email = world::object(json!({"type": "email-addr", "spec_version": "2.1",
        "id": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3", "value": "john@corp.example",
        "object_marking_refs": [Tlp::Clear.marking_id()]}));
    let out = check_with(&world::policy(), &a, &email, &format!("partner:{STRANGER}"), "recipient");
    assert!(out.contains("@pseudonym.invalid"), "{out}");
}

#[test]
fn submitters_are_pseudonymised_per_partner() {
    let creator = "identity--11111111-1111-4111-8111-111111111111";
    let mut o = world::indicator(&[Tlp::Clear.marking_id()]).into_map();
    o.insert("created_by_ref".into(), json!(creator));
    let o = world::object(Value::Object(o));
    let mut a = agreement(CLIENT, Tlp::Amber);
    a.pseudonymise_submitters = true;
    let out = check_with(&world::policy(), &a, &o, &format!("partner:{CLIENT}"), "recipient");
    assert!(
        out.starts_with("redacted created_by_ref=identity--") && !out.contains(creator),
        "{out}"
    );
}
