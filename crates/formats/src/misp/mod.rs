//! MISP: events (JSON, one event, a list, or `{"Event": …}` envelopes) and feeds
//! (`manifest.json`, one file per event, `hashes.csv`), converted to STIX 2.1 and back.
pub(crate) mod describe;
