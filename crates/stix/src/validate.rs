//! Validation of STIX 2.1 content against the specification: findings with a JSON path, a
//! severity (error = a MUST is violated; warning = a SHOULD, or an open-vocabulary value outside
//! the suggested list), the section that says so, and a message a person understands.
//!
//! The checks follow the specification's text. Where the OASIS reference validator
//! (stix2-validator) differs from the specification, Meridian follows the specification; the
//! differences are listed in `docs/design/stix-validation-differences.md`. Validation never
//! panics, on any JSON input.

use serde_json::{Map, Value};

use crate::marking::check_pinned;
use crate::schema::{self, Category, Kind, Prop, TypeDef};
use crate::{Identifier, Timestamp, scoid, syntax};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A SHOULD is not met, or a value is outside a suggested vocabulary.
    Warning,
    /// A MUST is violated: the content is not valid STIX 2.1.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found in STIX content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where, as a JSON path: `$.objects[3].modified`.
    pub path: String,
    /// How bad it is.
    pub severity: Severity,
    /// The section of the STIX 2.1 specification that states the rule, e.g. `3.2`.
    pub section: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

/// Checks that validation delegates to other crates (the `stix` crate knows no pattern grammar).
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Checks a STIX pattern (`pattern_type` `stix`); returns a message on error.
    pub pattern_checker: Option<PatternChecker<'a>>,
}

/// A function that checks a STIX pattern, given the indicator's `pattern_version` (or else its
/// `spec_version`), and returns a message when it is invalid.
pub type PatternChecker<'a> = &'a (dyn Fn(&str, Option<&str>) -> Result<(), String> + Sync);

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options").field("pattern_checker", &self.pattern_checker.is_some()).finish()
    }
}

/// Validates a JSON document: a bundle, a single object, or an array of objects.
pub fn validate(document: &Value, options: &Options<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut ctx = Ctx { path: String::from("$"), out: &mut out, options };
    match document {
        Value::Array(items) => {
            if items.is_empty() {
                ctx.error("2.8", "the array holds no objects");
            }
            for (i, item) in items.iter().enumerate() {
                ctx.index(i, |ctx| ctx.bundle_or_object(item));
            }
        }
        other => ctx.bundle_or_object(other),
    }
    out
}

/// Validates a bundle or a single object found at `path` (e.g. `$[3]` in an array file).
pub fn validate_at(value: &Value, path: &str, options: &Options<'_>, out: &mut Vec<Finding>) {
    let mut ctx = Ctx { path: path.to_owned(), out, options };
    ctx.bundle_or_object(value);
}

/// Validates one object found at `path` (e.g. `$.objects[3]`), adding findings to `out`.
pub fn validate_object_at(
    object: &Value,
    path: &str,
    options: &Options<'_>,
    out: &mut Vec<Finding>,
) {
    let mut ctx = Ctx { path: path.to_owned(), out, options };
    ctx.object(object);
}

/// Validates a bundle's own properties (not its objects). `has_objects` tells whether a
/// non-empty `objects` array was present.
pub fn validate_bundle_header(
    bundle: &Map<String, Value>,
    has_objects: bool,
    out: &mut Vec<Finding>,
) {
    let options = Options::default();
    let mut ctx = Ctx { path: String::from("$"), out, options: &options };
    ctx.bundle_header(bundle, has_objects);
}

/// Whether `findings` contain an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

struct Ctx<'a, 'o> {
    path: String,
    out: &'a mut Vec<Finding>,
    options: &'a Options<'o>,
}

/// Property names reserved by STIX 2.1 §3.1 (not to be used until a future version defines them).
const RESERVED: &[&str] = &["severity", "action", "username", "phone_numbers"];

impl Ctx<'_, '_> {
    fn push(&mut self, severity: Severity, section: &'static str, message: String) {
        self.out.push(Finding { path: self.path.clone(), severity, section, message });
    }

    fn error(&mut self, section: &'static str, message: impl Into<String>) {
        self.push(Severity::Error, section, message.into());
    }

    fn warning(&mut self, section: &'static str, message: impl Into<String>) {
        self.push(Severity::Warning, section, message.into());
    }

