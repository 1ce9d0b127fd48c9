//! `decide`: the one disclosure decision (SECURITY.md rule 1). A policy outcome is a value.

use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Value};
use stix::{Identifier, Object, Tlp};

use crate::agreement::{Agreement, PiiCategory, PiiForm, PiiRules};
use crate::ipnet::{IpNet, is_internal};
use crate::model::{Audience, Context, HolderRole, OrgId, Policy, Recipient};
use crate::pii;
use crate::redact::{Edit, Path, Redactions, Step, Why, redact};

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send the object as it is.
    Share,
    /// Send the object transformed by these redactions (apply them with [`crate::redact()`]).
    ShareRedacted(Redactions),
    /// Do not send it; the reason goes to the log and the ledger.
    Withhold(Reason),
}

impl Decision {
    /// Whether the object (in some form) may be sent.
    pub fn is_shared(&self) -> bool {
        !matches!(self, Decision::Withhold(_))
    }
}

/// Why an object is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// TLP does not let the object reach this recipient from this holder.
    Tlp {
        /// The object's effective level (all-of: the most restrictive of its markings).
        level: Tlp,
        /// Where the level came from.
        from: LevelFrom,
        /// The rule that refused.
        rule: TlpRule,
    },
    /// The partner agreement does not cover the object.
    Agreement {
        /// The agreement's name.
        agreement: String,
        /// The limit that refused.
        rule: AgreementRule,
    },
    /// The object *is* personal data of a category the recipient may not receive.
    Pii(PiiCategory),
    /// Something looks like personal data but detection is unsure: hold for human review.
    Review(String),
    /// Withholding the marked or personal parts would leave invalid STIX (a required property),
    /// or the markings are malformed: the whole object is withheld.
    Unredactable(String),
}

impl Reason {
    /// A stable rule code for the ledger and logs, e.g. `tlp.red.never-leaves`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Tlp { rule, .. } => rule.code(),
            Reason::Agreement { rule, .. } => rule.code(),
            Reason::Pii(_) => "pii.drop",
            Reason::Review(_) => "pii.review",
            Reason::Unredactable(_) => "granular.unredactable",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Tlp { level, from, rule } => {
                write!(f, "{}: {} ({})", rule.code(), level.label(), from)
            }
            Reason::Agreement { agreement, rule } => {
                write!(f, "{} under agreement `{agreement}`: {rule:?}", rule.code())
            }
            Reason::Pii(category) => write!(f, "pii.drop: the object is {category} data"),
            Reason::Review(what) => write!(f, "pii.review: {what}"),
            Reason::Unredactable(what) => write!(f, "granular.unredactable: {what}"),
        }
    }
}

/// Where an object's effective TLP level came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelFrom {
    /// This marking definition (the most restrictive one).
    Marking(String),
    /// The object has no TLP marking: the node's default applies.
    Unmarked,
    /// An unknown or malformed marking, treated as the most restrictive.
    Unknown(String),
}

impl fmt::Display for LevelFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelFrom::Marking(id) => write!(f, "marking {id}"),
            LevelFrom::Unmarked => f.write_str("unmarked, node default"),
            LevelFrom::Unknown(id) => write!(f, "unknown marking {id}, treated as TLP:RED"),
        }
    }
}

/// The TLP 2.0 rules, as they bind the current holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlpRule {
    /// RED: only users on this node named as its recipients.
    RedNotNamed,
    /// RED never leaves the node by sync, export or feed.
    RedNeverLeaves,
    /// AMBER+STRICT: only within the recipient organisation, never onward.
    AmberStrictOutsideOrg,
    /// AMBER: only the recipient organisation and its declared clients.
    AmberNotClient,
    /// GREEN: only within a community the holder belongs to.
    GreenOutsideCommunity,
}

