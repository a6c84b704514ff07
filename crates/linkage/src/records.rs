//! Records prepared for linkage: every name standardised once and interned, so comparisons
//! work on small integers and short byte strings, and every value's frequency is known for
//! the term-frequency adjustment.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::standardise::{key, standardise};

/// One registration as read: any field may be empty.
#[derive(Clone, Default)]
pub struct Input {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub father_name: String,
    /// `m`, `f` or empty.
    pub sex: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, or empty.
    pub birth_date: String,
    pub phone: String,
    /// Document numbers, each `kind:number` (`national_id:1234…`) or a bare number; compared
    /// in their normal form (letters and digits, upper case).
    pub identifiers: Vec<String>,
    pub admin1: String,
    pub admin2: String,
    pub admin3: String,
    /// The household (or family group) the record belongs to, when known: a household
    /// registered again brings its other members, and their agreement is evidence.
    pub household: String,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names, dates and phones are personal data: never in debug output.
        f.debug_struct("Input").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A birth date as known: year, and month and day when known (0 when not); `estimated` when
/// the year comes from an age someone guessed (`~1985`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Birth {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub estimated: bool,
}

impl Birth {
    /// `None` for an empty or unreadable date (treated as unknown). A leading `~` marks a year
    /// derived from an estimated age.
    pub fn parse(text: &str) -> Option<Birth> {
        let text = text.trim();
        let (estimated, text) = match text.strip_prefix('~') {
            Some(rest) => (true, rest.trim()),
            None => (false, text),
        };
        let mut parts = text.split('-');
        let year: u16 = parts.next()?.parse().ok().filter(|y| (1880..=2100).contains(y))?;
        let month: u8 = match parts.next() {
            Some(m) => m.parse().ok().filter(|m| (1..=12).contains(m))?,
            None => 0,
        };
        let day: u8 = match parts.next() {
            Some(d) => d.parse().ok().filter(|d| (1..=31).contains(d))?,
            None => 0,
        };
        Some(Birth { year, month, day, estimated: estimated && month == 0 })
    }

    /// How many years a recorded year may be off: an exact date by a typed digit, a year as
    /// told by a year or two, an estimated age by several (two teams' "about 40" differ).
    pub fn tolerance(self) -> u16 {
        if self.estimated {
            5
        } else if self.month == 0 {
            2
        } else {
            1
        }
    }
}

/// Interned strings: id 0 is "missing".
#[derive(Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    pub values: Vec<String>,
}

impl Interner {
    fn new() -> Interner {
        Interner { ids: HashMap::new(), values: vec![String::new()] }
    }

    pub fn intern(&mut self, value: &str) -> u32 {
        if value.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(value.to_string());
        self.ids.insert(value.to_string(), id);
        id
    }

    pub fn get(&self, value: &str) -> Option<u32> {
        self.ids.get(value).copied()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.len() <= 1
    }
}

/// A record ready for linkage. Names are ids into `Prepared::names`, keys into
/// `Prepared::keys`, places into `Prepared::places`; 0 means unknown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Record {
    pub given: u32,
    pub family: u32,
    pub father: u32,
    pub given_key: u32,
    pub family_key: u32,
    pub father_key: u32,
    /// 1 female, 2 male, 0 unknown.
    pub sex: u8,
    pub birth: Birth,
    /// The last 8 digits of the phone number (Mali's national numbers), 0 when unknown.
    pub phone: u32,
    /// Up to two document numbers: (kind, number id in `Prepared::numbers`); (0, 0) when none.
    pub documents: [(u8, u32); 2],
    pub admin1: u32,
    pub admin2: u32,
    pub admin3: u32,
}

/// The prepared data set: records, interned values and how often each name occurs.
pub struct Prepared {
    pub ids: Vec<String>,
    pub records: Vec<Record>,
    pub names: Interner,
    pub keys: Interner,
    pub places: Interner,
    /// Document numbers in their normal form.
    pub numbers: Interner,
    /// Occurrences of each name id, given and family names together.
    pub name_counts: Vec<u32>,
    /// Each record's household as read (numbered from 1; 0 when not known), for the batch
    /// run's household context. Records pushed later (`push`) have none.
    pub household_of: Vec<u32>,
}