    fn key<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        if !key.is_empty()
            && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            self.path.push('.');
            self.path.push_str(key);
        } else {
            self.path.push_str("['");
            for c in key.chars() {
                match c {
                    '\'' => self.path.push_str("\\'"),
                    '\\' => self.path.push_str("\\\\"),
                    c => self.path.push(c),
                }
            }
            self.path.push_str("']");
        }
        let r = f(self);
        self.path.truncate(len);
        r
    }

    fn index<R>(&mut self, i: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        self.path.push('[');
        self.path.push_str(&i.to_string());
        self.path.push(']');
        let r = f(self);
        self.path.truncate(len);
        r
    }

    fn bundle_header(&mut self, map: &Map<String, Value>, has_objects: bool) {
        match map.get("id").and_then(Value::as_str) {
            Some(id) => match id.parse::<Identifier>() {
                Ok(parsed) if parsed.object_type() == "bundle" => {}
                Ok(_) => self.key("id", |c| {
                    c.error("8", format!("a bundle id must start with `bundle--`, not `{id}`"))
                }),
                Err(e) => self.key("id", |c| c.error("2.9", e.to_string())),
            },
            None => self.error("8", "a bundle requires a string `id`"),
        }
        if map.get("objects").is_some_and(|o| !o.is_array()) {
            self.key("objects", |c| c.error("8", "`objects` must be an array of STIX objects"));
        } else if !has_objects && map.contains_key("objects") {
            self.key("objects", |c| {
                c.error("2.8", "`objects` must not be empty (lists must hold at least one item)")
            });
        }
    }

    fn bundle_or_object(&mut self, value: &Value) {
        let Some(map) =
            value.as_object().filter(|m| m.get("type").and_then(Value::as_str) == Some("bundle"))
        else {
            self.object(value);
            return;
        };
        let objects = map.get("objects");
        self.bundle_header(
            map,
            objects.is_some_and(|o| !matches!(o, Value::Array(a) if a.is_empty())),
        );
        if let Some(Value::Array(items)) = objects {
            self.key("objects", |ctx| {
                for (i, item) in items.iter().enumerate() {
                    ctx.index(i, |ctx| ctx.object(item));
                }
            });
        }
    }

    /// Validates one top-level STIX object.
    fn object(&mut self, value: &Value) {
        let Some(map) = value.as_object() else {
            self.error("3", "a STIX object must be a JSON object");
            return;
        };
        let Some(type_value) = map.get("type") else {
            self.key("type", |c| c.error("3.2", "missing required property `type`"));
            return;
        };
        let Some(object_type) = type_value.as_str() else {
            self.key("type", |c| c.error("3.1", "`type` must be a string"));
            return;
        };
        if object_type == "bundle" {
            self.key("type", |c| {
                c.error("8", "a bundle cannot be nested inside another bundle or list")
            });
            return;
        }
        if !crate::identifier::is_type_name(object_type) || object_type == "action" {
            self.key("type", |c| {
                c.error(
                    "3.1",
                    format!("`{object_type}` is not a valid type name: 3-250 characters of a-z, 0-9 and hyphens, starting with a letter, without `--`"),
                )
            });
            return;
        }
        let def = schema::type_def(object_type);
        let category = def.map_or_else(|| custom_category(map), |d| d.category);
        self.identifier_property(map, object_type);
        let common: &[Prop] = match (object_type, category) {
            ("marking-definition", _) => schema::MARKING_COMMON,
            (_, Category::Sco) => schema::SCO_COMMON,
            _ => schema::SDO_COMMON,
        };
        self.properties(map, common, def.map_or(&[], |d| d.props), object_type);
        if let Some(def) = def {
            self.type_rules(map, def);
        } else {
            self.custom_type(map, object_type, category);
        }
        self.versioning(map, category, object_type);
        self.granular_markings(map);
        self.extensions(map, object_type, category);
        if category == Category::Sco {
            self.sco_id(map, object_type);
        }
    }

    fn identifier_property(&mut self, map: &Map<String, Value>, object_type: &str) {
        match map.get("id") {
            None => self.key("id", |c| c.error("3.2", "missing required property `id`")),
            Some(Value::String(id)) => match id.parse::<Identifier>() {
                Ok(parsed) if parsed.object_type() != object_type => self.key("id", |c| {
                    c.error(
                        "2.9",
                        format!(
                            "the id's type `{}` is not the object's type `{object_type}`",
                            parsed.object_type()
                        ),
                    )
                }),
                Ok(_) => {}
                Err(e) => self.key("id", |c| c.error("2.9", e.to_string())),
            },
            Some(_) => self.key("id", |c| c.error("2.9", "`id` must be a string")),
        }
    }

    /// Checks required properties, the kinds of known properties, and the names and values of
    /// custom properties.
    fn properties(
        &mut self,
        map: &Map<String, Value>,
        common: &[Prop],
        own: &[Prop],
        object_type: &str,
    ) {
        for prop in common.iter().chain(own) {
            if prop.required && !map.contains_key(prop.name) {
                let section = section_of(object_type, prop, common);
                self.key(prop.name, |c| {
                    c.error(section, format!("missing required property `{}`", prop.name))
                });
            }
        }
        for (name, value) in map {
            if name == "id" || name == "type" {
                continue;
            }
            if let Some(prop) = own.iter().chain(common).find(|p| p.name == name) {
                let section = section_of(object_type, prop, common);
                self.key(name, |c| c.value(&prop.kind, value, section));
            } else {
                self.key(name, |c| c.custom_property(name, value, object_type));
            }
        }
    }

    fn custom_property(&mut self, name: &str, value: &Value, object_type: &str) {
        if RESERVED.contains(&name) {
            self.error("3.1", format!("`{name}` is a reserved property name and must not be used"));
            return;
        }
        if !is_property_name(name) {
            self.error(
                "3.1",
                format!(
                    "`{name}` is not a valid property name: 3-250 characters of a-z, 0-9 and _"
                ),
            );
            return;
        }
        if object_type == "marking-definition" && !name.starts_with("x_") {
            // Marking definitions are closed apart from custom properties.
        }
        if !name.starts_with("x_") {
            self.warning("11.1", format!("custom property `{name}` should start with `x_` (or be defined by an extension)"));
        }
        self.any_value(value);
        if name.ends_with("_hex") {
            self.hex(value);
        } else if name.ends_with("_bin") {
            self.binary(value);
        }
    }

    /// Checks a value of any kind: no null, no empty list, recursively (STIX 2.1 §3.3, §2.8).
    fn any_value(&mut self, value: &Value) {
        match value {
            Value::Null => self.error("3.3", "property values must not be null"),
            Value::Array(items) => {
                if items.is_empty() {
                    self.error("2.8", "lists must hold at least one item");
                }
                for (i, item) in items.iter().enumerate() {
                    self.index(i, |c| c.any_value(item));
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    self.key(k, |c| c.any_value(v));
                }
            }
            _ => {}
        }
    }

    /// Checks `value` against `kind`; returns whether it had the right shape.
    fn value(&mut self, kind: &Kind, value: &Value, section: &'static str) -> bool {
        match kind {
            Kind::String => self.string(value, section).is_some(),
            Kind::Boolean => {
                let ok = value.is_boolean();
                if !ok {
                    self.error(section, format!("must be true or false, not {}", describe(value)));
                }
                ok
            }
            Kind::Integer { min, max } => match as_integer(value) {
                Some(n) if n < *min || n > *max => {
                    self.error(
                        section,
                        format!("{n} is out of range: must be from {min} to {max}"),
                    );
                    false
                }
                Some(_) => true,
                None => {
                    self.error(section, format!("must be an integer, not {}", describe(value)));
                    false
                }
            },
            Kind::Float { min, max } => match value.as_f64() {
                Some(n) if n < *min || n > *max => {
                    self.error(
                        section,
                        format!("{n} is out of range: must be from {min} to {max}"),
                    );
                    false
                }
                Some(_) => true,
                None => {
                    self.error(section, format!("must be a number, not {}", describe(value)));
                    false
                }
            },
            Kind::Timestamp => self.timestamp(value).is_some(),
            Kind::Ref(types) => self.reference(
                value,
                section,
                |t| types.is_empty() || types.contains(&t),
                format!("an object of type {}", types.join(" or ")),
            ),
            Kind::ScoRef => self.reference(
                value,
                section,
                |t| schema::category(t) == Category::Sco || schema::category(t) == Category::Custom,
                "an SCO".into(),
            ),
            Kind::SdoRef => self.reference(
                value,
                section,
                |t| {
                    !matches!(
                        t,
                        "relationship"
                            | "sighting"
                            | "bundle"
                            | "marking-definition"
                            | "language-content"
                            | "extension-definition"
                    )
                },
                "an SDO or SCO (not an SRO, bundle or meta object)".into(),
            ),
            Kind::List(inner) => match value.as_array() {
                Some(items) => {
                    if items.is_empty() {
                        self.error("2.8", "lists must hold at least one item");
                    }
                    let mut ok = true;
                    for (i, item) in items.iter().enumerate() {
                        ok &= self.index(i, |c| c.value(inner, item, section));
                    }
                    ok
                }
                None => {
                    self.error(section, format!("must be a list, not {}", describe(value)));
                    false
                }
            },
            Kind::Enum(allowed) => match self.string(value, section) {
                Some(s) if !allowed.contains(&s) => {
                    self.error(
                        section,
                        format!("`{s}` is not one of the allowed values: {}", allowed.join(", ")),
                    );
                    false
                }
                Some(_) => true,
                None => false,
            },
            Kind::OpenVocab(suggested) => match self.string(value, section) {
                Some(s) => {
                    if !suggested.contains(&s) {
                        self.warning(
                            section,
                            format!(
                                "`{s}` is not in the suggested vocabulary: {}",
                                suggested.join(", ")
                            ),
                        );
                    }
                    true
                }
                None => false,
            },
            Kind::Dictionary => self.dictionary(value, section),
            Kind::Hashes => self.hashes(value, section),
            Kind::Hex => self.hex(value),
            Kind::Binary => self.binary(value),
            Kind::Object(props) => match value.as_object() {
                Some(map) => {
                    self.nested(map, props, section);
                    true
                }
                None => {
                    self.error(section, format!("must be an object, not {}", describe(value)));
                    false
                }
            },
            Kind::Extensions => {
                value.is_object() || {
                    self.error("7.3", "`extensions` must be a dictionary");
                    false
                }
            }
        }
    }

    fn nested(&mut self, map: &Map<String, Value>, props: &[Prop], section: &'static str) {
        for prop in props {
            if prop.required && !map.contains_key(prop.name) {
                self.key(prop.name, |c| {
                    c.error(section, format!("missing required property `{}`", prop.name))
                });
            }
        }
        for (name, value) in map {
            match props.iter().find(|p| p.name == name) {
                Some(prop) => {
                    self.key(name, |c| c.value(&prop.kind, value, section));
                }
                None => self.key(name, |c| {
                    if !is_property_name(name) {
                        c.error("3.1", format!("`{name}` is not a valid property name: 3-250 characters of a-z, 0-9 and _"));
                    }
                    c.any_value(value);
                }),
            }
        }
        if props.len() == schema::EXTERNAL_REFERENCE.len() && props[0].name == "source_name" {
            self.external_reference(map);
        }
        if props.first().is_some_and(|p| p.name == "lang")
            && props.len() == schema::GRANULAR_MARKING.len()
        {
            match (map.contains_key("lang"), map.contains_key("marking_ref")) {
                (true, true) => self.error(
                    "7.2.3",
                    "a granular marking has either `lang` or `marking_ref`, not both",
                ),
                (false, false) => {
                    self.error("7.2.3", "a granular marking requires `marking_ref` or `lang`")
                }
                _ => {}
            }
        }
    }

    fn external_reference(&mut self, map: &Map<String, Value>) {
        let source = map.get("source_name").and_then(Value::as_str).unwrap_or("");
        let external_id = map.get("external_id").and_then(Value::as_str);
        if !["description", "url", "external_id"].iter().any(|k| map.contains_key(*k)) {
            self.error("2.5", "an external reference requires at least one of `description`, `url` or `external_id`");
        }
        let check = |re_ok: bool, what: &str, c: &mut Self| {
            if !re_ok {
                c.key("external_id", |c| {
                    c.error(
                        "2.5",
                        format!("a `{source}` reference needs an external_id like {what}"),
                    )
                });
            }
        };
        match (source, external_id) {
            ("cve", Some(id)) => check(syntax::is_cve_id(id), "CVE-2021-44228", self),
            ("capec", Some(id)) => check(syntax::is_capec_id(id), "CAPEC-66", self),
            ("cve" | "capec", None) => {
                self.error("2.5", format!("a `{source}` reference requires `external_id`"))
            }
            _ => {}
        }
        if let Some(url) = map.get("url").and_then(Value::as_str)
            && !syntax::is_uri(url)
        {
            self.key("url", |c| {
                c.error("2.5", format!("`{url}` is not an absolute URI (RFC 3986)"))
            });
        }
    }

    fn string<'v>(&mut self, value: &'v Value, section: &'static str) -> Option<&'v str> {
        let s = value.as_str();
        if s.is_none() {
            self.error(section, format!("must be a string, not {}", describe(value)));
        }
        s
    }

    fn timestamp(&mut self, value: &Value) -> Option<Timestamp> {
        let s = self.string(value, "2.13")?;
        match s.parse::<Timestamp>() {
            Ok(t) => Some(t),
            Err(e) => {
                self.error("2.13", e.to_string());
                None
            }
        }
    }

    fn reference(
        &mut self,
        value: &Value,
        section: &'static str,
        allowed: impl Fn(&str) -> bool,
        expected: String,
    ) -> bool {
        let Some(s) = self.string(value, section) else { return false };
        match s.parse::<Identifier>() {
            Ok(id) if allowed(id.object_type()) => true,
            Ok(id) => {
                self.error(
                    section,
                    format!("must refer to {expected}, not a `{}`", id.object_type()),
                );
                false
            }
            Err(e) => {
                self.error("2.9", e.to_string());
                false
            }
        }
    }

    fn dictionary(&mut self, value: &Value, section: &'static str) -> bool {
        let Some(map) = value.as_object() else {
            self.error(section, format!("must be a dictionary, not {}", describe(value)));
            return false;
        };
        if map.is_empty() {
            self.error("2.6", "a dictionary must have at least one key");
        }
        for (k, v) in map {
            self.key(k, |c| {
                if !(1..=250).contains(&k.len()) || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    c.error("2.6", format!("dictionary key `{k}` must be 1-250 characters of a-z, A-Z, 0-9, _ and -"));
                }
                c.any_value(v);
            });
        }
        true
    }

    fn hashes(&mut self, value: &Value, section: &'static str) -> bool {
        let Some(map) = value.as_object() else {
            self.error(section, format!("must be a hashes dictionary, not {}", describe(value)));
            return false;
        };
        if map.is_empty() {
            self.error("2.7", "`hashes` must hold at least one hash");
        }
        for (algorithm, digest) in map {
            self.key(algorithm, |c| {
                if !(3..=250).contains(&algorithm.len())
                    || !algorithm.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    c.error("2.7", format!("hash name `{algorithm}` must be 3-250 characters of a-z, A-Z, 0-9, _ and -"));
                }
                let Some(digest) = c.string(digest, "2.7") else { return };
                if let Some(problem) = syntax::hash_problem(algorithm, digest) {
                    c.error("2.7", problem);
                } else if !schema::is_known_hash(algorithm) {
                    c.warning("10.10", format!("`{algorithm}` is not in hash-algorithm-ov"));
                }
            });
        }
        true
    }

    fn hex(&mut self, value: &Value) -> bool {
        let Some(s) = self.string(value, "2.8") else { return false };
        let ok = !s.is_empty() && s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            self.error("2.8", format!("`{s}` is not hex: an even number of hexadecimal digits"));
        }
        ok
    }

    fn binary(&mut self, value: &Value) -> bool {
        let Some(s) = self.string(value, "2.3") else { return false };
        let ok = syntax::is_base64(s);
        if !ok {
            self.error("2.3", "not valid base64 (RFC 4648 §4)");
        }
        ok
    }

    /// `created`/`modified` precision and order, revocation (STIX 2.1 §3.2, §3.6).
    fn versioning(&mut self, map: &Map<String, Value>, category: Category, object_type: &str) {
        if category == Category::Sco && !map.contains_key("created") {
            return;
        }
        let ts =
            |k: &str| map.get(k).and_then(Value::as_str).and_then(|s| s.parse::<Timestamp>().ok());
        for key in ["created", "modified"] {
            if let Some(t) = ts(key)
                && t.precision() < 3
            {
                self.key(key, |c| c.error("3.2", format!("`{key}` must be precise to the millisecond (at least 3 decimal digits), got `{t}`")));
            }
        }
        if let (Some(created), Some(modified)) = (ts("created"), ts("modified"))
            && modified < created
        {
            self.key("modified", |c| {
                c.error("3.2", format!("`modified` {modified} is earlier than `created` {created}"))
            });
        }
        if object_type == "marking-definition"
            && let Some(refs) = map.get("object_marking_refs").and_then(Value::as_array)
        {
            self.key("object_marking_refs", |c| {
                for (i, r) in refs.iter().enumerate() {
                    if r.as_str().is_some() && r.as_str() == map.get("id").and_then(Value::as_str) {
                        c.index(i, |c| {
                            c.error("7.2.1", "a marking definition must not mark itself")
                        });
                    }
                }
            });
        }
    }

    fn granular_markings(&mut self, map: &Map<String, Value>) {
        let Some(Value::Array(markings)) = map.get("granular_markings") else { return };
        let own_id = map.get("id").and_then(Value::as_str);
        self.key("granular_markings", |c| {
            for (i, marking) in markings.iter().enumerate() {
                c.index(i, |c| {
                    if map.get("type").and_then(Value::as_str) == Some("marking-definition")
                        && marking.get("marking_ref").and_then(Value::as_str) == own_id
                    {
                        c.key("marking_ref", |c| {
                            c.error("7.2.1", "a marking definition must not mark itself")
                        });
                    }
                    let Some(Value::Array(selectors)) = marking.get("selectors") else { return };
                    c.key("selectors", |c| {
                        for (j, selector) in selectors.iter().enumerate() {
                            let Some(selector) = selector.as_str() else { continue };
                            if let Err(why) = resolve_selector(map, selector) {
                                c.index(j, |c| {
                                    c.error("7.2.3.1", format!("selector `{selector}` {why}"))
                                });
                            }
                        }
                    });
                });
            }
        });
    }

    fn extensions(&mut self, map: &Map<String, Value>, object_type: &str, category: Category) {
        let Some(Value::Object(extensions)) = map.get("extensions") else { return };
        self.key("extensions", |c| {
            if extensions.is_empty() {
                c.error("7.3", "`extensions` must hold at least one extension");
            }
            for (name, body) in extensions {
                c.key(name, |c| c.extension(name, body, object_type, category));
            }
        });
    }

    fn extension(&mut self, name: &str, body: &Value, object_type: &str, category: Category) {
        let Some(map) = body.as_object() else {
            self.error(
                "7.3",
                format!("extension `{name}` must be an object, not {}", describe(body)),
            );
            return;
        };
        if map.is_empty() {
            self.error("7.3", "an extension must have at least one property");
        }
        if let Some(rest) = name.strip_prefix("extension-definition--") {
            if format!("extension-definition--{rest}").parse::<Identifier>().is_err() {
                self.error(
                    "7.3",
                    format!("`{name}` is not a valid extension-definition identifier"),
                );
            }
            match map.get("extension_type") {
                None => self.key("extension_type", |c| {
                    c.error(
                        "7.3",
                        "an extension defined by an extension-definition requires `extension_type`",
                    )
                }),
                Some(v) => {
                    self.key("extension_type", |c| {
                        c.value(
                            &Kind::Enum(&[
                                "new-sdo",
                                "new-sco",
                                "new-sro",
                                "property-extension",
                                "toplevel-property-extension",
                            ]),
                            v,
                            "7.3",
                        )
                    });
                }
            }
            for (k, v) in map {
                self.key(k, |c| {
                    if !is_property_name(k) {
                        c.error("3.1", format!("`{k}` is not a valid property name: 3-250 characters of a-z, 0-9 and _"));
                    }
                    c.any_value(v);
                });
            }
            return;
        }
        if object_type == "marking-definition" || !is_extension_name(name) {
            self.error(
                "7.3",
                format!("`{name}` is neither an extension-definition id nor a predefined extension name ending in `-ext`"),
            );
            return;
        }
        match schema::extension_def(name) {
            Some(def) if def.extends == object_type => {
                self.nested(map, def.props, def.section);
                if def.at_least_one && !def.props.iter().any(|p| map.contains_key(p.name)) {
                    self.error(
                        def.section,
                        format!("`{name}` requires at least one of its properties"),
                    );
                }
                self.extension_rules(name, map, def.section);
            }
            Some(def) => self.error(
                def.section,
                format!("`{name}` extends `{}`, not `{object_type}`", def.extends),
            ),
            None => {
                if category != Category::Custom {
                    self.warning(
                        "11.3",
                        format!(
                            "`{name}` is a custom extension; STIX 2.1 prefers extension definitions"
                        ),
                    );
                }
                for (k, v) in map {
                    self.key(k, |c| c.any_value(v));
                }
            }
        }
    }

    fn extension_rules(&mut self, name: &str, map: &Map<String, Value>, section: &'static str) {
        match name {
            "windows-pebinary-ext" => {
                if map.len() < 2 {
                    self.error(
                        section,
                        "`windows-pebinary-ext` requires at least one property besides `pe_type`",
                    );
                }
                if let Some(t) = map
                    .get("time_date_stamp")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Timestamp>().ok())
                    && t.precision() != 0
                {
                    self.key("time_date_stamp", |c| {
                        c.error(
                            section,
                            "`time_date_stamp` must be precise to the second (no fraction)",
                        )
                    });
                }
                if let Some(Value::Object(header)) = map.get("optional_header")
                    && header.is_empty()
                {
                    self.key("optional_header", |c| {
                        c.error(section, "`optional_header` requires at least one property")
                    });
                }
            }
            "socket-ext" => {
                if let Some(Value::Object(options)) = map.get("options") {
                    self.key("options", |c| {
                        for (k, v) in options {
                            c.key(k, |c| {
                                if !syntax::is_socket_option(k) {
                                    c.error(section, format!("socket option `{k}` must look like SO_*, IP_*, TCP_*, …"));
                                }
                                if as_integer(v).is_none() {
                                    c.error(section, "socket option values must be integers");
                                }
                            });
                        }
                    });
                }
            }
            "http-request-ext" => {
                if let Some(Value::Object(headers)) = map.get("request_header") {
                    self.key("request_header", |c| {
                        for (k, v) in headers {
                            let ok = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
                            if !ok {
                                c.key(k, |c| {
                                    c.error(
                                        section,
                                        "request header values must be lists of strings",
                                    )
                                });
                            }
                        }
                    });
                }
            }
            "raster-image-ext" => {
                if let Some(Value::Object(tags)) = map.get("exif_tags") {
                    self.key("exif_tags", |c| {
                        for (k, v) in tags {
                            c.key(k, |c| {
                                let name_ok = k.len() >= 2
                                    && k.as_bytes()[0].is_ascii_uppercase()
                                    && k.bytes().all(|b| {
                                        b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
                                    });
                                if !name_ok {
                                    c.error(
                                        section,
                                        format!(
                                            "EXIF tag `{k}` must start with an upper-case letter"
                                        ),
                                    );
                                }
                                if !(v.is_string() || as_integer(v).is_some()) {
                                    c.error(section, "EXIF tag values must be strings or integers");
                                }
                            });
                        }
                    });
                }
            }
            "pdf-ext" => {
                if let Some(Value::Object(info)) = map.get("document_info_dict") {
                    self.key("document_info_dict", |c| {
                        for (k, v) in info {
                            if !v.is_string() {
                                c.key(k, |c| {
                                    c.error(section, "document information values must be strings")
                                });
                            }
                        }
                    });
                }
            }
            _ => {}
        }
    }

    /// Deterministic id consistency and UUID versions for SCOs (STIX 2.1 §2.9, §6).
    fn sco_id(&mut self, map: &Map<String, Value>, object_type: &str) {
        let Some(id) =
            map.get("id").and_then(Value::as_str).and_then(|s| s.parse::<Identifier>().ok())
        else {
            return;
        };
        let version = id.uuid().get_version_num();
        match scoid::deterministic_id(object_type, map) {
            Some(expected) if expected.as_str() != id.as_str().to_ascii_lowercase() => self.key("id", |c| {
                c.warning("2.9", format!("the deterministic id from the ID-contributing properties is {expected}"))
            }),
            Some(_) => {}
            None if schema::type_def(object_type).is_some() && version != 4 => self.key("id", |c| {
                c.error("2.9", "without ID-contributing properties, an SCO id must use a random (version 4) UUID")
            }),
            None => {}
        }
    }

    fn custom_type(&mut self, map: &Map<String, Value>, object_type: &str, category: Category) {
        let defined = map.get("extensions").and_then(Value::as_object).is_some_and(|e| {
            e.iter().any(|(k, v)| {
                k.starts_with("extension-definition--")
                    && matches!(
                        v.get("extension_type").and_then(Value::as_str),
                        Some("new-sdo" | "new-sco" | "new-sro")
                    )
            })
        });
        if !defined && !object_type.starts_with("x-") {
            self.key("type", |c| {
                c.warning("11.2", format!("custom type `{object_type}` should start with `x-` or be defined by an extension definition"))
            });
        }
        let _ = category;
    }

    /// The rules of each type beyond property kinds.
    fn type_rules(&mut self, map: &Map<String, Value>, def: &TypeDef) {
        let section = def.section;
        let has = |k: &str| map.contains_key(k);
        let ts =
            |k: &str| map.get(k).and_then(Value::as_str).and_then(|s| s.parse::<Timestamp>().ok());
        let order = |c: &mut Self, first: &str, last: &str, strict: bool| {
            if let (Some(a), Some(b)) = (ts(first), ts(last))
                && (b < a || (strict && a == b))
            {
                let relation = if strict { "later than" } else { "earlier than" };
                let message = if strict {
                    format!("`{last}` {b} must be later than `{first}` {a}")
                } else {
                    format!("`{last}` {b} is {relation} `{first}` {a}")
                };
                c.key(last, |c| c.error(section, message));
            }
        };
        match def.name {
            "campaign" | "infrastructure" | "intrusion-set" | "malware" | "sighting"
            | "threat-actor" => {
                order(self, "first_seen", "last_seen", false);
            }
            "observed-data" => order(self, "first_observed", "last_observed", false),
            "indicator" => order(self, "valid_from", "valid_until", true),
            "relationship" => order(self, "start_time", "stop_time", true),
            "network-traffic" => order(self, "start", "end", false),
            "malware-analysis" => {}
            _ => {}
        }
        match def.name {
            "indicator" => self.indicator(map),
            "location" => {
                let (lat, lon) = (has("latitude"), has("longitude"));
                if lat != lon {
                    let missing = if lat { "longitude" } else { "latitude" };
                    self.key(missing, |c| {
                        c.error(section, "`latitude` and `longitude` go together")
                    });
                }
                if has("precision") && !(lat && lon) {
                    self.key("precision", |c| {
                        c.error(section, "`precision` requires `latitude` and `longitude`")
                    });
                }
                if !(has("region") || has("country") || (lat && lon)) {
                    self.error(
                        section,
                        "a location requires `region`, `country`, or `latitude` and `longitude`",
                    );
                }
            }
            "malware" if map.get("is_family") == Some(&Value::Bool(true)) && !has("name") => {
                self.key("name", |c| {
                    c.error(section, "a malware family (`is_family` true) requires `name`")
                });
            }
            "malware-analysis" if !has("result") && !has("analysis_sco_refs") => {
                self.error(section, "a malware analysis requires `result` or `analysis_sco_refs`");
            }
            "observed-data" => self.observed_data(map),
            "relationship" => {
                if let Some(t) = map.get("relationship_type").and_then(Value::as_str)
                    && (t.is_empty()
                        || !t
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
                {
                    self.key("relationship_type", |c| {
                        c.error(section, format!("`{t}` must only contain a-z, 0-9 and -"))
                    });
                }
            }
            "sighting" => {}
            "language-content" => self.language_content(map),
            "marking-definition" => self.marking_definition(map),
            "extension-definition" => {
                let toplevel =
                    map.get("extension_types").and_then(Value::as_array).is_some_and(|t| {
                        t.iter().any(|v| v.as_str() == Some("toplevel-property-extension"))
                    });
                if has("extension_properties") && !toplevel {
                    self.key("extension_properties", |c| {
                        c.error(section, "`extension_properties` is only allowed for a `toplevel-property-extension`")
                    });
                }
            }
            "artifact" => {
                match (has("payload_bin"), has("url")) {
                    (true, true) => self.key("url", |c| {
                        c.error(section, "an artifact has `payload_bin` or `url`, not both")
                    }),
                    (false, false) => {
                        self.error(section, "an artifact requires `payload_bin` or `url`")
                    }
                    (false, true) if !has("hashes") => self.key("hashes", |c| {
                        c.error(section, "an artifact with `url` requires `hashes`")
                    }),
                    _ => {}
                }
                if has("decryption_key") && !has("encryption_algorithm") {
                    self.key("decryption_key", |c| {
                        c.error(section, "`decryption_key` requires `encryption_algorithm`")
                    });
                }
                if let Some(m) = map.get("mime_type").and_then(Value::as_str)
                    && !syntax::is_media_type(m)
                {
                    self.key("mime_type", |c| {
                        c.error(section, format!("`{m}` is not an IANA media type (type/subtype)"))
                    });
                }
                if let Some(u) = map.get("url").and_then(Value::as_str)
                    && !syntax::is_uri(u)
                {
                    self.key("url", |c| {
                        c.error(section, format!("`{u}` is not an absolute URI (RFC 3986)"))
                    });
                }
            }
            "directory" => self.charset(map, "path_enc", section),
            "file" => {
                if !has("hashes") && !has("name") {
                    self.error(section, "a file requires `hashes` or `name`");
                }
                self.charset(map, "name_enc", section);
            }
            "domain-name" => self.formatted(
                map,
                "value",
                section,
                syntax::is_hostname,
                "a domain name (RFC 1034, IDNA)",
            ),
            "email-addr" => self.formatted(
                map,
                "value",
                section,
                |s| s.contains('@'),
                "an email address (RFC 5322 addr-spec)",
            ),
            "ipv4-addr" => self.formatted(
                map,
                "value",
                section,
                syntax::is_ipv4_or_cidr,
                "an IPv4 address or CIDR block",
            ),
            "ipv6-addr" => self.formatted(
                map,
                "value",
                section,
                syntax::is_ipv6_or_cidr,
                "an IPv6 address or CIDR block",
            ),
            "mac-addr" => self.formatted(
                map,
                "value",
                section,
                syntax::is_mac,
                "a MAC address in lower-case colon form",
            ),
            "url" => {
                self.formatted(map, "value", section, syntax::is_uri, "an absolute URL (RFC 3986)")
            }
            "email-message" => self.email_message(map, section),
            "network-traffic" => {
                if !has("src_ref") && !has("dst_ref") {
                    self.error(section, "network traffic requires `src_ref` or `dst_ref`");
                }
                if map.get("is_active") == Some(&Value::Bool(true)) && has("end") {
                    self.key("end", |c| {
                        c.error(section, "`end` must not be present while `is_active` is true")
                    });
                }
                if let Some(Value::Object(ipfix)) = map.get("ipfix") {
                    self.key("ipfix", |c| {
                        for (k, v) in ipfix {
                            if !(v.is_string() || as_integer(v).is_some()) {
                                c.key(k, |c| {
                                    c.error(section, "IPFIX values must be strings or integers")
                                });
                            }
                        }
                    });
                }
            }
            "process" => {
                let id_v4 = map
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Identifier>().ok())
                    .is_some_and(|i| i.uuid().get_version_num() == 4);
                if !id_v4 {
                    self.key("id", |c| {
                        c.error(section, "a process id must use a random (version 4) UUID")
                    });
                }
                if !at_least_one_own(map, def) {
                    self.error(
                        section,
                        "a process requires at least one property besides `type` and `id`",
                    );
                }
            }
            "software" => {
                if let Some(cpe) = map.get("cpe").and_then(Value::as_str)
                    && !syntax::is_cpe23(cpe)
                {
                    self.key("cpe", |c| {
                        c.error(section, format!("`{cpe}` is not a CPE 2.3 formatted string"))
                    });
                }
                if let Some(Value::Array(langs)) = map.get("languages") {
                    self.key("languages", |c| {
                        for (i, l) in langs.iter().enumerate() {
                            if let Some(l) = l.as_str()
                                && !syntax::is_language_tag(l)
                            {
                                c.index(i, |c| {
                                    c.error(
                                        section,
                                        format!(
                                            "`{l}` is not a language code (ISO 639-2 or RFC 5646)"
                                        ),
                                    )
                                });
                            }
                        }
                    });
                }
            }
            "user-account" | "x509-certificate" => {
                if !at_least_one_own(map, def) {
                    self.error(
                        section,
                        format!(
                            "a {} requires at least one property besides `type` and `id`",
                            def.name
                        ),
                    );
                }
                if let Some(Value::Object(ext)) = map.get("x509_v3_extensions")
                    && ext.is_empty()
                {
                    self.key("x509_v3_extensions", |c| {
                        c.error(section, "`x509_v3_extensions` requires at least one property")
                    });
                }
            }
            "windows-registry-key" => {
                if !["key", "values", "modified_time", "creator_user_ref", "number_of_subkeys"]
                    .iter()
                    .any(|k| has(k))
                {
                    self.error(section, "a registry key requires at least one of its properties");
                }
                if let Some(key) = map.get("key").and_then(Value::as_str)
                    && syntax::is_abbreviated_hive(key)
                {
                    self.key("key", |c| {
                        c.error(
                            section,
                            format!(
                                "`{key}` must use the full hive name (e.g. HKEY_LOCAL_MACHINE)"
                            ),
                        )
                    });
                }
                if let Some(Value::Array(values)) = map.get("values") {
                    self.key("values", |c| {
                        for (i, v) in values.iter().enumerate() {
                            let empty = v.as_object().is_some_and(|m| {
                                !["name", "data", "data_type"].iter().any(|k| m.contains_key(*k))
                            });
                            if empty {
                                c.index(i, |c| {
                                    c.error(
                                        section,
                                        "a registry value requires `name`, `data` or `data_type`",
                                    )
                                });
                            }
                        }
                    });
                }
            }
            _ => {}
        }
        if let Some(lang) = map.get("lang").and_then(Value::as_str)
            && !syntax::is_language_tag(lang)
        {
            self.key("lang", |c| {
                c.error("3.2", format!("`{lang}` is not an RFC 5646 language tag"))
            });
        }
        // STIX 2.1 §2.9: SDO and SRO ids should be random (version 4) UUIDs.
        if matches!(def.category, Category::Sdo | Category::Sro)
            && let Some(id) =
                map.get("id").and_then(Value::as_str).and_then(|s| s.parse::<Identifier>().ok())
            && id.uuid().get_version_num() != 4
        {
            self.key("id", |c| {
                c.warning("2.9", "SDO and SRO ids should use random (version 4) UUIDs")
            });
        }
    }

    fn indicator(&mut self, map: &Map<String, Value>) {
        let Some(pattern) = map.get("pattern").and_then(Value::as_str) else { return };
        if map.get("pattern_type").and_then(Value::as_str) != Some("stix") {
            return;
        }
        let version =
            map.get("pattern_version").or_else(|| map.get("spec_version")).and_then(Value::as_str);
        if let Some(check) = self.options.pattern_checker
            && let Err(message) = check(pattern, version)
        {
            self.key("pattern", |c| c.error("9", format!("invalid STIX pattern: {message}")));
        }
    }

    fn observed_data(&mut self, map: &Map<String, Value>) {
        match (map.get("objects"), map.get("object_refs")) {
            (Some(_), Some(_)) => {
                self.error("4.14", "observed data has `objects` or `object_refs`, not both")
            }
            (None, None) => self.error(
                "4.14",
                "observed data requires `object_refs` (or the deprecated `objects`)",
            ),
            _ => {}
        }
        if let Some(Value::Array(refs)) = map.get("object_refs") {
            self.key("object_refs", |c| {
                for (i, r) in refs.iter().enumerate() {
                    let Some(ty) = r.as_str().and_then(|s| s.parse::<Identifier>().ok()) else {
                        continue;
                    };
                    let ty = ty.object_type().to_owned();
                    let allowed = matches!(schema::category(&ty), Category::Sco | Category::Custom)
                        || ty == "relationship"
                        || ty == "sighting";
                    if !allowed {
                        c.index(i, |c| {
                            c.error(
                                "4.14",
                                format!("`object_refs` must refer to SCOs or SROs, not a `{ty}`"),
                            )
                        });
                    }
                }
            });
        }
        if let Some(Value::Object(objects)) = map.get("objects") {
            self.warning("4.14", "`objects` is deprecated in STIX 2.1; use `object_refs`");
            self.key("objects", |c| {
                for (key, object) in objects {
                    c.key(key, |c| c.embedded_observable(object, objects));
                }
            });
        }
    }

    /// An observable embedded in deprecated `observed-data.objects` (STIX 2.0 style): no `id`;
    /// references name keys of the same dictionary.
    fn embedded_observable(&mut self, object: &Value, siblings: &Map<String, Value>) {
        let Some(map) = object.as_object() else {
            self.error("4.14", "an embedded observable must be an object");
            return;
        };
        let Some(object_type) = map.get("type").and_then(Value::as_str) else {
            self.error("4.14", "an embedded observable requires `type`");
            return;
        };
        let def = schema::type_def(object_type);
        let own = def.map_or(&[][..], |d| d.props);
        for prop in own {
            if prop.required && !map.contains_key(prop.name) {
                let section = def.map_or("6", |d| d.section);
                self.key(prop.name, |c| {
                    c.error(section, format!("missing required property `{}`", prop.name))
                });
            }
        }
        for (name, value) in map {
            if name == "type" {
                continue;
            }
            let is_ref = name.ends_with("_ref") || name.ends_with("_refs");
            if is_ref {
                let keys: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    v => vec![v],
                };
                self.key(name, |c| {
                    for k in keys {
                        let ok = k.as_str().is_some_and(|k| siblings.contains_key(k));
                        if !ok {
                            c.error(
                                "4.14",
                                "embedded references must name another key of `objects`",
                            );
                        }
                    }
                });
            } else if let Some(prop) = own.iter().find(|p| p.name == name) {
                let section = def.map_or("6", |d| d.section);
                self.key(name, |c| c.value(&prop.kind, value, section));
            } else {
                self.key(name, |c| c.any_value(value));
            }
        }
    }

    fn language_content(&mut self, map: &Map<String, Value>) {
        if let Some(r) =
            map.get("object_ref").and_then(Value::as_str).and_then(|s| s.parse::<Identifier>().ok())
            && matches!(r.object_type(), "bundle" | "language-content")
        {
            self.key("object_ref", |c| {
                c.error("7.1", format!("language content cannot apply to a `{}`", r.object_type()))
            });
        }
        let Some(Value::Object(contents)) = map.get("contents") else { return };
        self.key("contents", |c| {
            for (lang, translations) in contents {
                c.key(lang, |c| {
                    if !syntax::is_language_tag(lang) {
                        c.error("7.1", format!("`{lang}` is not an RFC 5646 language tag"));
                    }
                    match translations.as_object() {
                        Some(t) => {
                            for k in t.keys() {
                                if !is_property_name(k) {
                                    c.key(k, |c| {
                                        c.error("7.1", format!("`{k}` is not a property name"))
                                    });
                                }
                            }
                        }
                        None => c.error(
                            "7.1",
                            "each language maps to an object of translated properties",
                        ),
                    }
                });
            }
        });
    }

    fn marking_definition(&mut self, map: &Map<String, Value>) {
        if let Err(mismatch) = check_pinned(map) {
            self.key("id", |c| c.error("7.2.1.4", mismatch.to_string()));
            return;
        }
        let pinned = check_pinned(map).ok().flatten().is_some();
        let definition_type = map.get("definition_type").and_then(Value::as_str);
        let has_extensions = map.contains_key("extensions");
        match (definition_type, map.get("definition")) {
            (None, None) if !has_extensions => self.error(
                "7.2.1",
                "a marking definition requires `definition_type` and `definition`, or an extension",
            ),
            (Some(_), None) => self.error("7.2.1", "`definition_type` requires `definition`"),
            (None, Some(_)) => self.error("7.2.1", "`definition` requires `definition_type`"),
            (Some("statement"), Some(def))
                if !def.get("statement").is_some_and(Value::is_string) =>
            {
                self.key("definition", |c| {
                    c.key("statement", |c| {
                        c.error("7.2.1.3", "a statement marking requires a string `statement`")
                    })
                });
            }
            (Some("tlp"), Some(_)) if !pinned => self.key("id", |c| {
                c.error(
                    "7.2.1.4",
                    "TLP marking definitions must be the four predefined ones (STIX 2.1 §7.2.1.4)",
                )
            }),
            _ => {}
        }
    }

    fn email_message(&mut self, map: &Map<String, Value>, section: &'static str) {
        match map.get("is_multipart") {
            Some(Value::Bool(true)) if map.contains_key("body") => self.key("body", |c| {
                c.error(
                    section,
                    "a multipart message carries its body in `body_multipart`, not `body`",
                )
            }),
            Some(Value::Bool(false)) if map.contains_key("body_multipart") => self
                .key("body_multipart", |c| {
                    c.error(section, "`body_multipart` requires `is_multipart` to be true")
                }),
            _ => {}
        }
        if let Some(Value::Array(parts)) = map.get("body_multipart") {
            self.key("body_multipart", |c| {
                for (i, part) in parts.iter().enumerate() {
                    let Some(part) = part.as_object() else { continue };
                    if part.contains_key("body") == part.contains_key("body_raw_ref") {
                        c.index(i, |c| {
                            c.error(
                                section,
                                "a MIME part has exactly one of `body` and `body_raw_ref`",
                            )
                        });
                    }
                }
            });
        }
        if let Some(Value::Object(headers)) = map.get("additional_header_fields") {
            self.key("additional_header_fields", |c| {
                for (k, v) in headers {
                    let ok = v.is_string()
                        || v.as_array()
                            .is_some_and(|a| a.len() >= 2 && a.iter().all(Value::is_string));
                    if !ok {
                        c.key(k, |c| {
                            c.error(
                                section,
                                "header values are a string, or a list of several strings",
                            )
                        });
                    }
                }
            });
        }
    }

    fn charset(&mut self, map: &Map<String, Value>, key: &str, section: &'static str) {
        if let Some(v) = map.get(key).and_then(Value::as_str)
            && !syntax::is_charset_name(v)
        {
            self.key(key, |c| c.error(section, format!("`{v}` is not an IANA character set name")));
        }
    }

    fn formatted(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        section: &'static str,
        ok: fn(&str) -> bool,
        what: &str,
    ) {
        if let Some(v) = map.get(key).and_then(Value::as_str)
            && !ok(v)
        {
            self.key(key, |c| c.error(section, format!("`{v}` is not {what}")));
        }
    }
}

