//! Checking one new registration against a registry already deduplicated: the registry's
//! records stay prepared in memory with each blocking rule's blocks as lists, so a probe is
//! compared only with the records that share one of its keys, and scored with the registry's
//! own learnt model. Records registered later are added without rebuilding.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::blocking::{RULES, RULE_COUNT};
use crate::compare::{compare, incompatible};
use crate::household::{household_number, kin, Context, HouseholdWeights, CO_MEMBER_EVIDENCE};
use crate::logit;
use crate::model::{probability, Model, Weights};
use crate::records::{Input, Prepared, Record};

pub struct Index {
    prepared: Prepared,
    weights: Weights,
    pub model: Model,
    /// People's decisions on pairs the model learnt from.
    pub decisions_used: usize,
    blocks: Vec<HashMap<u64, Vec<u32>>>,
    /// Each record's household (0: none known).
    household_of: Vec<u32>,
    households: HashMap<String, u32>,
    /// Each household's standing records, by household number.
    household_records: HashMap<u32, Vec<u32>>,
    /// Records replaced or removed since they were indexed: never a candidate again.
    gone: Vec<bool>,
    standing: usize,
    household: HouseholdWeights,
}

/// A likely earlier registration of the probed person.
#[derive(Clone, Debug, PartialEq)]
pub struct Likely {
    pub id: String,
    pub probability: f64,
}

/// The share of registrations that repeat someone already registered (field experience of
/// repeated registration in displacement responses: a few in a hundred).
pub const REPEAT_REGISTRATIONS: f64 = 0.05;

/// Comparisons a probe may need at most: blocks of the commonest names are large.
const PROBE_LIMIT: usize = 20_000;

/// Households sampled from the registry to learn how often a stranger's household agrees.
const HOUSEHOLD_SAMPLE: usize = 400;

/// One member's candidates, and the households where a candidate is about as alike as a
/// namesake (with that record).
struct Found {
    scored: Vec<Candidate>,
    alike: Vec<(u32, u32)>,
}

struct Candidate {
    record: u32,
    /// Evidence in bits, without the prior.
    evidence: f64,
    /// Same family name and same cercle: such a candidate's household is of the same family
    /// in the same place, whose members resemble this one's far more often than others do,
    /// so its household context weighs by its own chance agreement.
    kin: bool,
}

