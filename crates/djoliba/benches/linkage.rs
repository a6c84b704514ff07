//! Duplicate detection benchmark: synthetic registrations with known duplicates (about 14 %),
//! deduplicated end to end in memory; prints pair precision, recall, F1, time per phase and
//! peak memory. `cargo bench -p djoliba --bench linkage` runs 100,000 then 1,000,000 records;
//! `LINKAGE_SCALES=2000000` picks others. `LINKAGE_PROBE=1000000` instead times the check of
//! single registrations against an indexed registry of that size. The `djoliba linkage dedup`
//! command measures the batch with CSV reading and writing (see the README).
//!
//! So that the model is not tuned to one generator, it also runs on the people of the demo's
//! generator (`domain::synthetic`, 20,000 households; `LINKAGE_DEMO_HOUSEHOLDS` for others)
//! with 14 % of them registered again, each with one variation another team might make.
//! `LINKAGE_DIAG=1` also says where recall is lost (missed pairs by score band, field levels)
//! and which people were wrongly linked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

mod common;

use std::time::Instant;

use domain::places::Gazetteer;
use domain::registry::{NewHousehold, NewPerson};
use domain::DatePrecision;

fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Checking single registrations against an indexed registry of `records` people: what a
/// registrar waits for before saving.
fn probe_latency(records: usize) {
    let places = linkage::synthetic::sample_places();
    // The registry, plus 1,000 later registrations of people in it (and of new people).
    let data = linkage::synthetic::generate(records + 1_000, 0.3, &places, 77);
    let mut inputs = data.inputs;
    let probes: Vec<linkage::Input> = inputs.split_off(records);
    let built = Instant::now();
    let mut index = linkage::index::Index::build(inputs, &linkage::Config::default());
    let build = built.elapsed();
    let mut times: Vec<f64> = Vec::with_capacity(probes.len());
    let mut found = 0;
    for probe in &probes {
        let started = Instant::now();
        found += !index.probe(probe, 0.5, 5).is_empty() as usize;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "probe against {records} people: index built in {:.1}s; {} probes: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {found} found a likely match; peak {:.0} MiB",
        build.as_secs_f64(),
        probes.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        peak_mib()
    );
}

/// A demo person as the linkage engine reads them, registered at `place`.
fn demo_input(gazetteer: &Gazetteer, id: String, p: &NewPerson, place: &str) -> linkage::Input {
    let level = |n: i64| gazetteer.ancestor_at(place, n).map(|l| l.pcode.clone()).unwrap_or_default();
    let birth = p.birth_date.map(|d| match d.precision {
        DatePrecision::Estimated => format!("~{}", d.display()),
        _ => d.display(),
    });
    linkage::Input {
        id,
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        father_name: p.father_name.clone().unwrap_or_default(),
        sex: p.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
        birth_date: birth.unwrap_or_default(),
        phone: p.phone.clone().unwrap_or_default(),
        identifiers: p.identifiers.iter().map(domain::Identifier::as_text).collect(),
        admin1: level(1),
        admin2: level(2),
        admin3: level(3),
        household: String::new(),
    }
}

/// One variation another team might make when registering the person again: a respelling, a
/// case or accent change, names swapped, an estimated age, another commune of the cercle, no
/// father's name; half of the repeats carry the document number again.
fn demo_repeat(gazetteer: &Gazetteer, p: &NewPerson, place: &str, n: usize) -> (NewPerson, String) {
    let mut p = p.clone();
    let mut place = place.to_string();
    if n % 2 == 1 {
        p.identifiers.clear();
    }
    match n % 6 {
        0 => p.given_name = p.given_name.to_uppercase().replace("OU", "U"),
        1 => p.family_name = p.family_name.replace('é', "e").replace('ï', "i").to_lowercase(),
        2 => std::mem::swap(&mut p.given_name, &mut p.family_name),
        3 => {
            if let Some(birth) = p.birth_date.as_mut() {
                use chrono::Datelike;
                let guess = birth.date.year() + (n % 5) as i32 - 2;
                birth.date = chrono::NaiveDate::from_ymd_opt(guess, 6, 1).unwrap_or(birth.date);
                birth.precision = DatePrecision::Estimated;
            }
        }
        4 => {
            let cercle = gazetteer.ancestor_at(&place, 2).map(|l| l.pcode.clone()).unwrap_or_default();
            if let Some(other) = gazetteer
                .search("", Some(&cercle), Some(3), 50)
                .into_iter()
                .map(|m| m.location.pcode)
                .find(|c| *c != place)
            {
                place = other;
            }
        }
        _ => p.father_name = None,
    }
    (p, place)
}

