//! Splits pattern text into tokens, as the STIX 2.1 ANTLR lexer does (longest match wins, and a
//! keyword beats an identifier of the same length).

use crate::ast::Span;
use crate::diagnostic::Diagnostic;

/// A token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Star,
    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not a keyword.
    Ident,
    /// `[a-zA-Z_][a-zA-Z0-9_-]*` with at least one hyphen: only valid as an object type.
    IdentWithHyphen,
    Keyword(Keyword),
    /// `[+]?(0|[1-9][0-9]*)`
    IntPos,
    /// `-(0|[1-9][0-9]*)`
    IntNeg,
    /// `[+]?[0-9]*.[0-9]+`
    FloatPos,
    /// `-[0-9]*.[0-9]+`
    FloatNeg,
    Str,
    Hex,
    Binary,
    Timestamp,
    Bool,
    /// Something the lexer already reported.
    Error,
    /// Any other single character (`+`, `-`, `/`, `^`, …), reported by the parser.
    Other,
    Eof,
}

/// The reserved words of the grammar; they are case-sensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

impl Keyword {
    fn from_text(text: &str) -> Option<Keyword> {
        Some(match text {
            "AND" => Keyword::And,
            "OR" => Keyword::Or,
            "NOT" => Keyword::Not,
            "FOLLOWEDBY" => Keyword::FollowedBy,
            "LIKE" => Keyword::Like,
            "MATCHES" => Keyword::Matches,
            "ISSUPERSET" => Keyword::IsSuperset,
            "ISSUBSET" => Keyword::IsSubset,
            "EXISTS" => Keyword::Exists,
            "LAST" => Keyword::Last,
            "IN" => Keyword::In,
            "START" => Keyword::Start,
            "STOP" => Keyword::Stop,
            "SECONDS" => Keyword::Seconds,
            "WITHIN" => Keyword::Within,
            "REPEATS" => Keyword::Repeats,
            "TIMES" => Keyword::Times,
            _ => return None,
        })
    }

    /// Whether `text` is reserved, so that a path key with this name must be quoted.
    pub(crate) fn is_reserved(text: &str) -> bool {
        Keyword::from_text(text).is_some() || text == "true" || text == "false"
    }
}

/// A token: its kind and where it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) span: Span,
}

