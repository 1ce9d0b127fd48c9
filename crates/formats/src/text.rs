//! IOC extraction from plain and defanged text (emails, reports pasted as text): domains, IP
//! addresses and CIDR blocks, URLs, hashes and email addresses, each becoming an indicator with
//! the STIX pattern for its kind.
//!
//! Defanging undone: `hxxp`/`hxxps`/`fxp` schemes, `[.]`, `(.)`, `{.}`, `[dot]`, `(dot)`,
//! `{dot}`, `\.`, `[@]`, `(@)`, `[at]`, `(at)`, `[:]`, `[://]`, `[/]`, in any letter case.
//! A bare word such as `report.pdf` is not taken for a domain when its last label is a common file
//! extension; numbers such as `1.2.3` that are not addresses are skipped silently, while
//! things that look like addresses but are not (`300.1.2.3`) are rejected with the reason.

use std::collections::HashMap;

use serde_json::Map;

use crate::indicator::{IndicatorMeta, indicator};
use crate::observable::{HashAlgorithm, Observable, is_domain};
use crate::report::Import;
use crate::warninglist::Warninglists;

/// Settings for [`import_text`] and [`crate::csv::import_csv`].
#[derive(Debug, Clone)]
pub struct TextOptions<'a> {
    /// Timestamps, marking, labels and creator of the indicators made.
    pub meta: IndicatorMeta,
    /// Values on these lists are ignored (and reported as such).
    pub warninglists: Option<&'a Warninglists>,
}

/// File extensions that make a dotted word a file name rather than a domain, unless defanged.
const FILE_EXTENSIONS: &[&str] = &[
    "7z", "apk", "bak", "bat", "bin", "bmp", "cab", "cfg", "cmd", "conf", "cpp", "csv", "dat",
    "db", "deb", "dll", "dmg", "doc", "docm", "docx", "eml", "exe", "gif", "gz", "h", "hta", "htm",
    "html", "ico", "img", "ini", "iso", "jar", "jpeg", "jpg", "js", "json", "lnk", "log", "md",
    "msg", "msi", "ods", "odt", "pcap", "pdf", "php", "pl", "png", "ppt", "pptx", "ps1", "py",
    "rar", "rb", "rpm", "rs", "rtf", "scr", "sh", "so", "svg", "sys", "tar", "tgz", "tmp", "txt",
    "vbs", "wsf", "xls", "xlsm", "xlsx", "xml", "yaml", "yml", "zip",
];

/// Extracts the IOCs of `text`, one indicator per distinct value.
pub fn import_text(text: &str, options: &TextOptions<'_>) -> Import {
    let mut import = Import::default();
    let mut seen: HashMap<Observable, usize> = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let refanged = refang(line);
        for token in refanged.split(|c: char| c.is_whitespace() || "\"'<>,;|`".contains(c)) {
            let token = token
                .trim_start_matches(['(', '[', '{'])
                .trim_end_matches(['.', ',', ':', ';', ')', ']', '}', '!', '?']);
            match classify(token) {
                None => {}
                Some(Err(reason)) => import.report.reject(format!("line {number}"), reason),
                Some(Ok(observable)) => {
                    add(&mut import, &mut seen, observable, number, Map::new(), options)
                }
            }
        }
    }
    import.objects.extend(crate::indicator::marking_definitions(&import.objects));
    import
}

/// Adds the indicator for `observable` unless it is a duplicate or warninglisted.
pub(crate) fn add(
    import: &mut Import,
    seen: &mut HashMap<Observable, usize>,
    observable: Observable,
    line: usize,
    extra: Map<String, serde_json::Value>,
    options: &TextOptions<'_>,
) {
    let location = format!("line {line}");
    if let Some(first) = seen.get(&observable) {
        import.report.ignore(location, format!("`{observable}` duplicates line {first}"));
        return;
    }
    if let Some(list) = options.warninglists.and_then(|w| w.check(&observable)) {
        import.report.ignore(location, format!("`{observable}` is on warninglist `{list}`"));
        return;
    }
    match indicator(&observable, &options.meta, extra) {
        Ok(object) => {
            seen.insert(observable, line);
            import.objects.push(object);
            import.report.created += 1;
        }
        Err(reason) => import.report.reject(location, reason),
    }
}

