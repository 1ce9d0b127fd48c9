//! Readers and writers for the formats Meridian meets outside STIX: MISP events and feeds (both
//! ways), plain and defanged IOC text, CSV with a column mapping; and the enforcement formats
//! resolvers, sensors and firewalls load: DNS RPZ zones, Suricata datasets, rules and IP
//! reputation, Zeek Intel files, nftables sets, CSV and plain lists, plus STIX bundles.
//!
//! Imports turn input into STIX objects and a [`Report`] (created, rejected with reason and
//! location, ignored). Exports run in two steps: [`select`] applies the rules every export
//! obeys plus an [`Exportable`] filter (the policy engine, later), and a `write_*` function
//! writes the [`Selection`] to any `io::Write`. No function here does file I/O of its own.
//!
//! # Rules every export obeys
//!
//! Revoked objects, expired indicators (`valid_until` in the past), objects labelled
//! [`EXERCISE_LABEL`], and objects marked TLP:RED or with an unknown marking never go out, in any
//! format. Values on a warninglist never go into enforcement formats. CSV cells are neutralised
//! against formula injection. See [`export`] for the details.
//!
//! ```
//! use formats::{Purpose, SelectOptions, BuiltInRulesOnly};
//! let bundle: stix::Bundle = serde_json::from_value(serde_json::json!({
//!     "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
//!     "objects": [{
//!         "type": "indicator", "spec_version": "2.1",
//!         "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
//!         "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
//!         "valid_from": "2024-01-01T00:00:00Z"
//!     }]
//! })).unwrap();
//! let now = "2024-06-01T00:00:00Z".parse().unwrap();
//! let selection = formats::select(bundle.objects, &BuiltInRulesOnly, &SelectOptions::new(Purpose::Enforcement, now));
//! let mut zone = Vec::new();
//! formats::rpz::write_rpz(&selection, &formats::rpz::RpzOptions::default(), &mut zone).unwrap();
//! assert!(String::from_utf8(zone).unwrap().contains("*.evil.example CNAME ."));
//! ```
//!
//! # Features
//!
//! None.

mod bundle;
pub mod csv;
mod digest;
mod error;
pub mod export;
mod indicator;
mod ipnet;
pub mod misp;
pub mod nft;
mod observable;
mod plain;
mod report;
pub mod rpz;
pub mod suricata;
pub mod text;
mod warninglist;
pub mod zeek;

pub use bundle::{import_stix, upgrade_20, write_bundle};
pub use error::Error;
pub use export::{
    BuiltInRulesOnly, Decision, EnforcementSelector, Exportable, Purpose, Reason, SelectOptions,
    Selected, Selection, Withheld, select,
};
pub use indicator::{IndicatorMeta, MERIDIAN_NAMESPACE, parse_tlp};
pub use ipnet::{IpNet, merge as merge_ip_blocks};
pub use observable::{HashAlgorithm, Kind, Observable, escape_pattern_string};
pub use plain::{PlainList, write_plain};
pub use report::{Import, Problem, Report};
pub use warninglist::Warninglists;

/// The label that marks exercise data (objects made by the exercise mode, or imported for an
/// exercise). Objects carrying it never leave the node through an export, whatever the format.
pub const EXERCISE_LABEL: &str = "meridian:exercise";
