//! `meridian stix ...`: validate STIX 2.1 files.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use stix::validate::{Finding, Options};

/// Files up to this size are read whole (faster parsing); larger ones are streamed.
const READ_WHOLE_LIMIT: u64 = 64 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub(crate) enum StixCommand {
    /// Validate STIX 2.1 files: each holds a bundle, one object, or a JSON array of objects.
    ///
    /// Exit status: 0 when no file has errors (warnings allowed), 1 when any has, 2 when a file
    /// cannot be read or is not JSON.
    Validate {
        /// Print findings as JSON lines instead of text.
        #[arg(long)]
        json: bool,
        /// Hide warnings; show errors only.
        #[arg(long, short)]
        quiet: bool,
        /// Files to validate; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

impl StixCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            StixCommand::Validate { json, quiet, files } => validate(&files, json, quiet),
        }
    }
}

fn validate(files: &[PathBuf], json: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut any_error, mut unreadable) = (false, false);
    let checker = crate::pattern_check::checker();
    let options = Options { pattern_checker: Some(&checker) };
    for path in files {
        let name = path.display().to_string();
        let mut write_error: Option<io::Error> = None;
        let mut sink = |finding: Finding| {
            if quiet && finding.severity == stix::validate::Severity::Warning {
                return;
            }
            let result = if json {
                write_json(&mut out, &name, &finding)
            } else {
                write_text(&mut out, &name, &finding)
            };
            if let Err(e) = result {
                write_error.get_or_insert(e);
            }
        };
        let result = run_one(path, &options, &mut sink);
        if let Some(e) = write_error {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::from(if any_error { 1 } else { 0 }));
            }
            return Err(e).context("cannot write findings");
        }
        match result {
            Ok(summary) => {
                any_error |= summary.errors > 0;
                tracing::info!(file = %name, objects = summary.objects, errors = summary.errors, warnings = summary.warnings, "Validated.");
            }
            Err(message) => {
                unreadable = true;
                out.flush().ok();
                eprintln!("meridian: {name}: {message}");
            }
        }
    }
    out.flush().context("cannot write findings")?;
    Ok(ExitCode::from(if unreadable {
        2
    } else if any_error {
        1
    } else {
        0
    }))
}

/// Validates one file; `Err` carries a message for unreadable or non-JSON input.
fn run_one(
    path: &PathBuf,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Finding),
) -> Result<stix::stream::Summary, String> {
    let json_error = |e: serde_json::Error| match e.classify() {
        serde_json::error::Category::Io => format!("cannot read: {e}"),
        _ => format!("line {}, column {}: not valid JSON: {e}", e.line(), e.column()),
    };
    if path.as_os_str() == "-" {
        let stdin = io::stdin();
        return stix::stream::validate_reader(
            BufReader::with_capacity(1 << 20, stdin.lock()),
            options,
            sink,
        )
        .map_err(json_error);
    }
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = file.metadata().map_err(|e| format!("cannot read: {e}"))?.len();
    let progress = progress_bar(len);
    let reader = progress.wrap_read(file);
    if len <= READ_WHOLE_LIMIT {
        let mut bytes = Vec::with_capacity(len as usize);
        BufReader::new(reader).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
        stix::stream::validate_slice(&bytes, options, sink).map_err(json_error)
    } else {
        stix::stream::validate_reader(BufReader::with_capacity(1 << 20, reader), options, sink)
            .map_err(json_error)
    }
}

/// A byte progress bar on a terminal for files large enough to take a while; hidden otherwise.
fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if len < 32 * 1024 * 1024 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn write_text(out: &mut impl Write, file: &str, f: &Finding) -> io::Result<()> {
    writeln!(
        out,
        "{file}: {}: {}: {} (STIX 2.1 §{})",
        f.path,
        f.severity.as_str(),
        f.message,
        f.section
    )
}

fn write_json(out: &mut impl Write, file: &str, f: &Finding) -> io::Result<()> {
    let line = serde_json::json!({
        "file": file, "path": f.path, "severity": f.severity.as_str(), "section": f.section, "message": f.message,
    });
    writeln!(out, "{line}")
}
