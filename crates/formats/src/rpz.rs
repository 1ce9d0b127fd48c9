//! DNS Response Policy Zones (draft-vixie-dnsop-dns-rpz): a zone file that a resolver (BIND,
//! Unbound, Knot Resolver, PowerDNS Recursor) loads to answer NXDOMAIN, NODATA or a walled-garden
//! name for listed domains and their subdomains, and for answers that contain listed addresses.
//!
//! ```text
//! $TTL 300
//! @ SOA localhost. hostmaster.localhost. 2024010101 3600 600 86400 300
//! @ NS localhost.
//! evil.example CNAME .
//! *.evil.example CNAME .
//! 32.7.100.51.198.rpz-ip CNAME .
//! ```

use std::collections::BTreeSet;
use std::io::Write;

use crate::export::{Selected, Selection, insert_value};
use crate::ipnet::IpNet;
use crate::observable::{Observable, is_domain};
use crate::{Error, digest};

/// What the resolver answers for a listed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpzAction {
    /// NXDOMAIN (`CNAME .`).
    Nxdomain,
    /// NODATA (`CNAME *.`).
    Nodata,
    /// The answer for another name, e.g. a walled-garden web server (`CNAME garden.example.`).
    WalledGarden(String),
}

/// Settings for [`write_rpz`].
#[derive(Debug, Clone)]
pub struct RpzOptions {
    /// The SOA serial; see [`next_serial`].
    pub serial: u32,
    /// The TTL of every record.
    pub ttl: u32,
    /// The SOA MNAME (primary name server), fully qualified.
    pub primary: String,
    /// The SOA RNAME (responsible mailbox in DNS form), fully qualified.
    pub contact: String,
    /// The answer for listed names.
    pub action: RpzAction,
    /// Whether to add `rpz-ip` triggers for listed IP addresses and blocks.
    pub ip_triggers: bool,
}

/// The default TTL: five minutes, so a removed entry stops being enforced soon.
pub const DEFAULT_TTL: u32 = 300;

impl Default for RpzOptions {
    fn default() -> RpzOptions {
        RpzOptions {
            serial: 1,
            ttl: DEFAULT_TTL,
            primary: "localhost.".into(),
            contact: "hostmaster.localhost.".into(),
            action: RpzAction::Nxdomain,
            ip_triggers: true,
        }
    }
}

/// The next SOA serial: unchanged when the zone content is the same as last time (`previous`
/// is the last `(serial, digest)`), otherwise larger than the previous serial and, where
/// possible, the current Unix time (so serials also increase across lost state files).
/// Serials compare by RFC 1982 arithmetic; the Unix time fits until 2106.
pub fn next_serial(previous: Option<(u32, u64)>, digest: u64, now_unix: u64) -> u32 {
    // Seconds since 1970 fit in a u32 until 2106; saturate rather than wrap after that.
    let now = u32::try_from(now_unix).unwrap_or(u32::MAX);
    match previous {
        Some((serial, old)) if old == digest => serial,
        Some((serial, _)) => now.max(serial.wrapping_add(1)),
        None => now.max(1),
    }
}

/// A digest of the records [`write_rpz`] would write (without the SOA), to decide whether the
/// serial must change.
pub fn content_digest(selection: &Selection, options: &RpzOptions) -> Result<u64, Error> {
    let mut hash = digest::Fnv1a::new();
    let zone = RpzZone::from_selection(selection);
    zone.write_records(&target(options)?, options, &mut hash)?;
    Ok(hash.0)
}

/// Writes the policy zone: the SOA and NS records, then, sorted and without duplicates, two
/// records per listed domain (the name and `*.` the name) and one per listed address block.
///
/// # Errors
/// On a malformed walled-garden name, SOA name, or when writing fails.
pub fn write_rpz(
    selection: &Selection,
    options: &RpzOptions,
    out: &mut (impl Write + ?Sized),
) -> Result<(), Error> {
    RpzZone::from_selection(selection).write(options, |_| options.serial, out).map(|_| ())
}

/// A zone built one selected indicator at a time (for exports read page by page): only the
/// listed names and address blocks are kept, not the objects.
#[derive(Debug, Clone, Default)]
pub struct RpzZone {
    domains: BTreeSet<Box<str>>,
    nets: Vec<IpNet>,
}

impl RpzZone {
    /// An empty zone.
    pub fn new() -> RpzZone {
        RpzZone::default()
    }

    fn from_selection(selection: &Selection) -> RpzZone {
        let mut zone = RpzZone::new();
        for selected in selection.objects() {
            zone.add(selected);
        }
        zone
    }

    /// Adds the domains and addresses of a selected indicator.
    pub fn add(&mut self, selected: &Selected) {
        for observable in selected.observables() {
            match observable {
                Observable::Domain(d) => insert_value(&mut self.domains, d),
                Observable::Ip(net) => self.nets.push(*net),
                _ => {}
            }
        }
    }

