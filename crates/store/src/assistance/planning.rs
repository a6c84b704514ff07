//! Planning a round: households chosen from the registry (a filter, or a list of numbers),
//! entitlements computed by the programme's rule, and the duplicate-assistance check: one
//! entitlement per person per kind of assistance and overlapping period, across the
//! programmes of the organisation and of those it shares with, people merged as duplicates
//! counted as the person kept, members who moved counted where they were planned.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use domain::{CycleStatus, Message, TargetUnit};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{cycle_row, require_programme_writer};
use crate::db::Value;
use crate::error::StoreError;
use crate::visibility::{Access, Sql, Visibility};
use crate::{audit, new_id, params, Actor, Store};

/// Which households a round is planned for. Every condition given must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanFilter {
    /// Population group code (`IDP`, `RET`…).
    pub population_group: Option<String>,
    /// P-code or site: households whose current location is there or inside it.
    pub location: Option<String>,
    /// Living members, not counting records merged into others, at least.
    pub min_members: Option<i64>,
    /// Displaced on or after this date (YYYY-MM-DD).
    pub displaced_since: Option<String>,
    /// Members aged at least this many years on the round's first day (unknown births never
    /// qualify): for a programme assisting persons, those entitled; for one assisting
    /// households, households with such a member.
    pub min_age: Option<i64>,
    /// Members aged at most this many years on the round's first day.
    pub max_age: Option<i64>,
    /// Household ids or numbers (an uploaded list): only these.
    #[serde(default)]
    pub households: Vec<String>,
    /// Households to plan although already assisted, each with its reason (audited).
    #[serde(default)]
    pub overrides: Vec<PlanOverride>,
}

#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanOverride {
    /// The household's id or number.
    pub household: String,
    pub reason: String,
}

/// Without free text or names: what a person typed may name someone.
impl std::fmt::Debug for PlanOverride {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanOverride").field("household", &self.household).finish_non_exhaustive()
    }
}

/// What planning did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanReport {
    /// Entitlements added.
    pub planned: usize,
    /// Chosen households already planned in this round (left as they were).
    pub already_planned: usize,
    /// Households left out: someone in them already has this kind of assistance over the period.
    pub conflicts: Vec<Conflict>,
    /// Planned despite a conflict, with a reason.
    pub overridden: usize,
}

/// A household left out by the duplicate-assistance check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub household_id: String,
    pub household: String,
    /// Members already entitled.
    pub people: usize,
    /// The entitlement found, when the user may see its household; `None` when it belongs to
    /// an organisation whose records the user does not see (only that it exists is said).
    pub programme: Option<String>,
    pub cycle: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Conflict {
    /// What to tell the user.
    pub fn message(&self) -> Message {
        match (&self.programme, &self.cycle, &self.from, &self.to) {
            (Some(programme), Some(cycle), Some(from), Some(to)) => Message::AlreadyAssisted {
                programme: programme.clone(),
                cycle: cycle.clone(),
                from: from.clone(),
                to: to.clone(),
            },
            _ => Message::AlreadyAssistedElsewhere,
        }
    }
}

/// Another entitlement of the same kind over an overlapping period.
struct Earlier {
    programme: String,
    cycle: String,
    from: String,
    to: String,
    visible: bool,
}

