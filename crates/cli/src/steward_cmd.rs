//! `meridian review` (the queue of object versions held back because personal-data detection
//! was unsure) and `meridian erase` (remove an object everywhere it went).

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::node_cmd::DataDir;

/// `meridian review ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReviewCommand {
    /// List reviews waiting for a verdict (all reviews with `--all`).
    List {
        #[command(flatten)]
        data: DataDir,
        /// Also list reviews that already have a verdict.
        #[arg(long)]
        all: bool,
    },
    /// The uncertain findings are not personal data: let the version be shared (certain
    /// findings are still minimised as each agreement says).
    Approve {
        #[command(flatten)]
        data: DataDir,
        /// The review's number (from `review list`).
        id: i64,
        /// Who decides (recorded with the verdict).
        #[arg(long, env = "USER", default_value = "operator")]
        by: String,
    },
    /// Keep the version from leaving this node for recipients that minimise personal data.
    Reject {
        #[command(flatten)]
        data: DataDir,
        /// The review's number (from `review list`).
        id: i64,
        /// Who decides (recorded with the verdict).
        #[arg(long, env = "USER", default_value = "operator")]
        by: String,
    },
}

impl ReviewCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            ReviewCommand::List { data, all } => {
                let node = data.open()?;
                let reviews =
                    node.ledger().reviews(!all).context("cannot read the review queue")?;
                if reviews.is_empty() {
                    eprintln!("meridian: no review {}", if all { "yet" } else { "is waiting" });
                }
                for r in reviews {
                    let verdict = match &r.verdict {
                        Some((v, by, at)) => format!(
                            "{} by {by} at {}",
                            match v {
                                store::Verdict::Approved => "approved",
                                store::Verdict::Rejected => "rejected",
                            },
                            service::micros_to_timestamp(*at)
                        ),
                        None => "pending".into(),
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        service::micros_to_timestamp(r.queued_at),
                        r.request.object_id,
                        r.request.version,
                        r.request.recipient,
                        r.hits,
                        r.request.reason,
                        verdict
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            ReviewCommand::Approve { data, id, by } => {
                decide(&data, id, store::Verdict::Approved, &by)
            }
            ReviewCommand::Reject { data, id, by } => {
                decide(&data, id, store::Verdict::Rejected, &by)
            }
        }
    }
}

fn decide(data: &DataDir, id: i64, verdict: store::Verdict, by: &str) -> anyhow::Result<ExitCode> {
    let node = data.open()?;
    let review = node
        .ledger()
        .decide_review(id, verdict, by, service::now_micros())
        .with_context(|| format!("review {id}"))?;
    let r = &review.request;
    match verdict {
        store::Verdict::Approved => println!(
            "Approved review {id}: {} ({}) may be shared; certain personal data is still minimised.",
            r.object_id, r.version
        ),
        store::Verdict::Rejected => {
            println!("Rejected review {id}: {} ({}) stays on this node.", r.object_id, r.version)
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `meridian erase ID`.
#[derive(Debug, Args)]
pub(crate) struct EraseArgs {
    #[command(flatten)]
    data: DataDir,
    /// The object to erase (every version, from every collection).
    id: String,
    /// Why (recorded in the ledger and sent to partners), e.g. `data-subject request 2026-117`.
    #[arg(long)]
    reason: String,
}

impl EraseArgs {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let node = self.data.open()?;
        let erased = node
            .erase(&self.id, &self.reason, "admin:command-line")
            .with_context(|| format!("cannot erase `{}`", self.id))?;
        if erased.already {
            println!("{} was already erased; {} versions removed now.", self.id, erased.versions);
        } else {
            println!("Erased {}: {} versions removed from this node.", self.id, erased.versions);
        }
        // Tell the partners now; what cannot be delivered is retried at every sync.
        let mut pending = false;
        for peer in self.data.federation()?.peers()? {
            match service::federation::propagate_erasures(&node, &peer) {
                Ok(report) => {
                    if report.delivered > 0 {
                        println!("{}: erasure delivered", peer.name);
                    }
                    if report.awaiting_pull > 0 {
                        println!("{}: the erasure is published for its next pull", peer.name);
                    }
                    for (object, why) in report.undelivered {
                        pending = true;
                        eprintln!(
                            "meridian: {}: erasure of {object} not delivered: {why}",
                            peer.name
                        );
                    }
                }
                Err(e) => {
                    pending = true;
                    eprintln!("meridian: {}: erasure not delivered: {e:#}", peer.name);
                }
            }
        }
        Ok(if pending { ExitCode::from(1) } else { ExitCode::SUCCESS })
    }
}
