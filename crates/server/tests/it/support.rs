//! The test node (demo data, every demo user's token) and a router client.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

pub(crate) const TAXII: &str = "application/taxii+json;version=2.1";

/// What `ledger` recorded as disclosed to the demo user `user`, oldest first.
pub(crate) fn disclosed_to(ledger: &store::Ledger, user: &str) -> Vec<store::LedgerEntry> {
    let filter =
        store::LedgerFilter { recipient: Some(format!("user:{user}")), ..Default::default() };
    ledger.entries(&filter).expect("ledger reads")
}

pub(crate) struct Fixture {
    pub(crate) ledger: Arc<store::Ledger>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) app: axum::Router,
    pub(crate) tokens: std::collections::HashMap<String, String>,
}

pub(crate) fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = store::SqliteStore::open(&store::Options::new(dir.path())).expect("store opens");
    let ledger = Arc::new(store::Ledger::open(dir.path()).expect("ledger opens"));
    let mut warninglists = formats::Warninglists::new();
    for name in ["warninglist-hostnames.json", "warninglist-resolvers.json"] {
        let path = test_support::test_data().join("export").join(name);
        let text = std::fs::read_to_string(&path).expect("fixture warninglist");
        warninglists.add_json(&text).expect("valid warninglist");
    }
    let node = Arc::new(
        service::Node::new(Arc::new(store), Arc::clone(&ledger), service::Options::default())
            .expect("node starts")
            .with_warninglists(Arc::new(warninglists)),
    );
    let admin = match service::admin::bootstrap(&node, "EU", None).expect("bootstrap") {
        service::admin::Bootstrap::Created { token } => token,
        other => panic!("unexpected {other:?}"),
    };
    let summary =
        service::demo::load(&node).expect("demo loads").expect("demo was not loaded before");
    let mut tokens: std::collections::HashMap<String, String> =
        summary.tokens.into_iter().collect();
    tokens.insert("admin".into(), admin);
    let (_, reader) =
        node.create_token("de-analyst", "read only", store::TokenScope::Read).expect("token");
    tokens.insert("de-reader".into(), reader);
    Fixture { ledger, dir, app: server::router(node, &server::Options::default()), tokens }
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Fixture {
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path).header("accept", TAXII);
        if let Some(user) = user {
            request = request.header("authorization", format!("Bearer {}", self.tokens[user]));
        }
        let body = match body {
            Some(b) => {
                request = request.header("content-type", TAXII);
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request builds")).await
    }

    /// Sends any request and collects the reply.
    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        Reply { status, headers, body }
    }

    /// `Authorization: Bearer` with the token of `user`.
    pub(crate) fn bearer(&self, user: &str) -> String {
        format!("Bearer {}", self.tokens[user])
    }

    pub(crate) async fn get(&self, path: &str, user: &str) -> Reply {
        self.call("GET", path, Some(user), None).await
    }
}

/// Every version each collection of `node` holds, collection by collection (a version in two
/// collections comes twice).
pub(crate) fn versions_by_collection(node: &service::Node) -> Vec<Vec<store::StoredVersion>> {
    let store = node.store();
    let query = store::Query {
        after_micros: 0,
        limit: 1_000_000,
        ids: Vec::new(),
        types: Vec::new(),
        versions: vec![store::VersionSelect::All],
        spec_versions: Vec::new(),
    };
    store
        .collections()
        .expect("collections")
        .iter()
        .map(|c| store.query(&c.id, &query).expect("query").items)
        .collect()
}