impl Index {
    /// Learns the model on the records themselves (as a batch run would) and indexes them.
    pub fn build(inputs: Vec<Input>, config: &crate::Config) -> Index {
        let mut households = HashMap::new();
        let household_of: Vec<u32> = inputs.iter().map(|i| household_number(&mut households, &i.household)).collect();
        let mut household_records: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, &h) in household_of.iter().enumerate() {
            if h != 0 {
                household_records.entry(h).or_default().push(i as u32);
            }
        }
        let gone = vec![false; household_of.len()];
        let standing = gone.len();
        // Only the model is needed: the registry's own pairs are the batch run's business.
        let mut prepared = Prepared::new(inputs);
        let mut report = crate::Report::default();
        let config = crate::Config { u_samples: config.u_samples.min(300_000), ..config.clone() };
        let (model, candidates) = crate::learn(&mut prepared, &config, &mut report);
        drop(candidates);
        let decisions_used = report.decisions_used;
        // The chance a newcomer is a given earlier record is an operational fact, the share of
        // registrations that repeat someone, spread over the registry: not the share of
        // duplicate pairs inside it, which in a registry kept clean is near zero.
        let prior = REPEAT_REGISTRATIONS / prepared.records.len().max(1) as f64;
        let weights = model.weights(&prepared).with_prior(prior);
        let mut index = Index {
            prepared,
            weights,
            model,
            decisions_used,
            blocks: vec![HashMap::new(); RULE_COUNT],
            household_of,
            households,
            household_records,
            gone,
            standing,
            household: HouseholdWeights::none(),
        };
        for i in 0..index.prepared.records.len() {
            index.block(i as u32);
        }
        index.household = index.household_u().map_or_else(HouseholdWeights::none, HouseholdWeights::new);
        index
    }

    /// How, among registered households, the household of a member's namesake-like candidate
    /// (of two or more people) compares with the member's own: the household context's u per
    /// level, for other candidates and for kin. `None` when too few were compared to learn
    /// from; kin compared too rarely are weighed as the others.
    fn household_u(&self) -> Option<[[f64; 3]; 2]> {
        let mut households: Vec<&Vec<u32>> =
            self.household_records.values().filter(|records| records.len() >= 2).collect();
        households.sort_unstable();
        let mut rng = crate::model::Rng::new(17);
        let sample: Vec<&Vec<u32>> =
            (0..HOUSEHOLD_SAMPLE.min(households.len())).map(|_| households[rng.below(households.len())]).collect();
        let counts = sample
            .par_iter()
            .map(|records| {
                let probes: Vec<Record> = records.iter().map(|&i| self.prepared.records[i as usize]).collect();
                let found = self.find(&probes, Some(self.household_of[records[0] as usize]));
                let mut counts = [[0usize; 3]; 2];
                for (member, f) in found.iter().enumerate() {
                    for c in f.scored.iter().filter(|c| c.evidence >= CO_MEMBER_EVIDENCE) {
                        let Some(k) = self.context(&found, member, c.record).level() else { continue };
                        counts[c.kin as usize][k] += 1;
                    }
                }
                counts
            })
            .reduce(|| [[0; 3]; 2], |a, b| [0, 1].map(|kin| [0, 1, 2].map(|k| a[kin][k] + b[kin][k])));
        crate::household::shares(counts)
    }

    fn block(&mut self, i: u32) {
        let record = self.prepared.records[i as usize];
        for (rule, blocks) in RULES.iter().zip(self.blocks.iter_mut()) {
            let key = rule.key(&record);
            if key != 0 {
                blocks.entry(key).or_default().push(i);
            }
        }
    }

    /// Records indexed and standing (not replaced since).
    pub fn len(&self) -> usize {
        self.standing
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records replaced since the index was built: kept (as tombstones) until it is rebuilt.
    pub fn replaced(&self) -> usize {
        self.prepared.records.len() - self.standing
    }

    /// Adds a record registered after the index was built.
    pub fn add(&mut self, input: &Input) {
        let record = self.prepared.intern(input);
        self.prepared.push(input.id.clone(), record);
        let i = self.prepared.records.len() as u32 - 1;
        self.block(i);
        self.gone.push(false);
        self.standing += 1;
        let household = household_number(&mut self.households, &input.household);
        self.household_of.push(household);
        if household != 0 {
            self.household_records.entry(household).or_default().push(i);
        }
    }

    /// Puts a household changed since it was indexed (members corrected, added, removed or
    /// merged away, the household moved) as it now stands: its earlier records are never
    /// candidates again, `members` are added. No members: the household leaves the index.
    pub fn replace_household(&mut self, household: &str, members: &[Input]) {
        if let Some(&h) = self.households.get(household) {
            for i in self.household_records.remove(&h).unwrap_or_default() {
                self.gone[i as usize] = true;
                self.standing -= 1;
            }
        }
        for member in members {
            self.add(&Input { household: household.to_string(), ..member.clone() });
        }
    }

    /// The records likely to be the probed person, most likely first, from `at_least` up.
    pub fn probe(&mut self, input: &Input, at_least: f64, limit: usize) -> Vec<Likely> {
        self.probe_household(std::slice::from_ref(input), at_least, limit).pop().unwrap_or_default()
    }

    /// For each member of a household being registered, the records likely to be that member,
    /// most likely first, from `at_least` up. A candidate whose household also holds another
    /// member of this one gains the household's agreement; one whose other members are all
    /// strangers to the other members here loses a little.
    pub fn probe_household(&mut self, members: &[Input], at_least: f64, limit: usize) -> Vec<Vec<Likely>> {
        let probes: Vec<Record> = members.iter().map(|m| self.prepared.intern(m)).collect();
        let found = self.find(&probes, None);
        let threshold = logit(at_least);
        (0..probes.len())
            .map(|member| {
                let mut likely: Vec<Likely> = found[member]
                    .scored
                    .iter()
                    .filter_map(|c| {
                        let i = c.record;
                        let score = self.weights.score_of(c.evidence)
                            + self.household.bits(self.context(&found, member, i), c.kin);
                        (score >= threshold).then(|| Likely {
                            id: self.prepared.ids[i as usize].clone(),
                            probability: probability(score),
                        })
                    })
                    .collect();
                likely.sort_by(|a, b| b.probability.total_cmp(&a.probability));
                likely.truncate(limit);
                likely
            })
            .collect()
    }

    /// Every member's candidates, leaving out the records of household `except`.
    fn find(&self, probes: &[Record], except: Option<u32>) -> Vec<Found> {
        probes
            .iter()
            .map(|probe| {
                let scored: Vec<Candidate> = self
                    .candidates(probe)
                    .into_iter()
                    .filter(|&i| except.is_none_or(|h| self.household_of[i as usize] != h))
                    // Never one person, as clustering holds: another sex, births too far apart.
                    .filter(|&i| !incompatible(probe, &self.prepared.records[i as usize]))
                    .map(|i| {
                        let record = &self.prepared.records[i as usize];
                        let pattern = compare(&self.prepared, probe, record);
                        Candidate { record: i, evidence: self.weights.evidence(probe, pattern), kin: kin(pattern) }
                    })
                    .collect();
                let alike = scored
                    .iter()
                    .filter(|c| c.evidence >= CO_MEMBER_EVIDENCE && self.household_of[c.record as usize] != 0)
                    .map(|c| (self.household_of[c.record as usize], c.record))
                    .collect();
                Found { scored, alike }
            })
            .collect()
    }

    /// How candidate `i` of `member` stands with the household being registered.
    fn context(&self, found: &[Found], member: usize, i: u32) -> Context {
        let household = self.household_of[i as usize];
        let size = self.household_records.get(&household).map_or(0, Vec::len);
        if found.len() < 2 || size < 2 {
            return Context::Alone;
        }
        // The other members here alike to another record of that household (a record cannot
        // vouch for itself).
        let agreeing = found
            .iter()
            .enumerate()
            .filter(|(other, f)| *other != member && f.alike.iter().any(|&(h, record)| h == household && record != i))
            .count();
        Context::of(agreeing, found.len() - 1, size - 1)
    }

    /// The records sharing a blocking key with `probe`, each once.
    fn candidates(&self, probe: &Record) -> Vec<u32> {
        let mut candidates: Vec<u32> = Vec::new();
        for (rule, blocks) in RULES.iter().zip(&self.blocks) {
            let key = rule.key(probe);
            if let Some(members) = blocks.get(&key).filter(|_| key != 0) {
                candidates.extend(members.iter().take(PROBE_LIMIT.saturating_sub(candidates.len())));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.retain(|&i| !self.gone[i as usize]);
        candidates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_tiny_registry_can_be_probed() {
        for n in 0..3 {
            let data = crate::synthetic::generate(n, 0.0, &crate::synthetic::sample_places(), 1);
            let probe = data.inputs.first().cloned().unwrap_or_default();
            let mut index = Index::build(data.inputs, &crate::Config::default());
            let found = index.probe(&probe, 0.5, 5);
            assert!(found.len() <= n);
        }
    }

    #[test]
    fn a_new_registration_finds_its_earlier_self_among_many() {
        let places = crate::synthetic::sample_places();
        let data = crate::synthetic::generate(20_000, 0.0, &places, 11);
        let earlier = data.inputs[1234].clone();
        let mut index = Index::build(data.inputs, &crate::Config::default());
        let again = Input {
            id: "new".into(),
            given_name: format!("{} ", earlier.given_name.to_uppercase()),
            phone: String::new(),
            admin3: String::new(),
            ..earlier.clone()
        };
        let found = index.probe(&again, 0.5, 5);
        assert_eq!(found.first().map(|l| l.id.as_str()), Some(earlier.id.as_str()), "{found:?}");
        // Someone else entirely finds nobody.
        let stranger =
            Input { id: "x".into(), given_name: "Zzyzx".into(), family_name: "Qwerty".into(), ..Default::default() };
        assert!(index.probe(&stranger, 0.5, 5).is_empty());
        // A record added later is found too.
        let later = Input {
            id: "later".into(),
            given_name: "Intalla".into(),
            family_name: "Ag Attaher".into(),
            sex: "m".into(),
            birth_date: "1970".into(),
            admin1: "ML08".into(),
            admin2: "ML0801".into(),
            admin3: "ML080101".into(),
            ..Default::default()
        };
        index.add(&later);
        let found = index.probe(&Input { id: "p".into(), family_name: "Attaher".into(), ..later.clone() }, 0.5, 5);
        assert_eq!(found.first().map(|l| l.id.as_str()), Some("later"), "{found:?}");
    }

    #[test]
    fn an_estimated_age_finds_the_person_before_a_namesake_a_few_years_apart() {
        // A registry of dates as told (no estimates in it): a woman and her namesake, three
        // years younger, in the same commune.
        let person = |id: &str, birth: &str| Input {
            id: id.into(),
            given_name: "Fatoumata".into(),
            family_name: "Maïga".into(),
            father_name: "Oumar".into(),
            sex: "f".into(),
            birth_date: birth.into(),
            admin1: "ML07".into(),
            admin2: "ML0701".into(),
            admin3: "ML070101".into(),
            ..Default::default()
        };
        let places = crate::synthetic::sample_places();
        let mut inputs = crate::synthetic::generate(5_000, 0.0, &places, 3).inputs;
        for input in &mut inputs {
            input.birth_date = input.birth_date.trim_start_matches('~').to_string();
        }
        inputs.extend([person("her", "1988-04-12"), person("namesake", "1991-02-03")]);
        let mut index = Index::build(inputs, &crate::Config::default());
        let found = index.probe(&person("again", "~1988"), 0.5, 5);
        assert_eq!(found.first().map(|l| l.id.as_str()), Some("her"), "{found:?}");
    }

    #[test]
    fn a_household_registered_again_vouches_for_its_members_and_a_strange_one_does_not() {
        // Two namesakes, each with a child, in one commune; the year only, no father's name.
        let person = |id: &str, given: &str, birth: &str, household: &str| Input {
            id: id.into(),
            given_name: given.into(),
            family_name: "Traoré".into(),
            sex: "f".into(),
            birth_date: birth.into(),
            admin1: "ML07".into(),
            admin2: "ML0701".into(),
            admin3: "ML070101".into(),
            household: household.into(),
            ..Default::default()
        };
        let places = crate::synthetic::sample_places();
        let mut inputs = crate::synthetic::generate(5_000, 0.0, &places, 5).inputs;
        // Households of four, for the registry to learn how strangers' households compare.
        for (n, input) in inputs.iter_mut().enumerate() {
            input.household = format!("g{}", n / 4);
        }
        inputs.extend([
            person("mother", "Aminata", "1990", "h1"),
            person("child", "Kadiatou", "2015", "h1"),
            person("namesake", "Aminata", "1990", "h2"),
            person("her child", "Mariam", "2012", "h2"),
        ]);
        let mut index = Index::build(inputs, &crate::Config::default());
        let alone = index.probe(&person("", "Aminata", "1990", ""), 0.0, 5);
        let p_alone: Vec<f64> = ["mother", "namesake"]
            .iter()
            .map(|id| alone.iter().find(|l| l.id == *id).map_or(0.0, |l| l.probability))
            .collect();
        assert!((p_alone[0] - p_alone[1]).abs() < 1e-9, "alone, the two are alike: {alone:?}");
        // Registered again with her child: she is found first, the namesake falls below.
        let found =
            index.probe_household(&[person("", "Aminata", "1990", ""), person("", "Kadiatou", "2015", "")], 0.0, 5);
        assert_eq!(found[0].first().map(|l| l.id.as_str()), Some("mother"), "{found:?}");
        assert_eq!(found[1].first().map(|l| l.id.as_str()), Some("child"), "{found:?}");
        let namesake = found[0].iter().find(|l| l.id == "namesake").map_or(0.0, |l| l.probability);
        assert!(namesake < p_alone[1], "a household of strangers counts against: {namesake} vs {}", p_alone[1]);
        let mother = found[0][0].probability;
        assert!(mother > p_alone[0], "{mother} vs {}", p_alone[0]);
        // One record cannot vouch for itself: a household listing the child twice gains nothing.
        let twice =
            index.probe_household(&[person("", "Kadiatou", "2015", ""), person("", "Kadiatou", "2015", "")], 0.0, 5);
        let child_twice = twice[0].iter().find(|l| l.id == "child").map_or(0.0, |l| l.probability);
        assert!(child_twice < found[1][0].probability, "{child_twice} vs {}", found[1][0].probability);
    }
}
