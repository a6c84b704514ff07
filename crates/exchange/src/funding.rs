//! Reading funding sheets in HXL, the shapes OCHA FTS and HDX publish: contributions (flows:
//! `#org+name+funder`, `#status+text`, `#value+funding+total+usd`, `#value+funding+total` with
//! `+currency`, `#financial+fx`…), requirements per plan, sector and year
//! (`#value+funding+required+usd`), budgets and expenditure (`#value+budget+usd`,
//! `#value+expenditure+usd`), and projects (`#activity+project+code`). The kind of sheet is
//! told by its hashtags; the store checks plans, sectors and places.

use chrono::NaiveDate;
use domain::{FlowStatus, Message};

use crate::cells::{day, decimal, list, year};
use crate::import::RowError;
use crate::series::{column, tag_row};
use crate::tables::Table;

#[derive(Debug, Clone, PartialEq)]
pub struct FlowRow {
    pub row: usize,
    pub id: String,
    pub reference: String,
    pub donor: String,
    pub recipient: String,
    pub plan: String,
    pub project: String,
    pub status: FlowStatus,
    pub parent: String,
    pub original_amount: f64,
    pub currency: String,
    /// Units of the currency per US dollar.
    pub exchange_rate: f64,
    pub amount_usd: f64,
    pub year: i32,
    pub decision_date: Option<NaiveDate>,
    pub reported_date: Option<NaiveDate>,
    /// Sector labels as written (codes or names).
    pub sectors: Vec<String>,
    /// Percentages, one per sector, when the sheet shares the flow.
    pub shares: Option<Vec<f64>>,
    pub places: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequirementRow {
    pub row: usize,
    pub plan: String,
    /// As written; "" or "Not specified" for the plan's unallocated line.
    pub sector: String,
    pub place: String,
    pub year: i32,
    pub required_usd: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetRow {
    pub row: usize,
    pub organisation: String,
    pub year: i32,
    /// "pillar" or "sector", and the code or name as written.
    pub dimension: &'static str,
    pub code: String,
    pub budget_usd: Option<f64>,
    pub expenditure_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    pub row: usize,
    pub code: String,
    pub name: String,
    pub organisation: String,
    pub plan: String,
    pub sectors: Vec<String>,
    pub year: i32,
    pub requested_usd: f64,
    pub planned_beneficiaries: Option<f64>,
    pub indicators: Vec<String>,
}

/// What a funding sheet holds.
#[derive(Debug, Clone, PartialEq)]
pub enum FundingSheet {
    Flows(Vec<FlowRow>),
    Requirements { rows: Vec<RequirementRow>, without_amount: usize },
    Budgets(Vec<BudgetRow>),
    Projects(Vec<ProjectRow>),
}

/// The headers of the columns the store names in its messages.
#[derive(Debug, Clone, Default)]
pub struct FundingColumns {
    pub plan: String,
    pub sector: String,
    pub place: String,
    pub parent: String,
    pub project: String,
    pub indicators: String,
}

/// The cells of one row, with their errors collected.
struct Cells<'a> {
    table: &'a Table,
    number: usize,
    record: &'a csv::StringRecord,
    errors: &'a mut Vec<RowError>,
}

impl Cells<'_> {
    fn header(&self, i: usize) -> String {
        self.table.raw_headers.get(i).cloned().unwrap_or_default()
    }
    fn text(&self, i: Option<usize>) -> String {
        i.and_then(|i| self.record.get(i)).unwrap_or("").trim().to_string()
    }
    fn fail(&mut self, i: Option<usize>, expected: Message) {
        let (column, value) = (i.map(|i| self.header(i)).unwrap_or_default(), self.text(i));
        self.errors.push(RowError { file: self.table.source.clone(), row: self.number, column, value, expected });
    }
    /// A name of 1 to 200 characters.
    fn name(&mut self, i: Option<usize>) -> String {
        let value = self.text(i);
        if value.is_empty() || value.chars().count() > 200 {
            self.fail(i, Message::FundingText);
        }
        value
    }
    fn amount(&mut self, i: Option<usize>) -> Option<f64> {
        match decimal(&self.text(i)) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(())) => {
                self.fail(i, Message::FundingAmount);
                None
            }
        }
    }
    fn year(&mut self, candidates: &[Option<usize>]) -> Option<i32> {
        let given = candidates.iter().copied().find(|i| i.is_some() && !self.text(*i).is_empty());
        let Some(i) = given else {
            self.fail(candidates.iter().copied().flatten().next(), Message::FundingYear);
            return None;
        };
        let found = year(&self.text(i));
        if found.is_none() {
            self.fail(i, Message::FundingYear);
        }
        found
    }
    fn date(&mut self, i: Option<usize>) -> Option<NaiveDate> {
        let text = self.text(i);
        if text.is_empty() {
            return None;
        }
        let found = day(&text);
        if found.is_none() {
            self.fail(i, Message::IsoDate);
        }
        found
    }
}

