//! The computed registry indexed for answering any date, place level and group quickly. Built
//! once in full, then kept current by [`FigureIndex::update`]: a change takes out what its
//! households added and adds what they add now, so a registration costs milliseconds, not a
//! recount of the registry.
//!
//! Snapshots share structure: every large part sits behind an `Arc` in small pieces (a cell's
//! steps, a month of effects, a chunk of households' contributions), and an update copies only
//! the pieces it touches. A reader holding the previous index keeps it whole.

use std::collections::{BTreeMap, BTreeSet};

// Keys here are interned numbers and short codes: a fast hash, not a DoS-resistant one.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use super::*;

/// A count that changes on known dates: `dates` ascending, `totals[i]` the count from
/// `dates[i]` on. The count at any date is one binary search away.
#[derive(Debug, Clone, Default)]
struct Steps {
    dates: Vec<i32>,
    totals: Vec<i64>,
}

impl Steps {
    /// These steps with more changes folded in. A date whose total no longer changes anything
    /// is dropped, so changes that cancel leave nothing behind.
    fn with(&self, mut deltas: Vec<(i32, i64)>) -> Steps {
        let mut previous = 0;
        for (date, total) in self.dates.iter().zip(&self.totals) {
            deltas.push((*date, total - previous));
            previous = *total;
        }
        deltas.sort_unstable_by_key(|d| d.0);
        let mut steps = Steps::default();
        let mut total = 0;
        for (date, delta) in deltas {
            total += delta;
            if steps.dates.last() == Some(&date) {
                if let Some(last) = steps.totals.last_mut() {
                    *last = total;
                }
            } else {
                steps.dates.push(date);
                steps.totals.push(total);
            }
        }
        // Drop steps that change nothing (a total equal to the one before it).
        let mut kept = Steps::default();
        let mut before = 0;
        for (date, total) in steps.dates.into_iter().zip(steps.totals) {
            if total != before {
                kept.dates.push(date);
                kept.totals.push(total);
                before = total;
            }
        }
        kept
    }

    fn at(&self, date: i32) -> i64 {
        match self.dates.partition_point(|d| *d <= date) {
            0 => 0,
            i => self.totals[i - 1],
        }
    }

    fn bytes(&self) -> usize {
        self.dates.capacity() * 4 + self.totals.capacity() * 8
    }
}

/// The day a person turns `years`, as `age_band` counts it: someone born on 29 February
/// turns a year older on 1 March in other years.
fn birthday(birth: NaiveDate, years: i32) -> NaiveDate {
    let year = birth.year() + years;
    birth.with_year(year).or_else(|| NaiveDate::from_ymd_opt(year, 3, 1)).unwrap_or(NaiveDate::MAX)
}

fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Effects are kept in buckets of 32 days, so a change rewrites a bucket, not the whole list.
fn bucket(day: i32) -> i32 {
    day.div_euclid(32)
}

/// An effect with its strings interned.
#[derive(Debug, Clone, Copy)]
struct IndexedEffect {
    date: i32,
    kind: FlowKind,
    stock_change: i8,
    group: u16,
    household: u32,
    from: u32,
    to: u32,
}

const UNKNOWN_PLACE: u32 = 0;
const LEVELS: usize = SITE_LEVEL as usize;
/// Households' contributions are kept in chunks of this many.
const CHUNK: usize = 1024;
const OPEN: i32 = i32::MAX;

/// Interned group and place, with sex, age band and whether the person has returned (an IDP
/// still in the stock after a return).
type CellKey = (u16, u32, &'static str, &'static str, bool);
/// Interned group and place.
type GroupPlace = (u16, u32);
/// Changes of a count: (day number, +n or −n).
type Deltas = Vec<(i32, i64)>;

/// What one household adds to the index, kept so that a change can take it out again:
/// its group, whether it is an IDP household with no displacement, its latest event, the
/// people cells it is in (cell, from, to) and the buckets holding its effects. Stored as words.
struct Contribution {
    group: u16,
    idp_without_displacement: bool,
    latest_event: Option<i32>,
    cells: Vec<(u32, i32, i32)>,
    buckets: Vec<i32>,
}

impl Contribution {
    fn encode(&self) -> Box<[u32]> {
        let mut words = Vec::with_capacity(4 + 3 * self.cells.len() + self.buckets.len());
        words.push(self.group as u32 | (self.idp_without_displacement as u32) << 16);
        words.push(self.latest_event.unwrap_or(i32::MIN) as u32);
        words.push(self.cells.len() as u32);
        for (cell, from, to) in &self.cells {
            words.extend([*cell, *from as u32, *to as u32]);
        }
        words.extend(self.buckets.iter().map(|b| *b as u32));
        words.into_boxed_slice()
    }

