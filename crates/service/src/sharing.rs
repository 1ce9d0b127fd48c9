//! The one disclosure decision every read path goes through (SECURITY.md rule 1).
//!
//! Two layers. Collection grants (`access`): what a principal may see and do in a collection;
//! collections they may not see are indistinguishable from absent ones. Then, for every object
//! version that would leave, the sharing-policy engine (`policy::decide`): TLP 2.0 re-evaluated
//! for this hop, partner agreements, granular markings, personal-data minimisation. Its outcome is
//! shared as stored, shared redacted, or withheld; the rule is returned for the ledger.
//!
//! Whose hop it is: an object a local organisation submitted is that organisation's to share
//! (it chose the collection's audience: it is the TLP *source*); an object pulled from a peer is
//! held by this node's organisation (the *holder*), which received it from the peer's
//! organisation and may pass it on only as TLP allows a recipient to.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use crate::{Principal, policy_config::PolicyConfig};

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
/// organisation, limited by the token's scope. Node administrators may read and write every
/// collection (what they then see of each object is still decided per object).
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

/// Who receives: a user of this node, or a partner node under an agreement.
#[derive(Debug, Clone)]
pub enum Audience<'a> {
    /// A user (TAXII reads).
    User(&'a Principal),
    /// A partner node (push), bound to an organisation and an agreement.
    Partner {
        /// The peer's name.
        node: &'a str,
        /// The partner organisation.
        org: &'a store::Org,
        /// The agreement.
        agreement: &'a policy::Agreement,
    },
}

/// The outcome for one object version.
#[derive(Debug, Clone)]
pub enum Disclosure<'v> {
    /// Share this JSON (as stored, or redacted).
    Share {
        /// The JSON to send.
        json: Cow<'v, str>,
        /// The rule that allowed it, for the ledger.
        rule: String,
        /// The redactions applied, if any, for the ledger.
        transform: Option<String>,
    },
    /// Withhold it.
    Withhold(String),
}

/// A decision with the object as it would go.
enum Outcome {
    Share { object: stix::Object, redacted: bool, rule: String, transform: Option<String> },
    Withhold(String),
}

/// What the sharing decision reads from the store (organisations, users, statement marking
/// definitions) combined with the node's policy file: built once per directory version (see
/// `directory.rs`) and shared by every request until the directory changes.
pub struct Rules {
    base: policy::Policy,
    orgs: BTreeMap<store::OrgId, store::Org>,
    users: BTreeMap<store::UserId, String>,
    /// The organisations' own identities (`identities` in the policy file).
    submitters: BTreeSet<stix::Identifier>,
    /// The policy with each submitting organisation as the holder of its own objects, made on
    /// first use and kept with the rules.
    per_holder: RwLock<HashMap<policy::OrgId, Arc<policy::Policy>>>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules").field("holder", &self.base.holder).finish()
    }
}

impl Rules {
    /// The rules for these organisations, users and stored marking definitions (JSON) under
    /// the node's policy file.
    pub fn new(
        orgs: BTreeMap<store::OrgId, store::Org>,
        users: BTreeMap<store::UserId, String>,
        marking_definitions: &[String],
        config: &PolicyConfig,
    ) -> Self {
        let mut directory = policy::Directory::new();
        for org in orgs.values() {
            let mut entry = policy::Organisation::new(org.name.as_str(), &org.jurisdiction);
            entry.sectors = org.sectors.iter().cloned().collect();
            if let Some(declared) = config.orgs.get(&org.name) {
                entry.clients =
                    declared.clients.iter().map(|c| policy::OrgId::new(c.as_str())).collect();
                entry.communities = declared.communities.iter().cloned().collect();
                entry.internal_ranges = declared.internal_ranges.clone();
            }
            directory.insert(entry);
        }
        let mut base = policy::Policy::new(policy::OrgId::new(config.holder.as_str()), directory);
        base.unmarked = config.unmarked;
        base.known_markings = statement_markings(marking_definitions);
        base.known_markings.extend(config.markings.clone());
        let submitters = config.orgs.values().flat_map(|d| d.identities.iter().cloned()).collect();
        Self { base, orgs, users, submitters, per_holder: RwLock::new(HashMap::new()) }
    }

    /// The policy under which `holder` shares what it submitted itself.
    fn for_holder(&self, holder: &policy::OrgId) -> Arc<policy::Policy> {
        let known = self.per_holder.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(policy) = known.get(holder) {
            return Arc::clone(policy);
        }
        drop(known);
        let mut policy = self.base.clone();
        policy.holder = holder.clone();
        let policy = Arc::new(policy);
        self.per_holder
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(holder.clone(), Arc::clone(&policy));
        policy
    }

