//! The household as evidence: a household registered again brings its other members back,
//! so another member alike on both sides says far more than one person's names and birth.
//! Shared by the registration check (`index`) and the batch run (`dedup`).

use std::collections::HashMap;

/// Evidence (bits) from which a pair of co-members counts as the same person when deciding
/// whether a whole household was registered again: names, sex and birth agreeing about as
/// well as a namesake's would.
pub const CO_MEMBER_EVIDENCE: f64 = 12.0;

/// How a household registered again compares with its earlier self (m of the context levels
/// Most, Some, None): most come back with most of the same people; people also leave
/// households, marry and split.
pub const HOUSEHOLD_M: [f64; 3] = [0.7, 0.15, 0.15];

/// How a candidate's household compares with the household being registered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// One side has no other member to compare.
    Alone,
    /// At least half the other members (of the smaller side) are, by name and birth, other
    /// members there.
    Most,
    /// Some are, fewer than half.
    Some,
    /// Both have other members; none of them agree.
    None,
}

impl Context {
    /// The context from how many of the other members on this side (`agreeing`) are alike to
    /// another record there, and how many each side has besides the pair.
    pub fn of(agreeing: usize, others_here: usize, others_there: usize) -> Context {
        let comparable = others_here.min(others_there);
        if comparable == 0 {
            Context::Alone
        } else if agreeing == 0 {
            Context::None
        } else if 2 * agreeing >= comparable {
            Context::Most
        } else {
            Context::Some
        }
    }

    /// The level's index in u and m (Most, Some, None); `None` for Alone, which weighs nothing.
    pub fn level(self) -> Option<usize> {
        match self {
            Context::Alone => None,
            Context::Most => Some(0),
            Context::Some => Some(1),
            Context::None => Some(2),
        }
    }
}

/// What the household context weighs, in bits, at each level (Most, Some, None): log2(m / u),
/// with u learnt from the registry: how the household of someone's namesake compares with
/// their own. One row for candidates of other families or places, one for kin (`Candidate::kin`).
#[derive(Clone, Copy, Debug)]
pub struct HouseholdWeights {
    bits: [[f64; 3]; 2],
}

impl HouseholdWeights {
    pub fn new(u: [[f64; 3]; 2]) -> HouseholdWeights {
        let bits = |u: [f64; 3]| {
            let u = u.map(|u| u.clamp(SMALLEST_U, 1.0));
            [0, 1, 2].map(|k| (HOUSEHOLD_M[k] / u[k]).log2())
        };
        HouseholdWeights { bits: u.map(bits) }
    }

    /// The bits per level, for a summary.
    pub fn table(&self) -> [[f64; 3]; 2] {
        self.bits
    }

    /// Weighs nothing: no household compared.
    pub fn none() -> HouseholdWeights {
        HouseholdWeights { bits: [[0.0; 3]; 2] }
    }

    pub fn bits(&self, context: Context, kin: bool) -> f64 {
        let row = &self.bits[kin as usize];
        context.level().map_or(0.0, |k| row[k])
    }
}

/// u per context level, from counts of (kin, level) among pairs of different people; `None`
/// when too few were compared to learn from, and kin compared too rarely are weighed as the
/// others.
pub fn shares(counts: [[usize; 3]; 2]) -> Option<[[f64; 3]; 2]> {
    let shares = |counts: [usize; 3]| {
        let compared: usize = counts.iter().sum();
        (compared >= 50).then(|| counts.map(|n| (n as f64 + 0.5) / (compared as f64 + 1.5)))
    };
    let all = shares([0, 1, 2].map(|k| counts[0][k] + counts[1][k]))?;
    Some([shares(counts[0]).unwrap_or(all), shares(counts[1]).unwrap_or(all)])
}

/// A household's number, 0 for none.
pub fn household_number(households: &mut HashMap<String, u32>, household: &str) -> u32 {
    if household.is_empty() {
        return 0;
    }
    // Most records join a household already seen: no key is allocated for them.
    if let Some(&number) = households.get(household) {
        return number;
    }
    let next = households.len() as u32 + 1;
    households.insert(household.to_string(), next);
    next
}

/// Kin: a pair agreeing on the family name exactly and living in one commune or cercle.
pub fn kin(pattern: crate::compare::Pattern) -> bool {
    use crate::compare::{level, FAMILY, PLACE};
    level(pattern, FAMILY) == 1 && matches!(level(pattern, PLACE), 1 | 2)
}

/// A candidate pair of the batch run with its evidence from people's own fields.
pub struct Evidence {
    pub a: u32,
    pub b: u32,
    /// Bits, without the prior (single precision: millions are held at once).
    pub bits: f32,
    /// Same family name and same cercle (see `index::Candidate::kin`).
    pub kin: bool,
}

