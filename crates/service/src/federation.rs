//! Federation with partner nodes over TAXII 2.1: pull (manifest first, incremental, resumable,
//! dependency-complete, idempotent) and push (what the partner may see, decided by the same
//! sharing rules as a read, recorded in the ledger).
//!
//! Pulled objects land in a local collection per peer collection (`<peer>-<alias>`), keep their
//! provenance (peer, partner organisation, channel `sync`), and are validated and versioned by the
//! same rules as any ingest. A pull cursor advances only after the page it covers is durable.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;
use serde_json::value::RawValue;
use store::{Federation, Peer};

use crate::node::now_micros;
use crate::{Error, Node, Principal, sharing};

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Objects pulled and stored.
    pub pulled: usize,
    /// Manifest records skipped because this node already had that version.
    pub skipped: usize,
    /// Objects pulled but refused (invalid, versioning rules, conflicts).
    pub rejected: usize,
    /// Objects pushed and accepted by the peer.
    pub pushed: usize,
    /// Objects the peer refused.
    pub push_refused: usize,
    /// Objects not pushed because the sharing rules withhold them from this partner.
    pub withheld: usize,
    /// Objects erased here because the partner erased them.
    pub erased: usize,
    /// Erasures delivered to the partner.
    pub erasures_sent: usize,
    /// Erasures the partner should receive that could not be delivered yet.
    pub erasures_pending: usize,
}

/// Page size for manifests and pushes.
const PAGE: usize = 500;
/// Ids per `match[id]` request.
const IDS_PER_REQUEST: usize = 50;

/// What federation needs from a partner node: the TAXII 2.1 calls, plus Meridian's erasure
/// list. `client::Client` is the real one; tests put a simulated network behind it.
pub trait Remote {
    /// The collections this node may see at the peer.
    ///
    /// # Errors
    /// Transport, status and protocol errors.
    fn collections(&self) -> Result<taxii::Collections, Error>;
    /// A manifest page; `query` is a URL query without `?`.
    ///
    /// # Errors
    /// As [`Remote::collections`].
    fn manifest(&self, collection: &str, query: &str) -> Result<taxii::Manifest, Error>;
    /// An objects page; `query` is a URL query without `?`.
    ///
    /// # Errors
    /// As [`Remote::collections`].
    fn objects(&self, collection: &str, query: &str) -> Result<client::ObjectsPage, Error>;
    /// Posts objects; returns the status.
    ///
    /// # Errors
    /// As [`Remote::collections`].
    fn add_objects(&self, collection: &str, objects: &[&RawValue]) -> Result<taxii::Status, Error>;
    /// Deletes an object (an erasure notice); false when the peer does not hold it.
    ///
    /// # Errors
    /// As [`Remote::collections`].
    fn delete_object(&self, collection: &str, object: &str) -> Result<bool, Error>;
    /// The objects the peer erased that this node received from it.
    ///
    /// # Errors
    /// As [`Remote::collections`].
    fn erasures(&self) -> Result<Vec<String>, Error>;
}

impl Remote for client::Client {
    fn collections(&self) -> Result<taxii::Collections, Error> {
        client::Client::collections(self).map_err(remote)
    }
    fn manifest(&self, collection: &str, query: &str) -> Result<taxii::Manifest, Error> {
        client::Client::manifest(self, collection, query).map_err(remote)
    }
    fn objects(&self, collection: &str, query: &str) -> Result<client::ObjectsPage, Error> {
        client::Client::objects(self, collection, query).map_err(remote)
    }
    fn add_objects(&self, collection: &str, objects: &[&RawValue]) -> Result<taxii::Status, Error> {
        client::Client::add_objects(self, collection, objects).map_err(remote)
    }
    fn delete_object(&self, collection: &str, object: &str) -> Result<bool, Error> {
        client::Client::delete_object(self, collection, object).map_err(remote)
    }
    fn erasures(&self) -> Result<Vec<String>, Error> {
        client::Client::erasures(self).map_err(remote)
    }
}

