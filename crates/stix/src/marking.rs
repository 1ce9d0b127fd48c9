//! Marking definitions (STIX 2.1 §7.2) and the Traffic Light Protocol: the four TLP 1.0
//! definitions of §7.2.1.4 and the five TLP 2.0 ones of the OASIS TLP 2.0 extension, pinned by id.

use serde_json::{Map, Value};

use crate::common::{ExternalReference, GranularMarking, properties};
use crate::{Identifier, Timestamp};

properties! {
    /// Marking Definition (STIX 2.1 §7.2.1). Marking definitions are never versioned: there is
    /// no `modified`.
    MarkingDefinition {
        /// Always `2.1` for STIX 2.1 content.
        spec_version: String,
        /// The identifier.
        id: Identifier,
        /// The identity that created it.
        created_by_ref: Option<Identifier>,
        /// When it was created.
        created: Timestamp,
        /// The definition type, e.g. `statement` or `tlp` (absent when an extension defines it).
        definition_type: Option<String>,
        /// A name, e.g. `TLP:GREEN`.
        name: Option<String>,
        /// The definition itself (statement text or TLP colour).
        definition: Option<Map<String, Value>>,
        /// References to external information.
        external_references: Option<Vec<ExternalReference>>,
        /// Markings that apply to this marking definition.
        object_marking_refs: Option<Vec<Identifier>>,
        /// Granular markings that apply to this marking definition.
        granular_markings: Option<Vec<GranularMarking>>,
        /// Extensions, e.g. the TLP 2.0 property extension.
        extensions: Option<Map<String, Value>>,
    }
}

/// A TLP level, in the TLP 2.0 vocabulary, ordered from least to most restrictive.
///
/// TLP 1.0 `WHITE` maps to [`Tlp::Clear`]; TLP 1.0 `AMBER` to [`Tlp::Amber`] (TLP 2.0's AMBER keeps
/// 1.0's meaning of organisation plus clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    /// Disclosure is not limited.
    Clear,
    /// Limited to the community.
    Green,
    /// Limited to the recipient organisation and its clients.
    Amber,
    /// Limited to the recipient organisation only.
    AmberStrict,
    /// For the named recipients only.
    Red,
}

impl Tlp {
    /// All levels, least restrictive first.
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    /// The TLP 2.0 label, e.g. `TLP:AMBER+STRICT`.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The value of `tlp_2_0` in the TLP 2.0 extension, e.g. `amber+strict`.
    pub fn extension_value(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The pinned TLP 2.0 marking-definition id for this level.
    pub fn marking_id(self) -> &'static str {
        TLP2.iter().find(|p| p.level == self).map_or("", |p| p.id)
    }

    /// The canonical TLP 2.0 marking definition for this level, as the OASIS extension publishes it.
    pub fn marking_definition(self) -> Value {
        serde_json::json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.marking_id(),
            "created": TLP2_CREATED,
            "name": self.label(),
            "extensions": {
                TLP2_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.extension_value(),
                }
            }
        })
    }

    /// The TLP level a pinned marking-definition id stands for (TLP 1.0 or 2.0), if any.
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        TLP2.iter().chain(TLP1.iter()).find(|p| p.id == id).map(|p| p.level)
    }
}

/// The id of the OASIS TLP 2.0 extension definition.
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// `created` of the five TLP 2.0 marking definitions.
pub const TLP2_CREATED: &str = "2022-10-01T00:00:00.000Z";
/// `created` of the four TLP 1.0 marking definitions (STIX 2.1 §7.2.1.4).
pub const TLP1_CREATED: &str = "2017-01-20T00:00:00.000Z";

struct Pinned {
    id: &'static str,
    level: Tlp,
    /// TLP 1.0 colour as written in `definition.tlp`; empty for TLP 2.0.
    tlp1: &'static str,
}

const TLP2: [Pinned; 5] = [
    Pinned {
        id: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        level: Tlp::Clear,
        tlp1: "",
    },
    Pinned {
        id: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        level: Tlp::Green,
        tlp1: "",
    },
    Pinned {
        id: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        level: Tlp::Amber,
        tlp1: "",
    },
    Pinned {
        id: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        level: Tlp::AmberStrict,
        tlp1: "",
    },
    Pinned {
        id: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        level: Tlp::Red,
        tlp1: "",
    },
];

const TLP1: [Pinned; 4] = [
    Pinned {
        id: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        level: Tlp::Clear,
        tlp1: "white",
    },
    Pinned {
        id: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        level: Tlp::Green,
        tlp1: "green",
    },
    Pinned {
        id: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        level: Tlp::Amber,
        tlp1: "amber",
    },
    Pinned {
        id: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        level: Tlp::Red,
        tlp1: "red",
    },
];

