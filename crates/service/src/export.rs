//! Exports and feeds from the node: what `meridian export --data` writes and what the server
//! serves under `/feeds/…` — the enforcement and sharing formats of `formats`, for one
//! recipient, decided by the sharing policy and recorded in the disclosure ledger before
//! anything is handed out.
//!
//! Every collection the recipient may read (or the one asked for) is read a store page at a
//! time, and each object version goes through, in order: the sharing decision
//! (`Sharing::disclose`: grants, TLP for this hop, the partner agreement, personal data),
//! reference hygiene (`Node::hide_references_parsed`), then the export rules of `formats`
//! (TLP:RED, unknown markings, revoked, expired, exercise data, warninglisted values).
//!
//! Memory: enforcement formats keep only values (`formats::rpz::RpzZone` and the other
//! writers), so an object is dropped once its values are taken; CSV rows are written as they
//! come. What must be kept per object is the ledger record (id, version, rule). The sharing
//! formats (STIX bundle, MISP) keep the selected objects: a bundle's id covers every version in
//! it, MISP groups objects into events by report, and a relationship to an object withheld by
//! an export rule on a later page must be dropped.
//!
//! The result is a [`PreparedExport`]: its bytes are private, and only [`Node::release`] hands
//! them out, after recording every object that contributed in the ledger (fail closed). A
//! caller that needs only the digest (an HTTP `If-None-Match` that matches, a `HEAD`) drops it:
//! nothing left the node, so nothing is recorded.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use formats::suricata::SuricataFile;
use formats::{EnforcementSelector, Purpose, SelectOptions};
use sha2::{Digest as _, Sha256};
use store::{StoredVersion, VersionSelect};

use crate::node::Rule;
use crate::sharing::{self, Sharing};
use crate::{Error, Node, Principal};

/// An export format. Sharing formats carry whole objects; the others are enforcement lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A STIX 2.1 bundle.
    Stix,
    /// MISP events (a JSON list of `{"Event": …}`).
    Misp,
    /// A MISP feed: `manifest.json`, one file per event, `hashes.csv`.
    MispFeed,
    /// A DNS response policy zone.
    Rpz,
    /// Every file of the Suricata export (rules, datasets, IP reputation).
    Suricata,
    /// One file of the Suricata export.
    SuricataFile(SuricataFile),
    /// A Zeek Intel framework file.
    Zeek,
    /// nftables sets.
    Nft,
    /// CSV, one row per value.
    Csv,
    /// A plain list of values.
    Plain,
}

impl Format {
    /// The feed formats, by their name in `/feeds/{collection}/{name}`.
    pub const FEEDS: [(&'static str, Format); 14] = [
        ("stix", Format::Stix),
        ("misp", Format::Misp),
        ("rpz", Format::Rpz),
        ("suricata-rules", Format::SuricataFile(SuricataFile::Rules)),
        ("suricata-domains", Format::SuricataFile(SuricataFile::Domains)),
        ("suricata-md5", Format::SuricataFile(SuricataFile::Hashes(formats::HashAlgorithm::Md5))),
        ("suricata-sha1", Format::SuricataFile(SuricataFile::Hashes(formats::HashAlgorithm::Sha1))),
        (
            "suricata-sha256",
            Format::SuricataFile(SuricataFile::Hashes(formats::HashAlgorithm::Sha256)),
        ),
        ("suricata-iprep", Format::SuricataFile(SuricataFile::Iprep)),
        ("suricata-iprep-categories", Format::SuricataFile(SuricataFile::IprepCategories)),
        ("zeek", Format::Zeek),
        ("nft", Format::Nft),
        ("csv", Format::Csv),
        ("plain", Format::Plain),
    ];

    /// The feed format named `name`.
    ///
    /// # Errors
    /// `UnknownFeed`, listing the names.
    pub fn from_feed_name(name: &str) -> Result<Format, Error> {
        Self::FEEDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).ok_or_else(|| {
            let names: Vec<&str> = Self::FEEDS.iter().map(|(n, _)| *n).collect();
            Error::UnknownFeed(format!(
                "there is no feed format `{name}`; the formats are {}",
                names.join(", ")
            ))
        })
    }