impl TlpRule {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TlpRule::RedNotNamed => "tlp.red.not-named",
            TlpRule::RedNeverLeaves => "tlp.red.never-leaves",
            TlpRule::AmberStrictOutsideOrg => "tlp.amber-strict.outside-org",
            TlpRule::AmberNotClient => "tlp.amber.not-client",
            TlpRule::GreenOutsideCommunity => "tlp.green.outside-community",
        }
    }
}

/// The agreement limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreementRule {
    /// The agreement binds another organisation than the peer's.
    WrongPartner,
    /// Outside the validity window.
    NotInForce,
    /// The level is above the agreement's highest TLP.
    AboveHighestTlp(Tlp),
    /// The object type is not agreed.
    ObjectType(String),
    /// The collection is not agreed (or unknown).
    Collection,
    /// None of the required labels.
    LabelMissing,
    /// An excluded label.
    LabelExcluded(String),
}

impl AgreementRule {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AgreementRule::WrongPartner => "agreement.wrong-partner",
            AgreementRule::NotInForce => "agreement.not-in-force",
            AgreementRule::AboveHighestTlp(_) => "agreement.highest-tlp",
            AgreementRule::ObjectType(_) => "agreement.object-type",
            AgreementRule::Collection => "agreement.collection",
            AgreementRule::LabelMissing => "agreement.label-missing",
            AgreementRule::LabelExcluded(_) => "agreement.label-excluded",
        }
    }
}

/// What a non-TLP marking definition the node accepts means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkingMeaning {
    /// A statement (copyright, terms of use): carried along, restricts nothing, and does not
    /// count as a TLP marking (an object with only statements gets the unmarked default).
    Statement,
    /// A local marking the node maps to a TLP level.
    Level(Tlp),
}

/// Decides whether `object` may go to `recipient`, and in what form.
///
/// In order: the TLP level (all-of over `object_marking_refs`; unmarked → the node default;
/// unknown → RED) against the recipient, re-evaluated for this holder's role (`Provenance`);
/// the partner agreement's limits; granular markings (the marked properties, and the markings
/// that would reveal them, are removed); personal-data minimisation when the recipient is
/// outside the holder organisation. A redacted result that would not be valid STIX is withheld.
pub fn decide(
    object: &Object,
    recipient: &Recipient<'_>,
    policy: &Policy,
    context: &Context<'_>,
) -> Decision {
    match decide_inner(object, recipient, policy, context) {
        Ok(redactions) if redactions.is_empty() => Decision::Share,
        Ok(redactions) => Decision::ShareRedacted(redactions),
        Err(reason) => Decision::Withhold(reason),
    }
}

/// The effective TLP level of an object: the most restrictive of its markings (all-of), the
/// node's default when it has no TLP marking, RED when any marking is unknown or malformed.
pub fn effective_level(object: &Object, policy: &Policy) -> (Tlp, LevelFrom) {
    if object.object_type() == "marking-definition" {
        let id = object.id().as_str();
        // The pinned TLP definitions and the statements the node accepted are public text.
        if Tlp::from_marking_id(id).is_some() || policy.known_markings.contains_key(id) {
            return (Tlp::Clear, LevelFrom::Marking(id.to_owned()));
        }
    }
    let refs = match object.get("object_marking_refs") {
        None => return (policy.unmarked.level(), LevelFrom::Unmarked),
        Some(Value::Array(refs)) => refs,
        Some(_) => return (Tlp::Red, LevelFrom::Unknown("object_marking_refs".into())),
    };
    let mut best: Option<(Tlp, LevelFrom)> = None;
    for r in refs {
        let Some(id) = r.as_str() else {
            return (Tlp::Red, LevelFrom::Unknown("object_marking_refs".into()));
        };
        let (level, from) = match marking_level(id, policy) {
            Some(Some(level)) => (level, LevelFrom::Marking(id.to_owned())),
            Some(None) => continue,
            None => (Tlp::Red, LevelFrom::Unknown(id.to_owned())),
        };
        if best.as_ref().is_none_or(|(b, _)| level > *b) {
            best = Some((level, from));
        }
    }
    best.unwrap_or((policy.unmarked.level(), LevelFrom::Unmarked))
}

