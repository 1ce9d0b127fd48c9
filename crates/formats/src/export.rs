//! Choosing what may go into an export: the built-in rules every export obeys, plus an
//! [`Exportable`] filter that the policy engine will implement for a recipient.
//!
//! The rules that need no policy engine are enforced here, for every format:
//!
//! - revoked objects, and indicators whose `valid_until` has passed, never go out;
//! - objects labelled [`EXERCISE_LABEL`] never go out;
//! - objects marked TLP:RED (object or granular markings) never go out: RED names people, so no
//!   file or feed may carry it (SECURITY.md rule 5);
//! - objects marked with a marking definition that is neither a TLP level nor defined (as a
//!   statement or other non-TLP definition) in the input are treated as the most restrictive and
//!   withheld (SECURITY.md rule 4);
//! - relationships and sightings that point at a withheld object are withheld, and withheld ids
//!   are removed from the `object_refs` of reports, groupings, notes and opinions that go out
//!   (an object whose refs all went is withheld too);
//! - for enforcement formats, only indicators whose STIX pattern is a plain disjunction of IOCs
//!   are usable; each value is checked for its kind and dropped when a warninglist marks it as
//!   benign.
//!
//! Writers only accept a [`Selection`], which only [`select`] makes, so no writer can be handed
//! objects that skipped these rules.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::Value;

use crate::EXERCISE_LABEL;
use crate::observable::Observable;
use crate::warninglist::Warninglists;

/// A recipient's view of what may be exported: implemented by the policy engine, which decides
/// per object for the caller or a partner. The built-in rules of this module run first.
pub trait Exportable {
    /// Whether `object` may go to this recipient.
    fn decide(&self, object: &stix::Object) -> Decision;
}

/// The answer of an [`Exportable`] filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The object may go out.
    Share,
    /// The object must not go out, for this reason (kept for the audit log, never exported).
    Withhold(String),
}

/// The filter for exports of local files with no policy engine in front: only the built-in
/// rules apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltInRulesOnly;

impl Exportable for BuiltInRulesOnly {
    fn decide(&self, _: &stix::Object) -> Decision {
        Decision::Share
    }
}

/// What the export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sharing formats (STIX bundle, MISP events and feeds): any object type may go out.
    Sharing,
    /// Enforcement formats (RPZ, Suricata, Zeek, nftables, CSV, plain lists): only indicators
    /// with plain IOC patterns, value by value, with warninglists applied.
    Enforcement,
}

/// Settings for [`select`].
#[derive(Debug, Clone)]
pub struct SelectOptions<'a> {
    /// What the export is for.
    pub purpose: Purpose,
    /// The time against which `valid_until` is checked.
    pub now: stix::Timestamp,
    /// Benign values, kept out of enforcement formats.
    pub warninglists: Option<&'a Warninglists>,
    /// Indicators with a lower `confidence` (0-100) are left out; those without one are kept.
    pub min_confidence: Option<u8>,
    /// Objects last modified before this time are left out.
    pub since: Option<stix::Timestamp>,
}

impl SelectOptions<'_> {
    /// Options for `purpose` at time `now`, with no warninglist and no other filter.
    pub fn new(purpose: Purpose, now: stix::Timestamp) -> SelectOptions<'static> {
        SelectOptions { purpose, now, warninglists: None, min_confidence: None, since: None }
    }
}

/// The objects an export may carry, and the record of what was held back.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    objects: Vec<Selected>,
    /// What was withheld, with the reason, for the audit log and the command's summary.
    pub withheld: Vec<Withheld>,
}

/// One object that passed every rule, with its usable observables (for enforcement formats).
#[derive(Debug, Clone)]
pub struct Selected {
    object: stix::Object,
    tlp: Option<stix::Tlp>,
    observables: Vec<Observable>,
}

/// One object or value that did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// The object's id.
    pub id: String,
    /// The value, when one value of an indicator was withheld and others went out.
    pub value: Option<String>,
    /// Why.
    pub reason: Reason,
}

/// Why something was withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// `revoked` is true.
    Revoked,
    /// `valid_until` has passed.
    Expired,
    /// Labelled as exercise data.
    Exercise,
    /// Marked TLP:RED.
    TlpRed,
    /// Marked with a marking definition that is not known, so treated as the most restrictive.
    UnknownMarking(String),
    /// Refers to an object that was withheld.
    RefersToWithheld(String),
    /// The [`Exportable`] filter said no.
    Policy(String),
    /// A warninglist marks the value as benign.
    Warninglisted(String),
    /// The object cannot be expressed in this format (not an indicator, a complex pattern...).
    NotExpressible(String),
    /// The value is not valid for its kind.
    InvalidValue(String),
    /// `confidence` is below the minimum.
    LowConfidence,
    /// Not modified since the given time.
    NotModifiedSince,
}

