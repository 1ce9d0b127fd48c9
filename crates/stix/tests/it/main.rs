//! Integration tests of the STIX model and validator over the committed corpus in `test-data/stix`.

mod corpus;
mod properties;
