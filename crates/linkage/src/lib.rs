//! Record linkage for Djoliba: finds people registered more than once, across registration
//! points and agencies, whatever the spelling. No IO: callers read and write the records.
//!
//! Pipeline (`dedup`): standardise and intern (`records`), block with several rules and compare
//! each candidate pair once (`blocking`, `compare`), learn a Fellegi–Sunter model without labels
//! (`model`), score, cluster with a review band (`cluster`). `synthetic` generates registrations
//! with known duplicates for tests and benchmarks; `evaluate` measures pair precision and recall.

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod household;
pub mod index;
pub mod model;
pub mod records;
pub mod standardise;
pub mod synthetic;

use std::time::{Duration, Instant};

use rayon::prelude::*;

pub use cluster::Scored;
pub use records::{Input, Prepared};

#[derive(Clone, Debug)]
pub struct Config {
    /// Blocks larger than this are compared by sorted neighbourhood, not all against all.
    pub max_block: usize,
    /// Pairs at or above this probability are linked.
    pub link_at: f64,
    /// Pairs from this probability up to `link_at` go to review.
    pub review_from: f64,
    pub max_cluster: usize,
    /// Random pairs drawn to estimate chance agreement (u).
    pub u_samples: usize,
    pub seed: u64,
    /// Pairs people decided (the two records, same person?): how real duplicates of these
    /// records agree, which refines what was learnt without labels.
    pub decisions: Vec<(Input, Input, bool)>,
    /// The chance that two records are one person, when it is known rather than learnt: in a
    /// registry kept clean, the share of registrations that repeat someone, over its size
    /// (`index::REPEAT_REGISTRATIONS`). EM's own prior fits files that hold their duplicates.
    pub prior: Option<f64>,
}

/// How many unlabelled pairs one person's decision counts as when refining the model.
const DECISION_WEIGHT: f64 = 20.0;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_block: 60,
            link_at: 0.9,
            review_from: 0.5,
            max_cluster: 30,
            u_samples: 1_000_000,
            seed: 2012,
            decisions: Vec::new(),
            prior: None,
        }
    }
}

/// What a run did, for the summary.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub records: usize,
    /// People's decisions on pairs that refined the model.
    pub decisions_used: usize,
    pub candidate_pairs: u64,
    pub rules: Vec<blocking::RuleReport>,
    pub phases: Vec<(&'static str, Duration)>,
    pub model_warnings: Vec<model::Warning>,
    pub em_iterations: usize,
    pub prior: f64,
    pub weights: Vec<(String, String, f64, f64, f64)>,
    pub cluster: cluster::ClusterReport,
    pub review_pairs: usize,
    /// Share of the model's surest matches each rule's keys agree on, and the recall of all
    /// rules together if they missed matches independently.
    pub rule_coverage: Vec<(&'static str, f64)>,
    pub estimated_blocking_recall: f64,
    /// What the household context weighed (bits for most, some, none of the other members
    /// alike; for other candidates, then for kin), when households were known.
    pub household: Option<[[f64; 3]; 2]>,
    /// Records whose household was given.
    pub households_known: usize,
}

pub struct Outcome {
    /// Cluster number of each record, in input order.
    pub cluster_of: Vec<u32>,
    /// Pairs for a person to decide, strongest first.
    pub review: Vec<Scored>,
    /// Every pair scored from `review_from` up, strongest first (households weighed when
    /// known): what a caller says of a linked pair.
    pub scored: Vec<Scored>,
    /// The weights the pairs were scored with (the run's prior included).
    pub weights: model::Weights,
    pub prepared: Prepared,
    pub model: model::Model,
    pub report: Report,
}

/// Deduplicates `inputs` end to end.
pub fn dedup(inputs: Vec<Input>, config: &Config) -> Outcome {
    let started = Instant::now();
    let prepared = Prepared::new(inputs);
    let standardise = started.elapsed();
    let mut outcome = dedup_prepared(prepared, config);
    outcome.report.phases.insert(0, ("standardise", standardise));
    outcome
}

/// Blocks, compares and learns the model (with people's decisions): what a batch run scores
/// with, and all a probe index needs. Returns the model and the candidate pairs.
pub fn learn(
    prepared: &mut Prepared,
    config: &Config,
    report: &mut Report,
) -> (model::Model, Vec<Vec<blocking::Candidate>>) {
    let mut clock = Instant::now();
    let mut phase = |name: &'static str, report: &mut Report| {
        report.phases.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let (candidates, rules, blocks) = blocking::candidates(prepared, config.max_block);
    report.candidate_pairs = candidates.iter().map(|c| c.len() as u64).sum();
    report.rules = rules;
    phase("block and compare", report);
    let mut model = model::Model::with_u(prepared, config.u_samples, config.seed);
    model.train(prepared, &candidates, &blocks);
    drop(blocks);
    if !config.decisions.is_empty() {
        // The decided records may be out of the run (a merged record is): interned apart.
        let labelled: Vec<(compare::Pattern, bool)> = config
            .decisions
            .iter()
            .map(|(a, b, same)| {
                let (a, b) = (prepared.intern(a), prepared.intern(b));
                (compare::compare(prepared, &a, &b), *same)
            })
            .collect();
        report.decisions_used = labelled.len();
        model.refine(&labelled, DECISION_WEIGHT);
    }
    report.model_warnings = model.warnings.clone();
    report.em_iterations = model.iterations;
    report.prior = model.prior;
    report.weights = model.table();
    phase("learn", report);
    (model, candidates)
}

/// Deduplicates records already prepared (e.g. read in batches with `records::Builder`).
pub fn dedup_prepared(mut prepared: Prepared, config: &Config) -> Outcome {
    let mut report = Report { records: prepared.records.len(), ..Default::default() };
    let (model, candidates) = learn(&mut prepared, config, &mut report);
    let mut clock = Instant::now();
    let mut phase = |name: &'static str, report: &mut Report| {
        report.phases.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let records = &prepared.records;
    let weights = match config.prior {
        Some(prior) => model.weights(&prepared).with_prior(prior),
        None => model.weights(&prepared),
    };
    report.households_known = prepared.household_of.iter().filter(|&&h| h != 0).count();
    let mut scored: Vec<Scored> = if report.households_known > 0 {
        // Households known: pairs that a household's agreement could lift are kept with their
        // evidence, and weighed again with their households.
        let floor = household::CO_MEMBER_EVIDENCE
            .min(logit(config.review_from) - weights.score_of(0.0) - household::HOUSEHOLD_MOST_BITS);
        let evidence: Vec<household::Evidence> = candidates
            .par_iter()
            .flatten()
            .filter_map(|c| {
                let bits = weights.evidence(&records[c.a as usize], c.pattern);
                let kin = household::kin(c.pattern);
                (bits >= floor).then_some(household::Evidence { a: c.a, b: c.b, bits: bits as f32, kin })
            })
            .collect();
        // The comparisons are no longer needed: their memory goes before the household pass.
        drop(candidates);
        let (extra, household_weights) =
            household::batch_context(&prepared.household_of, &evidence, weights.score_of(0.0));
        report.household = household_weights.map(|w| w.table());
        evidence
            .iter()
            .zip(extra)
            .filter_map(|(e, extra)| {
                let probability = model::probability(weights.score_of(e.bits as f64) + extra as f64);
                (probability >= config.review_from).then_some(Scored { a: e.a, b: e.b, probability })
            })
            .collect()
    } else {
        let scored = candidates
            .par_iter()
            .flatten()
            .filter_map(|c| {
                let probability = model::probability(weights.score(&records[c.a as usize], c.pattern));
                (probability >= config.review_from).then_some(Scored { a: c.a, b: c.b, probability })
            })
            .collect();
        drop(candidates);
        scored
    };
    phase("score", &mut report);
    let (cluster_of, cluster_report) =
        cluster::cluster(records, &prepared.household_of, &mut scored, config.link_at, config.max_cluster);
    report.cluster = cluster_report;
    let review: Vec<Scored> = scored
        .iter()
        .filter(|s| s.probability < config.link_at && cluster_of[s.a as usize] != cluster_of[s.b as usize])
        .copied()
        .collect();
    report.review_pairs = review.len();
    let sure: Vec<&Scored> = scored.iter().filter(|s| s.probability >= 0.99).collect();
    if !sure.is_empty() {
        let mut agree = vec![0usize; blocking::RULES.len()];
        for s in &sure {
            for (i, yes) in
                blocking::rules_agreeing(&records[s.a as usize], &records[s.b as usize]).into_iter().enumerate()
            {
                agree[i] += yes as usize;
            }
        }
        report.rule_coverage =
            blocking::RULES.iter().zip(&agree).map(|(r, n)| (r.name, *n as f64 / sure.len() as f64)).collect();
        report.estimated_blocking_recall = 1.0 - report.rule_coverage.iter().map(|(_, c)| 1.0 - c).product::<f64>();
    }
    phase("cluster", &mut report);
    Outcome { cluster_of, review, scored, weights, prepared, model, report }
}

/// The match weight (bits) of a probability.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).log2()
}

