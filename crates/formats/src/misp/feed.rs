//! MISP feeds: a directory with `manifest.json` (event UUID → event summary), one
//! `<uuid>.json` per event (`{"Event": …}`), and `hashes.csv` (`md5(value),event uuid` per
//! attribute value, composite values split), as MISP's feed generator writes them.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::export::{MispExport, event_values};
use crate::Error;
use crate::digest::md5_hex;

/// One file of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFile {
    /// The file name (no directory part).
    pub name: String,
    /// The contents.
    pub contents: Vec<u8>,
}

/// The files of a feed holding the exported events.
///
/// # Errors
/// When serialising fails.
pub fn write_feed(export: &MispExport) -> Result<Vec<FeedFile>, Error> {
    let mut files = Vec::new();
    let mut manifest = Map::new();
    let mut hashes = String::new();
    for wrapped in &export.events {
        let Some(event) = wrapped.get("Event").and_then(Value::as_object) else { continue };
        let Some(uuid) = event.get("uuid").and_then(Value::as_str) else { continue };
        let mut summary = Map::new();
        for key in
            ["Orgc", "Tag", "info", "date", "analysis", "threat_level_id", "timestamp", "published"]
        {
            if let Some(v) = event.get(key) {
                summary.insert(key.into(), v.clone());
            }
        }
        summary.entry("Tag").or_insert_with(|| json!([]));
        manifest.insert(uuid.to_owned(), Value::Object(summary));
        for value in event_values(event) {
            hashes.push_str(&format!("{},{uuid}\n", md5_hex(value.as_bytes())));
        }
        let mut contents = serde_json::to_vec_pretty(wrapped)?;
        contents.push(b'\n');
        files.push(FeedFile { name: format!("{uuid}.json"), contents });
    }
    let mut contents = serde_json::to_vec_pretty(&Value::Object(manifest))?;
    contents.push(b'\n');
    files.insert(0, FeedFile { name: "manifest.json".into(), contents });
    files.push(FeedFile { name: "hashes.csv".into(), contents: hashes.into_bytes() });
    Ok(files)
}

/// The event UUIDs a feed's `manifest.json` lists, each safe to use as a file name
/// (`<uuid>.json`): anything that is not a UUID is an error, never a path.
///
/// # Errors
/// When the manifest is not a JSON object of UUIDs.
pub fn manifest_events(manifest: &Value) -> Result<Vec<String>, Error> {
    let Some(map) = manifest.as_object() else {
        return Err(Error::invalid("$", "manifest.json must be an object of event UUIDs"));
    };
    map.keys()
        .map(|key| {
            Uuid::parse_str(key).map(|u| u.hyphenated().to_string()).map_err(|_| {
                Error::invalid(format!("$[{key:?}]"), "a manifest key must be an event UUID")
            })
        })
        .collect()
}
