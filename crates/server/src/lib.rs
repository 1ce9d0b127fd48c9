//! Meridian's HTTP layer: the TAXII 2.1 endpoints under `/taxii2/` and the API root, the
//! export feeds under `/feeds/` (`feeds.rs`), `/healthz` and `/metrics`; authentication from the `Authorization` header; content negotiation; body
//! size and read-time limits; and the mapping from service errors to TAXII error messages
//! (`error.rs`, the one place that decides status codes).
//!
//! It reaches the store only through `service` (checked in CI). Tests call [`router`] with
//! `tower::ServiceExt::oneshot`, without sockets.
//!
//! ```no_run
//! # async fn run(node: std::sync::Arc<service::Node>) -> std::io::Result<()> {
//! let options = server::Options::default();
//! server::serve(node, &options, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod error;
mod feeds;
mod metrics;
mod routes;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use service::Node;
use tower::Service as _;

pub use error::ApiError;
pub use metrics::Metrics;
pub use tls::{TlsError, TlsFiles};

/// Server settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen.
    pub listen: SocketAddr,
    /// How long a client may take to send the request head.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request body.
    pub body_timeout: Duration,
    /// Serve HTTPS with this certificate and key (plain HTTP when absent).
    pub tls: Option<TlsFiles>,
}

impl Options {
    /// The default address: loopback only.
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";
    /// Default request-head timeout.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default body timeout.
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
            tls: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) node: Arc<Node>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) body_timeout: Duration,
    /// Admission for POSTed envelopes, which are CPU-bound (parse, validate, hash, insert):
    /// more of them at once than the machine has cores only adds switching and cache misses,
    /// so the rest wait here, in arrival order, with their bodies already read.
    pub(crate) ingest: Arc<tokio::sync::Semaphore>,
}

/// POSTs ingested at once: two per core (one can prepare while another waits for the writer
/// or its commit; group commit still gathers them).
fn ingest_permits() -> usize {
    2 * std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// The application: every route, with `node` behind it.
pub fn router(node: Arc<Node>, options: &Options) -> Router {
    router_with_metrics(node, options, Arc::new(Metrics::default()))
}

fn router_with_metrics(node: Arc<Node>, options: &Options, metrics: Arc<Metrics>) -> Router {
    let root = format!("/{}", node.options().api_root);
    let state = AppState {
        node,
        metrics: Arc::clone(&metrics),
        body_timeout: options.body_timeout,
        ingest: Arc::new(tokio::sync::Semaphore::new(ingest_permits())),
    };
    Router::new()
        .route("/taxii2/", get(routes::discovery))
        .route(&format!("{root}/"), get(routes::api_root))
        .route(&format!("{root}/status/{{id}}/"), get(routes::status))
        .route(&format!("{root}/collections/"), get(routes::collections))
        .route(&format!("{root}/collections/{{id}}/"), get(routes::collection))
        .route(
            &format!("{root}/collections/{{id}}/objects/"),
            get(routes::get_objects).post(routes::post_objects),
        )
        .route(
            &format!("{root}/collections/{{id}}/objects/{{object}}/"),
            get(routes::get_object).delete(routes::delete_object),
        )
        .route(
            &format!("{root}/collections/{{id}}/objects/{{object}}/versions/"),
            get(routes::versions),
        )
        .route(&format!("{root}/collections/{{id}}/manifest/"), get(routes::manifest))
        .route(&format!("{root}/erasures/"), get(routes::erasures))
        .route("/feeds/{collection}/{format}", get(feeds::feed))
        .route("/feeds/{collection}/misp-feed/{file}", get(feeds::misp_feed_file))
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .fallback(routes::no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(move |response: Response| {
            let metrics = Arc::clone(&metrics);
            async move {
                metrics.response(response.status().as_u16());
                response
            }
        }))
        .with_state(state)
}

async fn method_not_allowed() -> Response {
    let message = taxii::ErrorMessage::new(
        405,
        "Method not allowed",
        "This endpoint does not support that method.",
    );
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, taxii_json(&message)).into_response()
}

/// A JSON body with the TAXII 2.1 media type.
pub(crate) fn taxii_json<T: serde::Serialize>(value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(axum::body::Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(taxii::media::TAXII_21));
    response
}

/// Serves `node` on `options.listen` until `shutdown` completes, then lets open requests finish.
///
/// # Errors
/// When the address cannot be bound or the TLS files are unusable.
pub async fn serve(
    node: Arc<Node>,
    options: &Options,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    tracing::info!(address = %listener.local_addr()?, "Listening.");
    serve_listener(node, options, listener, shutdown).await
}

/// Like [`serve`], on a listener the caller bound (tests bind port 0).
///
/// # Errors
/// Accept failures that are not per-connection.
pub async fn serve_listener(
    node: Arc<Node>,
    options: &Options,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let acceptor = match &options.tls {
        Some(files) => Some(tls::acceptor(files).map_err(std::io::Error::other)?),
        None => None,
    };
    let app = router(node, options);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's header timeout needs a timer; without one it is silently off.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "Accept failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let tower_service = app.clone();
        let hyper_service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                tower_service.clone().call(request.map(axum::body::Body::new))
            });
        match &acceptor {
            None => {
                let connection = graceful.watch(
                    builder.serve_connection(TokioIo::new(stream), hyper_service).into_owned(),
                );
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%peer, %error, "Connection closed with an error.");
                    }
                });
            }
            Some(acceptor) => {
                // The handshake runs in the connection's task, bounded like the request head.
                let handshake =
                    tokio::time::timeout(options.header_read_timeout, acceptor.accept(stream));
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let stream = match handshake.await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            return tracing::debug!(%peer, %error, "TLS handshake failed.");
                        }
                        Err(_) => return tracing::debug!(%peer, "TLS handshake timed out."),
                    };
                    let connection = watcher.watch(
                        builder.serve_connection(TokioIo::new(stream), hyper_service).into_owned(),
                    );
                    if let Err(error) = connection.await {
                        tracing::debug!(%peer, %error, "Connection closed with an error.");
                    }
                });
            }
        }
    }
    tracing::info!("Shutting down: waiting for open requests.");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => tracing::warn!("Open connections did not finish in 30 s."),
    }
    Ok(())
}