    fn org_name(&self, id: Option<store::OrgId>) -> Option<&str> {
        id.and_then(|id| self.orgs.get(&id)).map(|o| o.name.as_str())
    }
}

/// The sharing decision for one request: the node's rules as of now.
pub struct Sharing {
    rules: Arc<Rules>,
    now: stix::Timestamp,
    key: Vec<u8>,
    /// The review queue: versions held back for review are queued there, and a version a
    /// person approved (`meridian review approve`) is decided as reviewed.
    reviews: Option<Arc<store::Ledger>>,
}

impl std::fmt::Debug for Sharing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharing").field("holder", &self.rules.base.holder).finish()
    }
}

impl Sharing {
    /// The decision for one request under `rules`, at the current time; `key` is the node's
    /// pseudonym secret.
    pub fn new(rules: Arc<Rules>, key: Vec<u8>) -> Self {
        Self { rules, now: stix::Timestamp::now(), key, reviews: None }
    }

    /// Uses the review queue in `ledger`. It is consulted only when the policy asks for a
    /// review, so a request that meets no uncertain personal data does not read it.
    #[must_use]
    pub fn with_reviews(mut self, ledger: Arc<store::Ledger>) -> Self {
        self.reviews = Some(ledger);
        self
    }

    /// Whether a person approved `version` (a ledger failure counts as not approved: the
    /// version then stays withheld).
    fn approved(&self, version: &store::StoredVersion) -> bool {
        let Some(ledger) = &self.reviews else { return false };
        ledger.is_approved(&version.id, &version.version).unwrap_or_else(|e| {
            tracing::error!(object = %version.id, error = %e, "Cannot read the review queue; the object stays withheld.");
            false
        })
    }

    /// The non-TLP marking definitions the policy knows, with the TLP level each stands for
    /// (`None` for statements, which restrict nothing).
    pub fn known_markings(&self) -> Vec<(String, Option<stix::Tlp>)> {
        self.rules
            .base
            .known_markings
            .iter()
            .map(|(id, meaning)| {
                let level = match meaning {
                    policy::MarkingMeaning::Statement => None,
                    policy::MarkingMeaning::Level(level) => Some(*level),
                };
                (id.clone(), level)
            })
            .collect()
    }

    /// Decides for `version` and, when it may go, makes its JSON what goes (redacted if so).
    /// Returns the rule and the transform for the ledger with the object as it goes (parsed
    /// once here, so callers need not parse it again), or why it is withheld.
    ///
    /// # Errors
    /// The reason, when the version is withheld.
    pub fn apply(
        &self,
        audience: &Audience<'_>,
        version: &mut store::StoredVersion,
    ) -> Result<((String, Option<String>), stix::Object), String> {
        match self.outcome(audience, version) {
            Outcome::Share { object, redacted, rule, transform } => {
                if redacted {
                    version.json = serde_json::to_string(&object)
                        .map_err(|e| format!("redaction failed: {e}"))?;
                }
                Ok(((rule, transform), object))
            }
            Outcome::Withhold(reason) => Err(reason),
        }
    }

