//! Scanning the lines of one block: each log format's fields are found, given a [`Role`], looked
//! up in the [`IndicatorSet`], and turned into [`Hit`]s.

use std::sync::Arc;

use crate::csv;
use crate::indicator::Kind;
use crate::json::{Leaf, Walker};
use crate::role::{self, Role};
use crate::scan::Hit;
use crate::set::{IndicatorSet, Match, Scratch};
use crate::text;
use crate::zeek;

/// A format with the state its lines need: the Zeek header in force, the CSV columns.
#[derive(Clone, Debug)]
pub(crate) enum Layout {
    Zeek(Arc<zeek::Header>),
    ZeekJson,
    Eve,
    Csv(Arc<csv::Layout>),
    Text,
}

/// What scanning one block found. Line numbers are relative to the block (0-based).
#[derive(Debug, Default)]
pub(crate) struct BlockResult {
    pub(crate) hits: Vec<Hit>,
    pub(crate) lines: u64,
    pub(crate) hit_lines: u64,
    pub(crate) suppressed: u64,
    pub(crate) malformed: Vec<(u64, String)>,
}

/// Per-thread state for scanning blocks.
pub(crate) struct LineScanner<'s> {
    walker: Walker,
    fields: csv::Fields,
    ctx: Ctx<'s>,
}

struct Ctx<'s> {
    set: &'s IndicatorSet,
    suppress: bool,
    scratch: Scratch,
    unescaped: Vec<u8>,
    ts: Vec<u8>,
    host: Vec<u8>,
    uri: Vec<u8>,
    line_hits: Vec<Hit>,
    suppressed: u64,
    /// The last domain name looked up and what it found: a name often comes twice in a row
    /// (an EVE DNS answer repeats the query's `rrname`; a resolver's log repeats names). It
    /// starts as the empty name, which finds nothing.
    last_domain: (Vec<u8>, Option<Match>),
}

impl<'s> LineScanner<'s> {
    pub(crate) fn new(set: &'s IndicatorSet, suppress: bool) -> LineScanner<'s> {
        LineScanner {
            walker: Walker::default(),
            fields: csv::Fields::default(),
            ctx: Ctx {
                set,
                suppress,
                scratch: Scratch::default(),
                unescaped: Vec::new(),
                ts: Vec::new(),
                host: Vec::new(),
                uri: Vec::new(),
                line_hits: Vec::new(),
                suppressed: 0,
                last_domain: (Vec::new(), None),
            },
        }
    }

    /// Scans every line of `data`, which ends at a line boundary. `skip_first` skips a CSV
    /// header line.
    pub(crate) fn scan_block(
        &mut self,
        layout: &Layout,
        data: &[u8],
        skip_first: bool,
    ) -> BlockResult {
        let mut result = BlockResult::default();
        let mut zeek_header = match layout {
            Layout::Zeek(header) => Some(Arc::clone(header)),
            _ => None,
        };
        self.ctx.suppressed = 0;
        let mut start = 0;
        let mut index: u64 = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |e| start + e);
            let line = &data[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            start = end + 1;
            let this = index;
            index += 1;
            if line.is_empty() || (this == 0 && skip_first) {
                continue;
            }
            let outcome = match layout {
                Layout::Zeek(_) => {
                    let header = zeek_header.get_or_insert_with(Arc::default);
                    if line[0] == b'#' {
                        Arc::make_mut(header).apply(line)
                    } else {
                        self.zeek_line(header, line)
                    }
                }
                Layout::ZeekJson => {
                    let ctx = &mut self.ctx;
                    self.walker.walk(line, |path, leaf| {
                        let role = std::str::from_utf8(path).ok().and_then(|p| role::zeek(p, None));
                        ctx.leaf(path, role, leaf);
                    })
                }
                Layout::Eve => {
                    let ctx = &mut self.ctx;
                    self.walker.walk_some(
                        line,
                        // A closure rather than the function itself: it is inlined.
                        #[allow(clippy::redundant_closure)]
                        |path| role::eve_want(path),
                        |path, role, leaf| {
                            ctx.leaf(path, role, leaf);
                        },
                    )
                }
                Layout::Csv(csv) => self.csv_line(csv, line),
                Layout::Text => {
                    let ctx = &mut self.ctx;
                    text::candidates(line, &mut |word| ctx.check(b"text", Role::Auto, word));
                    Ok(())
                }
            };
            match outcome {
                Ok(()) => self.ctx.finish_line(this, &mut result),
                Err(message) => {
                    self.ctx.clear_line();
                    result.malformed.push((this, message));
                }
            }
        }
        result.lines = index;
        result.suppressed = self.ctx.suppressed;
        result
    }

