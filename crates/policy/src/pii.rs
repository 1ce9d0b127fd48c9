//! Personal-data detection in free text and the keyed pseudonyms and truncations applied to it.
//!
//! Text is first normalised with Unicode NFKC (so full-width `＠` and other compatibility forms
//! become what they look like) with zero-width and soft-hyphen characters removed, then
//! un-defanged (`hxxp`, `[.]`, `(dot)`, `[@]`, `[at]`, `[:]`), keeping a map back to the
//! normalised text so a finding is replaced where it was written, defanged or not.

use std::net::IpAddr;
use std::ops::Range;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

use crate::agreement::PiiCategory;
use crate::ipnet::IpNet;

/// Personal data found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Where, in the normalised text.
    pub(crate) span: Range<usize>,
    pub(crate) category: PiiCategory,
    /// The value, un-defanged.
    pub(crate) value: String,
    /// False when it only looks like personal data (a possible name): the item goes to review.
    pub(crate) sure: bool,
}

/// Normalises `text` and finds the personal data in it. `victim` tells whether an address
/// belongs to a victim's internal host (public addresses in text are indicators, not PII).
pub(crate) fn scan(text: &str, victim: &dyn Fn(IpAddr) -> bool) -> (String, Vec<Finding>) {
    let norm = normalise(text);
    let (plain, map) = refang(&norm);
    let mut found = Vec::new();
    emails(&plain, &mut found);
    addresses(&plain, victim, &mut found);
    phones(&plain, &mut found);
    names(&plain, &mut found);
    // Map spans back to the normalised text and drop findings inside an earlier one.
    let mut out: Vec<Finding> = found
        .into_iter()
        .map(|f| Finding { span: map[f.span.start]..map[f.span.end], ..f })
        .collect();
    out.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    let mut kept: Vec<Finding> = Vec::with_capacity(out.len());
    for f in out {
        if kept.last().is_none_or(|k| f.span.start >= k.span.end) {
            kept.push(f);
        }
    }
    (norm, kept)
}

/// NFKC plus removal of invisible characters used to split words.
pub(crate) fn normalise(text: &str) -> String {
    text.nfkc()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'))
        .collect()
}

/// Un-defangs `text`; `map[i]` is the byte in `text` where output byte `i` came from, with one
/// extra entry for the end.
pub(crate) fn refang(text: &str) -> (String, Vec<usize>) {
    const RULES: [(&str, &str); 16] = [
        ("hxxps", "https"),
        ("hxxp", "http"),
        ("[://]", "://"),
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("{dot}", "."),
        ("[@]", "@"),
        ("(@)", "@"),
        ("{@}", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
        ("{at}", "@"),
        ("[:]", ":"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut i = 0;
    'outer: while i < text.len() {
        let rest = &text.as_bytes()[i..];
        for (from, to) in RULES {
            if rest.len() >= from.len() && rest[..from.len()].eq_ignore_ascii_case(from.as_bytes())
            {
                out.push_str(to);
                map.extend(std::iter::repeat_n(i, to.len()));
                i += from.len();
                continue 'outer;
            }
        }
        let Some(c) = text[i..].chars().next() else { break };
        out.push(c);
        map.extend(std::iter::repeat_n(i, c.len_utf8()));
        i += c.len_utf8();
    }
    map.push(text.len());
    (out, map)
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._%+-".contains(&c)
}

fn is_domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

fn emails(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        let mut start = at;
        while start > 0 && is_local_char(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && is_domain_char(b[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        let tld_ok = domain
            .rsplit_once('.')
            .is_some_and(|(_, tld)| tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()));
        if start < at && tld_ok {
            out.push(Finding {
                span: start..end,
                category: PiiCategory::EmailAddress,
                value: text[start..end].to_owned(),
                sure: true,
            });
        }
    }
}

fn addresses(text: &str, victim: &dyn Fn(IpAddr) -> bool, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let candidate = c.is_ascii_hexdigit() || c == b':';
        let boundary =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b':');
        if !(candidate && boundary) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < b.len() && (b[end].is_ascii_hexdigit() || b[end] == b'.' || b[end] == b':') {
            end += 1;
        }
        let next_alnum = end < b.len() && b[end].is_ascii_alphanumeric();
        let token = text[i..end].trim_end_matches(['.', ':']);
        if !next_alnum
            && let Ok(addr) = token.parse::<IpAddr>()
            && victim(addr)
        {
            out.push(Finding {
                span: i..i + token.len(),
                category: PiiCategory::VictimIp,
                value: token.to_owned(),
                sure: true,
            });
        }
        i = end.max(i + 1);
    }
}

fn phones(text: &str, out: &mut Vec<Finding>) {
    const CUES: [&str; 7] = ["tel", "phone", "mobile", "fax", "call", "cell", "whatsapp"];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if !(boundary && (c == b'+' || c == b'(' || c.is_ascii_digit())) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < b.len() && (b[end].is_ascii_digit() || b" +()-/".contains(&b[end])) {
            end += 1;
        }
        let raw = text[i..end].trim_end_matches([' ', '-', '/', '(']);
        let end = i + raw.len();
        let digits = raw.bytes().filter(u8::is_ascii_digit).count();
        let next_alnum = end < b.len() && b[end].is_ascii_alphanumeric();
        let international = raw.starts_with('+') || raw.starts_with("00");
        let mut from = i.saturating_sub(24);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let window = text[from..i].to_ascii_lowercase();
        let cued = CUES.iter().any(|cue| window.contains(cue));
        if (9..=15).contains(&digits)
            && !next_alnum
            && (international || cued)
            && !looks_like_date(raw)
        {
            out.push(Finding {
                span: i..end,
                category: PiiCategory::PhoneNumber,
                value: raw.to_owned(),
                sure: true,
            });
        }
        i = end.max(i + 1);
    }
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
}