    fn decode(words: &[u32]) -> Contribution {
        let cells = words[2] as usize;
        Contribution {
            group: (words[0] & 0xffff) as u16,
            idp_without_displacement: words[0] >> 16 == 1,
            latest_event: Some(words[1] as i32).filter(|d| *d != i32::MIN),
            cells: words[3..3 + 3 * cells].chunks(3).map(|c| (c[0], c[1] as i32, c[2] as i32)).collect(),
            buckets: words[3 + 3 * cells..].iter().map(|b| *b as i32).collect(),
        }
    }
}

/// [`CHUNK`] households' contributions, encoded ([`Contribution::encode`]).
type ContributionChunk = Vec<Option<Box<[u32]>>>;

/// Interned names: groups, places and cells. Grows only; shared between snapshots until an
/// update meets a new name.
#[derive(Clone, Default)]
struct Names {
    groups: Vec<String>,
    places: Vec<String>,
    place_ids: HashMap<String, u32>,
    /// Each place's unit at levels 1..=SITE_LEVEL, once asked for.
    place_levels: HashMap<u32, [u32; LEVELS]>,
    cell_ids: HashMap<CellKey, u32>,
    household_cell_ids: [HashMap<GroupPlace, u32>; LEVELS],
}

impl Names {
    fn new() -> Names {
        let mut names = Names::default();
        names.places.push("unknown".into());
        names
    }

    fn group(&mut self, name: &str) -> u16 {
        match self.groups.iter().position(|g| g == name) {
            Some(i) => i as u16,
            None => {
                self.groups.push(name.to_string());
                (self.groups.len() - 1) as u16
            }
        }
    }

    fn place(&mut self, place: Option<&str>) -> u32 {
        let Some(place) = place else { return UNKNOWN_PLACE };
        if let Some(id) = self.place_ids.get(place) {
            return *id;
        }
        self.places.push(place.to_string());
        let id = (self.places.len() - 1) as u32;
        self.place_ids.insert(place.to_string(), id);
        id
    }

    /// The units a place counts in at each level (households are counted once per unit).
    fn levels(&mut self, place: u32) -> [u32; LEVELS] {
        if let Some(levels) = self.place_levels.get(&place) {
            return *levels;
        }
        let mut levels = [UNKNOWN_PLACE; LEVELS];
        if place != UNKNOWN_PLACE {
            let code = self.places[place as usize].clone();
            for (i, level) in (1..=SITE_LEVEL).enumerate() {
                levels[i] = self.place(Some(&place_at_level(Some(&code), level)));
            }
        }
        self.place_levels.insert(place, levels);
        levels
    }
}

/// Figures ready for any date: per cell (group × finest place × sex × age band) the dated
/// changes of its count, per group × place × level those of households, and every effect by
/// date. Stock at a date costs a binary search per cell; flows a range of effects.
/// `stock` and `flows` above give the same answers by plain scans (a property test checks).
#[derive(Clone)]
pub struct FigureIndex {
    names: Arc<Names>,
    people: Vec<(CellKey, Arc<Steps>)>,
    households: [Vec<(GroupPlace, Arc<Steps>)>; LEVELS],
    /// Effects by bucket of 32 days, each in date order.
    effects: BTreeMap<i32, Arc<Vec<IndexedEffect>>>,
    /// Each household's contribution, by its number, in chunks of [`CHUNK`].
    contributions: Vec<Arc<ContributionChunk>>,
    /// Households per group (a group with none has no account in flows).
    group_households: Vec<u64>,
    idp_without_displacement: u64,
    /// How many households have their latest event on each day.
    latest_events: BTreeMap<i32, u64>,
}

/// Changes gathered from many households, applied to the index at once.
#[derive(Default)]
struct Pending {
    people: HashMap<u32, Deltas>,
    households: [HashMap<u32, Deltas>; LEVELS],
    /// Change of each group's household count, by group.
    group_households: Vec<i64>,
    idp_without_displacement: i64,
    /// Change of how many households have their latest event on each day.
    latest_events: HashMap<i32, i64>,
    /// Households whose previous effects go.
    removed: HashSet<u32>,
    /// Households added in this batch (their effects are in `effects`), kept by an update
    /// (a full build never takes a household out).
    added: HashSet<u32>,
    updating: bool,
    buckets: BTreeSet<i32>,
    /// New effects by bucket, in the order recorded.
    effects: HashMap<i32, Vec<IndexedEffect>>,
    /// Scratch space for [`count`], kept to spare an allocation per household.
    spans: Vec<(usize, u32, i32, i32)>,
}

