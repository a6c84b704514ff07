//! Duplicate registrations in the registry, with the `linkage` engine: a check of a household
//! before it is saved (against an index of the registry kept in memory), a batch run over the
//! whole registry, the review queue, and merges. A merge marks the later record
//! `duplicate_of` the earlier one: both records and their histories stay, figures count the
//! person once, and an undo restores them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use domain::registry::NewHousehold;
use domain::{Identifier, Message};
use linkage::index::Index;
use linkage::Input;
use serde::Serialize;

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::registry::household_of_person;
use crate::visibility::{Access, Sql, Visibility};
use crate::{audit, params, Actor, Store};

/// The whole registry's people prepared for probing, extended as people are added. One index
/// serves every scope: what a probe finds is filtered by the reader's scope when answering,
/// so users of several organisations never rebuild it in turn.
#[derive(Default)]
pub struct LinkageCache {
    inner: Mutex<Option<CachedIndex>>,
    relearning: Mutex<Relearning>,
    /// Held while the households received by sync are checked (see [`Store::check_arrivals`]).
    arrivals: Mutex<()>,
}

/// Who found the pairs of households received by sync, in the queue.
pub const ARRIVALS_FINDER: &str = "sync";

/// A new index learning from people's latest decisions, built beside the one in use.
#[derive(Default)]
struct Relearning {
    running: bool,
    /// Decided again while it ran: it runs once more, with those decisions too.
    again: bool,
    /// Decisions the index in use learnt from; `None` before it is first built. Kept here, not
    /// read from the index, so that the status never waits on a build holding the index.
    learnt: Option<usize>,
}

/// What the registration check stands on, for the duplicates page and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckStatus {
    /// People's decisions on pairs the check's model learnt from.
    pub decisions_learnt: usize,
    /// A newer model, learning from decisions made since, is being built.
    pub relearning: bool,
}

/// A probe asks the whole registry for this many candidates, so that the most likely ones in
/// the reader's scope are among them even when people outside it are likelier.
const PROBE_CANDIDATES: usize = 50;

/// Likely duplicates shown per member.
const SHOWN_PER_MEMBER: usize = 5;

struct CachedIndex {
    /// The registry counter the index stands at: households changed after it (the change
    /// feed, `household_changes`) are brought up to date before a probe.
    version: i64,
    index: Index,
}

/// Households read at once when catching up with the change feed.
const CATCH_UP_BATCH: usize = 500;

/// From this probability a registered person is a likely duplicate: the check warns, and a
/// registration saved anyway queues the pair for review.
pub const LIKELY: f64 = 0.5;

/// From this probability a registered person is shown as a possible duplicate, to be looked
/// at before saving but not queued. At a million people a verbatim copy of someone with common
/// names and only a birth year stands just under 0.5 (the probe bench: from 0.3 all 500 are
/// shown, and 3 % of people never registered are shown someone, against 2 % from 0.5).
pub const POSSIBLE: f64 = 0.3;

/// A registered person who may be one of the household's members.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LikelyDuplicate {
    /// Position of the member in the submitted household (0 first).
    pub member: usize,
    pub probability: f64,
    /// Likely (from 0.5: queued for review when saved anyway) rather than only possible.
    pub likely: bool,
    pub person: PersonSummary,
}

/// Enough of a person to tell two registrations apart, within the reader's rights.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct PersonSummary {
    pub id: String,
    pub household_id: String,
    pub household_external_id: String,
    pub organisation: String,
    pub given_name: String,
    pub family_name: String,
    pub father_name: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    /// P-code where the person is now (or was registered).
    pub location: Option<String>,
    pub registration_date: String,
    /// The person this record was merged into, if it was.
    pub duplicate_of: Option<String>,
    /// Document numbers, for the roles that see them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
}

/// A member of a household, as a reviewer needs it to tell two households apart.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MemberBrief {
    pub given_name: String,
    pub family_name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub relationship: Option<String>,
}

impl std::fmt::Debug for MemberBrief {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberBrief").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PersonSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonSummary").field("id", &self.id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicatePair {
    pub id: String,
    pub probability: f64,
    /// pending, accepted or rejected.
    pub status: String,
    pub found_by: String,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    /// The earlier registration: kept as the person when the pair is accepted.
    pub a: PersonSummary,
    /// The later registration: marked as a duplicate of `a` when accepted.
    pub b: PersonSummary,
    /// Everyone in `a`'s household, and in `b`'s: a household seen whole tells a namesake
    /// from a repeat.
    pub a_household: Vec<MemberBrief>,
    pub b_household: Vec<MemberBrief>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub people: usize,
    pub candidate_pairs: u64,
    /// Sure pairs merged at once (each can be undone).
    pub merged: usize,
    /// Uncertain pairs queued for review.
    pub queued: usize,
    /// Pairs found again that a person had already decided: left as decided.
    pub already_decided: usize,
    /// Decisions people made on earlier pairs that refined the model.
    pub decisions_used: usize,
    /// What the model could not learn (English in the API; pages in their language).
    #[schema(value_type = Vec<String>)]
    pub warnings: Vec<Message>,
}

/// A linkage warning as a message of the catalogue.
fn warning_message(warning: &linkage::model::Warning) -> Message {
    use linkage::model::Warning;
    match warning {
        Warning::NoCandidates => Message::ModelNoCandidates,
        Warning::TooFewInTraining { matches, pairs, .. } => {
            Message::ModelTooFewInTraining { matches: *matches, pairs: *pairs }
        }
        Warning::DefaultModel => Message::ModelDefault,
        Warning::TooFewDuplicates { pairs } => Message::ModelTooFewDuplicates { pairs: *pairs },
        Warning::FieldBarelyCounts { field } => Message::ModelFieldBarelyCounts { field: field.to_string() },
    }
}

/// What a reviewer decides about a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The same person: the later record becomes a duplicate of the earlier.
    Accept,
    /// Two people.
    Reject,
    /// Back to pending; an accepted merge is undone.
    Undo,
}