/// Honorifics before a name make it certain; cue words before two capitalised words make it
/// only likely, which sends the item to review.
fn names(text: &str, out: &mut Vec<Finding>) {
    const HONORIFICS: [&str; 12] =
        ["mr", "mrs", "ms", "dr", "prof", "herr", "frau", "mme", "mlle", "sr", "sra", "sir"];
    const CUES: [&str; 14] = [
        "contact",
        "contacted",
        "reported by",
        "employee",
        "analyst",
        "user",
        "victim",
        "owner",
        "customer",
        "signed",
        "by",
        "admin",
        "administrator",
        "name",
    ];
    let words = word_spans(text);
    for (k, w) in words.iter().enumerate() {
        let word = &text[w.clone()];
        let lower = word.to_lowercase();
        let following = capitalised_run(text, w.end, &words[k + 1..]);
        if HONORIFICS.contains(&lower.as_str())
            && is_capitalised(word)
            && let Some(end) = following.first()
        {
            let end = following.get(1).unwrap_or(end).end;
            out.push(Finding {
                span: w.start..end,
                category: PiiCategory::PersonName,
                value: text[w.start..end].to_owned(),
                sure: true,
            });
            continue;
        }
        let two = k > 0
            && CUES.contains(
                &format!("{} {lower}", &text[words[k - 1].clone()].to_lowercase()).as_str(),
            );
        if (CUES.contains(&lower.as_str()) || two) && following.len() >= 2 {
            out.push(Finding {
                span: following[0].start..following[1].end,
                category: PiiCategory::PersonName,
                value: text[following[0].start..following[1].end].to_owned(),
                sure: false,
            });
        }
    }
}

fn word_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphabetic() || c == '\'' || c == '-', start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push(s..text.len());
    }
    spans
}

/// The capitalised words directly following `prev_end` (separated from it by spaces, `.` or `:`
/// and from each other by one space), at most two.
fn capitalised_run(text: &str, prev_end: usize, words: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut run: Vec<Range<usize>> = Vec::new();
    let mut from = prev_end;
    for w in words.iter().take(2) {
        let gap = text.get(from..w.start).unwrap_or("x");
        let ok = if run.is_empty() {
            !gap.is_empty() && gap.chars().all(|c| matches!(c, ' ' | '.' | ':'))
        } else {
            gap == " "
        };
        if !ok || !is_capitalised(&text[w.clone()]) {
            break;
        }
        run.push(w.clone());
        from = w.end;
    }
    run
}

/// `Xxxx`: an upper-case letter, then at least one more letter, none upper case (so acronyms
/// such as `DNS` are not names).
fn is_capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase)
        && word.chars().count() >= 2
        && chars.all(|c| !c.is_uppercase())
}