/// Splits `text` into tokens, ending with `Eof`; lexical errors become `Error` tokens and
/// diagnostics.
pub(crate) fn tokenize(text: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 4 + 1);
    let b = text.as_bytes();
    let mut pos = 0;
    while pos < b.len() {
        let start = pos;
        let c = b[pos];
        let push = |tokens: &mut Vec<Token>, kind, end| {
            tokens.push(Token { kind, span: Span::new(start, end) })
        };
        if c == b' ' {
            pos += 1;
            continue;
        }
        // Whitespace, including the Unicode spaces the grammar lists.
        if !(b'!'..0x80).contains(&c)
            && let Some(len) = whitespace_len(&text[pos..])
        {
            pos += len;
            continue;
        }
        if c == b'/' && text[pos..].starts_with("//") {
            pos = text[pos..].find(['\r', '\n']).map_or(b.len(), |i| pos + i);
            continue;
        }
        if c == b'/' && text[pos..].starts_with("/*") {
            match text[pos + 2..].find("*/") {
                Some(i) => pos += 2 + i + 2,
                None => {
                    diagnostics
                        .push(Diagnostic::new(Span::new(pos, b.len()), "unterminated comment"));
                    push(&mut tokens, Kind::Error, b.len());
                    pos = b.len();
                }
            }
            continue;
        }
        let single = match c {
            b'[' => Some(Kind::LBrack),
            b']' => Some(Kind::RBrack),
            b'(' => Some(Kind::LParen),
            b')' => Some(Kind::RParen),
            b':' => Some(Kind::Colon),
            b',' => Some(Kind::Comma),
            b'*' => Some(Kind::Star),
            _ => None,
        };
        if let Some(kind) = single {
            push(&mut tokens, kind, pos + 1);
            pos += 1;
            continue;
        }
        match c {
            b'=' => {
                let len = if b.get(pos + 1) == Some(&b'=') { 2 } else { 1 };
                push(&mut tokens, Kind::Eq, pos + len);
                pos += len;
            }
            b'!' if b.get(pos + 1) == Some(&b'=') => {
                push(&mut tokens, Kind::Neq, pos + 2);
                pos += 2;
            }
            b'<' => {
                let (kind, len) = match b.get(pos + 1) {
                    Some(b'=') => (Kind::Le, 2),
                    Some(b'>') => (Kind::Neq, 2),
                    _ => (Kind::Lt, 1),
                };
                push(&mut tokens, kind, pos + len);
                pos += len;
            }
            b'>' => {
                let (kind, len) =
                    if b.get(pos + 1) == Some(&b'=') { (Kind::Ge, 2) } else { (Kind::Gt, 1) };
                push(&mut tokens, kind, pos + len);
                pos += len;
            }
            b'\'' => {
                let (kind, end) = match string_end(text, pos, diagnostics) {
                    Ok(end) => (Kind::Str, end),
                    Err(end) => (Kind::Error, end),
                };
                push(&mut tokens, kind, end);
                pos = end;
            }
            b'h' | b'b' | b't' if b.get(pos + 1) == Some(&b'\'') => {
                let end = match string_end(text, pos + 1, diagnostics) {
                    Ok(end) => end,
                    Err(end) => {
                        push(&mut tokens, Kind::Error, end);
                        pos = end;
                        continue;
                    }
                };
                let body = &text[pos + 2..end - 1];
                let span = Span::new(pos, end);
                let kind = match c {
                    b'h' => literal_check(hex_ok(body), Kind::Hex, span, diagnostics, || {
                        "invalid hex literal: expected pairs of hex digits".into()
                    }),
                    b'b' => literal_check(base64_ok(body), Kind::Binary, span, diagnostics, || {
                        "invalid binary literal: expected padded base64".into()
                    }),
                    _ => {
                        let result = crate::timestamp::Timestamp::parse(body);
                        literal_check(result.is_ok(), Kind::Timestamp, span, diagnostics, || {
                            match result {
                                Err(e) => format!("invalid timestamp literal: {e}"),
                                Ok(_) => String::new(),
                            }
                        })
                    }
                };
                push(&mut tokens, kind, end);
                pos = end;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let mut end = pos + 1;
                let mut hyphen = false;
                while let Some(&c) = b.get(end) {
                    if c.is_ascii_alphanumeric() || c == b'_' {
                        end += 1;
                    } else if c == b'-' {
                        hyphen = true;
                        end += 1;
                    } else {
                        break;
                    }
                }
                let word = &text[pos..end];
                let kind = if hyphen {
                    Kind::IdentWithHyphen
                } else if let Some(keyword) = Keyword::from_text(word) {
                    Kind::Keyword(keyword)
                } else if word == "true" || word == "false" {
                    Kind::Bool
                } else {
                    Kind::Ident
                };
                push(&mut tokens, kind, end);
                pos = end;
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let (kind, end) = number(b, pos);
                push(&mut tokens, kind, end);
                pos = end;
            }
            _ => {
                let len = text[pos..].chars().next().map_or(1, char::len_utf8);
                push(&mut tokens, Kind::Other, pos + len);
                pos += len;
            }
        }
    }
    tokens.push(Token { kind: Kind::Eof, span: Span::new(b.len(), b.len()) });
    tokens
}

fn literal_check(
    ok: bool,
    kind: Kind,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
    message: impl FnOnce() -> String,
) -> Kind {
    if ok {
        kind
    } else {
        diagnostics.push(Diagnostic::new(span, message()));
        Kind::Error
    }
}

/// The grammar's whitespace characters.
fn whitespace_len(rest: &str) -> Option<usize> {
    let c = rest.chars().next()?;
    let space = matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    );
    space.then(|| c.len_utf8())
}

/// Finds the end (one past the closing quote) of the string literal whose quote is at `open`.
/// Only `\'` and `\\` are escapes. `Err` carries where to resume after a reported error.
fn string_end(text: &str, open: usize, diagnostics: &mut Vec<Diagnostic>) -> Result<usize, usize> {
    let b = text.as_bytes();
    let mut pos = open + 1;
    let mut valid = true;
    while pos < b.len() {
        match b[pos] {
            b'\'' => return if valid { Ok(pos + 1) } else { Err(pos + 1) },
            b'\\' => match b.get(pos + 1) {
                Some(b'\'') | Some(b'\\') => pos += 2,
                _ => {
                    let len = text[pos + 1..].chars().next().map_or(0, char::len_utf8);
                    if valid {
                        diagnostics.push(Diagnostic::new(
                            Span::new(pos, pos + 1 + len),
                            "invalid escape in string literal: only \\' and \\\\ are allowed",
                        ));
                    }
                    valid = false;
                    pos += 1 + len;
                }
            },
            _ => pos += 1,
        }
    }
    if valid {
        diagnostics.push(Diagnostic::new(Span::new(open, b.len()), "unterminated string literal"));
    }
    Err(b.len())
}

