//! The Fellegi–Sunter model. For each field and level: m, the chance a true match shows that
//! level, and u, the chance a non-match does. u comes from random pairs (what chance alone
//! produces) and, for exact name levels, from the names' frequencies; m is learnt without
//! labels by expectation–maximisation over the counts of comparison patterns among candidate
//! pairs, and refined by clerical decisions when there are some. Every level keeps an estimate
//! (pseudo-counts); training that cannot tell matches apart is reported, not silently used.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::blocking::{self, Candidate, Placement};
use crate::compare::{
    compare, level, Pattern, BIRTH, FAMILY, FATHER, FIELDS, GIVEN, IDENTIFIER, LEVELS, PLACE, SEX, STRONGEST_FIRST,
};
use crate::records::{Prepared, Record};

#[derive(Clone, Debug)]
pub struct Model {
    /// `m[field][level]`, level 0 (unknown) unused.
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// Share of candidate pairs that are matches.
    pub prior: f64,
    pub iterations: usize,
    /// Problems with the training, in words for the summary.
    pub warnings: Vec<Warning>,
    /// How many names were counted, for term-frequency weights.
    name_total: f64,
}

/// What a registration clerk's repeat looks like, field by field, before any learning (level
/// 0, unknown, first): the starting point of EM, and the model used when the data hold too few
/// duplicates to learn from.
pub const DEFAULT_M: [&[f64]; 8] = [
    &[0.0, 0.80, 0.10, 0.04, 0.04, 0.02],
    &[0.0, 0.80, 0.08, 0.04, 0.04, 0.04],
    &[0.0, 0.60, 0.15, 0.10, 0.15],
    &[0.0, 0.30, 0.05, 0.48, 0.08, 0.03, 0.01, 0.01, 0.01, 0.03],
    &[0.0, 0.98, 0.02],
    &[0.0, 0.60, 0.40],
    &[0.0, 0.50, 0.15, 0.15, 0.20],
    &[0.0, 0.90, 0.06, 0.04],
];

/// Pairs of pseudo-evidence by which a family name's place agreement is shrunk towards the
/// average (about five shared communes' worth at Mali's scale).
const FAMILY_PLACE_PSEUDO_PAIRS: f64 = 2_000.0;

/// Records of pseudo-evidence by which a father's name's frequency is shrunk towards the
/// average agreement.
const FATHER_PSEUDO_RECORDS: f64 = 200.0;

/// What learning could not do, for the person running it to know (each shown in their
/// language by the store; in English by `Display`).
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// No pair of records shares a blocking key: the starting values are used.
    NoCandidates,
    /// One training session found too few matches to learn from.
    TooFewInTraining { rule: &'static str, matches: u64, pairs: u64 },
    /// The default model is used.
    DefaultModel,
    /// The records hold too few duplicate pairs to learn how duplicates agree.
    TooFewDuplicates { pairs: u64 },
    /// A field whose matches and non-matches look alike (m ≈ u): it barely counts.
    FieldBarelyCounts { field: &'static str },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::NoCandidates => f.write_str("no candidate pairs: nothing to learn from; the starting values are used"),
            Warning::TooFewInTraining { rule, matches, pairs } => write!(
                f,
                "training on the pairs of \"{rule}\" found about {matches} matches among {pairs} pairs: too few to learn from"
            ),
            Warning::DefaultModel => f.write_str("the default model is used"),
            Warning::TooFewDuplicates { pairs } => write!(
                f,
                "the records hold about {pairs} duplicate pairs: too few to learn how duplicates agree; the default model is used"
            ),
            Warning::FieldBarelyCounts { field } => {
                write!(f, "{field}: matches and non-matches look alike (m ≈ u); the field barely counts")
            }
        }
    }
}

/// A small deterministic generator (no IO, no clock): xorshift64*.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn levels(field: usize) -> usize {
    LEVELS[field].len() + 1
}

