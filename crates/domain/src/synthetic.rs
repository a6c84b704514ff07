//! A deterministic synthetic operation in Mali, for the demo, tests and benchmarks: households
//! with realistic names and sizes, and movement histories with repeated and pendular
//! displacement, returns, births, deaths and solutions decisions. The same seed gives the same
//! registry, whatever the day it runs (all dates are fixed, 2018–2024).

use chrono::NaiveDate;

use crate::codes::*;
use crate::dates::FuzzyDate;
use crate::registry::{NewHousehold, NewMovement, NewPerson};

/// A small deterministic generator (PCG-style LCG): no dependency, same stream everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 16
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() % 1_000_000) as f64 / 1_000_000.0 < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FEMALE: &[&str] = &[
    "Aminata",
    "Fatoumata",
    "Mariam",
    "Awa",
    "Aïssata",
    "Kadiatou",
    "Oumou",
    "Hawa",
    "Djeneba",
    "Rokia",
    "Fanta",
    "Assitan",
    "Salimata",
    "Nana",
    "Safiatou",
    "Zeinabou",
    "Tata",
    "Bintou",
    "Haoua",
    "Fadimata",
    "Lalla",
    "Mata",
    "Aïcha",
    "Raki",
];
const MALE: &[&str] = &[
    "Mamadou",
    "Moussa",
    "Oumar",
    "Ibrahim",
    "Boubacar",
    "Abdoulaye",
    "Amadou",
    "Seydou",
    "Souleymane",
    "Modibo",
    "Hamidou",
    "Issa",
    "Mahamadou",
    "Alhousseini",
    "Sidi",
    "Bakary",
    "Adama",
    "Yacouba",
    "Hamadoun",
    "Aboubacrine",
    "Mohamed",
    "Attaher",
];
const FAMILY: &[&str] = &[
    "Maïga",
    "Touré",
    "Cissé",
    "Traoré",
    "Diallo",
    "Coulibaly",
    "Keïta",
    "Sidibé",
    "Dicko",
    "Sangaré",
    "Diarra",
    "Konaté",
    "Sow",
    "Ba",
    "Tamboura",
    "Guindo",
    "Dembélé",
    "Kanouté",
    "Ag Mohamed",
    "Ag Attaher",
    "Walet Alhassane",
    "Ould Sidi",
    "Haïdara",
    "Bocoum",
    "Cissoko",
    "Yattara",
];

/// Where the demo's people come from and go to: conflict régions first, then the towns and
/// Bamako that receive them.
pub struct Places {
    /// Communes of each région of origin (Gao, Tombouctou, Mopti, Ménaka, Ségou).
    pub origins: Vec<Vec<String>>,
    /// Communes that receive displaced people (including Bamako's).
    pub destinations: Vec<String>,
}

fn date(days_since_2018: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default() + chrono::Duration::days(days_since_2018)
}

/// The last date any synthetic event or registration uses.
pub fn last_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 30).unwrap_or_default()
}

fn day(d: NaiveDate) -> FuzzyDate {
    FuzzyDate::day(d)
}

fn person(rng: &mut Rng, family: &str, sex: Sex, birth: NaiveDate, relationship: Relationship, id: usize) -> NewPerson {
    let given = if sex == Sex::Female { rng.pick(FEMALE) } else { rng.pick(MALE) };
    let precision = if rng.chance(0.35) { DatePrecision::Year } else { DatePrecision::Day };
    let birth = match precision {
        DatePrecision::Year => NaiveDate::from_ymd_opt(chrono::Datelike::year(&birth), 1, 1).unwrap_or(birth),
        _ => birth,
    };
    let mut missing = Vec::new();
    let mut held = Vec::new();
    if rng.chance(0.5) {
        missing.push(Document::BirthCertificate);
    } else {
        held.push(Document::BirthCertificate);
    }
    if relationship == Relationship::Head {
        if rng.chance(0.45) {
            missing.push(Document::NationalId);
        } else {
            held.push(Document::NationalId);
        }
    }
    let mut needs = Vec::new();
    if rng.chance(0.04) {
        needs.push(SpecificNeed::Disability);
    }
    if rng.chance(0.02) {
        needs.push(SpecificNeed::SeriousMedicalCondition);
    }
    NewPerson {
        external_id: Some(id.to_string()),
        given_name: (*given).to_string(),
        family_name: family.to_string(),
        father_name: Some((*rng.pick(MALE)).to_string()),
        other_spellings: Vec::new(),
        sex: Some(sex),
        birth_date: Some(FuzzyDate { date: birth, precision }),
        relationship: Some(relationship),
        documents_held: held,
        documents_missing: missing,
        specific_needs: needs,
        phone: None,
        identifiers: Vec::new(),
    }
}

