//! Integration tests for `meridian-pattern`: the public API end to end.

mod oracle;
mod parse;
mod redos;
mod set;