/// The real client for `peer`, under the outbound rules configured for it.
///
/// # Errors
/// `Invalid` when the peer's URL breaks the outbound rules.
pub fn client_for(peer: &Peer) -> Result<client::Client, Error> {
    let outbound =
        client::Outbound { allow_http: peer.allow_http, allow_private: peer.allow_private };
    client::Client::new(&peer.url, &peer.token, outbound).map_err(remote)
}

fn remote(e: client::Error) -> Error {
    Error::Invalid(format!("peer: {e}"))
}

/// The local collection that holds what was pulled from `peer`'s `remote` collection, created
/// on first use (readable by the node operator's organisation; grant others explicitly).
fn local_collection(node: &Node, peer: &Peer, remote: &taxii::Collection) -> Result<String, Error> {
    let name = remote.alias.clone().unwrap_or_else(|| remote.id.clone());
    let alias: String = format!("{}-{name}", peer.name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    if let Some(info) = node.store().collection(&alias)? {
        return Ok(info.id);
    }
    let id = crate::admin::add_collection(
        node,
        &alias,
        &format!("{} (from {})", remote.title, peer.name),
        None,
    )?;
    if let Some(org) = node.store().org_by_name(&node.options().policy.holder)? {
        node.store().grant(
            &id,
            store::Grant { grantee: store::Grantee::Org(org.id), can_read: true, can_write: false },
        )?;
    }
    Ok(id)
}

/// Pulls every collection the peer lets this node read.
///
/// # Errors
/// Peer, transport and store failures; what was stored before the failure stays, and the cursor
/// covers exactly that.
pub fn pull(node: &Node, federation: &Federation, peer: &Peer) -> Result<SyncReport, Error> {
    pull_from(node, federation, peer, &client_for(peer)?)
}

/// [`pull`] through `client`.
///
/// # Errors
/// As [`pull`].
pub fn pull_from(
    node: &Node,
    federation: &Federation,
    peer: &Peer,
    client: &dyn Remote,
) -> Result<SyncReport, Error> {
    let partner = node.store().org_by_name(&peer.org)?.ok_or(Error::NotFound)?;
    let provenance = store::Provenance {
        user: None,
        org: Some(partner.id),
        peer: Some(peer.name.clone()),
        channel: "sync".into(),
    };
    let mut report = SyncReport::default();
    // Erasures first: an erased object must not be pulled again meanwhile.
    let erasures = client.erasures()?;
    report.erased = node.apply_partner_erasures(peer, &partner, &erasures)?;
    for collection in client.collections()?.collections.into_iter().filter(|c| c.can_read) {
        let local = local_collection(node, peer, &collection)?;
        loop {
            let cursor = federation.cursor(&peer.name, "pull", &collection.id)?;
            let mut query = format!("limit={PAGE}&match[version]=all");
            if let Some(c) = &cursor {
                query.push_str(&format!("&added_after={c}"));
            }
            let manifest = client.manifest(&collection.id, &query)?;
            let Some(last) = manifest.objects.last().map(|r| r.date_added.clone()) else { break };
            let pairs: Vec<(String, String)> =
                manifest.objects.iter().map(|r| (r.id.clone(), r.version.clone())).collect();
            let known = federation.known(&pairs)?;
            let wanted: HashSet<(String, String)> =
                pairs.into_iter().zip(known).filter(|(_, k)| !k).map(|(p, _)| p).collect();
            report.skipped += manifest.objects.len() - wanted.len();
            // When the whole manifest page is wanted (a first sync, a busy partner), the same
            // page of objects is one request; anything it lacks is then fetched by id.
            let mut raws = Vec::new();
            if !wanted.is_empty() && wanted.len() == manifest.objects.len() {
                let mut query = format!("limit={PAGE}&match[version]=all");
                if let Some(c) = &cursor {
                    query.push_str(&format!("&added_after={c}"));
                }
                let page = client.objects(&collection.id, &query)?;
                raws.extend(page.objects.into_iter().filter(|o| is_wanted(o, &wanted)));
            }
            let got: HashSet<(String, String)> = raws.iter().filter_map(|r| key_of(r)).collect();
            // Unversioned objects (SCOs) have no version of their own to compare.
            let unversioned: HashSet<&str> =
                got.iter().filter(|(_, v)| v.is_empty()).map(|(id, _)| id.as_str()).collect();
            let rest: HashSet<(String, String)> = wanted
                .difference(&got)
                .filter(|(id, _)| !unversioned.contains(id.as_str()))
                .cloned()
                .collect();
            let ids: BTreeSet<String> = rest.iter().map(|(id, _)| id.clone()).collect();
            raws.extend(fetch(
                client,
                &collection.id,
                &ids.into_iter().collect::<Vec<_>>(),
                Some(&rest),
            )?);
            // Dependency-complete: fetch referenced objects this node does not have.
            let present: HashSet<String> = raws.iter().filter_map(|r| id_of(r)).collect();
            let referenced: Vec<String> = raws
                .iter()
                .flat_map(|r| references(r))
                .filter(|id| !present.contains(id))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let missing = federation.missing(&referenced)?;
            if !missing.is_empty() {
                raws.extend(fetch(client, &collection.id, &missing, None)?);
            }
            let raws: Vec<String> = raws.into_iter().map(|r| r.get().to_owned()).collect();
            let outcome = node.import(&local, &raws, &provenance)?;
            report.pulled += outcome.added;
            report.rejected += outcome.rejected.len();
            for rejected in &outcome.rejected {
                tracing::warn!(peer = %peer.name, object = %rejected.id, reason = rejected.message.as_deref().unwrap_or(""), "Refused a pulled object.");
            }
            // The page is durable: only now does the cursor move past it.
            federation.set_cursor(&peer.name, "pull", &collection.id, &last)?;
            if manifest.more != Some(true) {
                break;
            }
        }
    }
    Ok(report)
}

/// Fetches objects by id (all versions), keeping only the wanted `(id, version)` pairs if given.
fn fetch(
    client: &dyn Remote,
    collection: &str,
    ids: &[String],
    wanted: Option<&HashSet<(String, String)>>,
) -> Result<Vec<Box<RawValue>>, Error> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_REQUEST) {
        let mut next: Option<String> = None;
        loop {
            let mut query =
                format!("match[id]={}&match[version]=all&limit={PAGE}", chunk.join(","));
            if let Some(n) = &next {
                query.push_str(&format!("&next={n}"));
            }
            let page = client.objects(collection, &query)?;
            for object in page.objects {
                if wanted.is_none_or(|set| is_wanted(&object, set)) {
                    out.push(object);
                }
            }
            match (page.more, page.next) {
                (true, Some(n)) => next = Some(n),
                _ => break,
            }
        }
    }
    Ok(out)
}

