//! CSV logs (RFC 4180 quoting, one record per line) and the mapping of their columns to roles.

use std::str::FromStr;

use crate::role::Role;

/// How to read a CSV log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// The field delimiter.
    pub delimiter: u8,
    /// Whether the first line names the columns.
    pub header: bool,
    /// Which columns to look at, and as what. Empty: every column, with [`Role::Auto`].
    pub columns: CsvColumns,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions { delimiter: b',', header: true, columns: CsvColumns::default() }
    }
}

/// A column mapping such as `query=domain,3=ip,url=url`: columns named by their header or by
/// their 1-based number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvColumns(pub Vec<(CsvColumn, Role)>);

/// A column, by header name or by 1-based number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvColumn {
    /// The column with this header.
    Name(String),
    /// The column at this 1-based position.
    Number(usize),
}

impl FromStr for CsvColumns {
    type Err = String;

    fn from_str(text: &str) -> Result<CsvColumns, String> {
        let mut columns = Vec::new();
        for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (column, role) = item
                .split_once('=')
                .ok_or_else(|| format!("expected COLUMN=ROLE, found {item:?}"))?;
            let column = match column.trim().parse::<usize>() {
                Ok(0) => return Err("column numbers start at 1".to_owned()),
                Ok(n) => CsvColumn::Number(n),
                Err(_) => CsvColumn::Name(column.trim().to_owned()),
            };
            columns.push((column, role.trim().parse()?));
        }
        Ok(CsvColumns(columns))
    }
}

/// The mapping resolved against a file's header: for each column, its role and display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) delimiter: u8,
    pub(crate) header: bool,
    /// Empty: every column is [`Role::Auto`].
    pub(crate) columns: Vec<Option<(Role, String)>>,
    pub(crate) all_auto: bool,
}

impl Layout {
    /// Resolves `options` against the header line (if the file has one).
    pub(crate) fn new(options: &CsvOptions, header_line: Option<&[u8]>) -> Result<Layout, String> {
        let mut names = Vec::new();
        if let (true, Some(line)) = (options.header, header_line) {
            let mut fields = Fields::default();
            fields.split(line, options.delimiter)?;
            names = (0..fields.len())
                .map(|i| String::from_utf8_lossy(fields.get(i)).into_owned())
                .collect();
        }
        let mut columns: Vec<Option<(Role, String)>> = Vec::new();
        for (column, role) in &options.columns.0 {
            let (index, name) = match column {
                CsvColumn::Number(n) => {
                    (n - 1, names.get(n - 1).cloned().unwrap_or_else(|| format!("column {n}")))
                }
                CsvColumn::Name(name) => match names.iter().position(|h| h == name) {
                    Some(i) => (i, name.clone()),
                    None => return Err(format!("no CSV column named {name:?} in the header")),
                },
            };
            if columns.len() <= index {
                columns.resize(index + 1, None);
            }
            columns[index] = Some((*role, name));
        }
        let all_auto = columns.is_empty();
        if all_auto {
            columns = names
                .iter()
                .map(|name| {
                    let lower = name.to_ascii_lowercase();
                    let time = matches!(
                        lower.as_str(),
                        "ts" | "time" | "timestamp" | "@timestamp" | "date" | "datetime"
                    );
                    Some((if time { Role::Timestamp } else { Role::Auto }, name.clone()))
                })
                .collect();
        }
        Ok(Layout { delimiter: options.delimiter, header: options.header, columns, all_auto })
    }

    /// The role and name of column `index` (0-based).
    pub(crate) fn column(&self, index: usize) -> Option<(Role, &str)> {
        match self.columns.get(index) {
            Some(Some((role, name))) => Some((*role, name)),
            Some(None) => None,
            None if self.all_auto => Some((Role::Auto, "")),
            None => None,
        }
    }
}

/// The fields of one record, unquoted into a reusable buffer.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Fields {
    /// Splits `line` at `delimiter`, honouring `"` quoting with `""` for a quote inside.
    pub(crate) fn split(&mut self, line: &[u8], delimiter: u8) -> Result<(), String> {
        self.bytes.clear();
        self.ends.clear();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut i = 0;
        loop {
            if line.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match memchr::memchr(b'"', &line[i..]) {
                        None => return Err("unterminated quoted CSV field".to_owned()),
                        Some(q) => {
                            self.bytes.extend_from_slice(&line[i..i + q]);
                            i += q + 1;
                            if line.get(i) == Some(&b'"') {
                                self.bytes.push(b'"');
                                i += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                match line.get(i) {
                    None => {}
                    Some(&b) if b == delimiter => {}
                    Some(_) => {
                        return Err(format!(
                            "unexpected data after a quoted CSV field at byte {i}"
                        ));
                    }
                }
            } else {
                let end = memchr::memchr(delimiter, &line[i..]).map_or(line.len(), |d| i + d);
                self.bytes.extend_from_slice(&line[i..end]);
                i = end;
            }
            self.ends.push(self.bytes.len());
            if i >= line.len() {
                return Ok(());
            }
            i += 1; // the delimiter
            if i == line.len() {
                self.ends.push(self.bytes.len());
                return Ok(());
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends.get(index - 1).copied().unwrap_or(0) };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn split(line: &str) -> String {
        let mut fields = Fields::default();
        match fields.split(line.as_bytes(), b',') {
            Ok(()) => (0..fields.len())
                .map(|i| String::from_utf8_lossy(fields.get(i)).into_owned())
                .collect::<Vec<_>>()
                .join("|"),
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(split("a,b,c"), "a|b|c");
        assert_eq!(split("\"a,b\",\"say \"\"hi\"\"\",c\r"), "a,b|say \"hi\"|c");
        assert_eq!(split(",,"), "||");
        assert_eq!(split(""), "");
        assert_eq!(split("\"open"), "error: unterminated quoted CSV field");
        assert_eq!(split("\"a\"b,c"), "error: unexpected data after a quoted CSV field at byte 3");
    }

    #[test]
    fn mappings() {
        let columns: CsvColumns = "query=domain, 3=ip".parse().unwrap();
        let layout = Layout::new(
            &CsvOptions { columns, ..CsvOptions::default() },
            Some(b"time,query,client"),
        )
        .unwrap();
        assert_eq!(layout.column(1), Some((Role::Domain, "query")));
        assert_eq!(layout.column(2), Some((Role::Ip, "client")));
        assert_eq!(layout.column(0), None);
        assert_eq!("x".parse::<CsvColumns>().unwrap_err(), "expected COLUMN=ROLE, found \"x\"");
        assert_eq!("0=ip".parse::<CsvColumns>().unwrap_err(), "column numbers start at 1");
        let missing = Layout::new(
            &CsvOptions { columns: "nope=ip".parse().unwrap(), ..CsvOptions::default() },
            Some(b"a,b"),
        );
        assert_eq!(missing.unwrap_err(), "no CSV column named \"nope\" in the header");
    }
}