    /// The media type of the file (of the first file, for several).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Stix => "application/stix+json;version=2.1",
            Format::Misp | Format::MispFeed => "application/json",
            // RFC 4027: DNS zone data in master file format.
            Format::Rpz => "text/dns",
            // RFC 4180 with RFC 7111's `header` parameter.
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Suricata
            | Format::SuricataFile(_)
            | Format::Zeek
            | Format::Nft
            | Format::Plain => "text/plain; charset=utf-8",
        }
    }

    fn purpose(self) -> Purpose {
        match self {
            Format::Stix | Format::Misp | Format::MispFeed => Purpose::Sharing,
            _ => Purpose::Enforcement,
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Format::Stix => "bundle.json",
            Format::Misp => "events.json",
            Format::Rpz => "zone.rpz",
            Format::Zeek => "intel.dat",
            Format::Nft => "sets.nft",
            Format::Csv => "indicators.csv",
            Format::Plain => "list.txt",
            // Named by the writer.
            Format::MispFeed | Format::Suricata | Format::SuricataFile(_) => "",
        }
    }
}

/// How the SOA serial of an RPZ export is chosen (see `formats::rpz::next_serial`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpzSerial {
    /// This serial.
    Fixed(u32),
    /// The next serial after this previous `(serial, content digest)` (a state file kept by
    /// the caller), or the current time when there is none.
    After(Option<RpzState>),
    /// The node keeps the last serial and digest per recipient and request, so a feed's serial
    /// stays the same while its content does, and increases when it changes.
    Kept,
}

/// What to export, for whom, and how.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The format.
    pub format: Format,
    /// Only this collection (id or alias); every collection the recipient may read when absent.
    pub collection: Option<String>,
    /// Export for this configured peer (under its agreement and its organisation's grants)
    /// instead of for the caller.
    pub partner: Option<String>,
    /// Leave out indicators with a lower `confidence`.
    pub min_confidence: Option<u8>,
    /// Leave out objects last modified before this time.
    pub since: Option<stix::Timestamp>,
    /// The time `valid_until` is checked against (and the RPZ serial's clock).
    pub now: stix::Timestamp,
    /// The ledger channel: `export` or `feed`.
    pub channel: String,
    /// RPZ settings (the `serial` field is replaced as `rpz_serial` says).
    pub rpz: formats::rpz::RpzOptions,
    /// How the RPZ serial is chosen.
    pub rpz_serial: RpzSerial,
    /// Suricata settings.
    pub suricata: formats::suricata::SuricataOptions,
    /// nftables settings.
    pub nft: formats::nft::NftOptions,
    /// Plain lists: only values of these kinds (all when empty).
    pub kinds: Vec<formats::Kind>,
    /// Warninglists to use instead of the node's (`meridian export --warninglist`).
    pub warninglists: Option<Arc<formats::Warninglists>>,
    /// For a feed request: the feed and its parameters (their order left out), which a
    /// caller's kept tags are filed under (`feed_tags.rs`).
    pub(crate) feed: Option<String>,
}

impl ExportRequest {
    /// A request for `format` at `now` with default settings, channel `export`.
    pub fn new(format: Format, now: stix::Timestamp) -> ExportRequest {
        ExportRequest {
            format,
            collection: None,
            partner: None,
            min_confidence: None,
            since: None,
            now,
            channel: "export".into(),
            rpz: formats::rpz::RpzOptions::default(),
            rpz_serial: RpzSerial::After(None),
            suricata: formats::suricata::SuricataOptions::default(),
            nft: formats::nft::NftOptions::default(),
            kinds: Vec::new(),
            warninglists: None,
            feed: None,
        }
    }
}

/// An RPZ serial and the digest of the records it was given for.
pub type RpzState = (u32, u64);

/// An object a format could not carry: its id and why.
pub type Skipped = (String, String);

