//! Zeek's TSV log header (`#separator`, `#set_separator`, `#empty_field`, `#unset_field`,
//! `#fields`, `#types`), which decides the columns of every log: dns, conn, http, ssl, x509,
//! files, notice, smtp, intel and any other.

use crate::role::{self, Role};

/// The header in force for the lines that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) separator: u8,
    pub(crate) set_separator: u8,
    pub(crate) empty: Vec<u8>,
    pub(crate) unset: Vec<u8>,
    pub(crate) columns: Vec<Column>,
    /// See [`Header::wanted_columns`].
    wanted: usize,
}

/// One column of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) role: Option<Role>,
    /// Whether values are `set[…]` or `vector[…]`, split at the set separator.
    pub(crate) container: bool,
}

impl Default for Header {
    fn default() -> Header {
        Header {
            separator: b'\t',
            set_separator: b',',
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
            columns: Vec::new(),
            wanted: 0,
        }
    }
}

impl Header {
    /// The number of leading columns a line must be split into: up to the last column with a
    /// role (the later ones are never looked up).
    pub(crate) fn wanted_columns(&self) -> usize {
        self.wanted
    }

    fn columns_changed(&mut self) {
        self.wanted =
            self.columns.iter().rposition(|c| c.role.is_some()).map_or(0, |last| last + 1);
    }

    /// Applies one `#` line. Lines other than the ones above (`#path`, `#open`, `#close`) change
    /// nothing.
    pub(crate) fn apply(&mut self, line: &[u8]) -> Result<(), String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(value) = line.strip_prefix(b"#separator ") {
            match unescape(value).as_slice() {
                [byte] => self.separator = *byte,
                _ => return Err("`#separator` must be one byte".to_owned()),
            }
            return Ok(());
        }
        let (directive, values) = match memchr::memchr(self.separator, line) {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (line, &b""[..]),
        };
        match directive {
            b"#set_separator" => match unescape(values).as_slice() {
                [byte] => self.set_separator = *byte,
                _ => return Err("`#set_separator` must be one byte".to_owned()),
            },
            b"#empty_field" => self.empty = unescape(values),
            b"#unset_field" => self.unset = unescape(values),
            b"#fields" => {
                self.columns = values
                    .split(|&b| b == self.separator)
                    .map(|name| {
                        let name = String::from_utf8_lossy(name).into_owned();
                        Column { role: role::zeek(&name, None), name, container: false }
                    })
                    .collect();
                self.columns_changed();
            }
            b"#types" => {
                let types: Vec<&[u8]> = values.split(|&b| b == self.separator).collect();
                if types.len() != self.columns.len() {
                    return Err(format!(
                        "`#types` lists {} types for {} `#fields`",
                        types.len(),
                        self.columns.len()
                    ));
                }
                for (column, zeek_type) in self.columns.iter_mut().zip(types) {
                    let zeek_type = String::from_utf8_lossy(zeek_type);
                    column.role = role::zeek(&column.name, Some(&zeek_type));
                    column.container =
                        zeek_type.starts_with("set[") || zeek_type.starts_with("vector[");
                }
                self.columns_changed();
            }
            _ => {}
        }
        Ok(())
    }
}

/// Undoes Zeek's `\xNN` escaping (and `\\`).
pub(crate) fn unescape(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    unescape_into(value, &mut out);
    out
}

/// [`unescape`] into a reusable buffer.
pub(crate) fn unescape_into(value: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\\' {
            if value.get(i + 1) == Some(&b'x') {
                let digits = value.get(i + 2..i + 4).and_then(|d| std::str::from_utf8(d).ok());
                if let Some(byte) = digits.and_then(|d| u8::from_str_radix(d, 16).ok()) {
                    out.push(byte);
                    i += 4;
                    continue;
                }
            } else if value.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
        }
        out.push(value[i]);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_header() {
        let mut header = Header::default();
        for line in [
            &b"#separator \\x09"[..],
            b"#set_separator\t,",
            b"#empty_field\t(empty)",
            b"#unset_field\t-",
            b"#path\tdns",
            b"#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\tanswers",
            b"#types\ttime\tstring\taddr\taddr\tstring\tvector[string]",
        ] {
            header.apply(line).unwrap();
        }
        let roles: Vec<_> =
            header.columns.iter().map(|c| (c.name.as_str(), c.role, c.container)).collect();
        assert_eq!(
            roles,
            [
                ("ts", Some(Role::Timestamp), false),
                ("uid", None, false),
                ("id.orig_h", Some(Role::Ip), false),
                ("id.resp_h", Some(Role::Ip), false),
                ("query", Some(Role::Domain), false),
                ("answers", Some(Role::Auto), true),
            ]
        );
    }

    #[test]
    fn other_separators_and_errors() {
        let mut header = Header::default();
        header.apply(b"#separator \\x2c").unwrap();
        header.apply(b"#fields,ts,host,uri").unwrap();
        assert_eq!(header.separator, b',');
        assert_eq!(header.columns.len(), 3);
        assert_eq!(
            header.apply(b"#types,time").unwrap_err(),
            "`#types` lists 1 types for 3 `#fields`"
        );
        assert_eq!(header.apply(b"#separator xx").unwrap_err(), "`#separator` must be one byte");
        assert_eq!(unescape(b"a\\x09b\\\\c\\xZZ"), b"a\tb\\c\\xZZ");
    }
}
