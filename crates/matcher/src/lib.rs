//! Indicator matching over logs at memory speed: compile the indicators a node may use into an
//! immutable [`IndicatorSet`], stream logs through it on every core, and report each hit to a
//! [`Sink`].
//!
//! This crate owns:
//!
//! - the indicator model ([`Indicator`], [`Kind`]) and its matching semantics: domain names match
//!   themselves and every subdomain, case-insensitively, with or without a trailing dot, in IDNA
//!   A-label form, and never as a mere substring; IPv4 and IPv6 addresses match exactly and by
//!   CIDR block, the longest prefix reported; URLs are normalised (RFC 3986 §6); MD5, SHA-1,
//!   SHA-256 and SHA-512 hashes and email addresses match case-insensitively; defanged input
//!   (`hxxp://evil[.]example`) is accepted where indicators are read;
//! - [`IndicatorSet`]: the compiled index (under 100 bytes per indicator), saved to a file and
//!   used from it memory-mapped, without copying or rebuilding it;
//! - indicator sources ([`source`]): plain lists, STIX 2.1 bundles (atoms extracted from
//!   patterns by the `pattern` crate), MISP events and CSV; MISP [`Warninglist`]s;
//! - log readers for Zeek TSV (any log, driven by `#fields`), Zeek JSON, Suricata EVE JSON, CSV
//!   with a column mapping and plain text, over plain, gzip or zstd input ([`Format`]);
//! - the scanner ([`scan_path`], [`scan_reader`]) and its [`Sink`];
//! - turning hits into STIX 2.1 sightings ([`sighting`]).
//!
//! It does no networking and knows nothing of the store or the sharing policy: the caller
//! decides which indicators go in and where sightings go.
//!
//! ```
//! use matcher::{Indicator, IndicatorSet, Hit, Options, Sink};
//!
//! let indicators = ["evil[.]example", "198.51.100.0/24"].map(|v| Indicator::parse(v).unwrap());
//! let set = IndicatorSet::compile(indicators, &[]);
//! let log = "#separator \\x09\n#fields\tts\tid.orig_h\tquery\n#types\ttime\taddr\tstring\n\
//!            1700000000.0\t10.0.0.1\twww.evil.example\n\
//!            1700000001.0\t198.51.100.9\tnotevil.example\n";
//!
//! struct Lines(Vec<String>);
//! impl Sink for Lines {
//!     fn hit(&mut self, hit: &Hit) -> std::io::Result<bool> {
//!         self.0.push(format!("{} {} {} {}", hit.line, hit.field, hit.value, hit.kind.as_str()));
//!         Ok(true)
//!     }
//! }
//! let mut sink = Lines(Vec::new());
//! let reader = std::io::Cursor::new(log.as_bytes().to_vec());
//! let summary = matcher::scan_reader(&set, "dns.log", reader, &Options::default(), &mut sink).unwrap();
//! assert_eq!(sink.0, ["4 query www.evil.example subdomain", "5 id.orig_h 198.51.100.9 cidr"]);
//! assert_eq!(summary.hit_lines, 2);
//! ```
//!
//! # Features
//!
//! None.

mod csv;
mod domain;
mod error;
mod hash;
mod indicator;
mod ipnet;
mod json;
mod line;
mod mmap;
mod refang;
mod role;
mod saved;
mod scan;
mod set;
pub mod sighting;
pub mod source;
mod swar;
mod tables;
mod text;
mod url;
mod warninglist;
mod zeek;

pub use csv::{CsvColumn, CsvColumns, CsvOptions};
pub use error::Error;
pub use indicator::{Indicator, Kind, MAX_VALUE_BYTES};
pub use refang::refang;
pub use role::Role;
pub use scan::{
    DEFAULT_BLOCK_BYTES, Format, Hit, MAX_LINE_BYTES, Options, Sink, Summary, scan_path,
    scan_reader,
};
pub use set::{EntryId, EntryRef, IndicatorSet, MAX_IDS_PER_VALUE, Match, MatchKind, Scratch};
pub use warninglist::Warninglist;
