//! `meridian serve` and the administration commands that work on a node's data directory:
//! `org`, `user`, `token`, `collection`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use service::Node;

/// Where the node keeps its data.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataDir {
    /// The data directory (created if missing).
    #[arg(
        long = "data",
        env = "MERIDIAN_DATA",
        default_value = "meridian-data",
        value_name = "DIR"
    )]
    path: PathBuf,
}

impl DataDir {
    pub(crate) fn federation(&self) -> anyhow::Result<store::Federation> {
        store::Federation::open(&self.path).context("cannot open the federation state")
    }

    pub(crate) fn open(&self) -> anyhow::Result<Node> {
        let store = store::SqliteStore::open(&store::Options::new(&self.path))
            .with_context(|| format!("cannot open the store in {}", self.path.display()))?;
        let ledger =
            store::Ledger::open(&self.path).context("cannot open the disclosure ledger")?;
        let policy_file = self.path.join("policy.toml");
        let policy = match std::fs::read_to_string(&policy_file) {
            Ok(text) => service::PolicyConfig::parse(&policy_file.display().to_string(), &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => service::PolicyConfig::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", policy_file.display()));
            }
        };
        let options = service::Options { policy, ..service::Options::default() };
        let node = Node::new(Arc::new(store), Arc::new(ledger), options)
            .context("cannot start the node")?
            .with_warninglists_from({
                let path = self.path.clone();
                move || warninglists(&path, &[]).map_err(|e| format!("{e:#}"))
            });
        Ok(node.with_federation(Arc::new(self.federation()?)))
    }

    /// The node, a collection by alias or id, and a grantee written `org:NAME` or `user:NAME`.
    fn collection_and_grantee(
        &self,
        collection: &str,
        grantee: &str,
    ) -> anyhow::Result<(Node, store::CollectionInfo, store::Grantee)> {
        let node = self.open()?;
        let info = node
            .store()
            .collection(collection)?
            .with_context(|| format!("no collection `{collection}`"))?;
        let who = service::admin::grantee(&node, grantee)
            .with_context(|| format!("no grantee `{grantee}`"))?;
        Ok((node, info, who))
    }
}

/// The node's warninglists (every `*.json` in `DATA/warninglists/`, in name order) and `extra`.
pub(crate) fn warninglists(
    data: &std::path::Path,
    extra: &[PathBuf],
) -> anyhow::Result<formats::Warninglists> {
    let mut lists = formats::Warninglists::new();
    let dir = data.join("warninglists");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading {}", dir.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    for path in files.iter().chain(extra) {
        add_warninglist(&mut lists, path)?;
    }
    Ok(lists)
}

/// Adds the MISP warninglist in `path`.
pub(crate) fn add_warninglist(
    lists: &mut formats::Warninglists,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    lists.add_json(&text).with_context(|| path.display().to_string())?;
    Ok(())
}

/// Opens the node in `path` (for other commands, e.g. `match -i store`).
pub(crate) fn open_node(path: &std::path::Path) -> anyhow::Result<Node> {
    DataDir { path: path.to_owned() }.open()
}

/// `meridian serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataDir,
    /// The address to listen on.
    #[arg(long, env = "MERIDIAN_LISTEN", default_value = server::Options::DEFAULT_LISTEN, value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// Load the demo data set (organisations, users, collections, indicators at every TLP level).
    #[arg(long)]
    demo: bool,
    /// The jurisdiction of the organisation running the node (used on first start).
    #[arg(long, default_value = "EU")]
    jurisdiction: String,
    /// Sync with every peer this often, in seconds (0: only on `meridian sync`).
    #[arg(long, env = "MERIDIAN_SYNC_INTERVAL", default_value_t = 300)]
    sync_interval: u64,
    /// Serve HTTPS with this PEM certificate chain (requires --tls-key).
    #[arg(long, env = "MERIDIAN_TLS_CERT", requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key for --tls-cert.
    #[arg(long, env = "MERIDIAN_TLS_KEY", requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
}

