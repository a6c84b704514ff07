use std::path::PathBuf;
use std::process::ExitCode;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// The copy to write (must not exist). Default: backups/djoliba-TIMESTAMP.sqlite in the
    /// data folder.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    let output = match &args.output {
        Some(path) => path.clone(),
        None => {
            let dir = cli.data_dir.join("backups");
            std::fs::create_dir_all(&dir)?;
            dir.join(format!("djoliba-{}.sqlite", store.now().format("%Y%m%dT%H%M%SZ")))
        }
    };
    store.db.sqlite_backup(&output)?;
    println!("Backup written to {}", output.display());
    Ok(ExitCode::SUCCESS)
}
