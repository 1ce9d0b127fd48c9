//! The policy model: organisations, recipients, provenance, and the node's own policy settings.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use stix::{Identifier, Timestamp, Tlp};

use crate::agreement::{Agreement, PiiRules};
use crate::decide::MarkingMeaning;
use crate::ipnet::IpNet;

/// An organisation's identifier in the node's directory, e.g. `eu-cert`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgId(String);

impl OrgId {
    /// Wraps a directory name.
    pub fn new(name: impl Into<String>) -> Self {
        OrgId(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for OrgId {
    fn from(name: &str) -> Self {
        OrgId::new(name)
    }
}

/// A user account on this node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(String);

impl UserId {
    /// Wraps a user name.
    pub fn new(name: impl Into<String>) -> Self {
        UserId(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UserId {
    fn from(name: &str) -> Self {
        UserId::new(name)
    }
}

/// A jurisdiction: an ISO 3166-1 alpha-2 country code such as `US` or an EU member state (`DE`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Jurisdiction(String);

/// The 27 EU member states (ISO 3166-1 alpha-2; Greece is `GR`, with `EL` accepted too).
const EU_MEMBERS: [&str; 28] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Jurisdiction {
    /// A jurisdiction from its code, upper-cased.
    pub fn new(code: &str) -> Self {
        Jurisdiction(code.trim().to_ascii_uppercase())
    }

    /// The code, e.g. `DE`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an EU member state, where the GDPR applies.
    pub fn is_eu(&self) -> bool {
        EU_MEMBERS.contains(&self.0.as_str())
    }

    /// The data-protection regime: all EU member states form one (personal data moves freely
    /// inside the EU), every other jurisdiction is its own.
    pub fn regime(&self) -> &str {
        if self.is_eu() { "EU" } else { &self.0 }
    }

    /// Whether moving data from `self` to `other` crosses a data-protection border.
    pub fn crosses_border_to(&self, other: &Jurisdiction) -> bool {
        self.regime() != other.regime()
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organisation the node knows: a CERT, an ISAC, an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Its directory name.
    pub id: OrgId,
    /// Where it is established.
    pub jurisdiction: Jurisdiction,
    /// Its sectors, e.g. `energy`.
    pub sectors: BTreeSet<String>,
    /// Organisations declared as its clients: TLP:AMBER may reach them from this organisation.
    pub clients: BTreeSet<OrgId>,
    /// Communities it belongs to: TLP:GREEN stays within them.
    pub communities: BTreeSet<String>,
    /// Address ranges of its own networks (or its constituency's): addresses inside them, and in
    /// the private and shared ranges, are treated as victim addresses (personal data).
    pub internal_ranges: Vec<IpNet>,
}

impl Organisation {
    /// An organisation with no sectors, clients, communities or ranges yet.
    pub fn new(id: impl Into<OrgId>, jurisdiction: &str) -> Self {
        Organisation {
            id: id.into(),
            jurisdiction: Jurisdiction::new(jurisdiction),
            sectors: BTreeSet::new(),
            clients: BTreeSet::new(),
            communities: BTreeSet::new(),
            internal_ranges: Vec::new(),
        }
    }
}

/// The organisations the node knows, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    orgs: BTreeMap<OrgId, Organisation>,
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Self {
        Directory::default()
    }

    /// Adds or replaces an organisation.
    pub fn insert(&mut self, org: Organisation) {
        self.orgs.insert(org.id.clone(), org);
    }

    /// Looks an organisation up.
    pub fn get(&self, id: &OrgId) -> Option<&Organisation> {
        self.orgs.get(id)
    }

    /// Whether `client` is a declared client of `org`.
    pub fn is_client(&self, org: &OrgId, client: &OrgId) -> bool {
        self.get(org).is_some_and(|o| o.clients.contains(client))
    }

    /// Whether the two organisations share a declared community.
    pub fn share_community(&self, a: &OrgId, b: &OrgId) -> bool {
        match (self.get(a), self.get(b)) {
            (Some(a), Some(b)) => !a.communities.is_disjoint(&b.communities),
            _ => false,
        }
    }

    /// Whether `org` is a member of `community`.
    pub fn in_community(&self, org: &OrgId, community: &str) -> bool {
        self.get(org).is_some_and(|o| o.communities.contains(community))
    }
}

/// Who an object would be disclosed to.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    /// A user account on this node (TAXII read, search, UI), belonging to `org`.
    User {
        /// The user.
        user: &'a UserId,
        /// The user's organisation.
        org: &'a OrgId,
    },
    /// A partner node (federation push or pull), bound to an organisation and an agreement.
    Partner {
        /// The peer's name in the node configuration.
        node: &'a str,
        /// The organisation that runs the peer.
        org: &'a OrgId,
        /// The sharing agreement with it.
        agreement: &'a Agreement,
    },
    /// An export file or a feed (enforcement lists, MISP feed, public advisories).
    Export {
        /// The export's or feed's name, for the ledger.
        feed: &'a str,
        /// Who will read it.
        audience: Audience<'a>,
    },
}

impl Recipient<'_> {
    /// The organisation that receives, if there is exactly one.
    pub fn org(&self) -> Option<&OrgId> {
        match self {
            Recipient::User { org, .. } | Recipient::Partner { org, .. } => Some(org),
            Recipient::Export { audience: Audience::Org(org), .. } => Some(org),
            Recipient::Export { .. } => None,
        }
    }
}

/// Who reads an export or feed.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// One organisation's own systems (e.g. its resolvers and sensors).
    Org(&'a OrgId),
    /// Every member of a community (e.g. a sector MISP feed).
    Community(&'a str),
    /// Anyone (public advisories, Atom feed).
    Public,
}

/// Where the holder's copy of an object came from (recorded by the store at ingest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The organisation that created or first submitted the object: the TLP *source*.
    pub source: OrgId,
    /// The organisation the holder received it from; `None` when the holder is the source.
    /// When it equals `source`, the holder is the original recipient organisation.
    pub received_from: Option<OrgId>,
    /// Users on this node named as the recipients of TLP:RED content in this object
    /// (the submitter and whoever the source named). Nobody else sees RED.
    pub named_users: BTreeSet<UserId>,
    /// The collection the object is read from, for agreements that limit collections.
    pub collection: Option<String>,
}

impl Provenance {
    /// Provenance of an object the holder created itself.
    pub fn local(holder: &OrgId) -> Self {
        Provenance {
            source: holder.clone(),
            received_from: None,
            named_users: BTreeSet::new(),
            collection: None,
        }
    }

    /// Provenance of an object received from `from`, created by `source`.
    pub fn received(source: &OrgId, from: &OrgId) -> Self {
        Provenance {
            source: source.clone(),
            received_from: Some(from.clone()),
            named_users: BTreeSet::new(),
            collection: None,
        }
    }

    /// The holder's role for this object under TLP.
    pub fn role(&self, holder: &OrgId) -> HolderRole {
        if &self.source == holder {
            HolderRole::Source
        } else if self.received_from.as_ref() == Some(&self.source) {
            HolderRole::Recipient
        } else {
            HolderRole::Onward
        }
    }
}

/// The holder's place in the object's TLP chain: TLP is re-evaluated at every hop against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolderRole {
    /// The holder is the source: it chooses the recipient organisation.
    Source,
    /// The holder received it directly from the source: it is the recipient organisation.
    Recipient,
    /// The holder received it from another recipient (as a client or a community member).
    Onward,
}

/// The level an unmarked object gets. There is deliberately no `Clear`: SECURITY.md rule 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Unmarked {
    /// Unmarked objects stay within the community.
    Green,
    /// Unmarked objects reach the recipient organisation and its clients (the default).
    #[default]
    Amber,
    /// Unmarked objects stay within the recipient organisation.
    AmberStrict,
    /// Unmarked objects stay with named users.
    Red,
}

impl Unmarked {
    /// The TLP level this default stands for.
    pub fn level(self) -> Tlp {
        match self {
            Unmarked::Green => Tlp::Green,
            Unmarked::Amber => Tlp::Amber,
            Unmarked::AmberStrict => Tlp::AmberStrict,
            Unmarked::Red => Tlp::Red,
        }
    }
}

/// The node's policy: who holds the data here, whom it knows, and its defaults.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The organisation that runs this node and holds its copy of every object.
    pub holder: OrgId,
    /// The organisations the node knows.
    pub directory: Directory,
    /// The level of unmarked objects.
    pub unmarked: Unmarked,
    /// Marking definitions other than TLP that the node accepts, with what each one means.
    /// Any other marking is unknown and treated as TLP:RED.
    pub known_markings: BTreeMap<String, MarkingMeaning>,
    /// How personal data is treated when it leaves the holder organisation without an
    /// agreement (users of other organisations on this node, exports, feeds).
    pub pii: PiiRules,
}

impl Policy {
    /// A policy for `holder` with the given directory, the AMBER default for unmarked objects,
    /// no extra markings, and personal data dropped at every organisation boundary.
    pub fn new(holder: OrgId, directory: Directory) -> Self {
        Policy {
            holder,
            directory,
            unmarked: Unmarked::default(),
            known_markings: BTreeMap::new(),
            pii: PiiRules::default(),
        }
    }
}

/// Everything about one decision that is not the object, the recipient or the policy.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Where the holder's copy came from.
    pub provenance: &'a Provenance,
    /// The time of the decision (agreements have validity windows). Never read from a clock here.
    pub now: &'a Timestamp,
    /// The recipient's pseudonymisation key (HMAC-SHA256): the same value gets the same
    /// pseudonym for one recipient, and unlinkable pseudonyms across recipients.
    pub pseudonym_key: &'a [u8],
    /// Observable ids known to describe the holder's victims: see [`crate::victim_observables`].
    pub victims: &'a BTreeSet<Identifier>,
    /// Identity ids of submitters (the holder's and partners' own identities), pseudonymised
    /// when an agreement asks for it.
    pub submitters: &'a BTreeSet<Identifier>,
    /// A person reviewed this object version's uncertain personal-data findings and found no
    /// personal data in them (`meridian review approve`): uncertain findings no longer hold it
    /// back. Certain findings are minimised as the agreement says, reviewed or not.
    pub reviewed: bool,
}

static NO_IDS: BTreeSet<Identifier> = BTreeSet::new();

impl<'a> Context<'a> {
    /// A context with no known victim observables and no submitter identities.
    pub fn new(provenance: &'a Provenance, now: &'a Timestamp, pseudonym_key: &'a [u8]) -> Self {
        Context {
            provenance,
            now,
            pseudonym_key,
            victims: &NO_IDS,
            submitters: &NO_IDS,
            reviewed: false,
        }
    }
}