impl Selection {
    /// The selected objects, in input order.
    pub fn objects(&self) -> &[Selected] {
        &self.objects
    }

    /// Every (object, observable) pair, in input order.
    pub fn observables(&self) -> impl Iterator<Item = (&Selected, &Observable)> {
        self.objects.iter().flat_map(|s| s.observables.iter().map(move |o| (s, o)))
    }
}

impl Selected {
    /// The object.
    pub fn object(&self) -> &stix::Object {
        &self.object
    }

    /// The most restrictive TLP level among its markings, if any.
    pub fn tlp(&self) -> Option<stix::Tlp> {
        self.tlp
    }

    /// The observables usable for enforcement (empty for sharing exports).
    pub fn observables(&self) -> &[Observable] {
        &self.observables
    }

    /// The object's `name`, or empty.
    pub fn name(&self) -> &str {
        self.object.get("name").and_then(Value::as_str).unwrap_or("")
    }
}

/// Applies the built-in rules and `filter` to the candidate `objects`, in input order. The
/// objects are moved into the selection, not copied, so a million of them cost no more memory.
pub fn select(
    objects: Vec<stix::Object>,
    filter: &dyn Exportable,
    options: &SelectOptions<'_>,
) -> Selection {
    let defined: HashMap<String, Option<stix::Tlp>> = objects
        .iter()
        .filter(|o| o.object_type() == "marking-definition")
        .filter(|o| stix::Tlp::from_marking_id(o.id().as_str()).is_none())
        .map(|o| (o.id().as_str().to_owned(), None))
        .collect();
    let mut selection = Selection::default();
    let mut withheld_ids: HashSet<String> = HashSet::new();
    let mut candidates = Vec::new();
    for object in objects {
        let (tlp, rule) = check_rules(&object, &defined, options);
        let reason = rule.or_else(|| match filter.decide(&object) {
            Decision::Share => None,
            Decision::Withhold(why) => Some(Reason::Policy(why)),
        });
        match reason {
            Some(reason) => {
                let id = object.id().as_str().to_owned();
                if options.purpose == Purpose::Sharing {
                    withheld_ids.insert(id.clone());
                }
                selection.withheld.push(Withheld { id, value: None, reason });
            }
            None => candidates.push((object, tlp)),
        }
    }
    for (object, tlp) in candidates {
        match options.purpose {
            Purpose::Sharing => {
                let id = object.id().as_str().to_owned();
                match drop_withheld_refs(object, &withheld_ids) {
                    Ok(object) => {
                        selection.objects.push(Selected { object, tlp, observables: Vec::new() })
                    }
                    Err(reason) => selection.withheld.push(Withheld { id, value: None, reason }),
                }
            }
            Purpose::Enforcement => {
                if let Some(selected) = enforceable(object, tlp, options, &mut selection.withheld) {
                    selection.objects.push(selected);
                }
            }
        }
    }
    selection
}

/// [`select`] for enforcement exports read a page at a time (from a store): each object is
/// checked as it comes, and the caller writes its [`Selected`] into a writer that keeps only
/// values (`rpz::RpzZone`, `suricata::SuricataLists`…) and drops the object, so memory holds
/// one object at a time instead of the collection. The rules and their order are those of
/// [`select`]. Marking definitions cannot be gathered from the input first as `select` does
/// (a definition may come after the objects it marks), so the caller names the non-TLP
/// definitions it knows, each with the TLP level it stands for (`None` for statements, which
/// restrict nothing); any other non-TLP marking withholds the object.
pub struct EnforcementSelector<'a> {
    filter: &'a dyn Exportable,
    options: SelectOptions<'a>,
    defined: HashMap<String, Option<stix::Tlp>>,
    /// What was withheld so far, in input order.
    pub withheld: Vec<Withheld>,
}

impl fmt::Debug for EnforcementSelector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnforcementSelector")
            .field("now", &self.options.now)
            .field("withheld", &self.withheld.len())
            .finish_non_exhaustive()
    }
}

