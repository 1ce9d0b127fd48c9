//! The STIX 2.1 object model, its JSON wire format, and validation against the specification.
//!
//! This crate owns what a STIX object *is*: identifiers ([`Identifier`], `type--UUID`),
//! timestamps ([`Timestamp`], precision kept), objects ([`Object`]: the JSON as received plus
//! typed views, so custom and unknown properties always round-trip), the per-type structs
//! ([`Typed`]), bundles, markings and the pinned TLP 1.0/2.0 definitions ([`marking`]),
//! deterministic SCO ids ([`scoid`]), and the validator ([`validate`], [`stream`]).
//! It does no I/O of its own and has no features.
//!
//! ```
//! use stix::{Object, validate};
//! let json = serde_json::json!({
//!     "type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
//!     "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
//!     "valid_from": "2016-01-01T00:00:00Z", "x_acme_score": 7
//! });
//! let findings = validate::validate(&json, &validate::Options::default());
//! assert!(!validate::has_errors(&findings));
//! let object = Object::from_value(json.clone()).unwrap();
//! assert_eq!(object.object_type(), "indicator");
//! let stix::Typed::Indicator(indicator) = object.typed().unwrap() else { panic!() };
//! assert_eq!(indicator.extra["x_acme_score"], 7);                // custom properties are kept
//! assert_eq!(serde_json::to_value(&object).unwrap(), json);      // and round-trip exactly
//! ```

pub mod common;
mod identifier;
pub mod marking;
mod object;
pub mod schema;
pub mod sco;
pub mod scoid;
pub mod sdo;
pub mod stream;
pub mod syntax;
mod timestamp;
pub mod validate;

pub use identifier::{Identifier, IdentifierError, is_type_name};
pub use marking::{MarkingDefinition, Tlp};
pub use object::{Bundle, Object, ObjectError, Typed, VersioningError};
pub use timestamp::{Timestamp, TimestampError};
