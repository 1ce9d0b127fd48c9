//! Types shared by many STIX objects: common properties (STIX 2.1 §3.2), external references
//! (§2.5), kill-chain phases (§2.7), granular markings (§7.2.3), and the `Absent` rule that lets
//! the typed structs serialise exactly the properties they were given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Identifier, Timestamp};

/// Tells serde which fields to leave out when serialising: an absent optional property.
///
/// Required properties are never absent; `Option::None` always is. This keeps a typed round trip
/// lossless: a property is written back only if it was there.
pub trait Absent {
    /// True when the property should not be written.
    fn absent(&self) -> bool {
        false
    }
}

impl<T> Absent for Option<T> {
    fn absent(&self) -> bool {
        self.is_none()
    }
}

impl Absent for String {}
impl Absent for bool {}
impl Absent for i64 {}
impl Absent for Identifier {}
impl Absent for Timestamp {}
impl Absent for Value {}
impl Absent for Map<String, Value> {}
impl<T> Absent for Vec<T> {}

/// A dictionary property (STIX 2.1 §2.6): keys to arbitrary JSON values.
pub type Dictionary = Map<String, Value>;

/// A `hashes` property (STIX 2.1 §2.4): hash algorithm name to hex digest.
pub type Hashes = BTreeMap<String, String>;

/// Declares a STIX property struct: every field is skipped on output when absent, and every
/// property the struct does not name lands in `extra`, so nothing is ever dropped.
///
/// Forms: `Name { fields }`; `Name (common) { fields }` to flatten `common: SdoCommon` or
/// `ScoCommon` in; `Name [no_extra] { fields }` for a block that is itself flattened into others.
macro_rules! properties {
    (
        $(#[$meta:meta])*
        $name:ident [no_extra] { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "crate::common::Absent::absent")]
                pub $field: $ty,
            )*
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident ($common:ty) { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            /// The common properties.
            #[serde(flatten)]
            pub common: $common,
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "crate::common::Absent::absent")]
                pub $field: $ty,
            )*
            /// Properties not named above (custom `x_` properties, properties of later spec
            /// versions), kept exactly as received.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "crate::common::Absent::absent")]
                pub $field: $ty,
            )*
            /// Properties not named above (custom `x_` properties, properties of later spec
            /// versions), kept exactly as received.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    };
}
pub(crate) use properties;

properties! {
    /// Common properties of SDOs, SROs and language-content (STIX 2.1 §3.2).
    SdoCommon [no_extra] {
        /// Always `2.1` for STIX 2.1 content.
        spec_version: String,
        /// The object's identifier.
        id: Identifier,
        /// The identity that created the object.
        created_by_ref: Option<Identifier>,
        /// When the object was first created.
        created: Timestamp,
        /// When this version was created.
        modified: Timestamp,
        /// Whether the object is revoked (no later version may follow).
        revoked: Option<bool>,
        /// Free-form labels.
        labels: Option<Vec<String>>,
        /// Confidence of the creator, 0-100.
        confidence: Option<i64>,
        /// Language of the text content (RFC 5646).
        lang: Option<String>,
        /// References to external information.
        external_references: Option<Vec<ExternalReference>>,
        /// Marking definitions applying to the whole object.
        object_marking_refs: Option<Vec<Identifier>>,
        /// Marking definitions applying to parts of the object.
        granular_markings: Option<Vec<GranularMarking>>,
        /// Extensions, by extension name or extension-definition id.
        extensions: Option<Dictionary>,
    }
}

properties! {
    /// Common properties of SCOs (STIX 2.1 §3.2 and §6).
    ScoCommon [no_extra] {
        /// `2.1` when present (optional on SCOs).
        spec_version: Option<String>,
        /// The deterministic (UUIDv5) or random identifier.
        id: Identifier,
        /// Marking definitions applying to the whole object.
        object_marking_refs: Option<Vec<Identifier>>,
        /// Marking definitions applying to parts of the object.
        granular_markings: Option<Vec<GranularMarking>>,
        /// Whether the values are defanged.
        defanged: Option<bool>,
        /// Extensions, by extension name or extension-definition id.
        extensions: Option<Dictionary>,
    }
}

properties! {
    /// An external reference (STIX 2.1 §2.5).
    ExternalReference {
        /// The source name, e.g. `capec` or `cve`.
        source_name: String,
        /// A human-readable description.
        description: Option<String>,
        /// A URL.
        url: Option<String>,
        /// Hashes of the content at `url`.
        hashes: Option<Hashes>,
        /// An identifier within the source.
        external_id: Option<String>,
    }
}

properties! {
    /// A kill-chain phase (STIX 2.1 §2.7).
    KillChainPhase {
        /// The kill chain's name, e.g. `lockheed-martin-cyber-kill-chain`.
        kill_chain_name: String,
        /// The phase within that chain.
        phase_name: String,
    }
}

properties! {
    /// A granular marking (STIX 2.1 §7.2.3): markings applied to selected properties.
    GranularMarking {
        /// The language the marking applies to (exclusive with `marking_ref`).
        lang: Option<String>,
        /// The marking definition that applies.
        marking_ref: Option<Identifier>,
        /// Selectors (§7.2.3.1) of the properties the marking applies to.
        selectors: Vec<String>,
    }
}

/// Serialises a typed struct into a JSON object map.
pub(crate) fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        // Invariant: every property struct serialises to a JSON object (derived Serialize on a
        // struct with named fields and a flattened map).
        _ => Map::new(),
    }
}

/// Deserialises a typed struct from a JSON object map.
pub(crate) fn from_map<T: for<'de> Deserialize<'de>>(
    map: &Map<String, Value>,
) -> Result<T, serde_json::Error> {
    serde_json::from_value(Value::Object(map.clone()))
}
