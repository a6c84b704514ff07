//! Small counts of reach out of sight for readers without the records, consistently across the
//! four levels a reader can open: a row one level up is the sum of the rows under it, so what
//! one level hides must not follow from another. Suppression runs from the régions down:
//!
//! - **Rows.** A row of fewer than `k` people or households is hidden. Under a parent row that
//!   is shown, the hidden rows of one programme's kind are none or at least two whose people
//!   and households reach `k` together (else the parent minus the rows shown gives one back);
//!   under a hidden parent, at least one is hidden (else the rows shown give the parent back).
//! - **Women, men and age bands within a row** likewise: none hidden or at least two, adding up
//!   to `k` (a row's people are its women and men, and its age bands).
//! - **The same count across the rows under one parent** (the women of each cercle of a
//!   région): none or at least two hidden when the parent's is shown, one at least when it is
//!   hidden.
//!
//! The rules are applied until none asks for more. When a set has nothing left to hide beside
//! a small row, the totals (the same on every level) are hidden everywhere. The checker
//! (`tests/it/disclosure.rs`) proves over random registries that no page gives a count back.

use std::collections::{BTreeMap, HashMap};

use super::reach::{Reach, ReachRow};

/// What rows of one programme's kind share: sector, kind, organisation, group and unit.
type Series = (String, String, String, String, String);

fn series(r: &ReachRow) -> Series {
    (r.sector.clone(), r.kind.clone(), r.organisation.clone(), r.population_group.clone(), r.unit.clone())
}

/// The counts within a row that add up to its people, in the groups that add up.
fn parts(row: &ReachRow) -> [Vec<(String, i64)>; 2] {
    [
        vec![("female".into(), row.female), ("male".into(), row.male)],
        row.by_age.iter().map(|(band, n)| (format!("age:{band}"), *n)).collect(),
    ]
}

