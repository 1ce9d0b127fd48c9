//! `Node`: the API boundary. Every TAXII operation, in domain terms; every object that leaves
//! goes through `sharing`.

use std::sync::{Arc, OnceLock};

use serde_json::Value;
use serde_json::value::RawValue;
use store::{Store, StoredVersion, VersionSelect};
use taxii::{Filter, VersionMatch};

use crate::auth::{Credentials, constant_time_eq, generate_token, token_hash};
use crate::cursor::Cursors;
use crate::directory::{Directory, DirectoryCache};
use crate::sharing::{self, Access};
use crate::{Error, Principal};

/// Node settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The discovery title.
    pub title: String,
    /// The API root's path segment, e.g. `meridian` for `/meridian/`.
    pub api_root: String,
    /// The largest POST body accepted, in bytes (advertised as `max_content_length`).
    pub max_content_length: u64,
    /// Page size when the client gives no `limit`.
    pub default_page: usize,
    /// The largest page served, whatever `limit` asks.
    pub max_page: usize,
    /// The node's sharing policy settings (`DATA/policy.toml`).
    pub policy: crate::PolicyConfig,
}

impl Options {
    /// Default `max_content_length`: 10 MiB.
    pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 10 * 1024 * 1024;
    /// Default page size.
    pub const DEFAULT_PAGE: usize = 100;
    /// Largest page.
    pub const MAX_PAGE: usize = 1000;
}

impl Default for Options {
    fn default() -> Self {
        Self {
            title: "Meridian".into(),
            api_root: "meridian".into(),
            max_content_length: Self::DEFAULT_MAX_CONTENT_LENGTH,
            default_page: Self::DEFAULT_PAGE,
            max_page: Self::MAX_PAGE,
            policy: crate::PolicyConfig::default(),
        }
    }
}

/// The rule that let an object go, and the transform applied, for the ledger.
pub(crate) type Rule = (String, Option<String>);

/// A page of object versions, ready to be written as an envelope.
#[derive(Debug, Clone)]
pub struct ObjectPage {
    /// The versions the caller may see, by `date_added`.
    pub items: Vec<StoredVersion>,
    /// Whether more entries match.
    pub more: bool,
    /// The token for the next page.
    pub next: Option<String>,
    /// For each item, the rule that let it go and the transform applied (for the ledger).
    rules: Vec<Rule>,
}

impl ObjectPage {
    /// `date_added` of the first and last item, as TAXII timestamps.
    pub fn date_added_bounds(&self) -> Option<(String, String)> {
        let first = self.items.first()?.date_added_micros;
        let last = self.items.last()?.date_added_micros;
        Some((store::micros_to_timestamp(first), store::micros_to_timestamp(last)))
    }
}

/// The node's warninglists: given, or read when first needed.
struct NodeWarninglists {
    loaded: OnceLock<Arc<formats::Warninglists>>,
    load: Option<WarninglistLoader>,
}

/// Reads a node's warninglists.
type WarninglistLoader = Box<dyn Fn() -> Result<formats::Warninglists, String> + Send + Sync>;

impl NodeWarninglists {
    fn given(lists: Arc<formats::Warninglists>) -> Self {
        Self { loaded: OnceLock::from(lists), load: None }
    }
}

/// A node: the store plus the rules of TAXII and sharing.
pub struct Node {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) ledger: Arc<store::Ledger>,
    pub(crate) federation: Option<Arc<store::Federation>>,
    options: Options,
    cursors: Cursors,
    /// The node's secret for per-recipient pseudonyms (read once: it never changes).
    pseudonym_secret: Vec<u8>,
    /// Benign values kept out of enforcement exports and feeds (`DATA/warninglists/`).
    warninglists: NodeWarninglists,
    /// Organisations, users, collections, grants and sharing rules between requests.
    directory: DirectoryCache,
    /// Entity tags of feeds already written (`feed_tags.rs`).
    pub(crate) feed_tags: crate::feed_tags::FeedTags,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("options", &self.options).finish()
    }
}

/// What a TAXII endpoint serves; part of what a `next` token is bound to.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Objects,
    Manifest,
    Versions,
}

impl Node {
    /// A node over `store`.
    ///
    /// # Errors
    /// When the node secret cannot be read or created.
    pub fn new(
        store: Arc<dyn Store>,
        ledger: Arc<store::Ledger>,
        options: Options,
    ) -> Result<Self, Error> {
        let cursors = Cursors::new(store.secret("next-token")?);
        let pseudonym_secret = store.secret("pseudonyms")?;
        let directory = DirectoryCache::new(store.as_ref(), &options.policy)?;
        Ok(Self {
            store,
            ledger,
            federation: None,
            options,
            cursors,
            pseudonym_secret,
            warninglists: NodeWarninglists::given(Arc::new(formats::Warninglists::new())),
            directory,
            feed_tags: crate::feed_tags::FeedTags::default(),
        })
    }

