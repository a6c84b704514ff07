//! `djoliba funding` (requirements, FTS-shaped flows, budgets and projects imported from HXL
//! sheets; % funded, the gap and cost per person reached) and `djoliba who-what-where` (the
//! 4W table, and partners' 3W/5W sheets imported).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum FundingCommand {
    /// Import a funding sheet in HXL (CSV or XLSX): FTS flows, requirements, budgets and
    /// expenditure, or projects, told by their hashtags. All or nothing.
    Import {
        file: PathBuf,
        /// Check every row and report, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Requested, received, % funded and the gap per plan, sector and year.
    Show {
        /// A year (2024); every year when absent.
        #[arg(long)]
        year: Option<i32>,
        /// csv (HXL-tagged), xlsx (HXL-tagged) or json (everything: also budgets and projects).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Cost per distinct person reached per sector × région × year.
    Cost {
        /// A year (2024); every year when absent.
        #[arg(long)]
        year: Option<i32>,
        /// csv (HXL-tagged), xlsx or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum WhoWhatWhereCommand {
    /// The 4W over a period: organisation × sector × activity × place × month × group.
    Show {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// 1 (région) or 2 (cercle).
        #[arg(long, default_value_t = 2)]
        level: i64,
        /// csv (HXL 3W tags), xlsx or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Import a partner's 3W/5W sheet in HXL (all or nothing).
    Import {
        file: PathBuf,
        /// Check every row and report, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Prints what an import did, or every bad cell (and fails).
fn said(counts: Option<(usize, usize, usize, usize, bool)>, errors: &[exchange::import::RowError]) -> ExitCode {
    match counts {
        Some((rows, added, changed, unchanged, dry_run)) => {
            println!(
                "{}{rows} row(s): {added} added, {changed} changed, {unchanged} unchanged",
                if dry_run { "checked, nothing written: " } else { "" }
            );
            ExitCode::SUCCESS
        }
        None => super::assistance::refused(errors),
    }
}

pub fn run(cli: &Cli, cmd: &FundingCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    let actor = Actor::system();
    match cmd {
        FundingCommand::Import { file, dry_run } => {
            let outcome = match store.import_funding_file(&actor, super::input_file(file)?, *dry_run) {
                Ok(outcome) => outcome,
                Err(store::import::ImportError::File(e)) => anyhow::bail!("{e}"),
                Err(store::import::ImportError::Store(e)) => return Err(e.into()),
            };
            if let Some(r) = &outcome.report {
                println!("read as {}", r.kind);
                for (label, rows) in &r.not_specified {
                    println!("sector {label:?} is not in the code list: counted as not specified ({rows} row(s))");
                }
                if r.without_amount > 0 {
                    println!("{} line(s) without an amount required left out", r.without_amount);
                }
            }
            let counts = outcome.report.map(|r| (r.rows, r.added, r.changed, r.unchanged, r.dry_run));
            return Ok(said(counts, &outcome.errors));
        }
        FundingCommand::Show { year, format, output } => {
            let overview = store.funding_overview(&actor, *year)?;
            super::write_table(serde_json::to_value(&overview)?, overview.hxl_table(), format, output.as_deref())?;
        }
        FundingCommand::Cost { year, format, output } => {
            let overview = store.funding_overview(&actor, *year)?;
            let value =
                serde_json::json!({"cost_per_person": overview.cost_per_person, "sector_money": overview.sector_money});
            super::write_table(value, overview.cost_hxl_table(&store.gazetteer), format, output.as_deref())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_who_what_where(cli: &Cli, cmd: &WhoWhatWhereCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    let actor = Actor::system();
    match cmd {
        WhoWhatWhereCommand::Show { from, to, level, format, output } => {
            let table = store.who_what_where(&actor, from, to, *level)?;
            super::write_table(
                serde_json::to_value(&table)?,
                table.hxl_table(&store.gazetteer),
                format,
                output.as_deref(),
            )?;
        }
        WhoWhatWhereCommand::Import { file, dry_run } => {
            let outcome = match store.import_activity_file(&actor, super::input_file(file)?, *dry_run) {
                Ok(outcome) => outcome,
                Err(store::import::ImportError::File(e)) => anyhow::bail!("{e}"),
                Err(store::import::ImportError::Store(e)) => return Err(e.into()),
            };
            let counts = outcome.report.map(|r| (r.rows, r.added, r.changed, r.unchanged, r.dry_run));
            return Ok(said(counts, &outcome.errors));
        }
    }
    Ok(ExitCode::SUCCESS)
}
