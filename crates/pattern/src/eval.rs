//! Compiles a pattern (regexes, CIDR blocks, typed constants) and evaluates it over observations.
//!
//! Evaluation works bottom-up on *bindings*: sets of observations (with how many of each one's
//! `number_observed` instances they use) that satisfy a sub-expression. Observation operators
//! combine bindings only when they use distinct observation instances (STIX 2.1 §9,
//! "Observation Operators"); qualifiers filter them by time. A binding is a multiset, so
//! `number_observed: 1000` costs one entry, not a thousand.

use std::cmp::Ordering;
use std::collections::HashSet;

use regex_automata::meta::Regex;

use crate::Version;
use crate::ast::{
    Comparison, ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern, Qualifier,
};
use crate::error::Error;
use crate::ipnet::IpNet;
use crate::observation::{Observation, Observations};
use crate::parser::{decode_base64, decode_hex};
use crate::timestamp::Timestamp;
use crate::view::{ObjectView, Value};

/// The most steps (binding merges) one evaluation may take before it stops with
/// [`Error::LimitExceeded`].
pub const MAX_EVALUATION_STEPS: usize = 2_000_000;

/// The largest compiled size, in bytes, of a `MATCHES` or `LIKE` regex.
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// SDO and SRO types, which STIX 2.1 patterns never match (patterns are about SCOs).
const NON_SCO_TYPES: &[&str] = &[
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "sighting",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// A pattern ready to evaluate: immutable, `Send + Sync`, cheap to share.
#[derive(Debug)]
pub struct CompiledPattern {
    root: Node,
    version: Version,
}

/// The result of one evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Indices (into the observations) of every observed-data that takes part in a match, sorted.
    pub observations: Vec<usize>,
}

impl Outcome {
    /// Whether the pattern matched.
    pub fn matched(&self) -> bool {
        !self.observations.is_empty()
    }
}

/// Compiles a parsed pattern for evaluation with `version`'s semantics.
pub fn compile(pattern: &Pattern, version: Version) -> Result<CompiledPattern, Error> {
    Ok(CompiledPattern { root: node(&pattern.expr)?, version })
}

impl CompiledPattern {
    /// Evaluates the pattern over `observations`.
    pub fn evaluate<V: ObjectView>(
        &self,
        observations: &Observations<'_, V>,
    ) -> Result<Outcome, Error> {
        let mut evaluator = Evaluator { observations, version: self.version, steps: 0 };
        let bindings = evaluator.bindings(&self.root)?;
        let mut indices: Vec<usize> =
            bindings.iter().flat_map(|b| b.iter().map(|&(i, _)| i as usize)).collect();
        indices.sort_unstable();
        indices.dedup();
        Ok(Outcome { observations: indices })
    }

    /// The object types the pattern's comparisons name, sorted and without repeats.
    pub(crate) fn object_types(&self) -> Vec<&str> {
        let mut types = Vec::new();
        self.root.object_types(&mut types);
        types.sort_unstable();
        types.dedup();
        types
    }
}

#[derive(Debug)]
enum Node {
    Observation(Test),
    And(Vec<Node>),
    Or(Vec<Node>),
    FollowedBy(Vec<Node>),
    Qualified(Box<Node>, Vec<Filter>),
}

#[derive(Debug)]
enum Filter {
    Within(i128),
    Repeats(u64),
    StartStop(Timestamp, Timestamp),
}

#[derive(Debug)]
enum Test {
    And(Vec<Test>),
    Or(Vec<Test>),
    Leaf(Leaf),
}

#[derive(Debug)]
struct Leaf {
    object_type: String,
    steps: Vec<PathStep>,
    negated: bool,
    check: Check,
}

#[derive(Debug)]
enum Check {
    Equal(Const),
    NotEqual(Const),
    Order(Ordering, bool, Const),
    In(Vec<Const>),
    Like(Regex),
    Matches(Regex, bool),
    IsSubset(IpNet),
    IsSuperset(IpNet),
    Exists,
}

#[derive(Debug)]
enum Const {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Time(Timestamp),
}

fn node(expr: &ObservationExpr) -> Result<Node, Error> {
    let list = |items: &[ObservationExpr]| items.iter().map(node).collect::<Result<Vec<_>, _>>();
    Ok(match expr {
        ObservationExpr::Observation { comparison, .. } => Node::Observation(test(comparison)?),
        ObservationExpr::And(items) => Node::And(list(items)?),
        ObservationExpr::Or(items) => Node::Or(list(items)?),
        ObservationExpr::FollowedBy(items) => Node::FollowedBy(list(items)?),
        ObservationExpr::Qualified { expr, qualifiers } => {
            let filters = qualifiers.iter().map(filter).collect::<Result<Vec<_>, _>>()?;
            Node::Qualified(Box::new(node(expr)?), filters)
        }
        ObservationExpr::Error(span) => {
            return Err(Error::Invalid(crate::Diagnostic::new(*span, "pattern has errors")));
        }
    })
}