    /// Keeps the values on these MISP warninglists out of every enforcement export and feed
    /// (a resolver must not block a top-ranked domain because of a bad indicator).
    #[must_use]
    pub fn with_warninglists(mut self, warninglists: Arc<formats::Warninglists>) -> Self {
        self.warninglists = NodeWarninglists::given(warninglists);
        self
    }

    /// As [`Node::with_warninglists`], but read by `load` when an export first needs them: a
    /// node opened for anything else (a command line that adds a user) does not read a
    /// directory of large lists. `load`'s error says which list is bad.
    #[must_use]
    pub fn with_warninglists_from(
        mut self,
        load: impl Fn() -> Result<formats::Warninglists, String> + Send + Sync + 'static,
    ) -> Self {
        self.warninglists =
            NodeWarninglists { loaded: OnceLock::new(), load: Some(Box::new(load)) };
        self
    }

    /// The node's warninglists, read now if they are read when first needed.
    ///
    /// # Errors
    /// `Config` for a list that cannot be read (the node's configuration is broken).
    pub fn warninglists(&self) -> Result<Arc<formats::Warninglists>, Error> {
        if let Some(lists) = self.warninglists.loaded.get() {
            return Ok(Arc::clone(lists));
        }
        let lists = match &self.warninglists.load {
            Some(load) => {
                load().map_err(|e| Error::Config(format!("cannot read the warninglists: {e}")))?
            }
            None => formats::Warninglists::new(),
        };
        // Two first callers may both read them; either's copy is the same.
        Ok(Arc::clone(self.warninglists.loaded.get_or_init(|| Arc::new(lists))))
    }

    /// Lets the node recognise partner nodes' accounts: a principal whose organisation is a
    /// configured peer's is served as that partner, under its agreement.
    #[must_use]
    pub fn with_federation(mut self, federation: Arc<store::Federation>) -> Self {
        self.federation = Some(federation);
        self
    }

    /// The configured peer run by `org`, with its agreement, if any.
    pub(crate) fn partner(
        &self,
        org: &str,
    ) -> Result<Option<(store::Peer, policy::Agreement)>, Error> {
        let Some(federation) = &self.federation else { return Ok(None) };
        match federation.peer_of_org(org)? {
            Some(peer) => {
                let agreement = crate::federation::agreement_of(&peer)?;
                Ok(Some((peer, agreement)))
            }
            None => Ok(None),
        }
    }

    /// The disclosure ledger.
    pub fn ledger(&self) -> &store::Ledger {
        &self.ledger
    }

    /// Records that `page` is about to be disclosed to `principal` over TAXII; fails closed:
    /// when the ledger cannot record, nothing is disclosed.
    fn record(&self, principal: &Principal, page: &ObjectPage) -> Result<(), Error> {
        let disclosures: Vec<store::Disclosure> = page
            .items
            .iter()
            .zip(&page.rules)
            .map(|(v, (rule, transform))| store::Disclosure {
                recipient: format!("user:{}", principal.user.name),
                org: Some(principal.org.name.clone()),
                object_id: v.id.clone(),
                version: v.version.clone(),
                channel: "taxii".into(),
                rule: rule.clone(),
                transform: transform.clone(),
            })
            .collect();
        self.ledger.append_all(disclosures, now_micros())?;
        Ok(())
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The store (for administration and tests).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The principal an `Authorization` header value stands for.
    ///
    /// # Errors
    /// `Unauthenticated` for anything but live credentials.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, Error> {
        let credentials =
            authorization.and_then(Credentials::parse).ok_or(Error::Unauthenticated)?;
        let hash = token_hash(credentials.token());
        let principal = self
            .directory()?
            .principal(self.store.as_ref(), &hash)?
            .ok_or(Error::Unauthenticated)?;
        if let Credentials::Basic { user: name, .. } = &credentials
            && !constant_time_eq(name.as_bytes(), principal.user.name.as_bytes())
        {
            return Err(Error::Unauthenticated);
        }
        Ok(principal)
    }

    /// Creates a token for a user; the token is returned once and stored only as a hash.
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub fn create_token(
        &self,
        user: &str,
        label: &str,
        scope: store::TokenScope,
    ) -> Result<(i64, String), Error> {
        let user = self.store.user_by_name(user)?.ok_or(Error::NotFound)?;
        let token = generate_token();
        let id = self.store.add_token(user.id, &token_hash(&token), label, scope)?;
        Ok((id, token))
    }