fn phone_digits(phone: &str) -> u32 {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 8 {
        return 0;
    }
    digits[digits.len() - 8..].parse().unwrap_or(0)
}

/// Numbers shorter than this are too often shared by chance (a birth certificate's number is
/// unique only within its civil registry centre) to say anything.
const SHORTEST_NUMBER: usize = 5;

/// The kind of a document, as a small code; unknown kinds are "other" (7). A ration card
/// (`None`) identifies a household, which its members share: it says nothing of a person.
fn document_kind(kind: &str) -> Option<u8> {
    Some(match kind.trim().to_ascii_lowercase().as_str() {
        "national_id" => 1,
        "birth_certificate" => 2,
        "passport" => 3,
        "consular_card" => 4,
        "unhcr" => 5,
        "ration_card" => return None,
        _ => 7,
    })
}

/// A number's normal form: letters and digits, upper case.
pub fn normal_number(number: &str) -> String {
    number.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

fn documents(identifiers: &[String], numbers: &mut Interner) -> [(u8, u32); 2] {
    let mut out = [(0, 0); 2];
    let usable = identifiers.iter().filter_map(|text| {
        let (kind, number) = text.split_once(':').unwrap_or(("", text));
        let number = normal_number(number);
        Some((document_kind(kind)?, number)).filter(|(_, n)| n.len() >= SHORTEST_NUMBER)
    });
    for (slot, (kind, number)) in out.iter_mut().zip(usable) {
        *slot = (kind, numbers.intern(&number));
    }
    out
}

/// A record from its interned (name, key) pairs (given, family, father) and the rest of the
/// input.
fn record(names: [(u32, u32); 3], input: &Input, places: &mut Interner, numbers: &mut Interner) -> Record {
    let [(given, given_key), (family, family_key), (father, father_key)] = names;
    Record {
        given,
        family,
        father,
        given_key,
        family_key,
        father_key,
        sex: match input.sex.trim() {
            "f" | "F" => 1,
            "m" | "M" => 2,
            _ => 0,
        },
        birth: Birth::parse(&input.birth_date).unwrap_or_default(),
        phone: phone_digits(&input.phone),
        documents: documents(&input.identifiers, numbers),
        admin1: places.intern(input.admin1.trim()),
        admin2: places.intern(input.admin2.trim()),
        admin3: places.intern(input.admin3.trim()),
    }
}

/// Builds a `Prepared` batch by batch, so a caller reading a large file never holds every
/// input at once. Each distinct spelling is standardised once (names repeat a lot).
pub struct Builder {
    /// Raw spelling → standardised name id.
    raw: HashMap<String, u32>,
    names: Interner,
    keys: Interner,
    places: Interner,
    numbers: Interner,
    key_of_name: Vec<u32>,
    records: Vec<Record>,
    ids: Vec<String>,
    households: HashMap<String, u32>,
    household_of: Vec<u32>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            raw: HashMap::new(),
            names: Interner::new(),
            keys: Interner::new(),
            places: Interner::new(),
            numbers: Interner::new(),
            key_of_name: vec![0],
            records: Vec::new(),
            ids: Vec::new(),
            households: HashMap::new(),
            household_of: Vec::new(),
        }
    }
}

impl Builder {
    pub fn push_batch(&mut self, batch: Vec<Input>) {
        let mut unseen: Vec<&str> = Vec::new();
        let mut pending = std::collections::HashSet::new();
        for input in &batch {
            for name in [&input.given_name, &input.family_name, &input.father_name] {
                if !self.raw.contains_key(name.as_str()) && pending.insert(name.as_str()) {
                    unseen.push(name);
                }
            }
        }
        let standard: Vec<String> = unseen.par_iter().map(|raw| standardise(raw)).collect();
        for (raw, text) in unseen.iter().zip(standard) {
            let id = self.names.intern(&text);
            if id as usize == self.key_of_name.len() {
                self.key_of_name.push(self.keys.intern(&key(&text)));
            }
            self.raw.insert(raw.to_string(), id);
        }
        self.records.reserve(batch.len());
        for input in batch {
            let name = |raw: &str| {
                let id = self.raw[raw];
                (id, self.key_of_name[id as usize])
            };
            let names = [name(&input.given_name), name(&input.family_name), name(&input.father_name)];
            let record = record(names, &input, &mut self.places, &mut self.numbers);
            self.records.push(record);
            self.household_of.push(crate::household::household_number(&mut self.households, &input.household));
            self.ids.push(input.id);
        }
    }