impl Pending {
    /// Takes in what another part of a build counted.
    fn merge(&mut self, other: Pending) {
        /// Each list of `from` after the same key's in `into` (moved whole when new there).
        fn extend<K: std::hash::Hash + Eq, T>(into: &mut HashMap<K, Vec<T>>, from: HashMap<K, Vec<T>>) {
            for (key, items) in from {
                match into.entry(key) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(items);
                    }
                    std::collections::hash_map::Entry::Occupied(mut o) => o.get_mut().extend(items),
                }
            }
        }
        extend(&mut self.people, other.people);
        for (level, from) in other.households.into_iter().enumerate() {
            extend(&mut self.households[level], from);
        }
        if self.group_households.len() < other.group_households.len() {
            self.group_households.resize(other.group_households.len(), 0);
        }
        for (group, n) in other.group_households.into_iter().enumerate() {
            self.group_households[group] += n;
        }
        self.idp_without_displacement += other.idp_without_displacement;
        for (day, n) in other.latest_events {
            *self.latest_events.entry(day).or_default() += n;
        }
        self.buckets.extend(other.buckets);
        extend(&mut self.effects, other.effects);
    }
}

/// Interns names while households are counted in: the index's own names when it is updated
/// ([`OwnNames`]), names shared by the threads of a full build ([`CachedNames`]).
trait Interner {
    fn group(&mut self, name: &str) -> u16;
    fn place(&mut self, place: Option<&str>) -> u32;
    /// The units a place counts in at each level.
    fn levels(&mut self, place: u32) -> [u32; LEVELS];
    fn cell(&mut self, key: CellKey) -> u32;
    /// The place of a cell this interner gave out.
    fn cell_place(&self, cell: u32) -> u32;
    /// The household count's slot of a group and place at a level.
    fn household_slot(&mut self, level: usize, key: GroupPlace) -> u32;
}

/// An index's own names, for an update: shared with earlier snapshots until a name is new.
struct OwnNames<'a> {
    names: &'a mut Arc<Names>,
    people: &'a mut Vec<(CellKey, Arc<Steps>)>,
    households: &'a mut [Vec<(GroupPlace, Arc<Steps>)>; LEVELS],
}

impl Interner for OwnNames<'_> {
    fn group(&mut self, name: &str) -> u16 {
        match self.names.groups.iter().position(|g| g == name) {
            Some(g) => g as u16,
            None => Arc::make_mut(self.names).group(name),
        }
    }

    fn place(&mut self, place: Option<&str>) -> u32 {
        match place.map(|p| self.names.place_ids.get(p)) {
            None => UNKNOWN_PLACE,
            Some(Some(id)) => *id,
            Some(None) => Arc::make_mut(self.names).place(place),
        }
    }

    fn levels(&mut self, place: u32) -> [u32; LEVELS] {
        match self.names.place_levels.get(&place) {
            Some(levels) => *levels,
            None => Arc::make_mut(self.names).levels(place),
        }
    }

    fn cell(&mut self, key: CellKey) -> u32 {
        match self.names.cell_ids.get(&key) {
            Some(cell) => *cell,
            None => {
                let cell = self.people.len() as u32;
                Arc::make_mut(self.names).cell_ids.insert(key, cell);
                self.people.push((key, Arc::default()));
                cell
            }
        }
    }

    fn cell_place(&self, cell: u32) -> u32 {
        self.people[cell as usize].0 .1
    }

    fn household_slot(&mut self, level: usize, key: GroupPlace) -> u32 {
        match self.names.household_cell_ids[level].get(&key) {
            Some(slot) => *slot,
            None => {
                let slot = self.households[level].len() as u32;
                Arc::make_mut(self.names).household_cell_ids[level].insert(key, slot);
                self.households[level].push((key, Arc::default()));
                slot
            }
        }
    }
}

/// The names a full build's threads share, with the keys of cells and household slots in the
/// order they were numbered.
#[derive(Default)]
struct SharedNames {
    names: Names,
    cells: Vec<CellKey>,
    slots: [Vec<GroupPlace>; LEVELS],
}