    /// Stores a given token (e.g. from `MERIDIAN_ADMIN_TOKEN`) for a user.
    ///
    /// # Errors
    /// `Invalid` when the token is too short to be a secret.
    pub fn install_token(&self, user: &str, token: &str, label: &str) -> Result<i64, Error> {
        if token.len() < 24 {
            return Err(Error::Invalid("a token must be at least 24 characters".into()));
        }
        let user = self.store.user_by_name(user)?.ok_or(Error::NotFound)?;
        if self.store.token_by_hash(&token_hash(token))?.is_some() {
            return Ok(0);
        }
        Ok(self.store.add_token(
            user.id,
            &token_hash(token),
            label,
            store::TokenScope::ReadWrite,
        )?)
    }

    /// TAXII discovery (§4.1).
    pub fn discovery(&self) -> taxii::Discovery {
        let root = format!("/{}/", self.options.api_root);
        taxii::Discovery {
            title: self.options.title.clone(),
            description: Some("Meridian threat-intelligence sharing node".into()),
            contact: None,
            default: Some(root.clone()),
            api_roots: vec![root],
        }
    }

    /// The API root resource (§4.2).
    pub fn api_root(&self) -> taxii::ApiRoot {
        taxii::ApiRoot {
            title: self.options.title.clone(),
            description: Some("STIX 2.1 collections shared under Meridian's sharing policy".into()),
            versions: vec![taxii::media::TAXII_21.into()],
            max_content_length: self.options.max_content_length,
        }
    }

    /// The directory as of now (see `directory.rs`): one read of the store's directory version,
    /// and a reload only when something in it changed.
    fn directory(&self) -> Result<Arc<Directory>, Error> {
        self.directory.current(self.store.as_ref(), &self.options.policy)
    }

