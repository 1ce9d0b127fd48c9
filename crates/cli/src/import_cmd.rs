//! `meridian import`: convert STIX, MISP events and feeds, IOC text and CSV — files, or URLs
//! fetched under the outbound rules (`client::Fetcher`) — into one STIX 2.1 bundle or into a
//! collection of the node, reporting what was created, rejected and ignored per input.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

/// Convert files or URLs to one STIX 2.1 bundle (or store them in the node): STIX 2.0/2.1
/// bundles, MISP events and feeds, IOC text (defanged or not), CSV.
///
/// URLs (`https://…`) are fetched under the outbound rules: https only, no loopback, private
/// or link-local address, no redirect followed — unless `--allow-plain-http` or
/// `--allow-private-addresses` say otherwise. A MISP feed URL is the feed's directory (or its
/// `manifest.json`): the manifest is read, then each event file.
///
/// Exit status: 0 when everything converted, 1 when some records were rejected (each is listed
/// with file, line or JSON path, and reason), 2 when a whole file could not be read or parsed
/// (that file contributes nothing; the others still do).
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Input format; `auto` recognises feeds (directories), `.csv`, `.txt` and JSON content.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    format: Format,
    /// Where to write the bundle (`-` or absent: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Mark every indicator made from text or CSV with this TLP level (clear, green, amber,
    /// amber+strict, red).
    #[arg(long, value_name = "LEVEL")]
    tlp: Option<String>,
    /// Add this label to every indicator made from text or CSV (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    labels: Vec<String>,
    /// Ignore text and CSV values on this MISP warninglist (JSON; repeatable).
    #[arg(long = "warninglist", value_name = "FILE")]
    warninglists: Vec<PathBuf>,
    /// CSV column mapping, e.g. `value=ioc,type=kind,labels=4` (positions are 1-based).
    #[arg(long, value_name = "MAPPING", default_value = "value=1")]
    csv_columns: String,
    /// The CSV file has no header row.
    #[arg(long)]
    csv_no_header: bool,
    /// The CSV field separator.
    #[arg(long, value_name = "CHAR", default_value_t = ',')]
    csv_delimiter: char,
    /// Store the objects in this collection of the node (one transaction per file) instead of
    /// writing a bundle; needs `--data` and `--user`.
    #[arg(long, value_name = "COLLECTION", requires_all = ["data", "user"])]
    collection: Option<String>,
    /// The node's data directory, for `--collection`.
    #[arg(long = "data", env = "MERIDIAN_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// The node user on whose behalf the objects are stored (their organisation becomes the
    /// objects' provenance).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Allow `http://` URLs (otherwise https only).
    #[arg(long)]
    allow_plain_http: bool,
    /// Allow URLs whose host is a loopback, private or link-local address (otherwise refused,
    /// so that a URL cannot make Meridian reach an internal service). For a feed on your own
    /// network or a test server.
    #[arg(long)]
    allow_private_addresses: bool,
    /// Send this header with every URL request, `NAME: VALUE` (repeatable), e.g. the
    /// `Authorization` a feed needs. Values are never logged.
    #[arg(long = "url-header", value_name = "NAME: VALUE")]
    url_headers: Vec<String>,
    /// Files, feed directories or URLs (http, https); `-` reads standard input.
    #[arg(required = true, value_name = "FILE|URL")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Auto,
    Stix,
    Misp,
    MispFeed,
    Text,
    Csv,
}

impl ImportArgs {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let now = stix::Timestamp::now();
        let mut warninglists = formats::Warninglists::new();
        for path in &self.warninglists {
            let text =
                fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            warninglists.add_json(&text).with_context(|| format!("{}", path.display()))?;
        }
        let mut meta = formats::IndicatorMeta::new(now.clone());
        if let Some(level) = &self.tlp {
            meta.tlp = Some(
                formats::parse_tlp(level)
                    .with_context(|| format!("`{level}` is not a TLP level"))?,
            );
        }
        meta.labels = self.labels.clone();
        let text_options = formats::text::TextOptions {
            meta,
            warninglists: (!warninglists.is_empty()).then_some(&warninglists),
        };
        let mut mapping = formats::csv::CsvMapping::parse(&self.csv_columns)?;
        mapping.header = !self.csv_no_header;
        mapping.delimiter = u8::try_from(self.csv_delimiter)
            .ok()
            .filter(u8::is_ascii)
            .context("the CSV delimiter must be one ASCII character")?;

