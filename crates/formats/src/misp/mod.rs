//! MISP: events (JSON: one event, a list, `{"Event": …}` envelopes, or a REST `response`) and
//! feeds (`manifest.json`, one file per event, `hashes.csv`), converted to STIX 2.1 and back.
//! See [`import_misp`] and [`export_misp`] for the mappings.

mod describe;
mod export;
mod feed;
mod import;
mod mapping;

pub use export::{MispExport, export_misp, write_misp_events};
pub use feed::{FeedFile, manifest_events, write_feed};
pub use import::{MispImportOptions, import_misp};
