//! `meridian export`: write STIX content in a sharing or enforcement format, from the node
//! (`--data`: what the sharing policy lets the recipient have, read page by page, recorded in
//! the ledger; `service::export`) or from bundle files. The built-in export rules apply either
//! way (no revoked, expired, exercise, TLP:RED or unknown-marking objects; no warninglisted
//! values in enforcement formats).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use formats::{Purpose, SelectOptions};

/// Export indicators from STIX bundles: STIX bundle, MISP events or feed, DNS RPZ zone,
/// Suricata, Zeek Intel, nftables sets, CSV or a plain list.
///
/// What was withheld (and why) is summarised on standard error. Exit status: 0 on success, 2 on
/// error.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// STIX bundle files to export from (repeatable); or use `--data` to export from the node.
    #[arg(long = "input", required_unless_present = "data", value_name = "BUNDLE")]
    inputs: Vec<PathBuf>,
    /// Export from the node in this data directory: what the sharing policy lets the recipient
    /// (`--user`, or the partner `--partner`) have, recorded in the ledger.
    #[arg(long = "data", env = "MERIDIAN_DATA", value_name = "DIR", conflicts_with = "inputs")]
    data: Option<PathBuf>,
    /// The node user the export is for (or who runs it for `--partner`).
    #[arg(long, value_name = "NAME", requires = "data")]
    user: Option<String>,
    /// Export only this collection of the node (id or alias); default: every collection the
    /// recipient may read.
    #[arg(long, value_name = "COLLECTION", requires = "data")]
    collection: Option<String>,
    /// Export for this partner node (its organisation's grants and agreement decide).
    #[arg(long, value_name = "PEER", requires = "user")]
    partner: Option<String>,
    /// Output file (directory for `misp-feed` and `suricata`); standard output when absent.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Keep values on this MISP warninglist (JSON; repeatable) out of enforcement formats
    /// (with `--data`, in addition to the node's `DATA/warninglists/`).
    #[arg(long = "warninglist", value_name = "FILE")]
    warninglists: Vec<PathBuf>,
    /// Leave out indicators with a lower `confidence`.
    #[arg(long, value_name = "N")]
    min_confidence: Option<u8>,
    /// Leave out objects last modified before this STIX timestamp.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Check `valid_until` against this STIX timestamp instead of the current time.
    #[arg(long, value_name = "TIME", hide = true)]
    now: Option<String>,
    /// List every withheld object and value on standard error.
    #[arg(long)]
    show_withheld: bool,
    /// RPZ: the SOA serial (default: derived, see --serial-file).
    #[arg(long, value_name = "N")]
    serial: Option<u32>,
    /// RPZ: a file keeping the last serial and content digest; the serial increases only when the
    /// zone content changes.
    #[arg(long, value_name = "FILE")]
    serial_file: Option<PathBuf>,
    /// RPZ: answer with a walled-garden name instead of NXDOMAIN.
    #[arg(long, value_name = "NAME")]
    walled_garden: Option<String>,
    /// RPZ: answer NODATA instead of NXDOMAIN.
    #[arg(long)]
    nodata: bool,
    /// RPZ: no `rpz-ip` triggers for listed addresses.
    #[arg(long)]
    no_ip_triggers: bool,
    /// Suricata: the first and last sid to use.
    #[arg(long, value_name = "FIRST-LAST")]
    sid_range: Option<String>,
    /// Suricata: prefix of file and dataset names.
    #[arg(long, value_name = "PREFIX", default_value = "meridian")]
    prefix: String,
    /// nftables: the table name.
    #[arg(long, value_name = "NAME", default_value = "meridian")]
    nft_table: String,
    /// nftables: the table family (inet, ip, ip6, bridge, netdev).
    #[arg(long, value_name = "FAMILY", default_value = "inet")]
    nft_family: String,
    /// Plain lists: only these kinds (domain, ipv4, ipv6, url, email, hash; repeatable).
    #[arg(long = "type", value_enum, value_name = "KIND")]
    kinds: Vec<KindArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Stix,
    Misp,
    MispFeed,
    Rpz,
    Suricata,
    Zeek,
    Nft,
    Csv,
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Domain,
    Ipv4,
    Ipv6,
    Url,
    Email,
    Hash,
}

