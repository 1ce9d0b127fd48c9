//! The `meridian` binary: parse arguments, set up tracing, run one subcommand, map the outcome to an
//! exit code. No domain logic lives here (STYLE.md section 4).
#![allow(clippy::print_stdout, clippy::print_stderr)] // The binary is the one place that prints.

mod export_cmd;
mod import_cmd;
mod match_cmd;
mod node_cmd;
mod pattern_check;
mod pattern_cmd;
mod steward_cmd;
mod stix_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Meridian: share cyber threat intelligence across borders, safely.
#[derive(Debug, Parser)]
#[command(name = "meridian", version, about, propagate_version = true)]
struct Args {
    /// Log filter, e.g. `info` or `meridian=debug` (overrides `RUST_LOG`).
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with STIX 2.1 content: validate files.
    #[command(subcommand)]
    Stix(stix_cmd::StixCommand),
    /// Work with STIX patterns: check them, match them against observed data.
    #[command(subcommand)]
    Pattern(pattern_cmd::PatternCommand),
    /// Convert STIX, MISP events and feeds, IOC text and CSV into one STIX 2.1 bundle.
    Import(import_cmd::ImportArgs),
    /// Export indicators as STIX, MISP, DNS RPZ, Suricata, Zeek, nftables, CSV or plain lists.
    Export(export_cmd::ExportArgs),
    /// Scan logs for indicators: hits as JSON lines, a count, statistics or STIX sightings.
    Match(match_cmd::MatchArgs),
    /// Run the node: TAXII 2.1 server on the embedded store.
    Serve(node_cmd::ServeArgs),
    /// Manage organisations.
    #[command(subcommand)]
    Org(node_cmd::OrgCommand),
    /// Manage users.
    #[command(subcommand)]
    User(node_cmd::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(node_cmd::TokenCommand),
    /// Manage collections and their grants.
    #[command(subcommand)]
    Collection(node_cmd::CollectionCommand),
    /// Inspect and verify the disclosure ledger.
    #[command(subcommand)]
    Ledger(node_cmd::LedgerCommand),
    /// Manage partner nodes.
    #[command(subcommand)]
    Peer(node_cmd::PeerCommand),
    /// Pull from (and push to) partner nodes now.
    Sync(node_cmd::SyncArgs),
    /// Review object versions held back because personal-data detection was unsure.
    #[command(subcommand)]
    Review(steward_cmd::ReviewCommand),
    /// Erase an object from this node and from every partner the ledger says received it.
    Erase(steward_cmd::EraseArgs),
}

// The node's work is many short-lived allocations on several threads (parsed objects, pages,
// JSON); glibc's allocator spent about a tenth of a POST's CPU time in malloc and free
// (BENCHMARKS.md, "TAXII server").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing(args.log.as_deref());
    let result = match args.command {
        Command::Stix(command) => command.run(),
        Command::Pattern(command) => command.run(),
        Command::Import(args) => args.run(),
        Command::Export(args) => args.run(),
        Command::Serve(args) => args.run(),
        Command::Org(command) => command.run(),
        Command::User(command) => command.run(),
        Command::Token(command) => command.run(),
        Command::Collection(command) => command.run(),
        Command::Ledger(command) => command.run(),
        Command::Peer(command) => command.run(),
        Command::Sync(args) => args.run(),
        Command::Review(command) => command.run(),
        Command::Erase(args) => args.run(),
        Command::Match(args) => args.run(),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("meridian: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr so that stdout stays machine-readable.
fn init_tracing(filter: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let filter = match filter {
        Some(f) => EnvFilter::new(f),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
