use std::process::ExitCode;

use store::{migrate, Db};

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// Only show which migrations are applied and pending.
    #[arg(long)]
    pub status: bool,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    if args.status {
        let db = Db::connect(&super::target(cli)?)?;
        let status = migrate::status(&db)?;
        println!("applied: {:?}\npending: {:?}", status.applied, status.pending);
        return Ok(ExitCode::SUCCESS);
    }
    super::open(cli)?;
    println!("The database is up to date.");
    Ok(ExitCode::SUCCESS)
}
