//! Figures: solutions decisions, and stock and flows computed from the registry's movements
//! (`domain::figures`). The computation runs over every household in memory once per scope;
//! after that, each registry change (`versions::Capability::Registry`) is caught up through
//! the households it touched (the change feed, `household_changes`): they are read again and
//! their contributions replaced in the index, in milliseconds. A change of who may see what
//! (sharing agreements) or a very large change (an import of many households) counts again
//! in full. A page or an API call takes one `FiguresSnapshot` and answers every figure from
//! it, so all come from one registry version.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use domain::figures::{self, FigureIndex, HouseholdFacts, MemberFacts};
pub use domain::figures::{FlowsReport, StockReport};
use domain::timeline::Event;
use domain::{Message, MovementKind, Sex};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::db::Tx;
use crate::error::StoreError;
use crate::visibility::{Access, Cond, Sql, Visibility};
use crate::{new_id, params, Actor, Store};

/// A recorded decision that a household or person overcame their displacement-related
/// vulnerabilities: the IRIS exit from the IDP stock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SolutionDecision {
    pub id: String,
    pub household_id: String,
    pub person_id: Option<String>,
    pub decided_on: NaiveDate,
    /// What the decision rests on (e.g. the IASC criteria assessed and how).
    pub basis: String,
    /// Who decided (a body or a person's role, not a user account).
    pub decided_by: String,
    pub voided: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionInput {
    /// `YYYY-MM-DD`.
    pub decided_on: String,
    pub basis: String,
    pub decided_by: String,
}

/// How many scopes' figures stay in memory; the least recently used goes first. Users of a
/// few organisations alternating keep theirs; a million-household scope is a few hundred MB.
const CACHED_SCOPES: usize = 4;

/// Changes to this many households (or a tenth of the scope, if more) are caught up one by
/// one; beyond, counting again in full is about as quick.
const CATCH_UP_AT_MOST: usize = 10_000;

/// Computed figures per scope, each for one registry version. Computing happens outside the
/// lock; one computation per scope runs at a time and the others wait for it.
#[derive(Default)]
pub struct FiguresCache {
    state: Mutex<CacheState>,
    changed: std::sync::Condvar,
    /// With a duration, a request waits that long for figures being recomputed after a change,
    /// then gets the previous version's figures, marked stale, rather than waiting a minute
    /// on a registry of a million households. Without, it always waits (tests, command line).
    stale_after: Mutex<Option<std::time::Duration>>,
}

#[derive(Default)]
struct CacheState {
    /// Least recently used first.
    entries: Vec<CacheEntry>,
    /// The scopes whose figures are being computed.
    computing: Vec<Cond>,
}

struct CacheEntry {
    scope: Cond,
    version: i64,
    computed: Arc<Computed>,
}

impl CacheState {
    fn entry(&self, scope: &Cond) -> Option<&CacheEntry> {
        self.entries.iter().find(|e| e.scope == *scope)
    }

    fn fresh(&self, scope: &Cond, version: i64) -> Option<(Arc<Computed>, i64)> {
        self.entry(scope).filter(|e| e.version >= version).map(|e| (e.computed.clone(), e.version))
    }

    fn is_computing(&self, scope: &Cond) -> bool {
        self.computing.contains(scope)
    }

    /// Marks the scope's entry as just used.
    fn touch(&mut self, scope: &Cond) {
        if let Some(i) = self.entries.iter().position(|e| e.scope == *scope) {
            let entry = self.entries.remove(i);
            self.entries.push(entry);
        }
    }

    fn store(&mut self, scope: Cond, version: i64, computed: Arc<Computed>) {
        self.entries.retain(|e| e.scope != scope);
        self.entries.push(CacheEntry { scope, version, computed });
        if self.entries.len() > CACHED_SCOPES {
            self.entries.remove(0);
        }
    }
}

/// Marks a scope's computation finished when dropped.
struct ComputingDone<'a> {
    cache: &'a FiguresCache,
    scope: Cond,
}

impl Drop for ComputingDone<'_> {
    fn drop(&mut self) {
        let mut state = self.cache.state.lock().unwrap_or_else(|p| p.into_inner());
        state.computing.retain(|s| *s != self.scope);
        self.cache.changed.notify_all();
    }
}

pub struct Computed {
    pub index: FigureIndex,
    /// Each household's number in the index.
    numbers: HouseholdNumbers,
    /// The sharing agreements' counter the figures were computed under: when it moves, what
    /// the scope covers may have changed, and the figures are counted again in full.
    sharing: i64,
}