impl ExportRequest {
    /// The request for the feed `/feeds/{collection}/{name}?{params}`, at the current time,
    /// channel `feed`, with the RPZ serial kept by the node. Parameters (each at most once,
    /// except `type`):
    ///
    /// - every feed: `min_confidence` (0-100), `since` (a STIX timestamp);
    /// - `rpz`: `action` (`nxdomain`, `nodata`), `walled_garden` (a name), `ip_triggers`
    ///   (`true`, `false`);
    /// - `suricata-*`: `prefix`, `sid_range` (`FIRST-LAST`);
    /// - `nft`: `table`, `family`;
    /// - `plain`: `type` (`domain`, `ipv4`, `ipv6`, `url`, `email`, `hash`; repeatable).
    ///
    /// # Errors
    /// `UnknownFeed` for an unknown name; `Invalid` for an unknown, repeated or bad parameter.
    pub fn for_feed(
        collection: &str,
        name: &str,
        params: &[(String, String)],
    ) -> Result<ExportRequest, Error> {
        let format =
            if name == "misp-feed" { Format::MispFeed } else { Format::from_feed_name(name)? };
        let mut request = ExportRequest::new(format, stix::Timestamp::now());
        request.collection = Some(collection.to_owned());
        request.channel = "feed".into();
        request.rpz_serial = RpzSerial::Kept;
        let mut sorted: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        sorted.sort();
        request.feed = Some(format!("{collection}\n{name}\n{}", sorted.join("\n")));
        let allowed: &[&str] = match format {
            Format::Rpz => &["action", "walled_garden", "ip_triggers"],
            Format::SuricataFile(_) => &["prefix", "sid_range"],
            Format::Nft => &["table", "family"],
            Format::Plain => &["type"],
            _ => &[],
        };
        let mut seen = HashSet::new();
        for (key, value) in params {
            let bad = |why: &str| Error::Invalid(format!("feed parameter `{key}`: {why}"));
            let common = ["min_confidence", "since"];
            if !common.contains(&key.as_str()) && !allowed.contains(&key.as_str()) {
                let mut known = common.to_vec();
                known.extend_from_slice(allowed);
                return Err(Error::Invalid(format!(
                    "the `{name}` feed has no parameter `{key}`; it takes {}",
                    known.join(", ")
                )));
            }
            if key != "type" && !seen.insert(key.as_str()) {
                return Err(bad("given more than once"));
            }
            match key.as_str() {
                "min_confidence" => {
                    let n: u8 = value.parse().map_err(|_| bad("must be a number from 0 to 100"))?;
                    if n > 100 {
                        return Err(bad("must be a number from 0 to 100"));
                    }
                    request.min_confidence = Some(n);
                }
                "since" => {
                    request.since = Some(value.parse().map_err(|e: stix::TimestampError| {
                        bad(&format!("must be a STIX timestamp: {e}"))
                    })?);
                }
                "action" => {
                    request.rpz.action = match value.as_str() {
                        "nxdomain" => formats::rpz::RpzAction::Nxdomain,
                        "nodata" => formats::rpz::RpzAction::Nodata,
                        _ => return Err(bad("must be nxdomain or nodata (or give walled_garden)")),
                    };
                }
                "walled_garden" => {
                    request.rpz.action = formats::rpz::RpzAction::WalledGarden(value.clone());
                }
                "ip_triggers" => {
                    request.rpz.ip_triggers = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad("must be true or false")),
                    };
                }
                "prefix" => request.suricata.prefix = value.clone(),
                "sid_range" => {
                    let range = value
                        .split_once('-')
                        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
                    let (first, last) = range.ok_or_else(|| bad("must be FIRST-LAST"))?;
                    (request.suricata.sid_start, request.suricata.sid_end) = (first, last);
                }
                "table" => request.nft.table = value.clone(),
                "family" => request.nft.family = value.clone(),
                "type" => request.kinds.push(match value.as_str() {
                    "domain" => formats::Kind::Domain,
                    "ipv4" => formats::Kind::Ipv4,
                    "ipv6" => formats::Kind::Ipv6,
                    "url" => formats::Kind::Url,
                    "email" => formats::Kind::Email,
                    "hash" => formats::Kind::Hash,
                    _ => return Err(bad("must be domain, ipv4, ipv6, url, email or hash")),
                }),
                _ => {}
            }
        }
        if seen.contains("action") && seen.contains("walled_garden") {
            return Err(Error::Invalid("give either `action` or `walled_garden`, not both".into()));
        }
        Ok(request)
    }
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// The file name (for formats of several files; a suggestion otherwise).
    pub name: String,
    /// The contents.
    pub contents: Vec<u8>,
}

/// An export written but not yet handed out: [`Node::release`] records it in the ledger and
/// returns the files. Dropping it discloses nothing.
#[derive(Debug)]
pub struct PreparedExport {
    files: Vec<ExportFile>,
    media_type: &'static str,
    /// Computed when first asked for (a feed's ETag; exports to a file never need it).
    digest: std::sync::OnceLock<String>,
    /// Each file's digest, in order, computed when first asked for.
    file_digests: std::sync::OnceLock<Vec<String>>,
    pending: Pending,
    /// What the export rules withheld (objects, or single values of an indicator).
    pub withheld: Vec<formats::Withheld>,
    /// How many object versions the sharing policy withheld.
    pub policy_withheld: usize,
    /// How many objects went into the export.
    pub exported: usize,
    /// Objects the format could not carry, with the reason (e.g. MISP).
    pub skipped: Vec<Skipped>,
    /// The RPZ serial and content digest used, for the caller's state file.
    pub rpz_state: Option<RpzState>,
    /// The first moment (at or after the request's `now`) at which the export changes even if
    /// nothing stored does: an indicator read for it stops being valid (`valid_until`), or the
    /// recipient's partner agreement comes into or goes out of force.
    pub changes_at: Option<stix::Timestamp>,
}

