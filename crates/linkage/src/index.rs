//! Checking one new registration against a registry already deduplicated: the registry's
//! records stay prepared in memory with each blocking rule's blocks as lists, so a probe is
//! compared only with the records that share one of its keys, and scored with the registry's
//! own learnt model. Records registered later are added without rebuilding.

use std::collections::HashMap;

use crate::blocking::{RULES, RULE_COUNT};
use crate::compare::compare;
use crate::model::{probability, Model, Weights};
use crate::records::{Input, Prepared};

pub struct Index {
    prepared: Prepared,
    weights: Weights,
    pub model: Model,
    blocks: Vec<HashMap<u64, Vec<u32>>>,
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

impl Index {
    /// Learns the model on the records themselves (as a batch run would) and indexes them.
    pub fn build(inputs: Vec<Input>, config: &crate::Config) -> Index {
        let outcome =
            crate::dedup(inputs, &crate::Config { u_samples: config.u_samples.min(300_000), ..config.clone() });
        let prepared = outcome.prepared;
        let model = outcome.model;
        // The chance a newcomer is a given earlier record is an operational fact, the share of
        // registrations that repeat someone, spread over the registry: not the share of
        // duplicate pairs inside it, which in a registry kept clean is near zero.
        let prior = REPEAT_REGISTRATIONS / prepared.records.len().max(1) as f64;
        let weights = model.weights(&prepared).with_prior(prior);
        let mut index = Index { prepared, weights, model, blocks: vec![HashMap::new(); RULE_COUNT] };
        for i in 0..index.prepared.records.len() {
            index.block(i as u32);
        }
        index
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

    pub fn len(&self) -> usize {
        self.prepared.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prepared.records.is_empty()
    }

    /// Adds a record registered after the index was built.
    pub fn add(&mut self, input: &Input) {
        let record = self.prepared.intern(input);
        self.prepared.push(input.id.clone(), record);
        self.block(self.prepared.records.len() as u32 - 1);
    }

    /// The records likely to be the probed person, most likely first, from `at_least` up.
    pub fn probe(&mut self, input: &Input, at_least: f64, limit: usize) -> Vec<Likely> {
        let probe = self.prepared.intern(input);
        let mut candidates: Vec<u32> = Vec::new();
        for (rule, blocks) in RULES.iter().zip(&self.blocks) {
            let key = rule.key(&probe);
            if let Some(members) = blocks.get(&key).filter(|_| key != 0) {
                candidates.extend(members.iter().take(PROBE_LIMIT.saturating_sub(candidates.len())));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut found: Vec<Likely> = candidates
            .into_iter()
            .filter_map(|i| {
                let record = &self.prepared.records[i as usize];
                let pattern = compare(&self.prepared, &probe, record);
                let p = probability(self.weights.score(&probe, pattern));
                (p >= at_least).then(|| Likely { id: self.prepared.ids[i as usize].clone(), probability: p })
            })
            .collect();
        found.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        found.truncate(limit);
        found
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
}
