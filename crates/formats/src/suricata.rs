//! Suricata: dataset files (one entry per line; strings base64-encoded, hashes as hex), the rules
//! that use them, and IP reputation files (`iprep`), so that a sensor reloads lists without
//! touching its rules.
//!
//! Files, for the default prefix `meridian`:
//! `meridian.rules`, `meridian-domains.lst` (for `dns.query` and `tls.sni`),
//! `meridian-md5.lst`, `meridian-sha1.lst`, `meridian-sha256.lst` (for `filemd5`, `filesha1`,
//! `filesha256`), `meridian-iprep-categories.txt` and `meridian-iprep.list` (for `iprep`).
//! Domain datasets match exact names; suffix matching is what the RPZ export is for.

use std::collections::BTreeSet;
use std::io::Write;

use crate::Error;
use crate::export::{Selected, Selection, insert_value};
use crate::ipnet::IpNet;
use crate::observable::{HashAlgorithm, Observable};

/// Settings for the Suricata writers.
#[derive(Debug, Clone)]
pub struct SuricataOptions {
    /// Prefix of file and dataset names (letters, digits, `-`, `_`).
    pub prefix: String,
    /// The first sid to use.
    pub sid_start: u32,
    /// The last sid that may be used; writing fails when the rules need more.
    pub sid_end: u32,
    /// The directory that `load` names in rules are relative to (empty: Suricata's default).
    pub dataset_dir: String,
    /// The reputation category number (1-60).
    pub iprep_category: u8,
    /// The reputation score given to listed addresses (1-127).
    pub iprep_score: u8,
}

/// The default first sid: inside the range 9,000,000-9,999,999 that the Suricata/ET sid
/// allocation leaves for local use.
pub const DEFAULT_SID_START: u32 = 9_400_000;

impl Default for SuricataOptions {
    fn default() -> SuricataOptions {
        SuricataOptions {
            prefix: "meridian".into(),
            sid_start: DEFAULT_SID_START,
            sid_end: DEFAULT_SID_START + 999,
            dataset_dir: String::new(),
            iprep_category: 1,
            iprep_score: 127,
        }
    }
}

/// The files of a Suricata export: the rules file and each list it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuricataFile {
    /// The rules.
    Rules,
    /// Domain names, base64-encoded (dataset type `string`).
    Domains,
    /// File hashes of one algorithm, hex.
    Hashes(HashAlgorithm),
    /// Reputation categories.
    IprepCategories,
    /// Addresses and blocks with category and score.
    Iprep,
}

impl SuricataFile {
    /// Every file, in a fixed order.
    pub const ALL: [SuricataFile; 7] = [
        SuricataFile::Rules,
        SuricataFile::Domains,
        SuricataFile::Hashes(HashAlgorithm::Md5),
        SuricataFile::Hashes(HashAlgorithm::Sha1),
        SuricataFile::Hashes(HashAlgorithm::Sha256),
        SuricataFile::IprepCategories,
        SuricataFile::Iprep,
    ];

    /// The file name for `options.prefix`.
    pub fn file_name(self, options: &SuricataOptions) -> String {
        let p = &options.prefix;
        match self {
            SuricataFile::Rules => format!("{p}.rules"),
            SuricataFile::Domains => format!("{p}-domains.lst"),
            SuricataFile::Hashes(a) => format!("{p}-{}.lst", a.misp_type()),
            SuricataFile::IprepCategories => format!("{p}-iprep-categories.txt"),
            SuricataFile::Iprep => format!("{p}-iprep.list"),
        }
    }
}

/// Writes one file of the Suricata export.
///
/// # Errors
/// On a bad prefix, a sid range too small for the rules, or when writing fails.
pub fn write_suricata(
    selection: &Selection,
    file: SuricataFile,
    options: &SuricataOptions,
    out: &mut (impl Write + ?Sized),
) -> Result<(), Error> {
    let mut lists = SuricataLists::new();
    for selected in selection.objects() {
        lists.add(selected);
    }
    lists.write(file, options, out)
}

/// The values of a Suricata export, gathered one selected indicator at a time (for exports
/// read page by page): only the values are kept, not the objects.
#[derive(Debug, Clone, Default)]
pub struct SuricataLists {
    domains: BTreeSet<Box<str>>,
    /// MD5, SHA-1 and SHA-256 values, in the order of [`HASH_FILES`].
    hashes: [BTreeSet<Box<str>>; 3],
    nets: Vec<IpNet>,
}

/// The hash algorithms with a dataset file, and the Suricata keyword that uses each.
const HASH_FILES: [(HashAlgorithm, &str); 3] = [
    (HashAlgorithm::Md5, "filemd5"),
    (HashAlgorithm::Sha1, "filesha1"),
    (HashAlgorithm::Sha256, "filesha256"),
];