/// `Some(Some(level))` for a TLP or mapped marking, `Some(None)` for an accepted statement,
/// `None` for an unknown marking.
fn marking_level(id: &str, policy: &Policy) -> Option<Option<Tlp>> {
    if let Some(level) = Tlp::from_marking_id(id) {
        return Some(Some(level));
    }
    match policy.known_markings.get(id)? {
        MarkingMeaning::Statement => Some(None),
        MarkingMeaning::Level(level) => Some(Some(*level)),
    }
}

/// Whether TLP lets content at `level` go from this holder to `recipient`: the TLP 2.0
/// definitions, bound to the holder's role (see `docs/design/tlp-per-hop.md`).
pub fn tlp_allows(
    level: Tlp,
    recipient: &Recipient<'_>,
    policy: &Policy,
    context: &Context<'_>,
) -> Result<(), TlpRule> {
    let holder = &policy.holder;
    let role = context.provenance.role(holder);
    let org = recipient.org();
    let inside = org == Some(holder);
    // Users the source named as recipients of this object may see it at any level: naming
    // people is the narrowest disclosure there is, so every level admits them (without this,
    // adding RED to an AMBER object could widen it to a named user of a non-client).
    if let Recipient::User { user, .. } = recipient
        && context.provenance.named_users.contains(*user)
    {
        return Ok(());
    }
    match level {
        Tlp::Clear => Ok(()),
        Tlp::Green => {
            let ok = match recipient {
                Recipient::Export { audience: Audience::Public, .. } => false,
                Recipient::Export { audience: Audience::Community(c), .. } => {
                    policy.directory.in_community(holder, c)
                }
                // The source may choose any recipient organisation (as it may for AMBER, so
                // that GREEN is never narrower than AMBER); a recipient shares within its
                // communities.
                _ => {
                    inside
                        || (role == HolderRole::Source && org.is_some())
                        || org.is_some_and(|o| policy.directory.share_community(holder, o))
                }
            };
            if ok { Ok(()) } else { Err(TlpRule::GreenOutsideCommunity) }
        }
        Tlp::Amber => {
            let ok = org.is_some_and(|o| {
                o == holder
                    || role == HolderRole::Source
                    || (role == HolderRole::Recipient && policy.directory.is_client(holder, o))
            });
            if ok { Ok(()) } else { Err(TlpRule::AmberNotClient) }
        }
        Tlp::AmberStrict => {
            let ok = org.is_some() && (inside || role == HolderRole::Source);
            if ok { Ok(()) } else { Err(TlpRule::AmberStrictOutsideOrg) }
        }
        Tlp::Red => match recipient {
            Recipient::User { .. } => Err(TlpRule::RedNotNamed),
            Recipient::Partner { .. } | Recipient::Export { .. } => Err(TlpRule::RedNeverLeaves),
        },
    }
}

fn decide_inner(
    object: &Object,
    recipient: &Recipient<'_>,
    policy: &Policy,
    context: &Context<'_>,
) -> Result<Redactions, Reason> {
    let (level, from) = effective_level(object, policy);
    tlp_allows(level, recipient, policy, context).map_err(|rule| Reason::Tlp {
        level,
        from,
        rule,
    })?;
    if let Recipient::Partner { org, agreement, .. } = recipient {
        check_agreement(object, level, org, agreement, context)
            .map_err(|rule| Reason::Agreement { agreement: agreement.name.clone(), rule })?;
    }
    let mut redactions = Redactions::default();
    granular(object, recipient, policy, context, &mut redactions)?;
    if recipient.org() != Some(&policy.holder) {
        let (rules, submitters) = match recipient {
            Recipient::Partner { agreement, .. } => {
                (&agreement.pii, agreement.pseudonymise_submitters)
            }
            _ => (&policy.pii, false),
        };
        let crosses = crosses_border(recipient, policy);
        Minimiser { object, rules, crosses, policy, context, out: &mut redactions }.run()?;
        if submitters {
            pseudonymise_submitter(object, context, &mut redactions);
        }
    }
    if !redactions.is_empty() {
        check_still_valid(object, &redactions)?;
    }
    Ok(redactions)
}

