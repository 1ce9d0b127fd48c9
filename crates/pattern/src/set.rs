//! `PatternSet`: which of many patterns match some observations, without evaluating them all.
//!
//! Each pattern is reduced to *keys*: conditions on one property of one object, at least one
//! of which some observed object satisfies whenever the pattern matches. An `AND` (of
//! observation or comparison expressions) needs only the keys of one operand, the most
//! selective; an `OR` needs the keys of every operand; a qualifier keeps the keys of what it
//! qualifies. The keys of a comparison, for an object of its type, on its path:
//!
//! | comparison                     | key                         | index                            |
//! |--------------------------------|-----------------------------|----------------------------------|
//! | `=`, `IN` (strings, numbers, booleans) | the value           | hash tables                      |
//! | `>`, `>=`, `<`, `<=` (numbers) | the bound                   | sorted bounds                    |
//! | `LIKE`, `MATCHES`              | a literal every match contains | Aho-Corasick automaton        |
//! | `ISSUBSET`                     | the block                   | a table per prefix length        |
//! | `ISSUPERSET`                   | the address                 | sorted addresses                 |
//! | anything else, `NOT …`         | the object type             | a list per type                  |
//!
//! Looking up an observation visits its objects, follows the indexed paths of each object's
//! type and probes the indexes with the values found; the patterns whose keys are hit are the
//! *candidates*, and only they are evaluated (the evaluator decides, so the answer is exact).
//! A pattern that is a single `[…]` of `=`/`IN` string, `ISSUBSET` and `ISSUPERSET` comparisons
//! on plain paths joined by `OR` matches exactly when a key is hit, and is not evaluated at all. The cost of
//! a lookup therefore grows with the candidates (and the object's size), not with the number
//! of patterns in the set.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::Version;
use crate::ast::{PathStep, Pattern};
use crate::error::Error;
use crate::eval::{Check, CompiledPattern, Const, Node, Scalar, Test, compile, for_each_value};
use crate::ipnet::IpNet;
use crate::observation::Observations;
use crate::text::selectivity;
use crate::view::ObjectView;

/// An immutable set of compiled patterns, indexed for matching (`Send + Sync`).
#[derive(Debug)]
pub struct PatternSet {
    patterns: Vec<CompiledPattern>,
    /// Patterns that match exactly when one of their keys is hit.
    exact: Vec<bool>,
    version: Version,
    /// Object type → its indexes.
    types: HashMap<String, TypeIndex>,
}

/// The indexes for objects of one type.
#[derive(Debug, Default)]
struct TypeIndex {
    /// Patterns that are candidates whenever an object of this type occurs.
    residual: Vec<u32>,
    paths: Vec<PathIndex>,
}

/// The indexes for the values at one path.
#[derive(Debug, Default)]
struct PathIndex {
    steps: Vec<PathStep>,
    strings: HashMap<Box<str>, Vec<u32>>,
    /// Numbers by the bits of their `f64` value (integers and floats that are equal have the
    /// same `f64`).
    numbers: HashMap<u64, Vec<u32>>,
    booleans: [Vec<u32>; 2],
    /// `>`/`>=` bounds, ascending: a value is a candidate for the bounds at or below it.
    above: Vec<(f64, u32)>,
    /// `<`/`<=` bounds, ascending: a value is a candidate for the bounds at or above it.
    below: Vec<(f64, u32)>,
    literals: Option<Literals>,
    /// `ISSUBSET` blocks, for IPv4 and IPv6: per prefix length, the blocks by network.
    subsets: [Blocks; 2],
    /// `ISSUPERSET` addresses, for IPv4 and IPv6, ascending: (bits, prefix, pattern).
    supersets: [Vec<(u128, u8, u32)>; 2],
}

/// Per prefix length, ascending: the blocks of that length by network, with their patterns.
type Blocks = Vec<(u8, HashMap<u128, Vec<u32>>)>;