impl PreparedExport {
    /// The SHA-256 of the contents (of every file, in order), lower-case hex: the same bytes
    /// give the same digest, so it serves as a strong HTTP entity tag.
    pub fn digest(&self) -> &str {
        self.digest.get_or_init(|| {
            let mut hasher = Sha256::new();
            for file in &self.files {
                hasher.update(&file.contents);
            }
            crate::feed_tags::hex(&hasher.finalize())
        })
    }

    /// The media type of the (first) file.
    pub fn media_type(&self) -> &'static str {
        self.media_type
    }

    /// How many files the export has.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Each file's name and the SHA-256 of its contents (lower-case hex, a strong entity tag),
    /// in order. Each digest is computed once.
    pub fn file_digests(&self) -> impl Iterator<Item = (&str, &str)> {
        let digests = self.file_digests.get_or_init(|| {
            self.files.iter().map(|f| crate::feed_tags::hex_digest(&f.contents)).collect()
        });
        self.files.iter().zip(digests).map(|(f, d)| (f.name.as_str(), d.as_str()))
    }

    /// The total size of the files, in bytes.
    pub fn len(&self) -> usize {
        self.files.iter().map(|f| f.contents.len()).sum()
    }

    /// Whether every file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One file of a multi-file export (a MISP feed's `manifest.json`, `hashes.csv` or an
    /// event), and the SHA-256 of its contents (lower-case hex, a strong entity tag).
    pub fn file(&self, name: &str) -> Option<(&ExportFile, &str)> {
        let at = self.files.iter().position(|f| f.name == name)?;
        let (_, digest) = self.file_digests().nth(at)?;
        Some((&self.files[at], digest))
    }
}

/// Moves `earliest` to the object's `valid_until` when that is not before `now` and before
/// `earliest` (an indicator that expires exactly at `now` still counts: the export may still
/// carry it, and must be written again once it no longer does).
fn note_expiry(
    object: &stix::Object,
    now: &stix::Timestamp,
    earliest: &mut Option<stix::Timestamp>,
) {
    let until = object
        .get("valid_until")
        .and_then(serde_json::Value::as_str)
        .and_then(|t| t.parse::<stix::Timestamp>().ok());
    if let Some(until) = until
        && until >= *now
        && earliest.as_ref().is_none_or(|e| until < *e)
    {
        *earliest = Some(until);
    }
}

/// The ledger records of an export, kept compact until it is released: one entry per object
/// (id, version, rule number), the rules and the recipient once.
#[derive(Debug, Default)]
struct Pending {
    recipient: String,
    org: Option<String>,
    channel: String,
    format: &'static str,
    rules: Vec<Rule>,
    rule_numbers: HashMap<Rule, u32>,
    entries: Vec<(Box<str>, Box<str>, u32)>,
}

impl Pending {
    fn push(&mut self, id: &str, version: &str, rule: Rule) {
        let number = match self.rule_numbers.get(&rule) {
            Some(number) => *number,
            None => {
                let number = u32::try_from(self.rules.len()).unwrap_or(u32::MAX);
                self.rule_numbers.insert(rule.clone(), number);
                self.rules.push(rule);
                number
            }
        };
        self.entries.push((id.into(), version.into(), number));
    }
}

/// Who an export is for.
pub(crate) struct Recipient {
    /// Whose grants decide which collections are read.
    access: Principal,
    /// The partner node, its organisation and agreement, when the recipient is a partner.
    pub(crate) partner: Option<(store::Peer, store::Org, policy::Agreement)>,
    /// The ledger's name for the recipient.
    pub(crate) name: String,
}

impl Recipient {
    fn audience(&self) -> sharing::Audience<'_> {
        match &self.partner {
            Some((peer, org, agreement)) => {
                sharing::Audience::Partner { node: &peer.name, org, agreement }
            }
            None => sharing::Audience::User(&self.access),
        }
    }
}

impl Node {
    /// Who receives: the partner `peer` (its organisation's grants and its agreement), or the
    /// caller — served as a partner when its organisation runs a configured peer, as TAXII does.
    pub(crate) fn recipient(
        &self,
        caller: &Principal,
        peer: Option<&str>,
    ) -> Result<Recipient, Error> {
        if let Some(name) = peer {
            let federation = self.federation.as_ref().ok_or(Error::NotFound)?;
            let peer =
                federation.peers()?.into_iter().find(|p| p.name == name).ok_or(Error::NotFound)?;
            let org = self.store.org_by_name(&peer.org)?.ok_or(Error::NotFound)?;
            let agreement = crate::federation::agreement_of(&peer)?;
            let access = Principal::partner(&peer.name, &org);
            let name = format!("peer:{}", peer.name);
            return Ok(Recipient { access, partner: Some((peer, org, agreement)), name });
        }
        let partner = self
            .partner(&caller.org.name)?
            .map(|(peer, agreement)| (peer, caller.org.clone(), agreement));
        Ok(Recipient {
            access: caller.clone(),
            partner,
            name: format!("user:{}", caller.user.name),
        })
    }

