//! Compiles a pattern (regexes, CIDR blocks, typed constants) and evaluates it over observations.
//!
//! Evaluation works bottom-up on *bindings*: sets of observations (with how many of each one's
//! `number_observed` instances they use) that satisfy a sub-expression. Observation operators
//! combine bindings only when they use distinct observation instances (STIX 2.1 §9,
//! "Observation Operators"); qualifiers filter them by time. A binding is a multiset, so
//! `number_observed: 1000` costs one entry, not a thousand.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use crate::Version;
use crate::ast::{
    Comparison, ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern, Qualifier,
};
use crate::error::Error;
use crate::ipnet::IpNet;
use crate::observation::{Object, Observation, Observations};
use crate::parser::{decode_base64, decode_hex};
use crate::search::Search;
use crate::text::{Like, Regex};
use crate::timestamp::Timestamp;
use crate::view::{ObjectView, Value};

/// The most steps (binding merges, search moves) one evaluation may take before it stops with
/// [`Error::LimitExceeded`].
pub const MAX_EVALUATION_STEPS: usize = 2_000_000;

/// The most steps the enumeration of every binding may take before [`CompiledPattern::evaluate`]
/// finds the observations taking part by searching instead (one search per observation).
const ENUMERATION_STEPS: usize = 50_000;

/// The largest compiled size, in bytes, of a `MATCHES` or `LIKE` regex.
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// A pattern ready to evaluate: immutable, `Send + Sync`, cheap to share.
#[derive(Debug)]
pub struct CompiledPattern {
    root: Node,
    version: Version,
    /// How many observation expressions (`[…]`) the pattern has.
    leaves: usize,
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
    let mut leaves = 0;
    let root = node(&pattern.expr, &mut leaves)?;
    Ok(CompiledPattern { root, version, leaves })
}

impl CompiledPattern {
    /// Evaluates the pattern over `observations`, finding every observed-data that takes part in
    /// some match (what `meridian pattern match` lists). When only a yes/no answer is needed,
    /// [`CompiledPattern::is_match`] is cheaper.
    ///
    /// A search for one binding runs first; only if it finds one are the bindings enumerated,
    /// and if there are too many to enumerate within [`MAX_EVALUATION_STEPS`], each observation
    /// is asked in turn whether some binding contains it.
    pub fn evaluate<V: ObjectView>(
        &self,
        observations: &Observations<'_, V>,
    ) -> Result<Outcome, Error> {
        let mut search = Search::new(observations, self.version, self.leaves, MAX_EVALUATION_STEPS);
        if !search.exists(&self.root)? {
            return Ok(Outcome { observations: Vec::new() });
        }
        let mut evaluator = Evaluator { observations, version: self.version, steps: 0 };
        match evaluator.bindings(&self.root) {
            Ok(bindings) => {
                let mut indices: Vec<usize> =
                    bindings.iter().flat_map(|b| b.iter().map(|&(i, _)| i as usize)).collect();
                indices.sort_unstable();
                indices.dedup();
                Ok(Outcome { observations: indices })
            }
            Err(Error::LimitExceeded(_)) => {
                Ok(Outcome { observations: self.taking_part(observations)? })
            }
            Err(error) => Err(error),
        }
    }

    /// The observations some binding contains, found by one search per observation (each binding
    /// found also settles every observation it contains).
    fn taking_part<V: ObjectView>(
        &self,
        observations: &Observations<'_, V>,
    ) -> Result<Vec<usize>, Error> {
        let mut search = Search::new(observations, self.version, self.leaves, MAX_EVALUATION_STEPS);
        let mut taking_part = vec![false; observations.len()];
        for i in search.matched_anywhere(&self.root) {
            if taking_part[i as usize] {
                continue;
            }
            if let Some(binding) = search.binding_with(&self.root, i)? {
                binding.into_iter().for_each(|j| taking_part[j as usize] = true);
            }
        }
        Ok((0..taking_part.len()).filter(|&i| taking_part[i]).collect())
    }