/// An object's `(id, version)` as a manifest names it (`modified`, else `created`).
fn key_of(raw: &RawValue) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let id = value.get("id").and_then(Value::as_str)?.to_owned();
    let version = value
        .get("modified")
        .or_else(|| value.get("created"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Some((id, version.to_owned()))
}

/// Whether `raw` is one of the wanted versions (an unversioned object is wanted by id).
fn is_wanted(raw: &RawValue, wanted: &HashSet<(String, String)>) -> bool {
    let Some((id, version)) = key_of(raw) else { return false };
    wanted.contains(&(id.clone(), version)) || wanted.iter().any(|(i, v)| *i == id && v.is_empty())
}

fn id_of(raw: &RawValue) -> Option<String> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    value.get("id").and_then(Value::as_str).map(str::to_owned)
}

/// Identifiers an object refers to (`*_ref`, `*_refs`, marking references).
fn references(raw: &RawValue) -> Vec<String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw.get()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in &map {
        if key.ends_with("_ref") {
            out.extend(value.as_str().map(str::to_owned));
        } else if key.ends_with("_refs") {
            out.extend(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned)),
            );
        }
    }
    out
}

/// Pushes to the peer's collection `target` every object of this node's collections that the
/// partner organisation may read, decided per object by the same sharing rules as a read by that
/// organisation, skipping what the partner itself sent. Every pushed object is recorded in the
/// ledger before it leaves.
///
/// # Errors
/// Peer, transport and store failures.
pub fn push(
    node: &Node,
    federation: &Federation,
    peer: &Peer,
    target: &str,
) -> Result<SyncReport, Error> {
    push_to(node, federation, peer, target, &client_for(peer)?)
}

