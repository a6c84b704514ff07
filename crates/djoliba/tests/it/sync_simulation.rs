//! The sync simulation harness: seeded scenarios of an office and one to three field laptops
//! that register and edit offline and exchange over a link that fails. Batches are cut
//! mid-way and between apply and acknowledgement, sent three times, kept and replayed later,
//! carried as bundle files out of order; clocks are skewed by up to ±72 h; a laptop is restored
//! from an old backup. After the nodes have exchanged everything, every scenario checks:
//! - no edit lost: each person's field holds exactly the values that no later edit replaced
//!   (an edit replaces what its node showed it, or every value of a disputed field), minus only
//!   what lived on a restored laptop's disk and never left it;
//! - every same-field clash kept as a conflict with all its values, and none for edits that
//!   saw each other or touched different fields;
//! - nothing waits, nothing is refused, every node holds the same registry and conflicts;
//! - after a cut, nothing but the batch in flight is sent again.
//!
//! `DJOLIBA_SYNC_SCENARIOS` sets how many (1,000 by default); `DJOLIBA_SYNC_SEED` runs one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use store::sync::NodeInfo;
use store::{Actor, Store, Target};

use crate::support::*;

/// Small batches, so that exchanges take several and cuts fall between them.
const BATCH: usize = 6 * 1024;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

/// A migrated SQLite database with NRC and a registrar, copied for every laptop.
struct Template {
    _dir: tempfile::TempDir,
    file: PathBuf,
    clerk: Actor,
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let t = sqlite();
        let clerk = registrar(&t.store);
        let file = dir.path().join("template.sqlite");
        t.store.db.sqlite_backup(&file).unwrap();
        Template { _dir: dir, file, clerk }
    })
}

struct Node {
    dir: tempfile::TempDir,
    target: Target,
    store: Store,
    info: NodeInfo,
    skew_hours: i64,
    /// A copy of the laptop's database, and how many edits had been made when it was taken.
    backup: Option<(PathBuf, usize, usize)>,
    /// The office's PostgreSQL database, dropped after its store (fields drop in order).
    _database: Option<TestStore>,
}

fn open_with_skew(target: &Target, skew_hours: i64) -> Store {
    Store::open_with_clock(target, Arc::new(move || now() + chrono::Duration::hours(skew_hours))).unwrap().0
}

fn sqlite_node(name: &str, skew_hours: i64) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::default_sqlite(dir.path());
    if let Target::Sqlite { path, .. } = &target {
        std::fs::copy(&template().file, path).unwrap();
    }
    let store = open_with_skew(&target, skew_hours);
    let info = store.sync_init(&Actor::system(), name).unwrap();
    Node { dir, target, store, info, skew_hours, backup: None, _database: None }
}

/// A person as registered: what rebuilds their record for an edit.
struct Person {
    id: String,
    external: String,
    given: &'static str,
    relationship: &'static str,
    birth: &'static str,
    lost: bool,
}

/// An edit: the value it wrote (unique) and the values it replaced at its node.
struct Edit {
    person: usize,
    field: &'static str,
    value: String,
    replaced: Vec<String>,
    node: usize,
    lost: bool,
}

struct Scenario {
    seed: u64,
    rng: Rng,
    nodes: Vec<Node>,
    people: Vec<Person>,
    edits: Vec<Edit>,
    /// Sealed batches kept to be delivered again later: (receiving node, bytes).
    kept: Vec<(usize, Vec<u8>)>,
    counter: usize,
    cuts: usize,
    /// Changes found already here in batches sent after a live vector (never deliberately
    /// repeated): what a cut made the sender send again.
    resent: usize,
    restored: bool,
}

const GIVEN: [&str; 6] = ["Aminata", "Fatoumata", "Oumar", "Moussa", "Zeinabou", "Hawa"];

