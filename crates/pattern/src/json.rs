//! `Json`: a JSON tree borrowed from its text, for evaluating patterns over data that arrives as
//! JSON without building a `serde_json::Value` (whose maps cost an allocation per entry and
//! whose parse costs more than most evaluations).
//!
//! Strings without escapes point into the input; objects are vectors in input order, each key
//! once (a key given twice keeps its last value, as `serde_json::Value` does; STIX objects are
//! small, so members are found by a linear scan). The parser reads the structure,
//! plain strings and plain integers itself; a string with escapes and any other number are
//! handed to serde_json, so that they read exactly as in a `serde_json::Value` (escapes,
//! surrogates, float rounding, `-0`, integers beyond 64 bits). It accepts what serde_json
//! accepts, nesting included (at most [`MAX_JSON_DEPTH`] levels).

use std::borrow::Cow;

use crate::view::{ObjectView, Value};

/// Lists and objects nest at most this deep (serde_json's limit).
pub const MAX_JSON_DEPTH: usize = 127;

/// A JSON value borrowed from the text it was parsed from.
#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    String(Cow<'a, str>),
    /// A list.
    List(Vec<Json<'a>>),
    /// An object: its members in the order given, each key once (the last value given).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// Why a text is not JSON.
#[derive(Debug, thiserror::Error)]
#[error("{} at byte {}", .0.0, .0.1)]
pub struct JsonError(Box<(String, usize)>);

impl<'a> Json<'a> {
    /// Parses one JSON document (whitespace around it allowed, nothing else).
    pub fn parse(text: &'a str) -> Result<Json<'a>, JsonError> {
        let mut parser =
            Parser { text, bytes: text.as_bytes(), pos: 0, items: Vec::new(), entries: Vec::new() };
        parser.whitespace();
        let value = parser.value(0)?;
        parser.whitespace();
        if parser.pos < text.len() {
            return Err(parser.error("trailing characters after the JSON value"));
        }
        Ok(value)
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The items of the lists being read, innermost last (one buffer for all, so that each
    /// list is allocated once, at its size).
    items: Vec<Json<'a>>,
    /// The same for the members of objects.
    entries: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> JsonError {
        JsonError(Box::new((message.to_owned(), self.pos)))
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then expects `byte`.
    fn expect(&mut self, byte: u8, message: &str) -> Result<(), JsonError> {
        self.whitespace();
        if self.bytes.get(self.pos) != Some(&byte) {
            return Err(self.error(message));
        }
        self.pos += 1;
        Ok(())
    }

    /// A value starting at `pos`, inside `depth` lists and objects.
    fn value(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.list(depth + 1),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn literal(&mut self, word: &str, value: Json<'a>) -> Result<Json<'a>, JsonError> {
        if !self.bytes[self.pos..].starts_with(word.as_bytes()) {
            return Err(self.error("expected a JSON value"));
        }
        self.pos += word.len();
        Ok(value)
    }

    fn nested(&self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.error("lists and objects nest too deeply"));
        }
        Ok(())
    }

    fn list(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        self.nested(depth)?;
        self.pos += 1;
        self.whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::List(Vec::new()));
        }
        let mark = self.items.len();
        loop {
            self.whitespace();
            let item = self.value(depth)?;
            self.items.push(item);
            self.whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::List(self.items.drain(mark..).collect()));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        self.nested(depth)?;
        self.pos += 1;
        self.whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Object(Vec::new()));
        }
        let mark = self.entries.len();
        loop {
            self.whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.expect(b':', "expected `:`")?;
            self.whitespace();
            // Most members are strings: no detour through `value`.
            let value = match self.bytes.get(self.pos) {
                Some(b'"') => Json::String(self.string()?),
                _ => self.value(depth)?,
            };
            self.entries.push((key, value));
            self.whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
        let mut members: Vec<(Cow<'a, str>, Json<'a>)> = self.entries.drain(mark..).collect();
        remove_repeated_keys(&mut members);
        Ok(Json::Object(members))
    }

    /// A string starting at the quote at `pos`.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        let start = self.pos;
        let mut end = special(self.bytes, start + 1);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&self.text[start + 1..end]));
        }
        loop {
            match self.bytes.get(end) {
                Some(b'"') => break,
                Some(b'\\') => end += 2,
                Some(&c) if c < 0x20 => {
                    self.pos = end;
                    return Err(self.error("control character in a string"));
                }
                Some(_) => end += 1,
                None => {
                    self.pos = self.bytes.len();
                    return Err(self.error("unterminated string"));
                }
            }
        }
        self.pos = end + 1;
        // Escapes: `end` is at a quote, so a character boundary.
        serde_json::from_str::<String>(&self.text[start..=end])
            .map(Cow::Owned)
            .map_err(|e| JsonError(Box::new((format!("invalid string: {e}"), start))))
    }

    fn number(&mut self) -> Result<Json<'a>, JsonError> {
        let start = self.pos;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        let (negative, digits) = match token.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, token),
        };
        let plain = !digits.is_empty()
            && digits.len() <= 18
            && digits.bytes().all(|c| c.is_ascii_digit())
            && (digits == "0" && !negative || !digits.starts_with('0'));
        if plain {
            // At most 18 digits: no overflow.
            let n = digits.bytes().fold(0i64, |n, c| n * 10 + i64::from(c - b'0'));
            return Ok(Json::Int(if negative { -n } else { n }));
        }
        // Fractions, exponents, `-0`, long integers and malformed numbers: as serde_json reads
        // them (and as `ObjectView for serde_json::Value` sees them).
        let number = serde_json::from_str::<serde_json::Number>(token)
            .map_err(|e| JsonError(Box::new((format!("invalid number: {e}"), start))))?;
        Ok(match number.as_i64() {
            Some(n) => Json::Int(n),
            None => Json::Float(number.as_f64().unwrap_or(f64::NAN)),
        })
    }
}