/// Household id → its number in a [`FigureIndex`]. The numbers of a full count are shared by
/// every later snapshot; households new since then sit in a small map that is copied per
/// change and folded into the shared one when it grows.
#[derive(Clone, Default)]
struct HouseholdNumbers {
    counted: Arc<HashMap<String, u32>>,
    since: HashMap<String, u32>,
}

impl HouseholdNumbers {
    /// Folded into the shared map beyond this many.
    const FOLD_AFTER: usize = 20_000;

    fn get(&self, id: &str) -> Option<u32> {
        self.since.get(id).or_else(|| self.counted.get(id)).copied()
    }

    fn number(&mut self, id: &str) -> u32 {
        if let Some(n) = self.get(id) {
            return n;
        }
        let n = (self.counted.len() + self.since.len()) as u32;
        self.since.insert(id.to_string(), n);
        if self.since.len() > Self::FOLD_AFTER {
            Arc::make_mut(&mut self.counted).extend(self.since.drain());
        }
        n
    }

    fn len(&self) -> usize {
        self.counted.len() + self.since.len()
    }
}

/// One registry version's figures as one reader may see them. Every figure of a page or an
/// API call comes from one snapshot, so none mixes two versions of the registry.
pub struct FiguresSnapshot {
    computed: Arc<Computed>,
    /// The registry version the figures were computed from.
    pub version: i64,
    /// The figures of the registry before its latest changes, served while those are counted.
    pub stale: bool,
    /// Set when small cells are suppressed for this reader (fewer than this many people).
    pub disclosure_threshold: Option<u64>,
}

/// A group's country total at a date; `None`: below the reader's disclosure threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupTotal {
    pub individuals: Option<u64>,
    pub households: Option<u64>,
}

impl FiguresSnapshot {
    /// About how many bytes the figures' index holds (shared with other snapshots in part).
    pub fn index_bytes(&self) -> usize {
        self.computed.index.memory_bytes()
    }

    /// Whether two snapshots share one computation (the cache served it again).
    pub fn same_computation(&self, other: &FiguresSnapshot) -> bool {
        Arc::ptr_eq(&self.computed, &other.computed)
    }

    /// The date of the latest movement the reader's figures count (the first day of its month
    /// or year when imprecise): dashboards default to it, so the figures of a registry fed in
    /// arrears are not shown as of a day nothing is known about.
    pub fn latest_event_date(&self) -> Option<NaiveDate> {
        self.computed.index.latest_event()
    }

    /// Individuals per place at the end of `as_of`, before disclosure control: the caller
    /// publishes a place's total only when it reaches [`FiguresSnapshot::disclosure_threshold`],
    /// as the figures pages publish place totals. `returned_apart`: as published categories
    /// count, returned IDPs still in the IRIS stock are the group `RDP`, apart from `IDP`.
    pub fn place_totals(
        &self,
        as_of: &str,
        level: u8,
        group: Option<&str>,
        returned_apart: bool,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let as_of = parse_date("as_of", as_of)?;
        check_level(level)?;
        let group = group.map(|g| g.trim().to_ascii_uppercase()).filter(|g| !g.is_empty());
        let stock = if returned_apart {
            self.computed.index.stock_of_concern(as_of, level, group.as_deref())
        } else {
            self.computed.index.stock(as_of, level, group.as_deref())
        };
        let mut totals = std::collections::BTreeMap::new();
        for cell in stock.cells {
            *totals.entry(cell.place).or_default() += cell.individuals;
        }
        Ok(totals)
    }

    /// Each group's individuals and households in the country at the end of `as_of`, counted
    /// before disclosure control (a hidden place still counts): `None` where a count is below
    /// the reader's threshold. The accounts publish the same totals.
    pub fn group_totals(&self, as_of: &str) -> Result<BTreeMap<String, GroupTotal>, StoreError> {
        let as_of = parse_date("as_of", as_of)?;
        let stock = self.computed.index.stock(as_of, 1, None);
        let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for cell in &stock.households {
            let entry = totals.entry(cell.population_group.clone()).or_default();
            entry.0 += cell.individuals;
            entry.1 += cell.households;
        }
        let published = |n: u64| match self.disclosure_threshold {
            Some(threshold) if n > 0 && n < threshold => None,
            _ => Some(n),
        };
        Ok(totals
            .into_iter()
            .map(|(group, (people, households))| {
                (group, GroupTotal { individuals: published(people), households: published(households) })
            })
            .collect())
    }

