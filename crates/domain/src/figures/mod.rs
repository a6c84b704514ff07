//! Figures from the registry, per the UN's IRIS recommendations: a person enters the IDP stock
//! when displaced (or born to a displaced household) and leaves it only by a recorded solutions
//! decision, a departure abroad or death. A return is a movement, not an exit: returned IDPs stay
//! in the stock, with status `returned`, until a decision says they overcame their
//! displacement-related vulnerabilities.
//!
//! Households of other population groups (refugees, returnees, host community…) count as
//! present from their registration until they leave the country or die.
//!
//! Each person's history becomes *spells* (intervals with a constant place and status while in
//! a stock) and *effects* (what each event did, with its change to the stock). Stock at a date
//! is the spells that cover it; flows over a period are the effects inside it. Both come from
//! one walk over the timeline, so stock(end) = stock(start) + inflows − outflows holds by
//! construction, and a property test checks it.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::codes::{MovementKind, Sex, Status};
use crate::timeline::{person_events, sort_events, Event, PlaceCode};

/// The population group whose stock follows IRIS accounting.
pub const IDP: &str = "IDP";

/// Returned IDPs (HDX HAPI's `RDP`): IDPs whose last movement is a return and who have no
/// solutions decision yet. IRIS keeps them in the IDP stock; published series count them
/// apart, so comparisons and the population of concern split them out.
pub const RETURNED_IDP: &str = "RDP";

/// Everything the figures need about one household.
#[derive(Debug, Clone)]
pub struct HouseholdFacts {
    pub population_group: String,
    pub registration_date: NaiveDate,
    pub registered_location: Option<PlaceCode>,
    /// Events of the whole household.
    pub events: Vec<Event>,
    /// Solutions decisions for the whole household (dates).
    pub decisions: Vec<NaiveDate>,
    pub members: Vec<MemberFacts>,
}

impl HouseholdFacts {
    /// The household's and its members' events.
    pub fn all_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().chain(self.members.iter().flat_map(|m| m.events.iter()))
    }

    /// Whether a displacement of the household or of any member is recorded.
    pub fn displaced(&self) -> bool {
        self.all_events().any(|e| matches!(e.kind, MovementKind::Displacement))
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberFacts {
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// The person's own events (moving apart from the household, birth, death).
    pub events: Vec<Event>,
    /// Solutions decisions for this person alone.
    pub decisions: Vec<NaiveDate>,
}

/// An interval in which a person is in a stock at one place with one status: from `start`
/// (included) to `end` (excluded; `None` while it lasts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell {
    pub member: usize,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub location: Option<PlaceCode>,
    pub status: Status,
}

impl Spell {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|end| date < end)
    }
}

/// What changed a person's situation on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    Displacement,
    SecondaryDisplacement,
    PendularVisit,
    Return,
    LocalIntegration,
    SettlementElsewhere,
    DepartureAbroad,
    ArrivalFromAbroad,
    Birth,
    Death,
    /// A recorded solutions decision: the IRIS exit from the IDP stock.
    Solution,
    /// Registration of a non-IDP household: it enters its group's count.
    Registration,
}

impl From<MovementKind> for FlowKind {
    fn from(kind: MovementKind) -> Self {
        match kind {
            MovementKind::Displacement => FlowKind::Displacement,
            MovementKind::SecondaryDisplacement => FlowKind::SecondaryDisplacement,
            MovementKind::PendularVisit => FlowKind::PendularVisit,
            MovementKind::Return => FlowKind::Return,
            MovementKind::LocalIntegration => FlowKind::LocalIntegration,
            MovementKind::SettlementElsewhere => FlowKind::SettlementElsewhere,
            MovementKind::DepartureAbroad => FlowKind::DepartureAbroad,
            MovementKind::ArrivalFromAbroad => FlowKind::ArrivalFromAbroad,
            MovementKind::Birth => FlowKind::Birth,
            MovementKind::Death => FlowKind::Death,
        }
    }
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Displacement => "displacement",
            FlowKind::SecondaryDisplacement => "secondary_displacement",
            FlowKind::PendularVisit => "pendular_visit",
            FlowKind::Return => "return",
            FlowKind::LocalIntegration => "local_integration",
            FlowKind::SettlementElsewhere => "settlement_elsewhere",
            FlowKind::DepartureAbroad => "departure_abroad",
            FlowKind::ArrivalFromAbroad => "arrival_from_abroad",
            FlowKind::Birth => "birth",
            FlowKind::Death => "death",
            FlowKind::Solution => "solution",
            FlowKind::Registration => "registration",
        }
    }

    /// Kinds that move people from one place to another, for origin–destination matrices.
    pub fn moves_people(self) -> bool {
        matches!(
            self,
            FlowKind::Displacement
                | FlowKind::SecondaryDisplacement
                | FlowKind::Return
                | FlowKind::SettlementElsewhere
                | FlowKind::LocalIntegration
        )
    }
}

