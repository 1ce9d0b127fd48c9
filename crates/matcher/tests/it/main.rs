//! Integration tests of the matcher: readers on the real-shaped samples in `test-data/logs`,
//! every matching rule, indicator sources, following a file, and properties.

mod follow;
mod properties;
mod readers;
mod semantics;
mod sources;

use std::io;
use std::path::PathBuf;

use matcher::{Hit, IndicatorSet, Options, Sink, Warninglist};

/// `test-data/logs/<path>`.
pub(crate) fn sample(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-data/logs").join(path)
}

/// The sample indicators (`indicators/list.txt`) with the public-DNS warninglist.
pub(crate) fn sample_set() -> IndicatorSet {
    let now = stix::Timestamp::now();
    let matcher::source::Source::Indicators(loaded) =
        matcher::source::load(&sample("indicators/list.txt"), &now).unwrap()
    else {
        panic!("a plain list")
    };
    let warninglist = Warninglist::load(&sample("indicators/warninglist-public-dns.json")).unwrap();
    IndicatorSet::compile(loaded.indicators, &[warninglist])
}

/// Collects hits and malformed lines as text, one per line.
pub(crate) struct Render<'a> {
    pub(crate) set: &'a IndicatorSet,
    pub(crate) out: Vec<String>,
    pub(crate) hits: Vec<Hit>,
}

impl<'a> Render<'a> {
    pub(crate) fn new(set: &'a IndicatorSet) -> Render<'a> {
        Render { set, out: Vec::new(), hits: Vec::new() }
    }
}

impl Sink for Render<'_> {
    fn hit(&mut self, hit: &Hit) -> io::Result<bool> {
        let entry = self.set.entry(hit.entry);
        self.out.push(format!(
            "{} {}={} -> {} {} ({})",
            hit.line,
            hit.field,
            hit.value,
            entry.kind(),
            entry.value(),
            hit.kind.as_str()
        ));
        self.hits.push(hit.clone());
        Ok(true)
    }

    fn malformed(&mut self, line: u64, message: &str) {
        self.out.push(format!("{line} malformed: {message}"));
    }
}

/// Scans a sample file and renders what was found, with the summary's counts last.
pub(crate) fn scan_sample(set: &IndicatorSet, path: &str, options: &Options) -> String {
    let mut sink = Render::new(set);
    let summary = matcher::scan_path(set, &sample(path), options, &mut sink).unwrap();
    sink.out.push(format!(
        "format {} lines {} hit_lines {} hits {} suppressed {} malformed {}",
        summary.format.as_str(),
        summary.lines,
        summary.hit_lines,
        summary.hits,
        summary.suppressed,
        summary.malformed
    ));
    sink.out.join("\n")
}