    /// Decides whether `version` may go to `audience`, and in what form.
    pub fn disclose<'v>(
        &self,
        audience: &Audience<'_>,
        version: &'v store::StoredVersion,
    ) -> Disclosure<'v> {
        match self.outcome(audience, version) {
            Outcome::Share { redacted: false, rule, transform, .. } => {
                Disclosure::Share { json: Cow::Borrowed(&version.json), rule, transform }
            }
            Outcome::Share { object, redacted: true, rule, transform } => {
                match serde_json::to_string(&object) {
                    Ok(json) => Disclosure::Share { json: Cow::Owned(json), rule, transform },
                    Err(e) => Disclosure::Withhold(format!("redaction failed: {e}")),
                }
            }
            Outcome::Withhold(reason) => Disclosure::Withhold(reason),
        }
    }

    /// The decision for `version`, with the object as it would go.
    fn outcome(&self, audience: &Audience<'_>, version: &store::StoredVersion) -> Outcome {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&version.json) else {
            return Outcome::Withhold("the stored object cannot be read".into());
        };
        let Ok(object) = stix::Object::from_value(value) else {
            return Outcome::Withhold("the stored object is not a STIX object".into());
        };
        let rules = &self.rules;
        let source = rules.org_name(version.source_org).unwrap_or(rules.base.holder.as_str());
        // Whose hop: a local submitter shares its own objects; pulled objects are the holder's.
        let (holder_override, mut provenance) = match &version.source_peer {
            Some(_) => (
                None,
                policy::Provenance::received(
                    &policy::OrgId::new(source),
                    &policy::OrgId::new(source),
                ),
            ),
            None => {
                let source_id = policy::OrgId::new(source);
                (Some(source_id.clone()), policy::Provenance::local(&source_id))
            }
        };
        if let Some(user) = version.source_user.and_then(|u| rules.users.get(&u)) {
            provenance.named_users = BTreeSet::from([policy::UserId::new(user.as_str())]);
        }
        let policy_for_hop;
        let policy = match holder_override {
            Some(holder) if holder != rules.base.holder => {
                policy_for_hop = rules.for_holder(&holder);
                policy_for_hop.as_ref()
            }
            _ => &rules.base,
        };
        let (user_id, org_id, recipient_key);
        let recipient = match audience {
            Audience::User(principal) => {
                user_id = policy::UserId::new(principal.user.name.as_str());
                org_id = policy::OrgId::new(principal.org.name.as_str());
                recipient_key = principal.org.name.clone();
                policy::Recipient::User { user: &user_id, org: &org_id }
            }
            Audience::Partner { node, org, agreement } => {
                org_id = policy::OrgId::new(org.name.as_str());
                recipient_key = org.name.clone();
                policy::Recipient::Partner { node, org: &org_id, agreement }
            }
        };
        let mut key = self.key.clone();
        key.extend_from_slice(recipient_key.as_bytes());
        let mut context = policy::Context::new(&provenance, &self.now, &key);
        context.submitters = &rules.submitters;
        let mut decision = policy::decide(&object, &recipient, policy, &context);
        if matches!(&decision, policy::Decision::Withhold(policy::Reason::Review(_)))
            && self.approved(version)
        {
            context.reviewed = true;
            decision = policy::decide(&object, &recipient, policy, &context);
        }
        // The ledger names the agreement a partner received under (etc/agreement.toml.example).
        let agreement = match audience {
            Audience::Partner { agreement, .. } => Some(agreement.name.as_str()),
            Audience::User(_) => None,
        };
        match decision {
            policy::Decision::Share => Outcome::Share {
                object,
                redacted: false,
                rule: match agreement {
                    Some(name) => format!("shared under TLP, grants and agreement `{name}`"),
                    None => "shared under TLP and grants".into(),
                },
                transform: None,
            },
            policy::Decision::ShareRedacted(redactions) => Outcome::Share {
                object: policy::redact(&object, &redactions),
                redacted: true,
                rule: match agreement {
                    Some(name) => {
                        format!("shared redacted under TLP, agreement `{name}` and PII rules")
                    }
                    None => "shared redacted under TLP and PII rules".into(),
                },
                transform: Some(format!("{} redactions", redactions.edits().len())),
            },
            policy::Decision::Withhold(reason) => {
                if let policy::Reason::Review(what) = &reason {
                    self.queue_review(audience, version, what);
                }
                Outcome::Withhold(reason.to_string())
            }
        }
    }

    /// Queues `version` for a person to review. The version stays withheld whatever happens
    /// here, so a failure to queue is logged, not returned.
    fn queue_review(&self, audience: &Audience<'_>, version: &store::StoredVersion, what: &str) {
        let Some(ledger) = &self.reviews else { return };
        let (recipient, org) = match audience {
            Audience::User(p) => (format!("user:{}", p.user.name), p.org.name.clone()),
            Audience::Partner { node, org, .. } => (format!("peer:{node}"), org.name.clone()),
        };
        let request = store::ReviewRequest {
            object_id: version.id.clone(),
            version: version.version.clone(),
            recipient,
            org: Some(org),
            reason: what.to_owned(),
        };
        let now = store::timestamp_to_micros(&self.now);
        if let Err(e) = ledger.queue_reviews(&[request], now) {
            tracing::error!(object = %version.id, error = %e, "Cannot queue a review; the object stays withheld.");
        }
    }
}

/// Statement marking definitions (copyright, terms of use) stored in the node: they restrict
/// nothing, so objects carrying them are not treated as having an unknown marking.
fn statement_markings(definitions: &[String]) -> BTreeMap<String, policy::MarkingMeaning> {
    let mut out = BTreeMap::new();
    for json in definitions {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
            continue;
        };
        if value.get("definition_type").and_then(serde_json::Value::as_str) == Some("statement")
            && let Some(id) = value.get("id").and_then(serde_json::Value::as_str)
        {
            out.insert(id.to_owned(), policy::MarkingMeaning::Statement);
        }
    }
    out
}
