//! A deterministic simulation of federation: N nodes in a ring, each a real node (store, ledger,
//! policy, router) on its own data directory, connected by a simulated network that a seeded
//! random schedule drives — objects created and versioned at random sources with skewed
//! clocks, syncs between random neighbours in random order, duplicated deliveries, partitions,
//! and nodes that crash and restart from disk. After the network heals the nodes must converge,
//! and these must hold: no object reaches a node TLP 2.0 forbids (AMBER and AMBER+STRICT only the
//! source's direct partners, RED never out), no acknowledged object is lost, no marking is
//! lowered, nothing is stored twice, and pushing gives the same holdings as pulling.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::peer_link::Link;
use crate::support::TAXII;

const LEVELS: [stix::Tlp; 5] =
    [stix::Tlp::Clear, stix::Tlp::Green, stix::Tlp::Amber, stix::Tlp::AmberStrict, stix::Tlp::Red];

use test_support::SplitMix64 as Rng;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Pull,
    Push,
}

struct SimNode {
    dir: tempfile::TempDir,
    index: usize,
    n: usize,
    node: Arc<service::Node>,
    federation: Arc<store::Federation>,
    app: axum::Router,
    /// Tokens the neighbours' nodes use here, by neighbour index.
    tokens: BTreeMap<usize, String>,
    analyst: String,
}

fn org(i: usize) -> String {
    format!("org{i}")
}

fn identity(i: usize) -> String {
    format!("identity--{}", uuid_for(&format!("identity/{i}")))
}

