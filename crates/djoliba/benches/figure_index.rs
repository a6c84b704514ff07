//! The figures index alone, without a database: the registry generator's households turned into
//! the facts a full count reads, then their timelines and the index built as `Store` does.
//! `DJOLIBA_BENCH_HOUSEHOLDS=1000000` for the scale (the full bench, `--bench figures`,
//! first loads the registry into SQLite: minutes at a million). Reports each phase's time and
//! the index's memory.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

mod common;

use std::time::Instant;

use domain::figures::{compute_one, FigureIndex, HouseholdFacts, MemberFacts};

fn facts(generated: &[domain::synthetic::SyntheticHousehold]) -> Vec<HouseholdFacts> {
    generated
        .iter()
        .enumerate()
        .map(|(n, g)| {
            let h = &g.household;
            let events = h.movements.iter().enumerate().map(|(i, m)| m.event(format!("{n}-{i}"), i as i64)).collect();
            HouseholdFacts {
                population_group: h.population_group.clone(),
                registration_date: h.registration_date,
                registered_location: h.current_location.as_deref().map(Into::into),
                events,
                decisions: g.solution.into_iter().collect(),
                members: h
                    .members
                    .iter()
                    .map(|p| MemberFacts { sex: p.sex, birth_date: p.birth_date.map(|b| b.date), ..Default::default() })
                    .collect(),
            }
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let gazetteer = domain::places::Gazetteer::built_in();
    let generated = domain::synthetic::generate(11, households, &common::places(&gazetteer));
    let facts = facts(&generated);
    drop(generated);
    for run in 1..=2 {
        let started = Instant::now();
        let computed: Vec<_> = {
            use rayon::prelude::*;
            facts.par_iter().enumerate().map(|(i, f)| compute_one(i, f)).collect()
        };
        let timelines = started.elapsed();
        let corrected: Vec<_> = (0..20).map(|n| computed[n * 997 % computed.len()].clone()).collect();
        let started = Instant::now();
        let index = FigureIndex::build(computed);
        let built = started.elapsed();
        println!(
            "[index] run {run}: {households} households: timelines {:.2} s, index {:.2} s, {} MiB",
            timelines.as_secs_f64(),
            built.as_secs_f64(),
            index.memory_bytes() >> 20
        );
        // A household counted again, as a correction is: what one write costs the index.
        let mut times = Vec::new();
        let mut current = index;
        for h in corrected {
            let started = Instant::now();
            current = current.update([(h.id as u32, Some(h))]);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("[index] one household updated: p50 {:.2} ms, max {:.2} ms", times[10], times[19]);
    }
}