/// A 16-hex-digit keyed pseudonym of `value` in `category` under `key` (HMAC-SHA256).
pub(crate) fn pseudonym(key: &[u8], category: &str, value: &str) -> String {
    let digest = hmac(key, category, value);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn hmac(key: &[u8], category: &str, value: &str) -> [u8; 32] {
    // HMAC is defined for every key length (RFC 2104 hashes long keys and pads short ones), so
    // `new_from_slice` cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts every key length");
    mac.update(category.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The pseudonymised form of an e-mail address: a reserved `.invalid` domain (RFC 2606).
pub(crate) fn pseudonymous_email(key: &[u8], value: &str) -> String {
    format!("p-{}@pseudonym.invalid", pseudonym(key, "email-addr", &value.to_lowercase()))
}

/// The truncated form of an e-mail address: its domain only.
pub(crate) fn truncated_email(value: &str) -> String {
    let domain = value.rsplit_once('@').map_or("invalid", |(_, d)| d);
    format!("redacted@{domain}")
}

/// A pseudonymous address: IPv4 in 240.0.0.0/4 (reserved), IPv6 in 2001:db8::/32
/// (documentation), so it can never be mistaken for a real host.
pub(crate) fn pseudonymous_ip(key: &[u8], addr: IpAddr) -> IpAddr {
    let h = hmac(key, "victim-ip", &addr.to_string());
    match addr {
        IpAddr::V4(_) => IpAddr::from([240 | (h[0] & 0x0f), h[1], h[2], h[3]]),
        IpAddr::V6(_) => {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            bytes[4..].copy_from_slice(&h[..12]);
            IpAddr::from(bytes)
        }
    }
}

/// The truncated form of an address as a prefix string (`/24` or `/48`).
pub(crate) fn truncated_ip(addr: IpAddr) -> String {
    IpNet::truncate(addr).to_string()
}

/// A UUID (version 4 layout) drawn from a keyed hash, for pseudonymous identity ids.
pub(crate) fn pseudonymous_uuid(key: &[u8], value: &str) -> String {
    let mut h = hmac(key, "identity", value);
    h[6] = (h[6] & 0x0f) | 0x40;
    h[8] = (h[8] & 0x3f) | 0x80;
    let hex: String = h[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        let victim = |a: IpAddr| crate::ipnet::is_internal(a);
        let (norm, found) = scan(text, &victim);
        found
            .iter()
            .map(|f| {
                format!(
                    "{}{}={:?}",
                    f.category,
                    if f.sure { "" } else { "?" },
                    &norm[f.span.clone()]
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn finds_defanged_and_obfuscated_pii() {
        assert_eq!(check("mail alice.b@corp.example now"), r#"email-addr="alice.b@corp.example""#);
        assert_eq!(check("mail alice[@]corp[.]example"), r#"email-addr="alice[@]corp[.]example""#);
        assert_eq!(
            check("mail alice(at)corp(dot)example."),
            r#"email-addr="alice(at)corp(dot)example""#
        );
        assert_eq!(check("ｂｏｂ＠ｃｏｒｐ．ｅｘａｍｐｌｅ"), r#"email-addr="bob@corp.example""#);
        assert_eq!(check("bo\u{200B}b@corp.example"), r#"email-addr="bob@corp.example""#);
        assert_eq!(check("host 10.1.2.3 beaconed to 8.8.8.8"), r#"victim-ip="10.1.2.3""#);
        assert_eq!(check("host 10[.]1[.]2[.]3"), r#"victim-ip="10[.]1[.]2[.]3""#);
        assert_eq!(check("host fd00::17 beaconed"), r#"victim-ip="fd00::17""#);
        assert_eq!(check("call +49 30 1234567 now"), r#"phone-number="+49 30 1234567""#);
        assert_eq!(check("tel: (030) 123-4567"), r#"phone-number="(030) 123-4567""#);
        assert_eq!(check("seen 2026-01-02 12:30 and CVE-2024-12345"), "");
        assert_eq!(
            check("sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
            ""
        );
        assert_eq!(check("Report from Dr. Jane Roe today"), r#"person-name="Dr. Jane Roe""#);
        assert_eq!(check("contact: Jane Roe at the plant"), r#"person-name?="Jane Roe""#);
        assert_eq!(check("Cobalt Strike beacon and Lazarus Group"), "");
        assert_eq!(check("download hxxp://evil[.]example/a"), "");
    }

    proptest::proptest! {
        #[test]
        fn scan_never_panics_and_spans_are_in_bounds(text in "\\PC{0,80}") {
            let (norm, found) = scan(&text, &|_| true);
            for f in found {
                proptest::prop_assert!(norm.get(f.span.clone()).is_some());
            }
        }
    }

    #[test]
    fn non_ascii_before_a_number_is_fine() {
        assert_eq!(
            check("Télé\u{AD}phone: ☎☎☎☎☎☎☎☎☎ +33 1 23 45 67 89"),
            r#"phone-number="+33 1 23 45 67 89""#
        );
    }

    #[test]
    fn pseudonyms_are_keyed() {
        assert_eq!(pseudonym(b"k1", "c", "v"), pseudonym(b"k1", "c", "v"));
        assert_ne!(pseudonym(b"k1", "c", "v"), pseudonym(b"k2", "c", "v"));
        assert_eq!(pseudonym(b"", "c", "v").len(), 16);
        let a: IpAddr = "10.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(pseudonymous_ip(b"k", a).to_string().starts_with("24"));
        assert_eq!(truncated_email("a@b.example"), "redacted@b.example");
        assert_eq!(pseudonymous_uuid(b"k", "x").len(), 36);
    }
}
