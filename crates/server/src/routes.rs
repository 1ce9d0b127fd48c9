//! The TAXII 2.1 endpoints (§4-§5). Each handler checks content negotiation, parses the query,
//! and runs the service call on the blocking pool (the store is synchronous).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use service::{Node, ObjectPage, Principal};
use taxii::Filter;

use crate::error::ApiError;
use crate::{AppState, taxii_json};

type Result<T> = std::result::Result<T, ApiError>;

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn check_accept(headers: &HeaderMap) -> Result<()> {
    match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        // No Accept header: any type is acceptable (RFC 9110 §12.5.1).
        None => Ok(()),
        Some(accept) if taxii::media::accepts_taxii(accept) => Ok(()),
        Some(_) => Err(ApiError::NotAcceptable),
    }
}

/// Runs `f` with the authenticated principal on the blocking pool.
async fn with_principal<T: Send + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    f: impl FnOnce(&Node, &Principal) -> std::result::Result<T, service::Error> + Send + 'static,
) -> Result<T> {
    let node = Arc::clone(&state.node);
    let auth = authorization(headers);
    Ok(tokio::task::spawn_blocking(move || {
        let principal = node.authenticate(auth.as_deref())?;
        f(&node, &principal)
    })
    .await??)
}

fn filter(query: Option<String>) -> Result<Filter> {
    Ok(Filter::parse(query.as_deref().unwrap_or(""))?)
}

pub(crate) async fn discovery(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response> {
    check_accept(&headers)?;
    let discovery = with_principal(&state, &headers, |node, _| Ok(node.discovery())).await?;
    Ok(taxii_json(&discovery).into_response())
}

pub(crate) async fn api_root(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response> {
    check_accept(&headers)?;
    let root = with_principal(&state, &headers, |node, _| Ok(node.api_root())).await?;
    Ok(taxii_json(&root).into_response())
}

pub(crate) async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    check_accept(&headers)?;
    let status = with_principal(&state, &headers, move |node, p| node.status(p, &id)).await?;
    Ok(taxii_json(&status).into_response())
}

pub(crate) async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response> {
    check_accept(&headers)?;
    let collections = with_principal(&state, &headers, |node, p| node.collections(p)).await?;
    Ok(taxii_json(&collections).into_response())
}

pub(crate) async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    check_accept(&headers)?;
    let collection =
        with_principal(&state, &headers, move |node, p| node.collection(p, &id)).await?;
    Ok(taxii_json(&collection).into_response())
}

pub(crate) async fn get_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_accept(&headers)?;
    let filter = filter(query)?;
    let page =
        with_principal(&state, &headers, move |node, p| node.objects(p, &id, &filter)).await?;
    Ok(envelope(&page))
}

pub(crate) async fn get_object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_accept(&headers)?;
    let filter = filter(query)?;
    let page =
        with_principal(&state, &headers, move |node, p| node.object(p, &id, &object, &filter))
            .await?;
    Ok(envelope(&page))
}

pub(crate) async fn delete_object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_accept(&headers)?;
    let filter = filter(query)?;
    with_principal(&state, &headers, move |node, p| node.delete_object(p, &id, &object, &filter))
        .await?;
    Ok(StatusCode::OK.into_response())
}

pub(crate) async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, object)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_accept(&headers)?;
    let filter = filter(query)?;
    let page =
        with_principal(&state, &headers, move |node, p| node.versions(p, &id, &object, &filter))
            .await?;
    let body = taxii::Versions {
        more: Some(page.more),
        next: page.next.clone(),
        versions: page.items.iter().map(|v| v.version.clone()).collect(),
    };
    Ok(with_date_headers(taxii_json(&body).into_response(), &page))
}

pub(crate) async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    check_accept(&headers)?;
    let filter = filter(query)?;
    let page =
        with_principal(&state, &headers, move |node, p| node.manifest(p, &id, &filter)).await?;
    let body = taxii::Manifest {
        more: Some(page.more),
        next: page.next.clone(),
        objects: page
            .items
            .iter()
            .map(|v| taxii::ManifestRecord {
                id: v.id.clone(),
                date_added: service::micros_to_timestamp(v.date_added_micros),
                version: v.version.clone(),
                media_type: Some(format!("application/stix+json;version={}", v.spec_version)),
            })
            .collect(),
    };
    Ok(with_date_headers(taxii_json(&body).into_response(), &page))
}

pub(crate) async fn post_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response> {
    check_accept(&headers)?;
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !taxii::media::is_taxii_content(content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let limit = state.node.options().max_content_length;
    let too_large = || ApiError::Service(service::Error::TooLarge { limit });
    // Refuse by the declared length before reading anything (SECURITY.md rule 9).
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let read =
        axum::body::to_bytes(request.into_body(), usize::try_from(limit).unwrap_or(usize::MAX));
    let body: Bytes = match tokio::time::timeout(state.body_timeout, read).await {
        Err(_) => return Err(ApiError::Timeout),
        Ok(Err(_)) => return Err(too_large()),
        Ok(Ok(bytes)) => bytes,
    };
    // The semaphore is never closed, so the permit always comes.
    let _permit = state.ingest.acquire().await;
    let status =
        with_principal(&state, &headers, move |node, p| node.add_objects(p, &id, &body)).await?;
    state.metrics.objects(status.success_count, status.failure_count);
    Ok((StatusCode::ACCEPTED, taxii_json(&status)).into_response())
}

/// The envelope, written directly from the stored JSON (no re-serialisation of objects).
fn envelope(page: &ObjectPage) -> Response {
    let mut body =
        String::with_capacity(64 + page.items.iter().map(|v| v.json.len() + 1).sum::<usize>());
    body.push_str("{\"more\":");
    body.push_str(if page.more { "true" } else { "false" });
    if let Some(next) = &page.next {
        body.push_str(",\"next\":");
        body.push_str(&serde_json::to_string(next).unwrap_or_else(|_| "\"\"".into()));
    }
    if !page.items.is_empty() {
        body.push_str(",\"objects\":[");
        for (i, item) in page.items.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&item.json);
        }
        body.push(']');
    }
    body.push('}');
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(taxii::media::TAXII_21));
    with_date_headers(response, page)
}

/// `X-TAXII-Date-Added-First` / `-Last` (TAXII 2.1 §3.3.1).
fn with_date_headers(mut response: Response, page: &ObjectPage) -> Response {
    if let Some((first, last)) = page.date_added_bounds() {
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&first) {
            headers.insert("x-taxii-date-added-first", v);
        }
        if let Ok(v) = HeaderValue::from_str(&last) {
            headers.insert("x-taxii-date-added-last", v);
        }
    }
    response
}

/// `GET {api-root}/erasures/` (a Meridian extension, not TAXII): the objects erased here that
/// the caller's organisation received, so that partner nodes which pull erase them too.
pub(crate) async fn erasures(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response> {
    let list = with_principal(&state, &headers, |node, p| node.erasures_for(p)).await?;
    let erasures: Vec<serde_json::Value> = list
        .into_iter()
        .map(|(id, erased)| serde_json::json!({"id": id, "erased": erased}))
        .collect();
    Ok(axum::Json(serde_json::json!({ "erasures": erasures })).into_response())
}

pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = Response::new(Body::from(state.metrics.render()));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

pub(crate) async fn no_route() -> ApiError {
    ApiError::NoRoute
}