impl ServeArgs {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let node = Arc::new(self.data.open()?);
        // Read now, so that a bad list stops the server here rather than failing its feeds.
        node.warninglists().context("cannot start the node")?;
        let given = std::env::var("MERIDIAN_ADMIN_TOKEN").ok();
        match service::admin::bootstrap(&node, &self.jurisdiction, given.as_deref())
            .context("cannot set up the administrator")?
        {
            service::admin::Bootstrap::Created { token } => {
                println!("Created user `admin`. Its token, shown only this once:\n  {token}");
            }
            service::admin::Bootstrap::CreatedWithGivenToken => {
                println!("Created user `admin` with the token from MERIDIAN_ADMIN_TOKEN.")
            }
            service::admin::Bootstrap::AlreadyDone => {}
        }
        if self.demo {
            match service::demo::load(&node).context("cannot load the demo data")? {
                Some(summary) => {
                    println!(
                        "Loaded the demo data: {} objects. Demo tokens, shown only this once:",
                        summary.objects
                    );
                    for (user, token) in &summary.tokens {
                        println!("  {user}: {token}");
                    }
                }
                None => println!("The demo data is already loaded."),
            }
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(server::TlsFiles { cert, key }),
            _ => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let options = server::Options { listen: self.listen, tls, ..server::Options::default() };
        println!(
            "Meridian is serving TAXII 2.1 at {scheme}://{}/taxii2/ (API root /{}/). Stop with Ctrl-C.",
            options.listen,
            node.options().api_root
        );
        if self.sync_interval > 0 {
            spawn_scheduled_sync(Arc::clone(&node), self.data.clone(), self.sync_interval)?;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the runtime")?;
        runtime
            .block_on(server::serve(node, &options, shutdown_signal()))
            .with_context(|| format!("cannot serve on {}", options.listen))?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Syncs with every peer every `interval` seconds on a background thread; failures are logged
/// and retried at the next tick (cursors make every sync resumable).
fn spawn_scheduled_sync(node: Arc<Node>, data: DataDir, interval: u64) -> anyhow::Result<()> {
    let federation = data.federation()?;
    std::thread::Builder::new()
        .name("sync".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(interval));
                let peers = match federation.peers() {
                    Ok(peers) => peers,
                    Err(error) => {
                        tracing::error!(%error, "Cannot read the peers.");
                        continue;
                    }
                };
                for peer in &peers {
                    let span = tracing::info_span!("sync", peer = %peer.name);
                    let _guard = span.enter();
                    match service::federation::sync(&node, &federation, peer) {
                        Ok(report) => tracing::info!(
                            pulled = report.pulled,
                            pushed = report.pushed,
                            withheld = report.withheld,
                            "Synced."
                        ),
                        Err(error) => tracing::warn!(%error, "Sync failed."),
                    }
                }
            }
        })
        .context("cannot start the sync thread")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// `meridian org ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Add an organisation.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// Unique name.
        name: String,
        /// Jurisdiction, e.g. `US`, `DE`, `FR`.
        #[arg(long)]
        jurisdiction: String,
        /// Sectors (industry-sector-ov), comma-separated.
        #[arg(long, value_delimiter = ',')]
        sectors: Vec<String>,
    },
    /// List organisations.
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

impl OrgCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            OrgCommand::Add { data, name, jurisdiction, sectors } => {
                let node = data.open()?;
                node.store()
                    .add_org(&name, &jurisdiction, &sectors)
                    .with_context(|| format!("cannot add organisation `{name}`"))?;
                println!("Added organisation `{name}` ({jurisdiction}).");
            }
            OrgCommand::List { data } => {
                for org in data.open()?.store().orgs()? {
                    println!("{}\t{}\t{}", org.name, org.jurisdiction, org.sectors.join(","));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `meridian user ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user to an organisation.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// Unique login name.
        name: String,
        /// The user's organisation.
        #[arg(long)]
        org: String,
        /// Make the user a node administrator.
        #[arg(long)]
        admin: bool,
    },
    /// List users.
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

impl UserCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            UserCommand::Add { data, name, org, admin } => {
                let node = data.open()?;
                let org_id = node
                    .store()
                    .org_by_name(&org)?
                    .with_context(|| format!("no organisation `{org}`"))?
                    .id;
                node.store()
                    .add_user(&name, org_id, admin)
                    .with_context(|| format!("cannot add user `{name}`"))?;
                println!("Added user `{name}` to `{org}`.");
            }
            UserCommand::List { data } => {
                let node = data.open()?;
                for user in node.store().users()? {
                    let org = node.store().org(user.org)?.map(|o| o.name).unwrap_or_default();
                    println!(
                        "{}\t{}{}",
                        user.name,
                        org,
                        if user.is_admin { "\tadmin" } else { "" }
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `meridian token ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token for a user; it is printed once and stored only as a hash.
    Create {
        #[command(flatten)]
        data: DataDir,
        /// The user.
        user: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "")]
        label: String,
        /// `read` or `read-write`.
        #[arg(long, default_value = "read-write")]
        scope: String,
    },
    /// Revoke a token by its id (see `token list`); effective for the next request.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The token id.
        id: i64,
    },
    /// List a user's tokens (ids, labels, scopes; never the tokens).
    List {
        #[command(flatten)]
        data: DataDir,
        /// The user.
        user: String,
    },
}

