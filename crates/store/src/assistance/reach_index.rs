//! Reach counted in memory: every delivery that reached someone, the entitlement it
//! honoured and the people it covered (as their kept records), loaded once and kept until the
//! registry or assistance changes. A count is then a pass over the period's deliveries and a
//! sort of (row, person) pairs: SQL joining deliveries to people row by row took seconds per
//! hundred thousand deliveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate};
use domain::figures::AGE_BANDS;

use crate::db::Tx;
use crate::error::StoreError;
use crate::versions::{self, Capability};

/// A delivery that reached someone.
struct Delivery {
    day: i32,
    entitlement: u32,
    place: u32,
    quantity: f64,
}

struct Entitlement {
    /// Index into `dims`: sector, kind, organisation, unit.
    dims: u32,
    household: u32,
    group: u32,
    /// The first day of its round, and where its household lives (index into `places`):
    /// what the 4W counts as targeted.
    planned_day: i32,
    home: u32,
    /// People covered: `covered[first..first + len]`.
    first: u32,
    len: u32,
}

/// Sex and birth date (`None` when unknown) of a kept person record.
#[derive(Clone, Copy)]
struct Person {
    female: bool,
    male: bool,
    birth: Option<NaiveDate>,
}

pub(crate) struct ReachIndex {
    versions: (i64, i64),
    dims: Vec<[String; 4]>,
    groups: Vec<String>,
    places: Vec<String>,
    /// Household ids, sorted: a household's index is its position.
    households: Vec<String>,
    entitlements: Vec<Entitlement>,
    covered: Vec<u32>,
    people: Vec<Person>,
    deliveries: Vec<Delivery>,
}

/// The index, shared by the store's clones.
#[derive(Default)]
pub(crate) struct ReachCache(Mutex<Option<Arc<ReachIndex>>>);

/// One row of counts before it becomes a `ReachRow`.
pub(crate) struct Counted {
    pub dims: [String; 4],
    pub group: String,
    pub place: String,
    pub people: i64,
    pub female: i64,
    pub male: i64,
    pub by_age: Vec<i64>,
    pub households: i64,
    pub deliveries: i64,
    pub quantity: f64,
}

pub(crate) struct Counts {
    pub rows: Vec<Counted>,
    pub people: i64,
    pub households: i64,
    pub deliveries: i64,
}

fn interned(map: &mut HashMap<String, u32>, list: &mut Vec<String>, value: String) -> u32 {
    if let Some(i) = map.get(&value) {
        return *i;
    }
    let i = list.len() as u32;
    map.insert(value.clone(), i);
    list.push(value);
    i
}

fn age_band(birth: Option<NaiveDate>, on: NaiveDate) -> usize {
    let band = domain::figures::age_band(birth, on);
    AGE_BANDS.iter().position(|b| *b == band).unwrap_or(AGE_BANDS.len() - 1)
}

impl ReachCache {
    /// The index as of now: the kept one when nothing changed since it was built.
    pub(crate) fn current(&self, tx: &mut Tx<'_>) -> Result<Arc<ReachIndex>, StoreError> {
        let now = (versions::current(tx, Capability::Registry)?, versions::current(tx, Capability::Assistance)?);
        let mut kept = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(index) = kept.as_ref().filter(|i| i.versions == now) {
            return Ok(index.clone());
        }
        let index = Arc::new(ReachIndex::load(tx, now)?);
        *kept = Some(index.clone());
        Ok(index)
    }
}

