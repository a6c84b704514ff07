//! Synthetic registrations with known duplicates, for tests and benchmarks: Malian names with
//! their common spelling variants, very common names (Mohamed, Aminata, Maïga, Touré…) as in
//! real lists, typos, swapped given and family names, birth dates known to the year only or off
//! by one or estimated from an age, missing fathers' names and phones, document numbers held by
//! some and not always recorded (sometimes mistyped), and people registered again after moving
//! to another commune. Deterministic for a seed.

use crate::model::Rng;
use crate::records::Input;

/// Spelling groups: one name, as different clerks write it.
const MALE: &[&[&str]] = &[
    &["Mohamed", "Mohammed", "Mahamadou", "Mouhamed", "Muhammad"],
    &["Moussa", "Mousa", "Musa"],
    &["Amadou", "Hamadou", "Ahmadou"],
    &["Oumar", "Omar", "Umar"],
    &["Boubacar", "Aboubacar", "Boubakar"],
    &["Ibrahim", "Ibrahima", "Brahim"],
    &["Ousmane", "Usman", "Othmane"],
    &["Abdoulaye", "Abdallah", "Abdoulahi"],
    &["Seydou", "Seidou", "Saydou"],
    &["Alhousseini", "Alhousseyni", "Alhouseini"],
    &["Hamidou", "Hamidu"],
    &["Souleymane", "Suleyman", "Soulemane"],
    &["Mamadou", "Mamadu"],
    &["Sidi", "Sidy"],
    &["Issa", "Isa"],
    &["Youssouf", "Yousouf", "Yusuf"],
    &["Adama"],
    &["Bakary", "Bakari"],
    &["Intalla", "Intala"],
    &["Attaher", "Ataher"],
    &["Aghaly", "Aghali", "Agaly"],
    &["Hassane", "Hasane", "Hassan"],
    &["Djibril", "Jibril", "Djibrilla"],
    &["Modibo"],
    &["Cheick", "Cheikh", "Shaykh"],
];

const FEMALE: &[&[&str]] = &[
    &["Aminata", "Aminatou", "Amina"],
    &["Fatoumata", "Fatimata", "Fatouma"],
    &["Mariam", "Mariama", "Maryam"],
    &["Aïssata", "Aissata", "Aïssatou"],
    &["Kadidia", "Kadidiatou", "Khadija"],
    &["Hawa", "Haoua"],
    &["Djénéba", "Jeneba", "Djeneba"],
    &["Oumou", "Umu"],
    &["Rokia", "Rokiatou", "Roukia"],
    &["Salimata", "Salamata"],
    &["Assétou", "Assetou"],
    &["Kadiatou", "Kadiatu"],
    &["Aïchatou", "Aichatou", "Aïcha"],
    &["Safiatou", "Safiatu"],
    &["Fadimata", "Fadimatou"],
    &["Tahara", "Tahra"],
    &["Zeinabou", "Zeynab", "Zenabou"],
    &["Nana"],
    &["Bintou", "Binta"],
    &["Awa", "Aoua"],
];

const FAMILY: &[&[&str]] = &[
    &["Maïga", "Maiga"],
    &["Touré", "Toure"],
    &["Traoré", "Traore"],
    &["Diallo", "Dialo"],
    &["Cissé", "Cisse", "Sissé"],
    &["Coulibaly", "Koulibaly", "Kulibali"],
    &["Keïta", "Keita"],
    &["Sidibé", "Sidibe"],
    &["Dicko", "Diko"],
    &["Sangaré", "Sangare"],
    &["Guindo", "Guindou"],
    &["Kassogué", "Kassogue"],
    &["Dembélé", "Dembele"],
    &["Koné", "Kone"],
    &["Diarra", "Jara"],
    &["Sissoko", "Sissoko"],
    &["Haïdara", "Haidara"],
    &["Yattara", "Yatara"],
    &["Ag Mohamed", "Ag-Mohamed", "Mohamed"],
    &["Ag Alhousseini", "Alhousseini", "Ag Alhousseyni"],
    &["Walet Intalla", "Intalla", "Welet Intalla"],
    &["Ould Sidi", "Ould-Sidi", "Sidi"],
    &["Ag Attaher", "Attaher"],
    &["Tamboura", "Tamboura"],
    &["Bah", "Ba"],
    &["Djiteye", "Jiteye"],
    &["Samaké", "Samake"],
    &["Doumbia", "Dumbia"],
    &["Tounkara", "Tunkara"],
    &["Kanté", "Kante"],
];

