//! Indicator sources: plain lists (one value per line, kind recognised, defanged forms
//! accepted), STIX 2.1 (and 2.0) bundles, MISP events and feeds, CSV files with a `value`
//! column, and saved indexes. [`load`] recognises which one a file is.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::csv::Fields;
use crate::error::Error;
use crate::indicator::{Indicator, Kind};
use crate::set::IndicatorSet;

/// The indicators read from a source, and what was left out and why.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The indicators.
    pub indicators: Vec<Indicator>,
    /// Values that are not indicators: where (a line number or an object id) and why.
    pub rejected: Vec<(String, String)>,
    /// STIX indicators left out because they are revoked.
    pub revoked: usize,
    /// STIX indicators left out because their `valid_until` has passed.
    pub expired: usize,
    /// STIX indicators whose pattern is more than a disjunction of atoms, or not STIX; and MISP
    /// attributes of types the matcher does not use or not marked `to_ids`.
    pub unusable: usize,
}

impl Loaded {
    fn reject(&mut self, at: impl Into<String>, why: impl ToString) {
        self.rejected.push((at.into(), why.to_string()));
    }

    /// Adds another source's results to these.
    pub fn extend(&mut self, other: Loaded) {
        if self.indicators.is_empty() {
            // Moved, not copied: a list of millions is most of a run's memory.
            self.indicators = other.indicators;
        } else {
            self.indicators.extend(other.indicators);
        }
        self.rejected.extend(other.rejected);
        self.revoked += other.revoked;
        self.expired += other.expired;
        self.unusable += other.unusable;
    }
}

/// What a source file held.
#[derive(Debug)]
#[non_exhaustive]
pub enum Source {
    /// Indicators to compile.
    Indicators(Loaded),
    /// A saved index, ready to use.
    Index(Box<IndicatorSet>),
}

/// Reads an indicator source, recognising its kind: a saved index by its magic bytes; JSON as a
/// STIX bundle (`"type": "bundle"`) or a MISP event; a `.csv` file as CSV; anything else as a
/// plain list. `now` decides which STIX indicators have expired.
pub fn load(path: &Path, now: &stix::Timestamp) -> Result<Source, Error> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    (&mut file).take(16).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if IndicatorSet::is_saved_index(&bytes) {
        // Used in place, memory-mapped.
        return Ok(Source::Index(Box::new(IndicatorSet::load_opened(path, file, bytes)?)));
    }
    file.read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    let source_error = |message: String| Error::Source { path: path.into(), message };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if matches!(first, Some(b'{' | b'[')) {
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| source_error(format!("not JSON: {e}")))?;
        if value.get("list").is_some() && value.get("name").is_some() && value.get("type").is_some()
        {
            return Err(source_error(
                "this is a MISP warninglist, not an indicator source".to_owned(),
            ));
        }
        if value.get("Event").is_some()
            || value.get("response").is_some()
            || value.get("Attribute").is_some()
        {
            return misp(&value).map(Source::Indicators).map_err(source_error);
        }
        return stix_bundle(&value, now).map(Source::Indicators).map_err(source_error);
    }
    let text = String::from_utf8_lossy(&bytes);
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        return csv(&text).map(Source::Indicators).map_err(source_error);
    }
    Ok(Source::Indicators(list(&text)))
}

/// A plain list: one value per line; blank lines and lines starting with `#` are skipped, and so
/// is anything after ` #` on a line. Large lists are parsed in pieces on all threads of the
/// current rayon pool; the indicators keep the list's order.
pub fn list(text: &str) -> Loaded {
    list_in_pieces(text, LIST_PIECE_BYTES)
}