impl SuricataLists {
    /// Empty lists.
    pub fn new() -> SuricataLists {
        SuricataLists::default()
    }

    /// Adds the values of a selected indicator.
    pub fn add(&mut self, selected: &Selected) {
        for observable in selected.observables() {
            match observable {
                Observable::Domain(d) => insert_value(&mut self.domains, d),
                Observable::Hash(algorithm, h) => {
                    if let Some(i) = HASH_FILES.iter().position(|(a, _)| a == algorithm) {
                        insert_value(&mut self.hashes[i], h);
                    }
                }
                Observable::Ip(net) => self.nets.push(*net),
                Observable::Url(_) | Observable::Email(_) => {}
            }
        }
    }

    /// Writes one file.
    ///
    /// # Errors
    /// As [`write_suricata`].
    pub fn write(
        &self,
        file: SuricataFile,
        options: &SuricataOptions,
        out: &mut (impl Write + ?Sized),
    ) -> Result<(), Error> {
        if options.prefix.is_empty()
            || !options.prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::Options(format!(
                "Suricata prefix `{}` must be letters, digits, - and _",
                options.prefix
            )));
        }
        if !(1..=60).contains(&options.iprep_category) || !(1..=127).contains(&options.iprep_score)
        {
            return Err(Error::Options("iprep category must be 1-60 and score 1-127".into()));
        }
        match file {
            SuricataFile::Rules => self.write_rules(options, out),
            SuricataFile::Domains => {
                for domain in &self.domains {
                    writeln!(out, "{}", base64(domain.as_bytes()))?;
                }
                Ok(())
            }
            SuricataFile::Hashes(algorithm) => {
                if let Some(i) = HASH_FILES.iter().position(|(a, _)| *a == algorithm) {
                    for hash in &self.hashes[i] {
                        writeln!(out, "{hash}")?;
                    }
                }
                Ok(())
            }
            SuricataFile::IprepCategories => {
                writeln!(out, "{},{},Meridian indicators", options.iprep_category, options.prefix)?;
                Ok(())
            }
            SuricataFile::Iprep => {
                for net in crate::ipnet::merge(&self.nets) {
                    writeln!(out, "{net},{},{}", options.iprep_category, options.iprep_score)?;
                }
                Ok(())
            }
        }
    }

    fn write_rules(
        &self,
        options: &SuricataOptions,
        out: &mut (impl Write + ?Sized),
    ) -> Result<(), Error> {
        let p = &options.prefix;
        let load = |file: SuricataFile| {
            let name = file.file_name(options);
            if options.dataset_dir.is_empty() {
                name
            } else {
                format!("{}/{name}", options.dataset_dir.trim_end_matches('/'))
            }
        };
        let mut rules = Vec::new();
        if !self.domains.is_empty() {
            let domains = load(SuricataFile::Domains);
            for (proto, buffer, what) in
                [("dns", "dns.query", "DNS query for"), ("tls", "tls.sni", "TLS SNI of")]
            {
                rules.push(format!(
                    "alert {proto} any any -> any any (msg:\"Meridian: {what} a listed domain\"; {buffer}; \
                     dataset:isset,{p}-domains,type string,load {domains}; classtype:trojan-activity; sid:{{sid}}; rev:1;)"
                ));
            }
        }
        for ((algorithm, keyword), values) in HASH_FILES.iter().zip(&self.hashes) {
            if !values.is_empty() {
                let file = load(SuricataFile::Hashes(*algorithm));
                rules.push(format!(
                    "alert http any any -> any any (msg:\"Meridian: file with a listed {} hash\"; {keyword}:{file}; \
                     classtype:trojan-activity; sid:{{sid}}; rev:1;)",
                    algorithm.stix_name()
                ));
            }
        }
        if !self.nets.is_empty() {
            rules.push(format!(
                "alert ip any any -> any any (msg:\"Meridian: traffic with a listed IP address\"; iprep:any,{p},>,0; \
                 classtype:trojan-activity; sid:{{sid}}; rev:1;)"
            ));
        }
        let needed = u32::try_from(rules.len()).unwrap_or(u32::MAX);
        if options.sid_end < options.sid_start || options.sid_end - options.sid_start + 1 < needed {
            return Err(Error::Options(format!(
                "the sid range {}-{} is too small for {needed} rules",
                options.sid_start, options.sid_end
            )));
        }
        writeln!(out, "# Suricata rules written by Meridian. Do not edit: they are regenerated.")?;
        for (sid, rule) in (options.sid_start..).zip(rules) {
            writeln!(out, "{}", rule.replace("{sid}", &sid.to_string()))?;
        }
        Ok(())
    }
}

/// Standard base64 with padding (RFC 4648 §4), as Suricata's string datasets expect.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(super::base64(input.as_bytes()), expected);
        }
    }
}
