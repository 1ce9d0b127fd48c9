//! `decide` against a small, obviously correct reference model, over random markings,
//! recipients, holder roles and relations; and monotonicity of markings.

use std::collections::BTreeSet;

use policy::{
    Agreement, Audience, Context, MarkingMeaning, OrgId, Policy, Provenance, Recipient, Unmarked,
    UserId, decide,
};
use proptest::prelude::*;
use stix::Tlp;

use crate::world::{self, CLIENT, COMMUNITY, HOLDER, PEER, SOURCE, STRANGER};

const UNKNOWN: &str = "marking-definition--00000000-0000-4000-8000-000000000bad";
const STATEMENT: &str = "marking-definition--11111111-1111-4111-8111-111111111111";
const TLP1: [(&str, Tlp); 4] = [
    ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::Clear),
    ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::Green),
    ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::Amber),
    ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::Red),
];

/// Every marking id the generator draws from, with the level the reference gives it
/// (`None`: a statement, which is no TLP marking).
fn markings() -> Vec<(&'static str, Option<Tlp>)> {
    let mut all: Vec<(&str, Option<Tlp>)> =
        Tlp::ALL.iter().map(|t| (t.marking_id(), Some(*t))).collect();
    all.extend(TLP1.iter().map(|(id, t)| (*id, Some(*t))));
    all.push((UNKNOWN, Some(Tlp::Red)));
    all.push((STATEMENT, None));
    all
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Holder,
    Client,
    Peer,
    Stranger,
    Source,
}

