//! CSV: import with a column mapping, and export that is safe to open in a spreadsheet.
//!
//! Import reads RFC 4180 CSV (quoted fields may hold separators, quotes and line breaks). The
//! mapping names, by header or by 1-based position, the column that holds the value and,
//! optionally, its type, a name, a description, labels (separated by `;`), `valid_until` and a
//! TLP level: `value=indicator,type=kind,labels=5`. Types are Meridian's (`domain`, `ipv4`,
//! `ipv6`, `ip`, `url`, `email`, `md5`, `sha1`, `sha256`, `sha512`) or MISP's
//! (`hostname`, `ip-src`, `ip-dst`, `email-src`, `email-dst`, `link`, `uri`); without a type
//! column each value's type is recognised as in [`crate::text`].
//!
//! Export writes one row per indicator value. Every cell that starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return gets a leading `'`, so spreadsheets show it as text instead of running
//! it as a formula (SECURITY.md rule 12).

use std::collections::HashMap;
use std::io::Write;

use serde_json::{Map, Value, json};

use crate::Error;
use crate::export::{Selected, Selection};
use crate::indicator::parse_tlp;
use crate::observable::{HashAlgorithm, Observable};
use crate::report::Import;
use crate::text::{TextOptions, add, classify};

/// A column, by 0-based position or by header name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// 0-based position.
    Index(usize),
    /// Header name (case-insensitive).
    Name(String),
}

/// Which column holds what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvMapping {
    /// The indicator value (required).
    pub value: Column,
    /// The value's type.
    pub kind: Option<Column>,
    /// The indicator's name.
    pub name: Option<Column>,
    /// The indicator's description.
    pub description: Option<Column>,
    /// Labels, separated by `;`.
    pub labels: Option<Column>,
    /// `valid_until`: a STIX timestamp or a date `YYYY-MM-DD`.
    pub valid_until: Option<Column>,
    /// A TLP level (`clear`, `green`, `amber`, `amber+strict`, `red`, or `TLP:` forms).
    pub tlp: Option<Column>,
    /// Whether the first record is a header.
    pub header: bool,
    /// The field separator.
    pub delimiter: u8,
}

impl Default for CsvMapping {
    /// The first column holds the values; there is a header row; fields are separated by `,`.
    fn default() -> CsvMapping {
        CsvMapping {
            value: Column::Index(0),
            kind: None,
            name: None,
            description: None,
            labels: None,
            valid_until: None,
            tlp: None,
            header: true,
            delimiter: b',',
        }
    }
}

impl CsvMapping {
    /// Parses a mapping such as `value=ioc,type=2,labels=tags` (positions are 1-based).
    ///
    /// # Errors
    /// On an unknown field, a missing `=`, or position 0.
    pub fn parse(spec: &str) -> Result<CsvMapping, Error> {
        let mut mapping = CsvMapping::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((field, column)) = part.split_once('=') else {
                return Err(Error::Options(format!("CSV mapping `{part}` must be field=column")));
            };
            let column = match column.trim().parse::<usize>() {
                Ok(0) => return Err(Error::Options("CSV column positions start at 1".into())),
                Ok(n) => Column::Index(n - 1),
                Err(_) => Column::Name(column.trim().to_ascii_lowercase()),
            };
            let slot = match field.trim() {
                "value" => {
                    mapping.value = column;
                    continue;
                }
                "type" => &mut mapping.kind,
                "name" => &mut mapping.name,
                "description" => &mut mapping.description,
                "labels" => &mut mapping.labels,
                "valid_until" => &mut mapping.valid_until,
                "tlp" => &mut mapping.tlp,
                other => {
                    return Err(Error::Options(format!(
                        "unknown CSV field `{other}` (value, type, name, description, labels, valid_until, tlp)"
                    )));
                }
            };
            *slot = Some(column);
        }
        Ok(mapping)
    }
}

