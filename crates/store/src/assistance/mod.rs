//! Assistance: programmes, distribution rounds (cycles), planning with the duplicate-assistance
//! check, deliveries, and reach counted in people.
//!
//! Programmes and rounds describe an operation, not people: any signed-in user reads them.
//! Entitlements and deliveries are about households: they follow the registry's scope rules.

mod deliveries;
mod lists;
mod monitoring;
mod planning;
mod reach;
mod reach_disclosure;
mod reach_index;

pub use deliveries::{Delivery, Planned};
pub use lists::{ReturnsError, ReturnsReport};
pub use monitoring::{FollowUp, MonitoringRow, MonitoringSample, MonitoringSummary};
pub use planning::{Conflict, PlanFilter, PlanOverride, PlanReport};
pub(crate) use reach::visible_households;
pub use reach::{Reach, ReachRow};
pub(crate) use reach_index::ReachCache;

use chrono::NaiveDate;
use domain::assistance::{CycleInput, ProgrammeInput};
use domain::{AssistanceKind, CycleStatus, Message, Role, TargetUnit, Unit};
use serde::Serialize;
use serde_json::json;

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{audit, new_id, params, Actor, Store};

/// A programme as read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Programme {
    pub id: String,
    pub organisation: String,
    pub code: String,
    pub name: String,
    pub sector: String,
    pub kind: AssistanceKind,
    pub target_unit: TargetUnit,
    pub start_date: String,
    pub end_date: String,
    pub places: Vec<String>,
    pub donor: Option<String>,
    pub project: Option<String>,
    pub eligibility: String,
    /// Entitlement per cycle: `amount` `unit` per household, or per person up to the cap.
    pub amount: f64,
    pub per: TargetUnit,
    pub cap_per_household: Option<i64>,
    pub unit: Unit,
}

/// A distribution round, with what was planned and delivered in it so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cycle {
    pub id: String,
    pub programme_id: String,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    pub status: CycleStatus,
    /// What was planned and delivered; `None` for readers who see no records (viewers): a
    /// round's counts can be small.
    pub progress: Option<CycleProgress>,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct CycleProgress {
    /// Entitlements planned (households, or persons when the programme assists persons).
    pub entitlements: i64,
    /// Of them, with at least one delivery that reached them.
    pub reached: i64,
    pub entitled_quantity: f64,
    pub delivered_quantity: f64,
}

const PROGRAMME_COLUMNS: &str = "p.id, o.code, p.code, p.name, p.sector, p.kind, p.target_unit, p.start_date, \
     p.end_date, p.places, p.donor, p.project, p.eligibility, p.amount, p.per, p.cap_per_household, p.unit, \
     p.organisation_id";

fn programme_from_row(r: &Row) -> Result<Programme, StoreError> {
    let code = |field: &str, text: &str| StoreError::Database(format!("programme {field} {text:?} unknown"));
    Ok(Programme {
        id: r.text(0),
        organisation: r.text(1),
        code: r.text(2),
        name: r.text(3),
        sector: r.text(4),
        kind: AssistanceKind::parse("kind", r.str(5)).map_err(|_| code("kind", r.str(5)))?,
        target_unit: TargetUnit::parse("target_unit", r.str(6)).map_err(|_| code("target_unit", r.str(6)))?,
        start_date: r.text(7),
        end_date: r.text(8),
        places: r.str(9).split_whitespace().map(str::to_string).collect(),
        donor: r.opt_text(10),
        project: r.opt_text(11),
        eligibility: r.text(12),
        amount: r.real(13),
        per: TargetUnit::parse("per", r.str(14)).map_err(|_| code("per", r.str(14)))?,
        cap_per_household: r.opt_int(15),
        unit: Unit::parse("unit", r.str(16)).map_err(|_| code("unit", r.str(16)))?,
    })
}

/// A programme with its organisation's id, for the checks of writes.
pub(crate) struct ProgrammeRow {
    pub programme: Programme,
    pub organisation_id: String,
}

pub(crate) fn programme_row(tx: &mut Tx<'_>, id: &str) -> Result<ProgrammeRow, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {PROGRAMME_COLUMNS} FROM programmes p JOIN organisations o ON o.id = p.organisation_id \
                 WHERE p.id = $1"
            ),
            params![id],
        )?
        .ok_or(StoreError::NotFound("programme"))?;
    Ok(ProgrammeRow { programme: programme_from_row(&row)?, organisation_id: row.text(17) })
}