    /// Stock at the end of `as_of` by group × place (admin `level`) × sex × age band.
    pub fn stock(&self, as_of: &str, level: u8, group: Option<&str>) -> Result<StockReport, StoreError> {
        let as_of = parse_date("as_of", as_of)?;
        check_level(level)?;
        let group = group.map(|g| g.trim().to_ascii_uppercase()).filter(|g| !g.is_empty());
        let stock = match self.disclosure_threshold {
            None => self.computed.index.stock(as_of, level, group.as_deref()),
            Some(threshold) => {
                let mut levels: Vec<figures::Stock> =
                    suppression_levels(level).map(|l| self.computed.index.stock(as_of, l, group.as_deref())).collect();
                figures::suppress_stock(&mut levels, threshold);
                levels.pop().unwrap_or_default()
            }
        };
        // The note's count is a published count too: below the threshold, it reads 0 for
        // readers under disclosure control.
        let without = self.computed.index.idp_without_displacement();
        let without = match self.disclosure_threshold {
            Some(threshold) if without < threshold => 0,
            _ => without,
        };
        Ok(StockReport {
            as_of,
            level,
            stock,
            population_group: group,
            idp_households_without_displacement: without,
            disclosure_threshold: self.disclosure_threshold,
            stale: self.stale,
        })
    }

    /// Flows in the period (from, to], with origin–destination pairs at admin `level` and the
    /// stock-and-flow account of each group.
    pub fn flows(&self, from: &str, to: &str, level: u8, group: Option<&str>) -> Result<FlowsReport, StoreError> {
        let from = parse_date("from", from)?;
        let to = parse_date("to", to)?;
        if to < from {
            return Err(StoreError::invalid("to", to.to_string(), Message::DateOnOrAfter { from: from.to_string() }));
        }
        check_level(level)?;
        let group = group.map(|g| g.trim().to_ascii_uppercase()).filter(|g| !g.is_empty());
        let flows = match self.disclosure_threshold {
            None => self.computed.index.flows(from, to, level, group.as_deref()),
            Some(threshold) => {
                let mut levels: Vec<figures::Flows> = suppression_levels(level)
                    .map(|l| self.computed.index.flows(from, to, l, group.as_deref()))
                    .collect();
                figures::suppress_flows(&mut levels, threshold);
                levels.pop().unwrap_or_else(|| self.computed.index.flows(from, to, level, group.as_deref()))
            }
        };
        Ok(FlowsReport {
            level,
            flows,
            population_group: group,
            disclosure_threshold: self.disclosure_threshold,
            stale: self.stale,
        })
    }
}

/// The levels suppressed together to publish `level`: from the régions down to it, so that
/// no level gives back what another hides. Sites stand alone: a commune's people off any site
/// are not published at the site level, so its sites do not add up to it.
fn suppression_levels(level: u8) -> std::ops::RangeInclusive<u8> {
    if level >= figures::SITE_LEVEL {
        level..=level
    } else {
        1..=level
    }
}

fn parse_date(field: &str, value: &str) -> Result<NaiveDate, StoreError> {
    domain::dates::calendar_day(value).ok_or_else(|| StoreError::invalid(field, value.trim(), Message::IsoDate))
}

fn check_level(level: u8) -> Result<(), StoreError> {
    if (1..=4).contains(&level) {
        Ok(())
    } else {
        Err(StoreError::invalid("level", level.to_string(), Message::FiguresLevel))
    }
}

impl Store {
    /// Records a solutions decision for a household, or for one member with `person_id`.
    pub fn record_solution(
        &self,
        actor: &Actor,
        household_id: &str,
        person_id: Option<&str>,
        input: &SolutionInput,
    ) -> Result<SolutionDecision, StoreError> {
        let mut decisions =
            self.record_solutions(actor, &[(household_id.to_string(), person_id.map(str::to_string), input.clone())])?;
        decisions.pop().ok_or(StoreError::NotFound("household"))
    }

