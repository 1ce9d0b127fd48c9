//! UTC timestamps as STIX writes them: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (STIX 2.1 §3.2).

use std::fmt;

/// An instant in UTC with nanosecond precision.
///
/// Fractions finer than a nanosecond are truncated when parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

/// Why a timestamp string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
    Format,
    /// Well formed, but no such date or time (e.g. February 30th, hour 24, second 60).
    Range,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampError::Format => f.write_str("expected YYYY-MM-DDTHH:MM:SS[.fraction]Z"),
            TimestampError::Range => f.write_str("no such date or time"),
        }
    }
}

impl Timestamp {
    /// Earlier than every parsed timestamp.
    pub(crate) const MIN: Timestamp = Timestamp { seconds: i64::MIN, nanos: 0 };
    /// Later than every parsed timestamp.
    pub(crate) const MAX: Timestamp = Timestamp { seconds: i64::MAX, nanos: 999_999_999 };

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; `T` and `Z` must be upper case.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let b = text.as_bytes();
        if b.len() < 20 {
            return Err(TimestampError::Format);
        }
        let digits = |range: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let mut value = 0i64;
            for &c in &b[range] {
                if !c.is_ascii_digit() {
                    return Err(TimestampError::Format);
                }
                value = value * 10 + i64::from(c - b'0');
            }
            Ok(value)
        };
        let year = digits(0..4)?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        let hour = digits(11..13)?;
        let minute = digits(14..16)?;
        let second = digits(17..19)?;
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(TimestampError::Format);
        }
        let rest = &b[19..];
        let (fraction, z) = match rest.first() {
            Some(b'.') => {
                let end = rest.len() - 1;
                let fraction = &rest[1..end];
                if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
                    return Err(TimestampError::Format);
                }
                (fraction, &rest[end..])
            }
            _ => (&rest[..0], rest),
        };
        if z != b"Z" {
            return Err(TimestampError::Format);
        }
        let mut nanos = 0u32;
        for i in 0..9 {
            let digit = fraction.get(i).map_or(0, |c| u32::from(c - b'0'));
            nanos = nanos * 10 + digit;
        }
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(TimestampError::Range);
        }
        let days = days_from_civil(year, month, day);
        Ok(Timestamp { seconds: days * 86_400 + hour * 3600 + minute * 60 + second, nanos })
    }

    /// The instant `seconds` and `nanos` after 1970-01-01T00:00:00Z, if it is in years 0000–9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        let min = days_from_civil(0, 1, 1) * 86_400;
        let max = days_from_civil(10_000, 1, 1) * 86_400;
        (nanos < 1_000_000_000 && (min..max).contains(&seconds))
            .then_some(Timestamp { seconds, nanos })
    }

    /// Nanoseconds since 1970-01-01T00:00:00Z.
    pub fn as_nanos(self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)
    }
}

impl fmt::Display for Timestamp {
    /// Prints the canonical form: no fraction when it is zero, otherwise as few digits as needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.nanos != 0 {
            let digits = format!("{:09}", self.nanos);
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        match Timestamp::parse(text) {
            Ok(t) => format!("{t} {}", t.as_nanos()),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn forms() {
        insta::assert_snapshot!(check("1970-01-01T00:00:00Z"), @"1970-01-01T00:00:00Z 0");
        insta::assert_snapshot!(check("2016-02-29T23:59:59.5Z"), @"2016-02-29T23:59:59.5Z 1456790399500000000");
        insta::assert_snapshot!(check("1969-12-31T23:59:59.000000001Z"), @"1969-12-31T23:59:59.000000001Z -999999999");
        insta::assert_snapshot!(check("2016-01-01T00:00:00.1234567891Z"), @"2016-01-01T00:00:00.123456789Z 1451606400123456789");
        insta::assert_snapshot!(check("2017-02-29T00:00:00Z"), @"error: no such date or time");
        insta::assert_snapshot!(check("2016-01-01T24:00:00Z"), @"error: no such date or time");
        insta::assert_snapshot!(check("2016-01-01t00:00:00Z"), @"error: expected YYYY-MM-DDTHH:MM:SS[.fraction]Z");
        insta::assert_snapshot!(check("2016-01-01T00:00:00.Z"), @"error: expected YYYY-MM-DDTHH:MM:SS[.fraction]Z");
        insta::assert_snapshot!(check("2016-01-01T00:00:00+01:00"), @"error: expected YYYY-MM-DDTHH:MM:SS[.fraction]Z");
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