impl Store {
    /// Whether `actor` may change the programme and its rounds (plan, deliver, import lists):
    /// what pages ask before offering those forms, by the rule the writes themselves apply.
    pub fn may_change_programme(&self, actor: &Actor, programme_id: &str) -> Result<bool, StoreError> {
        let row = self.db.read(|tx| programme_row(tx, programme_id))?;
        Ok(require_programme_writer(actor, &row.organisation_id).is_ok())
    }
}

/// Only the programme's own organisation (or an administrator) changes it and its rounds.
pub(crate) fn require_programme_writer(actor: &Actor, organisation_id: &str) -> Result<(), StoreError> {
    actor.require_write()?;
    if actor.role == Role::Admin || actor.organisation_id.as_deref() == Some(organisation_id) {
        Ok(())
    } else {
        Err(StoreError::Forbidden("another organisation's programme"))
    }
}

/// A round with its programme's period and organisation.
pub(crate) struct CycleRow {
    pub cycle: Cycle,
    pub programme: ProgrammeRow,
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

impl Store {
    pub fn create_programme(&self, actor: &Actor, input: &ProgrammeInput) -> Result<Programme, StoreError> {
        actor.require_write()?;
        let sectors: Vec<String> = self.gazetteer.sectors.iter().map(|s| s.code.clone()).collect();
        let new = input.parse(self.gazetteer.as_ref(), &sectors)?;
        let now = self.now_ms();
        let id = self.db.write(|tx| {
            let organisation = self.registering_organisation(tx, actor, input.organisation.as_deref())?;
            let taken = tx.query_opt(
                "SELECT id FROM programmes WHERE organisation_id = $1 AND code = $2",
                params![organisation.as_str(), new.code.as_str()],
            )?;
            if taken.is_some() {
                return Err(StoreError::Conflict(Message::ProgrammeCodeTaken { code: new.code.clone() }));
            }
            let id = new_id();
            tx.execute(
                "INSERT INTO programmes (id, organisation_id, code, name, sector, kind, target_unit, start_date, end_date, \
                 places, donor, project, eligibility, amount, per, cap_per_household, unit, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
                params![
                    id.as_str(),
                    organisation.as_str(),
                    new.code.as_str(),
                    new.name.as_str(),
                    new.sector.as_str(),
                    new.kind.as_str(),
                    new.target_unit.as_str(),
                    new.start_date.to_string(),
                    new.end_date.to_string(),
                    new.places.join(" "),
                    new.donor.clone(),
                    new.project.clone(),
                    new.eligibility.as_str(),
                    new.rule.amount,
                    new.rule.per.as_str(),
                    new.rule.cap_per_household.map(i64::from),
                    new.rule.unit.as_str(),
                    now,
                    actor.username.as_str()
                ],
            )?;
            audit::record(tx, actor, now, "create", "programme", &id, json!({"code": new.code, "kind": new.kind}))?;
            // Assistance changed: what is counted from it, and a sync node's feed, follow.
            crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
            Ok(id)
        })?;
        self.programme(&id)
    }

    pub fn programme(&self, id: &str) -> Result<Programme, StoreError> {
        self.db.read(|tx| Ok(programme_row(tx, id)?.programme))
    }

    /// Every programme, newest period first.
    pub fn list_programmes(&self) -> Result<Vec<Programme>, StoreError> {
        self.db.read(|tx| {
            tx.query(
                &format!(
                    "SELECT {PROGRAMME_COLUMNS} FROM programmes p JOIN organisations o ON o.id = p.organisation_id \
                     ORDER BY p.start_date DESC, p.code"
                ),
                params![],
            )?
            .iter()
            .map(programme_from_row)
            .collect()
        })
    }

    pub fn create_cycle(&self, actor: &Actor, programme_id: &str, input: &CycleInput) -> Result<Cycle, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let id = self.db.write(|tx| {
            let programme = programme_row(tx, programme_id)?;
            require_programme_writer(actor, &programme.organisation_id)?;
            let p = &programme.programme;
            let new = input.parse((date(&p.start_date), date(&p.end_date)))?;
            let id = new_id();
            tx.execute(
                "INSERT INTO cycles (id, programme_id, name, start_date, end_date, status, created_at, created_by, \
                 updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $6, $7)",
                params![
                    id.as_str(),
                    p.id.as_str(),
                    new.name.as_str(),
                    new.start_date.to_string(),
                    new.end_date.to_string(),
                    now,
                    actor.username.as_str()
                ],
            )?;
            audit::record(tx, actor, now, "create", "cycle", &id, json!({"programme": p.id}))?;
            // Assistance changed: what is counted from it, and a sync node's feed, follow.
            crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
            Ok(id)
        })?;
        self.cycle(actor, &id)
    }