impl Rel {
    fn org(self) -> &'static str {
        match self {
            Rel::Holder => HOLDER,
            Rel::Client => CLIENT,
            Rel::Peer => PEER,
            Rel::Stranger => STRANGER,
            Rel::Source => SOURCE,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum To {
    User(Rel, bool),
    Partner(Rel, Tlp),
    Export(Rel),
    Community(bool),
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Source,
    Recipient,
    Onward,
}

/// The reference: TLP 2.0 as a table of who may receive each level from a holder in each role.
fn reference(levels: &[Option<Tlp>], default: Tlp, to: To, role: Role) -> bool {
    let marked: Vec<Tlp> = levels.iter().flatten().copied().collect();
    let level = marked.iter().copied().max().unwrap_or(default);
    let (rel, leaves) = match to {
        To::User(rel, _) => (Some(rel), false),
        To::Partner(rel, _) | To::Export(rel) => (Some(rel), true),
        To::Community(_) | To::Public => (None, true),
    };
    let named = matches!(to, To::User(_, true));
    let tlp = named
        || match level {
            Tlp::Clear => true,
            Tlp::Green => match to {
                To::Public => false,
                To::Community(member) => member,
                _ => {
                    matches!(rel, Some(Rel::Holder | Rel::Client | Rel::Peer))
                        || role == Role::Source
                }
            },
            Tlp::Amber => match rel {
                Some(Rel::Holder) => true,
                Some(Rel::Client) => role != Role::Onward,
                Some(_) => role == Role::Source,
                None => false,
            },
            Tlp::AmberStrict => match rel {
                Some(Rel::Holder) => true,
                Some(_) => role == Role::Source,
                None => false,
            },
            Tlp::Red => matches!(to, To::User(_, true)) && !leaves,
        };
    let agreement = match to {
        To::Partner(_, highest) => level <= highest,
        _ => true,
    };
    tlp && agreement
}

fn engine(ids: &[&str], default: Unmarked, to: To, role: Role) -> bool {
    let mut policy: Policy = world::policy();
    policy.unmarked = default;
    policy.known_markings.insert(STATEMENT.into(), MarkingMeaning::Statement);
    let object = world::indicator(ids);
    let holder = OrgId::new(HOLDER);
    let mut provenance = match role {
        Role::Source => Provenance::local(&holder),
        Role::Recipient => Provenance::received(&OrgId::new(SOURCE), &OrgId::new(SOURCE)),
        Role::Onward => Provenance::received(&OrgId::new(SOURCE), &OrgId::new(PEER)),
    };
    provenance.named_users = BTreeSet::from([UserId::new("named")]);
    let now = world::now();
    let context = Context::new(&provenance, &now, b"k");
    let (named, other) = (UserId::new("named"), UserId::new("other"));
    let decision = match to {
        To::User(rel, is_named) => {
            let org = OrgId::new(rel.org());
            let user = if is_named { &named } else { &other };
            decide(&object, &Recipient::User { user, org: &org }, &policy, &context)
        }
        To::Partner(rel, highest) => {
            let org = OrgId::new(rel.org());
            let agreement = Agreement::new("a", org.clone(), highest);
            decide(
                &object,
                &Recipient::Partner { node: "n", org: &org, agreement: &agreement },
                &policy,
                &context,
            )
        }
        To::Export(rel) => {
            let org = OrgId::new(rel.org());
            decide(
                &object,
                &Recipient::Export { feed: "f", audience: Audience::Org(&org) },
                &policy,
                &context,
            )
        }
        To::Community(member) => {
            let c = if member { COMMUNITY } else { "elsewhere" };
            decide(
                &object,
                &Recipient::Export { feed: "f", audience: Audience::Community(c) },
                &policy,
                &context,
            )
        }
        To::Public => decide(
            &object,
            &Recipient::Export { feed: "f", audience: Audience::Public },
            &policy,
            &context,
        ),
    };
    decision.is_shared()
}

fn rel() -> impl Strategy<Value = Rel> {
    prop_oneof![
        Just(Rel::Holder),
        Just(Rel::Client),
        Just(Rel::Peer),
        Just(Rel::Stranger),
        Just(Rel::Source)
    ]
}

fn highest() -> impl Strategy<Value = Tlp> {
    prop_oneof![Just(Tlp::Clear), Just(Tlp::Green), Just(Tlp::Amber), Just(Tlp::AmberStrict)]
}

fn to() -> impl Strategy<Value = To> {
    prop_oneof![
        (rel(), any::<bool>()).prop_map(|(r, n)| To::User(r, n)),
        (rel(), highest()).prop_map(|(r, h)| To::Partner(r, h)),
        rel().prop_map(To::Export),
        any::<bool>().prop_map(To::Community),
        Just(To::Public),
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Source), Just(Role::Recipient), Just(Role::Onward)]
}

fn default() -> impl Strategy<Value = (Unmarked, Tlp)> {
    prop_oneof![
        Just((Unmarked::Green, Tlp::Green)),
        Just((Unmarked::Amber, Tlp::Amber)),
        Just((Unmarked::AmberStrict, Tlp::AmberStrict)),
        Just((Unmarked::Red, Tlp::Red)),
    ]
}

fn marking_set() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..markings().len(), 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decide_matches_the_reference(set in marking_set(), to in to(), role in role(), (d, dl) in default()) {
        let all = markings();
        let ids: Vec<&str> = set.iter().map(|i| all[*i].0).collect();
        let levels: Vec<Option<Tlp>> = set.iter().map(|i| all[*i].1).collect();
        prop_assert_eq!(engine(&ids, d, to, role), reference(&levels, dl, to, role), "{:?}", ids);
    }

    /// Adding a marking to an object that already carries a TLP marking never widens who may
    /// see it. (The unmarked default is not a marking: an explicit TLP:CLEAR on an unmarked
    /// object is the source's choice to widen, so the property starts from a marked object.)
    #[test]
    fn adding_a_marking_never_widens(set in marking_set(), first in 0..5usize, extra in 0..11usize,
                                     to in to(), role in role(), (d, _) in default()) {
        let all = markings();
        let mut ids: Vec<&str> = vec![Tlp::ALL[first].marking_id()];
        ids.extend(set.iter().map(|i| all[*i].0));
        let before = engine(&ids, d, to, role);
        ids.push(all[extra].0);
        let after = engine(&ids, d, to, role);
        prop_assert!(before || !after, "{:?} widened to {:?}", &ids[..ids.len() - 1], ids);
    }
}