fn filter(qualifier: &Qualifier) -> Result<Filter, Error> {
    let invalid = |message: &str| Error::Invalid(crate::Diagnostic::new(qualifier.span(), message));
    match qualifier {
        Qualifier::Within { seconds, .. } => {
            let nanos = match seconds {
                Literal::Int(n) => i128::from(*n) * 1_000_000_000,
                Literal::Float(x) => (x * 1e9).min(i128::MAX as f64) as i128,
                _ => return Err(invalid("`WITHIN` needs a number")),
            };
            if nanos <= 0 {
                return Err(invalid("`WITHIN` needs a positive number of seconds"));
            }
            Ok(Filter::Within(nanos))
        }
        Qualifier::Repeats { times, .. } if *times >= 1 => Ok(Filter::Repeats(*times as u64)),
        Qualifier::Repeats { .. } => Err(invalid("`REPEATS` needs a positive number of times")),
        Qualifier::StartStop { start, stop, .. } => Ok(Filter::StartStop(*start, *stop)),
    }
}

fn test(expr: &ComparisonExpr) -> Result<Test, Error> {
    let list = |items: &[ComparisonExpr]| items.iter().map(test).collect::<Result<Vec<_>, _>>();
    Ok(match expr {
        ComparisonExpr::And(items) => Test::And(list(items)?),
        ComparisonExpr::Or(items) => Test::Or(list(items)?),
        ComparisonExpr::Comparison(comparison) => Test::Leaf(leaf(comparison)?),
        ComparisonExpr::Error(span) => {
            return Err(Error::Invalid(crate::Diagnostic::new(*span, "pattern has errors")));
        }
    })
}

fn leaf(comparison: &Comparison) -> Result<Leaf, Error> {
    let check = match &comparison.op {
        Operator::Equal(value) => Check::Equal(constant(value)),
        Operator::NotEqual(value) => Check::NotEqual(constant(value)),
        Operator::Greater(value) => Check::Order(Ordering::Greater, false, constant(value)),
        Operator::GreaterOrEqual(value) => Check::Order(Ordering::Greater, true, constant(value)),
        Operator::Less(value) => Check::Order(Ordering::Less, false, constant(value)),
        Operator::LessOrEqual(value) => Check::Order(Ordering::Less, true, constant(value)),
        Operator::In(values) => {
            // STIX 2.1 §9, "Comparison Operators": the members of a set are of one type
            // (integers and floats mix, as numbers).
            let numeric = |l: &Literal| matches!(l, Literal::Int(_) | Literal::Float(_));
            let same = |a: &Literal, b: &Literal| {
                std::mem::discriminant(a) == std::mem::discriminant(b)
                    || (numeric(a) && numeric(b))
                    || matches!(
                        (a, b),
                        (
                            Literal::Hex(_) | Literal::Binary(_),
                            Literal::Hex(_) | Literal::Binary(_)
                        )
                    )
            };
            if let Some(first) = values.first()
                && let Some(other) = values.iter().find(|v| !same(first, v))
            {
                return Err(Error::MixedSet { first: first.kind_name(), other: other.kind_name() });
            }
            Check::In(values.iter().map(constant).collect())
        }
        Operator::Like(text) => Check::Like(like_regex(text)?),
        Operator::Matches(text) => {
            Check::Matches(regex(text, text)?, text.chars().all(|c| (c as u32) < 256))
        }
        Operator::IsSubset(text) => {
            Check::IsSubset(IpNet::parse(text).ok_or_else(|| Error::InvalidCidr(text.clone()))?)
        }
        Operator::IsSuperset(text) => {
            Check::IsSuperset(IpNet::parse(text).ok_or_else(|| Error::InvalidCidr(text.clone()))?)
        }
        Operator::Exists => Check::Exists,
    };
    Ok(Leaf {
        object_type: comparison.path.object_type.clone(),
        steps: comparison.path.steps.clone(),
        negated: comparison.negated,
        check,
    })
}

fn constant(literal: &Literal) -> Const {
    match literal {
        Literal::Int(n) => Const::Int(*n),
        Literal::Float(x) => Const::Float(*x),
        Literal::String(s) => Const::Str(s.clone()),
        Literal::Bool(b) => Const::Bool(*b),
        Literal::Binary(bytes) | Literal::Hex(bytes) => Const::Bytes(bytes.clone()),
        Literal::Timestamp(t) => Const::Time(*t),
    }
}