/// One event's effect on one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub member: usize,
    pub date: NaiveDate,
    pub kind: FlowKind,
    pub from: Option<PlaceCode>,
    pub to: Option<PlaceCode>,
    /// +1 entering the stock, −1 leaving it, 0 otherwise.
    pub stock_change: i8,
}

enum Item<'a> {
    Event(&'a Event),
    Decision(NaiveDate),
    Registration(NaiveDate),
}

impl Item<'_> {
    /// Same-day order: births, then movements, then decisions and registration.
    fn key(&self) -> (NaiveDate, u8, i64) {
        match self {
            Item::Event(e) if e.kind == MovementKind::Birth => (e.date, 0, e.seq),
            Item::Event(e) if e.kind == MovementKind::Death => (e.date, 2, e.seq),
            Item::Event(e) => (e.date, 1, e.seq),
            Item::Registration(d) => (*d, 1, i64::MAX),
            Item::Decision(d) => (*d, 3, 0),
        }
    }
}

struct Walk {
    member: usize,
    in_stock: bool,
    location: Option<PlaceCode>,
    status: Status,
    since: Option<NaiveDate>,
    spells: Vec<Spell>,
    effects: Vec<Effect>,
}

impl Walk {
    fn new(member: usize, location: Option<PlaceCode>) -> Walk {
        Walk {
            member,
            in_stock: false,
            location,
            status: Status::NotDisplaced,
            since: None,
            spells: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn effect(
        &mut self,
        date: NaiveDate,
        kind: FlowKind,
        from: Option<PlaceCode>,
        to: Option<PlaceCode>,
        stock_change: i8,
    ) {
        self.effects.push(Effect { member: self.member, date, kind, from, to, stock_change });
    }

    /// Applies a change at `date`: the spell so far closes with the old place and status.
    fn change(&mut self, date: NaiveDate, in_stock: bool, location: Option<PlaceCode>, status: Status) {
        if in_stock == self.in_stock && location == self.location && status == self.status {
            return;
        }
        if let Some(start) = self.since.take() {
            if start < date {
                self.spells.push(Spell {
                    member: self.member,
                    start,
                    end: Some(date),
                    location: self.location.clone(),
                    status: self.status,
                });
            }
        }
        self.in_stock = in_stock;
        self.location = location;
        self.status = status;
        if self.in_stock {
            self.since = Some(date);
        }
    }

    fn finish(mut self) -> (Vec<Spell>, Vec<Effect>) {
        if let Some(start) = self.since.take() {
            self.spells.push(Spell {
                member: self.member,
                start,
                end: None,
                location: self.location.clone(),
                status: self.status,
            });
        }
        (self.spells, self.effects)
    }
}

/// Walks one person's timeline under IRIS rules (IDP households) or presence rules (others).
/// `born_into_stock`: for a person with a birth event, whether the household was in the
/// stock that day and where.
fn walk_person(
    member: usize,
    events: &[Event],
    decisions: &[NaiveDate],
    idp: bool,
    registration: NaiveDate,
    initial_location: Option<PlaceCode>,
    born_into_stock: Option<(bool, Option<PlaceCode>)>,
) -> (Vec<Spell>, Vec<Effect>) {
    let mut items: Vec<Item<'_>> = events.iter().map(Item::Event).collect();
    // Members born after the household registered enter at their birth, not at registration.
    let born_after_registration = events.iter().any(|e| e.kind == MovementKind::Birth && e.date > registration);
    if idp {
        items.extend(decisions.iter().map(|d| Item::Decision(*d)));
    } else if !born_after_registration {
        items.push(Item::Registration(registration));
    }
    items.sort_by_key(Item::key);
    let mut w = Walk::new(member, initial_location);
    let mut alive = true;
    let mut abroad = false;
    for item in &items {
        match item {
            Item::Registration(date) => {
                if alive && !abroad && !w.in_stock {
                    let loc = w.location.clone();
                    w.change(*date, true, loc.clone(), w.status);
                    w.effect(*date, FlowKind::Registration, None, loc, 1);
                }
            }
            Item::Decision(date) => {
                if w.in_stock {
                    let loc = w.location.clone();
                    w.change(*date, false, loc.clone(), w.status);
                    w.effect(*date, FlowKind::Solution, loc, None, -1);
                }
            }
            Item::Event(e) => {
                let before = w.location.clone();
                let was_in = w.in_stock;
                let (mut in_stock, mut location, mut status) = (w.in_stock, w.location.clone(), w.status);
                match e.kind {
                    MovementKind::Birth => {
                        let (into_stock, at) = born_into_stock.clone().unwrap_or((false, None));
                        location = e.to.clone().or(at).or(location);
                        if idp {
                            in_stock = into_stock;
                            if into_stock {
                                status = Status::Displaced;
                            }
                        } else {
                            in_stock = born_after_registration;
                        }
                    }
                    MovementKind::Displacement => {
                        in_stock = in_stock || idp;
                        status = Status::Displaced;
                        location = e.to.clone();
                    }
                    MovementKind::SecondaryDisplacement => {
                        status = Status::Displaced;
                        location = e.to.clone();
                    }
                    MovementKind::PendularVisit => {}
                    MovementKind::Return => {
                        status = Status::Returned;
                        location = e.to.clone();
                    }
                    MovementKind::LocalIntegration => {
                        status = Status::LocallyIntegrated;
                        location = e.to.clone().or(location);
                    }
                    MovementKind::SettlementElsewhere => {
                        status = Status::SettledElsewhere;
                        location = e.to.clone();
                    }
                    MovementKind::DepartureAbroad => {
                        in_stock = false;
                        abroad = true;
                        status = Status::Abroad;
                        location = None;
                    }
                    MovementKind::ArrivalFromAbroad => {
                        abroad = false;
                        status = Status::ArrivedFromAbroad;
                        location = e.to.clone();
                        if !idp {
                            in_stock = true;
                        }
                    }
                    MovementKind::Death => {
                        in_stock = false;
                        alive = false;
                        status = Status::Deceased;
                    }
                }
                // Nothing brings the dead back into a count (the chronology check refuses such
                // events; figures stay sound even on data that slipped past it).
                in_stock &= alive;
                w.change(e.date, in_stock, location.clone(), status);
                let from = e.from.clone().or(before);
                let to = if e.kind == MovementKind::PendularVisit { e.to.clone() } else { location };
                let stock_change = i8::from(in_stock) - i8::from(was_in);
                w.effect(e.date, e.kind.into(), from, to, stock_change);
            }
        }
    }
    w.finish()
}

/// Spells and effects of every member of a household.
pub fn household_figures(h: &HouseholdFacts) -> (Vec<Spell>, Vec<Effect>) {
    let idp = h.population_group == IDP;
    let mut household_events = h.events.clone();
    sort_events(&mut household_events);
    let mut spells = Vec::new();
    let mut effects = Vec::new();
    for (i, member) in h.members.iter().enumerate() {
        let mut own = member.events.clone();
        sort_events(&mut own);
        let merged = person_events(&household_events, &own);
        let detached_at = own
            .iter()
            .find(|e| !matches!(e.kind, MovementKind::PendularVisit | MovementKind::Birth | MovementKind::Death))
            .map(|e| e.date);
        let birth = own.iter().find(|e| e.kind == MovementKind::Birth);
        // Household decisions concern members who still follow the household.
        let mut decisions: Vec<NaiveDate> =
            h.decisions.iter().copied().filter(|d| detached_at.is_none_or(|at| *d < at)).collect();
        decisions.extend(member.decisions.iter().copied());
        let born_into_stock = birth.map(|b| {
            // The household's own situation on the day of the birth.
            // Same-day household events come after a birth (timeline order): they are the child's.
            let before: Vec<Event> = household_events.iter().filter(|e| e.date < b.date).cloned().collect();
            let decided: Vec<NaiveDate> = h.decisions.iter().copied().filter(|d| *d < b.date).collect();
            let (hh_spells, _) = walk_person(
                usize::MAX,
                &before,
                &decided,
                idp,
                h.registration_date,
                h.registered_location.clone(),
                None,
            );
            let at_birth = hh_spells.iter().find(|s| s.covers(b.date));
            (at_birth.is_some(), at_birth.and_then(|s| s.location.clone()))
        });
        let (s, e) = walk_person(
            i,
            &merged,
            &decisions,
            idp,
            h.registration_date,
            h.registered_location.clone(),
            born_into_stock,
        );
        spells.extend(s);
        effects.extend(e);
    }
    (spells, effects)
}

/// Age bands of DTM and HDX datasets.
pub const AGE_BANDS: [&str; 6] = ["0-4", "5-11", "12-17", "18-59", "60+", "unknown"];

/// The age band of a person born on `birth` (if known), on `on`.
pub fn age_band(birth: Option<NaiveDate>, on: NaiveDate) -> &'static str {
    let Some(birth) = birth else { return "unknown" };
    if birth > on {
        return "unknown";
    }
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    match age {
        0..=4 => "0-4",
        5..=11 => "5-11",
        12..=17 => "12-17",
        18..=59 => "18-59",
        _ => "60+",
    }
}

/// The place a figure counts at for level 1 (région), 2 (cercle), 3 (commune) or 4 (site).
pub const SITE_LEVEL: u8 = 4;
/// At the site level, people who are not on a site.
pub const NO_SITE: &str = "no_site";

/// Whether a place code is a site's: its commune's P-code, "S" and a number (ML070101S001).
pub fn is_site_code(code: &str) -> bool {
    code.len() > 8 && code.as_bytes().get(8) == Some(&b'S')
}

/// The unit of admin level `level` that contains a P-code: P-codes nest by prefix (ML, ML07,
/// ML0701, ML070101), and site codes under their commune (ML070101S001). A code coarser than
/// the level is kept as it is; at the site level, a place that is not a site is `NO_SITE`.
pub fn place_at_level(pcode: Option<&str>, level: u8) -> String {
    match pcode {
        None => "unknown".to_string(),
        Some(code) if level >= SITE_LEVEL => {
            if is_site_code(code) {
                code.to_string()
            } else {
                NO_SITE.to_string()
            }
        }
        Some(code) => {
            let len = 2 + 2 * level as usize;
            code.get(..len).unwrap_or(code).to_string()
        }
    }
}

/// One cell of a stock table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct StockCell {
    pub population_group: String,
    pub place: String,
    pub sex: String,
    pub age_band: String,
    pub individuals: u64,
    /// Hidden by disclosure control (`suppress_stock`, `suppress_flows`): the counts read 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// Stock of people at a date, by group × place × sex × age band, and of households by group ×
/// place (a household counts where at least one member is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stock {
    pub cells: Vec<StockCell>,
    pub households: Vec<HouseholdCell>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct HouseholdCell {
    pub population_group: String,
    pub place: String,
    pub households: u64,
    pub individuals: u64,
    /// Hidden by disclosure control (`suppress_stock`, `suppress_flows`): the counts read 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// One household's computed figures, ready to aggregate.
#[derive(Debug, Clone)]
pub struct ComputedHousehold {
    pub id: usize,
    pub population_group: String,
    /// Sex and date of birth of each member, by member index.
    pub members: Vec<(Option<Sex>, Option<NaiveDate>)>,
    pub spells: Vec<Spell>,
    pub effects: Vec<Effect>,
    /// An IDP household with no displacement recorded: it cannot be in the IDP stock, and
    /// the figures say how many such households there are.
    pub idp_without_displacement: bool,
    /// The household's latest movement date.
    pub latest_event: Option<NaiveDate>,
}

pub fn compute(households: &[HouseholdFacts]) -> Vec<ComputedHousehold> {
    households.iter().enumerate().map(|(id, facts)| compute_one(id, facts)).collect()
}

pub fn compute_one(id: usize, facts: &HouseholdFacts) -> ComputedHousehold {
    let (spells, effects) = household_figures(facts);
    ComputedHousehold {
        id,
        population_group: facts.population_group.clone(),
        members: facts.members.iter().map(|m| (m.sex, m.birth_date)).collect(),
        spells,
        effects,
        idp_without_displacement: facts.population_group == IDP && !facts.displaced(),
        latest_event: facts.all_events().map(|e| e.date).max(),
    }
}

fn sex_label(sex: Option<Sex>) -> &'static str {
    match sex {
        Some(Sex::Female) => "f",
        Some(Sex::Male) => "m",
        None => "unknown",
    }
}

/// Stock at the end of `as_of`, at admin `level`, for one group or all.
pub fn stock(computed: &[ComputedHousehold], as_of: NaiveDate, level: u8, group: Option<&str>) -> Stock {
    let mut cells: BTreeMap<(String, String, &str, &str), u64> = BTreeMap::new();
    let mut households: BTreeMap<(String, String), (HashSet<usize>, u64)> = BTreeMap::new();
    for h in computed {
        let g = h.population_group.as_str();
        if group.is_some_and(|wanted| wanted != g) {
            continue;
        }
        for spell in h.spells.iter().filter(|s| s.covers(as_of)) {
            let (sex, birth) = h.members[spell.member];
            let place = place_at_level(spell.location.as_deref(), level);
            *cells.entry((g.to_string(), place.clone(), sex_label(sex), age_band(birth, as_of))).or_default() += 1;
            let entry = households.entry((g.to_string(), place)).or_default();
            entry.0.insert(h.id);
            entry.1 += 1;
        }
    }
    Stock {
        cells: cells
            .into_iter()
            .map(|((population_group, place, sex, age_band), individuals)| StockCell {
                population_group,
                place,
                sex: sex.to_string(),
                age_band: age_band.to_string(),
                individuals,
                suppressed: false,
            })
            .collect(),
        households: households
            .into_iter()
            .map(|((population_group, place), (ids, individuals))| HouseholdCell {
                population_group,
                place,
                households: ids.len() as u64,
                individuals,
                suppressed: false,
            })
            .collect(),
    }
}

/// Individuals and households per kind of event in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FlowCount {
    pub population_group: String,
    pub kind: FlowKind,
    pub individuals: u64,
    pub households: u64,
    /// Hidden by disclosure control (`suppress_stock`, `suppress_flows`): the counts read 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OriginDestination {
    pub population_group: String,
    pub kind: FlowKind,
    pub origin: String,
    pub destination: String,
    pub individuals: u64,
    /// Hidden by disclosure control (`suppress_stock`, `suppress_flows`): the counts read 0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

/// The stock-and-flow account of one group over a period: stock(end) = stock(start) +
/// inflows − outflows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StockAndFlow {
    pub population_group: String,
    pub stock_start: u64,
    pub inflows: u64,
    pub outflows: u64,
    pub stock_end: u64,
    /// Inflows and outflows by kind (displacement, birth, solution, death…).
    pub inflows_by_kind: BTreeMap<String, u64>,
    pub outflows_by_kind: BTreeMap<String, u64>,
    /// What disclosure control hid (read 0): `stock_start`, `inflows`, `outflows`,
    /// `stock_end`, and `inflows.KIND` / `outflows.KIND` for entries by kind.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub hidden: std::collections::BTreeSet<String>,
}

