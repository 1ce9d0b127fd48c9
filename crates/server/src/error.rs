//! The one place where errors become HTTP statuses and TAXII error messages (TAXII 2.1 §3.6).
//! Bodies carry a correlation id and a safe description — never object content, markings,
//! owners or internal details, which go to the log under the same id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error on its way to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the service.
    #[error(transparent)]
    Service(#[from] service::Error),
    /// A query parameter could not be understood.
    #[error(transparent)]
    Filter(#[from] taxii::FilterError),
    /// The `Accept` header admits no TAXII 2.1 response.
    #[error("the Accept header must admit application/taxii+json;version=2.1")]
    NotAcceptable,
    /// The request body is not TAXII 2.1 content.
    #[error("the Content-Type must be application/taxii+json;version=2.1")]
    UnsupportedMediaType,
    /// The body did not arrive in time.
    #[error("the request body did not arrive in time")]
    Timeout,
    /// No such endpoint.
    #[error("no such endpoint")]
    NoRoute,
    /// A worker thread failed.
    #[error("internal error")]
    Join(#[from] tokio::task::JoinError),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Service(e) => match e {
                service::Error::Unauthenticated => StatusCode::UNAUTHORIZED,
                service::Error::NotFound | service::Error::UnknownFeed(_) => StatusCode::NOT_FOUND,
                service::Error::Forbidden(_) => StatusCode::FORBIDDEN,
                service::Error::Invalid(_) => StatusCode::BAD_REQUEST,
                service::Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Filter(_) => StatusCode::BAD_REQUEST,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::Join(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let error_id = uuid::Uuid::new_v4().to_string();
        let (title, description) = match status {
            // Names the feed formats; the same whatever the collection.
            StatusCode::NOT_FOUND
                if matches!(self, ApiError::Service(service::Error::UnknownFeed(_))) =>
            {
                ("Not found", self.to_string())
            }
            StatusCode::NOT_FOUND => {
                ("Not found", "The resource does not exist or you may not see it.".to_owned())
            }
            StatusCode::UNAUTHORIZED => (
                "Unauthorized",
                "Send a valid token in the Authorization header (Basic or Bearer).".to_owned(),
            ),
            StatusCode::INTERNAL_SERVER_ERROR => (
                "Internal error",
                "The request failed; nothing was acknowledged. Quote the error_id to the operator."
                    .to_owned(),
            ),
            _ => (status.canonical_reason().unwrap_or("Error"), self.to_string()),
        };
        if status.is_server_error() {
            tracing::error!(%error_id, error = ?self, "Request failed.");
        } else {
            tracing::debug!(%error_id, %status, error = %self, "Request refused.");
        }
        let mut message = taxii::ErrorMessage::new(status.as_u16(), title, description);
        message.error_id = Some(error_id);
        let mut response = (status, crate::taxii_json(&message)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"meridian\", Bearer realm=\"meridian\""),
            );
        }
        response
    }
}
