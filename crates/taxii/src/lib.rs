//! TAXII 2.1 wire types (OASIS TAXII Version 2.1, §4-§5): discovery, API root, collections,
//! envelopes, manifests, versions, status and error messages; the TAXII media type and content
//! negotiation rules; and the filter and pagination parameters of §3.4-§3.5. No HTTP library:
//! the server maps these to HTTP.
//!
//! ```
//! let filter = taxii::Filter::parse("match[type]=indicator,malware&limit=50&added_after=2024-01-01T00:00:00Z").unwrap();
//! assert_eq!(filter.types, vec!["indicator", "malware"]);
//! assert_eq!(filter.limit, Some(50));
//! assert!(taxii::media::accepts_taxii("application/taxii+json;version=2.1"));
//! ```

pub mod filter;
pub mod media;
mod resources;

pub use filter::{Filter, FilterError, VersionMatch};
pub use resources::{
    ApiRoot, Collection, Collections, Discovery, Envelope, ErrorMessage, Manifest, ManifestRecord,
    Status, StatusDetail, Versions,
};
