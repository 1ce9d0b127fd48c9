//! The sharing-policy engine: TLP 2.0 per hop, partner agreements, jurisdictions and
//! personal-data minimisation. It owns the one disclosure decision every path that lets data
//! out of a node asks (SECURITY.md rule 1), as pure functions: no I/O, no async, no clock
//! (the time comes in as a parameter).
//!
//! - [`decide`]: object + recipient + policy + context → [`Decision`]: `Share`,
//!   `ShareRedacted(Redactions)` or `Withhold(Reason)`; the reason names the rule for the ledger.
//! - [`redact()`]: applies a decision's [`Redactions`] to the object.
//! - [`clean_references`]: removes references to withheld objects from what is shared.
//! - [`Agreement::from_toml`]: partner agreements as reviewable TOML files
//!   (`etc/agreement.toml.example` documents every key).
//!
//! ```
//! use policy::{decide, Context, Decision, Directory, Organisation, OrgId, Policy, Provenance,
//!              Recipient, Agreement};
//! let holder = OrgId::new("eu-cert");
//! let client = OrgId::new("eu-energy-op");
//! let mut eu_cert = Organisation::new("eu-cert", "DE");
//! eu_cert.clients.insert(client.clone());
//! let mut directory = Directory::new();
//! directory.insert(eu_cert);
//! directory.insert(Organisation::new("eu-energy-op", "FR"));
//! let policy = Policy::new(holder.clone(), directory);
//!
//! let indicator = stix::Object::from_value(serde_json::json!({
//!     "type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!     "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
//!     "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
//!     "valid_from": "2026-01-01T00:00:00Z",
//!     "object_marking_refs": [stix::Tlp::Amber.marking_id()],
//! })).unwrap();
//! // The EU CERT received it from a US CERT (the source): it is the recipient organisation.
//! let provenance = Provenance::received(&OrgId::new("us-cert"), &OrgId::new("us-cert"));
//! let now: stix::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
//! let context = Context::new(&provenance, &now, b"key for this partner");
//! let agreement = Agreement::new("to-energy", client.clone(), stix::Tlp::Amber);
//! let to_client = Recipient::Partner { node: "energy", org: &client, agreement: &agreement };
//! assert_eq!(decide(&indicator, &to_client, &policy, &context), Decision::Share);
//! ```
//!
//! The crate has no features.

mod agreement;
mod decide;
mod hygiene;
mod ipnet;
mod model;
mod pii;
mod redact;

pub use agreement::{Agreement, AgreementError, PiiCategory, PiiForm, PiiRules};
pub use decide::{
    AgreementRule, Decision, LevelFrom, MarkingMeaning, Reason, TlpRule, decide, effective_level,
    submitter_pseudonym, tlp_allows,
};
pub use hygiene::{Cleaned, clean_references, victim_observables};
pub use ipnet::{IpNet, IpNetError};
pub use model::{
    Audience, Context, Directory, HolderRole, Jurisdiction, OrgId, Organisation, Policy,
    Provenance, Recipient, Unmarked, UserId,
};
pub use redact::{Edit, Path, Redaction, Redactions, Step, Why, redact};