/// Reads a funding sheet: every row, or every bad cell.
pub fn read_funding(table: &Table) -> Result<(FundingSheet, FundingColumns), Vec<RowError>> {
    let error = |row: usize, expected: Message| RowError {
        file: table.source.clone(),
        row,
        column: String::new(),
        value: String::new(),
        expected,
    };
    let Some((tag_row_number, tags)) = tag_row(table) else {
        return Err(vec![error(1, Message::HxlTagRow)]);
    };
    let col = |hashtag: &str, with: &[&str], without: &[&str]| column(&tags, hashtag, with, without);
    let funder = col("org", &["funder"], &["type"]);
    let status = col("status", &[], &[]);
    let required = col("value", &["required"], &[]);
    let project = col("activity", &["project", "code"], &[]);
    let budget = col("value", &["budget"], &[]);
    let expenditure = col("value", &["expenditure"], &[]);
    let header = |i: Option<usize>| i.and_then(|i| table.raw_headers.get(i).cloned()).unwrap_or_default();
    let plan =
        col("activity", &["appeal", "id", "external"], &[]).or_else(|| col("activity", &["appeal", "code"], &[]));
    let sector = col("sector", &["name"], &["pct"]).or_else(|| col("sector", &[], &["pct"]));
    let place = col("adm1", &["code"], &[]).or_else(|| col("adm2", &["code"], &[]));
    let parent = col("activity", &["id", "parent"], &[]);
    let indicators = col("indicator", &["code"], &[]);
    let columns = FundingColumns {
        plan: header(plan),
        sector: header(sector),
        place: header(place),
        parent: header(parent),
        project: header(project),
        indicators: header(indicators),
    };
    let rows = table.rows.iter().filter(|(n, r)| *n > tag_row_number && r.iter().any(|c| !c.trim().is_empty()));
    let mut errors = Vec::new();
    let sheet = if funder.is_some() && status.is_some() {
        let id = col("activity", &["id", "fts_internal"], &["appeal", "project", "parent"]);
        let reference = col("activity", &["code"], &["appeal", "project"]);
        let recipient = col("org", &["impl"], &["type"]);
        let usd = col("value", &["funding", "usd"], &["required"]);
        let original = col("value", &["funding", "total"], &["usd", "currency"]);
        let currency = col("value", &["currency"], &[]).or_else(|| col("currency", &[], &[]));
        let rate = col("financial", &["fx"], &[]);
        let years = [
            col("date", &["year", "start", "impl"], &[]),
            col("date", &["year", "budget"], &[]),
            col("date", &[], &["year", "reported", "decision", "created", "updated"]),
        ];
        let decision = col("date", &["decision"], &[]);
        let reported = col("date", &["reported"], &[]);
        let shares = col("sector", &["pct"], &[]);
        let description = col("description", &[], &["keywords"]);
        let mut flows = Vec::new();
        for (number, record) in rows {
            let mut c = Cells { table, number: *number, record, errors: &mut errors };
            let (id_text, reference_text) = (c.text(id), c.text(reference));
            if id_text.is_empty() && reference_text.is_empty() {
                c.fail(id.or(reference), Message::FlowId);
            }
            let donor = c.name(funder);
            let status_value = FlowStatus::parse("status", &c.text(status)).ok();
            if status_value.is_none() {
                c.fail(status, FlowStatus::expected());
            }
            let (usd_value, original_value, rate_value) = (c.amount(usd), c.amount(original), c.amount(rate));
            let currency_text = c.text(currency).to_uppercase();
            let well_formed = currency_text.len() == 3 && currency_text.chars().all(|ch| ch.is_ascii_uppercase());
            if !currency_text.is_empty() && !well_formed {
                c.fail(currency, Message::CurrencyCode);
            }
            // The amount as given, its currency and the rate that turns it into dollars.
            let money = match (original_value, usd_value, currency_text.as_str()) {
                (None, None, _) => {
                    // A bad amount was named already; a missing one is named here.
                    if c.text(usd).is_empty() && c.text(original).is_empty() {
                        c.fail(usd.or(original), Message::FundingAmount);
                    }
                    None
                }
                (None, Some(usd), "" | "USD") => Some((usd, "USD".to_string(), 1.0, usd)),
                (None, Some(usd), code) => {
                    Some((usd * rate_value.unwrap_or(1.0), code.to_string(), rate_value.unwrap_or(1.0), usd))
                }
                (Some(_), _, "") => {
                    c.fail(currency, Message::CurrencyCode);
                    None
                }
                (Some(amount), usd, "USD") => Some((amount, "USD".to_string(), 1.0, usd.unwrap_or(amount))),
                (Some(amount), Some(usd), code) if usd > 0.0 => {
                    Some((amount, code.to_string(), rate_value.unwrap_or(amount / usd), usd))
                }
                (Some(amount), _, code) => match rate_value.filter(|r| *r > 0.0) {
                    Some(rate) => Some((amount, code.to_string(), rate, amount / rate)),
                    None => {
                        c.fail(rate.or(currency), Message::CurrencyNeedsRate { currency: code.to_string() });
                        None
                    }
                },
            };
            let flow_year = c.year(&[years[0], years[1], years[2], decision]);
            let (decision_date, reported_date) = (c.date(decision), c.date(reported));
            let sectors = list(&c.text(sector));
            let share_values = match c.text(shares).as_str() {
                "" => None,
                text => {
                    let parts: Vec<Option<f64>> =
                        list(text).iter().map(|p| decimal(p.trim_end_matches('%')).and_then(Result::ok)).collect();
                    if parts.len() != sectors.len() || parts.iter().any(Option::is_none) {
                        c.fail(shares, Message::SharePerSector { sectors: sectors.len() });
                        None
                    } else {
                        let values: Vec<f64> = parts.into_iter().flatten().collect();
                        let total: f64 = values.iter().sum();
                        if (total - 100.0).abs() > 0.01 {
                            c.fail(
                                shares,
                                Message::SharesAddUp { total: format!("{}", (total * 100.0).round() / 100.0) },
                            );
                        }
                        Some(values)
                    }
                }
            };
            let places: Vec<String> = list(&c.text(place)).iter().map(|p| p.to_uppercase()).collect();
            let recipient_name = c.text(recipient);
            if let (Some(status), Some((original_amount, currency, exchange_rate, amount_usd)), Some(year)) =
                (status_value, money, flow_year)
            {
                flows.push(FlowRow {
                    row: *number,
                    id: if id_text.is_empty() { reference_text.clone() } else { id_text },
                    reference: reference_text,
                    donor,
                    recipient: recipient_name,
                    plan: c.text(plan).to_uppercase(),
                    project: c.text(project),
                    status,
                    parent: c.text(parent),
                    original_amount,
                    currency,
                    exchange_rate,
                    amount_usd,
                    year,
                    decision_date,
                    reported_date,
                    sectors,
                    shares: share_values,
                    places,
                    description: c.text(description).chars().take(1000).collect(),
                });
            }
        }
        FundingSheet::Flows(flows)
    } else if project.is_some() && required.is_some() {
        let name = col("activity", &["project", "name"], &[]);
        let organisation = col("org", &["impl"], &["type"]).or_else(|| col("org", &[], &["funder", "type"]));
        let planned = col("targeted", &[], &["f", "m"]);
        let years = [col("date", &["year"], &[]), col("date", &["start"], &[])];
        let mut projects = Vec::new();
        for (number, record) in rows {
            let mut c = Cells { table, number: *number, record, errors: &mut errors };
            let code = c.name(project);
            let (project_name, org) = (c.name(name.or(project)), c.name(organisation));
            let requested = c.amount(required);
            if requested.is_none() && c.text(required).is_empty() {
                c.fail(required, Message::FundingAmount);
            }
            let planned_value = c.amount(planned);
            let project_year = c.year(&years);
            if let (Some(requested_usd), Some(year)) = (requested, project_year) {
                projects.push(ProjectRow {
                    row: *number,
                    code,
                    name: project_name,
                    organisation: org,
                    plan: c.text(plan).to_uppercase(),
                    sectors: list(&c.text(sector)),
                    year,
                    requested_usd,
                    planned_beneficiaries: planned_value,
                    indicators: list(&c.text(indicators)).iter().map(|i| i.to_uppercase()).collect(),
                });
            }
        }
        FundingSheet::Projects(projects)
    } else if required.is_some() && plan.is_some() {
        let years = [col("date", &["year"], &[]), col("date", &["start"], &[])];
        let (mut requirements, mut without_amount) = (Vec::new(), 0);
        for (number, record) in rows {
            let mut c = Cells { table, number: *number, record, errors: &mut errors };
            // FTS adds funding-only lines (money to no sector of the plan): nothing required.
            if c.text(required).is_empty() {
                without_amount += 1;
                continue;
            }
            let plan_code = c.name(plan).to_uppercase();
            let amount = c.amount(required);
            let requirement_year = c.year(&years);
            if let (Some(required_usd), Some(year)) = (amount, requirement_year) {
                requirements.push(RequirementRow {
                    row: *number,
                    plan: plan_code,
                    sector: c.text(sector),
                    place: c.text(place).to_uppercase(),
                    year,
                    required_usd,
                });
            }
        }
        FundingSheet::Requirements { rows: requirements, without_amount }
    } else if budget.is_some() || expenditure.is_some() {
        let organisation = col("org", &[], &["funder", "type"]);
        let pillar = col("sector", &["pillar"], &[]);
        let years = [col("date", &["year"], &[]), col("date", &[], &[])];
        let mut budgets = Vec::new();
        for (number, record) in rows {
            let mut c = Cells { table, number: *number, record, errors: &mut errors };
            let org = c.name(organisation);
            let (dimension, code) = match (c.text(pillar), c.text(sector)) {
                (p, _) if !p.is_empty() => ("pillar", p),
                (_, s) if !s.is_empty() => ("sector", s),
                _ => {
                    c.fail(pillar.or(sector), Message::BudgetDimension);
                    ("sector", String::new())
                }
            };
            let (budget_value, expenditure_value) = (c.amount(budget), c.amount(expenditure));
            let budget_year = c.year(&years);
            if let Some(year) = budget_year {
                budgets.push(BudgetRow {
                    row: *number,
                    organisation: org,
                    year,
                    dimension,
                    code,
                    budget_usd: budget_value,
                    expenditure_usd: expenditure_value,
                });
            }
        }
        FundingSheet::Budgets(budgets)
    } else {
        return Err(vec![error(tag_row_number, Message::FundingSheetKind)]);
    };
    if errors.is_empty() {
        Ok((sheet, columns))
    } else {
        Err(errors)
    }
}
