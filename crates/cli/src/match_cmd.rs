//! `meridian match`: scan logs for indicators and report hits as JSON lines, a count, statistics
//! per indicator type, or STIX 2.1 sightings. Exit status as grep's: 0 if anything matched, 1 if
//! nothing did, 2 if any input (a file or a line) could not be read.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use matcher::sighting::{SightingOptions, Sightings};
use matcher::source::{Loaded, Source};
use matcher::{EntryId, Hit, IndicatorSet, Kind, Sink, Summary, Warninglist};
use serde_json::json;

/// Rejected indicator values shown per source; the rest are counted.
const SHOWN_REJECTS: usize = 10;

/// Match logs against indicators.
#[derive(Debug, Args)]
pub(crate) struct MatchArgs {
    /// Indicator source: a file of plain values (one per line, defanged forms accepted), a STIX
    /// bundle, a MISP event or feed, a CSV file with a `value` column, a saved index, or `store`:
    /// the node's indicators that `--user` may use (needs `--data`). Repeat to combine sources.
    #[arg(short = 'i', long = "indicators", value_name = "SOURCE", required = true)]
    indicators: Vec<PathBuf>,
    /// A MISP warninglist (JSON). Indicators on it are flagged and their hits suppressed.
    #[arg(short = 'w', long = "warninglist", value_name = "FILE")]
    warninglists: Vec<PathBuf>,
    /// Report hits on warninglisted indicators too.
    #[arg(long)]
    no_warninglists: bool,
    /// The log format.
    #[arg(long, default_value = "auto", value_name = "FORMAT")]
    format: matcher::Format,
    /// For CSV logs: which columns to look at, e.g. `query=domain,3=ip,url=url` (roles: auto,
    /// domain, email, hash, host, ip, timestamp, url, uri). Default: every column, kind recognised.
    #[arg(long, value_name = "MAP", default_value = "")]
    csv_columns: matcher::CsvColumns,
    /// For CSV logs: the field delimiter.
    #[arg(long, value_name = "CHAR", default_value = ",")]
    csv_delimiter: char,
    /// For CSV logs: the first line is data, not a header.
    #[arg(long)]
    csv_no_header: bool,
    /// Print only the number of lines with hits.
    #[arg(long, conflicts_with_all = ["stats", "sightings"])]
    count: bool,
    /// Print a summary per indicator type.
    #[arg(long, conflicts_with = "sightings")]
    stats: bool,
    /// Print a STIX 2.1 bundle of sightings, one per indicator hit.
    #[arg(long, requires = "identity")]
    sightings: bool,
    /// The identity (`identity--…`) of the organisation whose logs these are, for sightings.
    #[arg(long, value_name = "ID")]
    identity: Option<stix::Identifier>,
    /// TLP marking for sightings: clear, green, amber, amber+strict or red.
    #[arg(long, value_name = "LEVEL")]
    tlp: Option<String>,
    /// Threads to read indicators and scan with (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Keep reading the (single) log file as it grows.
    #[arg(long)]
    follow: bool,
    /// Write the output here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Save the compiled indicators as an index that `-i` loads instantly.
    #[arg(long, value_name = "FILE")]
    save_index: Option<PathBuf>,
    /// The node's data directory, for `-i store` and `--store-sightings`.
    #[arg(long = "data", env = "MERIDIAN_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// The node user on whose behalf indicators are read and sightings stored.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Also store the sightings in this collection of the node (needs `--data` and `--user`),
    /// so they flow back, under the sharing policy, to the partners that shared the indicators.
    #[arg(long, value_name = "COLLECTION", requires = "sightings")]
    store_sightings: Option<String>,
    /// Log files; `-` is standard input. Gzip and zstd files are decompressed.
    #[arg(value_name = "LOG")]
    logs: Vec<PathBuf>,
}

/// What to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Lines,
    Count,
    Stats,
    Sightings,
}

