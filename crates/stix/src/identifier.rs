//! STIX identifiers (`type--UUID`, STIX 2.1 §2.9), parsed once into a newtype.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A well-formed STIX identifier: `object-type--UUID` (STIX 2.1 §2.9).
///
/// Parsing checks the type name (§2.9 and §3.1, see [`is_type_name`]) and that the UUID part is an
/// RFC 4122 UUID in hyphenated form. After parsing, the type guarantees the shape.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identifier {
    text: Box<str>,
    /// Byte offset of the `--` separator in `text`.
    split: usize,
}

/// Why a string is not a STIX identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// There is no `--` between the type and the UUID.
    #[error("`{0}` is not an identifier of the form `type--UUID`")]
    MissingSeparator(String),
    /// The part before `--` is not a valid STIX type name.
    #[error(
        "`{0}` is not a valid STIX type name (3-250 characters of a-z, 0-9 and single hyphens, starting with a letter)"
    )]
    BadType(String),
    /// The part after `--` is not an RFC 4122 UUID.
    #[error("`{0}` is not an RFC 4122 UUID (versions 1-5, hyphenated)")]
    BadUuid(String),
}

impl Identifier {
    /// Builds the identifier for `object_type` and `uuid`.
    ///
    /// # Errors
    /// Fails when `object_type` is not a valid STIX type name.
    pub fn new(object_type: &str, uuid: Uuid) -> Result<Self, IdentifierError> {
        if !is_type_name(object_type) {
            return Err(IdentifierError::BadType(object_type.to_owned()));
        }
        let text = format!("{object_type}--{}", uuid.hyphenated());
        Ok(Self { split: object_type.len(), text: text.into_boxed_str() })
    }

    /// A new identifier with a random (version 4) UUID, as STIX 2.1 §2.9 recommends for SDOs,
    /// SROs and bundles. `object_type` must be a valid type name; Meridian only passes constants.
    pub fn random(object_type: &'static str) -> Self {
        let text = format!("{object_type}--{}", Uuid::new_v4().hyphenated());
        Self { split: object_type.len(), text: text.into_boxed_str() }
    }

    /// The object type this identifier names, e.g. `indicator`.
    pub fn object_type(&self) -> &str {
        &self.text[..self.split]
    }

    /// The UUID part.
    pub fn uuid(&self) -> Uuid {
        // Invariant: `parse` checked that this part is a valid UUID.
        Uuid::parse_str(&self.text[self.split + 2..]).unwrap_or_default()
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Identifier {
    type Err = IdentifierError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The UUID part has no `--`, so the separator is the one 38 bytes from the end; a type
        // name may itself end with a hyphen (`x-foo---<uuid>`).
        let split =
            s.len().checked_sub(38).filter(|&i| s.is_char_boundary(i) && s[i..].starts_with("--"));
        let Some(split) = split else {
            return match s.rfind("--") {
                None => Err(IdentifierError::MissingSeparator(s.to_owned())),
                Some(i) if !is_type_name(&s[..i]) => {
                    Err(IdentifierError::BadType(s[..i].to_owned()))
                }
                Some(i) => Err(IdentifierError::BadUuid(s[i + 2..].to_owned())),
            };
        };
        let (ty, uuid) = (&s[..split], &s[split + 2..]);
        if !is_type_name(ty) {
            return Err(IdentifierError::BadType(ty.to_owned()));
        }
        if !is_rfc4122_uuid(uuid) {
            return Err(IdentifierError::BadUuid(uuid.to_owned()));
        }
        Ok(Self { text: s.into(), split })
    }
}

/// STIX 2.1 §3.1: type names are 3-250 characters of `a-z`, `0-9` and `-`. Like the OASIS
/// schemas, Meridian also requires a leading letter and no `--` (which would make identifiers
/// ambiguous); a trailing hyphen is allowed.
pub fn is_type_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=250).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.contains("--")
}

/// An RFC 4122 UUID in hyphenated form: versions 1 to 5, the RFC 4122 variant. Hex digits may be
/// upper or lower case, as the OASIS schemas accept.
fn is_rfc4122_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    let hyphens_ok = b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    });
    // Version nibble (RFC 4122 §4.1.3) and variant bits (§4.1.1).
    hyphens_ok
        && (b'1'..=b'5').contains(&b[14])
        && matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl Serialize for Identifier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Identifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(s: &str) -> String {
        match s.parse::<Identifier>() {
            Ok(id) => format!("ok {} {}", id.object_type(), id.uuid()),
            Err(e) => format!("error {e}"),
        }
    }

    #[test]
    fn accepts_well_formed() {
        assert_eq!(
            check("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            "ok indicator 8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        );
        assert_eq!(
            check("x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            "ok x-acme-widget 8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        );
    }

    #[test]
    fn rejects_malformed() {
        insta::assert_snapshot!(check("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), @"error `indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f` is not an identifier of the form `type--UUID`");
        insta::assert_snapshot!(check("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), @"error `Indicator` is not a valid STIX type name (3-250 characters of a-z, 0-9 and single hyphens, starting with a letter)");
        insta::assert_snapshot!(check("indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"), @"error `8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f` is not an RFC 4122 UUID (versions 1-5, hyphenated)");
        insta::assert_snapshot!(check("indicator--8e2e2d2b-17d4-7cbf-938f-98ee46b3cd3f"), @"error `8e2e2d2b-17d4-7cbf-938f-98ee46b3cd3f` is not an RFC 4122 UUID (versions 1-5, hyphenated)");
        insta::assert_snapshot!(check("ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), @"error `ab` is not a valid STIX type name (3-250 characters of a-z, 0-9 and single hyphens, starting with a letter)");
        insta::assert_snapshot!(check("indicator--"), @"error `` is not an RFC 4122 UUID (versions 1-5, hyphenated)");
        insta::assert_snapshot!(check("x-foo---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), @"ok x-foo- 8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
        insta::assert_snapshot!(check("indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F"), @"ok indicator 8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_round_trips(s in "\\PC{0,60}") {
            if let Ok(id) = s.parse::<Identifier>() {
                proptest::prop_assert_eq!(id.as_str(), s.as_str());
            }
        }
    }
}