impl ReachIndex {
    fn load(tx: &mut Tx<'_>, versions: (i64, i64)) -> Result<ReachIndex, StoreError> {
        let mut households: Vec<String> =
            tx.query("SELECT id FROM households", &[])?.iter().map(|r| r.text(0)).collect();
        households.sort_unstable();
        let household_of = |id: &str| households.binary_search_by(|h| h.as_str().cmp(id)).ok().map(|i| i as u32);
        let (mut dims_map, mut dims, mut groups_map, mut groups) =
            (HashMap::new(), Vec::new(), HashMap::new(), Vec::new());
        let (mut places_map, mut places) = (HashMap::new(), Vec::new());
        let mut entitlement_of: HashMap<String, u32> = HashMap::new();
        let mut entitlements = Vec::new();
        for r in tx.query(
            "SELECT e.id, pr.sector, pr.kind, o.code, pr.unit, e.household_id, h.population_group, c.start_date, \
             COALESCE(h.current_location, h.registration_point, '') FROM entitlements e \
             JOIN cycles c ON c.id = e.cycle_id JOIN programmes pr ON pr.id = c.programme_id \
             JOIN organisations o ON o.id = pr.organisation_id JOIN households h ON h.id = e.household_id",
            &[],
        )? {
            let Some(household) = household_of(r.str(5)) else { continue };
            let key = [r.text(1), r.text(2), r.text(3), r.text(4)];
            let dim = match dims_map.get(&key) {
                Some(i) => *i,
                None => {
                    dims.push(key.clone());
                    dims_map.insert(key, dims.len() as u32 - 1);
                    dims.len() as u32 - 1
                }
            };
            let group = interned(&mut groups_map, &mut groups, r.text(6));
            let planned_day =
                NaiveDate::parse_from_str(r.str(7), "%Y-%m-%d").map(|d| d.num_days_from_ce()).unwrap_or_default();
            let home = interned(&mut places_map, &mut places, r.text(8));
            entitlement_of.insert(r.text(0), entitlements.len() as u32);
            entitlements.push(Entitlement { dims: dim, household, group, planned_day, home, first: 0, len: 0 });
        }
        // Whom each entitlement covers, as the kept record (a merged one counts as its person).
        let mut person_of: HashMap<String, u32> = HashMap::new();
        let mut people = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for r in tx.query(
            "SELECT ep.entitlement_id, pk.id, pk.sex, pk.birth_date FROM entitlement_people ep \
             JOIN people pe ON pe.id = ep.person_id JOIN people pk ON pk.id = COALESCE(pe.duplicate_of, pe.id)",
            &[],
        )? {
            let Some(entitlement) = entitlement_of.get(r.str(0)).copied() else { continue };
            let person = match person_of.get(r.str(1)) {
                Some(p) => *p,
                None => {
                    let birth = r.opt_text(3).and_then(|b| NaiveDate::parse_from_str(&b, "%Y-%m-%d").ok());
                    people.push(Person { female: r.str(2) == "f", male: r.str(2) == "m", birth });
                    person_of.insert(r.text(1), people.len() as u32 - 1);
                    people.len() as u32 - 1
                }
            };
            pairs.push((entitlement, person));
        }
        drop(person_of);
        pairs.sort_unstable();
        let mut covered = Vec::with_capacity(pairs.len());
        for (entitlement, person) in pairs {
            let e = &mut entitlements[entitlement as usize];
            if e.len == 0 {
                e.first = covered.len() as u32;
            }
            e.len += 1;
            covered.push(person);
        }
        let mut deliveries = Vec::new();
        for r in tx.query(
            "SELECT entitlement_id, date, COALESCE(place, ''), quantity FROM deliveries WHERE outcome IN ('delivered', 'partial')",
            &[],
        )? {
            let Some(entitlement) = entitlement_of.get(r.str(0)).copied() else { continue };
            let Ok(day) = NaiveDate::parse_from_str(r.str(1), "%Y-%m-%d") else { continue };
            let place = interned(&mut places_map, &mut places, r.text(2));
            deliveries.push(Delivery { day: day.num_days_from_ce(), entitlement, place, quantity: r.real(3) });
        }
        deliveries.sort_unstable_by_key(|d| d.day);
        Ok(ReachIndex { versions, dims, groups, places, households, entitlements, covered, people, deliveries })
    }

    /// The index of a household id, if the index knows it.
    pub(crate) fn household(&self, id: &str) -> Option<usize> {
        self.households.binary_search_by(|h| h.as_str().cmp(id)).ok()
    }

    pub(crate) fn household_count(&self) -> usize {
        self.households.len()
    }

