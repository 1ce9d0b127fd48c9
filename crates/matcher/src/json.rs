//! A small JSON walker for log lines (Zeek JSON, Suricata EVE): it visits every string and number
//! with the dotted path of object keys leading to it (array indices are left out, so
//! `{"dns":{"answers":[{"rdata":"x"}]}}` gives `dns.answers.rdata`), without building a tree and
//! without allocating per line. Strings are unescaped only when they hold an escape.
//!
//! It checks the syntax it walks (RFC 8259) and stops at the first error; nesting is limited to
//! [`MAX_DEPTH`]. [`Walker::walk_some`] visits only the paths a `keep` test wants: the values
//! under other keys are still checked, with the same errors, but their paths are not built and
//! nothing is visited (an EVE flow event's `flow` object, most of an alert).

/// How deep objects and arrays may nest.
pub(crate) const MAX_DEPTH: usize = 64;

/// A scalar found in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leaf<'a> {
    /// A string, unescaped.
    Str(&'a [u8]),
    /// A number, as written.
    Number(&'a [u8]),
}

/// Reusable buffers. One per thread.
#[derive(Debug, Default)]
pub(crate) struct Walker {
    path: Vec<u8>,
    unescaped: Vec<u8>,
}

impl Walker {
    /// Walks one JSON object, calling `visit(path, leaf)` for each string and number inside it.
    pub(crate) fn walk(
        &mut self,
        text: &[u8],
        mut visit: impl FnMut(&[u8], Leaf<'_>),
    ) -> Result<(), String> {
        self.walk_some(text, |_| Some(()), |path, (), leaf| visit(path, leaf))
    }

    /// Walks one JSON object like [`Walker::walk`], but visits a value only when `keep` gives
    /// a tag for its path and for every path above it (`keep(b"dns")` for `dns.rrname`): `keep`
    /// must give one for the prefixes of every path wanted. The tag is handed to `visit` with
    /// the value, so that what `keep` found out about a path is not worked out again.
    ///
    /// Generic rather than `dyn`, so that both are inlined into the walk: they run for every
    /// key and value of every line.
    pub(crate) fn walk_some<T: Copy>(
        &mut self,
        text: &[u8],
        keep: impl Fn(&[u8]) -> Option<T>,
        visit: impl FnMut(&[u8], T, Leaf<'_>),
    ) -> Result<(), String> {
        self.path.clear();
        let mut p = Parser { text, pos: 0, walker: self, keep, visit };
        p.skip_ws();
        if p.peek() != Some(b'{') {
            return Err("a JSON object was expected".to_owned());
        }
        p.object(0, true)?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(format!("unexpected data after the JSON object at byte {}", p.pos));
        }
        Ok(())
    }
}

struct Parser<'t, 'w, K, V> {
    text: &'t [u8],
    pos: usize,
    walker: &'w mut Walker,
    keep: K,
    visit: V,
}

impl<'t, T, K, V> Parser<'t, '_, K, V>
where
    T: Copy,
    K: Fn(&[u8]) -> Option<T>,
    V: FnMut(&[u8], T, Leaf<'_>),
{
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    #[cold]
    fn error<U>(&self, what: &str) -> Result<U, String> {
        match self.peek() {
            Some(c) if c.is_ascii_graphic() => {
                Err(format!("{what} at byte {}, found `{}`", self.pos, char::from(c)))
            }
            Some(c) => Err(format!("{what} at byte {}, found byte 0x{c:02x}", self.pos)),
            None => Err(format!("{what} at byte {}, found the end of the line", self.pos)),
        }
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.error(what)
        }
    }

    /// Reads one value; `tag` is what `keep` gave for its path (none: not visited). `direct`
    /// is its path when that is a top-level key not yet copied into the walker's path.
    #[inline(always)]
    fn value(
        &mut self,
        depth: usize,
        tag: Option<T>,
        direct: Option<&'t [u8]>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("JSON nested deeper than {MAX_DEPTH} levels"));
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.container(depth, tag, direct, true),
            Some(b'[') => self.container(depth, tag, direct, false),
            Some(b'"') => {
                let string = self.string()?;
                if let Some(tag) = tag {
                    let path = direct.unwrap_or(&self.walker.path);
                    match string {
                        Some(raw) => (self.visit)(path, tag, Leaf::Str(raw)),
                        None => (self.visit)(path, tag, Leaf::Str(&self.walker.unescaped)),
                    }
                }
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let number = self.number()?;
                if let Some(tag) = tag {
                    (self.visit)(direct.unwrap_or(&self.walker.path), tag, Leaf::Number(number));
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => self.error("expected a JSON value"),
        }
    }

    /// An object or array value: a top-level key's path is copied into the walker's path only
    /// here, when it holds a container.
    #[inline(always)]
    fn container(
        &mut self,
        depth: usize,
        tag: Option<T>,
        direct: Option<&'t [u8]>,
        object: bool,
    ) -> Result<(), String> {
        if let Some(key) = direct {
            // The caller truncates the path back.
            self.walker.path.extend_from_slice(key);
        }
        if object { self.object(depth, tag.is_some()) } else { self.array(depth, tag) }
    }

    /// Reads an object at `{`; `wanted` says whether its members' paths are asked about.
    /// Recursion goes through here and [`Parser::array`], so that scalar values are read
    /// inline rather than by a call each.
    #[inline(never)]
    fn object(&mut self, depth: usize, wanted: bool) -> Result<(), String> {
        if self.open(b'}') {
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return self.error("expected a key");
            }
            let outer = self.walker.path.len();
            let key = self.string()?;
            let mut tag = None;
            let mut direct = None;
            if wanted && outer == 0 && key.is_some() {
                // A top-level key is its own path: no copy unless it holds a container.
                tag = key.and_then(|raw| (self.keep)(raw));
                direct = key.filter(|_| tag.is_some());
            } else if wanted {
                if outer > 0 {
                    self.walker.path.push(b'.');
                }
                match key {
                    Some(raw) => self.walker.path.extend_from_slice(raw),
                    None => {
                        let Walker { path, unescaped } = &mut *self.walker;
                        path.extend_from_slice(unescaped);
                    }
                }
                tag = (self.keep)(&self.walker.path);
            }
            self.expect(b':', "expected `:` after a key")?;
            self.value(depth + 1, tag, direct)?;
            self.walker.path.truncate(outer);
            if self.next_or_close(b'}', "expected `,` or `}` in an object")? {
                return Ok(());
            }
        }
    }

    /// Reads an array at `[`; its elements have its path, and so its tag.
    #[inline(never)]
    fn array(&mut self, depth: usize, tag: Option<T>) -> Result<(), String> {
        if self.open(b']') {
            return Ok(());
        }
        loop {
            self.value(depth + 1, tag, None)?;
            if self.next_or_close(b']', "expected `,` or `]` in an array")? {
                return Ok(());
            }
        }
    }

    /// Steps over an opening `{` or `[`; whether its container closes at once with `close`.
    #[inline(always)]
    fn open(&mut self, close: u8) -> bool {
        self.pos += 1;
        self.skip_ws();
        let empty = self.peek() == Some(close);
        if empty {
            self.pos += 1;
        }
        empty
    }

    /// After a member or an element: steps over a `,` (false) or the closing `close` (true).
    #[inline(always)]
    fn next_or_close(&mut self, close: u8, what: &str) -> Result<bool, String> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => self.error(what),
        }
    }

    /// Reads a number (RFC 8259 §6: `-? int frac? exp?`) in one pass. Like a scan of the
    /// longest run of number characters followed by a check of it, a number that its grammar
    /// ends before that run does is bad, and the error points at its start.
    #[inline(always)]
    fn number(&mut self) -> Result<&'t [u8], String> {
        let text = self.text;
        let start = self.pos;
        let digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
        let digits = |mut i: usize| {
            while digit(i) {
                i += 1;
            }
            i
        };
        let mut i = start + usize::from(text.get(start) == Some(&b'-'));
        let mut good = true;
        match text.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => good = false,
        }
        if good && text.get(i) == Some(&b'.') {
            good = digit(i + 1);
            i = digits(i + 1);
        }
        if good && matches!(text.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(text.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            good = digit(i);
            i = digits(i);
        }
        if !good || matches!(text.get(i), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            return self.error("bad number");
        }
        self.pos = i;
        Ok(&text[start..i])
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), String> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.error("expected a JSON value")
        }
    }

    /// Reads a string at `"`. Returns the raw bytes when it holds no escape; otherwise unescapes
    /// into the walker's buffer and returns `None`.
    #[inline(always)]
    fn string(&mut self) -> Result<Option<&'t [u8]>, String> {
        self.pos += 1;
        let start = self.pos;
        let rest = &self.text[start..];
        // The common case: no escape, no control character.
        if let Some(end) = crate::swar::find_string_special(rest)
            && rest[end] == b'"'
        {
            self.pos = start + end + 1;
            return Ok(Some(&rest[..end]));
        }
        self.string_slow(start)
    }

    /// [`Parser::string`] for a string with an escape or a control character, or unterminated.
    #[cold]
    #[inline(never)]
    fn string_slow(&mut self, start: usize) -> Result<Option<&'t [u8]>, String> {
        let rest = &self.text[start..];
        let Some(end) = memchr::memchr2(b'"', b'\\', rest) else {
            return Err(format!("unterminated string starting at byte {}", start - 1));
        };
        if rest[end] == b'"' {
            let raw = &rest[..end];
            if raw.iter().any(|&b| b < 0x20) {
                return Err(format!(
                    "control character in the string starting at byte {}",
                    start - 1
                ));
            }
            self.pos = start + end + 1;
            return Ok(Some(raw));
        }
        let mut out = std::mem::take(&mut self.walker.unescaped);
        out.clear();
        let result = self.unescape(start, &mut out);
        self.walker.unescaped = out;
        result.map(|()| None)
    }

    fn unescape(&mut self, start: usize, out: &mut Vec<u8>) -> Result<(), String> {
        loop {
            let Some(&b) = self.text.get(self.pos) else {
                return Err(format!("unterminated string starting at byte {}", start - 1));
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(()),
                b'\\' => {
                    let Some(&e) = self.text.get(self.pos) else { continue };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code)
                                && self.text[self.pos..].starts_with(b"\\u")
                            {
                                self.pos += 2;
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                } else {
                                    self.pos -= 6;
                                }
                            }
                            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.pos -= 1;
                            return self.error("bad escape in a string");
                        }
                    }
                }
                c if c < 0x20 => {
                    self.pos -= 1;
                    return self.error("control character in a string");
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or_default();
        let code = std::str::from_utf8(digits).ok().and_then(|d| u32::from_str_radix(d, 16).ok());
        match code {
            Some(code) if digits.len() == 4 && digits.iter().all(u8::is_ascii_hexdigit) => {
                self.pos += 4;
                Ok(code)
            }
            _ => self.error("bad `\\u` escape"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[track_caller]
    fn check(text: &str) -> String {
        let mut out = String::new();
        let result = Walker::default().walk(text.as_bytes(), |path, leaf| {
            let (kind, bytes) = match leaf {
                Leaf::Str(s) => ("s", s),
                Leaf::Number(n) => ("n", n),
            };
            out.push_str(&format!(
                "{}={kind}:{} ",
                String::from_utf8_lossy(path),
                String::from_utf8_lossy(bytes)
            ));
        });
        match result {
            Ok(()) => out.trim_end().to_owned(),
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn paths_and_leaves() {
        assert_eq!(
            check(
                r#"{"ts":1.5e3,"id.orig_h":"10.0.0.1","dns":{"answers":[{"rdata":"a"},{"rdata":"b"}],"x":[true,null,-0]}}"#
            ),
            "ts=n:1.5e3 id.orig_h=s:10.0.0.1 dns.answers.rdata=s:a dns.answers.rdata=s:b dns.x=n:-0"
        );
        assert_eq!(check(r#" {"a\u0062":"x\"y\\z\n\u00fc\ud83d\ude00"} "#), "ab=s:x\"y\\z\nü😀");
        assert_eq!(check("{}"), "");
    }

    #[test]
    fn malformed() {
        assert_eq!(check(""), "error: a JSON object was expected");
        assert_eq!(check("[1]"), "error: a JSON object was expected");
        assert_eq!(
            check(r#"{"a":1"#),
            "error: expected `,` or `}` in an object at byte 6, found the end of the line"
        );
        assert_eq!(check(r#"{"a":"b}"#), "error: unterminated string starting at byte 5");
        assert_eq!(check(r#"{"a":01}"#), "error: bad number at byte 5, found `0`");
        assert_eq!(check(r#"{"a":tru}"#), "error: expected a JSON value at byte 5, found `t`");
        assert_eq!(check(r#"{"a":"\x"}"#), "error: bad escape in a string at byte 7, found `x`");
        assert_eq!(check(r#"{"a":1} x"#), "error: unexpected data after the JSON object at byte 8");
        assert_eq!(
            check(&format!("{}{}", "{\"a\":".repeat(70), "}".repeat(70))),
            "error: JSON nested deeper than 64 levels"
        );
    }

    /// Every (path, leaf) a walk visits on a path with an EVE role, or its error.
    fn eve_visits(text: &[u8], only_wanted: bool) -> Result<Vec<(Vec<u8>, String)>, String> {
        let mut out = Vec::new();
        let mut walker = Walker::default();
        let mut visit = |path: &[u8], leaf: Leaf<'_>| {
            let leaf = match leaf {
                Leaf::Str(s) => format!("s:{}", String::from_utf8_lossy(s)),
                Leaf::Number(n) => format!("n:{}", String::from_utf8_lossy(n)),
            };
            if crate::role::eve(path).is_some() {
                out.push((path.to_vec(), leaf));
            }
        };
        if only_wanted {
            walker.walk_some(text, crate::role::eve_want, |path, _, leaf| visit(path, leaf))?;
        } else {
            walker.walk(text, &mut visit)?;
        }
        Ok(out)
    }

    /// JSON text for EVE-like objects: keys that have roles and others, escaped keys and
    /// values, nested objects and arrays, whitespace.
    fn eve_json() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just(r#""timestamp""#),
            Just(r#""src_ip""#),
            Just(r#""dest_ip""#),
            Just(r#""dns""#),
            Just(r#""rrname""#),
            Just(r#""answers""#),
            Just(r#""rdata""#),
            Just(r#""queries""#),
            Just(r#""grouped""#),
            Just(r#""flow""#),
            Just(r#""http""#),
            Just(r#""hostname""#),
            Just(r#""url""#),
            Just(r#""tls""#),
            Just(r#""sni""#),
            Just(r#""fileinfo""#),
            Just(r#""md5""#),
            Just(r#""src\u005fip""#),
            Just(r#""d\"ns""#),
            Just(r#""""#),
        ];
        let leaf = prop_oneof![
            Just(r#""evil.example""#),
            Just(r#""198.51.100.7""#),
            Just(r#""a\"b""#),
            Just(r#""\u00e9\ud83d\ude00""#),
            Just(r#""x\ny\t\\""#),
            Just(r#""\/path""#),
            Just(r#""""#),
            Just(r#""\"src_ip\":""#),
            Just("-1.5e3"),
            Just("0"),
            Just("true"),
            Just("null"),
        ]
        .prop_map(str::to_owned);
        let value = leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                proptest::collection::vec((key.clone(), inner), 0..6).prop_map(|members| {
                    let members: Vec<String> =
                        members.into_iter().map(|(k, v)| format!("{k} : {v}")).collect();
                    format!("{{ {} }}", members.join(","))
                }),
            ]
        });
        (value.clone(), value).prop_map(|(dns, other)| {
            format!(r#"{{"timestamp":"t","src_ip":"10.0.0.1","dns":{dns},"flow":{other},"dest_ip":{dns}}}"#)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Walking only the EVE paths that matter visits exactly what a full walk visits on the
        /// paths with a role, and fails exactly when and how the full walk fails, also on cut or
        /// damaged lines.
        #[test]
        fn eve_walk_visits_what_a_full_walk_visits(
            text in eve_json(),
            cut in proptest::option::of(0usize..400),
            damage in proptest::option::of((0usize..400, any::<u8>())),
        ) {
            let mut bytes = text.into_bytes();
            if let Some((at, byte)) = damage && at < bytes.len() {
                bytes[at] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut);
            }
            prop_assert_eq!(eve_visits(&bytes, true), eve_visits(&bytes, false));
        }
    }

    proptest! {
        /// Numbers are accepted exactly when they follow RFC 8259's grammar (§6, as a regular
        /// expression), and visited as written.
        #[test]
        fn numbers_follow_the_grammar(number in "[-+.eE0-9]{1,7}", after in prop_oneof![Just("}"), Just(" }"), Just(",\"b\":1}")]) {
            let grammar = regex_automata::meta::Regex::new(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$").unwrap();
            let text = format!("{{\"a\":{number}{after}");
            prop_assert_eq!(check(&text).starts_with(&format!("a=n:{number}")), grammar.is_match(&number), "{}", check(&text));
        }
    }

    #[test]
    fn eve_walk_skips_unwanted_values_but_checks_them() {
        let line = br#"{"timestamp":"t","flow":{"src_ip":"1.2.3.4"},"dns":{"rrname":"a\u002eexample","answers":[{"rdata":"b"}],"x":{"rrname":"c"}},"src_ip":"10.0.0.1"}"#;
        let mut seen = Vec::new();
        Walker::default()
            .walk_some(line, crate::role::eve_want, |path, _, leaf| {
                let Leaf::Str(value) = leaf else { return };
                seen.push(format!(
                    "{}={}",
                    String::from_utf8_lossy(path),
                    String::from_utf8_lossy(value)
                ));
            })
            .unwrap();
        assert_eq!(
            seen,
            ["timestamp=t", "dns.rrname=a.example", "dns.answers.rdata=b", "src_ip=10.0.0.1"]
        );
        let broken = br#"{"flow":{"state":"a\qb"},"src_ip":"10.0.0.1"}"#;
        let error =
            Walker::default().walk_some(broken, crate::role::eve_want, |_, _, _| {}).unwrap_err();
        assert_eq!(error, "bad escape in a string at byte 20, found `q`");
    }
}