    fn collection_for(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(store::CollectionInfo, Access), Error> {
        let info = self.directory()?.collection(id).cloned().ok_or(Error::NotFound)?;
        let access = sharing::access(principal, &info);
        if !access.visible() {
            return Err(Error::NotFound);
        }
        Ok((info, access))
    }

    fn collection_resource(info: &store::CollectionInfo, access: Access) -> taxii::Collection {
        taxii::Collection {
            id: info.id.clone(),
            title: info.title.clone(),
            description: info.description.clone(),
            alias: info.alias.clone(),
            can_read: access.read,
            can_write: access.write,
            media_types: vec![taxii::media::STIX_21.into()],
        }
    }

    /// The collections the principal may see (§5.1).
    ///
    /// # Errors
    /// Store failures.
    pub fn collections(&self, principal: &Principal) -> Result<taxii::Collections, Error> {
        let collections = self
            .directory()?
            .collections()
            .iter()
            .filter_map(|info| {
                let access = sharing::access(principal, info);
                access.visible().then(|| Self::collection_resource(info, access))
            })
            .collect();
        Ok(taxii::Collections { collections })
    }

    /// One collection (§5.2).
    ///
    /// # Errors
    /// `NotFound` when absent or not visible.
    pub fn collection(&self, principal: &Principal, id: &str) -> Result<taxii::Collection, Error> {
        let (info, access) = self.collection_for(principal, id)?;
        Ok(Self::collection_resource(&info, access))
    }

    fn readable(
        &self,
        principal: &Principal,
        collection: &str,
    ) -> Result<store::CollectionInfo, Error> {
        let (info, access) = self.collection_for(principal, collection)?;
        if !access.read {
            return Err(Error::Forbidden("you may not read this collection".into()));
        }
        Ok(info)
    }

    /// Translates a TAXII filter into a store query, checking the `next` token.
    fn query(
        &self,
        principal: &Principal,
        collection: &str,
        endpoint: Endpoint,
        object: Option<&str>,
        filter: &Filter,
        default_versions: VersionSelect,
    ) -> Result<(store::Query, String), Error> {
        let context = cursor_context(principal, collection, endpoint, object, filter);
        let mut after = filter.added_after.as_ref().map_or(0, store::timestamp_to_micros);
        if let Some(next) = &filter.next {
            let position = self.cursors.check(&context, next).ok_or_else(|| {
                Error::Invalid("the `next` token is not valid for this request".into())
            })?;
            after = after.max(position);
        }
        let mut ids = filter.ids.clone();
        if let Some(object) = object {
            ids = if ids.is_empty() || ids.iter().any(|i| i == object) {
                vec![object.to_owned()]
            } else {
                vec![String::new()]
            };
        }
        let versions = if filter.versions.is_empty() {
            vec![default_versions]
        } else {
            filter
                .versions
                .iter()
                .map(|v| match v {
                    VersionMatch::First => VersionSelect::First,
                    VersionMatch::Last => VersionSelect::Last,
                    VersionMatch::All => VersionSelect::All,
                    VersionMatch::At(t) => VersionSelect::At(vec![store::version_key(t)]),
                })
                .collect()
        };
        let limit = filter.limit.unwrap_or(self.options.default_page).min(self.options.max_page);
        let query = store::Query {
            after_micros: after,
            limit,
            ids,
            types: filter.types.clone(),
            versions,
            spec_versions: filter.spec_versions.clone(),
        };
        Ok((query, context))
    }

    /// Fills a page with up to `query.limit` entries the principal may see: entries withheld by
    /// `disclose` do not count, so a page is never short because of hidden objects (and its size
    /// reveals nothing about them). The `next` token points after the last entry examined.
    fn page(
        &self,
        principal: &Principal,
        info: &store::CollectionInfo,
        query: &store::Query,
        context: &str,
    ) -> Result<ObjectPage, Error> {
        let mut query = query.clone();
        let wanted = query.limit;
        let sharing = self.sharing()?;
        let partner = self.partner(&principal.org.name)?;
        let audience = match &partner {
            Some((peer, agreement)) => {
                sharing::Audience::Partner { node: &peer.name, org: &principal.org, agreement }
            }
            None => sharing::Audience::User(principal),
        };
        let mut shared = Vec::with_capacity(wanted.min(1024));
        let (more, last_examined) = loop {
            query.limit = wanted - shared.len();
            let page = self.store.query(&info.id, &query)?;
            let last = page.items.last().map(|v| v.date_added_micros);
            let examined = page.items.len();
            for mut version in page.items {
                match sharing.apply(&audience, &mut version) {
                    Ok((rule, object)) => shared.push((version, rule, object)),
                    Err(reason) => {
                        tracing::debug!(user = %principal.user.name, object = %version.id, %reason, "Withheld.");
                    }
                }
            }
            match last {
                Some(last) if page.more && shared.len() < wanted && examined > 0 => {
                    query.after_micros = last
                }
                _ => break (page.more, last),
            }
        };
        let (items, rules) = self
            .hide_references_parsed(principal, &sharing, &audience, shared)?
            .into_iter()
            .map(|(version, rule, _)| (version, rule))
            .unzip();
        let next =
            if more { last_examined.map(|last| self.cursors.mint(context, last)) } else { None };
        Ok(ObjectPage { items, more, next, rules })
    }

    /// Reference hygiene over a whole response (SECURITY.md: a hidden object's id never appears
    /// anywhere a recipient can see): references from the shared objects to objects this node
    /// holds but withholds from the recipient are removed, and objects that cannot exist without
    /// them (relationships, sightings of a hidden indicator) are dropped.
    pub(crate) fn hide_references(
        &self,
        principal: &Principal,
        sharing: &sharing::Sharing,
        audience: &sharing::Audience<'_>,
        items: Vec<StoredVersion>,
        rules: Vec<Rule>,
    ) -> Result<(Vec<StoredVersion>, Vec<Rule>), Error> {
        // What cannot be read as a STIX object cannot be checked, so it does not go.
        let shared = items
            .into_iter()
            .zip(rules)
            .filter_map(|(version, rule)| {
                let object = serde_json::from_str::<serde_json::Value>(&version.json)
                    .ok()
                    .and_then(|j| stix::Object::from_value(j).ok())?;
                Some((version, rule, object))
            })
            .collect();
        let kept = self.hide_references_parsed(principal, sharing, audience, shared)?;
        Ok(kept.into_iter().map(|(version, rule, _)| (version, rule)).unzip())
    }

    /// [`Node::hide_references`] over versions already parsed (as `Sharing::apply` gives them);
    /// each kept object comes back as it goes.
    pub(crate) fn hide_references_parsed(
        &self,
        principal: &Principal,
        sharing: &sharing::Sharing,
        audience: &sharing::Audience<'_>,
        shared: Vec<(StoredVersion, Rule, stix::Object)>,
    ) -> Result<Vec<(StoredVersion, Rule, stix::Object)>, Error> {
        let in_page: std::collections::BTreeSet<&str> =
            shared.iter().map(|(v, _, _)| v.id.as_str()).collect();
        let mut referenced = std::collections::BTreeSet::new();
        for (_, _, object) in &shared {
            for (key, value) in object.as_map() {
                if key == "object_marking_refs"
                    || !(key.ends_with("_ref") || key.ends_with("_refs"))
                {
                    continue;
                }
                let ids: Vec<&str> = match value {
                    serde_json::Value::String(s) => vec![s.as_str()],
                    serde_json::Value::Array(a) => {
                        a.iter().filter_map(serde_json::Value::as_str).collect()
                    }
                    _ => Vec::new(),
                };
                referenced
                    .extend(ids.into_iter().filter(|id| !in_page.contains(id)).map(str::to_owned));
            }
        }
        if referenced.is_empty() {
            return Ok(shared);
        }
        // Which referenced objects this node holds, and which of them the recipient may see.
        let referenced: Vec<String> = referenced.into_iter().collect();
        let mut existing = std::collections::BTreeSet::new();
        let mut visible = std::collections::BTreeSet::new();
        for info in self.directory()?.collections() {
            let readable = sharing::access(principal, info).read;
            for chunk in referenced.chunks(500) {
                let query = store::Query {
                    after_micros: 0,
                    limit: chunk.len() * 4,
                    ids: chunk.to_vec(),
                    types: Vec::new(),
                    versions: vec![VersionSelect::Last],
                    spec_versions: Vec::new(),
                };
                for version in self.store.query(&info.id, &query)?.items {
                    existing.insert(version.id.clone());
                    if readable
                        && matches!(
                            sharing.disclose(audience, &version),
                            sharing::Disclosure::Share { .. }
                        )
                    {
                        visible.insert(version.id);
                    }
                }
            }
        }
        let withheld: std::collections::BTreeSet<stix::Identifier> =
            existing.difference(&visible).filter_map(|id| id.parse().ok()).collect();
        if withheld.is_empty() {
            return Ok(shared);
        }
        let objects: Vec<stix::Object> = shared.iter().map(|(_, _, o)| o.clone()).collect();
        let cleaned =
            policy::clean_references(objects, &withheld, &std::collections::BTreeMap::new());
        let mut by_id: std::collections::BTreeMap<String, stix::Object> = cleaned
            .objects
            .into_iter()
            .map(|o| (format!("{}|{:?}", o.id(), o.modified()), o))
            .collect();
        let mut kept = Vec::with_capacity(shared.len());
        for (mut version, rule, object) in shared {
            match by_id.remove(&format!("{}|{:?}", object.id(), object.modified())) {
                Some(clean) => {
                    if clean != object {
                        version.json = serde_json::to_string(&clean).unwrap_or_default();
                    }
                    kept.push((version, rule, clean));
                }
                None => {
                    tracing::debug!(object = %object.id(), "Dropped: it cannot exist without a withheld object.")
                }
            }
        }
        Ok(kept)
    }

    /// The sharing decision for one request, with the node's current organisations and policy.
    ///
    /// # Errors
    /// Store failures.
    pub fn sharing(&self) -> Result<sharing::Sharing, Error> {
        Ok(sharing::Sharing::new(
            Arc::clone(self.directory()?.rules()),
            self.pseudonym_secret.clone(),
        )
        .with_reviews(Arc::clone(&self.ledger)))
    }

    /// Objects of a collection (§5.3 GET objects), latest versions by default.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Invalid` (bad `next`), store failures.
    pub fn objects(
        &self,
        principal: &Principal,
        collection: &str,
        filter: &Filter,
    ) -> Result<ObjectPage, Error> {
        let info = self.readable(principal, collection)?;
        let (query, context) =
            self.query(principal, &info.id, Endpoint::Objects, None, filter, VersionSelect::Last)?;
        let page = self.page(principal, &info, &query, &context)?;
        self.record(principal, &page)?;
        Ok(page)
    }

    /// The manifest of a collection (§5.4): the same selection as `objects`, as records.
    ///
    /// # Errors
    /// As [`Node::objects`].
    pub fn manifest(
        &self,
        principal: &Principal,
        collection: &str,
        filter: &Filter,
    ) -> Result<ObjectPage, Error> {
        let info = self.readable(principal, collection)?;
        let (query, context) =
            self.query(principal, &info.id, Endpoint::Manifest, None, filter, VersionSelect::Last)?;
        self.page(principal, &info, &query, &context)
    }

    /// One object's versions (§5.6 GET object), latest by default; `NotFound` when none is visible.
    ///
    /// # Errors
    /// As [`Node::objects`], and `NotFound` when no version of the object is visible.
    pub fn object(
        &self,
        principal: &Principal,
        collection: &str,
        object: &str,
        filter: &Filter,
    ) -> Result<ObjectPage, Error> {
        let info = self.readable(principal, collection)?;
        let (query, context) = self.query(
            principal,
            &info.id,
            Endpoint::Objects,
            Some(object),
            filter,
            VersionSelect::Last,
        )?;
        let page = self.page(principal, &info, &query, &context)?;
        if page.items.is_empty() && filter.next.is_none() {
            return Err(Error::NotFound);
        }
        self.record(principal, &page)?;
        Ok(page)
    }

    /// The versions of one object (§5.8).
    ///
    /// # Errors
    /// As [`Node::object`].
    pub fn versions(
        &self,
        principal: &Principal,
        collection: &str,
        object: &str,
        filter: &Filter,
    ) -> Result<ObjectPage, Error> {
        let info = self.readable(principal, collection)?;
        let mut filter = filter.clone();
        filter.versions = vec![VersionMatch::All];
        let (query, context) = self.query(
            principal,
            &info.id,
            Endpoint::Versions,
            Some(object),
            &filter,
            VersionSelect::All,
        )?;
        let page = self.page(principal, &info, &query, &context)?;
        if page.items.is_empty() && filter.next.is_none() {
            return Err(Error::NotFound);
        }
        Ok(page)
    }

    /// Deletes an object's versions from a collection (§5.7). Only the organisation that
    /// submitted the versions (or an administrator) may delete them.
    ///
    /// # Errors
    /// `NotFound` when no visible version matches; `Forbidden` without write access or when
    /// another organisation submitted a matching version.
    pub fn delete_object(
        &self,
        principal: &Principal,
        collection: &str,
        object: &str,
        filter: &Filter,
    ) -> Result<usize, Error> {
        let (info, access) = self.collection_for(principal, collection)?;
        // A partner node's DELETE is an erasure notice; it needs write access only (partners
        // push into collections they may not read).
        if access.write
            && let Some((peer, _)) = self.partner(&principal.org.name)?
        {
            return self.erase_for_partner(principal, &peer.name, object);
        }
        if !access.read {
            return Err(Error::NotFound);
        }
        if !access.write {
            return Err(Error::Forbidden("you may not delete from this collection".into()));
        }
        let mut filter = filter.clone();
        filter.next = None;
        let (mut query, _) = self.query(
            principal,
            &info.id,
            Endpoint::Objects,
            Some(object),
            &filter,
            VersionSelect::All,
        )?;
        query.limit = usize::MAX / 2;
        // Check every target before touching any (all or nothing, SECURITY.md rule 2).
        let targets = self.store.query(&info.id, &query)?.items;
        let sharing = self.sharing()?;
        let audience = sharing::Audience::User(principal);
        let visible: Vec<&StoredVersion> = targets
            .iter()
            .filter(|v| matches!(sharing.disclose(&audience, v), sharing::Disclosure::Share { .. }))
            .collect();
        if visible.is_empty() {
            return Err(Error::NotFound);
        }
        if visible.len() != targets.len()
            || (!principal.user.is_admin
                && targets.iter().any(|v| v.source_org != Some(principal.org.id)))
        {
            return Err(Error::Forbidden(
                "only the organisation that shared an object may delete it".into(),
            ));
        }
        Ok(self.store.remove(&info.id, &query)?)
    }

    /// Adds the objects of a TAXII envelope to a collection (§5.4 POST) and returns the status.
    /// Every valid object, and the status, is stored in one durable transaction (which
    /// concurrent POSTs may share: group commit) before the status says success.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Invalid` (not an envelope), `TooLarge`, store failures (then
    /// nothing is acknowledged).
    pub fn add_objects(
        &self,
        principal: &Principal,
        collection: &str,
        body: &[u8],
    ) -> Result<taxii::Status, Error> {
        let (info, access) = self.collection_for(principal, collection)?;
        if !access.write {
            return Err(Error::Forbidden("you may not add objects to this collection".into()));
        }
        if body.len() as u64 > self.options.max_content_length {
            return Err(Error::TooLarge { limit: self.options.max_content_length });
        }
        let request_timestamp = store::micros_to_timestamp(now_micros());
        #[derive(serde::Deserialize)]
        struct PostEnvelope<'a> {
            #[serde(borrow, default)]
            objects: Vec<&'a RawValue>,
        }
        let envelope: PostEnvelope<'_> = serde_json::from_slice(body).map_err(|e| {
            Error::Invalid(format!(
                "the body is not a TAXII envelope: line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let (mut accepted, mut failures) = validate_raw(envelope.objects.iter().map(|r| r.get()));
        self.refuse_erased(&mut accepted, &mut failures)?;
        let batch: Vec<store::Ingest<'_>> =
            accepted.iter().map(|(raw, object)| store::Ingest { raw, object }).collect();
        // A partner node's push is something this node receives from that partner (as a pull
        // would be), not a submission by a local organisation that chose the collection's
        // audience: otherwise TLP:AMBER+STRICT pushed here could be passed on.
        let peer = self.partner(&principal.org.name)?.map(|(peer, _)| peer.name);
        let provenance = store::Provenance {
            user: Some(principal.user.id),
            org: Some(principal.org.id),
            channel: if peer.is_some() { "push" } else { "taxii" }.into(),
            peer,
        };
        let id = uuid::Uuid::new_v4().to_string();
        // The status is written from the outcomes inside the objects' transaction: one commit
        // (one fsync) makes both durable, and the 202 follows it.
        let written = std::cell::RefCell::new(None);
        let write_status = |outcomes: &[store::IngestOutcome]| {
            let mut successes = Vec::with_capacity(outcomes.len());
            let mut failures = failures.clone();
            for ((_, object), outcome) in accepted.iter().zip(outcomes) {
                match outcome {
                    store::IngestOutcome::Added => successes.push(detail_of(object, None)),
                    store::IngestOutcome::Unchanged => {
                        successes.push(detail_of(object, Some("already stored")))
                    }
                    store::IngestOutcome::Refused(reason) => {
                        failures.push(detail_of(object, Some(reason)))
                    }
                }
            }
            let status = taxii::Status {
                id: id.clone(),
                status: "complete".into(),
                request_timestamp: Some(request_timestamp.clone()),
                total_count: envelope.objects.len() as u64,
                success_count: successes.len() as u64,
                successes,
                failure_count: failures.len() as u64,
                failures,
                pending_count: 0,
                pendings: Vec::new(),
            };
            let json =
                serde_json::to_string(&status).map_err(|e| store::Error::Internal(Box::new(e)))?;
            *written.borrow_mut() = Some(status);
            Ok(json)
        };
        let record = store::StatusRecord { id: &id, user: principal.user.id, json: &write_status };
        self.store.ingest_with_status(&info.id, &batch, &provenance, Some(&record))?;
        let status = written.into_inner().ok_or_else(|| {
            Error::Store(store::Error::Internal("the status was not written".into()))
        })?;
        tracing::info!(user = %principal.user.name, collection = %info.id, total = status.total_count, ok = status.success_count, failed = status.failure_count, "Objects added.");
        Ok(status)
    }

    /// Imports objects into a collection outside TAXII (CLI import, demo data, sync): validates
    /// each, stores the valid ones in one durable transaction, and reports every outcome.
    ///
    /// # Errors
    /// `NotFound` for an unknown collection; store failures (then nothing was stored).
    pub fn import(
        &self,
        collection: &str,
        raws: &[String],
        provenance: &store::Provenance,
    ) -> Result<ImportReport, Error> {
        let (accepted, failures) = validate_raw(raws.iter().map(String::as_str));
        self.import_valid(collection, accepted, failures, provenance)
    }

    /// [`Node::import`] of objects checked beforehand (by [`Checked::new`], on another thread,
    /// say); the check for erased ids is made now.
    ///
    /// # Errors
    /// As [`Node::import`].
    pub fn import_checked(
        &self,
        collection: &str,
        checked: Checked,
        provenance: &store::Provenance,
    ) -> Result<ImportReport, Error> {
        self.import_valid(collection, checked.accepted, checked.failures, provenance)
    }

    fn import_valid<R: AsRef<str>>(
        &self,
        collection: &str,
        mut accepted: Vec<(R, stix::Object)>,
        mut failures: Vec<taxii::StatusDetail>,
        provenance: &store::Provenance,
    ) -> Result<ImportReport, Error> {
        let info = self.directory()?.collection(collection).cloned().ok_or(Error::NotFound)?;
        self.refuse_erased(&mut accepted, &mut failures)?;
        let batch: Vec<store::Ingest<'_>> = accepted
            .iter()
            .map(|(raw, object)| store::Ingest { raw: raw.as_ref(), object })
            .collect();
        let outcomes = if batch.is_empty() {
            Vec::new()
        } else {
            self.store.ingest(&info.id, &batch, provenance)?
        };
        let mut report = ImportReport { rejected: failures, ..ImportReport::default() };
        for ((_, object), outcome) in accepted.iter().zip(outcomes) {
            match outcome {
                store::IngestOutcome::Added => report.added += 1,
                store::IngestOutcome::Unchanged => report.unchanged += 1,
                store::IngestOutcome::Refused(reason) => {
                    report.rejected.push(detail_of(object, Some(&reason)))
                }
            }
        }
        Ok(report)
    }

    /// The principal for a user acting through the local command line (trusted: the operator
    /// runs it on the data directory), with read-write scope.
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub fn principal_for(&self, user: &str) -> Result<Principal, Error> {
        let user = self.store.user_by_name(user)?.ok_or(Error::NotFound)?;
        let org = self.store.org(user.org)?.ok_or(Error::NotFound)?;
        Ok(Principal { user, org, scope: store::TokenScope::ReadWrite })
    }

    /// Adds objects to a collection as `principal` outside TAXII (e.g. sightings from
    /// `meridian match`): the same write-access check, validation and versioning rules as a POST.
    ///
    /// # Errors
    /// `NotFound` for an invisible collection, `Forbidden` without write access, store failures.
    pub fn add_as(
        &self,
        principal: &Principal,
        collection: &str,
        raws: &[String],
        channel: &str,
    ) -> Result<ImportReport, Error> {
        let (info, access) = self.collection_for(principal, collection)?;
        if !access.write {
            return Err(Error::Forbidden("you may not add objects to this collection".into()));
        }
        let provenance = store::Provenance {
            user: Some(principal.user.id),
            org: Some(principal.org.id),
            peer: None,
            channel: channel.into(),
        };
        self.import(&info.id, raws, &provenance)
    }

    /// A status resource (§4.3), visible only to the account that posted.
    ///
    /// # Errors
    /// `NotFound` otherwise.
    pub fn status(&self, principal: &Principal, id: &str) -> Result<taxii::Status, Error> {
        let json = self.store.status(id, principal.user.id)?.ok_or(Error::NotFound)?;
        serde_json::from_str(&json).map_err(|e| Error::Store(store::Error::Internal(Box::new(e))))
    }
}

/// Validates raw JSON objects: the valid ones parsed, the invalid ones as failure details
/// naming the first error (path, reason, section).
fn validate_raw<R: AsRef<str>>(
    raws: impl Iterator<Item = R>,
) -> (Vec<(R, stix::Object)>, Vec<taxii::StatusDetail>) {
    let checker = pattern::check_indicator;
    let options = stix::validate::Options { pattern_checker: Some(&checker) };
    let mut failures = Vec::new();
    let mut accepted = Vec::new();
    for (i, raw) in raws.enumerate() {
        let value: Value = match serde_json::from_str(raw.as_ref()) {
            Ok(v) => v,
            Err(e) => {
                failures.push(detail_for(None, &format!("objects[{i}]: {e}")));
                continue;
            }
        };
        let mut findings = Vec::new();
        stix::validate::validate_object_at(
            &value,
            &format!("$.objects[{i}]"),
            &options,
            &mut findings,
        );
        if let Some(error) = findings.iter().find(|f| f.severity == stix::validate::Severity::Error)
        {
            let message =
                format!("{}: {} (STIX 2.1 §{})", error.path, error.message, error.section);
            failures.push(detail_for(Some(&value), &message));
            continue;
        }
        match stix::Object::from_value(value) {
            Ok(object) => accepted.push((raw, object)),
            Err(e) => failures.push(detail_for(None, &format!("objects[{i}]: {e}"))),
        }
    }
    (accepted, failures)
}

/// Objects checked for an import ([`Node::import_checked`]): the valid ones parsed, the
/// invalid ones with the reason.
#[derive(Debug, Default)]
pub struct Checked {
    accepted: Vec<(String, stix::Object)>,
    failures: Vec<taxii::StatusDetail>,
}

impl Checked {
    /// Validates `raws` as an import does.
    pub fn new(raws: Vec<String>) -> Self {
        let (accepted, failures) = validate_raw(raws.into_iter());
        Self { accepted, failures }
    }

    /// Adds `other`'s objects after these.
    pub fn append(&mut self, mut other: Checked) {
        self.accepted.append(&mut other.accepted);
        self.failures.append(&mut other.failures);
    }

    /// The objects checked, valid or not.
    pub fn len(&self) -> usize {
        self.accepted.len() + self.failures.len()
    }

    /// Whether no object was checked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Objects stored.
    pub added: usize,
    /// Objects already stored with identical content.
    pub unchanged: usize,
    /// Objects refused, with the reason.
    pub rejected: Vec<taxii::StatusDetail>,
}

fn detail_for(object: Option<&Value>, message: &str) -> taxii::StatusDetail {
    let get = |k: &str| object.and_then(|o| o.get(k)).and_then(Value::as_str).map(str::to_owned);
    taxii::StatusDetail {
        id: get("id").unwrap_or_default(),
        version: get("modified").or_else(|| get("created")).unwrap_or_default(),
        message: (!message.is_empty()).then(|| message.to_owned()),
    }
}

/// The status detail for a parsed object: its id and version (`modified`, else `created`).
fn detail_of(object: &stix::Object, message: Option<&str>) -> taxii::StatusDetail {
    let text = |k: &str| object.get(k).and_then(Value::as_str);
    taxii::StatusDetail {
        id: object.id().to_string(),
        version: text("modified").or_else(|| text("created")).unwrap_or_default().to_owned(),
        message: message.map(str::to_owned),
    }
}

fn cursor_context(
    principal: &Principal,
    collection: &str,
    endpoint: Endpoint,
    object: Option<&str>,
    filter: &Filter,
) -> String {
    let versions: Vec<String> = filter.versions.iter().map(ToString::to_string).collect();
    format!(
        "{}|{collection}|{endpoint:?}|{}|{}|{}|{}|{}|{}",
        principal.user.id,
        object.unwrap_or(""),
        filter.added_after.as_ref().map(ToString::to_string).unwrap_or_default(),
        filter.ids.join(","),
        filter.types.join(","),
        versions.join(","),
        filter.spec_versions.join(","),
    )
}

/// Now, in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
