//! nftables set definitions for IPv4 and IPv6 (`nft -f`), with overlapping and adjacent blocks
//! merged (interval sets reject overlaps). The file creates the table and sets if needed, empties
//! them, and adds the elements, so loading it again replaces the lists atomically.
//!
//! ```text
//! add table inet meridian
//! add set inet meridian blocklist_v4 { type ipv4_addr; flags interval; }
//! flush set inet meridian blocklist_v4
//! add element inet meridian blocklist_v4 { 198.51.100.0/24, 203.0.113.7 }
//! ```

use std::io::Write;

use crate::Error;
use crate::export::{Selected, Selection};
use crate::ipnet::IpNet;
use crate::observable::Observable;

/// Settings for [`write_nft`].
#[derive(Debug, Clone)]
pub struct NftOptions {
    /// The table family: `inet`, `ip`, `ip6`, `bridge` or `netdev`.
    pub family: String,
    /// The table name.
    pub table: String,
    /// The name of the IPv4 set.
    pub set_v4: String,
    /// The name of the IPv6 set.
    pub set_v6: String,
}

impl Default for NftOptions {
    fn default() -> NftOptions {
        NftOptions {
            family: "inet".into(),
            table: "meridian".into(),
            set_v4: "blocklist_v4".into(),
            set_v6: "blocklist_v6".into(),
        }
    }
}

/// Elements per `add element` line, to keep lines readable.
const PER_LINE: usize = 16;

/// Writes the set file.
///
/// # Errors
/// On a bad family or name, or when writing fails.
pub fn write_nft(
    selection: &Selection,
    options: &NftOptions,
    out: &mut (impl Write + ?Sized),
) -> Result<(), Error> {
    let mut sets = NftSets::new();
    for selected in selection.objects() {
        sets.add(selected);
    }
    sets.write(options, out)
}

/// The sets built one selected indicator at a time (for exports read page by page): only the
/// address blocks are kept, not the objects.
#[derive(Debug, Clone, Default)]
pub struct NftSets {
    nets: Vec<IpNet>,
}

impl NftSets {
    /// Empty sets.
    pub fn new() -> NftSets {
        NftSets::default()
    }

    /// Adds the addresses and blocks of a selected indicator.
    pub fn add(&mut self, selected: &Selected) {
        self.nets.extend(selected.observables().iter().filter_map(|o| match o {
            Observable::Ip(net) => Some(*net),
            _ => None,
        }));
    }

    /// Writes the set file.
    ///
    /// # Errors
    /// As [`write_nft`].
    pub fn write(
        &self,
        options: &NftOptions,
        out: &mut (impl Write + ?Sized),
    ) -> Result<(), Error> {
        if !["inet", "ip", "ip6", "bridge", "netdev"].contains(&options.family.as_str()) {
            return Err(Error::Options(format!("unknown nftables family `{}`", options.family)));
        }
        for name in [&options.table, &options.set_v4, &options.set_v6] {
            let ok = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(Error::Options(format!(
                    "nftables name `{name}` must be a letter then letters, digits or _"
                )));
            }
        }
        let merged = crate::ipnet::merge(&self.nets);
        let (family, table) = (&options.family, &options.table);
        writeln!(out, "# nftables sets written by Meridian. Do not edit: they are regenerated.")?;
        writeln!(out, "add table {family} {table}")?;
        for (set, v6, kind) in
            [(&options.set_v4, false, "ipv4_addr"), (&options.set_v6, true, "ipv6_addr")]
        {
            writeln!(out, "add set {family} {table} {set} {{ type {kind}; flags interval; }}")?;
            writeln!(out, "flush set {family} {table} {set}")?;
            let elements: Vec<String> =
                merged.iter().filter(|n| n.is_v6() == v6).map(ToString::to_string).collect();
            for chunk in elements.chunks(PER_LINE) {
                writeln!(out, "add element {family} {table} {set} {{ {} }}", chunk.join(", "))?;
            }
        }
        Ok(())
    }
}