    /// Counts over `from`–`to` (inclusive) at P-code `level` (4: sites, and communes for
    /// what was delivered off any site), for the households `visible` (all when `None`).
    pub(crate) fn count(&self, from: NaiveDate, to: NaiveDate, level: i64, visible: Option<&[bool]>) -> Counts {
        let (first, last) = (from.num_days_from_ce(), to.num_days_from_ce());
        let start = self.deliveries.partition_point(|d| d.day < first);
        let prefix_len = (2 + 2 * level) as usize;
        // Each place's code cut to the level, once per place.
        let mut prefix_of: HashMap<u32, u32> = HashMap::new();
        let (mut prefixes_map, mut prefixes) = (HashMap::new(), Vec::new());
        let mut row_of: HashMap<(u32, u32, u32), u32> = HashMap::new();
        let mut rows: Vec<(u32, u32, u32, i64, f64)> = Vec::new();
        let (mut people_pairs, mut household_pairs) = (Vec::new(), Vec::new());
        let (mut all_people, mut all_households, mut deliveries) = (Vec::new(), Vec::new(), 0i64);
        for d in self.deliveries[start..].iter().take_while(|d| d.day <= last) {
            let e = &self.entitlements[d.entitlement as usize];
            if visible.is_some_and(|v| !v.get(e.household as usize).copied().unwrap_or(false)) {
                continue;
            }
            let prefix = *prefix_of.entry(d.place).or_insert_with(|| {
                let code = &self.places[d.place as usize];
                let cut = match level >= i64::from(domain::figures::SITE_LEVEL) && domain::figures::is_site_code(code) {
                    true => code.clone(),
                    false => code.chars().take(prefix_len.min(8)).collect(),
                };
                interned(&mut prefixes_map, &mut prefixes, cut)
            });
            let key = (e.dims, e.group, prefix);
            let row = *row_of.entry(key).or_insert_with(|| {
                rows.push((e.dims, e.group, prefix, 0, 0.0));
                rows.len() as u32 - 1
            });
            let counts = &mut rows[row as usize];
            counts.3 += 1;
            counts.4 += d.quantity;
            deliveries += 1;
            household_pairs.push(u64::from(row) << 32 | u64::from(e.household));
            all_households.push(e.household);
            for p in &self.covered[e.first as usize..(e.first + e.len) as usize] {
                people_pairs.push(u64::from(row) << 32 | u64::from(*p));
                all_people.push(*p);
            }
        }
        for list in [&mut people_pairs, &mut household_pairs] {
            list.sort_unstable();
            list.dedup();
        }
        for list in [&mut all_people, &mut all_households] {
            list.sort_unstable();
            list.dedup();
        }
        let mut counted: Vec<Counted> = rows
            .iter()
            .map(|(dims, group, prefix, n, quantity)| Counted {
                dims: self.dims[*dims as usize].clone(),
                group: self.groups[*group as usize].clone(),
                place: prefixes[*prefix as usize].clone(),
                people: 0,
                female: 0,
                male: 0,
                by_age: vec![0; AGE_BANDS.len()],
                households: 0,
                deliveries: *n,
                quantity: *quantity,
            })
            .collect();
        for pair in &people_pairs {
            let (row, person) = ((pair >> 32) as usize, (pair & 0xFFFF_FFFF) as usize);
            let (c, p) = (&mut counted[row], self.people[person]);
            c.people += 1;
            c.female += i64::from(p.female);
            c.male += i64::from(p.male);
            c.by_age[age_band(p.birth, to)] += 1;
        }
        for pair in &household_pairs {
            counted[(pair >> 32) as usize].households += 1;
        }
        Counts { rows: counted, people: all_people.len() as i64, households: all_households.len() as i64, deliveries }
    }

