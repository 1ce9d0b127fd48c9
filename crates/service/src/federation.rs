//! Federation with partner nodes over TAXII 2.1: pull (only the versions this node lacks,
//! incremental, resumable, dependency-complete, idempotent) and push (what the partner may
//! see, decided by the same sharing rules as a read, recorded in the ledger).
//!
//! Pulled objects land in a local collection per peer collection (`<peer>-<alias>`), keep their
//! provenance (peer, partner organisation, channel `sync`), and are validated and versioned by the
//! same rules as any ingest. A pull cursor advances only after the page it covers is durable.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::mpsc::{Receiver, SyncSender};

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
    /// Versions not imported because this node already had them (from a manifest, or left out
    /// of a page of objects).
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

/// Page size for pushes (pulls use `PULL_PAGE`).
const PAGE: usize = 500;
/// Ids per `match[id]` request.
const IDS_PER_REQUEST: usize = 50;

/// What federation needs from a partner node: the TAXII 2.1 calls, plus Meridian's erasure
/// list. `client::Client` is the real one; tests put a simulated network behind it.
pub trait Remote: Sync {
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
    /// An objects page; `query` is a URL query without `?`. Its `date_added_last` is the
    /// peer's `X-TAXII-Date-Added-Last` header, where it sends one (pages then come straight as
    /// objects; without it, manifests lead).
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
/// Each collection is pulled by two threads: one fetches pages from the peer (manifest, objects,
/// missing dependencies) while the calling thread imports the pages fetched before, in order.
/// Pages waiting when an import starts are imported together, in one transaction, and only
/// then does the cursor move past the last of them; a failed fetch stops the pull after the
/// pages before it are imported, a failed import stops the fetching.
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
        let target = Target { node, federation, peer, collection: &collection.id, local: &local };
        let start = federation.cursor(&peer.name, "pull", &collection.id)?;
        let (pages, received) = std::sync::mpsc::sync_channel(PAGES_AHEAD);
        std::thread::scope(|scope| {
            let id = &collection.id;
            scope.spawn(move || Fetcher::new(federation, client, id).run(start, &pages));
            target.import_all(received, &provenance, &mut report)
        })?;
    }
    Ok(report)
}

/// Objects per page asked of the peer (a peer may send fewer: servers cap `limit`).
const PULL_PAGE: usize = 1000;
/// Pages fetched ahead of the import: the fetcher waits while this many are not imported.
const PAGES_AHEAD: usize = 32;
/// The most objects imported in one transaction: the pages waiting when an import starts go
/// together, so a slow import gets fewer, larger commits.
const IMPORT_BATCH: usize = 32 * PULL_PAGE;
/// A page where at least one object in this many was already here sends the next page back
/// through the manifest.
const KNOWN_SHARE: usize = 10;

/// A page fetched from the peer, ready to import.
struct Pulled {
    /// The objects to import, validated (on the fetching thread, which has time to spare: the
    /// import is the slower side): the page's wanted versions and the dependencies missing here.
    objects: crate::Checked,
    /// Where the cursor goes once they are durable: the peer's `date_added` of the page's last
    /// entry.
    position: String,
    /// Versions skipped because this node has them already.
    skipped: usize,
}

/// The local end of one collection's pull.
struct Target<'a> {
    node: &'a Node,
    federation: &'a Federation,
    peer: &'a Peer,
    collection: &'a str,
    local: &'a str,
}