    /// The collections to read: the one named, which the recipient must be able to read
    /// (`NotFound` otherwise, exactly as for a collection that does not exist), or every
    /// collection it may read.
    fn export_collections(
        &self,
        recipient: &Recipient,
        only: Option<&str>,
    ) -> Result<Vec<store::CollectionInfo>, Error> {
        let readable = |info: &store::CollectionInfo| sharing::access(&recipient.access, info).read;
        match only {
            Some(id) => match self.store.collection(id)? {
                Some(info) if readable(&info) => Ok(vec![info]),
                _ => Err(Error::NotFound),
            },
            None => Ok(self.store.collections()?.into_iter().filter(readable).collect()),
        }
    }

    /// Calls `each` with every object version of `types` (all when empty) that the sharing
    /// policy lets go to the recipient, latest version per collection, a store page at a time:
    /// redacted as decided, references to withheld objects removed, parsed. A version in several
    /// collections is given once. Returns how many versions the policy withheld.
    fn each_shared(
        &self,
        recipient: &Recipient,
        sharing: &Sharing,
        collections: &[store::CollectionInfo],
        types: &[String],
        mut each: impl FnMut(StoredVersion, Rule, stix::Object) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        let audience = recipient.audience();
        let mut withheld = 0;
        // Versions already given, when there are several collections: 8 bytes each.
        let mut given: HashSet<u64> = HashSet::new();
        for info in collections {
            let mut query = store::Query {
                after_micros: 0,
                limit: self.options().max_page,
                ids: Vec::new(),
                types: types.to_vec(),
                versions: vec![VersionSelect::Last],
                spec_versions: Vec::new(),
            };
            loop {
                let page = self.store.query(&info.id, &query)?;
                let (more, last) = (page.more, page.items.last().map(|v| v.date_added_micros));
                let mut shared = Vec::with_capacity(page.items.len());
                for mut version in page.items {
                    if collections.len() > 1 {
                        let mut hasher = std::collections::hash_map::DefaultHasher::new();
                        (&version.id, &version.version).hash(&mut hasher);
                        if !given.insert(hasher.finish()) {
                            continue;
                        }
                    }
                    match sharing.apply(&audience, &mut version) {
                        Ok((rule, object)) => shared.push((version, rule, object)),
                        Err(reason) => {
                            tracing::debug!(recipient = %recipient.name, object = %version.id, %reason, "Withheld from an export.");
                            withheld += 1;
                        }
                    }
                }
                for (version, rule, object) in
                    self.hide_references_parsed(&recipient.access, sharing, &audience, shared)?
                {
                    each(version, rule, object)?;
                }
                match (more, last) {
                    (true, Some(last)) => query.after_micros = last,
                    _ => break,
                }
            }
        }
        Ok(withheld)
    }

    /// Writes an export for `caller` (or for `request.partner`): see the module documentation.
    /// Nothing is disclosed until [`Node::release`].
    ///
    /// # Errors
    /// `NotFound` for a collection the recipient may not read (as for one that does not exist)
    /// or an unknown partner; `Invalid` for settings the format cannot use; store failures.
    pub fn prepare_export(
        &self,
        caller: &Principal,
        request: &ExportRequest,
    ) -> Result<PreparedExport, Error> {
        // Settings first: a bad setting is refused alike for every collection, visible or not.
        check_settings(request)?;
        let recipient = self.recipient(caller, request.partner.as_deref())?;
        self.prepare_export_for(&recipient, request)
    }