/// A national identity number for those who hold the card: 14 digits drawn from the
/// household's and the member's numbers (distinct for every person), not from the random
/// sequence, so every other synthetic value stays as it was.
fn national_number(household: usize, member: usize) -> crate::Identifier {
    let mixed = ((household as u64) << 8 | member as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let number = format!("{:014}", mixed % 100_000_000_000_000);
    crate::Identifier { kind: IdentifierKind::NationalId, number }
}

fn movement(
    kind: MovementKind,
    on: NaiveDate,
    from: Option<&str>,
    to: Option<&str>,
    cause: Option<Cause>,
) -> NewMovement {
    NewMovement {
        external_id: None,
        person: None,
        kind,
        date: day(on),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        country: None,
        cause,
        source: Some("synthetic demo".into()),
    }
}

/// A synthetic household and the solutions decisions (dates) it received.
pub struct SyntheticHousehold {
    pub household: NewHousehold,
    pub solution: Option<NaiveDate>,
}

/// Generates `count` households, the same ones for the same seed.
pub fn generate(seed: u64, count: usize, places: &Places) -> Vec<SyntheticHousehold> {
    let mut rng = Rng::new(seed);
    let end = (last_date() - date(0)).num_days();
    (0..count).map(|n| household(&mut rng, n, places, end)).collect()
}

fn household(rng: &mut Rng, n: usize, places: &Places, end: i64) -> SyntheticHousehold {
    let family = *rng.pick(FAMILY);
    let size = 1 + rng.below(4) + rng.below(4) + rng.below(4); // 1–10, mean about 5.5
    let region = rng.below(places.origins.len());
    let origin = rng.pick(&places.origins[region]).clone();
    let group_roll = rng.below(100);
    let group = match group_roll {
        0..=79 => "IDP",
        80..=89 => "REF",
        _ => "RET",
    };
    // First event between 2018 and mid-2023; registration some weeks to months later.
    let first = rng.below(end as usize - 400) as i64;
    let mut events: Vec<NewMovement> = Vec::new();
    let mut solution = None;
    let mut here = origin.clone();
    let cause = match rng.below(10) {
        0..=5 => Cause::ArmedConflict,
        6..=7 => Cause::IntercommunalViolence,
        8 => Cause::Flood,
        _ => Cause::Drought,
    };
    let mut last = first;
    let mut displaced_spells: Vec<(i64, i64)> = Vec::new();
    if group == "IDP" {
        let target = if rng.chance(0.6) {
            rng.pick(&places.origins[region]).clone()
        } else {
            rng.pick(&places.destinations).clone()
        };
        let target = if target == origin { rng.pick(&places.destinations).clone() } else { target };
        events.push(movement(MovementKind::Displacement, date(first), Some(&origin), Some(&target), Some(cause)));
        here = target;
        let mut displaced = true;
        // Days displaced, for the head's own visits below.
        let mut since = first;
        // Up to eight further steps: secondary displacements, pendular visits, returns and
        // new displacements after a return (about five events a household in all, as the
        // registries of the Sahel record them).
        for _ in 0..1 + rng.below(8) {
            let gap = 30 + rng.below(300) as i64;
            if last + gap >= end - 30 {
                break;
            }
            last += gap;
            let roll = rng.below(100);
            if displaced && roll < 30 {
                let next = rng.pick(&places.destinations).clone();
                if next != here {
                    events.push(movement(
                        MovementKind::SecondaryDisplacement,
                        date(last),
                        Some(&here),
                        Some(&next),
                        Some(cause),
                    ));
                    here = next;
                }
            } else if displaced && roll < 60 {
                events.push(movement(MovementKind::PendularVisit, date(last), Some(&here), Some(&origin), None));
            } else if displaced && roll < 85 {
                events.push(movement(MovementKind::Return, date(last), Some(&here), Some(&origin), None));
                here = origin.clone();
                displaced = false;
                displaced_spells.push((since, last));
            } else if !displaced {
                let next = rng.pick(&places.destinations).clone();
                events.push(movement(
                    MovementKind::Displacement,
                    date(last),
                    Some(&here),
                    Some(&next),
                    Some(Cause::ArmedConflict),
                ));
                here = next;
                displaced = true;
                since = last;
            }
        }
        if displaced {
            displaced_spells.push((since, end));
        }
        if !displaced && rng.chance(0.15) && last + 200 < end {
            solution = Some(date(last + 180));
        }
    } else {
        let country = if rng.chance(0.5) { "BFA" } else { "NER" };
        let mut arrival = movement(MovementKind::ArrivalFromAbroad, date(first), None, Some(&origin), None);
        arrival.country = Some(country.into());
        events.push(arrival);
    }
    let registered = (last + 15 + rng.below(120) as i64).min(end);
    // Members: a head, often a spouse, children, sometimes a parent.
    let head_sex = if rng.chance(0.3) { Sex::Female } else { Sex::Male };
    let head_birth = date(0) - chrono::Duration::days((20 + rng.below(45)) as i64 * 365 + rng.below(365) as i64);
    let mut members = vec![person(rng, family, head_sex, head_birth, Relationship::Head, 1)];
    if size > 1 && rng.chance(0.8) {
        let sex = if head_sex == Sex::Male { Sex::Female } else { Sex::Male };
        let birth = head_birth + chrono::Duration::days(rng.below(3000) as i64);
        members.push(person(rng, family, sex, birth, Relationship::Spouse, 2));
    }
    while members.len() < size {
        let id = members.len() + 1;
        let sex = if rng.chance(0.5) { Sex::Female } else { Sex::Male };
        let born_after_first = rng.chance(0.12);
        if born_after_first && last + 60 < registered {
            // Born during displacement: a birth event of the child's own.
            let born = date(first + 30 + rng.below((registered - first - 30).max(1) as usize) as i64);
            let mut child = person(rng, family, sex, born, Relationship::Child, id);
            child.birth_date = Some(day(born));
            let mut birth = movement(MovementKind::Birth, born, None, None, None);
            birth.person = Some(id.to_string());
            events.push(birth);
            members.push(child);
        } else {
            let birth = date(0) - chrono::Duration::days(rng.below(17 * 365) as i64);
            let relationship = if rng.chance(0.9) { Relationship::Child } else { Relationship::OtherRelative };
            members.push(person(rng, family, sex, birth, relationship, id));
        }
    }
    for (i, member) in members.iter_mut().enumerate() {
        if member.documents_held.contains(&Document::NationalId) {
            member.identifiers.push(national_number(n, i + 1));
        }
    }
    // A head often goes back alone to check on the house or the fields, and comes back: only
    // while the household is displaced, on days of no other event.
    if group == "IDP" && rng.chance(0.5) {
        let taken: Vec<i64> = events.iter().map(|e| (e.date.date - date(0)).num_days()).collect();
        for (start, stop) in displaced_spells.iter().copied() {
            let mut at = start;
            for _ in 0..1 + rng.below(3) {
                at += 20 + rng.below(150) as i64;
                if at >= stop.min(registered) {
                    break;
                }
                if taken.contains(&at) {
                    continue;
                }
                let mut visit = movement(MovementKind::PendularVisit, date(at), None, Some(&origin), None);
                visit.person = Some("1".into());
                events.push(visit);
            }
        }
    }
    if members.len() > 3 && rng.chance(0.02) {
        let mut death = movement(MovementKind::Death, date((registered + 30).min(end)), None, None, None);
        death.person = Some("1".into());
        events.push(death);
    }
    events.sort_by_key(|e| e.date.date);
    let registration_point = here.clone();
    SyntheticHousehold {
        household: NewHousehold {
            external_id: format!("DEMO-{n:06}"),
            organisation: None,
            registration_point,
            registration_date: date(registered),
            population_group: group.to_string(),
            origin: Some(origin),
            current_location: None,
            shelter_type: Some(*rng.pick(&[
                ShelterType::HostFamily,
                ShelterType::Site,
                ShelterType::Rented,
                ShelterType::Makeshift,
            ])),
            intention: Some(*rng.pick(&[
                Intention::Return,
                Intention::IntegrateLocally,
                Intention::Undecided,
                Intention::SettleElsewhere,
            ])),
            members,
            movements: events,
        },
        solution,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{replay, Event};

    fn places() -> Places {
        Places {
            origins: vec![vec!["ML070101".into(), "ML070201".into()], vec!["ML060101".into()]],
            destinations: vec!["ML090101".into(), "ML050101".into()],
        }
    }

    #[test]
    fn same_seed_same_registry_and_consistent_timelines() {
        let a = generate(7, 300, &places());
        let b = generate(7, 300, &places());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.household, y.household);
        }
        for h in &a {
            let events: Vec<Event> = h
                .household
                .movements
                .iter()
                .enumerate()
                .filter(|(_, m)| m.person.is_none())
                .map(|(i, m)| m.event(i.to_string(), i as i64))
                .collect();
            replay(&events, None, last_date()).expect("a consistent synthetic history");
            assert!(h.household.registration_date <= last_date());
            assert!(!h.household.members.is_empty());
        }
        let mean = a.iter().map(|h| h.household.members.len()).sum::<usize>() as f64 / a.len() as f64;
        assert!((4.0..7.0).contains(&mean), "mean household size {mean}");
    }
}