/// String equality that compares lengths and first bytes before calling `memcmp` (member keys
/// of one length often differ in their first byte: `type`, `name`, `size`).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// Keeps the last of the members that have the same key (as `serde_json::Value` does), the
/// others in order.
fn remove_repeated_keys(members: &mut Vec<(Cow<'_, str>, Json<'_>)>) {
    let repeated = if members.len() <= 16 {
        // Few members: comparing each with the ones after it is cheapest (keys of different
        // lengths differ at once).
        (0..members.len()).any(|i| members[i + 1..].iter().any(|m| same(&m.0, &members[i].0)))
    } else {
        let mut keys: Vec<&str> = members.iter().map(|m| m.0.as_ref()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|pair| pair[0] == pair[1])
    };
    if !repeated {
        return;
    }
    let mut last: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, member) in members.iter().enumerate() {
        last.insert(member.0.as_ref(), i);
    }
    let keep: Vec<bool> =
        members.iter().enumerate().map(|(i, m)| last[m.0.as_ref()] == i).collect();
    let mut position = 0;
    members.retain(|_| {
        position += 1;
        keep[position - 1]
    });
}

/// The index of the first `"`, `\\` or control character in `bytes` at or after `from` (or the
/// length), eight bytes at a time.
fn special(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x ^ (ONES * b)` is zero where `x` has `b`; `(v - ONES * n) & !v & HIGH` flags
    // bytes below `n`. A flag above a flagged byte may be false (a borrow), the lowest never.
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    while let Some(window) = bytes.get(from..from + 8) {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(window);
        let x = u64::from_le_bytes(chunk);
        let found = below(x ^ (ONES * 0x22), 1) | below(x ^ (ONES * 0x5c), 1) | below(x, 0x20);
        if found != 0 {
            return from + found.trailing_zeros() as usize / 8;
        }
        from += 8;
    }
    while let Some(&c) = bytes.get(from) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return from;
        }
        from += 1;
    }
    from
}

impl ObjectView for Json<'_> {
    fn value(&self) -> Value<'_> {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(n) => Value::Int(*n),
            Json::Float(x) => Value::Float(*x),
            Json::String(s) => Value::String(s),
            Json::List(_) => Value::List,
            Json::Object(_) => Value::Object,
        }
    }

    fn get(&self, key: &str) -> Option<&Self> {
        let Json::Object(members) = self else { return None };
        members.iter().find(|(k, _)| same(k, key)).map(|(_, value)| value)
    }

    fn at(&self, index: usize) -> Option<&Self> {
        match self {
            Json::List(items) => items.get(index),
            _ => None,
        }
    }

    fn list_len(&self) -> usize {
        match self {
            Json::List(items) => items.len(),
            _ => 0,
        }
    }

    fn for_each_member<'b>(&'b self, f: &mut dyn FnMut(&'b str, &'b Self)) {
        if let Json::Object(entries) = self {
            for (key, value) in entries {
                f(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Json;
    use crate::view::ObjectView;

    /// The same walk over both views, as text, to compare them.
    fn render<V: ObjectView>(view: &V) -> String {
        use crate::view::Value;
        match view.value() {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => format!("i{n}"),
            Value::Float(x) => format!("f{x:?}"),
            Value::String(s) => format!("{s:?}"),
            Value::List => {
                let items: Vec<String> =
                    (0..view.list_len()).map(|i| render(view.at(i).unwrap())).collect();
                format!("[{}]", items.join(","))
            }
            Value::Object => {
                let mut members = Vec::new();
                view.for_each_member(&mut |key, value| {
                    assert!(std::ptr::eq(view.get(key).unwrap(), value), "get({key:?})");
                    members.push(format!("{key:?}:{}", render(value)));
                });
                // `serde_json::Value` keeps its members sorted; `Json`, in input order.
                members.sort();
                format!("{{{}}}", members.join(","))
            }
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let text = r#"{"b": [1, -2, 18446744073709551615, 1.0, 1e2, -0, "x\"y", null, true],
            "a": {"k": 1, "k": 2, "\u0041": "é", "A": 3}, "": {}}"#;
        let ours = Json::parse(text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(render(&ours), render(&theirs));
        assert!(matches!(ours.get("b").unwrap().at(6).unwrap(), Json::String(s) if s == "x\"y"));
        assert!(matches!(ours.get("a").unwrap(), Json::Object(e) if e.len() == 2));
    }

    #[test]
    fn accepts_and_rejects_what_serde_json_does() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        let members: Vec<String> = (0..20).map(|k| format!("\"k{k}\":{k}")).collect();
        let large = format!("{{{},\"k3\":\"again\",\"k0\":[],\"k3\":null}}", members.join(","));
        let cases = [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "[,1]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{1:2}",
            "1 2",
            "[1 2]",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\ud83d\\ude00\"",
            "\"\\u0000\"",
            "\"a\u{1}b\"",
            "\"\t\"",
            "\"abc",
            "\"\\",
            "-",
            "--1",
            "+1",
            ".5",
            "1.",
            "1.e5",
            "01",
            "-01",
            "00",
            "0",
            "-0",
            "-0.0",
            "1e400",
            "-1e400",
            "1e-400",
            "1E+2",
            "1e",
            "1.5.5",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678",
            "1234567890123456789",
            "tru",
            "true",
            "truex",
            "nul",
            "[true,false,null]",
            "\u{feff}1",
            "\t\r\n 1 \n",
            "[1]x",
            "{\"a\":{\"b\":[]},\"a\":2}",
            &large,
            &deep(127),
            &deep(128),
            &deep(1000),
        ];
        for text in cases {
            let theirs = serde_json::from_str::<serde_json::Value>(text);
            match Json::parse(text) {
                Ok(ours) => {
                    let theirs =
                        theirs.unwrap_or_else(|e| panic!("{text:?}: only serde_json fails: {e}"));
                    assert_eq!(render(&ours), render(&theirs), "{text:?}");
                }
                Err(error) => assert!(theirs.is_err(), "{text:?}: only we fail: {error}"),
            }
        }
        insta::assert_snapshot!(Json::parse("[1,]").unwrap_err(), @"expected a JSON value at byte 3");
        insta::assert_snapshot!(Json::parse(&deep(128)).unwrap_err(), @"lists and objects nest too deeply at byte 127");
    }

    proptest! {
        /// The eight-bytes-at-a-time search finds what a byte loop finds.
        #[test]
        fn special_bytes(bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), Just(0u8), Just(0x1f), Just(0x20), Just(0x21),
                Just(0x5b), Just(0x7f), Just(0x80), Just(0xff), Just(b'a')],
            0..40,
        )) {
            for from in 0..=bytes.len() {
                let expected = bytes[from..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                prop_assert_eq!(super::special(&bytes, from), expected.map_or(bytes.len(), |i| from + i));
            }
        }
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<i64>().prop_map(J::from),
            any::<u64>().prop_map(J::from),
            (-1e6f64..1e6).prop_map(J::from),
            "[a-c\"\\\\é\u{1}\u{1F600}]{0,3}".prop_map(J::String),
            any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(J::from),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(J::Array),
                proptest::collection::vec(("[a-c\"]{0,2}", inner), 0..5)
                    .prop_map(|members| J::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON text reads the same through both views, keys repeated or not.
        #[test]
        fn agrees_with_serde_json(value in json(), repeat in any::<bool>(), pretty in any::<bool>()) {
            let mut text =
                if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
            if repeat && text.starts_with("{\"") {
                // Keys given more than once: the last value wins.
                text = format!("{{\"a\":0,\"a\":[1],{}", &text[1..]);
            }
            let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(render(&Json::parse(&text).unwrap()), render(&theirs), "{}", text);
        }
    }
}