    /// [`Node::prepare_export`] for a recipient already worked out, settings checked.
    pub(crate) fn prepare_export_for(
        &self,
        recipient: &Recipient,
        request: &ExportRequest,
    ) -> Result<PreparedExport, Error> {
        let collections = self.export_collections(recipient, request.collection.as_deref())?;
        let sharing = self.sharing()?;
        let node_lists;
        let warninglists = match &request.warninglists {
            Some(lists) => lists,
            None => {
                node_lists = self.warninglists()?;
                &node_lists
            }
        };
        let purpose = request.format.purpose();
        let mut options = SelectOptions::new(purpose, request.now.clone());
        options.warninglists = Some(warninglists);
        options.min_confidence = request.min_confidence;
        options.since = request.since.clone();
        let mut changes_at = recipient
            .partner
            .as_ref()
            .and_then(|(_, _, agreement)| agreement.next_change(&request.now))
            .cloned();
        let mut pending = Pending {
            recipient: recipient.name.clone(),
            org: Some(recipient.access.org.name.clone()),
            channel: request.channel.clone(),
            format: feed_name(request.format),
            ..Pending::default()
        };
        let (files, withheld, policy_withheld, skipped, rpz_state) = match purpose {
            Purpose::Enforcement => {
                let mut selector = EnforcementSelector::new(
                    &formats::BuiltInRulesOnly,
                    options,
                    sharing.known_markings(),
                );
                let mut sink = Sink::new(request.format, &request.kinds);
                let policy_withheld = self.each_shared(
                    recipient,
                    &sharing,
                    &collections,
                    &["indicator".to_owned()],
                    |version, rule, object| {
                        note_expiry(&object, &request.now, &mut changes_at);
                        if let Some(selected) = selector.select(object) {
                            sink.add(&selected)?;
                            pending.push(&version.id, &version.version, rule);
                        }
                        Ok(())
                    },
                )?;
                let (files, rpz_state) = self.finish_sink(sink, request, recipient)?;
                (files, selector.withheld, policy_withheld, Vec::new(), rpz_state)
            }
            Purpose::Sharing => {
                let mut objects = Vec::new();
                let mut versions: HashMap<(String, Option<String>), (Box<str>, Rule)> =
                    HashMap::new();
                let policy_withheld = self.each_shared(
                    recipient,
                    &sharing,
                    &collections,
                    &[],
                    |version, rule, object| {
                        note_expiry(&object, &request.now, &mut changes_at);
                        versions.insert(object_key(&object), (version.version.into(), rule));
                        objects.push(object);
                        Ok(())
                    },
                )?;
                let selection = formats::select(objects, &formats::BuiltInRulesOnly, &options);
                for selected in selection.objects() {
                    let object = selected.object();
                    // Every object written must be recorded: one the ledger could not name
                    // fails the export (fail closed) rather than going out unrecorded.
                    let Some((version, rule)) = versions.remove(&object_key(object)) else {
                        return Err(Error::Store(store::Error::Internal(
                            format!(
                                "the export selected {} twice or changed its version",
                                object.id()
                            )
                            .into(),
                        )));
                    };
                    pending.push(object.id().as_str(), &version, rule);
                }
                let (files, skipped) = write_sharing(&selection, request.format)?;
                (files, selection.withheld, policy_withheld, skipped, None)
            }
        };
        Ok(PreparedExport {
            // Every object written is one pending ledger entry.
            exported: pending.entries.len(),
            files,
            media_type: request.format.media_type(),
            digest: std::sync::OnceLock::new(),
            file_digests: std::sync::OnceLock::new(),
            pending,
            withheld,
            policy_withheld,
            skipped,
            rpz_state,
            changes_at,
        })
    }

    /// Records every object of `export` in the disclosure ledger, then hands out its files. When
    /// the ledger cannot record, nothing is handed out (fail closed).
    ///
    /// # Errors
    /// Ledger failures.
    pub fn release(&self, export: PreparedExport) -> Result<Vec<ExportFile>, Error> {
        let Pending { recipient, org, channel, format, rules, entries, .. } = export.pending;
        let records = entries.into_iter().map(|(id, version, rule)| {
            let (rule, transform) = &rules[rule as usize];
            let transform = match transform {
                Some(t) => format!("{format}; {t}"),
                None => format.to_owned(),
            };
            store::Disclosure {
                recipient: recipient.clone(),
                org: org.clone(),
                object_id: id.into(),
                version: version.into(),
                channel: channel.clone(),
                rule: rule.clone(),
                transform: Some(transform),
            }
        });
        self.ledger.append_all(records, crate::node::now_micros())?;
        Ok(export.files)
    }

    /// Records every object of `export` in the ledger (as [`Node::release`]), then hands out
    /// only its file `name`. A file of a MISP feed is recorded as the whole feed: the manifest
    /// names every event, so recording less could miss a disclosure.
    ///
    /// # Errors
    /// Ledger failures.
    pub fn release_file(
        &self,
        export: PreparedExport,
        name: &str,
    ) -> Result<Option<ExportFile>, Error> {
        Ok(self.release(export)?.into_iter().find(|f| f.name == name))
    }

