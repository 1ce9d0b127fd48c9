//! The node's policy file (`DATA/policy.toml`, policy as code): which organisation holds this
//! node's data, the level of unmarked objects, the organisations' declared clients and
//! communities and internal address ranges, and local marking definitions.
//!
//! ```toml
//! holder = "de-cert"            # this node's organisation (default: the bootstrap organisation)
//! unmarked = "amber"            # green | amber | amber+strict | red (never clear)
//!
//! [orgs.de-cert]
//! clients = ["energie-nord"]    # TLP:AMBER may reach these from de-cert
//! communities = ["eu-csirts"]   # TLP:GREEN stays within shared communities
//! internal_ranges = ["10.0.0.0/8"]
//! identities = ["identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]   # its own STIX identities
//!
//! [markings]                    # other marking definitions and what they mean
//! "marking-definition--2c0b90f2-f99d-4d6f-8b2a-ba041f0ae31b" = "statement"
//! ```

use std::collections::BTreeMap;

/// One organisation's declarations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgDeclarations {
    /// Declared clients (TLP:AMBER).
    pub clients: Vec<String>,
    /// Communities (TLP:GREEN).
    pub communities: Vec<String>,
    /// Internal address ranges (victim addresses).
    pub internal_ranges: Vec<policy::IpNet>,
    /// The STIX identities that stand for the organisation (its `created_by_ref`): pseudonymised,
    /// with their names and contact data, for partners whose agreement asks for it.
    pub identities: Vec<stix::Identifier>,
}

/// The parsed policy file.
#[derive(Debug, Clone)]
pub struct PolicyConfig {
    /// The holder organisation's name.
    pub holder: String,
    /// The level of unmarked objects.
    pub unmarked: policy::Unmarked,
    /// Declarations per organisation name.
    pub orgs: BTreeMap<String, OrgDeclarations>,
    /// Local marking definitions.
    pub markings: BTreeMap<String, policy::MarkingMeaning>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            holder: crate::admin::NODE_ORG.into(),
            unmarked: policy::Unmarked::default(),
            orgs: BTreeMap::new(),
            markings: BTreeMap::new(),
        }
    }
}

impl PolicyConfig {
    /// Parses the file's text; `file` names it in errors.
    ///
    /// # Errors
    /// `Invalid` with the file and the problem.
    pub fn parse(file: &str, text: &str) -> Result<Self, crate::Error> {
        let err = |what: String| crate::Error::Invalid(format!("{file}: {what}"));
        let root = toml::de::DeTable::parse(text).map_err(|e| err(e.to_string()))?;
        let mut config = PolicyConfig::default();
        let string = |v: &toml::de::DeValue<'_>, what: &str| -> Result<String, crate::Error> {
            v.as_str().map(str::to_owned).ok_or_else(|| err(format!("`{what}` must be a string")))
        };
        for (key, value) in root.get_ref().iter() {
            let key: &str = key.get_ref().as_ref();
            let value = value.get_ref();
            match key {
                "holder" => config.holder = string(value, "holder")?,
                "unmarked" => {
                    config.unmarked = match value.as_str() {
                        Some("green") => policy::Unmarked::Green,
                        Some("amber") => policy::Unmarked::Amber,
                        Some("amber+strict") => policy::Unmarked::AmberStrict,
                        Some("red") => policy::Unmarked::Red,
                        _ => return Err(err(
                            "`unmarked` must be green, amber, amber+strict or red (never clear)"
                                .into(),
                        )),
                    }
                }
                "orgs" => {
                    let orgs =
                        value.as_table().ok_or_else(|| err("`orgs` must be a table".into()))?;
                    for (name, decl) in orgs.iter() {
                        let name: &str = name.get_ref().as_ref();
                        let decl = decl
                            .get_ref()
                            .as_table()
                            .ok_or_else(|| err(format!("`orgs.{name}` must be a table")))?;
                        let mut declared = OrgDeclarations::default();
                        for (k, v) in decl.iter() {
                            let k: &str = k.get_ref().as_ref();
                            let items = v
                                .get_ref()
                                .as_array()
                                .ok_or_else(|| err(format!("`orgs.{name}.{k}` must be a list")))?;
                            let items: Vec<String> = items
                                .iter()
                                .map(|x| string(x.get_ref(), &format!("orgs.{name}.{k}[]")))
                                .collect::<Result<_, _>>()?;
                            match k {
                                "clients" => declared.clients = items,
                                "communities" => declared.communities = items,
                                "internal_ranges" => {
                                    declared.internal_ranges = items
                                        .iter()
                                        .map(|r| {
                                            r.parse::<policy::IpNet>().map_err(|e| {
                                                err(format!(
                                                    "`orgs.{name}.internal_ranges`: {}",
                                                    e.0
                                                ))
                                            })
                                        })
                                        .collect::<Result<_, _>>()?;
                                }
                                "identities" => {
                                    declared.identities = items
                                        .iter()
                                        .map(|i| match i.parse::<stix::Identifier>() {
                                            Ok(id) if id.object_type() == "identity" => Ok(id),
                                            _ => Err(err(format!(
                                                "`orgs.{name}.identities`: `{i}` is not an identity id"
                                            ))),
                                        })
                                        .collect::<Result<_, _>>()?;
                                }
                                other => {
                                    return Err(err(format!("unknown key `orgs.{name}.{other}`")));
                                }
                            }
                        }
                        config.orgs.insert(name.to_owned(), declared);
                    }
                }
                "markings" => {
                    let markings =
                        value.as_table().ok_or_else(|| err("`markings` must be a table".into()))?;
                    for (id, meaning) in markings.iter() {
                        let id: &str = id.get_ref().as_ref();
                        let meaning = match meaning.get_ref().as_str() {
                            Some("statement") => policy::MarkingMeaning::Statement,
                            Some("clear") => policy::MarkingMeaning::Level(stix::Tlp::Clear),
                            Some("green") => policy::MarkingMeaning::Level(stix::Tlp::Green),
                            Some("amber") => policy::MarkingMeaning::Level(stix::Tlp::Amber),
                            Some("amber+strict") => {
                                policy::MarkingMeaning::Level(stix::Tlp::AmberStrict)
                            }
                            Some("red") => policy::MarkingMeaning::Level(stix::Tlp::Red),
                            _ => {
                                return Err(err(format!(
                                    "marking `{id}`: use statement or a TLP level"
                                )));
                            }
                        };
                        config.markings.insert(id.to_owned(), meaning);
                    }
                }
                other => return Err(err(format!("unknown key `{other}`"))),
            }
        }
        Ok(config)
    }
}
