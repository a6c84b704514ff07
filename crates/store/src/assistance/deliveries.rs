//! Deliveries against entitlements, and reach: distinct people and households who received
//! something, never a sum over programmes.

use domain::assistance::DeliveryInput;
use domain::{CycleStatus, DeliveryOutcome, Message, Modality, TargetUnit};
use serde::Serialize;
use serde_json::json;

use super::cycle_row;
use crate::error::StoreError;

use crate::visibility::{Access, Sql, Visibility};
use crate::{audit, new_id, params, Actor, Store};

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub entitlement_id: String,
    pub household_id: String,
    pub person_id: Option<String>,
    pub date: String,
    pub place: Option<String>,
    pub quantity: f64,
    pub modality: Modality,
    pub outcome: DeliveryOutcome,
    pub reference: Option<String>,
    pub delivered_by: Option<String>,
}

/// Without free text or names: what a person typed may name someone.
impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("entitlement_id", &self.entitlement_id)
            .field("date", &self.date)
            .field("quantity", &self.quantity)
            .field("modality", &self.modality)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// A household (or member) planned in a round, as the distribution list shows it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Planned {
    pub entitlement_id: String,
    pub household_id: String,
    pub household: String,
    /// The member entitled, when the programme assists persons.
    pub person_id: Option<String>,
    /// Names of the people covered, head first as registered.
    pub people: Vec<String>,
    pub entitled: f64,
    pub delivered: f64,
    pub deliveries: i64,
}