/// Imports a CSV document.
///
/// # Errors
/// When a quoted field is not closed, or the mapping names a header the file does not have.
pub fn import_csv(
    text: &str,
    mapping: &CsvMapping,
    options: &TextOptions<'_>,
) -> Result<Import, Error> {
    let records = parse_records(text, mapping.delimiter)?;
    let mut records = records.into_iter();
    let header: Vec<String> = if mapping.header {
        records
            .next()
            .map(|(_, r)| r.iter().map(|h| h.trim().to_ascii_lowercase()).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let resolve = |column: &Column| -> Result<usize, Error> {
        match column {
            Column::Index(i) => Ok(*i),
            Column::Name(name) => header.iter().position(|h| h == name).ok_or_else(|| {
                Error::invalid("line 1", format!("the header has no column `{name}`"))
            }),
        }
    };
    let value_at = resolve(&mapping.value)?;
    let optional = |c: &Option<Column>| c.as_ref().map(resolve).transpose();
    let (kind_at, name_at, desc_at) =
        (optional(&mapping.kind)?, optional(&mapping.name)?, optional(&mapping.description)?);
    let (labels_at, until_at, tlp_at) =
        (optional(&mapping.labels)?, optional(&mapping.valid_until)?, optional(&mapping.tlp)?);
    let mut import = Import::default();
    let mut seen = HashMap::new();
    for (line, record) in records {
        let cell = |at: Option<usize>| {
            at.and_then(|i| record.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty())
        };
        let location = format!("line {line}");
        let Some(value) = cell(Some(value_at)) else {
            if record.iter().any(|f| !f.trim().is_empty()) {
                import.report.reject(location, format!("no value in column {}", value_at + 1));
            }
            continue;
        };
        let observable = match cell(kind_at) {
            Some(kind) => observable_for_type(kind, value),
            None => {
                classify(value).unwrap_or_else(|| Err(format!("cannot tell the type of `{value}`")))
            }
        };
        let observable = match observable {
            Ok(o) => o,
            Err(reason) => {
                import.report.reject(location, reason);
                continue;
            }
        };
        let mut extra = Map::new();
        if let Some(name) = cell(name_at) {
            extra.insert("name".into(), name.into());
        }
        if let Some(description) = cell(desc_at) {
            extra.insert("description".into(), description.into());
        }
        if let Some(labels) = cell(labels_at) {
            let labels: Vec<&str> =
                labels.split(';').map(str::trim).filter(|l| !l.is_empty()).collect();
            extra.insert("labels".into(), json!(labels));
        }
        if let Some(until) = cell(until_at) {
            match parse_time(until) {
                Some(t) if t > options.meta.now => {
                    extra.insert("valid_until".into(), t.as_str().into());
                }
                Some(_) => {
                    import
                        .report
                        .reject(location, format!("valid_until `{until}` is not after valid_from"));
                    continue;
                }
                None => {
                    import.report.reject(
                        location,
                        format!("`{until}` is not a timestamp or a YYYY-MM-DD date"),
                    );
                    continue;
                }
            }
        }
        if let Some(tlp) = cell(tlp_at) {
            if parse_tlp(tlp).is_none() {
                import.report.reject(location, format!("`{tlp}` is not a TLP level"));
                continue;
            }
            extra.insert("tlp".into(), tlp.into());
        }
        add(&mut import, &mut seen, observable, line, extra, options);
    }
    import.objects.extend(crate::indicator::marking_definitions(&import.objects));
    Ok(import)
}

/// The observable for a value with an explicit type.
///
/// # Errors
/// An unknown type, or a value that is not valid for its type.
pub fn observable_for_type(kind: &str, value: &str) -> Result<Observable, String> {
    match kind.trim().to_ascii_lowercase().as_str() {
        "domain" | "domain-name" | "hostname" | "fqdn" => Observable::domain(value),
        "ip" | "ipv4" | "ipv6" | "ip-src" | "ip-dst" | "ipv4-addr" | "ipv6-addr" | "cidr" => {
            Observable::ip(value)
        }
        "url" | "uri" | "link" => Observable::url(value),
        "email" | "email-src" | "email-dst" | "email-addr" => Observable::email(value),
        other => match HashAlgorithm::from_stix_name(other) {
            Some(algorithm) => Observable::hash(algorithm, value),
            None => Err(format!("unknown type `{}`", crate::observable::printable(other))),
        },
    }
}

fn parse_time(text: &str) -> Option<stix::Timestamp> {
    text.parse().ok().or_else(|| format!("{text}T00:00:00Z").parse().ok())
}

/// Splits CSV text into records, each with the line it starts on (RFC 4180, plus `\n` line ends).
fn parse_records(text: &str, delimiter: u8) -> Result<Vec<(usize, Vec<String>)>, Error> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start_line, mut quote_line) = (1, 1, 0);
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let delimiter = char::from(delimiter);
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
            }
            c if c == delimiter => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((start_line, std::mem::take(&mut fields)));
                line += 1;
                start_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(Error::invalid(format!("line {quote_line}"), "a quoted field is not closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start_line, fields));
    }
    Ok(records)
}