fn at_least_one_own(map: &Map<String, Value>, def: &TypeDef) -> bool {
    map.contains_key("extensions") || def.props.iter().any(|p| map.contains_key(p.name))
}

/// The category a custom type behaves as: with `created` or `modified` it is an SDO.
fn custom_category(map: &Map<String, Value>) -> Category {
    if map.contains_key("created") || map.contains_key("modified") {
        Category::Sdo
    } else {
        Category::Sco
    }
}

fn section_of(object_type: &str, prop: &Prop, common: &[Prop]) -> &'static str {
    if common.iter().any(|p| std::ptr::eq(p, prop)) {
        if object_type == "marking-definition" { "7.2.1" } else { "3.2" }
    } else {
        schema::type_def(object_type).map_or("3.2", |d| d.section)
    }
}

/// STIX 2.1 §3.1: property names are 3-250 characters of a-z, 0-9 and `_`.
fn is_property_name(name: &str) -> bool {
    (3..=250).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An extension key in the `-ext` form (predefined, or STIX 2.0-style custom).
fn is_extension_name(name: &str) -> bool {
    name.ends_with("-ext") && crate::identifier::is_type_name(name)
}

/// A JSON integer, or a number with no fractional part (as JSON Schema counts integers).
fn as_integer(value: &Value) -> Option<i64> {
    if value.is_boolean() {
        return None;
    }
    value.as_i64().or_else(|| {
        let f = value.as_f64()?;
        // `as`: the range check makes the conversion exact.
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Resolves a granular-marking selector (STIX 2.1 §7.2.3.1) against an object: dot-separated
/// property names, with `[n]` list indices, each of which must exist.
fn resolve_selector(map: &Map<String, Value>, selector: &str) -> Result<(), String> {
    let mut current: Option<&Value> = None;
    for (i, step) in selector.split('.').enumerate() {
        let here = match current {
            None => {
                let Some(v) = map.get(step) else {
                    return Err(format!("names `{step}`, which the object does not have"));
                };
                v
            }
            Some(v) => {
                if let Some(index) = step.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                    let Ok(index) = index.parse::<usize>() else {
                        return Err(format!("has a bad list index `{step}`"));
                    };
                    match v {
                        Value::Array(items) => match items.get(index) {
                            Some(item) => item,
                            None => {
                                return Err(format!(
                                    "indexes past the end of a list of {}",
                                    items.len()
                                ));
                            }
                        },
                        _ => {
                            return Err(format!(
                                "indexes `{step}` into something that is not a list"
                            ));
                        }
                    }
                } else {
                    match v {
                        Value::Object(m) => match m.get(step) {
                            Some(item) => item,
                            None => {
                                return Err(format!("names `{step}`, which does not exist there"));
                            }
                        },
                        _ => {
                            return Err(format!(
                                "names `{step}` inside something that is not an object"
                            ));
                        }
                    }
                }
            }
        };
        if i == 0 && step.is_empty() {
            return Err("is empty".into());
        }
        current = Some(here);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(value: Value) -> String {
        let checker = |p: &str, _: Option<&str>| {
            if p.starts_with('[') { Ok(()) } else { Err("expected `[`".to_owned()) }
        };
        let options = Options { pattern_checker: Some(&checker) };
        validate(&value, &options)
            .iter()
            .map(|f| format!("{} {}: {} (§{})", f.severity.as_str(), f.path, f.message, f.section))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn indicator() -> Value {
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
            "valid_from": "2016-01-01T00:00:00Z"
        })
    }

    #[test]
    fn a_valid_indicator_has_no_findings() {
        assert_eq!(check(indicator()), "");
    }

    #[test]
    fn reports_paths_sections_and_reasons() {
        let mut bad = indicator();
        bad["modified"] = "2015-04-06T20:03:48.000Z".into();
        bad["created_by_ref"] = "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into();
        bad["confidence"] = 101.into();
        bad["pattern"] = "ipv4-addr:value = '1'".into();
        bad["labels"] = serde_json::json!([]);
        let bundle = serde_json::json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [indicator(), bad]});
        insta::assert_snapshot!(check(bundle), @"
        error $.objects[1].confidence: 101 is out of range: must be from 0 to 100 (§3.2)
        error $.objects[1].created_by_ref: must refer to an object of type identity, not a `malware` (§3.2)
        error $.objects[1].labels: lists must hold at least one item (§2.8)
        error $.objects[1].pattern: invalid STIX pattern: expected `[` (§9)
        error $.objects[1].modified: `modified` 2015-04-06T20:03:48.000Z is earlier than `created` 2016-04-06T20:03:48.000Z (§3.2)
        ");
    }

    #[test]
    fn granular_selectors_must_resolve() {
        let mut obj = indicator();
        obj["granular_markings"] = serde_json::json!([
            {"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": ["pattern", "name", "kill_chain_phases.[0]"]}
        ]);
        insta::assert_snapshot!(check(obj), @"
        error $.granular_markings[0].selectors[1]: selector `name` names `name`, which the object does not have (§7.2.3.1)
        error $.granular_markings[0].selectors[2]: selector `kill_chain_phases.[0]` names `kill_chain_phases`, which the object does not have (§7.2.3.1)
        ");
    }

    #[test]
    fn never_panics_on_odd_shapes() {
        for doc in [
            serde_json::json!(null),
            serde_json::json!([]),
            serde_json::json!([1, "a", null, {"type": 3}, {"type": "bundle"}]),
            serde_json::json!({"type": "bundle", "objects": 5}),
            serde_json::json!({"type": "observed-data", "objects": {"0": {"type": "file", "parent_directory_ref": 3}}}),
            serde_json::json!({"type": "x", "id": 5, "granular_markings": [{"selectors": [1, "a.[99999999999999999999]"]}]}),
        ] {
            let _ = check(doc);
        }
    }
}