/// Syllables of the long tail of names: most people carry one of the common names above, the
/// rest one of thousands of rarer ones (Dakouo, Kamissoko, Sanogo…), made here from syllables.
const SYLLABLES: &[&str] = &[
    "ba", "bo", "da", "dia", "dou", "fa", "fo", "ga", "gui", "ha", "ka", "ki", "ko", "kou", "la", "ma", "mi", "mo",
    "na", "ni", "no", "ra", "sa", "se", "si", "so", "ta", "ti", "to", "tou", "ya", "za", "dja", "kha", "sou", "lo",
];

/// A rare name and its spellings (the same name with its transliteration variants).
fn tail_name(rng: &mut Rng) -> Vec<String> {
    let parts = 2 + rng.below(2);
    let mut name = String::new();
    for _ in 0..parts {
        name.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
    }
    let mut first = name.clone();
    first[..1].make_ascii_uppercase();
    let variant = name.replacen("ou", "u", 1).replacen("dj", "j", 1).replacen("kh", "k", 1);
    let mut second = if variant != name { variant } else { format!("{name}{}", &name[name.len() - 1..]) };
    second[..1].make_ascii_uppercase();
    vec![first, second]
}

/// A sample place hierarchy shaped like Mali's (10 régions, 5 cercles each, 8 communes each).
pub fn sample_places() -> Vec<(String, String, String)> {
    let mut places = Vec::new();
    for r in 1..=10 {
        for c in 1..=5 {
            for m in 1..=8 {
                places.push((format!("ML{r:02}"), format!("ML{r:02}{c:02}"), format!("ML{r:02}{c:02}{m:02}")));
            }
        }
    }
    places
}

pub struct Synthetic {
    pub inputs: Vec<Input>,
    /// The person each record is, in input order.
    pub truth: Vec<u64>,
}

/// A Zipf-like pick: a few names are very common, most are rare.
fn common<'a>(rng: &mut Rng, list: &'a [&'a [&'a str]]) -> &'a [&'a str] {
    let n = list.len();
    let x = rng.below(n * n);
    let index = n - 1 - (x as f64).sqrt() as usize;
    list[index.min(n - 1)]
}

fn typo(rng: &mut Rng, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.len() < 3 {
        return name.to_string();
    }
    let i = 1 + rng.below(chars.len() - 1);
    match rng.below(4) {
        0 => {
            chars.remove(i);
        }
        1 => chars.insert(i, chars[i - 1]),
        2 if i + 1 < chars.len() => chars.swap(i, i + 1),
        _ => chars[i] = (b'a' + rng.below(26) as u8) as char,
    }
    chars.into_iter().collect()
}

struct Person {
    given: Vec<String>,
    family: Vec<String>,
    father: Vec<String>,
    female: bool,
    year: u16,
    month: u8,
    day: u8,
    phone: Option<u32>,
    /// A national identity number, for a quarter of the people.
    document: Option<u64>,
    place: usize,
}

impl Person {
    /// A person with the given names, sex and year; day and month (for some) and a phone
    /// (for some) drawn; no document, the first place.
    fn drawn(rng: &mut Rng, [given, family, father]: [Vec<String>; 3], female: bool, year: u16) -> Person {
        let exact = rng.chance(0.4);
        Person {
            given,
            family,
            father,
            female,
            year,
            month: if exact { 1 + rng.below(12) as u8 } else { 0 },
            day: if exact { 1 + rng.below(28) as u8 } else { 0 },
            phone: rng.chance(0.45).then(|| 60_000_000 + rng.below(39_999_999) as u32),
            document: None,
            place: 0,
        }
    }
}

fn spelling(rng: &mut Rng, group: &[String]) -> String {
    // Clerks mostly write the common spelling.
    if rng.chance(0.7) {
        group[0].to_string()
    } else {
        group[rng.below(group.len())].to_string()
    }
}