impl TokenCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            TokenCommand::Create { data, user, label, scope } => {
                let scope = store::TokenScope::parse(&scope)
                    .with_context(|| format!("`{scope}` is not a scope: use read or read-write"))?;
                let node = data.open()?;
                let (id, token) = node
                    .create_token(&user, &label, scope)
                    .with_context(|| format!("no user `{user}`"))?;
                println!(
                    "Token {id} for `{user}` ({}), shown only this once:\n  {token}",
                    scope.as_str()
                );
            }
            TokenCommand::Revoke { data, id } => {
                data.open()?
                    .store()
                    .revoke_token(id)
                    .with_context(|| format!("cannot revoke token {id}"))?;
                println!("Revoked token {id}.");
            }
            TokenCommand::List { data, user } => {
                let node = data.open()?;
                let user_id = node
                    .store()
                    .user_by_name(&user)?
                    .with_context(|| format!("no user `{user}`"))?
                    .id;
                for token in node.store().tokens(user_id)? {
                    println!(
                        "{}\t{}\t{}{}",
                        token.id,
                        token.scope.as_str(),
                        token.label,
                        if token.revoked { "\trevoked" } else { "" }
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `meridian collection ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CollectionCommand {
    /// Add a collection.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// A unique alias, e.g. `shared-indicators`.
        alias: String,
        /// A title.
        #[arg(long)]
        title: Option<String>,
        /// A description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Grant read and/or write access to an organisation (`org:NAME`) or a user (`user:NAME`).
    Grant {
        #[command(flatten)]
        data: DataDir,
        /// The collection's alias or id.
        collection: String,
        /// `org:NAME` or `user:NAME`.
        grantee: String,
        /// May read.
        #[arg(long)]
        read: bool,
        /// May write.
        #[arg(long)]
        write: bool,
    },
    /// Withdraw an organisation's (`org:NAME`) or a user's (`user:NAME`) grant; effective for
    /// the next request.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The collection's alias or id.
        collection: String,
        /// `org:NAME` or `user:NAME`.
        grantee: String,
    },
    /// List collections and their grants.
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

impl CollectionCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            CollectionCommand::Add { data, alias, title, description } => {
                let node = data.open()?;
                let title = title.unwrap_or_else(|| alias.clone());
                let id =
                    service::admin::add_collection(&node, &alias, &title, description.as_deref())
                        .with_context(|| format!("cannot add collection `{alias}`"))?;
                println!("Added collection `{alias}` ({id}).");
            }
            CollectionCommand::Grant { data, collection, grantee, read, write } => {
                if !read && !write {
                    anyhow::bail!("give --read, --write or both");
                }
                let (node, info, who) = data.collection_and_grantee(&collection, &grantee)?;
                node.store().grant(
                    &info.id,
                    store::Grant { grantee: who, can_read: read, can_write: write },
                )?;
                println!(
                    "Granted {}{} on `{collection}` to {grantee}.",
                    if read { "read" } else { "" },
                    if write { " write" } else { "" }
                );
            }
            CollectionCommand::Revoke { data, collection, grantee } => {
                let (node, info, who) = data.collection_and_grantee(&collection, &grantee)?;
                node.store().revoke_grant(&info.id, who).with_context(|| {
                    format!("cannot revoke {grantee}'s grant on `{collection}`")
                })?;
                println!("Revoked the grant on `{collection}` to {grantee}.");
            }
            CollectionCommand::List { data } => {
                let node = data.open()?;
                for info in node.store().collections()? {
                    println!(
                        "{}\t{}\t{}",
                        info.alias.as_deref().unwrap_or("-"),
                        info.id,
                        info.title
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `meridian ledger ...`: the disclosure ledger.
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Recompute the hash chain; exit 1 naming the first altered or missing entry.
    Verify {
        #[command(flatten)]
        data: DataDir,
    },
    /// Show disclosures, oldest first.
    Show {
        #[command(flatten)]
        data: DataDir,
        /// Only this recipient (`user:NAME`, `peer:NAME`) or organisation.
        #[arg(long)]
        partner: Option<String>,
        /// Only this object id.
        #[arg(long)]
        object: Option<String>,
        /// At most this many (the newest).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

impl LedgerCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            LedgerCommand::Verify { data } => {
                let node = data.open()?;
                match node.ledger().verify() {
                    Ok(n) => {
                        println!("The ledger is intact: {n} entries.");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(store::Error::Invalid(problem)) => {
                        println!("The ledger was tampered with: {problem}.");
                        Ok(ExitCode::from(1))
                    }
                    Err(e) => Err(e).context("cannot read the ledger"),
                }
            }
            LedgerCommand::Show { data, partner, object, limit } => {
                let node = data.open()?;
                let filter = store::LedgerFilter { recipient: partner, object_id: object, limit };
                for e in node.ledger().entries(&filter)? {
                    let d = &e.disclosure;
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        e.seq,
                        service::micros_to_timestamp(e.at_micros),
                        d.recipient,
                        d.org.as_deref().unwrap_or("-"),
                        d.object_id,
                        d.version,
                        d.channel,
                        d.rule
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// `meridian peer ...`: partner nodes.
#[derive(Debug, Subcommand)]
pub(crate) enum PeerCommand {
    /// Add (or replace) a partner node.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// A unique name for the peer.
        name: String,
        /// The peer's TAXII API root URL, e.g. `https://cert.example/meridian/`.
        #[arg(long)]
        url: String,
        /// The partner organisation (must exist: `meridian org add`).
        #[arg(long)]
        org: String,
        /// A file holding the token this node presents to the peer.
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
        /// The sharing agreement (TOML).
        #[arg(long, value_name = "FILE")]
        agreement: PathBuf,
        /// Also push to this collection of the peer (id or alias).
        #[arg(long, value_name = "COLLECTION")]
        push_to: Option<String>,
        /// Allow plain http for this peer (https is the default).
        #[arg(long)]
        allow_http: bool,
        /// Allow loopback and private addresses for this peer (laboratories, exercises).
        #[arg(long)]
        allow_private: bool,
    },
    /// List peers (never their tokens).
    List {
        #[command(flatten)]
        data: DataDir,
    },
}

impl PeerCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            PeerCommand::Add {
                data,
                name,
                url,
                org,
                token_file,
                agreement,
                push_to,
                allow_http,
                allow_private,
            } => {
                let node = data.open()?;
                node.store()
                    .org_by_name(&org)?
                    .with_context(|| format!("no organisation `{org}`: add it first"))?;
                let token = std::fs::read_to_string(&token_file)
                    .with_context(|| format!("cannot read {}", token_file.display()))?
                    .trim()
                    .to_owned();
                let agreement_text = std::fs::read_to_string(&agreement)
                    .with_context(|| format!("cannot read {}", agreement.display()))?;
                let outbound = client::Outbound { allow_http, allow_private };
                client::check_url(&url, outbound).with_context(|| format!("peer `{name}`"))?;
                let peer = store::Peer {
                    name: name.clone(),
                    url,
                    org,
                    token,
                    agreement: agreement_text,
                    allow_http,
                    allow_private,
                    push_to,
                };
                data.federation()?.put_peer(&peer)?;
                println!("Added peer `{name}`.");
            }
            PeerCommand::List { data } => {
                for peer in data.federation()?.peers()? {
                    println!(
                        "{}\t{}\t{}\t{}",
                        peer.name,
                        peer.url,
                        peer.org,
                        peer.push_to.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `meridian sync [PEER]`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    data: DataDir,
    /// Only this peer (default: every peer).
    peer: Option<String>,
}

impl SyncArgs {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let node = self.data.open()?;
        let federation = self.data.federation()?;
        let peers = federation.peers()?;
        let mut failed = false;
        let selected: Vec<_> =
            peers.iter().filter(|p| self.peer.as_ref().is_none_or(|n| *n == p.name)).collect();
        if selected.is_empty() {
            anyhow::bail!(
                "no peer {}",
                self.peer
                    .as_deref()
                    .map(|p| format!("`{p}`"))
                    .unwrap_or_else(|| "configured".into())
            );
        }
        for peer in selected {
            match service::federation::sync(&node, &federation, peer) {
                Ok(r) => println!(
                    "{}: pulled {}, already here {}, refused {}, pushed {}, refused by peer {}, withheld {}, erased as the peer asked {}, erasures sent {}, erasures pending {}",
                    peer.name,
                    r.pulled,
                    r.skipped,
                    r.rejected,
                    r.pushed,
                    r.push_refused,
                    r.withheld,
                    r.erased,
                    r.erasures_sent,
                    r.erasures_pending
                ),
                Err(e) => {
                    failed = true;
                    eprintln!("meridian: sync with `{}` failed: {e}", peer.name);
                }
            }
        }
        Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
    }
}