    /// Records several solutions decisions in one transaction (all or none).
    pub fn record_solutions(
        &self,
        actor: &Actor,
        batch: &[(String, Option<String>, SolutionInput)],
    ) -> Result<Vec<SolutionDecision>, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let mut parsed = Vec::with_capacity(batch.len());
        for (household_id, person_id, input) in batch {
            parsed.push((household_id, person_id.as_deref(), self.parse_solution(input)?));
        }
        self.db.write(|tx| {
            let mut out = Vec::with_capacity(parsed.len());
            for (household_id, person_id, decision) in &parsed {
                let visible = tx.select_opt(&Sql::new("SELECT h.id FROM households h WHERE h.id = ?", params![household_id.as_str()]).and(&Visibility::of(actor).households("h", Access::Change)))?;
                if visible.is_none() {
                    return Err(StoreError::NotFound("household"));
                }
                if let Some(p) = person_id {
                    if tx.query_opt("SELECT id FROM people WHERE id = $1 AND household_id = $2", params![*p, household_id.as_str()])?.is_none() {
                        return Err(StoreError::NotFound("person"));
                    }
                }
                let id = new_id();
                tx.execute(
                    "INSERT INTO solutions (id, household_id, person_id, decided_on, basis, decided_by, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    params![&id, household_id.as_str(), *person_id, decision.decided_on.to_string(), &decision.basis, &decision.decided_by, now, &actor.user_id],
                )?;
                crate::audit::record(tx, actor, now, "solution", "household", household_id, serde_json::json!({"solution_id": id, "decided_on": decision.decided_on}))?;
                out.push(SolutionDecision { id, household_id: household_id.to_string(), person_id: person_id.map(str::to_string), ..decision.clone() });
            }
            let households: Vec<&str> = parsed.iter().map(|(h, _, _)| h.as_str()).collect();
            crate::versions::households_changed(tx, &households)?;
            Ok(out)
        })
    }

    fn parse_solution(&self, input: &SolutionInput) -> Result<SolutionDecision, StoreError> {
        let decided_on = domain::FuzzyDate::parse("decided_on", &input.decided_on, self.today())
            .map_err(|e| StoreError::Invalid(domain::FieldErrors(vec![e])))?;
        if decided_on.precision != domain::DatePrecision::Day {
            return Err(StoreError::invalid("decided_on", input.decided_on.trim(), Message::FullDate));
        }
        for (field, value) in [("basis", &input.basis), ("decided_by", &input.decided_by)] {
            if value.trim().is_empty() || value.len() > 1000 {
                return Err(StoreError::invalid(field, "", Message::TextLength { max: 1000 }));
            }
        }
        Ok(SolutionDecision {
            id: String::new(),
            household_id: String::new(),
            person_id: None,
            decided_on: decided_on.date,
            basis: input.basis.trim().into(),
            decided_by: input.decided_by.trim().into(),
            voided: false,
        })
    }

    pub fn solutions(&self, actor: &Actor, household_id: &str) -> Result<Vec<SolutionDecision>, StoreError> {
        self.db.read(|tx| {
            // Decisions are read as their household is: through pseudonymised agreements too.
            let rows = tx.select(
                &Sql::new("SELECT s.id, s.household_id, s.person_id, s.decided_on, s.basis, s.decided_by, s.voided_at FROM solutions s JOIN households h ON h.id = s.household_id WHERE s.household_id = ?", params![household_id])
                    .and(&Visibility::of(actor).households("h", Access::Read))
                    .push(" ORDER BY s.decided_on", params![]),
            )?;
            Ok(rows
                .into_iter()
                .map(|r| SolutionDecision {
                    id: r.text(0),
                    household_id: r.text(1),
                    person_id: r.opt_text(2),
                    decided_on: NaiveDate::parse_from_str(&r.text(3), "%Y-%m-%d").unwrap_or_default(),
                    basis: r.text(4),
                    decided_by: r.text(5),
                    voided: r.opt_int(6).is_some(),
                })
                .collect())
        })
    }

    /// Serve figures of the previous registry version after waiting `wait` for the current
    /// one (the web server); `None` always waits for current figures.
    pub fn set_stale_figures_after(&self, wait: Option<std::time::Duration>) {
        *self.figures.stale_after.lock().unwrap_or_else(|p| p.into_inner()) = wait;
    }

    /// Forgets every computed figure: the next request counts its scope in full again (tests
    /// and benchmarks compare the two ways of counting).
    pub fn recount_figures(&self) {
        self.figures.state.lock().unwrap_or_else(|p| p.into_inner()).entries.clear();
    }

    /// The actor's figures of the current registry version, computed once per version and
    /// scope (or, while they are computed, the previous version's, marked stale).
    pub fn figures_snapshot(&self, actor: &Actor) -> Result<FiguresSnapshot, StoreError> {
        let (computed, version, stale) = self.computed(actor)?;
        let disclosure_threshold = self.figures_need_disclosure_control(actor)?.then(|| self.disclosure_threshold());
        Ok(FiguresSnapshot { computed, version, stale, disclosure_threshold })
    }

    /// The figures of the current registry version for the actor's scope, the version they
    /// were computed from, and whether they are an earlier version's, served while the
    /// current one is computed.
    fn computed(&self, actor: &Actor) -> Result<(Arc<Computed>, i64, bool), StoreError> {
        use crate::versions::{current, Capability};
        let version = self.db.read_lagging(|tx| current(tx, Capability::Registry))?;
        // Figures depend on what the actor may see: cached per scope.
        let scope = figures_scope(actor);
        let stale_after = *self.figures.stale_after.lock().unwrap_or_else(|p| p.into_inner());
        let cache = &self.figures;
        fn poisoned<T>(_: T) -> StoreError {
            StoreError::Database("figures cache poisoned".into())
        }
        let previous = |state: &CacheState| state.entry(&scope).map(|e| (e.computed.clone(), e.version, true));
        let mut state = cache.state.lock().map_err(poisoned)?;
        let mut started = false;
        loop {
            if let Some((computed, at)) = state.fresh(&scope, version) {
                state.touch(&scope);
                return Ok((computed, at, false));
            }
            if !state.is_computing(&scope) {
                if started {
                    // Ours failed (it is in the log): the previous figures, or the error.
                    return previous(&state)
                        .ok_or_else(|| StoreError::Database("figures could not be computed".into()));
                }
                started = true;
                state.computing.push(scope.clone());
                if stale_after.is_some() {
                    // In the background: this request may not wait for it.
                    let (store, actor) = (self.clone(), actor.clone());
                    std::thread::spawn(move || store.compute_into_cache(&actor, version));
                } else {
                    drop(state);
                    self.compute_into_cache(actor, version);
                    state = cache.state.lock().map_err(poisoned)?;
                    continue;
                }
            }
            let waiting = |st: &mut CacheState| st.fresh(&scope, version).is_none() && st.is_computing(&scope);
            match (stale_after, previous(&state)) {
                (Some(wait), Some(previous)) => {
                    let (guard, timeout) = cache.changed.wait_timeout_while(state, wait, waiting).map_err(poisoned)?;
                    state = guard;
                    if timeout.timed_out() {
                        return Ok(previous);
                    }
                }
                // Nothing to show meanwhile: wait for it.
                _ => state = cache.changed.wait_while(state, waiting).map_err(poisoned)?,
            }
        }
    }

    /// Computes the figures of `actor`'s scope and stores them; wakes whoever waits. Figures
    /// already in the cache are brought up to date through the households changed since.
    fn compute_into_cache(&self, actor: &Actor, version: i64) {
        let scope = figures_scope(actor);
        // Even if computing panics, the scope stops being "computing" and waiters wake (they
        // then get the previous figures or an error, never a wait without end).
        let _done = ComputingDone { cache: &self.figures, scope: scope.clone() };
        let previous = {
            let state = self.figures.state.lock().unwrap_or_else(|p| p.into_inner());
            state.entry(&scope).map(|e| (e.computed.clone(), e.version))
        };
        let computed = match previous {
            Some((previous, since)) => match self.catch_up(actor, &previous, since) {
                Ok(Some(caught_up)) => Ok(caught_up),
                Ok(None) => self.compute(actor).map(|c| (c, version)),
                Err(error) => Err(error),
            },
            None => self.compute(actor).map(|c| (c, version)),
        };
        let mut state = self.figures.state.lock().unwrap_or_else(|p| p.into_inner());
        match computed {
            Ok((computed, at)) => state.store(scope, at, Arc::new(computed)),
            Err(error) => tracing::error!(%error, "figures could not be computed"),
        }
    }

    /// Counts the actor's scope in full.
    fn compute(&self, actor: &Actor) -> Result<Computed, StoreError> {
        let started = std::time::Instant::now();
        let sharing = self.db.read_lagging(|tx| crate::versions::current(tx, crate::versions::Capability::Sharing))?;
        let facts = self.figure_facts(actor, None)?;
        let read = started.elapsed();
        let mut numbers = HouseholdNumbers::default();
        let counted = Arc::make_mut(&mut numbers.counted);
        counted.reserve(facts.len());
        for (i, (id, _)) in facts.iter().enumerate() {
            counted.insert(id.clone(), i as u32);
        }
        // Each household's timeline is replayed and counted into the index on the same thread,
        // one after the other, on every core.
        let index = FigureIndex::build_from(facts, |i, (_, f)| figures::compute_one(i, &f));
        // Where a full count's time goes, for whoever tunes it (counts only, no records).
        tracing::info!(
            households = numbers.len(),
            read_ms = read.as_millis() as u64,
            count_ms = (started.elapsed() - read).as_millis() as u64,
            "figures counted in full"
        );
        Ok(Computed { index, numbers, sharing })
    }

    /// `previous` (counted at registry version `since`) brought up to date through the
    /// households changed since, with the version it now stands at; `None` when it must be
    /// counted again in full (who may see what changed, or too much changed to be quicker).
    fn catch_up(&self, actor: &Actor, previous: &Computed, since: i64) -> Result<Option<(Computed, i64)>, StoreError> {
        let started = std::time::Instant::now();
        let (changed, now, sharing) = self.db.read_lagging(|tx| {
            let sharing = crate::versions::current(tx, crate::versions::Capability::Sharing)?;
            let (changed, now) = crate::versions::households_changed_since(tx, since)?;
            Ok((changed, now, sharing))
        })?;
        if sharing != previous.sharing || changed.len() > CATCH_UP_AT_MOST.max(previous.numbers.len() / 10) {
            return Ok(None);
        }
        let mut facts: HashMap<String, HouseholdFacts> = HashMap::new();
        for ids in changed.chunks(500) {
            facts.extend(self.figure_facts(actor, Some(ids))?);
        }
        let mut numbers = previous.numbers.clone();
        let mut changes = Vec::with_capacity(changed.len());
        for id in &changed {
            // A household no longer in sight (or gone) is taken out; one never counted stays out.
            let number = match facts.get(id) {
                Some(_) => numbers.number(id),
                None => match numbers.get(id) {
                    Some(number) => number,
                    None => continue,
                },
            };
            changes.push((number, facts.get(id).map(|f| figures::compute_one(number as usize, f))));
        }
        let read = started.elapsed();
        let index = previous.index.update(changes);
        // Where a catch-up's time goes (counts only, no records).
        tracing::debug!(
            households = changed.len(),
            read_ms = read.as_millis() as u64,
            index_ms = (started.elapsed() - read).as_millis() as u64,
            "figures caught up"
        );
        Ok(Some((Computed { index, numbers, sharing }, now)))
    }

    /// Loads what the figures need about the households in the actor's scope (or only those of
    /// `only` among them), in five queries, rows streamed; each with its id. For a full count,
    /// movements and decisions are read on a second connection while households and people are
    /// read on this one: two cores for the largest part of a full count. The two reads may see
    /// the registry a moment apart; whatever changed in between is caught up afterwards, like
    /// every change since the version counted.
    fn figure_facts(
        &self,
        actor: &Actor,
        only: Option<&[String]>,
    ) -> Result<Vec<(String, HouseholdFacts)>, StoreError> {
        let scope = match only {
            Some(ids) => figures_scope(actor).and(Cond::one_of("h.id", ids)),
            None => figures_scope(actor),
        };
        let (people, happenings) = match only {
            Some(_) => {
                self.db.read_lagging(|tx| Ok((read_people(tx, &scope, || Ok(None))?, read_happenings(tx, &scope)?)))?
            }
            None => std::thread::scope(|threads| {
                // The people with events of their own are found on the movements' connection,
                // in the snapshot their movements are read from, while households are read here.
                let (own_found, own) = std::sync::mpsc::sync_channel(1);
                let scope = &scope;
                let happenings = threads.spawn(move || {
                    self.db.read_lagging(|tx| {
                        let _ = own_found.send(people_with_own_events(tx)?);
                        read_happenings(tx, scope)
                    })
                });
                let own = || {
                    own.recv()
                        .map(Some)
                        .map_err(|_| StoreError::Database("reading movements for figures failed".into()))
                };
                let people = self.db.read_lagging(|tx| read_people(tx, scope, own));
                let happenings = happenings
                    .join()
                    .unwrap_or_else(|_| Err(StoreError::Database("reading movements for figures failed".into())));
                // The movements' error first: when that read fails, this one only says it waited
                // in vain.
                let happenings = happenings?;
                Ok::<_, StoreError>((people?, happenings))
            })?,
        };
        let People { index, mut households, members } = people;
        let Happenings { households: named, movements, decisions } = happenings;
        let read_at: Vec<Option<usize>> = named.iter().map(|id| index.get(id).copied()).collect();
        drop(named);
        // Whose a movement or a decision is: a member's own (household, member) or the
        // household's (household, None); none of those read, nobody's.
        let whose = |household: u32, person: Option<&str>| match person {
            Some(person) => members.get(person).map(|&(h, m)| (h, Some(m))),
            None => read_at[household as usize].map(|h| (h, None)),
        };
        for (household, person, event) in movements {
            match whose(household, person.as_deref()) {
                Some((h, Some(m))) => households[h].1.members[m].events.push(event),
                Some((h, None)) => households[h].1.events.push(event),
                None => {}
            }
        }
        for (household, person, date) in decisions {
            match whose(household, person.as_deref()) {
                Some((h, Some(m))) => households[h].1.members[m].decisions.push(date),
                Some((h, None)) => households[h].1.decisions.push(date),
                None => {}
            }
        }
        Ok(households)
    }

    /// Whether an actor's figures include households they may not see as records: a viewer's,
    /// or those of organisations sharing only aggregates with theirs.
    pub fn figures_need_disclosure_control(&self, actor: &Actor) -> Result<bool, StoreError> {
        if !actor.role.sees_records() {
            return Ok(true);
        }
        let (Some(org), false) = (&actor.organisation_id, actor.role == domain::Role::Admin) else { return Ok(false) };
        let shared = self.db.read(|tx| {
            tx.query_int(
                "SELECT COUNT(*) FROM sharing_agreements WHERE to_org = $1 AND level IN ('aggregates', 'pseudonymised')",
                params![org.as_str()],
            )
        })?;
        Ok(shared > 0)
    }

    /// Stock at the end of `as_of` by group × place (admin `level`) × sex × age band.
    pub fn stock_figures(
        &self,
        actor: &Actor,
        as_of: &str,
        level: u8,
        group: Option<&str>,
    ) -> Result<StockReport, StoreError> {
        self.figures_snapshot(actor)?.stock(as_of, level, group)
    }

    /// Flows in the period (from, to] (see [`FiguresSnapshot::flows`]).
    pub fn flow_figures(
        &self,
        actor: &Actor,
        from: &str,
        to: &str,
        level: u8,
        group: Option<&str>,
    ) -> Result<FlowsReport, StoreError> {
        self.figures_snapshot(actor)?.flows(from, to, level, group)
    }
}