/// Decodes the body of a string literal.
pub(crate) fn unescape(body: &str) -> String {
    if !body.contains('\\') {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Quotes `value` as a string literal.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn hex_ok(body: &str) -> bool {
    body.len().is_multiple_of(2) && body.bytes().all(|c| c.is_ascii_hexdigit())
}

fn base64_ok(body: &str) -> bool {
    let b = body.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return false;
    }
    let data = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    let (head, last) = b.split_at(b.len() - 4);
    head.iter().all(data)
        && match last {
            [a, b2, b'=', b'='] => data(a) && data(b2),
            [a, b2, c, b'='] => data(a) && data(b2) && data(c),
            other => other.iter().all(data),
        }
}

/// Lexes a number the way ANTLR does: the longest of the int and float rules; a lone sign or dot
/// is a one-character token.
fn number(b: &[u8], start: usize) -> (Kind, usize) {
    let mut pos = start;
    let negative = b[pos] == b'-';
    if b[pos] == b'+' || b[pos] == b'-' {
        pos += 1;
    }
    let digits_start = pos;
    while b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    let int_end = if pos > digits_start {
        // `0` or `[1-9][0-9]*`: a leading zero ends the integer after one digit.
        if b[digits_start] == b'0' { Some(digits_start + 1) } else { Some(pos) }
    } else {
        None
    };
    let float_end = if b.get(pos) == Some(&b'.') && b.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        let mut end = pos + 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        Some(end)
    } else {
        None
    };
    match (int_end, float_end) {
        (_, Some(end)) => (if negative { Kind::FloatNeg } else { Kind::FloatPos }, end),
        (Some(end), None) => (if negative { Kind::IntNeg } else { Kind::IntPos }, end),
        (None, None) => (if b[start] == b'.' { Kind::Dot } else { Kind::Other }, start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        let mut diagnostics = Vec::new();
        let tokens = tokenize(text, &mut diagnostics);
        let mut out: Vec<String> = tokens
            .iter()
            .map(|t| format!("{:?}@{}..{}", t.kind, t.span.start, t.span.end))
            .collect();
        out.extend(diagnostics.iter().map(|d| d.to_string()));
        out.join(" ")
    }

    #[test]
    fn numbers_follow_longest_match() {
        insta::assert_snapshot!(check("0123 -0 +5 .5 00.5 5. 1.5.5 -"), @"IntPos@0..1 IntPos@1..4 IntNeg@5..7 IntPos@8..10 FloatPos@11..13 FloatPos@14..18 IntPos@19..20 Dot@20..21 FloatPos@22..25 FloatPos@25..27 Other@28..29 Eof@29..29");
    }

    #[test]
    fn keywords_are_case_sensitive() {
        insta::assert_snapshot!(check("AND and ANDx network-traffic true True"), @"Keyword(And)@0..3 Ident@4..7 Ident@8..12 IdentWithHyphen@13..28 Bool@29..33 Ident@34..38 Eof@38..38");
    }

    #[test]
    fn literals() {
        insta::assert_snapshot!(check(r"'a\'b' h'0aFF' b'AAA=' t'2016-01-01T00:00:00Z' /* c */ // d"), @"Str@0..6 Hex@7..14 Binary@15..22 Timestamp@23..46 Eof@59..59");
        insta::assert_snapshot!(check(r"'a\q' h'abc' b'AAA' t'2016-13-01T00:00:00Z'"), @r"Error@0..5 Error@6..12 Error@13..19 Error@20..43 Eof@43..43 error 2..4: invalid escape in string literal: only \' and \\ are allowed error 6..12: invalid hex literal: expected pairs of hex digits error 13..19: invalid binary literal: expected padded base64 error 20..43: invalid timestamp literal: no such date or time");
        insta::assert_snapshot!(check("'abc"), @"Error@0..4 Eof@4..4 error 0..4: unterminated string literal");
        insta::assert_snapshot!(check("/* x"), @"Error@0..4 Eof@4..4 error 0..4: unterminated comment");
    }

    #[test]
    fn quote_round_trips() {
        for s in ["", "a'b", r"c:\dir\", "é"] {
            let q = quote(s);
            assert_eq!(unescape(&q[1..q.len() - 1]), s);
        }
    }
}
