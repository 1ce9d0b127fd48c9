//! The scanner: reads log input in blocks cut at line boundaries, scans the blocks on all
//! threads of the current rayon pool while the next ones are read, and reports hits to a
//! [`Sink`] in input order.
//!
//! Input is a file (read in large blocks, not memory-mapped: logs are rotated and truncated under
//! their readers, and a mapped file that shrinks ends the process with SIGBUS),
//! standard input or any reader; gzip and zstd are recognised by their magic bytes and
//! decompressed on the fly. With [`Options::follow`] a file is read as it grows, like
//! `tail -f`, and a file that shrinks (rotated or truncated) is read again from its start.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

use crate::csv::{self, CsvOptions};
use crate::error::Error;
use crate::line::{BlockResult, Layout, LineScanner};
use crate::set::{EntryId, IndicatorSet, MatchKind};

/// Blocks handed to one thread at a time are about this large.
pub const DEFAULT_BLOCK_BYTES: usize = 1 << 20;

/// Lines longer than this are reported as malformed and skipped.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Room in a block's buffer for the part line carried over from the previous block.
const CARRY_ROOM: usize = 64 << 10;

/// How often a followed file is checked for new data.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

/// The log format of an input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Recognise the format from the first line (and a `.csv` file name).
    #[default]
    Auto,
    /// Zeek TSV logs, any log type: the `#fields` header decides the columns.
    Zeek,
    /// Zeek JSON logs (`LogAscii::use_json`).
    ZeekJson,
    /// Suricata EVE JSON.
    Eve,
    /// CSV with a column mapping ([`CsvOptions`]).
    Csv,
    /// Plain text: any indicator anywhere in the line.
    Text,
}

impl Format {
    /// `auto`, `zeek`, `zeek-json`, `eve`, `csv` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Zeek => "zeek",
            Format::ZeekJson => "zeek-json",
            Format::Eve => "eve",
            Format::Csv => "csv",
            Format::Text => "text",
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        Ok(match text {
            "auto" => Format::Auto,
            "zeek" => Format::Zeek,
            "zeek-json" => Format::ZeekJson,
            "eve" => Format::Eve,
            "csv" => Format::Csv,
            "text" => Format::Text,
            other => {
                return Err(format!(
                    "unknown log format {other:?}: expected auto, zeek, zeek-json, eve, csv or text"
                ));
            }
        })
    }
}

/// Scanner settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The log format.
    pub format: Format,
    /// How to read CSV input.
    pub csv: CsvOptions,
    /// Whether hits on warninglisted indicators are suppressed (and counted) rather than reported.
    pub suppress_warninglisted: bool,
    /// Keep reading a file as it grows, until the sink says stop.
    pub follow: bool,
    /// The size of the blocks handed to threads.
    pub block_bytes: usize,
    /// Threads to scan with; 0 means the current rayon pool (by default, one per core).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            format: Format::Auto,
            csv: CsvOptions::default(),
            suppress_warninglisted: true,
            follow: false,
            block_bytes: DEFAULT_BLOCK_BYTES,
            threads: 0,
        }
    }
}

/// A log value that matched an indicator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The 1-based line number in the input.
    pub line: u64,
    /// The event's time as the log wrote it (Zeek: epoch seconds; EVE: ISO 8601), if it has one.
    pub timestamp: Option<String>,
    /// The field that held the value: a Zeek or CSV column name, a JSON key path, `url` for a
    /// URL made of a host and a path field, `text` for plain text.
    pub field: String,
    /// The value as it appeared in the log.
    pub value: String,
    /// The indicator entry matched; see [`IndicatorSet::entry`].
    pub entry: EntryId,
    /// How it matched.
    pub kind: MatchKind,
}

/// Receives what a scan finds, in input order.
pub trait Sink {
    /// A hit. Return `Ok(false)` to stop the scan.
    fn hit(&mut self, hit: &Hit) -> io::Result<bool>;

