//! `meridian pattern`: check STIX patterns, and match them against observed data.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{Value, json};

/// Work with STIX patterns.
#[derive(Debug, Subcommand)]
pub(crate) enum PatternCommand {
    /// Check patterns: exit 0 if all are valid, 1 if any is not.
    Check {
        /// Print one JSON object per pattern instead of text.
        #[arg(long)]
        json: bool,
        /// Read `{"pattern": "..."}` lines on stdin; write `{"valid": …, "errors": […]}` lines.
        #[arg(long, conflicts_with = "patterns")]
        jsonl: bool,
        /// The patterning language version.
        #[arg(long, default_value = "2.1", value_name = "VERSION")]
        stix_version: pattern::Version,
        /// The patterns.
        #[arg(required_unless_present = "jsonl")]
        patterns: Vec<String>,
    },
    /// Print the ids of the observed-data in FILEs that satisfy PATTERN: exit 0 on a match,
    /// 1 if none, 2 on error.
    Match {
        /// The patterning language version.
        #[arg(long, default_value = "2.1", value_name = "VERSION")]
        stix_version: pattern::Version,
        /// The pattern.
        pattern: String,
        /// STIX bundles, or JSON arrays of bundles or observed-data objects.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Bulk evaluation for tooling: each stdin line is
    /// `{"pattern": "...", "observed_data": [...], "stix_version": "2.1"}`; each output line is
    /// `{"match": true|false}` or `{"error": "..."}`.
    Eval {
        /// Read JSON lines on stdin (the only mode).
        #[arg(long, required = true)]
        jsonl: bool,
    },
}

impl PatternCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            PatternCommand::Check { json, jsonl: true, stix_version, .. } => {
                let _ = json;
                check_jsonl(stix_version)
            }
            PatternCommand::Check { json, patterns, stix_version, .. } => {
                check(&patterns, json, stix_version)
            }
            PatternCommand::Match { stix_version, pattern, files } => {
                match_files(&pattern, &files, stix_version)
            }
            PatternCommand::Eval { .. } => eval_jsonl(),
        }
    }
}

/// Every problem with `text`: syntax and validation diagnostics, then compile errors (such as an
/// unsupported regex) when it parses.
fn problems(text: &str, version: pattern::Version) -> Vec<pattern::Diagnostic> {
    let (tree, diagnostics) =
        pattern::parse_lenient_with(text, &pattern::Options::for_version(version));
    if !diagnostics.is_empty() {
        return diagnostics;
    }
    match pattern::compile(&tree, version) {
        Ok(_) => Vec::new(),
        Err(pattern::Error::Invalid(diagnostic)) => vec![diagnostic],
        Err(error) => {
            vec![pattern::Diagnostic::new(pattern::Span::new(0, text.len()), error.to_string())]
        }
    }
}

fn diagnostics_json(diagnostics: &[pattern::Diagnostic]) -> Value {
    diagnostics
        .iter()
        .map(|d| json!({"start": d.span.start, "end": d.span.end, "message": d.message}))
        .collect()
}