/// Households in a scope with their members, and where to find each (by id).
struct People {
    index: FxHashMap<String, usize>,
    households: Vec<(String, HouseholdFacts)>,
    /// A member's household and place in it, for the people with events or decisions of their
    /// own (`whole_registry`), or everyone.
    members: FxHashMap<String, (usize, usize)>,
}

/// Movements and decisions in a scope: (household, person if their own, what). A household is
/// named by its number in `households`: one string per household, not one per event.
struct Happenings {
    households: Vec<String>,
    movements: Vec<(u32, Option<String>, Event)>,
    decisions: Vec<(u32, Option<String>, NaiveDate)>,
}

/// Numbers household ids in the order first met.
#[derive(Default)]
struct HouseholdIds {
    numbers: FxHashMap<String, u32>,
    ids: Vec<String>,
}

impl HouseholdIds {
    fn number(&mut self, id: &str) -> u32 {
        if let Some(&number) = self.numbers.get(id) {
            return number;
        }
        let number = self.ids.len() as u32;
        self.numbers.insert(id.to_string(), number);
        self.ids.push(id.to_string());
        number
    }
}

fn stored_date(text: &str) -> Result<NaiveDate, ()> {
    domain::dates::stored_day(text).ok_or(())
}

/// Over the whole registry, only people with events or decisions of their own need finding
/// by id: these.
fn people_with_own_events(tx: &mut Tx<'_>) -> Result<FxHashSet<String>, StoreError> {
    let mut people = FxHashSet::default();
    for sql in [
        "SELECT DISTINCT m.person_id FROM movements m WHERE m.person_id IS NOT NULL AND m.voided_at IS NULL",
        "SELECT DISTINCT s.person_id FROM solutions s WHERE s.person_id IS NOT NULL AND s.voided_at IS NULL",
    ] {
        tx.query_each(sql, params![], |r| {
            people.insert(r.text(0));
            Ok(())
        })?;
    }
    Ok(people)
}

