use std::process::ExitCode;

use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Add an organisation: `djoliba org add NRC "Norwegian Refugee Council"`.
    Add { code: String, name: String },
    /// List organisations.
    List,
    /// Let TO see FROM's records: none, aggregates, pseudonymised or full.
    Share { from: String, to: String, level: String },
    /// List the sharing agreements.
    Agreements,
}

pub fn run(cli: &Cli, cmd: &OrgCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    match cmd {
        OrgCommand::Add { code, name } => {
            let org = store.create_organisation(&Actor::system(), code, name)?;
            println!("Added {} ({})", org.code, org.name);
        }
        OrgCommand::Share { from, to, level } => {
            let a = store.set_agreement(&Actor::system(), from, to, level)?;
            println!("{} now shares with {}: {}", a.from, a.to, a.level);
        }
        OrgCommand::Agreements => {
            for a in store.agreements()? {
                println!("{}\t{}\t{}", a.from, a.to, a.level);
            }
        }
        OrgCommand::List => {
            for org in store.list_organisations()? {
                println!("{}\t{}", org.code, org.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