impl MatchArgs {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        if self.follow && (self.logs.len() != 1 || self.logs[0] == Path::new("-")) {
            bail!("--follow needs exactly one log file");
        }
        if self.logs.is_empty() && self.save_index.is_none() {
            bail!("no log files given (use `-` for standard input)");
        }
        if self.threads > 0 {
            // Everything the command does in parallel uses this many, parsing indicator lists
            // too. (Should the global pool exist already, the scan still makes its own.)
            if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(self.threads).build_global()
            {
                tracing::debug!(error = %e, "Thread pool already set up; the scan makes its own.");
            }
        }
        let markings = match self.tlp.as_deref() {
            None => Vec::new(),
            Some(level) => {
                let tlp = stix::Tlp::ALL
                    .into_iter()
                    .find(|t| {
                        t.label().eq_ignore_ascii_case(level)
                            || t.label().eq_ignore_ascii_case(&format!("TLP:{level}"))
                    })
                    .with_context(|| format!("unknown TLP level {level:?}"))?;
                vec![tlp.marking_id().parse().context("the pinned TLP marking id")?]
            }
        };
        let set = self.load_indicators()?;
        if let Some(path) = &self.save_index {
            set.save(path)
                .with_context(|| format!("cannot save the index to {}", path.display()))?;
            eprintln!("meridian: saved {} indicator values to {}", set.len(), path.display());
            if self.logs.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
        }
        let mode = if self.count {
            Mode::Count
        } else if self.stats {
            Mode::Stats
        } else if self.sightings {
            Mode::Sightings
        } else {
            Mode::Lines
        };
        let out: Box<dyn Write> = match &self.output {
            Some(path) => Box::new(io::BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            None => Box::new(io::BufWriter::with_capacity(64 << 10, io::stdout().lock())),
        };
        let options = matcher::Options {
            format: self.format,
            csv: matcher::CsvOptions {
                delimiter: u8::try_from(self.csv_delimiter)
                    .context("the CSV delimiter must be ASCII")?,
                header: !self.csv_no_header,
                columns: self.csv_columns.clone(),
            },
            suppress_warninglisted: !self.no_warninglists,
            follow: self.follow,
            threads: self.threads,
            ..matcher::Options::default()
        };
        let mut sink = Output {
            set: &set,
            mode,
            out,
            file: String::new(),
            sightings: Sightings::default(),
            per_kind: BTreeMap::new(),
            progress: None,
        };
        let mut total = Summary::default();
        let mut failed = false;
        for log in &self.logs {
            sink.file = log.display().to_string();
            sink.progress = progress_bar(log, self.follow);
            let result = if log == Path::new("-") {
                matcher::scan_reader(&set, "-", io::stdin(), &options, &mut sink)
            } else {
                matcher::scan_path(&set, log, &options, &mut sink)
            };
            if let Some(bar) = sink.progress.take() {
                bar.finish_and_clear();
            }
            match result {
                Ok(summary) => {
                    tracing::info!(file = %log.display(), format = summary.format.as_str(), lines = summary.lines, hits = summary.hits, "Scanned log.");
                    total.add(&summary);
                }
                Err(matcher::Error::Sink(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS);
                }
                Err(error) => {
                    eprintln!("meridian: {:#}", anyhow::Error::from(error));
                    failed = true;
                }
            }
        }
        let sightings = sink.finish(&total, markings, self.identity.as_ref())?;
        if let (Some(collection), Some(objects)) = (&self.store_sightings, sightings) {
            let (node, principal) = self.node_user("--store-sightings")?;
            let raws: Vec<String> =
                objects.iter().map(serde_json::to_string).collect::<Result<_, _>>()?;
            let report = node
                .add_as(&principal, collection, &raws, "match")
                .with_context(|| format!("cannot store the sightings in `{collection}`"))?;
            eprintln!(
                "meridian: stored {} sightings in `{collection}` ({} already there, {} refused)",
                report.added,
                report.unchanged,
                report.rejected.len()
            );
            for rejected in &report.rejected {
                eprintln!(
                    "meridian: refused {}: {}",
                    rejected.id,
                    rejected.message.as_deref().unwrap_or("")
                );
            }
        }
        if total.suppressed > 0 && mode != Mode::Stats {
            eprintln!(
                "meridian: {} hits on warninglisted indicators suppressed (--no-warninglists shows them)",
                total.suppressed
            );
        }
        Ok(if failed || total.malformed > 0 {
            ExitCode::from(2)
        } else if total.hits > 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    /// The node in `--data` and the principal of `--user`.
    fn node_user(&self, what: &str) -> anyhow::Result<(service::Node, service::Principal)> {
        let data = self
            .data
            .as_ref()
            .with_context(|| format!("{what} needs --data DIR (the node's data directory)"))?;
        let user = self.user.as_ref().with_context(|| format!("{what} needs --user NAME"))?;
        let node = crate::node_cmd::open_node(data)?;
        let principal = node
            .principal_for(user)
            .with_context(|| format!("no user `{user}` in {}", data.display()))?;
        Ok((node, principal))
    }

    /// Reads every source and warninglist and compiles them into one set. A single saved index
    /// is used as it is.
    fn load_indicators(&self) -> anyhow::Result<IndicatorSet> {
        let now = stix::Timestamp::now();
        let warninglists = if self.no_warninglists {
            Vec::new()
        } else {
            self.warninglists
                .iter()
                .map(|path| Warninglist::load(path).context("cannot read the warninglist"))
                .collect::<anyhow::Result<Vec<_>>>()?
        };
        let mut all = Loaded::default();
        let mut indexes = Vec::new();
        for path in &self.indicators {
            if path == Path::new("store") && !path.exists() {
                let (node, principal) = self.node_user("-i store")?;
                let objects: Vec<serde_json::Value> = node
                    .usable_indicators(&principal)
                    .context("cannot read the node's indicators")?
                    .iter()
                    .filter_map(|json| serde_json::from_str(json).ok())
                    .collect();
                let bundle = json!({"type": "bundle", "id": stix::Identifier::random("bundle"), "objects": objects});
                let loaded =
                    matcher::source::stix_bundle(&bundle, &now).map_err(anyhow::Error::msg)?;
                tracing::info!(
                    source = "store",
                    indicators = loaded.indicators.len(),
                    "Loaded indicators."
                );
                all.extend(loaded);
                continue;
            }
            match matcher::source::load(path, &now).context("cannot read the indicators")? {
                Source::Index(set) => indexes.push(*set),
                Source::Indicators(loaded) => {
                    for (at, why) in loaded.rejected.iter().take(SHOWN_REJECTS) {
                        eprintln!("meridian: {}: {at}: {why}", path.display());
                    }
                    if loaded.rejected.len() > SHOWN_REJECTS {
                        eprintln!(
                            "meridian: {}: {} more values rejected",
                            path.display(),
                            loaded.rejected.len() - SHOWN_REJECTS
                        );
                    }
                    tracing::info!(source = %path.display(), indicators = loaded.indicators.len(), revoked = loaded.revoked, expired = loaded.expired, unusable = loaded.unusable, "Loaded indicators.");
                    all.extend(loaded);
                }
                _ => bail!("{}: unsupported indicator source", path.display()),
            }
        }
        let set = if indexes.len() == 1 && all.indicators.is_empty() && warninglists.is_empty() {
            indexes.remove(0)
        } else {
            let from_indexes: Vec<_> = indexes.iter().flat_map(IndicatorSet::indicators).collect();
            IndicatorSet::compile(all.indicators.into_iter().chain(from_indexes), &warninglists)
        };
        let flagged = set.flagged().count();
        if flagged > 0 {
            for (entry, list) in set.flagged().take(SHOWN_REJECTS) {
                tracing::info!(
                    indicator = entry.value(),
                    warninglist = list,
                    "Indicator is on a warninglist."
                );
            }
            let what = if self.no_warninglists { "reported anyway" } else { "suppressed" };
            eprintln!("meridian: {flagged} indicators are on warninglists; their hits are {what}");
        }
        if set.is_empty() {
            eprintln!("meridian: no usable indicators");
        }
        Ok(set)
    }
}

/// A progress bar on stderr for a file, when stderr is a terminal.
fn progress_bar(log: &Path, follow: bool) -> Option<ProgressBar> {
    if follow || log == Path::new("-") || !io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(log).ok()?.len();
    let compressed = matches!(log.extension().and_then(|e| e.to_str()), Some("gz" | "zst"));
    let bar = if compressed { ProgressBar::new_spinner() } else { ProgressBar::new(len) };
    let template = if compressed {
        "{spinner} {msg} {bytes} ({bytes_per_sec})"
    } else {
        "{wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(log.display().to_string());
    Some(bar)
}

struct Output<'a> {
    set: &'a IndicatorSet,
    mode: Mode,
    out: Box<dyn Write>,
    file: String,
    sightings: Sightings,
    per_kind: BTreeMap<Kind, (u64, HashSet<EntryId>)>,
    progress: Option<ProgressBar>,
}

impl Sink for Output<'_> {
    fn hit(&mut self, hit: &Hit) -> io::Result<bool> {
        let entry = self.set.entry(hit.entry);
        match self.mode {
            Mode::Lines => {
                let ids: Vec<String> = entry.ids().map(|id| format!("indicator--{id}")).collect();
                let line = json!({
                    "file": self.file,
                    "line": hit.line,
                    "timestamp": hit.timestamp,
                    "field": hit.field,
                    "value": hit.value,
                    "indicator": entry.value(),
                    "indicator_type": entry.kind().as_str(),
                    "indicator_ids": ids,
                    "match": hit.kind.as_str(),
                });
                writeln!(self.out, "{line}")?;
            }
            Mode::Count => {}
            Mode::Stats => {
                let slot = self.per_kind.entry(entry.kind()).or_default();
                slot.0 += 1;
                slot.1.insert(hit.entry);
            }
            Mode::Sightings => self.sightings.add(self.set, hit),
        }
        Ok(true)
    }

    fn malformed(&mut self, line: u64, message: &str) {
        let report = format!("meridian: {}:{line}: {message}", self.file);
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{report}")),
            None => eprintln!("{report}"),
        }
    }

