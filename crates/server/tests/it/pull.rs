//! Pulling from a partner node page by page: node `a` holds indicators, node `b` pulls them
//! over `a`'s router (the fetching thread and the importing thread of a pull, the cursor, the
//! manifest and the pages taken straight from the objects endpoint, and the ledger at `a`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::json;

use crate::peer_link::Link;

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const POLICY: &str =
    "[orgs.a-cert]\ncommunities = [\"bench\"]\n[orgs.b-cert]\ncommunities = [\"bench\"]\n";

struct Node {
    _dir: tempfile::TempDir,
    node: Arc<service::Node>,
    federation: Arc<store::Federation>,
    ledger: Arc<store::Ledger>,
}

fn node(holder: &str) -> Node {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = store::SqliteStore::open(&store::Options::new(dir.path())).expect("store opens");
    let ledger = Arc::new(store::Ledger::open(dir.path()).expect("ledger opens"));
    let federation = Arc::new(store::Federation::open(dir.path()).expect("federation opens"));
    let policy = format!("holder = \"{holder}\"\n{POLICY}");
    let options = service::Options {
        policy: service::PolicyConfig::parse("policy.toml", &policy).expect("policy"),
        ..service::Options::default()
    };
    let node = Arc::new(
        service::Node::new(Arc::new(store), Arc::clone(&ledger), options)
            .expect("node starts")
            .with_federation(Arc::clone(&federation)),
    );
    Node { _dir: dir, node, federation, ledger }
}

fn indicator(i: usize) -> String {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("C2 domain {i}"), "indicator_types": ["malicious-activity"],
        "pattern": format!("[domain-name:value = 'c2-{i}.example']"), "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [GREEN],
    })
    .to_string()
}

/// The source: `objects` GREEN indicators in collection `feed`, readable by `b-cert`, whose
/// account `b-node` node `b` uses. Returns the node, the collection id and the token.
fn source(objects: usize) -> (Node, String, String) {
    let a = node("a-cert");
    let store = a.node.store();
    let own = store.add_org("a-cert", "FR", &[]).expect("org");
    let partner = store.add_org("b-cert", "DE", &[]).expect("org");
    store.add_user("a-analyst", own, false).expect("user");
    store.add_user("b-node", partner, false).expect("user");
    let feed = service::admin::add_collection(&a.node, "feed", "Feed", None).expect("collection");
    for (org, write) in [(own, true), (partner, false)] {
        let grant =
            store::Grant { grantee: store::Grantee::Org(org), can_read: true, can_write: write };
        store.grant(&feed, grant).expect("grant");
    }
    let (_, token) = a.node.create_token("b-node", "sync", store::TokenScope::Read).expect("token");
    let provenance =
        store::Provenance { user: None, org: Some(own), peer: None, channel: "import".into() };
    let raws: Vec<String> = (0..objects).map(indicator).collect();
    let report = a.node.import(&feed, &raws, &provenance).expect("import");
    assert_eq!(report.added, objects);
    (a, feed, token)
}

/// The puller, with `a` as its peer.
fn puller() -> (Node, store::Peer) {
    let b = node("b-cert");
    b.node.store().add_org("a-cert", "FR", &[]).expect("org");
    let peer = store::Peer {
        name: "a".into(),
        url: "http://a.invalid/meridian/".into(),
        org: "a-cert".into(),
        token: String::new(),
        agreement: "name = \"bench\"\npartner = \"a-cert\"\nhighest_tlp = \"amber\"\n".into(),
        allow_http: true,
        allow_private: true,
        push_to: None,
    };
    b.federation.put_peer(&peer).expect("peer");
    (b, peer)
}

/// The ids `b` holds, sorted.
fn held(b: &Node) -> Vec<String> {
    let mut ids: Vec<String> = crate::support::versions_by_collection(&b.node)
        .into_iter()
        .flatten()
        .map(|v| v.id)
        .collect();
    ids.sort();
    ids
}

/// `a`'s `date_added` of the `n`th object of `feed`, as a pull cursor says it.
fn date_added_of(a: &Node, feed: &str, n: usize) -> String {
    let query = store::Query {
        after_micros: 0,
        limit: n,
        ids: Vec::new(),
        types: Vec::new(),
        versions: vec![store::VersionSelect::All],
        spec_versions: Vec::new(),
    };
    let page = a.node.store().query(feed, &query).expect("query");
    service::micros_to_timestamp(page.items.last().expect("n objects").date_added_micros)
}

/// The disclosures `a`'s ledger recorded for object `i`.
fn disclosures_of(a: &Node, i: usize) -> usize {
    let filter = store::LedgerFilter {
        object_id: Some(format!("indicator--00000000-0000-4000-8000-{i:012}")),
        ..store::LedgerFilter::default()
    };
    a.ledger.entries(&filter).expect("ledger").len()
}

/// A source `a` holding `objects` indicators in `feed`, a puller `b` with `a` as its peer, and
/// `a`'s router to pull over.
struct Pair {
    a: Node,
    feed: String,
    token: String,
    b: Node,
    peer: store::Peer,
    rt: tokio::runtime::Runtime,
    app: axum::Router,
}