/// Literals that `LIKE` and `MATCHES` values contain.
#[derive(Debug)]
struct Literals {
    automaton: AhoCorasick,
    /// Per literal, the patterns that need it.
    patterns: Vec<Vec<u32>>,
    /// Every pattern with a literal key here, for values with too many literal matches.
    all: Vec<u32>,
}

/// More literal matches than this in one value make every literal-keyed pattern of the path a
/// candidate instead (a value of a thousand `a`s against literals `a`, `aa`, `aaa`, … would
/// otherwise report a match per literal per position).
const MAX_LITERAL_MATCHES: usize = 1024;

/// A condition on one property of one object, necessary for a pattern to match.
#[derive(Clone, Debug)]
enum Key {
    /// An object of the type occurs.
    Type(String),
    /// The value at the path, of an object of the type, satisfies the probe.
    Value { object_type: String, steps: Vec<PathStep>, probe: Probe },
}

#[derive(Clone, Debug)]
enum Probe {
    String(String),
    Number(u64),
    Bool(bool),
    Above(f64),
    Below(f64),
    /// A literal the value contains, and how many patterns' comparisons have it.
    Literal(Vec<u8>, u32),
    Subset(IpNet),
    Superset(IpNet),
}

impl Key {
    /// A rough count of the candidates the key brings: lower is more selective.
    fn cost(&self) -> u64 {
        match self {
            Key::Type(_) => 1 << 20,
            Key::Value { probe, .. } => match probe {
                Probe::String(_) | Probe::Number(_) | Probe::Subset(_) => 1,
                Probe::Bool(_) => 1 << 12,
                Probe::Superset(_) => 4,
                // The patterns sharing the literal, and more for short literals (which occur in
                // many values).
                Probe::Literal(bytes, shared) => u64::from(*shared) + (256 >> bytes.len().min(8)),
                Probe::Above(_) | Probe::Below(_) => 1 << 10,
            },
        }
    }
}

fn cost(keys: &[Key]) -> u64 {
    keys.iter().fold(0u64, |sum, key| sum.saturating_add(key.cost()))
}

/// The keys of an observation expression: some object satisfies one of them whenever the
/// expression matches (none: it never matches).
fn node_keys(node: &Node, shared: &Shared) -> Vec<Key> {
    match node {
        Node::Observation(_, test) => test_keys(test, shared),
        Node::And(items) | Node::FollowedBy(items) => {
            cheapest(items.iter().map(|item| node_keys(item, shared)))
        }
        Node::Or(items) => items.iter().flat_map(|item| node_keys(item, shared)).collect(),
        Node::Qualified(inner, _) => node_keys(inner, shared),
    }
}

/// How many `LIKE`/`MATCHES` comparisons of the set have each literal: a literal many patterns
/// share (`.exe`) makes a poor key.
#[derive(Default)]
struct Shared(HashMap<Vec<u8>, u32>);

impl Shared {
    fn count(&mut self, node: &Node) {
        node.for_each_leaf(&mut |_, test| self.count_test(test));
    }

    fn count_test(&mut self, test: &Test) {
        match test {
            Test::And(items) | Test::Or(items) => items.iter().for_each(|t| self.count_test(t)),
            Test::Leaf(leaf) => {
                let mut literals: Vec<Vec<u8>> = match &leaf.check {
                    Check::Like(like) => like.literals().map(|l| l.as_bytes().to_vec()).collect(),
                    Check::Matches(regex, _) => {
                        regex.required_literals().into_iter().flatten().collect()
                    }
                    _ => return,
                };
                literals.sort_unstable();
                literals.dedup();
                for literal in literals {
                    *self.0.entry(literal).or_default() += 1;
                }
            }
        }
    }

    fn of(&self, literal: &[u8]) -> u32 {
        self.0.get(literal).copied().unwrap_or(1)
    }
}