const SUMMARY_COLUMNS: &str = "p.id, p.household_id, h.external_id, o.code, p.given_name, p.family_name, p.father_name, \
     p.sex, p.birth_date, p.birth_date_precision, COALESCE(p.current_location, h.current_location, h.registration_point), \
     h.registration_date, p.duplicate_of, p.phone, p.created_at, p.identifiers";
const SUMMARY_FROM: &str =
    "FROM people p JOIN households h ON h.id = p.household_id JOIN organisations o ON o.id = h.organisation_id";

/// Document numbers as the linkage engine reads them: `kind:number`.
fn linkage_identifiers(identifiers: &[Identifier]) -> Vec<String> {
    identifiers.iter().map(Identifier::as_text).collect()
}

/// A birth date as the linkage engine reads it: `~` marks a year from an estimated age.
fn linkage_birth(date: domain::FuzzyDate) -> String {
    match date.precision {
        domain::DatePrecision::Estimated => format!("~{}", date.display()),
        _ => date.display(),
    }
}

/// A stored birth date at its precision: `1988`, `1988-04` or `1988-04-12`.
fn birth_text(date: Option<String>, precision: Option<String>) -> Option<String> {
    let date = date?;
    Some(match precision.as_deref() {
        Some("year") | Some("estimated") => date[..4.min(date.len())].to_string(),
        Some("month") => date[..7.min(date.len())].to_string(),
        _ => date,
    })
}

/// A person's summary as `actor` may read it.
fn summary_for(actor: &Actor, r: &Row) -> Result<PersonSummary, StoreError> {
    let mut person = summary(r);
    if actor.role.sees_identifiers() {
        person.identifiers = serde_json::from_str(&r.text_of("identifiers")?)
            .map_err(|_| StoreError::Database("a person's identifiers do not read as JSON".into()))?;
    }
    Ok(person)
}

/// The members of a household, in the order they were registered.
fn household_members(tx: &mut Tx<'_>, household_id: &str) -> Result<Vec<MemberBrief>, StoreError> {
    let rows = tx.query(
        "SELECT given_name, family_name, sex, birth_date, birth_date_precision, relationship FROM people WHERE household_id = $1 AND removed_at IS NULL ORDER BY created_at, id",
        params![household_id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(MemberBrief {
                given_name: r.text_of("given_name")?,
                family_name: r.text_of("family_name")?,
                sex: r.opt_text_of("sex")?,
                birth_date: birth_text(r.opt_text_of("birth_date")?, r.opt_text_of("birth_date_precision")?),
                relationship: r.opt_text_of("relationship")?,
            })
        })
        .collect()
}

fn summary(r: &Row) -> PersonSummary {
    PersonSummary {
        id: r.text(0),
        household_id: r.text(1),
        household_external_id: r.text(2),
        organisation: r.text(3),
        given_name: r.text(4),
        family_name: r.text(5),
        father_name: r.opt_text(6),
        sex: r.opt_text(7),
        birth_date: birth_text(r.opt_text(8), r.opt_text(9)),
        location: r.opt_text(10),
        registration_date: r.text(11),
        duplicate_of: r.opt_text(12),
        identifiers: Vec::new(),
    }
}

impl Store {
    /// The linkage engine's view of a person: names, sex, birth (`~` before a year from an
    /// estimated age), phone, document numbers and places.
    fn linkage_input(&self, r: &Row) -> Result<Input, StoreError> {
        let summary = summary(r);
        let level = |n: i64| {
            summary
                .location
                .as_deref()
                .and_then(|p| self.gazetteer.ancestor_at(p, n))
                .map(|l| l.pcode.clone())
                .unwrap_or_default()
        };
        let estimated = r.opt_text_of("birth_date_precision")?.as_deref() == Some("estimated");
        let birth = summary.birth_date.clone().unwrap_or_default();
        let identifiers: Vec<Identifier> = serde_json::from_str(&r.text_of("identifiers")?)
            .map_err(|_| StoreError::Database("a person's identifiers do not read as JSON".into()))?;
        Ok(Input {
            id: r.text_of("id")?,
            given_name: summary.given_name.clone(),
            family_name: summary.family_name.clone(),
            father_name: summary.father_name.clone().unwrap_or_default(),
            sex: summary.sex.clone().unwrap_or_default(),
            birth_date: if estimated { format!("~{birth}") } else { birth },
            phone: r.opt_text_of("phone")?.unwrap_or_default(),
            identifiers: linkage_identifiers(&identifiers),
            admin1: level(1),
            admin2: level(2),
            admin3: level(3),
            household: summary.household_id.clone(),
        })
    }

