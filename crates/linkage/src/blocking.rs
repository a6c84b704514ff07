//! Blocking: only records that agree on some key are compared. Several rules (name keys in
//! either order, given name and birth year, family name and birth year, phone, father's and
//! given name) each group records; a pair found by an earlier rule is not emitted again, which
//! is checked by comparing the two records' keys for the earlier rules, so no set of all pairs
//! is ever held. A block too large (a very common name) is not compared all against all: its
//! records are sorted by a finer key (birth year, place…) and each is compared with its next
//! `WINDOW` neighbours (sorted neighbourhood), so hot blocks cost linear time.

use rayon::prelude::*;

use crate::compare::{compare, Pattern};
use crate::records::{Prepared, Record};

/// A blocking rule: records with equal, non-zero keys are compared.
pub struct Rule {
    pub name: &'static str,
    primary: fn(&Record) -> u64,
    /// The order of records inside a block over the size limit.
    refine: fn(&Record) -> u64,
}

fn mix(parts: &[u64]) -> u64 {
    // splitmix64 over the parts: a well-spread, never-zero key for any non-zero input.
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for &p in parts {
        h = (h ^ p).wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
    }
    h | 1
}

fn year(r: &Record) -> u64 {
    r.birth.year as u64
}

/// The rules, in order. Each catches what the others miss: the same names and birth year
/// wherever registered (even for the commonest names, whose blocks are then small), swapped or
/// respelt names with another or no birth year (keys), a changed family name (given + year), a
/// new given-name spelling outside its key (family + year), a shared phone, a father's name,
/// a shared document number (whatever the names).
/// How many rules there are.
pub const RULE_COUNT: usize = 7;

pub const RULES: [Rule; RULE_COUNT] = [
    Rule {
        name: "name keys (either order) + birth year",
        primary: |r| {
            if r.given_key == 0 || r.family_key == 0 || year(r) == 0 {
                return 0;
            }
            let (a, b) = (r.given_key.min(r.family_key) as u64, r.given_key.max(r.family_key) as u64);
            mix(&[6, a, b, year(r)])
        },
        refine: |r| ((r.admin2 as u64) << 32) | r.father_key as u64,
    },
    Rule {
        name: "name keys (either order)",
        primary: |r| {
            if r.given_key == 0 || r.family_key == 0 {
                return 0;
            }
            let (a, b) = (r.given_key.min(r.family_key) as u64, r.given_key.max(r.family_key) as u64);
            mix(&[1, a, b])
        },
        refine: |r| (year(r) << 48) | ((r.admin2 as u64) << 24) | r.father_key as u64,
    },
    Rule {
        name: "given name key + birth year",
        primary: |r| if r.given_key == 0 || year(r) == 0 { 0 } else { mix(&[2, r.given_key as u64, year(r)]) },
        refine: |r| ((r.family_key as u64) << 32) | r.admin2 as u64,
    },
    Rule {
        name: "family name key + birth year",
        primary: |r| if r.family_key == 0 || year(r) == 0 { 0 } else { mix(&[3, r.family_key as u64, year(r)]) },
        refine: |r| ((r.given_key as u64) << 32) | r.admin2 as u64,
    },
    Rule {
        name: "phone",
        primary: |r| if r.phone == 0 { 0 } else { mix(&[4, r.phone as u64]) },
        refine: |r| r.given_key as u64,
    },
    Rule {
        name: "father's name key + given name key",
        primary: |r| {
            if r.father_key == 0 || r.given_key == 0 {
                0
            } else {
                mix(&[5, r.father_key as u64, r.given_key as u64])
            }
        },
        refine: |r| (year(r) << 32) | r.family_key as u64,
    },
    Rule {
        name: "document number",
        primary: |r| if r.documents[0].1 == 0 { 0 } else { mix(&[7, r.documents[0].1 as u64]) },
        refine: |r| r.given_key as u64,
    },
];

impl Rule {
    /// The record's block key under this rule (0: in no block).
    pub fn key(&self, record: &Record) -> u64 {
        (self.primary)(record)
    }

