//! Post-distribution monitoring: a sample of the households who received something in a
//! round, drawn at random (reproducibly) or in full, and what each says it received; and the
//! round's follow-ups — those still owed after a failed visit, and those whose answers say
//! something went wrong.

use std::collections::HashMap;

use domain::assistance::{monitoring_sample_size, MonitoringInput};
use domain::{FollowUpReason, Message, MonitoringAnswer, SampleMethod};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::lists::Contacts;
use super::{cycle_row, CycleRow};
use crate::db::Tx;
use crate::error::StoreError;
use crate::visibility::{Access, Sql, Visibility};
use crate::{audit, new_id, params, Actor, Store};

/// The margin (±5 points at 95 % confidence) a random sample is sized for by default.
const DEFAULT_MARGIN: f64 = 0.05;

/// A reported amount this far below what was delivered is a follow-up (rounding aside).
const SHORTFALL: f64 = 0.01;

/// A monitoring sample with what has been asked so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonitoringSample {
    pub id: String,
    pub cycle_id: String,
    pub method: SampleMethod,
    /// Households (or persons) who had received something when the sample was drawn.
    pub population: i64,
    pub drawn_on: String,
    pub drawn_by: String,
    pub summary: MonitoringSummary,
}

/// The answers of a sample, counted.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct MonitoringSummary {
    pub drawn: i64,
    /// Drawn and asked (whatever the answer, including "could not be asked").
    pub asked: i64,
    pub received: i64,
    pub received_with_issues: i64,
    pub not_received: i64,
    pub not_reached: i64,
    /// Of those who answered, the share who say they received (with or without issues).
    pub share_received: Option<f64>,
    /// Recorded as delivered, and reported, for the answers that give an amount.
    pub delivered_quantity: f64,
    pub reported_quantity: f64,
    /// Answers reporting less than what was recorded as delivered.
    pub reported_less: i64,
}

/// A household (or member) drawn, with how to reach it and what it answered.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MonitoringRow {
    pub position: i64,
    pub entitlement_id: String,
    pub household_id: String,
    pub household: String,
    pub person_id: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    /// What the round's deliveries recorded for it.
    pub delivered: f64,
    pub answer: Option<MonitoringAnswer>,
    pub amount_reported: Option<f64>,
    pub issue: Option<String>,
    pub asked_on: Option<String>,
}

/// Without names, phone or what was said.
impl std::fmt::Debug for MonitoringRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitoringRow")
            .field("position", &self.position)
            .field("entitlement_id", &self.entitlement_id)
            .field("answer", &self.answer)
            .finish_non_exhaustive()
    }
}

/// Someone in a round to go back to, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUp {
    pub entitlement_id: String,
    pub household_id: String,
    pub household: String,
    pub person_id: Option<String>,
    pub reason: FollowUpReason,
    /// The day of the visit or of the answer that calls for it.
    pub date: String,
    /// What the entitlement still owes.
    pub remaining: f64,
    /// The monitoring sample the answer belongs to, when an answer calls for it.
    pub sample_id: Option<String>,
}

/// Outcomes that reach people, as SQL.
const REACHED: &str = "('delivered', 'partial')";