fn test_keys(test: &Test, shared: &Shared) -> Vec<Key> {
    match test {
        Test::And(items) => cheapest(items.iter().map(|item| test_keys(item, shared))),
        Test::Or(items) => items.iter().flat_map(|item| test_keys(item, shared)).collect(),
        Test::Leaf(leaf) => {
            let residual = || vec![Key::Type(leaf.object_type.clone())];
            // Values under `…_hex`/`…_bin` are bytes, which compare with other coercions.
            let bytes = leaf.steps.iter().any(|step| {
                matches!(step, PathStep::Key(k) if k.ends_with("_hex") || k.ends_with("_bin"))
            });
            if leaf.negated || bytes {
                return residual();
            }
            let probes: Option<Vec<Probe>> = match &leaf.check {
                Check::Equal(constant) => equality(constant).map(|probe| vec![probe]),
                Check::In(constants) => constants.iter().map(equality).collect(),
                Check::Order(direction, _, constant) => {
                    let bound = match constant {
                        Const::Int(n) => Some(*n as f64),
                        Const::Float(x) => Some(*x),
                        _ => None,
                    };
                    bound.map(|bound| match direction {
                        std::cmp::Ordering::Greater => vec![Probe::Above(bound)],
                        _ => vec![Probe::Below(bound)],
                    })
                }
                // The literal fewest patterns share, the longest among those.
                Check::Like(like) => like
                    .literals()
                    .map(|literal| literal.as_bytes())
                    .min_by_key(|literal| (shared.of(literal), std::cmp::Reverse(literal.len())))
                    .map(|literal| vec![Probe::Literal(literal.to_vec(), shared.of(literal))]),
                Check::Matches(regex, _) => regex
                    .required_literals()
                    .into_iter()
                    .filter(|set| set.iter().all(|literal| !literal.is_empty()))
                    .min_by_key(|set| {
                        let sharing: u32 = set.iter().map(|l| shared.of(l)).sum();
                        (sharing, std::cmp::Reverse(selectivity(set)))
                    })
                    .map(|set| {
                        set.into_iter()
                            .map(|literal| {
                                let sharing = shared.of(&literal);
                                Probe::Literal(literal, sharing)
                            })
                            .collect()
                    }),
                Check::IsSubset(net) => Some(vec![Probe::Subset(*net)]),
                Check::IsSuperset(net) => Some(vec![Probe::Superset(*net)]),
                Check::NotEqual(_) | Check::Exists => None,
            };
            match probes {
                Some(probes) => probes
                    .into_iter()
                    .map(|probe| Key::Value {
                        object_type: leaf.object_type.clone(),
                        steps: leaf.steps.clone(),
                        probe,
                    })
                    .collect(),
                None => residual(),
            }
        }
    }
}

/// The probe for `= constant`, if the constant's kind is indexed.
fn equality(constant: &Const) -> Option<Probe> {
    match constant {
        Const::Str(s) => Some(Probe::String(s.clone())),
        Const::Int(n) => Some(Probe::Number(number_bits(*n as f64))),
        Const::Float(x) => Some(Probe::Number(number_bits(*x))),
        Const::Bool(b) => Some(Probe::Bool(*b)),
        Const::Bytes(_) | Const::Time(_) => None,
    }
}