impl Target<'_> {
    /// Imports the pages as they arrive, in order, a batch per transaction; each batch's cursor
    /// is set only after the batch is durable. Stops at the first failure: a fetch failure
    /// after importing the pages before it, an import failure at once (the dropped receiver
    /// stops the fetcher).
    fn import_all(
        &self,
        pages: Receiver<Result<Pulled, Error>>,
        provenance: &store::Provenance,
        report: &mut SyncReport,
    ) -> Result<(), Error> {
        let mut waited = std::time::Instant::now();
        while let Ok(first) = pages.recv() {
            let started = std::time::Instant::now();
            let waited_for = started - waited;
            // Pages that have arrived are gathered, up to a batch of objects.
            let first = first?;
            let (mut pages_in, mut position) = (1, first.position);
            report.skipped += first.skipped;
            let mut checked = first.objects;
            let mut failure = None;
            while checked.len() < IMPORT_BATCH {
                match pages.try_recv() {
                    Ok(Ok(page)) => {
                        pages_in += 1;
                        position = page.position;
                        report.skipped += page.skipped;
                        checked.append(page.objects);
                    }
                    Ok(Err(e)) => {
                        failure = Some(e);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let objects = checked.len();
            let outcome = self.node.import_checked(self.local, checked, provenance)?;
            tracing::debug!(peer = %self.peer.name, pages = pages_in, objects, waited_ms = waited_for.as_millis(), import_ms = started.elapsed().as_millis(), "Imported pulled pages.");
            report.pulled += outcome.added;
            report.rejected += outcome.rejected.len();
            for rejected in &outcome.rejected {
                tracing::warn!(peer = %self.peer.name, object = %rejected.id, reason = rejected.message.as_deref().unwrap_or(""), "Refused a pulled object.");
            }
            // The batch is durable: only now does the cursor move past it.
            self.federation.set_cursor(&self.peer.name, "pull", self.collection, &position)?;
            if let Some(e) = failure {
                return Err(e);
            }
            waited = std::time::Instant::now();
        }
        Ok(())
    }
}

/// Fetches one collection's pages from the peer. Manifest first: a page's manifest says which
/// versions this node lacks, and only those are fetched. Once a manifest page is wanted whole
/// (a first sync, a busy partner), the pages after it come straight as objects — the
/// `X-TAXII-Date-Added-Last` header says where each ends — until one holds versions this
/// node has, or the peer does not send that header.
struct Fetcher<'a> {
    federation: &'a Federation,
    client: &'a dyn Remote,
    collection: &'a str,
    objects_first: bool,
    /// Ids asked of the peer as dependencies that it did not send (not asked again).
    absent: HashSet<String>,
    /// The ids in the pages most recently sent, which may not be imported yet.
    recent: VecDeque<HashSet<String>>,
}

/// What one request for a page gave.
struct Page {
    items: Vec<Item>,
    /// Where the page ends.
    position: String,
    skipped: usize,
    more: bool,
}

/// What asking for a page straight from the objects endpoint gave.
enum Straight {
    Page(Page),
    /// No objects after the position.
    End,
    /// Objects, but the peer did not say where the page ends: the manifest must (the objects
    /// are kept, for when the manifest wants them all).
    NoPosition(client::ObjectsPage),
}

/// A position the peer gave (where a page ends), if it is a timestamp: it goes into the next
/// request's query and into the stored cursor, so nothing else is taken.
fn timestamp(text: &str) -> Option<String> {
    text.parse::<stix::Timestamp>().is_ok().then(|| text.to_owned())
}

/// A pulled object and what sync reads of it.
struct Item {
    raw: Box<RawValue>,
    summary: Option<Summary>,
}

impl Item {
    fn new(raw: Box<RawValue>) -> Self {
        let summary = summarise(&raw);
        Self { raw, summary }
    }

    fn id(&self) -> Option<&str> {
        self.summary.as_ref().map(|s| s.id.as_str())
    }
}

impl<'a> Fetcher<'a> {
    fn new(federation: &'a Federation, client: &'a dyn Remote, collection: &'a str) -> Self {
        Self {
            federation,
            client,
            collection,
            objects_first: false,
            absent: HashSet::new(),
            recent: VecDeque::new(),
        }
    }

    /// Sends the pages after `after` until the peer has no more, a failure (sent too), or the
    /// importer hangs up.
    fn run(mut self, mut after: Option<String>, pages: &SyncSender<Result<Pulled, Error>>) {
        loop {
            let (pulled, more) = match self.next_page(after.as_deref()) {
                Ok(Some(page)) => page,
                Ok(None) => return,
                Err(e) => {
                    let _ = pages.send(Err(e));
                    return;
                }
            };
            after = Some(pulled.position.clone());
            if pages.send(Ok(pulled)).is_err() || !more {
                return;
            }
        }
    }

    /// The page after `after` with its missing dependencies, and whether the peer has more.
    fn next_page(&mut self, after: Option<&str>) -> Result<Option<(Pulled, bool)>, Error> {
        let mut query = format!("limit={PULL_PAGE}&match[version]=all");
        if let Some(after) = after {
            query.push_str(&format!("&added_after={after}"));
        }
        let page = match self.objects_first {
            true => match self.objects_page(&query)? {
                Straight::Page(page) => Some(page),
                Straight::End => None,
                Straight::NoPosition(objects) => self.manifest_page(&query, Some(objects))?,
            },
            false => self.manifest_page(&query, None)?,
        };
        let Some(Page { mut items, position, skipped, more }) = page else { return Ok(None) };
        items.extend(self.dependencies(&items)?);
        let ids: HashSet<String> = items.iter().filter_map(|i| i.id().map(str::to_owned)).collect();
        self.recent.push_back(ids);
        // Pages older than these are imported (what one import takes of full pages, what waits
        // for it, the one in hand); a dependency in an older page not yet imported — the peer's
        // pages may be smaller — is only fetched again, and imported as unchanged.
        if self.recent.len() > PAGES_AHEAD + IMPORT_BATCH / PULL_PAGE + 1 {
            self.recent.pop_front();
        }
        let raws = items.into_iter().map(|i| String::from(Box::<str>::from(i.raw))).collect();
        Ok(Some((Pulled { objects: crate::Checked::new(raws), position, skipped }, more)))
    }

    /// A page straight from the objects endpoint, without the versions this node has.
    fn objects_page(&mut self, query: &str) -> Result<Straight, Error> {
        let page = self.client.objects(self.collection, query)?;
        if page.objects.is_empty() {
            return Ok(Straight::End);
        }
        let Some(position) = page.date_added_last.as_deref().and_then(timestamp) else {
            tracing::debug!(collection = %self.collection, "The peer sends no X-TAXII-Date-Added-Last timestamp; pulling manifest first.");
            self.objects_first = false;
            return Ok(Straight::NoPosition(page));
        };
        let items: Vec<Item> = page.objects.into_iter().map(Item::new).collect();
        let keys: Vec<(String, String)> = items
            .iter()
            .map(|i| {
                i.summary.as_ref().map(|s| (s.id.clone(), s.version.clone())).unwrap_or_default()
            })
            .collect();
        let known = self.federation.known(&keys)?;
        let total = items.len();
        // What cannot be read goes to the import, which says why it refuses it.
        let items: Vec<Item> = items
            .into_iter()
            .zip(known)
            .filter(|(item, known)| item.summary.is_none() || !known)
            .map(|(item, _)| item)
            .collect();
        let skipped = total - items.len();
        if skipped * KNOWN_SHARE >= total && skipped > 0 {
            self.objects_first = false;
        }
        Ok(Straight::Page(Page { items, position, skipped, more: page.more }))
    }

    /// A manifest page, then the versions it lists that this node lacks (`objects`: the same
    /// page of objects, if already fetched).
    fn manifest_page(
        &mut self,
        query: &str,
        objects: Option<client::ObjectsPage>,
    ) -> Result<Option<Page>, Error> {
        let manifest = self.client.manifest(self.collection, query)?;
        let Some(last) = manifest.objects.last() else { return Ok(None) };
        let position = timestamp(&last.date_added).ok_or_else(|| {
            Error::Invalid(format!("peer: `{}` is not a date_added timestamp", last.date_added))
        })?;
        let pairs: Vec<(String, String)> =
            manifest.objects.iter().map(|r| (r.id.clone(), r.version.clone())).collect();
        let known = self.federation.known(&pairs)?;
        let wanted = Wanted::new(pairs.into_iter().zip(known).filter(|(_, k)| !k).map(|(p, _)| p));
        let skipped = manifest.objects.len() - wanted.len();
        // When the whole manifest page is wanted (a first sync, a busy partner), the same page
        // of objects is one request; anything it lacks is then fetched by id. The pages after
        // it then come straight as objects. A page of objects already in hand is used as it is.
        let whole = !wanted.is_empty() && skipped == 0;
        if whole {
            self.objects_first = true;
        }
        let page = match objects {
            Some(page) => Some(page),
            None if whole => Some(self.client.objects(self.collection, query)?),
            None => None,
        };
        let mut items: Vec<Item> = page
            .into_iter()
            .flat_map(|page| page.objects)
            .map(Item::new)
            .filter(|i| wanted.wants(i))
            .collect();
        let got: HashSet<(&str, &str)> = items
            .iter()
            .filter_map(|i| i.summary.as_ref().map(|s| (s.id.as_str(), s.version.as_str())))
            .collect();
        // Unversioned objects (SCOs) have no version of their own to compare.
        let unversioned: HashSet<&str> =
            got.iter().filter(|(_, v)| v.is_empty()).map(|(id, _)| *id).collect();
        let ids: BTreeSet<String> = wanted
            .versions
            .iter()
            .filter(|(id, v)| {
                !got.contains(&(id.as_str(), v.as_str())) && !unversioned.contains(id.as_str())
            })
            .map(|(id, _)| id.clone())
            .collect();
        let rest = self.fetch(&ids.into_iter().collect::<Vec<_>>())?;
        items.extend(rest.into_iter().filter(|i| wanted.wants(i)));
        Ok(Some(Page { items, position, skipped, more: manifest.more == Some(true) }))
    }

    /// Dependency-complete: the objects `items` refer to that this node has not got (nor has
    /// in the pages not yet imported), as far as the peer has them.
    fn dependencies(&mut self, items: &[Item]) -> Result<Vec<Item>, Error> {
        let present: HashSet<&str> = items.iter().filter_map(Item::id).collect();
        let referenced: Vec<String> = items
            .iter()
            .filter_map(|i| i.summary.as_ref())
            .flat_map(|s| &s.references)
            .filter(|id| {
                !present.contains(id.as_str())
                    && !self.absent.contains(id.as_str())
                    && !self.recent.iter().any(|page| page.contains(id.as_str()))
            })
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if referenced.is_empty() {
            return Ok(Vec::new());
        }
        let missing = self.federation.missing(&referenced)?;
        let fetched = self.fetch(&missing)?;
        let found: HashSet<&str> = fetched.iter().filter_map(Item::id).collect();
        let absent: Vec<String> =
            missing.iter().filter(|id| !found.contains(id.as_str())).cloned().collect();
        self.absent.extend(absent);
        Ok(fetched)
    }

    /// Fetches objects by id (all versions).
    fn fetch(&self, ids: &[String]) -> Result<Vec<Item>, Error> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let mut next: Option<String> = None;
            loop {
                let mut query =
                    format!("match[id]={}&match[version]=all&limit={PULL_PAGE}", chunk.join(","));
                if let Some(n) = &next {
                    query.push_str(&format!("&next={n}"));
                }
                let page = self.client.objects(self.collection, &query)?;
                out.extend(page.objects.into_iter().map(Item::new));
                match (page.more, page.next) {
                    (true, Some(n)) => next = Some(n),
                    _ => break,
                }
            }
        }
        Ok(out)
    }
}