/// One build thread's view of [`SharedNames`]: it asks its own cache first and takes the lock
/// only for a name it has not met yet (a few thousand times, against millions of lookups).
struct CachedNames<'a> {
    shared: &'a std::sync::Mutex<SharedNames>,
    groups: Vec<(String, u16)>,
    places: HashMap<String, u32>,
    levels: HashMap<u32, [u32; LEVELS]>,
    cells: HashMap<CellKey, u32>,
    cell_places: HashMap<u32, u32>,
    slots: [HashMap<GroupPlace, u32>; LEVELS],
}

impl<'a> CachedNames<'a> {
    fn new(shared: &'a std::sync::Mutex<SharedNames>) -> CachedNames<'a> {
        CachedNames {
            shared,
            groups: Vec::new(),
            places: HashMap::default(),
            levels: HashMap::default(),
            cells: HashMap::default(),
            cell_places: HashMap::default(),
            slots: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'a, SharedNames> {
        // Interning cannot leave the names half-changed, so a panicked holder's names are sound.
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Interner for CachedNames<'_> {
    fn group(&mut self, name: &str) -> u16 {
        if let Some((_, g)) = self.groups.iter().find(|(n, _)| n == name) {
            return *g;
        }
        let g = self.lock().names.group(name);
        self.groups.push((name.to_string(), g));
        g
    }

    fn place(&mut self, place: Option<&str>) -> u32 {
        let Some(name) = place else { return UNKNOWN_PLACE };
        if let Some(id) = self.places.get(name) {
            return *id;
        }
        let id = self.lock().names.place(place);
        self.places.insert(name.to_string(), id);
        id
    }

    fn levels(&mut self, place: u32) -> [u32; LEVELS] {
        if let Some(levels) = self.levels.get(&place) {
            return *levels;
        }
        let levels = self.lock().names.levels(place);
        self.levels.insert(place, levels);
        levels
    }

    fn cell(&mut self, key: CellKey) -> u32 {
        if let Some(cell) = self.cells.get(&key) {
            return *cell;
        }
        let cell = {
            let mut shared = self.lock();
            let next = shared.cells.len() as u32;
            let cell = *shared.names.cell_ids.entry(key).or_insert(next);
            if cell == next {
                shared.cells.push(key);
            }
            cell
        };
        self.cells.insert(key, cell);
        self.cell_places.insert(cell, key.1);
        cell
    }

    fn cell_place(&self, cell: u32) -> u32 {
        self.cell_places.get(&cell).copied().unwrap_or(UNKNOWN_PLACE)
    }

    fn household_slot(&mut self, level: usize, key: GroupPlace) -> u32 {
        if let Some(slot) = self.slots[level].get(&key) {
            return *slot;
        }
        let slot = {
            let mut shared = self.lock();
            let next = shared.slots[level].len() as u32;
            let slot = *shared.names.household_cell_ids[level].entry(key).or_insert(next);
            if slot == next {
                shared.slots[level].push(key);
            }
            slot
        };
        self.slots[level].insert(key, slot);
        slot
    }
}

/// Counts household `number` as computed now into `pending`; returns what it adds, encoded,
/// for the index to keep.
fn add(names: &mut impl Interner, number: u32, h: &ComputedHousehold, pending: &mut Pending) -> Box<[u32]> {
    let group = names.group(&h.population_group);
    let mut cells = Vec::with_capacity(h.spells.len() + h.members.len());
    for spell in &h.spells {
        let (sex, birth) = h.members[spell.member];
        let place = names.place(spell.location.as_deref());
        let start = day_number(spell.start);
        let end = spell.end.map(day_number).unwrap_or(OPEN);
        let returned = spell.status == Status::Returned;
        // The person's age band changes on birthdays inside the spell (at most five, already
        // in order).
        let mut cuts = [start; 7];
        let mut n = 1;
        if let Some(b) = birth {
            for years in [0, 5, 12, 18, 60] {
                let d = day_number(birthday(b, years));
                if d > start && d < end {
                    cuts[n] = d;
                    n += 1;
                }
            }
        }
        cuts[n] = end;
        for pair in cuts[..=n].windows(2) {
            let band = age_band(birth, NaiveDate::from_num_days_from_ce_opt(pair[0]).unwrap_or(NaiveDate::MIN));
            let cell = names.cell((group, place, sex_label(sex), band, returned));
            cells.push((cell, pair[0], pair[1]));
        }
    }
    let mut buckets = Vec::with_capacity(h.effects.len());
    for e in &h.effects {
        let date = day_number(e.date);
        buckets.push(bucket(date));
        pending.effects.entry(bucket(date)).or_default().push(IndexedEffect {
            date,
            kind: e.kind,
            stock_change: e.stock_change,
            group,
            household: number,
            from: names.place(e.from.as_deref()),
            to: names.place(e.to.as_deref()),
        });
    }
    buckets.sort_unstable();
    buckets.dedup();
    let contribution = Contribution {
        group,
        idp_without_displacement: h.idp_without_displacement,
        latest_event: h.latest_event.map(day_number),
        cells,
        buckets,
    };
    count(names, &contribution, 1, pending);
    if pending.updating {
        pending.added.insert(number);
    }
    pending.buckets.extend(contribution.buckets.iter().copied());
    contribution.encode()
}

/// Counts a contribution in (`sign` 1) or out (−1).
fn count(names: &mut impl Interner, c: &Contribution, sign: i64, pending: &mut Pending) {
    let group = c.group as usize;
    if pending.group_households.len() <= group {
        pending.group_households.resize(group + 1, 0);
    }
    pending.group_households[group] += sign;
    if c.idp_without_displacement {
        pending.idp_without_displacement += sign;
    }
    if let Some(day) = c.latest_event {
        *pending.latest_events.entry(day).or_default() += sign;
    }
    // A household counts once per place while any member is there: union of intervals,
    // gathered as (level, unit, start, end) and merged in order.
    let mut spans = std::mem::take(&mut pending.spans);
    spans.clear();
    for &(cell, start, end) in &c.cells {
        let deltas = pending.people.entry(cell).or_default();
        deltas.push((start, sign));
        if end != OPEN {
            deltas.push((end, -sign));
        }
        let levels = names.levels(names.cell_place(cell));
        for (level, unit) in levels.into_iter().enumerate() {
            spans.push((level, unit, start, end));
        }
    }
    spans.sort_unstable();
    let mut current: Option<(usize, u32, i32, i32)> = None;
    for span in spans.iter().copied().map(Some).chain([None]) {
        current = match (current, span) {
            (Some((l, u, cs, ce)), Some((level, unit, s, e))) if (l, u) == (level, unit) && s <= ce => {
                Some((l, u, cs, ce.max(e)))
            }
            (done, next) => {
                if let Some((level, unit, s, e)) = done {
                    let slot = names.household_slot(level, (c.group, unit));
                    let deltas = pending.households[level].entry(slot).or_default();
                    deltas.push((s, sign));
                    if e != OPEN {
                        deltas.push((e, -sign));
                    }
                }
                next
            }
        };
    }
    pending.spans = spans;
}

/// A household's number and its contribution, encoded.
type Counted = (u32, Box<[u32]>);

/// Households changed in one update from which its cells are made on every core.
const PARALLEL_UPDATE: usize = 1_000;

/// `f` over every item, on every core or on this thread alone.
fn map_each<T: Send, R: Send>(
    items: impl IntoIterator<Item = T>,
    parallel: bool,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    let items: Vec<T> = items.into_iter().collect();
    if parallel {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

impl FigureIndex {
    fn empty() -> FigureIndex {
        FigureIndex {
            names: Arc::new(Names::new()),
            people: Vec::new(),
            households: Default::default(),
            effects: BTreeMap::new(),
            contributions: Vec::new(),
            group_households: Vec::new(),
            idp_without_displacement: 0,
            latest_events: BTreeMap::new(),
        }
    }

    /// Builds from every household at once, on every core: each thread counts a share of the
    /// households with names interned in common, then the counts are merged and each cell's
    /// steps made in parallel. Each household's `id` is its number in the index, used again by
    /// [`FigureIndex::update`].
    pub fn build(computed: Vec<ComputedHousehold>) -> FigureIndex {
        Self::build_from(computed, |_, household| household)
    }

    /// [`FigureIndex::build`] of `items`, each made into its household's figures by `compute`
    /// (given its place in `items`) on the thread that counts it, then dropped: the figures
    /// of every household never exist at once, and a thread's memory is reused household
    /// after household instead of growing by gigabytes at a million.
    pub fn build_from<T: Send>(
        mut items: Vec<T>,
        compute: impl Fn(usize, T) -> ComputedHousehold + Sync,
    ) -> FigureIndex {
        use rayon::prelude::*;
        let shared = std::sync::Mutex::new(SharedNames { names: Names::new(), ..Default::default() });
        // A few shares per thread, so a thread that finishes early takes another. Even a handful
        // of households is split, so the tests exercise the merge.
        let size = items.len().div_ceil(rayon::current_num_threads().max(2) * 4).max(1);
        let mut shares = Vec::new();
        while !items.is_empty() {
            let start = items.len().saturating_sub(size);
            shares.push((start, items.split_off(start)));
        }
        shares.reverse();
        // Each household is dropped once counted, by the thread that counted it: freed a few
        // at a time between the share's own allocations, millions of small strings are tidied
        // away as they go, not all at the next large allocation (a second's pause, measured
        // at a million households, for the first registration after a full count).
        let counted: Vec<(Pending, Vec<Counted>)> = shares
            .into_par_iter()
            .map(|(start, share)| {
                let mut names = CachedNames::new(&shared);
                let mut pending = Pending::default();
                let words = share
                    .into_iter()
                    .enumerate()
                    .map(|(k, item)| {
                        let h = compute(start + k, item);
                        (h.id as u32, add(&mut names, h.id as u32, &h, &mut pending))
                    })
                    .collect();
                (pending, words)
            })
            .collect();
        let SharedNames { names, cells, slots } = shared.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut index = FigureIndex::empty();
        index.names = Arc::new(names);
        index.people = cells.into_iter().map(|key| (key, Arc::default())).collect();
        index.households = slots.map(|keys| keys.into_iter().map(|key| (key, Arc::default())).collect());
        let (shares, words): (Vec<Pending>, Vec<Vec<Counted>>) = counted.into_iter().unzip();
        for (number, words) in words.into_iter().flatten() {
            index.set_contribution(number, Some(words));
        }
        // The shares' counts merged two by two on every core, not one after another on this one.
        let pending = shares.into_par_iter().reduce(Pending::default, |mut merged, share| {
            merged.merge(share);
            merged
        });
        index.apply(pending);
        index
    }

    /// The index after some households changed: each `(number, household)` replaces what that
    /// household added before (if anything) with what it adds now; `None` takes it out (deleted,
    /// or out of the reader's sight). The answer is what [`FigureIndex::build`] gives on the
    /// households as they now stand; `self` is left as it was, for readers still holding it.
    pub fn update(&self, changes: impl IntoIterator<Item = (u32, Option<ComputedHousehold>)>) -> FigureIndex {
        let mut index = self.clone();
        let mut pending = Pending { updating: true, ..Default::default() };
        for (number, household) in changes {
            index.remove(number, &mut pending);
            if let Some(h) = household {
                let words = add(&mut index.own_names(), number, &h, &mut pending);
                index.set_contribution(number, Some(words));
            }
        }
        index.apply(pending);
        index
    }

    /// How many households the index counts.
    pub fn household_count(&self) -> u64 {
        self.group_households.iter().sum()
    }

    /// IDP households with no displacement recorded (they cannot be in the IDP stock).
    pub fn idp_without_displacement(&self) -> u64 {
        self.idp_without_displacement
    }

    /// The latest movement date (dashboards default to it).
    pub fn latest_event(&self) -> Option<NaiveDate> {
        self.latest_events.keys().next_back().and_then(|d| NaiveDate::from_num_days_from_ce_opt(*d))
    }

    /// Bytes held, about (what one snapshot costs when nothing is shared).
    pub fn memory_bytes(&self) -> usize {
        let names = &self.names;
        let strings: usize = names.places.iter().map(|p| p.capacity() + 48).sum();
        let maps = names.cell_ids.capacity() * 56
            + names.household_cell_ids.iter().map(|m| m.capacity() * 16).sum::<usize>()
            + names.place_levels.capacity() * 24;
        let people: usize = self.people.iter().map(|(_, s)| 64 + s.bytes()).sum();
        let households: usize = self.households.iter().flatten().map(|(_, s)| 32 + s.bytes()).sum();
        let effects: usize = self.effects.values().map(|e| e.capacity() * std::mem::size_of::<IndexedEffect>()).sum();
        let contributions: usize = self
            .contributions
            .iter()
            .map(|chunk| chunk.iter().map(|c| 16 + c.as_ref().map_or(0, |w| 16 + w.len() * 4)).sum::<usize>())
            .sum();
        strings + maps + people + households + effects + contributions
    }

    fn own_names(&mut self) -> OwnNames<'_> {
        OwnNames { names: &mut self.names, people: &mut self.people, households: &mut self.households }
    }

    fn contribution(&self, number: u32) -> Option<&[u32]> {
        let chunk = self.contributions.get(number as usize / CHUNK)?;
        chunk[number as usize % CHUNK].as_deref()
    }

    fn set_contribution(&mut self, number: u32, words: Option<Box<[u32]>>) {
        let chunk = number as usize / CHUNK;
        while self.contributions.len() <= chunk {
            self.contributions.push(Arc::new(vec![None; CHUNK]));
        }
        Arc::make_mut(&mut self.contributions[chunk])[number as usize % CHUNK] = words;
    }

    /// Takes out what household `number` added, if anything.
    fn remove(&mut self, number: u32, pending: &mut Pending) {
        let Some(words) = self.contribution(number) else { return };
        let old = Contribution::decode(words);
        self.set_contribution(number, None);
        count(&mut self.own_names(), &old, -1, pending);
        pending.removed.insert(number);
        pending.buckets.extend(old.buckets.iter().copied());
        // Added earlier in this same batch: its effects are not in the index yet.
        if pending.added.remove(&number) {
            for b in &old.buckets {
                if let Some(effects) = pending.effects.get_mut(b) {
                    effects.retain(|e| e.household != number);
                }
            }
        }
    }

    /// Folds pending changes in. Each cell's steps, and each bucket of effects, are made anew
    /// apart from the others: in parallel for a build or a large update. A small update stays
    /// on the caller's thread: the build's threads hold the memory its timelines freed, and
    /// the first of them to allocate again pays for tidying it (a second, measured at a
    /// million households), which a registration's figures must not wait for.
    fn apply(&mut self, pending: Pending) {
        let parallel = !pending.updating || pending.removed.len() + pending.added.len() >= PARALLEL_UPDATE;
        let people = &self.people;
        let steps =
            map_each(pending.people, parallel, |(cell, deltas)| (cell, Arc::new(people[cell as usize].1.with(deltas))));
        for (cell, steps) in steps {
            self.people[cell as usize].1 = steps;
        }
        for (level, changes) in pending.households.into_iter().enumerate() {
            let households = &self.households[level];
            let steps = map_each(changes, parallel, |(slot, deltas)| {
                (slot, Arc::new(households[slot as usize].1.with(deltas)))
            });
            for (slot, steps) in steps {
                self.households[level][slot as usize].1 = steps;
            }
        }
        if self.group_households.len() < pending.group_households.len() {
            self.group_households.resize(pending.group_households.len(), 0);
        }
        for (group, n) in pending.group_households.into_iter().enumerate() {
            self.group_households[group] = self.group_households[group].saturating_add_signed(n);
        }
        self.idp_without_displacement =
            self.idp_without_displacement.saturating_add_signed(pending.idp_without_displacement);
        for (day, n) in pending.latest_events {
            let count = self.latest_events.entry(day).or_default();
            *count = count.saturating_add_signed(n);
            if *count == 0 {
                self.latest_events.remove(&day);
            }
        }
        let mut added = pending.effects;
        let buckets: Vec<(i32, Vec<IndexedEffect>)> =
            pending.buckets.into_iter().map(|b| (b, added.remove(&b).unwrap_or_default())).collect();
        let (kept, removed) = (&self.effects, &pending.removed);
        let buckets = map_each(buckets, parallel, |(b, mut effects)| {
            if let Some(kept) = kept.get(&b) {
                effects.splice(0..0, kept.iter().filter(|e| !removed.contains(&e.household)).copied());
            }
            // Stable: effects of one day stay in the order they were recorded.
            effects.sort_by_key(|e| e.date);
            effects.shrink_to_fit();
            (b, effects)
        });
        for (b, effects) in buckets {
            if effects.is_empty() {
                self.effects.remove(&b);
            } else {
                self.effects.insert(b, Arc::new(effects));
            }
        }
    }

    fn group_wanted(&self, group: u16, wanted: Option<&str>) -> bool {
        wanted.is_none_or(|w| self.names.groups[group as usize] == w)
    }

    fn place(&self, id: u32, level: u8) -> String {
        if id == UNKNOWN_PLACE {
            "unknown".into()
        } else {
            place_at_level(Some(&self.names.places[id as usize]), level)
        }
    }
    /// The same as [`stock`], from the index.
    pub fn stock(&self, as_of: NaiveDate, level: u8, group: Option<&str>) -> Stock {
        self.stock_by(as_of, level, group, false)
    }

    /// Stock as published categories count it: returned IDPs still in the IDP stock form
    /// their own group ([`RETURNED_IDP`]), apart from the IDPs not returned. Individuals only:
    /// a household may hold both.
    pub fn stock_of_concern(&self, as_of: NaiveDate, level: u8, group: Option<&str>) -> Stock {
        let mut stock = self.stock_by(as_of, level, group, true);
        stock.households.clear();
        stock
    }

    fn stock_by(&self, as_of: NaiveDate, level: u8, group: Option<&str>, split_returned: bool) -> Stock {
        let t = day_number(as_of);
        let mut cells: BTreeMap<(String, String, &str, &str), u64> = BTreeMap::new();
        let mut individuals: BTreeMap<(String, String), u64> = BTreeMap::new();
        for ((g, place, sex, band, returned), steps) in &self.people {
            let name = match self.names.groups[*g as usize].as_str() {
                IDP if split_returned && *returned => RETURNED_IDP,
                name => name,
            };
            if group.is_some_and(|wanted| wanted != name) {
                continue;
            }
            let n = steps.at(t);
            if n > 0 {
                let key = (name.to_string(), self.place(*place, level));
                *individuals.entry(key.clone()).or_default() += n as u64;
                *cells.entry((key.0, key.1, sex, band)).or_default() += n as u64;
            }
        }
        let mut households: BTreeMap<(String, String), u64> = BTreeMap::new();
        for ((g, place), steps) in &self.households[level.clamp(1, SITE_LEVEL) as usize - 1] {
            if !self.group_wanted(*g, group) {
                continue;
            }
            let n = steps.at(t);
            if n > 0 {
                *households.entry((self.names.groups[*g as usize].clone(), self.place(*place, level))).or_default() +=
                    n as u64;
            }
        }
        Stock {
            cells: cells
                .into_iter()
                .map(|((population_group, place, sex, age_band), individuals)| StockCell {
                    population_group,
                    place,
                    sex: sex.into(),
                    age_band: age_band.into(),
                    individuals,
                    suppressed: false,
                })
                .collect(),
            households: households
                .into_iter()
                .map(|((population_group, place), households)| HouseholdCell {
                    individuals: individuals.get(&(population_group.clone(), place.clone())).copied().unwrap_or(0),
                    population_group,
                    place,
                    households,
                    suppressed: false,
                })
                .collect(),
        }
    }

    fn total(&self, group: u16, date: i32) -> u64 {
        self.people.iter().filter(|((g, ..), _)| *g == group).map(|(_, s)| s.at(date).max(0) as u64).sum()
    }

    /// The same as [`flows`], from the index.
    pub fn flows(&self, from: NaiveDate, to: NaiveDate, level: u8, group: Option<&str>) -> Flows {
        let (f, t) = (day_number(from), day_number(to));
        let mut tally = FlowTally::default();
        for (g, name) in self.names.groups.iter().enumerate() {
            if self.group_households.get(g).is_some_and(|n| *n > 0) && self.group_wanted(g as u16, group) {
                tally.group(name);
            }
        }
        let buckets = (f < t).then(|| self.effects.range(bucket(f)..=bucket(t)));
        let in_period = buckets.into_iter().flatten().flat_map(|(_, effects)| effects.iter());
        // Counted on interned numbers, named once at the end: a quarter at a million households
        // is hundreds of thousands of effects.
        let mut counts: HashMap<(u16, FlowKind), (u64, HashSet<u32>)> = HashMap::default();
        let mut routes: HashMap<(u16, FlowKind, u32, u32), u64> = HashMap::default();
        let mut accounts: HashMap<(u16, FlowKind, i8), u64> = HashMap::default();
        for e in in_period.filter(|e| e.date > f && e.date <= t && self.group_wanted(e.group, group)) {
            let entry = counts.entry((e.group, e.kind)).or_default();
            entry.0 += 1;
            entry.1.insert(e.household);
            if e.kind.moves_people() {
                *routes.entry((e.group, e.kind, e.from, e.to)).or_default() += 1;
            }
            *accounts.entry((e.group, e.kind, e.stock_change)).or_default() += 1;
        }
        let name = |g: u16| self.names.groups[g as usize].as_str();
        for ((g, kind), (individuals, households)) in counts {
            tally.count(name(g), kind, individuals, households.into_iter().map(u64::from));
        }
        let mut places: HashMap<u32, String> = HashMap::default();
        let mut place = |id: u32| places.entry(id).or_insert_with(|| self.place(id, level)).clone();
        for ((g, kind, from, to), individuals) in routes {
            tally.route(name(g), kind, place(from), place(to), individuals);
        }
        for ((g, kind, change), individuals) in accounts {
            tally.account(name(g), kind, change, individuals);
        }
        tally.finish(from, to, |name, on| match self.names.groups.iter().position(|g| g == name) {
            Some(g) => self.total(g as u16, day_number(on)),
            None => 0,
        })
    }
}
