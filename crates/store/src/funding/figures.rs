//! Money joined to results: % funded and the funding gap per plan, sector and year; cost per
//! distinct person reached per sector × région × year, with the money that could not be
//! attributed to a région shown beside it; budgets against expenditure over the years; and
//! projects with what they asked for and received.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::StoreError;
use crate::visibility::{Access, Visibility};
use crate::{params, Actor, Store};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FundingOverview {
    /// The year asked for; every year when `None`.
    pub year: Option<i32>,
    pub plans: Vec<PlanFunding>,
    /// Commitments and payments to no plan, per year.
    pub outside_plans: BTreeMap<i32, f64>,
    pub cost_per_person: Vec<CostRow>,
    pub sector_money: Vec<SectorMoney>,
    pub budgets: Vec<YearBudget>,
    pub projects: Vec<ProjectFunding>,
    /// Set for readers under disclosure control: people reached (and the cost per person,
    /// from which they could be worked out) are hidden under this many.
    pub disclosure_threshold: Option<u64>,
    pub flows: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanFunding {
    pub plan: String,
    pub name: String,
    pub year: i32,
    pub required_usd: Option<f64>,
    /// Commitments and payments (a payment of a recorded commitment is part of it).
    pub funded_usd: f64,
    pub paid_usd: f64,
    /// Pledges: announced, not yet committed, not counted as funding.
    pub pledged_usd: f64,
    /// Funded as a share of required (0.42 for 42 %).
    pub share_funded: Option<f64>,
    pub gap_usd: Option<f64>,
    pub sectors: Vec<SectorFunding>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SectorFunding {
    /// A sector code; empty for "not specified".
    pub sector: String,
    pub required_usd: Option<f64>,
    pub funded_usd: f64,
    pub share_funded: Option<f64>,
    pub gap_usd: Option<f64>,
    /// Some of this sector's money is tagged to other sectors too and counted in full under
    /// each: sector rows then add up to more than the plan.
    pub includes_overlap: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostRow {
    /// A sector code; empty for money to no sector of the code list.
    pub sector: String,
    pub region: String,
    pub year: i32,
    /// Money attributed to this sector and région (flows split evenly between the sectors
    /// and régions they name, unless shares are given: money is spent once).
    pub attributed_usd: f64,
    pub people_reached: Option<i64>,
    pub cost_per_person: Option<f64>,
    pub hidden: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SectorMoney {
    pub sector: String,
    pub year: i32,
    pub total_usd: f64,
    /// Money that names no région: in no cost per person.
    pub unattributed_usd: f64,
    pub unattributed_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YearBudget {
    pub organisation: String,
    pub year: i32,
    /// pillar or sector.
    pub dimension: String,
    pub code: String,
    pub budget_usd: Option<f64>,
    pub expenditure_usd: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectFunding {
    pub code: String,
    pub name: String,
    pub organisation: String,
    pub plan: String,
    pub sectors: Vec<String>,
    pub year: i32,
    pub requested_usd: f64,
    /// Commitments and payments naming the project.
    pub received_usd: f64,
    pub share_funded: Option<f64>,
    pub planned_beneficiaries: Option<f64>,
    /// Programmes that name the project.
    pub programmes: Vec<String>,
    pub indicators: Vec<String>,
}

/// One flow as the figures need it.
struct Flow {
    plan: Option<String>,
    project: String,
    status: String,
    /// A payment of a recorded commitment: counted in the commitment.
    pays_recorded: bool,
    usd: f64,
    year: i32,
    overlap: bool,
    places: Vec<String>,
    sectors: Vec<(String, f64)>,
}

impl Flow {
    fn funded(&self) -> f64 {
        match self.status.as_str() {
            "commitment" => self.usd,
            "paid" if !self.pays_recorded => self.usd,
            _ => 0.0,
        }
    }
}

fn share(part: f64, whole: Option<f64>) -> Option<f64> {
    whole.filter(|w| *w > 0.0).map(|w| part / w)
}

impl Store {
    /// The funding figures for `year` (every year when `None`), for `actor`.
    pub fn funding_overview(&self, actor: &Actor, year: Option<i32>) -> Result<FundingOverview, StoreError> {
        let controlled = self.figures_need_disclosure_control(actor)?;
        let threshold = self.disclosure_threshold() as i64;
        let in_year = |y: i32| year.is_none_or(|wanted| wanted == y);
        let (flows, requirements, plans, budgets, projects, programmes) = self.db.read(|tx| {
            let mut sectors: HashMap<String, Vec<(String, f64)>> = HashMap::new();
            for r in tx.query("SELECT flow_id, sector, share FROM funding_flow_sectors ORDER BY flow_id, position", params![])? {
                sectors.entry(r.text(0)).or_default().push((r.text(1), r.real(2)));
            }
            let ids: std::collections::HashSet<String> =
                tx.query("SELECT id FROM funding_flows", params![])?.iter().map(|r| r.text(0)).collect();
            let flows: Vec<Flow> = tx
                .query(
                    "SELECT id, plan_id, project, status, parent_id, amount_usd, year, sharing, places FROM funding_flows",
                    params![],
                )?
                .iter()
                .map(|r| Flow {
                    plan: r.opt_text(1),
                    project: r.text(2),
                    status: r.text(3),
                    pays_recorded: r.opt_text(4).is_some_and(|p| ids.contains(&p)),
                    usd: r.real(5),
                    year: r.int(6) as i32,
                    overlap: r.str(7) == "overlap",
                    places: r.str(8).split_whitespace().map(str::to_string).collect(),
                    sectors: sectors.remove(r.str(0)).unwrap_or_else(|| vec![(String::new(), 1.0)]),
                })
                .collect();
            let requirements: Vec<(String, String, String, i32, f64)> = tx
                .query("SELECT plan_id, sector, place, year, required_usd FROM funding_requirements", params![])?
                .iter()
                .map(|r| (r.text(0), r.text(1), r.text(2), r.int(3) as i32, r.real(4)))
                .collect();
            let plans: Vec<(String, String, String)> = tx
                .query("SELECT id, code, name FROM response_plans ORDER BY start_date DESC, code", params![])?
                .iter()
                .map(|r| (r.text(0), r.text(1), r.text(2)))
                .collect();
            let budgets: Vec<YearBudget> = tx
                .query(
                    "SELECT organisation, year, dimension, code, budget_usd, expenditure_usd FROM budgets \
                     ORDER BY organisation, dimension, code, year",
                    params![],
                )?
                .iter()
                .map(|r| YearBudget {
                    organisation: r.text(0),
                    year: r.int(1) as i32,
                    dimension: r.text(2),
                    code: r.text(3),
                    budget_usd: r.opt_real(4),
                    expenditure_usd: r.opt_real(5),
                })
                .collect();
            let projects = tx.query(
                "SELECT p.code, p.name, p.organisation, COALESCE(r.code, ''), p.sectors, p.year, p.requested_usd, \
                 p.planned_beneficiaries, p.indicators FROM projects p LEFT JOIN response_plans r ON r.id = p.plan_id \
                 ORDER BY p.year DESC, p.code",
                params![],
            )?;
            let programmes: Vec<(String, String)> = tx
                .query("SELECT COALESCE(project, ''), code FROM programmes ORDER BY code", params![])?
                .iter()
                .map(|r| (r.text(0), r.text(1)))
                .collect();
            Ok((flows, requirements, plans, budgets, projects, programmes))
        })?;

        // Per plan and year: requirements (by sector; a sector's places add up only when no
        // line covers the whole sector) and funding.
        let mut plan_rows = Vec::new();
        let mut outside_plans: BTreeMap<i32, f64> = BTreeMap::new();
        for f in flows.iter().filter(|f| f.plan.is_none() && in_year(f.year)) {
            *outside_plans.entry(f.year).or_default() += f.funded();
        }
        for (plan_id, code, name) in &plans {
            let mut years: Vec<i32> = requirements.iter().filter(|r| &r.0 == plan_id).map(|r| r.3).collect();
            years.extend(flows.iter().filter(|f| f.plan.as_deref() == Some(plan_id)).map(|f| f.year));
            years.sort_unstable();
            years.dedup();
            for y in years.into_iter().filter(|y| in_year(*y)) {
                let mut by_sector: BTreeMap<String, SectorFunding> = BTreeMap::new();
                let lines: Vec<_> = requirements.iter().filter(|r| &r.0 == plan_id && r.3 == y).collect();
                for sector in lines.iter().map(|r| r.1.clone()).collect::<std::collections::BTreeSet<_>>() {
                    let whole: Vec<f64> =
                        lines.iter().filter(|r| r.1 == sector && r.2.is_empty()).map(|r| r.4).collect();
                    let required = if whole.is_empty() {
                        lines.iter().filter(|r| r.1 == sector).map(|r| r.4).sum()
                    } else {
                        whole.iter().sum()
                    };
                    by_sector.insert(
                        sector.clone(),
                        SectorFunding {
                            sector,
                            required_usd: Some(required),
                            funded_usd: 0.0,
                            share_funded: None,
                            gap_usd: None,
                            includes_overlap: false,
                        },
                    );
                }
                let (mut funded, mut paid, mut pledged) = (0.0, 0.0, 0.0);
                for f in flows.iter().filter(|f| f.plan.as_deref() == Some(plan_id) && f.year == y) {
                    funded += f.funded();
                    if f.status == "paid" {
                        paid += f.usd;
                    }
                    if f.status == "pledge" {
                        pledged += f.usd;
                    }
                    for (sector, part) in &f.sectors {
                        let row = by_sector.entry(sector.clone()).or_insert_with(|| SectorFunding {
                            sector: sector.clone(),
                            required_usd: None,
                            funded_usd: 0.0,
                            share_funded: None,
                            gap_usd: None,
                            includes_overlap: false,
                        });
                        row.funded_usd += f.funded() * part;
                        row.includes_overlap |= f.overlap;
                    }
                }
                let mut sectors: Vec<SectorFunding> = by_sector.into_values().collect();
                for s in &mut sectors {
                    s.share_funded = share(s.funded_usd, s.required_usd);
                    s.gap_usd = s.required_usd.map(|r| (r - s.funded_usd).max(0.0));
                }
                // Listed sectors first, "not specified" last.
                sectors.sort_by_key(|s| (s.sector.is_empty(), s.sector.clone()));
                let required = (!lines.is_empty()).then(|| sectors.iter().filter_map(|s| s.required_usd).sum::<f64>());
                plan_rows.push(PlanFunding {
                    plan: code.clone(),
                    name: name.clone(),
                    year: y,
                    required_usd: required,
                    funded_usd: funded,
                    paid_usd: paid,
                    pledged_usd: pledged,
                    share_funded: share(funded, required),
                    gap_usd: required.map(|r| (r - funded).max(0.0)),
                    sectors,
                });
            }
        }

        // Cost per person: money split evenly (or by shares) between sectors and régions.
        let mut attributed: BTreeMap<(String, String, i32), f64> = BTreeMap::new();
        let mut sector_money: BTreeMap<(String, i32), (f64, f64)> = BTreeMap::new();
        for f in flows.iter().filter(|f| in_year(f.year) && f.funded() > 0.0) {
            let n = f.sectors.len().max(1) as f64;
            for (sector, part) in &f.sectors {
                let money = f.funded() * if f.overlap { 1.0 / n } else { *part };
                let total = sector_money.entry((sector.clone(), f.year)).or_default();
                total.0 += money;
                if f.places.is_empty() {
                    total.1 += money;
                }
                for region in &f.places {
                    *attributed.entry((sector.clone(), region.clone(), f.year)).or_default() +=
                        money / f.places.len() as f64;
                }
            }
        }
        let years: Vec<i32> = attributed.keys().map(|k| k.2).collect();
        let reached: HashMap<(String, String, i32), i64> = match (years.iter().min(), years.iter().max()) {
            (Some(first), Some(last)) => {
                let from = NaiveDate::from_ymd_opt(*first, 1, 1).unwrap_or_default();
                let to = NaiveDate::from_ymd_opt(*last, 12, 31).unwrap_or_default();
                let cond =
                    Visibility::of(actor).households("h", if controlled { Access::Aggregate } else { Access::Read });
                self.db.read(|tx| {
                    let index = self.reach.current(tx)?;
                    let visible = crate::assistance::visible_households(tx, &index, &cond)?;
                    Ok(index
                        .reached_by_sector_region_year(from, to, visible.as_deref())
                        .into_iter()
                        .map(|(key, t)| (key, t.people))
                        .collect())
                })?
            }
            _ => HashMap::new(),
        };
        let cost_per_person = attributed
            .into_iter()
            .map(|((sector, region, year), money)| {
                let people = reached.get(&(sector.clone(), region.clone(), year)).copied().unwrap_or(0);
                let hidden = controlled && people > 0 && people < threshold;
                CostRow {
                    sector,
                    region,
                    year,
                    attributed_usd: money,
                    people_reached: (!hidden).then_some(people),
                    cost_per_person: (!hidden && people > 0).then(|| money / people as f64),
                    hidden,
                }
            })
            .collect();
        let sector_money = sector_money
            .into_iter()
            .map(|((sector, year), (total, unattributed))| SectorMoney {
                sector,
                year,
                total_usd: total,
                unattributed_usd: unattributed,
                unattributed_share: share(unattributed, Some(total)),
            })
            .collect();

        let projects = projects
            .iter()
            .filter(|r| in_year(r.int(5) as i32))
            .map(|r| {
                let code = r.text(0);
                let received: f64 = flows.iter().filter(|f| f.project == code).map(Flow::funded).sum();
                let requested = r.real(6);
                ProjectFunding {
                    name: r.text(1),
                    organisation: r.text(2),
                    plan: r.text(3),
                    sectors: r.str(4).split_whitespace().map(str::to_string).collect(),
                    year: r.int(5) as i32,
                    requested_usd: requested,
                    received_usd: received,
                    share_funded: share(received, Some(requested)),
                    planned_beneficiaries: r.opt_real(7),
                    programmes: programmes.iter().filter(|(p, _)| *p == code).map(|(_, c)| c.clone()).collect(),
                    indicators: r.str(8).split_whitespace().map(str::to_string).collect(),
                    code,
                }
            })
            .collect();
        Ok(FundingOverview {
            year,
            plans: plan_rows,
            outside_plans,
            cost_per_person,
            sector_money,
            budgets: budgets.into_iter().filter(|b| year.is_none() || in_year(b.year)).collect(),
            projects,
            disclosure_threshold: controlled.then_some(threshold as u64),
            flows: flows.len(),
        })
    }
}

impl FundingOverview {
    /// Requirements and funding per plan, year and sector in HDX's HXL tags (FTS's
    /// requirements-and-funding-by-cluster table): it imports back as the requirements.
    pub fn hxl_table(&self) -> exchange::figures::HxlTable {
        let columns = [
            ("plan_code", "#activity+appeal+id+external"),
            ("plan_name", "#activity+appeal+name"),
            ("year", "#date+year"),
            ("sector_code", "#sector+cluster+code"),
            ("required_usd", "#value+funding+required+usd"),
            ("funded_usd", "#value+funding+total+usd"),
            ("percent_funded", "#value+funding+pct"),
            ("gap_usd", "#value+funding+gap+usd"),
        ];
        let money = |n: Option<f64>| n.map(|n| format!("{n:.0}")).unwrap_or_default();
        let pct = |n: Option<f64>| n.map(|n| format!("{:.1}", n * 100.0)).unwrap_or_default();
        let mut rows = Vec::new();
        for p in &self.plans {
            for s in &p.sectors {
                rows.push(vec![
                    p.plan.clone(),
                    p.name.clone(),
                    p.year.to_string(),
                    if s.sector.is_empty() { "Not specified".into() } else { s.sector.clone() },
                    money(s.required_usd),
                    money(Some(s.funded_usd)),
                    pct(s.share_funded),
                    money(s.gap_usd),
                ]);
            }
        }
        exchange::figures::HxlTable {
            name: "funding",
            headers: columns.iter().map(|c| c.0.to_string()).collect(),
            tags: columns.iter().map(|c| c.1.to_string()).collect(),
            rows,
        }
    }

    /// Cost per person reached per sector × région × year, in HXL.
    pub fn cost_hxl_table(&self, gazetteer: &domain::places::Gazetteer) -> exchange::figures::HxlTable {
        let columns = [
            ("sector_code", "#sector+cluster+code"),
            ("admin1_pcode", "#adm1+code"),
            ("admin1_name", "#adm1+name"),
            ("year", "#date+year"),
            ("attributed_usd", "#value+funding+usd"),
            ("people_reached", "#reached+ind"),
            ("cost_per_person_usd", "#value+cost+ind+usd"),
        ];
        let rows = self
            .cost_per_person
            .iter()
            .map(|c| {
                vec![
                    c.sector.clone(),
                    c.region.clone(),
                    gazetteer.get(&c.region).map(|l| l.name.clone()).unwrap_or_default(),
                    c.year.to_string(),
                    format!("{:.0}", c.attributed_usd),
                    c.people_reached.map(|n| n.to_string()).unwrap_or_default(),
                    c.cost_per_person.map(|n| format!("{n:.2}")).unwrap_or_default(),
                ]
            })
            .collect();
        exchange::figures::HxlTable {
            name: "cost_per_person",
            headers: columns.iter().map(|c| c.0.to_string()).collect(),
            tags: columns.iter().map(|c| c.1.to_string()).collect(),
            rows,
        }
    }
}