fn check_agreement(
    object: &Object,
    level: Tlp,
    org: &OrgId,
    agreement: &Agreement,
    context: &Context<'_>,
) -> Result<(), AgreementRule> {
    if &agreement.partner != org {
        return Err(AgreementRule::WrongPartner);
    }
    if !agreement.in_force(context.now) {
        return Err(AgreementRule::NotInForce);
    }
    if level > agreement.highest_tlp {
        return Err(AgreementRule::AboveHighestTlp(agreement.highest_tlp));
    }
    if let Some(types) = &agreement.object_types
        && !types.contains(object.object_type())
    {
        return Err(AgreementRule::ObjectType(object.object_type().to_owned()));
    }
    if let Some(collections) = &agreement.collections
        && !context.provenance.collection.as_ref().is_some_and(|c| collections.contains(c))
    {
        return Err(AgreementRule::Collection);
    }
    let labels: Vec<&str> = match object.get("labels") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if let Some(bad) = labels.iter().find(|l| agreement.exclude_labels.contains(**l)) {
        return Err(AgreementRule::LabelExcluded((*bad).to_owned()));
    }
    if !agreement.require_labels.is_empty()
        && !labels.iter().any(|l| agreement.require_labels.contains(*l))
    {
        return Err(AgreementRule::LabelMissing);
    }
    Ok(())
}

/// Properties that a granular marking can never remove without changing what the object is or
/// how it is marked.
const UNREMOVABLE: [&str; 7] = [
    "id",
    "type",
    "spec_version",
    "created",
    "modified",
    "object_marking_refs",
    "granular_markings",
];

/// STIX 2.1 §7.2.3: removes each property covered by a granular marking the recipient may not
/// see, drops those markings (they would reveal that something was withheld and at what
/// level), and re-indexes the selectors of the markings that remain.
fn granular(
    object: &Object,
    recipient: &Recipient<'_>,
    policy: &Policy,
    context: &Context<'_>,
    out: &mut Redactions,
) -> Result<(), Reason> {
    let Some(list) = object.get("granular_markings") else { return Ok(()) };
    let Some(list) = list.as_array() else {
        return Err(Reason::Unredactable("granular_markings is not a list".into()));
    };
    let map = object.as_map();
    let mut hidden: Vec<(Path, String, Tlp)> = Vec::new();
    let mut kept: Vec<&Value> = Vec::new();
    for entry in list {
        let marking = entry.get("marking_ref").and_then(Value::as_str);
        let level = match marking {
            None if entry.get("lang").is_some() => None,
            None => {
                return Err(Reason::Unredactable("granular marking without marking_ref".into()));
            }
            Some(id) => marking_level(id, policy).unwrap_or(Some(Tlp::Red)),
        };
        let refused = level.filter(|l| tlp_allows(*l, recipient, policy, context).is_err());
        let Some(level) = refused else {
            kept.push(entry);
            continue;
        };
        let selectors = entry.get("selectors").and_then(Value::as_array);
        for s in selectors.into_iter().flatten() {
            let path = s.as_str().and_then(Path::parse_selector).ok_or_else(|| {
                Reason::Unredactable(format!("granular marking selector {s} cannot be parsed"))
            })?;
            if let Some(Step::Key(first)) = path.0.first()
                && UNREMOVABLE.contains(&first.as_str())
            {
                return Err(Reason::Unredactable(format!("granular marking covers `{path}`")));
            }
            if path.get(map).is_some() {
                hidden.push((path, marking.unwrap_or_default().to_owned(), level));
            }
        }
    }
    if hidden.is_empty() {
        return Ok(());
    }
    hidden.sort();
    // Keep only the outermost removed paths: they are what shifts list indices.
    let mut outer: Vec<Path> = Vec::new();
    for (path, marking, level) in &hidden {
        if !outer.iter().any(|o| path.starts_with(o)) {
            outer.push(path.clone());
            out.push(
                Edit::Remove(path.clone()),
                Why::Granular { marking: marking.clone(), level: *level },
            );
        }
    }
    let mut rewritten = Vec::new();
    for entry in kept {
        let mut entry = entry.clone();
        if let Some(Value::Array(selectors)) = entry.get_mut("selectors") {
            selectors.retain_mut(|s| {
                let Some(path) = s.as_str().and_then(Path::parse_selector) else { return true };
                if outer.iter().any(|o| path.starts_with(o)) {
                    return false;
                }
                *s = Value::String(reindex(&path, &outer).to_string());
                true
            });
            if selectors.is_empty() {
                continue;
            }
        }
        rewritten.push(entry);
    }
    if rewritten.is_empty() {
        out.push(Edit::Remove(Path::key("granular_markings")), Why::GranularMarkings);
    } else if rewritten.as_slice() != list.as_slice() {
        out.push(
            Edit::Set(Path::key("granular_markings"), Value::Array(rewritten)),
            Why::GranularMarkings,
        );
    }
    Ok(())
}