impl Scenario {
    fn new(seed: u64) -> Scenario {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let fields = 1 + rng.below(3);
        let mut nodes = Vec::new();
        // One scenario in twenty has its office on PostgreSQL (when a server is configured).
        let on_postgres = seed.is_multiple_of(20);
        for i in 0..=fields {
            let skew = rng.below(145) as i64 - 72;
            let node = match (i, if on_postgres && i == 0 { postgres() } else { None }) {
                (0, Some(t)) => {
                    let store = open_with_skew(t.target(), skew);
                    let info = store.sync_init(&Actor::system(), "Bamako").unwrap();
                    let dir = tempfile::tempdir().unwrap();
                    Node {
                        dir,
                        target: t.target().clone(),
                        store,
                        info,
                        skew_hours: skew,
                        backup: None,
                        _database: Some(t),
                    }
                }
                (0, None) => sqlite_node("Bamako", skew),
                _ => sqlite_node("Field", skew),
            };
            nodes.push(node);
        }
        let office = &nodes[0].store;
        for field in &nodes[1..] {
            let enrolment = office.sync_enrol(&Actor::system(), &field.info, &[], &[]).unwrap();
            field
                .store
                .sync_connect(&Actor::system(), &enrolment.node, "http://office.invalid", &enrolment.token, None)
                .unwrap();
        }
        let mut scenario = Scenario {
            seed,
            rng,
            nodes,
            people: Vec::new(),
            edits: Vec::new(),
            kept: Vec::new(),
            counter: 0,
            cuts: 0,
            resent: 0,
            restored: false,
        };
        // A new office on PostgreSQL learns the organisation from its first laptop.
        if scenario.nodes[0].store.organisation("NRC").unwrap().is_none() {
            scenario.exchange_one_way(1, true, false);
        }
        scenario
    }

