//! Meridian's store: every STIX object version kept losslessly with its provenance, collection
//! membership with strictly increasing `date_added`, accounts (organisations, users, hashed
//! tokens), per-collection grants, and TAXII status resources.
//!
//! The store never decides who may see what: it answers queries; `service` applies the sharing
//! policy. Features: `sqlite` (default) — the embedded backend, SQLite in WAL mode with
//! `synchronous=FULL`, so a write that returned `Ok` survives a crash or power loss.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! use store::Store as _;
//! let store = store::SqliteStore::open(&store::Options::new(dir.path())).unwrap();
//! let org = store.add_org("CERT-EU", "EU", &[]).unwrap();
//! assert_eq!(store.org_by_name("CERT-EU").unwrap().unwrap().id, org);
//! ```

mod error;
#[cfg(feature = "sqlite")]
mod federation;
#[cfg(feature = "sqlite")]
mod ledger;
mod model;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod stewardship;
#[cfg(feature = "sqlite")]
mod wal;

pub use error::Error;
#[cfg(feature = "sqlite")]
pub use federation::{Federation, Peer};
#[cfg(feature = "sqlite")]
pub use ledger::{Disclosure, Ledger, LedgerEntry, LedgerFilter};
pub use model::{
    CollectionInfo, Grant, Grantee, Ingest, IngestOutcome, Options, Org, OrgId, Page, Provenance,
    Query, StatusRecord, Store, StoredVersion, Token, TokenScope, User, UserId, VersionSelect,
    micros_to_timestamp, timestamp_to_micros, version_key,
};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
#[cfg(feature = "sqlite")]
pub use stewardship::{Erasure, Review, ReviewRequest, Verdict};
