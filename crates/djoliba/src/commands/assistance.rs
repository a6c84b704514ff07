//! `djoliba assistance`: the programmes with their rounds, reach over a period (each person
//! counted once) as HXL-tagged CSV/XLSX or JSON, a round's lists and returns, and its
//! post-distribution monitoring.

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
        /// Level of the places: 1 région, 2 cercle, 3 commune, 4 site (a commune holds what was delivered off any site).
        #[arg(long, default_value_t = 2)]
        level: i64,
        /// csv (HXL-tagged), xlsx (HXL-tagged) or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output (required for xlsx).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// A round's distribution list for the field (XLSX), or with --payments the mobile-money
    /// payment file (CSV: phone, amount, reference for those still owed).
    List {
        /// The round's id (see `djoliba assistance programmes`).
        #[arg(long)]
        cycle: String,
        /// Write the list to this file (XLSX, or CSV with --payments).
        #[arg(long, short)]
        output: PathBuf,
        /// The mobile-money payment file (CSV) instead of the distribution list.
        #[arg(long)]
        payments: bool,
        /// Language of the workbook: fr or en.
        #[arg(long, default_value = "fr")]
        lang: String,
    },
    /// Import a completed distribution list (XLSX or CSV as exported): all or nothing, every
    /// bad row reported; rows already recorded are left as they were.
    Returns {
        /// The round's id (see `djoliba assistance programmes`).
        #[arg(long)]
        cycle: String,
        file: PathBuf,
        /// Check every row and report, record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Draw a post-distribution monitoring sample among the round's households who received
    /// something: at random (by default enough for ±5 points at 95 % confidence) or --full.
    /// With --output, the households to ask, in the order of the draw (CSV).
    Sample {
        /// The round's id (see `djoliba assistance programmes`).
        #[arg(long)]
        cycle: String,
        /// Every household who received, instead of a random sample.
        #[arg(long, conflicts_with = "size")]
        full: bool,
        /// How many households to draw at random.
        #[arg(long)]
        size: Option<usize>,
        /// Write the visit list (CSV) to this file.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// A round's monitoring samples with their answers counted, and whom to follow up.
    Monitoring {
        /// The round's id (see `djoliba assistance programmes`).
        #[arg(long)]
        cycle: String,
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
                        "  {}\t{}\t{} → {}\t{}\t{progress}",
                        cycle.id,
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
            super::write_table(
                serde_json::to_value(&reach)?,
                reach.hxl_table(&store.gazetteer),
                format,
                output.as_deref(),
            )?;
        }
        AssistanceCommand::List { cycle, output, payments, lang } => {
            let lang = match lang.as_str() {
                "fr" => domain::Lang::Fr,
                "en" => domain::Lang::En,
                other => bail!("--lang {other:?}: expected fr or en"),
            };
            let (heading, rows) = store.distribution_list(&actor, cycle)?;
            let bytes = if *payments {
                exchange::distribution::payment_csv(&rows)?
            } else {
                exchange::distribution::list_xlsx(&heading, &rows, lang)?
            };
            std::fs::write(output, bytes).with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!(
                "{} line(s) of {} — {} written to {}",
                rows.len(),
                heading.programme,
                heading.round,
                output.display()
            );
        }
        AssistanceCommand::Returns { cycle, file, dry_run } => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let returned = match exchange::distribution::read_returned(&name, &bytes) {
                Ok(returned) => returned,
                Err(exchange::distribution::ReturnedError::File(e)) => bail!("{e}"),
                Err(exchange::distribution::ReturnedError::Rows(rows)) => return Ok(refused(&rows)),
            };
            match store.import_returns(&actor, cycle, &returned, *dry_run) {
                Ok(report) => println!(
                    "{}{} delivery(ies) recorded, {} already recorded, {} blank line(s)",
                    if report.dry_run { "checked, nothing recorded: " } else { "" },
                    report.recorded,
                    report.already_recorded,
                    report.left_blank
                ),
                Err(store::assistance::ReturnsError::Rows(rows)) => return Ok(refused(&rows)),
                Err(store::assistance::ReturnsError::Store(e)) => return Err(e.into()),
            }
        }
        AssistanceCommand::Sample { cycle, full, size, output } => {
            let method = if *full { domain::SampleMethod::Full } else { domain::SampleMethod::Random };
            let sample = store.draw_monitoring_sample(&actor, cycle, method, *size)?;
            println!(
                "sample {}: {} drawn ({}) of {} who received",
                sample.id,
                sample.summary.drawn,
                sample.method.as_str(),
                sample.population
            );
            if let Some(path) = output {
                let (_, rows) = store.monitoring_sample(&actor, &sample.id)?;
                let mut out =
                    csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
                out.write_record(["position", "household", "person_id", "name", "phone", "delivered"])?;
                for r in &rows {
                    out.write_record([
                        r.position.to_string(),
                        r.household.clone(),
                        r.person_id.clone().unwrap_or_default(),
                        r.name.clone(),
                        r.phone.clone().unwrap_or_default(),
                        r.delivered.to_string(),
                    ])?;
                }
                out.flush()?;
                eprintln!("{} household(s) to ask written to {}", rows.len(), path.display());
            }
        }
        AssistanceCommand::Monitoring { cycle } => {
            for s in store.monitoring_samples(&actor, cycle)? {
                let m = s.summary;
                let share = m.share_received.map_or("—".to_string(), |v| format!("{:.0}%", v * 100.0));
                println!(
                    "{}	{}	{}	drawn {} of {}	asked {}	received {}, with issues {}, not received {}, not reached {}	\
                     say they received {share}	reported less {}",
                    s.id,
                    s.drawn_on,
                    s.method.as_str(),
                    m.drawn,
                    s.population,
                    m.asked,
                    m.received,
                    m.received_with_issues,
                    m.not_received,
                    m.not_reached,
                    m.reported_less
                );
            }
            let follow_ups = store.follow_ups(&actor, cycle)?;
            println!("{} to follow up", follow_ups.len());
            for f in follow_ups {
                println!("  {}	{}	{}	remaining {}", f.household, f.reason.as_str(), f.date, f.remaining);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every bad row, then failure: nothing was recorded.
pub(super) fn refused(rows: &[exchange::import::RowError]) -> ExitCode {
    for row in rows {
        eprintln!("{row}");
    }
    eprintln!("nothing recorded: {} problem(s); correct them and import the whole file again", rows.len());
    ExitCode::FAILURE
}
