//! Statistical disclosure control of the figures, for readers without access to personal data.
//! A reader can open every admin level: a région's cells are the sums of its cercles', a
//! cercle's of its communes', and a route between two régions the sum of the routes between
//! their cercles. So suppression runs from the régions down, each level knowing what the level
//! above hid, and the same rules hold in every table that adds up to a published number:
//!
//! - a count of fewer than `threshold` people (but not zero) is hidden;
//! - under a published total, the hidden parts are none or at least two (else the total minus
//!   the parts shown gives one back);
//! - under a hidden total, at least one part is hidden (else the parts shown give it back).
//!
//! The totals are a place's people (its cells), the country's (its places), a région's cell
//! (the same cell of its cercles), a kind's count (its routes) and a route one level up (the
//! routes under it). The rules are applied until none asks for more. The checker in
//! `tests/it/disclosure.rs` proves over random registries that no page gives a count back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{FlowKind, Flows, Stock};

/// The place one level up that holds `place`: the longest of `above` that `place` starts with
/// (a P-code nests in its parent's; "unknown" and a foreign country sit under themselves).
fn parent_of<'a>(above: &'a BTreeSet<&'a str>, place: &str) -> Option<&'a str> {
    above.iter().copied().filter(|p| place.starts_with(p)).max_by_key(|p| p.len())
}

/// The smallest count among `candidates` not yet hidden (ties: the first), a count of none
/// only when no other is left.
fn smallest(candidates: &[usize], value: impl Fn(usize) -> u64, hidden: &[bool]) -> Option<usize> {
    candidates.iter().copied().filter(|i| !hidden[*i]).min_by_key(|i| (value(*i) == 0, value(*i), *i))
}

/// Whether the parts under a total (`hidden_parts` of them hidden) need one more hidden.
fn needs_more(total_hidden: bool, hidden_parts: usize) -> bool {
    if total_hidden {
        hidden_parts == 0
    } else {
        hidden_parts == 1
    }
}

/// Suppresses the stocks of one date at levels 1, 2… (in order, from the régions down): cells
/// (group × place × sex × age band) and place totals (people and households). A place of fewer
/// than `threshold` people is hidden whole; its households, when fewer, hide its total. After
/// the rules, an audit solves what a reader knows (every level's sums at once) and hides more
/// wherever a small count still follows from the rest. Suppressed counts read 0 and carry
/// `suppressed`.
pub fn suppress_stock(levels: &mut [Stock], threshold: u64) {
    if threshold <= 1 {
        return;
    }
    let mut views: Vec<LevelView> = Vec::new();
    for stock in levels.iter() {
        let mut view = LevelView::new(stock, views.last(), threshold);
        view.protect(views.last(), stock);
        loop {
            let (upper, current) = (&views[..], &view);
            let leaks = audit(upper, current, levels, threshold);
            if leaks.is_empty() || !view.cover(&leaks, stock) {
                break;
            }
            view.protect(views.last(), stock);
        }
        views.push(view);
    }
    for (stock, view) in levels.iter_mut().zip(&views) {
        view.apply(stock);
    }
}

/// One level's stock as suppression sees it: places (group, place), their cells, what is
/// hidden, and each place's parent one level up.
struct LevelView {
    places: Vec<(String, String)>,
    place_ids: HashMap<(String, String), usize>,
    cells_of: Vec<Vec<usize>>,
    /// Each cell's place.
    place_of: Vec<usize>,
    cell_hidden: Vec<bool>,
    total_hidden: Vec<bool>,
    /// The parent place's index one level up.
    parent: Vec<Option<usize>>,
    /// Places under one parent (the country at the top).
    siblings: BTreeMap<(String, Option<usize>), Vec<usize>>,
    /// The cell one level up each cell adds to.
    parent_cell: Vec<Option<usize>>,
    /// Cells under one parent cell.
    cell_siblings: BTreeMap<usize, Vec<usize>>,
    /// Each cell's key (group, place, sex, age band) position: for the level below.
    cell_ids: HashMap<(String, String, String, String), usize>,
}