    /// Whether the pattern matches `observations`: a search for one binding that satisfies it,
    /// which stops at the first one found instead of enumerating them all.
    pub fn is_match<V: ObjectView>(
        &self,
        observations: &Observations<'_, V>,
    ) -> Result<bool, Error> {
        Search::new(observations, self.version, self.leaves, MAX_EVALUATION_STEPS)
            .exists(&self.root)
    }

    /// The compiled expression.
    pub(crate) fn root(&self) -> &Node {
        &self.root
    }
}

/// A compiled observation expression.
#[derive(Debug)]
pub(crate) enum Node {
    /// `[…]`, numbered in source order.
    Observation(usize, Test),
    And(Vec<Node>),
    Or(Vec<Node>),
    FollowedBy(Vec<Node>),
    Qualified(Box<Node>, Vec<Filter>),
}

/// A compiled qualifier.
#[derive(Debug)]
pub(crate) enum Filter {
    Within(i128),
    Repeats(u64),
    StartStop(Timestamp, Timestamp),
}

/// A compiled comparison expression.
#[derive(Debug)]
pub(crate) enum Test {
    And(Vec<Test>),
    Or(Vec<Test>),
    Leaf(Leaf),
}

/// A compiled comparison.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) object_type: String,
    pub(crate) steps: Vec<PathStep>,
    pub(crate) negated: bool,
    pub(crate) check: Check,
}

/// What a comparison tests.
#[derive(Debug)]
pub(crate) enum Check {
    Equal(Const),
    NotEqual(Const),
    Order(Ordering, bool, Const),
    In(Vec<Const>),
    Like(Box<Like>),
    Matches(Arc<Regex>, bool),
    IsSubset(IpNet),
    IsSuperset(IpNet),
    Exists,
}

/// A constant of a comparison.
#[derive(Debug)]
pub(crate) enum Const {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Time(Timestamp),
}

