//! Fuzzes the text log reader (`matcher::Format::Text`): no input may make it panic, and
//! every line must be counted (see `common/reader.rs`).
#![no_main]

#[path = "common/reader.rs"]
mod reader;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| reader::run(matcher::Format::Text, data));
