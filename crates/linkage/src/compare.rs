//! Comparison of two records: each field gets a graded level (exact, same key, similar by
//! Jaro–Winkler, close date…), packed four bits per field into one `Pattern`. A similarity is
//! computed once per field and mapped to its level.

use crate::records::{Birth, Prepared, Record};

/// The compared fields, in pattern order.
pub const FIELDS: [&str; 8] =
    ["given_name", "family_name", "father_name", "birth_date", "sex", "phone", "place", "identifier"];
pub const GIVEN: usize = 0;
pub const FAMILY: usize = 1;
pub const FATHER: usize = 2;
pub const BIRTH: usize = 3;
pub const SEX: usize = 4;
pub const PHONE: usize = 5;
pub const PLACE: usize = 6;
pub const IDENTIFIER: usize = 7;

/// Levels per field, after level 0 ("one side unknown", which weighs nothing).
pub const LEVELS: [&[&str]; 8] = [
    &["exact", "same key", "jaro-winkler ≥ 0.92", "jaro-winkler ≥ 0.80", "different"],
    &["exact", "same key", "jaro-winkler ≥ 0.92", "jaro-winkler ≥ 0.80", "different"],
    &["exact", "same key", "jaro-winkler ≥ 0.88", "different"],
    &[
        "same day",
        "same month",
        "same year",
        "±1 year",
        "±2 years",
        "different",
        "same year, months known and different",
        "same month, days known and different",
        "within the margin of an estimated age",
    ],
    &["same", "different"],
    &["same", "different"],
    &["same commune", "same cercle", "same région", "different"],
    &["same number", "one character apart", "different number of the same kind"],
];

/// Each field's levels from the closest agreement to plain disagreement: a level further down
/// never weighs more than one above it (levels outside the chain, such as two precise dates
/// that disagree, stand apart). Given and family names have none: an exact name weighs by its
/// own frequency, which a spelling level is not to be held under. Birth dates chain from the
/// same year down: a same day or month is a matter of what was known, not of closeness.
pub const STRONGEST_FIRST: [&[usize]; 8] =
    [&[], &[], &[1, 2, 3, 4], &[3, 4, 5, 9, 6], &[1, 2], &[1, 2], &[1, 2, 3, 4], &[1, 2, 3]];

/// Levels of all fields, 4 bits each (field `f` at bits `4f..4f+4`).
pub type Pattern = u32;

pub fn level(pattern: Pattern, field: usize) -> usize {
    ((pattern >> (4 * field)) & 0xf) as usize
}

fn set(pattern: &mut Pattern, field: usize, level: usize) {
    *pattern |= (level as u32) << (4 * field);
}