impl<'a> EnforcementSelector<'a> {
    /// A selector for `options.now`, its warninglists and filters (its `purpose` is ignored:
    /// this is always an enforcement selection), `filter`, and the known non-TLP marking
    /// definitions (`defined`: id and the TLP level it stands for, `None` for statements; a
    /// local marking that stands for RED withholds what it marks, like TLP:RED).
    pub fn new(
        filter: &'a dyn Exportable,
        options: SelectOptions<'a>,
        defined: impl IntoIterator<Item = (String, Option<stix::Tlp>)>,
    ) -> EnforcementSelector<'a> {
        let options = SelectOptions { purpose: Purpose::Enforcement, ..options };
        EnforcementSelector {
            filter,
            options,
            defined: defined.into_iter().collect(),
            withheld: Vec::new(),
        }
    }

    /// The object with its usable observables, or `None` when it is withheld (the reason is
    /// added to [`EnforcementSelector::withheld`]) or has nothing enforceable.
    pub fn select(&mut self, object: stix::Object) -> Option<Selected> {
        let (tlp, rule) = check_rules(&object, &self.defined, &self.options);
        let reason = rule.or_else(|| match self.filter.decide(&object) {
            Decision::Share => None,
            Decision::Withhold(why) => Some(Reason::Policy(why)),
        });
        if let Some(reason) = reason {
            let id = object.id().as_str().to_owned();
            self.withheld.push(Withheld { id, value: None, reason });
            return None;
        }
        enforceable(object, tlp, &self.options, &mut self.withheld)
    }
}

/// Adds `value` to a set of values kept by a writer, allocating only when it is new.
pub(crate) fn insert_value(set: &mut std::collections::BTreeSet<Box<str>>, value: &str) {
    if !set.contains(value) {
        set.insert(value.into());
    }
}

/// The object's TLP, and the first built-in rule it breaks.
fn check_rules(
    object: &stix::Object,
    defined: &HashMap<String, Option<stix::Tlp>>,
    options: &SelectOptions<'_>,
) -> (Option<stix::Tlp>, Option<Reason>) {
    let mut tlp = None;
    let mut refs: Vec<&str> = Vec::new();
    if let Some(list) = object.get("object_marking_refs").and_then(Value::as_array) {
        refs.extend(list.iter().map(|r| r.as_str().unwrap_or("")));
    }
    if let Some(list) = object.get("granular_markings").and_then(Value::as_array) {
        refs.extend(
            list.iter().map(|g| g.get("marking_ref").and_then(Value::as_str).unwrap_or("")),
        );
    }
    let mut unknown = None;
    for r in refs {
        match stix::Tlp::from_marking_id(r) {
            Some(level) => tlp = tlp.max(Some(level)),
            None => match defined.get(r) {
                Some(level) => tlp = tlp.max(*level),
                None => unknown = unknown.or_else(|| Some(r.to_owned())),
            },
        }
    }
    let reason = if tlp == Some(stix::Tlp::Red) {
        Some(Reason::TlpRed)
    } else if let Some(marking) = unknown {
        Some(Reason::UnknownMarking(marking))
    } else if object.is_revoked() {
        Some(Reason::Revoked)
    } else if object.timestamp("valid_until").is_some_and(|t| t <= options.now)
        || object
            .get("valid_until")
            .is_some_and(|v| v.as_str().is_none_or(|s| s.parse::<stix::Timestamp>().is_err()))
    {
        Some(Reason::Expired)
    } else if has_label(object, EXERCISE_LABEL) {
        Some(Reason::Exercise)
    } else if let Some(min) = options.min_confidence
        && object.get("confidence").and_then(Value::as_u64).is_some_and(|c| c < u64::from(min))
    {
        Some(Reason::LowConfidence)
    } else if let Some(since) = &options.since
        && object.modified().or_else(|| object.created()).is_some_and(|m| m < *since)
    {
        Some(Reason::NotModifiedSince)
    } else {
        None
    };
    (tlp, reason)
}

fn has_label(object: &stix::Object, label: &str) -> bool {
    object.get("labels").and_then(Value::as_array).is_some_and(|labels| {
        labels.iter().any(|l| l.as_str().is_some_and(|l| l.eq_ignore_ascii_case(label)))
    })
}

