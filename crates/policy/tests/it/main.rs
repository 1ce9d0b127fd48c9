//! Integration tests of the policy engine: one rule per test, the reference model (proptest),
//! the canary leak test, and reference hygiene.

mod canary;
mod hygiene;
mod reference;
mod rules;
mod world;
