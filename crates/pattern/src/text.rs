//! `LIKE` and `MATCHES`: string tests that cost no more to compile than they must.
//!
//! `LIKE` (SQL semantics, STIX 2.1 §9 "Comparison Operators": `%` any run of characters, `_`
//! any one character) is a glob and is matched without a regex: the part before the first `%`
//! is matched at the start, the part after the last `%` at the end, and each part in between
//! at its leftmost occurrence after the previous one (exact for `%`-separated parts of fixed
//! length). Only a `_` inside a middle part needs an automaton.
//!
//! `MATCHES` regexes that are a literal, optionally anchored with `^`/`$`, or a choice of
//! literals, are matched by substring search. The others become a Thompson NFA without
//! capture groups, built by a per-thread compiler (which keeps its scratch tables between
//! builds), and run with the bounded backtracker on short values and the lazy DFA, else the
//! PikeVM, on long ones: every engine is linear in the length of the value.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use memchr::memmem::Finder;
use regex_automata::Input;
use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, NFA, WhichCaptures, backtrack, pikevm};
use regex_automata::util::pool::Pool;
use regex_syntax::hir::{Hir, HirKind, Look};

use crate::error::Error;
use crate::eval::MAX_REGEX_BYTES;

/// Values longer than this are searched with the lazy DFA rather than the backtracker.
const SHORT_VALUE: usize = 4096;

/// A compiled `LIKE` pattern.
#[derive(Debug)]
pub(crate) struct Like {
    /// The pattern split at `%`: the first part is anchored at the start, the last at the end.
    parts: Vec<Part>,
    /// The pattern as a regex, when a middle part has a `_` (leftmost search of such a part is
    /// not linear without an automaton).
    regex: Option<Arc<Regex>>,
}

/// A part of a `LIKE` pattern between two `%`.
#[derive(Debug)]
struct Part {
    atoms: Vec<Atom>,
    /// How many characters the part matches.
    chars: usize,
    /// For a middle part without `_`: its text, for substring search.
    finder: Option<Finder<'static>>,
}

#[derive(Debug)]
enum Atom {
    Text(String),
    /// `_` repeated this many times.
    Any(usize),
}

impl Like {
    pub(crate) fn new(like: &str) -> Result<Like, Error> {
        let count = like.split('%').count();
        // The first and last parts are matched in place; the others are searched for.
        let parts: Vec<Part> = like
            .split('%')
            .enumerate()
            .map(|(i, part)| Part::new(part, i > 0 && i + 1 < count))
            .collect();
        let wildcard_inside =
            parts.len() > 2 && parts[1..parts.len() - 1].iter().any(|part| part.finder.is_none());
        let regex = if wildcard_inside { Some(like_regex(like)?) } else { None };
        Ok(Like { parts, regex })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        if let Some(regex) = &self.regex {
            return regex.is_match(text);
        }
        let Some((first, rest)) = self.parts.split_first() else { return false };
        let Some(mut position) = first.match_at(text, 0) else { return false };
        let Some((last, middle)) = rest.split_last() else { return position == text.len() };
        for part in middle {
            match part.find(text, position) {
                Some(end) => position = end,
                None => return false,
            }
        }
        match last.start_from_end(text) {
            Some(start) if start >= position => last.match_at(text, start) == Some(text.len()),
            _ => false,
        }
    }

    /// The literal text runs of the pattern (what any matching value contains).
    pub(crate) fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().flat_map(|part| {
            part.atoms.iter().filter_map(|atom| match atom {
                Atom::Text(text) => Some(text.as_str()),
                Atom::Any(_) => None,
            })
        })
    }
}

impl Part {
    fn new(text: &str, searched: bool) -> Part {
        let mut atoms = Vec::new();
        let mut chars = 0;
        for (i, run) in text.split('_').enumerate() {
            if i > 0 {
                chars += 1;
                match atoms.last_mut() {
                    Some(Atom::Any(n)) => *n += 1,
                    _ => atoms.push(Atom::Any(1)),
                }
            }
            if !run.is_empty() {
                chars += run.chars().count();
                atoms.push(Atom::Text(run.to_owned()));
            }
        }
        let finder = match atoms.as_slice() {
            _ if !searched => None,
            [] => Some(Finder::new(b"").into_owned()),
            [Atom::Text(text)] => Some(Finder::new(text.as_bytes()).into_owned()),
            _ => None,
        };
        Part { atoms, chars, finder }
    }