/// Writes one row per indicator value: `type,value,indicator_id,name,tlp,valid_from,valid_until,labels`.
///
/// # Errors
/// When writing fails.
pub fn write_csv(selection: &Selection, out: &mut (impl Write + ?Sized)) -> Result<(), Error> {
    write_header(out)?;
    for selected in selection.objects() {
        write_rows(selected, out)?;
    }
    Ok(())
}

/// Writes the header row of [`write_csv`]; then [`write_rows`] writes each selected indicator
/// as it comes (CSV keeps input order and duplicates, so it needs no state).
///
/// # Errors
/// When writing fails.
pub fn write_header(out: &mut (impl Write + ?Sized)) -> Result<(), Error> {
    writeln!(out, "type,value,indicator_id,name,tlp,valid_from,valid_until,labels")?;
    Ok(())
}

/// Writes the rows of one selected indicator, one per value.
///
/// # Errors
/// When writing fails.
pub fn write_rows(selected: &Selected, out: &mut (impl Write + ?Sized)) -> Result<(), Error> {
    let object = selected.object();
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let labels: Vec<&str> = object
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for observable in selected.observables() {
        let kind = match observable {
            Observable::Hash(a, _) => a.stix_name().to_owned(),
            other => other.kind().to_string(),
        };
        let row = [
            kind,
            observable.to_string(),
            object.id().to_string(),
            text("name"),
            selected.tlp().map(|t| t.label().to_owned()).unwrap_or_default(),
            text("valid_from"),
            text("valid_until"),
            labels.join(";"),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// One safe CSV cell: neutralised against formula injection, then quoted if needed.
pub fn cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r'])
        || neutral.starts_with(' ')
        || neutral.ends_with(' ')
    {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::IndicatorMeta;

    #[test]
    fn cells_are_neutralised() {
        assert_eq!(cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(cell("evil.example"), "evil.example");
    }

    #[track_caller]
    fn check(csv: &str, mapping: &str) -> String {
        let options = TextOptions {
            meta: IndicatorMeta::new("2024-01-01T00:00:00.000Z".parse().unwrap()),
            warninglists: None,
        };
        let import = import_csv(csv, &CsvMapping::parse(mapping).unwrap(), &options).unwrap();
        let mut out: Vec<String> = import
            .objects
            .iter()
            .filter(|o| o.object_type() == "indicator")
            .map(|o| {
                let get = |k: &str| o.get(k).map(|v| v.to_string()).unwrap_or_default();
                format!(
                    "{} {} {} {}",
                    get("pattern"),
                    get("labels"),
                    get("valid_until"),
                    get("object_marking_refs")
                )
            })
            .collect();
        out.extend(import.report.rejected.iter().map(|p| format!("rejected {p}")));
        out.join("\n")
    }

    #[test]
    fn mapped_columns() {
        let csv = "kind,ioc,tags,until,tlp\ndomain,Evil.Example,a;b,2030-01-01,green\nip-dst,\"198.51.100.7\",,,\nsha256,xyz,,,\nurl,http://x.example/\n\"multi\nline\",evil2.example,,,red\n";
        insta_free(check(csv, "value=ioc,type=1,labels=tags,valid_until=until,tlp=tlp"));
    }

    fn insta_free(actual: String) {
        assert_eq!(
            actual,
            "\"[domain-name:value = 'evil.example']\" [\"a\",\"b\"] \"2030-01-01T00:00:00Z\" [\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"]\n\
             \"[ipv4-addr:value = '198.51.100.7']\"   \n\
             \"[url:value = 'http://x.example/']\"   \n\
             rejected line 4: `xyz` is not a SHA-256 hash (64 hex digits)\n\
             rejected line 6: unknown type `multi\\nline`"
        );
    }

    #[test]
    fn unclosed_quote_is_an_error() {
        let options = TextOptions {
            meta: IndicatorMeta::new("2024-01-01T00:00:00.000Z".parse().unwrap()),
            warninglists: None,
        };
        let err =
            import_csv("value\n\"evil.example\nx\n", &CsvMapping::default(), &options).unwrap_err();
        assert_eq!(err.to_string(), "line 2: a quoted field is not closed");
    }
}
