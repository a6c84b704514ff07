//! The disclosure checker. Everything one page shows a viewer — with the downloads it links to —
//! becomes what an attacker knows: the published numbers, and the sums that tie the page's
//! tables together (a place is its cells, the country its places, an account's end its start
//! plus inflows minus outflows, a kind's routes its count). Elimination over the numbers the
//! page does not show then proves that no count hidden by disclosure control follows from the
//! others. Random registries, small enough for small counts to be common, feed it.
//!
//! The model of each page is written here beside the page's own code: a page that starts
//! showing a new number must be added to its model.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use domain::figures::{FlowKind, Flows, Stock};
use domain::synthetic::{self, Places};
use store::assistance::{Reach, ReachRow};
use store::figures::FiguresSnapshot;
use store::Actor;

use crate::support::*;

/// Arithmetic modulo a prime: ranks over it are ranks over the rationals for matrices of small
/// integers this size (a wrong answer needs the prime to divide a minor).
const PRIME: u64 = 2_147_483_647;

fn modular(c: i64) -> u64 {
    c.rem_euclid(PRIME as i64) as u64
}

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

/// What an attacker reading one page knows.
#[derive(Default)]
struct Attacker {
    names: Vec<String>,
    index: HashMap<String, usize>,
    truth: Vec<i64>,
    shown: Vec<bool>,
    /// Hidden by disclosure control: must neither be shown nor follow from what is.
    suppressed: Vec<bool>,
    /// Σ coefficient × quantity = 0, true of every registry.
    identities: Vec<Vec<(usize, i64)>>,
}

impl Attacker {
    /// A quantity of the page's world and its true value (the same each time it is named).
    fn quantity(&mut self, name: &str, truth: u64) -> usize {
        if let Some(&i) = self.index.get(name) {
            assert_eq!(self.truth[i], truth as i64, "{name}: two true values");
            return i;
        }
        self.names.push(name.to_string());
        self.truth.push(truth as i64);
        self.shown.push(false);
        self.suppressed.push(false);
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// A number the page prints.
    fn show(&mut self, name: &str, truth: u64) {
        let i = self.quantity(name, truth);
        self.shown[i] = true;
    }

    /// A count disclosure control hid.
    fn hide(&mut self, name: &str, truth: u64) {
        let i = self.quantity(name, truth);
        self.suppressed[i] = true;
    }

    /// `total` is the sum of `parts` (named before).
    fn sum(&mut self, total: &str, parts: &[String]) {
        let mut terms = vec![(self.index[total], 1)];
        terms.extend(parts.iter().map(|p| (self.index[p.as_str()], -1)));
        self.identities.push(terms);
    }

    /// A printed sum of `parts` (name, true count, hidden), • when any part is hidden.
    fn sum_unless_hidden(&mut self, name: &str, parts: Vec<(String, u64, bool)>) {
        let value = parts.iter().map(|(_, n, _)| n).sum();
        if parts.iter().any(|(_, _, hidden)| *hidden) {
            self.quantity(name, value);
        } else {
            self.show(name, value);
        }
        self.sum(name, &parts.into_iter().map(|(part, _, _)| part).collect::<Vec<_>>());
    }

    fn identity(&mut self, terms: &[(&str, i64)]) {
        let terms = terms.iter().map(|(name, c)| (self.index[*name], *c)).collect();
        self.identities.push(terms);
    }

    /// The small hidden counts (fewer than `threshold`) an attacker can recompute, with their
    /// values. A larger count hidden beside a small one is only its cover: recomputing it gives
    /// away nothing while the small one stays hidden, which this also proves.
    fn recovered(&self, threshold: u64) -> Vec<(String, i64)> {
        for identity in &self.identities {
            let value: i64 = identity.iter().map(|(i, c)| c * self.truth[*i]).sum();
            let terms: Vec<String> = identity.iter().map(|(i, c)| format!("{c:+}·{}", self.names[*i])).collect();
            assert_eq!(value, 0, "the page model's identity is false: {}", terms.join(" "));
        }
        // Fully reduced rows over the quantities not shown: a pivot's column is zero in every
        // other row, so a quantity follows from the page exactly when its row is itself alone.
        let mut rows: Vec<BTreeMap<usize, u64>> = Vec::new();
        let mut row_of_pivot: HashMap<usize, usize> = HashMap::new();
        let mut rows_with: HashMap<usize, HashSet<usize>> = HashMap::new();
        for identity in &self.identities {
            let mut row: BTreeMap<usize, u64> = BTreeMap::new();
            for (i, c) in identity.iter().filter(|(i, _)| !self.shown[*i]) {
                let entry = row.entry(*i).or_insert(0);
                *entry = (*entry + modular(*c)) % PRIME;
            }
            let pivots: Vec<(usize, u64)> =
                row.iter().filter(|(col, _)| row_of_pivot.contains_key(col)).map(|(c, v)| (*c, *v)).collect();
            for (col, factor) in pivots {
                let pivot_row = &rows[row_of_pivot[&col]];
                for (c, v) in pivot_row {
                    let entry = row.entry(*c).or_insert(0);
                    *entry = (*entry + PRIME - factor * v % PRIME) % PRIME;
                }
            }
            row.retain(|_, v| *v != 0);
            let Some((&pivot, &lead)) = row.iter().next() else { continue };
            let scale = inverse(lead);
            row.values_mut().for_each(|v| *v = *v * scale % PRIME);
            // The new pivot leaves every other row.
            let holders: Vec<usize> = rows_with.get(&pivot).map(|s| s.iter().copied().collect()).unwrap_or_default();
            for r in holders {
                let factor = rows[r][&pivot];
                for (c, v) in &row {
                    let entry = rows[r].entry(*c).or_insert(0);
                    *entry = (*entry + PRIME - factor * v % PRIME) % PRIME;
                    if *entry == 0 {
                        rows[r].remove(c);
                        rows_with.entry(*c).or_default().remove(&r);
                    } else {
                        rows_with.entry(*c).or_default().insert(r);
                    }
                }
            }
            let id = rows.len();
            for c in row.keys() {
                rows_with.entry(*c).or_default().insert(id);
            }
            row_of_pivot.insert(pivot, id);
            rows.push(row);
        }
        (0..self.names.len())
            .filter(|i| self.suppressed[*i] && self.truth[*i] > 0 && self.truth[*i] < threshold as i64)
            .filter(|i| self.shown[*i] || row_of_pivot.get(i).is_some_and(|r| rows[*r].len() == 1))
            .map(|i| (self.names[i].clone(), self.truth[i]))
            .collect()
    }
}

/// A stock as the viewer gets it beside its true counts: the quantities of one date and level.
struct StockSeen {
    date: NaiveDate,
    level: u8,
    /// (group, place, sex, age band) → (true count, suppressed).
    cells: BTreeMap<(String, String, String, String), (u64, bool)>,
    /// (group, place) → (true individuals, true households, suppressed).
    places: BTreeMap<(String, String), (u64, u64, bool)>,
}

impl StockSeen {
    fn new(viewer: &Stock, truth: &Stock, date: NaiveDate, level: u8) -> StockSeen {
        let key = |c: &domain::figures::StockCell| {
            (c.population_group.clone(), c.place.clone(), c.sex.clone(), c.age_band.clone())
        };
        let hidden: HashMap<_, _> = viewer.cells.iter().map(|c| (key(c), (c.suppressed, c.individuals))).collect();
        let cells = truth
            .cells
            .iter()
            .map(|c| {
                let (suppressed, shown) = hidden.get(&key(c)).copied().unwrap_or((false, 0));
                assert!(suppressed || shown == c.individuals, "a viewer's shown cell is its true count");
                (key(c), (c.individuals, suppressed))
            })
            .collect();
        let hidden: HashMap<_, _> =
            viewer.households.iter().map(|h| ((h.population_group.clone(), h.place.clone()), h.suppressed)).collect();
        let places = truth
            .households
            .iter()
            .map(|h| {
                let key = (h.population_group.clone(), h.place.clone());
                let suppressed = hidden.get(&key).copied().unwrap_or(false);
                (key, (h.individuals, h.households, suppressed))
            })
            .collect();
        StockSeen { date, level, cells, places }
    }