    /// Where the part ends when it starts at byte `start` of `text`.
    fn match_at(&self, text: &str, mut start: usize) -> Option<usize> {
        for atom in &self.atoms {
            match atom {
                Atom::Text(literal) => {
                    if !text.get(start..)?.starts_with(literal.as_str()) {
                        return None;
                    }
                    start += literal.len();
                }
                Atom::Any(n) => {
                    let mut chars = text.get(start..)?.chars();
                    for _ in 0..*n {
                        start += chars.next()?.len_utf8();
                    }
                }
            }
        }
        Some(start)
    }

    /// Where the leftmost occurrence at or after `from` ends (parts without `_` only).
    fn find(&self, text: &str, from: usize) -> Option<usize> {
        let finder = self.finder.as_ref()?;
        let found = finder.find(text.get(from..)?.as_bytes())?;
        Some(from + found + finder.needle().len())
    }

    /// Where the part must start to end at the end of `text`.
    fn start_from_end(&self, text: &str) -> Option<usize> {
        if self.chars == 0 {
            return Some(text.len());
        }
        text.char_indices().rev().nth(self.chars - 1).map(|(i, _)| i)
    }
}

/// `LIKE` as a regex: anchored at both ends, `%` any run of characters, `_` any one character.
fn like_regex(like: &str) -> Result<Arc<Regex>, Error> {
    let mut source = String::from("(?s)^");
    for c in like.chars() {
        match c {
            '%' => source.push_str(".*"),
            '_' => source.push('.'),
            c => source.push_str(&regex_syntax::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    source.push('$');
    Regex::shared(&source, like)
}

/// A compiled `MATCHES` regex (or the automaton of a `LIKE`).
pub(crate) struct Regex {
    engine: Engine,
    /// The regex's syntax tree, for the literals every match contains.
    hir: Hir,
}

enum Engine {
    /// A literal; with `start`/`end`, anchored there.
    Literal {
        finder: Box<Finder<'static>>,
        start: bool,
        end: bool,
    },
    /// Any of these literals, anywhere.
    AnyOf(Vec<Finder<'static>>),
    Automaton(Box<Automaton>),
}

/// Per-thread compiler: it keeps the scratch tables (tens of kilobytes for Unicode classes)
/// that building each NFA from scratch would allocate and clear again.
fn compiler() -> thompson::Compiler {
    let mut compiler = thompson::Compiler::new();
    compiler.configure(
        NFA::config().which_captures(WhichCaptures::Implicit).nfa_size_limit(Some(MAX_REGEX_BYTES)),
    );
    compiler
}

/// How many compiled regexes each thread keeps for reuse.
const CACHED_REGEXES: usize = 512;

/// Regexes longer than this are not kept.
const CACHED_REGEX_BYTES: usize = 4096;

thread_local! {
    static COMPILER: thompson::Compiler = compiler();
    /// Recently compiled regexes by source: feeds repeat the same few regexes across many
    /// indicators (the regex crates' users and Python's `re` keep such caches too).
    static CACHE: RefCell<HashMap<String, Arc<Regex>>> = RefCell::new(HashMap::new());
}

impl Regex {
    /// [`Regex::new`], shared with earlier compilations of the same source on this thread.
    pub(crate) fn shared(source: &str, written: &str) -> Result<Arc<Regex>, Error> {
        if let Some(regex) = CACHE.with(|cache| cache.borrow().get(source).cloned()) {
            return Ok(regex);
        }
        let regex = Arc::new(Regex::new(source, written)?);
        if source.len() <= CACHED_REGEX_BYTES {
            CACHE.with(|cache| {
                let mut cache = cache.borrow_mut();
                if cache.len() >= CACHED_REGEXES {
                    cache.clear();
                }
                cache.insert(source.to_owned(), Arc::clone(&regex));
            });
        }
        Ok(regex)
    }

    /// Parses and compiles `source`; `written` is the regex as the pattern gave it, for errors.
    pub(crate) fn new(source: &str, written: &str) -> Result<Regex, Error> {
        use regex_syntax::ast::ErrorKind;
        if let Some(reason) = pcre_only(source) {
            return Err(Error::UnsupportedRegex {
                regex: written.to_owned(),
                reason: reason.to_owned(),
            });
        }
        let invalid = |reason: String| Error::InvalidRegex { regex: written.to_owned(), reason };
        let ast = regex_syntax::ast::parse::ParserBuilder::new()
            .nest_limit(64)
            .build()
            .parse(source)
            .map_err(|error| {
                let reason = match error.kind() {
                    ErrorKind::UnsupportedBackreference => {
                        Some("back-references are not supported (they cannot run in linear time)")
                    }
                    ErrorKind::UnsupportedLookAround => Some(
                        "look-ahead and look-behind are not supported (they cannot run in linear \
                         time)",
                    ),
                    _ => None,
                };
                match reason {
                    Some(reason) => Error::UnsupportedRegex {
                        regex: written.to_owned(),
                        reason: reason.to_owned(),
                    },
                    None => invalid(error.to_string()),
                }
            })?;
        let hir = regex_syntax::hir::translate::Translator::new()
            .translate(source, &ast)
            .map_err(|error| invalid(error.to_string()))?;
        let engine = match simple(&hir) {
            Some(engine) => engine,
            None => {
                let nfa = COMPILER
                    .with(|compiler| {
                        compiler.build_from_hir(&hir).map_err(|error| match error.size_limit() {
                            Some(limit) => {
                                format!("compiled regex exceeds the size limit of {limit} bytes")
                            }
                            None => error.to_string(),
                        })
                    })
                    .map_err(invalid)?;
                Engine::Automaton(Box::new(Automaton::new(nfa).map_err(invalid)?))
            }
        };
        Ok(Regex { engine, hir })
    }

    /// Whether the regex matches somewhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match &self.engine {
            Engine::Literal { finder, start: true, end: true } => {
                text.as_bytes() == finder.needle()
            }
            Engine::Literal { finder, start: true, end: false } => {
                text.as_bytes().starts_with(finder.needle())
            }
            Engine::Literal { finder, start: false, end: true } => {
                text.as_bytes().ends_with(finder.needle())
            }
            Engine::Literal { finder, start: false, end: false } => {
                finder.find(text.as_bytes()).is_some()
            }
            Engine::AnyOf(finders) => {
                finders.iter().any(|finder| finder.find(text.as_bytes()).is_some())
            }
            Engine::Automaton(automaton) => automaton.is_match(text),
        }
    }

    /// Sets of literals such that every match contains one literal of each set; the caller
    /// picks the set it prefers.
    pub(crate) fn required_literals(&self) -> Vec<Vec<Vec<u8>>> {
        let mut sets = Vec::new();
        required(&self.hir, &mut sets);
        sets
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = match &self.engine {
            Engine::Literal { .. } => "literal",
            Engine::AnyOf(_) => "literals",
            Engine::Automaton(_) => "automaton",
        };
        f.debug_struct("Regex").field("engine", &engine).field("hir", &self.hir).finish()
    }
}

/// The regex without the capture groups around it.
fn bare(hir: &Hir) -> &Hir {
    match hir.kind() {
        HirKind::Capture(capture) => bare(&capture.sub),
        _ => hir,
    }
}

/// Substring search instead of an automaton, for a literal (`abc`, `^abc`, `abc$`, `^abc$`)
/// or a choice of literals (`(dll|pdf)`).
fn simple(hir: &Hir) -> Option<Engine> {
    let hir = bare(hir);
    let literal = |bytes: &[u8], start, end| Engine::Literal {
        finder: Box::new(Finder::new(bytes).into_owned()),
        start,
        end,
    };
    match hir.kind() {
        HirKind::Literal(l) => Some(literal(&l.0, false, false)),
        HirKind::Concat(items) => {
            let items: Vec<&Hir> = items.iter().map(bare).collect();
            let is = |hir: &Hir, look: Look| matches!(hir.kind(), HirKind::Look(l) if *l == look);
            let start = items.first().is_some_and(|h| is(h, Look::Start));
            let end = items.last().is_some_and(|h| is(h, Look::End));
            let middle = &items[usize::from(start)..items.len() - usize::from(end)];
            match middle {
                [] if start && end && items.len() == 2 => Some(literal(b"", true, true)),
                [only] => match only.kind() {
                    HirKind::Literal(l) => Some(literal(&l.0, start, end)),
                    _ => None,
                },
                _ => None,
            }
        }
        HirKind::Alternation(branches) => branches
            .iter()
            .map(|branch| match bare(branch).kind() {
                HirKind::Literal(l) => Some(Finder::new(&l.0).into_owned()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Engine::AnyOf),
        _ => None,
    }
}

/// Adds to `sets` sets of literals such that every match of `hir` contains one of each set.
fn required(hir: &Hir, sets: &mut Vec<Vec<Vec<u8>>>) {
    match hir.kind() {
        HirKind::Literal(l) => sets.push(vec![l.0.to_vec()]),
        HirKind::Capture(capture) => required(&capture.sub, sets),
        HirKind::Repetition(repetition) if repetition.min >= 1 => required(&repetition.sub, sets),
        HirKind::Concat(items) => items.iter().for_each(|item| required(item, sets)),
        HirKind::Alternation(branches) => {
            // One literal from each branch's best set: every match goes through some branch.
            let mut union = Vec::new();
            for branch in branches {
                let mut inner = Vec::new();
                required(branch, &mut inner);
                match inner.into_iter().max_by_key(|set| selectivity(set)) {
                    Some(best) => union.extend(best),
                    None => return,
                }
            }
            sets.push(union);
        }
        _ => {}
    }
}

/// How selective a set of required literals is: the length of its shortest member, then fewer
/// members.
pub(crate) fn selectivity(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest, std::cmp::Reverse(set.len()))
}

/// An NFA with the engines that run it.
struct Automaton {
    backtrack: backtrack::BoundedBacktracker,
    pikevm: pikevm::PikeVM,
    nfa: NFA,
    /// The lazy DFA, built on the first long value (`None` if the NFA has something it cannot
    /// run, such as a Unicode word boundary).
    dfa: OnceLock<Option<hybrid::dfa::DFA>>,
    caches: Pool<Caches, CreateCaches>,
}

struct Caches {
    backtrack: backtrack::Cache,
    pikevm: pikevm::Cache,
    /// The lazy DFA's states, kept between long values (made on the first one).
    dfa: Option<hybrid::dfa::Cache>,
}

type CreateCaches = Box<dyn Fn() -> Caches + Send + Sync>;

impl Automaton {
    fn new(nfa: NFA) -> Result<Automaton, String> {
        let backtrack =
            backtrack::BoundedBacktracker::new_from_nfa(nfa.clone()).map_err(|e| e.to_string())?;
        let pikevm = pikevm::PikeVM::new_from_nfa(nfa.clone()).map_err(|e| e.to_string())?;
        let (b, p) = (backtrack.clone(), pikevm.clone());
        let create: CreateCaches = Box::new(move || Caches {
            backtrack: b.create_cache(),
            pikevm: p.create_cache(),
            dfa: None,
        });
        Ok(Automaton { backtrack, pikevm, nfa, dfa: OnceLock::new(), caches: Pool::new(create) })
    }

    fn is_match(&self, text: &str) -> bool {
        let input = Input::new(text).earliest(true);
        let mut caches = self.caches.get();
        if text.len() <= SHORT_VALUE && text.len() <= self.backtrack.max_haystack_len() {
            if let Ok(found) = self.backtrack.try_is_match(&mut caches.backtrack, input.clone()) {
                return found;
            }
        } else if let Some(dfa) = self.dfa() {
            let cache = caches.dfa.get_or_insert_with(|| dfa.create_cache());
            // It gives up when its cache thrashes or it meets what it cannot decide.
            if let Ok(found) = dfa.try_search_fwd(cache, &input) {
                return found.is_some();
            }
        }
        self.pikevm.is_match(&mut caches.pikevm, input)
    }

    fn dfa(&self) -> Option<&hybrid::dfa::DFA> {
        self.dfa
            .get_or_init(|| {
                hybrid::dfa::DFA::builder()
                    .configure(hybrid::dfa::Config::new().cache_capacity(2 * MAX_REGEX_BYTES))
                    .build_from_nfa(self.nfa.clone())
                    .ok()
            })
            .as_ref()
    }
}

/// PCRE syntax the regex parser would reject as a mere syntax error or, worse, read differently
/// (`a++` is possessive in PCRE, a repeated repetition here): named and relative
/// back-references, atomic groups, possessive quantifiers and recursion.
fn pcre_only(source: &str) -> Option<&'static str> {
    const BACKREFERENCE: &str =
        "back-references are not supported (they cannot run in linear time)";
    let bytes = source.as_bytes();
    let mut class_depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        match rest {
            [b'\\', b'k', b'<' | b'{' | b'\'', ..] | [b'\\', b'g', ..] => {
                return Some(BACKREFERENCE);
            }
            [b'\\', ..] => i += 1,
            [b'[', ..] => class_depth += 1,
            [b']', ..] if class_depth > 0 => class_depth -= 1,
            _ if class_depth > 0 => {}
            [b'(', b'?', b'P', b'=', ..] => return Some(BACKREFERENCE),
            [b'(', b'?', b'>', ..] => {
                return Some(
                    "atomic groups are not supported (they change what backtracking finds)",
                );
            }
            [b'(', b'?', b'R' | b'&' | b'0'..=b'9', ..] => {
                return Some("recursion is not supported (it cannot run in linear time)");
            }
            [b'*' | b'+' | b'?' | b'}', b'+', ..] => {
                return Some(
                    "possessive quantifiers are not supported (they change what backtracking finds)",
                );
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Like, Regex};

    /// The reference: the regex every `LIKE` used to be compiled to.
    fn like_by_regex(like: &str, text: &str) -> bool {
        super::like_regex(like).unwrap().is_match(text)
    }

    /// The reference for `MATCHES`: the general engine of the regex crate family.
    fn matches_by_meta(regex: &str, text: &str) -> bool {
        regex_automata::meta::Regex::new(regex).unwrap().is_match(text)
    }

    #[test]
    fn like_examples() {
        let cases = [
            ("%.exe", "a.exe", true),
            ("%.exe", ".exe", true),
            ("%.exe", "a.exe.txt", false),
            ("a%", "abc", true),
            ("a%", "ba", false),
            ("_.exe", "é.exe", true),
            ("_.exe", "ab.exe", false),
            ("report.___", "report.pdf", true),
            ("report.___", "report.pd", false),
            ("%x%", "box", true),
            ("%x%", "bo", false),
            ("%", "", true),
            ("", "", true),
            ("", "a", false),
            ("a%b%c", "abc", true),
            ("a%b%c", "ac", false),
            ("ab%ba", "aba", false),
            ("a%a", "a", false),
            ("%a_a%", "xaéax", true),
            ("%a_a%", "xaax", false),
            ("_%_", "é", false),
            ("_%_", "éé", true),
            ("%\n%", "a\nb", true),
        ];
        for (like, text, expected) in cases {
            assert_eq!(Like::new(like).unwrap().is_match(text), expected, "{like:?} on {text:?}");
            assert_eq!(like_by_regex(like, text), expected, "{like:?} on {text:?} (regex)");
        }
    }

    #[test]
    fn simple_regexes_take_the_literal_path() {
        for (regex, engine) in [
            ("^a", "literal"),
            ("exe$", "literal"),
            ("^x$", "literal"),
            ("(dll|pdf)", "literals"),
            ("abc", "literal"),
            ("^$", "literal"),
            ("r.*t", "automaton"),
            ("[a-c]\\.", "automaton"),
            ("(?i)abc", "automaton"),
            ("(?m)^a", "automaton"),
        ] {
            let compiled = Regex::new(regex, regex).unwrap();
            assert!(format!("{compiled:?}").contains(&format!("engine: {engine:?}")), "{regex}");
        }
    }

    #[test]
    fn a_thread_compiles_each_regex_once() {
        let first = Regex::shared("^x[0-9]+y$", "^x[0-9]+y$").unwrap();
        let again = Regex::shared("^x[0-9]+y$", "^x[0-9]+y$").unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again));
        // Errors are not kept: each compilation reports its own regex as written.
        let error = Regex::shared("(", "written (").unwrap_err().to_string();
        assert!(error.contains("\"written (\""), "{error}");
    }

    #[test]
    fn long_values_use_the_other_engines() {
        let long = "ab".repeat(10_000);
        // The lazy DFA decides this one.
        let regex = Regex::new("^(a|b)*c$", "").unwrap();
        assert!(regex.is_match(&(long.clone() + "c")));
        assert!(!regex.is_match(&(long.clone() + "cd")));
        // The lazy DFA cannot run a Unicode word boundary; the PikeVM decides.
        let regex = Regex::new("^(a|b)*c\\b", "").unwrap();
        assert!(regex.is_match(&(long.clone() + "c é")));
        assert!(!regex.is_match(&(long + "cé")));
    }

    fn alphabet() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop_oneof![Just('a'), Just('b'), Just('é'), Just('\n')], 0..8)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        /// The glob matcher answers what the regex translation answers.
        #[test]
        fn like_agrees_with_its_regex(
            like in proptest::collection::vec(
                prop_oneof![Just("a"), Just("b"), Just("é"), Just("%"), Just("_"), Just("ab")],
                0..7,
            ),
            text in alphabet(),
        ) {
            let like = like.concat();
            prop_assert_eq!(Like::new(&like).unwrap().is_match(&text), like_by_regex(&like, &text), "{:?} on {:?}", like, text);
        }

        /// Literal shortcuts and the NFA engines answer what the meta regex answers.
        #[test]
        fn regex_agrees_with_meta(
            regex in proptest::collection::vec(
                prop_oneof![
                    Just("a"), Just("b"), Just("é"), Just("^"), Just("$"), Just("."),
                    Just("(a|b)"), Just("(ab|é)"), Just("a*"), Just("[ab]+"), Just("(?i)A"),
                    Just("\\b"), Just("(?m)$"),
                ],
                0..5,
            ),
            text in alphabet(),
        ) {
            let regex = regex.concat();
            let compiled = Regex::new(&regex, &regex).unwrap();
            prop_assert_eq!(compiled.is_match(&text), matches_by_meta(&regex, &text), "{:?} on {:?}", regex, text);
            let long = format!("{}{text}", "x".repeat(super::SHORT_VALUE));
            prop_assert_eq!(compiled.is_match(&long), matches_by_meta(&regex, &long), "{:?} on long {:?}", regex, text);
        }

        /// Every match contains one literal of each required set.
        #[test]
        fn required_literals_are_required(
            regex in proptest::collection::vec(
                prop_oneof![
                    Just("ab"), Just("b"), Just("é"), Just("^"), Just("."), Just("(a|bb)"),
                    Just("(ab|é)+"), Just("a*"), Just("[ab]+"), Just("(?i)A"), Just("x?"),
                ],
                0..5,
            ),
            text in alphabet(),
        ) {
            let regex = regex.concat();
            let compiled = Regex::new(&regex, &regex).unwrap();
            if compiled.is_match(&text) {
                for set in compiled.required_literals() {
                    prop_assert!(
                        set.iter().any(|literal| memchr::memmem::find(text.as_bytes(), literal).is_some()),
                        "{:?} matches {:?} without any of {:?}", regex, text, set
                    );
                }
            }
        }
    }
}