/// [`push`] through `client`.
///
/// # Errors
/// As [`push`].
pub fn push_to(
    node: &Node,
    federation: &Federation,
    peer: &Peer,
    target: &str,
    client: &dyn Remote,
) -> Result<SyncReport, Error> {
    let partner = node.store().org_by_name(&peer.org)?.ok_or(Error::NotFound)?;
    // The partner, as a principal of this node: what it could read here is what it may receive.
    let principal = Principal::partner(&peer.name, &partner);
    let agreement = agreement_of(peer)?;
    let sharing = node.sharing()?;
    let audience =
        sharing::Audience::Partner { node: &peer.name, org: &partner, agreement: &agreement };
    let mut report = SyncReport::default();
    for info in node.store().collections()? {
        if !sharing::access(&principal, &info).read {
            continue;
        }
        let mut after: i64 = federation
            .cursor(&peer.name, "push", &info.id)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        loop {
            let query = store::Query {
                after_micros: after,
                limit: PAGE,
                ids: Vec::new(),
                types: Vec::new(),
                versions: vec![store::VersionSelect::All],
                spec_versions: Vec::new(),
            };
            let page = node.store().query(&info.id, &query)?;
            let Some(last) = page.items.last().map(|v| v.date_added_micros) else { break };
            let mut batch = Vec::new();
            let mut rules = Vec::new();
            for version in &page.items {
                if version.source_org == Some(partner.id) {
                    continue;
                }
                match sharing.disclose(&audience, version) {
                    sharing::Disclosure::Share { json, rule, transform } => {
                        tracing::debug!(peer = %peer.name, object = %version.id, %rule, transform = transform.as_deref().unwrap_or("none"), "Pushing.");
                        let mut shared = version.clone();
                        shared.json = json.into_owned();
                        batch.push(shared);
                        rules.push((rule, transform));
                    }
                    sharing::Disclosure::Withhold(reason) => {
                        tracing::debug!(peer = %peer.name, object = %version.id, %reason, "Withheld from push.");
                        report.withheld += 1;
                    }
                }
            }
            // The same reference hygiene as a read: no withheld id travels inside another object.
            let (batch, rules) =
                node.hide_references(&principal, &sharing, &audience, batch, rules)?;
            if !batch.is_empty() {
                let disclosures: Vec<store::Disclosure> = batch
                    .iter()
                    .zip(&rules)
                    .map(|(v, (rule, transform))| store::Disclosure {
                        recipient: format!("peer:{}", peer.name),
                        org: Some(partner.name.clone()),
                        object_id: v.id.clone(),
                        version: v.version.clone(),
                        channel: "push".into(),
                        rule: rule.clone(),
                        transform: transform.clone(),
                    })
                    .collect();
                node.ledger().append(&disclosures, now_micros())?;
                let raws: Vec<Box<RawValue>> =
                    batch.into_iter().filter_map(|v| RawValue::from_string(v.json).ok()).collect();
                let refs: Vec<&RawValue> = raws.iter().map(AsRef::as_ref).collect();
                let status = client.add_objects(target, &refs)?;
                report.pushed += usize::try_from(status.success_count).unwrap_or(usize::MAX);
                report.push_refused += usize::try_from(status.failure_count).unwrap_or(usize::MAX);
            }
            after = last;
            federation.set_cursor(&peer.name, "push", &info.id, &after.to_string())?;
            if !page.more {
                break;
            }
        }
    }
    Ok(report)
}

/// What telling one partner about erasures did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureReport {
    /// Erasures delivered (the partner deleted the object, or did not hold it).
    pub delivered: usize,
    /// Erasures the partner learns of when it next pulls (no push collection is configured).
    pub awaiting_pull: usize,
    /// Erasures that could not be delivered: the partner refused or could not be reached
    /// (retried at the next sync).
    pub undelivered: Vec<(String, String)>,
}