    /// People in the actor's scope not merged into another, in the order they were registered;
    /// only those of `households` when given.
    fn people_for_linkage(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        households: Option<&[String]>,
    ) -> Result<Vec<Input>, StoreError> {
        let mut sql = Sql::new(
            &format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE p.duplicate_of IS NULL AND p.removed_at IS NULL"),
            params![],
        );
        if let Some(households) = households {
            let marks = vec!["?"; households.len()].join(", ");
            let ids: Vec<crate::db::Value> = households.iter().map(|h| h.as_str().into()).collect();
            sql = sql.push(&format!(" AND p.household_id IN ({marks})"), &ids);
        }
        let rows = tx.select(
            &sql.and(&Visibility::of(actor).households("h", Access::Change))
                .push(" ORDER BY p.created_at, p.id", params![]),
        )?;
        rows.iter().map(|r| self.linkage_input(r)).collect()
    }

    /// The pairs people decided (not the engine's own sure merges), most recent first, with
    /// both records as the engine reads them: they refine the model (clerical review).
    fn decided_pairs(&self, tx: &mut Tx<'_>) -> Result<Vec<(Input, Input, bool)>, StoreError> {
        let decided = tx.query(
            "SELECT person_a, person_b, status FROM duplicate_pairs \
             WHERE status IN ('accepted', 'rejected') AND decided_by IS NOT NULL AND decided_by <> 'linkage' \
             ORDER BY decided_at DESC LIMIT 5000",
            params![],
        )?;
        let mut out = Vec::with_capacity(decided.len());
        for pair in &decided {
            let mut input = |column: &str| -> Result<Option<Input>, StoreError> {
                let id = pair.text_of(column)?;
                let sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE p.id = $1");
                tx.query_opt(&sql, params![id])?.map(|r| self.linkage_input(&r)).transpose()
            };
            if let (Some(a), Some(b)) = (input("person_a")?, input("person_b")?) {
                out.push((a, b, pair.text_of("status")? == "accepted"));
            }
        }
        Ok(out)
    }

    /// The registered people (in the actor's scope) likely to be members of `household`, most
    /// likely first: shown to a registrar before saving.
    pub fn check_duplicates(
        &self,
        actor: &Actor,
        household: &NewHousehold,
    ) -> Result<Vec<LikelyDuplicate>, StoreError> {
        let found = self.probe_duplicates(household)?;
        let now = self.now_ms();
        let likely = self.db.read(|tx| likely_in_sight(tx, actor, found))?;
        self.audit_read(actor, now, "check_duplicates", "person", "", check_detail(household, &likely))?;
        Ok(likely)
    }

    /// Probes the in-memory index of the whole registry with each member of `household` (no
    /// transaction: the index is brought up to date with people added since it was built).
    pub(crate) fn probe_duplicates(
        &self,
        household: &NewHousehold,
    ) -> Result<Vec<(usize, linkage::index::Likely)>, StoreError> {
        let place = household.current_location.as_deref().unwrap_or(&household.registration_point);
        let level = |n: i64| self.gazetteer.ancestor_at(place, n).map(|l| l.pcode.clone()).unwrap_or_default();
        let probes: Vec<Input> = household
            .members
            .iter()
            .map(|person| Input {
                id: String::new(),
                given_name: person.given_name.clone(),
                family_name: person.family_name.clone(),
                father_name: person.father_name.clone().unwrap_or_default(),
                sex: person.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
                birth_date: person.birth_date.map(linkage_birth).unwrap_or_default(),
                phone: person.phone.clone().unwrap_or_default(),
                identifiers: linkage_identifiers(&person.identifiers),
                admin1: level(1),
                admin2: level(2),
                admin3: level(3),
                household: String::new(),
            })
            .collect();
        // The members are probed together: a household registered again brings its people back.
        self.with_current_index(|index| {
            index
                .probe_household(&probes, POSSIBLE, PROBE_CANDIDATES)
                .into_iter()
                .enumerate()
                .flat_map(|(member, likely)| likely.into_iter().map(move |l| (member, l)))
                .collect()
        })
    }