    /// Whether the two records share this rule's (primary) key.
    pub fn agrees(&self, a: &Record, b: &Record) -> bool {
        let key = (self.primary)(a);
        key != 0 && key == (self.primary)(b)
    }
}

/// What blocking did, rule by rule.
#[derive(Clone, Debug, Default)]
pub struct RuleReport {
    pub rule: &'static str,
    pub blocks: usize,
    /// New pairs (not already found by an earlier rule).
    pub pairs: u64,
    pub largest_block: usize,
    /// Blocks over the limit, compared by sorted neighbourhood.
    pub hot_blocks: usize,
    pub hot_records: usize,
    /// Time spent comparing this rule's pairs (the rest is computing and sorting keys).
    pub pair_seconds: f64,
}

/// Neighbours each record of a hot block is compared with.
pub const WINDOW: usize = 12;

/// A compared candidate pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub a: u32,
    pub b: u32,
    pub pattern: Pattern,
}

/// Where a rule put each record: its block key (0: none) and, in a hot block, its position in
/// the block's sorted order (`u32::MAX` otherwise).
pub struct Placement {
    key: Vec<u64>,
    position: Vec<u32>,
}

/// A record of a block, with its key and position under each earlier rule.
struct Local {
    index: u32,
    record: Record,
    earlier: [(u64, u32); RULE_COUNT],
}

/// Whether an earlier rule compared two records, from their (key, position) under it.
fn compared(a: (u64, u32), b: (u64, u32)) -> bool {
    if a.0 == 0 || a.0 != b.0 {
        return false;
    }
    match (a.1, b.1) {
        (u32::MAX, u32::MAX) => true,
        (pa, pb) => pa != u32::MAX && pb != u32::MAX && pa.abs_diff(pb) as usize <= WINDOW,
    }
}

impl Placement {
    /// Whether `a` and `b` share one of this rule's blocks that was compared all against all:
    /// the pairs training may use, free of the sorted neighbourhood's bias.
    pub fn in_full_block(&self, a: u32, b: u32) -> bool {
        let (a, b) = (a as usize, b as usize);
        self.key[a] != 0 && self.key[a] == self.key[b] && self.position[a] == u32::MAX && self.position[b] == u32::MAX
    }
}

/// Finds and compares the candidate pairs of all rules, each pair once.
/// The candidates come in chunks (one per parallel task), never copied into one vector.
pub fn candidates(p: &Prepared, max_block: usize) -> (Vec<Vec<Candidate>>, Vec<RuleReport>, Vec<Placement>) {
    let records = &p.records;
    let mut earlier: Vec<Placement> = Vec::with_capacity(RULES.len());
    let mut reports = Vec::new();
    let mut out = Vec::new();
    for rule in &RULES {
        let mut report = RuleReport { rule: rule.name, ..Default::default() };
        let keys: Vec<u64> = records.par_iter().map(rule.primary).collect();
        let mut members: Vec<(u64, u64, u32)> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(i, k)| (*k, (rule.refine)(&records[i]), i as u32))
            .collect();
        members.par_sort_unstable();
        let groups: Vec<&[(u64, u64, u32)]> = members.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1).collect();
        let mut position = vec![u32::MAX; records.len()];
        report.blocks = groups.len();
        for g in &groups {
            if g.len() > max_block {
                report.hot_blocks += 1;
                report.hot_records += g.len();
                for (at, (_, _, i)) in g.iter().enumerate() {
                    position[*i as usize] = at as u32;
                }
            } else {
                report.largest_block = report.largest_block.max(g.len());
            }
        }
        let t_pairs = std::time::Instant::now();
        let found: Vec<Vec<Candidate>> = groups
            .par_iter()
            .fold(Vec::new, |mut acc, group| {
                // The block's records side by side, with where earlier rules put them, so the
                // pair loop reads contiguous memory only.
                let local: Vec<Local> = group
                    .iter()
                    .map(|(_, _, i)| Local {
                        index: *i,
                        record: records[*i as usize],
                        earlier: std::array::from_fn(|r| match earlier.get(r) {
                            Some(e) => (e.key[*i as usize], e.position[*i as usize]),
                            None => (0, u32::MAX),
                        }),
                    })
                    .collect();
                let reach = if local.len() > max_block { WINDOW } else { local.len() };
                for x in 0..local.len() {
                    let left = &local[x];
                    for right in &local[x + 1..local.len().min(x + 1 + reach)] {
                        if !left.earlier.iter().zip(&right.earlier).any(|(l, r)| compared(*l, *r)) {
                            let (a, b) = if left.index < right.index {
                                (left.index, right.index)
                            } else {
                                (right.index, left.index)
                            };
                            acc.push(Candidate { a, b, pattern: compare(p, &left.record, &right.record) });
                        }
                    }
                }
                acc
            })
            .map(|mut chunk| {
                chunk.shrink_to_fit();
                chunk
            })
            .collect_vec_list()
            .into_iter()
            .flatten()
            .collect();
        report.pairs = found.iter().map(|c| c.len() as u64).sum();
        report.pair_seconds = t_pairs.elapsed().as_secs_f64();
        out.extend(found.into_iter().filter(|c| !c.is_empty()));
        earlier.push(Placement { key: keys, position });
        reports.push(report);
    }
    (out, reports, earlier)
}