fn pair(objects: usize) -> Pair {
    let (a, feed, token) = source(objects);
    let (b, peer) = puller();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let app = server::router(Arc::clone(&a.node), &server::Options::default());
    Pair { a, feed, token, b, peer, rt, app }
}

impl Pair {
    /// A healthy link to `a`.
    fn link(&self) -> Link<'_> {
        Link::new(&self.rt, &self.app, &self.token)
    }

    fn pull(&self, link: &Link<'_>) -> Result<service::federation::SyncReport, service::Error> {
        service::federation::pull_from(&self.b.node, &self.b.federation, &self.peer, link)
    }

    /// Asserts that `b`'s pull cursor stands at `a`'s `n`th object.
    #[track_caller]
    fn assert_cursor_at(&self, n: usize) {
        assert_eq!(
            self.b.federation.cursor("a", "pull", &self.feed).expect("cursor"),
            Some(date_added_of(&self.a, &self.feed, n))
        );
    }
}

#[test]
fn a_pull_takes_pages_straight_once_the_manifest_shows_everything_is_wanted() {
    let p = pair(2500);
    let link = p.link();
    let report = p.pull(&link).expect("pull succeeds");
    assert_eq!((report.pulled, report.skipped, report.rejected), (2500, 0, 0));
    let expected: Vec<String> =
        (0..2500).map(|i| format!("indicator--00000000-0000-4000-8000-{i:012}")).collect();
    assert_eq!(held(&p.b), expected);
    // The first page through the manifest, the other two straight (the last says there is no
    // more); the marking definition every object refers to was asked for once, not per page.
    assert_eq!(link.manifests.load(Ordering::Relaxed), 1);
    assert_eq!(link.pages.load(Ordering::Relaxed), 3);
    assert_eq!(link.by_id.load(Ordering::Relaxed), 1);
    p.assert_cursor_at(2500);
    // Every object was decided and recorded at `a` once, as it left.
    assert_eq!(p.a.ledger.verify().expect("ledger verifies"), 2500);
    assert!([0, 999, 1000, 2499].iter().all(|&i| disclosures_of(&p.a, i) == 1));
    // Nothing new: one empty manifest page, nothing disclosed.
    let again = p.pull(&link).expect("second pull succeeds");
    assert_eq!((again.pulled, again.skipped), (0, 0));
    assert_eq!(link.manifests.load(Ordering::Relaxed), 2);
    assert_eq!(p.a.ledger.verify().expect("ledger verifies"), 2500);
}

#[test]
fn a_failed_page_stops_the_pull_and_the_cursor_stays_before_it() {
    let p = pair(2500);
    // Pages of objects: the first (after the manifest), the second, then the third fails.
    let link = Link { fail_page: Some(3), ..p.link() };
    let err = p.pull(&link).expect_err("the pull fails with the page");
    assert!(err.to_string().contains("connection was reset"), "{err}");
    // The pages before the failure are imported and covered by the cursor; nothing after.
    assert_eq!(held(&p.b).len(), 2000);
    p.assert_cursor_at(2000);
    // The next pull resumes there: the rest, nothing twice.
    let report = p.pull(&p.link()).expect("pull succeeds");
    assert_eq!((report.pulled, report.skipped), (500, 0));
    assert_eq!(held(&p.b).len(), 2500);
    p.assert_cursor_at(2500);
}

#[test]
fn a_peer_without_the_date_added_header_is_pulled_through_manifests_each_page_fetched_once() {
    let p = pair(2500);
    let link = Link { strip_date_added_last: true, ..p.link() };
    let report = p.pull(&link).expect("pull succeeds");
    assert_eq!((report.pulled, report.skipped, report.rejected), (2500, 0, 0));
    assert_eq!(held(&p.b).len(), 2500);
    // Page 1 through the manifest; pages 2 and 3 asked for straight, which says nothing of
    // where they end, so each one's manifest is read and the page already in hand used. Three
    // pages of objects, each fetched once.
    assert_eq!(link.manifests.load(Ordering::Relaxed), 3);
    assert_eq!(link.pages.load(Ordering::Relaxed), 3);
    p.assert_cursor_at(2500);
    assert!([0, 1500, 2499].iter().all(|&i| disclosures_of(&p.a, i) == 1));
}

#[test]
fn versions_held_already_send_the_pull_back_through_the_manifest() {
    let p = pair(3500);
    // `b` has the second thousand already (from elsewhere).
    let raws: Vec<String> = (1000..2000).map(indicator).collect();
    let local = service::admin::add_collection(&p.b.node, "local", "Local", None).expect("c");
    let provenance =
        store::Provenance { user: None, org: None, peer: None, channel: "import".into() };
    p.b.node.import(&local, &raws, &provenance).expect("import");
    let link = p.link();
    let report = p.pull(&link).expect("pull succeeds");
    assert_eq!((report.pulled, report.skipped, report.rejected), (2500, 1000, 0));
    // Manifest (all wanted), page 1; page 2 straight, all held: manifest again for page 3
    // (all wanted), page 3; page 4 straight.
    assert_eq!(link.manifests.load(Ordering::Relaxed), 2);
    assert_eq!(link.pages.load(Ordering::Relaxed), 4);
    let mut ids = held(&p.b);
    ids.dedup();
    assert_eq!(ids.len(), 3500);
}