fn list_in_pieces(text: &str, piece_bytes: usize) -> Loaded {
    use rayon::prelude::*;

    /// One piece of the text, cut at a line boundary.
    struct Piece {
        indicators: Vec<Indicator>,
        rejected: Vec<(usize, Error)>,
        lines: usize,
    }
    let pieces: Vec<&str> = pieces(text, piece_bytes).collect();
    let parsed: Vec<Piece> = pieces
        .into_par_iter()
        .map(|piece| {
            let mut out = Piece { indicators: Vec::new(), rejected: Vec::new(), lines: 0 };
            for (number, line) in piece.lines().enumerate() {
                out.lines = number + 1;
                let value = line.split_once(" #").map_or(line, |(value, _)| value).trim();
                if value.is_empty() || value.starts_with('#') {
                    continue;
                }
                match Indicator::parse(value) {
                    Ok(indicator) => out.indicators.push(indicator),
                    Err(error) => out.rejected.push((number, error)),
                }
            }
            out
        })
        .collect();
    let mut loaded = Loaded::default();
    loaded.indicators.reserve_exact(parsed.iter().map(|p| p.indicators.len()).sum());
    let mut first_line = 1;
    for piece in parsed {
        loaded.indicators.extend(piece.indicators);
        for (number, error) in piece.rejected {
            loaded.reject(format!("line {}", first_line + number), error);
        }
        first_line += piece.lines;
    }
    loaded
}

/// Lists are parsed in pieces of about this many bytes.
const LIST_PIECE_BYTES: usize = 1 << 20;

/// `text` cut after a newline into pieces of at least `size` bytes (the last may be shorter).
fn pieces(text: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = match rest.as_bytes().get(size..).and_then(|tail| memchr::memchr(b'\n', tail)) {
            Some(newline) => size + newline + 1,
            None => rest.len(),
        };
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
}

/// A CSV file whose header names a `value` (or `indicator`, `ioc`) column, and optionally a
/// `type` column (STIX, MISP or short kind names) and an `id` or `uuid` column.
pub fn csv(text: &str) -> Result<Loaded, String> {
    let mut lines = text.lines();
    let mut fields = Fields::default();
    fields.split(lines.next().unwrap_or_default().as_bytes(), b',')?;
    let header: Vec<String> = (0..fields.len())
        .map(|i| String::from_utf8_lossy(fields.get(i)).trim().to_lowercase())
        .collect();
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let value_column =
        find(&["value", "indicator", "ioc"]).ok_or("no `value` column in the CSV header")?;
    let type_column = find(&["type", "kind"]);
    let id_column = find(&["id", "uuid"]);
    let mut loaded = Loaded::default();
    for (number, line) in lines.enumerate() {
        let at = format!("line {}", number + 2);
        if line.trim().is_empty() {
            continue;
        }
        if let Err(error) = fields.split(line.as_bytes(), b',') {
            loaded.reject(at, error);
            continue;
        }
        let cell = |i: usize| String::from_utf8_lossy(fields.get(i)).trim().to_owned();
        let value = cell(value_column);
        let parsed = match type_column.map(cell).filter(|t| !t.is_empty()) {
            Some(kind) => match kind.parse::<Kind>() {
                Ok(kind) => Indicator::parse_as(kind, &value),
                Err(error) => {
                    loaded.reject(at, error);
                    continue;
                }
            },
            None => Indicator::parse(&value),
        };
        match parsed {
            Ok(mut indicator) => {
                if let Some(id) = id_column.map(cell).and_then(|id| parse_uuid(&id)) {
                    indicator = indicator.with_id(id);
                }
                loaded.indicators.push(indicator);
            }
            Err(error) => loaded.reject(at, error),
        }
    }
    Ok(loaded)
}

