//! The funding page: for a year, what each plan asked for, received and still lacks, per
//! sector; what a person reached cost per sector and région (with the money no région could
//! take); budgets against expenditure over the years; projects; and the import of funding
//! sheets for information-management officers.

use store::funding::{FundingImport, FundingOverview};

use super::sheets::{upload_sheet, SheetCounts, SheetView};
use super::*;

struct SectorLine {
    sector: String,
    required: String,
    funded: String,
    share: String,
    gap: String,
    overlap: bool,
}

struct PlanLine {
    code: String,
    name: String,
    year: i32,
    required: String,
    funded: String,
    share: String,
    gap: String,
    paid: String,
    pledged: String,
    sectors: Vec<SectorLine>,
}

struct CostLine {
    sector: String,
    region: String,
    year: i32,
    money: String,
    people: String,
    cost: String,
}

struct MoneyLine {
    sector: String,
    year: i32,
    total: String,
    unattributed: String,
    share: String,
}

struct BudgetLine {
    organisation: String,
    year: i32,
    line: String,
    budget: String,
    expenditure: String,
}

struct ProjectLine {
    code: String,
    name: String,
    organisation: String,
    plan: String,
    year: i32,
    requested: String,
    received: String,
    share: String,
    planned: String,
    programmes: String,
    indicators: String,
}

