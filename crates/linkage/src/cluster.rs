//! Clustering: sure matches are linked, strongest first; two clusters join only if no member
//! of one is incompatible with a member of the other (different sex, births years apart, or
//! registered in one household, which lists each of its people once), and
//! the result stays small, so a chain of near-matches cannot collapse unrelated people into
//! one. Uncertain pairs go to a person (the review band).

use crate::compare::incompatible;
use crate::records::Record;

/// A scored pair.
#[derive(Clone, Copy, Debug)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    pub probability: f64,
}

/// Clusters above `link_at`, with at most `max_size` records each. Returns a cluster number
/// per record (the smallest record index in it). `household_of` holds each record's household
/// (0: unknown), or nothing when none is known.
pub fn cluster(
    records: &[Record],
    household_of: &[u32],
    pairs: &mut [Scored],
    link_at: f64,
    max_size: usize,
) -> (Vec<u32>, ClusterReport) {
    let household = |x: u32| household_of.get(x as usize).copied().unwrap_or(0);
    let apart = |x: u32, y: u32| {
        incompatible(&records[x as usize], &records[y as usize]) || (household(x) != 0 && household(x) == household(y))
    };
    let n = records.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = Vec::new();
    // Members of clusters with more than one record, by root; singletons have none stored.
    let mut slot: Vec<u32> = vec![u32::MAX; n];
    let mut report = ClusterReport::default();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    pairs.sort_unstable_by(|x, y| y.probability.total_cmp(&x.probability));
    for pair in pairs.iter().take_while(|p| p.probability >= link_at) {
        let (ra, rb) = (find(&mut parent, pair.a), find(&mut parent, pair.b));
        if ra == rb {
            continue;
        }
        let list = |root: u32, slot: &[u32], members: &[Vec<u32>]| -> Vec<u32> {
            match slot[root as usize] {
                u32::MAX => vec![root],
                s => members[s as usize].clone(),
            }
        };
        let (la, lb) = (list(ra, &slot, &members), list(rb, &slot, &members));
        if la.len() + lb.len() > max_size {
            report.refused_size += 1;
            continue;
        }
        if la.iter().any(|x| lb.iter().any(|y| apart(*x, *y))) {
            report.refused_incompatible += 1;
            continue;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[child as usize] = root;
        let mut joined = la;
        joined.extend(lb);
        if slot[root as usize] == u32::MAX {
            slot[root as usize] = members.len() as u32;
            members.push(joined);
        } else {
            members[slot[root as usize] as usize] = joined;
        }
        if slot[child as usize] != u32::MAX {
            members[slot[child as usize] as usize] = Vec::new();
            slot[child as usize] = u32::MAX;
        }
        report.links += 1;
    }
    let ids: Vec<u32> = (0..n as u32).map(|x| find(&mut parent, x)).collect();
    let mut sizes = std::collections::HashMap::new();
    for id in &ids {
        *sizes.entry(*id).or_insert(0usize) += 1;
    }
    report.clusters = sizes.len();
    report.multi_record_clusters = sizes.values().filter(|s| **s > 1).count();
    report.largest = sizes.values().copied().max().unwrap_or(0);
    (ids, report)
}

#[derive(Clone, Debug, Default)]
pub struct ClusterReport {
    pub links: usize,
    pub clusters: usize,
    pub multi_record_clusters: usize,
    pub largest: usize,
    /// Joins refused because a member of one cluster could not be a member of the other.
    pub refused_incompatible: usize,
    pub refused_size: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Birth;

    fn record(sex: u8, year: u16) -> Record {
        Record { sex, birth: Birth { year, ..Default::default() }, ..Default::default() }
    }

    #[test]
    fn a_chain_of_near_matches_does_not_join_incompatible_people() {
        // 0 ~ 1 ~ 2 ~ 3, but 0 (a woman born 1980) and 3 (a man) cannot be one person.
        let records = vec![record(1, 1980), record(0, 1981), record(0, 0), record(2, 1981)];
        let mut pairs = vec![
            Scored { a: 0, b: 1, probability: 0.99 },
            Scored { a: 1, b: 2, probability: 0.98 },
            Scored { a: 2, b: 3, probability: 0.97 },
            Scored { a: 0, b: 3, probability: 0.40 },
        ];
        let (ids, report) = cluster(&records, &[], &mut pairs, 0.9, 10);
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[1], ids[2]);
        assert_ne!(ids[2], ids[3]);
        assert_eq!(report.refused_incompatible, 1);
        assert_eq!(report.clusters, 2);
    }

    #[test]
    fn two_people_of_one_household_are_never_one() {
        // Sisters of one name and year: 0 and 1 in household 7, 2 registered again elsewhere.
        let records = vec![record(1, 2004); 3];
        let mut pairs = vec![
            Scored { a: 0, b: 2, probability: 0.99 },
            Scored { a: 1, b: 2, probability: 0.98 },
            Scored { a: 0, b: 1, probability: 0.97 },
        ];
        let (ids, report) = cluster(&records, &[7, 7, 9], &mut pairs, 0.9, 10);
        assert_eq!(ids[0], ids[2]);
        assert_ne!(ids[0], ids[1]);
        assert_eq!(report.refused_incompatible, 2);
    }

    #[test]
    fn clusters_stay_small_and_weak_pairs_do_not_link() {
        let records = vec![record(0, 0); 5];
        let mut pairs: Vec<Scored> = (1..5).map(|b| Scored { a: 0, b, probability: 0.95 }).collect();
        pairs.push(Scored { a: 3, b: 4, probability: 0.5 });
        let (ids, report) = cluster(&records, &[], &mut pairs, 0.9, 3);
        assert_eq!(ids.iter().filter(|id| **id == 0).count(), 3);
        assert_eq!(report.refused_size, 2);
        assert_ne!(ids[3], ids[4]);
    }
}
