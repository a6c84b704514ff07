//! Movement timelines. Events are replayed in date order through a small state machine that
//! refuses an inconsistent chronology and derives current location, status, number of
//! displacements, days displaced and back-and-forth movement.
//!
//! Ordering: by date (an imprecise date counts as its first day), then births first and deaths
//! last on the same day, then by recording order (`seq`).

use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::{MovementKind, Status};
use crate::messages::{code_label, Lang, Message};

/// One event as the timeline needs it. Locations are P-codes of the current gazetteer.
/// A place's code (P-code or site code) as events and figures carry it: stored inline up to 15
/// bytes, so copying one allocates nothing.
pub type PlaceCode = ecow::EcoString;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub kind: MovementKind,
    pub date: NaiveDate,
    pub from: Option<PlaceCode>,
    pub to: Option<PlaceCode>,
    /// Recording order, used to order events on the same day.
    pub seq: i64,
    /// Whether this event is the person's own (as opposed to their household's).
    pub own: bool,
}

impl Event {
    fn sort_key(&self) -> (NaiveDate, u8, i64) {
        let same_day_rank = match self.kind {
            MovementKind::Birth => 0,
            MovementKind::Death => 2,
            _ => 1,
        };
        (self.date, same_day_rank, self.seq)
    }
}

/// What was derived from a timeline, as of a given date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub status: Status,
    /// Current P-code; `None` when abroad, or when no event or registration says where.
    pub current_location: Option<String>,
    /// Displacements and secondary displacements.
    pub displacements: u32,
    pub pendular_visits: u32,
    pub returns: u32,
    /// Days spent with status `displaced`, up to the as-of date.
    pub days_displaced: i64,
    /// Pendular visits, or a return followed by a new displacement.
    pub moves_back_and_forth: bool,
    /// The date the current displacement began, when displaced.
    pub displaced_since: Option<NaiveDate>,
}

impl Summary {
    /// The state before any event: at `location`, never displaced.
    pub fn not_displaced(location: Option<String>) -> Summary {
        Summary {
            status: Status::NotDisplaced,
            current_location: location,
            displacements: 0,
            pendular_visits: 0,
            returns: 0,
            days_displaced: 0,
            moves_back_and_forth: false,
            displaced_since: None,
        }
    }
}

/// Why a timeline was refused. `event` is the one that could not happen; `conflicting` the
/// recorded event it conflicts with, when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChronologyError {
    pub event: String,
    pub kind: MovementKind,
    pub date: NaiveDate,
    pub conflicting_event: Option<String>,
    pub conflicting_kind: Option<MovementKind>,
    pub conflicting_date: Option<NaiveDate>,
    /// What the event may not do (in English in the API; pages render it in their language).
    #[schema(value_type = String)]
    pub problem: Box<Message>,
}

impl std::fmt::Display for ChronologyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(Lang::En, true))
    }
}

impl ChronologyError {
    /// The refusal in `lang` for a person: the event, what it may not do, and the event it
    /// conflicts with, each by kind and date.
    pub fn render(&self, lang: Lang) -> String {
        self.describe(lang, false)
    }

    /// With `ids`, events are also named by their id or input path (API clients, logs).
    fn describe(&self, lang: Lang, ids: bool) -> String {
        let (kind, date) = (code_label(lang, self.kind.as_str()), self.date);
        let problem = self.problem.render(lang);
        let id = |event: &str| match (ids, lang) {
            (false, _) => String::new(),
            (true, Lang::En) => format!(" (event {event})"),
            (true, Lang::Fr) => format!(" (événement {event})"),
        };
        let mut text = match lang {
            Lang::En => format!("{kind} on {date}{} {problem}", id(&self.event)),
            Lang::Fr => format!("{kind} du {date}{} : {problem}", id(&self.event)),
        };
        if let (Some(event), Some(other), Some(on)) =
            (&self.conflicting_event, self.conflicting_kind, self.conflicting_date)
        {
            let other = code_label(lang, other.as_str());
            text.push_str(&match lang {
                Lang::En => format!("; conflicts with {other} on {on}{}", id(event)),
                Lang::Fr => format!(" ; en conflit avec {other} du {on}{}", id(event)),
            });
        }
        text
    }
}