/// Document numbers and estimated ages draw from a random sequence of their own (`extra`, one
/// per record), so every other value is what it was before they were generated.
fn record(
    rng: &mut Rng,
    extra: &mut Rng,
    person: &Person,
    places: &[(String, String, String)],
    again: bool,
    id: usize,
) -> Input {
    let mut given = spelling(rng, &person.given);
    let mut family = spelling(rng, &person.family);
    if again && rng.chance(0.08) {
        given = typo(rng, &given);
    }
    if again && rng.chance(0.06) {
        family = typo(rng, &family);
    }
    if again && rng.chance(0.05) {
        std::mem::swap(&mut given, &mut family);
    }
    let father = if rng.chance(if again { 0.45 } else { 0.6 }) { spelling(rng, &person.father) } else { String::new() };
    let birth = match rng.below(100) {
        // Registration lists know the full date for some, the year for most.
        n if n < 35 && person.month != 0 => format!("{}-{:02}-{:02}", person.year, person.month, person.day),
        n if n < 88 => person.year.to_string(),
        n if n < 95 => (person.year as i32 + if rng.chance(0.5) { 1 } else { -1 }).to_string(),
        _ => String::new(),
    };
    // A year only is often an age the clerk estimated, by up to four years either way.
    let birth = if birth.len() == 4 && extra.chance(0.3) {
        format!("~{}", person.year as i64 + extra.below(9) as i64 - 4)
    } else {
        birth
    };
    let identifiers = match person.document {
        Some(number) if extra.chance(0.7) => {
            let mut text = format!("{number:014}");
            if again && extra.chance(0.05) {
                text = typo(extra, &text);
            }
            vec![format!("national_id:{text}")]
        }
        _ => Vec::new(),
    };
    let phone = match person.phone {
        Some(p) if rng.chance(0.65) => format!("+223 {p:08}"),
        Some(_) if rng.chance(0.1) => format!("{:08}", 60_000_000 + rng.below(39_999_999)),
        _ => String::new(),
    };
    let place = if again && rng.chance(0.45) {
        // Registered again elsewhere, often nearby after a second displacement.
        let near = person.place - person.place % 8;
        if rng.chance(0.6) {
            near + rng.below(8)
        } else {
            rng.below(places.len())
        }
    } else {
        person.place
    };
    let (a1, a2, a3) = &places[place];
    Input {
        id: format!("R{id:07}"),
        given_name: given,
        family_name: family,
        father_name: father,
        sex: if rng.chance(0.02) {
            String::new()
        } else if person.female {
            "f".into()
        } else {
            "m".into()
        },
        birth_date: birth,
        phone,
        identifiers,
        admin1: a1.clone(),
        admin2: a2.clone(),
        admin3: a3.clone(),
        household: String::new(),
    }
}

/// `count` registrations of which about `duplicate_share` are repeats of another's person.
pub fn generate(count: usize, duplicate_share: f64, places: &[(String, String, String)], seed: u64) -> Synthetic {
    let mut rng = Rng::new(seed);
    let duplicates = (count as f64 * duplicate_share) as usize;
    let people = count - duplicates;
    let mut persons = Vec::with_capacity(people);
    for _ in 0..people {
        let female = rng.chance(0.52);
        let owned = |group: &[&str]| group.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        // About half the people carry a common name, the rest one from the long tail.
        let given = if rng.chance(0.55) {
            owned(common(&mut rng, if female { FEMALE } else { MALE }))
        } else {
            tail_name(&mut rng)
        };
        let family = if rng.chance(0.5) { owned(common(&mut rng, FAMILY)) } else { tail_name(&mut rng) };
        let father = if rng.chance(0.55) { owned(common(&mut rng, MALE)) } else { tail_name(&mut rng) };
        let year = 1940 + rng.below(80) as u16;
        let mut person = Person::drawn(&mut rng, [given, family, father], female, year);
        person.place = rng.below(places.len());
        persons.push(person);
    }
    let mut documents = Rng::new(seed ^ 0xD0C0_6E47);
    for person in &mut persons {
        if documents.chance(0.25) {
            person.document = Some(documents.below(99_999_999) as u64 * 1_000_000 + documents.below(999_999) as u64);
        }
    }
    let extra = |n: usize| Rng::new(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xE57);
    let mut inputs = Vec::with_capacity(count);
    let mut truth = Vec::with_capacity(count);
    for (i, person) in persons.iter().enumerate() {
        inputs.push(record(&mut rng, &mut extra(inputs.len()), person, places, false, inputs.len()));
        truth.push(i as u64);
    }
    for _ in 0..duplicates {
        let i = rng.below(people);
        inputs.push(record(&mut rng, &mut extra(inputs.len()), &persons[i], places, true, inputs.len()));
        truth.push(i as u64);
    }
    // Registration order mixes first and repeated registrations.
    for i in (1..inputs.len()).rev() {
        let j = rng.below(i + 1);
        inputs.swap(i, j);
        truth.swap(i, j);
    }
    Synthetic { inputs, truth }
}

