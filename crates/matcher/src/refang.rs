//! Defanged indicators: the forms analysts write so that a value cannot be clicked or resolved by
//! accident (`hxxp://evil[.]example`, `198.51.100[.]7`, `user[@]example[.]com`), turned back into
//! the real value before it is parsed.

use std::borrow::Cow;

/// Bracketed or escaped stand-ins and what they stand for, matched case-insensitively.
const REPLACEMENTS: &[(&str, &str)] = &[
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("\\.", "."),
    ("[@]", "@"),
    ("(@)", "@"),
    ("{@}", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("[/]", "/"),
];

/// Defanged scheme names and their real names, matched case-insensitively at the start.
const SCHEMES: &[(&str, &str)] =
    &[("hxxps", "https"), ("hxxp", "http"), ("hxtps", "https"), ("hxtp", "http"), ("fxp", "ftp")];

/// Undoes defanging. Returns the input unchanged (borrowed) when there is nothing to undo.
pub fn refang(text: &str) -> Cow<'_, str> {
    let scheme = SCHEMES.iter().find(|(fanged, _)| {
        text.get(..fanged.len()).is_some_and(|head| head.eq_ignore_ascii_case(fanged))
            && text[fanged.len()..].starts_with([':', '['])
    });
    let has_brackets = text.bytes().any(|b| matches!(b, b'[' | b'(' | b'{' | b'\\'));
    if scheme.is_none() && !has_brackets {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    if let Some((fanged, real)) = scheme {
        out.push_str(real);
        rest = &rest[fanged.len()..];
    }
    'outer: while !rest.is_empty() {
        for (fanged, real) in REPLACEMENTS {
            if rest.get(..fanged.len()).is_some_and(|head| head.eq_ignore_ascii_case(fanged)) {
                out.push_str(real);
                rest = &rest[fanged.len()..];
                continue 'outer;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(refang(input), expected, "refang({input:?})");
    }

    #[test]
    fn defanged_forms() {
        check("hxxp://evil[.]example/a", "http://evil.example/a");
        check("HXXPS[://]evil(.)example", "https://evil.example");
        check("fxp://files{.}example", "ftp://files.example");
        check("198.51.100[.]7", "198.51.100.7");
        check("user[@]example[.]com", "user@example.com");
        check("user(at)example[dot]com", "user@example.com");
        check("evil\\.example", "evil.example");
        check("2001:db8[:]:1", "2001:db8::1");
        check("bücher[.]example", "bücher.example");
    }

    #[test]
    fn plain_values_are_borrowed() {
        assert!(matches!(refang("evil.example"), Cow::Borrowed(_)));
        check("hxxpfoo.example", "hxxpfoo.example");
        check("[not-defanged]", "[not-defanged]");
    }
}