    /// The files of an enforcement export, and the RPZ state used.
    fn finish_sink(
        &self,
        sink: Sink,
        request: &ExportRequest,
        recipient: &Recipient,
    ) -> Result<(Vec<ExportFile>, Option<RpzState>), Error> {
        let one = |contents: Vec<u8>| {
            vec![ExportFile { name: request.format.file_name().to_owned(), contents }]
        };
        let mut contents = Vec::new();
        match sink {
            Sink::Rpz(zone) => {
                let now = u64::try_from(request.now.unix().0).unwrap_or(0);
                let mut state = None;
                let mut failure = None;
                zone.write(
                    &request.rpz,
                    |digest| {
                        let serial = match request.rpz_serial {
                            RpzSerial::Fixed(serial) => serial,
                            RpzSerial::After(previous) => {
                                formats::rpz::next_serial(previous, digest, now)
                            }
                            RpzSerial::Kept => {
                                let key = rpz_state_key(request, recipient);
                                let kept = self.store.update_state(&key, &mut |current| {
                                    let previous = current.and_then(decode_rpz_state);
                                    let serial = formats::rpz::next_serial(previous, digest, now);
                                    encode_rpz_state(serial, digest)
                                });
                                match kept.map(|bytes| decode_rpz_state(&bytes)) {
                                    Ok(Some((serial, _))) => serial,
                                    Ok(None) => formats::rpz::next_serial(None, digest, now),
                                    Err(e) => {
                                        failure = Some(e);
                                        0
                                    }
                                }
                            }
                        };
                        state = Some((serial, digest));
                        serial
                    },
                    &mut contents,
                )
                .map_err(format_error)?;
                if let Some(e) = failure {
                    return Err(e.into());
                }
                Ok((one(contents), state))
            }
            Sink::Suricata(lists) => {
                let files = match request.format {
                    Format::SuricataFile(file) => vec![file],
                    _ => SuricataFile::ALL.to_vec(),
                };
                let mut out = Vec::with_capacity(files.len());
                for file in files {
                    let mut contents = Vec::new();
                    lists.write(file, &request.suricata, &mut contents).map_err(format_error)?;
                    out.push(ExportFile { name: file.file_name(&request.suricata), contents });
                }
                Ok((out, None))
            }
            Sink::Zeek(intel) => {
                intel
                    .write(&formats::zeek::ZeekOptions::default(), &mut contents)
                    .map_err(format_error)?;
                Ok((one(contents), None))
            }
            Sink::Nft(sets) => {
                sets.write(&request.nft, &mut contents).map_err(format_error)?;
                Ok((one(contents), None))
            }
            Sink::Csv(rows) => Ok((one(rows), None)),
            Sink::Plain(list) => {
                list.write(&mut contents).map_err(format_error)?;
                Ok((one(contents), None))
            }
        }
    }

    /// The latest version of every indicator `principal` may use, as JSON, from every collection
    /// it may read, each decided by the sharing rules and recorded in the ledger (channel `match`).
    ///
    /// # Errors
    /// Store failures.
    pub fn usable_indicators(&self, principal: &Principal) -> Result<Vec<String>, Error> {
        let recipient = self.recipient(principal, None)?;
        let collections = self.export_collections(&recipient, None)?;
        let sharing = self.sharing()?;
        let mut items = Vec::new();
        let mut records = Vec::new();
        self.each_shared(
            &recipient,
            &sharing,
            &collections,
            &["indicator".to_owned()],
            |version, (rule, transform), _| {
                records.push(store::Disclosure {
                    recipient: recipient.name.clone(),
                    org: Some(recipient.access.org.name.clone()),
                    object_id: version.id.clone(),
                    version: version.version.clone(),
                    channel: "match".into(),
                    rule,
                    transform,
                });
                items.push(version.json);
                Ok(())
            },
        )?;
        self.ledger.append_all(records, crate::node::now_micros())?;
        Ok(items)
    }
}

/// An enforcement export being built: only values are kept (CSV rows are final as they come).
enum Sink {
    Rpz(formats::rpz::RpzZone),
    Suricata(formats::suricata::SuricataLists),
    Zeek(formats::zeek::ZeekIntel),
    Nft(formats::nft::NftSets),
    Csv(Vec<u8>),
    Plain(formats::PlainList),
}

impl Sink {
    fn new(format: Format, kinds: &[formats::Kind]) -> Sink {
        match format {
            Format::Rpz => Sink::Rpz(formats::rpz::RpzZone::new()),
            Format::Suricata | Format::SuricataFile(_) => {
                Sink::Suricata(formats::suricata::SuricataLists::new())
            }
            Format::Zeek => Sink::Zeek(formats::zeek::ZeekIntel::new()),
            Format::Nft => Sink::Nft(formats::nft::NftSets::new()),
            Format::Csv => {
                let mut header = Vec::new();
                // Writing to a Vec cannot fail.
                let _ = formats::csv::write_header(&mut header);
                Sink::Csv(header)
            }
            // Sharing formats never reach a sink (they are written from a whole selection).
            Format::Plain | Format::Stix | Format::Misp | Format::MispFeed => {
                Sink::Plain(formats::PlainList::new(kinds))
            }
        }
    }

