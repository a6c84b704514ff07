use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use exchange::columns::TableKind;
use store::Actor;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// An .xlsx file, or with --format csv a folder that receives households.csv, people.csv
    /// and movements.csv.
    #[arg(long, short)]
    pub output: PathBuf,
    /// xlsx or csv; by default from the output's extension.
    #[arg(long)]
    pub format: Option<String>,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let format = match &args.format {
        Some(f) => f.to_ascii_lowercase(),
        None if args.output.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) => "xlsx".into(),
        None => "csv".into(),
    };
    let store = super::open_existing(cli)?;
    let tables = store::export::registry_tables(&store, &Actor::system())?;
    match format.as_str() {
        "xlsx" => {
            std::fs::write(&args.output, exchange::export::xlsx(Some(&tables))?)
                .with_context(|| format!("cannot write {}", args.output.display()))?;
            println!("Exported {} households to {}", tables.households.len(), args.output.display());
        }
        "csv" => {
            std::fs::create_dir_all(&args.output)
                .with_context(|| format!("cannot create the folder {}", args.output.display()))?;
            for kind in TableKind::ALL {
                let path = args.output.join(format!("{}.csv", kind.name()));
                std::fs::write(&path, exchange::export::csv_table(kind, exchange::export::table_rows(&tables, kind))?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            println!(
                "Exported {} households, {} people, {} movements to {}",
                tables.households.len(),
                tables.people.len(),
                tables.movements.len(),
                args.output.display()
            );
        }
        other => bail!("--format {other:?}: expected xlsx or csv"),
    }
    Ok(ExitCode::SUCCESS)
}
