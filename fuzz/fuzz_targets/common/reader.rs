//! The body every log-reader fuzz target shares: a fixed indicator set, one reader, and the
//! invariants (no panic; every line counted unless the input is compressed).

use matcher::{Format, Hit, Indicator, IndicatorSet, Options, Sink};

struct Discard;

impl Sink for Discard {
    fn hit(&mut self, _: &Hit) -> std::io::Result<bool> {
        Ok(true)
    }
}

/// Scans `data` as a log of `format`: it must never panic, and every line must be counted.
pub(crate) fn run(format: Format, data: &[u8]) {
    let set = IndicatorSet::compile(
        [
            "evil.example",
            "198.51.100.0/24",
            "2001:db8::/32",
            "http://evil.example/x",
            "a@evil.example",
        ]
        .map(|v| Indicator::parse(v).expect("a valid indicator")),
        &[],
    );
    let options = Options { format, block_bytes: 4096, threads: 1, ..Options::default() };
    let reader = std::io::Cursor::new(data.to_vec());
    if let Ok(summary) = matcher::scan_reader(&set, "fuzz", reader, &options, &mut Discard) {
        let compressed =
            data.starts_with(&[0x1f, 0x8b]) || data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        if !compressed {
            let lines = data.split(|&b| b == b'\n').count()
                - usize::from(data.last().is_none_or(|&b| b == b'\n'));
            assert_eq!(summary.lines as usize, lines);
        }
    }
}
