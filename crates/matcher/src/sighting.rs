//! Turning hits into STIX 2.1 sightings (§5.3): one per indicator, with the first and last time
//! it was seen in the logs, how often, and who saw it.
//!
//! Sightings are built here and handed back as [`stix::Object`]s; storing them, marking them per
//! the node's policy and sharing them back is the caller's job (the store and policy crates).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::scan::Hit;
use crate::set::IndicatorSet;

/// The largest `count` STIX allows (§5.3).
pub const MAX_COUNT: u64 = 999_999_999;

/// Hits aggregated per indicator.
#[derive(Clone, Debug, Default)]
pub struct Sightings {
    per_indicator: BTreeMap<uuid::Uuid, Seen>,
    /// Hits on values that came from no STIX indicator (plain lists), which no sighting can name.
    pub without_indicator: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    first: Option<(i64, u32)>,
    last: Option<(i64, u32)>,
    count: u64,
}

/// What every sighting says besides its counts.
#[derive(Clone, Debug)]
pub struct SightingOptions {
    /// The organisation that saw the hits (`where_sighted_refs`, `created_by_ref`).
    pub sighted_by: stix::Identifier,
    /// `created` and `modified` of the new objects.
    pub now: stix::Timestamp,
    /// `object_marking_refs` of the new objects.
    pub markings: Vec<stix::Identifier>,
}

impl Sightings {
    /// Counts a hit for every indicator its entry came from.
    pub fn add(&mut self, set: &IndicatorSet, hit: &Hit) {
        let time = hit.timestamp.as_deref().and_then(parse_log_time);
        let mut any = false;
        for id in set.entry(hit.entry).ids() {
            any = true;
            let seen = self.per_indicator.entry(id).or_default();
            seen.count += 1;
            if let Some(time) = time {
                seen.first = Some(seen.first.map_or(time, |first| first.min(time)));
                seen.last = Some(seen.last.map_or(time, |last| last.max(time)));
            }
        }
        if !any {
            self.without_indicator += 1;
        }
    }

    /// The number of indicators sighted.
    pub fn len(&self) -> usize {
        self.per_indicator.len()
    }

    /// Whether nothing was sighted.
    pub fn is_empty(&self) -> bool {
        self.per_indicator.is_empty()
    }

    /// One `sighting` object per indicator, in indicator id order.
    pub fn to_objects(&self, options: &SightingOptions) -> Vec<stix::Object> {
        self.per_indicator
            .iter()
            .filter_map(|(id, seen)| {
                let mut map = Map::new();
                map.insert("type".into(), json!("sighting"));
                map.insert("spec_version".into(), json!("2.1"));
                map.insert("id".into(), json!(stix::Identifier::random("sighting")));
                map.insert("created".into(), json!(options.now.as_str()));
                map.insert("modified".into(), json!(options.now.as_str()));
                map.insert("created_by_ref".into(), json!(options.sighted_by));
                let indicator = stix::Identifier::new("indicator", *id).ok()?;
                map.insert("sighting_of_ref".into(), json!(indicator));
                if let (Some(first), Some(last)) = (seen.first, seen.last) {
                    let first = stix::Timestamp::from_unix_millis(first.0, first.1);
                    let last = stix::Timestamp::from_unix_millis(last.0, last.1);
                    map.insert("first_seen".into(), json!(first.as_str()));
                    map.insert("last_seen".into(), json!(last.as_str()));
                }
                map.insert("count".into(), json!(seen.count.min(MAX_COUNT)));
                map.insert("where_sighted_refs".into(), json!([options.sighted_by]));
                if !options.markings.is_empty() {
                    map.insert("object_marking_refs".into(), json!(options.markings));
                }
                stix::Object::from_map(map).ok()
            })
            .collect()
    }
}

/// Reads a log timestamp: Zeek's epoch seconds (`1700000000.123456`) or ISO 8601 as Suricata
/// writes it (`2023-11-14T22:13:20.123456+0000`, also with `Z` or `+00:00`). Gives seconds since
/// the epoch and milliseconds.
pub fn parse_log_time(text: &str) -> Option<(i64, u32)> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
        let seconds: i64 = seconds.parse().ok()?;
        return Some((seconds, millis(fraction)?));
    }
    let bytes = text.as_bytes();
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b' ')
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut ms = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        ms = millis(&fraction[..digits])?;
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3600 + minute * 60 + second - offset, ms))
}

fn millis(fraction: &str) -> Option<u32> {
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut padded = [b'0'; 3];
    for (slot, digit) in padded.iter_mut().zip(fraction.bytes()) {
        *slot = digit;
    }
    std::str::from_utf8(&padded).ok()?.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A STIX bundle of sightings, as JSON.
pub fn bundle(objects: Vec<stix::Object>) -> Value {
    serde_json::to_value(stix::Bundle::new(objects)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EntryId, Indicator, MatchKind};

    #[test]
    fn log_times() {
        assert_eq!(parse_log_time("1700000000.123456"), Some((1_700_000_000, 123)));
        assert_eq!(parse_log_time("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(parse_log_time("2023-11-14T22:13:20.123456+0000"), Some((1_700_000_000, 123)));
        assert_eq!(parse_log_time("2023-11-14T23:13:20+01:00"), Some((1_700_000_000, 0)));
        assert_eq!(parse_log_time("2023-11-14T22:13:20Z"), Some((1_700_000_000, 0)));
        assert_eq!(parse_log_time("1970-01-01T00:00:00.5Z"), Some((0, 500)));
        assert_eq!(parse_log_time("2023-13-14T22:13:20Z"), None);
        assert_eq!(parse_log_time("yesterday"), None);
        assert_eq!(parse_log_time("2023-11-14T22:13:20+0"), None);
    }

    #[test]
    fn sightings_are_valid_stix() {
        let a = uuid::Uuid::from_u128(0x1111_1111_1111_4111_8111_1111_1111_1111);
        let set = IndicatorSet::compile(
            [
                Indicator::parse("evil.example").unwrap().with_id(a),
                Indicator::parse("10.0.0.1").unwrap(),
            ],
            &[],
        );
        let hit = |entry: u32, ts: Option<&str>| Hit {
            line: 1,
            timestamp: ts.map(str::to_owned),
            field: "query".into(),
            value: "evil.example".into(),
            entry: EntryId(entry),
            kind: MatchKind::Exact,
        };
        let mut sightings = Sightings::default();
        sightings.add(&set, &hit(0, Some("1700000100.0")));
        sightings.add(&set, &hit(0, Some("1700000000.250")));
        sightings.add(&set, &hit(0, None));
        sightings.add(&set, &hit(1, Some("1700000000.0")));
        assert_eq!((sightings.len(), sightings.without_indicator), (1, 1));
        let options = SightingOptions {
            sighted_by: "identity--22222222-2222-4222-8222-222222222222".parse().unwrap(),
            now: "2024-01-01T00:00:00.000Z".parse().unwrap(),
            markings: vec![stix::Tlp::Amber.marking_id().parse().unwrap()],
        };
        let objects = sightings.to_objects(&options);
        let json = serde_json::to_value(&objects[0]).unwrap();
        assert_eq!(json["first_seen"], "2023-11-14T22:13:20.250Z");
        assert_eq!(json["last_seen"], "2023-11-14T22:15:00.000Z");
        assert_eq!(json["count"], 3);
        assert_eq!(json["sighting_of_ref"], "indicator--11111111-1111-4111-8111-111111111111");
        let findings =
            stix::validate::validate(&bundle(objects), &stix::validate::Options::default());
        assert!(!stix::validate::has_errors(&findings), "{findings:?}");
    }
}
