use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain: exit 1 and name the first bad row if it was altered.
    /// With checkpoints (files written by `audit checkpoint` and kept off this machine), also
    /// check that the chain still passes through each: a rewritten chain is detected.
    Verify {
        /// A checkpoint file the chain must still pass through (repeat for several).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<std::path::PathBuf>,
    },
    /// Write the chain's head as a one-line checkpoint, to keep somewhere else (the country
    /// office, a mail): whoever holds this database cannot rewrite the log past it unnoticed.
    Checkpoint {
        /// The file to write (must not exist); without it, the line is printed.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Print the latest audit rows, filtered by user, action and days.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Only what this username did.
        #[arg(long)]
        user: Option<String>,
        /// Only this action (sign_in, register, duplicates.accept…).
        #[arg(long)]
        action: Option<String>,
        /// From this day (YYYY-MM-DD, UTC).
        #[arg(long)]
        from: Option<String>,
        /// To this day (YYYY-MM-DD, UTC), included.
        #[arg(long)]
        to: Option<String>,
    },
}

pub fn run(cli: &Cli, cmd: &AuditCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    match cmd {
        AuditCommand::Checkpoint { output } => {
            let line = store.audit_checkpoint()?.to_line();
            match output {
                Some(path) => {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(path)
                        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{line}\n").as_bytes()))
                        .with_context(|| format!("{}: cannot be written (it must not exist)", path.display()))?;
                    println!("Checkpoint written to {}: keep a copy away from this machine.", path.display());
                }
                None => println!("{line}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { checkpoints } => {
            let mut points = Vec::new();
            for path in checkpoints {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("{}: cannot be read", path.display()))?;
                let point = store::audit::Checkpoint::parse(&text).ok_or_else(|| {
                    anyhow::anyhow!("{}: not a checkpoint written by `djoliba audit checkpoint`", path.display())
                })?;
                points.push(point);
            }
            let check = store.verify_audit_against(&points)?;
            // Other offices' logs, shipped here by sync: each chain checked apart.
            let mut nodes_intact = true;
            for node in store.verify_node_audits()? {
                let name = node.name.unwrap_or_else(|| node.node_id.clone());
                match node.problem {
                    None => println!(
                        "The audit log of node {name} is intact: {} rows in {} epoch(s).",
                        node.rows, node.epochs
                    ),
                    Some(problem) => {
                        nodes_intact = false;
                        println!("The audit log of node {name} was tampered with: {problem}.");
                    }
                }
            }
            if !nodes_intact {
                return Ok(ExitCode::FAILURE);
            }
            match check.problem {
                None => {
                    println!(
                        "The audit log is intact: {} rows, every hash and link checked{}.",
                        check.rows,
                        if points.is_empty() {
                            String::new()
                        } else {
                            format!(", through {} checkpoint(s)", points.len())
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(problem) => {
                    println!("The audit log was tampered with: {problem}.");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::List { limit, user, action, from, to } => {
            let filter = store::audit::AuditFilter {
                user: user.clone(),
                action: action.clone(),
                from: from.clone(),
                to: to.clone(),
            };
            for e in store.audit_search(&Actor::system(), &filter, *limit, 0)? {
                println!("{}\t{}\t{}\t{}\t{} {}\t{}", e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.detail);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
