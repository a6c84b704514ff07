use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use store::Actor;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// Stock at this date (YYYY-MM-DD; default today).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Flows instead of stock: the period (FROM, TO], with --to.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// With --as-of: the registry next to each external series, per place, with coverage.
    #[arg(long)]
    pub compare: bool,
    /// With --as-of: every population group of concern (IDPs, returned IDPs, refugees,
    /// asylum seekers, returnees, others of concern), the registry beside each series' figure.
    #[arg(long, conflicts_with = "compare")]
    pub population: bool,
    /// With csv, the table of several: flows, origin_destination or stock_and_flow (flows);
    /// registry or series (--population). One table a file; an XLSX holds them all.
    #[arg(long)]
    pub table: Option<String>,
    /// Level: 1 région, 2 cercle, 3 commune, 4 site (0, Mali, with --compare or --population).
    #[arg(long, default_value_t = 1)]
    pub level: u8,
    /// Population group code (IDP, REF, RET…); all when absent.
    #[arg(long)]
    pub group: Option<String>,
    /// csv (HXL-tagged), xlsx (HXL-tagged) or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// For publication: suppress counts of fewer people than the threshold (and the second
    /// counts that would give them away), as viewers see them.
    #[arg(long)]
    pub public: bool,
    /// The threshold of --public.
    #[arg(long, env = "DJOLIBA_DISCLOSURE_THRESHOLD", default_value_t = store::DEFAULT_DISCLOSURE_THRESHOLD)]
    pub disclosure_threshold: u64,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    store.set_disclosure_threshold(args.disclosure_threshold);
    // A public export is what a viewer gets: aggregates with disclosure control.
    let actor = if args.public { Actor { role: domain::Role::Viewer, ..Actor::system() } } else { Actor::system() };
    let gazetteer = store.gazetteer.clone();
    let bytes = match (&args.from, &args.to) {
        (Some(from), Some(to)) => {
            let report = store.flow_figures(&actor, from, to, args.level, args.group.as_deref())?;
            let tables = exchange::figures::flow_tables(&report, &gazetteer);
            match args.format.as_str() {
                "json" => serde_json::to_vec_pretty(&report)?,
                "csv" => one_table(tables, args.table.as_deref().unwrap_or("flows"))?,
                "xlsx" => exchange::figures::xlsx(&tables)?,
                other => bail!("--format {other:?}: expected csv, xlsx or json"),
            }
        }
        _ if args.population => {
            let as_of = args.as_of.clone().unwrap_or_else(|| store.today().to_string());
            let report = store.population_of_concern(&actor, &as_of, args.level)?;
            let tables = exchange::figures::concern_tables(&report);
            match args.format.as_str() {
                "json" => serde_json::to_vec_pretty(&report)?,
                "csv" => one_table(tables, args.table.as_deref().unwrap_or("registry"))?,
                "xlsx" => exchange::figures::xlsx(&tables)?,
                other => bail!("--format {other:?}: expected csv, xlsx or json"),
            }
        }
        _ if args.compare => {
            let as_of = args.as_of.clone().unwrap_or_else(|| store.today().to_string());
            let comparison = store.compare(&actor, &as_of, args.level, args.group.as_deref().unwrap_or("IDP"))?;
            if comparison.coarser_rows_left_out > 0 {
                eprintln!(
                    "note: {} figure(s) of {} are for places coarser than level {} and are left out of this table",
                    comparison.coarser_rows_left_out,
                    comparison.series_with_coarser_rows.join(", "),
                    comparison.level
                );
            }
            let table = exchange::figures::comparison_table(&comparison);
            match args.format.as_str() {
                "json" => serde_json::to_vec_pretty(&comparison)?,
                "csv" => exchange::figures::csv(&table)?,
                "xlsx" => exchange::figures::xlsx(&[table])?,
                other => bail!("--format {other:?}: expected csv, xlsx or json"),
            }
        }
        _ => {
            let as_of = args.as_of.clone().unwrap_or_else(|| store.today().to_string());
            let report = store.stock_figures(&actor, &as_of, args.level, args.group.as_deref())?;
            if report.idp_households_without_displacement > 0 {
                eprintln!(
                    "note: {} registered IDP household(s) have no displacement recorded and are not counted in the IDP stock",
                    report.idp_households_without_displacement
                );
            }
            let table = exchange::figures::stock_table(&report, &gazetteer);
            match args.format.as_str() {
                "json" => serde_json::to_vec_pretty(&report)?,
                "csv" => exchange::figures::csv(&table)?,
                "xlsx" => exchange::figures::xlsx(&[table])?,
                other => bail!("--format {other:?}: expected csv, xlsx or json"),
            }
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None if args.format == "xlsx" => bail!("an XLSX workbook goes to a file: add --output FILE.xlsx"),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One of several tables as a CSV file: HXL tools read one header and one tag row a file.
fn one_table(tables: Vec<exchange::figures::HxlTable>, wanted: &str) -> anyhow::Result<Vec<u8>> {
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let names = names.join(", ");
    match tables.into_iter().find(|t| t.name == wanted) {
        Some(table) => Ok(exchange::figures::csv(&table)?),
        None => bail!("--table {wanted:?}: expected one of {names} (an XLSX holds them all)"),
    }
}
