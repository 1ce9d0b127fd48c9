//! The review queue and erasure, through the TAXII API: what waits for a person is not sent
//! until approved; what is erased is gone for good, and a partner's erasure notice erases here.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::TAXII;
const SHARED: &str = "/meridian/collections/shared-indicators/objects/";

struct Node {
    node: Arc<service::Node>,
    ledger: Arc<store::Ledger>,
    app: axum::Router,
    tokens: std::collections::HashMap<String, String>,
    _dir: tempfile::TempDir,
}

/// A demo node; with `partner`, the organisation `us-cert` is also a configured partner node.
fn node(partner: bool) -> Node {
    node_with(partner, "")
}

/// A demo node with `policy` as its policy file.
fn node_with(partner: bool, policy: &str) -> Node {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = store::SqliteStore::open(&store::Options::new(dir.path())).expect("store opens");
    let ledger = Arc::new(store::Ledger::open(dir.path()).expect("ledger opens"));
    let mut options = service::Options::default();
    if !policy.is_empty() {
        options.policy =
            service::PolicyConfig::parse("policy.toml", policy).expect("policy parses");
    }
    let mut node =
        service::Node::new(Arc::new(store), Arc::clone(&ledger), options).expect("node starts");
    if partner {
        let federation = store::Federation::open(dir.path()).expect("federation opens");
        federation
            .put_peer(&store::Peer {
                name: "us".into(),
                url: "https://us-cert.example/meridian/".into(),
                org: "us-cert".into(),
                token: "unused".into(),
                agreement: "name = \"us\"\npartner = \"us-cert\"\nhighest_tlp = \"amber\"\n".into(),
                allow_http: false,
                allow_private: false,
                push_to: None,
            })
            .expect("peer added");
        node = node.with_federation(Arc::new(federation));
    }
    let node = Arc::new(node);
    service::admin::bootstrap(&node, "EU", None).expect("bootstrap");
    let summary = service::demo::load(&node).expect("demo loads").expect("first load");
    Node {
        app: server::router(Arc::clone(&node), &server::Options::default()),
        node,
        ledger,
        tokens: summary.tokens.into_iter().collect(),
        _dir: dir,
    }
}

