//! The money: requirements per plan × sector (× place) × year, contributions as OCHA FTS
//! records them (flows with a status, the amount as given and the rate used), budgets and
//! expenditure per organisation × pillar or sector × year, and projects. Operation-level facts
//! kept by information-management officers; `figures` joins them to people reached.
//!
//! Rules: pledges are not funding until committed; a payment naming the commitment it pays
//! is part of it, not more money; a flow tagged to several sectors counts by the shares given
//! ("shared"), else in full under each ("overlap", as FTS counts it, said on every row it
//! touches); a sector label outside the code list counts as "not specified" and the import
//! says which labels did.

mod figures;

pub use figures::{CostRow, FundingOverview, PlanFunding, ProjectFunding, SectorFunding, SectorMoney, YearBudget};

use std::collections::{BTreeMap, HashMap};

use domain::{FlowStatus, Message, Pillar};
use exchange::funding::{read_funding, BudgetRow, FlowRow, FundingColumns, FundingSheet, ProjectRow, RequirementRow};
use exchange::tables::{read_file, Encoding};
use exchange::InputFile;
use serde::Serialize;
use serde_json::json;

use crate::db::Tx;
use crate::error::StoreError;
use crate::import::{ImportError, RowError};
use crate::{audit, params, Actor, Store};

/// What an import of a funding sheet did (or would do, checked only).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct FundingReport {
    /// flows, requirements, budgets or projects.
    pub kind: String,
    pub rows: usize,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Sector labels outside the code list, counted as "not specified", with their rows.
    pub not_specified: BTreeMap<String, usize>,
    /// Requirement lines without an amount (FTS's funding-only lines), left out.
    pub without_amount: usize,
    pub dry_run: bool,
}

impl FundingReport {
    /// Counts a row by what is recorded under its key (`None`: nothing; `Some(same)`), and
    /// says whether to write it (not when unchanged, nor in a dry run).
    fn count(&mut self, recorded: Option<bool>) -> bool {
        match recorded {
            Some(true) => {
                self.unchanged += 1;
                return false;
            }
            Some(false) => self.changed += 1,
            None => self.added += 1,
        }
        !self.dry_run
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FundingImport {
    pub report: Option<FundingReport>,
    pub errors: Vec<RowError>,
}

/// A sector label resolved: its code, or "" for "not specified".
fn is_unspecified(label: &str) -> bool {
    let folded = domain::text::fold(label);
    folded.is_empty() || ["not specified", "non specifie", "unspecified", "non precise"].contains(&folded.as_str())
}

struct Checker<'a> {
    source: &'a str,
    errors: Vec<RowError>,
}

impl Checker<'_> {
    fn fail(&mut self, row: usize, column: &str, value: &str, expected: Message) {
        self.errors.push(RowError {
            file: self.source.to_string(),
            row,
            column: column.into(),
            value: value.into(),
            expected,
        });
    }
}

/// Plan codes → ids.
fn plans_in(tx: &mut Tx<'_>) -> Result<HashMap<String, String>, StoreError> {
    Ok(tx.query("SELECT code, id FROM response_plans", params![])?.iter().map(|r| (r.text(0), r.text(1))).collect())
}

impl Store {
    /// Imports a funding sheet in HXL (CSV or XLSX): flows, requirements, budgets or projects,
    /// told by its hashtags. All or nothing, every bad cell named; a row sets its key (flow
    /// id; plan × sector × place × year; organisation × year × pillar or sector; project
    /// code), so the same sheet again changes nothing.
    pub fn import_funding_file(
        &self,
        actor: &Actor,
        file: InputFile,
        dry_run: bool,
    ) -> Result<FundingImport, ImportError> {
        crate::plans::require_plan_writer(actor).map_err(ImportError::Store)?;
        let tables = read_file(&file.name, &file.bytes, Encoding::Auto).map_err(ImportError::File)?;
        let Some(table) = tables.into_iter().find(exchange::series::has_tag_row) else {
            let expected = Message::HxlTagRow;
            let error = RowError { file: file.name, row: 1, column: String::new(), value: String::new(), expected };
            return Ok(FundingImport { report: None, errors: vec![error] });
        };
        let (sheet, columns) = match read_funding(&table) {
            Ok(read) => read,
            Err(errors) => return Ok(FundingImport { report: None, errors }),
        };
        let (source, now) = (table.source.clone(), self.now_ms());
        self.db
            .write(|tx| {
                let mut check = Checker { source: &source, errors: Vec::new() };
                let mut report = FundingReport { dry_run, ..Default::default() };
                match &sheet {
                    FundingSheet::Flows(rows) => {
                        report.kind = "flows".into();
                        self.write_flows(tx, rows, &columns, &mut check, &mut report, (actor, now))?
                    }
                    FundingSheet::Requirements { rows, without_amount } => {
                        report.kind = "requirements".into();
                        report.without_amount = *without_amount;
                        self.write_requirements(tx, rows, &columns, &mut check, &mut report, (actor, now))?
                    }
                    FundingSheet::Budgets(rows) => {
                        report.kind = "budgets".into();
                        self.write_budgets(tx, rows, &columns, &mut check, &mut report, (actor, now))?
                    }
                    FundingSheet::Projects(rows) => {
                        report.kind = "projects".into();
                        self.write_projects(tx, rows, &columns, &mut check, &mut report, (actor, now))?
                    }
                }
                // Every write_ checks all its rows before writing any: nothing was written.
                if !check.errors.is_empty() {
                    return Ok(FundingImport { report: None, errors: check.errors });
                }
                if !dry_run && report.added + report.changed > 0 {
                    let detail =
                        json!({"file": source, "kind": report.kind, "added": report.added, "changed": report.changed});
                    audit::record(tx, actor, now, "import_funding", "funding", &source, detail)?;
                }
                Ok(FundingImport { report: Some(report), errors: Vec::new() })
            })
            .map_err(ImportError::Store)
    }