impl Store {
    /// Draws a monitoring sample among the round's households (or persons) who received
    /// something: `size` of them at random (by default, enough for ±5 points at 95 %
    /// confidence), or all of them. For those who deliver the round; audited.
    pub fn draw_monitoring_sample(
        &self,
        actor: &Actor,
        cycle_id: &str,
        method: SampleMethod,
        size: Option<usize>,
    ) -> Result<MonitoringSample, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let seed = crate::auth::random_hex(16)?;
        let id = self.db.write(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)?;
            let population = tx.select(
                &Sql::new(
                    &format!(
                        "SELECT e.id, h.external_id, e.person_key FROM entitlements e JOIN households h ON h.id = e.household_id \
                         WHERE e.cycle_id = ? AND EXISTS (SELECT 1 FROM deliveries d WHERE d.entitlement_id = e.id \
                         AND d.outcome IN {REACHED})"
                    ),
                    &[cycle_id.into()],
                )
                .and(&Visibility::of(actor).households("h", Access::Change)),
            )?;
            if population.is_empty() {
                return Err(StoreError::Conflict(Message::NothingToMonitor));
            }
            let wanted = match (method, size) {
                (SampleMethod::Full, _) => population.len(),
                (SampleMethod::Random, None) => monitoring_sample_size(population.len(), DEFAULT_MARGIN),
                (SampleMethod::Random, Some(n)) if (1..=population.len()).contains(&n) => n,
                (SampleMethod::Random, Some(n)) => {
                    return Err(StoreError::invalid(
                        "size",
                        n.to_string(),
                        Message::SampleSize { max: population.len() },
                    ))
                }
            };
            // A random draw is the order of a keyed hash: the seed kept with the sample
            // replays it. A full sample goes by household number.
            let mut drawn: Vec<(Vec<u8>, String)> = population
                .iter()
                .map(|r| {
                    let key = match method {
                        SampleMethod::Random => Sha256::digest(format!("{seed}:{}", r.str(0))).to_vec(),
                        SampleMethod::Full => format!("{}\u{0}{}", r.str(1), r.str(2)).into_bytes(),
                    };
                    (key, r.text(0))
                })
                .collect();
            drawn.sort();
            drawn.truncate(wanted);
            let id = new_id();
            tx.execute(
                "INSERT INTO monitoring_samples (id, cycle_id, method, population, seed, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    id.as_str(),
                    cycle_id,
                    method.as_str(),
                    population.len() as i64,
                    seed.as_str(),
                    now,
                    actor.username.as_str()
                ],
            )?;
            let rows = drawn
                .into_iter()
                .enumerate()
                .map(|(i, (_, entitlement))| vec![id.as_str().into(), entitlement.into(), (i as i64 + 1).into()])
                .collect();
            tx.insert_rows("monitoring_answers", &["sample_id", "entitlement_id", "position"], rows)?;
            audit::record(
                tx,
                actor,
                now,
                "draw_sample",
                "cycle",
                cycle_id,
                json!({"sample": id, "method": method.as_str(), "drawn": wanted, "population": population.len()}),
            )?;
            Ok(id)
        })?;
        self.db.read(|tx| {
            let (sample, _) = sample_row(tx, &id)?;
            Ok(sample)
        })
    }

    /// The round's monitoring samples with their counts, newest first: for those who deliver it.
    pub fn monitoring_samples(&self, actor: &Actor, cycle_id: &str) -> Result<Vec<MonitoringSample>, StoreError> {
        actor.require_write()?;
        self.db.read(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)?;
            let ids = tx.query(
                "SELECT id FROM monitoring_samples WHERE cycle_id = $1 ORDER BY created_at DESC, id DESC",
                params![cycle_id],
            )?;
            ids.iter().map(|r| sample_row(tx, r.str(0)).map(|(sample, _)| sample)).collect()
        })
    }

    /// A sample with every household drawn, in the order of the draw, names and phones to
    /// call: a beneficiary list, for those who deliver the round, audited.
    pub fn monitoring_sample(
        &self,
        actor: &Actor,
        sample_id: &str,
    ) -> Result<(MonitoringSample, Vec<MonitoringRow>), StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let (sample, rows) = self.db.read(|tx| {
            let (sample, cycle) = sample_row(tx, sample_id)?;
            super::require_programme_writer(actor, &cycle.programme.organisation_id)?;
            let rows = drawn_rows(tx, actor, sample_id, &cycle.cycle.id, None)?;
            Ok((sample, rows))
        })?;
        let ids: Vec<&str> = rows.iter().map(|r| r.household_id.as_str()).collect();
        self.audit_read(actor, now, "list", "monitoring_sample", sample_id, json!({"households": ids}))?;
        Ok((sample, rows))
    }

    /// Records (or corrects) what a household drawn in the sample answered. Refused, naming
    /// the field, for a household not drawn, an amount with "not received", an issue left
    /// undescribed, a date before the round or to come.
    pub fn record_monitoring_answer(
        &self,
        actor: &Actor,
        sample_id: &str,
        input: &MonitoringInput,
    ) -> Result<MonitoringRow, StoreError> {
        actor.require_write()?;
        let (now, today) = (self.now_ms(), self.today());
        self.db.write(|tx| {
            let (_, cycle) = sample_row(tx, sample_id)?;
            super::require_programme_writer(actor, &cycle.programme.organisation_id)?;
            let answer = input.parse(cycle.programme.programme.unit, today)?;
            if answer.date.to_string() < cycle.cycle.start_date {
                return Err(StoreError::invalid(
                    "date",
                    answer.date.to_string(),
                    Message::WithinPeriod { from: cycle.cycle.start_date.clone(), to: today.to_string() },
                ));
            }
            let mut sql = Sql::new(
                "SELECT e.id, e.household_id FROM monitoring_answers a JOIN entitlements e ON e.id = a.entitlement_id \
                 JOIN households h ON h.id = e.household_id WHERE a.sample_id = ? AND (h.id = ? OR h.external_id = ?)",
                &[sample_id.into(), answer.household.as_str().into(), answer.household.as_str().into()],
            );
            if let Some(person) = &answer.person {
                sql = sql.push(
                    " AND e.person_key IN (SELECT p.id FROM people p WHERE p.household_id = h.id \
                     AND (p.id = ? OR p.external_id = ?))",
                    &[person.as_str().into(), person.as_str().into()],
                );
            }
            let drawn = tx.select(&sql.and(&Visibility::of(actor).households("h", Access::Change)))?;
            // A person programme draws members: a household with several drawn needs the member.
            let entitlement = match drawn.as_slice() {
                [one] => one,
                [] => {
                    return Err(StoreError::invalid("household", answer.household.as_str(), Message::HouseholdInSample))
                }
                _ => return Err(StoreError::invalid("person", "", Message::MemberAssisted)),
            };
            tx.execute(
                "UPDATE monitoring_answers SET answer = $1, amount_reported = $2, issue = $3, asked_on = $4, \
                 recorded_at = $5, recorded_by = $6 WHERE sample_id = $7 AND entitlement_id = $8",
                params![
                    answer.answer.as_str(),
                    answer.amount_reported,
                    answer.issue.clone(),
                    answer.date.to_string(),
                    now,
                    actor.username.as_str(),
                    sample_id,
                    entitlement.str(0)
                ],
            )?;
            audit::record(
                tx,
                actor,
                now,
                "monitor",
                "household",
                entitlement.str(1),
                json!({"sample": sample_id, "answer": answer.answer.as_str()}),
            )?;
            // The row just written, read back alone (a whole sample per answer would be quadratic).
            drawn_rows(tx, actor, sample_id, &cycle.cycle.id, Some(entitlement.str(0)))?
                .pop()
                .ok_or(StoreError::NotFound("monitoring answer"))
        })
    }

    /// Whom to go back to in the round: those still owed after a visit that did not hand
    /// everything over (partly delivered, not collected, refused, failed), and those whose
    /// monitoring answer says they did not receive it, had issues, or got less than recorded.
    /// For those who deliver the round, audited as a beneficiary list.
    pub fn follow_ups(&self, actor: &Actor, cycle_id: &str) -> Result<Vec<FollowUp>, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let follow_ups = self.db.read(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            super::require_programme_writer(actor, &row.programme.organisation_id)?;
            let visible = Visibility::of(actor).households("h", Access::Change);
            let owed = tx.select(
                &Sql::new(
                    "SELECT e.id, e.household_id, h.external_id, NULLIF(e.person_key, ''), e.quantity, \
                     SUM(d.quantity), MAX(d.date || ' ' || d.created_at || ' ' || d.outcome) \
                     FROM entitlements e JOIN households h ON h.id = e.household_id \
                     JOIN deliveries d ON d.entitlement_id = e.id WHERE e.cycle_id = ?",
                    &[cycle_id.into()],
                )
                .and(&visible)
                .push(
                    " GROUP BY e.id, e.household_id, h.external_id, e.person_key, e.quantity \
                     HAVING SUM(d.quantity) < e.quantity",
                    &[],
                ),
            )?;
            let mut follow_ups = Vec::new();
            for r in &owed {
                // The last visit says why: "date created_at outcome".
                let last = r.text(6);
                let mut parts = last.split(' ');
                let (date, outcome) = (parts.next().unwrap_or_default(), parts.nth(1).unwrap_or_default());
                // Marked delivered yet short of the entitlement: partly delivered.
                let outcome = if outcome == "delivered" { "partial" } else { outcome };
                let reason = FollowUpReason::parse("reason", outcome)
                    .map_err(|_| StoreError::Database(format!("delivery outcome {outcome:?} unknown")))?;
                follow_ups.push(FollowUp {
                    entitlement_id: r.text(0),
                    household_id: r.text(1),
                    household: r.text(2),
                    person_id: r.opt_text(3),
                    reason,
                    date: date.to_string(),
                    remaining: r.real(4) - r.real(5),
                    sample_id: None,
                });
            }
            let answers = tx.select(
                &Sql::new(
                    "SELECT e.id, e.household_id, h.external_id, NULLIF(e.person_key, ''), e.quantity, \
                     (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d WHERE d.entitlement_id = e.id), \
                     a.answer, a.amount_reported, a.asked_on, a.sample_id \
                     FROM monitoring_answers a JOIN monitoring_samples s ON s.id = a.sample_id \
                     JOIN entitlements e ON e.id = a.entitlement_id JOIN households h ON h.id = e.household_id \
                     WHERE s.cycle_id = ? AND a.answer IN ('not_received', 'received_with_issues', 'received')",
                    &[cycle_id.into()],
                )
                .and(&visible)
                .push(" ORDER BY a.asked_on, h.external_id", &[]),
            )?;
            for r in &answers {
                let delivered = r.real(5);
                let reason = match (answer_of(r.opt_text(6))?, r.opt_real(7)) {
                    (Some(MonitoringAnswer::NotReceived), _) => FollowUpReason::NotReceived,
                    (Some(MonitoringAnswer::ReceivedWithIssues), _) => FollowUpReason::ReceivedWithIssues,
                    (_, Some(reported)) if reported < delivered * (1.0 - SHORTFALL) => FollowUpReason::ReportedLess,
                    _ => continue,
                };
                follow_ups.push(FollowUp {
                    entitlement_id: r.text(0),
                    household_id: r.text(1),
                    household: r.text(2),
                    person_id: r.opt_text(3),
                    reason,
                    date: r.text(8),
                    remaining: (r.real(4) - delivered).max(0.0),
                    sample_id: r.opt_text(9),
                });
            }
            follow_ups.sort_by(|a, b| (&a.date, &a.household).cmp(&(&b.date, &b.household)));
            Ok(follow_ups)
        })?;
        let ids: Vec<&str> = follow_ups.iter().map(|f| f.household_id.as_str()).collect();
        self.audit_read(actor, now, "list", "follow_up", cycle_id, json!({"households": ids}))?;
        Ok(follow_ups)
    }
}