impl Node {
    async fn call(
        &self,
        method: &str,
        path: &str,
        user: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .header("authorization", format!("Bearer {}", self.tokens[user]));
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).expect("request builds"))
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn ids(&self, user: &str) -> Vec<String> {
        let (status, page) = self.call("GET", &format!("{SHARED}?limit=1000"), user, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["objects"]
            .as_array()
            .map(|o| o.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

fn note(n: u8, content: &str) -> Value {
    json!({"type": "note", "spec_version": "2.1", "id": format!("note--5a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b{n:02}"),
           "created": "2026-07-01T00:00:00.000Z", "modified": "2026-07-01T00:00:00.000Z",
           "content": content, "object_refs": [format!("note--5a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b{n:02}")],
           "object_marking_refs": [stix::Tlp::Green.marking_id()]})
}

#[tokio::test]
async fn uncertain_personal_data_waits_for_a_person() {
    let n = node(false);
    let (approve, reject, plain) = (
        note(1, "Contact: Jane Roe at the plant"),
        note(2, "Reported by Max Mustermann, night shift"),
        note(3, "C2 moved to 203.0.113.7"),
    );
    let ids: Vec<String> = [&approve, &reject, &plain]
        .iter()
        .map(|o| o["id"].as_str().unwrap_or("").to_owned())
        .collect();
    let (_, status) = n
        .call("POST", SHARED, "us-analyst", Some(json!({"objects": [approve, reject, plain]})))
        .await;
    assert_eq!(status["success_count"], 3, "{status}");
    // Across the border (US → DE) the unsure names hold two notes back; the third goes.
    let seen = n.ids("de-analyst").await;
    assert!(!seen.contains(&ids[0]), "note 1 was shared before review");
    assert!(!seen.contains(&ids[1]), "note 2 was shared before review");
    assert!(seen.contains(&ids[2]));
    let pending = n.ledger.reviews(true).expect("queue reads");
    let queued: Vec<&str> = pending.iter().map(|r| r.request.object_id.as_str()).collect();
    assert_eq!(queued, [ids[0].as_str(), ids[1].as_str()]);
    assert!(pending.iter().all(|r| r.request.recipient == "user:de-analyst"
        && r.request.org.as_deref() == Some("de-cert")
        && r.request.reason.contains("content")));
    // Reading again queues nothing new.
    n.ids("de-analyst").await;
    assert_eq!(n.ledger.reviews(true).expect("queue reads").len(), 2);

    n.ledger.decide_review(pending[0].id, store::Verdict::Approved, "analyst", 1).expect("approve");
    n.ledger.decide_review(pending[1].id, store::Verdict::Rejected, "analyst", 1).expect("reject");
    let seen = n.ids("de-analyst").await;
    assert!(seen.contains(&ids[0]), "approved: shared");
    assert!(!seen.contains(&ids[1]), "rejected: still held back");
    assert!(n.ledger.reviews(true).expect("queue reads").is_empty());
    let (_, shared) = n.call("GET", &format!("{SHARED}{}/", ids[0]), "de-analyst", None).await;
    assert_eq!(shared["objects"][0]["content"], "Contact: Jane Roe at the plant");
    let recorded = n
        .ledger
        .entries(&store::LedgerFilter { object_id: Some(ids[0].clone()), ..Default::default() })
        .expect("ledger reads");
    assert!(recorded.iter().any(|e| e.disclosure.recipient == "user:de-analyst"));
    // Inside the submitting organisation nothing waits.
    let own = n.ids("us-analyst").await;
    assert!(ids.iter().all(|id| own.contains(id)));
}

fn indicator(n: u8, marking: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--5a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1c{n:02}"),
           "created": "2026-07-01T00:00:00.000Z", "modified": "2026-07-01T00:00:00.000Z",
           "pattern": format!("[domain-name:value = 'erase-{n}.example']"), "pattern_type": "stix",
           "valid_from": "2026-07-01T00:00:00Z", "object_marking_refs": [marking]})
}

#[tokio::test]
async fn an_erased_object_is_gone_and_stays_gone() {
    let n = node(false);
    let green = stix::Tlp::Green.marking_id();
    let (object, kept) = (indicator(1, green), indicator(2, green));
    let id = object["id"].as_str().unwrap_or("").to_owned();
    let (_, status) = n
        .call("POST", SHARED, "us-analyst", Some(json!({"objects": [object.clone(), kept]})))
        .await;
    assert_eq!(status["success_count"], 2, "{status}");
    assert!(n.ids("de-analyst").await.contains(&id));

    let erased = n.node.erase(&id, "data-subject request 17", "admin:test").expect("erases");
    assert_eq!(erased, service::Erased { versions: 1, already: false });
    for user in ["us-analyst", "de-analyst"] {
        assert!(!n.ids(user).await.contains(&id), "{user} still sees it");
        let (status, _) = n.call("GET", &format!("{SHARED}{id}/"), user, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Nobody can bring it back: not the submitter, not an import.
    let (_, again) = n.call("POST", SHARED, "us-analyst", Some(json!({"objects": [object]}))).await;
    assert_eq!(
        (again["success_count"].as_u64(), again["failure_count"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(again["failures"][0]["message"].as_str().unwrap_or("").contains("erased"), "{again}");
    assert!(n.node.erase(&id, "again", "admin:test").expect("idempotent").already);
    assert!(matches!(
        n.node.erase("not-an-id", "x", "admin:test"),
        Err(service::Error::Invalid(_))
    ));
    // The ledger still says who received it, so partners can be told.
    let recipients = n.ledger.recipients_of(&id).expect("ledger reads");
    assert!(recipients.iter().any(|(r, _)| r == "user:de-analyst"), "{recipients:?}");
}

#[tokio::test]
async fn a_partners_delete_is_an_erasure_notice() {
    let n = node(true);
    let green = stix::Tlp::Green.marking_id();
    let (theirs, ours) = (indicator(3, green), indicator(4, green));
    let (their_id, our_id) = (
        theirs["id"].as_str().unwrap_or("").to_owned(),
        ours["id"].as_str().unwrap_or("").to_owned(),
    );
    let (_, status) =
        n.call("POST", SHARED, "us-analyst", Some(json!({"objects": [theirs]}))).await;
    assert_eq!(status["success_count"], 1, "{status}");
    let (_, status) = n.call("POST", SHARED, "de-analyst", Some(json!({"objects": [ours]}))).await;
    assert_eq!(status["success_count"], 1, "{status}");
    // The partner (us-cert's node) may not erase what another organisation shared.
    let (status, _) = n.call("DELETE", &format!("{SHARED}{our_id}/"), "us-analyst", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = n.call("DELETE", &format!("{SHARED}{their_id}/"), "us-analyst", None).await;
    assert_eq!(status, StatusCode::OK);
    let erasures = n.ledger.erasures().expect("ledger reads");
    assert_eq!(erasures.len(), 1);
    assert_eq!(
        (erasures[0].object_id.as_str(), erasures[0].requested_by.as_str()),
        (their_id.as_str(), "peer:us")
    );
    assert!(!n.ids("de-analyst").await.contains(&their_id));
    assert!(n.ids("de-analyst").await.contains(&our_id));
}

/// A node with partner `us` whose policy declares `de` as one of de-cert's own identities, and
/// that identity (TLP:GREEN, with contact data).
fn node_declaring(de: &str) -> (Node, Value) {
    let n = node_with(
        true,
        &format!("holder = \"node-operator\"\n[orgs.de-cert]\nidentities = [\"{de}\"]\n"),
    );
    let identity = json!({"type": "identity", "spec_version": "2.1", "id": de,
        "created": "2026-07-01T00:00:00.000Z", "modified": "2026-07-01T00:00:00.000Z",
        "name": "DE-CERT incident desk", "identity_class": "organization",
        "contact_information": "desk@cert.example",
        "object_marking_refs": [stix::Tlp::Green.marking_id()]});
    (n, identity)
}

#[tokio::test]
async fn declared_identities_are_pseudonymised_for_partners() {
    let de = "identity--5a1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1d01";
    let (n, identity) = node_declaring(de);
    let green = stix::Tlp::Green.marking_id();
    let mut signed = indicator(5, green);
    signed["created_by_ref"] = json!(de);
    let (_, status) =
        n.call("POST", SHARED, "de-analyst", Some(json!({"objects": [identity, signed]}))).await;
    assert_eq!(status["success_count"], 2, "{status}");
    // us-cert is a partner node: the agreement pseudonymises submitters.
    let (status, page) = n.call("GET", &format!("{SHARED}?limit=1000"), "us-analyst", None).await;
    assert_eq!(status, StatusCode::OK);
    let text = page.to_string();
    assert!(!text.contains(de), "the submitter's identity id reached the partner");
    assert!(!text.contains("DE-CERT incident desk") && !text.contains("desk@cert.example"));
    let objects = page["objects"].as_array().cloned().unwrap_or_default();
    let signed = objects
        .iter()
        .find(|o| o["pattern"].as_str().is_some_and(|p| p.contains("erase-5.example")))
        .expect("the indicator is shared");
    let pseudonym = signed["created_by_ref"].as_str().unwrap_or_default();
    let renamed = objects.iter().find(|o| o["id"] == pseudonym).expect("the identity, renamed");
    assert!(renamed["name"].as_str().unwrap_or_default().starts_with("submitter-"), "{renamed}");
    // A user of this node (no agreement) sees the identity as submitted.
    let (_, own) = n.call("GET", &format!("{SHARED}{de}/"), "energy-analyst", None).await;
    assert_eq!(own["objects"][0]["name"], "DE-CERT incident desk");
}

/// A partner's feed follows its agreement's time window: once the agreement ends, the tag kept
/// from before gets the feed written again (now without what only the agreement let through),
/// never a 304 saying the old copy is current.
#[tokio::test]
async fn a_kept_feed_tag_ends_with_the_partners_agreement() {
    let n = node_with(true, "");
    let until = service::micros_to_timestamp(service::now_micros() + 2_000_000);
    let federation = store::Federation::open(n._dir.path()).expect("federation opens");
    let mut peer = federation.peers().expect("peers").remove(0);
    peer.agreement.push_str(&format!("valid_until = \"{until}\"\n"));
    federation.put_peer(&peer).expect("peer updated");
    let feed = |tag: Option<String>| {
        let mut request = Request::builder()
            .uri("/feeds/shared-indicators/plain")
            .header("authorization", format!("Bearer {}", n.tokens["us-analyst"]));
        if let Some(tag) = tag {
            request = request.header("if-none-match", tag);
        }
        let app = n.app.clone();
        async move {
            let response =
                app.oneshot(request.body(Body::empty()).expect("request")).await.expect("answer");
            let status = response.status();
            let etag =
                response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = response.into_body().collect().await.expect("body").to_bytes();
            (status, etag, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let (status, tag, text) = feed(None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!text.trim().is_empty(), "the agreement lets indicators through");
    assert_eq!(feed(tag.clone()).await.0, StatusCode::NOT_MODIFIED);
    let wait = until.parse::<stix::Timestamp>().expect("timestamp").unix().0 + 1
        - stix::Timestamp::now().unix().0;
    tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(wait).unwrap_or(0))).await;
    let (status, after, text) = feed(tag.clone()).await;
    assert_eq!(status, StatusCode::OK, "a 304 after the agreement ended");
    assert!(text.trim().is_empty(), "shared after the agreement ended: {text}");
    assert_ne!(after, tag);
}

/// An account of a partner node's organisation polls feeds as that node would pull: what its
/// agreement lets through (no more than TLP:AMBER here, submitters pseudonymised), exactly its
/// TAXII view minus what no export carries, recorded under the agreement.
#[tokio::test]
async fn a_partner_accounts_feeds_follow_its_agreement() {
    let de = "identity--7d1e0b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c";
    let (n, identity) = node_declaring(de);
    let green = stix::Tlp::Green.marking_id();
    let mut signed = indicator(7, green);
    signed["created_by_ref"] = json!(de);
    let strict = indicator(8, stix::Tlp::AmberStrict.marking_id());
    let (_, status) = n
        .call("POST", SHARED, "de-analyst", Some(json!({"objects": [identity, signed, strict]})))
        .await;
    assert_eq!(status["success_count"], 3, "{status}");
    let (status, bundle) = n.call("GET", "/feeds/shared-indicators/stix", "us-analyst", None).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
    let text = bundle.to_string();
    let leaked: Vec<&Value> = objects
        .iter()
        .filter(|o| o.to_string().contains(de) || o.to_string().contains("DE-CERT incident desk"))
        .collect();
    assert!(leaked.is_empty(), "submitter reached the partner: {leaked:#?}");
    assert!(text.contains("erase-7.example"));
    for marking in [stix::Tlp::Red.marking_id(), stix::Tlp::AmberStrict.marking_id()] {
        // (The public TLP definitions themselves may travel; nothing marked with these may.)
        let marked: Vec<&Value> = objects
            .iter()
            .filter(|o| {
                o["object_marking_refs"].as_array().is_some_and(|m| m.iter().any(|r| r == marking))
            })
            .collect();
        assert!(marked.is_empty(), "{marking} in a partner's feed: {marked:#?}");
    }
    // Exactly the TAXII view, less what no export carries (TLP:RED never reaches a partner).
    let taxii: std::collections::BTreeSet<String> = n.ids("us-analyst").await.into_iter().collect();
    let fed: std::collections::BTreeSet<String> =
        objects.iter().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect();
    assert!(
        fed.len() > 10 && fed.is_subset(&taxii),
        "{:?}",
        fed.difference(&taxii).collect::<Vec<_>>()
    );
    // Recorded under the agreement, one entry per object.
    let entries = crate::support::disclosed_to(&n.ledger, "us-analyst");
    let feed: Vec<_> = entries.iter().filter(|e| e.disclosure.channel == "feed").collect();
    assert_eq!(feed.len(), fed.len());
    assert!(
        feed.iter().all(|e| e.disclosure.rule.contains("agreement `us`")),
        "{:?}",
        feed.first().map(|e| &e.disclosure.rule)
    );
}