impl Store {
    /// Plans a draft round: every chosen household (within the user's scope and the
    /// programme's organisation and places) gets its entitlement unless someone in it already
    /// has this kind of assistance over an overlapping period. All or nothing; repeating it
    /// plans nobody twice.
    pub fn plan_cycle(&self, actor: &Actor, cycle_id: &str, filter: &PlanFilter) -> Result<PlanReport, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let location = match filter.location.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => Some(crate::registry::location_range(self, "location", l)?),
            None => None,
        };
        let displaced_since = match filter.displaced_since.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(domain::assistance::plan_date("displaced_since", d)?.to_string()),
            None => None,
        };
        for (i, o) in filter.overrides.iter().enumerate() {
            if o.reason.trim().chars().count() < 3 {
                return Err(StoreError::invalid(
                    &format!("overrides[{i}].reason"),
                    o.reason.trim(),
                    Message::OverrideReason,
                ));
            }
        }
        self.db.write(|tx| {
            let row = cycle_row(tx, cycle_id)?;
            require_programme_writer(actor, &row.programme.organisation_id)?;
            if row.cycle.status != CycleStatus::Draft {
                return Err(StoreError::Conflict(Message::CycleNotDraft { status: row.cycle.status.as_str().into() }));
            }
            let programme = &row.programme.programme;
            let organisation = row.programme.organisation_id.as_str();
            // The chosen households' living, unmerged members.
            let mut sql = Sql::new(
                "SELECT h.id, h.external_id, p.id, p.birth_date FROM households h JOIN people p ON p.household_id = h.id \
                 WHERE p.status <> 'deceased' AND p.duplicate_of IS NULL AND p.removed_at IS NULL",
                &[],
            );
            if let Some(group) = filter.population_group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
                sql = sql.push(" AND h.population_group = ?", &[domain::registry::population_group_code(group).into()]);
            }
            if let Some((low, high)) = &location {
                sql = sql.push(
                    " AND COALESCE(h.current_location, h.registration_point) >= ? \
                     AND COALESCE(h.current_location, h.registration_point) < ?",
                    &[low.into(), high.into()],
                );
            }
            if let Some(since) = &displaced_since {
                sql = sql.push(" AND h.displaced_since >= ?", &[since.into()]);
            }
            if !programme.places.is_empty() {
                let within: Vec<String> = programme
                    .places
                    .iter()
                    .map(|_| "(COALESCE(h.current_location, h.registration_point) >= ? AND COALESCE(h.current_location, h.registration_point) < ?)".to_string())
                    .collect();
                let values: Vec<Value> =
                    programme.places.iter().flat_map(|p| [Value::from(p.as_str()), Value::from(format!("{p}Z"))]).collect();
                sql = sql.push(&format!(" AND ({})", within.join(" OR ")), &values);
            }
            // A list (which may hold a hundred thousand numbers: too many for one statement's
            // parameters) is resolved, then read, in chunks; each household it names must be
            // one the user may plan: one that is not is an error, naming its line.
            let listed = match filter.households.is_empty() {
                true => Vec::new(),
                false => listed_households(tx, actor, organisation, &filter.households)?,
            };
            let chunks: Vec<Option<&[String]>> = match filter.households.is_empty() {
                true => vec![None],
                false => listed.chunks(LIST_CHUNK).map(Some).collect(),
            };
            // (household id, number, living members, members of the age asked).
            let mut households: Vec<(String, String, Vec<String>, Vec<String>)> = Vec::new();
            let start = NaiveDate::parse_from_str(&row.cycle.start_date, "%Y-%m-%d").unwrap_or_default();
            let aged = |birth: Option<String>| {
                if filter.min_age.is_none() && filter.max_age.is_none() {
                    return true;
                }
                let Some(age) = birth.and_then(|b| NaiveDate::parse_from_str(&b, "%Y-%m-%d").ok()).and_then(|b| start.years_since(b)) else {
                    return false;
                };
                filter.min_age.is_none_or(|min| i64::from(age) >= min) && filter.max_age.is_none_or(|max| i64::from(age) <= max)
            };
            for chunk in chunks {
                // A list's households were checked to be the organisation's and the user's:
                // read by id alone, which SQLite would otherwise scan the organisation for.
                let sql = match chunk {
                    Some(ids) => {
                        let values: Vec<Value> = ids.iter().map(|id| id.as_str().into()).collect();
                        sql.clone().push(&format!(" AND h.id IN ({})", vec!["?"; ids.len()].join(", ")), &values)
                    }
                    None => sql
                        .clone()
                        .push(" AND h.organisation_id = ?", &[organisation.into()])
                        .and(&Visibility::of(actor).households("h", Access::Change)),
                };
                for r in tx.select(&sql.push(" ORDER BY h.id, p.id", &[]))? {
                    let person = r.text(2);
                    let of_age = aged(r.opt_text(3));
                    match households.last_mut() {
                        Some(last) if last.0 == r.str(0) => {
                            if of_age {
                                last.3.push(person.clone());
                            }
                            last.2.push(person);
                        }
                        _ => households.push((r.text(0), r.text(1), vec![person.clone()], if of_age { vec![person] } else { vec![] })),
                    }
                }
            }
            households.sort_by(|a, b| a.1.cmp(&b.1));
            let min = filter.min_members.unwrap_or(1).max(1) as usize;
            households.retain(|h| h.2.len() >= min && !h.3.is_empty());
            let earlier = earlier_entitlements(tx, actor, &row.cycle.id, programme.kind.as_str(), organisation, (
                &row.cycle.start_date,
                &row.cycle.end_date,
            ))?;
            let planned: HashSet<String> = tx
                .query("SELECT DISTINCT household_id FROM entitlements WHERE cycle_id = $1", params![row.cycle.id.as_str()])?
                .iter()
                .map(|r| r.text(0))
                .collect();
            let overrides: HashMap<&str, &str> =
                filter.overrides.iter().map(|o| (o.household.trim(), o.reason.trim())).collect();
            let rule = domain::assistance::EntitlementRule {
                amount: programme.amount,
                per: programme.per,
                cap_per_household: programme.cap_per_household.map(|c| c as u32),
                unit: programme.unit,
            };
            let mut report = PlanReport { planned: 0, already_planned: 0, conflicts: Vec::new(), overridden: 0 };
            let (mut entitlements, mut covered) = (Vec::new(), Vec::new());
            for (household_id, number, members, of_age) in &households {
                if planned.contains(household_id) {
                    report.already_planned += 1;
                    continue;
                }
                // Whom the entitlements cover: the household, or the members of the age asked
                // (no more than the cap per household).
                let entitled: Vec<&String> = match programme.target_unit {
                    TargetUnit::Household => members.iter().collect(),
                    TargetUnit::Person => {
                        of_age.iter().take(programme.cap_per_household.map_or(usize::MAX, |c| c.max(0) as usize)).collect()
                    }
                };
                let found: Vec<&Earlier> = entitled.iter().filter_map(|m| earlier.get(*m)).collect();
                let reason = overrides.get(household_id.as_str()).or_else(|| overrides.get(number.as_str())).copied();
                if let Some(first) = found.first() {
                    if reason.is_none() {
                        let shown = first.visible;
                        report.conflicts.push(Conflict {
                            household_id: household_id.clone(),
                            household: number.clone(),
                            people: found.len(),
                            programme: shown.then(|| first.programme.clone()),
                            cycle: shown.then(|| first.cycle.clone()),
                            from: shown.then(|| first.from.clone()),
                            to: shown.then(|| first.to.clone()),
                        });
                        continue;
                    }
                    report.overridden += 1;
                }
                let reason = if found.is_empty() { None } else { reason };
                let units: Vec<(String, Vec<&String>, f64)> = match programme.target_unit {
                    TargetUnit::Household => {
                        vec![(String::new(), members.iter().collect(), rule.for_household(members.len()))]
                    }
                    TargetUnit::Person => entitled.iter().map(|m| ((*m).clone(), vec![*m], rule.amount)).collect(),
                };
                for (person_key, people, quantity) in units {
                    let id = new_id();
                    entitlements.push(vec![
                        Value::from(id.as_str()),
                        row.cycle.id.as_str().into(),
                        household_id.as_str().into(),
                        person_key.into(),
                        quantity.into(),
                        reason.map(str::to_string).into(),
                        now.into(),
                        actor.username.as_str().into(),
                    ]);
                    covered.extend(people.into_iter().map(|p| vec![Value::from(id.as_str()), p.as_str().into()]));
                    report.planned += 1;
                }
            }
            tx.insert_rows(
                "entitlements",
                &["id", "cycle_id", "household_id", "person_key", "quantity", "override_reason", "created_at", "created_by"],
                entitlements,
            )?;
            tx.insert_rows("entitlement_people", &["entitlement_id", "person_id"], covered)?;
            crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
            audit::record(
                tx,
                actor,
                now,
                "plan",
                "cycle",
                &row.cycle.id,
                json!({"filter": filter, "planned": report.planned, "conflicts": report.conflicts.len(), "overridden": report.overridden}),
            )?;
            Ok(report)
        })
    }
}

