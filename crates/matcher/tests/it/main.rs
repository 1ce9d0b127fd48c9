//! Integration tests of the matcher.