    fn progress(&mut self, bytes: u64) {
        if let Some(bar) = &self.progress {
            bar.set_position(bytes);
        }
    }
}

impl Output<'_> {
    fn finish(
        &mut self,
        total: &Summary,
        markings: Vec<stix::Identifier>,
        identity: Option<&stix::Identifier>,
    ) -> anyhow::Result<Option<Vec<stix::Object>>> {
        let mut sightings = None;
        match self.mode {
            Mode::Lines => {}
            Mode::Count => writeln!(self.out, "{}", total.hit_lines)?,
            Mode::Stats => {
                writeln!(self.out, "indicators\t{}", self.set.len())?;
                for (kind, count) in self.set.counts().iter().filter(|(_, n)| *n > 0) {
                    writeln!(self.out, "indicators.{kind}\t{count}")?;
                }
                writeln!(self.out, "bytes\t{}", total.bytes)?;
                writeln!(self.out, "lines\t{}", total.lines)?;
                writeln!(self.out, "malformed_lines\t{}", total.malformed)?;
                writeln!(self.out, "hit_lines\t{}", total.hit_lines)?;
                writeln!(self.out, "hits\t{}", total.hits)?;
                writeln!(self.out, "suppressed_hits\t{}", total.suppressed)?;
                for (kind, (hits, entries)) in &self.per_kind {
                    writeln!(self.out, "hits.{kind}\t{hits}\t{} indicators", entries.len())?;
                }
            }
            Mode::Sightings => {
                let sighted_by = identity.cloned().context("--sightings needs --identity")?;
                let options = SightingOptions { sighted_by, now: stix::Timestamp::now(), markings };
                let objects = self.sightings.to_objects(&options);
                if self.sightings.without_indicator > 0 {
                    eprintln!(
                        "meridian: {} hits on values from no STIX indicator have no sighting",
                        self.sightings.without_indicator
                    );
                }
                // Written out as a bundle; `--store-sightings` also stores them in the node, where
                // the sharing policy decides what flows back to the partners.
                serde_json::to_writer_pretty(
                    &mut self.out,
                    &matcher::sighting::bundle(objects.clone()),
                )?;
                writeln!(self.out)?;
                sightings = Some(objects);
            }
        }
        self.out.flush()?;
        Ok(sightings)
    }
}