/// The versions a manifest page lists that this node lacks.
struct Wanted {
    versions: HashSet<(String, String)>,
    /// Ids listed with an empty version: any version of them is wanted.
    any_version: HashSet<String>,
}

impl Wanted {
    fn new(versions: impl Iterator<Item = (String, String)>) -> Self {
        let versions: HashSet<(String, String)> = versions.collect();
        let any_version =
            versions.iter().filter(|(_, v)| v.is_empty()).map(|(id, _)| id.clone()).collect();
        Self { versions, any_version }
    }

    fn len(&self) -> usize {
        self.versions.len()
    }

    fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Whether `item` is one of the wanted versions (an unversioned object is wanted by id).
    fn wants(&self, item: &Item) -> bool {
        let Some(s) = &item.summary else { return false };
        self.any_version.contains(&s.id)
            || self.versions.contains(&(s.id.clone(), s.version.clone()))
    }
}

/// What sync reads of an object.
struct Summary {
    id: String,
    /// The version as a manifest names it: `modified`, else `created`, else empty.
    version: String,
    /// The identifiers it refers to (`*_ref`, `*_refs`, marking references).
    references: Vec<String>,
}

/// Reads an object's [`Summary`] (one parse of its top level; only the values read are parsed).
fn summarise(raw: &RawValue) -> Option<Summary> {
    let map: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).ok()?;
    let text = |key: &str| map.get(key).and_then(|v| serde_json::from_str::<String>(v.get()).ok());
    let id = text("id")?;
    let version = match map.get("modified") {
        Some(_) => text("modified"),
        None => text("created"),
    }
    .unwrap_or_default();
    let mut references = Vec::new();
    for (key, value) in &map {
        if key.ends_with("_ref") {
            references.extend(serde_json::from_str::<String>(value.get()).ok());
        } else if key.ends_with("_refs")
            && let Ok(values) = serde_json::from_str::<Vec<Value>>(value.get())
        {
            references.extend(values.into_iter().filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            }));
        }
    }
    Some(Summary { id, version, references })
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
                node.ledger().append_all(disclosures, now_micros())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary of `json` as (id, version, references), or `None` when it has none.
    fn check(json: &str, expected: Option<(&str, &str, &[&str])>) {
        let raw = RawValue::from_string(json.to_owned()).unwrap_or_else(|e| panic!("{e}"));
        let summary = summarise(&raw);
        let got = summary.as_ref().map(|s| {
            (s.id.as_str(), s.version.as_str(), s.references.iter().map(String::as_str).collect())
        });
        let expected = expected.map(|(id, version, references)| (id, version, references.to_vec()));
        assert_eq!(got, expected, "{json}");
    }

    #[test]
    fn summaries() {
        // `modified` names the version; references from `*_ref` and `*_refs`, in key order.
        check(
            r#"{"type":"relationship","id":"relationship--1","created":"2026-01-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","source_ref":"indicator--1","target_ref":"malware--1","object_marking_refs":["marking-definition--1"]}"#,
            Some((
                "relationship--1",
                "2026-02-01T00:00:00Z",
                &["marking-definition--1", "indicator--1", "malware--1"],
            )),
        );
        // `created` without `modified`; escapes are read; non-strings referred to are not ids.
        check(
            r#"{"id":"note--\u0031","created":"2026-01-01T00:00:00Z","object_refs":["x--1",7,null],"created_by_ref":3}"#,
            Some(("note--1", "2026-01-01T00:00:00Z", &["x--1"])),
        );
        // Unversioned (an SCO); an id that is not a string, or none, gives no summary.
        check(
            r#"{"type":"ipv4-addr","id":"ipv4-addr--1","value":"192.0.2.1"}"#,
            Some(("ipv4-addr--1", "", &[])),
        );
        check(r#"{"type":"note","id":1}"#, None);
        check(r#"[1,2]"#, None);
    }
}