/// The selector `path` once the list elements in `removed` are gone.
fn reindex(path: &Path, removed: &[Path]) -> Path {
    let mut steps = path.0.clone();
    for (j, step) in path.0.iter().enumerate() {
        let Step::Index(n) = step else { continue };
        let prefix = &path.0[..j];
        let shift = removed
            .iter()
            .filter(|r| {
                r.0.len() == j + 1
                    && &r.0[..j] == prefix
                    && matches!(r.0[j], Step::Index(m) if m < *n)
            })
            .count();
        steps[j] = Step::Index(n - shift);
    }
    Path(steps)
}

fn crosses_border(recipient: &Recipient<'_>, policy: &Policy) -> bool {
    let holder = policy.directory.get(&policy.holder).map(|o| &o.jurisdiction);
    let to = recipient.org().and_then(|o| policy.directory.get(o)).map(|o| &o.jurisdiction);
    match (holder, to) {
        (Some(a), Some(b)) => a.crosses_border_to(b),
        // An unknown party, a community feed or the public: assume a border.
        _ => true,
    }
}

/// Free-text properties scanned for personal data (plus every custom `x_` string).
const FREE_TEXT: [&str; 6] =
    ["description", "content", "abstract", "explanation", "summary", "contact_information"];

struct Minimiser<'a, 'o> {
    object: &'a Object,
    rules: &'a PiiRules,
    crosses: bool,
    policy: &'a Policy,
    context: &'a Context<'a>,
    out: &'o mut Redactions,
}

impl Minimiser<'_, '_> {
    fn form(&self, category: PiiCategory) -> PiiForm {
        self.rules.form(category, self.crosses)
    }

    fn key(&self) -> &[u8] {
        self.context.pseudonym_key
    }

    fn run(mut self) -> Result<(), Reason> {
        let map = self.object.as_map();
        let mut new_value: Option<Map<String, Value>> = None;
        match self.object.object_type() {
            "email-addr" => new_value = self.email(map)?,
            "user-account" => new_value = self.account(map)?,
            "ipv4-addr" | "ipv6-addr" => new_value = self.address(map)?,
            "identity"
                if map.get("identity_class").and_then(Value::as_str) == Some("individual") =>
            {
                self.individual(map)?;
            }
            _ => {}
        }
        if let Some(updated) = new_value
            && let Some(id) = stix::scoid::deterministic_id(self.object.object_type(), &updated)
            && &id != self.object.id()
        {
            self.out.rename(self.object.id().clone(), id);
        }
        self.names(map);
        self.free_text(map)
    }

