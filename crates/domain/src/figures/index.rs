//! The computed registry indexed for answering any date, place level and group quickly, built
//! once per registry version.

use super::*;

/// A count that changes on known dates: `dates` ascending, `totals[i]` the count from
/// `dates[i]` on. The count at any date is one binary search away.
#[derive(Debug, Clone, Default)]
struct Steps {
    dates: Vec<i32>,
    totals: Vec<i64>,
}

impl Steps {
    fn from_deltas(mut deltas: Vec<(i32, i64)>) -> Steps {
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
        steps
    }

    fn at(&self, date: i32) -> i64 {
        match self.dates.partition_point(|d| *d <= date) {
            0 => 0,
            i => self.totals[i - 1],
        }
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

/// An effect with its strings interned, ordered by date in the index.
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

/// Figures ready for any date: per cell (group × finest place × sex × age band) the dated
/// changes of its count, per group × place × level those of households, and every effect in
/// date order. Stock at a date costs a binary search per cell; flows a slice of effects.
/// `stock` and `flows` above give the same answers by plain scans (a property test checks).
pub struct FigureIndex {
    groups: Vec<String>,
    places: Vec<String>,
    people: Vec<(CellKey, Steps)>,
    households: [Vec<(GroupPlace, Steps)>; SITE_LEVEL as usize],
    effects: Vec<IndexedEffect>,
}

const UNKNOWN_PLACE: u32 = 0;

/// Interned group and place, with sex, age band and whether the person has returned (an IDP
/// still in the stock after a return).
type CellKey = (u16, u32, &'static str, &'static str, bool);
/// Interned group and place.
type GroupPlace = (u16, u32);
/// Changes of a count: (day number, +n or −n).
type Deltas = Vec<(i32, i64)>;

impl FigureIndex {
    /// Builds from households one at a time, so a large registry's timelines need not all be
    /// in memory at once.
    pub fn build(computed: impl IntoIterator<Item = ComputedHousehold>) -> FigureIndex {
        let mut groups: Vec<String> = Vec::new();
        let mut places: Vec<String> = vec!["unknown".into()];
        let mut place_ids: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut intern = |place: Option<&str>, places: &mut Vec<String>| -> u32 {
            let Some(place) = place else { return UNKNOWN_PLACE };
            if let Some(id) = place_ids.get(place) {
                return *id;
            }
            places.push(place.to_string());
            let id = (places.len() - 1) as u32;
            place_ids.insert(place.to_string(), id);
            id
        };
        let mut people: std::collections::HashMap<CellKey, Deltas> = std::collections::HashMap::new();
        let mut households: [std::collections::HashMap<GroupPlace, Deltas>; SITE_LEVEL as usize] = Default::default();
        let mut effects = Vec::new();
        for h in computed {
            let h = &h;
            let group = match groups.iter().position(|g| *g == h.population_group) {
                Some(i) => i as u16,
                None => {
                    groups.push(h.population_group.clone());
                    (groups.len() - 1) as u16
                }
            };
            let mut household_intervals: [std::collections::HashMap<u32, Vec<(i32, i32)>>; SITE_LEVEL as usize] =
                Default::default();
            for spell in &h.spells {
                let (sex, birth) = h.members[spell.member];
                let place = intern(spell.location.as_deref(), &mut places);
                let start = day_number(spell.start);
                let end = spell.end.map(day_number).unwrap_or(i32::MAX);
                // The person's age band changes on birthdays inside the spell.
                let mut cuts = vec![start];
                if let Some(b) = birth {
                    for years in [0, 5, 12, 18, 60] {
                        let d = day_number(birthday(b, years));
                        if d > start && d < end {
                            cuts.push(d);
                        }
                    }
                }
                cuts.sort_unstable();
                cuts.push(end);
                for pair in cuts.windows(2) {
                    let band = age_band(birth, NaiveDate::from_num_days_from_ce_opt(pair[0]).unwrap_or(NaiveDate::MIN));
                    let returned = spell.status == Status::Returned;
                    let deltas = people.entry((group, place, sex_label(sex), band, returned)).or_default();
                    deltas.push((pair[0], 1));
                    if pair[1] != i32::MAX {
                        deltas.push((pair[1], -1));
                    }
                }
                for level in 1..=SITE_LEVEL {
                    let at_level = intern(
                        Some(&place_at_level(spell.location.as_deref(), level))
                            .filter(|_| spell.location.is_some())
                            .map(String::as_str),
                        &mut places,
                    );
                    household_intervals[level as usize - 1].entry(at_level).or_default().push((start, end));
                }
            }
            // A household counts once per place while any member is there: union of intervals.
            for (level, by_place) in household_intervals.iter_mut().enumerate() {
                for (place, intervals) in by_place.iter_mut() {
                    intervals.sort_unstable();
                    let deltas = households[level].entry((group, *place)).or_default();
                    let mut current: Option<(i32, i32)> = None;
                    for &(s, e) in intervals.iter() {
                        current = match current {
                            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                            Some((cs, ce)) => {
                                deltas.push((cs, 1));
                                if ce != i32::MAX {
                                    deltas.push((ce, -1));
                                }
                                Some((s, e))
                            }
                            None => Some((s, e)),
                        };
                    }
                    if let Some((cs, ce)) = current {
                        deltas.push((cs, 1));
                        if ce != i32::MAX {
                            deltas.push((ce, -1));
                        }
                    }
                }
            }
            for e in &h.effects {
                effects.push(IndexedEffect {
                    date: day_number(e.date),
                    kind: e.kind,
                    stock_change: e.stock_change,
                    group,
                    household: h.id as u32,
                    from: intern(e.from.as_deref(), &mut places),
                    to: intern(e.to.as_deref(), &mut places),
                });
            }
        }
        effects.sort_by_key(|e| e.date);
        FigureIndex {
            groups,
            places,
            people: people.into_iter().map(|(k, d)| (k, Steps::from_deltas(d))).collect(),
            households: households.map(|h| h.into_iter().map(|(k, d)| (k, Steps::from_deltas(d))).collect()),
            effects,
        }
    }

    fn group_wanted(&self, group: u16, wanted: Option<&str>) -> bool {
        wanted.is_none_or(|w| self.groups[group as usize] == w)
    }

    fn place(&self, id: u32, level: u8) -> String {
        if id == UNKNOWN_PLACE {
            "unknown".into()
        } else {
            place_at_level(Some(&self.places[id as usize]), level)
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
            let name = match self.groups[*g as usize].as_str() {
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
                *households.entry((self.groups[*g as usize].clone(), self.place(*place, level))).or_default() +=
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
        let start = self.effects.partition_point(|e| e.date <= f);
        let end = self.effects.partition_point(|e| e.date <= t);
        let mut tally = FlowTally::default();
        for (g, name) in self.groups.iter().enumerate() {
            if self.group_wanted(g as u16, group) {
                tally.group(name);
            }
        }
        for e in &self.effects[start..end] {
            if self.group_wanted(e.group, group) {
                let places = || (self.place(e.from, level), self.place(e.to, level));
                tally.add(&self.groups[e.group as usize], e.household as u64, e.kind, places, e.stock_change);
            }
        }
        tally.finish(from, to, |name, on| match self.groups.iter().position(|g| g == name) {
            Some(g) => self.total(g as u16, day_number(on)),
            None => 0,
        })
    }
}