    fn zeek_line(&mut self, header: &zeek::Header, line: &[u8]) -> Result<(), String> {
        if header.columns.is_empty() {
            return Err("data before any `#fields` header".to_owned());
        }
        // Fields are split only up to the last column with a role; the rest of the line is
        // only counted, for the check against `#fields`.
        let wanted = header.wanted_columns();
        // Zeek escapes with `\`: a line without one has nothing to unescape.
        let escaped = memchr::memchr(b'\\', line).is_some();
        let mut count = 0;
        let mut start = 0;
        while count < wanted {
            let rest = line.get(start..).unwrap_or_default();
            let end = crate::swar::find_byte(rest, header.separator).map(|end| start + end);
            let value = &line[start..end.unwrap_or(line.len())];
            let column = &header.columns[count];
            count += 1;
            if let Some(role) = column.role
                && value != header.empty.as_slice()
                && value != header.unset.as_slice()
            {
                let field = column.name.as_bytes();
                if column.container {
                    let mut items = value;
                    while let Some(end) = crate::swar::find_byte(items, header.set_separator) {
                        self.ctx.check_zeek(field, role, &items[..end], escaped);
                        items = &items[end + 1..];
                    }
                    self.ctx.check_zeek(field, role, items, escaped);
                } else {
                    self.ctx.check_zeek(field, role, value, escaped);
                }
            }
            match end {
                Some(end) => start = end + 1,
                None => {
                    start = line.len() + 1;
                    break;
                }
            }
        }
        if start <= line.len() {
            let separator = header.separator;
            count += 1 + line[start..].iter().filter(|&&b| b == separator).count();
        }
        if count != header.columns.len() {
            return Err(format!("{count} fields where `#fields` names {}", header.columns.len()));
        }
        Ok(())
    }

    fn csv_line(&mut self, layout: &csv::Layout, line: &[u8]) -> Result<(), String> {
        self.fields.split(line, layout.delimiter)?;
        for i in 0..self.fields.len() {
            let Some((role, name)) = layout.column(i) else { continue };
            let value = self.fields.get(i);
            if value.is_empty() {
                continue;
            }
            let field = if name.is_empty() { format!("column {}", i + 1) } else { name.to_owned() };
            self.ctx.check(field.as_bytes(), role, value);
        }
        Ok(())
    }
}

