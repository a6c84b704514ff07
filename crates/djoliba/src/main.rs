//! `djoliba`: the one binary. Each subcommand lives in `commands/`.

mod commands;
mod demo;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc, not the system's malloc: see its line in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "djoliba", version, about = "Djoliba: registry and figures for displacement response")]
pub struct Cli {
    /// Folder for the SQLite database, backups and other data.
    #[arg(long, global = true, default_value = "djoliba-data", env = "DJOLIBA_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Database URL: postgres://USER@HOST/DB for PostgreSQL, or sqlite://PATH for another SQLite
    /// file. Default: djoliba.sqlite in the data folder.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web interface and the API.
    Serve(commands::serve::Args),
    /// Import households, people and movements from CSV or XLSX (all or nothing).
    Import(commands::import::Args),
    /// Export the registry as CSV or XLSX, in the import format.
    Export(commands::export::Args),
    /// Figures: IDP stock at a date (IRIS), or flows over a period, as HXL-tagged CSV/XLSX or JSON.
    Figures(commands::figures::Args),
    /// Presence: each organisation's offices and staff, and its implementing partners.
    #[command(subcommand)]
    Office(commands::office::OfficeCommand),
    /// The operation factsheet (two pages, PDF) at a date, in French or English.
    Factsheet(commands::factsheet::Args),
    /// External series (DTM, CMP, UNHCR, IDMC figures): import and list.
    #[command(subcommand)]
    Series(commands::series::SeriesCommand),
    /// The tamper-evident audit log: verify it, list it.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Duplicate detection: on files (dedup, generate, evaluate) and in the registry (run, queue, decide).
    #[command(subcommand)]
    Linkage(commands::linkage::LinkageCommand),
    /// Assistance: the programmes and their rounds; reach over a period, each person once.
    #[command(subcommand)]
    Assistance(commands::assistance::AssistanceCommand),
    /// Response plans: create, indicators, targets from an HXL sheet, progress against them.
    #[command(subcommand)]
    Plan(commands::plan::PlanCommand),
    /// The money: funding sheets imported (FTS flows, requirements, budgets, projects), % funded, cost per person.
    #[command(subcommand)]
    Funding(commands::funding::FundingCommand),
    /// The 4W: who does what where, when, for whom; partners' 3W/5W sheets imported.
    #[command(subcommand)]
    WhoWhatWhere(commands::funding::WhoWhatWhereCommand),
    /// Displacement sites: add, list (figures count by site at level 4).
    #[command(subcommand)]
    Site(commands::site::SiteCommand),
    /// API tokens for programs: create (read or write, with an expiry), list, revoke.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Offline sync with the office this node enrolled with: init, enrol, connect, push, pull, status; bundle files.
    Sync(commands::sync::Args),
    /// Manage users.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Org(commands::org::OrgCommand),
    /// Copy the SQLite database consistently, even while the server runs; encrypted on request.
    Backup(commands::backup::Args),
    /// Put a backup (encrypted or not) back as the data folder's database.
    Restore(commands::backup::RestoreArgs),
    /// Apply pending database migrations (also done at every start), or show their status.
    Migrate(commands::migrate::Args),
    /// Check the setup and say what is wrong.
    Doctor,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("DJOLIBA_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_target(false)
        // Colour codes only for a person at a terminal, never in a log file or a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match &cli.command {
        Command::Serve(args) => commands::serve::run(&cli, args),
        Command::Import(args) => commands::import::run(&cli, args),
        Command::Export(args) => commands::export::run(&cli, args),
        Command::Figures(args) => commands::figures::run(&cli, args),
        Command::Series(cmd) => commands::series::run(&cli, cmd),
        Command::Factsheet(args) => commands::factsheet::run(&cli, args),
        Command::Office(cmd) => commands::office::run(&cli, cmd),
        Command::Audit(cmd) => commands::audit::run(&cli, cmd),
        Command::Linkage(cmd) => commands::linkage::run(&cli, cmd),
        Command::Token(cmd) => commands::token::run(&cli, cmd),
        Command::Assistance(cmd) => commands::assistance::run(&cli, cmd),
        Command::Plan(cmd) => commands::plan::run(&cli, cmd),
        Command::Funding(cmd) => commands::funding::run(&cli, cmd),
        Command::WhoWhatWhere(cmd) => commands::funding::run_who_what_where(&cli, cmd),
        Command::Site(cmd) => commands::site::run(&cli, cmd),
        Command::Sync(args) => commands::sync::run(&cli, args),
        Command::User(cmd) => commands::user::run(&cli, cmd),
        Command::Org(cmd) => commands::org::run(&cli, cmd),
        Command::Backup(args) => commands::backup::run(&cli, args),
        Command::Restore(args) => commands::backup::restore(&cli, args),
        Command::Migrate(args) => commands::migrate::run(&cli, args),
        Command::Doctor => commands::doctor::run(&cli),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