/// Households in `scope` and their members. `own` (asked once the households are read) names
/// the members to find by id, when not everyone.
fn read_people(
    tx: &mut Tx<'_>,
    scope: &Cond,
    own: impl FnOnce() -> Result<Option<FxHashSet<String>>, StoreError>,
) -> Result<People, StoreError> {
    let started = std::time::Instant::now();
    let at_most = rows_at_most(tx, "households", scope)?;
    let mut index: FxHashMap<String, usize> = FxHashMap::with_capacity_and_hasher(at_most, Default::default());
    let mut households = Vec::with_capacity(at_most);
    let sql = Sql::new(
        "SELECT h.id, h.population_group, h.registration_date, h.registered_location FROM households h WHERE ",
        params![],
    )
    .cond(scope)
    .push("", params![]);
    tx.query_each(sql.text(), sql.params(), |r| {
        index.insert(r.text(0), households.len());
        households.push((
            r.text(0),
            HouseholdFacts {
                population_group: r.text(1),
                registration_date: stored_date(r.str(2)).unwrap_or_default(),
                registered_location: r.opt_str(3).map(Into::into),
                events: Vec::new(),
                decisions: Vec::new(),
                members: Vec::new(),
            },
        ));
        Ok(())
    })?;
    let own = own()?;
    let mut members: FxHashMap<String, (usize, usize)> = FxHashMap::default();
    // In the table's order: a member's place in its household changes no figure (an update
    // takes out what the household added before, whatever the order then).
    let sql = in_scope(
        "SELECT p.id, p.household_id, p.sex, p.birth_date FROM people p",
        "p",
        "p.duplicate_of IS NULL AND p.removed_at IS NULL",
        scope,
    );
    tx.query_each(sql.text(), sql.params(), |r| {
        let Some(&h) = index.get(r.str(1)) else { return Ok(()) };
        let member = households[h].1.members.len();
        households[h].1.members.push(MemberFacts {
            sex: Sex::parse("", r.str(2)).ok(),
            birth_date: stored_date(r.str(3)).ok(),
            events: Vec::new(),
            decisions: Vec::new(),
        });
        if own.as_ref().is_none_or(|own| own.contains(r.str(0))) {
            members.insert(r.text(0), (h, member));
        }
        Ok(())
    })?;
    tracing::debug!(
        households = households.len(),
        own = members.len(),
        ms = started.elapsed().as_millis() as u64,
        "figures read households and people"
    );
    Ok(People { index, households, members })
}