#[derive(Template)]
#[template(path = "funding.html")]
struct FundingPage {
    c: Ctx,
    year: Option<i32>,
    /// Each year with money or budgets, and whether it is the one shown.
    years: Vec<(i32, bool)>,
    plans: Vec<PlanLine>,
    outside: String,
    costs: Vec<CostLine>,
    money: Vec<MoneyLine>,
    budgets: Vec<BudgetLine>,
    budget_svg: String,
    projects: Vec<ProjectLine>,
    disclosure: Option<u64>,
    sheet: SheetView,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

fn usd(c: &Ctx, n: f64) -> String {
    format!("{} USD", c.num(n.round() as i64))
}

fn funding_lines(
    c: &Ctx,
    gazetteer: &domain::places::Gazetteer,
    o: &FundingOverview,
) -> (Vec<PlanLine>, Vec<CostLine>, Vec<MoneyLine>) {
    let money = |n: Option<f64>| n.map(|n| usd(c, n)).unwrap_or_else(|| "—".into());
    let share = |s: Option<f64>| s.map(|s| percent(c, s)).unwrap_or_else(|| "—".into());
    let sector_label = |code: &str| if code.is_empty() { c.t.not_specified.to_string() } else { c.label(code) };
    let plans = o
        .plans
        .iter()
        .map(|p| PlanLine {
            code: p.plan.clone(),
            name: p.name.clone(),
            year: p.year,
            required: money(p.required_usd),
            funded: usd(c, p.funded_usd),
            share: share(p.share_funded),
            gap: money(p.gap_usd),
            paid: usd(c, p.paid_usd),
            pledged: usd(c, p.pledged_usd),
            sectors: p
                .sectors
                .iter()
                .map(|s| SectorLine {
                    sector: sector_label(&s.sector),
                    required: money(s.required_usd),
                    funded: usd(c, s.funded_usd),
                    share: share(s.share_funded),
                    gap: money(s.gap_usd),
                    overlap: s.includes_overlap,
                })
                .collect(),
        })
        .collect();
    let costs = o
        .cost_per_person
        .iter()
        .map(|r| CostLine {
            sector: sector_label(&r.sector),
            region: gazetteer.label(&r.region),
            year: r.year,
            money: usd(c, r.attributed_usd),
            people: match (r.hidden, r.people_reached) {
                (true, _) => "•".into(),
                (false, Some(n)) => c.num(n),
                (false, None) => "—".into(),
            },
            cost: if r.hidden {
                "•".into()
            } else {
                r.cost_per_person.map(|n| format!("{} USD", c.num(n.round() as i64))).unwrap_or_else(|| "—".into())
            },
        })
        .collect();
    let sectors = o
        .sector_money
        .iter()
        .map(|m| MoneyLine {
            sector: sector_label(&m.sector),
            year: m.year,
            total: usd(c, m.total_usd),
            unattributed: usd(c, m.unattributed_usd),
            share: share(m.unattributed_share),
        })
        .collect();
    (plans, costs, sectors)
}

/// Budget and expenditure per organisation and year, summed over pillars and sectors.
fn budget_chart(c: &Ctx, o: &FundingOverview) -> String {
    let years: Vec<i32> =
        o.budgets.iter().map(|b| b.year).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if years.len() < 2 {
        return String::new();
    }
    let organisations: Vec<String> = o
        .budgets
        .iter()
        .map(|b| b.organisation.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .take(3)
        .collect();
    let mut series = Vec::new();
    for org in &organisations {
        for (label, pick) in [(c.t.budget, 0), (c.t.expenditure, 1)] {
            let values = years
                .iter()
                .map(|y| {
                    o.budgets
                        .iter()
                        .filter(|b| &b.organisation == org && b.year == *y)
                        .filter_map(|b| if pick == 0 { b.budget_usd } else { b.expenditure_usd })
                        .sum::<f64>()
                        .round() as u64
                })
                .collect();
            series.push(Series { label: format!("{label} — {org}"), values });
        }
    }
    let labels: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    charts::line_chart("budget-chart", c.t.budget_chart_title, c.t.budget_chart_desc, &labels, &series)
}

async fn funding_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    year: Option<String>,
    sheet: SheetView,
) -> Response {
    let asked = year.as_deref().map(str::trim).filter(|y| !y.is_empty()).map(|y| y.parse::<i32>().ok());
    let loaded = blocking(state, move |store| {
        let all = store.funding_overview(&actor, None)?;
        let mut years: Vec<i32> = all.plans.iter().map(|p| p.year).chain(all.budgets.iter().map(|b| b.year)).collect();
        years.sort_unstable();
        years.dedup();
        // The latest year with a plan's money unless one is asked for; "all" years when asked.
        let year = match asked {
            Some(Some(y)) => Some(y),
            Some(None) => None,
            None => all.plans.iter().map(|p| p.year).max(),
        };
        let overview = if year.is_none() { all } else { store.funding_overview(&actor, year)? };
        Ok((years, overview))
    })
    .await;
    let (years, overview) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let (plans, costs, money) = funding_lines(&c, &state.store.gazetteer, &overview);
    let budget_svg = budget_chart(&c, &overview);
    let budgets = overview
        .budgets
        .iter()
        .map(|b| BudgetLine {
            organisation: b.organisation.clone(),
            year: b.year,
            line: c.label(&b.code),
            budget: b.budget_usd.map(|n| usd(&c, n)).unwrap_or_else(|| "—".into()),
            expenditure: b.expenditure_usd.map(|n| usd(&c, n)).unwrap_or_else(|| "—".into()),
        })
        .collect();
    let projects = overview
        .projects
        .iter()
        .map(|p| ProjectLine {
            code: p.code.clone(),
            name: p.name.clone(),
            organisation: p.organisation.clone(),
            plan: p.plan.clone(),
            year: p.year,
            requested: usd(&c, p.requested_usd),
            received: usd(&c, p.received_usd),
            share: p.share_funded.map(|s| percent(&c, s)).unwrap_or_default(),
            planned: p.planned_beneficiaries.map(|n| c.num(n.round() as i64)).unwrap_or_default(),
            programmes: p.programmes.join(", "),
            indicators: p.indicators.join(", "),
        })
        .collect();
    let outside: f64 = overview.outside_plans.values().sum();
    let page = FundingPage {
        year: overview.year,
        years: years.iter().map(|y| (*y, overview.year == Some(*y))).collect(),
        plans,
        outside: if outside > 0.0 { usd(&c, outside) } else { String::new() },
        costs,
        money,
        budgets,
        budget_svg,
        projects,
        disclosure: overview.disclosure_threshold,
        sheet,
        c,
    };
    let failed = page.sheet.failed();
    let response = render(&page);
    if failed {
        super::assistance::refused_again(response)
    } else {
        response
    }
}

pub async fn funding(State(state): State<AppState>, page: SignedIn, Query(q): Query<YearQuery>) -> Response {
    funding_page(&state, page.ctx, page.actor, q.year, SheetView::default()).await
}

/// A funding sheet (flows, requirements, budgets or projects), imported all or nothing.
pub async fn import_funding(State(state): State<AppState>, page: SignedIn, mut multipart: Multipart) -> Response {
    let outcome = upload_sheet(
        &state,
        page,
        &mut multipart,
        |store, actor, file, dry_run| store.import_funding_file(actor, file, dry_run),
        |c, outcome: FundingImport| {
            let mut notes = Vec::new();
            if let Some(r) = &outcome.report {
                notes.push(format!("{} : {}", c.t.sheet_kind, c.label(&format!("sheet_{}", r.kind))));
                if !r.not_specified.is_empty() {
                    let labels: Vec<String> =
                        r.not_specified.iter().map(|(label, rows)| format!("« {label} » ({rows})")).collect();
                    notes.push(format!("{} {}", c.t.labels_not_specified, labels.join(", ")));
                }
                if r.without_amount > 0 {
                    notes.push(format!("{} {}", r.without_amount, c.agree(r.without_amount, c.t.lines_without_amount)));
                }
            }
            SheetView {
                counts: outcome.report.map(|r| SheetCounts {
                    added: r.added,
                    changed: r.changed,
                    unchanged: r.unchanged,
                    dry_run: r.dry_run,
                }),
                errors: outcome.errors,
                notes,
                ..SheetView::default()
            }
        },
    )
    .await;
    match outcome {
        Ok((c, actor, sheet)) => funding_page(&state, c, actor, None, sheet).await,
        Err(page) => page,
    }
}
