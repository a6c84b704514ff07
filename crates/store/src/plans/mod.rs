//! Response plans, their indicators, and targets and people in need per place and period
//! (imported from an HXL sheet). Operation-level facts: every signed-in user reads them;
//! information-management officers and administrators keep them. `progress` sets them beside
//! what Djoliba counts: people or households reached by the indicator's kinds of assistance,
//! and the displaced people the registry holds at each place.

mod progress;
mod reports;

pub use progress::{PlanProgress, ProgressRow};
pub use reports::Report;

use domain::plans::{IndicatorInput, PlanInput, TargetInput};
use domain::{Aggregation, AssistanceKind, Disaggregation, IndicatorUnit, Message, Role};
use exchange::tables::{read_file, Encoding};
use exchange::targets::{read_targets, TargetRow};
use exchange::InputFile;
use serde::Serialize;
use serde_json::json;

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::import::{ImportError, RowError};
use crate::{audit, new_id, params, Actor, Store};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: String,
    pub code: String,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    pub sectors: Vec<String>,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Indicator {
    pub id: String,
    pub code: String,
    pub sector: String,
    pub name_fr: String,
    pub name_en: String,
    pub unit: IndicatorUnit,
    pub across_periods: Aggregation,
    pub across_places: Aggregation,
    pub disaggregations: Vec<Disaggregation>,
    /// Kinds of assistance whose deliveries count as reached (empty: reported by partners).
    pub kinds: Vec<AssistanceKind>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Target {
    pub indicator: String,
    pub place: String,
    pub start_date: String,
    pub end_date: String,
    pub in_need: Option<f64>,
    pub targeted: Option<f64>,
}

/// What an import of targets did (or would do, checked only).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TargetsReport {
    pub rows: usize,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub dry_run: bool,
}

/// A report, or every bad cell (nothing written).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetsImport {
    pub report: Option<TargetsReport>,
    pub errors: Vec<RowError>,
}

/// Plans are kept by information-management officers (cluster coordinators) and administrators.
pub fn require_plan_writer(actor: &Actor) -> Result<(), StoreError> {
    actor.require_write()?;
    match actor.role {
        Role::Admin | Role::ImOfficer => Ok(()),
        _ => Err(StoreError::Forbidden("response plans are kept by information-management officers")),
    }
}

fn codes<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, StoreError> {
    text.split_whitespace()
        .map(|c| parse(c).ok_or_else(|| StoreError::Database(format!("code {c:?} unknown"))))
        .collect()
}

const INDICATOR_COLUMNS: &str =
    "id, code, sector, name_fr, name_en, unit, across_periods, across_places, disaggregations, kinds";

fn indicator_from_row(r: &Row) -> Result<Indicator, StoreError> {
    let bad = |what: &str, text: &str| StoreError::Database(format!("indicator {what} {text:?} unknown"));
    Ok(Indicator {
        id: r.text(0),
        code: r.text(1),
        sector: r.text(2),
        name_fr: r.text(3),
        name_en: r.text(4),
        unit: IndicatorUnit::parse("unit", r.str(5)).map_err(|_| bad("unit", r.str(5)))?,
        across_periods: Aggregation::parse("a", r.str(6)).map_err(|_| bad("aggregation", r.str(6)))?,
        across_places: Aggregation::parse("a", r.str(7)).map_err(|_| bad("aggregation", r.str(7)))?,
        disaggregations: codes(r.str(8), |c| Disaggregation::parse("d", c).ok())?,
        kinds: codes(r.str(9), |c| AssistanceKind::parse("k", c).ok())?,
    })
}

/// A plan by id or code.
fn plan_in(tx: &mut Tx<'_>, id_or_code: &str) -> Result<Plan, StoreError> {
    let r = tx
        .query_opt(
            "SELECT id, code, name, start_date, end_date, sectors FROM response_plans WHERE id = $1 OR code = $2",
            params![id_or_code.trim(), id_or_code.trim().to_uppercase()],
        )?
        .ok_or(StoreError::NotFound("response plan"))?;
    let indicators = tx
        .query(
            &format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE plan_id = $1 ORDER BY sector, code"),
            params![r.str(0)],
        )?
        .iter()
        .map(indicator_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Plan {
        id: r.text(0),
        code: r.text(1),
        name: r.text(2),
        start_date: r.text(3),
        end_date: r.text(4),
        sectors: r.str(5).split_whitespace().map(str::to_string).collect(),
        indicators,
    })
}