    pub fn cycle(&self, actor: &Actor, id: &str) -> Result<Cycle, StoreError> {
        self.db.read(|tx| Ok(for_reader(actor, cycle_row(tx, id)?.cycle)))
    }

    pub fn list_cycles(&self, actor: &Actor, programme_id: &str) -> Result<Vec<Cycle>, StoreError> {
        self.db.read(|tx| {
            let programme = programme_row(tx, programme_id)?;
            let ids: Vec<String> = tx
                .query(
                    "SELECT id FROM cycles WHERE programme_id = $1 ORDER BY start_date, id",
                    params![programme.programme.id.as_str()],
                )?
                .iter()
                .map(|r| r.text(0))
                .collect();
            ids.iter().map(|id| Ok(for_reader(actor, cycle_row(tx, id)?.cycle))).collect()
        })
    }

    /// Moves a round on to its next stage (draft → approved → distributing → closed), and only
    /// there: a closed round takes no deliveries, an approved one no new households.
    pub fn advance_cycle(&self, actor: &Actor, id: &str, to: &str) -> Result<Cycle, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let row = cycle_row(tx, id)?;
            // Whose round it is comes before what was asked of it.
            require_programme_writer(actor, &row.programme.organisation_id)?;
            let to = CycleStatus::parse("status", to)?;
            let status = row.cycle.status;
            match status.next() {
                Some(next) if next == to => {}
                Some(next) => {
                    return Err(StoreError::Conflict(Message::CycleStep {
                        status: status.as_str().into(),
                        next: next.as_str().into(),
                    }))
                }
                None => return Err(StoreError::Conflict(Message::CycleClosed)),
            }
            tx.execute(
                "UPDATE cycles SET status = $1, updated_at = $2, updated_by = $3 WHERE id = $4",
                params![to.as_str(), now, actor.username.as_str(), row.cycle.id.as_str()],
            )?;
            audit::record(tx, actor, now, "advance", "cycle", &row.cycle.id, json!({"from": status, "to": to}))?;
            // Assistance changed: what is counted from it, and a sync node's feed, follow.
            crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
            Ok(())
        })?;
        self.cycle(actor, id)
    }
}

/// A round as `actor` may read it: its counts only for readers of records.
fn for_reader(actor: &Actor, cycle: Cycle) -> Cycle {
    if actor.role.sees_records() {
        cycle
    } else {
        Cycle { progress: None, ..cycle }
    }
}

pub(crate) fn cycle_row(tx: &mut Tx<'_>, id: &str) -> Result<CycleRow, StoreError> {
    let row = tx
        .query_opt(
            "SELECT c.id, c.programme_id, c.name, c.start_date, c.end_date, c.status, \
             (SELECT COUNT(*) FROM entitlements e WHERE e.cycle_id = c.id), \
             (SELECT COUNT(DISTINCT d.entitlement_id) FROM deliveries d JOIN entitlements e ON e.id = d.entitlement_id \
              WHERE e.cycle_id = c.id AND d.outcome IN ('delivered', 'partial')), \
             (SELECT COALESCE(SUM(e.quantity), 0) FROM entitlements e WHERE e.cycle_id = c.id), \
             (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d JOIN entitlements e ON e.id = d.entitlement_id \
              WHERE e.cycle_id = c.id) \
             FROM cycles c WHERE c.id = $1",
            params![id],
        )?
        .ok_or(StoreError::NotFound("cycle"))?;
    let status = CycleStatus::parse("status", row.str(5))
        .map_err(|_| StoreError::Database(format!("cycle status {:?} unknown", row.str(5))))?;
    let cycle = Cycle {
        id: row.text(0),
        programme_id: row.text(1),
        name: row.text(2),
        start_date: row.text(3),
        end_date: row.text(4),
        status,
        progress: Some(CycleProgress {
            entitlements: row.int(6),
            reached: row.int(7),
            entitled_quantity: row.real(8),
            delivered_quantity: row.real(9),
        }),
    };
    let programme = programme_row(tx, &cycle.programme_id)?;
    Ok(CycleRow { cycle, programme })
}
