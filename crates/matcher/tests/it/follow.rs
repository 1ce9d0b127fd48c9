//! `--follow`: lines appended to a file after the scan started are found.

use std::io::{self, Write};

use matcher::{Hit, Indicator, IndicatorSet, Options, Sink};

/// Stops the scan after `want` hits.
struct StopAfter {
    want: usize,
    values: Vec<String>,
}

impl Sink for StopAfter {
    fn hit(&mut self, hit: &Hit) -> io::Result<bool> {
        self.values.push(format!("{}:{}", hit.line, hit.value));
        Ok(self.values.len() < self.want)
    }
}

#[test]
fn follow_reads_appended_lines() {
    let set = IndicatorSet::compile([Indicator::parse("evil.example").unwrap()], &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing.log");
    std::fs::write(&path, "first a.evil.example\nbenign.example\n").unwrap();
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || {
        let mut file = std::fs::OpenOptions::new().append(true).open(&writer_path).unwrap();
        // A partial line first: it must not be scanned until its newline arrives.
        file.write_all(b"later b.evil").unwrap();
        file.flush().unwrap();
        file.write_all(b".example\n").unwrap();
    });
    let options = Options { follow: true, format: matcher::Format::Text, ..Options::default() };
    let mut sink = StopAfter { want: 2, values: Vec::new() };
    matcher::scan_path(&set, &path, &options, &mut sink).unwrap();
    writer.join().unwrap();
    assert_eq!(sink.values, ["1:a.evil.example", "3:b.evil.example"]);
}