/// Undoes common defanging in `text`.
pub fn refang(text: &str) -> String {
    const REPLACEMENTS: &[(&str, &str)] = &[
        ("[://]", "://"),
        ("[:]", ":"),
        ("[/]", "/"),
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("{dot}", "."),
        ("\\.", "."),
        ("[@]", "@"),
        ("(@)", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
        ("{at}", "@"),
        ("hxxps://", "https://"),
        ("hxxp://", "http://"),
        ("hxxps[:]//", "https://"),
        ("hxxps[://]", "https://"),
        ("hxxp[://]", "http://"),
        ("hxxp[:]//", "http://"),
        ("fxp://", "ftp://"),
    ];
    let mut out = String::with_capacity(text.len());
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    'outer: while i < text.len() {
        for (from, to) in REPLACEMENTS {
            if lower[i..].starts_with(from) {
                out.push_str(to);
                i += from.len();
                continue 'outer;
            }
        }
        // Step one character; `i` is always on a char boundary since patterns are ASCII.
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// What a (refanged) token is: `None` when it does not look like an IOC at all, an error when
/// it looks like one but is not valid.
pub fn classify(token: &str) -> Option<Result<Observable, String>> {
    if token.len() < 3 {
        return None;
    }
    if let Some((scheme, _)) = token.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if ["http", "https", "ftp", "sftp", "ws", "wss"].contains(&scheme.as_str()) {
            return Some(Observable::url(token));
        }
        return None;
    }
    if token.contains('@') {
        let (_, domain) = token.rsplit_once('@')?;
        return looks_like_domain(domain).then(|| Observable::email(token));
    }
    let bytes = token.as_bytes();
    if bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.' || *b == b'/')
        && token.split('/').next().is_some_and(|a| a.split('.').count() == 4)
    {
        return Some(Observable::ip(token));
    }
    if token.matches(':').count() >= 2
        && bytes.iter().all(|b| b.is_ascii_hexdigit() || b":./".contains(b))
    {
        return Observable::ip(token).ok().map(Ok);
    }
    if bytes.iter().all(u8::is_ascii_hexdigit) {
        return HashAlgorithm::from_hex_len(token.len()).map(|a| Observable::hash(a, token));
    }
    looks_like_domain(token).then(|| Observable::domain(token))
}

fn looks_like_domain(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    let Some((_, tld)) = lower.rsplit_once('.') else { return false };
    is_domain(&lower)
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && !FILE_EXTENSIONS.contains(&tld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str) -> String {
        let options = TextOptions {
            meta: IndicatorMeta::new("2024-01-01T00:00:00.000Z".parse().unwrap()),
            warninglists: None,
        };
        let import = import_text(text, &options);
        let mut out: Vec<String> = import
            .objects
            .iter()
            .filter_map(|o| o.get("pattern").and_then(|p| p.as_str()).map(str::to_owned))
            .collect();
        out.extend(import.report.rejected.iter().map(|p| format!("rejected {p}")));
        out.extend(import.report.ignored.iter().map(|p| format!("ignored {p}")));
        out.join("\n")
    }

    #[test]
    fn defanged() {
        assert_eq!(
            check(
                "C2 at hxxp://evil[.]example/gate.php and evil(dot)example, mail bad[@]evil[.]example"
            ),
            "[url:value = 'http://evil.example/gate.php']\n[domain-name:value = 'evil.example']\n[email-addr:value = 'bad@evil.example']"
        );
        assert_eq!(
            check("198.51.100[.]7 and 203.0.113.0/24."),
            "[ipv4-addr:value = '198.51.100.7']\n[ipv4-addr:value = '203.0.113.0/24']"
        );
        assert_eq!(check("HXXPS[:]//Evil[.]Example"), "[url:value = 'https://Evil.Example']");
    }

    #[test]
    fn hashes_and_ipv6() {
        assert_eq!(
            check("md5 d41d8cd98f00b204e9800998ecf8427e via 2001:db8::1 at 12:30:45"),
            "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']\n[ipv6-addr:value = '2001:db8::1']"
        );
    }

    #[test]
    fn noise_and_rejections() {
        assert_eq!(check("see report.pdf version 1.2.3 in a.b"), "");
        assert_eq!(
            check("300.1.2.3\n\nevil.example\nevil.example"),
            "[domain-name:value = 'evil.example']\nrejected line 1: `300.1.2.3` is not a valid IP address or CIDR block\nignored line 4: `evil.example` duplicates line 3"
        );
    }
}