/// Jaro–Winkler similarity of two short ASCII byte strings, without allocating. Names longer
/// than 64 bytes are compared on their first 64.
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let (a, b) = (&a[..a.len().min(64)], &b[..b.len().min(64)]);
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_flags = [false; 64];
    let mut b_flags = [false; 64];
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let start = i.saturating_sub(window);
        let end = (i + window + 1).min(b.len());
        for j in start..end {
            if !b_flags[j] && b[j] == ca {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if !a_flags[i] {
            continue;
        }
        while !b_flags[j] {
            j += 1;
        }
        if ca != b[j] {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

fn name_level(p: &Prepared, a: u32, b: u32, a_key: u32, b_key: u32, bands: &[f64]) -> usize {
    if a == 0 || b == 0 {
        return 0;
    }
    if a == b {
        return 1;
    }
    if a_key == b_key {
        return 2;
    }
    let similarity = jaro_winkler(p.name(a), p.name(b));
    for (i, band) in bands.iter().enumerate() {
        if similarity >= *band {
            return 3 + i;
        }
    }
    3 + bands.len()
}

fn birth_level(a: Birth, b: Birth) -> usize {
    if a.year == 0 || b.year == 0 {
        return 0;
    }
    let gap = a.year.abs_diff(b.year);
    if gap == 0 {
        // Two dates known precisely that disagree say more against than a date known only to
        // the year says for: each precision has its own level.
        if a.month != 0 && a.month == b.month {
            return match (a.day, b.day) {
                (0, _) | (_, 0) => 2,
                (x, y) if x == y => 1,
                _ => 8,
            };
        }
        return if a.month != 0 && b.month != 0 { 7 } else { 3 };
    }
    match gap {
        1 => 4,
        2 => 5,
        // Two estimates of one person's age, or an estimate and the truth, differ by more.
        _ if (a.estimated || b.estimated) && gap <= a.tolerance() + b.tolerance() => 9,
        _ => 6,
    }
}

/// Whether two numbers differ by one character (replaced, added, removed) or two neighbours
/// swapped: the typist's slips. Only for numbers long enough that a slip is not a coincidence.
fn one_slip_apart(a: &[u8], b: &[u8]) -> bool {
    if a.len().min(b.len()) < 6 || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let end = a[start..].iter().rev().zip(b[start..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[start..a.len() - end.min(a.len() - start)], &b[start..b.len() - end.min(b.len() - start)]);
    match (ra.len(), rb.len()) {
        (1, 1) | (0, 1) | (1, 0) => true,
        (2, 2) => ra[0] == rb[1] && ra[1] == rb[0],
        _ => false,
    }
}

/// Document numbers: the same number (whatever kind each clerk chose), one slip apart under
/// the same kind, or two numbers of the same kind that differ (a real disagreement). Numbers
/// of different kinds say nothing about each other.
fn identifier_level(p: &Prepared, a: &Record, b: &Record) -> usize {
    // Most records carry no number: the pair loop pays one comparison for them.
    if a.documents[0].1 == 0 || b.documents[0].1 == 0 {
        return 0;
    }
    let (mut slip, mut same_kind) = (false, false);
    for x in a.documents.iter().filter(|d| d.1 != 0) {
        for y in b.documents.iter().filter(|d| d.1 != 0) {
            if x.1 == y.1 {
                return 1;
            }
            if x.0 == y.0 {
                same_kind = true;
                slip = slip || one_slip_apart(p.number(x.1), p.number(y.1));
            }
        }
    }
    match (slip, same_kind) {
        (true, _) => 2,
        (false, true) => 3,
        _ => 0,
    }
}

fn same_or_not(a: u32, b: u32) -> usize {
    match (a, b) {
        (0, _) | (_, 0) => 0,
        _ if a == b => 1,
        _ => 2,
    }
}

fn place_level(a: &Record, b: &Record) -> usize {
    if a.admin3 != 0 && a.admin3 == b.admin3 {
        1
    } else if a.admin2 != 0 && a.admin2 == b.admin2 {
        2
    } else if a.admin1 != 0 && a.admin1 == b.admin1 {
        3
    } else if a.admin1 == 0 || b.admin1 == 0 {
        0
    } else {
        4
    }
}

const NAME_BANDS: [f64; 2] = [0.92, 0.80];
const FATHER_BANDS: [f64; 1] = [0.88];

/// Compares two records. Given and family names are also compared crosswise, and the better
/// orientation kept, so a registration with the names swapped still matches.
pub fn compare(p: &Prepared, a: &Record, b: &Record) -> Pattern {
    let mut pattern = 0;
    let given = name_level(p, a.given, b.given, a.given_key, b.given_key, &NAME_BANDS);
    let family = name_level(p, a.family, b.family, a.family_key, b.family_key, &NAME_BANDS);
    // Names written the other way round share a key crosswise; only then is the swapped
    // reading worth its two extra comparisons.
    let crosswise = a.given_key != 0 && (a.given_key == b.family_key || a.family_key == b.given_key);
    let (given, family) = if crosswise && given + family > 3 && a.given != 0 && a.family != 0 {
        let swapped_given = name_level(p, a.given, b.family, a.given_key, b.family_key, &NAME_BANDS);
        let swapped_family = name_level(p, a.family, b.given, a.family_key, b.given_key, &NAME_BANDS);
        // Lower levels are closer; level 0 (unknown) never wins a swap.
        if swapped_given != 0 && swapped_family != 0 && swapped_given + swapped_family < given.max(1) + family.max(1) {
            (swapped_given, swapped_family)
        } else {
            (given, family)
        }
    } else {
        (given, family)
    };
    set(&mut pattern, GIVEN, given);
    set(&mut pattern, FAMILY, family);
    set(&mut pattern, FATHER, name_level(p, a.father, b.father, a.father_key, b.father_key, &FATHER_BANDS));
    set(&mut pattern, BIRTH, birth_level(a.birth, b.birth));
    set(&mut pattern, SEX, same_or_not(a.sex as u32, b.sex as u32));
    set(&mut pattern, PHONE, same_or_not(a.phone, b.phone));
    set(&mut pattern, PLACE, place_level(a, b));
    set(&mut pattern, IDENTIFIER, identifier_level(p, a, b));
    pattern
}

/// Two records that cannot be one person whatever their names: different sex, or births
/// further apart than both records' precision allows (an exact date a year, a year as told
/// two, an estimated age five). Clustering never joins them, even through intermediate
/// records.
pub fn incompatible(a: &Record, b: &Record) -> bool {
    (a.sex != 0 && b.sex != 0 && a.sex != b.sex)
        || (a.birth.year != 0
            && b.birth.year != 0
            && a.birth.year.abs_diff(b.birth.year) > a.birth.tolerance() + b.birth.tolerance())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Input;

    #[test]
    fn jaro_winkler_matches_the_textbook_values() {
        let close = |a: &str, b: &str, expected: f64| {
            let got = jaro_winkler(a.as_bytes(), b.as_bytes());
            assert!((got - expected).abs() < 0.001, "{a}/{b}: {got} vs {expected}");
        };
        close("martha", "marhta", 0.961);
        close("dwayne", "duane", 0.84);
        close("dixon", "dicksonx", 0.813);
        close("abc", "abc", 1.0);
        close("abc", "xyz", 0.0);
        assert_eq!(jaro_winkler(b"", b"abc"), 0.0);
    }

    fn person(given: &str, family: &str, sex: &str, birth: &str) -> Input {
        Input {
            id: given.into(),
            given_name: given.into(),
            family_name: family.into(),
            sex: sex.into(),
            birth_date: birth.into(),
            admin1: "ML07".into(),
            admin2: "ML0703".into(),
            admin3: "ML070303".into(),
            ..Default::default()
        }
    }

    #[test]
    fn levels_grade_each_field() {
        let p = Prepared::new(vec![
            person("Mohamed", "Maïga", "m", "1988-04-12"),
            person("Mahamadou", "Maiga", "m", "1988"),
            person("Maiga", "Mohamed", "m", "1989"),
            person("Awa", "Traoré", "f", ""),
        ]);
        let r = &p.records;
        let same_key = compare(&p, &r[0], &r[1]);
        assert_eq!(level(same_key, GIVEN), 2);
        assert_eq!(level(same_key, FAMILY), 1);
        assert_eq!(level(same_key, BIRTH), 3, "one side knows only the year");
        assert_eq!(level(same_key, SEX), 1);
        assert_eq!(level(same_key, PHONE), 0, "unknown on both sides");
        assert_eq!(level(same_key, PLACE), 1);
        let swapped = compare(&p, &r[0], &r[2]);
        assert_eq!((level(swapped, GIVEN), level(swapped, FAMILY)), (1, 1), "names swapped");
        assert_eq!(level(swapped, BIRTH), 4);
        let other = compare(&p, &r[0], &r[3]);
        assert_eq!(level(other, SEX), 2);
        assert_eq!(level(other, BIRTH), 0);
        assert!(incompatible(&r[0], &r[3]));
        assert!(!incompatible(&r[0], &r[2]));
    }

    #[test]
    fn birth_tolerance_follows_each_records_precision() {
        let p = Prepared::new(vec![
            person("Aminata", "Touré", "f", "1980-05-02"),
            person("Aminata", "Touré", "f", "1984"),
            person("Aminata", "Touré", "f", "~1985"),
            person("Aminata", "Touré", "f", "~1976"),
        ]);
        let r = &p.records;
        assert!(incompatible(&r[0], &r[1]), "an exact date and a year four apart: more than 1 + 2");
        assert!(!incompatible(&r[0], &r[2]), "an estimated age five years off is still the person");
        assert!(!incompatible(&r[2], &r[3]), "two estimates nine years apart: 5 + 5");
        assert!(incompatible(&r[1], &r[3]), "a year and an estimate seven apart: 2 + 5");
        assert_eq!(level(compare(&p, &r[0], &r[2]), BIRTH), 9);
        assert_eq!(level(compare(&p, &r[0], &r[1]), BIRTH), 6);
    }

    #[test]
    fn document_numbers_agree_across_kinds_and_tolerate_one_slip() {
        let with = |numbers: &[&str]| Input {
            identifiers: numbers.iter().map(|n| n.to_string()).collect(),
            ..person("Oumar", "Maïga", "m", "1975")
        };
        let p = Prepared::new(vec![
            with(&["national_id:1234 5678 9012"]),
            with(&["unhcr:123456789012"]),
            with(&["national_id:123456789021"]),
            with(&["national_id:99999999"]),
            with(&["passport:AB123456"]),
            with(&["national_id:1234"]),
            with(&[]),
        ]);
        let r = &p.records;
        let id = |i: usize, j: usize| level(compare(&p, &r[i], &r[j]), IDENTIFIER);
        assert_eq!(id(0, 1), 1, "the same number, recorded under another kind");
        assert_eq!(id(0, 2), 2, "two digits swapped");
        assert_eq!(id(0, 3), 3, "another national number");
        assert_eq!(id(0, 4), 0, "a passport says nothing about a national number");
        assert_eq!(id(0, 5), 0, "numbers under five characters are not used");
        assert_eq!(id(0, 6), 0);
        assert!(one_slip_apart(b"1234567", b"123457") && one_slip_apart(b"123456", b"123956"));
        assert!(!one_slip_apart(b"123456", b"654321") && !one_slip_apart(b"12345", b"12346"));
    }
}