impl Store {
    pub fn create_plan(&self, actor: &Actor, input: &PlanInput) -> Result<Plan, StoreError> {
        require_plan_writer(actor)?;
        let known: Vec<String> = self.gazetteer.sectors.iter().map(|s| s.code.clone()).collect();
        let new = input.parse(&known)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            if tx.query_opt("SELECT id FROM response_plans WHERE code = $1", params![new.code.as_str()])?.is_some() {
                return Err(StoreError::Conflict(Message::PlanCodeTaken { code: new.code.clone() }));
            }
            let id = new_id();
            tx.execute(
                "INSERT INTO response_plans (id, code, name, start_date, end_date, sectors, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    id.as_str(),
                    new.code.as_str(),
                    new.name.as_str(),
                    new.start_date.to_string(),
                    new.end_date.to_string(),
                    new.sectors.join(" "),
                    now,
                    actor.username.as_str()
                ],
            )?;
            audit::record(tx, actor, now, "create", "response_plan", &id, json!({"code": new.code}))?;
            plan_in(tx, &id)
        })
    }

    /// A plan by id or code, with its indicators.
    pub fn plan(&self, id_or_code: &str) -> Result<Plan, StoreError> {
        self.db.read(|tx| plan_in(tx, id_or_code))
    }

    /// Every plan, the latest first.
    pub fn list_plans(&self) -> Result<Vec<Plan>, StoreError> {
        self.db.read(|tx| {
            let ids: Vec<String> = tx
                .query("SELECT id FROM response_plans ORDER BY start_date DESC, code", params![])?
                .iter()
                .map(|r| r.text(0))
                .collect();
            ids.iter().map(|id| plan_in(tx, id)).collect()
        })
    }

    pub fn create_indicator(&self, actor: &Actor, plan: &str, input: &IndicatorInput) -> Result<Indicator, StoreError> {
        require_plan_writer(actor)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let plan = plan_in(tx, plan)?;
            let new = input.parse(&plan.sectors)?;
            if plan.indicators.iter().any(|i| i.code == new.code) {
                return Err(StoreError::Conflict(Message::IndicatorCodeTaken { code: new.code.clone() }));
            }
            let id = new_id();
            let spaced = |codes: Vec<&str>| codes.join(" ");
            tx.execute(
                "INSERT INTO indicators (id, plan_id, code, sector, name_fr, name_en, unit, across_periods, \
                 across_places, disaggregations, kinds, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                params![
                    id.as_str(),
                    plan.id.as_str(),
                    new.code.as_str(),
                    new.sector.as_str(),
                    new.name_fr.as_str(),
                    new.name_en.as_str(),
                    new.unit.as_str(),
                    new.across_periods.as_str(),
                    new.across_places.as_str(),
                    spaced(new.disaggregations.iter().map(|d| d.as_str()).collect()),
                    spaced(new.kinds.iter().map(|k| k.as_str()).collect()),
                    now,
                    actor.username.as_str()
                ],
            )?;
            audit::record(tx, actor, now, "create", "indicator", &id, json!({"plan": plan.code, "code": new.code}))?;
            let row = tx.query_opt(
                &format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE id = $1"),
                params![id.as_str()],
            )?;
            indicator_from_row(&row.ok_or(StoreError::NotFound("indicator"))?)
        })
    }

    /// Changes an indicator (found by its code in the plan): names, sector, disaggregations and
    /// the kinds counted may change any time; its unit and how values add up are fixed once a
    /// partner has reported it, since those reports were given under them.
    pub fn update_indicator(
        &self,
        actor: &Actor,
        plan: &str,
        code: &str,
        input: &IndicatorInput,
    ) -> Result<Indicator, StoreError> {
        require_plan_writer(actor)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let plan = plan_in(tx, plan)?;
            let code = code.trim().to_uppercase();
            let Some(before) = plan.indicators.iter().find(|i| i.code == code) else {
                return Err(StoreError::NotFound("indicator"));
            };
            let new = IndicatorInput { code: code.clone(), ..input.clone() }.parse(&plan.sectors)?;
            let rules_change = new.unit != before.unit
                || new.across_periods != before.across_periods
                || new.across_places != before.across_places;
            if rules_change {
                let reports = tx.query_int(
                    "SELECT COUNT(*) FROM activity_reports WHERE indicator_id = $1",
                    params![before.id.as_str()],
                )? as usize;
                if reports > 0 {
                    return Err(StoreError::Conflict(Message::IndicatorRulesFixed { reports }));
                }
            }
            let spaced = |codes: Vec<&str>| codes.join(" ");
            tx.execute(
                "UPDATE indicators SET sector = $1, name_fr = $2, name_en = $3, unit = $4, across_periods = $5, \
                 across_places = $6, disaggregations = $7, kinds = $8 WHERE id = $9",
                params![
                    new.sector.as_str(),
                    new.name_fr.as_str(),
                    new.name_en.as_str(),
                    new.unit.as_str(),
                    new.across_periods.as_str(),
                    new.across_places.as_str(),
                    spaced(new.disaggregations.iter().map(|d| d.as_str()).collect()),
                    spaced(new.kinds.iter().map(|k| k.as_str()).collect()),
                    before.id.as_str()
                ],
            )?;
            // Deliveries counted for it may change: the plan's progress is computed, not kept.
            audit::record(tx, actor, now, "update", "indicator", &before.id, json!({"plan": plan.code, "code": code}))?;
            let row = tx.query_opt(
                &format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE id = $1"),
                params![before.id.as_str()],
            )?;
            indicator_from_row(&row.ok_or(StoreError::NotFound("indicator"))?)
        })
    }

    /// The plan's targets, by indicator, place and period.
    pub fn plan_targets(&self, plan: &str) -> Result<Vec<Target>, StoreError> {
        self.db.read(|tx| {
            let plan = plan_in(tx, plan)?;
            targets_in(tx, &plan)
        })
    }

    /// Imports targets and people in need from an HXL-tagged sheet (CSV or XLSX): every row
    /// is checked (indicator of the plan, région or cercle, period within the plan, numbers)
    /// and nothing is written unless all are good; a row sets its indicator × place × period,
    /// so the same sheet again changes nothing.
    pub fn import_targets_file(
        &self,
        actor: &Actor,
        plan: &str,
        file: InputFile,
        dry_run: bool,
    ) -> Result<TargetsImport, ImportError> {
        require_plan_writer(actor).map_err(ImportError::Store)?;
        let tables = read_file(&file.name, &file.bytes, Encoding::Auto).map_err(ImportError::File)?;
        let table = tables.into_iter().find(exchange::series::has_tag_row);
        let Some(table) = table else {
            let expected = Message::HxlTagRow;
            let error = RowError { file: file.name, row: 1, column: String::new(), value: String::new(), expected };
            return Ok(TargetsImport { report: None, errors: vec![error] });
        };
        let rows = match read_targets(&table) {
            Ok(rows) => rows,
            Err(errors) => return Ok(TargetsImport { report: None, errors }),
        };
        let source = table.source.clone();
        self.db
            .write(|tx| {
                let plan = plan_in(tx, plan)?;
                let errors = self.check_targets(&plan, &source, &rows);
                if !errors.is_empty() {
                    return Ok(TargetsImport { report: None, errors });
                }
                let report =
                    self.write_targets(tx, actor, &plan, &rows, dry_run, |row| format!("{source}, row {}", row.row))?;
                if !dry_run && report.added + report.changed > 0 {
                    audit::record(
                        tx,
                        actor,
                        self.now_ms(),
                        "import_targets",
                        "response_plan",
                        &plan.id,
                        json!({
                            "file": source, "added": report.added, "changed": report.changed
                        }),
                    )?;
                }
                Ok(TargetsImport { report: Some(report), errors: Vec::new() })
            })
            .map_err(ImportError::Store)
    }

    /// Sets one target entered by hand (a form, the API): checked as a sheet's row is, and
    /// recorded with who entered it.
    pub fn set_target(&self, actor: &Actor, plan: &str, input: &TargetInput) -> Result<TargetsReport, StoreError> {
        require_plan_writer(actor)?;
        let new = input.parse()?;
        let row = TargetRow {
            row: 1,
            indicator: new.indicator,
            place: new.place,
            place_column: "place".into(),
            start: new.start,
            end: new.end,
            in_need: new.in_need,
            targeted: new.targeted,
        };
        self.db.write(|tx| {
            let plan = plan_in(tx, plan)?;
            let errors = self.check_targets(&plan, "", std::slice::from_ref(&row));
            if !errors.is_empty() {
                // A sheet's columns are a form's fields.
                let fields = errors.into_iter().map(|e| {
                    let field = match e.column.as_str() {
                        "#indicator+code" => "indicator",
                        "#date" => "start_date",
                        _ => "place",
                    };
                    domain::FieldError::new(field, e.value, e.expected)
                });
                return Err(StoreError::Invalid(domain::FieldErrors(fields.collect())));
            }
            let entered_by = format!("entered by {}", actor.username);
            let report =
                self.write_targets(tx, actor, &plan, std::slice::from_ref(&row), false, |_| entered_by.clone())?;
            if report.added + report.changed > 0 {
                audit::record(
                    tx,
                    actor,
                    self.now_ms(),
                    "set_target",
                    "response_plan",
                    &plan.id,
                    json!({
                        "indicator": row.indicator, "place": row.place,
                        "start": row.start.to_string(), "end": row.end.to_string()
                    }),
                )?;
            }
            Ok(report)
        })
    }

    /// Writes checked rows: a row sets its indicator × place × period (replacing what was
    /// there); counts what was added, changed and already so.
    fn write_targets(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        plan: &Plan,
        rows: &[TargetRow],
        dry_run: bool,
        source_of: impl Fn(&TargetRow) -> String,
    ) -> Result<TargetsReport, StoreError> {
        let now = self.now_ms();
        let existing = targets_in(tx, plan)?;
        let mut report = TargetsReport { rows: rows.len(), dry_run, ..Default::default() };
        for row in rows {
            let indicator = plan.indicators.iter().find(|i| i.code == row.indicator).map(|i| i.id.as_str());
            let (start, end) = (row.start.to_string(), row.end.to_string());
            let before = existing.iter().find(|t| {
                t.indicator == row.indicator && t.place == row.place && t.start_date == start && t.end_date == end
            });
            match before {
                Some(t) if t.in_need == row.in_need && t.targeted == row.targeted => {
                    report.unchanged += 1;
                    continue;
                }
                Some(_) => report.changed += 1,
                None => report.added += 1,
            }
            if dry_run {
                continue;
            }
            let key = params![indicator.unwrap_or_default(), row.place.as_str(), start.as_str(), end.as_str()];
            tx.execute(
                "DELETE FROM indicator_targets WHERE indicator_id = $1 AND place = $2 AND start_date = $3 \
                         AND end_date = $4",
                key,
            )?;
            tx.execute(
                "INSERT INTO indicator_targets (indicator_id, place, start_date, end_date, in_need, targeted, \
                         source, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    indicator.unwrap_or_default(),
                    row.place.as_str(),
                    start.as_str(),
                    end.as_str(),
                    row.in_need,
                    row.targeted,
                    source_of(row),
                    now,
                    actor.username.as_str()
                ],
            )?;
        }
        Ok(report)
    }

    /// Every row's indicator, place and period, against the plan; repeated keys too.
    fn check_targets(&self, plan: &Plan, source: &str, rows: &[TargetRow]) -> Vec<RowError> {
        let error = |row: usize, column: &str, value: &str, expected: Message| RowError {
            file: source.to_string(),
            row,
            column: column.into(),
            value: value.into(),
            expected,
        };
        let codes = plan.indicators.iter().map(|i| i.code.as_str()).collect::<Vec<_>>().join(", ");
        let mut errors = Vec::new();
        let mut seen: std::collections::HashMap<(String, String, String, String), usize> = Default::default();
        for row in rows {
            if !plan.indicators.iter().any(|i| i.code == row.indicator) {
                errors.push(error(
                    row.row,
                    "#indicator+code",
                    &row.indicator,
                    Message::IndicatorOfPlan { codes: codes.clone() },
                ));
            }
            let level = self.gazetteer.get(&row.place).map(|l| l.admin_level);
            if !matches!(level, Some(1 | 2)) {
                errors.push(error(row.row, &row.place_column, &row.place, Message::TargetPlace));
            }
            let (start, end) = (row.start.to_string(), row.end.to_string());
            if start < plan.start_date || end > plan.end_date {
                errors.push(error(
                    row.row,
                    "#date",
                    &format!("{start} → {end}"),
                    Message::WithinPeriod { from: plan.start_date.clone(), to: plan.end_date.clone() },
                ));
            }
            let key = (row.indicator.clone(), row.place.clone(), start, end);
            if let Some(first) = seen.insert(key, row.row) {
                errors.push(error(row.row, "#indicator+code", &row.indicator, Message::TargetOnce { row: first }));
            }
        }
        errors
    }
}

fn targets_in(tx: &mut Tx<'_>, plan: &Plan) -> Result<Vec<Target>, StoreError> {
    Ok(tx
        .query(
            "SELECT i.code, t.place, t.start_date, t.end_date, t.in_need, t.targeted FROM indicator_targets t \
             JOIN indicators i ON i.id = t.indicator_id WHERE i.plan_id = $1 \
             ORDER BY i.sector, i.code, t.start_date, t.place",
            params![plan.id.as_str()],
        )?
        .iter()
        .map(|r| Target {
            indicator: r.text(0),
            place: r.text(1),
            start_date: r.text(2),
            end_date: r.text(3),
            in_need: r.opt_real(4),
            targeted: r.opt_real(5),
        })
        .collect())
}