fn demo_registry_f1(households: usize) {
    let gazetteer = Gazetteer::built_in();
    let generated = domain::synthetic::generate(2012, households, &common::places(&gazetteer));
    let place_of = |h: &NewHousehold| h.current_location.clone().unwrap_or_else(|| h.registration_point.clone());
    let people: Vec<(&NewPerson, String)> =
        generated.iter().flat_map(|g| g.household.members.iter().map(|m| (m, place_of(&g.household)))).collect();
    let household_of: Vec<usize> =
        generated.iter().enumerate().flat_map(|(h, g)| g.household.members.iter().map(move |_| h)).collect();
    let mut inputs: Vec<linkage::Input> = Vec::with_capacity(people.len() * 115 / 100);
    let mut truth: Vec<u64> = Vec::with_capacity(inputs.capacity());
    for (i, (p, place)) in people.iter().enumerate() {
        inputs.push(demo_input(&gazetteer, format!("P{i}"), p, place));
        truth.push(i as u64);
    }
    // Every seventh person (14 %) registered again.
    for (n, i) in (0..people.len()).step_by(7).enumerate() {
        let (p, place) = demo_repeat(&gazetteer, people[i].0, &people[i].1, n);
        inputs.push(demo_input(&gazetteer, format!("R{n}"), &p, &place));
        truth.push(i as u64);
    }
    let records = inputs.len();
    let started = Instant::now();
    let outcome = linkage::dedup(inputs, &linkage::Config::default());
    let (precision, recall, f1) = linkage::evaluate(&outcome.cluster_of, &truth);
    if std::env::var_os("LINKAGE_DIAG").is_some() {
        let mut by_cluster: std::collections::HashMap<u32, Vec<usize>> = Default::default();
        for (i, c) in outcome.cluster_of.iter().enumerate() {
            by_cluster.entry(*c).or_default().push(i);
        }
        let (mut same_household, mut other) = (0, 0);
        let mut shown = 0;
        for members in by_cluster.values() {
            for (x, &i) in members.iter().enumerate() {
                for &j in &members[x + 1..] {
                    if truth[i] != truth[j] {
                        let (hi, hj) = (household_of[truth[i] as usize], household_of[truth[j] as usize]);
                        if hi == hj {
                            same_household += 1
                        } else {
                            other += 1
                        }
                        if shown < 12 {
                            shown += 1;
                            let (a, b) = (people[truth[i] as usize].0, people[truth[j] as usize].0);
                            println!(
                                "  false link (same household {}): {} {} {:?} {:?} | {} {} {:?} {:?}",
                                hi == hj,
                                a.given_name,
                                a.family_name,
                                a.birth_date.map(|d| d.display()),
                                a.relationship,
                                b.given_name,
                                b.family_name,
                                b.birth_date.map(|d| d.display()),
                                b.relationship
                            );
                        }
                    }
                }
            }
        }
        println!("  false links: {same_household} within a household, {other} across households");
    }
    println!(
        "linkage on the demo generator: {households} households, {records} records (14 % repeats): precision {precision:.4} \
         recall {recall:.4} F1 {f1:.4}; {:.2}s",
        started.elapsed().as_secs_f64()
    );
}