    fn cell(&self, (g, p, s, a): &(String, String, String, String)) -> String {
        format!("stock {} L{} {g} {p} {s} {a}", self.date, self.level)
    }

    fn individuals(&self, g: &str, p: &str) -> String {
        format!("individuals {} L{} {g} {p}", self.date, self.level)
    }

    fn households(&self, g: &str, p: &str) -> String {
        format!("households {} L{} {g} {p}", self.date, self.level)
    }

    /// The country's total of a group at the date, the same at every level.
    fn national(&self, g: &str) -> String {
        national(self.date, g)
    }

    fn national_households(&self, g: &str) -> String {
        format!("national households {} {g}", self.date)
    }

    /// Declares every quantity and how they add up; hidden ones as hidden.
    fn declare(&self, a: &mut Attacker) {
        let mut parts: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (key, (n, suppressed)) in &self.cells {
            let name = self.cell(key);
            a.quantity(&name, *n);
            if *suppressed {
                a.hide(&name, *n);
            }
            parts.entry((key.0.clone(), key.1.clone())).or_default().push(name);
        }
        let mut national: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        let mut national_households: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        for ((g, p), (individuals, households, suppressed)) in &self.places {
            let (ind, hh) = (self.individuals(g, p), self.households(g, p));
            a.quantity(&ind, *individuals);
            a.quantity(&hh, *households);
            if *suppressed {
                a.hide(&ind, *individuals);
                a.hide(&hh, *households);
            }
            a.sum(&ind, parts.get(&(g.clone(), p.clone())).map(Vec::as_slice).unwrap_or_default());
            let entry = national.entry(g.clone()).or_default();
            entry.0 += individuals;
            entry.1.push(ind);
            let entry = national_households.entry(g.clone()).or_default();
            entry.0 += households;
            entry.1.push(hh);
        }
        for (g, (total, places)) in national {
            a.quantity(&self.national(&g), total);
            a.sum(&self.national(&g), &places);
        }
        for (g, (total, places)) in national_households {
            a.quantity(&self.national_households(&g), total);
            a.sum(&self.national_households(&g), &places);
        }
    }