    /// A line that could not be read (1-based line number). It is skipped.
    fn malformed(&mut self, line: u64, message: &str) {
        let _ = (line, message);
    }

    /// Bytes of (decompressed) input read so far.
    fn progress(&mut self, bytes: u64) {
        let _ = bytes;
    }
}

/// What a scan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The format scanned (the one recognised, for [`Format::Auto`]).
    pub format: Format,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Lines with at least one hit reported.
    pub hit_lines: u64,
    /// Hits reported.
    pub hits: u64,
    /// Hits on warninglisted indicators, not reported.
    pub suppressed: u64,
    /// Lines reported as malformed.
    pub malformed: u64,
}

impl Summary {
    /// Adds another input's numbers to these.
    pub fn add(&mut self, other: &Summary) {
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.hit_lines += other.hit_lines;
        self.hits += other.hits;
        self.suppressed += other.suppressed;
        self.malformed += other.malformed;
    }
}

/// Scans the file at `path` (gzip and zstd are decompressed).
pub fn scan_path(
    set: &IndicatorSet,
    path: &Path,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Summary, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let name = path.to_string_lossy();
    if options.follow {
        let follow = Follow { file, path: path.to_owned(), position: 0 };
        scan_input(set, &name, Box::new(follow), options, sink).map_err(|e| with_path(e, path))
    } else {
        scan_reader(set, &name, file, options, sink).map_err(|e| with_path(e, path))
    }
}

/// Scans any reader, such as standard input. `name` is used to recognise a `.csv` file.
pub fn scan_reader(
    set: &IndicatorSet,
    name: &str,
    reader: impl Read + Send + 'static,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Summary, Error> {
    let input = decompress(reader).map_err(|e| Error::io(name, e))?;
    let options = Options { follow: false, ..options.clone() };
    scan_input(set, name, input, &options, sink)
}

fn with_path(error: Error, path: &Path) -> Error {
    match error {
        Error::Io { source, .. } => Error::io(path, source),
        other => other,
    }
}

/// Wraps `reader` in a decompressor when it starts with the gzip or zstd magic bytes.
fn decompress(reader: impl Read + Send + 'static) -> io::Result<Box<dyn Read + Send>> {
    let mut reader = BufReader::with_capacity(256 << 10, reader);
    let head = reader.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Ok(Box::new(Zstd::new(reader)?))
    } else {
        Ok(Box::new(reader))
    }
}

/// A zstd stream of one or more frames.
struct Zstd<R: BufRead> {
    decoder: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> Zstd<R> {
    fn new(reader: R) -> io::Result<Zstd<R>> {
        let decoder = ruzstd::decoding::StreamingDecoder::new(reader).map_err(io::Error::other)?;
        Ok(Zstd { decoder: Some(decoder) })
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else { return Ok(0) };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The frame is done: another may follow.
            let Some(decoder) = self.decoder.take() else { return Ok(0) };
            let mut source = decoder.into_inner();
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.decoder =
                Some(ruzstd::decoding::StreamingDecoder::new(source).map_err(io::Error::other)?);
        }
    }
}

/// A file read as it grows. `read` returns 0 when there is nothing new yet.
struct Follow {
    file: File,
    path: std::path::PathBuf,
    position: u64,
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 {
            let len = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(self.position);
            if len < self.position {
                tracing::info!(path = %self.path.display(), "Followed file shrank; reading it again from the start.");
                self.file = File::open(&self.path)?;
                self.file.rewind()?;
                self.position = 0;
            }
        }
        self.position += n as u64;
        Ok(n)
    }
}

/// One block of whole lines with the layout in force at its start.
struct Block {
    data: Vec<u8>,
    layout: Layout,
    skip_first: bool,
    oversized: bool,
}