/// A STIX bundle (or a single indicator object): the atoms of every indicator whose pattern is a
/// disjunction of plain comparisons (see `pattern::extract_iocs`). Only the latest version of
/// each indicator counts; revoked and expired (`valid_until` before `now`) ones are left out.
pub fn stix_bundle(value: &Value, now: &stix::Timestamp) -> Result<Loaded, String> {
    let objects: Vec<&Value> = match value.get("type").and_then(Value::as_str) {
        Some("bundle") => value
            .get("objects")
            .and_then(Value::as_array)
            .map(|objects| objects.iter().collect())
            .unwrap_or_default(),
        Some("indicator") => vec![value],
        _ => return Err("neither a STIX bundle nor a MISP event".to_owned()),
    };
    // The latest version of each indicator (STIX 2.1 §3.6).
    let mut latest: HashMap<stix::Identifier, stix::Object> = HashMap::new();
    let mut loaded = Loaded::default();
    for object in objects {
        if object.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let object = match stix::Object::from_value(object.clone()) {
            Ok(object) => object,
            Err(error) => {
                loaded
                    .reject(object.get("id").and_then(Value::as_str).unwrap_or("indicator"), error);
                continue;
            }
        };
        match latest.get(object.id()) {
            Some(existing) if existing.modified() >= object.modified() => {}
            _ => {
                latest.insert(object.id().clone(), object);
            }
        }
    }
    let mut indicators: Vec<stix::Object> = latest.into_values().collect();
    indicators.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
    for object in indicators {
        let id = object.id().as_str().to_owned();
        if object.is_revoked() {
            loaded.revoked += 1;
            continue;
        }
        if object.timestamp("valid_until").is_some_and(|until| until <= *now) {
            loaded.expired += 1;
            continue;
        }
        let pattern_type = object.get("pattern_type").and_then(Value::as_str).unwrap_or("stix");
        let Some(text) = object.get("pattern").and_then(Value::as_str) else {
            loaded.reject(id, "indicator without a `pattern`");
            continue;
        };
        if pattern_type != "stix" {
            loaded.unusable += 1;
            continue;
        }
        let version = match object
            .get("pattern_version")
            .or_else(|| object.get("spec_version"))
            .and_then(Value::as_str)
        {
            Some("2.0") => pattern::Version::V2_0,
            _ => pattern::Version::V2_1,
        };
        let parsed = match pattern::parse_with(text, &pattern::Options::for_version(version)) {
            Ok(parsed) => parsed,
            Err(diagnostic) => {
                loaded.reject(id, format!("bad pattern: {}", diagnostic.message));
                continue;
            }
        };
        let Some(iocs) = pattern::extract_iocs(&parsed) else {
            loaded.unusable += 1;
            continue;
        };
        let uuid = object.id().uuid();
        for ioc in iocs {
            let (kind, value) = match ioc {
                pattern::Ioc::Domain(v) => (Ok(Kind::Domain), v),
                pattern::Ioc::Ipv4(v) => (Ok(Kind::Ipv4), v),
                pattern::Ioc::Ipv6(v) => (Ok(Kind::Ipv6), v),
                pattern::Ioc::Url(v) => (Ok(Kind::Url), v),
                pattern::Ioc::Email(v) => (Ok(Kind::Email), v),
                pattern::Ioc::Hash { algorithm, value } => (algorithm.parse::<Kind>(), value),
            };
            match kind {
                Ok(kind) => match Indicator::parse_as(kind, &value) {
                    Ok(indicator) => loaded.indicators.push(indicator.with_id(uuid)),
                    Err(error) => loaded.reject(id.clone(), error),
                },
                Err(_) => loaded.unusable += 1,
            }
        }
    }
    Ok(loaded)
}

/// A MISP event (`{"Event": …}`), a list of events (`{"response": [{"Event": …}]}`) or a bare
/// event: its attributes, and those of its objects, that are marked `to_ids` and not deleted.
/// The attribute's UUID becomes the indicator id, as in MISP's own STIX export.
pub fn misp(value: &Value) -> Result<Loaded, String> {
    let events: Vec<&Value> = match (value.get("response"), value.get("Event")) {
        (Some(Value::Array(items)), _) => {
            items.iter().filter_map(|item| item.get("Event")).collect()
        }
        (_, Some(event)) => vec![event],
        _ if value.get("Attribute").is_some() => vec![value],
        _ => return Err("not a MISP event".to_owned()),
    };
    let mut loaded = Loaded::default();
    for event in events {
        let direct = event.get("Attribute").and_then(Value::as_array).into_iter().flatten();
        let in_objects = event
            .get("Object")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|object| object.get("Attribute").and_then(Value::as_array))
            .flatten();
        for attribute in direct.chain(in_objects) {
            misp_attribute(attribute, &mut loaded);
        }
    }
    Ok(loaded)
}