    /// Runs `f` on the in-memory index of the whole registry, brought up to date with the
    /// people changed since it was built (no transaction held meanwhile).
    fn with_current_index<T>(&self, f: impl FnOnce(&mut Index) -> T) -> Result<T, StoreError> {
        let everyone = Actor::system();
        let mut cache = self.linkage.inner.lock().map_err(|_| StoreError::Database("linkage cache poisoned".into()))?;
        if cache.is_none() {
            let built = self.build_index()?;
            self.note_learnt(built.index.decisions_used);
            *cache = Some(built);
        }
        let Some(cached) = cache.as_mut() else { return Err(StoreError::Database("linkage index missing".into())) };
        // Households changed since (registered, corrected, moved, merged) are brought up to date
        // without a rebuild.
        let (changed, version) = self.db.read(|tx| crate::versions::households_changed_since(tx, cached.version))?;
        for batch in changed.chunks(CATCH_UP_BATCH) {
            let people = self.db.read(|tx| self.people_for_linkage(tx, &everyone, Some(batch)))?;
            let mut by_household: HashMap<&str, Vec<Input>> = HashMap::new();
            for person in &people {
                by_household.entry(person.household.as_str()).or_default().push(person.clone());
            }
            for household in batch {
                cached
                    .index
                    .replace_household(household, by_household.get(household.as_str()).map_or(&[], Vec::as_slice));
            }
        }
        cached.version = version;
        let out = f(&mut cached.index);
        // Replaced records stay in memory and in the blocks until a rebuild: one is started
        // when they outnumber a tenth of the standing ones (and a hundred).
        let worn = cached.index.replaced() > (cached.index.len() / 10).max(100);
        drop(cache);
        if worn {
            self.relearn_in_background();
        }
        Ok(out)
    }

    /// Checks the households received by sync since the last check, as a registration is
    /// checked, and queues their likely duplicates for review: two offices registering one
    /// family meet in the duplicates queue, not in a sync conflict. Returns the pairs queued.
    /// Cheap when nothing arrived; callers serialise on a lock, so a household is checked once.
    pub fn check_arrivals(&self) -> Result<usize, StoreError> {
        let one_at_a_time =
            self.linkage.arrivals.lock().map_err(|_| StoreError::Database("linkage arrivals poisoned".into()))?;
        self.check_arrivals_holding(one_at_a_time)
    }

    /// As [`Store::check_arrivals`], unless a check is running (it takes what arrived since
    /// before it ends, and the queue checks what is left when read): the server's batches do
    /// not pile up threads waiting on each other.
    pub fn check_arrivals_unless_running(&self) -> Result<usize, StoreError> {
        match self.linkage.arrivals.try_lock() {
            Ok(one_at_a_time) => self.check_arrivals_holding(one_at_a_time),
            Err(std::sync::TryLockError::WouldBlock) => Ok(0),
            Err(std::sync::TryLockError::Poisoned(_)) => Err(StoreError::Database("linkage arrivals poisoned".into())),
        }
    }

