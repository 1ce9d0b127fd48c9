//! `Object`: any STIX object, kept as the JSON it arrived as, with its identity parsed once and
//! typed views on demand; `Typed`: the per-type structs; `Bundle` (STIX 2.1 §8).
//!
//! The JSON map is the source of truth, so an object round-trips losslessly whatever it holds:
//! custom properties, extensions, properties of later spec versions, timestamp precision.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::common::{from_map, to_map};
use crate::marking::MarkingDefinition;
use crate::schema::{self, Category};
use crate::{Identifier, Timestamp, sco, sdo};

/// A STIX object: its JSON map plus its parsed identifier.
///
/// Construction checks only what every object needs to be handled at all: a `type` that is a
/// valid type name and an `id` of that type. Everything else is for [`crate::validate`].
#[derive(Clone, PartialEq)]
pub struct Object {
    map: Map<String, Value>,
    id: Identifier,
}

/// Why a JSON value cannot be handled as a STIX object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The value is not a JSON object.
    #[error("a STIX object must be a JSON object")]
    NotAnObject,
    /// `type` is missing or not a string.
    #[error("missing or non-string `type`")]
    MissingType,
    /// `id` is missing, not a string, or malformed.
    #[error("bad `id`: {0}")]
    BadId(String),
    /// The `id` names another type than `type`.
    #[error("`id` {id} does not start with the object's type `{object_type}`")]
    TypeMismatch {
        /// The identifier.
        id: String,
        /// The `type` property.
        object_type: String,
    },
}

/// Why a new version cannot be made (STIX 2.1 §3.6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersioningError {
    /// The object has no `modified` (SCOs and marking definitions are not versioned).
    #[error("{0} is not a versioned object")]
    NotVersioned(Identifier),
    /// A revoked object gets no new versions.
    #[error("{0} is revoked; no new version may follow")]
    Revoked(Identifier),
    /// The new `modified` is not later than the current one.
    #[error("the new `modified` {new} is not later than the current {current}")]
    NotLater {
        /// Current `modified`.
        current: Timestamp,
        /// Proposed `modified`.
        new: Timestamp,
    },
    /// A change tried to alter a property that identifies the object across versions.
    #[error("`{0}` cannot change between versions")]
    Immutable(&'static str),
}

impl Object {
    /// Takes a JSON value as a STIX object.
    ///
    /// # Errors
    /// See [`ObjectError`].
    pub fn from_value(value: Value) -> Result<Self, ObjectError> {
        match value {
            Value::Object(map) => Self::from_map(map),
            _ => Err(ObjectError::NotAnObject),
        }
    }