fn misp_attribute(attribute: &Value, loaded: &mut Loaded) {
    let flag = |key: &str| match attribute.get(key) {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(s == "1" || s.eq_ignore_ascii_case("true")),
        Some(Value::Number(n)) => Some(n.as_u64() == Some(1)),
        _ => None,
    };
    if flag("deleted") == Some(true) || flag("to_ids") == Some(false) {
        loaded.unusable += 1;
        return;
    }
    let kind = attribute.get("type").and_then(Value::as_str).unwrap_or_default();
    let Some(value) = attribute.get("value").and_then(Value::as_str) else {
        loaded.unusable += 1;
        return;
    };
    let uuid = attribute.get("uuid").and_then(Value::as_str).and_then(parse_uuid);
    let at = attribute.get("uuid").and_then(Value::as_str).unwrap_or(kind).to_owned();
    // Composite types (`domain|ip`, `ip-dst|port`, `filename|sha256`) carry two values.
    let (first, second) = match kind.split_once('|') {
        Some((a, b)) => (a, Some(b)),
        None => (kind, None),
    };
    let (value_a, value_b) = match value.split_once('|') {
        Some((a, b)) => (a, Some(b)),
        None => (value, None),
    };
    let mut pairs = vec![(first, value_a)];
    if let (Some(kind_b), Some(value_b)) = (second, value_b) {
        pairs.push((kind_b, value_b));
    }
    let mut used = false;
    for (kind, value) in pairs {
        let kind = match kind {
            "domain" | "hostname" => Kind::Domain,
            "ip-src" | "ip-dst" | "ip" => Kind::Ipv4,
            "url" | "link" => Kind::Url,
            "email" | "email-src" | "email-dst" => Kind::Email,
            "md5" => Kind::Md5,
            "sha1" => Kind::Sha1,
            "sha256" => Kind::Sha256,
            "sha512" => Kind::Sha512,
            _ => continue,
        };
        used = true;
        match Indicator::parse_as(kind, value) {
            Ok(indicator) => {
                loaded.indicators.push(match uuid {
                    Some(id) => indicator.with_id(id),
                    None => indicator,
                });
            }
            Err(error) => loaded.reject(at.clone(), error),
        }
    }
    if !used {
        loaded.unusable += 1;
    }
}