impl Ctx<'_> {
    /// A Zeek TSV value, unescaped if `escaped` (its line has a `\`) and it holds an escape.
    #[inline]
    fn check_zeek(&mut self, field: &[u8], role: Role, value: &[u8], escaped: bool) {
        if escaped && memchr::memchr(b'\\', value).is_some() {
            let mut unescaped = std::mem::take(&mut self.unescaped);
            zeek::unescape_into(value, &mut unescaped);
            self.check(field, role, &unescaped);
            self.unescaped = unescaped;
        } else {
            self.check(field, role, value);
        }
    }

    /// A JSON value with the role of its path, if it has one.
    #[inline(always)]
    fn leaf(&mut self, path: &[u8], role: Option<Role>, leaf: Leaf<'_>) {
        match (role, leaf) {
            (Some(role), Leaf::Str(value)) => self.check(path, role, value),
            (Some(Role::Timestamp), Leaf::Number(value)) => self.set_ts(value),
            _ => {}
        }
    }

    #[inline]
    fn check(&mut self, field: &[u8], role: Role, value: &[u8]) {
        let set = self.set;
        match role {
            Role::Timestamp => self.set_ts(value),
            Role::Ip => {
                if let Some(hit) = set.lookup_ip(value) {
                    self.record(field, value, hit);
                }
            }
            Role::Domain => {
                let (name, memo) = &mut self.last_domain;
                if name.as_slice() != value {
                    *memo = set.lookup_domain(value, &mut self.scratch);
                    name.clear();
                    name.extend_from_slice(value);
                }
                let hit = *memo;
                if let Some(hit) = hit {
                    self.record(field, value, hit);
                }
            }
            Role::Host => {
                self.host.clear();
                self.host.extend_from_slice(value);
                self.host_value(field, value);
            }
            Role::UriPath => {
                if memchr::memmem::find(value, b"://").is_some() {
                    self.url(field, value);
                } else {
                    self.uri.clear();
                    self.uri.extend_from_slice(value);
                }
            }
            Role::Url => self.url(field, value),
            Role::Hash => {
                if let Some(hit) = set.lookup_hash(value, &mut self.scratch) {
                    self.record(field, value, hit);
                }
            }
            Role::Email => self.email(field, value),
            Role::Auto => self.auto(field, value),
        }
    }

    fn set_ts(&mut self, value: &[u8]) {
        self.ts.clear();
        self.ts.extend_from_slice(value);
    }

    /// A host name or address, maybe with a port.
    fn host_value(&mut self, field: &[u8], value: &[u8]) {
        let host = strip_port(value);
        let hit = match self.set.lookup_ip(host) {
            Some(hit) => Some(hit),
            None => self.set.lookup_domain(host, &mut self.scratch),
        };
        if let Some(hit) = hit {
            self.record(field, value, hit);
        }
    }

    fn url(&mut self, field: &[u8], value: &[u8]) {
        if let Some(hit) = self.set.lookup_url(value, &mut self.scratch) {
            self.record(field, value, hit);
        }
        let host = std::str::from_utf8(value).ok().and_then(crate::url::host).map(str::as_bytes);
        if let Some(host) = host.filter(|h| !h.is_empty()) {
            let hit = match self.set.lookup_ip(host) {
                Some(hit) => Some(hit),
                None => self.set.lookup_domain(host, &mut self.scratch),
            };
            if let Some(hit) = hit {
                self.record(field, value, hit);
            }
        }
    }

    fn email(&mut self, field: &[u8], value: &[u8]) {
        let address = match (memchr::memchr(b'<', value), memchr::memrchr(b'>', value)) {
            (Some(open), Some(close)) if open < close => &value[open + 1..close],
            _ => value,
        };
        if let Some(hit) = self.set.lookup_email(address) {
            self.record(field, value, hit);
        }
        if let Some(at) = memchr::memrchr(b'@', address)
            && let Some(hit) = self.set.lookup_domain(&address[at + 1..], &mut self.scratch)
        {
            self.record(field, value, hit);
        }
    }

    /// A value of unknown kind: recognised by its shape.
    fn auto(&mut self, field: &[u8], value: &[u8]) {
        // Addresses first, the most common: no URL or email address parses as one.
        if let Some(ip) = crate::ipnet::parse_ip(value) {
            if let Some(hit) = self.set.lookup_parsed_ip(ip) {
                self.record(field, value, hit);
            }
            return;
        }
        if memchr::memmem::find(value, b"://").is_some() {
            return self.url(field, value);
        }
        if memchr::memchr(b'@', value).is_some() {
            return self.email(field, value);
        }
        if Kind::hash_of_len(value.len()).is_some() && value.iter().all(u8::is_ascii_hexdigit) {
            if let Some(hit) = self.set.lookup_hash(value, &mut self.scratch) {
                self.record(field, value, hit);
            }
            return;
        }
        let host = strip_port(value);
        let host = memchr::memchr(b'/', host).map_or(host, |slash| &host[..slash]);
        if let Some(hit) = self.set.lookup_ip(host) {
            return self.record(field, value, hit);
        }
        if memchr::memchr(b'.', host).is_some()
            && let Some(hit) = self.set.lookup_domain(host, &mut self.scratch)
        {
            self.record(field, value, hit);
        }
    }

    fn record(&mut self, field: &[u8], value: &[u8], hit: Match) {
        if self.suppress && self.set.entry(hit.entry).warninglist().is_some() {
            self.suppressed += 1;
            return;
        }
        let duplicate = self.line_hits.iter().any(|h| {
            h.entry == hit.entry && h.field.as_bytes() == field && h.value.as_bytes() == value
        });
        if !duplicate {
            self.line_hits.push(Hit {
                line: 0,
                timestamp: None,
                field: String::from_utf8_lossy(field).into_owned(),
                value: String::from_utf8_lossy(value).into_owned(),
                entry: hit.entry,
                kind: hit.kind,
            });
        }
    }

    fn finish_line(&mut self, line: u64, result: &mut BlockResult) {
        if !self.host.is_empty() && self.uri.first() == Some(&b'/') {
            let mut url = Vec::with_capacity(7 + self.host.len() + self.uri.len());
            url.extend_from_slice(b"http://");
            url.extend_from_slice(&self.host);
            url.extend_from_slice(&self.uri);
            if let Some(hit) = self.set.lookup_url(&url, &mut self.scratch) {
                self.record(b"url", &url, hit);
            }
        }
        if !self.line_hits.is_empty() {
            result.hit_lines += 1;
            let ts = (!self.ts.is_empty()).then(|| String::from_utf8_lossy(&self.ts).into_owned());
            for mut hit in self.line_hits.drain(..) {
                hit.line = line;
                hit.timestamp.clone_from(&ts);
                result.hits.push(hit);
            }
        }
        self.clear_line();
    }

    fn clear_line(&mut self) {
        self.line_hits.clear();
        self.ts.clear();
        self.host.clear();
        self.uri.clear();
    }
}