/// Withholds relationships and sightings that point at withheld objects, and removes withheld
/// ids from `object_refs`.
fn drop_withheld_refs(
    object: stix::Object,
    withheld: &HashSet<String>,
) -> Result<stix::Object, Reason> {
    let is_withheld = |v: &Value| v.as_str().is_some_and(|s| withheld.contains(s));
    for key in ["source_ref", "target_ref", "sighting_of_ref", "sample_ref", "host_vm_ref"] {
        if let Some(v) = object.get(key).filter(|v| is_withheld(v)) {
            return Err(Reason::RefersToWithheld(v.as_str().unwrap_or("").to_owned()));
        }
    }
    for key in ["observed_data_refs", "where_sighted_refs"] {
        if let Some(v) = object
            .get(key)
            .and_then(Value::as_array)
            .and_then(|l| l.iter().find(|v| is_withheld(v)))
        {
            return Err(Reason::RefersToWithheld(v.as_str().unwrap_or("").to_owned()));
        }
    }
    let Some(refs) = object.get("object_refs").and_then(Value::as_array) else {
        return Ok(object);
    };
    if !refs.iter().any(is_withheld) {
        return Ok(object);
    }
    let kept: Vec<Value> = refs.iter().filter(|v| !is_withheld(v)).cloned().collect();
    if kept.is_empty() {
        let first = refs.iter().find(|v| is_withheld(v)).and_then(Value::as_str).unwrap_or("");
        return Err(Reason::RefersToWithheld(first.to_owned()));
    }
    let mut map = object.into_map();
    map.insert("object_refs".into(), Value::Array(kept));
    stix::Object::from_map(map).map_err(|e| Reason::NotExpressible(e.to_string()))
}

/// The enforceable observables of an indicator, recording every value that is held back.
fn enforceable(
    object: stix::Object,
    tlp: Option<stix::Tlp>,
    options: &SelectOptions<'_>,
    withheld: &mut Vec<Withheld>,
) -> Option<Selected> {
    let id = object.id().as_str().to_owned();
    let id = id.as_str();
    let not = |why: &str| Withheld {
        id: id.to_owned(),
        value: None,
        reason: Reason::NotExpressible(why.to_owned()),
    };
    if object.object_type() != "indicator" {
        if !matches!(
            object.object_type(),
            "marking-definition" | "identity" | "extension-definition"
        ) {
            withheld.push(not("only indicators go into enforcement formats"));
        }
        return None;
    }
    if object.get("pattern_type").and_then(Value::as_str) != Some("stix") {
        withheld.push(not("the pattern is not a STIX pattern"));
        return None;
    }
    let Some(text) = object.get("pattern").and_then(Value::as_str) else {
        withheld.push(not("the indicator has no pattern"));
        return None;
    };
    let iocs = match pattern::parse(text) {
        Ok(parsed) => pattern::extract_iocs(&parsed),
        Err(diagnostic) => {
            withheld.push(Withheld {
                id: id.to_owned(),
                value: None,
                reason: Reason::InvalidValue(format!("the pattern does not parse: {diagnostic}")),
            });
            return None;
        }
    };
    let Some(iocs) = iocs else {
        withheld.push(not("the pattern is not a plain list of IOCs"));
        return None;
    };
    let mut observables = Vec::new();
    for ioc in &iocs {
        let observable = match Observable::from_ioc(ioc) {
            Ok(o) => o,
            Err(why) => {
                withheld.push(Withheld {
                    id: id.to_owned(),
                    value: Some(format!("{ioc:?}")),
                    reason: Reason::InvalidValue(why),
                });
                continue;
            }
        };
        if let Observable::Domain(d) = &observable
            && !d.contains('.')
        {
            withheld.push(Withheld {
                id: id.to_owned(),
                value: Some(d.clone()),
                reason: Reason::NotExpressible("a top-level domain is never blocked".into()),
            });
            continue;
        }
        if let Some(list) = options.warninglists.and_then(|w| w.check(&observable)) {
            withheld.push(Withheld {
                id: id.to_owned(),
                value: Some(observable.to_string()),
                reason: Reason::Warninglisted(list.to_owned()),
            });
            continue;
        }
        if !observables.contains(&observable) {
            observables.push(observable);
        }
    }
    (!observables.is_empty()).then_some(Selected { object, tlp, observables })
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Revoked => f.write_str("revoked"),
            Reason::Expired => f.write_str("expired (valid_until has passed)"),
            Reason::Exercise => write!(f, "exercise data (label {EXERCISE_LABEL})"),
            Reason::TlpRed => f.write_str("TLP:RED never leaves the node"),
            Reason::UnknownMarking(id) => {
                write!(f, "unknown marking {id}, treated as most restrictive")
            }
            Reason::RefersToWithheld(id) => write!(f, "refers to withheld object {id}"),
            Reason::Policy(why) => write!(f, "policy: {why}"),
            Reason::Warninglisted(list) => write!(f, "on warninglist `{list}`"),
            Reason::NotExpressible(why) => f.write_str(why),
            Reason::InvalidValue(why) => f.write_str(why),
            Reason::LowConfidence => f.write_str("confidence below the minimum"),
            Reason::NotModifiedSince => f.write_str("not modified since the given time"),
        }
    }
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => {
                write!(f, "{} ({}): {}", self.id, crate::observable::printable(value), self.reason)
            }
            None => write!(f, "{}: {}", self.id, self.reason),
        }
    }
}
