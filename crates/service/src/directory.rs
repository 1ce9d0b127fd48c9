//! The directory cache: what authentication, collection grants and the sharing decision read
//! from the store — organisations, users, collections with their grants, the sharing rules
//! built from them, and the principals of tokens already seen — kept between requests.
//!
//! Invalidation: every request first reads the store's directory version (one row, which
//! triggers bump on any change to those tables, by any process on the data directory: the admin
//! CLI writes to the same file as the server). When it differs from the cached one, the cache
//! is rebuilt before the request goes on, so a revoked token, a withdrawn grant or a new user
//! takes effect at the next request. The version is read before the tables, so a rebuilt cache
//! is never older than the version it is filed under.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use crate::sharing::Rules;
use crate::{Error, PolicyConfig, Principal};

/// One snapshot of the directory.
#[derive(Debug)]
pub(crate) struct Directory {
    version: i64,
    orgs: BTreeMap<store::OrgId, store::Org>,
    users: BTreeMap<store::UserId, store::User>,
    collections: Vec<store::CollectionInfo>,
    rules: Arc<Rules>,
    /// Principals of live tokens already looked up, by token hash. Only hits are kept, so
    /// guessed tokens cannot fill it.
    principals: RwLock<HashMap<[u8; 32], Principal>>,
}

impl Directory {
    fn load(store: &dyn store::Store, config: &PolicyConfig, version: i64) -> Result<Self, Error> {
        let orgs: BTreeMap<_, _> = store.orgs()?.into_iter().map(|o| (o.id, o)).collect();
        let users: BTreeMap<_, _> = store.users()?.into_iter().map(|u| (u.id, u)).collect();
        let collections = store.collections()?;
        let names = users.values().map(|u| (u.id, u.name.clone())).collect();
        let rules = Rules::new(orgs.clone(), names, &store.marking_definitions()?, config);
        Ok(Self {
            version,
            orgs,
            users,
            collections,
            rules: Arc::new(rules),
            principals: RwLock::new(HashMap::new()),
        })
    }

    /// Every collection with its grants, in the store's order.
    pub(crate) fn collections(&self) -> &[store::CollectionInfo] {
        &self.collections
    }

    /// A collection by id or alias.
    pub(crate) fn collection(&self, id_or_alias: &str) -> Option<&store::CollectionInfo> {
        self.collections
            .iter()
            .find(|c| c.id == id_or_alias)
            .or_else(|| self.collections.iter().find(|c| c.alias.as_deref() == Some(id_or_alias)))
    }

    /// The sharing rules.
    pub(crate) fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// The principal of the live token with this hash, if any.
    pub(crate) fn principal(
        &self,
        store: &dyn store::Store,
        hash: &[u8; 32],
    ) -> Result<Option<Principal>, Error> {
        let known = self.principals.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(principal) = known.get(hash) {
            return Ok(Some(principal.clone()));
        }
        drop(known);
        let Some(token) = store.token_by_hash(hash)? else { return Ok(None) };
        let Some(user) = self.users.get(&token.user) else { return Ok(None) };
        let Some(org) = self.orgs.get(&user.org) else { return Ok(None) };
        let principal = Principal { user: user.clone(), org: org.clone(), scope: token.scope };
        self.principals
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(*hash, principal.clone());
        Ok(Some(principal))
    }
}

/// The current snapshot, rebuilt when the store's directory version moves.
#[derive(Debug)]
pub(crate) struct DirectoryCache {
    current: RwLock<Arc<Directory>>,
    /// Held while rebuilding, so concurrent requests rebuild once.
    rebuilding: Mutex<()>,
}

impl DirectoryCache {
    /// A cache holding the store's directory as of now.
    pub(crate) fn new(store: &dyn store::Store, config: &PolicyConfig) -> Result<Self, Error> {
        let version = store.directory_version()?;
        Ok(Self {
            current: RwLock::new(Arc::new(Directory::load(store, config, version)?)),
            rebuilding: Mutex::new(()),
        })
    }

    fn cached(&self, version: i64) -> Option<Arc<Directory>> {
        let current = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        (current.version == version).then(|| Arc::clone(&current))
    }

    /// The directory as of now: the cached one when the store's version has not moved, else a
    /// fresh one.
    pub(crate) fn current(
        &self,
        store: &dyn store::Store,
        config: &PolicyConfig,
    ) -> Result<Arc<Directory>, Error> {
        let version = store.directory_version()?;
        if let Some(directory) = self.cached(version) {
            return Ok(directory);
        }
        let _rebuilding = self.rebuilding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(directory) = self.cached(version) {
            return Ok(directory);
        }
        let fresh = Arc::new(Directory::load(store, config, version)?);
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::clone(&fresh);
        tracing::debug!(version, "Directory reloaded.");
        Ok(fresh)
    }
}