/// Suppresses `levels` (the reach at levels 1, 2… of one period, in order) for threshold `k`.
pub fn suppress(levels: &mut [Reach], k: u64) {
    for reach in levels.iter_mut() {
        reach.disclosure_threshold = Some(k);
    }
    let k = k as i64;
    if k <= 1 {
        return;
    }
    let small = |n: i64| n > 0 && n < k;
    // Totals this small hide everything.
    let totals_small = levels.first().is_some_and(|r| small(r.people) || small(r.households));
    let mut totals_hidden = totals_small;
    for at in 0..levels.len() {
        let (upper, rest) = levels.split_at_mut(at);
        let parent_level = upper.last();
        let reach = &mut rest[0];
        if totals_small {
            reach.rows.iter_mut().for_each(|r| r.suppressed = true);
        }
        // Each row's parent one level up: the row of its series whose place holds it (the
        // longest P-code its own begins with; a commune's own row at the site level is under
        // the commune itself).
        let above_rows: HashMap<(Series, &str), usize> = parent_level.map_or_else(HashMap::new, |above| {
            above.rows.iter().enumerate().map(|(i, r)| ((series(r), r.place.as_str()), i)).collect()
        });
        let parent_of: Vec<Option<usize>> = reach
            .rows
            .iter()
            .map(|r| {
                let key = series(r);
                (1..=r.place.len())
                    .rev()
                    .filter_map(|n| r.place.get(..n))
                    .find_map(|prefix| above_rows.get(&(key.clone(), prefix)).copied())
            })
            .collect();
        let mut sets: BTreeMap<(Series, Option<usize>), Vec<usize>> = BTreeMap::new();
        for (i, r) in reach.rows.iter().enumerate() {
            sets.entry((series(r), parent_of[i])).or_default().push(i);
        }
        // Rows.
        for ((_, parent), members) in &sets {
            let parent_hidden = parent.zip(parent_level).is_some_and(|(p, above)| above.rows[p].suppressed);
            let rows = &mut reach.rows;
            for i in members {
                if small(rows[*i].people) || small(rows[*i].households) {
                    rows[*i].suppressed = true;
                }
            }
            loop {
                let hidden: Vec<usize> = members.iter().copied().filter(|i| rows[*i].suppressed).collect();
                let sum = |f: fn(&ReachRow) -> i64| hidden.iter().map(|i| f(&rows[*i])).sum::<i64>();
                let enough = if parent_hidden {
                    !hidden.is_empty()
                } else {
                    hidden.is_empty()
                        || (hidden.len() >= 2 && !small(sum(|r| r.people)) && !small(sum(|r| r.households)))
                };
                if enough {
                    break;
                }
                let next =
                    members.iter().copied().filter(|i| !rows[*i].suppressed).min_by_key(|i| (rows[*i].people, *i));
                match next {
                    Some(i) => rows[i].suppressed = true,
                    None => {
                        // Nothing left to hide beside it: the totals would give it away.
                        totals_hidden |= !parent_hidden;
                        break;
                    }
                }
            }
        }
        // Women, men and age bands: within each row, and across the rows under one parent.
        loop {
            let mut changed = false;
            for row in reach.rows.iter_mut().filter(|r| !r.suppressed) {
                for group in parts(row) {
                    loop {
                        let hidden: Vec<&(String, i64)> =
                            group.iter().filter(|(f, n)| small(*n) || row.hidden.contains(f)).collect();
                        let sum: i64 = hidden.iter().map(|(_, n)| n).sum();
                        let newly: Vec<String> =
                            hidden.iter().map(|(f, _)| f.clone()).filter(|f| !row.hidden.contains(f)).collect();
                        changed |= !newly.is_empty();
                        row.hidden.extend(newly);
                        if hidden.is_empty() || (hidden.len() >= 2 && !small(sum)) {
                            break;
                        }
                        // The smallest count beside them, a count of none only when no other is left.
                        let next = group.iter().filter(|(f, _)| !row.hidden.contains(f)).min_by_key(|(_, n)| {
                            if *n > 0 {
                                *n
                            } else {
                                i64::MAX
                            }
                        });
                        match next {
                            Some((f, _)) => row.hidden.push(f.clone()),
                            None => break,
                        }
                    }
                }
            }
            let Some(above) = parent_level else { break };
            for ((_, parent), members) in &sets {
                let Some(parent) = parent.map(|p| &above.rows[p]) else { continue };
                let fields: Vec<String> = parts(parent).into_iter().flatten().map(|(f, _)| f).collect();
                for field in fields {
                    let rows = &mut reach.rows;
                    let hidden = members.iter().filter(|i| rows[**i].is_hidden(&field)).count();
                    let enough = if parent.is_hidden(&field) { hidden >= 1 } else { hidden != 1 };
                    if enough {
                        continue;
                    }
                    let value =
                        |r: &ReachRow| parts(r).into_iter().flatten().find(|(f, _)| *f == field).map_or(0, |(_, n)| n);
                    let next = members
                        .iter()
                        .copied()
                        .filter(|i| !rows[*i].is_hidden(&field))
                        .min_by_key(|i| (if value(&rows[*i]) > 0 { value(&rows[*i]) } else { i64::MAX }, *i));
                    if let Some(i) = next {
                        rows[i].hidden.push(field.clone());
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
    for reach in levels.iter_mut() {
        if totals_hidden {
            reach.totals_hidden = true;
            reach.people = 0;
            reach.households = 0;
            reach.deliveries = 0;
        }
        for row in &mut reach.rows {
            if row.suppressed {
                row.people = 0;
                row.female = 0;
                row.male = 0;
                row.households = 0;
                row.deliveries = 0;
                row.quantity = 0.0;
                row.by_age.values_mut().for_each(|n| *n = 0);
                row.hidden.clear();
                continue;
            }
            row.hidden.sort();
            row.hidden.dedup();
            if row.is_hidden("female") {
                row.female = 0;
            }
            if row.is_hidden("male") {
                row.male = 0;
            }
            for (band, n) in row.by_age.iter_mut() {
                if row.hidden.contains(&format!("age:{band}")) {
                    *n = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::figures::AGE_BANDS;

    /// A row of shelter kits: `people` of whom `female` women, all adults.
    fn row(place: &str, people: i64, female: i64, households: i64) -> ReachRow {
        ReachRow {
            sector: "SHL".into(),
            kind: "shelter_kit".into(),
            organisation: "NRC".into(),
            population_group: "IDP".into(),
            place: place.into(),
            people,
            female,
            male: people - female,
            by_age: AGE_BANDS.iter().map(|b| (b.to_string(), if *b == "18-59" { people } else { 0 })).collect(),
            households,
            deliveries: households,
            quantity: households as f64,
            unit: "kit".into(),
            suppressed: false,
            hidden: Vec::new(),
        }
    }

    /// The régions' rows and the cercles' rows of one quarter.
    fn levels(regions: Vec<ReachRow>, cercles: Vec<ReachRow>) -> Vec<Reach> {
        [regions, cercles]
            .into_iter()
            .enumerate()
            .map(|(at, rows)| Reach {
                from: "2024-01-01".into(),
                to: "2024-03-31".into(),
                level: at as i64 + 1,
                people: rows.iter().map(|r| r.people).sum(),
                households: rows.iter().map(|r| r.households).sum(),
                deliveries: rows.iter().map(|r| r.deliveries).sum(),
                disclosure_threshold: None,
                totals_hidden: false,
                rows,
            })
            .collect()
    }

    fn hidden_rows(reach: &Reach) -> Vec<&str> {
        reach.rows.iter().filter(|r| r.suppressed).map(|r| r.place.as_str()).collect()
    }

    #[test]
    fn a_small_row_hides_with_a_partner_under_its_shown_parent() {
        // Bourem's 3 people would be Gao's 43 minus Ansongo's 40: Ansongo hides too.
        let mut l = levels(
            vec![row("ML07", 43, 20, 9), row("ML05", 40, 20, 8)],
            vec![row("ML0701", 40, 19, 8), row("ML0702", 3, 1, 1), row("ML0506", 40, 20, 8)],
        );
        suppress(&mut l, 5);
        assert_eq!(hidden_rows(&l[0]), Vec::<&str>::new());
        assert_eq!(hidden_rows(&l[1]), ["ML0701", "ML0702"]);
        assert_eq!((l[1].rows[0].people, l[1].rows[2].people), (0, 40));
    }

    #[test]
    fn a_hidden_parent_keeps_one_row_under_it_hidden() {
        // Gao hides beside Tombouctou's 3; its two cercles of 40 would give Gao back, and
        // Tombouctou with it, if both were shown.
        let mut l = levels(
            vec![row("ML07", 80, 40, 16), row("ML06", 3, 1, 1)],
            vec![row("ML0701", 40, 20, 8), row("ML0702", 40, 20, 8), row("ML0601", 3, 1, 1)],
        );
        suppress(&mut l, 5);
        assert_eq!(hidden_rows(&l[0]), ["ML07", "ML06"]);
        assert_eq!(hidden_rows(&l[1]), ["ML0701", "ML0601"]);
    }

    #[test]
    fn women_and_men_hide_in_pairs_within_a_row_and_across_the_rows_of_a_parent() {
        // Ansongo's 2 women hide with its men; Gao's women are shown, so Bourem's women would
        // be Gao's minus Ansongo's: they hide too, and Bourem's men with them.
        let mut l = levels(vec![row("ML07", 40, 12, 16)], vec![row("ML0701", 20, 2, 8), row("ML0702", 20, 10, 8)]);
        suppress(&mut l, 5);
        assert!(l[0].rows[0].hidden.is_empty(), "{:?}", l[0].rows[0]);
        for cercle in &l[1].rows {
            assert!(!cercle.suppressed && cercle.is_hidden("female") && cercle.is_hidden("male"), "{cercle:?}");
            assert_eq!((cercle.people, cercle.female, cercle.male), (20, 0, 0));
        }
    }

    #[test]
    fn small_totals_hide_everything_and_a_small_row_alone_in_its_set_hides_the_totals() {
        let mut l = levels(vec![row("ML07", 3, 1, 1)], vec![row("ML0701", 3, 1, 1)]);
        suppress(&mut l, 5);
        assert!(l.iter().all(|r| r.totals_hidden && r.people == 0 && r.rows[0].suppressed));
        // Cash in Gao, shelter in Mopti: Mopti's small row has nothing beside it, and the
        // totals minus cash would give it away, on every level.
        let mut cash = row("ML07", 40, 20, 8);
        cash.kind = "multipurpose_cash".into();
        let mut cash_cercle = row("ML0701", 40, 20, 8);
        cash_cercle.kind = "multipurpose_cash".into();
        let mut l = levels(vec![cash, row("ML05", 3, 1, 1)], vec![cash_cercle, row("ML0506", 3, 1, 1)]);
        suppress(&mut l, 5);
        assert!(l.iter().all(|r| r.totals_hidden && r.people == 0 && !r.rows[0].suppressed && r.rows[1].suppressed));
    }
}