    /// Sector labels to codes ("" for not specified), counting labels outside the list.
    fn sector_codes(&self, labels: &[String], report: &mut FundingReport) -> Vec<(String, String)> {
        labels
            .iter()
            .map(|label| match self.gazetteer.sector_named(label) {
                Some(s) => (s.code.clone(), label.clone()),
                None => {
                    if !is_unspecified(label) {
                        *report.not_specified.entry(label.clone()).or_default() += 1;
                    }
                    (String::new(), label.clone())
                }
            })
            .collect()
    }

    fn write_flows(
        &self,
        tx: &mut Tx<'_>,
        rows: &[FlowRow],
        columns: &FundingColumns,
        check: &mut Checker<'_>,
        report: &mut FundingReport,
        (actor, now): (&Actor, i64),
    ) -> Result<(), StoreError> {
        let plans = plans_in(tx)?;
        let plan_codes = plans.keys().cloned().collect::<Vec<_>>().join(", ");
        // Recorded flows: status and dollars, and what was paid against each commitment.
        let mut recorded: HashMap<String, (String, f64, Option<String>)> = HashMap::new();
        for r in tx.query("SELECT id, status, amount_usd, parent_id FROM funding_flows", params![])? {
            recorded.insert(r.text(0), (r.text(1), r.real(2), r.opt_text(3)));
        }
        let mut in_file: HashMap<&str, usize> = HashMap::new();
        for row in rows {
            if let Some(first) = in_file.insert(row.id.as_str(), row.row) {
                check.fail(row.row, "#activity+id+fts_internal", &row.id, Message::FlowOnce { row: first });
            }
        }
        // Payments per commitment once this file is in: recorded ones not in the file, plus
        // the file's.
        let mut paid_against: HashMap<String, f64> = HashMap::new();
        for (id, (status, usd, parent)) in &recorded {
            if let (Some(parent), false, "paid") = (parent, in_file.contains_key(id.as_str()), status.as_str()) {
                *paid_against.entry(parent.clone()).or_default() += usd;
            }
        }
        report.rows = rows.len();
        for row in rows {
            if !row.plan.is_empty() && !plans.contains_key(&row.plan) {
                check.fail(row.row, &columns.plan, &row.plan, Message::PlanOfFlow { codes: plan_codes.clone() });
            }
            for place in &row.places {
                if self.gazetteer.get(place).map(|l| l.admin_level) != Some(1) {
                    check.fail(row.row, &columns.place, place, Message::RegionCodeList);
                }
            }
            if !row.parent.is_empty() {
                let file_parent = rows.iter().find(|r| r.id == row.parent).map(|r| (r.status, r.amount_usd));
                let parent = file_parent.or_else(|| {
                    recorded.get(&row.parent).and_then(|(s, usd, _)| FlowStatus::parse("s", s).ok().map(|s| (s, *usd)))
                });
                match parent {
                    Some((FlowStatus::Commitment, committed)) if row.status == FlowStatus::Paid => {
                        let paid = paid_against.entry(row.parent.clone()).or_default();
                        *paid += row.amount_usd;
                        if *paid > committed + 0.5 {
                            let (committed, paid) = (format!("{committed:.0}"), format!("{:.0}", *paid));
                            check.fail(
                                row.row,
                                "#value+funding+total+usd",
                                &row.amount_usd.to_string(),
                                Message::PaidAboveCommitment { commitment: committed, paid },
                            );
                        }
                    }
                    _ => check.fail(row.row, &columns.parent, &row.parent, Message::ParentCommitment),
                }
            }
        }
        if !check.errors.is_empty() {
            return Ok(());
        }
        let mut existing: HashMap<String, (Vec<String>, [f64; 3])> = HashMap::new();
        for r in tx.query(
            "SELECT id, donor, recipient, COALESCE(plan_id, ''), project, status, COALESCE(parent_id, ''), currency, \
             year, sharing, places, description, original_amount, exchange_rate, amount_usd FROM funding_flows",
            params![],
        )? {
            let mut texts: Vec<String> = (1..8).map(|i| r.text(i)).collect();
            texts.push(r.int(8).to_string());
            texts.extend((9..12).map(|i| r.text(i)));
            existing.insert(r.text(0), (texts, [r.real(12), r.real(13), r.real(14)]));
        }
        for row in rows {
            let sectors = self.sector_codes(&row.sectors, report);
            let sharing = if row.shares.is_some() || sectors.len() <= 1 { "shared" } else { "overlap" };
            let plan_id = plans.get(&row.plan).cloned();
            let places = row.places.join(" ");
            let texts: Vec<String> = vec![
                row.donor.clone(),
                row.recipient.clone(),
                plan_id.clone().unwrap_or_default(),
                row.project.clone(),
                row.status.as_str().to_string(),
                row.parent.clone(),
                row.currency.clone(),
                row.year.to_string(),
                sharing.to_string(),
                places.clone(),
                row.description.clone(),
            ];
            let amounts = [row.original_amount, row.exchange_rate, row.amount_usd];
            let close = |a: &[f64; 3]| a.iter().zip(&amounts).all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0));
            let shares: Vec<f64> = match &row.shares {
                Some(p) => p.iter().map(|p| p / 100.0).collect(),
                None => vec![1.0; sectors.len()],
            };
            let sectors_now: Vec<(String, String, f64)> = sectors
                .iter()
                .zip(&shares)
                .map(|((code, label), share)| (code.clone(), label.clone(), *share))
                .collect();
            let sectors_before: Vec<(String, String, f64)> = tx
                .query(
                    "SELECT sector, label, share FROM funding_flow_sectors WHERE flow_id = $1 ORDER BY position",
                    params![row.id.as_str()],
                )?
                .iter()
                .map(|r| (r.text(0), r.text(1), r.real(2)))
                .collect();
            let recorded = existing
                .get(&row.id)
                .map(|(before, amounts)| *before == texts && close(amounts) && sectors_before == sectors_now);
            if !report.count(recorded) {
                continue;
            }
            tx.execute("DELETE FROM funding_flow_sectors WHERE flow_id = $1", params![row.id.as_str()])?;
            tx.execute("DELETE FROM funding_flows WHERE id = $1", params![row.id.as_str()])?;
            tx.execute(
                "INSERT INTO funding_flows (id, reference, donor, recipient, plan_id, project, status, parent_id, \
                 original_amount, currency, exchange_rate, amount_usd, year, decision_date, reported_date, sharing, \
                 places, description, source, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
                params![
                    row.id.as_str(),
                    row.reference.as_str(),
                    row.donor.as_str(),
                    row.recipient.as_str(),
                    plan_id,
                    row.project.as_str(),
                    row.status.as_str(),
                    (!row.parent.is_empty()).then(|| row.parent.clone()),
                    row.original_amount,
                    row.currency.as_str(),
                    row.exchange_rate,
                    row.amount_usd,
                    i64::from(row.year),
                    row.decision_date.map(|d| d.to_string()),
                    row.reported_date.map(|d| d.to_string()),
                    sharing,
                    places.as_str(),
                    row.description.as_str(),
                    format!("{}, row {}", check.source, row.row),
                    now,
                    actor.username.as_str()
                ],
            )?;
            for (position, (code, label, share)) in sectors_now.iter().enumerate() {
                tx.execute(
                    "INSERT INTO funding_flow_sectors (flow_id, position, sector, label, share) VALUES ($1, $2, $3, $4, $5)",
                    params![row.id.as_str(), position as i64, code.as_str(), label.as_str(), *share],
                )?;
            }
        }
        Ok(())
    }

    fn write_requirements(
        &self,
        tx: &mut Tx<'_>,
        rows: &[RequirementRow],
        columns: &FundingColumns,
        check: &mut Checker<'_>,
        report: &mut FundingReport,
        (actor, now): (&Actor, i64),
    ) -> Result<(), StoreError> {
        let plans = plans_in(tx)?;
        let plan_codes = plans.keys().cloned().collect::<Vec<_>>().join(", ");
        // Lines under labels outside the code list add up on the plan's "not specified" line.
        // (plan, sector, place, year) → (amount, first row, from a label outside the list).
        type Line = (f64, usize, bool);
        let mut lines: BTreeMap<(String, String, String, i64), Line> = BTreeMap::new();
        report.rows = rows.len();
        for row in rows {
            let Some(plan) = plans.get(&row.plan) else {
                check.fail(row.row, &columns.plan, &row.plan, Message::PlanCode { codes: plan_codes.clone() });
                continue;
            };
            if !row.place.is_empty() && !matches!(self.gazetteer.get(&row.place).map(|l| l.admin_level), Some(1 | 2)) {
                check.fail(row.row, &columns.place, &row.place, Message::TargetPlace);
            }
            let (code, _) = self.sector_codes(std::slice::from_ref(&row.sector), report).remove(0);
            let unlisted = code.is_empty() && !is_unspecified(&row.sector);
            let key = (plan.clone(), code, row.place.clone(), i64::from(row.year));
            match lines.get_mut(&key) {
                Some((amount, _, true)) if unlisted => *amount += row.required_usd,
                Some((_, first, _)) => {
                    let first = *first;
                    check.fail(row.row, &columns.sector, &row.sector, Message::RequirementOnce { row: first })
                }
                None => {
                    lines.insert(key, (row.required_usd, row.row, unlisted));
                }
            }
        }
        if !check.errors.is_empty() {
            return Ok(());
        }
        for ((plan, sector, place, year), (amount, row, _)) in lines {
            let key = params![plan.as_str(), sector.as_str(), place.as_str(), year];
            let before = tx.query_opt(
                "SELECT required_usd FROM funding_requirements WHERE plan_id = $1 AND sector = $2 AND place = $3 AND year = $4",
                key,
            )?;
            if !report.count(before.map(|b| (b.real(0) - amount).abs() < 0.005)) {
                continue;
            }
            tx.execute(
                "DELETE FROM funding_requirements WHERE plan_id = $1 AND sector = $2 AND place = $3 AND year = $4",
                key,
            )?;
            tx.execute(
                "INSERT INTO funding_requirements (plan_id, sector, place, year, required_usd, source, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    plan.as_str(),
                    sector.as_str(),
                    place.as_str(),
                    year,
                    amount,
                    format!("{}, row {row}", check.source),
                    now,
                    actor.username.as_str()
                ],
            )?;
        }
        Ok(())
    }

    fn write_budgets(
        &self,
        tx: &mut Tx<'_>,
        rows: &[BudgetRow],
        columns: &FundingColumns,
        check: &mut Checker<'_>,
        report: &mut FundingReport,
        (actor, now): (&Actor, i64),
    ) -> Result<(), StoreError> {
        let sector_codes = self.gazetteer.sectors.iter().map(|s| s.code.as_str()).collect::<Vec<_>>().join(", ");
        let mut seen: HashMap<(String, i32, &str, String), usize> = HashMap::new();
        let mut lines = Vec::new();
        report.rows = rows.len();
        for row in rows {
            let code = match row.dimension {
                "pillar" => match Pillar::parse("pillar", &row.code) {
                    Ok(p) => p.as_str().to_string(),
                    Err(_) => {
                        check.fail(row.row, "#sector+pillar", &row.code, Pillar::expected());
                        continue;
                    }
                },
                _ => match self.gazetteer.sector_named(&row.code) {
                    Some(s) => s.code.clone(),
                    None => {
                        check.fail(
                            row.row,
                            &columns.sector,
                            &row.code,
                            Message::SectorOfList { codes: sector_codes.clone() },
                        );
                        continue;
                    }
                },
            };
            let key = (row.organisation.clone(), row.year, row.dimension, code.clone());
            if let Some(first) = seen.insert(key, row.row) {
                check.fail(row.row, "#org", &row.organisation, Message::RequirementOnce { row: first });
            }
            lines.push((row, code));
        }
        if !check.errors.is_empty() {
            return Ok(());
        }
        for (row, code) in lines {
            let key = params![row.organisation.as_str(), i64::from(row.year), row.dimension, code.as_str()];
            let before = tx.query_opt(
                "SELECT budget_usd, expenditure_usd FROM budgets WHERE organisation = $1 AND year = $2 AND dimension = $3 \
                 AND code = $4",
                key,
            )?;
            let recorded = before.map(|b| b.opt_real(0) == row.budget_usd && b.opt_real(1) == row.expenditure_usd);
            if !report.count(recorded) {
                continue;
            }
            tx.execute(
                "DELETE FROM budgets WHERE organisation = $1 AND year = $2 AND dimension = $3 AND code = $4",
                key,
            )?;
            tx.execute(
                "INSERT INTO budgets (organisation, year, dimension, code, budget_usd, expenditure_usd, source, updated_at, \
                 updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    row.organisation.as_str(),
                    i64::from(row.year),
                    row.dimension,
                    code.as_str(),
                    row.budget_usd,
                    row.expenditure_usd,
                    format!("{}, row {}", check.source, row.row),
                    now,
                    actor.username.as_str()
                ],
            )?;
        }
        Ok(())
    }

    fn write_projects(
        &self,
        tx: &mut Tx<'_>,
        rows: &[ProjectRow],
        columns: &FundingColumns,
        check: &mut Checker<'_>,
        report: &mut FundingReport,
        (actor, now): (&Actor, i64),
    ) -> Result<(), StoreError> {
        let plans = plans_in(tx)?;
        let plan_codes = plans.keys().cloned().collect::<Vec<_>>().join(", ");
        let sector_codes = self.gazetteer.sectors.iter().map(|s| s.code.as_str()).collect::<Vec<_>>().join(", ");
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut lines = Vec::new();
        report.rows = rows.len();
        for row in rows {
            if let Some(first) = seen.insert(row.code.as_str(), row.row) {
                check.fail(row.row, &columns.project, &row.code, Message::RequirementOnce { row: first });
            }
            let plan_id = match plans.get(&row.plan) {
                Some(id) => Some(id.clone()),
                None if row.plan.is_empty() => None,
                None => {
                    check.fail(row.row, &columns.plan, &row.plan, Message::PlanOfFlow { codes: plan_codes.clone() });
                    None
                }
            };
            let mut sectors = Vec::new();
            for label in &row.sectors {
                match self.gazetteer.sector_named(label) {
                    Some(s) => sectors.push(s.code.clone()),
                    None => check.fail(
                        row.row,
                        &columns.sector,
                        label,
                        Message::SectorOfList { codes: sector_codes.clone() },
                    ),
                }
            }
            if let Some(plan) = &plan_id {
                let known: Vec<String> = tx
                    .query("SELECT code FROM indicators WHERE plan_id = $1", params![plan.as_str()])?
                    .iter()
                    .map(|r| r.text(0))
                    .collect();
                for indicator in row.indicators.iter().filter(|i| !known.contains(i)) {
                    check.fail(
                        row.row,
                        &columns.indicators,
                        indicator,
                        Message::IndicatorOfPlan { codes: known.join(", ") },
                    );
                }
            }
            lines.push((row, plan_id, sectors.join(" ")));
        }
        if !check.errors.is_empty() {
            return Ok(());
        }
        for (row, plan_id, sectors) in lines {
            let indicators = row.indicators.join(" ");
            let before = tx.query_opt(
                "SELECT name, organisation, COALESCE(plan_id, ''), sectors, year, requested_usd, planned_beneficiaries, \
                 indicators FROM projects WHERE code = $1",
                params![row.code.as_str()],
            )?;
            let same = before.as_ref().is_some_and(|b| {
                b.str(0) == row.name
                    && b.str(1) == row.organisation
                    && b.str(2) == plan_id.as_deref().unwrap_or("")
                    && b.str(3) == sectors
                    && b.int(4) == i64::from(row.year)
                    && (b.real(5) - row.requested_usd).abs() < 0.005
                    && b.opt_real(6) == row.planned_beneficiaries
                    && b.str(7) == indicators
            });
            if !report.count(before.is_some().then_some(same)) {
                continue;
            }
            tx.execute("DELETE FROM projects WHERE code = $1", params![row.code.as_str()])?;
            tx.execute(
                "INSERT INTO projects (code, name, organisation, plan_id, sectors, year, requested_usd, \
                 planned_beneficiaries, indicators, source, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                params![
                    row.code.as_str(),
                    row.name.as_str(),
                    row.organisation.as_str(),
                    plan_id,
                    sectors.as_str(),
                    i64::from(row.year),
                    row.requested_usd,
                    row.planned_beneficiaries,
                    indicators.as_str(),
                    format!("{}, row {}", check.source, row.row),
                    now,
                    actor.username.as_str()
                ],
            )?;
        }
        Ok(())
    }
}