    /// Distinct people and households reached from `from` to `to` by deliveries of `kinds`,
    /// in each of `places` (each a set of P-code prefixes: a person counts once in each set
    /// that holds where they were reached), for the households `visible` (all when `None`).
    pub(crate) fn reached_in(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        kinds: &[&str],
        places: &[Vec<String>],
        visible: Option<&[bool]>,
    ) -> Vec<(i64, i64)> {
        let (first, last) = (from.num_days_from_ce(), to.num_days_from_ce());
        let start = self.deliveries.partition_point(|d| d.day < first);
        let wanted: Vec<bool> = self.dims.iter().map(|d| kinds.contains(&d[1].as_str())).collect();
        // Which of `places` each delivery place lies in, once per delivery place.
        let mut within: HashMap<u32, Vec<usize>> = HashMap::new();
        let (mut people, mut households): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
        for d in self.deliveries[start..].iter().take_while(|d| d.day <= last) {
            let e = &self.entitlements[d.entitlement as usize];
            if !wanted[e.dims as usize]
                || visible.is_some_and(|v| !v.get(e.household as usize).copied().unwrap_or(false))
            {
                continue;
            }
            let slots = within.entry(d.place).or_insert_with(|| {
                let code = &self.places[d.place as usize];
                let holds = |set: &Vec<String>| set.iter().any(|p| code.starts_with(p.as_str()));
                places.iter().enumerate().filter(|(_, set)| holds(set)).map(|(i, _)| i).collect()
            });
            for slot in slots.iter() {
                households.push((*slot as u64) << 32 | u64::from(e.household));
                for p in &self.covered[e.first as usize..(e.first + e.len) as usize] {
                    people.push((*slot as u64) << 32 | u64::from(*p));
                }
            }
        }
        let mut counts = vec![(0i64, 0i64); places.len()];
        for (list, people_side) in [(&mut people, true), (&mut households, false)] {
            list.sort_unstable();
            list.dedup();
            for pair in list.iter() {
                let c = &mut counts[(pair >> 32) as usize];
                if people_side {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
        counts
    }

    /// Distinct people (women, men) and households over `items` (a key and an entitlement
    /// each), per key. Items are ordered by key with a counting sort, then each person is
    /// stamped with the last key that counted them: linear, where sorting (key, person) pairs
    /// cost seconds on millions of deliveries.
    fn tally<K: Eq + std::hash::Hash + Clone>(&self, items: impl Iterator<Item = (K, u32)>) -> Vec<(K, Tally)> {
        let mut row_of: HashMap<K, u32> = HashMap::new();
        let mut keys: Vec<K> = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (key, entitlement) in items {
            let row = *row_of.entry(key.clone()).or_insert_with(|| {
                keys.push(key);
                keys.len() as u32 - 1
            });
            pairs.push((row, entitlement));
        }
        drop(row_of);
        let mut starts = vec![0u32; keys.len() + 1];
        for (row, _) in &pairs {
            starts[*row as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut ordered = vec![0u32; pairs.len()];
        for (row, entitlement) in &pairs {
            ordered[next[*row as usize] as usize] = *entitlement;
            next[*row as usize] += 1;
        }
        drop(pairs);
        let mut person_stamp = vec![u32::MAX; self.people.len()];
        let mut household_stamp = vec![u32::MAX; self.households.len()];
        let mut out = Vec::with_capacity(keys.len());
        for (row, key) in keys.into_iter().enumerate() {
            let mut t = Tally::default();
            for entitlement in &ordered[starts[row] as usize..starts[row + 1] as usize] {
                let e = &self.entitlements[*entitlement as usize];
                if household_stamp[e.household as usize] != row as u32 {
                    household_stamp[e.household as usize] = row as u32;
                    t.households += 1;
                }
                for p in &self.covered[e.first as usize..(e.first + e.len) as usize] {
                    if person_stamp[*p as usize] != row as u32 {
                        person_stamp[*p as usize] = row as u32;
                        let person = self.people[*p as usize];
                        t.people += 1;
                        t.female += i64::from(person.female);
                        t.male += i64::from(person.male);
                    }
                }
            }
            out.push((key, t));
        }
        out
    }

    /// Each place's code cut to `len` characters, as an index into the list of cut codes.
    fn places_cut_to(&self, len: usize) -> (Vec<u32>, Vec<String>) {
        let (mut map, mut list) = (HashMap::new(), Vec::new());
        let of = self.places.iter().map(|p| interned(&mut map, &mut list, p.chars().take(len).collect())).collect();
        (of, list)
    }

    fn visible(&self, e: &Entitlement, visible: Option<&[bool]>) -> bool {
        visible.is_none_or(|v| v.get(e.household as usize).copied().unwrap_or(false))
    }

    /// The 4W counted here, per organisation × sector × kind × place (cut to `level`: 1
    /// région, 2 cercle) × month × population group: people reached by deliveries within
    /// `from`–`to`, and people targeted by rounds that start within it (at their household's
    /// place).
    pub(crate) fn who_what_where(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        level: i64,
        visible: Option<&[bool]>,
    ) -> Vec<ActivityCount> {
        let (first, last) = (from.num_days_from_ce(), to.num_days_from_ce());
        // Places cut to the level before counting: a person reached at two cercles of one
        // région counts once in it.
        let (prefix_of, prefixes) = self.places_cut_to((2 + 2 * level.clamp(1, 2)) as usize);
        let month_of = |day: i32| {
            NaiveDate::from_num_days_from_ce_opt(day).map(|d| d.year() * 12 + d.month0() as i32).unwrap_or_default()
        };
        let start = self.deliveries.partition_point(|d| d.day < first);
        let reached = self.tally(self.deliveries[start..].iter().take_while(|d| d.day <= last).filter_map(|d| {
            let e = &self.entitlements[d.entitlement as usize];
            self.visible(e, visible)
                .then(|| ((e.dims, e.group, prefix_of[d.place as usize], month_of(d.day)), d.entitlement))
        }));
        let targeted = self.tally(
            self.entitlements
                .iter()
                .enumerate()
                .filter(|(_, e)| (first..=last).contains(&e.planned_day) && self.visible(e, visible))
                .map(|(i, e)| ((e.dims, e.group, prefix_of[e.home as usize], month_of(e.planned_day)), i as u32)),
        );
        let mut rows: HashMap<(u32, u32, u32, i32), ActivityCount> = HashMap::new();
        for (is_reached, counts) in [(true, reached), (false, targeted)] {
            for ((dims, group, place, month), t) in counts {
                let d = &self.dims[dims as usize];
                let row = rows.entry((dims, group, place, month)).or_insert_with(|| ActivityCount {
                    organisation: d[2].clone(),
                    sector: d[0].clone(),
                    kind: d[1].clone(),
                    place: prefixes[place as usize].clone(),
                    month: NaiveDate::from_ymd_opt(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1)
                        .unwrap_or(from),
                    group: self.groups[group as usize].clone(),
                    reached: Tally::default(),
                    targeted: Tally::default(),
                });
                *(if is_reached { &mut row.reached } else { &mut row.targeted }) = t;
            }
        }
        rows.into_values().collect()
    }

    /// Distinct people reached per sector × région (a P-code of 4 characters) × year by
    /// deliveries within `from`–`to`.
    pub(crate) fn reached_by_sector_region_year(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        visible: Option<&[bool]>,
    ) -> Vec<((String, String, i32), Tally)> {
        let (first, last) = (from.num_days_from_ce(), to.num_days_from_ce());
        let (regions, region_codes) = self.places_cut_to(4);
        let sectors: Vec<&str> = self.dims.iter().map(|d| d[0].as_str()).collect();
        let start = self.deliveries.partition_point(|d| d.day < first);
        let year_of = |day: i32| NaiveDate::from_num_days_from_ce_opt(day).map(|d| d.year()).unwrap_or_default();
        self.tally(self.deliveries[start..].iter().take_while(|d| d.day <= last).filter_map(|d| {
            let e = &self.entitlements[d.entitlement as usize];
            self.visible(e, visible)
                .then(|| ((sectors[e.dims as usize], regions[d.place as usize], year_of(d.day)), d.entitlement))
        }))
        .into_iter()
        .map(|((sector, region, year), t)| ((sector.to_string(), region_codes[region as usize].clone(), year), t))
        .collect()
    }
}

/// Distinct people (of them women and men) and households.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub people: i64,
    pub female: i64,
    pub male: i64,
    pub households: i64,
}

/// One row of the 4W counted from deliveries.
pub(crate) struct ActivityCount {
    pub organisation: String,
    pub sector: String,
    pub kind: String,
    pub place: String,
    pub month: NaiveDate,
    pub group: String,
    pub reached: Tally,
    pub targeted: Tally,
}