/// Pair precision, recall and F1 of predicted clusters against true ones.
pub fn evaluate(predicted: &[u32], truth: &[u64]) -> (f64, f64, f64) {
    use std::collections::HashMap;
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut by_predicted: HashMap<u32, u64> = HashMap::new();
    let mut by_truth: HashMap<u64, u64> = HashMap::new();
    let mut by_both: HashMap<(u32, u64), u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *by_predicted.entry(*p).or_default() += 1;
        *by_truth.entry(*t).or_default() += 1;
        *by_both.entry((*p, *t)).or_default() += 1;
    }
    let predicted_pairs: u64 = by_predicted.values().map(|n| pairs(*n)).sum();
    let true_pairs: u64 = by_truth.values().map(|n| pairs(*n)).sum();
    let correct: u64 = by_both.values().map(|n| pairs(*n)).sum();
    let precision = if predicted_pairs == 0 { 1.0 } else { correct as f64 / predicted_pairs as f64 };
    let recall = if true_pairs == 0 { 1.0 } else { correct as f64 / true_pairs as f64 };
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    (precision, recall, f1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_counts_pairs() {
        // Truth: {0,1,2}, {3}; predicted: {0,1}, {2,3}.
        let (p, r, f) = evaluate(&[0, 0, 2, 2], &[7, 7, 7, 9]);
        assert!((p - 0.5).abs() < 1e-9 && (r - 1.0 / 3.0).abs() < 1e-9, "{p} {r}");
        assert!((f - 0.4).abs() < 1e-9);
    }

    #[test]
    fn synthetic_duplicates_are_found_with_high_precision_and_recall() {
        let places = synthetic::sample_places();
        let data = synthetic::generate(20_000, 0.14, &places, 5);
        let truth = data.truth.clone();
        let outcome = dedup(data.inputs, &Config { u_samples: 200_000, ..Default::default() });
        let (precision, recall, f1) = evaluate(&outcome.cluster_of, &truth);
        assert!(
            precision > 0.9 && recall > 0.8,
            "precision {precision:.3} recall {recall:.3} f1 {f1:.3}; {:?}",
            outcome.report.model_warnings
        );
        assert!(outcome.report.model_warnings.is_empty(), "{:?}", outcome.report.model_warnings);
        assert!(outcome.report.estimated_blocking_recall > 0.9);
    }
}
