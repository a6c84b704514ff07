//! Duplicate detection benchmark: synthetic registrations with known duplicates (about 14 %),
//! deduplicated end to end in memory; prints pair precision, recall, F1, time per phase and
//! peak memory. `cargo bench -p djoliba --bench linkage` runs 100,000 then 1,000,000 records;
//! `LINKAGE_SCALES=2000000` picks others. `LINKAGE_PROBE=1000000` instead times the check of
//! single registrations against an indexed registry of that size. The `djoliba linkage dedup`
//! command measures the batch with CSV reading and writing (see the README).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

use std::time::Instant;

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

fn main() {
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
    }
}