    /// Prints `name` as the sum of the unsuppressed quantities `pick` chooses, as pages do.
    fn show_sum_of_shown(
        &self,
        a: &mut Attacker,
        name: &str,
        pick: impl Fn(&(String, String, String, String)) -> bool,
    ) {
        let parts: Vec<(String, u64)> = self
            .cells
            .iter()
            .filter(|(key, (_, suppressed))| pick(key) && !suppressed)
            .map(|(key, (n, _))| (self.cell(key), *n))
            .collect();
        a.show(name, parts.iter().map(|(_, n)| n).sum());
        let names: Vec<String> = parts.into_iter().map(|(name, _)| name).collect();
        a.sum(name, &names);
    }
}

fn national(date: NaiveDate, g: &str) -> String {
    format!("national {date} {g}")
}

/// What one page tells, and what the stocks at its period's ends tell by themselves.
struct Page {
    attacker: Attacker,
    net_change: Attacker,
}

impl Page {
    /// The page `declare` writes into a new attacker (it returns the net change).
    fn of(declare: impl FnOnce(&mut Attacker) -> Attacker) -> Page {
        let mut attacker = Attacker::default();
        let net_change = declare(&mut attacker);
        Page { attacker, net_change }
    }

    /// The small hidden counts the page gives back beyond the difference of two totals.
    fn recovered(&self, threshold: u64) -> Vec<(String, i64)> {
        let inherent: HashSet<String> =
            self.net_change.recovered(threshold).into_iter().map(|(name, _)| name).collect();
        self.attacker.recovered(threshold).into_iter().filter(|(name, _)| !inherent.contains(name)).collect()
    }
}

/// Which origin–destination cells a page prints.
enum Routes {
    /// The dashboard's ten largest shown routes between two places.
    TopTen,
    /// Every shown cell (the download).
    All,
}

/// The flows of a period as the viewer gets them, declared beside their true counts. `by_kind`:
/// the accounts' entries by kind are printed (the JSON download).
fn declare_flows(a: &mut Attacker, viewer: &Flows, truth: &Flows, level: u8, routes: Routes, by_kind: bool) {
    let period = format!("{}..{}", truth.from, truth.to);
    let count = |g: &str, k: FlowKind| format!("flow {period} {g} {}", k.as_str());
    let count_households = |g: &str, k: FlowKind| format!("flow households {period} {g} {}", k.as_str());
    for (seen, real) in viewer.counts.iter().zip(&truth.counts) {
        assert_eq!((&seen.population_group, seen.kind), (&real.population_group, real.kind));
        let (ind, hh) = (count(&real.population_group, real.kind), count_households(&real.population_group, real.kind));
        if seen.suppressed {
            a.hide(&ind, real.individuals);
            a.hide(&hh, real.households);
        } else {
            a.show(&ind, real.individuals);
            a.show(&hh, real.households);
        }
    }
    // A kind that moves people has each of its counts on one route.
    let route = |m: &domain::figures::OriginDestination| {
        format!("route {period} L{level} {} {} {}→{}", m.population_group, m.kind.as_str(), m.origin, m.destination)
    };
    let mut printed: Vec<&domain::figures::OriginDestination> =
        viewer.matrix.iter().filter(|m| !m.suppressed && m.individuals > 0).collect();
    if let Routes::TopTen = routes {
        printed.retain(|m| m.origin != m.destination);
        printed.sort_by_key(|m| std::cmp::Reverse(m.individuals));
        printed.truncate(10);
    }
    let printed: HashSet<String> = printed.into_iter().map(route).collect();
    let mut by_route: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (seen, real) in viewer.matrix.iter().zip(&truth.matrix) {
        let name = route(real);
        assert_eq!(route(seen), name);
        a.quantity(&name, real.individuals);
        if seen.suppressed {
            a.hide(&name, real.individuals);
        }
        if printed.contains(&name) {
            a.show(&name, real.individuals);
        }
        by_route.entry(count(&real.population_group, real.kind)).or_default().push(name);
    }
    for (total, routes) in by_route {
        a.sum(&total, &routes);
    }
    for (seen, real) in viewer.accounts.iter().zip(&truth.accounts) {
        declare_account(a, seen, real, &period, if by_kind { Entries::Shown } else { Entries::Unpublished });
    }
}

/// How an account's entries by kind appear.
#[derive(Clone, Copy, PartialEq)]
enum Entries {
    Shown,
    Unpublished,
    /// Only the stocks at both ends are known, those of at least this many people: what any
    /// two figures of the group's total say.
    NetChangeOnly(u64),
}

/// A group's stock-and-flow account: its stocks are the country's totals on the period's
/// first and last days, its end its start plus inflows minus outflows, each side its entries.
fn declare_account(
    a: &mut Attacker,
    seen: &domain::figures::StockAndFlow,
    real: &domain::figures::StockAndFlow,
    period: &str,
    entries: Entries,
) {
    let g = &real.population_group;
    let field = |f: &str| format!("account {period} {g} {f}");
    for (f, n) in [
        ("stock_start", real.stock_start),
        ("inflows", real.inflows),
        ("outflows", real.outflows),
        ("stock_end", real.stock_end),
    ] {
        if seen.is_hidden(f) {
            a.hide(&field(f), n);
        }
        let shown = match entries {
            Entries::NetChangeOnly(threshold) => f.starts_with("stock") && !(1..threshold).contains(&n),
            _ => !seen.is_hidden(f),
        };
        if shown {
            a.show(&field(f), n);
        }
        a.quantity(&field(f), n);
    }
    let (from, to) = period.split_once("..").expect("a period");
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a date");
    a.quantity(&national(day(from), g), real.stock_start);
    a.quantity(&national(day(to), g), real.stock_end);
    a.identity(&[(&field("stock_start"), 1), (&national(day(from), g), -1)]);
    a.identity(&[(&field("stock_end"), 1), (&national(day(to), g), -1)]);
    a.identity(&[
        (&field("stock_end"), 1),
        (&field("stock_start"), -1),
        (&field("inflows"), -1),
        (&field("outflows"), 1),
    ]);
    for (side, by_kind) in [("inflows", &real.inflows_by_kind), ("outflows", &real.outflows_by_kind)] {
        let names: Vec<String> = by_kind.keys().map(|k| field(&format!("{side}.{k}"))).collect();
        for (name, (k, n)) in names.iter().zip(by_kind) {
            if seen.is_hidden(&format!("{side}.{k}")) {
                a.hide(name, *n);
            } else if entries == Entries::Shown {
                a.show(name, *n);
            } else {
                a.quantity(name, *n);
            }
        }
        a.sum(&field(side), &names);
    }
}

/// What the stocks at a period's two ends give back by themselves, for every group: the
/// difference of two published totals. A page is blamed only for what it gives back beyond.
fn net_change(viewer: &Flows, truth: &Flows, threshold: u64) -> Attacker {
    let mut a = Attacker::default();
    let period = format!("{}..{}", truth.from, truth.to);
    for (seen, real) in viewer.accounts.iter().zip(&truth.accounts) {
        declare_account(&mut a, seen, real, &period, Entries::NetChangeOnly(threshold));
    }
    a
}

/// The dashboard's dates, as the page chooses them (`web::ui::pages::dashboard`): twelve month
/// ends and the day itself for the trend, the quarter before it for the flows.
fn dashboard_dates(day: NaiveDate) -> (Vec<NaiveDate>, NaiveDate) {
    let first_of_month = day.with_day(1).unwrap_or(day);
    let mut dates: Vec<NaiveDate> = (1..13u32)
        .rev()
        .filter_map(|back| first_of_month.checked_sub_months(Months::new(back - 1)).and_then(|d| d.pred_opt()))
        .collect();
    dates.push(day);
    (dates, day.checked_sub_months(Months::new(3)).unwrap_or(day))
}

/// The dashboard: key figures and the trend (each group's individuals and households in the
/// country), the map of IDPs by région (shown cells), the quarter's flows by kind, its
/// accounts and the ten largest routes, declared into `a`; returns what the quarter's two ends
/// give by themselves.
fn declare_dashboard(a: &mut Attacker, viewer: &FiguresSnapshot, truth: &FiguresSnapshot, day: NaiveDate) -> Attacker {
    let (dates, from) = dashboard_dates(day);
    for date in dates.iter().chain([&from]) {
        let text = date.to_string();
        let seen = StockSeen::new(
            &viewer.stock(&text, 1, None).unwrap().stock,
            &truth.stock(&text, 1, None).unwrap().stock,
            *date,
            1,
        );
        seen.declare(a);
        if date == &from && !dates.contains(&from) {
            continue;
        }
        // Key figures and the trend: each group's country totals, • when small.
        for (g, total) in viewer.group_totals(&text).unwrap() {
            let national = [(seen.national(&g), total.individuals), (seen.national_households(&g), total.households)];
            for (name, shown) in national {
                let i = a.index[&name];
                let truth = a.truth[i] as u64;
                match shown {
                    Some(n) => {
                        assert_eq!(n, truth, "{name}");
                        a.show(&name, n);
                    }
                    None => a.hide(&name, truth),
                }
            }
        }
        if *date == day {
            let regions: BTreeSet<String> = seen.cells.keys().filter(|k| k.0 == "IDP").map(|k| k.1.clone()).collect();
            for region in regions {
                seen.show_sum_of_shown(a, &format!("map {region}"), |k| k.0 == "IDP" && k.1 == region);
            }
        }
    }
    let (f, t) = (from.to_string(), day.to_string());
    let (seen, real) = (viewer.flows(&f, &t, 1, None).unwrap().flows, truth.flows(&f, &t, 1, None).unwrap().flows);
    declare_flows(a, &seen, &real, 1, Routes::TopTen, false);
    net_change(&seen, &real, viewer.disclosure_threshold.unwrap_or(1))
}

/// The figures page at a date, level and group (or all groups), with the flows of a period
/// and the downloads it links to (stock and flows as CSV, XLSX and JSON), declared into `a`;
/// returns what the period's two ends give by themselves.
fn declare_figures_page(
    a: &mut Attacker,
    viewer: &FiguresSnapshot,
    truth: &FiguresSnapshot,
    day: NaiveDate,
    level: u8,
    group: Option<&str>,
    period: Option<(NaiveDate, NaiveDate)>,
) -> Attacker {
    let text = day.to_string();
    // The page's own sums, apart from other pages'.
    let tag = format!("L{level} {}", group.unwrap_or("all"));
    let seen = StockSeen::new(
        &viewer.stock(&text, level, group).unwrap().stock,
        &truth.stock(&text, level, group).unwrap().stock,
        day,
        level,
    );
    seen.declare(a);
    let places: BTreeSet<String> = seen.cells.keys().map(|k| k.1.clone()).collect();
    // The table: a place's women, men and total over every group shown, • when any cell under
    // it is hidden; its households likewise.
    for place in &places {
        let columns = [
            ("women", &["f"][..]),
            ("men", &["m"][..]),
            ("sex not stated", &["unknown"][..]),
            ("total", &["f", "m", "unknown"][..]),
        ];
        for (column, sexes) in columns {
            let under = seen
                .cells
                .iter()
                .filter(|(k, _)| &k.1 == place && sexes.contains(&k.2.as_str()))
                .map(|(k, (n, hidden))| (seen.cell(k), *n, *hidden))
                .collect();
            a.sum_unless_hidden(&format!("table {tag} {place} {column}"), under);
        }
        let under = seen
            .places
            .iter()
            .filter(|((_, p), _)| p == place)
            .map(|((g, p), (_, h, hidden))| (seen.households(g, p), *h, *hidden))
            .collect();
        a.sum_unless_hidden(&format!("table {tag} {place} households"), under);
        // The bars and the map: what the place's shown cells add up to.
        seen.show_sum_of_shown(a, &format!("map {tag} {place}"), |k| &k.1 == place);
    }
    // The totals row and the age table add up the shown cells.
    for sex in ["f", "m", "unknown"] {
        seen.show_sum_of_shown(a, &format!("total row {tag} {sex}"), |k| k.2 == sex);
        for band in ["0-4", "5-11", "12-17", "18-59", "60+", "unknown"] {
            seen.show_sum_of_shown(a, &format!("age table {tag} {sex} {band}"), |k| k.2 == sex && k.3 == band);
        }
    }
    let shown_households: Vec<(String, u64)> = seen
        .places
        .iter()
        .filter(|(_, (_, _, hidden))| !hidden)
        .map(|((g, p), (_, h, _))| (seen.households(g, p), *h))
        .collect();
    a.show(&format!("total row {tag} households"), shown_households.iter().map(|(_, h)| h).sum());
    a.sum(&format!("total row {tag} households"), &shown_households.into_iter().map(|(n, _)| n).collect::<Vec<_>>());
    // The download: each group × place with its households and individuals, its counts by
    // sex (blank when a cell under one is hidden) and every cell.
    for ((g, p), (individuals, households, hidden)) in &seen.places {
        if !hidden {
            a.show(&seen.individuals(g, p), *individuals);
            a.show(&seen.households(g, p), *households);
        }
        for sex in ["f", "m", "unknown"] {
            let under = seen
                .cells
                .iter()
                .filter(|(k, _)| &k.0 == g && &k.1 == p && k.2 == sex)
                .map(|(k, (n, hidden))| (seen.cell(k), *n, *hidden))
                .collect();
            a.sum_unless_hidden(&format!("download {tag} {g} {p} {sex}"), under);
        }
    }
    for (key, (n, hidden)) in &seen.cells {
        if !hidden {
            a.show(&seen.cell(key), *n);
        }
    }
    if let Some((first, last)) = period {
        // The page counts a period from the day before its first day.
        let (f, t) = (first.pred_opt().unwrap().to_string(), last.to_string());
        let (seen, real) =
            (viewer.flows(&f, &t, level, group).unwrap().flows, truth.flows(&f, &t, level, group).unwrap().flows);
        declare_flows(a, &seen, &real, level, Routes::All, true);
        return net_change(&seen, &real, viewer.disclosure_threshold.unwrap_or(1));
    }
    Attacker::default()
}

/// Every page a viewer reads of one day and quarter, together: the dashboard, and the figures
/// pages of levels 1 to 3 for IDPs, returnees and all groups.
fn declare_every_page(
    a: &mut Attacker,
    viewer: &FiguresSnapshot,
    truth: &FiguresSnapshot,
    day: NaiveDate,
    quarter: (NaiveDate, NaiveDate),
) -> Attacker {
    let net_change = declare_dashboard(a, viewer, truth, day);
    for group in [Some("IDP"), Some("RET"), None] {
        declare_figures_levels(a, viewer, truth, day, group, quarter);
    }
    net_change
}

/// The figures pages of levels 1 to 3 read together (one group, date and period): a région's
/// counts are its cercles', a cercle's its communes', and a route between two régions the
/// routes between their cercles.
fn declare_figures_levels(
    a: &mut Attacker,
    viewer: &FiguresSnapshot,
    truth: &FiguresSnapshot,
    day: NaiveDate,
    group: Option<&str>,
    period: (NaiveDate, NaiveDate),
) -> Attacker {
    let mut net = Attacker::default();
    let text = day.to_string();
    let mut stocks = Vec::new();
    let mut flows = Vec::new();
    for level in [1, 2, 3] {
        net = declare_figures_page(a, viewer, truth, day, level, group, Some(period));
        let stock = |s: &FiguresSnapshot| s.stock(&text, level, group).unwrap().stock;
        stocks.push(StockSeen::new(&stock(viewer), &stock(truth), day, level));
        let (f, t) = (period.0.pred_opt().unwrap().to_string(), period.1.to_string());
        flows.push(truth.flows(&f, &t, level, group).unwrap().flows);
    }
    // The place one level up that holds `place` (itself for a place outside the country).
    let parent = |places: &BTreeSet<&String>, place: &str| -> String {
        places
            .iter()
            .filter(|p| place.starts_with(p.as_str()))
            .max_by_key(|p| p.len())
            .map_or(place.to_string(), |p| p.to_string())
    };
    for pair in stocks.windows(2) {
        let (up, down) = (&pair[0], &pair[1]);
        let places: BTreeSet<&String> = up.places.keys().map(|(_, p)| p).collect();
        let mut cells: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (g, p, sex, band) in down.cells.keys() {
            let key = (g.clone(), parent(&places, p), sex.clone(), band.clone());
            cells.entry(up.cell(&key)).or_default().push(down.cell(&(g.clone(), p.clone(), sex.clone(), band.clone())));
        }
        for (total, parts) in cells {
            a.sum(&total, &parts);
        }
        let mut households: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
        for ((g, p), (_, h, _)) in &down.places {
            let entry = households.entry((g.clone(), parent(&places, p))).or_default();
            entry.0 += h;
            entry.1.push(down.households(g, p));
        }
        // A household counts in each place its members are: summed only where that is so.
        for ((g, p), (sum, parts)) in households {
            if up.places.get(&(g.clone(), p.clone())).is_some_and(|(_, h, _)| *h == sum) {
                a.sum(&up.households(&g, &p), &parts);
            }
        }
    }
    let period_text = format!("{}..{}", flows[0].from, flows[0].to);
    let route = |level: usize, g: &str, k: FlowKind, o: &str, d: &str| {
        format!("route {period_text} L{} {g} {} {o}→{d}", level + 1, k.as_str())
    };
    for level in 0..2 {
        let origins: BTreeSet<&String> = flows[level].matrix.iter().map(|m| &m.origin).collect();
        let destinations: BTreeSet<&String> = flows[level].matrix.iter().map(|m| &m.destination).collect();
        let mut routes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &flows[level + 1].matrix {
            let up = route(
                level,
                &m.population_group,
                m.kind,
                &parent(&origins, &m.origin),
                &parent(&destinations, &m.destination),
            );
            routes.entry(up).or_default().push(route(
                level + 1,
                &m.population_group,
                m.kind,
                &m.origin,
                &m.destination,
            ));
        }
        for (total, parts) in routes {
            a.sum(&total, &parts);
        }
    }
    net
}

/// Communes of several régions as origins, towns as destinations, drawn by the seed.
fn random_places(rng: &mut synthetic::Rng) -> Places {
    let regions: [&[&str]; 5] = [
        &["ML070101", "ML070201", "ML070301"],
        &["ML060101", "ML060201"],
        &["ML050101", "ML050201"],
        &["ML100101"],
        &["ML040101"],
    ];
    let count = 1 + rng.below(regions.len());
    let origins = regions[..count].iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let towns = ["ML090101", "ML090201", "ML050101", "ML070101", "ML030101"];
    let destinations = towns[..1 + rng.below(towns.len())].iter().map(|c| c.to_string()).collect();
    Places { origins, destinations }
}

/// A viewer's dashboard and figures pages, over random registries of 5 to 120 households,
/// give back no hidden count.
#[test]
fn no_page_a_viewer_reads_gives_back_a_hidden_count() {
    // More registries than CI's: DJOLIBA_DISCLOSURE_REGISTRIES=500; one of them again:
    // DJOLIBA_DISCLOSURE_SEED=n.
    let registries = std::env::var("DJOLIBA_DISCLOSURE_REGISTRIES").ok().and_then(|n| n.parse().ok()).unwrap_or(24u64);
    let mut findings = Vec::new();
    let only: Option<u64> = std::env::var("DJOLIBA_DISCLOSURE_SEED").ok().and_then(|n| n.parse().ok());
    for seed in (1..=registries).filter(|s| only.is_none_or(|o| o == *s)) {
        let t = sqlite();
        let store = &t.store;
        let mut rng = synthetic::Rng::new(seed);
        let places = random_places(&mut rng);
        crate::figures::load_generated(store, seed, 5 + rng.below(116), &places);
        let threshold = [3, 5, 10][rng.below(3)];
        store.set_disclosure_threshold(threshold);
        let viewer = Actor { role: domain::Role::Viewer, ..registrar(store) };
        let (seen, truth) =
            (store.figures_snapshot(&viewer).unwrap(), store.figures_snapshot(&Actor::system()).unwrap());
        assert!(seen.disclosure_threshold.is_some() && truth.disclosure_threshold.is_none());
        let day = seen.latest_event_date().map_or(store.today(), |d| d.min(store.today()));
        let quarter = (day.checked_sub_months(Months::new(3)).unwrap().succ_opt().unwrap(), day);
        let year = (day.checked_sub_months(Months::new(12)).unwrap(), day);
        let mut pages = vec![("dashboard".to_string(), Page::of(|a| declare_dashboard(a, &seen, &truth, day)))];
        for level in [1, 2, 3] {
            for group in [Some("IDP"), None, Some("RET")] {
                let period = if rng.below(2) == 0 { quarter } else { year };
                let name = format!("figures level {level} group {group:?} period {period:?}");
                pages.push((
                    name,
                    Page::of(|a| declare_figures_page(a, &seen, &truth, day, level, group, Some(period))),
                ));
            }
        }
        for group in [Some("IDP"), None] {
            let name = format!("figures levels 1–3 read together, group {group:?}");
            pages.push((name, Page::of(|a| declare_figures_levels(a, &seen, &truth, day, group, quarter))));
        }
        let every = Page::of(|a| declare_every_page(a, &seen, &truth, day, quarter));
        pages.push(("every page of the day and quarter together".to_string(), every));
        for (name, page) in pages {
            for (quantity, value) in page.recovered(threshold) {
                findings.push(format!("seed {seed}, {name}: {quantity} = {value}"));
            }
        }
    }
    assert!(findings.is_empty(), "{} hidden counts recomputed:\n{}", findings.len(), findings.join("\n"));
}

/// The checker finds what subtraction gives back, and only that.
#[test]
fn the_checker_finds_a_total_minus_the_shown_parts() {
    // Three places of 40, 3 and 50 people, and the country's 93, printed.
    let country = || {
        let mut a = Attacker::default();
        let places = ["a", "b", "c"].map(String::from);
        for (place, n) in places.iter().zip([40, 3, 50]) {
            a.quantity(place, n);
        }
        a.quantity("country", 93);
        a.sum("country", &places);
        a.show("country", 93);
        a.show("a", 40);
        a
    };
    let mut a = country();
    a.show("c", 50);
    a.hide("b", 3);
    assert_eq!(a.recovered(5), vec![("b".to_string(), 3)]);

    // Hidden with a partner, neither follows; their sum does, and is no hidden count.
    let mut a = country();
    a.hide("b", 3);
    a.hide("c", 50);
    assert!(a.recovered(5).is_empty());
    // …until another table ties one of them: an account's end minus its start and inflows.
    a.quantity("inflow", 47);
    a.quantity("start", 3);
    a.show("inflow", 47);
    a.show("start", 3);
    a.identity(&[("c", 1), ("start", -1), ("inflow", -1)]);
    assert_eq!(a.recovered(5), vec![("b".to_string(), 3)]);
    assert_eq!(a.recovered(100), vec![("b".to_string(), 3), ("c".to_string(), 50)]);
}

/// Rounds of three programmes in the quarter ending 2024-06-30, delivered to a random part of
/// the households planned (household kits, cash, and a programme for persons).
fn deliver_at_random(store: &store::Store, rng: &mut synthetic::Rng) {
    use domain::assistance::{CycleInput, DeliveryInput, Quantity};
    let clerk = registrar(store);
    let programmes = [
        ("KITS", "SHL", "nfi_kit", "household"),
        ("CASH", "FSC", "multipurpose_cash", "household"),
        ("EDU", "EDU", "catch_up_classes", "person"),
    ];
    for (code, sector, kind, per) in programmes.iter().take(1 + rng.below(3)) {
        let input = domain::assistance::ProgrammeInput {
            sector: sector.to_string(),
            target_unit: per.to_string(),
            places: Vec::new(),
            cap_per_household: Some(2),
            ..crate::assistance::programme(code, kind, per)
        };
        let programme = store.create_programme(&clerk, &input).unwrap();
        let round = CycleInput { name: "T2".into(), start_date: "2024-04-01".into(), end_date: "2024-06-30".into() };
        let round = store.create_cycle(&clerk, &programme.id, &round).unwrap();
        store.plan_cycle(&clerk, &round.id, &Default::default()).unwrap();
        store.advance_cycle(&clerk, &round.id, "approved").unwrap();
        store.advance_cycle(&clerk, &round.id, "distributing").unwrap();
        let share = 1 + rng.below(9);
        for planned in store.planned(&clerk, &round.id, None, 100_000).unwrap() {
            if rng.below(10) >= share {
                continue;
            }
            let delivery = DeliveryInput {
                household: planned.household_id.clone(),
                person: planned.person_id.clone(),
                date: format!("2024-{:02}-{:02}", 4 + rng.below(3), 1 + rng.below(28)),
                quantity: Quantity::Text(planned.entitled.to_string()),
                modality: "in_kind".into(),
                outcome: "delivered".into(),
                ..Default::default()
            };
            store.record_delivery(&clerk, &round.id, &delivery).unwrap();
        }
    }
}

/// A reach row's name: level, what, who, for whom, in what unit and where.
fn reach_row(level: i64, r: &ReachRow) -> String {
    format!("reach L{level} {} {} {} {} {} {}", r.sector, r.kind, r.organisation, r.population_group, r.unit, r.place)
}

/// The counts of a reach row the checker follows (deliveries are not people, and are not
/// protected: hidden with their row).
fn reach_fields(r: &ReachRow) -> Vec<(String, i64)> {
    let mut fields: Vec<(String, i64)> = [
        ("people", r.people),
        ("female", r.female),
        ("male", r.male),
        ("households", r.households),
        ("deliveries", r.deliveries),
    ]
    .iter()
    .map(|(f, n)| (f.to_string(), *n))
    .collect();
    fields.extend(r.by_age.iter().map(|(band, n)| (format!("age:{band}"), *n)));
    fields
}

/// The reach page at every level for one quarter, its table, totals and downloads (the 4W and
/// the factsheet show the same rows, or sums of them): a row's people are its women, men and
/// those of sex not stated, and its age bands; a row is the sum of the rows under it one level
/// down, and the totals the sum of the rows, wherever that is true (nobody counted in two).
fn reach_pages(viewer: &[Reach], truth: &[Reach]) -> Attacker {
    let mut a = Attacker::default();
    let mut rows: Vec<(i64, &ReachRow)> = Vec::new();
    for (seen, real) in viewer.iter().zip(truth) {
        let level = real.level;
        assert_eq!(seen.rows.len(), real.rows.len(), "a viewer's reach has the same rows");
        for (s, r) in seen.rows.iter().zip(&real.rows) {
            let row = reach_row(level, r);
            assert_eq!(reach_row(level, s), row);
            for (field, n) in reach_fields(r) {
                let name = format!("{row} {field}");
                a.quantity(&name, n as u64);
                if !s.is_hidden(&field) {
                    a.show(&name, n as u64);
                } else if field != "deliveries" {
                    a.hide(&name, n as u64);
                }
            }
            // Sex not stated is never printed; the attacker is granted it.
            let unknown = format!("{row} sex not stated");
            a.show(&unknown, (r.people - r.female - r.male) as u64);
            a.sum(&format!("{row} people"), &[format!("{row} female"), format!("{row} male"), unknown]);
            let ages: Vec<String> = r.by_age.keys().map(|band| format!("{row} age:{band}")).collect();
            a.sum(&format!("{row} people"), &ages);
            rows.push((level, r));
        }
        for (field, n) in [("people", real.people), ("households", real.households), ("deliveries", real.deliveries)] {
            let name = format!("reach total {field}");
            if seen.totals_hidden {
                a.quantity(&name, n as u64);
            } else {
                a.show(&name, n as u64);
            }
            let sum: i64 =
                real.rows.iter().map(|r| reach_fields(r).into_iter().find(|(f, _)| f == field).unwrap().1).sum();
            if sum == n {
                let parts: Vec<String> = real.rows.iter().map(|r| format!("{} {field}", reach_row(level, r))).collect();
                a.sum(&name, &parts);
            }
        }
    }
    // Each row under its parent: the row one level up of the same programme's kind whose place
    // holds it (a site under its commune, a commune's own row under itself).
    let mut under: BTreeMap<String, Vec<&ReachRow>> = BTreeMap::new();
    let mut parents: BTreeMap<String, &ReachRow> = BTreeMap::new();
    for (level, r) in &rows {
        parents.insert(reach_row(*level, r), r);
    }
    for (level, r) in rows.iter().filter(|(level, _)| *level > 1) {
        let parent = rows
            .iter()
            .filter(|(l, p)| *l == level - 1 && r.place.starts_with(&p.place))
            .filter(|(_, p)| {
                (&p.sector, &p.kind, &p.organisation, &p.population_group, &p.unit)
                    == (&r.sector, &r.kind, &r.organisation, &r.population_group, &r.unit)
            })
            .max_by_key(|(_, p)| p.place.len())
            .expect("a row has its parent one level up");
        under.entry(reach_row(parent.0, parent.1)).or_default().push(r);
        let _ = level;
    }
    for (parent, children) in under {
        let level: i64 = parent[7..8].parse().unwrap();
        for (field, n) in reach_fields(parents[&parent]) {
            let parts: Vec<(String, i64)> = children
                .iter()
                .map(|c| {
                    (
                        format!("{} {field}", reach_row(level + 1, c)),
                        reach_fields(c).into_iter().find(|(f, _)| *f == field).unwrap().1,
                    )
                })
                .collect();
            if parts.iter().map(|(_, v)| v).sum::<i64>() == n {
                a.sum(&format!("{parent} {field}"), &parts.into_iter().map(|(p, _)| p).collect::<Vec<_>>());
            }
        }
    }
    a
}

/// A viewer's reach pages (and the 4W and factsheet rows drawn from them) at every level,
/// over random registries and deliveries, give back no hidden count.
#[test]
fn no_reach_page_a_viewer_reads_gives_back_a_hidden_count() {
    let registries = std::env::var("DJOLIBA_DISCLOSURE_REGISTRIES").ok().and_then(|n| n.parse().ok()).unwrap_or(12u64);
    let only: Option<u64> = std::env::var("DJOLIBA_DISCLOSURE_SEED").ok().and_then(|n| n.parse().ok());
    let mut findings = Vec::new();
    for seed in (1..=registries).filter(|s| only.is_none_or(|o| o == *s)) {
        let t = sqlite();
        let store = &t.store;
        let mut rng = synthetic::Rng::new(seed + 1000);
        let places = random_places(&mut rng);
        crate::figures::load_generated(store, seed, 5 + rng.below(116), &places);
        deliver_at_random(store, &mut rng);
        let threshold = [3, 5, 10][rng.below(3)];
        store.set_disclosure_threshold(threshold);
        let viewer = Actor { role: domain::Role::Viewer, ..registrar(store) };
        let reach = |actor: &Actor| -> Vec<Reach> {
            (1..=4).map(|level| store.reach(actor, "2024-04-01", "2024-06-30", level).unwrap()).collect()
        };
        let (seen, truth) = (reach(&viewer), reach(&Actor::system()));
        assert!(seen[0].disclosure_threshold.is_some() && truth[0].disclosure_threshold.is_none());
        for (quantity, value) in reach_pages(&seen, &truth).recovered(threshold) {
            findings.push(format!("seed {seed}: {quantity} = {value}"));
        }
    }
    assert!(findings.is_empty(), "{} hidden counts recomputed:\n{}", findings.len(), findings.join("\n"));
}