/// The batch run's household context: what each pair's households add (bits, in `pairs`'
/// order), with u learnt from the pairs people's own fields call different people, and the
/// weights used (`None` when there was too little to learn from or no household known).
/// `prior` is the run's prior, in bits.
pub fn batch_context(household_of: &[u32], pairs: &[Evidence], prior: f64) -> (Vec<f32>, Option<HouseholdWeights>) {
    use rayon::prelude::*;
    // Household numbers are dense (1..): sizes by number.
    let mut sizes: Vec<u32> = vec![0; household_of.iter().copied().max().unwrap_or(0) as usize + 1];
    for &h in household_of {
        sizes[h as usize] += 1;
    }
    // Alike co-members, sorted by pair of households (lower number first): (households, record
    // on the lower side, record on the other). A sorted list holds millions in little memory.
    let key = |lower: u32, upper: u32| (lower as u64) << 32 | upper as u64;
    let mut alike: Vec<(u64, u32, u32)> = pairs
        .par_iter()
        .filter(|p| p.bits >= CO_MEMBER_EVIDENCE as f32)
        .filter_map(|pair| {
            let (ha, hb) = (household_of[pair.a as usize], household_of[pair.b as usize]);
            (ha != 0 && hb != 0 && ha != hb).then(|| {
                if ha < hb {
                    (key(ha, hb), pair.a, pair.b)
                } else {
                    (key(hb, ha), pair.b, pair.a)
                }
            })
        })
        .collect();
    alike.par_sort_unstable();
    // Where each pair of households' list starts and how long it is: one lookup per pair.
    let mut lists: HashMap<u64, (u32, u32)> = HashMap::new();
    for (i, e) in alike.iter().enumerate() {
        lists.entry(e.0).or_insert((i as u32, 0)).1 += 1;
    }
    let context = |pair: &Evidence| {
        let (ha, hb) = (household_of[pair.a as usize], household_of[pair.b as usize]);
        if ha == 0 || hb == 0 || ha == hb {
            return Context::Alone;
        }
        let (lower, upper, here, there) = if ha < hb { (ha, hb, pair.a, pair.b) } else { (hb, ha, pair.b, pair.a) };
        let list = match lists.get(&key(lower, upper)) {
            Some(&(start, len)) => &alike[start as usize..(start + len) as usize],
            None => &[],
        };
        // Other members on the lower side alike to another record on the other (a record
        // never vouches for itself), each counted once: the list is sorted by that member.
        let counts = |e: &&(u64, u32, u32)| e.1 != here && e.2 != there;
        let mut agreeing = 0;
        let mut last = None;
        for e in list.iter().filter(counts) {
            if last != Some(e.1) {
                agreeing += 1;
                last = Some(e.1);
            }
        }
        Context::of(agreeing, sizes[lower as usize] as usize - 1, sizes[upper as usize] as usize - 1)
    };
    let contexts: Vec<Context> = pairs.par_iter().map(context).collect();
    let mut counts = [[0usize; 3]; 2];
    for (pair, c) in pairs.iter().zip(&contexts) {
        // Different people as far as their own fields say, yet alike enough to be namesakes.
        let different = crate::model::probability(prior + pair.bits as f64) < 0.1;
        if let (true, true, Some(k)) = (pair.bits >= CO_MEMBER_EVIDENCE as f32, different, c.level()) {
            counts[pair.kin as usize][k] += 1;
        }
    }
    drop((alike, lists));
    let Some(weights) = shares(counts).map(HouseholdWeights::new) else { return (vec![0.0; pairs.len()], None) };
    let bits = pairs.iter().zip(&contexts).map(|(pair, c)| weights.bits(*c, pair.kin) as f32).collect();
    (bits, Some(weights))
}

/// The smallest u a context level is given: one in ten thousand.
const SMALLEST_U: f64 = 1e-4;

/// The most a household context adds, in bits: log2(HOUSEHOLD_M[0] / SMALLEST_U), rounded up.
pub const HOUSEHOLD_MOST_BITS: f64 = 12.8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_context_weighs_more_than_the_batch_allows_for() {
        let most = HouseholdWeights::new([[0.0; 3]; 2]).table()[0][0];
        assert!(most <= HOUSEHOLD_MOST_BITS && most > HOUSEHOLD_MOST_BITS - 0.1, "{most}");
    }

    #[test]
    fn households_registered_again_bring_their_members_back_in_a_batch() {
        let places = crate::synthetic::sample_places();
        let data = crate::synthetic::generate_households(20_000, 0.14, &places, 3);
        let run = |inputs: Vec<crate::Input>| {
            let outcome = crate::dedup(inputs, &crate::Config { u_samples: 200_000, ..Default::default() });
            (crate::evaluate(&outcome.cluster_of, &data.truth), outcome.report.household)
        };
        let alone: Vec<crate::Input> =
            data.inputs.iter().cloned().map(|i| crate::Input { household: String::new(), ..i }).collect();
        let ((p0, r0, _), none) = run(alone);
        let ((p1, r1, f1), weighed) = run(data.inputs.clone());
        assert!(none.is_none() && weighed.is_some());
        assert!(r1 > r0 + 0.03 && p1 > p0 && f1 > 0.9, "alone P {p0:.3} R {r0:.3}; households P {p1:.3} R {r1:.3}");
    }
}