    fn add(&mut self, selected: &formats::Selected) -> Result<(), Error> {
        match self {
            Sink::Rpz(zone) => zone.add(selected),
            Sink::Suricata(lists) => lists.add(selected),
            Sink::Zeek(intel) => intel.add(selected),
            Sink::Nft(sets) => sets.add(selected),
            Sink::Csv(rows) => formats::csv::write_rows(selected, rows).map_err(format_error)?,
            Sink::Plain(list) => list.add(selected),
        }
        Ok(())
    }
}

/// Writes a sharing export; returns its files and the objects the format could not carry.
fn write_sharing(
    selection: &formats::Selection,
    format: Format,
) -> Result<(Vec<ExportFile>, Vec<Skipped>), Error> {
    let mut contents = Vec::new();
    match format {
        Format::Misp | Format::MispFeed => {
            let export = formats::misp::export_misp(selection);
            let skipped = export.skipped.clone();
            let files = if format == Format::Misp {
                formats::misp::write_misp_events(&export, &mut contents).map_err(format_error)?;
                vec![ExportFile { name: format.file_name().to_owned(), contents }]
            } else {
                formats::misp::write_feed(&export)
                    .map_err(format_error)?
                    .into_iter()
                    .map(|f| ExportFile { name: f.name, contents: f.contents })
                    .collect()
            };
            Ok((files, skipped))
        }
        _ => {
            formats::write_bundle(selection, &mut contents).map_err(format_error)?;
            Ok((
                vec![ExportFile { name: Format::Stix.file_name().to_owned(), contents }],
                Vec::new(),
            ))
        }
    }
}

/// Refuses settings the format's writer cannot use, by writing an empty export.
pub(crate) fn check_settings(request: &ExportRequest) -> Result<(), Error> {
    let mut sink = Vec::new();
    match request.format {
        Format::Rpz => {
            formats::rpz::RpzZone::new().write(&request.rpz, |_| 1, &mut sink).map(|_| ())
        }
        Format::Suricata | Format::SuricataFile(_) => {
            SuricataFile::ALL.iter().try_for_each(|file| {
                formats::suricata::SuricataLists::new().write(*file, &request.suricata, &mut sink)
            })
        }
        Format::Nft => formats::nft::NftSets::new().write(&request.nft, &mut sink),
        _ => Ok(()),
    }
    .map_err(format_error)
}

/// An object's id and version, to find its ledger record after `formats::select`.
fn object_key(object: &stix::Object) -> (String, Option<String>) {
    let version = object.modified().or_else(|| object.created()).map(|t| t.as_str().to_owned());
    (object.id().as_str().to_owned(), version)
}

/// The name of a format in the ledger's transform (the feed name where there is one).
fn feed_name(format: Format) -> &'static str {
    match format {
        Format::MispFeed => "misp-feed",
        Format::Suricata => "suricata",
        other => Format::FEEDS.iter().find(|(_, f)| *f == other).map_or("export", |(n, _)| *n),
    }
}

/// The key under which the node keeps a feed's RPZ serial: the recipient, the collections and
/// every setting that changes the records.
fn rpz_state_key(request: &ExportRequest, recipient: &Recipient) -> String {
    // The collection as asked (not the list read), so the key survives a new grant.
    let text = format!(
        "{}|{}|{:?}|{:?}|{:?}|{}",
        recipient.name,
        request.collection.as_deref().unwrap_or("*"),
        request.rpz.action,
        request.min_confidence,
        request.since.as_ref().map(stix::Timestamp::as_str),
        request.rpz.ip_triggers,
    );
    format!("rpz-serial:{}", crate::feed_tags::hex_digest(text.as_bytes()))
}

fn encode_rpz_state(serial: u32, digest: u64) -> Vec<u8> {
    let mut bytes = serial.to_be_bytes().to_vec();
    bytes.extend_from_slice(&digest.to_be_bytes());
    bytes
}

fn decode_rpz_state(bytes: &[u8]) -> Option<(u32, u64)> {
    let serial = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
    let digest = u64::from_be_bytes(bytes.get(4..12)?.try_into().ok()?);
    Some((serial, digest))
}

fn format_error(e: formats::Error) -> Error {
    match e {
        formats::Error::Options(message) => Error::Invalid(message),
        other => Error::Store(store::Error::Internal(Box::new(other))),
    }
}