    fn check_arrivals_holding(&self, _one_at_a_time: std::sync::MutexGuard<'_, ()>) -> Result<usize, StoreError> {
        let everyone = Actor::system();
        let finder = Actor { username: ARRIVALS_FINDER.into(), ..everyone.clone() };
        let mut queued = 0;
        loop {
            let (households, people) = self.db.read(|tx| {
                let households: Vec<String> = tx
                    .query(
                        "SELECT household_id FROM linkage_arrivals ORDER BY household_id LIMIT $1",
                        params![CATCH_UP_BATCH as i64],
                    )?
                    .iter()
                    .map(|r| r.text(0))
                    .collect();
                let people = if households.is_empty() {
                    Vec::new()
                } else {
                    self.people_for_linkage(tx, &everyone, Some(&households))?
                };
                Ok((households, people))
            })?;
            if households.is_empty() {
                return Ok(queued);
            }
            let mut by_household: BTreeMap<&str, Vec<Input>> = BTreeMap::new();
            for person in &people {
                by_household.entry(person.household.as_str()).or_default().push(person.clone());
            }
            let pairs: Vec<(String, String, f64)> = self.with_current_index(|index| {
                let mut pairs = Vec::new();
                for members in by_household.values() {
                    // The members are probed together, as at registration; a household does
                    // not find its own people.
                    let ours: HashSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
                    for (member, likely) in
                        index.probe_household(members, LIKELY, PROBE_CANDIDATES).into_iter().enumerate()
                    {
                        for l in likely.into_iter().filter(|l| !ours.contains(l.id.as_str())) {
                            pairs.push((l.id, members[member].id.clone(), l.probability));
                        }
                    }
                }
                pairs
            })?;
            let now = self.now_ms();
            queued += self.db.write(|tx| {
                let mut queued = 0;
                for (found, arrived, probability) in &pairs {
                    // The earlier registration first, whichever office found the pair: two
                    // offices accepting it then mark the same record the duplicate.
                    let (earlier, later) = registration_order(tx, found, arrived)?;
                    queued += usize::from(queue_pair(tx, &finder, earlier, later, *probability, now)?);
                }
                let marks = (1..=households.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
                let ids: Vec<crate::db::Value> = households.iter().map(|h| h.as_str().into()).collect();
                tx.execute(&format!("DELETE FROM linkage_arrivals WHERE household_id IN ({marks})"), &ids)?;
                Ok(queued)
            })?;
        }
    }

    /// The whole registry indexed for the check, with the model learnt from it and from
    /// people's decisions, standing at the registry counter read with it.
    fn build_index(&self) -> Result<CachedIndex, StoreError> {
        let (inputs, version, decisions) = self.db.read(|tx| {
            let version = crate::versions::current(tx, crate::versions::Capability::Registry)?;
            Ok((self.people_for_linkage(tx, &Actor::system(), None)?, version, self.decided_pairs(tx)?))
        })?;
        let index = Index::build(inputs, &linkage::Config { decisions, ..Default::default() });
        Ok(CachedIndex { version, index })
    }

    /// After a person decided a pair, or once many records were replaced: the check relearns
    /// in the background, on a new index that replaces the one in use when it is ready and
    /// then catches up with the change feed like any other. Checks meanwhile use the index
    /// they have; decisions made during a rebuild start one more. An index not built yet will
    /// learn from every decision anyway.
    fn relearn_in_background(&self) {
        {
            let Ok(mut relearning) = self.linkage.relearning.lock() else { return };
            if relearning.learnt.is_none() {
                return;
            }
            if relearning.running {
                relearning.again = true;
                return;
            }
            relearning.running = true;
        }
        let store = self.clone();
        // A whole registry's build: a roomier stack than a thread's default 2 MiB.
        let relearn = move || loop {
            match store.build_index() {
                Ok(fresh) => {
                    let learnt = fresh.index.decisions_used;
                    if let Ok(mut cache) = store.linkage.inner.lock() {
                        *cache = Some(fresh);
                    }
                    store.note_learnt(learnt);
                }
                Err(error) => tracing::warn!(%error, "the duplicate check could not relearn; it keeps its model"),
            }
            let Ok(mut relearning) = store.linkage.relearning.lock() else { return };
            if std::mem::take(&mut relearning.again) {
                continue;
            }
            relearning.running = false;
            return;
        };
        let spawned = std::thread::Builder::new().name("linkage-relearn".into()).stack_size(16 << 20).spawn(relearn);
        if let Err(error) = spawned {
            tracing::warn!(%error, "the duplicate check could not start relearning");
            if let Ok(mut relearning) = self.linkage.relearning.lock() {
                relearning.running = false;
            }
        }
    }

    /// What the check stands on; `None` before its first use (it is built then).
    pub fn duplicate_check_status(&self) -> Option<CheckStatus> {
        let relearning = self.linkage.relearning.lock().ok()?;
        Some(CheckStatus { decisions_learnt: relearning.learnt?, relearning: relearning.running })
    }

    fn note_learnt(&self, decisions: usize) {
        if let Ok(mut relearning) = self.linkage.relearning.lock() {
            relearning.learnt = Some(decisions);
        }
    }

    /// Runs duplicate detection over the registry (in the actor's scope): sure pairs are merged
    /// at once, uncertain ones queued; pairs already decided by a person are left as decided.
    pub fn run_duplicate_detection(&self, actor: &Actor) -> Result<RunReport, StoreError> {
        actor.require_write()?;
        let (inputs, decisions) = self.db.read(|tx| {
            let inputs = self.people_for_linkage(tx, actor, None)?;
            Ok((inputs, self.decided_pairs(tx)?))
        })?;
        let people = inputs.len();
        // A registry is kept clean: a pair is one person about as often as registrations
        // repeat someone, the same prior as the check before saving.
        let prior = linkage::index::REPEAT_REGISTRATIONS / people.max(1) as f64;
        let config = linkage::Config { decisions, prior: Some(prior), ..Default::default() };
        let outcome = linkage::dedup(inputs, &config);
        let ids = &outcome.prepared.ids;
        // Sure pairs: every member of a cluster with its earliest registration (ids are
        // time-ordered UUIDv7), which keeps the person.
        let mut clusters: std::collections::HashMap<u32, Vec<usize>> = std::collections::HashMap::new();
        for (i, c) in outcome.cluster_of.iter().enumerate() {
            clusters.entry(*c).or_default().push(i);
        }
        // A merge takes a person out of the counts, and a wrong one out of assistance: the run
        // merges on its own only a pair whose document or phone number agrees; every other
        // linked pair goes to a person, with its probability.
        let records = &outcome.prepared.records;
        let weights = &outcome.weights;
        // A linked pair's probability as scored, its households weighed; a pair linked only
        // through others is scored on its own fields.
        let scored: HashMap<(u32, u32), f64> =
            outcome.scored.iter().map(|s| ((s.a.min(s.b), s.a.max(s.b)), s.probability)).collect();
        let confirmed = |a: usize, b: usize| {
            let (x, y) = (&records[a], &records[b]);
            let number = x.documents.iter().any(|d| d.1 != 0 && y.documents.iter().any(|e| e.1 == d.1));
            number || (x.phone != 0 && x.phone == y.phone)
        };
        let mut sure: Vec<(String, String)> = Vec::new();
        let mut uncertain: Vec<(String, String, f64)> = Vec::new();
        for members in clusters.values().filter(|m| m.len() > 1) {
            let Some(keep) = members.iter().min_by(|a, b| ids[**a].cmp(&ids[**b])).copied() else { continue };
            for &m in members.iter().filter(|m| **m != keep) {
                if confirmed(keep, m) {
                    sure.push((ids[keep].clone(), ids[m].clone()));
                } else {
                    let (a, b) = (keep.min(m) as u32, keep.max(m) as u32);
                    let probability = scored.get(&(a, b)).copied().unwrap_or_else(|| {
                        let pattern = linkage::compare::compare(&outcome.prepared, &records[keep], &records[m]);
                        linkage::model::probability(weights.score(&records[keep], pattern))
                    });
                    uncertain.push((ids[keep].clone(), ids[m].clone(), probability));
                }
            }
        }
        uncertain.extend(
            outcome.review.iter().map(|s| (ids[s.a as usize].clone(), ids[s.b as usize].clone(), s.probability)),
        );
        // A record merged now is its kept record for the pairs left to review: each question
        // is asked once, between records that stand, earlier record first.
        let merged_into: HashMap<&str, &str> = sure.iter().map(|(keep, gone)| (gone.as_str(), keep.as_str())).collect();
        let standing = |id: &str| merged_into.get(id).copied().unwrap_or(id).to_string();
        let mut asked: HashMap<(String, String), f64> = HashMap::new();
        for (a, b, probability) in uncertain {
            let (a, b) = (standing(&a), standing(&b));
            if a == b {
                continue;
            }
            let key = if a < b { (a, b) } else { (b, a) };
            let best = asked.entry(key).or_insert(probability);
            *best = best.max(probability);
        }
        let mut uncertain: Vec<(String, String, f64)> = asked.into_iter().map(|((a, b), p)| (a, b, p)).collect();
        uncertain.sort_by(|x, y| y.2.total_cmp(&x.2));
        let now = self.now_ms();
        let mut report = RunReport {
            people,
            candidate_pairs: outcome.report.candidate_pairs,
            merged: 0,
            queued: 0,
            already_decided: 0,
            decisions_used: outcome.report.decisions_used,
            warnings: outcome.report.model_warnings.iter().map(warning_message).collect(),
        };
        self.db.write(|tx| {
            let mut merged_households = Vec::new();
            // In either order: a pair's identifier is made from its two people.
            let existing = |tx: &mut Tx<'_>, a: &str, b: &str| {
                tx.query_opt(
                    "SELECT status FROM duplicate_pairs WHERE (person_a = $1 AND person_b = $2) OR (person_a = $2 AND person_b = $1)",
                    params![a, b],
                )
            };
            for (a, b) in &sure {
                if existing(tx, a, b)?.is_some() {
                    report.already_decided += 1;
                    continue;
                }
                tx.execute(
                    "INSERT INTO duplicate_pairs (id, person_a, person_b, probability, status, found_at, found_by, decided_at, decided_by, reason) \
                     VALUES ($1, $2, $3, $4, 'accepted', $5, 'linkage', $5, 'linkage', 'sure match')",
                    params![pair_id(a, b), a.as_str(), b.as_str(), 1.0f64, now],
                )?;
                tx.execute("UPDATE people SET duplicate_of = $1 WHERE id = $2 AND duplicate_of IS NULL", params![a.as_str(), b.as_str()])?;
                merged_households.extend(household_of_person(tx, b)?);
                report.merged += 1;
            }
            for (a, b, probability) in &uncertain {
                if existing(tx, a, b)?.is_some() {
                    report.already_decided += 1;
                    continue;
                }
                tx.execute(
                    "INSERT INTO duplicate_pairs (id, person_a, person_b, probability, status, found_at, found_by) \
                     VALUES ($1, $2, $3, $4, 'pending', $5, 'linkage')",
                    params![pair_id(a, b), a.as_str(), b.as_str(), *probability, now],
                )?;
                report.queued += 1;
            }
            crate::versions::households_changed(tx, &merged_households.iter().map(String::as_str).collect::<Vec<_>>())?;
            audit::record(
                tx,
                actor,
                now,
                "duplicates.run",
                "registry",
                "",
                serde_json::json!({"people": people, "merged": report.merged, "queued": report.queued}),
            )
        })?;
        Ok(report)
    }

