//! One module per subcommand, and what they share: finding and opening the database.

pub mod assistance;
pub mod audit;
pub mod backup;
pub mod doctor;
pub mod export;
pub mod factsheet;
pub mod figures;
pub mod funding;
pub mod import;
pub mod linkage;
pub mod migrate;
pub mod office;
pub mod org;
pub mod plan;
pub mod series;
pub mod serve;
pub mod site;
pub mod sync;
pub mod token;
pub mod user;

use anyhow::Context;
use store::{Store, Target};

use crate::Cli;

pub fn target(cli: &Cli) -> anyhow::Result<Target> {
    match &cli.database_url {
        Some(url) => Ok(Target::parse_url(url)?),
        None => Ok(Target::default_sqlite(&cli.data_dir)),
    }
}

/// Opens the database for a command that only reads or copies it: a data folder without one is
/// an error (answering from a new, empty database would look as if all were well).
pub fn open_existing(cli: &Cli) -> anyhow::Result<Store> {
    if let Target::Sqlite { path, create: true } = target(cli)? {
        if !path.exists() {
            let demo = cli.data_dir.with_file_name(format!(
                "{}-demo",
                cli.data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            ));
            let hint = if demo.join("djoliba.sqlite").exists() {
                format!("; the demo's database is in {} (add --data-dir {})", demo.display(), demo.display())
            } else {
                "; start Djoliba once with `djoliba serve`, or name the folder with --data-dir".to_string()
            };
            anyhow::bail!("there is no Djoliba database in {}{hint}", cli.data_dir.display());
        }
    }
    open(cli)
}

/// Opens the database, applying pending migrations (with a backup first on SQLite).
pub fn open(cli: &Cli) -> anyhow::Result<Store> {
    let target = target(cli)?;
    if let store::Target::Sqlite { path, .. } = &target {
        backup::remove_stale_plain_copies(path.parent().unwrap_or(std::path::Path::new(".")));
    }
    let (store, report) =
        Store::open(&target).with_context(|| format!("cannot open the database ({})", target.describe()))?;
    if let Some(backup) = &report.backup {
        eprintln!("Copied the database to {} before migrating.", backup.display());
    }
    if !report.migrations_applied.is_empty() {
        eprintln!("Applied database migrations {:?}.", report.migrations_applied);
    }
    Ok(store)
}

/// Reads a password from standard input (first line), for scripts: `echo … | djoliba user add`.
pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Writes figures as JSON or as an HXL table (CSV or XLSX) to `output`, or CSV and JSON to
/// stdout.
/// A file on disk as an import reads it, named by its last component.
pub(crate) fn input_file(path: &std::path::Path) -> anyhow::Result<exchange::InputFile> {
    use anyhow::Context;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(exchange::InputFile { name, bytes })
}

pub(crate) fn write_table(
    value: serde_json::Value,
    table: exchange::figures::HxlTable,
    format: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let bytes = match format {
        "json" => serde_json::to_vec_pretty(&value)?,
        "csv" => exchange::figures::csv(&table)?,
        "xlsx" => exchange::figures::xlsx(&[table])?,
        other => anyhow::bail!("--format {other:?}: expected csv, xlsx or json"),
    };
    match output {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None if format == "xlsx" => anyhow::bail!("an XLSX workbook goes to a file: add --output FILE.xlsx"),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}