fn check(patterns: &[String], json: bool, version: pattern::Version) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut all_valid = true;
    for text in patterns {
        let found = problems(text, version);
        all_valid &= found.is_empty();
        if json {
            let line = json!({"pattern": text, "valid": found.is_empty(),
                "errors": diagnostics_json(&found)});
            writeln!(out, "{line}")?;
        } else if found.is_empty() {
            writeln!(out, "valid: {text}")?;
        } else {
            for diagnostic in &found {
                writeln!(out, "{}", diagnostic.render(text))?;
            }
        }
    }
    Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn check_jsonl(version: pattern::Version) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut all_valid = true;
    let mut failed = false;
    for line in std::io::stdin().lock().lines() {
        let line = line.context("cannot read stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let text = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v.get("pattern").and_then(Value::as_str).map(str::to_owned));
        let reply = match text {
            Some(text) => {
                let found = problems(&text, version);
                all_valid &= found.is_empty();
                json!({"valid": found.is_empty(), "errors": diagnostics_json(&found)})
            }
            None => {
                failed = true;
                json!({"error": "expected a JSON object with a string \"pattern\""})
            }
        };
        writeln!(out, "{reply}")?;
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn compile(text: &str, version: pattern::Version) -> anyhow::Result<pattern::CompiledPattern> {
    let tree = pattern::parse_with(text, &pattern::Options::for_version(version))
        .map_err(|diagnostic| anyhow::anyhow!("{}", diagnostic.render(text)))?;
    Ok(pattern::compile(&tree, version)?)
}

fn match_files(
    text: &str,
    files: &[PathBuf],
    version: pattern::Version,
) -> anyhow::Result<ExitCode> {
    let compiled = compile(text, version).context("invalid pattern")?;
    let mut out = std::io::stdout().lock();
    let mut matched = false;
    let mut errored = false;
    for file in files {
        let result = (|| -> anyhow::Result<Vec<String>> {
            let data = std::fs::read(file).context("cannot read file")?;
            let json: Value = serde_json::from_slice(&data).context("not JSON")?;
            let observations = pattern::Observations::from_json(&[&json])?;
            let outcome = compiled.evaluate(&observations)?;
            let items: Vec<_> = observations.iter().collect();
            Ok(outcome
                .observations
                .iter()
                .map(|&i| match items[i].id {
                    Some(id) => id.to_owned(),
                    None => format!("{}#{i}", file.display()),
                })
                .collect())
        })();
        match result {
            Ok(ids) => {
                matched |= !ids.is_empty();
                for id in ids {
                    writeln!(out, "{id}")?;
                }
            }
            Err(error) => {
                errored = true;
                tracing::error!(file = %file.display(), error = format!("{error:#}"), "Cannot match file.");
                eprintln!("meridian: {}: {error:#}", file.display());
            }
        }
    }
    Ok(if errored {
        ExitCode::from(2)
    } else if matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn eval_jsonl() -> anyhow::Result<ExitCode> {
    // Answers are written in batches, but before waiting for more input, so that a caller that
    // sends one line at a time gets each answer.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut line = Vec::new();
    loop {
        if input.buffer().is_empty() {
            out.flush()?;
        }
        line.clear();
        if input.read_until(b'\n', &mut line).context("cannot read stdin")? == 0 {
            break;
        }
        answer(&line, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the answer to one `pattern eval` line (blank lines have none).
fn answer(line: &[u8], out: &mut impl Write) -> anyhow::Result<()> {
    let result = std::str::from_utf8(line).context("line is not UTF-8");
    match result.map(str::trim) {
        Ok("") => {}
        Ok(line) => match eval_line(line) {
            Ok(true) => writeln!(out, r#"{{"match":true}}"#)?,
            Ok(false) => writeln!(out, r#"{{"match":false}}"#)?,
            Err(error) => writeln!(out, "{}", json!({"error": format!("{error:#}")}))?,
        },
        Err(error) => writeln!(out, "{}", json!({"error": format!("{error:#}")}))?,
    }
    Ok(())
}

fn eval_line(line: &str) -> anyhow::Result<bool> {
    use pattern::ObjectView;
    // A borrowed tree: building a `serde_json::Value` of the data would cost more than the
    // evaluation.
    let request = pattern::Json::parse(line).context("line is not JSON")?;
    let string = |key: &str| match request.get(key).map(ObjectView::value) {
        Some(pattern::Value::String(s)) => Some(s),
        _ => None,
    };
    let text = string("pattern").context("expected a string \"pattern\"")?;
    let version = match string("stix_version") {
        Some(v) => v.parse::<pattern::Version>().map_err(anyhow::Error::msg)?,
        None => pattern::Version::V2_1,
    };
    let data = request.get("observed_data").context("expected \"observed_data\"")?;
    let compiled = compile(text, version)?;
    let observations = pattern::Observations::from_json(&[data])?;
    // Only a yes/no answer is needed: search for one binding instead of enumerating them.
    Ok(compiled.is_match(&observations)?)
}