impl std::error::Error for ChronologyError {}

struct Replay<'a> {
    status: Status,
    location: Option<String>,
    displacements: u32,
    pendular_visits: u32,
    returns: u32,
    days_closed: i64,
    displaced_since: Option<NaiveDate>,
    back_and_forth: bool,
    last_displacement: Option<&'a Event>,
    last_departure: Option<&'a Event>,
    death: Option<&'a Event>,
    applied: usize,
}

impl<'a> Replay<'a> {
    fn new(initial_location: Option<String>) -> Self {
        Replay {
            status: Status::NotDisplaced,
            location: initial_location,
            displacements: 0,
            pendular_visits: 0,
            returns: 0,
            days_closed: 0,
            displaced_since: None,
            back_and_forth: false,
            last_displacement: None,
            last_departure: None,
            death: None,
            applied: 0,
        }
    }

    fn leave_displacement(&mut self, on: NaiveDate) {
        if let Some(since) = self.displaced_since.take() {
            self.days_closed += (on - since).num_days().max(0);
        }
    }

    fn apply(&mut self, ev: &'a Event, later: &'a [Event]) -> Result<(), ChronologyError> {
        let refuse = |problem: Message, conflicting: Option<&Event>| ChronologyError {
            problem: Box::new(problem),
            event: ev.id.clone(),
            kind: ev.kind,
            date: ev.date,
            conflicting_event: conflicting.map(|c| c.id.clone()),
            conflicting_kind: conflicting.map(|c| c.kind),
            conflicting_date: conflicting.map(|c| c.date),
        };
        if let Some(death) = self.death {
            return Err(refuse(Message::AfterDeath, Some(death)));
        }
        let first_later_displacement = || {
            later.iter().find(|e| matches!(e.kind, MovementKind::Displacement | MovementKind::SecondaryDisplacement))
        };
        let require_displaced = |this: &Self| {
            if this.status == Status::Displaced {
                Ok(())
            } else if this.displacements == 0 {
                Err(refuse(Message::BeforeAnyDisplacement, first_later_displacement()))
            } else {
                Err(refuse(Message::NeedsDisplaced { status: this.status.as_str().into() }, this.last_displacement))
            }
        };
        match ev.kind {
            MovementKind::Birth => {
                if self.applied > 0 {
                    return Err(refuse(Message::FirstEvent, None));
                }
                if ev.to.is_some() {
                    self.location = ev.to.as_deref().map(String::from);
                }
            }
            MovementKind::Death => {
                self.leave_displacement(ev.date);
                self.status = Status::Deceased;
                self.death = Some(ev);
            }
            MovementKind::Displacement => {
                if self.status == Status::Displaced {
                    return Err(refuse(Message::WhileDisplaced, self.last_displacement));
                }
                if self.status == Status::Abroad {
                    return Err(refuse(Message::WhileAbroad, self.last_departure));
                }
                if self.returns > 0 {
                    self.back_and_forth = true;
                }
                self.status = Status::Displaced;
                self.displaced_since = Some(ev.date);
                self.displacements += 1;
                self.last_displacement = Some(ev);
                self.location = ev.to.as_deref().map(String::from);
            }
            MovementKind::SecondaryDisplacement => {
                require_displaced(self)?;
                self.displacements += 1;
                self.last_displacement = Some(ev);
                self.location = ev.to.as_deref().map(String::from);
            }
            MovementKind::PendularVisit => {
                require_displaced(self)?;
                self.pendular_visits += 1;
                self.back_and_forth = true;
            }
            MovementKind::Return => {
                require_displaced(self)?;
                self.leave_displacement(ev.date);
                self.status = Status::Returned;
                self.returns += 1;
                self.location = ev.to.as_deref().map(String::from);
            }
            MovementKind::LocalIntegration => {
                require_displaced(self)?;
                self.leave_displacement(ev.date);
                self.status = Status::LocallyIntegrated;
                if ev.to.is_some() {
                    self.location = ev.to.as_deref().map(String::from);
                }
            }
            MovementKind::SettlementElsewhere => {
                require_displaced(self)?;
                self.leave_displacement(ev.date);
                self.status = Status::SettledElsewhere;
                self.location = ev.to.as_deref().map(String::from);
            }
            MovementKind::DepartureAbroad => {
                if self.status == Status::Abroad {
                    return Err(refuse(Message::WhileAlreadyAbroad, self.last_departure));
                }
                self.leave_displacement(ev.date);
                self.status = Status::Abroad;
                self.last_departure = Some(ev);
                self.location = None;
            }
            MovementKind::ArrivalFromAbroad => {
                if self.applied > 0 && self.status != Status::Abroad {
                    return Err(refuse(Message::NeedsAbroad, None));
                }
                self.status = Status::ArrivedFromAbroad;
                self.location = ev.to.as_deref().map(String::from);
            }
        }
        self.applied += 1;
        Ok(())
    }