impl ExportArgs {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let now: stix::Timestamp = match &self.now {
            Some(t) => t.parse().context("--now")?,
            None => stix::Timestamp::now(),
        };
        if let Some(data) = &self.data {
            return self.export_node(data, now);
        }
        let mut objects = Vec::new();
        for path in &self.inputs {
            let text =
                fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let bundle: stix::Bundle = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a STIX bundle", path.display()))?;
            objects.extend(bundle.objects);
        }
        let mut warninglists = formats::Warninglists::new();
        for path in &self.warninglists {
            crate::node_cmd::add_warninglist(&mut warninglists, path)?;
        }
        let purpose = match self.format {
            Format::Stix | Format::Misp | Format::MispFeed => Purpose::Sharing,
            _ => Purpose::Enforcement,
        };
        let mut options = SelectOptions::new(purpose, now.clone());
        options.warninglists = Some(&warninglists);
        options.min_confidence = self.min_confidence;
        options.since = self.since.as_deref().map(str::parse).transpose().context("--since")?;
        let selection = formats::select(objects, &formats::BuiltInRulesOnly, &options);
        self.report_withheld(&selection.withheld, selection.objects().len(), 0)?;
        match self.format {
            Format::Stix => self.to_output(|out| formats::write_bundle(&selection, out)),
            Format::Misp => {
                let export = formats::misp::export_misp(&selection);
                report_skipped(&export.skipped)?;
                self.to_output(|out| formats::misp::write_misp_events(&export, out))
            }
            Format::MispFeed => {
                let export = formats::misp::export_misp(&selection);
                report_skipped(&export.skipped)?;
                let files = formats::misp::write_feed(&export)?
                    .into_iter()
                    .map(|f| service::export::ExportFile { name: f.name, contents: f.contents });
                self.to_dir("misp-feed", files)
            }
            Format::Rpz => self.rpz(&selection, &now),
            Format::Suricata => self.suricata(&selection),
            Format::Zeek => self.to_output(|out| {
                formats::zeek::write_zeek(&selection, &formats::zeek::ZeekOptions::default(), out)
            }),
            Format::Nft => {
                let options = self.nft_options();
                self.to_output(|out| formats::nft::write_nft(&selection, &options, out))
            }
            Format::Csv => self.to_output(|out| formats::csv::write_csv(&selection, out)),
            Format::Plain => {
                let kinds = self.kinds();
                self.to_output(|out| formats::write_plain(&selection, &kinds, out))
            }
        }
    }

    /// Exports from the node: decided by the sharing policy for `--user` (or `--partner`),
    /// read page by page, recorded in the ledger before the files are written.
    fn export_node(&self, data: &Path, now: stix::Timestamp) -> anyhow::Result<ExitCode> {
        let user = self.user.as_deref().context("exporting from the node needs --user NAME")?;
        let node = crate::node_cmd::open_node(data)?;
        let principal = node
            .principal_for(user)
            .with_context(|| format!("no user `{user}` in {}", data.display()))?;
        let format = match self.format {
            Format::Stix => service::export::Format::Stix,
            Format::Misp => service::export::Format::Misp,
            Format::MispFeed => service::export::Format::MispFeed,
            Format::Rpz => service::export::Format::Rpz,
            Format::Suricata => service::export::Format::Suricata,
            Format::Zeek => service::export::Format::Zeek,
            Format::Nft => service::export::Format::Nft,
            Format::Csv => service::export::Format::Csv,
            Format::Plain => service::export::Format::Plain,
        };
        let mut request = service::export::ExportRequest::new(format, now);
        request.collection = self.collection.clone();
        request.partner = self.partner.clone();
        request.min_confidence = self.min_confidence;
        request.since = self.since.as_deref().map(str::parse).transpose().context("--since")?;
        request.rpz = self.rpz_options();
        request.rpz_serial = match self.serial {
            Some(serial) => service::export::RpzSerial::Fixed(serial),
            None => service::export::RpzSerial::After(self.previous_serial()?),
        };
        request.suricata = self.suricata_options()?;
        request.nft = self.nft_options();
        request.kinds = self.kinds();
        if !self.warninglists.is_empty() {
            request.warninglists =
                Some(Arc::new(crate::node_cmd::warninglists(data, &self.warninglists)?));
        }
        let mut prepared = node
            .prepare_export(&principal, &request)
            .map_err(|e| match e {
                service::Error::NotFound => match (&self.collection, &self.partner) {
                    (Some(c), _) => {
                        anyhow::anyhow!("no collection `{c}` that the recipient may read")
                    }
                    (None, Some(p)) => anyhow::anyhow!("no peer `{p}`"),
                    (None, None) => anyhow::anyhow!("not found"),
                },
                other => anyhow::Error::new(other),
            })
            .with_context(|| format!("cannot export from {}", data.display()))?;
        let (withheld, skipped) =
            (std::mem::take(&mut prepared.withheld), std::mem::take(&mut prepared.skipped));
        let (exported, by_policy, rpz_state) =
            (prepared.exported, prepared.policy_withheld, prepared.rpz_state);
        // The ledger records the disclosure before any file is written or anything about the
        // export is said (fail closed).
        let files = node.release(prepared).context("cannot record the export in the ledger")?;
        self.report_withheld(&withheld, exported, by_policy)?;
        report_skipped(&skipped)?;
        match self.format {
            Format::Suricata => self.to_dir("suricata", files),
            Format::MispFeed => self.to_dir("misp-feed", files),
            _ => {
                let contents = files.into_iter().next().map(|f| f.contents).unwrap_or_default();
                match self.output.as_deref().filter(|p| *p != Path::new("-")) {
                    Some(path) => write_file(path, &contents)?,
                    None => {
                        let mut out = io::stdout().lock();
                        out.write_all(&contents)?;
                        out.flush()?;
                    }
                }
                if let (Some(path), Some((serial, digest))) = (&self.serial_file, rpz_state) {
                    write_file(path, format!("{serial} {digest:016x}\n").as_bytes())?;
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    fn rpz_options(&self) -> formats::rpz::RpzOptions {
        let mut options = formats::rpz::RpzOptions::default();
        if let Some(name) = &self.walled_garden {
            options.action = formats::rpz::RpzAction::WalledGarden(name.clone());
        } else if self.nodata {
            options.action = formats::rpz::RpzAction::Nodata;
        }
        options.ip_triggers = !self.no_ip_triggers;
        options
    }

    /// The `SERIAL DIGEST` of `--serial-file`, if it exists.
    fn previous_serial(&self) -> anyhow::Result<Option<(u32, u64)>> {
        match &self.serial_file {
            Some(path) if path.exists() => {
                let text = fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let mut parts = text.split_whitespace();
                let serial = parts.next().and_then(|s| s.parse().ok());
                let old = parts.next().and_then(|s| u64::from_str_radix(s, 16).ok());
                Ok(Some(
                    serial
                        .zip(old)
                        .with_context(|| format!("{}: expected `SERIAL DIGEST`", path.display()))?,
                ))
            }
            _ => Ok(None),
        }
    }

    fn suricata_options(&self) -> anyhow::Result<formats::suricata::SuricataOptions> {
        let mut options = formats::suricata::SuricataOptions {
            prefix: self.prefix.clone(),
            ..Default::default()
        };
        if let Some(range) = &self.sid_range {
            let (first, last) = range.split_once('-').context("--sid-range must be FIRST-LAST")?;
            options.sid_start = first.trim().parse().context("--sid-range: first sid")?;
            options.sid_end = last.trim().parse().context("--sid-range: last sid")?;
        }
        Ok(options)
    }

    fn nft_options(&self) -> formats::nft::NftOptions {
        formats::nft::NftOptions {
            family: self.nft_family.clone(),
            table: self.nft_table.clone(),
            ..formats::nft::NftOptions::default()
        }
    }

    fn kinds(&self) -> Vec<formats::Kind> {
        self.kinds
            .iter()
            .map(|k| match k {
                KindArg::Domain => formats::Kind::Domain,
                KindArg::Ipv4 => formats::Kind::Ipv4,
                KindArg::Ipv6 => formats::Kind::Ipv6,
                KindArg::Url => formats::Kind::Url,
                KindArg::Email => formats::Kind::Email,
                KindArg::Hash => formats::Kind::Hash,
            })
            .collect()
    }

    fn rpz(
        &self,
        selection: &formats::Selection,
        now: &stix::Timestamp,
    ) -> anyhow::Result<ExitCode> {
        let mut options = self.rpz_options();
        // The digest costs a second pass over the records: only the state file needs it.
        let digest = match &self.serial_file {
            Some(_) => formats::rpz::content_digest(selection, &options)?,
            None => 0,
        };
        let now_unix = u64::try_from(now.unix().0).unwrap_or(0);
        options.serial = match self.serial {
            Some(serial) => serial,
            None => formats::rpz::next_serial(self.previous_serial()?, digest, now_unix),
        };
        let code = self.to_output(|out| formats::rpz::write_rpz(selection, &options, out))?;
        if let Some(path) = &self.serial_file {
            write_file(path, format!("{} {digest:016x}\n", options.serial).as_bytes())?;
        }
        Ok(code)
    }

    fn suricata(&self, selection: &formats::Selection) -> anyhow::Result<ExitCode> {
        let options = self.suricata_options()?;
        let mut files = Vec::new();
        for file in formats::suricata::SuricataFile::ALL {
            let mut contents = Vec::new();
            formats::suricata::write_suricata(selection, file, &options, &mut contents)?;
            files.push(service::export::ExportFile { name: file.file_name(&options), contents });
        }
        self.to_dir("suricata", files)
    }

    /// Writes the files of a directory format into `-o DIR`.
    fn to_dir(
        &self,
        format: &str,
        files: impl IntoIterator<Item = service::export::ExportFile>,
    ) -> anyhow::Result<ExitCode> {
        let dir =
            self.output.as_deref().with_context(|| format!("--format {format} needs -o DIR"))?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for file in files {
            write_file(&dir.join(&file.name), &file.contents)?;
        }
        Ok(ExitCode::SUCCESS)
    }

    fn to_output(
        &self,
        write: impl FnOnce(&mut dyn Write) -> Result<(), formats::Error>,
    ) -> anyhow::Result<ExitCode> {
        match self.output.as_deref().filter(|p| *p != Path::new("-")) {
            Some(path) => {
                let mut contents = Vec::new();
                write(&mut contents)?;
                write_file(path, &contents)?;
            }
            None => {
                let mut out = BufWriter::new(io::stdout().lock());
                write(&mut out)?;
                out.flush()?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    fn report_withheld(
        &self,
        withheld: &[formats::Withheld],
        exported: usize,
        by_policy: usize,
    ) -> anyhow::Result<()> {
        let mut err = io::stderr().lock();
        if self.show_withheld {
            for withheld in withheld {
                writeln!(err, "withheld {withheld}")?;
            }
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        if by_policy > 0 {
            counts.insert("by the sharing policy".to_owned(), by_policy);
        }
        for withheld in withheld {
            let key = match &withheld.reason {
                formats::Reason::Warninglisted(_) => "on a warninglist".to_owned(),
                formats::Reason::UnknownMarking(_) => "unknown marking".to_owned(),
                formats::Reason::RefersToWithheld(_) => "refers to a withheld object".to_owned(),
                formats::Reason::InvalidValue(_) => "invalid value".to_owned(),
                other => other.to_string(),
            };
            *counts.entry(key).or_default() += 1;
        }
        let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        writeln!(
            err,
            "exported {exported} objects; withheld {}{}",
            withheld.len() + by_policy,
            if summary.is_empty() { String::new() } else { format!(" ({})", summary.join(", ")) }
        )?;
        Ok(())
    }
}

fn report_skipped(skipped: &[(String, String)]) -> anyhow::Result<()> {
    let mut err = io::stderr().lock();
    for (id, reason) in skipped {
        writeln!(err, "not in MISP: {id}: {reason}")?;
    }
    Ok(())
}

/// Writes `contents` to a temporary file next to `path` and renames it into place, so readers
/// (resolvers, sensors polling the file) never see a half-written list.
fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).context("output path has no file name")?;
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    fs::write(&tmp, contents).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}
