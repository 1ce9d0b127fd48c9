//! The one disclosure decision every read path goes through (SECURITY.md rule 1).
//!
//! It enforces collection grants — what a principal may see and do in a collection, with
//! collections they may not see reported exactly like collections that do not exist — and the
//! per-object decision `disclose`, which every object that leaves the node passes through. Today
//! `disclose` keeps TLP:RED objects (TLP 1.0 or 2.0 ids, all-of semantics) within the
//! organisation that submitted them; the sharing-policy engine (TLP per hop, partner agreements,
//! PII minimisation) replaces its body without touching the callers.

use crate::Principal;

/// What a principal may do in a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    /// May read objects.
    pub read: bool,
    /// May add objects.
    pub write: bool,
}

impl Access {
    /// Whether the collection exists for this principal at all.
    pub fn visible(self) -> bool {
        self.read || self.write
    }
}

/// The access `principal` has to `collection`: the union of the grants to its user and its
/// organisation, limited by the token's scope. Node administrators may read and write everything.
pub fn access(principal: &Principal, collection: &store::CollectionInfo) -> Access {
    let mut access = Access::default();
    if principal.user.is_admin {
        access = Access { read: true, write: true };
    }
    for grant in &collection.grants {
        let applies = match grant.grantee {
            store::Grantee::Org(org) => org == principal.org.id,
            store::Grantee::User(user) => user == principal.user.id,
        };
        if applies {
            access.read |= grant.can_read;
            access.write |= grant.can_write;
        }
    }
    if principal.scope == store::TokenScope::Read {
        access.write = false;
    }
    access
}

/// Whether one stored object version may be disclosed to `principal` (who already has read
/// access to the collection holding it).
pub fn disclose(principal: &Principal, version: &store::StoredVersion) -> bool {
    // TLP:RED names its recipients; a collection grant does not, so RED stays with the
    // organisation that submitted it (and the node's administrators).
    if principal.user.is_admin || version.source_org == Some(principal.org.id) {
        return true;
    }
    !version.markings.as_deref().is_some_and(is_red)
}

/// The rule under which `disclose` let `version` go to `principal`, for the ledger.
pub fn rule(principal: &Principal, version: &store::StoredVersion) -> &'static str {
    if version.source_org == Some(principal.org.id) {
        "own organisation's object"
    } else if principal.user.is_admin {
        "node administrator"
    } else {
        "collection read grant; not TLP:RED"
    }
}

/// Whether `object_marking_refs` (as JSON text) holds a TLP:RED marking, TLP 2.0 or 1.0.
fn is_red(markings: &str) -> bool {
    serde_json::from_str::<Vec<String>>(markings)
        .map(|refs| refs.iter().any(|id| stix::Tlp::from_marking_id(id) == Some(stix::Tlp::Red)))
        // Markings that cannot be read are treated as the most restrictive.
        .unwrap_or(true)
}