fn read_happenings(tx: &mut Tx<'_>, scope: &Cond) -> Result<Happenings, StoreError> {
    let started = std::time::Instant::now();
    let mut households = HouseholdIds::default();
    let mut movements = Vec::with_capacity(rows_at_most(tx, "movements", scope)?);
    // An event's id names it in a timeline's warnings, which figures do not give: left out, it
    // spares millions of strings in a full count.
    let sql = in_scope(
        "SELECT m.household_id, m.person_id, m.kind, m.date, m.from_location, m.to_location, m.seq FROM movements m",
        "m",
        "m.voided_at IS NULL",
        scope,
    );
    tx.query_each(sql.text(), sql.params(), |r| {
        let (Ok(kind), Ok(date)) = (MovementKind::parse("", r.str(2)), stored_date(r.str(3))) else { return Ok(()) };
        let person = r.opt_text(1);
        let event = Event {
            id: String::new(),
            kind,
            date,
            from: r.opt_str(4).map(Into::into),
            to: r.opt_str(5).map(Into::into),
            seq: r.int(6),
            own: person.is_some(),
        };
        movements.push((households.number(r.str(0)), person, event));
        Ok(())
    })?;
    let mut decisions = Vec::new();
    let sql = in_scope(
        "SELECT s.household_id, s.person_id, s.decided_on FROM solutions s",
        "s",
        "s.voided_at IS NULL",
        scope,
    );
    tx.query_each(sql.text(), sql.params(), |r| {
        if let Ok(date) = stored_date(r.str(2)) {
            decisions.push((households.number(r.str(0)), r.opt_text(1), date));
        }
        Ok(())
    })?;
    tracing::debug!(
        movements = movements.len(),
        decisions = decisions.len(),
        ms = started.elapsed().as_millis() as u64,
        "figures read movements and decisions"
    );
    Ok(Happenings { households: households.ids, movements, decisions })
}

