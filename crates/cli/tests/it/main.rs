//! Integration tests of the `meridian` binary.

mod pattern;
mod stix;
mod stix_oracle;