    /// Pairs in the review queue (both people in the actor's scope), strongest first.
    pub fn duplicate_pairs(
        &self,
        actor: &Actor,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DuplicatePair>, StoreError> {
        let status = status.unwrap_or("pending");
        if !["pending", "accepted", "rejected"].contains(&status) {
            return Err(StoreError::invalid(
                "status",
                status,
                Message::OneOf { codes: "pending, accepted, rejected".into() },
            ));
        }
        // The queue holds the households received by sync: those not checked yet are now.
        self.check_arrivals()?;
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let rows = tx.query(
                "SELECT id, person_a, person_b, probability, status, found_by, decided_by, reason FROM duplicate_pairs \
                 WHERE status = $1 ORDER BY probability DESC, id LIMIT $2",
                params![status, limit.clamp(1, 500) * 4],
            )?;
            let mut out = Vec::new();
            for r in rows {
                if let Some(pair) = self.pair_view(tx, actor, &r)? {
                    out.push(pair);
                }
                if out.len() as i64 >= limit.clamp(1, 500) {
                    break;
                }
            }
            Ok(out)
        })?;
        self.audit_read(actor, now, "list", "duplicate_pair", "", serde_json::json!({"status": status}))?;
        Ok(read)
    }

    /// One pair, if both people are in the actor's scope.
    fn pair_view(&self, tx: &mut Tx<'_>, actor: &Actor, r: &Row) -> Result<Option<DuplicatePair>, StoreError> {
        let mut person = |id: String| -> Result<Option<PersonSummary>, StoreError> {
            visible_summary(tx, actor, &id)?.map(|row| summary_for(actor, &row)).transpose()
        };
        let (Some(a), Some(b)) = (person(r.text(1))?, person(r.text(2))?) else { return Ok(None) };
        let (a_household, b_household) =
            (household_members(tx, &a.household_id)?, household_members(tx, &b.household_id)?);
        Ok(Some(DuplicatePair {
            id: r.text(0),
            probability: r.real(3),
            status: r.text(4),
            found_by: r.text(5),
            decided_by: r.opt_text(6),
            reason: r.opt_text(7),
            a,
            b,
            a_household,
            b_household,
        }))
    }

    /// Records a reviewer's decision. Accepting marks the later record a duplicate of the
    /// earlier; undoing an accepted pair restores it. A pair outside the actor's scope is 404.
    pub fn decide_duplicate(
        &self,
        actor: &Actor,
        id: &str,
        decision: Decision,
        reason: &str,
    ) -> Result<DuplicatePair, StoreError> {
        let decided = self.record_decision(actor, id, decision, reason)?;
        self.relearn_in_background();
        Ok(decided)
    }

    fn record_decision(
        &self,
        actor: &Actor,
        id: &str,
        decision: Decision,
        reason: &str,
    ) -> Result<DuplicatePair, StoreError> {
        actor.require_write()?;
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(StoreError::invalid("reason", domain::error::WITHHELD, Message::TextAtMost { max: 500 }));
        }
        // A merge takes a person out of the counts: who accepts it says on what grounds.
        if decision == Decision::Accept && reason.is_empty() {
            return Err(StoreError::invalid("reason", "", Message::MergeReason));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            let row = tx
                .query_opt(
                    "SELECT id, person_a, person_b, probability, status, found_by, decided_by, reason FROM duplicate_pairs WHERE id = $1",
                    params![id],
                )?
                .ok_or(StoreError::NotFound("duplicate pair"))?;
            let pair = self.pair_view(tx, actor, &row)?.ok_or(StoreError::NotFound("duplicate pair"))?;
            let (status, marked) = match decision {
                Decision::Accept => ("accepted", Some(pair.a.id.as_str())),
                Decision::Reject => ("rejected", None),
                Decision::Undo => ("pending", None),
            };
            if decision == Decision::Accept && pair.a.duplicate_of.as_deref() == Some(pair.b.id.as_str()) {
                return Err(StoreError::Conflict(Message::AlreadyMerged));
            }
            let (decided_at, decided_by) =
                if decision == Decision::Undo { (None, None) } else { (Some(now), Some(actor.username.as_str())) };
            tx.execute(
                "UPDATE duplicate_pairs SET status = $1, decided_at = $2, decided_by = $3, reason = $4 WHERE id = $5",
                params![status, decided_at, decided_by, Some(reason).filter(|r| !r.is_empty()), id],
            )?;
            match marked {
                Some(keep) => tx.execute("UPDATE people SET duplicate_of = $1 WHERE id = $2", params![keep, pair.b.id.as_str()])?,
                // Reject or undo: the later record stands on its own again, if this pair merged it.
                None => tx.execute(
                    "UPDATE people SET duplicate_of = NULL WHERE id = $1 AND duplicate_of = $2",
                    params![pair.b.id.as_str(), pair.a.id.as_str()],
                )?,
            };
            let household = household_of_person(tx, &pair.b.id)?;
            crate::versions::households_changed(tx, &household.iter().map(String::as_str).collect::<Vec<_>>())?;
            let action = match decision {
                Decision::Accept => "duplicates.accept",
                Decision::Reject => "duplicates.reject",
                Decision::Undo => "duplicates.undo",
            };
            audit::record(tx, actor, now, action, "duplicate_pair", id, serde_json::json!({"a": pair.a.id, "b": pair.b.id}))?;
            let row = tx
                .query_opt(
                    "SELECT id, person_a, person_b, probability, status, found_by, decided_by, reason FROM duplicate_pairs WHERE id = $1",
                    params![id],
                )?
                .ok_or(StoreError::NotFound("duplicate pair"))?;
            self.pair_view(tx, actor, &row)?.ok_or(StoreError::NotFound("duplicate pair"))
        })
    }

    /// Queues a pair a registrar saw at registration and saved anyway (a person may still
    /// decide later that they are one).
    pub fn queue_duplicate(
        &self,
        actor: &Actor,
        earlier: &str,
        later: &str,
        probability: f64,
    ) -> Result<(), StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        self.db.write(|tx| queue_pair(tx, actor, earlier, later, probability, now).map(|_| ()))
    }
}