        let node = match (&self.collection, &self.data, &self.user) {
            (Some(_), Some(data), Some(user)) => {
                let node = crate::node_cmd::open_node(data)?;
                let principal = node
                    .principal_for(user)
                    .with_context(|| format!("no user `{user}` in {}", data.display()))?;
                Some((node, principal))
            }
            _ => None,
        };
        let mut objects: Vec<stix::Object> = Vec::new();
        let mut seen = HashSet::new();
        let (mut failed, mut rejected, mut total) = (false, false, formats::Report::default());
        let stderr = io::stderr();
        let mut err = stderr.lock();
        for path in &self.files {
            let name = path.display().to_string();
            match self.convert(path, now.clone(), &text_options, &mapping) {
                Ok(import) => {
                    let report = &import.report;
                    writeln!(
                        err,
                        "{name}: created {}, rejected {}, ignored {}",
                        report.created,
                        report.rejected.len(),
                        report.ignored.len()
                    )?;
                    for problem in &report.rejected {
                        writeln!(err, "{name}: {problem}")?;
                    }
                    for problem in &report.ignored {
                        tracing::info!(file = %name, location = %problem.location, reason = %problem.reason, "Record ignored.");
                    }
                    rejected |= !report.rejected.is_empty();
                    if let (Some((node, principal)), Some(collection)) = (&node, &self.collection) {
                        // One durable transaction per file: a file that fails stores nothing.
                        let raws: Vec<String> = import
                            .objects
                            .iter()
                            .map(serde_json::to_string)
                            .collect::<Result<_, _>>()?;
                        match node.add_as(principal, collection, &raws, "import") {
                            Ok(stored) => {
                                writeln!(
                                    err,
                                    "{name}: stored in `{collection}`: added {}, unchanged {}, refused {}",
                                    stored.added,
                                    stored.unchanged,
                                    stored.rejected.len()
                                )?;
                                for refused in &stored.rejected {
                                    writeln!(
                                        err,
                                        "{name}: refused {}: {}",
                                        refused.id,
                                        refused.message.as_deref().unwrap_or("")
                                    )?;
                                }
                                rejected |= !stored.rejected.is_empty();
                            }
                            Err(error) => {
                                writeln!(err, "{name}: cannot store in `{collection}`: {error}")?;
                                failed = true;
                            }
                        }
                    } else {
                        for object in import.objects {
                            if seen.insert(object.version()) {
                                objects.push(object);
                            }
                        }
                    }
                    total.merge(&name, import.report);
                }
                Err(error) => {
                    writeln!(err, "{name}: {error:#}")?;
                    failed = true;
                }
            }
        }
        if self.files.len() > 1 {
            writeln!(
                err,
                "total: created {}, rejected {}, ignored {}",
                total.created,
                total.rejected.len(),
                total.ignored.len()
            )?;
        }
        if node.is_some() {
            return Ok(ExitCode::from(if failed { 2 } else { u8::from(rejected) }));
        }
        let bundle = stix::Bundle::new(objects);
        let write = |out: &mut dyn Write| -> anyhow::Result<()> {
            serde_json::to_writer_pretty(&mut *out, &bundle)?;
            writeln!(out)?;
            Ok(())
        };
        match self.output.as_deref().filter(|p| *p != Path::new("-")) {
            Some(path) => {
                let mut file = io::BufWriter::new(
                    fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                );
                write(&mut file)?;
                file.flush()?;
            }
            None => write(&mut io::stdout().lock())?,
        }
        Ok(ExitCode::from(if failed { 2 } else { u8::from(rejected) }))
    }

    fn convert(
        &self,
        path: &Path,
        now: stix::Timestamp,
        text_options: &formats::text::TextOptions<'_>,
        mapping: &formats::csv::CsvMapping,
    ) -> anyhow::Result<formats::Import> {
        if let Some(url) = path.to_str().filter(|p| is_url(p)) {
            return self.convert_url(url, now, text_options, mapping);
        }
        let format = match self.format {
            Format::Auto => detect(path)?,
            other => other,
        };
        if format == Format::MispFeed {
            return import_feed(&path.display().to_string(), now, |name| read(&path.join(name)));
        }
        convert_text(format, &read(path)?, &path.display().to_string(), now, text_options, mapping)
    }

    /// Fetches `url` (a MISP feed's files for a feed) and converts what it holds.
    fn convert_url(
        &self,
        url: &str,
        now: stix::Timestamp,
        text_options: &formats::text::TextOptions<'_>,
        mapping: &formats::csv::CsvMapping,
    ) -> anyhow::Result<formats::Import> {
        let outbound = client::Outbound {
            allow_http: self.allow_plain_http,
            allow_private: self.allow_private_addresses,
        };
        let mut fetcher = client::Fetcher::new(outbound);
        for header in &self.url_headers {
            let (name, value) = header
                .split_once(':')
                .with_context(|| "--url-header must be `NAME: VALUE`".to_owned())?;
            fetcher = fetcher.with_header(name.trim(), value.trim());
        }
        let fetch = |url: &str| -> anyhow::Result<String> {
            let bytes = fetcher.get(url).map_err(|e| match e {
                client::Error::Refused { .. } => {
                    anyhow::anyhow!("{e} (see --allow-plain-http and --allow-private-addresses)")
                }
                other => anyhow::Error::new(other),
            })?;
            String::from_utf8(bytes).with_context(|| format!("{url}: not UTF-8 text"))
        };
        let lower = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
        let format = match self.format {
            Format::Auto if lower.ends_with('/') || lower.ends_with("/manifest.json") => {
                Format::MispFeed
            }
            Format::Auto if lower.ends_with(".csv") => Format::Csv,
            Format::Auto if lower.ends_with(".txt") => Format::Text,
            other => other,
        };
        if format == Format::MispFeed {
            let base = match url.strip_suffix("manifest.json") {
                Some(base) => base.to_owned(),
                None if url.ends_with('/') => url.to_owned(),
                None => format!("{url}/"),
            };
            return import_feed(url, now, |name| fetch(&format!("{base}{name}")));
        }
        convert_text(format, &fetch(url)?, url, now, text_options, mapping)
    }
}

