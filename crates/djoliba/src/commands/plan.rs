//! `djoliba plan`: response plans, their indicators, targets imported from an HXL sheet, and
//! progress (targets beside people reached and the registry's stock).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use domain::plans::{IndicatorInput, PlanInput};
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// List the plans with their sectors and indicators.
    List,
    /// Create a plan (a humanitarian response plan, an agency appeal).
    Create {
        /// Short code, e.g. HRP-MLI-2024.
        #[arg(long)]
        code: String,
        /// Its name, e.g. "Plan de réponse humanitaire Mali 2024".
        #[arg(long)]
        name: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// Sector codes, comma-separated (SHL,EDU,PRO…).
        #[arg(long)]
        sectors: String,
    },
    /// Add an indicator to a plan, or change one (`--change`: its unit and how values add up
    /// stay as they are once partners have reported it).
    Indicator {
        /// The plan's code or id.
        #[arg(long)]
        plan: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        sector: String,
        #[arg(long)]
        name_fr: String,
        #[arg(long)]
        name_en: String,
        /// people, households, items, sessions, schools, sites.
        #[arg(long)]
        unit: String,
        /// sum (default), max, latest, average.
        #[arg(long, default_value = "sum")]
        across_periods: String,
        #[arg(long, default_value = "sum")]
        across_places: String,
        /// sex, age, population_group (comma-separated).
        #[arg(long, default_value = "")]
        disaggregations: String,
        /// Kinds of assistance whose deliveries count as reached (comma-separated), e.g. shelter_kit.
        #[arg(long, default_value = "")]
        kinds: String,
        /// Change the indicator of this code instead of adding one.
        #[arg(long)]
        change: bool,
    },
    /// Import targets and people in need from an HXL-tagged CSV or XLSX (all or nothing).
    Targets {
        /// The plan's code or id.
        #[arg(long)]
        plan: String,
        file: PathBuf,
        /// Check every row and report, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Set one target or people-in-need figure of an indicator at a région or cercle.
    Target {
        /// The plan's code or id.
        #[arg(long)]
        plan: String,
        /// The indicator's code.
        #[arg(long)]
        indicator: String,
        /// P-code of a région or cercle.
        #[arg(long)]
        place: String,
        /// First day of the period (YYYY-MM-DD or DD/MM/YYYY).
        #[arg(long)]
        from: String,
        /// Last day of the period.
        #[arg(long)]
        to: String,
        /// People (or households) in need there.
        #[arg(long)]
        in_need: Option<String>,
        /// People (or households) the plan targets there.
        #[arg(long)]
        targeted: Option<String>,
    },
    /// Submit a partner's monthly report of an indicator at a région or cercle.
    Report {
        /// The plan's code or id.
        #[arg(long)]
        plan: String,
        /// The indicator's code.
        #[arg(long)]
        indicator: String,
        /// P-code of a région or cercle.
        #[arg(long)]
        place: String,
        /// YYYY-MM (a month that is over).
        #[arg(long)]
        month: String,
        /// The month's value, in the indicator's unit.
        #[arg(long)]
        value: String,
        /// Of which women and girls, when the indicator counts them apart.
        #[arg(long)]
        female: Option<String>,
        /// Of which men and boys.
        #[arg(long)]
        male: Option<String>,
        /// The reporting organisation's code.
        #[arg(long)]
        organisation: String,
    },
    /// A plan's partner reports, the latest month first.
    Reports {
        /// The plan's code or id.
        #[arg(long)]
        plan: String,
    },
    /// Accept a submitted report (it is then locked), or send it back with a comment.
    Review {
        /// The report's id (from `djoliba plan reports`).
        #[arg(long)]
        report: String,
        /// Accept the report as it is.
        #[arg(long, conflicts_with = "send_back")]
        accept: bool,
        /// What to correct.
        #[arg(long, value_name = "COMMENT")]
        send_back: Option<String>,
    },
    /// Targets beside people reached and the displaced people in the registry.
    Progress {
        /// The plan's code or id.
        #[arg(long)]
        plan: String,
        /// csv (HXL-tagged), xlsx (HXL-tagged) or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

pub fn run(cli: &Cli, cmd: &PlanCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    let actor = Actor::system();
    match cmd {
        PlanCommand::List => {
            for plan in store.list_plans()? {
                println!(
                    "{}\t{}\t{} → {}\t{}",
                    plan.code,
                    plan.name,
                    plan.start_date,
                    plan.end_date,
                    plan.sectors.join(" ")
                );
                for i in plan.indicators {
                    let kinds: Vec<&str> = i.kinds.iter().map(|k| k.as_str()).collect();
                    println!("  {}\t{}\t{}\t{}\t{}", i.code, i.sector, i.unit.as_str(), i.name_en, kinds.join(" "));
                }
            }
        }
        PlanCommand::Create { code, name, from, to, sectors } => {
            let input = PlanInput {
                code: code.clone(),
                name: name.clone(),
                start_date: from.clone(),
                end_date: to.clone(),
                sectors: vec![sectors.clone()],
            };
            let plan = store.create_plan(&actor, &input)?;
            println!("{}\t{}", plan.code, plan.id);
        }
        PlanCommand::Indicator {
            plan,
            code,
            sector,
            name_fr,
            name_en,
            unit,
            across_periods,
            across_places,
            disaggregations,
            kinds,
            change,
        } => {
            let input = IndicatorInput {
                code: code.clone(),
                sector: sector.clone(),
                name_fr: name_fr.clone(),
                name_en: name_en.clone(),
                unit: unit.clone(),
                across_periods: across_periods.clone(),
                across_places: across_places.clone(),
                disaggregations: vec![disaggregations.clone()],
                kinds: vec![kinds.clone()],
            };
            let indicator = match change {
                true => store.update_indicator(&actor, plan, code, &input)?,
                false => store.create_indicator(&actor, plan, &input)?,
            };
            println!("{}\t{}", indicator.code, indicator.id);
        }
        PlanCommand::Targets { plan, file, dry_run } => {
            let outcome = match store.import_targets_file(&actor, plan, super::input_file(file)?, *dry_run) {
                Ok(outcome) => outcome,
                Err(store::import::ImportError::File(e)) => anyhow::bail!("{e}"),
                Err(store::import::ImportError::Store(e)) => return Err(e.into()),
            };
            match outcome.report {
                Some(r) => println!(
                    "{}{} row(s): {} added, {} changed, {} unchanged",
                    if r.dry_run { "checked, nothing written: " } else { "" },
                    r.rows,
                    r.added,
                    r.changed,
                    r.unchanged
                ),
                None => return Ok(super::assistance::refused(&outcome.errors)),
            }
        }
        PlanCommand::Target { plan, indicator, place, from, to, in_need, targeted } => {
            let text = |t: &Option<String>| t.clone().map(domain::assistance::Quantity::Text);
            let input = domain::plans::TargetInput {
                indicator: indicator.clone(),
                place: place.clone(),
                start_date: from.clone(),
                end_date: to.clone(),
                in_need: text(in_need),
                targeted: text(targeted),
            };
            let r = store.set_target(&actor, plan, &input)?;
            println!(
                "{}",
                if r.unchanged > 0 {
                    "unchanged"
                } else if r.changed > 0 {
                    "changed"
                } else {
                    "added"
                }
            );
        }
        PlanCommand::Report { plan, indicator, place, month, value, female, male, organisation } => {
            let text = |t: &Option<String>| t.clone().map(domain::assistance::Quantity::Text);
            let input = domain::plans::ReportInput {
                indicator: indicator.clone(),
                place: place.clone(),
                month: month.clone(),
                value: domain::assistance::Quantity::Text(value.clone()),
                female: text(female),
                male: text(male),
                organisation: Some(organisation.clone()),
            };
            let report = store.submit_report(&actor, plan, &input)?;
            println!("{}\t{}", report.id, report.status.as_str());
        }
        PlanCommand::Reports { plan } => {
            for r in store.plan_reports(&actor, plan)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.id,
                    r.month,
                    r.indicator,
                    r.organisation,
                    r.place,
                    r.value,
                    r.status.as_str(),
                    r.comment.unwrap_or_default()
                );
            }
        }
        PlanCommand::Review { report, accept, send_back } => {
            let decision = match (accept, send_back) {
                (true, _) => "accept",
                (false, Some(_)) => "send_back",
                (false, None) => anyhow::bail!("say --accept or --send-back COMMENT"),
            };
            let report = store.review_report(&actor, report, decision, send_back.as_deref())?;
            println!("{}\t{}", report.id, report.status.as_str());
        }
        PlanCommand::Progress { plan, format, output } => {
            let progress = store.plan_progress(&actor, plan)?;
            super::write_table(
                serde_json::to_value(&progress)?,
                progress.hxl_table(&store.gazetteer),
                format,
                output.as_deref(),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