/// Of the probe's finds, those the actor may change (the scope of duplicates work).
pub(crate) fn likely_in_sight(
    tx: &mut Tx<'_>,
    actor: &Actor,
    found: Vec<(usize, linkage::index::Likely)>,
) -> Result<Vec<LikelyDuplicate>, StoreError> {
    let mut out: Vec<LikelyDuplicate> = Vec::new();
    for (member, likely) in found {
        if out.iter().filter(|l| l.member == member).count() >= SHOWN_PER_MEMBER {
            continue;
        }
        // Outside the actor's scope: not shown, not counted.
        if let Some(row) = visible_summary(tx, actor, &likely.id)? {
            out.push(LikelyDuplicate {
                member,
                probability: likely.probability,
                likely: likely.probability >= LIKELY,
                person: summary_for(actor, &row)?,
            });
        }
    }
    Ok(out)
}

/// A check is a fuzzy search by name: audited with the ids it returned, found or not.
pub(crate) fn check_detail(household: &NewHousehold, likely: &[LikelyDuplicate]) -> serde_json::Value {
    let returned: Vec<&str> = likely.iter().map(|d| d.person.id.as_str()).collect();
    serde_json::json!({"members": household.members.len(), "returned": returned})
}

/// Puts a pair in the review queue unless it is there already.
/// The later record of a pair marked a duplicate of the earlier when the pair's status is
/// accepted, and standing on its own again (if this pair merged it) otherwise: after a sync
/// conflict on the decision is settled.
pub(crate) fn follow_decision(tx: &mut Tx<'_>, pair: &str) -> Result<(), StoreError> {
    let Some(row) =
        tx.query_opt("SELECT person_a, person_b, status FROM duplicate_pairs WHERE id = $1", params![pair])?
    else {
        return Ok(());
    };
    let (a, b, status) = (row.text(0), row.text(1), row.text(2));
    if status == "accepted" {
        tx.execute("UPDATE people SET duplicate_of = $1 WHERE id = $2", params![a.as_str(), b.as_str()])?;
    } else {
        tx.execute(
            "UPDATE people SET duplicate_of = NULL WHERE id = $1 AND duplicate_of = $2",
            params![b.as_str(), a.as_str()],
        )?;
    }
    let household = household_of_person(tx, &b)?;
    crate::versions::households_changed(tx, &household.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A pair's identifier, made from its two people (in either order): two offices that find
/// the same pair each on their own give it the same identifier, so that their decisions meet
/// in one record when they sync (agreeing, or a conflict on its status) instead of colliding.
pub(crate) fn pair_id(one: &str, other: &str) -> String {
    use sha2::Digest;
    let (a, b) = if one <= other { (one, other) } else { (other, one) };
    let digest = sha2::Sha256::digest(format!("djoliba duplicate pair\0{a}\0{b}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // A version-8 (custom) UUID: like the registry's other identifiers in form.
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// Two people in the order they were registered (then by identifier): the same everywhere,
/// since a record's creation time travels with it.
fn registration_order<'p>(tx: &mut Tx<'_>, one: &'p str, other: &'p str) -> Result<(&'p str, &'p str), StoreError> {
    let created = |tx: &mut Tx<'_>, id: &str| {
        tx.query_opt("SELECT created_at FROM people WHERE id = $1", params![id]).map(|r| r.map(|r| r.int(0)))
    };
    let (a, b) = (created(tx, one)?, created(tx, other)?);
    Ok(if (a, one) <= (b, other) { (one, other) } else { (other, one) })
}

/// Households created by a sync batch, queued for [`Store::check_arrivals`] in its transaction.
pub(crate) fn queue_arrivals(tx: &mut Tx<'_>, households: &[String]) -> Result<(), StoreError> {
    for chunk in households.chunks(CATCH_UP_BATCH) {
        let marks = (1..=chunk.len()).map(|n| format!("(${n})")).collect::<Vec<_>>().join(", ");
        let ids: Vec<crate::db::Value> = chunk.iter().map(|h| h.as_str().into()).collect();
        tx.execute(
            &format!("INSERT INTO linkage_arrivals (household_id) VALUES {marks} ON CONFLICT DO NOTHING"),
            &ids,
        )?;
    }
    Ok(())
}

/// Queues a pair for review unless it is queued or decided already (in either order); says
/// whether it was.
pub(crate) fn queue_pair(
    tx: &mut Tx<'_>,
    actor: &Actor,
    earlier: &str,
    later: &str,
    probability: f64,
    now: i64,
) -> Result<bool, StoreError> {
    let queued = tx.query_opt(
        "SELECT id FROM duplicate_pairs WHERE (person_a = $1 AND person_b = $2) OR (person_a = $2 AND person_b = $1)",
        params![earlier, later],
    )?;
    if queued.is_none() {
        tx.execute(
            "INSERT INTO duplicate_pairs (id, person_a, person_b, probability, status, found_at, found_by) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
            params![pair_id(earlier, later), earlier, later, probability, now, actor.username.as_str()],
        )?;
    }
    Ok(queued.is_none())
}

/// One person's summary row, if the actor may change their record (the scope of duplicates work).
fn visible_summary(tx: &mut Tx<'_>, actor: &Actor, id: &str) -> Result<Option<Row>, StoreError> {
    tx.select_opt(
        &Sql::new(&format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} WHERE p.id = ?"), params![id])
            .and(&Visibility::of(actor).households("h", Access::Change)),
    )
}
