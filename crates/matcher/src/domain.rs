//! Domain names: case folding, the trailing dot, IDNA A-labels (RFC 5891, Punycode RFC 3492) and
//! the suffixes a name is matched by.
//!
//! Names are compared in their ASCII form: lower case, no trailing dot, every non-ASCII label
//! turned into its `xn--` A-label. Unicode labels are lower-cased and their full-width dots mapped
//! (UTS 46 §4, the part that matters for indicators); NFC normalisation and the rest of the
//! UTS 46 mapping table are not applied (FIXME: names written in decomposed form do not match
//! their composed spelling).

/// The longest name DNS allows in text form, without the trailing dot (RFC 1035 §2.3.4).
pub(crate) const MAX_NAME: usize = 253;

/// The normalised form of an indicator's domain name, or why it is not one.
pub(crate) fn normalize(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let mut name = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        let mapped: String = text
            .chars()
            .map(|c| if matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}') { '.' } else { c })
            .collect();
        let mut out = String::with_capacity(mapped.len() + 8);
        for (i, label) in mapped.split('.').enumerate() {
            if i > 0 {
                out.push('.');
            }
            if label.is_ascii() {
                out.push_str(&label.to_ascii_lowercase());
            } else {
                out.push_str("xn--");
                punycode_encode(&label.to_lowercase(), &mut out)
                    .ok_or("label too long for Punycode")?;
            }
        }
        out
    };
    if name.ends_with('.') {
        name.pop();
    }
    if name.is_empty() {
        return Err("empty domain name");
    }
    if name.len() > MAX_NAME {
        return Err("domain name longer than 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("empty label in domain name");
        }
        if label.len() > 63 {
            return Err("domain label longer than 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err("character not allowed in a domain name");
        }
    }
    Ok(name)
}

/// Whether `text` looks like a domain name rather than some other word: at least two labels and a
/// top-level label that is not all digits.
pub(crate) fn looks_like_domain(name: &str) -> bool {
    normalize(name).is_ok_and(|name| looks_like_normalized(&name))
}

/// [`looks_like_domain`] for a name already normalised.
pub(crate) fn looks_like_normalized(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((_, tld)) => !tld.is_empty() && !tld.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Normalises a name seen in a log for lookup, writing it into `out`: lower case, trailing dot
/// removed, non-ASCII labels converted to A-labels. `None` if it cannot be a domain name.
#[inline]
pub(crate) fn normalize_log<'a>(name: &[u8], out: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    let name = name.strip_suffix(b".").unwrap_or(name);
    if name.is_empty() || name.len() > 1024 {
        return None;
    }
    out.clear();
    if name.is_ascii() {
        out.extend(name.iter().map(u8::to_ascii_lowercase));
    } else {
        let text = std::str::from_utf8(name).ok()?;
        out.extend_from_slice(normalize(text).ok()?.as_bytes());
    }
    (out.len() <= MAX_NAME).then_some(out.as_slice())
}

/// The start offsets of `name` and each of its parent domains, longest first:
/// `a.b.example` yields 0 (`a.b.example`), 2 (`b.example`) and 4 (`example`).
#[inline]
pub(crate) fn suffix_starts(name: &[u8]) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(memchr::memchr_iter(b'.', name).map(|dot| dot + 1))
}

/// RFC 3492 §6.3: encodes the code points of `label` as Punycode, appending to `out`. `None` on
/// overflow (labels far longer than DNS allows).
fn punycode_encode(label: &str, out: &mut String) -> Option<()> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    const INITIAL_BIAS: u32 = 72;
    const INITIAL_N: u32 = 128;

    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    fn digit(d: u32) -> char {
        // `as u8`: d < 36 by construction.
        if d < 26 { char::from(b'a' + d as u8) } else { char::from(b'0' + (d - 26) as u8) }
    }

    let points: Vec<u32> = label.chars().map(u32::from).collect();
    let input_len = u32::try_from(points.len()).ok()?;
    let basic = points.iter().filter(|&&c| c < 0x80).count();
    out.extend(label.chars().filter(char::is_ascii));
    // `as u32`: basic <= input_len, which fits in u32.
    let mut handled = basic as u32;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    while handled < input_len {
        let m = points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic as u32);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        match normalize(text) {
            Ok(name) => name,
            Err(reason) => format!("error: {reason}"),
        }
    }

    #[test]
    fn case_trailing_dot_and_idna() {
        assert_eq!(check("Evil.EXAMPLE."), "evil.example");
        assert_eq!(check("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(check("BÜCHER.example"), "xn--bcher-kva.example");
        assert_eq!(check("xn--bcher-kva.example"), "xn--bcher-kva.example");
        assert_eq!(check("例え.テスト"), "xn--r8jz45g.xn--zckzah");
        assert_eq!(check("münchen。example"), "xn--mnchen-3ya.example");
        assert_eq!(check("_dmarc.example"), "_dmarc.example");
    }

    #[test]
    fn rfc3492_samples() {
        // RFC 3492 §7.1 (A) Arabic (Egyptian) and (L) a mixed Japanese label.
        let mut out = String::new();
        punycode_encode("\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}", &mut out).unwrap();
        assert_eq!(out, "egbpdaj6bu4bxfgehfvwxn");
        out.clear();
        punycode_encode("3年b組金八先生", &mut out).unwrap();
        assert_eq!(out, "3b-ww4c5e180e575a65lsy2b");
    }

    #[test]
    fn rejects() {
        assert_eq!(check(""), "error: empty domain name");
        assert_eq!(check("a..example"), "error: empty label in domain name");
        assert_eq!(check("a b.example"), "error: character not allowed in a domain name");
        assert_eq!(
            check(&format!("{}.example", "a".repeat(64))),
            "error: domain label longer than 63 characters"
        );
        assert!(!looks_like_domain("localhost"));
        assert!(!looks_like_domain("1.2.3.4"));
        assert!(looks_like_domain("evil.example"));
    }

    #[test]
    fn log_names() {
        let mut buf = Vec::new();
        assert_eq!(normalize_log(b"WWW.Evil.Example.", &mut buf), Some(&b"www.evil.example"[..]));
        assert_eq!(
            normalize_log("bücher.example".as_bytes(), &mut buf),
            Some(&b"xn--bcher-kva.example"[..])
        );
        assert_eq!(normalize_log(b"", &mut buf), None);
        let starts: Vec<usize> = suffix_starts(b"a.b.example").collect();
        assert_eq!(starts, [0, 2, 4]);
    }
}