/// Compiles an observation expression, numbering its `[…]` from `leaves` on.
fn node(expr: &ObservationExpr, leaves: &mut usize) -> Result<Node, Error> {
    let mut list = |items: &[ObservationExpr]| {
        items.iter().map(|item| node(item, leaves)).collect::<Result<Vec<_>, _>>()
    };
    Ok(match expr {
        ObservationExpr::Observation { comparison, .. } => {
            *leaves += 1;
            Node::Observation(*leaves - 1, test(comparison)?)
        }
        ObservationExpr::And(items) => Node::And(list(items)?),
        ObservationExpr::Or(items) => Node::Or(list(items)?),
        ObservationExpr::FollowedBy(items) => Node::FollowedBy(list(items)?),
        ObservationExpr::Qualified { expr, qualifiers } => {
            let filters = qualifiers.iter().map(filter).collect::<Result<Vec<_>, _>>()?;
            Node::Qualified(Box::new(node(expr, leaves)?), filters)
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
        Operator::Like(text) => Check::Like(Box::new(Like::new(text)?)),
        Operator::Matches(text) => {
            Check::Matches(Regex::shared(text, text)?, text.chars().all(|c| (c as u32) < 256))
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

impl Node {
    /// Calls `f` with the id and test of each observation expression.
    pub(crate) fn for_each_leaf<'n>(&'n self, f: &mut dyn FnMut(usize, &'n Test)) {
        match self {
            Node::Observation(id, test) => f(*id, test),
            Node::And(items) | Node::Or(items) | Node::FollowedBy(items) => {
                items.iter().for_each(|item| item.for_each_leaf(f))
            }
            Node::Qualified(inner, _) => inner.for_each_leaf(f),
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
            Node::Observation(_, test) => Ok(self
                .observations
                .items
                .iter()
                .enumerate()
                .filter(|(_, observation)| observation_matches(test, observation, self.version))
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
        if self.steps > ENUMERATION_STEPS {
            return Err(Error::LimitExceeded(ENUMERATION_STEPS));
        }
        Ok(())
    }
}

/// Whether some object of the observation satisfies the comparison expression: AND and OR inside
/// `[…]` apply to one object at a time.
pub(crate) fn observation_matches<V: ObjectView>(
    test: &Test,
    observation: &Observation<'_, V>,
    version: Version,
) -> bool {
    observation.objects.iter().any(|object| {
        let excluded = version == Version::V2_1 && object.non_sco;
        !excluded && test_object(test, object, observation)
    })
}

fn test_object<'a, V: ObjectView>(
    test: &Test,
    object: &Object<'a, V>,
    observation: &Observation<'a, V>,
) -> bool {
    match test {
        Test::And(items) => items.iter().all(|t| test_object(t, object, observation)),
        Test::Or(items) => items.iter().any(|t| test_object(t, object, observation)),
        Test::Leaf(leaf) => {
            if object.object_type != Some(leaf.object_type.as_str()) {
                return false;
            }
            if let Check::Exists = leaf.check {
                let mut found = false;
                walk(Node2::View(object.view), &leaf.steps, observation, &mut |_| {
                    found = true;
                    true
                });
                return found != leaf.negated;
            }
            walk(Node2::View(object.view), &leaf.steps, observation, &mut |value| leaf.holds(value))
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

/// Calls `f` with every value the path `steps` reaches from `object` (the values a comparison
/// on that path would test).
pub(crate) fn for_each_value<'a, V: ObjectView>(
    object: &'a V,
    steps: &[PathStep],
    observation: &Observation<'a, V>,
    f: &mut dyn FnMut(Scalar<'_>),
) {
    walk(Node2::View(object), steps, observation, &mut |node| {
        f(scalar(node));
        false
    });
}

/// A property value as comparisons see it.
pub(crate) enum Scalar<'a> {
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
            Check::Like(like) => match value {
                Scalar::Str(s) => like.is_match(s),
                Scalar::Bytes(b) => std::str::from_utf8(b).is_ok_and(|s| like.is_match(s)),
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

    /// `count` observations of one `x-event`, observation `k` at minute `minute(k)`, one instance
    /// each.
    fn events(
        count: usize,
        kind: impl Fn(usize) -> &'static str,
        minute: impl Fn(usize) -> u32,
    ) -> Vec<Json> {
        (0..count)
            .map(|k| {
                let m = minute(k);
                obs(&format!("o{k}"), m, m, 1, json!({"0": {"type": "x-event", "kind": kind(k)}}))
            })
            .collect()
    }

    /// What the existence search answers, and how many steps it took.
    #[track_caller]
    fn search(pattern: &str, data: &[Json]) -> (String, usize) {
        let compiled = compile(&parse(pattern).unwrap(), Version::V2_1).unwrap();
        let refs: Vec<&Json> = data.iter().collect();
        let observations = Observations::from_json(&refs).unwrap();
        let mut search = super::Search::new(
            &observations,
            Version::V2_1,
            compiled.leaves,
            super::MAX_EVALUATION_STEPS,
        );
        let answer = match search.exists(&compiled.root) {
            Ok(true) => "match".to_owned(),
            Ok(false) => "no match".to_owned(),
            Err(error) => format!("error: {error}"),
        };
        (answer, search.steps())
    }

    #[test]
    fn repeats_over_many_identical_observations() {
        // The enumeration alone would build C(60, 30) bindings and hit the step limit.
        let data = events(60, |_| "a", |_| 0);
        let all: Vec<usize> = (0..60).collect();
        assert_eq!(check("[x-event:kind = 'a'] REPEATS 30 TIMES", &data), format!("match {all:?}"));
        assert_eq!(check("[x-event:kind = 'a'] REPEATS 60 TIMES", &data), format!("match {all:?}"));
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 61 TIMES", &data), @"no match");
        insta::assert_snapshot!(check("[x-event:kind = 'b'] REPEATS 1 TIMES", &data), @"no match");
        let (answer, steps) = search("[x-event:kind = 'a'] REPEATS 30 TIMES", &data);
        assert_eq!(answer, "match");
        assert!(steps < 5_000, "{steps} steps");

        let data = events(400, |_| "a", |_| 0);
        let (answer, steps) = search("[x-event:kind = 'a'] REPEATS 250 TIMES", &data);
        assert_eq!(answer, "match");
        assert!(steps < 200_000, "{steps} steps");
        insta::assert_snapshot!(search("[x-event:kind = 'a'] REPEATS 401 TIMES", &data).0, @"no match");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 1000000000 TIMES", &data), @"no match");
    }

    #[test]
    fn repeats_count_instances_not_objects() {
        let data = vec![
            obs("big", 0, 0, 100_000, json!({"0": {"type": "x-event", "kind": "a"}})),
            obs("small", 59, 59, 2, json!({"0": {"type": "x-event", "kind": "a"}})),
        ];
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 100000 TIMES", &data), @"match [0, 1]");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 100002 TIMES", &data), @"match [0, 1]");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 100003 TIMES", &data), @"no match");
        // Both observations are needed, and they are 59 minutes apart.
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 100001 TIMES WITHIN 3540 SECONDS", &data), @"match [0, 1]");
        let (answer, steps) =
            search("[x-event:kind = 'a'] REPEATS 100001 TIMES WITHIN 3539 SECONDS", &data);
        assert_eq!(answer, "no match");
        assert!(steps < 100, "{steps} steps");
    }

    #[test]
    fn repeats_with_within() {
        // One observation a minute: 30 in a row span 29 minutes.
        let data = events(60, |_| "a", |k| k as u32);
        let all: Vec<usize> = (0..60).collect();
        assert_eq!(
            check("[x-event:kind = 'a'] REPEATS 30 TIMES WITHIN 1740 SECONDS", &data),
            format!("match {all:?}")
        );
        let (answer, steps) =
            search("[x-event:kind = 'a'] REPEATS 30 TIMES WITHIN 1739 SECONDS", &data);
        assert_eq!(answer, "no match");
        assert!(steps < 20_000, "{steps} steps");
        insta::assert_snapshot!(check("[x-event:kind = 'a'] REPEATS 30 TIMES WITHIN 1739 SECONDS", &data), @"no match");
        // WITHIN first, then REPEATS: thirty bindings that each fit in a minute.
        insta::assert_snapshot!(search("[x-event:kind = 'a'] WITHIN 60 SECONDS REPEATS 30 TIMES", &data).0, @"match");
        // Two clusters of 29: neither holds 30.
        let data = events(58, |_| "a", |k| if k < 29 { 0 } else { 50 });
        let (answer, steps) =
            search("[x-event:kind = 'a'] REPEATS 30 TIMES WITHIN 600 SECONDS", &data);
        assert_eq!(answer, "no match");
        assert!(steps < 20_000, "{steps} steps");
        insta::assert_snapshot!(search("[x-event:kind = 'a'] REPEATS 29 TIMES WITHIN 600 SECONDS", &data).0, @"match");
    }

    #[test]
    fn repeats_with_followedby() {
        let data = events(60, |k| if k < 30 { "a" } else { "b" }, |k| k as u32);
        let all: Vec<usize> = (0..60).collect();
        let pattern = "([x-event:kind = 'a'] REPEATS 20 TIMES) FOLLOWEDBY ([x-event:kind = 'b'] REPEATS 20 TIMES)";
        assert_eq!(check(pattern, &data), format!("match {all:?}"));
        let (answer, steps) = search(pattern, &data);
        assert_eq!(answer, "match");
        assert!(steps < 5_000, "{steps} steps");
        // The reverse order fails fast when each side is small...
        let reversed = "([x-event:kind = 'b'] REPEATS 3 TIMES) FOLLOWEDBY ([x-event:kind = 'a'] REPEATS 3 TIMES)";
        let (answer, steps) = search(reversed, &data);
        assert_eq!(answer, "no match");
        assert!(steps < 200_000, "{steps} steps");
        insta::assert_snapshot!(check(reversed, &data), @"no match");
        // ...and when they are large: the later operand has no binding even in the least
        // constrained state a choice of the earlier one can leave (nothing used, ending after
        // the earliest b starts), so none of the C(30, 20) choices of b's is tried.
        let reversed = "([x-event:kind = 'b'] REPEATS 20 TIMES) FOLLOWEDBY ([x-event:kind = 'a'] REPEATS 20 TIMES)";
        insta::assert_snapshot!(check(reversed, &data), @"no match");
        let (answer, steps) = search(reversed, &data);
        assert_eq!(answer, "no match");
        assert!(steps < 1_000, "{steps} steps");
        // The same for AND when an operand cannot be bound at all.
        let (answer, steps) =
            search("([x-event:kind = 'a'] REPEATS 20 TIMES) AND [x-event:kind = 'c']", &data);
        assert_eq!(answer, "no match");
        assert!(steps < 1_000, "{steps} steps");
        // The last a is at minute 29 and the first b at 30: 20 a's then 20 b's span at least
        // minutes 10 to 49.
        let within = |s: u32| {
            format!(
                "(([x-event:kind = 'a'] REPEATS 20 TIMES) FOLLOWEDBY ([x-event:kind = 'b'] REPEATS 20 TIMES)) WITHIN {s} SECONDS"
            )
        };
        // This matches with the a's from minute 10 and the b's to minute 49. The search takes
        // the earliest a's first; the choices of a's that fail are told apart only by their
        // extent (which a's they are matters to nothing else here), so each failed extent is
        // tried once instead of every C(30, 20) choice.
        let (answer, steps) = search(&within(39 * 60), &data);
        assert_eq!(answer, "match");
        assert!(steps < 200_000, "{steps} steps");
        insta::assert_snapshot!(check(&within(39 * 60), &data), @"match [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]");
        insta::assert_snapshot!(search(&within(49 * 60), &data).0, @"match");
        let (answer, steps) = search(&within(39 * 60 - 1), &data);
        assert_eq!(answer, "no match");
        assert!(steps < 200_000, "{steps} steps");
        insta::assert_snapshot!(search("[x-event:kind = 'a'] REPEATS 25 TIMES WITHIN 1440 SECONDS FOLLOWEDBY [x-event:kind = 'b'] REPEATS 30 TIMES", &data).0, @"match");
        insta::assert_snapshot!(search("[x-event:kind = 'a'] REPEATS 25 TIMES WITHIN 1439 SECONDS FOLLOWEDBY [x-event:kind = 'b']", &data).0, @"no match");
    }

    #[test]
    fn remembered_failures_only_where_the_choice_does_not_matter() {
        // Which a's REPEATS takes matters when another `[…]` can use some of them: {o1, o2}
        // leaves o0 (n = 1) for the second operand, {o0, o1} and {o0, o2} do not.
        let data: Vec<Json> = [(1, 0), (0, 0), (0, 10)]
            .iter()
            .enumerate()
            .map(|(k, &(n, minute))| {
                obs(
                    &format!("o{k}"),
                    minute,
                    minute,
                    1,
                    json!({"0": {"type": "x-event", "kind": "a", "n": n}}),
                )
            })
            .collect();
        let pattern =
            "([x-event:kind = 'a'] REPEATS 2 TIMES) AND [x-event:kind = 'a' AND x-event:n = 1]";
        insta::assert_snapshot!(search(pattern, &data).0, @"match");
        insta::assert_snapshot!(check(pattern, &data), @"match [0, 1, 2]");
    }

    #[test]
    fn repeats_of_compound_expressions() {
        let data = events(40, |k| if k % 2 == 0 { "a" } else { "b" }, |k| k as u32);
        insta::assert_snapshot!(search("([x-event:kind = 'a'] AND [x-event:kind = 'b']) REPEATS 20 TIMES", &data).0, @"match");
        insta::assert_snapshot!(search("([x-event:kind = 'a'] AND [x-event:kind = 'b']) REPEATS 21 TIMES", &data).0, @"no match");
        insta::assert_snapshot!(search("([x-event:kind = 'a'] FOLLOWEDBY [x-event:kind = 'b'] WITHIN 60 SECONDS) REPEATS 20 TIMES", &data).0, @"match");
        insta::assert_snapshot!(search("([x-event:kind = 'b'] OR [x-event:kind = 'a']) REPEATS 40 TIMES START t'2024-01-01T00:00:00Z' STOP t'2024-01-01T00:40:00Z'", &data).0, @"match");
        insta::assert_snapshot!(search("([x-event:kind = 'b'] OR [x-event:kind = 'a']) REPEATS 40 TIMES START t'2024-01-01T00:00:00Z' STOP t'2024-01-01T00:39:00Z'", &data).0, @"no match");
    }

    #[test]
    fn search_work_grows_linearly_with_observations() {
        // The number of steps, not the time: linear growth shows as a bounded ratio.
        let steps =
            |n: usize, pattern: &str| search(pattern, &events(n, |_| "a", |k| (k % 60) as u32)).1;
        for pattern in [
            "[x-event:kind = 'a'] REPEATS 50 TIMES",
            "[x-event:kind = 'b'] REPEATS 50 TIMES",
            "[x-event:kind = 'a'] FOLLOWEDBY [x-event:kind = 'a']",
        ] {
            let (small, large) = (steps(200, pattern), steps(400, pattern));
            // Doubling the observations at most doubles the work (plus a little): 4 times
            // would be quadratic.
            assert!(
                large * 10 <= small * 22 + 1000,
                "{pattern}: {small} steps for 200, {large} for 400"
            );
        }
    }

    proptest::proptest! {
        /// The search answers exactly what the enumeration of every binding answers.
        #[test]
        fn search_agrees_with_enumeration(
            pattern in pattern_strategy(),
            data in proptest::collection::vec((0u8..3, 0u32..20, 0u32..10, 1u32..3, 0u8..2), 1..7),
        ) {
            let data: Vec<Json> = data
                .iter()
                .enumerate()
                .map(|(k, &(kind, first, length, count, n))| {
                    let kind = ["a", "b", "c"][kind as usize];
                    obs(&format!("o{k}"), first, first + length, count, json!({"0": {"type": "x-event", "kind": kind, "n": n}}))
                })
                .collect();
            let compiled = compile(&parse(&pattern).unwrap(), Version::V2_1).unwrap();
            let refs: Vec<&Json> = data.iter().collect();
            let observations = Observations::from_json(&refs).unwrap();
            let mut evaluator = super::Evaluator { observations: &observations, version: Version::V2_1, steps: 0 };
            if let Ok(bindings) = evaluator.bindings(&compiled.root) {
                let mut expected: Vec<usize> = bindings.iter().flatten().map(|&(i, _)| i as usize).collect();
                expected.sort_unstable();
                expected.dedup();
                proptest::prop_assert_eq!(compiled.is_match(&observations).unwrap(), !expected.is_empty(), "{}", pattern);
                proptest::prop_assert_eq!(compiled.taking_part(&observations).unwrap(), expected, "{}", pattern);
            }
        }
    }

    fn pattern_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // Leaves that match the same observations, and leaves that match some of them.
        let leaf = (0usize..3, proptest::option::of(0u8..2)).prop_map(|(k, n)| match n {
            None => format!("[x-event:kind = '{}']", ["a", "b", "c"][k]),
            Some(n) => format!("[x-event:kind = '{}' AND x-event:n = {n}]", ["a", "b", "c"][k]),
        });
        leaf.prop_recursive(3, 8, 3, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone(), 0usize..3).prop_map(|(a, b, op)| format!(
                    "({a} {} {b})",
                    ["AND", "OR", "FOLLOWEDBY"][op]
                )),
                (inner.clone(), 1u32..4).prop_map(|(a, n)| format!("({a} REPEATS {n} TIMES)")),
                (inner.clone(), 1u32..900).prop_map(|(a, s)| format!("({a} WITHIN {s} SECONDS)")),
                (inner, 0u32..15, 1u32..15).prop_map(|(a, start, length)| format!(
                    "({a} START t'2024-01-01T00:{start:02}:00Z' STOP t'2024-01-01T00:{:02}:00Z')",
                    start + length
                )),
            ]
        })
    }

    #[test]
    fn limits_stop_expensive_patterns() {
        // More repetitions of a compound expression than the search may nest.
        let data = events(1200, |k| if k % 2 == 0 { "a" } else { "b" }, |_| 0);
        insta::assert_snapshot!(search("([x-event:kind = 'a'] AND [x-event:kind = 'b']) REPEATS 600 TIMES", &data).0, @"error: evaluation stopped after 2000000 steps: the pattern is too expensive for this data");
    }
}
