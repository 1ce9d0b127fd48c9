//! Integration tests of meridian-formats: golden files, never-leak checks, round trips, and the
//! real tools (named-checkzone, nft, pymisp, stix2-validator) as oracles.