    fn summary(self, as_of: NaiveDate) -> Summary {
        let open = self.displaced_since.map(|since| (as_of - since).num_days().max(0)).unwrap_or(0);
        Summary {
            status: self.status,
            current_location: self.location,
            displacements: self.displacements,
            pendular_visits: self.pendular_visits,
            returns: self.returns,
            days_displaced: self.days_closed + open,
            moves_back_and_forth: self.back_and_forth,
            displaced_since: self.displaced_since,
        }
    }
}

/// Sorts events into timeline order.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by_key(|e| e.sort_key());
}

/// Replays a household's (or a lone person's) events. `initial_location` is where the subject
/// was registered before any event placed them; events only up to `as_of` count.
pub fn replay(
    events: &[Event],
    initial_location: Option<String>,
    as_of: NaiveDate,
) -> Result<Summary, ChronologyError> {
    replay_seeded(events, initial_location, false, as_of)
}

fn replay_seeded(
    events: &[Event],
    initial_location: Option<String>,
    born_displaced: bool,
    as_of: NaiveDate,
) -> Result<Summary, ChronologyError> {
    let mut sorted = events.to_vec();
    sort_events(&mut sorted);
    let mut state = Replay::new(initial_location);
    if born_displaced {
        // A child born to a displaced household is displaced from birth (IRIS counts births
        // to IDPs as inflows), though never displaced by an event of its own.
        if let Some(birth) = sorted.first().filter(|e| e.kind == MovementKind::Birth) {
            state.status = Status::Displaced;
            state.displaced_since = Some(birth.date);
        }
    }
    // Every event is checked, even those after `as_of`, so the chronology is always whole;
    // only events up to `as_of` shape the summary.
    let mut summary_at_as_of = None;
    for (i, ev) in sorted.iter().enumerate() {
        if ev.date > as_of && summary_at_as_of.is_none() {
            summary_at_as_of = Some(clone_summary(&state, as_of));
        }
        state.apply(ev, &sorted[i + 1..])?;
    }
    Ok(summary_at_as_of.unwrap_or_else(|| state.summary(as_of)))
}

fn clone_summary(state: &Replay<'_>, as_of: NaiveDate) -> Summary {
    let open = state.displaced_since.map(|since| (as_of - since).num_days().max(0)).unwrap_or(0);
    Summary {
        status: state.status,
        current_location: state.location.clone(),
        displacements: state.displacements,
        pendular_visits: state.pendular_visits,
        returns: state.returns,
        days_displaced: state.days_closed + open,
        moves_back_and_forth: state.back_and_forth,
        displaced_since: state.displaced_since,
    }
}