impl LevelView {
    fn new(stock: &Stock, above: Option<&LevelView>, threshold: u64) -> LevelView {
        let small = |n: u64| n > 0 && n < threshold;
        let mut view = LevelView {
            places: Vec::new(),
            place_ids: HashMap::new(),
            cells_of: Vec::new(),
            place_of: Vec::new(),
            cell_hidden: stock.cells.iter().map(|c| small(c.individuals)).collect(),
            total_hidden: Vec::new(),
            parent: Vec::new(),
            siblings: BTreeMap::new(),
            parent_cell: Vec::new(),
            cell_siblings: BTreeMap::new(),
            cell_ids: HashMap::new(),
        };
        for (i, c) in stock.cells.iter().enumerate() {
            let key = (c.population_group.clone(), c.place.clone());
            let id = match view.place_ids.get(&key) {
                Some(id) => *id,
                None => {
                    view.places.push(key.clone());
                    view.cells_of.push(Vec::new());
                    view.place_ids.insert(key, view.places.len() - 1);
                    view.places.len() - 1
                }
            };
            view.cells_of[id].push(i);
            view.place_of.push(id);
            view.cell_ids.insert((c.population_group.clone(), c.place.clone(), c.sex.clone(), c.age_band.clone()), i);
        }
        view.total_hidden = (0..view.places.len()).map(|p| small(view.total(stock, p))).collect();
        for h in &stock.households {
            if small(h.households) {
                if let Some(p) = view.place_ids.get(&(h.population_group.clone(), h.place.clone())) {
                    view.total_hidden[*p] = true;
                }
            }
        }
        for p in 0..view.places.len() {
            if small(view.total(stock, p)) {
                for i in &view.cells_of[p] {
                    view.cell_hidden[*i] = true;
                }
            }
        }
        // Parents by P-code prefix, among the same group's places one level up.
        let above_places: BTreeMap<&str, BTreeSet<&str>> = above.map_or_else(BTreeMap::new, |a| {
            let mut m: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for (g, p) in &a.places {
                m.entry(g.as_str()).or_default().insert(p.as_str());
            }
            m
        });
        view.parent = view
            .places
            .iter()
            .map(|(g, p)| {
                let parent = above_places.get(g.as_str()).and_then(|set| parent_of(set, p))?;
                above.and_then(|a| a.place_ids.get(&(g.clone(), parent.to_string())).copied())
            })
            .collect();
        for (p, (g, _)) in view.places.iter().enumerate() {
            view.siblings.entry((g.clone(), view.parent[p])).or_default().push(p);
        }
        view.parent_cell = stock
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (a, parent) = (above?, view.parent[view.place_of[i]]?);
                let place = &a.places[parent].1;
                a.cell_ids.get(&(c.population_group.clone(), place.clone(), c.sex.clone(), c.age_band.clone())).copied()
            })
            .collect();
        for (i, parent) in view.parent_cell.iter().enumerate() {
            if let Some(parent) = parent {
                view.cell_siblings.entry(*parent).or_default().push(i);
            }
        }
        view
    }

    fn total(&self, stock: &Stock, p: usize) -> u64 {
        self.cells_of[p].iter().map(|i| stock.cells[*i].individuals).sum()
    }

    /// Applies the rules of parts under a total until none asks for more.
    fn protect(&mut self, above: Option<&LevelView>, stock: &Stock) {
        let value = |i: usize| stock.cells[i].individuals;
        loop {
            let mut changed = false;
            // Within a place: its cells under its total.
            for p in 0..self.places.len() {
                let hidden = self.cells_of[p].iter().filter(|i| self.cell_hidden[**i]).count();
                if needs_more(self.total_hidden[p], hidden) {
                    match smallest(&self.cells_of[p], value, &self.cell_hidden) {
                        Some(i) if value(i) > 0 => self.cell_hidden[i] = true,
                        // Nothing beside the hidden cell: the total goes instead.
                        _ if !self.total_hidden[p] => self.total_hidden[p] = true,
                        _ => continue,
                    }
                    changed = true;
                }
            }
            // Places under their parent's total (the country's at the top).
            for ((_, parent), members) in &self.siblings {
                let parent_hidden = parent.zip(above).is_some_and(|(pp, a)| a.total_hidden[pp]);
                let hidden = members.iter().filter(|p| self.total_hidden[**p]).count();
                if needs_more(parent_hidden, hidden) {
                    // A place whose cells already hide part of it costs least.
                    let partner = members
                        .iter()
                        .copied()
                        .filter(|p| !self.total_hidden[*p] && self.total(stock, *p) > 0)
                        .min_by_key(|p| {
                            (!self.cells_of[*p].iter().any(|i| self.cell_hidden[*i]), self.total(stock, *p), *p)
                        });
                    if let Some(p) = partner {
                        self.total_hidden[p] = true;
                        changed = true;
                    }
                }
            }
            // A cell under the same cell one level up.
            if let Some(a) = above {
                for (parent, members) in &self.cell_siblings {
                    let hidden = members.iter().filter(|i| self.cell_hidden[**i]).count();
                    if needs_more(a.cell_hidden[*parent], hidden) {
                        if let Some(i) = smallest(members, value, &self.cell_hidden) {
                            self.cell_hidden[i] = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Hides one more count beside each leak of this level: a cell of the same place, else one
    /// of the same cell's counterparts under its parent, else another place's total under the
    /// same parent; beside a leak one level up, one more of its parts here. False when nothing
    /// was left to hide.
    fn cover(&mut self, leaks: &[Unknown], stock: &Stock) -> bool {
        let value = |i: usize| stock.cells[i].individuals;
        let before =
            (self.cell_hidden.iter().filter(|h| **h).count(), self.total_hidden.iter().filter(|h| **h).count());
        for leak in leaks {
            let place = match *leak {
                Unknown::Cell { up: 0, index } => {
                    let place = self.place_of[index];
                    if let Some(i) = smallest(&self.cells_of[place], value, &self.cell_hidden).filter(|i| value(*i) > 0)
                    {
                        self.cell_hidden[i] = true;
                        continue;
                    }
                    let counterparts = self.parent_cell[index].and_then(|p| self.cell_siblings.get(&p));
                    if let Some(i) = counterparts.and_then(|m| smallest(m, value, &self.cell_hidden)) {
                        self.cell_hidden[i] = true;
                        continue;
                    }
                    place
                }
                Unknown::Total { up: 0, index } => index,
                Unknown::Cell { up: 1, index } => {
                    if let Some(i) = self.cell_siblings.get(&index).and_then(|m| smallest(m, value, &self.cell_hidden))
                    {
                        self.cell_hidden[i] = true;
                    }
                    continue;
                }
                Unknown::Total { up: 1, index } => {
                    let under = self.siblings.iter().find(|((_, p), _)| *p == Some(index)).map(|(_, m)| m.clone());
                    let partner = under.and_then(|m| {
                        m.into_iter().filter(|p| !self.total_hidden[*p]).min_by_key(|p| (self.total(stock, *p), *p))
                    });
                    if let Some(p) = partner {
                        self.total_hidden[p] = true;
                    }
                    continue;
                }
                _ => continue,
            };
            let key = (self.places[place].0.clone(), self.parent[place]);
            let partner = self.siblings[&key]
                .iter()
                .copied()
                .filter(|p| !self.total_hidden[*p])
                .min_by_key(|p| (self.total(stock, *p), *p));
            if let Some(p) = partner {
                self.total_hidden[p] = true;
            }
        }
        let after = (self.cell_hidden.iter().filter(|h| **h).count(), self.total_hidden.iter().filter(|h| **h).count());
        after != before
    }

    /// Zeroes and marks what is hidden.
    fn apply(&self, stock: &mut Stock) {
        for (cell, hidden) in stock.cells.iter_mut().zip(&self.cell_hidden) {
            if *hidden {
                cell.individuals = 0;
                cell.suppressed = true;
            }
        }
        for h in &mut stock.households {
            let p = self.place_ids.get(&(h.population_group.clone(), h.place.clone()));
            if p.is_some_and(|p| self.total_hidden[*p]) {
                h.households = 0;
                h.individuals = 0;
                h.suppressed = true;
            }
        }
    }
}

/// A hidden count: a cell or a place's total, of the level being suppressed or one above it
/// (`up` levels up).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Unknown {
    Cell { up: usize, index: usize },
    Total { up: usize, index: usize },
}

/// Arithmetic modulo a prime: the rank of these small integer systems is their rank over the
/// rationals unless the prime divides a minor, which sums of ±1 this size never reach.
const PRIME: u64 = 2_147_483_647;

fn inverse(a: u64) -> u64 {
    let (mut base, mut exp, mut out) = (a, PRIME - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            out = out * base % PRIME;
        }
        base = base * base % PRIME;
        exp >>= 1;
    }
    out
}

/// Linear equations over hidden counts, kept fully reduced as they come (Gauss–Jordan on
/// sparse rows): a count follows from what is published exactly when its pivot row holds it
/// alone.
#[derive(Default)]
struct Equations {
    rows: Vec<BTreeMap<usize, u64>>,
    row_of_pivot: HashMap<usize, usize>,
    rows_with: HashMap<usize, BTreeSet<usize>>,
}

impl Equations {
    fn add(&mut self, terms: &[(usize, i64)]) {
        let mut row: BTreeMap<usize, u64> = BTreeMap::new();
        for (column, c) in terms {
            let entry = row.entry(*column).or_insert(0);
            *entry = (*entry + c.rem_euclid(PRIME as i64) as u64) % PRIME;
        }
        let pivots: Vec<(usize, u64)> =
            row.iter().filter(|(c, _)| self.row_of_pivot.contains_key(c)).map(|(c, v)| (*c, *v)).collect();
        for (column, factor) in pivots {
            let Some(factor) = row.get(&column).copied().or(Some(factor)).filter(|f| *f != 0) else { continue };
            for (c, v) in &self.rows[self.row_of_pivot[&column]] {
                let entry = row.entry(*c).or_insert(0);
                *entry = (*entry + PRIME - factor * v % PRIME) % PRIME;
            }
        }
        row.retain(|_, v| *v != 0);
        let Some((&pivot, &lead)) = row.iter().next() else { return };
        let scale = inverse(lead);
        row.values_mut().for_each(|v| *v = *v * scale % PRIME);
        // The new pivot leaves every other row.
        let holders: Vec<usize> = self.rows_with.get(&pivot).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for r in holders {
            let factor = self.rows[r][&pivot];
            for (c, v) in &row {
                let entry = self.rows[r].entry(*c).or_insert(0);
                *entry = (*entry + PRIME - factor * v % PRIME) % PRIME;
                if *entry == 0 {
                    self.rows[r].remove(c);
                    self.rows_with.entry(*c).or_default().remove(&r);
                } else {
                    self.rows_with.entry(*c).or_default().insert(r);
                }
            }
        }
        let id = self.rows.len();
        for c in row.keys() {
            self.rows_with.entry(*c).or_default().insert(id);
        }
        self.row_of_pivot.insert(pivot, id);
        self.rows.push(row);
    }

    fn determined(&self, column: usize) -> bool {
        self.row_of_pivot.get(&column).is_some_and(|r| self.rows[*r].len() == 1)
    }
}

/// The small hidden counts that follow from everything published at the levels down to
/// `current`: each place is its cells, a parent cell its counterparts one level down, a parent
/// place its places, and the country each group's places.
fn audit(upper: &[LevelView], current: &LevelView, levels: &[Stock], threshold: u64) -> Vec<Unknown> {
    let views: Vec<&LevelView> = upper.iter().chain(std::iter::once(current)).collect();
    let depth = views.len() - 1;
    // Column numbers of the hidden counts; shown ones are known and leave the equations.
    let mut columns: HashMap<(usize, bool, usize), usize> = HashMap::new();
    let mut unknowns: Vec<(usize, bool, usize)> = Vec::new();
    let mut column = |level: usize, total: bool, index: usize, hidden: bool| -> Option<usize> {
        hidden.then(|| {
            *columns.entry((level, total, index)).or_insert_with(|| {
                unknowns.push((level, total, index));
                unknowns.len() - 1
            })
        })
    };
    let mut equations = Equations::default();
    let mut by_group: BTreeMap<&str, Vec<(usize, i64)>> = BTreeMap::new();
    for (level, view) in views.iter().enumerate() {
        for p in 0..view.places.len() {
            let mut terms: Vec<(usize, i64)> =
                column(level, true, p, view.total_hidden[p]).map(|c| (c, 1)).into_iter().collect();
            terms.extend(
                view.cells_of[p].iter().filter_map(|i| column(level, false, *i, view.cell_hidden[*i]).map(|c| (c, -1))),
            );
            equations.add(&terms);
            if level == 0 {
                by_group
                    .entry(view.places[p].0.as_str())
                    .or_default()
                    .extend(column(0, true, p, view.total_hidden[p]).map(|c| (c, 1)));
            }
        }
        if level == 0 {
            continue;
        }
        let above = views[level - 1];
        for (parent, members) in &view.cell_siblings {
            let mut terms: Vec<(usize, i64)> =
                column(level - 1, false, *parent, above.cell_hidden[*parent]).map(|c| (c, 1)).into_iter().collect();
            terms
                .extend(members.iter().filter_map(|i| column(level, false, *i, view.cell_hidden[*i]).map(|c| (c, -1))));
            equations.add(&terms);
        }
        for ((_, parent), members) in &view.siblings {
            let Some(parent) = parent else { continue };
            let mut terms: Vec<(usize, i64)> =
                column(level - 1, true, *parent, above.total_hidden[*parent]).map(|c| (c, 1)).into_iter().collect();
            terms
                .extend(members.iter().filter_map(|p| column(level, true, *p, view.total_hidden[*p]).map(|c| (c, -1))));
            equations.add(&terms);
        }
    }
    for terms in by_group.values() {
        equations.add(terms);
    }
    let small = |n: u64| n > 0 && n < threshold;
    unknowns
        .iter()
        .enumerate()
        .filter(|(c, _)| equations.determined(*c))
        .filter_map(|(_, (level, total, index))| {
            let view = views[*level];
            let value =
                if *total { view.total(&levels[*level], *index) } else { levels[*level].cells[*index].individuals };
            let up = depth - level;
            small(value).then_some(if *total {
                Unknown::Total { up, index: *index }
            } else {
                Unknown::Cell { up, index: *index }
            })
        })
        .collect()
}

/// Disclosure control of the flows of one period at levels 1, 2… (in order). Counts and
/// origin–destination cells of fewer than `threshold` people (but not zero) are suppressed,
/// and the tables of one page are kept consistent so that no hidden count can be recomputed
/// from the others:
/// - a kind hidden in the counts is hidden in the group's account too, and the other way round;
/// - a group with a small stock at either end of the period has its whole account hidden;
/// - in an account, when any entry by kind is hidden, the inflow and outflow totals are hidden
///   (else a total minus the shown entries gives it back), and at least two entries are (else
///   stock(end) − stock(start) + outflows − inflows does);
/// - a kind's routes under its count, and a route's under the route one level up, follow the
///   rules of parts under a total.
pub fn suppress_flows(levels: &mut [Flows], threshold: u64) {
    if threshold <= 1 {
        return;
    }
    for flows in levels.iter_mut() {
        suppress_counts_and_accounts(flows, threshold);
    }
    for at in 0..levels.len() {
        let (upper, rest) = levels.split_at_mut(at);
        suppress_routes(&mut rest[0], upper.last(), threshold);
    }
}

/// The counts by kind and the accounts: the same at every level.
fn suppress_counts_and_accounts(flows: &mut Flows, threshold: u64) {
    let small = |n: u64| n > 0 && n < threshold;
    // (group, kind) pairs hidden anywhere.
    let mut hidden_kinds: BTreeSet<(String, String)> = Default::default();
    for count in &flows.counts {
        if small(count.individuals) || small(count.households) {
            hidden_kinds.insert((count.population_group.clone(), count.kind.as_str().to_string()));
        }
    }
    for account in &mut flows.accounts {
        let group = account.population_group.clone();
        for (side, entries) in [("inflows", &account.inflows_by_kind), ("outflows", &account.outflows_by_kind)] {
            for (kind, n) in entries {
                if small(*n) || hidden_kinds.contains(&(group.clone(), kind.clone())) {
                    account.hidden.insert(format!("{side}.{kind}"));
                }
            }
        }
        let hidden_entries = account.hidden.len();
        if hidden_entries == 1 {
            // A second entry, the smallest shown non-zero one of either side.
            let partner = [("inflows", &account.inflows_by_kind), ("outflows", &account.outflows_by_kind)]
                .into_iter()
                .flat_map(|(side, entries)| entries.iter().map(move |(k, n)| (*n, format!("{side}.{k}"))))
                .filter(|(n, key)| *n > 0 && !account.hidden.contains(key))
                .min();
            if let Some((_, key)) = partner {
                account.hidden.insert(key);
            } else {
                // Nothing to pair it with: the stocks would give it back.
                account.hidden.extend(["stock_start".to_string(), "stock_end".to_string()]);
            }
        }
        if hidden_entries > 0 {
            account.hidden.extend(["inflows".to_string(), "outflows".to_string()]);
        }
        if small(account.stock_start) || small(account.stock_end) {
            // A group this small at either end of the period has no account: any entry or
            // total shown beside the other stock would give the small one back.
            account.hidden.extend(["stock_start", "stock_end", "inflows", "outflows"].map(String::from));
            for (side, entries) in [("inflows", &account.inflows_by_kind), ("outflows", &account.outflows_by_kind)] {
                account.hidden.extend(entries.keys().map(|kind| format!("{side}.{kind}")));
            }
        }
        for key in account.hidden.clone() {
            match key.split_once('.') {
                Some(("inflows", kind)) => {
                    account.inflows_by_kind.insert(kind.to_string(), 0);
                    hidden_kinds.insert((group.clone(), kind.to_string()));
                }
                Some(("outflows", kind)) => {
                    account.outflows_by_kind.insert(kind.to_string(), 0);
                    hidden_kinds.insert((group.clone(), kind.to_string()));
                }
                _ => match key.as_str() {
                    "stock_start" => account.stock_start = 0,
                    "stock_end" => account.stock_end = 0,
                    "inflows" => account.inflows = 0,
                    "outflows" => account.outflows = 0,
                    _ => {}
                },
            }
        }
    }
    for count in &mut flows.counts {
        if hidden_kinds.contains(&(count.population_group.clone(), count.kind.as_str().to_string())) {
            count.individuals = 0;
            count.households = 0;
            count.suppressed = true;
        }
    }
}

/// Origin–destination cells: under their kind's count at the top, under the route between
/// the parent places one level down.
fn suppress_routes(flows: &mut Flows, above: Option<&Flows>, threshold: u64) {
    let small = |n: u64| n > 0 && n < threshold;
    let mut hidden: Vec<bool> = flows.matrix.iter().map(|m| small(m.individuals)).collect();
    type Route<'a> = (&'a str, FlowKind, Option<(&'a str, &'a str)>);
    let (origins, destinations): (BTreeSet<&str>, BTreeSet<&str>) = match above {
        Some(a) => (
            a.matrix.iter().map(|m| m.origin.as_str()).collect(),
            a.matrix.iter().map(|m| m.destination.as_str()).collect(),
        ),
        None => Default::default(),
    };
    let above_hidden: HashMap<(&str, FlowKind, &str, &str), bool> = above.map_or_else(HashMap::new, |a| {
        a.matrix
            .iter()
            .map(|m| ((m.population_group.as_str(), m.kind, m.origin.as_str(), m.destination.as_str()), m.suppressed))
            .collect()
    });
    let count_hidden: HashMap<(&str, FlowKind), bool> =
        flows.counts.iter().map(|c| ((c.population_group.as_str(), c.kind), c.suppressed)).collect();
    let mut sets: BTreeMap<Route<'_>, Vec<usize>> = BTreeMap::new();
    for (i, m) in flows.matrix.iter().enumerate() {
        let parent =
            above.and_then(|_| Some((parent_of(&origins, &m.origin)?, parent_of(&destinations, &m.destination)?)));
        sets.entry((m.population_group.as_str(), m.kind, parent)).or_default().push(i);
    }
    let value = |i: usize| flows.matrix[i].individuals;
    loop {
        let mut changed = false;
        for ((g, kind, parent), members) in &sets {
            let total_hidden = match parent {
                Some((o, d)) => above_hidden.get(&(*g, *kind, *o, *d)).copied().unwrap_or(false),
                None if above.is_some() => continue,
                None => count_hidden.get(&(*g, *kind)).copied().unwrap_or(false),
            };
            let count = members.iter().filter(|i| hidden[**i]).count();
            if needs_more(total_hidden, count) {
                if let Some(i) = smallest(members, value, &hidden).filter(|i| value(*i) > 0) {
                    hidden[i] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (cell, hidden) in flows.matrix.iter_mut().zip(hidden) {
        if hidden {
            cell.individuals = 0;
            cell.suppressed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{HouseholdCell, StockCell};

    /// A stock of IDPs from (place, sex, age band, people) and (place, households).
    fn stock(cells: &[(&str, &str, &str, u64)], households: &[(&str, u64)]) -> Stock {
        let cells: Vec<StockCell> = cells
            .iter()
            .map(|(place, sex, band, n)| StockCell {
                population_group: "IDP".into(),
                place: place.to_string(),
                sex: sex.to_string(),
                age_band: band.to_string(),
                individuals: *n,
                suppressed: false,
            })
            .collect();
        let households = households
            .iter()
            .map(|(place, h)| HouseholdCell {
                population_group: "IDP".into(),
                place: place.to_string(),
                households: *h,
                individuals: cells.iter().filter(|c| c.place == *place).map(|c| c.individuals).sum(),
                suppressed: false,
            })
            .collect();
        Stock { cells, households }
    }

    fn hidden(stock: &Stock) -> Vec<String> {
        let cells =
            stock.cells.iter().filter(|c| c.suppressed).map(|c| format!("{} {} {}", c.place, c.sex, c.age_band));
        let totals = stock.households.iter().filter(|h| h.suppressed).map(|h| format!("{} total", h.place));
        cells.chain(totals).collect()
    }

    #[test]
    fn a_hidden_region_keeps_part_of_its_cercles_hidden_and_a_shown_cell_never_one_alone() {
        // Gao (80) hides beside Tombouctou (3); its two cercles of 40 would give it back.
        let mut levels = [
            stock(
                &[("ML07", "f", "18-59", 40), ("ML07", "m", "18-59", 40), ("ML06", "f", "18-59", 3)],
                &[("ML07", 16), ("ML06", 1)],
            ),
            stock(
                &[
                    ("ML0701", "f", "18-59", 20),
                    ("ML0701", "m", "18-59", 20),
                    ("ML0702", "f", "18-59", 20),
                    ("ML0702", "m", "18-59", 20),
                    ("ML0601", "f", "18-59", 3),
                ],
                &[("ML0701", 8), ("ML0702", 8), ("ML0601", 1)],
            ),
        ];
        suppress_stock(&mut levels, 5);
        // Gao's total hidden, one of its cells with it (else its cells give the total back).
        assert_eq!(hidden(&levels[0]), ["ML07 f 18-59", "ML06 f 18-59", "ML07 total", "ML06 total"]);
        let below = hidden(&levels[1]);
        assert!(below.iter().any(|h| h.starts_with("ML070")), "one of Gao's cercles at least: {below:?}");
        // Gao's women are hidden: one cercle's at least; its men are shown: none of the
        // cercles' men or both.
        let count = |column: &str| below.iter().filter(|h| h.starts_with("ML070") && h.contains(column)).count();
        assert!(count("f 18-59") >= 1 && count("m 18-59") != 1, "{below:?}");
    }

    #[test]
    fn the_audit_hides_more_where_the_columns_sums_give_a_hidden_place_back() {
        // Seed 115 of the checker, threshold 10: Ansongo and Bourem hidden, Gao's total and its
        // adults by sex shown. Bourem's cells lie in the adults' columns alone, so its total is
        // known from them, and Ansongo's total minus its adults gave its 2 boys aged 5–11 back.
        let region = [
            ("f", "0-4", 1),
            ("f", "12-17", 3),
            ("f", "18-59", 15),
            ("f", "5-11", 3),
            ("m", "0-4", 2),
            ("m", "12-17", 6),
            ("m", "18-59", 20),
            ("m", "5-11", 6),
            ("m", "60+", 3),
        ];
        let gao = [
            ("f", "0-4", 1),
            ("f", "12-17", 3),
            ("f", "18-59", 12),
            ("f", "5-11", 3),
            ("m", "0-4", 2),
            ("m", "12-17", 6),
            ("m", "18-59", 16),
            ("m", "5-11", 4),
            ("m", "60+", 3),
        ];
        let mut cercles: Vec<(&str, &str, &str, u64)> = gao.iter().map(|(s, b, n)| ("ML0701", *s, *b, *n)).collect();
        cercles.extend([("ML0702", "f", "18-59", 2), ("ML0702", "m", "18-59", 2), ("ML0702", "m", "5-11", 2)]);
        cercles.extend([("ML0703", "f", "18-59", 1), ("ML0703", "m", "18-59", 2)]);
        let cells: Vec<(&str, &str, &str, u64)> = region.iter().map(|(s, b, n)| ("ML07", *s, *b, *n)).collect();
        let mut levels =
            [stock(&cells, &[("ML07", 13)]), stock(&cercles, &[("ML0701", 11), ("ML0702", 1), ("ML0703", 1)])];
        let mut rules_only = levels.clone();
        for at in 0..2 {
            let above = (at > 0).then(|| LevelView::new(&rules_only[0], None, 10));
            let mut view = LevelView::new(&rules_only[at], above.as_ref(), 10);
            view.protect(above.as_ref(), &rules_only[at]);
            view.apply(&mut rules_only[at]);
        }
        suppress_stock(&mut levels, 10);
        let (before, after) = (hidden(&rules_only[1]), hidden(&levels[1]));
        assert!(!before.contains(&"ML0701 total".to_string()) && after.len() > before.len(), "{before:?} → {after:?}");
        assert!(after.iter().all(|h| before.contains(h) || !h.starts_with("ML0702")), "{after:?}");
    }
}
