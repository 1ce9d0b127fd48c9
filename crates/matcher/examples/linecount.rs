//! The memory-speed limit for `bench/matching`: count the newlines of files with `memchr`,
//! reading them the way the scanner does (1 MiB blocks, one thread). Usage: `linecount FILE...`.
#![allow(clippy::print_stdout)] // A benchmark tool: printing its answer is its job.

use std::io::Read;

fn main() -> std::io::Result<()> {
    let mut buf = vec![0u8; matcher::DEFAULT_BLOCK_BYTES];
    let mut lines = 0usize;
    for path in std::env::args_os().skip(1) {
        let mut file = std::fs::File::open(path)?;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            lines += memchr::memchr_iter(b'\n', &buf[..n]).count();
        }
    }
    println!("{lines}");
    Ok(())
}