/// Which rules would have found a pair: used to estimate blocking recall from the pairs the
/// model is sure of.
pub fn rules_agreeing(a: &Record, b: &Record) -> Vec<bool> {
    RULES.iter().map(|rule| rule.agrees(a, b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Input;

    fn person(id: &str, given: &str, family: &str, birth: &str, phone: &str) -> Input {
        Input {
            id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            birth_date: birth.into(),
            phone: phone.into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_pair_is_found_once_whatever_the_rules_that_find_it() {
        let p = Prepared::new(vec![
            person("1", "Mohamed", "Maïga", "1980", "76123456"),
            person("2", "Mahamadou", "Maiga", "1980", "76123456"),
            person("3", "Maiga", "Mohamed", "1981", ""),
            person("4", "Awa", "Traoré", "1990", "76123456"),
            person("5", "Awa", "Diallo", "1990", ""),
        ]);
        let (pairs, reports, _) = candidates(&p, 100);
        let mut seen: Vec<(u32, u32)> = pairs.iter().flatten().map(|c| (c.a, c.b)).collect();
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!(before, seen.len(), "no pair twice: {seen:?}");
        // 1-2 and 1-3, 2-3 by name keys (either order); 1-4, 2-4 by phone; 4-5 by given + year.
        assert_eq!(seen, vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (3, 4)]);
        assert_eq!(reports.len(), RULES.len());
        assert_eq!(reports.iter().map(|r| r.pairs).sum::<u64>(), 6);
    }

    #[test]
    fn hot_blocks_are_compared_by_sorted_neighbourhood() {
        let inputs: Vec<Input> =
            (0..100).map(|i| person(&i.to_string(), "Mohamed", "Maïga", &format!("{}", 1950 + i / 2), "")).collect();
        let p = Prepared::new(inputs);
        let (pairs, reports, _) = candidates(&p, 10);
        // Two records per name and year: small blocks under the first rule, one hot block under
        // the name keys alone.
        assert_eq!(reports[0].hot_blocks, 0);
        let names = &reports[1];
        assert_eq!((names.hot_blocks, names.hot_records), (1, 100));
        // Each record meets its WINDOW next neighbours in birth-year order, not all 99 others.
        assert!(pairs.iter().map(Vec::len).sum::<usize>() <= 100 * WINDOW);
        let mut seen: Vec<(u32, u32)> = pairs.iter().flatten().map(|c| (c.a, c.b)).collect();
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!(before, seen.len(), "later rules do not repeat the window's pairs");
        // The two records born the same year are compared.
        assert!(seen.contains(&(0, 1)));
    }
}
