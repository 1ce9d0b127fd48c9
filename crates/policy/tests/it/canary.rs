//! The canary leak test: the whole corpus through `decide`, `redact` and `clean_references`
//! for every kind of recipient, and the oracle finds nothing the reference model forbids.

use std::collections::{BTreeMap, BTreeSet};

use policy::{
    Agreement, Audience, Context, Decision, OrgId, PiiCategory, PiiForm, Provenance, Recipient,
    UserId, clean_references, decide, redact,
};
use stix::Tlp;
use test_support::canary::{self, Relation, Viewer};

use crate::world::{self, CLIENT, HOLDER, PEER, SOURCE, STRANGER};

/// Runs the corpus for one recipient and returns the serialised output.
fn share(recipient: &Recipient<'_>) -> String {
    let corpus = canary::corpus();
    let policy = world::policy();
    let mut provenance = Provenance::received(&OrgId::new(SOURCE), &OrgId::new(SOURCE));
    provenance.named_users.insert(UserId::new("alice"));
    provenance.collection = Some("shared".into());
    let now = world::now();
    let context = Context::new(&provenance, &now, b"per-recipient key");
    let mut out = Vec::new();
    let mut withheld = BTreeSet::new();
    let mut renamed = BTreeMap::new();
    for value in corpus.objects {
        let object = world::object(value);
        match decide(&object, recipient, &policy, &context) {
            Decision::Share => out.push(object),
            Decision::ShareRedacted(r) => {
                if let Some((old, new)) = r.renamed() {
                    renamed.insert(old.clone(), new.clone());
                }
                out.push(redact(&object, &r));
            }
            Decision::Withhold(_) => {
                withheld.insert(object.id().clone());
            }
        }
    }
    let cleaned = clean_references(out, &withheld, &renamed);
    for o in &cleaned.objects {
        let value = serde_json::to_value(o).unwrap_or_default();
        let findings = stix::validate::validate(&value, &stix::validate::Options::default());
        assert!(!stix::validate::has_errors(&findings), "{value}: {findings:?}");
    }
    serde_json::to_string(&stix::Bundle::new(cleaned.objects)).unwrap_or_default()
}

#[track_caller]
fn check(recipient: &Recipient<'_>, viewer: Viewer) -> Vec<String> {
    let corpus = canary::corpus();
    let output = share(recipient);
    let leaks = corpus.leaks(&output, &viewer);
    assert!(leaks.is_empty(), "{viewer:?} got {leaks:#?}");
    corpus.present(&output).iter().map(|c| format!("{}:{}", c.field, c.level.label())).collect()
}

fn viewer(relation: Relation, named: bool, leaves_node: bool, personal_data: bool) -> Viewer {
    Viewer { relation, named, leaves_node, personal_data }
}

#[test]
fn corpus_tokens_are_unique() {
    let corpus = canary::corpus();
    for a in &corpus.canaries {
        for b in &corpus.canaries {
            assert!(a == b || !b.token.contains(&a.token), "{} inside {}", a.token, b.token);
        }
    }
}

#[test]
fn no_recipient_sees_a_canary_it_may_not() {
    let (alice, bob) = (UserId::new("alice"), UserId::new("bob"));
    let holder = OrgId::new(HOLDER);
    let named = check(
        &Recipient::User { user: &alice, org: &holder },
        viewer(Relation::SameOrg, true, false, true),
    );
    assert!(named.iter().any(|c| c == "description:TLP:RED"), "{named:?}");
    let user = check(
        &Recipient::User { user: &bob, org: &holder },
        viewer(Relation::SameOrg, false, false, true),
    );
    assert!(user.iter().any(|c| c == "labels.[1]:TLP:AMBER+STRICT"));
    assert!(!user.iter().any(|c| c.ends_with("TLP:RED")));

    for (org, relation) in
        [(CLIENT, Relation::Client), (PEER, Relation::Community), (STRANGER, Relation::Stranger)]
    {
        let org = OrgId::new(org);
        for highest in [Tlp::Clear, Tlp::AmberStrict] {
            let mut agreement = Agreement::new("canary", org.clone(), highest);
            for c in PiiCategory::ALL {
                agreement.pii.set(
                    c,
                    if c.can_truncate() { PiiForm::Truncate } else { PiiForm::Pseudonymise },
                );
            }
            let seen = check(
                &Recipient::Partner { node: "peer", org: &org, agreement: &agreement },
                viewer(relation, false, true, false),
            );
            assert!(seen.iter().any(|c| c == "name:TLP:CLEAR"), "{org} {seen:?}");
        }
        let user = check(
            &Recipient::User { user: &bob, org: &org },
            viewer(relation, false, false, false),
        );
        assert!(user.iter().any(|c| c == "abstract:TLP:CLEAR"));
    }
    check(
        &Recipient::Export { feed: "atom", audience: Audience::Public },
        viewer(Relation::Stranger, false, true, false),
    );
    check(
        &Recipient::Export { feed: "misp", audience: Audience::Community(crate::world::COMMUNITY) },
        viewer(Relation::Community, false, true, false),
    );
    check(
        &Recipient::Export { feed: "rpz", audience: Audience::Org(&holder) },
        viewer(Relation::SameOrg, false, true, true),
    );
}