/// `host:port`, `[v6]:port`, `[v6]` and `addr#port` without the port and brackets.
fn strip_port(value: &[u8]) -> &[u8] {
    if let Some(inner) = value.strip_prefix(b"[") {
        return memchr::memchr(b']', inner).map_or(inner, |close| &inner[..close]);
    }
    if let Some(close) = memchr::memchr(b']', value) {
        return &value[..close];
    }
    for sep in [b':', b'#'] {
        if let Some(at) = memchr::memrchr(sep, value) {
            let port = &value[at + 1..];
            let single = sep == b'#' || memchr::memchr(b':', &value[..at]).is_none();
            if single && !port.is_empty() && port.len() <= 5 && port.iter().all(u8::is_ascii_digit)
            {
                return &value[..at];
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::IndicatorSet;

    #[test]
    fn ports() {
        assert_eq!(strip_port(b"evil.example:8080"), b"evil.example");
        assert_eq!(strip_port(b"[2001:db8::1]:443"), b"2001:db8::1");
        assert_eq!(strip_port(b"2001:db8::1]:443"), b"2001:db8::1");
        assert_eq!(strip_port(b"198.51.100.7#53"), b"198.51.100.7");
        assert_eq!(strip_port(b"2001:db8::1"), b"2001:db8::1");
        assert_eq!(strip_port(b"evil.example"), b"evil.example");
    }

    /// A block's hits as `line field value kind`.
    fn rendered(result: &BlockResult) -> Vec<String> {
        let hit = |h: &Hit| format!("{} {} {} {}", h.line, h.field, h.value, h.kind.as_str());
        result.hits.iter().map(hit).collect()
    }

    #[test]
    fn a_name_repeated_in_a_line_or_the_next_is_reported_in_each_field() {
        let set = IndicatorSet::compile(
            ["evil.example"].map(|v| crate::Indicator::parse(v).unwrap()),
            &[],
        );
        let data = br#"{"event_type":"dns","dns":{"rrname":"www.evil.example","answers":[{"rrname":"www.evil.example"}]}}
{"event_type":"dns","dns":{"rrname":"good.example","answers":[{"rrname":"www.evil.example"}]}}
{"event_type":"dns","dns":{"rrname":"WWW.EVIL.EXAMPLE"}}
{"event_type":"dns","dns":{"rrname":"good.example"}}
"#;
        let result = LineScanner::new(&set, true).scan_block(&Layout::Eve, data, false);
        assert_eq!(
            rendered(&result),
            [
                "0 dns.rrname www.evil.example subdomain",
                "0 dns.answers.rrname www.evil.example subdomain",
                "1 dns.answers.rrname www.evil.example subdomain",
                "2 dns.rrname WWW.EVIL.EXAMPLE subdomain",
            ]
        );
    }

    #[test]
    fn zeek_lines_are_split_up_to_the_last_wanted_column_and_counted_to_the_end() {
        let set = IndicatorSet::compile(
            ["evil.example", "198.51.100.7"].map(|v| crate::Indicator::parse(v).unwrap()),
            &[],
        );
        let mut header = zeek::Header::default();
        header.apply(b"#fields\tts\tid.resp_h\tquery\tqclass\trcode\tnote").unwrap();
        header.apply(b"#types\ttime\taddr\tstring\tcount\tcount\tstring").unwrap();
        assert_eq!(header.wanted_columns(), 3);
        let layout = Layout::Zeek(Arc::new(header));
        let data = b"1.0\t198.51.100.7\twww.evil.example\t1\t0\tx\n\
                     2.0\t10.0.0.1\tevil.example\t1\t0\n\
                     3.0\t10.0.0.1\tevil.example\t1\t0\tx\ty\n\
                     4.0\t198.51.100.7\n\
                     5.0\t10.0.0.1\tevil.example\t\t\t\n\
                     6.0\t10.0.0.1\tev\\x69l.example\t1\t0\tx\n";
        let result = LineScanner::new(&set, true).scan_block(&layout, data, false);
        assert_eq!(
            rendered(&result),
            [
                "0 id.resp_h 198.51.100.7 exact",
                "0 query www.evil.example subdomain",
                "4 query evil.example exact",
                "5 query evil.example exact",
            ]
        );
        assert_eq!(
            result.malformed,
            [
                (1, "5 fields where `#fields` names 6".to_owned()),
                (2, "7 fields where `#fields` names 6".to_owned()),
                (3, "2 fields where `#fields` names 6".to_owned()),
            ]
        );
    }
}