/// The events that make a person's timeline: their household's events until the person
/// first moves apart from it (any own event but a pendular visit, a birth or a death), and
/// their own events. Household events before the person's birth or after their death do not
/// concern them.
pub fn person_events(household: &[Event], own: &[Event]) -> Vec<Event> {
    let mut own_sorted = own.to_vec();
    sort_events(&mut own_sorted);
    let detached_at = own_sorted
        .iter()
        .find(|e| !matches!(e.kind, MovementKind::PendularVisit | MovementKind::Birth | MovementKind::Death))
        .map(|e| e.sort_key());
    let born = own_sorted.iter().find(|e| e.kind == MovementKind::Birth).map(|e| e.date);
    let died = own_sorted.iter().find(|e| e.kind == MovementKind::Death).map(|e| e.date);
    let mut merged: Vec<Event> = household
        .iter()
        .filter(|e| detached_at.is_none_or(|at| e.sort_key() < at))
        .filter(|e| born.is_none_or(|b| e.date >= b))
        .filter(|e| died.is_none_or(|d| e.date <= d))
        .map(|e| Event { own: false, ..e.clone() })
        .collect();
    merged.extend(own_sorted.into_iter().map(|e| Event { own: true, ..e }));
    sort_events(&mut merged);
    merged
}

/// Replays a person's timeline: their household's events until they move apart (see
/// `person_events`) and their own. A person born into a displaced household starts displaced,
/// where the household was at the birth.
pub fn replay_person(
    household: &[Event],
    own: &[Event],
    initial_location: Option<String>,
    as_of: NaiveDate,
) -> Result<Summary, ChronologyError> {
    let merged = person_events(household, own);
    let birth = own.iter().find(|e| e.kind == MovementKind::Birth);
    let (location, born_displaced) = match birth {
        Some(birth) => {
            // The household as it was just before the birth: same-day household events come
            // after a birth in timeline order, and so belong to the child's own timeline.
            let before: Vec<Event> = household.iter().filter(|e| e.date < birth.date).cloned().collect();
            let at_birth = replay(&before, initial_location.clone(), birth.date)?;
            let location = birth.to.as_deref().map(String::from).or(at_birth.current_location).or(initial_location);
            (location, at_birth.status == Status::Displaced)
        }
        None => (initial_location, false),
    };
    replay_seeded(&merged, location, born_displaced, as_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MovementKind::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ev(id: &str, kind: MovementKind, date: &str, to: Option<&str>, seq: i64) -> Event {
        Event { id: id.into(), kind, date: day(date), from: None, to: to.map(Into::into), seq, own: false }
    }

    #[test]
    fn repeated_and_pendular_displacement_is_derived() {
        let events = vec![
            ev("e1", Displacement, "2019-03-01", Some("ML070101"), 1),
            ev("e2", SecondaryDisplacement, "2019-09-01", Some("ML090101"), 2),
            ev("e3", PendularVisit, "2020-01-10", Some("ML070101"), 3),
            ev("e4", Return, "2021-03-01", Some("ML070101"), 4),
            ev("e5", Displacement, "2022-03-01", Some("ML090101"), 5),
        ];
        let s = replay(&events, None, day("2022-03-11")).unwrap();
        assert_eq!(s.status, Status::Displaced);
        assert_eq!(s.current_location.as_deref(), Some("ML090101"));
        assert_eq!(s.displacements, 3);
        assert_eq!(s.pendular_visits, 1);
        assert!(s.moves_back_and_forth);
        // 2019-03-01 → 2021-03-01 is 731 days; then 10 days of the open displacement.
        assert_eq!(s.days_displaced, 731 + 10);
    }

    #[test]
    fn as_of_date_ignores_later_events_but_checks_them() {
        let events = vec![
            ev("e1", Displacement, "2019-03-01", Some("ML070101"), 1),
            ev("e2", Return, "2021-03-01", Some("ML060101"), 2),
        ];
        let s = replay(&events, Some("ML060101".into()), day("2020-03-01")).unwrap();
        assert_eq!(s.status, Status::Displaced);
        assert_eq!(s.days_displaced, 366);
    }

    #[test]
    fn return_before_any_displacement_names_the_displacement() {
        let events = vec![
            ev("disp", Displacement, "2020-03-01", Some("ML070101"), 1),
            ev("ret", Return, "2020-01-05", Some("ML060101"), 2),
        ];
        let err = replay(&events, None, day("2024-01-01")).unwrap_err();
        assert_eq!(err.event, "ret");
        assert_eq!(err.conflicting_event.as_deref(), Some("disp"));
        assert!(err.to_string().contains("before any displacement"), "{err}");
    }

    #[test]
    fn movement_after_death_is_refused() {
        let events =
            vec![ev("d", Death, "2020-03-01", None, 1), ev("m", Displacement, "2021-01-01", Some("ML070101"), 2)];
        let err = replay(&events, None, day("2024-01-01")).unwrap_err();
        assert_eq!((err.event.as_str(), err.conflicting_event.as_deref()), ("m", Some("d")));
    }

    #[test]
    fn person_follows_household_until_moving_apart() {
        let household = vec![
            ev("h1", Displacement, "2019-01-01", Some("ML070101"), 1),
            ev("h2", Return, "2021-01-01", Some("ML060101"), 3),
        ];
        let own = vec![ev("p1", SecondaryDisplacement, "2020-01-01", Some("ML090101"), 2)];
        let merged = person_events(&household, &own);
        let ids: Vec<&str> = merged.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["h1", "p1"]);
        let s = replay(&merged, None, day("2022-01-01")).unwrap();
        assert_eq!(s.current_location.as_deref(), Some("ML090101"));
        assert_eq!(s.status, Status::Displaced);
    }

    #[test]
    fn birth_to_displaced_household_starts_displaced_status_from_household() {
        let household = vec![ev("h1", Displacement, "2019-01-01", Some("ML070101"), 1)];
        let own = vec![ev("b", Birth, "2020-05-01", None, 2)];
        let merged = person_events(&household, &own);
        assert_eq!(merged.len(), 1, "household events before birth do not concern the child");
        let s = replay_person(&household, &own, None, day("2020-05-11")).unwrap();
        assert_eq!(s.status, Status::Displaced);
        assert_eq!(s.current_location.as_deref(), Some("ML070101"));
        assert_eq!((s.days_displaced, s.displacements), (10, 0));
    }

    #[test]
    fn a_birth_on_the_day_the_household_returns_is_born_displaced_then_returns() {
        let household = vec![
            ev("h1", Displacement, "2019-07-30", Some("ML050501"), 1),
            ev("h2", Return, "2020-01-30", Some("ML040304"), 2),
        ];
        let own = vec![ev("b", Birth, "2020-01-30", None, 3)];
        let s = replay_person(&household, &own, None, day("2020-02-01")).unwrap();
        assert_eq!((s.status, s.current_location.as_deref()), (Status::Returned, Some("ML040304")));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn kind_strategy() -> impl Strategy<Value = MovementKind> {
        proptest::sample::select(MovementKind::ALL.to_vec())
    }

    proptest! {
        // Whatever the history, a replay either refuses it or yields a summary whose counters
        // agree with the events it accepted.
        #[test]
        fn replay_is_total_and_consistent(kinds in proptest::collection::vec((kind_strategy(), 0i64..2000), 0..30)) {
            let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
            let events: Vec<Event> = kinds.iter().enumerate().map(|(i, (kind, offset))| Event {
                id: format!("e{i}"), kind: *kind, date: base + chrono::Duration::days(*offset),
                from: None, to: Some("ML070101".into()), seq: i as i64, own: true,
            }).collect();
            let as_of = base + chrono::Duration::days(3000);
            if let Ok(summary) = replay(&events, None, as_of) {
                let displacements = events.iter().filter(|e| matches!(e.kind,
                    MovementKind::Displacement | MovementKind::SecondaryDisplacement)).count();
                prop_assert_eq!(summary.displacements as usize, displacements);
                prop_assert!(summary.days_displaced >= 0);
                prop_assert!(summary.days_displaced <= 3000);
                if summary.status == Status::Displaced {
                    prop_assert!(summary.displaced_since.is_some());
                }
            }
        }
    }
}