    fn clerk(&self) -> &'static Actor {
        &template().clerk
    }

    fn register(&mut self, node: usize) {
        self.counter += 1;
        let size = 1 + self.rng.below(2);
        let members: Vec<(String, &'static str, &'static str, &'static str)> = (0..size)
            .map(|i| {
                let given = GIVEN[self.rng.below(GIVEN.len())];
                if i == 0 {
                    ("P1".to_string(), given, "head", "1985")
                } else {
                    (format!("P{}", i + 1), given, "child", "2015-03-02")
                }
            })
            .collect();
        let mut input = household(&format!("S{}-{}", self.seed, self.counter));
        input.members = members.iter().map(|(e, g, r, b)| member(e, g, r, b)).collect();
        input.movements.truncate(1);
        let store = &self.nodes[node].store;
        let parsed = input.parse(store.gazetteer.as_ref(), store.today()).unwrap();
        let detail = store.register_household(self.clerk(), &parsed).unwrap();
        for (external, given, relationship, birth) in members {
            let id = detail
                .members
                .iter()
                .find(|m| m.person.external_id.as_deref() == Some(&external))
                .unwrap()
                .person
                .id
                .clone();
            self.people.push(Person { id, external, given, relationship, birth, lost: false });
        }
    }

    fn edit(&mut self, node: usize) {
        let known: Vec<usize> = (0..self.people.len())
            .filter(|p| !self.people[*p].lost)
            .filter(|p| self.nodes[node].store.person(self.clerk(), &self.people[*p].id).is_ok())
            .collect();
        if known.is_empty() {
            return;
        }
        let p = known[self.rng.below(known.len())];
        let field = if self.rng.percent(50) { "father_name" } else { "phone" };
        self.counter += 1;
        let value = if field == "phone" { format!("7{:07}", self.counter) } else { format!("Pere{}", self.counter) };
        let store = &self.nodes[node].store;
        let person = &self.people[p];
        let current = store.person(self.clerk(), &person.id).unwrap();
        let disputed: Vec<String> = store
            .sync_conflicts(self.clerk())
            .unwrap()
            .into_iter()
            .filter(|c| c.entity_id == person.id && c.field == field)
            .flat_map(|c| c.values.into_iter().filter_map(|v| v.value))
            .collect();
        let shown = if field == "phone" { current.phone.clone() } else { current.father_name.clone() };
        let replaced = if disputed.is_empty() { shown.into_iter().collect() } else { disputed };
        let mut input = member(&person.external, person.given, person.relationship, person.birth);
        input.phone = if field == "phone" { Some(value.clone()) } else { current.phone.clone() };
        input.father_name = if field == "father_name" { Some(value.clone()) } else { current.father_name.clone() };
        let parsed = input.parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.update_person(self.clerk(), &person.id, &parsed, "seen at distribution").unwrap();
        self.edits.push(Edit { person: p, field, value, replaced, node, lost: false });
    }

    /// One exchange between a laptop and the office, in one direction, as `sync push` and
    /// `sync pull` do (the sender learns what the receiver holds, then sends batches), with
    /// the link's failures; or a bundle file carried and perhaps kept for later.
    fn exchange(&mut self, field: usize, faults: bool) {
        let push = self.rng.percent(50);
        self.exchange_one_way(field, push, faults);
    }

    fn exchange_one_way(&mut self, field: usize, push: bool, faults: bool) {
        let (from, to) = if push { (field, 0) } else { (0, field) };
        if faults && self.rng.percent(10) {
            let to_id = self.nodes[to].info.node_id.clone();
            let sealed = self.nodes[from].store.sync_bundle_out(&Actor::system(), Some(&to_id)).unwrap();
            if self.rng.percent(50) {
                self.kept.push((to, sealed));
            } else {
                self.deliver(to, &sealed);
            }
            return;
        }
        loop {
            let theirs = self.nodes[to].store.sync_vector().unwrap();
            let to_id = self.nodes[to].info.node_id.clone();
            self.nodes[from].store.sync_contact(&to_id, &theirs).unwrap();
            let (sealed, count, more) = self.nodes[from].store.sync_sealed_for(&to_id, &theirs, BATCH).unwrap();
            if count == 0 {
                return;
            }
            if faults && self.rng.percent(5) {
                // Cut mid-batch: the receiver holds a damaged batch and applies nothing.
                let cut = 1 + self.rng.below(sealed.len() - 1);
                assert!(self.nodes[to].store.sync_open(&sealed[..cut]).is_err(), "seed {}", self.seed);
                self.cuts += 1;
                return;
            }
            let received = self.deliver(to, &sealed);
            self.resent += received.already_here;
            if faults && self.rng.percent(5) {
                // Cut between apply and acknowledgement: the sender never hears back.
                self.cuts += 1;
                return;
            }
            if faults && self.rng.percent(5) {
                for _ in 0..2 {
                    self.deliver(to, &sealed);
                }
            }
            if faults && self.rng.percent(5) {
                self.kept.push((to, sealed));
            }
            self.nodes[from].store.sync_contact(&to_id, &received.vector).unwrap();
            if !more {
                return;
            }
        }
    }

    fn deliver(&self, to: usize, sealed: &[u8]) -> store::sync::Received {
        let store = &self.nodes[to].store;
        let batch = store.sync_open(sealed).unwrap();
        let received = store.sync_receive(batch).unwrap();
        assert!(received.refused.is_empty(), "seed {}: {:?}", self.seed, received.refused);
        received
    }

    fn replay(&mut self) {
        if self.kept.is_empty() {
            return;
        }
        let (to, sealed) = self.kept.swap_remove(self.rng.below(self.kept.len()));
        self.deliver(to, &sealed);
    }

    fn back_up(&mut self, node: usize) {
        let path = self.nodes[node].dir.path().join(format!("backup-{}.sqlite", self.counter));
        self.nodes[node].store.db.sqlite_backup(&path).unwrap();
        self.nodes[node].backup = Some((path, self.edits.len(), self.people.len()));
    }

    /// The laptop's disk dies; its backup is put back (as `djoliba restore` does, which
    /// starts a new epoch). What it made after the backup and never sent is gone with the disk.
    fn restore(&mut self, node: usize) {
        let Some((backup, edits, people)) = self.nodes[node].backup.take() else { return };
        let office = &self.nodes[0].store;
        let at_office = |value: &str| {
            office
                .db
                .read(|tx| {
                    tx.query_int(
                        "SELECT COUNT(*) FROM sync_changes WHERE body LIKE $1",
                        store::params![format!("%{value}%")],
                    )
                })
                .unwrap()
                > 0
        };
        for e in edits..self.edits.len() {
            if self.edits[e].node == node && !at_office(&self.edits[e].value) {
                self.edits[e].lost = true;
            }
        }
        for p in people..self.people.len() {
            let person = &self.people[p];
            if office.person(self.clerk(), &person.id).is_err()
                && self.nodes[node].store.person(self.clerk(), &person.id).is_ok()
            {
                self.people[p].lost = true;
            }
        }
        let Target::Sqlite { path, .. } = self.nodes[node].target.clone() else { unreachable!() };
        let skew = self.nodes[node].skew_hours;
        // The dead disk's store is dropped before its file is replaced.
        self.nodes[node].store = self.nodes[0].store.clone();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::copy(&backup, &path).unwrap();
        self.nodes[node].store = open_with_skew(&self.nodes[node].target, skew);
        self.nodes[node].store.sync_new_epoch(&Actor::system()).unwrap();
        self.restored = true;
    }

    fn run(&mut self) {
        let steps = 12 + self.rng.below(24);
        let restore_at =
            self.rng.percent(10).then(|| (1 + self.rng.below(self.nodes.len() - 1), steps / 3, 2 * steps / 3));
        for step in 0..steps {
            let node = self.rng.below(self.nodes.len());
            match self.rng.below(100) {
                0..=19 => self.register(node),
                20..=59 => self.edit(node),
                60..=89 => {
                    let field = 1 + self.rng.below(self.nodes.len() - 1);
                    self.exchange(field, true);
                }
                _ => self.replay(),
            }
            if let Some((laptop, back_up_at, restore_at)) = restore_at {
                if step == back_up_at {
                    self.back_up(laptop);
                }
                if step == restore_at {
                    self.restore(laptop);
                }
            }
        }
        // The link holds: exchange until nothing moves.
        while let Some((to, sealed)) = self.kept.pop() {
            self.deliver(to, &sealed);
        }
        for push in [true, false, true, false] {
            for field in 1..self.nodes.len() {
                self.exchange_one_way(field, push, false);
            }
        }
        self.check();
    }

    fn check(&self) {
        let seed = self.seed;
        let office = &self.nodes[0].store;
        let projection = office.sync_projection().unwrap();
        let conflicts = |store: &Store| -> BTreeSet<(String, String, Vec<String>)> {
            store
                .sync_conflicts(&Actor::system())
                .unwrap()
                .into_iter()
                .map(|c| {
                    let mut values: Vec<String> = c.values.into_iter().filter_map(|v| v.value).collect();
                    values.sort();
                    values.dedup();
                    (c.entity_id, c.field, values)
                })
                .collect()
        };
        let office_conflicts = conflicts(office);
        // What each node derives from the movements (never shipped) agrees too.
        let derived = |store: &Store| -> Vec<Vec<String>> {
            store
                .db
                .read(|tx| {
                    let mut rows = tx.query(
                        "SELECT id, status, current_location, displacement_count, back_and_forth, displaced_since \
                         FROM households ORDER BY id",
                        store::params![],
                    )?;
                    rows.extend(
                        tx.query("SELECT id, status, current_location FROM people ORDER BY id", store::params![])?,
                    );
                    Ok(rows.iter().map(|r| r.values.iter().map(|v| format!("{v:?}")).collect()).collect())
                })
                .unwrap()
        };
        let office_derived = derived(office);
        for (i, node) in self.nodes.iter().enumerate() {
            assert_eq!(derived(&node.store), office_derived, "seed {seed}: node {i} derives the same");
            let status = node.store.sync_status(&Actor::system()).unwrap();
            assert_eq!((status.waiting, status.refused), (0, 0), "seed {seed}: node {i}");
            if i > 0 {
                let theirs = node.store.sync_projection().unwrap();
                let differ: Vec<_> = projection
                    .iter()
                    .filter(|(k, v)| theirs.get(*k) != Some(*v))
                    .map(|(k, _)| k)
                    .chain(theirs.keys().filter(|k| !projection.contains_key(*k)))
                    .collect();
                if let Some(key) = differ.first() {
                    let diff: Vec<_> = projection
                        .get(*key)
                        .into_iter()
                        .flatten()
                        .filter(|(f, v)| theirs.get(*key).and_then(|t| t.get(*f)) != Some(*v))
                        .map(|(f, v)| {
                            (f.clone(), v.is_null(), theirs.get(*key).and_then(|t| t.get(f)).map(|t| t.is_null()))
                        })
                        .collect();
                    panic!(
                        "seed {seed}: node {i} holds another registry: {} records differ, first {key:?}: {diff:?}; vectors {:?} / {:?}; restored {}",
                        differ.len(),
                        office.sync_vector().unwrap(),
                        node.store.sync_vector().unwrap(),
                        self.restored
                    );
                }
                assert_eq!(conflicts(&node.store), office_conflicts, "seed {seed}: node {i}");
            }
        }
        // Every field holds exactly the values no kept edit replaced.
        let mut expected: BTreeMap<(String, &str), BTreeSet<String>> = BTreeMap::new();
        let replaced: BTreeSet<(usize, &str, &str)> = self
            .edits
            .iter()
            .filter(|e| !e.lost)
            .flat_map(|e| e.replaced.iter().map(move |v| (e.person, e.field, v.as_str())))
            .collect();
        for e in self.edits.iter().filter(|e| !e.lost && !self.people[e.person].lost) {
            let entry = expected.entry((self.people[e.person].id.clone(), e.field)).or_default();
            if !replaced.contains(&(e.person, e.field, e.value.as_str())) {
                entry.insert(e.value.clone());
            }
        }
        for ((person, field), values) in expected {
            let held: BTreeSet<String> = match office_conflicts.iter().find(|(id, f, _)| *id == person && f == field) {
                Some((_, _, values)) => values.iter().cloned().collect(),
                None => {
                    let row = &projection[&(store::sync::Entity::Person, person.clone())];
                    row[field].as_str().map(str::to_string).into_iter().collect()
                }
            };
            assert_eq!(held, values, "seed {seed}: {field} of {person}");
        }
        assert_eq!(self.resent, 0, "seed {seed}: changes sent again beyond the batch a cut lost");
    }
}

fn scenarios() -> Vec<u64> {
    if let Some(seed) = std::env::var("DJOLIBA_SYNC_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let count = std::env::var("DJOLIBA_SYNC_SCENARIOS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000);
    (1..=count).collect()
}

#[test]
fn seeded_scenarios_lose_no_edit_and_keep_every_clash() {
    let seeds = scenarios();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let (mut cuts, mut conflicts) = (0, 0);
    let results: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let seeds: Vec<u64> = seeds.iter().copied().skip(t).step_by(threads).collect();
                scope.spawn(move || {
                    seeds
                        .into_iter()
                        .map(|seed| {
                            let mut scenario = Scenario::new(seed);
                            scenario.run();
                            let open = scenario.nodes[0].store.sync_conflicts(&Actor::system()).unwrap().len();
                            (scenario.cuts, open)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for (c, k) in &results {
        cuts += c;
        conflicts += k;
    }
    eprintln!("{} scenarios: {cuts} cuts, {conflicts} conflicts kept", results.len());
    assert!(cuts > 0 && conflicts > 0 || seeds.len() < 50, "the scenarios exercise cuts and clashes");
}