/// `count` registrations made household by household, of which about `duplicate_share` are
/// repeats: most come back with their household (most of its members, under a new household
/// number, all in one place, the same place or another), some alone (married into another
/// household, or registered by themselves). A household is a head, often a spouse of another
/// family, and children who carry the head's family name and have the head as father.
pub fn generate_households(
    count: usize,
    duplicate_share: f64,
    places: &[(String, String, String)],
    seed: u64,
) -> Synthetic {
    let mut rng = Rng::new(seed ^ 0x4855_5345);
    let owned = |group: &[&str]| group.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let duplicates = (count as f64 * duplicate_share) as usize;
    let mut persons: Vec<Person> = Vec::new();
    let mut households: Vec<Vec<usize>> = Vec::new();
    let name =
        |rng: &mut Rng, list: &[&[&str]]| if rng.chance(0.55) { owned(common(rng, list)) } else { tail_name(rng) };
    while persons.len() < count - duplicates {
        let size = 1 + rng.below(4) + rng.below(5);
        let place = rng.below(places.len());
        let head_female = rng.chance(0.2);
        let family = if rng.chance(0.5) { owned(common(&mut rng, FAMILY)) } else { tail_name(&mut rng) };
        let head_given = name(&mut rng, if head_female { FEMALE } else { MALE });
        let head_year = 1950 + rng.below(50) as u16;
        let mut members = Vec::new();
        for k in 0..size {
            let (female, given, family, father, year) = match k {
                0 => (head_female, head_given.clone(), family.clone(), name(&mut rng, MALE), head_year),
                1 if !head_female => {
                    let family = if rng.chance(0.5) { owned(common(&mut rng, FAMILY)) } else { tail_name(&mut rng) };
                    (true, name(&mut rng, FEMALE), family, name(&mut rng, MALE), head_year + rng.below(10) as u16)
                }
                _ => {
                    let female = rng.chance(0.5);
                    let father = if head_female { name(&mut rng, MALE) } else { head_given.clone() };
                    let year = (head_year + 18 + rng.below(25) as u16).min(2020);
                    (female, name(&mut rng, if female { FEMALE } else { MALE }), family.clone(), father, year)
                }
            };
            members.push(persons.len());
            let mut person = Person::drawn(&mut rng, [given, family, father], female, year);
            person.document =
                rng.chance(0.25).then(|| rng.below(99_999_999) as u64 * 1_000_000 + rng.below(999_999) as u64);
            person.place = place;
            persons.push(person);
        }
        households.push(members);
    }
    let extra = |n: usize| Rng::new(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xE57);
    let mut inputs = Vec::with_capacity(count);
    let mut truth = Vec::with_capacity(count);
    let mut push =
        |rng: &mut Rng, person: usize, again: bool, place: usize, household: usize, inputs: &mut Vec<Input>| {
            let mut input = record(rng, &mut extra(inputs.len()), &persons[person], places, again, inputs.len());
            let (a1, a2, a3) = &places[place];
            (input.admin1, input.admin2, input.admin3) = (a1.clone(), a2.clone(), a3.clone());
            input.household = format!("H{household:07}");
            inputs.push(input);
            truth.push(person as u64);
        };
    for (h, members) in households.iter().enumerate() {
        for &person in members {
            push(&mut rng, person, false, persons[person].place, h, &mut inputs);
        }
    }
    let mut next_household = households.len();
    while inputs.len() < count {
        let members = &households[rng.below(households.len())];
        let home = persons[members[0]].place;
        // Registered again elsewhere, often nearby after a second displacement.
        let place = match rng.below(100) {
            n if n < 55 => home,
            n if n < 82 => home - home % 8 + rng.below(8),
            _ => rng.below(places.len()),
        };
        if rng.chance(0.25) {
            // One of them alone.
            let person = members[rng.below(members.len())];
            push(&mut rng, person, true, place, next_household, &mut inputs);
        } else {
            for &person in members {
                if inputs.len() < count && rng.chance(0.85) {
                    push(&mut rng, person, true, place, next_household, &mut inputs);
                }
            }
        }
        next_household += 1;
    }
    for i in (1..inputs.len()).rev() {
        let j = rng.below(i + 1);
        inputs.swap(i, j);
        truth.swap(i, j);
    }
    Synthetic { inputs, truth }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_registrations() {
        let places = sample_places();
        let a = generate(1000, 0.14, &places, 9);
        let b = generate(1000, 0.14, &places, 9);
        assert_eq!(a.truth, b.truth);
        assert!(a
            .inputs
            .iter()
            .zip(&b.inputs)
            .all(|(x, y)| x.given_name == y.given_name && x.birth_date == y.birth_date));
        let distinct: std::collections::HashSet<u64> = a.truth.iter().copied().collect();
        assert_eq!(distinct.len() + 140, 1000);
    }
}