/// Compiles a `MATCHES` regex with the linear-time engine, turning PCRE features it cannot run
/// into [`Error::UnsupportedRegex`].
fn regex(source: &str, written: &str) -> Result<Regex, Error> {
    use regex_syntax::ast::ErrorKind;
    if let Err(error) =
        regex_syntax::ast::parse::ParserBuilder::new().nest_limit(64).build().parse(source)
    {
        let reason = match error.kind() {
            ErrorKind::UnsupportedBackreference => {
                Some("back-references are not supported (they cannot run in linear time)")
            }
            ErrorKind::UnsupportedLookAround => Some(
                "look-ahead and look-behind are not supported (they cannot run in linear time)",
            ),
            _ => None,
        };
        return Err(match reason {
            Some(reason) => {
                Error::UnsupportedRegex { regex: written.to_owned(), reason: reason.to_owned() }
            }
            None => Error::InvalidRegex { regex: written.to_owned(), reason: error.to_string() },
        });
    }
    Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().nest_limit(64))
        .configure(
            Regex::config()
                .nfa_size_limit(Some(MAX_REGEX_BYTES))
                .onepass_size_limit(Some(MAX_REGEX_BYTES))
                .dfa_size_limit(Some(MAX_REGEX_BYTES))
                .hybrid_cache_capacity(2 * MAX_REGEX_BYTES),
        )
        .build(source)
        .map_err(|error| Error::InvalidRegex {
            regex: written.to_owned(),
            reason: match error.size_limit() {
                Some(limit) => format!("compiled regex exceeds the size limit of {limit} bytes"),
                None => error.to_string(),
            },
        })
}

/// `LIKE` as a regex: anchored at both ends, `%` any run of characters, `_` any one character
/// (SQL semantics; STIX 2.1 §9, "Comparison Operators").
fn like_regex(like: &str) -> Result<Regex, Error> {
    let mut source = String::from("(?s)^");
    for c in like.chars() {
        match c {
            '%' => source.push_str(".*"),
            '_' => source.push('.'),
            c => source.push_str(&regex_syntax::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    source.push('$');
    regex(&source, like)
}

impl Node {
    fn object_types<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Node::Observation(test) => test.object_types(out),
            Node::And(items) | Node::Or(items) | Node::FollowedBy(items) => {
                items.iter().for_each(|item| item.object_types(out))
            }
            Node::Qualified(inner, _) => inner.object_types(out),
        }
    }
}

impl Test {
    fn object_types<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Test::And(items) | Test::Or(items) => {
                items.iter().for_each(|item| item.object_types(out))
            }
            Test::Leaf(leaf) => out.push(&leaf.object_type),
        }
    }
}

/// A set of observations with a count of instances used from each, sorted by observation.
type Binding = Vec<(u32, u64)>;

struct Evaluator<'o, 'a, V> {
    observations: &'o Observations<'a, V>,
    version: Version,
    steps: usize,
}

impl<V: ObjectView> Evaluator<'_, '_, V> {
    fn bindings(&mut self, node: &Node) -> Result<Vec<Binding>, Error> {
        match node {
            Node::Observation(test) => Ok(self
                .observations
                .items
                .iter()
                .enumerate()
                .filter(|(_, observation)| self.observation_matches(test, observation))
                .map(|(i, _)| vec![(i as u32, 1)])
                .collect()),
            Node::Or(items) => {
                let mut out = Vec::new();
                let mut seen = HashSet::new();
                for item in items {
                    for binding in self.bindings(item)? {
                        if seen.insert(binding.clone()) {
                            out.push(binding);
                        }
                    }
                }
                Ok(out)
            }
            Node::And(items) => self.join(items, false),
            Node::FollowedBy(items) => self.join(items, true),
            Node::Qualified(inner, filters) => {
                let mut bindings = self.bindings(inner)?;
                for filter in filters {
                    bindings = match filter {
                        Filter::Repeats(times) => self.repeat(&bindings, *times)?,
                        Filter::Within(nanos) => bindings
                            .into_iter()
                            .filter(|b| {
                                // STIX 2.1 §9, "WITHIN": some window of the given length overlaps
                                // every observation's [first_observed, last_observed].
                                let (latest_first, earliest_last) = self.extent(b);
                                latest_first.as_nanos() - earliest_last.as_nanos() <= *nanos
                            })
                            .collect(),
                        Filter::StartStop(start, stop) => bindings
                            .into_iter()
                            .filter(|b| {
                                // STIX 2.1 §9, "START/STOP": each observation's window overlaps
                                // [start, stop), the stop instant excluded.
                                b.iter().all(|&(i, _)| {
                                    let o = &self.observations.items[i as usize];
                                    o.first_observed < *stop && o.last_observed >= *start
                                })
                            })
                            .collect(),
                    };
                }
                Ok(bindings)
            }
        }
    }

