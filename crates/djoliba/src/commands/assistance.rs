//! `djoliba assistance`: the programmes with their rounds, and reach over a period (each
//! person counted once) as HXL-tagged CSV/XLSX or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum AssistanceCommand {
    /// List the programmes and their rounds, with what was planned and delivered.
    Programmes,
    /// People and households reached over a period, by sector, kind of assistance and place.
    Reach {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// Level of the places: 1 région, 2 cercle, 3 commune.
        #[arg(long, default_value_t = 2)]
        level: i64,
        /// csv (HXL-tagged), xlsx (HXL-tagged) or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output (required for xlsx).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

pub fn run(cli: &Cli, cmd: &AssistanceCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    let actor = Actor::system();
    match cmd {
        AssistanceCommand::Programmes => {
            for p in store.list_programmes()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} → {}\t{} {} / {}",
                    p.code,
                    p.name,
                    p.organisation,
                    p.sector,
                    p.kind.as_str(),
                    p.start_date,
                    p.end_date,
                    p.amount,
                    p.unit.as_str(),
                    p.per.as_str()
                );
                for cycle in store.list_cycles(&actor, &p.id)? {
                    let progress = cycle
                        .progress
                        .map(|g| {
                            format!(
                                "planned {}, reached {}, delivered {} of {} {}",
                                g.entitlements,
                                g.reached,
                                g.delivered_quantity,
                                g.entitled_quantity,
                                p.unit.as_str()
                            )
                        })
                        .unwrap_or_default();
                    println!(
                        "  {}\t{} → {}\t{}\t{progress}",
                        cycle.name,
                        cycle.start_date,
                        cycle.end_date,
                        cycle.status.as_str()
                    );
                }
            }
        }
        AssistanceCommand::Reach { from, to, level, format, output } => {
            let reach = store.reach(&actor, from, to, *level)?;
            eprintln!(
                "{} people in {} household(s) reached by {} delivery(ies), {from} → {to}",
                reach.people, reach.households, reach.deliveries
            );
            let table = reach.hxl_table(&store.gazetteer);
            let bytes = match format.as_str() {
                "json" => serde_json::to_vec_pretty(&reach)?,
                "csv" => exchange::figures::csv(&table)?,
                "xlsx" => exchange::figures::xlsx(&[table])?,
                other => bail!("--format {other:?}: expected csv, xlsx or json"),
            };
            match output {
                Some(path) => {
                    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?
                }
                None if format == "xlsx" => bail!("an XLSX workbook goes to a file: add --output FILE.xlsx"),
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