    /// Returns the SCO's map after the edit, to derive its new deterministic id.
    fn email(&mut self, map: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Reason> {
        let mut updated = map.clone();
        if let Some(name) = map.get("display_name").and_then(Value::as_str) {
            self.person_name(Path::key("display_name"), name);
        }
        let Some(value) = map.get("value").and_then(Value::as_str) else { return Ok(None) };
        let new = match self.form(PiiCategory::EmailAddress) {
            PiiForm::Pass => return Ok(None),
            PiiForm::Drop => return Err(Reason::Pii(PiiCategory::EmailAddress)),
            PiiForm::Truncate => pii::truncated_email(value),
            PiiForm::Pseudonymise => pii::pseudonymous_email(self.key(), value),
        };
        let why = Why::Pii {
            category: PiiCategory::EmailAddress,
            form: self.form(PiiCategory::EmailAddress),
        };
        self.out.push(Edit::Set(Path::key("value"), Value::String(new.clone())), why);
        updated.insert("value".into(), Value::String(new));
        Ok(Some(updated))
    }

    fn account(&mut self, map: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Reason> {
        let form = self.form(PiiCategory::UserAccount);
        match form {
            PiiForm::Pass => return Ok(None),
            PiiForm::Drop | PiiForm::Truncate => return Err(Reason::Pii(PiiCategory::UserAccount)),
            PiiForm::Pseudonymise => {}
        }
        let why = Why::Pii { category: PiiCategory::UserAccount, form };
        let mut updated = map.clone();
        for key in ["user_id", "account_login", "display_name"] {
            if let Some(value) = map.get(key).and_then(Value::as_str) {
                let new = Value::String(format!(
                    "user-{}",
                    pii::pseudonym(self.key(), "user-account", value)
                ));
                self.out.push(Edit::Set(Path::key(key), new.clone()), why.clone());
                updated.insert(key.into(), new);
            }
        }
        for key in ["credential", "account_first_login", "account_last_login"] {
            if map.contains_key(key) {
                self.out.push(Edit::Remove(Path::key(key)), why.clone());
                updated.remove(key);
            }
        }
        Ok(Some(updated))
    }

    fn address(&mut self, map: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Reason> {
        let Some(value) = map.get("value").and_then(Value::as_str) else { return Ok(None) };
        let Ok(net) = value.parse::<IpNet>() else { return Ok(None) };
        let addr: IpAddr = net
            .to_string()
            .split('/')
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let addr = if value.contains('/') { addr } else { value.parse().unwrap_or(addr) };
        if !(self.context.victims.contains(self.object.id()) || self.is_victim(addr)) {
            return Ok(None);
        }
        let form = self.form(PiiCategory::VictimIp);
        let new = match form {
            PiiForm::Pass => return Ok(None),
            PiiForm::Drop => return Err(Reason::Pii(PiiCategory::VictimIp)),
            PiiForm::Truncate => pii::truncated_ip(addr),
            PiiForm::Pseudonymise => pii::pseudonymous_ip(self.key(), addr).to_string(),
        };
        let mut updated = map.clone();
        self.out.push(
            Edit::Set(Path::key("value"), Value::String(new.clone())),
            Why::Pii { category: PiiCategory::VictimIp, form },
        );
        updated.insert("value".into(), Value::String(new));
        // Resolution links would tie the pseudonym back to names and MACs.
        for key in ["resolves_to_refs", "belongs_to_refs"] {
            if map.contains_key(key) {
                self.out.push(
                    Edit::Remove(Path::key(key)),
                    Why::Pii { category: PiiCategory::VictimIp, form },
                );
            }
        }
        Ok(Some(updated))
    }

    fn is_victim(&self, addr: IpAddr) -> bool {
        if is_internal(addr) {
            return true;
        }
        let provenance = self.context.provenance;
        [&self.policy.holder, &provenance.source]
            .into_iter()
            .filter_map(|o| self.policy.directory.get(o))
            .any(|o| o.internal_ranges.iter().any(|n| n.contains(addr)))
    }

    fn individual(&mut self, map: &Map<String, Value>) -> Result<(), Reason> {
        let form = self.form(PiiCategory::Individual);
        match form {
            PiiForm::Pass => Ok(()),
            PiiForm::Drop | PiiForm::Truncate => Err(Reason::Pii(PiiCategory::Individual)),
            PiiForm::Pseudonymise => {
                let why = Why::Pii { category: PiiCategory::Individual, form };
                if let Some(name) = map.get("name").and_then(Value::as_str) {
                    let new =
                        format!("individual-{}", pii::pseudonym(self.key(), "individual", name));
                    self.out.push(Edit::Set(Path::key("name"), Value::String(new)), why.clone());
                }
                if map.contains_key("contact_information") {
                    self.out.push(Edit::Remove(Path::key("contact_information")), why);
                }
                Ok(())
            }
        }
    }

    /// Structured person names: `authors` and custom `x_…name…` strings.
    fn names(&mut self, map: &Map<String, Value>) {
        if let Some(Value::Array(authors)) = map.get("authors") {
            for (i, a) in authors.iter().enumerate() {
                if let Some(name) = a.as_str() {
                    self.person_name(Path(vec![Step::Key("authors".into()), Step::Index(i)]), name);
                }
            }
        }
        for (key, value) in map {
            if key.starts_with("x_")
                && key.contains("name")
                && let Some(name) = value.as_str()
            {
                self.person_name(Path::key(key), name);
            }
        }
    }

    fn person_name(&mut self, path: Path, name: &str) {
        let form = self.form(PiiCategory::PersonName);
        let why = Why::Pii { category: PiiCategory::PersonName, form };
        match form {
            PiiForm::Pass => {}
            PiiForm::Drop | PiiForm::Truncate => self.out.push(Edit::Remove(path), why),
            PiiForm::Pseudonymise => {
                let new = format!("person-{}", pii::pseudonym(self.key(), "person-name", name));
                self.out.push(Edit::Set(path, Value::String(new)), why);
            }
        }
    }

    fn free_text(&mut self, map: &Map<String, Value>) -> Result<(), Reason> {
        let individual_contact =
            map.get("identity_class").and_then(Value::as_str) == Some("individual");
        let mut texts: Vec<(Path, &str)> = Vec::new();
        for (key, value) in map {
            let custom = key.starts_with("x_") && !key.contains("name");
            if (FREE_TEXT.contains(&key.as_str()) || custom)
                && let Some(text) = value.as_str()
                && !(individual_contact && key == "contact_information")
            {
                texts.push((Path::key(key), text));
            }
        }
        if let Some(Value::Array(refs)) = map.get("external_references") {
            for (i, r) in refs.iter().enumerate() {
                if let Some(text) = r.get("description").and_then(Value::as_str) {
                    let path = Path(vec![
                        Step::Key("external_references".into()),
                        Step::Index(i),
                        Step::Key("description".into()),
                    ]);
                    texts.push((path, text));
                }
            }
        }
        for (path, text) in texts {
            if self.out.removes(&path) {
                continue;
            }
            let victim = |a: IpAddr| self.is_victim(a);
            let (norm, findings) = pii::scan(text, &victim);
            let mut result = String::with_capacity(norm.len());
            let mut last = 0;
            let mut changed = Vec::new();
            for f in &findings {
                let form = self.form(f.category);
                if form == PiiForm::Pass {
                    continue;
                }
                if !f.sure {
                    if self.context.reviewed {
                        continue;
                    }
                    return Err(Reason::Review(format!("possible {} in `{path}`", f.category)));
                }
                result.push_str(&norm[last..f.span.start]);
                result.push_str(&self.replacement(f.category, form, &f.value));
                last = f.span.end;
                changed.push((f.category, form));
            }
            if let Some(&(category, form)) = changed.first() {
                result.push_str(&norm[last..]);
                self.out.push(Edit::Set(path, Value::String(result)), Why::Pii { category, form });
            }
        }
        Ok(())
    }

    fn replacement(&self, category: PiiCategory, form: PiiForm, value: &str) -> String {
        match (form, category) {
            (PiiForm::Truncate, PiiCategory::VictimIp) => match value.parse::<IpAddr>() {
                Ok(addr) => pii::truncated_ip(addr),
                Err(_) => "[redacted]".into(),
            },
            (PiiForm::Truncate, PiiCategory::EmailAddress) => pii::truncated_email(value),
            (PiiForm::Pseudonymise, PiiCategory::EmailAddress) => {
                pii::pseudonymous_email(self.key(), value)
            }
            (PiiForm::Pseudonymise, PiiCategory::VictimIp) => match value.parse::<IpAddr>() {
                Ok(addr) => pii::pseudonymous_ip(self.key(), addr).to_string(),
                Err(_) => "[redacted]".into(),
            },
            (PiiForm::Pseudonymise, c) => {
                format!("{}-{}", c.key(), pii::pseudonym(self.key(), c.key(), value))
            }
            _ => "[redacted]".into(),
        }
    }
}

/// The pseudonymous id a submitter identity gets for the recipient whose key is `key`.
pub fn submitter_pseudonym(key: &[u8], id: &Identifier) -> Option<Identifier> {
    format!("identity--{}", pii::pseudonymous_uuid(key, id.as_str())).parse().ok()
}

fn pseudonymise_submitter(object: &Object, context: &Context<'_>, out: &mut Redactions) {
    let key = context.pseudonym_key;
    if let Some(creator) = object.get("created_by_ref").and_then(Value::as_str)
        && let Ok(creator) = creator.parse::<Identifier>()
        && let Some(p) = submitter_pseudonym(key, &creator)
    {
        out.push(
            Edit::Set(Path::key("created_by_ref"), Value::String(p.as_str().to_owned())),
            Why::Submitter,
        );
    }
    let id = object.id();
    if object.object_type() == "identity"
        && (context.submitters.contains(id) || object.created_by_ref().as_ref() == Some(id))
        && let Some(p) = submitter_pseudonym(key, id)
    {
        let name = format!("submitter-{}", pii::pseudonym(key, "submitter", id.as_str()));
        out.push(Edit::Set(Path::key("name"), Value::String(name)), Why::Submitter);
        for k in ["description", "contact_information", "roles", "external_references"] {
            if object.get(k).is_some() {
                out.push(Edit::Remove(Path::key(k)), Why::Submitter);
            }
        }
        out.rename(id.clone(), p);
    }
}

/// Withholds the object when the redacted form has validation errors the original did not.
fn check_still_valid(object: &Object, redactions: &Redactions) -> Result<(), Reason> {
    let options = stix::validate::Options::default();
    let errors = |o: &Object| {
        let value = serde_json::to_value(o).unwrap_or(Value::Null);
        stix::validate::validate(&value, &options)
            .into_iter()
            .filter(|f| f.severity == stix::validate::Severity::Error)
            .collect::<Vec<_>>()
    };
    let after = errors(&redact(object, redactions));
    if after.is_empty() {
        return Ok(());
    }
    let before = errors(object);
    match after.iter().find(|f| !before.iter().any(|b| b.path == f.path && b.message == f.message))
    {
        Some(f) => Err(Reason::Unredactable(format!(
            "redacted form is invalid STIX: {} {}",
            f.path, f.message
        ))),
        None => Ok(()),
    }
}