/// Whether an input names a URL rather than a file.
fn is_url(input: &str) -> bool {
    let lower = input.get(..8).unwrap_or(input).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Converts one document's text in `format` (not a feed; `Auto`: JSON is STIX or MISP by its
/// content, anything else IOC text); `name` names it in errors.
fn convert_text(
    format: Format,
    text: &str,
    name: &str,
    now: stix::Timestamp,
    text_options: &formats::text::TextOptions<'_>,
    mapping: &formats::csv::CsvMapping,
) -> anyhow::Result<formats::Import> {
    let json = || -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_str(text).map_err(formats::Error::from)?)
    };
    let misp = |json| formats::misp::import_misp(json, &formats::misp::MispImportOptions { now });
    Ok(match format {
        Format::Text => formats::text::import_text(text, text_options),
        Format::Csv => formats::csv::import_csv(text, mapping, text_options)?,
        Format::Stix => formats::import_stix(json()?)?,
        Format::Misp => misp(json()?)?,
        // Parsed once: the document is read as what its content says it is.
        Format::Auto => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) if is_stix(&json) => formats::import_stix(json)?,
            Ok(json) => misp(json)?,
            Err(_) => formats::text::import_text(text, text_options),
        },
        Format::MispFeed => anyhow::bail!("{name} is a single document, not a MISP feed"),
    })
}

fn read(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text).context("reading standard input")?;
        return Ok(text);
    }
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Recognises the format of `path` by its kind and name: feed directories, `.csv`, `.txt`;
/// anything else is `Auto`, recognised by its content when read (see [`convert_text`]).
fn detect(path: &Path) -> anyhow::Result<Format> {
    if path.is_dir() {
        return Ok(Format::MispFeed);
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => return Ok(Format::Csv),
        Some("txt") => return Ok(Format::Text),
        _ => {}
    }
    if path == Path::new("-") {
        anyhow::bail!("give --format for standard input");
    }
    Ok(Format::Auto)
}

/// Whether a JSON document is STIX (an object, or a list of them, with a `type` and an `id`)
/// rather than MISP.
fn is_stix(json: &serde_json::Value) -> bool {
    let first = match json {
        serde_json::Value::Array(items) => items.first(),
        other => Some(other),
    };
    first.is_some_and(|first| {
        first.get("type").and_then(|t| t.as_str()).is_some() && first.get("id").is_some()
    })
}

/// Imports a MISP feed: `manifest.json`, then each event file it lists, read by `read` (from
/// a directory or a URL); `name` names the feed in errors. An event that cannot be read or
/// parsed is reported as rejected; the others still count.
fn import_feed(
    name: &str,
    now: stix::Timestamp,
    read: impl Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<formats::Import> {
    let manifest_name = format!("{}/manifest.json", name.trim_end_matches('/'));
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")?)
        .map_err(formats::Error::from)
        .with_context(|| manifest_name.clone())?;
    let mut total = formats::Import::default();
    let options = formats::misp::MispImportOptions { now };
    let uuids = formats::misp::manifest_events(&manifest).with_context(|| manifest_name.clone())?;
    let progress = indicatif::ProgressBar::new(uuids.len() as u64);
    if uuids.len() < 100 {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut seen = HashSet::new();
    for uuid in uuids {
        progress.inc(1);
        let name = format!("{uuid}.json");
        let result = read(&name)
            .and_then(|text| {
                Ok(serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(formats::Error::from)?)
            })
            .and_then(|json| Ok(formats::misp::import_misp(json, &options)?));
        match result {
            Ok(import) => {
                for object in import.objects {
                    if seen.insert(object.version()) {
                        total.objects.push(object);
                    }
                }
                total.report.merge(&name, import.report);
            }
            Err(error) => total.report.merge(
                &name,
                formats::Report {
                    rejected: vec![formats::Problem {
                        location: "$".into(),
                        reason: format!("{error:#}"),
                    }],
                    ..formats::Report::default()
                },
            ),
        }
    }
    progress.finish_and_clear();
    Ok(total)
}