fn uuid_for(name: &str) -> String {
    // A v4-shaped id derived from a name: deterministic across runs and modes.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut parts = [0u64; 2];
    for (k, part) in parts.iter_mut().enumerate() {
        for b in name.bytes().chain([k as u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        *part = h;
    }
    let hex = format!("{:016x}{:016x}", parts[0], parts[1]);
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

fn neighbours(i: usize, n: usize) -> [usize; 2] {
    [(i + 1) % n, (i + n - 1) % n]
}

impl SimNode {
    fn open(dir: tempfile::TempDir, index: usize, n: usize) -> Self {
        let path = dir.path();
        let store = store::SqliteStore::open(&store::Options::new(path)).expect("store opens");
        let ledger = Arc::new(store::Ledger::open(path).expect("ledger opens"));
        let federation = Arc::new(store::Federation::open(path).expect("federation opens"));
        let mut policy = format!("holder = \"{}\"\n", org(index));
        for o in 0..n {
            policy.push_str(&format!("[orgs.{}]\ncommunities = [\"ring\"]\n", org(o)));
        }
        let options = service::Options {
            policy: service::PolicyConfig::parse("policy.toml", &policy).expect("policy"),
            ..service::Options::default()
        };
        let node = Arc::new(
            service::Node::new(Arc::new(store), ledger, options)
                .expect("node starts")
                .with_federation(Arc::clone(&federation)),
        );
        let app = server::router(Arc::clone(&node), &server::Options::default());
        SimNode {
            dir,
            index,
            n,
            node,
            federation,
            app,
            tokens: BTreeMap::new(),
            analyst: String::new(),
        }
    }

    /// First start: organisations, accounts, collections and grants.
    fn set_up(&mut self) {
        let store = self.node.store();
        let me = store.add_org(&org(self.index), "EU", &[]).expect("org");
        store.add_user("analyst", me, false).expect("user");
        self.analyst = self
            .node
            .create_token("analyst", "sim", store::TokenScope::ReadWrite)
            .expect("token")
            .1;
        for j in neighbours(self.index, self.n) {
            let o = store.add_org(&org(j), "EU", &[]).expect("org");
            let user = format!("node{j}");
            store.add_user(&user, o, false).expect("user");
            let token = self
                .node
                .create_token(&user, "sim", store::TokenScope::ReadWrite)
                .expect("token")
                .1;
            self.tokens.insert(j, token);
        }
        let outbox =
            service::admin::add_collection(&self.node, "outbox", "Outbox", None).expect("c");
        let inbox = service::admin::add_collection(&self.node, "inbox", "Inbox", None).expect("c");
        store
            .grant(
                &outbox,
                store::Grant { grantee: store::Grantee::Org(me), can_read: true, can_write: true },
            )
            .expect("grant");
        for j in neighbours(self.index, self.n) {
            let o = store.org_by_name(&org(j)).expect("org").expect("org exists").id;
            store
                .grant(
                    &inbox,
                    store::Grant {
                        grantee: store::Grantee::Org(o),
                        can_read: false,
                        can_write: true,
                    },
                )
                .expect("grant");
        }
        self.share_everything();
    }

    /// Every collection readable by this node's organisation and its neighbours', so that what
    /// the policy lets travel onward can (received objects included).
    fn share_everything(&self) {
        let store = self.node.store();
        let mut orgs = vec![org(self.index)];
        orgs.extend(neighbours(self.index, self.n).map(org));
        for c in store.collections().expect("collections") {
            for name in &orgs {
                let o = store.org_by_name(name).expect("org").expect("org exists").id;
                let write = c.alias.as_deref() == Some("inbox") && *name != org(self.index)
                    || c.alias.as_deref() == Some("outbox") && *name == org(self.index);
                store
                    .grant(
                        &c.id,
                        store::Grant {
                            grantee: store::Grantee::Org(o),
                            can_read: true,
                            can_write: write,
                        },
                    )
                    .expect("grant");
            }
        }
    }

    fn restart(self) -> Self {
        let SimNode { dir, index, n, tokens, analyst, .. } = self;
        let mut reopened = SimNode::open(dir, index, n);
        reopened.tokens = tokens;
        reopened.analyst = analyst;
        reopened
    }

    /// Every (id, version) this node holds, with the version's markings.
    fn holdings(&self) -> Holdings {
        let mut out = BTreeMap::new();
        for collection in crate::support::versions_by_collection(&self.node) {
            let mut seen = BTreeSet::new();
            for v in collection {
                assert!(
                    seen.insert((v.id.clone(), v.version.clone())),
                    "{} stored twice in a collection",
                    v.id
                );
                let json: Value = serde_json::from_str(&v.json).expect("stored JSON");
                let markings = json["object_marking_refs"]
                    .as_array()
                    .map(|m| m.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                out.insert((v.id, v.version), markings);
            }
        }
        out
    }
}

/// What a node holds: every (id, version) with the version's markings.
type Holdings = BTreeMap<(String, String), Vec<String>>;

/// What the sources acknowledged: (source, level) per object id, and every acknowledged version.
#[derive(Default)]
struct Truth {
    objects: BTreeMap<String, (usize, stix::Tlp)>,
    versions: BTreeMap<(String, String), Vec<String>>,
}

fn new_version(
    rng: &mut Rng,
    source: usize,
    id: &str,
    level: stix::Tlp,
    step: usize,
    skew_hours: i64,
) -> Value {
    // Each source's clock is off by its own skew; versions still increase at their source.
    let base = 1_800_000_000 + skew_hours * 3600 + step as i64 * 7;
    let modified = store::micros_to_timestamp(base * 1_000_000 + (rng.below(1000) as i64) * 1000);
    json!({"type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00.000Z",
           "modified": modified, "created_by_ref": identity(source), "name": format!("sim {id} at {step}"),
           "pattern": format!("[domain-name:value = 'c2-{}.sim.example']", &id[11..19]), "pattern_type": "stix",
           "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [level.marking_id()]})
}

fn run(seed: u64, n: usize, steps: usize, mode: Mode) -> (Vec<Holdings>, Truth) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut rng = Rng(seed);
    let mut nodes: Vec<SimNode> = (0..n)
        .map(|i| SimNode::open(tempfile::tempdir().expect("temporary directory"), i, n))
        .collect();
    for node in &mut nodes {
        node.set_up();
    }
    // Peers: each node knows its two neighbours, with the neighbour's token for it.
    for i in 0..n {
        for j in neighbours(i, n) {
            let token = nodes[j].tokens[&i].clone();
            nodes[i]
                .federation
                .put_peer(&store::Peer {
                    name: format!("n{j}"),
                    url: format!("https://node{j}.sim.example/meridian/"),
                    org: org(j),
                    token,
                    agreement: format!(
                        "name = \"n{i}-n{j}\"\npartner = \"{}\"\nhighest_tlp = \"amber+strict\"\npseudonymise_submitters = false\n",
                        org(j)
                    ),
                    allow_http: false,
                    allow_private: false,
                    push_to: (mode == Mode::Push).then(|| "inbox".to_owned()),
                })
                .expect("peer");
        }
    }
    let skew: Vec<i64> = (0..n).map(|_| rng.below(48) as i64 - 24).collect();
    let mut truth = Truth::default();
    let mut partitioned: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut own: Vec<Vec<String>> = vec![Vec::new(); n];
    for step in 0..steps {
        match rng.below(10) {
            // Create an object, or a new version of one of the source's own.
            0..=3 => {
                let s = rng.below(n);
                let (id, level) = if own[s].is_empty() || rng.chance(60) {
                    let id = format!("indicator--{}", uuid_for(&format!("{seed}/{s}/{step}")));
                    let level = LEVELS[rng.below(LEVELS.len())];
                    own[s].push(id.clone());
                    truth.objects.insert(id.clone(), (s, level));
                    (id, level)
                } else {
                    let id = own[s][rng.below(own[s].len())].clone();
                    (id.clone(), truth.objects[&id].1)
                };
                let object = new_version(&mut rng, s, &id, level, step, skew[s]);
                let request = Request::builder()
                    .method("POST")
                    .uri("/meridian/collections/outbox/objects/")
                    .header("accept", TAXII)
                    .header("content-type", TAXII)
                    .header("authorization", format!("Bearer {}", nodes[s].analyst))
                    .body(Body::from(json!({"objects": [object.clone()]}).to_string()))
                    .expect("request");
                let app = nodes[s].app.clone();
                let status: Value = rt.block_on(async move {
                    let response = app.oneshot(request).await.expect("router answers");
                    let body = response.into_body().collect().await.expect("body").to_bytes();
                    serde_json::from_slice(&body).unwrap_or(Value::Null)
                });
                if status["success_count"] == 1 {
                    let version = object["modified"].as_str().unwrap_or_default().to_owned();
                    truth.versions.insert((id, version), vec![level.marking_id().to_owned()]);
                }
            }
            // A sync between neighbours, maybe duplicated, maybe across a partition.
            4..=7 => {
                let i = rng.below(n);
                let j = neighbours(i, n)[rng.below(2)];
                let duplicate = rng.chance(20);
                sync(
                    &rt,
                    &nodes,
                    i,
                    j,
                    mode,
                    partitioned.contains(&(i.min(j), i.max(j))),
                    duplicate,
                );
            }
            // The network splits or heals a link.
            8 => {
                let i = rng.below(n);
                let link = (i.min((i + 1) % n), i.max((i + 1) % n));
                if !partitioned.remove(&link) {
                    partitioned.insert(link);
                }
            }
            // A node crashes and restarts from its data directory.
            _ => {
                let i = rng.below(n);
                let node = nodes.remove(i);
                nodes.insert(i, node.restart());
            }
        }
    }
    // Heal, then sync every link until nothing moves.
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 4 * n + 4, "seed {seed}, {mode:?}: no convergence after {rounds} rounds");
        let mut moved = 0;
        for i in 0..n {
            for j in neighbours(i, n) {
                moved += sync(&rt, &nodes, i, j, mode, false, false);
            }
        }
        if moved == 0 {
            break;
        }
    }
    (nodes.iter().map(SimNode::holdings).collect(), truth)
}

/// Node `i` syncs with neighbour `j`: pulls from it, or pushes to it. Returns objects moved.
fn sync(
    rt: &tokio::runtime::Runtime,
    nodes: &[SimNode],
    i: usize,
    j: usize,
    mode: Mode,
    down: bool,
    duplicate: bool,
) -> usize {
    nodes[i].share_everything();
    let token = &nodes[j].tokens[&i];
    let link = Link { down, duplicate, ..Link::new(rt, &nodes[j].app, token) };
    let peer = nodes[i]
        .federation
        .peers()
        .expect("peers")
        .into_iter()
        .find(|p| p.name == format!("n{j}"))
        .expect("peer configured");
    let outcome = match mode {
        Mode::Pull => {
            service::federation::pull_from(&nodes[i].node, &nodes[i].federation, &peer, &link)
        }
        Mode::Push => service::federation::push_to(
            &nodes[i].node,
            &nodes[i].federation,
            &peer,
            "inbox",
            &link,
        ),
    };
    match outcome {
        Ok(report) => report.pulled + report.pushed,
        Err(e) => {
            assert!(down, "sync {i}->{j} failed on a healthy link: {e}");
            0
        }
    }
}

fn allowed(holder: usize, source: usize, level: stix::Tlp, n: usize) -> bool {
    holder == source
        || match level {
            stix::Tlp::Clear | stix::Tlp::Green => true,
            stix::Tlp::Amber | stix::Tlp::AmberStrict => neighbours(source, n).contains(&holder),
            _ => false,
        }
}

fn check(seed: u64, mode: Mode, n: usize, holdings: &[Holdings], truth: &Truth) {
    for (h, held) in holdings.iter().enumerate() {
        for ((id, version), markings) in held {
            let Some(&(source, level)) = truth.objects.get(id) else { continue };
            assert!(
                allowed(h, source, level, n),
                "seed {seed}, {mode:?}: node {h} holds {id} ({level:?}) from node {source}"
            );
            if let Some(original) = truth.versions.get(&(id.clone(), version.clone())) {
                assert_eq!(
                    markings, original,
                    "seed {seed}, {mode:?}: node {h} holds {id} with other markings"
                );
            }
        }
        for (id, version) in truth.versions.keys() {
            let (source, level) = truth.objects[id];
            if allowed(h, source, level, n) {
                assert!(
                    held.contains_key(&(id.clone(), version.clone())),
                    "seed {seed}, {mode:?}: node {h} lacks {id} {version} ({level:?}) from node {source}"
                );
            }
        }
    }
}

#[test]
fn federation_converges_without_leaks_under_a_hostile_network() {
    let n = 4;
    for seed in [1_u64, 7, 2026] {
        let (pulled, truth) = run(seed, n, 120, Mode::Pull);
        check(seed, Mode::Pull, n, &pulled, &truth);
        let (pushed, truth_push) = run(seed, n, 120, Mode::Push);
        check(seed, Mode::Push, n, &pushed, &truth_push);
        assert_eq!(truth.versions.len(), truth_push.versions.len());
        for h in 0..n {
            let a: BTreeSet<_> = pulled[h].keys().collect();
            let b: BTreeSet<_> = pushed[h].keys().collect();
            assert_eq!(a, b, "seed {seed}: node {h} holds different objects by push and by pull");
        }
    }
}