/// The households drawn in a sample (or the one of `entitlement`), within the actor's scope,
/// in the order of the draw, with their contact.
fn drawn_rows(
    tx: &mut Tx<'_>,
    actor: &Actor,
    sample_id: &str,
    cycle_id: &str,
    entitlement: Option<&str>,
) -> Result<Vec<MonitoringRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT a.position, e.id, e.household_id, h.external_id, NULLIF(e.person_key, ''), \
         (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d WHERE d.entitlement_id = e.id), \
         a.answer, a.amount_reported, a.issue, a.asked_on \
         FROM monitoring_answers a JOIN entitlements e ON e.id = a.entitlement_id \
         JOIN households h ON h.id = e.household_id WHERE a.sample_id = ?",
        &[sample_id.into()],
    );
    if let Some(entitlement) = entitlement {
        sql = sql.push(" AND a.entitlement_id = ?", &[entitlement.into()]);
    }
    let drawn =
        tx.select(&sql.and(&Visibility::of(actor).households("h", Access::Change)).push(" ORDER BY a.position", &[]))?;
    let contacts = match drawn.as_slice() {
        [one] => Contacts::of_household(tx, one.str(2))?,
        _ => Contacts::of_round(tx, cycle_id)?,
    };
    drawn
        .iter()
        .map(|r| {
            let person = r.opt_text(4);
            let contact = contacts.line(r.str(2), person.as_deref());
            Ok(MonitoringRow {
                position: r.int(0),
                entitlement_id: r.text(1),
                household_id: r.text(2),
                household: r.text(3),
                person_id: person,
                name: contact.name,
                phone: contact.phone,
                delivered: r.real(5),
                answer: answer_of(r.opt_text(6))?,
                amount_reported: r.opt_real(7),
                issue: r.opt_text(8),
                asked_on: r.opt_text(9),
            })
        })
        .collect()
}

