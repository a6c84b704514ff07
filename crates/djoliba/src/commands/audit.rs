use std::process::ExitCode;

use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain: exit 1 and name the first bad row if it was altered.
    Verify,
    /// Print the latest audit rows.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub fn run(cli: &Cli, cmd: &AuditCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    match cmd {
        AuditCommand::Verify => {
            let check = store.verify_audit()?;
            match check.problem {
                None => {
                    println!("The audit log is intact: {} rows, every hash and link checked.", check.rows);
                    Ok(ExitCode::SUCCESS)
                }
                Some(problem) => {
                    println!("The audit log was tampered with: {problem}.");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::List { limit } => {
            for e in store.audit_entries(&Actor::system(), *limit, 0)? {
                println!("{}\t{}\t{}\t{}\t{} {}\t{}", e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.detail);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