/// Where recall is lost: missed true pairs by what the model thinks of them, and why each
/// field disagreed.
fn diagnose(outcome: &linkage::Outcome, truth: &[u64]) {
    use linkage::compare::{compare, level, FIELDS, LEVELS};
    let mut first: std::collections::HashMap<u64, usize> = Default::default();
    let weights = outcome.model.weights(&outcome.prepared);
    let records = &outcome.prepared.records;
    let (mut missed, mut low, mut mid, mut high, mut incompatible) = (0, 0, 0, 0, 0);
    let mut disagree = vec![vec![0usize; 16]; FIELDS.len()];
    for (i, t) in truth.iter().enumerate() {
        let Some(&j) = first.get(t) else {
            first.insert(*t, i);
            continue;
        };
        if outcome.cluster_of[i] == outcome.cluster_of[j] {
            continue;
        }
        missed += 1;
        let pattern = compare(&outcome.prepared, &records[j], &records[i]);
        let p = linkage::model::probability(weights.score(&records[j], pattern));
        if linkage::compare::incompatible(&records[i], &records[j]) {
            incompatible += 1;
        }
        match p {
            p if p < 0.5 => {
                low += 1;
                for f in 0..FIELDS.len() {
                    disagree[f][level(pattern, f)] += 1;
                }
            }
            p if p < 0.9 => mid += 1,
            _ => high += 1,
        }
    }
    println!("  missed pairs (with the first record): {missed}: p<0.5 {low}, 0.5–0.9 {mid} (review), ≥0.9 {high} (not compared or refused; incompatible {incompatible})");
    for (f, name) in FIELDS.iter().enumerate() {
        let levels: Vec<String> = disagree[f]
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(l, n)| format!("{} {n}", if l == 0 { "unknown" } else { LEVELS[f][l - 1] }))
            .collect();
        println!("    {name}: {}", levels.join(", "));
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let demo_households: usize =
        std::env::var("LINKAGE_DEMO_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    if demo_households > 0 {
        demo_registry_f1(demo_households);
    }
    if let Ok(scale) = std::env::var("LINKAGE_PROBE") {
        probe_latency(scale.parse().expect("LINKAGE_PROBE is a number of records"));
        return;
    }
    let scales: Vec<usize> = std::env::var("LINKAGE_SCALES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    let places = linkage::synthetic::sample_places();
    for records in scales {
        let generated = Instant::now();
        let data = linkage::synthetic::generate(records, 0.14, &places, 2012);
        let generation = generated.elapsed();
        let truth = data.truth;
        let started = Instant::now();
        let outcome = linkage::dedup(data.inputs, &linkage::Config::default());
        let total = started.elapsed();
        let (precision, recall, f1) = linkage::evaluate(&outcome.cluster_of, &truth);
        if std::env::var_os("LINKAGE_DIAG").is_some() {
            diagnose(&outcome, &truth);
        }
        let report = &outcome.report;
        let phases: Vec<String> = report.phases.iter().map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64())).collect();
        let compare =
            report.phases.iter().find(|(n, _)| *n == "block and compare").map_or(f64::NAN, |(_, d)| d.as_secs_f64());
        println!(
            "linkage {records} records: precision {precision:.4} recall {recall:.4} F1 {f1:.4}; {} candidate pairs \
             ({:.1} M pairs/s blocked and compared); {}; total {:.2}s (generation {:.2}s apart); peak {:.0} MiB",
            report.candidate_pairs,
            report.candidate_pairs as f64 / compare / 1e6,
            phases.join(", "),
            total.as_secs_f64(),
            generation.as_secs_f64(),
            peak_mib()
        );
        // Registrations made household by household: the same people linked person by person,
        // then with their households as evidence.
        let data = linkage::synthetic::generate_households(records, 0.14, &places, 2012);
        for with_households in [false, true] {
            let mut inputs = data.inputs.clone();
            if !with_households {
                inputs.iter_mut().for_each(|i| i.household.clear());
            }
            let started = Instant::now();
            let outcome = linkage::dedup(inputs, &linkage::Config::default());
            let (precision, recall, f1) = linkage::evaluate(&outcome.cluster_of, &data.truth);
            println!(
                "linkage {records} records in households, {}: precision {precision:.4} recall {recall:.4} F1 {f1:.4}; \
                 {:.2}s; household bits {:?}",
                if with_households { "households as evidence" } else { "person by person" },
                started.elapsed().as_secs_f64(),
                outcome.report.household.map(|rows| rows.map(|row| row.map(|b| (b * 10.0).round() / 10.0)))
            );
        }
    }
}