/// Without free text or names: what a person typed may name someone.
impl std::fmt::Debug for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planned")
            .field("entitlement_id", &self.entitlement_id)
            .field("household_id", &self.household_id)
            .field("entitled", &self.entitled)
            .field("delivered", &self.delivered)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Records what was handed over to a household planned in the round (or one of its
    /// members, when the programme assists persons). Refused, naming the field, when the
    /// round is not being distributed, the date lies outside it, the household has no
    /// entitlement in it, the person died or was merged (or every member of the household died), or more than the entitlement's
    /// remainder would be delivered.
    pub fn record_delivery(
        &self,
        actor: &Actor,
        cycle_id: &str,
        input: &DeliveryInput,
    ) -> Result<Delivery, StoreError> {
        actor.require_write()?;
        let (now, today) = (self.now_ms(), self.today());
        let id = self.db.write(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)?;
            let programme = &row.programme.programme;
            let delivery = input.parse(self.gazetteer.as_ref(), programme.unit, today)?;
            if row.cycle.status != CycleStatus::Distributing {
                return Err(StoreError::Conflict(Message::CycleNotDistributing {
                    status: row.cycle.status.as_str().into(),
                }));
            }
            self.deliver_in(tx, actor, &row, &delivery, now)
        })?;
        self.db.read(|tx| {
            let r = tx
                .query_opt(
                    "SELECT d.id, d.entitlement_id, e.household_id, NULLIF(e.person_key, ''), d.date, d.place, d.quantity, \
                     d.modality, d.outcome, d.reference, d.delivered_by FROM deliveries d \
                     JOIN entitlements e ON e.id = d.entitlement_id WHERE d.id = $1",
                    params![id.as_str()],
                )?
                .ok_or(StoreError::NotFound("delivery"))?;
            Ok(Delivery {
                id: r.text(0),
                entitlement_id: r.text(1),
                household_id: r.text(2),
                person_id: r.opt_text(3),
                date: r.text(4),
                place: r.opt_text(5),
                quantity: r.real(6),
                modality: Modality::parse("modality", r.str(7)).map_err(|_| StoreError::Database("modality".into()))?,
                outcome: DeliveryOutcome::parse("outcome", r.str(8)).map_err(|_| StoreError::Database("outcome".into()))?,
                reference: r.opt_text(9),
                delivered_by: r.opt_text(10),
            })
        })
    }

    /// Records one parsed delivery in the round `row`, within the transaction: the checks of
    /// `record_delivery` after the round's stage. Shared with the returned lists.
    pub(super) fn deliver_in(
        &self,
        tx: &mut crate::db::Tx<'_>,
        actor: &Actor,
        row: &super::CycleRow,
        delivery: &domain::assistance::NewDelivery,
        now: i64,
    ) -> Result<String, StoreError> {
        let programme = &row.programme.programme;
        let date = delivery.date.to_string();
        if date < row.cycle.start_date || date > row.cycle.end_date {
            return Err(StoreError::invalid(
                "date",
                date,
                Message::WithinCycle { from: row.cycle.start_date.clone(), to: row.cycle.end_date.clone() },
            ));
        }
        let (household, location) = tx
            .select_opt(
                &Sql::new(
                    "SELECT h.id, COALESCE(h.current_location, h.registration_point) FROM households h \
                     WHERE (h.id = ? OR h.external_id = ?) AND h.organisation_id = ?",
                    &[
                        delivery.household.as_str().into(),
                        delivery.household.as_str().into(),
                        row.programme.organisation_id.as_str().into(),
                    ],
                )
                .and(&Visibility::of(actor).households("h", Access::Change)),
            )?
            .map(|r| (r.text(0), r.text(1)))
            .ok_or_else(|| StoreError::invalid("household", delivery.household.as_str(), Message::PlannedHousehold))?;
        // Where it was handed over: as given, or where the household lives today (kept, so
        // that reach stays where it happened when the household moves on).
        let place = delivery.place.clone().unwrap_or(location);
        let person_key = match programme.target_unit {
            TargetUnit::Household => {
                let living = tx.query_int(
                    "SELECT COUNT(*) FROM people WHERE household_id = $1 AND status <> 'deceased' AND duplicate_of IS NULL AND removed_at IS NULL",
                    params![household.as_str()],
                )?;
                if living == 0 {
                    return Err(StoreError::invalid(
                        "household",
                        delivery.household.as_str(),
                        Message::LivingHousehold,
                    ));
                }
                String::new()
            }
            TargetUnit::Person => {
                let wanted = delivery
                    .person
                    .as_deref()
                    .ok_or_else(|| StoreError::invalid("person", "", Message::MemberAssisted))?;
                let person = tx
                    .query_opt(
                        "SELECT id, status, duplicate_of FROM people WHERE household_id = $1 AND (id = $2 OR external_id = $2)",
                        params![household.as_str(), wanted],
                    )?
                    .ok_or_else(|| StoreError::invalid("person", wanted, Message::MemberAssisted))?;
                if person.str(1) == "deceased" {
                    return Err(StoreError::invalid("person", wanted, Message::LivingMember));
                }
                if person.opt_text(2).is_some() {
                    return Err(StoreError::invalid("person", wanted, Message::KeptRecord));
                }
                person.text(0)
            }
        };
        let entitlement = tx
            .query_opt(
                "SELECT e.id, e.quantity, (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d WHERE d.entitlement_id = e.id) \
                 FROM entitlements e WHERE e.cycle_id = $1 AND e.household_id = $2 AND e.person_key = $3",
                params![row.cycle.id.as_str(), household.as_str(), person_key.as_str()],
            )?
            .ok_or_else(|| StoreError::invalid("household", delivery.household.as_str(), Message::PlannedHousehold))?;
        let remaining = entitlement.real(1) - entitlement.real(2);
        if delivery.quantity > remaining + 1e-9 {
            return Err(StoreError::invalid(
                "quantity",
                delivery.quantity.to_string(),
                Message::AtMostEntitled {
                    remaining: remaining.max(0.0).to_string(),
                    unit: programme.unit.as_str().into(),
                },
            ));
        }
        let id = new_id();
        tx.execute(
            "INSERT INTO deliveries (id, entitlement_id, date, place, quantity, modality, outcome, reference, \
             delivered_by, note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            params![
                id.as_str(),
                entitlement.str(0),
                date,
                place.as_str(),
                delivery.quantity,
                delivery.modality.as_str(),
                delivery.outcome.as_str(),
                delivery.reference.clone(),
                delivery.delivered_by.clone(),
                delivery.note.clone(),
                now,
                actor.username.as_str()
            ],
        )?;
        crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
        audit::record(
            tx,
            actor,
            now,
            "deliver",
            "household",
            &household,
            json!({"cycle": row.cycle.id, "delivery": id}),
        )?;
        Ok(id)
    }

    /// The round's distribution list, or the households in it matching `q` (a household
    /// number, or part of a member's name): for those who deliver (the registry's change
    /// scope). Audited as a read of a beneficiary list.
    pub fn planned(
        &self,
        actor: &Actor,
        cycle_id: &str,
        q: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Planned>, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let planned = self.db.read(|tx| {
            let cycle = cycle_row(tx, cycle_id)?.cycle;
            let mut sql = Sql::new(
                "SELECT e.id, e.household_id, h.external_id, NULLIF(e.person_key, ''), e.quantity, \
                 (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d WHERE d.entitlement_id = e.id), \
                 (SELECT COUNT(*) FROM deliveries d WHERE d.entitlement_id = e.id) \
                 FROM entitlements e JOIN households h ON h.id = e.household_id WHERE e.cycle_id = ?",
                &[cycle.id.as_str().into()],
            )
            .and(&Visibility::of(actor).households("h", Access::Change));
            if let Some(q) = q {
                let by_name = crate::registry::name_condition(self.db.backend(), "p.id", q);
                let (condition, mut values) = by_name.unwrap_or_else(|| ("1 = 0".into(), Vec::new()));
                values.insert(0, q.into());
                sql = sql.push(
                    &format!(
                        " AND (h.external_id = ? OR h.id IN (SELECT p.household_id FROM people p WHERE {condition}))"
                    ),
                    &values,
                );
            }
            // Those still owed something first: the list a distribution day works through.
            sql = sql.push(
                " ORDER BY CASE WHEN (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d \
                 WHERE d.entitlement_id = e.id) >= e.quantity THEN 1 ELSE 0 END, h.external_id, e.person_key LIMIT ?",
                &[limit.clamp(1, 500).into()],
            );
            let mut planned: Vec<Planned> = tx
                .select(&sql)?
                .iter()
                .map(|r| Planned {
                    entitlement_id: r.text(0),
                    household_id: r.text(1),
                    household: r.text(2),
                    person_id: r.opt_text(3),
                    people: Vec::new(),
                    entitled: r.real(4),
                    delivered: r.real(5),
                    deliveries: r.int(6),
                })
                .collect();
            // Everyone the listed entitlements cover, in one statement (a page holds at most 500).
            if !planned.is_empty() {
                let marks = (1..=planned.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                let ids: Vec<crate::db::Value> = planned.iter().map(|p| p.entitlement_id.as_str().into()).collect();
                let covered = tx.query(
                    &format!(
                        "SELECT ep.entitlement_id, pe.given_name, pe.family_name FROM entitlement_people ep \
                         JOIN people pe ON pe.id = ep.person_id WHERE ep.entitlement_id IN ({marks}) \
                         ORDER BY ep.entitlement_id, CASE WHEN pe.relationship = 'head' THEN 0 ELSE 1 END, pe.id"
                    ),
                    &ids,
                )?;
                let mut names: std::collections::HashMap<String, Vec<String>> = Default::default();
                for r in &covered {
                    names.entry(r.text(0)).or_default().push(format!("{} {}", r.str(1), r.str(2)));
                }
                for p in &mut planned {
                    p.people = names.remove(&p.entitlement_id).unwrap_or_default();
                }
            }
            Ok(planned)
        })?;
        let ids: Vec<&str> = planned.iter().map(|p| p.household_id.as_str()).collect();
        self.audit_read(
            actor,
            now,
            "list",
            "entitlement",
            cycle_id,
            json!({"searched": q.is_some(), "households": ids}),
        )?;
        Ok(planned)
    }
}