/// How many households of a list one statement reads.
const LIST_CHUNK: usize = 500;

/// The ids of the households a list names (by number or id), in its order without repeats;
/// a line naming no household of `organisation` the actor may change is an error at its line.
fn listed_households(
    tx: &mut crate::db::Tx<'_>,
    actor: &Actor,
    organisation: &str,
    lines: &[String],
) -> Result<Vec<String>, StoreError> {
    let lines: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
    let mut found: HashMap<String, String> = HashMap::new();
    // By number first, then the lines left by id: one column per statement, so each uses its
    // index (an OR of both scans the organisation's households).
    for column in ["h.external_id", "h.id"] {
        let left: Vec<&str> = lines.iter().copied().filter(|l| !found.contains_key(*l)).collect();
        for chunk in left.chunks(LIST_CHUNK) {
            let values: Vec<Value> = chunk.iter().map(|l| Value::from(*l)).collect();
            let sql = Sql::new(
                "SELECT h.id, h.external_id FROM households h WHERE h.organisation_id = ?",
                &[organisation.into()],
            )
            .push(&format!(" AND {column} IN ({})", vec!["?"; chunk.len()].join(", ")), &values)
            .and(&Visibility::of(actor).households("h", Access::Change));
            for r in tx.select(&sql)? {
                let key = if column == "h.id" { r.text(0) } else { r.text(1) };
                found.insert(key, r.text(0));
            }
        }
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let id = found
            .get(*line)
            .ok_or_else(|| StoreError::invalid(&format!("households[{i}]"), *line, Message::HouseholdOfProgramme))?;
        if seen.insert(id.as_str()) {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

/// Everyone already entitled to `kind` over an overlapping period by another round of the
/// organisation or of one that shares with it (at any level but `none`), by the person kept:
/// a record merged since it was planned counts as the person it was merged into (the chosen
/// members are never merged records themselves).
fn earlier_entitlements(
    tx: &mut crate::db::Tx<'_>,
    actor: &Actor,
    cycle: &str,
    kind: &str,
    organisation: &str,
    (from, to): (&str, &str),
) -> Result<HashMap<String, Earlier>, StoreError> {
    let sql =
        Sql::new("SELECT COALESCE(pe.duplicate_of, pe.id), pr.code, c.name, c.start_date, c.end_date, CASE WHEN ", &[])
            .cond(&Visibility::of(actor).households("h", Access::Read))
            .push(
                " THEN 1 ELSE 0 END FROM entitlement_people ep JOIN entitlements e ON e.id = ep.entitlement_id \
         JOIN cycles c ON c.id = e.cycle_id JOIN programmes pr ON pr.id = c.programme_id \
         JOIN people pe ON pe.id = ep.person_id JOIN households h ON h.id = e.household_id \
         WHERE pr.kind = ? AND c.id <> ? AND c.start_date <= ? AND c.end_date >= ? \
         AND (pr.organisation_id = ? OR pr.organisation_id IN \
         (SELECT from_org FROM sharing_agreements WHERE to_org = ? AND level <> 'none'))",
                &[kind.into(), cycle.into(), to.into(), from.into(), organisation.into(), organisation.into()],
            );
    let mut earlier = HashMap::new();
    for r in tx.select(&sql)? {
        earlier.entry(r.text(0)).or_insert(Earlier {
            programme: r.text(1),
            cycle: r.text(2),
            from: r.text(3),
            to: r.text(4),
            visible: r.int(5) == 1,
        });
    }
    Ok(earlier)
}
