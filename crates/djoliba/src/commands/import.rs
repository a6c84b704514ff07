use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use exchange::{Encoding, ImportOptions, InputFile};
use indicatif::{ProgressBar, ProgressStyle};
use store::Actor;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// One combined CSV, three CSVs (households, people, movements), or an XLSX workbook.
    pub files: Vec<PathBuf>,
    /// Do everything the import would, then roll it back: every error it would meet, and
    /// what it would create, update or leave unchanged.
    #[arg(long)]
    pub dry_run: bool,
    /// Text encoding of CSV files: auto (UTF-8, else Windows-1252), utf-8 or windows-1252.
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// Organisation of rows that name none.
    #[arg(long)]
    pub organisation: Option<String>,
    /// Write every bad row to this CSV file too.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Write the blank template (XLSX, or CSV of one table with --table) to this file and stop.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// With --template and a .csv file: households, people or movements.
    #[arg(long, default_value = "households")]
    pub table: String,
    /// With --template: the workbook's language, fr or en (headers, notes, drop-down lists).
    #[arg(long, default_value = "en", value_parser = ["fr", "en"])]
    pub lang: String,
    /// Print the documented columns and stop.
    #[arg(long)]
    pub columns: bool,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    if args.columns {
        println!("{}", exchange::export::columns_markdown());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.template {
        let bytes = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            let kind = exchange::columns::TableKind::from_label(&args.table)
                .context("--table must be households, people or movements")?;
            exchange::export::csv_table(kind, &[])?
        } else {
            let lang = if args.lang == "fr" { domain::Lang::Fr } else { domain::Lang::En };
            // The built-in reference lists: a template needs no database.
            let groups = domain::places::Gazetteer::built_in().population_group_codes();
            exchange::export::template(lang, &groups)?
        };
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("Template written to {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if args.files.is_empty() {
        bail!("name the files to import (or --template FILE for a blank template)");
    }
    let encoding = match args.encoding.to_ascii_lowercase().as_str() {
        "auto" => Encoding::Auto,
        "utf-8" | "utf8" => Encoding::Utf8,
        "windows-1252" | "cp1252" | "latin1" => Encoding::Windows1252,
        other => bail!("--encoding {other:?}: expected auto, utf-8 or windows-1252"),
    };
    let mut files = Vec::new();
    for path in &args.files {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        files.push(InputFile { name, bytes });
    }
    let store = super::open(cli)?;
    let mut actor = Actor::system();
    if let Some(code) = &args.organisation {
        let org = store
            .organisation(code)?
            .with_context(|| format!("no organisation {code:?}: create it with djoliba org add"))?;
        actor.organisation_id = Some(org.id);
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {bar:30} {pos}/{len} households")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let options = ImportOptions { encoding, dry_run: args.dry_run };
    let report = store.import_files(&actor, files, options, &mut |phase, done, total| {
        bar.set_message(phase.to_string());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let report = report.map_err(|e| anyhow::anyhow!("{e}"))?;
    if !report.errors.is_empty() {
        eprintln!("Nothing was imported: {} problem(s) found.", report.errors.len());
        for e in &report.errors {
            eprintln!("  {e}");
        }
        if let Some(path) = &args.report {
            let mut writer =
                csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
            writer.write_record(["file", "row", "column", "value", "expected"])?;
            for e in &report.errors {
                writer.write_record(
                    [e.file.as_str(), &e.row.to_string(), &e.column, &e.value, &e.expected.to_string()]
                        .map(|c| exchange::tables::spreadsheet_safe(c).into_owned()),
                )?;
            }
            writer.flush()?;
            eprintln!("The problems are listed in {}", path.display());
        }
        return Ok(ExitCode::from(2));
    }
    if !report.ignored_columns.is_empty() {
        eprintln!("Ignored columns: {}", report.ignored_columns.join(", "));
    }
    let done = if report.dry_run { "Checked, nothing written (dry run); the import would make" } else { "Imported" };
    match &report.summary {
        Some(s) => println!(
            "{done}: households {} new, {} updated, {} unchanged; people {} new, {} updated, {} unchanged; movements {} new, {} unchanged.",
            s.households.created, s.households.updated, s.households.unchanged, s.people.created, s.people.updated, s.people.unchanged,
            s.movements.created, s.movements.unchanged
        ),
        None => println!("Checked {} households, {} people, {} movements: no problem found (dry run, nothing written).", report.households, report.people, report.movements),
    }
    Ok(ExitCode::SUCCESS)
}
