//! Erasure (SECURITY.md: personal data must be removable, everywhere it went): `Node::erase`
//! removes every version of an object from this node — its JSON overwritten on disk — records the
//! erasure in the ledger so that no pull, push or import brings it back, and
//! `federation::propagate_erasures` sends it to every partner the ledger says received the
//! object. A partner node's erasure notice (a TAXII DELETE from the organisation that shared the
//! object) erases it here too, and this node passes it on to its own recipients in turn.

use crate::node::now_micros;
use crate::{Error, Node, Principal};

/// What an erasure did on this node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// Object versions removed from the store.
    pub versions: usize,
    /// Whether the object had already been erased before (then nothing new was recorded).
    pub already: bool,
}

impl Node {
    /// Erases `object_id` from this node: records the erasure (from then on every ingest refuses
    /// the id), then purges every version. Partners are told by
    /// [`crate::federation::propagate_erasures`] (run by `meridian erase` and by every sync).
    ///
    /// # Errors
    /// `Invalid` for a malformed id; ledger and store failures (the erasure record is written
    /// first, so a retry completes the purge).
    pub fn erase(
        &self,
        object_id: &str,
        reason: &str,
        requested_by: &str,
    ) -> Result<Erased, Error> {
        object_id
            .parse::<stix::Identifier>()
            .map_err(|e| Error::Invalid(format!("`{object_id}` is not a STIX identifier: {e}")))?;
        if reason.trim().is_empty() {
            return Err(Error::Invalid("an erasure needs a reason".into()));
        }
        let first = self.ledger().record_erasure(object_id, reason, requested_by, now_micros())?;
        let versions = self.store().purge(object_id)?;
        tracing::info!(object = %object_id, versions, %requested_by, "Erased.");
        Ok(Erased { versions, already: !first })
    }

    /// The erasures `principal`'s organisation must apply: objects erased here that the ledger
    /// says the organisation received, through any channel. Ids only, never the reason: this
    /// tells the organisation nothing it was not sent before. Partners that pull learn of
    /// erasures here (`GET {api-root}/erasures/`); partners that are pushed to get a DELETE.
    ///
    /// # Errors
    /// Ledger failures.
    pub fn erasures_for(&self, principal: &Principal) -> Result<Vec<(String, String)>, Error> {
        let ledger = self.ledger();
        let mut out = Vec::new();
        for erasure in ledger.erasures()? {
            let received = ledger
                .recipients_of(&erasure.object_id)?
                .iter()
                .any(|(_, org)| org.as_deref() == Some(principal.org.name.as_str()));
            if received {
                out.push((erasure.object_id, store::micros_to_timestamp(erasure.at)));
            }
        }
        Ok(out)
    }

    /// Applies the erasures a partner node published for this node (see [`Node::erasures_for`]):
    /// each object is erased here when every version this node holds came from the partner's
    /// organisation; objects others also shared are kept (and logged). Returns how many objects
    /// were erased now.
    ///
    /// # Errors
    /// Ledger and store failures.
    pub fn apply_partner_erasures(
        &self,
        peer: &store::Peer,
        partner: &store::Org,
        ids: &[String],
    ) -> Result<usize, Error> {
        let already = self.ledger().erased_among(ids.iter().map(String::as_str))?;
        let principal = Principal::partner(&peer.name, partner);
        let mut erased = 0;
        for id in ids.iter().filter(|id| !already.contains(*id)) {
            match self.erase_for_partner(&principal, &peer.name, id) {
                Ok(_) => erased += 1,
                Err(Error::NotFound) => {}
                Err(Error::Forbidden(_)) => {
                    tracing::warn!(peer = %peer.name, object = %id, "Not erased: other organisations shared versions of it too.");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(erased)
    }

    /// Drops from `accepted` the objects whose id was erased here, adding a failure for each.
    pub(crate) fn refuse_erased<R>(
        &self,
        accepted: &mut Vec<(R, stix::Object)>,
        failures: &mut Vec<taxii::StatusDetail>,
    ) -> Result<(), Error> {
        if accepted.is_empty() {
            return Ok(());
        }
        let erased = self.ledger().erased_among(accepted.iter().map(|(_, o)| o.id().as_str()))?;
        if erased.is_empty() {
            return Ok(());
        }
        accepted.retain(|(_, object)| {
            if !erased.contains(object.id().as_str()) {
                return true;
            }
            failures.push(taxii::StatusDetail {
                id: object.id().to_string(),
                version: object
                    .get("modified")
                    .or_else(|| object.get("created"))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                message: Some(
                    "this object was erased from this node and cannot be added again".into(),
                ),
            });
            false
        });
        Ok(())
    }

    /// A partner node's erasure notice: a TAXII DELETE by a partner organisation's account, which
    /// must be allowed to write to `collection`. Every version of the object this node holds, in
    /// any collection, must have come from that organisation; then the object is erased here
    /// (and passed on to this node's own recipients at the next sync).
    ///
    /// # Errors
    /// `NotFound` when this node holds no version (or none the partner may know of);
    /// `Forbidden` when other organisations shared versions of it.
    pub(crate) fn erase_for_partner(
        &self,
        principal: &Principal,
        peer: &str,
        object_id: &str,
    ) -> Result<usize, Error> {
        let mut held = Vec::new();
        for info in self.store().collections()? {
            let query = store::Query {
                after_micros: 0,
                limit: 10_000,
                ids: vec![object_id.to_owned()],
                types: Vec::new(),
                versions: vec![store::VersionSelect::All],
                spec_versions: Vec::new(),
            };
            held.extend(self.store().query(&info.id, &query)?.items);
        }
        if held.is_empty() {
            return Err(Error::NotFound);
        }
        if held.iter().any(|v| v.source_org != Some(principal.org.id)) {
            // Whether other organisations hold versions is not the partner's to learn.
            if held.iter().all(|v| v.source_org != Some(principal.org.id)) {
                return Err(Error::NotFound);
            }
            return Err(Error::Forbidden(
                "only the organisation that shared an object may erase it".into(),
            ));
        }
        let erased = self.erase(
            object_id,
            &format!("erasure notice from partner `{peer}`"),
            &format!("peer:{peer}"),
        )?;
        Ok(erased.versions)
    }
}