/// How many rows a full count will read from `table` at most, to allocate for them at once
/// (growing by doubling would copy and touch twice the memory): on SQLite its largest rowid,
/// a lookup. Otherwise, or for a scope that is not everyone, 0.
fn rows_at_most(tx: &mut Tx<'_>, table: &str, scope: &Cond) -> Result<usize, StoreError> {
    if tx.backend() != crate::db::Backend::Sqlite || !scope.is_always() {
        return Ok(0);
    }
    Ok(tx.query_int(&format!("SELECT COALESCE(MAX(rowid), 0) FROM {table}"), params![])?.max(0) as usize)
}

/// `select` (from a table aliased `alias`) of the rows passing `filter` whose household (`h`)
/// is in `scope`. No join when the scope is everyone: a row of a household not read is left
/// out when it is attached, and the join would double a full count's reading.
fn in_scope(select: &str, alias: &str, filter: &str, scope: &Cond) -> Sql {
    let join =
        if scope.is_always() { String::new() } else { format!(" JOIN households h ON h.id = {alias}.household_id") };
    Sql::new(&format!("{select}{join} WHERE {filter} AND "), params![]).cond(scope)
}

/// The households an actor's figures are computed from (see [`Access::Aggregate`]).
fn figures_scope(actor: &Actor) -> Cond {
    Visibility::of(actor).households("h", Access::Aggregate)
}