    /// The latest `first_observed` and the earliest `last_observed` in a binding.
    fn extent(&self, binding: &Binding) -> (Timestamp, Timestamp) {
        let items = &self.observations.items;
        let mut latest_first = items[binding[0].0 as usize].first_observed;
        let mut earliest_last = items[binding[0].0 as usize].last_observed;
        for &(i, _) in binding {
            latest_first = latest_first.max(items[i as usize].first_observed);
            earliest_last = earliest_last.min(items[i as usize].last_observed);
        }
        (latest_first, earliest_last)
    }

    /// AND and FOLLOWEDBY: combine one binding of each operand, using distinct instances; for
    /// FOLLOWEDBY, every earlier operand's observations must be able to precede every later
    /// one's: `max(first_observed of earlier) <= min(last_observed of later)`.
    fn join(&mut self, items: &[Node], ordered: bool) -> Result<Vec<Binding>, Error> {
        let mut acc: Vec<Binding> = vec![Vec::new()];
        for item in items {
            let right = self.bindings(item)?;
            let mut next = Vec::new();
            let mut seen = HashSet::new();
            for left in &acc {
                for r in &right {
                    self.step()?;
                    if ordered && !left.is_empty() {
                        let (latest_first, _) = self.extent(left);
                        let (_, earliest_last) = self.extent(r);
                        if latest_first > earliest_last {
                            continue;
                        }
                    }
                    if let Some(merged) = self.merge(left, r)
                        && seen.insert(merged.clone())
                    {
                        next.push(merged);
                    }
                }
            }
            if next.is_empty() {
                return Ok(next);
            }
            acc = next;
        }
        Ok(acc)
    }

    /// REPEATS n: n bindings of the operand using distinct instances.
    fn repeat(&mut self, bindings: &[Binding], times: u64) -> Result<Vec<Binding>, Error> {
        let capacity: u64 = {
            let mut used: Vec<u32> = bindings.iter().flatten().map(|&(i, _)| i).collect();
            used.sort_unstable();
            used.dedup();
            used.iter().map(|&i| self.observations.items[i as usize].number_observed).sum()
        };
        if bindings.is_empty() || times > capacity {
            return Ok(Vec::new());
        }
        // Partial combinations, each with the index of the last operand binding used, so that
        // every multiset of operand bindings is built once.
        let mut partial: Vec<(Binding, usize)> =
            bindings.iter().cloned().enumerate().map(|(i, b)| (b, i)).collect();
        for _ in 1..times {
            let mut next: Vec<(Binding, usize)> = Vec::new();
            let mut seen = std::collections::HashMap::new();
            for (binding, last) in &partial {
                for (j, b) in bindings.iter().enumerate().skip(*last) {
                    self.step()?;
                    if let Some(merged) = self.merge(binding, b) {
                        match seen.get(&merged) {
                            Some(&k) => {
                                let entry: &mut (Binding, usize) = &mut next[k];
                                entry.1 = entry.1.min(j);
                            }
                            None => {
                                seen.insert(merged.clone(), next.len());
                                next.push((merged, j));
                            }
                        }
                    }
                }
            }
            if next.is_empty() {
                return Ok(Vec::new());
            }
            partial = next;
        }
        Ok(partial.into_iter().map(|(b, _)| b).collect())
    }

    /// Adds two bindings, or `None` if together they use more instances of some observation
    /// than its `number_observed`.
    fn merge(&self, a: &Binding, b: &Binding) -> Option<Binding> {
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let entry = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    i += 1;
                    j += 1;
                    (x.0, x.1 + y.1)
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    i += 1;
                    *x
                }
                (Some(x), None) => {
                    i += 1;
                    *x
                }
                (_, Some(y)) => {
                    j += 1;
                    *y
                }
                (None, None) => break,
            };
            if entry.1 > self.observations.items[entry.0 as usize].number_observed {
                return None;
            }
            out.push(entry);
        }
        Some(out)
    }

    fn step(&mut self) -> Result<(), Error> {
        self.steps += 1;
        if self.steps > MAX_EVALUATION_STEPS {
            return Err(Error::LimitExceeded(MAX_EVALUATION_STEPS));
        }
        Ok(())
    }

    /// Whether some object of the observation satisfies the comparison expression: AND and OR
    /// inside `[…]` apply to one object at a time.
    fn observation_matches(&self, test: &Test, observation: &Observation<'_, V>) -> bool {
        observation.objects.iter().any(|(_, object)| {
            let excluded = self.version == Version::V2_1
                && matches!(object.get("type").map(ObjectView::value),
                    Some(Value::String(t)) if NON_SCO_TYPES.contains(&t));
            !excluded && test_object(test, *object, observation)
        })
    }
}

