//! Meridian's application core — the API boundary. It speaks in domain terms (principals,
//! collections, object versions, statuses) and knows nothing about HTTP: `server` maps requests
//! to `Node` calls and errors to status codes.
//!
//! Invariant: every object that leaves the node goes through `sharing` (collection grants, then
//! the per-object `disclose` decision); no caller reads the store around it.
//!
//! ```
//! use std::sync::Arc;
//! let dir = tempfile::tempdir().unwrap();
//! let store = Arc::new(store::SqliteStore::open(&store::Options::new(dir.path())).unwrap());
//! let ledger = Arc::new(store::Ledger::open(dir.path()).unwrap());
//! let node = service::Node::new(store, ledger, service::Options::default()).unwrap();
//! assert_eq!(node.api_root().max_content_length, service::Options::DEFAULT_MAX_CONTENT_LENGTH);
//! assert!(matches!(node.authenticate(Some("Bearer nope")), Err(service::Error::Unauthenticated)));
//! ```

pub mod admin;
pub mod auth;
mod cursor;
pub mod demo;
mod directory;
mod erasure;
mod error;
pub mod export;
pub mod federation;
mod feed_tags;
mod node;
mod policy_config;
pub mod sharing;

pub use erasure::Erased;
pub use error::Error;
pub use feed_tags::Feed;
pub use node::{Checked, ImportReport, Node, ObjectPage, Options, now_micros};
pub use policy_config::{OrgDeclarations, PolicyConfig};
pub use store::micros_to_timestamp;

/// An authenticated caller: a user of an organisation, through a token of some scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: store::User,
    /// The user's organisation.
    pub org: store::Org,
    /// The token's scope.
    pub scope: store::TokenScope,
}

impl Principal {
    /// A partner node acting as a reader of this node (push, exports for a partner, erasure
    /// notices): what it could read here is what it may receive.
    pub(crate) fn partner(peer: &str, org: &store::Org) -> Self {
        Principal {
            user: store::User {
                id: -1,
                name: format!("peer:{peer}"),
                org: org.id,
                is_admin: false,
            },
            org: org.clone(),
            scope: store::TokenScope::Read,
        }
    }
}