/// Cuts input into blocks at line boundaries and tracks the layout (format, Zeek header, CSV
/// columns) from block to block.
struct Blocks<'a> {
    input: Box<dyn Read + Send>,
    name: &'a str,
    options: &'a Options,
    carry: Vec<u8>,
    spare: Vec<Vec<u8>>,
    layout: Option<Layout>,
    format: Format,
    skipping_long_line: bool,
    done: bool,
    bytes: u64,
}

impl Blocks<'_> {
    /// Up to `count` blocks; fewer (but at least one, unless the input ended) when following.
    fn batch(&mut self, count: usize) -> io::Result<Vec<Block>> {
        let mut batch = Vec::with_capacity(count);
        while batch.len() < count {
            match self.next()? {
                Some(block) => batch.push(block),
                None => break,
            }
            if self.options.follow {
                break;
            }
        }
        Ok(batch)
    }

    fn next(&mut self) -> io::Result<Option<Block>> {
        if self.done {
            return Ok(None);
        }
        let target = self.options.block_bytes.max(4096);
        // A block's buffer holds the carried part line and one read: sized for both at once,
        // and kept for later blocks. Fresh memory is expensive (its pages are zeroed by the
        // kernel when first touched), so a buffer grows (doubling) only for a line longer
        // than the room for it.
        let mut buf = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(target + CARRY_ROOM));
        buf.clear();
        buf.append(&mut self.carry);
        let mut eof = false;
        loop {
            let has_newline = memchr::memchr(b'\n', &buf).is_some();
            if buf.len() >= target && has_newline {
                break;
            }
            if buf.len() >= MAX_LINE_BYTES && !has_newline {
                // One line fills the buffer: report it and drop it up to its end.
                self.skipping_long_line = true;
                buf.clear();
                buf.extend_from_slice(b"\n");
                return Ok(Some(self.block(buf, true)));
            }
            let start = buf.len();
            let want = target.min(MAX_LINE_BYTES);
            buf.reserve(want);
            // `read_to_end` reads into the spare capacity without zeroing it first (a file
            // implements `read_buf`); `take` stops it after one block, or when a followed file
            // has nothing new.
            let n = match (&mut self.input).take(want as u64).read_to_end(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    buf.truncate(start);
                    return Err(e);
                }
            };
            self.bytes += n as u64;
            if self.skipping_long_line && n > 0 {
                match memchr::memchr(b'\n', &buf[start..]) {
                    Some(end) => {
                        buf.drain(start..=start + end);
                        self.skipping_long_line = false;
                    }
                    None => {
                        buf.truncate(start);
                        continue;
                    }
                }
            }
            if n == 0 {
                if self.options.follow {
                    if memchr::memchr(b'\n', &buf).is_some() {
                        break;
                    }
                    std::thread::sleep(FOLLOW_INTERVAL);
                    continue;
                }
                eof = true;
                break;
            }
        }
        if eof {
            self.done = true;
            if buf.is_empty() {
                return Ok(None);
            }
        } else if let Some(last) = memchr::memrchr(b'\n', &buf) {
            self.carry.extend_from_slice(&buf[last + 1..]);
            buf.truncate(last + 1);
        }
        Ok(Some(self.block(buf, false)))
    }

    fn block(&mut self, data: Vec<u8>, oversized: bool) -> Block {
        let mut skip_first = false;
        let layout = match self.layout.take() {
            Some(layout) => layout,
            None => {
                let (layout, header) = self.first_layout(&data);
                skip_first = header;
                layout
            }
        };
        // The Zeek header in force after this block, for the next one.
        let mut next = layout.clone();
        if let Layout::Zeek(header) = &mut next
            && (data.first() == Some(&b'#') || memchr::memmem::find(&data, b"\n#").is_some())
        {
            for line in data.split(|&b| b == b'\n').filter(|l| l.first() == Some(&b'#')) {
                // Errors are reported by the thread that scans the block.
                let _ = Arc::make_mut(header).apply(line);
            }
        }
        self.layout = Some(next);
        Block { data, layout, skip_first, oversized }
    }

    /// The layout for the input's first block, and whether its first line is a CSV header.
    fn first_layout(&mut self, data: &[u8]) -> (Layout, bool) {
        let first = data
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let format = match self.options.format {
            Format::Auto => {
                let lower = self.name.to_ascii_lowercase();
                if first.starts_with(b"#separator") || first.starts_with(b"#fields") {
                    Format::Zeek
                } else if first.first() == Some(&b'{') {
                    if memchr::memmem::find(first, b"\"event_type\"").is_some() {
                        Format::Eve
                    } else {
                        Format::ZeekJson
                    }
                } else if lower.ends_with(".csv")
                    || lower.ends_with(".csv.gz")
                    || lower.ends_with(".csv.zst")
                {
                    Format::Csv
                } else {
                    Format::Text
                }
            }
            format => format,
        };
        self.format = format;
        match format {
            Format::Zeek => (Layout::Zeek(Arc::default()), false),
            Format::ZeekJson => (Layout::ZeekJson, false),
            Format::Eve => (Layout::Eve, false),
            Format::Csv => {
                let header = self.options.csv.header.then_some(first);
                match csv::Layout::new(&self.options.csv, header) {
                    Ok(layout) => (Layout::Csv(Arc::new(layout)), self.options.csv.header),
                    Err(message) => {
                        tracing::warn!(input = self.name, %message, "CSV columns not found; every column is scanned.");
                        let fallback =
                            CsvOptions { columns: Default::default(), ..self.options.csv.clone() };
                        let layout = csv::Layout::new(&fallback, header).unwrap_or(csv::Layout {
                            delimiter: self.options.csv.delimiter,
                            header: self.options.csv.header,
                            columns: Vec::new(),
                            all_auto: true,
                        });
                        (Layout::Csv(Arc::new(layout)), self.options.csv.header)
                    }
                }
            }
            Format::Auto | Format::Text => (Layout::Text, false),
        }
    }
}

