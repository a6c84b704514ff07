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
        #[arg(long)]
        published_on: Option<String>,
        /// The date the figures refer to, when the file has no #date column.
        #[arg(long)]
        date: Option<String>,
        /// Store the matched rows even if some places could not be matched.
        #[arg(long)]
        skip_unmatched: bool,
    },
    /// List the series.
    List,
}

pub fn run(cli: &Cli, cmd: &SeriesCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    match cmd {
        SeriesCommand::Import { file, name, source, method, group, published_on, date, skip_unmatched } => {
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
                    date.as_deref(),
                    *skip_unmatched,
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
            match report.series_id {
                Some(id) => println!("Stored as series {id}."),
                None => {
                    eprintln!("Nothing was stored: fix the places above, or import again with --skip-unmatched.");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        SeriesCommand::List => {
            for s in store.list_series()? {
                println!(
                    "{}\t{}\t{}\t{}\t{} rows ({} skipped)\t{} to {}",
                    s.name,
                    s.source,
                    s.population_group,
                    s.method,
                    s.rows,
                    s.rows_skipped,
                    s.first_date.unwrap_or_default(),
                    s.last_date.unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