fn answer_of(text: Option<String>) -> Result<Option<MonitoringAnswer>, StoreError> {
    text.map(|t| {
        MonitoringAnswer::parse("answer", &t).map_err(|_| StoreError::Database(format!("answer {t:?} unknown")))
    })
    .transpose()
}

/// A sample with its counts, and its round.
fn sample_row(tx: &mut Tx<'_>, id: &str) -> Result<(MonitoringSample, CycleRow), StoreError> {
    let r = tx
        .query_opt(
            "SELECT s.id, s.cycle_id, s.method, s.population, s.created_at, s.created_by FROM monitoring_samples s \
             WHERE s.id = $1",
            params![id],
        )?
        .ok_or(StoreError::NotFound("monitoring sample"))?;
    let method = SampleMethod::parse("method", r.str(2))
        .map_err(|_| StoreError::Database(format!("sample method {:?} unknown", r.str(2))))?;
    let answers = tx.query(
        "SELECT a.answer, a.amount_reported, \
         (SELECT COALESCE(SUM(d.quantity), 0) FROM deliveries d WHERE d.entitlement_id = a.entitlement_id) \
         FROM monitoring_answers a WHERE a.sample_id = $1",
        params![id],
    )?;
    let mut summary = MonitoringSummary { drawn: answers.len() as i64, ..Default::default() };
    let mut counts: HashMap<MonitoringAnswer, i64> = HashMap::new();
    for a in &answers {
        let Some(answer) = answer_of(a.opt_text(0))? else { continue };
        *counts.entry(answer).or_default() += 1;
        if let Some(reported) = a.opt_real(1) {
            summary.delivered_quantity += a.real(2);
            summary.reported_quantity += reported;
            if reported < a.real(2) * (1.0 - SHORTFALL) {
                summary.reported_less += 1;
            }
        }
    }
    let count = |answer| counts.get(&answer).copied().unwrap_or(0);
    summary.received = count(MonitoringAnswer::Received);
    summary.received_with_issues = count(MonitoringAnswer::ReceivedWithIssues);
    summary.not_received = count(MonitoringAnswer::NotReceived);
    summary.not_reached = count(MonitoringAnswer::NotReached);
    summary.asked = summary.received + summary.received_with_issues + summary.not_received + summary.not_reached;
    let answered = summary.asked - summary.not_reached;
    summary.share_received =
        (answered > 0).then(|| (summary.received + summary.received_with_issues) as f64 / answered as f64);
    let drawn_on =
        chrono::DateTime::from_timestamp_millis(r.int(4)).map(|t| t.date_naive().to_string()).unwrap_or_default();
    let sample = MonitoringSample {
        id: r.text(0),
        cycle_id: r.text(1),
        method,
        population: r.int(3),
        drawn_on,
        drawn_by: r.text(5),
        summary,
    };
    let cycle = cycle_row(tx, &sample.cycle_id)?;
    Ok((sample, cycle))
}