fn scan_input(
    set: &IndicatorSet,
    name: &str,
    input: Box<dyn Read + Send>,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Summary, Error> {
    if options.threads > 0 && options.threads != rayon::current_num_threads() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .build()
            .map_err(|e| Error::io(name, io::Error::other(e)))?;
        return scan_blocks(set, name, input, options, sink, Some(&pool));
    }
    scan_blocks(set, name, input, options, sink, None)
}

fn scan_blocks(
    set: &IndicatorSet,
    name: &str,
    input: Box<dyn Read + Send>,
    options: &Options,
    sink: &mut dyn Sink,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Summary, Error> {
    let in_pool = |f: &mut (dyn FnMut() + Send)| match pool {
        Some(pool) => pool.install(f),
        None => f(),
    };
    let read_error = |e: io::Error| Error::io(name, e);
    let mut blocks = Blocks {
        input,
        name,
        options,
        carry: Vec::new(),
        spare: Vec::new(),
        layout: None,
        format: Format::Auto,
        skipping_long_line: false,
        done: false,
        bytes: 0,
    };
    let per_batch =
        pool.map_or_else(rayon::current_num_threads, |p| p.current_num_threads()).max(1) * 4;
    let suppress = options.suppress_warninglisted;
    let mut summary = Summary::default();
    let mut base: u64 = 0;
    let mut next = blocks.batch(per_batch).map_err(read_error)?;
    while !next.is_empty() {
        let current = next;
        let scan = || -> Vec<BlockResult> {
            current
                .par_iter()
                .map_init(
                    || LineScanner::new(set, suppress),
                    |scanner, block| {
                        if block.oversized {
                            let message = format!("line longer than {MAX_LINE_BYTES} bytes");
                            BlockResult {
                                lines: 1,
                                malformed: vec![(0, message)],
                                ..BlockResult::default()
                            }
                        } else {
                            scanner.scan_block(&block.layout, &block.data, block.skip_first)
                        }
                    },
                )
                .collect()
        };
        let mut results = Vec::new();
        if options.follow {
            in_pool(&mut || results = scan());
            next = Vec::new();
        } else {
            let mut read = Ok(Vec::new());
            in_pool(&mut || (read, results) = rayon::join(|| blocks.batch(per_batch), scan));
            next = read.map_err(read_error)?;
        }
        let keep_going = deliver(results, &mut base, &mut summary, sink).map_err(Error::Sink)?;
        blocks.spare.extend(current.into_iter().map(|block| block.data));
        blocks.spare.truncate(per_batch * 2);
        sink.progress(blocks.bytes);
        if !keep_going {
            break;
        }
        if options.follow {
            next = blocks.batch(per_batch).map_err(read_error)?;
        }
    }
    summary.format = blocks.format;
    summary.bytes = blocks.bytes;
    summary.lines = base;
    tracing::debug!(input = name, lines = summary.lines, hits = summary.hits, "Scanned input.");
    Ok(summary)
}

/// Hands one batch's hits and malformed lines to the sink, in line order.
fn deliver(
    results: Vec<BlockResult>,
    base: &mut u64,
    summary: &mut Summary,
    sink: &mut dyn Sink,
) -> io::Result<bool> {
    for result in results {
        let mut malformed = result.malformed.into_iter().peekable();
        for mut hit in result.hits {
            while let Some((line, message)) = malformed.next_if(|(line, _)| *line < hit.line) {
                sink.malformed(*base + line + 1, &message);
                summary.malformed += 1;
            }
            hit.line += *base + 1;
            summary.hits += 1;
            if !sink.hit(&hit)? {
                summary.hit_lines += result.hit_lines;
                *base += result.lines;
                return Ok(false);
            }
        }
        for (line, message) in malformed {
            sink.malformed(*base + line + 1, &message);
            summary.malformed += 1;
        }
        summary.hit_lines += result.hit_lines;
        summary.suppressed += result.suppressed;
        *base += result.lines;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Indicator;

    #[derive(Default)]
    struct Collect {
        out: Vec<String>,
    }

    impl Sink for Collect {
        fn hit(&mut self, hit: &Hit) -> io::Result<bool> {
            self.out.push(format!("{}:{}={}", hit.line, hit.field, hit.value));
            Ok(true)
        }
        fn malformed(&mut self, line: u64, message: &str) {
            self.out.push(format!("{line}: malformed: {message}"));
        }
    }

    #[test]
    fn small_blocks_keep_line_numbers_and_zeek_headers() {
        let set = IndicatorSet::compile([Indicator::parse("evil.example").unwrap()], &[]);
        let mut log = String::from("#separator \\x09\n#fields\tts\tquery\n#types\ttime\tstring\n");
        for i in 0..2000 {
            let name = if i % 100 == 7 { "www.evil.example" } else { "benign.example" };
            if i <= 1000 {
                log.push_str(&format!("{i}.0\t{name}\n"));
            } else {
                log.push_str(&format!("{name}\t{i}.0\n"));
            }
            if i == 1000 {
                log.push_str("#fields\tquery\tts\n");
            }
            if i == 1500 {
                log.push_str("bad\tline\textra\n");
            }
        }
        let options = Options { block_bytes: 4096, ..Options::default() };
        let mut sink = Collect::default();
        let summary =
            scan_reader(&set, "dns.log", io::Cursor::new(log.into_bytes()), &options, &mut sink)
                .unwrap();
        assert_eq!(summary.format, Format::Zeek);
        assert_eq!(
            (summary.lines, summary.hit_lines, summary.hits, summary.malformed),
            (2005, 20, 20, 1)
        );
        assert_eq!(sink.out[0], "11:query=www.evil.example");
        assert_eq!(sink.out[10], "1012:query=www.evil.example");
        assert_eq!(sink.out[15], "1506: malformed: 3 fields where `#fields` names 2");
        assert_eq!(sink.out[16], "1513:query=www.evil.example");
    }
}
