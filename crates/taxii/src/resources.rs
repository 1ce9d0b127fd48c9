//! TAXII 2.1 resources (§4.1 discovery, §4.2 API root, §4.3 status, §5.1-§5.2 collections,
//! §3.7 envelope, §5.3 manifest, §5.7 versions, §3.6.1 error message).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Discovery (TAXII 2.1 §4.1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// A human readable title.
    pub title: String,
    /// A description of the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to contact the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The default API root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The API roots this caller may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_roots: Vec<String>,
}

/// API root information (TAXII 2.1 §4.2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiRoot {
    /// A human readable title.
    pub title: String,
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Supported TAXII versions (media types).
    pub versions: Vec<String>,
    /// The largest request body accepted, in bytes; the server enforces exactly this.
    pub max_content_length: u64,
}

/// A per-object outcome in a status resource (TAXII 2.1 §4.3.1, `status-details`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDetail {
    /// The object's id.
    pub id: String,
    /// The object's version (`modified`, else `created`, else `date_added`).
    pub version: String,
    /// Why it failed (or a note on success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Status of a POST (TAXII 2.1 §4.3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The status id.
    pub id: String,
    /// `complete` or `pending`.
    pub status: String,
    /// When the request was received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timestamp: Option<String>,
    /// Objects in the request.
    pub total_count: u64,
    /// Objects stored.
    pub success_count: u64,
    /// Details of stored objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successes: Vec<StatusDetail>,
    /// Objects refused.
    pub failure_count: u64,
    /// Details of refused objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<StatusDetail>,
    /// Objects not yet processed.
    pub pending_count: u64,
    /// Details of pending objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pendings: Vec<StatusDetail>,
}

/// A collection resource (TAXII 2.1 §5.2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// The collection id (a UUID).
    pub id: String,
    /// A human readable title.
    pub title: String,
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A human-friendly alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Whether the caller may read objects.
    pub can_read: bool,
    /// Whether the caller may add objects.
    pub can_write: bool,
    /// Media types of the objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_types: Vec<String>,
}

/// The collections resource (TAXII 2.1 §5.1.1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Collections {
    /// The collections the caller may see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
}

/// An envelope of objects (TAXII 2.1 §3.7).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Envelope {
    /// Whether more objects match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// The token for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The objects, as JSON (kept as received).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<Value>,
}

/// A manifest record (TAXII 2.1 §5.3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRecord {
    /// The object's id.
    pub id: String,
    /// When this version was added to the collection.
    pub date_added: String,
    /// The version.
    pub version: String,
    /// The object's media type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// The manifest resource (TAXII 2.1 §5.3.1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Whether more records match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// The token for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ManifestRecord>,
}

/// The versions resource (TAXII 2.1 §5.7.1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Versions {
    /// Whether more versions match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// The token for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// An error message (TAXII 2.1 §3.6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorMessage {
    /// A short title.
    pub title: String,
    /// A longer description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An identifier for this error (Meridian: a correlation id found in the server's log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// A code for the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<String>,
    /// Where to read more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_details: Option<String>,
    /// Further details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Map<String, Value>>,
}

impl ErrorMessage {
    /// An error message with a title, a description and the HTTP status it goes with.
    pub fn new(status: u16, title: &str, description: impl Into<String>) -> Self {
        Self {
            title: title.to_owned(),
            description: Some(description.into()),
            error_id: None,
            error_code: None,
            http_status: Some(status.to_string()),
            external_details: None,
            details: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_serialises_like_the_specification_example() {
        let status = Status {
            id: "2d086da7-4bdc-4f91-900e-d77486753710".into(),
            status: "complete".into(),
            request_timestamp: Some("2016-11-02T12:34:34.123456Z".into()),
            total_count: 2,
            success_count: 1,
            successes: vec![StatusDetail {
                id: "indicator--c410e480-e42b-47d1-9476-85307c12bcbf".into(),
                version: "2018-05-27T12:02:41.312Z".into(),
                message: None,
            }],
            failure_count: 1,
            failures: vec![StatusDetail {
                id: "malware--664fa29d-bf65-4f28-a667-bdb76f29ec98".into(),
                version: "2018-05-28T14:03:42.543Z".into(),
                message: Some("Unable to process object".into()),
            }],
            pending_count: 0,
            pendings: vec![],
        };
        insta::assert_json_snapshot!(status, @r#"
        {
          "id": "2d086da7-4bdc-4f91-900e-d77486753710",
          "status": "complete",
          "request_timestamp": "2016-11-02T12:34:34.123456Z",
          "total_count": 2,
          "success_count": 1,
          "successes": [
            {
              "id": "indicator--c410e480-e42b-47d1-9476-85307c12bcbf",
              "version": "2018-05-27T12:02:41.312Z"
            }
          ],
          "failure_count": 1,
          "failures": [
            {
              "id": "malware--664fa29d-bf65-4f28-a667-bdb76f29ec98",
              "version": "2018-05-28T14:03:42.543Z",
              "message": "Unable to process object"
            }
          ],
          "pending_count": 0
        }
        "#);
    }
}