impl StockAndFlow {
    pub fn is_hidden(&self, field: &str) -> bool {
        self.hidden.contains(field)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Flows {
    /// The period is (from, to]: events after `from` up to and including `to`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub counts: Vec<FlowCount>,
    pub matrix: Vec<OriginDestination>,
    pub accounts: Vec<StockAndFlow>,
}

fn total(computed: &[ComputedHousehold], on: NaiveDate, group: &str) -> u64 {
    computed
        .iter()
        .filter(|h| h.population_group == group)
        .map(|h| h.spells.iter().filter(|s| s.covers(on)).count() as u64)
        .sum()
}

/// Individuals per kind of event (inflows or outflows).
type KindCounts = BTreeMap<String, u64>;

/// Flows in the period (from, to], with the origin–destination matrix at admin `level`.
pub fn flows(computed: &[ComputedHousehold], from: NaiveDate, to: NaiveDate, level: u8, group: Option<&str>) -> Flows {
    let mut tally = FlowTally::default();
    for h in computed {
        let g = h.population_group.as_str();
        if group.is_some_and(|wanted| wanted != g) {
            continue;
        }
        tally.group(g);
        for e in h.effects.iter().filter(|e| from < e.date && e.date <= to) {
            let places = || (place_at_level(e.from.as_deref(), level), place_at_level(e.to.as_deref(), level));
            tally.add(g, h.id as u64, e.kind, places, e.stock_change);
        }
    }
    tally.finish(from, to, |g, on| total(computed, on, g))
}

/// What flows add up: individuals and households per kind, origin–destination pairs, and
/// each group's inflows and outflows.
#[derive(Default)]
struct FlowTally {
    counts: BTreeMap<(String, FlowKind), (u64, HashSet<u64>)>,
    matrix: BTreeMap<(String, FlowKind, String, String), u64>,
    accounts: BTreeMap<String, (KindCounts, KindCounts)>,
}

impl FlowTally {
    /// A group gets an account even when nothing happened to it in the period.
    fn group(&mut self, group: &str) {
        if !self.accounts.contains_key(group) {
            self.accounts.insert(group.to_string(), Default::default());
        }
    }

    fn add(
        &mut self,
        group: &str,
        household: u64,
        kind: FlowKind,
        places: impl FnOnce() -> (String, String),
        stock_change: i8,
    ) {
        self.count(group, kind, 1, [household]);
        if kind.moves_people() {
            let (origin, destination) = places();
            self.route(group, kind, origin, destination, 1);
        }
        self.account(group, kind, stock_change, 1);
    }

    /// `individuals` effects of one kind on people of these households.
    fn count(&mut self, group: &str, kind: FlowKind, individuals: u64, households: impl IntoIterator<Item = u64>) {
        let entry = self.counts.entry((group.to_string(), kind)).or_default();
        entry.0 += individuals;
        entry.1.extend(households);
        self.group(group);
    }

    /// `individuals` moved from `origin` to `destination`.
    fn route(&mut self, group: &str, kind: FlowKind, origin: String, destination: String, individuals: u64) {
        *self.matrix.entry((group.to_string(), kind, origin, destination)).or_default() += individuals;
    }

    /// `individuals` entering (`stock_change` 1) or leaving (−1) the group's stock by `kind`.
    fn account(&mut self, group: &str, kind: FlowKind, stock_change: i8, individuals: u64) {
        self.group(group);
        if let Some(account) = self.accounts.get_mut(group) {
            match stock_change {
                1 => *account.0.entry(kind.as_str().to_string()).or_default() += individuals,
                -1 => *account.1.entry(kind.as_str().to_string()).or_default() += individuals,
                _ => {}
            }
        }
    }

    /// `stock_at(group, date)`: the group's stock at a date, for the accounts.
    fn finish(self, from: NaiveDate, to: NaiveDate, stock_at: impl Fn(&str, NaiveDate) -> u64) -> Flows {
        Flows {
            from,
            to,
            counts: self
                .counts
                .into_iter()
                .map(|((population_group, kind), (individuals, households))| FlowCount {
                    population_group,
                    kind,
                    individuals,
                    households: households.len() as u64,
                    suppressed: false,
                })
                .collect(),
            matrix: self
                .matrix
                .into_iter()
                .map(|((population_group, kind, origin, destination), individuals)| OriginDestination {
                    population_group,
                    kind,
                    origin,
                    destination,
                    individuals,
                    suppressed: false,
                })
                .collect(),
            accounts: self
                .accounts
                .into_iter()
                .map(|(population_group, (inflows_by_kind, outflows_by_kind))| StockAndFlow {
                    stock_start: stock_at(&population_group, from),
                    stock_end: stock_at(&population_group, to),
                    inflows: inflows_by_kind.values().sum(),
                    outflows: outflows_by_kind.values().sum(),
                    population_group,
                    inflows_by_kind,
                    outflows_by_kind,
                    hidden: Default::default(),
                })
                .collect(),
        }
    }
}

mod disclosure;
pub use disclosure::*;
mod index;
pub use index::*;
mod reports;
pub use reports::*;

#[cfg(test)]
mod tests;
