//! Distribution lists: a round's whole list for the field (and the mobile-money payment file
//! made from it), and the list brought back completed: every row checked as a delivery typed
//! on the page would be, all or nothing, and safe to import twice.

use std::collections::HashMap;

use domain::assistance::{DeliveryInput, Quantity};
use domain::{CycleStatus, Lang, Message};
use exchange::distribution::{header, ListHeading, ListRow, Returned};
use exchange::import::RowError;
use serde::Serialize;
use serde_json::json;

use super::cycle_row;
use crate::error::StoreError;
use crate::visibility::{Access, Sql, Visibility};
use crate::{audit, params, Actor, Store};

/// What importing a returned list did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnsReport {
    /// Deliveries recorded.
    pub recorded: usize,
    /// Rows already recorded by an earlier import of the same list (left as they were).
    pub already_recorded: usize,
    /// Rows with neither quantity nor outcome: nobody came yet.
    pub left_blank: usize,
    pub dry_run: bool,
}

/// Why a returned list was not imported: its bad rows, or the round itself.
#[derive(Debug)]
pub enum ReturnsError {
    Rows(Vec<RowError>),
    Store(StoreError),
}

impl From<StoreError> for ReturnsError {
    fn from(e: StoreError) -> Self {
        ReturnsError::Store(e)
    }
}

/// The column of the list that holds a delivery's field.
fn column_of(field: &str) -> &'static str {
    let key = match field {
        "household" => "entitlement",
        "person" => "member",
        "date" => "date",
        "quantity" => "quantity",
        "modality" => "modality",
        "outcome" => "outcome",
        "reference" => "reference",
        _ => "entitlement",
    };
    header(key, Lang::Fr)
}

/// Every kept member of a round's planned households, read at once: what names each line of
/// a list and gives the phone to call.
pub(super) struct Contacts(HashMap<String, Vec<crate::db::Row>>);

/// The line of a list: the member entitled (for a person) or the head, and a phone.
pub(super) struct Contact {
    /// The member's number (or id), for a programme assisting persons.
    pub member: Option<String>,
    pub name: String,
    pub phone: Option<String>,
}

impl Contacts {
    pub(super) fn of_round(tx: &mut crate::db::Tx<'_>, cycle_id: &str) -> Result<Contacts, StoreError> {
        Contacts::read(
            tx,
            "p.household_id IN (SELECT e.household_id FROM entitlements e WHERE e.cycle_id = $1)",
            cycle_id,
        )
    }

    pub(super) fn of_household(tx: &mut crate::db::Tx<'_>, household_id: &str) -> Result<Contacts, StoreError> {
        Contacts::read(tx, "p.household_id = $1", household_id)
    }

    fn read(tx: &mut crate::db::Tx<'_>, condition: &str, value: &str) -> Result<Contacts, StoreError> {
        let members = tx.query(
            &format!(
                "SELECT p.household_id, p.id, p.external_id, p.given_name, p.family_name, p.phone, p.relationship \
                 FROM people p WHERE {condition} AND p.duplicate_of IS NULL AND p.removed_at IS NULL ORDER BY p.household_id, p.id"
            ),
            params![value],
        )?;
        let mut by_household: HashMap<String, Vec<crate::db::Row>> = HashMap::new();
        for m in members {
            by_household.entry(m.text(0)).or_default().push(m);
        }
        Ok(Contacts(by_household))
    }

    /// The head (or the member entitled) names the line; the phone is theirs, or else the head's.
    pub(super) fn line(&self, household_id: &str, person: Option<&str>) -> Contact {
        let household = self.0.get(household_id).map(Vec::as_slice).unwrap_or_default();
        let head = || household.iter().find(|m| m.str(6) == "head");
        let named = match person {
            Some(id) => household.iter().find(|m| m.str(1) == id),
            None => head().or(household.first()),
        };
        Contact {
            member: named.map(|m| m.opt_text(2).unwrap_or_else(|| m.text(1))),
            name: named.map(|m| format!("{} {}", m.str(3), m.str(4))).unwrap_or_default(),
            phone: named.and_then(|m| m.opt_text(5)).or_else(|| head().and_then(|m| m.opt_text(5))),
        }
    }
}