fn parse_uuid(text: &str) -> Option<uuid::Uuid> {
    let text = text.rsplit_once("--").map_or(text, |(_, uuid)| uuid);
    uuid::Uuid::parse_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(loaded: &Loaded) -> String {
        let mut out: Vec<String> = loaded
            .indicators
            .iter()
            .map(|i| match i.id() {
                Some(id) => format!("{i} {}", &id.to_string()[..8]),
                None => i.to_string(),
            })
            .collect();
        out.extend(loaded.rejected.iter().map(|(at, why)| format!("rejected {at}: {why}")));
        out.push(format!(
            "revoked {} expired {} unusable {}",
            loaded.revoked, loaded.expired, loaded.unusable
        ));
        out.join("\n")
    }

    #[test]
    fn plain_lists() {
        let loaded = list(
            "# feed\nevil[.]example\n\n198.51.100.0/24 # C2\nhxxp://evil.example/x\nnot an ioc\n",
        );
        insta::assert_snapshot!(render(&loaded), @r#"
        domain:evil.example
        ipv4:198.51.100.0/24
        url:http://evil.example/x
        rejected line 6: not an indicator: "not an ioc": not a recognised indicator
        revoked 0 expired 0 unusable 0
        "#);
    }

    use proptest::prelude::{Just, Strategy, prop_oneof};

    proptest::proptest! {
        /// A list parsed in pieces (on several threads) gives what one piece gives: the same
        /// indicators in the same order, and rejects with the right line numbers.
        #[test]
        fn lists_in_pieces_are_one_list(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("evil[.]example".to_owned()),
                    Just("not an ioc".to_owned()),
                    Just(String::new()),
                    Just("# comment".to_owned()),
                    (0u32..u32::MAX).prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
                    "[a-z]{1,8}\\.(com|example)( # x)?\r?",
                    "[ -~]{0,12}",
                ],
                0..60,
            ),
            piece in 1usize..64,
            trailing_newline: bool,
        ) {
            let mut text = lines.join("\n");
            if trailing_newline {
                text.push('\n');
            }
            proptest::prop_assert_eq!(render(&list_in_pieces(&text, piece)), render(&list_in_pieces(&text, usize::MAX)));
        }
    }

    #[test]
    fn csv_sources() {
        let loaded = csv("type,value,uuid\ndomain-name,evil.example,indicator--11111111-1111-4111-8111-111111111111\n,10.0.0.1,\nmd5,nothex,\nx509,abc,\n").unwrap();
        insta::assert_snapshot!(render(&loaded), @r#"
        domain:evil.example 11111111
        ipv4:10.0.0.1
        rejected line 4: not an indicator: "nothex": not a hex digest of the hash's length
        rejected line 5: unknown indicator type "x509"
        revoked 0 expired 0 unusable 0
        "#);
        assert_eq!(csv("a,b\n1,2\n").unwrap_err(), "no `value` column in the CSV header");
    }

    #[test]
    fn stix_bundles() {
        let indicator = |n: u32, pattern: &str, extra: Value| {
            let mut object = serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{n:08}-0000-4000-8000-000000000000"),
                "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
                "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
            });
            if let (Some(object), Value::Object(extra)) = (object.as_object_mut(), extra) {
                object.extend(extra);
            }
            object
        };
        let bundle = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": [
            indicator(1, "[domain-name:value = 'evil.example' OR ipv4-addr:value = '198.51.100.7']", Value::Null),
            indicator(2, "[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']", Value::Null),
            indicator(3, "[domain-name:value = 'revoked.example']", serde_json::json!({"revoked": true})),
            indicator(4, "[domain-name:value = 'old.example']", serde_json::json!({"valid_until": "2024-06-01T00:00:00Z"})),
            indicator(5, "[domain-name:value LIKE '%.example']", Value::Null),
            indicator(6, "[domain-name:value = 'v1.example']", Value::Null),
            indicator(6, "[domain-name:value = 'v2.example']", serde_json::json!({"modified": "2024-02-01T00:00:00Z"})),
            indicator(7, "[domain-name:value = ", Value::Null),
            indicator(8, "alert tcp any any", serde_json::json!({"pattern_type": "snort"})),
        ]});
        let now: stix::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        insta::assert_snapshot!(render(&stix_bundle(&bundle, &now).unwrap()), @r#"
        domain:evil.example 00000001
        ipv4:198.51.100.7 00000001
        sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 00000002
        domain:v2.example 00000006
        rejected indicator--00000007-0000-4000-8000-000000000000: bad pattern: expected a constant (string, number, boolean, b'…', h'…' or t'…'), found end of pattern
        revoked 1 expired 1 unusable 2
        "#);
    }

    #[test]
    fn misp_events() {
        let event = serde_json::json!({"Event": {"Attribute": [
            {"type": "domain", "value": "evil.example", "to_ids": true, "uuid": "5f1b2c3d-0000-4000-8000-000000000001"},
            {"type": "ip-dst|port", "value": "198.51.100.7|443", "to_ids": "1"},
            {"type": "domain|ip", "value": "c2.example|2001:db8::1", "to_ids": true},
            {"type": "url", "value": "http://evil.example/x", "to_ids": false},
            {"type": "comment", "value": "hello"},
            {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "deleted": true}
        ], "Object": [{"Attribute": [{"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}]}]}});
        insta::assert_snapshot!(render(&misp(&event).unwrap()), @r#"
        domain:evil.example 5f1b2c3d
        ipv4:198.51.100.7
        domain:c2.example
        ipv6:2001:db8::1
        sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709
        revoked 0 expired 0 unusable 3
        "#);
    }
}