    /// Writes the zone like [`write_rpz`], with the SOA serial that `serial` returns for the
    /// digest of the records (see [`next_serial`]); returns that serial.
    ///
    /// # Errors
    /// As [`write_rpz`].
    pub fn write(
        &self,
        options: &RpzOptions,
        serial: impl FnOnce(u64) -> u32,
        out: &mut (impl Write + ?Sized),
    ) -> Result<u32, Error> {
        for (what, name) in [("primary", &options.primary), ("contact", &options.contact)] {
            if !is_fqdn(name) {
                return Err(Error::Options(format!(
                    "RPZ {what} `{name}` is not a fully qualified name"
                )));
            }
        }
        let target = target(options)?;
        // The records are written twice, to digest them and then to `out`, rather than kept.
        let mut hash = digest::Fnv1a::new();
        self.write_records(&target, options, &mut hash)?;
        let serial = serial(hash.0);
        writeln!(
            out,
            "; Response policy zone written by Meridian. Do not edit: it is regenerated."
        )?;
        writeln!(out, "$TTL {}", options.ttl)?;
        writeln!(
            out,
            "@ SOA {} {} {serial} 3600 600 86400 {}",
            options.primary, options.contact, options.ttl
        )?;
        writeln!(out, "@ NS {}", options.primary)?;
        self.write_records(&target, options, out)?;
        Ok(serial)
    }

    /// The records, without SOA and NS, answering with `target`.
    fn write_records(
        &self,
        target: &str,
        options: &RpzOptions,
        out: &mut (impl Write + ?Sized),
    ) -> Result<(), Error> {
        let domains = &self.domains;
        // A listed parent makes its subdomains redundant: `*.parent` covers them.
        let covered = |d: &str| {
            let mut rest = d;
            while let Some((_, parent)) = rest.split_once('.') {
                if domains.contains(parent) {
                    return true;
                }
                rest = parent;
            }
            false
        };
        for domain in domains.iter().filter(|d| !covered(d)) {
            writeln!(out, "{domain} CNAME {target}")?;
            writeln!(out, "*.{domain} CNAME {target}")?;
        }
        if options.ip_triggers {
            for net in crate::ipnet::merge(&self.nets) {
                writeln!(out, "{} CNAME {target}", rpz_ip_name(&net))?;
            }
        }
        Ok(())
    }
}

/// The answer for listed names, checked.
fn target(options: &RpzOptions) -> Result<String, Error> {
    Ok(match &options.action {
        RpzAction::Nxdomain => ".".to_owned(),
        RpzAction::Nodata => "*.".to_owned(),
        RpzAction::WalledGarden(name) => {
            let name = if name.ends_with('.') { name.clone() } else { format!("{name}.") };
            if !is_fqdn(&name) {
                return Err(Error::Options(format!(
                    "walled-garden target `{name}` is not a valid name"
                )));
            }
            name
        }
    })
}

/// The owner name of an `rpz-ip` trigger: the prefix length, then the address in reverse order
/// (IPv4 octets; IPv6 16-bit words in hex, the longest run of zero words written `zz`).
fn rpz_ip_name(net: &IpNet) -> String {
    let mut labels = vec![net.prefix().to_string()];
    if net.is_v6() {
        let words: Vec<u16> = (0..8).rev().map(|i| (net.bits() >> (i * 16)) as u16).collect();
        let (zero_start, zero_len) = longest_zero_run(&words);
        let mut forward = Vec::new();
        let mut i = 0;
        while i < 8 {
            if zero_len > 1 && i == zero_start {
                forward.push("zz".to_owned());
                i += zero_len;
            } else {
                forward.push(format!("{:x}", words[i]));
                i += 1;
            }
        }
        labels.extend(forward.into_iter().rev());
    } else {
        labels.extend((0..4).map(|i| ((net.bits() >> (i * 8)) & 0xff).to_string()));
    }
    labels.push("rpz-ip".into());
    labels.join(".")
}

fn longest_zero_run(words: &[u16]) -> (usize, usize) {
    let (mut best, mut current) = ((0, 0), (0, 0));
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            if current.1 == 0 {
                current.0 = i;
            }
            current.1 += 1;
            if current.1 > best.1 {
                best = current;
            }
        } else {
            current.1 = 0;
        }
    }
    best
}

fn is_fqdn(name: &str) -> bool {
    name == "." || name.strip_suffix('.').is_some_and(|n| is_domain(&n.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_increase_only_on_change() {
        assert_eq!(next_serial(None, 7, 1_700_000_000), 1_700_000_000);
        assert_eq!(next_serial(Some((1_700_000_000, 7)), 7, 1_800_000_000), 1_700_000_000);
        assert_eq!(next_serial(Some((1_700_000_000, 7)), 8, 1_800_000_000), 1_800_000_000);
        assert_eq!(next_serial(Some((1_900_000_000, 7)), 8, 1_800_000_000), 1_900_000_001);
    }

    #[test]
    fn ip_trigger_names() {
        let name = |t: &str| rpz_ip_name(&IpNet::parse(t).unwrap());
        assert_eq!(name("198.51.100.7"), "32.7.100.51.198.rpz-ip");
        assert_eq!(name("198.51.100.0/24"), "24.0.100.51.198.rpz-ip");
        assert_eq!(name("2001:db8::1"), "128.1.zz.db8.2001.rpz-ip");
        assert_eq!(name("2001:db8::/32"), "32.zz.db8.2001.rpz-ip");
    }
}