impl Store {
    /// Whether `actor` may deliver the round (its organisation's, or an administrator):
    /// asked before an upload is read, so that a refusal does not wait for the file.
    pub fn require_round_writer(&self, actor: &Actor, cycle_id: &str) -> Result<(), StoreError> {
        actor.require_write()?;
        self.db.read(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)
        })
    }

    /// The round's whole list, for those who deliver (the registry's change scope), with the
    /// heading its print carries. Audited as an export of a beneficiary list.
    pub fn distribution_list(&self, actor: &Actor, cycle_id: &str) -> Result<(ListHeading, Vec<ListRow>), StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let (heading, rows) = self.db.read(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)?;
            let programme = &row.programme.programme;
            let heading = ListHeading {
                programme: format!("{} — {}", programme.code, programme.name),
                round: row.cycle.name.clone(),
                period: format!("{} → {}", row.cycle.start_date, row.cycle.end_date),
                unit: programme.unit.as_str().into(),
                modality: programme.kind.usual_modality().as_str().into(),
            };
            let visible = Visibility::of(actor).households("h", Access::Change);
            let entitlements = tx.select(
                &Sql::new(
                    "SELECT e.id, e.household_id, h.external_id, NULLIF(e.person_key, ''), \
                     COALESCE(h.current_location, h.registration_point), e.quantity, \
                     (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d WHERE d.entitlement_id = e.id), \
                     (SELECT COUNT(*) FROM entitlement_people ep WHERE ep.entitlement_id = e.id) \
                     FROM entitlements e JOIN households h ON h.id = e.household_id WHERE e.cycle_id = ?",
                    &[row.cycle.id.as_str().into()],
                )
                .and(&visible)
                .push(" ORDER BY h.external_id, e.person_key", &[]),
            )?;
            let contacts = Contacts::of_round(tx, &row.cycle.id)?;
            let rows = entitlements
                .iter()
                .map(|e| {
                    let person = e.opt_text(3);
                    let contact = contacts.line(e.str(1), person.as_deref());
                    ListRow {
                        entitlement: e.text(0),
                        household: e.text(2),
                        member: person.and(contact.member),
                        head: contact.name,
                        people: e.int(7) as usize,
                        place: self
                            .gazetteer
                            .get(e.str(4))
                            .map_or_else(|| e.text(4), |l| format!("{} ({})", l.name, l.pcode)),
                        phone: contact.phone,
                        entitled: e.real(5),
                        delivered: e.real(6),
                    }
                })
                .collect::<Vec<_>>();
            Ok((heading, rows))
        })?;
        self.audit_read(actor, now, "export", "entitlement", cycle_id, json!({"rows": rows.len()}))?;
        Ok((heading, rows))
    }

    /// Imports a returned list into the round: each row a delivery, checked as on the page
    /// (within the round, never more than what remains, a living kept member…), every bad row
    /// reported with its column; nothing recorded unless every row is good. A row identical
    /// to a delivery already recorded (same entitlement, day, quantity, modality, outcome and
    /// reference) is left as it was: importing the same list twice records it once.
    pub fn import_returns(
        &self,
        actor: &Actor,
        cycle_id: &str,
        returned: &Returned,
        dry_run: bool,
    ) -> Result<ReturnsReport, ReturnsError> {
        actor.require_write()?;
        let (now, today) = (self.now_ms(), self.today());
        let mut errors: Vec<RowError> = Vec::new();
        // A dry run's report: everything checked, then rolled back.
        let mut checked: Option<ReturnsReport> = None;
        let error = |row: usize, column: &str, value: &str, expected: Message| RowError {
            file: returned.source.clone(),
            row,
            column: returned
                .headers
                .iter()
                .find(|(k, _)| header(k, Lang::Fr) == column)
                .map_or_else(|| column.to_string(), |(_, h)| h.clone()),
            value: value.into(),
            expected,
        };
        let outcome = self.db.write(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)?;
            if row.cycle.status != CycleStatus::Distributing {
                return Err(StoreError::Conflict(Message::CycleNotDistributing {
                    status: row.cycle.status.as_str().into(),
                }));
            }
            let programme = &row.programme.programme;
            let visible = Visibility::of(actor).households("h", Access::Change);
            // The round's entitlements the user may deliver: code → (household id, number, member).
            let entitlements: HashMap<String, (String, String, Option<String>)> = tx
                .select(
                    &Sql::new(
                        "SELECT e.id, e.household_id, h.external_id, NULLIF(e.person_key, '') FROM entitlements e \
                         JOIN households h ON h.id = e.household_id WHERE e.cycle_id = ?",
                        &[row.cycle.id.as_str().into()],
                    )
                    .and(&visible),
                )?
                .iter()
                .map(|r| (r.text(0), (r.text(1), r.text(2), r.opt_text(3))))
                .collect();
            let mut report = ReturnsReport { recorded: 0, already_recorded: 0, left_blank: returned.blank, dry_run };
            // A line without the code is found by its household's number (and member, for a
            // programme assisting persons).
            let by_number: HashMap<(&str, Option<&str>), &str> = entitlements
                .iter()
                .map(|(code, (_, number, person))| ((number.as_str(), person.as_deref()), code.as_str()))
                .collect();
            let member_ids: HashMap<String, String> = tx
                .query(
                    "SELECT p.id, p.external_id FROM people p JOIN entitlements e ON e.person_key = p.id WHERE e.cycle_id = $1",
                    params![row.cycle.id.as_str()],
                )?
                .iter()
                .filter_map(|r| Some((r.opt_text(1)?, r.text(0))))
                .collect();
            for line in &returned.rows {
                let code = match line.entitlement.trim() {
                    "" => {
                        let member = line.member.trim();
                        let member = (!member.is_empty()).then(|| member_ids.get(member).map_or(member, String::as_str));
                        by_number.get(&(line.household.trim(), member)).copied().unwrap_or("")
                    }
                    code => code,
                };
                let Some((household_id, number, person)) = entitlements.get(code) else {
                    let (column, value, expected) = if line.entitlement.trim().is_empty() {
                        (header("household", Lang::Fr), &line.household, Message::PlannedHousehold)
                    } else {
                        (header("entitlement", Lang::Fr), &line.entitlement, Message::EntitlementOfRound)
                    };
                    errors.push(error(line.row, column, value, expected));
                    continue;
                };
                if !line.household.is_empty() && line.household.trim() != number {
                    errors.push(error(
                        line.row,
                        header("household", Lang::Fr),
                        &line.household,
                        Message::HouseholdOfEntitlement { household: number.clone() },
                    ));
                    continue;
                }
                if line.date.is_empty() {
                    errors.push(error(line.row, header("date", Lang::Fr), "", Message::DeliveryDate));
                    continue;
                }
                let input = DeliveryInput {
                    household: household_id.clone(),
                    person: person.clone(),
                    date: line.date.clone(),
                    place: None,
                    quantity: Quantity::Text(line.quantity.clone()),
                    // Someone who did not come was handed nothing in any way: the usual one stands.
                    modality: match line.modality.as_str() {
                        "" if domain::DeliveryOutcome::parse("outcome", &line.outcome).is_ok_and(|o| !o.reached()) => {
                            programme.kind.usual_modality().as_str().into()
                        }
                        given => given.into(),
                    },
                    outcome: if line.outcome.is_empty() { "delivered".into() } else { line.outcome.clone() },
                    reference: Some(line.reference.clone()).filter(|r| !r.is_empty()),
                    delivered_by: Some(actor.username.clone()),
                    note: Some(format!("{}, row {}", returned.source, line.row)),
                };
                let parsed = input.parse(self.gazetteer.as_ref(), programme.unit, today).map_err(StoreError::Invalid);
                let result = parsed.and_then(|delivery| {
                    // The entitlement's own deliveries (a few), compared here: a query on
                    // the day would walk every delivery of that day.
                    let identical = tx
                        .query(
                            "SELECT date, quantity, modality, outcome, COALESCE(reference, '') FROM deliveries \
                             WHERE entitlement_id = $1",
                            params![code],
                        )?
                        .iter()
                        .any(|d| {
                            d.str(0) == delivery.date.to_string()
                                && (d.real(1) - delivery.quantity).abs() < 1e-9
                                && d.str(2) == delivery.modality.as_str()
                                && d.str(3) == delivery.outcome.as_str()
                                && d.str(4) == delivery.reference.as_deref().unwrap_or("")
                        })
                        .then_some(());
                    if identical.is_some() {
                        return Ok(false);
                    }
                    self.deliver_in(tx, actor, &row, &delivery, now).map(|_| true)
                });
                match result {
                    Ok(true) => report.recorded += 1,
                    Ok(false) => report.already_recorded += 1,
                    Err(StoreError::Invalid(fields)) => {
                        for f in fields.0 {
                            errors.push(error(line.row, column_of(&f.field), &f.value, *f.expected));
                        }
                    }
                    Err(other) => return Err(other),
                }
            }
            if !errors.is_empty() {
                return Err(StoreError::Conflict(Message::ImportAborted));
            }
            audit::record(
                tx,
                actor,
                now,
                "import",
                "cycle",
                &row.cycle.id,
                json!({"file": returned.source, "recorded": report.recorded, "already": report.already_recorded}),
            )?;
            if dry_run {
                // Everything checked; nothing kept.
                checked = Some(report);
                return Err(StoreError::Conflict(Message::ImportAborted));
            }
            Ok(report)
        });
        match (outcome, checked) {
            _ if !errors.is_empty() => Err(ReturnsError::Rows(errors)),
            (_, Some(report)) => Ok(report),
            (Ok(report), None) => Ok(report),
            (Err(e), None) => Err(e.into()),
        }
    }
}