/// Level counts over patterns, with `weight(pattern)` per pattern; level 0 not counted.
fn level_shares(patterns: &[(Pattern, f64)], pseudo: f64) -> Vec<Vec<f64>> {
    (0..FIELDS.len())
        .map(|f| {
            let mut counts = vec![pseudo; levels(f)];
            counts[0] = 0.0;
            for (pattern, weight) in patterns {
                let l = level(*pattern, f);
                if l != 0 && l < counts.len() {
                    counts[l] += weight;
                }
            }
            let total: f64 = counts.iter().sum();
            counts.iter().map(|c| c / total.max(f64::MIN_POSITIVE)).collect()
        })
        .collect()
}

impl Model {
    /// u from `samples` random pairs; exact name levels from name frequencies, document numbers
    /// from what a shared number means.
    pub fn with_u(p: &Prepared, samples: usize, seed: u64) -> Model {
        let n = p.records.len();
        let chunks = 16;
        let per_chunk = samples / chunks + 1;
        let patterns: Vec<(Pattern, f64)> = (0..chunks)
            .into_par_iter()
            .flat_map_iter(|c| {
                let mut rng = Rng::new(seed ^ ((c as u64 + 1) * 7919));
                // Fewer than two records: no pair to draw.
                (0..if n < 2 { 0 } else { per_chunk })
                    .filter_map(|_| {
                        let (a, b) = (rng.below(n), rng.below(n));
                        (a != b).then(|| (compare(p, &p.records[a], &p.records[b]), 1.0))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut u = level_shares(&patterns, 0.5);
        // The chance two random records share a name exactly: Σ p_v², far better than the few
        // exact agreements random sampling would see.
        let total: f64 = p.name_counts.iter().map(|c| *c as f64).sum::<f64>().max(1.0);
        let collide: f64 = p.name_counts.iter().map(|c| (*c as f64 / total).powi(2)).sum();
        for f in [GIVEN, FAMILY] {
            u[f][1] = collide.max(1e-7);
        }
        // Two different people under one document number: only by a clerk's slip (ration cards,
        // which a household shares, are not used). The data cannot say how rare: the numbers
        // they share are mostly their duplicates. A slip between two different numbers: from the
        // data when they hold enough pairs of numbers, otherwise one in a thousand.
        let known = patterns.iter().filter(|(pattern, _)| level(*pattern, IDENTIFIER) != 0).count();
        let slip = if known >= 1_000 { u[IDENTIFIER][2] } else { 1e-3 };
        let same = 1e-4;
        u[IDENTIFIER] = vec![0.0, same, slip, 1.0 - same - slip];
        let m = DEFAULT_M.iter().map(|levels| levels.to_vec()).collect();
        Model { m, u, prior: 0.05, iterations: 0, warnings: Vec::new(), name_total: total }
    }

    /// Learns m without labels, in sessions: among the pairs of one blocking rule, the
    /// fields that rule blocks on agree by construction and say nothing, so they are left out
    /// and the other fields' m are estimated; each field's m comes from the sessions that could
    /// estimate it. Then the prior (the share of all pairs that match) is fitted over the
    /// candidates, with non-candidate pairs taken as non-matches.
    pub fn train(&mut self, p: &Prepared, candidates: &[Vec<Candidate>], blocks: &[Placement]) {
        if candidates.iter().all(Vec::is_empty) {
            self.warnings.push(Warning::NoCandidates);
            return;
        }
        // Sessions: (blocking rule, fields left out). A session leaves out the fields its rule
        // blocks on, and sex wherever the given name is blocked on: given names are gendered, so
        // sex agrees within such blocks whether or not the pair matches.
        let sessions: [(usize, &[usize]); 3] =
            [(1, &[GIVEN, FAMILY, SEX]), (2, &[GIVEN, BIRTH, SEX]), (3, &[FAMILY, BIRTH])];
        // One parallel pass counts the patterns of every session.
        let counted = candidates
            .par_iter()
            .flatten()
            .fold(
                || vec![HashMap::<Pattern, f64>::new(); sessions.len()],
                |mut acc, c| {
                    for (s, (rule, _)) in sessions.iter().enumerate() {
                        if blocks[*rule].in_full_block(c.a, c.b) {
                            *acc[s].entry(c.pattern).or_insert(0.0) += 1.0;
                        }
                    }
                    acc
                },
            )
            .reduce(
                || vec![HashMap::new(); sessions.len()],
                |mut a, b| {
                    for (into, from) in a.iter_mut().zip(b) {
                        for (k, v) in from {
                            *into.entry(k).or_insert(0.0) += v;
                        }
                    }
                    a
                },
            );
        let mut estimates: Vec<Vec<Vec<f64>>> = vec![Vec::new(); FIELDS.len()];
        for ((rule, fixed), counts) in sessions.into_iter().zip(counted) {
            let rule = &blocking::RULES[rule];
            let patterns: Vec<(Pattern, f64)> = counts.into_iter().collect();
            let total: f64 = patterns.iter().map(|(_, c)| c).sum();
            let (m, expected) = self.session(&patterns, fixed);
            if expected < 30.0 {
                self.warnings.push(Warning::TooFewInTraining {
                    rule: rule.name,
                    matches: expected.round() as u64,
                    pairs: total.round() as u64,
                });
                if estimates.iter().all(Vec::is_empty) {
                    // The first session looks where duplicates are likeliest (same names). Finding
                    // none there, the others would only learn what common names and years share:
                    // the default model stays.
                    self.warnings.push(Warning::DefaultModel);
                    break;
                }
                continue;
            }
            for f in (0..FIELDS.len()).filter(|f| !fixed.contains(f)) {
                estimates[f].push(m[f].clone());
            }
        }
        for (f, found) in estimates.iter().enumerate() {
            if found.is_empty() {
                continue;
            }
            for l in 1..levels(f) {
                self.m[f][l] = found.iter().map(|m| m[l]).sum::<f64>() / found.len() as f64;
            }
        }
        self.fit_prior(p, candidates);
        // A registry already clean holds almost no duplicates: what EM took for matches were
        // relatives and namesakes, and the prior it fits collapses. How duplicates agree is
        // then not learnt from it; the default m stays (a registration check's prior is the
        // repeat-registration rate, set by the index, not this one).
        let records = p.records.len() as f64;
        let expected_pairs = self.prior * records * (records - 1.0) / 2.0;
        if expected_pairs < 30.0 && estimates.iter().any(|e| !e.is_empty()) {
            self.warnings.push(Warning::TooFewDuplicates { pairs: expected_pairs.round() as u64 });
            self.m = DEFAULT_M.iter().map(|levels| levels.to_vec()).collect();
            self.fit_prior(p, candidates);
        }
        for (f, name) in FIELDS.iter().enumerate() {
            let separating = (1..levels(f)).map(|l| (self.m[f][l] / self.u[f][l]).log2().abs()).fold(0.0, f64::max);
            if separating < 0.5 {
                self.warnings.push(Warning::FieldBarelyCounts { field: name });
            }
        }
    }

    /// One EM session with `fixed` fields left out; returns m and the expected matches.
    fn session(&mut self, patterns: &[(Pattern, f64)], fixed: &[usize]) -> (Vec<Vec<f64>>, f64) {
        let mask: Pattern = fixed.iter().fold(0, |mask, f| mask | (0xf << (4 * f)));
        let patterns: Vec<(Pattern, f64)> = patterns.iter().map(|(p, c)| (p & !mask, *c)).collect();
        let total: f64 = patterns.iter().map(|(_, c)| c).sum();
        let mut m = self.m.clone();
        let mut prior: f64 = 0.02;
        let mut expected = 0.0;
        for iteration in 0..300 {
            let posterior: Vec<(Pattern, f64)> = patterns
                .iter()
                .map(|(pattern, count)| {
                    let score = (prior / (1.0 - prior)).log2() + self.log2_bayes_with(&m, *pattern);
                    (*pattern, count / (1.0 + (-score).exp2()))
                })
                .collect();
            expected = posterior.iter().map(|(_, w)| w).sum::<f64>();
            let new_m = level_shares(&posterior, 0.01);
            let new_prior = (expected / total).clamp(1e-6, 1.0 - 1e-6);
            let change = (new_prior - prior).abs()
                + new_m.iter().zip(&m).flat_map(|(a, b)| a.iter().zip(b)).map(|(a, b)| (a - b).abs()).sum::<f64>();
            m = new_m;
            prior = new_prior;
            self.iterations += 1;
            if change < 1e-7 || iteration == 299 {
                break;
            }
        }
        (m, expected)
    }

    /// The share of all record pairs that match: EM on the prior alone, m and u fixed, over
    /// the candidates' weights (term frequencies included) gathered in buckets of 0.05 bits.
    fn fit_prior(&mut self, p: &Prepared, candidates: &[Vec<Candidate>]) {
        let records = p.records.len() as f64;
        let all_pairs = records * (records - 1.0) / 2.0;
        let count: usize = candidates.iter().map(Vec::len).sum();
        let weights = self.weights(p);
        let buckets = candidates
            .par_iter()
            .flatten()
            .fold(HashMap::<i32, f64>::new, |mut acc, c| {
                let weight = weights.evidence(&p.records[c.a as usize], c.pattern);
                *acc.entry((weight * 20.0).round() as i32).or_insert(0.0) += 1.0;
                acc
            })
            .reduce(HashMap::new, |mut a, b| {
                for (k, v) in b {
                    *a.entry(k).or_insert(0.0) += v;
                }
                a
            });
        let weights: Vec<(f64, f64)> = buckets.into_iter().map(|(k, c)| (k as f64 / 20.0, c)).collect();
        let mut prior = (count as f64 / all_pairs * 0.1).clamp(1e-12, 0.5);
        for _ in 0..500 {
            let odds = (prior / (1.0 - prior)).log2();
            let expected: f64 = weights.iter().map(|(w, c)| c / (1.0 + (-(odds + w)).exp2())).sum();
            let next = (expected / all_pairs).clamp(1e-12, 0.5);
            let done = (next - prior).abs() < prior * 1e-7;
            prior = next;
            if done {
                break;
            }
        }
        self.prior = prior;
    }

    /// Refines m with clerical decisions (pattern, same person?): each decision counts as much
    /// as `weight` pairs learnt without labels.
    pub fn refine(&mut self, decisions: &[(Pattern, bool)], weight: f64) {
        let matches: Vec<(Pattern, f64)> = decisions.iter().filter(|(_, same)| *same).map(|(p, _)| (*p, 1.0)).collect();
        if matches.is_empty() {
            return;
        }
        let labelled = level_shares(&matches, 0.01);
        let w = (matches.len() as f64 * weight).min(1e9);
        let prior_weight = 1000.0;
        for (m, labelled) in self.m.iter_mut().zip(&labelled) {
            for (m, labelled) in m.iter_mut().zip(labelled).skip(1) {
                *m = (*m * prior_weight + labelled * w) / (prior_weight + w);
            }
        }
    }

    fn log2_bayes_with(&self, m: &[Vec<f64>], pattern: Pattern) -> f64 {
        (0..FIELDS.len())
            .map(|f| {
                let l = level(pattern, f);
                if l == 0 || l >= m[f].len() {
                    0.0
                } else {
                    (m[f][l] / self.u[f][l]).log2()
                }
            })
            .sum()
    }

    /// The model as a table of weights, for scoring many pairs: a log2 Bayes factor per field
    /// and level, and the term-frequency adjustment of each name.
    pub fn weights(&self, p: &Prepared) -> Weights {
        let mut table = [[0.0; 16]; FIELDS.len()];
        for (f, row) in table.iter_mut().enumerate() {
            for (l, w) in row.iter_mut().enumerate().take(levels(f)).skip(1) {
                *w = (self.m[f][l] / self.u[f][l]).log2();
            }
            // A level the data barely hold (an estimated age in a registry of exact dates has a
            // chance agreement near zero) could otherwise outweigh a closer agreement.
            for pair in STRONGEST_FIRST[f].windows(2) {
                row[pair[1]] = row[pair[1]].min(row[pair[0]]);
            }
        }
        // An exact agreement on a name weighs by that name's own frequency, not the average
        // chance of agreement: two "Mohamed" say less than two "Intalla".
        let tf = |f: usize| -> Vec<f64> {
            p.name_counts
                .iter()
                .map(|count| {
                    let frequency = (*count as f64 / self.name_total).max(1.0 / self.name_total);
                    (self.u[f][1] / frequency).log2().clamp(-10.0, 10.0)
                })
                .collect()
        };
        let rare = |f: usize| (self.u[f][1] * self.name_total).log2().clamp(-10.0, 10.0);
        Weights {
            table,
            given_tf: tf(GIVEN),
            family_tf: tf(FAMILY),
            rare_tf: [rare(GIVEN), rare(FAMILY)],
            family_places: self.family_places(p),
            father: self.father_frequencies(p),
            prior: (self.prior / (1.0 - self.prior)).log2(),
        }
    }

    /// How much less a place says when two records share a family name: families live
    /// together (a household, a lineage in its villages), so two Yattara in one commune are
    /// far likelier than the name's and the commune's frequencies multiplied. Per family name
    /// and place level, log2(u / P(level | both carry that name)), P counted over the pairs of
    /// the records that carry it and shrunk towards u by `FAMILY_PLACE_PSEUDO_PAIRS`, so a
    /// rare name (whose pairs are mostly its duplicates) keeps the plain weight.
    fn family_places(&self, p: &Prepared) -> Vec<[f32; 5]> {
        let mut by_place: [HashMap<(u32, u32), u32>; 3] = Default::default();
        let mut carriers: HashMap<u32, u32> = HashMap::new();
        for r in p.records.iter().filter(|r| r.family != 0 && r.admin1 != 0) {
            *carriers.entry(r.family).or_default() += 1;
            for (counts, place) in by_place.iter_mut().zip([r.admin3, r.admin2, r.admin1]) {
                if place != 0 {
                    *counts.entry((r.family, place)).or_default() += 1;
                }
            }
        }
        let pairs = |n: u32| n as f64 * (n as f64 - 1.0) / 2.0;
        // Pairs of carriers sharing the commune, the cercle, the région: [family][scale].
        let mut sharing: HashMap<u32, [f64; 3]> = HashMap::new();
        for (scale, counts) in by_place.iter().enumerate() {
            for (&(family, _), &n) in counts {
                sharing.entry(family).or_default()[scale] += pairs(n);
            }
        }
        let mut adjustments = vec![[0.0f32; 5]; p.names.len().max(1)];
        for (family, shared) in sharing {
            let all = pairs(carriers[&family]);
            // Pairs at each place level: same commune, same cercle only, same région only, apart.
            let at = [shared[0], shared[1] - shared[0], shared[2] - shared[1], all - shared[2]];
            for (l, count) in at.iter().enumerate() {
                let u = self.u[PLACE][l + 1];
                let given_the_name =
                    (count.max(0.0) + FAMILY_PLACE_PSEUDO_PAIRS * u) / (all + FAMILY_PLACE_PSEUDO_PAIRS);
                adjustments[family as usize][l + 1] = (u / given_the_name).log2().clamp(-10.0, 4.0) as f32;
            }
        }
        adjustments
    }

    /// A father's name weighs by its own frequency, as given and family names do: an exact
    /// "Mohamed" says less than an exact "Aghaly", and the same key says less for the
    /// commonest keys (Mohamed, Mahamadou and Muhammad share `mhmd`).
    fn father_frequencies(&self, p: &Prepared) -> FatherFrequencies {
        let mut names = vec![0u32; p.names.len().max(1)];
        let mut keys = vec![0u32; p.keys.len().max(1)];
        let mut key_of = vec![0u32; p.names.len().max(1)];
        for r in p.records.iter().filter(|r| r.father != 0) {
            names[r.father as usize] += 1;
            keys[r.father_key as usize] += 1;
            key_of[r.father as usize] = r.father_key;
        }
        let total = names.iter().map(|&n| n as f64).sum::<f64>();
        // log2(average chance agreement / this value's chance agreement), the value's share
        // shrunk towards the average by `FATHER_PSEUDO_RECORDS`: a registry of a few people
        // says nothing of how common a name is.
        let adjust = |average: f64, count: f64| {
            let share = (count + FATHER_PSEUDO_RECORDS * average) / (total + FATHER_PSEUDO_RECORDS);
            (average / share).log2().clamp(-10.0, 10.0) as f32
        };
        FatherFrequencies {
            exact: names.iter().map(|&n| adjust(self.u[FATHER][1], n as f64)).collect(),
            // NaN: never a father's name here, weighed by its key alone.
            same_key: names
                .iter()
                .zip(&key_of)
                .map(|(&n, &k)| match n {
                    0 => f32::NAN,
                    n => adjust(self.u[FATHER][2], keys[k as usize] as f64 - n as f64),
                })
                .collect(),
            key: keys.iter().map(|&k| adjust(self.u[FATHER][2], k as f64)).collect(),
        }
    }

    /// Bayes factor table for the summary: field, level, m, u, weight.
    pub fn table(&self) -> Vec<(String, String, f64, f64, f64)> {
        let mut rows = Vec::new();
        for (f, field) in FIELDS.iter().enumerate() {
            for l in 1..levels(f) {
                rows.push((
                    field.to_string(),
                    LEVELS[f][l - 1].to_string(),
                    self.m[f][l],
                    self.u[f][l],
                    (self.m[f][l] / self.u[f][l]).log2(),
                ));
            }
        }
        rows
    }
}

/// Weights ready for scoring (see `Model::weights`).
pub struct Weights {
    table: [[f64; 16]; FIELDS.len()],
    given_tf: Vec<f64>,
    family_tf: Vec<f64>,
    rare_tf: [f64; 2],
    /// Per family name id, what a place level weighs less (or more) for two carriers of that
    /// name (`Model::family_places`).
    family_places: Vec<[f32; 5]>,
    father: FatherFrequencies,
    /// log2 of the prior odds.
    prior: f64,
}

/// Father's-name frequency adjustments in bits (`Model::father_frequencies`): per name id for
/// an exact agreement and for the same key (the other names under that name's key), and per
/// key id for a name the data do not hold.
struct FatherFrequencies {
    exact: Vec<f32>,
    same_key: Vec<f32>,
    key: Vec<f32>,
}

impl FatherFrequencies {
    fn bits(&self, a: &Record, level: usize) -> f64 {
        let known = |table: &[f32], id: u32| table.get(id as usize).copied().filter(|_| id != 0);
        let bits = match level {
            1 => known(&self.exact, a.father),
            2 => known(&self.same_key, a.father).filter(|b| !b.is_nan()).or_else(|| known(&self.key, a.father_key)),
            _ => None,
        };
        bits.unwrap_or(0.0) as f64
    }
}

impl Weights {
    /// The pair's evidence in bits, without the prior.
    pub fn evidence(&self, a: &Record, pattern: Pattern) -> f64 {
        let mut score = 0.0;
        for (f, row) in self.table.iter().enumerate() {
            score += row[level(pattern, f)];
        }
        // A name added after the weights were made is as rare as a name can be.
        if level(pattern, GIVEN) == 1 {
            score += self.given_tf.get(a.given as usize).copied().unwrap_or(self.rare_tf[0]);
        }
        if level(pattern, FAMILY) == 1 {
            score += self.family_tf.get(a.family as usize).copied().unwrap_or(self.rare_tf[1]);
            score += self.family_place(a, pattern);
        }
        score += self.father.bits(a, level(pattern, FATHER));
        score
    }

    /// The family-name correction of the place weight, for a pair agreeing on the family name.
    fn family_place(&self, a: &Record, pattern: Pattern) -> f64 {
        self.family_places.get(a.family as usize).map_or(0.0, |levels| levels[level(pattern, PLACE)] as f64)
    }

    /// The pair's evidence field by field: each field's level and its bits (an exact name's
    /// bits include its frequency adjustment).
    pub fn explain(&self, a: &Record, pattern: Pattern) -> Vec<(&'static str, &'static str, f64)> {
        (0..FIELDS.len())
            .filter(|&f| level(pattern, f) > 0)
            .map(|f| {
                let l = level(pattern, f);
                let mut bits = self.table[f][l];
                if l == 1 && f == GIVEN {
                    bits += self.given_tf.get(a.given as usize).copied().unwrap_or(self.rare_tf[0]);
                }
                if l == 1 && f == FAMILY {
                    bits += self.family_tf.get(a.family as usize).copied().unwrap_or(self.rare_tf[1]);
                }
                if f == PLACE && level(pattern, FAMILY) == 1 {
                    bits += self.family_place(a, pattern);
                }
                if f == FATHER {
                    bits += self.father.bits(a, l);
                }
                (FIELDS[f], LEVELS[f][l - 1], bits)
            })
            .collect()
    }

    /// The same weights with another prior (a probability).
    pub fn with_prior(mut self, prior: f64) -> Weights {
        let prior = prior.clamp(1e-15, 0.5);
        self.prior = (prior / (1.0 - prior)).log2();
        self
    }

    /// The match weight: prior odds plus evidence.
    pub fn score(&self, a: &Record, pattern: Pattern) -> f64 {
        self.score_of(self.evidence(a, pattern))
    }

    /// The match weight of a pair with `evidence` bits.
    pub fn score_of(&self, evidence: f64) -> f64 {
        self.prior + evidence
    }
}

/// Probability from a match weight.
pub fn probability(score: f64) -> f64 {
    1.0 / (1.0 + (-score).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A distinct name made of letters (standardisation drops digits).
    fn lettered(prefix: &str, mut n: usize) -> String {
        let mut name = prefix.to_string();
        loop {
            name.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
            if n == 0 {
                return name;
            }
        }
    }

    #[test]
    fn a_common_fathers_name_says_less_than_a_rare_one() {
        // Half the fathers are Mohamed (or Mahamadou, under the same key); the rest are rare.
        let inputs: Vec<crate::Input> = (0..8000)
            .map(|i| crate::Input {
                id: format!("R{i}"),
                given_name: lettered("Gi", i % 97),
                family_name: lettered("Fam", i % 89),
                father_name: match i % 4 {
                    0 => "Mohamed".into(),
                    1 => "Mahamadou".into(),
                    _ => lettered("Pa", i / 4),
                },
                ..Default::default()
            })
            .collect();
        let p = Prepared::new(inputs);
        let weights = Model::with_u(&p, 100_000, 1).weights(&p);
        let father_bits = |a: usize, b: usize| {
            let pattern = compare(&p, &p.records[a], &p.records[b]);
            let explained = weights.explain(&p.records[a], pattern);
            explained.into_iter().find(|(f, _, _)| *f == "father_name").map(|(_, level, bits)| (level, bits)).unwrap()
        };
        let (common, rare) = (father_bits(0, 4), father_bits(2, 3));
        assert_eq!((common.0, rare.0), ("exact", "exact"));
        assert!(common.1 + 5.0 < rare.1, "Mohamed {:.2}, a rare name {:.2}", common.1, rare.1);
        let (key, key_bits) = father_bits(0, 1);
        assert_eq!(key, "same key");
        assert!(key_bits < 2.0, "Mohamed and Mahamadou, a quarter of fathers each: {key_bits:.2}");
    }

    #[test]
    fn a_shared_commune_says_less_for_a_family_that_lives_there() {
        // 4,000 people in 40 communes; the Yattara all live in two of them, the Traoré everywhere.
        let inputs: Vec<crate::Input> = (0..4000)
            .map(|i| {
                let yattara = i % 4 == 0;
                let commune = if yattara { i % 2 } else { i % 40 };
                crate::Input {
                    id: format!("R{i}"),
                    given_name: lettered("Gi", i % 97),
                    family_name: if yattara {
                        "Yattara".into()
                    } else if i % 4 == 1 {
                        "Traoré".into()
                    } else {
                        lettered("Fam", i % 301)
                    },
                    sex: if i % 2 == 0 { "f".into() } else { "m".into() },
                    birth_date: format!("{}", 1950 + i % 60),
                    admin1: format!("ML{:02}", commune / 8),
                    admin2: format!("ML{:02}{:02}", commune / 8, commune / 4),
                    admin3: format!("ML{commune:04}"),
                    ..Default::default()
                }
            })
            .collect();
        let p = Prepared::new(inputs);
        let model = Model::with_u(&p, 100_000, 1);
        let weights = model.weights(&p);
        let place_bits = |a: usize, b: usize| {
            let pattern = compare(&p, &p.records[a], &p.records[b]);
            assert_eq!((level(pattern, FAMILY), level(pattern, PLACE)), (1, 1));
            weights.explain(&p.records[a], pattern).into_iter().find(|(f, _, _)| *f == "place").map(|(_, _, bits)| bits)
        };
        let (yattara, traore) = (place_bits(0, 8).unwrap(), place_bits(1, 41).unwrap());
        let plain = (model.m[PLACE][1] / model.u[PLACE][1]).log2();
        assert!((traore - plain).abs() < 0.5, "spread like everyone: {traore:.2} vs {plain:.2}");
        assert!(yattara < plain - 3.0, "living together: {yattara:.2} vs {plain:.2}");
    }

    #[test]
    fn em_learns_that_agreement_means_match_and_reports_hopeless_training() {
        // 200 matches (agree on all) among 10,000 pairs that mostly disagree.
        let all_exact: Pattern = 0x1111111;
        let mut rng = Rng::new(7);
        let mut candidates = vec![all_exact; 200];
        for _ in 0..9800 {
            let mut pattern = 0;
            for (f, levels) in LEVELS.iter().enumerate() {
                pattern |= ((1 + rng.below(levels.len())) as u32) << (4 * f);
            }
            candidates.push(pattern);
        }
        let mut inputs = Vec::new();
        for i in 0..200 {
            inputs.push(crate::records::Input {
                id: i.to_string(),
                given_name: format!("n{}", i % 37),
                ..Default::default()
            });
        }
        let p = Prepared::new(inputs);
        let mut model = Model::with_u(&p, 1000, 1);
        // u as if chance agreement were rare at level 1.
        for f in 0..FIELDS.len() {
            let n = levels(f) - 1;
            for l in 1..levels(f) {
                model.u[f][l] = 1.0 / n as f64;
            }
        }
        let mut counts: HashMap<Pattern, f64> = HashMap::new();
        for c in &candidates {
            *counts.entry(*c).or_insert(0.0) += 1.0;
        }
        let patterns: Vec<(Pattern, f64)> = counts.into_iter().collect();
        let (m, expected) = model.session(&patterns, &[]);
        assert!((expected - 200.0).abs() < 40.0, "expected matches {expected}");
        assert!(m[GIVEN][1] > 0.9, "m(exact given) {}", m[GIVEN][1]);
        assert!(m.iter().all(|m| m[1..].iter().all(|v| *v > 0.0)), "every level keeps an estimate");
        // With the family name left out, its m is not learnt from the data.
        let (m_fixed, _) = model.session(&patterns, &[FAMILY]);
        assert!(m_fixed[FAMILY][1] < 0.5, "{}", m_fixed[FAMILY][1]);

        let mut hopeless = Model::with_u(&p, 1000, 1);
        hopeless.train(&p, &[], &[]);
        assert!(!hopeless.warnings.is_empty());
    }

    #[test]
    fn clerical_decisions_move_m_towards_what_reviewers_saw() {
        let p = Prepared::new(vec![crate::records::Input {
            id: "1".into(),
            given_name: "Awa".into(),
            ..Default::default()
        }]);
        let mut model = Model::with_u(&p, 100, 1);
        let before = model.m[FAMILY][2];
        // Reviewers confirmed 200 matches whose family names only shared a key.
        let decisions: Vec<(Pattern, bool)> =
            (0..200).map(|_| (0x1111121u32, true)).chain((0..50).map(|_| (0x5555525, false))).collect();
        model.refine(&decisions, 10.0);
        assert!(model.m[FAMILY][2] > before + 0.3, "{before} → {}", model.m[FAMILY][2]);
        let total: f64 = model.m[FAMILY][1..].iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "still a distribution: {total}");
    }

    #[test]
    fn the_generator_is_deterministic() {
        let mut a = Rng::new(3);
        let mut b = Rng::new(3);
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        assert!((0..1000).all(|_| a.below(10) < 10));
    }
}