/// Why a marking definition that uses a pinned TLP id is not the pinned definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("marking definition {id} reuses the pinned id of {label} with other content: {what}")]
pub struct PinnedMismatch {
    /// The reused id.
    pub id: String,
    /// The TLP label the id is pinned to.
    pub label: &'static str,
    /// Which property differs.
    pub what: String,
}

/// Checks a marking definition (as JSON) against the pinned TLP definitions.
///
/// Returns `Ok(None)` when the id is not a pinned TLP id, `Ok(Some(level))` when it is and the
/// content says the same level, and an error when a pinned id carries other content (a different
/// colour, name or creation time), which would let a sender relabel RED data as CLEAR.
pub fn check_pinned(object: &Map<String, Value>) -> Result<Option<Tlp>, PinnedMismatch> {
    let Some(id) = object.get("id").and_then(Value::as_str) else { return Ok(None) };
    let str_at = |key: &str| object.get(key).and_then(Value::as_str);
    let mismatch = |p: &Pinned, what: String| PinnedMismatch {
        id: id.to_owned(),
        label: p.level.label(),
        what,
    };
    if let Some(p) = TLP2.iter().find(|p| p.id == id) {
        if str_at("created") != Some(TLP2_CREATED) {
            return Err(mismatch(p, format!("`created` must be {TLP2_CREATED}")));
        }
        if str_at("name").is_some_and(|n| n != p.level.label()) {
            return Err(mismatch(p, format!("`name` must be {}", p.level.label())));
        }
        let level = object
            .get("extensions")
            .and_then(|e| e.get(TLP2_EXTENSION_ID))
            .and_then(|e| e.get("tlp_2_0"))
            .and_then(Value::as_str);
        if level != Some(p.level.extension_value()) {
            return Err(mismatch(
                p,
                format!(
                    "extension {TLP2_EXTENSION_ID} must have `tlp_2_0` = `{}`",
                    p.level.extension_value()
                ),
            ));
        }
        if object.contains_key("definition") || object.contains_key("definition_type") {
            return Err(mismatch(
                p,
                "a TLP 2.0 definition has no `definition` or `definition_type`".into(),
            ));
        }
        return Ok(Some(p.level));
    }
    if let Some(p) = TLP1.iter().find(|p| p.id == id) {
        if str_at("created") != Some(TLP1_CREATED) {
            return Err(mismatch(p, format!("`created` must be {TLP1_CREATED}")));
        }
        if str_at("definition_type") != Some("tlp") {
            return Err(mismatch(p, "`definition_type` must be `tlp`".into()));
        }
        let colour = object.get("definition").and_then(|d| d.get("tlp")).and_then(Value::as_str);
        if colour != Some(p.tlp1) {
            return Err(mismatch(p, format!("`definition.tlp` must be `{}`", p.tlp1)));
        }
        let expected_name = format!("TLP:{}", p.tlp1.to_uppercase());
        if str_at("name").is_some_and(|n| n != expected_name) {
            return Err(mismatch(p, format!("`name` must be {expected_name}")));
        }
        return Ok(Some(p.level));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn canonical_tlp2_definitions_are_accepted() {
        for level in Tlp::ALL {
            let def = map(level.marking_definition());
            assert_eq!(check_pinned(&def), Ok(Some(level)));
            assert_eq!(Tlp::from_marking_id(level.marking_id()), Some(level));
        }
    }

    #[test]
    fn tlp1_definitions_map_to_tlp2_meaning() {
        let white = map(serde_json::json!({
            "type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
            "name": "TLP:WHITE", "definition": {"tlp": "white"}
        }));
        assert_eq!(check_pinned(&white), Ok(Some(Tlp::Clear)));
        let mut relabelled = white.clone();
        relabelled.insert("definition".into(), serde_json::json!({"tlp": "red"}));
        assert!(check_pinned(&relabelled).is_err());
    }

    #[test]
    fn reused_pinned_id_with_other_content_is_rejected() {
        let mut red_as_clear = map(Tlp::Red.marking_definition());
        red_as_clear["extensions"][TLP2_EXTENSION_ID]["tlp_2_0"] = "clear".into();
        let err = check_pinned(&red_as_clear).unwrap_err();
        insta::assert_snapshot!(err, @"marking definition marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1 reuses the pinned id of TLP:RED with other content: extension extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d must have `tlp_2_0` = `red`");
        let mut renamed = map(Tlp::Green.marking_definition());
        renamed.insert("name".into(), "TLP:CLEAR".into());
        assert!(check_pinned(&renamed).is_err());
    }

    #[test]
    fn levels_are_ordered_by_restriction() {
        assert!(Tlp::Clear < Tlp::Green && Tlp::Green < Tlp::Amber);
        assert!(Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
    }
}