/// The key of a number: its `f64` bits, `-0` as `0`.
fn number_bits(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

/// The cheapest of several key sets (for `AND`: one operand's keys suffice).
fn cheapest(sets: impl Iterator<Item = Vec<Key>>) -> Vec<Key> {
    sets.min_by_key(|keys| cost(keys)).unwrap_or_default()
}

/// Whether `pattern` matches exactly when one of its keys is hit: one unqualified `[…]` of
/// `=`/`IN` string, `ISSUBSET` and `ISSUPERSET` comparisons on plain key paths, joined by `OR`
/// (numbers are not: their keys are `f64`, which equates integers beyond 2^53).
fn decided_by_keys(pattern: &CompiledPattern) -> bool {
    let Node::Observation(_, test) = pattern.root() else { return false };
    let leaves: Vec<&Test> = match test {
        Test::Or(items) => items.iter().collect(),
        single => vec![single],
    };
    leaves.iter().all(|leaf| {
        let Test::Leaf(leaf) = leaf else { return false };
        let plain = leaf.steps.iter().all(|step| match step {
            PathStep::Key(key) => {
                !["_ref", "_refs", "_hex", "_bin"].iter().any(|s| key.ends_with(s))
            }
            _ => false,
        });
        let exact_check = match &leaf.check {
            Check::Equal(Const::Str(_)) | Check::IsSubset(_) | Check::IsSuperset(_) => true,
            Check::In(set) => set.iter().all(|c| matches!(c, Const::Str(_))),
            _ => false,
        };
        plain && !leaf.negated && exact_check
    })
}

impl PatternSet {
    /// Compiles `patterns`; on failure, says which one (by position) and why.
    pub fn new<'p>(
        patterns: impl IntoIterator<Item = &'p Pattern>,
        version: Version,
    ) -> Result<PatternSet, (usize, Error)> {
        let mut set =
            PatternSet { patterns: Vec::new(), exact: Vec::new(), version, types: HashMap::new() };
        let mut shared = Shared::default();
        for (i, pattern) in patterns.into_iter().enumerate() {
            let compiled = compile(pattern, version).map_err(|e| (i, e))?;
            shared.count(compiled.root());
            set.patterns.push(compiled);
        }
        let mut literals: HashMap<(String, Vec<PathStep>), LiteralsBuilder> = HashMap::new();
        let mut keys = Vec::new();
        for (i, compiled) in set.patterns.iter().enumerate() {
            let id = u32::try_from(i).map_err(|_| (i, Error::LimitExceeded(u32::MAX as usize)))?;
            keys.push((id, node_keys(compiled.root(), &shared)));
            set.exact.push(decided_by_keys(compiled));
        }
        for (id, pattern_keys) in keys {
            for key in pattern_keys {
                set.add(key, id, &mut literals);
            }
        }
        for ((object_type, steps), builder) in literals {
            match builder.build() {
                Ok(built) => set.path(&object_type, &steps).literals = Some(built),
                // Too large for an automaton: the patterns are candidates for every object of
                // the type instead.
                Err(ids) => {
                    set.types.entry(object_type).or_default().residual.extend(ids);
                }
            }
        }
        for index in set.types.values_mut() {
            index.residual.sort_unstable();
            index.residual.dedup();
            for path in &mut index.paths {
                path.above.sort_by(|a, b| a.0.total_cmp(&b.0));
                path.below.sort_by(|a, b| a.0.total_cmp(&b.0));
                for family in &mut path.subsets {
                    family.sort_by_key(|(prefix, _)| *prefix);
                }
                for family in &mut path.supersets {
                    family.sort_unstable();
                }
            }
        }
        Ok(set)
    }

    fn path(&mut self, object_type: &str, steps: &[PathStep]) -> &mut PathIndex {
        let index = self.types.entry(object_type.to_owned()).or_default();
        let position = match index.paths.iter().position(|p| p.steps == steps) {
            Some(position) => position,
            None => {
                index.paths.push(PathIndex { steps: steps.to_vec(), ..PathIndex::default() });
                index.paths.len() - 1
            }
        };
        &mut index.paths[position]
    }

    fn add(
        &mut self,
        key: Key,
        id: u32,
        literals: &mut HashMap<(String, Vec<PathStep>), LiteralsBuilder>,
    ) {
        let (object_type, steps, probe) = match key {
            Key::Type(object_type) => {
                let residual = &mut self.types.entry(object_type).or_default().residual;
                if residual.last() != Some(&id) {
                    residual.push(id);
                }
                return;
            }
            Key::Value { object_type, steps, probe } => (object_type, steps, probe),
        };
        if let Probe::Literal(bytes, _) = probe {
            // Registers the path, so that lookups visit it.
            self.path(&object_type, &steps);
            literals.entry((object_type, steps)).or_default().add(bytes, id);
            return;
        }
        let path = self.path(&object_type, &steps);
        match probe {
            Probe::String(s) => path.strings.entry(s.into()).or_default().push(id),
            Probe::Number(bits) => path.numbers.entry(bits).or_default().push(id),
            Probe::Bool(b) => path.booleans[usize::from(b)].push(id),
            Probe::Above(bound) => path.above.push((bound, id)),
            Probe::Below(bound) => path.below.push((bound, id)),
            Probe::Subset(net) => {
                let family = &mut path.subsets[usize::from(net.is_v6())];
                let position = match family.iter().position(|(p, _)| *p == net.prefix()) {
                    Some(position) => position,
                    None => {
                        family.push((net.prefix(), HashMap::new()));
                        family.len() - 1
                    }
                };
                family[position].1.entry(net.network(net.prefix())).or_default().push(id);
            }
            Probe::Superset(net) => {
                path.supersets[usize::from(net.is_v6())].push((net.bits(), net.prefix(), id))
            }
            Probe::Literal(..) => {}
        }
    }

    /// How many patterns the set holds.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The positions of the patterns that match `observations`, sorted. A pattern whose
    /// evaluation fails (e.g. too expensive) does not match; its error is returned alongside.
    pub fn matches<V: ObjectView>(
        &self,
        observations: &Observations<'_, V>,
    ) -> (Vec<usize>, Vec<(usize, Error)>) {
        let mut hits = Vec::new();
        let mut errors = Vec::new();
        for id in self.lookup(observations) {
            if self.exact[id as usize] {
                hits.push(id as usize);
                continue;
            }
            match self.patterns[id as usize].is_match(observations) {
                Ok(true) => hits.push(id as usize),
                Ok(false) => {}
                Err(error) => errors.push((id as usize, error)),
            }
        }
        (hits, errors)
    }

    /// The positions of the candidate patterns for `observations`, sorted: those whose keys the
    /// observations hit, which [`PatternSet::matches`] evaluates (or, for patterns decided by
    /// their keys, accepts). Every matching pattern is a candidate; how many there are is the
    /// cost of matching, whatever the size of the set.
    pub fn candidates<V: ObjectView>(&self, observations: &Observations<'_, V>) -> Vec<usize> {
        self.lookup(observations).into_iter().map(|id| id as usize).collect()
    }

    /// The candidates, sorted, without repeats.
    fn lookup<V: ObjectView>(&self, observations: &Observations<'_, V>) -> Vec<u32> {
        let mut out = Vec::new();
        let mut types: Vec<&str> = Vec::new();
        for observation in observations.iter() {
            for object in &observation.objects {
                if self.version == Version::V2_1 && object.non_sco {
                    continue;
                }
                let Some(object_type) = object.object_type else { continue };
                let Some(index) = self.types.get(object_type) else { continue };
                if !types.contains(&object_type) {
                    types.push(object_type);
                    out.extend_from_slice(&index.residual);
                }
                for path in &index.paths {
                    for_each_value(object.view, &path.steps, observation, &mut |value| {
                        path.probe(&value, &mut out)
                    });
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl PathIndex {
    /// Adds the patterns whose keys on this path `value` hits.
    fn probe(&self, value: &Scalar<'_>, out: &mut Vec<u32>) {
        match *value {
            Scalar::Str(s) => {
                if let Some(ids) = self.strings.get(s) {
                    out.extend_from_slice(ids);
                }
                if let Some(literals) = &self.literals {
                    literals.probe(s, out);
                }
                if self.subsets.iter().any(|f| !f.is_empty())
                    || self.supersets.iter().any(|f| !f.is_empty())
                {
                    self.addresses(s, out);
                }
            }
            Scalar::Int(n) => self.number(n as f64, out),
            Scalar::Float(x) => self.number(x, out),
            Scalar::Bool(b) => out.extend_from_slice(&self.booleans[usize::from(b)]),
            Scalar::Bytes(_) | Scalar::Other => {}
        }
    }

    fn number(&self, x: f64, out: &mut Vec<u32>) {
        if let Some(ids) = self.numbers.get(&number_bits(x)) {
            out.extend_from_slice(ids);
        }
        // `v > bound` implies `f64(v) >= f64(bound)`, for integers as well: the conversion
        // is monotone.
        let above = self.above.partition_point(|(bound, _)| *bound <= x);
        out.extend(self.above[..above].iter().map(|(_, id)| *id));
        let below = self.below.partition_point(|(bound, _)| *bound < x);
        out.extend(self.below[below..].iter().map(|(_, id)| *id));
    }

    /// `ISSUBSET` and `ISSUPERSET` keys hit by the address or block `text`.
    fn addresses(&self, text: &str, out: &mut Vec<u32>) {
        let Some(value) = IpNet::parse(text) else { return };
        let family = usize::from(value.is_v6());
        // Blocks that contain the value: same network at their length, no longer than it.
        for (prefix, blocks) in &self.subsets[family] {
            if *prefix > value.prefix() {
                break;
            }
            if let Some(ids) = blocks.get(&value.network(*prefix)) {
                out.extend_from_slice(ids);
            }
        }
        // Blocks inside the value: addresses in its range, prefixes no shorter than its.
        let addresses = &self.supersets[family];
        let width = if value.is_v6() { 128 } else { 32 };
        let host = width - u32::from(value.prefix());
        let low = if host >= 128 { 0 } else { value.bits() >> host << host };
        let high = if host >= 128 { u128::MAX } else { low | ((1u128 << host) - 1) };
        let start = addresses.partition_point(|(bits, _, _)| *bits < low);
        for (bits, prefix, id) in &addresses[start..] {
            if *bits > high {
                break;
            }
            if *prefix >= value.prefix() {
                out.push(*id);
            }
        }
    }
}

impl Literals {
    fn probe(&self, text: &str, out: &mut Vec<u32>) {
        let mut found: Vec<usize> = Vec::new();
        for hit in self.automaton.find_overlapping_iter(text) {
            if found.len() == MAX_LITERAL_MATCHES {
                out.extend_from_slice(&self.all);
                return;
            }
            found.push(hit.pattern().as_usize());
        }
        found.sort_unstable();
        found.dedup();
        for literal in found {
            out.extend_from_slice(&self.patterns[literal]);
        }
    }
}

/// Collects the literal keys of one path.
#[derive(Default)]
struct LiteralsBuilder {
    /// Literal → its position in `patterns`.
    positions: HashMap<Vec<u8>, usize>,
    literals: Vec<Vec<u8>>,
    patterns: Vec<Vec<u32>>,
}

impl LiteralsBuilder {
    fn add(&mut self, literal: Vec<u8>, id: u32) {
        let position = *self.positions.entry(literal.clone()).or_insert_with(|| {
            self.literals.push(literal);
            self.patterns.push(Vec::new());
            self.patterns.len() - 1
        });
        if self.patterns[position].last() != Some(&id) {
            self.patterns[position].push(id);
        }
    }

    /// The index, or the patterns it would have held if the automaton cannot be built.
    fn build(self) -> Result<Literals, Vec<u32>> {
        let mut all: Vec<u32> = self.patterns.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        // Overlapping search needs the standard match semantics.
        match AhoCorasick::builder().match_kind(MatchKind::Standard).build(&self.literals) {
            Ok(automaton) => Ok(Literals { automaton, patterns: self.patterns, all }),
            Err(_) => Err(all),
        }
    }
}
