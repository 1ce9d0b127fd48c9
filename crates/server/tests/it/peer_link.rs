//! A partner node over a simulated network: TAXII calls through the partner's router (no
//! sockets), with the faults a network has (partitions, duplicated deliveries, a failed request),
//! counting the requests by kind.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::Value;
use serde_json::value::RawValue;
use tower::ServiceExt as _;

use crate::support::TAXII;

/// The network to a partner node: TAXII over that node's router, or a partition.
pub(crate) struct Link<'a> {
    pub(crate) rt: &'a tokio::runtime::Runtime,
    pub(crate) app: &'a axum::Router,
    pub(crate) token: &'a str,
    /// Every call fails (a partition).
    pub(crate) down: bool,
    /// Every POST is delivered twice.
    pub(crate) duplicate: bool,
    /// The request for a page of objects (by `added_after`, counted from 1) that fails.
    pub(crate) fail_page: Option<usize>,
    /// A proxy on the way drops `X-TAXII-Date-Added-Last` (as a TAXII server without it would).
    pub(crate) strip_date_added_last: bool,
    /// Manifest pages asked for.
    pub(crate) manifests: AtomicUsize,
    /// Pages of objects asked for (by `added_after`, not by id).
    pub(crate) pages: AtomicUsize,
    /// Requests for objects by id.
    pub(crate) by_id: AtomicUsize,
}

impl<'a> Link<'a> {
    /// A healthy link to the node behind `app`, authenticated with `token`.
    pub(crate) fn new(
        rt: &'a tokio::runtime::Runtime,
        app: &'a axum::Router,
        token: &'a str,
    ) -> Self {
        Link {
            rt,
            app,
            token,
            down: false,
            duplicate: false,
            fail_page: None,
            strip_date_added_last: false,
            manifests: AtomicUsize::new(0),
            pages: AtomicUsize::new(0),
            by_id: AtomicUsize::new(0),
        }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, Vec<u8>), service::Error> {
        self.call_with_headers(method, path, body).map(|(status, _, body)| (status, body))
    }

    fn call_with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, axum::http::HeaderMap, Vec<u8>), service::Error> {
        if self.down {
            return Err(service::Error::Invalid("peer: the network is partitioned".into()));
        }
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .header("authorization", format!("Bearer {}", self.token))
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("request");
        let app = self.app.clone();
        Ok(self.rt.block_on(async move {
            let response = app.oneshot(request).await.expect("router answers");
            let (parts, body) = response.into_parts();
            (parts.status, parts.headers, body.collect().await.expect("body").to_bytes().to_vec())
        }))
    }

    /// A successful GET's headers and body.
    fn get(&self, path: &str) -> Result<(axum::http::HeaderMap, Vec<u8>), service::Error> {
        let (status, headers, body) = self.call_with_headers("GET", path, None)?;
        if !status.is_success() {
            return Err(service::Error::Invalid(format!(
                "peer: {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        Ok((headers, body))
    }

    fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, service::Error> {
        let (_, body) = self.get(path)?;
        serde_json::from_slice(&body).map_err(|e| service::Error::Invalid(format!("peer: {e}")))
    }
}

impl service::federation::Remote for Link<'_> {
    fn collections(&self) -> Result<taxii::Collections, service::Error> {
        self.json("/meridian/collections/")
    }
    fn manifest(&self, collection: &str, query: &str) -> Result<taxii::Manifest, service::Error> {
        self.manifests.fetch_add(1, Ordering::Relaxed);
        self.json(&format!("/meridian/collections/{collection}/manifest/?{query}"))
    }
    fn objects(
        &self,
        collection: &str,
        query: &str,
    ) -> Result<client::ObjectsPage, service::Error> {
        if query.contains("match[id]=") {
            self.by_id.fetch_add(1, Ordering::Relaxed);
        } else if Some(self.pages.fetch_add(1, Ordering::Relaxed) + 1) == self.fail_page {
            return Err(service::Error::Invalid("peer: the connection was reset".into()));
        }
        let (headers, body) =
            self.get(&format!("/meridian/collections/{collection}/objects/?{query}"))?;
        let mut page: client::ObjectsPage = serde_json::from_slice(&body)
            .map_err(|e| service::Error::Invalid(format!("peer: {e}")))?;
        page.date_added_last = headers
            .get(client::DATE_ADDED_LAST)
            .and_then(|v| v.to_str().ok())
            .filter(|_| !self.strip_date_added_last)
            .map(str::to_owned);
        Ok(page)
    }
    fn add_objects(
        &self,
        collection: &str,
        objects: &[&RawValue],
    ) -> Result<taxii::Status, service::Error> {
        let body = format!(
            "{{\"objects\":[{}]}}",
            objects.iter().map(|o| o.get()).collect::<Vec<_>>().join(",")
        );
        let path = format!("/meridian/collections/{collection}/objects/");
        let deliveries = if self.duplicate { 2 } else { 1 };
        let mut first = None;
        for _ in 0..deliveries {
            let (status, answer) = self.call("POST", &path, Some(body.clone()))?;
            if status != StatusCode::ACCEPTED {
                return Err(service::Error::Invalid(format!("peer: {status}")));
            }
            let status: taxii::Status = serde_json::from_slice(&answer)
                .map_err(|e| service::Error::Invalid(e.to_string()))?;
            first.get_or_insert(status);
        }
        first.ok_or_else(|| service::Error::Invalid("no delivery".into()))
    }
    fn delete_object(&self, collection: &str, object: &str) -> Result<bool, service::Error> {
        let (status, _) = self.call(
            "DELETE",
            &format!("/meridian/collections/{collection}/objects/{object}/"),
            None,
        )?;
        Ok(status.is_success())
    }
    fn erasures(&self) -> Result<Vec<String>, service::Error> {
        let list: Value = self.json("/meridian/erasures/")?;
        Ok(list["erasures"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["id"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }
}
