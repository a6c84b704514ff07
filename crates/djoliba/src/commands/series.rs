use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use store::series::SeriesMeta;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum SeriesCommand {
    /// Import an HXL-tagged CSV or XLSX of aggregate figures published by others.
    Import {
        file: PathBuf,
        /// A unique name, e.g. "DTM Mali round 14".
        #[arg(long)]
        name: String,
        /// Who published it: "IOM DTM", "CMP", "UNHCR", "IDMC"…
        #[arg(long)]
        source: String,
        /// How it was produced.
        #[arg(long)]
        method: String,
        /// Population group counted.
        #[arg(long, default_value = "IDP")]
        group: String,
        /// The day the source published it (YYYY-MM-DD), when it is not the day of the figures.
        #[arg(long)]
        published_on: Option<String>,
        /// The date the figures refer to, when the file has no #date column: a day, a month
        /// (2024-03) or a year (2023), a month or year meaning its last day.
        #[arg(long)]
        date: Option<String>,
        /// Store the matched rows even if some places could not be matched (counted).
        #[arg(long)]
        skip_unmatched: bool,
        /// The series exists: store this file as its new version (the previous one is kept).
        #[arg(long)]
        replace: bool,
        /// Leave out the columns whose tags are outside the HXL vocabulary instead of refusing.
        #[arg(long)]
        accept_unknown_tags: bool,
    },
    /// List the series.
    List,
    /// A series (id or name): its versions and its current figures.
    Show { series: String },
    /// Remove a series from every comparison (its versions are kept for the audit).
    Remove { series: String },
}

pub fn run(cli: &Cli, cmd: &SeriesCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    match cmd {
        SeriesCommand::Import {
            file,
            name,
            source,
            method,
            group,
            published_on,
            date,
            skip_unmatched,
            replace,
            accept_unknown_tags,
        } => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let meta = SeriesMeta {
                name: name.clone(),
                source: source.clone(),
                method: method.clone(),
                population_group: Some(group.clone()),
                published_on: published_on.clone(),
            };
            let outcome = store
                .import_series_file(
                    &Actor::system(),
                    &meta,
                    exchange::InputFile { name: file_name, bytes },
                    &store::series::SeriesOptions {
                        date: date.clone(),
                        skip_unmatched: *skip_unmatched,
                        replace: *replace,
                        accept_unknown_tags: *accept_unknown_tags,
                    },
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for e in &outcome.errors {
                eprintln!("  {e}");
            }
            let Some(report) = outcome.report else {
                eprintln!("Nothing was imported: the file could not be read as a series.");
                return Ok(ExitCode::from(2));
            };
            println!(
                "{} rows: {} matched by code, {} through the 2015→2021 crosswalk, {} by name, {} by alias; {} unmatched.",
                report.rows, report.matched_by_code, report.matched_by_crosswalk, report.matched_by_name, report.matched_by_alias, report.unmatched.len()
            );
            for e in &report.unmatched {
                eprintln!("  {e}");
            }
            if report.people_skipped > 0 {
                eprintln!("The unmatched rows hold {} people.", report.people_skipped);
            }
            for column in &report.columns_left_out {
                eprintln!("  left out (tag outside the HXL vocabulary): {column}");
            }
            match report.series_id {
                Some(id) => println!("Stored as series {id}, version {}.", report.version.unwrap_or(1)),
                None => {
                    eprintln!("Nothing was stored: fix the places above, or import again with --skip-unmatched.");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        SeriesCommand::List => {
            for s in store.list_series()? {
                println!(
                    "{}\tv{}\t{}\t{}\t{}\t{} rows ({} skipped, {} people)\t{} to {}",
                    s.name,
                    s.version,
                    s.source,
                    s.population_group,
                    s.method,
                    s.rows,
                    s.rows_skipped,
                    s.people_skipped,
                    s.first_date.unwrap_or_default(),
                    s.last_date.unwrap_or_default()
                );
            }
        }
        SeriesCommand::Show { series } => {
            let detail = store.series_detail(series)?;
            println!("{}", serde_json::to_string_pretty(&detail)?);
        }
        SeriesCommand::Remove { series } => {
            store.remove_series(&Actor::system(), series)?;
            println!("Removed {series} from every comparison; its versions are kept.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