/// Sends to `peer` every erasure it has not yet been told of, for objects the ledger says its
/// organisation received (through any channel). Delivery is a TAXII DELETE of the object in the
/// peer's push collection, which a Meridian peer treats as an erasure notice from the source.
/// Each notice is recorded in the ledger (channel `erasure`) before it is sent; an erasure that
/// fails is retried at the next sync.
///
/// # Errors
/// Ledger failures and a peer whose URL breaks the outbound rules.
pub fn propagate_erasures(node: &Node, peer: &Peer) -> Result<ErasureReport, Error> {
    if node.ledger().erasures()?.is_empty() {
        return Ok(ErasureReport::default());
    }
    propagate_erasures_via(node, peer, &client_for(peer)?)
}

/// [`propagate_erasures`] through `client`.
///
/// # Errors
/// As [`propagate_erasures`].
pub fn propagate_erasures_via(
    node: &Node,
    peer: &Peer,
    client: &dyn Remote,
) -> Result<ErasureReport, Error> {
    let mut report = ErasureReport::default();
    let ledger = node.ledger();
    for erasure in ledger.erasures()? {
        let id = erasure.object_id.as_str();
        if ledger.erasure_notice(id, &peer.name)?.is_some() {
            continue;
        }
        if erasure.requested_by == format!("peer:{}", peer.name) {
            // The partner asked for it: it has erased the object already.
            ledger.record_erasure_notice(id, &peer.name, "origin", now_micros())?;
            continue;
        }
        let recipient = format!("peer:{}", peer.name);
        let received = ledger
            .recipients_of(id)?
            .iter()
            .any(|(r, org)| *r == recipient || org.as_deref() == Some(peer.org.as_str()));
        if !received {
            continue;
        }
        let Some(target) = &peer.push_to else {
            // Nothing to push to: the partner learns of it at its next pull (`erasures_for`).
            report.awaiting_pull += 1;
            continue;
        };
        ledger.append(
            &[store::Disclosure {
                recipient,
                org: Some(peer.org.clone()),
                object_id: id.to_owned(),
                version: "all".into(),
                channel: "erasure".into(),
                rule: format!("erasure notice: {}", erasure.reason),
                transform: None,
            }],
            now_micros(),
        )?;
        match client.delete_object(target, id) {
            Ok(deleted) => {
                let outcome = if deleted { "deleted" } else { "not held" };
                ledger.record_erasure_notice(id, &peer.name, outcome, now_micros())?;
                tracing::info!(peer = %peer.name, object = %id, outcome, "Erasure delivered.");
                report.delivered += 1;
            }
            Err(e) => {
                tracing::warn!(peer = %peer.name, object = %id, error = %e, "Erasure not delivered; retried at the next sync.");
                report.undelivered.push((id.to_owned(), e.to_string()));
            }
        }
    }
    Ok(report)
}

/// The peer's agreement, parsed.
///
/// # Errors
/// `Invalid` naming the peer and the problem.
pub fn agreement_of(peer: &Peer) -> Result<policy::Agreement, Error> {
    policy::Agreement::from_toml(&format!("agreement of peer `{}`", peer.name), &peer.agreement)
        .map_err(|e| Error::Invalid(e.to_string()))
}

/// Tells the peer of erasures, pulls from it, then pushes to it if it has a push target.
///
/// # Errors
/// As [`pull`] and [`push`].
pub fn sync(node: &Node, federation: &Federation, peer: &Peer) -> Result<SyncReport, Error> {
    sync_with(node, federation, peer, &client_for(peer)?)
}

/// [`sync`] through `client`.
///
/// # Errors
/// As [`sync`].
pub fn sync_with(
    node: &Node,
    federation: &Federation,
    peer: &Peer,
    client: &dyn Remote,
) -> Result<SyncReport, Error> {
    let erasures = propagate_erasures_via(node, peer, client)?;
    let mut report = pull_from(node, federation, peer, client)?;
    report.erasures_sent = erasures.delivered;
    report.erasures_pending = erasures.undelivered.len();
    if let Some(target) = &peer.push_to {
        let pushed = push_to(node, federation, peer, target, client)?;
        report.pushed = pushed.pushed;
        report.push_refused = pushed.push_refused;
        report.withheld = pushed.withheld;
    }
    Ok(report)
}