    pub fn finish(self) -> Prepared {
        let Builder { names, keys, places, numbers, records, ids, household_of, .. } = self;
        let mut name_counts = vec![0u32; names.len()];
        for r in &records {
            name_counts[r.given as usize] += 1;
            name_counts[r.family as usize] += 1;
        }
        name_counts[0] = 0;
        Prepared { ids, records, names, keys, places, numbers, name_counts, household_of }
    }
}

impl Prepared {
    /// Standardises and interns every record.
    pub fn new(inputs: Vec<Input>) -> Prepared {
        let mut builder = Builder::default();
        builder.push_batch(inputs);
        builder.finish()
    }

    /// Standardises and interns one more record (a registration being checked, or one added
    /// since the data were prepared) without adding it to `records`.
    pub fn intern(&mut self, input: &Input) -> Record {
        let mut name = |raw: &str| {
            let text = standardise(raw);
            let id = self.names.intern(&text);
            let key_id = self.keys.intern(&key(&text));
            (id, if id == 0 { 0 } else { key_id })
        };
        let names = [name(&input.given_name), name(&input.family_name), name(&input.father_name)];
        if self.name_counts.len() < self.names.len() {
            self.name_counts.resize(self.names.len(), 0);
        }
        record(names, input, &mut self.places, &mut self.numbers)
    }

    /// Adds a record (interned with `intern`) under `id`.
    pub fn push(&mut self, id: String, record: Record) {
        self.name_counts[record.given as usize] += (record.given != 0) as u32;
        self.name_counts[record.family as usize] += (record.family != 0) as u32;
        self.records.push(record);
        self.household_of.push(0);
        self.ids.push(id);
    }

    pub fn name(&self, id: u32) -> &[u8] {
        self.names.values[id as usize].as_bytes()
    }

    pub fn number(&self, id: u32) -> &[u8] {
        self.numbers.values[id as usize].as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_phones_are_read_as_known() {
        let birth = |year, month, day, estimated| Some(Birth { year, month, day, estimated });
        assert_eq!(Birth::parse("1988"), birth(1988, 0, 0, false));
        assert_eq!(Birth::parse("~ 1988"), birth(1988, 0, 0, true));
        assert_eq!(Birth::parse("1988-04"), birth(1988, 4, 0, false));
        assert_eq!(Birth::parse("1988-04-12"), birth(1988, 4, 12, false));
        assert_eq!(Birth::parse("~1988-04-12"), birth(1988, 4, 12, false), "a full date is not an estimate");
        assert_eq!(Birth::parse(""), None);
        assert_eq!(Birth::parse("88"), None);
        assert_eq!(Birth::parse("1988-13-01"), None);
        assert_eq!(phone_digits("+223 76 12 34 56"), 76123456);
        assert_eq!(phone_digits("76-12-34-56"), 76123456);
        assert_eq!(phone_digits("1234"), 0);
    }

    #[test]
    fn spellings_share_a_key_and_values_are_counted() {
        let input = |id: &str, given: &str, family: &str| Input {
            id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            ..Default::default()
        };
        let p = Prepared::new(vec![
            input("1", "Mohamed", "Maïga"),
            input("2", "Mahamadou", "Maiga"),
            input("3", "Awa", ""),
        ]);
        let [a, b, c] = [p.records[0], p.records[1], p.records[2]];
        assert_ne!(a.given, b.given);
        assert_eq!(a.given_key, b.given_key);
        assert_eq!(a.family, b.family, "Maïga and Maiga standardise alike");
        assert_eq!(c.family, 0);
        assert_eq!(p.name_counts[a.family as usize], 2);
        assert_eq!(format!("{:?}", input("9", "Secret", "Name")), "Input { id: \"9\", .. }");
    }
}
