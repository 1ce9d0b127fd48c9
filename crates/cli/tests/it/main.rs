//! Integration tests of the `meridian` binary.

mod crash;
mod feeds;
mod formats;
mod import_url;
mod live_admin;
mod matching;
mod pattern;
mod steward;
mod stix;
mod stix_oracle;
mod store_match;
mod taxii_client;