    /// Takes a JSON map as a STIX object.
    ///
    /// # Errors
    /// See [`ObjectError`].
    pub fn from_map(map: Map<String, Value>) -> Result<Self, ObjectError> {
        let Some(object_type) = map.get("type").and_then(Value::as_str) else {
            return Err(ObjectError::MissingType);
        };
        let raw = map
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| ObjectError::BadId("missing".into()))?;
        let id: Identifier =
            raw.parse().map_err(|e: crate::IdentifierError| ObjectError::BadId(e.to_string()))?;
        if id.object_type() != object_type {
            return Err(ObjectError::TypeMismatch {
                id: raw.to_owned(),
                object_type: object_type.to_owned(),
            });
        }
        Ok(Self { map, id })
    }

    /// The identifier.
    pub fn id(&self) -> &Identifier {
        &self.id
    }

    /// The object type, e.g. `indicator`.
    pub fn object_type(&self) -> &str {
        self.id.object_type()
    }

    /// Whether this is an SDO, SCO, SRO, meta object, or a custom type.
    pub fn category(&self) -> Category {
        schema::category(self.object_type())
    }

    /// A property's JSON value.
    pub fn get(&self, property: &str) -> Option<&Value> {
        self.map.get(property)
    }

    /// The whole JSON map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Gives back the JSON map.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// A timestamp property, if present and well formed.
    pub fn timestamp(&self, property: &str) -> Option<Timestamp> {
        self.get(property)?.as_str()?.parse().ok()
    }

    /// `created`, if present and well formed.
    pub fn created(&self) -> Option<Timestamp> {
        self.timestamp("created")
    }

    /// `modified`, if present and well formed.
    pub fn modified(&self) -> Option<Timestamp> {
        self.timestamp("modified")
    }

    /// The version key `(id, modified)` (STIX 2.1 §3.6). Objects without `modified` (SCOs,
    /// marking definitions) have one version, keyed by `created` if present.
    pub fn version(&self) -> (Identifier, Option<Timestamp>) {
        (self.id.clone(), self.modified().or_else(|| self.created()))
    }

    /// `created_by_ref`, if present and well formed.
    pub fn created_by_ref(&self) -> Option<Identifier> {
        self.get("created_by_ref")?.as_str()?.parse().ok()
    }

    /// Whether `revoked` is true.
    pub fn is_revoked(&self) -> bool {
        self.get("revoked").and_then(Value::as_bool).unwrap_or(false)
    }

    /// The marking definitions applied to the whole object (`object_marking_refs`), skipping
    /// malformed entries (which validation reports).
    pub fn object_marking_refs(&self) -> Vec<Identifier> {
        self.get("object_marking_refs")
            .and_then(Value::as_array)
            .map(|refs| refs.iter().filter_map(|r| r.as_str()?.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// The typed view of this object.
    ///
    /// # Errors
    /// Fails when a property the type defines has the wrong JSON type, or a required one is
    /// missing; [`crate::validate`] explains such problems in detail.
    pub fn typed(&self) -> Result<Typed, serde_json::Error> {
        Typed::from_map(self.object_type(), &self.map)
    }

    /// Makes the next version of this object (STIX 2.1 §3.6.1): applies `changes` (a `null`
    /// value removes a property), sets `modified`, and keeps `id`, `type`, `created` and
    /// `created_by_ref`.
    ///
    /// # Errors
    /// See [`VersioningError`]: unversioned or revoked objects, a `modified` that is not later,
    /// or changes to the properties that identify the object.
    pub fn new_version(
        &self,
        modified: Timestamp,
        changes: Map<String, Value>,
    ) -> Result<Object, VersioningError> {
        let current =
            self.modified().ok_or_else(|| VersioningError::NotVersioned(self.id.clone()))?;
        if self.is_revoked() {
            return Err(VersioningError::Revoked(self.id.clone()));
        }
        if modified <= current {
            return Err(VersioningError::NotLater { current, new: modified });
        }
        let mut map = self.map.clone();
        for (key, value) in changes {
            if let Some(fixed) = ["id", "type", "created", "created_by_ref", "spec_version"]
                .into_iter()
                .find(|k| *k == key)
                && map.get(&key) != Some(&value)
            {
                return Err(VersioningError::Immutable(fixed));
            }
            if value.is_null() {
                map.remove(&key);
            } else {
                map.insert(key, value);
            }
        }
        map.insert("modified".into(), Value::String(modified.as_str().to_owned()));
        Ok(Object { map, id: self.id.clone() })
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Object").field(&self.map).finish()
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Object::from_map(Map::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Declares the `Typed` enum: one variant per STIX 2.1 type, plus `Custom`.
macro_rules! typed {
    ($( $type_name:literal => $variant:ident($ty:ty) ),* $(,)?) => {
        /// A STIX object as its type's struct.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        #[allow(missing_docs)] // Each variant is named after the STIX type it holds.
        pub enum Typed {
            $( $variant($ty), )*
            /// A type this crate does not know (custom objects), kept as JSON.
            Custom(Map<String, Value>),
        }

        impl Typed {
            /// Builds the typed struct for `object_type` from a JSON map.
            ///
            /// # Errors
            /// When a known property has the wrong JSON type or a required one is missing.
            pub fn from_map(object_type: &str, map: &Map<String, Value>) -> Result<Typed, serde_json::Error> {
                let mut map = map.clone();
                map.remove("type");
                Ok(match object_type {
                    $( $type_name => Typed::$variant(from_map(&map)?), )*
                    _ => {
                        map.insert("type".into(), Value::String(object_type.to_owned()));
                        Typed::Custom(map)
                    }
                })
            }

            /// The STIX type name.
            pub fn type_name(&self) -> &str {
                match self {
                    $( Typed::$variant(_) => $type_name, )*
                    Typed::Custom(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
                }
            }

            /// Back to JSON, with `type` first.
            pub fn to_map(&self) -> Map<String, Value> {
                let mut out = Map::new();
                out.insert("type".into(), Value::String(self.type_name().to_owned()));
                let body = match self {
                    $( Typed::$variant(inner) => to_map(inner), )*
                    Typed::Custom(map) => map.clone(),
                };
                out.extend(body);
                out
            }
        }
    };
}

typed! {
    "attack-pattern" => AttackPattern(sdo::AttackPattern),
    "campaign" => Campaign(sdo::Campaign),
    "course-of-action" => CourseOfAction(sdo::CourseOfAction),
    "grouping" => Grouping(sdo::Grouping),
    "identity" => Identity(sdo::Identity),
    "incident" => Incident(sdo::Incident),
    "indicator" => Indicator(sdo::Indicator),
    "infrastructure" => Infrastructure(sdo::Infrastructure),
    "intrusion-set" => IntrusionSet(sdo::IntrusionSet),
    "location" => Location(sdo::Location),
    "malware" => Malware(sdo::Malware),
    "malware-analysis" => MalwareAnalysis(sdo::MalwareAnalysis),
    "note" => Note(sdo::Note),
    "observed-data" => ObservedData(sdo::ObservedData),
    "opinion" => Opinion(sdo::Opinion),
    "report" => Report(sdo::Report),
    "threat-actor" => ThreatActor(sdo::ThreatActor),
    "tool" => Tool(sdo::Tool),
    "vulnerability" => Vulnerability(sdo::Vulnerability),
    "artifact" => Artifact(sco::Artifact),
    "autonomous-system" => AutonomousSystem(sco::AutonomousSystem),
    "directory" => Directory(sco::Directory),
    "domain-name" => DomainName(sco::DomainName),
    "email-addr" => EmailAddr(sco::EmailAddr),
    "email-message" => EmailMessage(sco::EmailMessage),
    "file" => File(sco::File),
    "ipv4-addr" => Ipv4Addr(sco::Ipv4Addr),
    "ipv6-addr" => Ipv6Addr(sco::Ipv6Addr),
    "mac-addr" => MacAddr(sco::MacAddr),
    "mutex" => Mutex(sco::Mutex),
    "network-traffic" => NetworkTraffic(sco::NetworkTraffic),
    "process" => Process(sco::Process),
    "software" => Software(sco::Software),
    "url" => Url(sco::Url),
    "user-account" => UserAccount(sco::UserAccount),
    "windows-registry-key" => WindowsRegistryKey(sco::WindowsRegistryKey),
    "x509-certificate" => X509Certificate(sco::X509Certificate),
    "relationship" => Relationship(sdo::Relationship),
    "sighting" => Sighting(sdo::Sighting),
    "language-content" => LanguageContent(sdo::LanguageContent),
    "marking-definition" => MarkingDefinition(MarkingDefinition),
    "extension-definition" => ExtensionDefinition(sdo::ExtensionDefinition),
}

/// A STIX bundle (STIX 2.1 §8): a container for a set of objects, with no semantics of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// The bundle's identifier (`bundle--UUID`).
    pub id: Identifier,
    /// The objects, in order.
    pub objects: Vec<Object>,
    /// Any other property of the bundle, kept as received.
    pub extra: Map<String, Value>,
}

impl Bundle {
    /// A new bundle with a random (version 4) id.
    pub fn new(objects: Vec<Object>) -> Self {
        Self { id: Identifier::random("bundle"), objects, extra: Map::new() }
    }
}

impl Serialize for Bundle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", "bundle")?;
        m.serialize_entry("id", &self.id)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("objects", &self.objects)?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Bundle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = Map::deserialize(d)?;
        if map.get("type").and_then(Value::as_str) != Some("bundle") {
            return Err(D::Error::custom("a bundle must have `type` = `bundle`"));
        }
        map.remove("type");
        let id: Identifier = match map.remove("id") {
            Some(Value::String(s)) => s.parse().map_err(D::Error::custom)?,
            _ => return Err(D::Error::custom("a bundle must have a string `id`")),
        };
        let objects = match map.remove("objects") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(Object::from_value)
                .collect::<Result<_, _>>()
                .map_err(D::Error::custom)?,
            Some(_) => return Err(D::Error::custom("`objects` must be an array")),
        };
        Ok(Bundle { id, objects, extra: map })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator() -> Object {
        Object::from_value(serde_json::json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "created_by_ref": "identity--11111111-1111-4111-8111-111111111111",
            "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
            "valid_from": "2016-01-01T00:00:00Z", "x_acme": 1
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn new_version_keeps_identity_and_moves_modified() {
        let v1 = indicator();
        let mut changes = Map::new();
        changes.insert("name".into(), "renamed".into());
        changes.insert("x_acme".into(), Value::Null);
        let v2 = v1
            .new_version(ts("2016-05-01T00:00:00.000Z"), changes)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v2.id(), v1.id());
        assert_eq!(v2.created(), v1.created());
        assert_eq!(v2.created_by_ref(), v1.created_by_ref());
        assert_eq!(v2.modified(), Some(ts("2016-05-01T00:00:00.000Z")));
        assert_eq!(v2.get("name"), Some(&Value::from("renamed")));
        assert!(v2.get("x_acme").is_none(), "a null change removes the property");
        assert!(v1.version() < v2.version());
    }

    #[test]
    fn new_version_refusals() {
        let v1 = indicator();
        assert!(matches!(
            v1.new_version(ts("2016-04-06T20:03:48.000Z"), Map::new()),
            Err(VersioningError::NotLater { .. })
        ));
        let mut changes = Map::new();
        changes.insert(
            "created_by_ref".into(),
            "identity--22222222-2222-4222-8222-222222222222".into(),
        );
        assert_eq!(
            v1.new_version(ts("2017-01-01T00:00:00.000Z"), changes),
            Err(VersioningError::Immutable("created_by_ref"))
        );
        let mut revoke = Map::new();
        revoke.insert("revoked".into(), true.into());
        let revoked = v1
            .new_version(ts("2017-01-01T00:00:00.000Z"), revoke)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(revoked.is_revoked());
        assert!(matches!(
            revoked.new_version(ts("2018-01-01T00:00:00.000Z"), Map::new()),
            Err(VersioningError::Revoked(_))
        ));
        let sco = Object::from_value(serde_json::json!({"type": "mutex", "id": "mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "name": "m"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            sco.new_version(ts("2018-01-01T00:00:00.000Z"), Map::new()),
            Err(VersioningError::NotVersioned(_))
        ));
    }

    #[test]
    fn bundles_round_trip() {
        let bundle = Bundle::new(vec![indicator()]);
        let text = serde_json::to_string(&bundle).unwrap_or_default();
        let back: Bundle = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, bundle);
        assert!(
            serde_json::from_str::<Bundle>(
                r#"{"type": "indicator", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}"#
            )
            .is_err()
        );
    }
}
