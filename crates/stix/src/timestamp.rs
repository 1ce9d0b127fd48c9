//! STIX timestamps (STIX 2.1 §3.2 and RFC 3339): UTC, `Z`-terminated, precision kept as received.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A STIX timestamp: `YYYY-MM-DDTHH:MM:SS[.s+]Z` (STIX 2.1 §3.2, an RFC 3339 profile).
///
/// The text is kept exactly as received, so serialising gives back the same precision. Comparison
/// and equality are by instant (nanosecond resolution; digits beyond nanoseconds only break ties),
/// so `…00Z` and `…00.000Z` are the same moment.
#[derive(Clone)]
pub struct Timestamp {
    text: Box<str>,
    /// Seconds since the Unix epoch (may be negative for years before 1970).
    seconds: i64,
    /// Nanoseconds within the second.
    nanos: u32,
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC): {reason}")]
pub struct TimestampError {
    text: String,
    reason: &'static str,
}

impl Timestamp {
    /// Number of digits after the decimal point, as written (0 when there is no fraction).
    pub fn precision(&self) -> usize {
        self.text.find('.').map_or(0, |dot| self.text.len() - dot - 2)
    }

    /// The timestamp as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Seconds since the Unix epoch and nanoseconds within the second.
    pub fn unix(&self) -> (i64, u32) {
        (self.seconds, self.nanos)
    }

    /// The current time, with millisecond precision (what STIX 2.1 §3.2 asks of `created`/`modified`).
    pub fn now() -> Self {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        // `as i64`: the seconds since 1970 fit easily.
        Self::from_unix_millis(since.as_secs() as i64, since.subsec_millis())
    }

    /// Builds the timestamp for `seconds` since the epoch plus `millis`, written with 3 decimals.
    pub fn from_unix_millis(seconds: i64, millis: u32) -> Self {
        let millis = millis.min(999);
        let days = seconds.div_euclid(86_400);
        let secs_of_day = seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            secs_of_day / 3600,
            secs_of_day / 60 % 60,
            secs_of_day % 60
        );
        Self { text: text.into(), seconds, nanos: millis * 1_000_000 }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| TimestampError { text: s.to_owned(), reason };
        let b = s.as_bytes();
        if b.len() < 20 {
            return Err(err("too short"));
        }
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(err("expected the form YYYY-MM-DDTHH:MM:SS"));
        }
        if *b.last().unwrap_or(&0) != b'Z' {
            return Err(err("must end with Z (UTC)"));
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let part = &b[r];
            if part.iter().all(u8::is_ascii_digit) {
                Ok(part.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
            } else {
                Err(err("expected digits"))
            }
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let rest = &b[19..b.len() - 1];
        let nanos = match rest {
            [] => 0,
            [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
                let mut n = 0u32;
                for i in 0..9 {
                    n = n * 10 + digits.get(i).map_or(0, |&c| u32::from(c - b'0'));
                }
                n
            }
            _ => return Err(err("the fraction of a second must be `.` followed by digits")),
        };
        if !(1..=12).contains(&month) {
            return Err(err("month out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(err("day out of range for the month"));
        }
        if hour > 23 || minute > 59 {
            return Err(err("hour or minute out of range"));
        }
        // RFC 3339 §5.7 allows a leap second (60).
        if second > 60 {
            return Err(err("second out of range"));
        }
        let seconds =
            days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Ok(Self { text: s.into(), seconds, nanos })
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.seconds, self.nanos).cmp(&(other.seconds, other.nanos)).then_with(|| {
            // Beyond nanoseconds, compare the remaining digits as written.
            let extra = |t: &Self| -> String {
                t.text
                    .find('.')
                    .map(|d| {
                        t.text[d + 1..t.text.len() - 1]
                            .get(9..)
                            .unwrap_or("")
                            .trim_end_matches('0')
                            .to_owned()
                    })
                    .unwrap_or_default()
            };
            extra(self).cmp(&extra(other))
        })
    }
}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.seconds, self.nanos).hash(state);
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keeps_precision_and_orders_by_instant() {
        assert_eq!(ts("2016-05-12T08:17:27Z").precision(), 0);
        assert_eq!(ts("2016-05-12T08:17:27.000Z").precision(), 3);
        assert_eq!(ts("2016-05-12T08:17:27.123456789012Z").precision(), 12);
        assert_eq!(ts("2016-05-12T08:17:27Z"), ts("2016-05-12T08:17:27.000Z"));
        assert!(ts("2016-05-12T08:17:27.1Z") > ts("2016-05-12T08:17:27.09999Z"));
        assert!(ts("2016-05-12T08:17:27.0000000001Z") > ts("2016-05-12T08:17:27Z"));
        assert!(ts("1969-12-31T23:59:59Z") < ts("1970-01-01T00:00:00Z"));
        assert_eq!(ts("1970-01-02T00:00:01.5Z").unix(), (86_401, 500_000_000));
    }

    #[test]
    fn rejects_non_stix_forms() {
        for bad in [
            "2016-05-12T08:17:27",
            "2016-05-12T08:17:27+00:00",
            "2016-05-12 08:17:27Z",
            "2016-02-30T08:17:27Z",
            "2015-02-29T00:00:00Z",
            "2016-05-12T24:00:00Z",
            "2016-05-12T08:17:27.Z",
            "2016-05-12T08:17:27,5Z",
            "2016-13-12T08:17:27Z",
            "",
            "2016-05-12T08:17:2éZ",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad} accepted");
        }
        assert!("2016-02-29T23:59:60Z".parse::<Timestamp>().is_ok());
    }

    proptest::proptest! {
        #[test]
        fn millis_constructor_round_trips(secs in -62_135_596_800i64..253_402_300_799, ms in 0u32..1000) {
            let t = Timestamp::from_unix_millis(secs, ms);
            let back: Timestamp = t.as_str().parse().unwrap();
            proptest::prop_assert_eq!(back.unix(), (secs, ms * 1_000_000));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Timestamp>();
        }
    }
}