fn test_object<'a, V: ObjectView>(
    test: &Test,
    object: &'a V,
    observation: &Observation<'a, V>,
) -> bool {
    match test {
        Test::And(items) => items.iter().all(|t| test_object(t, object, observation)),
        Test::Or(items) => items.iter().any(|t| test_object(t, object, observation)),
        Test::Leaf(leaf) => {
            let type_matches = matches!(object.get("type").map(ObjectView::value),
                Some(Value::String(t)) if t == leaf.object_type);
            if !type_matches {
                return false;
            }
            if let Check::Exists = leaf.check {
                let mut found = false;
                walk(Node2::View(object), &leaf.steps, observation, &mut |_| {
                    found = true;
                    true
                });
                return found != leaf.negated;
            }
            walk(Node2::View(object), &leaf.steps, observation, &mut |value| leaf.holds(value))
        }
    }
}

/// A value reached by an object path.
enum Node2<'a, V> {
    View(&'a V),
    /// The decoded value of a `…_hex` or `…_bin` property.
    Bytes(Vec<u8>),
    /// The objects a `…_refs` list refers to.
    Refs(Vec<&'a V>),
}

/// Follows `steps` from `node`, calling `f` on every value reached until it returns true.
fn walk<'a, V: ObjectView>(
    node: Node2<'a, V>,
    steps: &[PathStep],
    observation: &Observation<'a, V>,
    f: &mut dyn FnMut(&Node2<'a, V>) -> bool,
) -> bool {
    let Some((step, rest)) = steps.split_first() else { return f(&node) };
    match (step, node) {
        (PathStep::Key(key), Node2::View(view)) => {
            let Some(child) = view.get(key) else { return false };
            if key.ends_with("_ref") {
                // STIX 2.1 §9, "Object Path Syntax": a reference stands for the object it names,
                // found among the observation's objects.
                match child.value() {
                    Value::String(id) => match observation.object(id) {
                        Some(target) => walk(Node2::View(target), rest, observation, f),
                        None => false,
                    },
                    _ => false,
                }
            } else if key.ends_with("_refs") {
                let targets = (0..child.list_len())
                    .filter_map(|i| match child.at(i)?.value() {
                        Value::String(id) => observation.object(id),
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                if child.value() != Value::List || targets.is_empty() {
                    return false;
                }
                walk(Node2::Refs(targets), rest, observation, f)
            } else if key.ends_with("_hex") || key.ends_with("_bin") {
                let Value::String(text) = child.value() else { return false };
                let bytes = if key.ends_with("_hex") {
                    if !text.len().is_multiple_of(2) || !text.bytes().all(|c| c.is_ascii_hexdigit())
                    {
                        return false;
                    }
                    decode_hex(text)
                } else {
                    decode_base64(text)
                };
                walk(Node2::Bytes(bytes), rest, observation, f)
            } else {
                walk(Node2::View(child), rest, observation, f)
            }
        }
        (PathStep::Index(index), node) => {
            let Ok(index) = usize::try_from(*index) else { return false };
            match node {
                Node2::View(view) if view.value() == Value::List => match view.at(index) {
                    Some(item) => walk(Node2::View(item), rest, observation, f),
                    None => false,
                },
                Node2::Refs(targets) => match targets.get(index) {
                    Some(item) => walk(Node2::View(*item), rest, observation, f),
                    None => false,
                },
                _ => false,
            }
        }
        (PathStep::AnyIndex, Node2::View(view)) if view.value() == Value::List => (0..view
            .list_len())
            .filter_map(|i| view.at(i))
            .any(|item| walk(Node2::View(item), rest, observation, f)),
        (PathStep::AnyIndex, Node2::Refs(targets)) => {
            targets.into_iter().any(|item| walk(Node2::View(item), rest, observation, f))
        }
        _ => false,
    }
}

/// A property value as comparisons see it.
enum Scalar<'a> {
    Int(i64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
    Bytes(&'a [u8]),
    Other,
}

fn scalar<'b, V: ObjectView>(node: &'b Node2<'_, V>) -> Scalar<'b> {
    match node {
        Node2::View(view) => match view.value() {
            Value::Int(n) => Scalar::Int(n),
            Value::Float(x) => Scalar::Float(x),
            Value::String(s) => Scalar::Str(s),
            Value::Bool(b) => Scalar::Bool(b),
            _ => Scalar::Other,
        },
        Node2::Bytes(bytes) => Scalar::Bytes(bytes),
        Node2::Refs(_) => Scalar::Other,
    }
}

/// A string as bytes, when every character is below U+0100 (STIX 2.1 §9: binary compares with
/// a string of such characters byte for byte).
fn latin1(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Equality with the specification's coercions; `None` when the types do not compare.
fn equal(value: &Scalar<'_>, constant: &Const) -> Option<bool> {
    Some(match (value, constant) {
        (Scalar::Int(a), Const::Int(b)) => a == b,
        (Scalar::Int(a), Const::Float(b)) => (*a as f64) == *b,
        (Scalar::Float(a), Const::Int(b)) => *a == (*b as f64),
        (Scalar::Float(a), Const::Float(b)) => a == b,
        (Scalar::Str(a), Const::Str(b)) => a == b,
        (Scalar::Bool(a), Const::Bool(b)) => a == b,
        (Scalar::Bytes(a), Const::Bytes(b)) => a == b,
        (Scalar::Bytes(a), Const::Str(b)) => latin1(b).is_some_and(|b| *a == b.as_slice()),
        (Scalar::Str(a), Const::Bytes(b)) => latin1(a).is_some_and(|a| a == *b),
        (Scalar::Str(a), Const::Time(b)) => Timestamp::parse(a).ok()? == *b,
        _ => return None,
    })
}

/// Ordering with the specification's coercions; `None` when the types do not compare,
/// `Some(None)` when a string cannot be compared with binary.
fn order(value: &Scalar<'_>, constant: &Const) -> Option<Option<Ordering>> {
    Some(match (value, constant) {
        (Scalar::Int(a), Const::Int(b)) => Some(a.cmp(b)),
        (Scalar::Int(a), Const::Float(b)) => (*a as f64).partial_cmp(b),
        (Scalar::Float(a), Const::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Scalar::Float(a), Const::Float(b)) => a.partial_cmp(b),
        (Scalar::Str(a), Const::Str(b)) => Some((*a).cmp(b.as_str())),
        (Scalar::Bytes(a), Const::Bytes(b)) => Some((*a).cmp(b.as_slice())),
        (Scalar::Bytes(a), Const::Str(b)) => latin1(b).map(|b| (*a).cmp(b.as_slice())),
        (Scalar::Str(a), Const::Bytes(b)) => latin1(a).map(|a| a.as_slice().cmp(b)),
        (Scalar::Str(a), Const::Time(b)) => Some(Timestamp::parse(a).ok()?.cmp(b)),
        _ => return None,
    })
}

impl Leaf {
    /// Whether one value satisfies the comparison, `NOT` included.
    fn holds<V: ObjectView>(&self, node: &Node2<'_, V>) -> bool {
        let value = scalar(node);
        let result = match &self.check {
            Check::Equal(c) => equal(&value, c).unwrap_or(false),
            Check::NotEqual(c) => !equal(&value, c).unwrap_or(false),
            Check::Order(direction, or_equal, c) => match order(&value, c) {
                // Values that do not compare fail the test, with or without `NOT`.
                None => return false,
                Some(None) => false,
                Some(Some(ordering)) => {
                    ordering == *direction || (*or_equal && ordering == Ordering::Equal)
                }
            },
            Check::In(set) => set.iter().any(|c| equal(&value, c) == Some(true)),
            Check::Like(regex) => match value {
                Scalar::Str(s) => regex.is_match(s),
                Scalar::Bytes(b) => std::str::from_utf8(b).is_ok_and(|s| regex.is_match(s)),
                _ => false,
            },
            Check::Matches(regex, latin1_pattern) => match value {
                Scalar::Str(s) => regex.is_match(s),
                Scalar::Bytes(b) if *latin1_pattern => {
                    let text: String = b.iter().map(|&c| char::from(c)).collect();
                    regex.is_match(&text)
                }
                _ => false,
            },
            Check::IsSubset(net) => match value {
                Scalar::Str(s) => IpNet::parse(s).is_some_and(|v| net.contains(&v)),
                _ => false,
            },
            Check::IsSuperset(net) => match value {
                Scalar::Str(s) => IpNet::parse(s).is_some_and(|v| v.contains(net)),
                _ => false,
            },
            Check::Exists => true,
        };
        result != self.negated
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use crate::{Observations, Version, compile, parse};

    /// A STIX 2.0 observed-data with embedded objects, observed between minute `first` and minute
    /// `last` of 2024-01-01, `count` times.
    fn obs(id: &str, first: u32, last: u32, count: u32, objects: Json) -> Json {
        json!({"type": "observed-data", "id": id,
            "first_observed": format!("2024-01-01T00:{first:02}:00Z"),
            "last_observed": format!("2024-01-01T00:{last:02}:00Z"),
            "number_observed": count, "objects": objects})
    }

    #[track_caller]
    fn check(pattern: &str, data: &[Json]) -> String {
        let pattern = match parse(pattern) {
            Ok(pattern) => pattern,
            Err(diagnostic) => return format!("invalid: {diagnostic}"),
        };
        let compiled = match compile(&pattern, Version::V2_1) {
            Ok(compiled) => compiled,
            Err(error) => return format!("error: {error}"),
        };
        let refs: Vec<&Json> = data.iter().collect();
        let observations = Observations::from_json(&refs).unwrap();
        match compiled.evaluate(&observations) {
            Ok(outcome) if outcome.matched() => format!("match {:?}", outcome.observations),
            Ok(_) => "no match".to_owned(),
            Err(error) => format!("error: {error}"),
        }
    }

    fn file() -> Vec<Json> {
        vec![obs(
            "o1",
            0,
            0,
            1,
            json!({
                "0": {"type": "file", "name": "report.exe", "size": 1024, "entropy": 7.5,
                      "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"},
                      "magic_number_hex": "4d5a", "flag": true, "ctime": "2024-01-01T00:00:00.5Z",
                      "tags": ["a", "b"], "parent_directory_ref": "1"},
                "1": {"type": "directory", "path": "C:\\Windows"},
                "2": {"type": "ipv4-addr", "value": "198.51.100.7"},
                "3": {"type": "ipv6-addr", "value": "2001:db8::1"},
                "4": {"type": "network-traffic", "dst_ref": "2", "src_refs": ["2", "3"], "protocols": ["tcp", "http"]}
            }),
        )]
    }

    #[test]
    fn equality_and_order() {
        let d = file();
        insta::assert_snapshot!(check("[file:name = 'report.exe']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:name != 'report.exe']", &d), @"no match");
        insta::assert_snapshot!(check("[file:name NOT = 'x']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:size = 1024.0 AND file:entropy > 7 AND file:entropy <= 7.5]", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:size = '1024']", &d), @"no match");
        insta::assert_snapshot!(check("[file:size != '1024']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:flag = true]", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:flag NOT > 1]", &d), @"no match");
        insta::assert_snapshot!(check("[file:name > 'r' AND file:name < 's']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:missing != 'x']", &d), @"no match");
    }

    #[test]
    fn binary_hex_and_timestamps() {
        let d = file();
        insta::assert_snapshot!(check("[file:magic_number_hex = h'4d5a']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:magic_number_hex = b'TVo=']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:magic_number_hex = 'MZ']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:magic_number_hex < h'4d5b']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:ctime = t'2024-01-01T00:00:00.500Z']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:ctime > t'2024-01-01T00:00:00Z']", &d), @"match [0]");
    }

    #[test]
    fn sets_like_matches() {
        let d = file();
        insta::assert_snapshot!(check("[file:size IN (1, 1024)]", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:size NOT IN (1, 2)]", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:size IN ()]", &d), @"no match");
        insta::assert_snapshot!(check("[file:size IN (1, 'a')]", &d), @"error: `IN` set mixes integer and string constants");
        insta::assert_snapshot!(check("[file:name LIKE 'rep_rt.%']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:name LIKE 'report']", &d), @"no match");
        insta::assert_snapshot!(check("[file:name LIKE '%.EXE']", &d), @"no match");
        insta::assert_snapshot!(check("[file:name MATCHES '^rep.*\\\\.exe$']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:name MATCHES 'port']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:name MATCHES '(a)\\\\1']", &d), @r#"error: unsupported regular expression "(a)\\1": back-references are not supported (they cannot run in linear time)"#);
        insta::assert_snapshot!(check("[file:name MATCHES 'a(?=b)']", &d), @r#"error: unsupported regular expression "a(?=b)": look-ahead and look-behind are not supported (they cannot run in linear time)"#);
        insta::assert_snapshot!(check("[file:name MATCHES '(']", &d), @r#"
        error: invalid regular expression "(": regex parse error:
            (
            ^
        error: unclosed group
        "#);
        insta::assert_snapshot!(check("[file:magic_number_hex MATCHES '^MZ']", &d), @"match [0]");
    }

    #[test]
    fn paths_references_and_lists() {
        let d = file();
        insta::assert_snapshot!(check("[file:parent_directory_ref.path = 'C:\\\\Windows']", &d), @"match [0]");
        insta::assert_snapshot!(check("[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']", &d), @"match [0]");
        insta::assert_snapshot!(check("[network-traffic:src_refs[*].value ISSUBSET '2001:db8::/32']", &d), @"match [0]");
        insta::assert_snapshot!(check("[network-traffic:src_refs[1].value = '2001:db8::1']", &d), @"match [0]");
        insta::assert_snapshot!(check("[network-traffic:protocols[*] = 'http' AND network-traffic:protocols[0] = 'tcp']", &d), @"match [0]");
        insta::assert_snapshot!(check("[network-traffic:protocols[-1] = 'http']", &d), @"no match");
        insta::assert_snapshot!(check("[network-traffic:protocols = 'http']", &d), @"no match");
        insta::assert_snapshot!(check("[ipv4-addr:value ISSUPERSET '198.51.100.7']", &d), @"match [0]");
        insta::assert_snapshot!(check("[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", &d), @"match [0]");
        insta::assert_snapshot!(check("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", &d), @"match [0]");
        insta::assert_snapshot!(check("[EXISTS file:hashes.MD5 AND NOT EXISTS file:hashes.SHA1]", &d), @"match [0]");
        insta::assert_snapshot!(check("[ipv4-addr:value ISSUBSET 'x']", &d), @r#"error: invalid IP address or CIDR block "x""#);
    }

    #[test]
    fn and_inside_brackets_is_about_one_object() {
        let d = file();
        insta::assert_snapshot!(check("[file:name = 'report.exe' AND directory:path = 'C:\\\\Windows']", &d), @"no match");
        insta::assert_snapshot!(check("[file:name = 'report.exe' OR directory:path = 'x']", &d), @"match [0]");
    }

    fn timeline() -> Vec<Json> {
        vec![
            obs("a", 0, 1, 1, json!({"0": {"type": "x-event", "kind": "a"}})),
            obs("b", 5, 6, 2, json!({"0": {"type": "x-event", "kind": "b"}})),
            obs("c", 30, 40, 1, json!({"0": {"type": "x-event", "kind": "a"}})),
        ]
    }

    #[test]
    fn observation_operators() {
        let d = timeline();
        insta::assert_snapshot!(check("[x-event:kind = 'a'] AND [x-event:kind = 'b']", &d), @"match [0, 1, 2]");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] AND [x-event:kind = 'a']", &d), @"match [0, 2]");
        insta::assert_snapshot!(check("[x-event:kind = 'b'] AND [x-event:kind = 'b']", &d), @"match [1]");
        insta::assert_snapshot!(check("[x-event:kind = 'c'] OR [x-event:kind = 'b']", &d), @"match [1]");
        insta::assert_snapshot!(check("[x-event:kind = 'b'] FOLLOWEDBY [x-event:kind = 'a']", &d), @"match [1, 2]");
        insta::assert_snapshot!(check("[x-event:kind = 'b'] FOLLOWEDBY [x-event:kind = 'a'] FOLLOWEDBY [x-event:kind = 'a']", &d), @"no match");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] AND [x-event:kind = 'c']", &d), @"no match");
    }

    #[test]
    fn qualifiers() {
        let d = timeline();
        insta::assert_snapshot!(check("[x-event:kind = 'b'] REPEATS 2 TIMES", &d), @"match [1]");
        insta::assert_snapshot!(check("[x-event:kind = 'b'] REPEATS 3 TIMES", &d), @"no match");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 2 TIMES", &d), @"match [0, 2]");
        insta::assert_snapshot!(check("([x-event:kind = 'a'] AND [x-event:kind = 'b']) WITHIN 240 SECONDS", &d), @"match [0, 1]");
        insta::assert_snapshot!(check("([x-event:kind = 'a'] AND [x-event:kind = 'b']) WITHIN 239.5 SECONDS", &d), @"no match");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 2 TIMES WITHIN 1740 SECONDS", &d), @"match [0, 2]");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] START t'2024-01-01T00:01:00Z' STOP t'2024-01-01T00:30:00Z'", &d), @"match [0]");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] START t'2024-01-01T00:01:00.001Z' STOP t'2024-01-01T00:30:00Z'", &d), @"no match");
    }

    #[test]
    fn stix_2_1_bundles() {
        let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "observed-data", "id": "observed-data--1", "first_observed": "2024-01-01T00:00:00Z",
             "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1,
             "object_refs": ["network-traffic--1", "ipv4-addr--1"]},
            {"type": "network-traffic", "id": "network-traffic--1", "dst_ref": "ipv4-addr--1", "dst_port": 443},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "203.0.113.9"},
            {"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "203.0.113.10"},
            {"type": "indicator", "id": "indicator--1", "name": "x"}]});
        let d = [bundle];
        insta::assert_snapshot!(check("[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]", &d), @"match [0]");
        insta::assert_snapshot!(check("[ipv4-addr:value = '203.0.113.10']", &d), @"no match");
        insta::assert_snapshot!(check("[indicator:name = 'x']", &d), @"no match");
    }

    #[test]
    fn limits_stop_expensive_patterns() {
        let data: Vec<Json> = (0..60)
            .map(|i| obs(&format!("o{i}"), 0, 0, 1, json!({"0": {"type": "x-event", "kind": "a"}})))
            .collect();
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 30 TIMES", &data), @"error: evaluation stopped after 2000000 steps: the pattern is too expensive for this data");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 61 TIMES", &data), @"no match");
    }
}
