//! `/feeds/{collection}/{format}`: the node's exports (RPZ, Suricata, Zeek, nftables, CSV, plain
//! lists, STIX bundles, MISP events) per token, for resolvers, sensors and firewalls that poll;
//! `/feeds/{collection}/misp-feed/{file}`: the same as a MISP feed directory.
//!
//! Authentication is TAXII's (the `Authorization` header, Basic or Bearer); what a feed holds is
//! decided per caller by the service (`Node::prepare_export`: grants, sharing policy, reference
//! hygiene, export rules). The `ETag` is strong: the SHA-256 of the exact body, so it differs
//! between callers exactly when their content does. A matching `If-None-Match` answers 304
//! with no body and records nothing in the ledger (nothing was disclosed); so does `HEAD`,
//! which sends the headers only. A 200 is recorded before its body leaves (`Node::release`).
//! `Cache-Control: private, no-cache`: only the caller may cache it, and must revalidate.
//! Revalidation is cheap when nothing changed: the node keeps each caller's last tags with what
//! they depend on and answers a matching `If-None-Match` from them (`Node::prepare_feed`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// What to answer once the export is prepared.
enum Outcome {
    /// 200 with this body.
    Full(Vec<u8>),
    /// 200 to `HEAD`: headers only, for a body of this length.
    Head(usize),
    /// 304.
    NotModified,
}

pub(crate) async fn feed(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    Path((collection, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve(&state, &method, &headers, &uri, collection, name, None).await
}

/// `/feeds/{collection}/misp-feed/{file}`: a MISP feed (`manifest.json`, `hashes.csv`, one
/// `{uuid}.json` per event) that MISP can subscribe to with the token in a header. The same
/// decisions as every feed; the `ETag` is the file's own digest; a 200 records the whole feed.
pub(crate) async fn misp_feed_file(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    Path((collection, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve(&state, &method, &headers, &uri, collection, "misp-feed".into(), Some(file)).await
}

/// Prepares feed `name` of `collection` for the caller (one `file` of it, for a directory
/// feed), then answers 304, headers only (`HEAD`) or the body recorded in the ledger.
async fn serve(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
    collection: String,
    name: String,
    file: Option<String>,
) -> Result<Response, ApiError> {
    let params: Vec<(String, String)> = Query::try_from_uri(uri)
        .map(|Query(p)| p)
        .map_err(|e| service::Error::Invalid(format!("the query is not readable: {e}")))?;
    let if_none_match =
        headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let head = method == Method::HEAD;
    let node = Arc::clone(&state.node);
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (etag, media_type, outcome) = tokio::task::spawn_blocking(move || {
        let principal = node.authenticate(auth.as_deref())?;
        if name == "misp-feed" && file.is_none() {
            return Err(service::Error::UnknownFeed(format!(
                "the MISP feed is a directory: subscribe to /feeds/{collection}/misp-feed/ (manifest.json, hashes.csv, one file per event)"
            )));
        }
        let request = service::export::ExportRequest::for_feed(&collection, &name, &params)?;
        let holds = |digest: &str| {
            if_none_match.as_deref().is_some_and(|tags| none_match(tags, &format!("\"{digest}\"")))
        };
        let prepared = match node.prepare_feed(&principal, &request, file.as_deref(), Some(&holds))? {
            // Nothing changed since the feed was last written for this caller: no need to
            // write it again to know its tag.
            service::Feed::Current(digest) => {
                return Ok::<_, service::Error>((format!("\"{digest}\""), "", Outcome::NotModified));
            }
            service::Feed::Written(prepared) => *prepared,
        };
        let (length, digest, media_type) = match &file {
            None => (prepared.len(), prepared.digest().to_owned(), prepared.media_type()),
            Some(file) => {
                let (f, digest) = prepared.file(file).ok_or(service::Error::NotFound)?;
                let media_type = if file.ends_with(".csv") {
                    "text/csv; charset=utf-8"
                } else {
                    "application/json"
                };
                (f.contents.len(), digest.to_owned(), media_type)
            }
        };
        let etag = format!("\"{digest}\"");
        if if_none_match.as_deref().is_some_and(|tags| none_match(tags, &etag)) {
            return Ok((etag, media_type, Outcome::NotModified));
        }
        if head {
            return Ok((etag, media_type, Outcome::Head(length)));
        }
        let body = match &file {
            None => node.release(prepared)?.into_iter().next(),
            Some(file) => node.release_file(prepared, file)?,
        };
        Ok((etag, media_type, Outcome::Full(body.map(|f| f.contents).unwrap_or_default())))
    })
    .await??;
    Ok(respond(etag, media_type, outcome))
}

/// The response for a prepared feed: status, body and caching headers.
fn respond(etag: String, media_type: &'static str, outcome: Outcome) -> Response {
    let (status, body, length) = match outcome {
        Outcome::Full(body) => (StatusCode::OK, Body::from(body), None),
        Outcome::Head(length) => (StatusCode::OK, Body::empty(), Some(length)),
        Outcome::NotModified => (StatusCode::NOT_MODIFIED, Body::empty(), None),
    };
    let mut response = (status, body).into_response();
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    out.insert(header::VARY, HeaderValue::from_static("Authorization"));
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if status == StatusCode::OK {
        out.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    }
    if let Some(length) = length {
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

/// Whether an `If-None-Match` value matches `etag` (RFC 9110 §13.1.2): `*`, or a list of
/// entity tags compared weakly (a `W/` prefix is ignored).
fn none_match(value: &str, etag: &str) -> bool {
    if value.trim() == "*" {
        return true;
    }
    let opaque = etag.trim_matches('"');
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let tag_start = rest.strip_prefix("W/").unwrap_or(rest);
        let Some(quoted) = tag_start.strip_prefix('"') else { return false };
        let Some(end) = quoted.find('"') else { return false };
        if &quoted[..end] == opaque {
            return true;
        }
        rest = &quoted[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::none_match;

    #[test]
    fn if_none_match_lists_compare_weakly() {
        let etag = "\"abc\"";
        assert!(none_match("\"abc\"", etag));
        assert!(none_match("W/\"abc\"", etag));
        assert!(none_match("\"x\", W/\"y\" ,\"abc\"", etag));
        assert!(none_match("*", etag));
        assert!(!none_match("\"abcd\"", etag));
        assert!(!none_match("\"ab\"", etag));
        assert!(!none_match("abc", etag));
        assert!(!none_match("\"x\", \"unterminated", etag));
        assert!(!none_match("", etag));
    }
}
