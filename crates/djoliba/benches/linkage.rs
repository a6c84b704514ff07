//! Duplicate detection benchmark: synthetic registrations with known duplicates (about 14 %),
//! deduplicated end to end in memory; prints pair precision, recall, F1, time per phase and
//! peak memory. `cargo bench -p djoliba --bench linkage` runs 100,000 then 1,000,000 records;
//! `LINKAGE_SCALES=2000000` picks others. The `djoliba linkage dedup` command measures the same
//! with CSV reading and writing (see the README).

use std::time::Instant;

fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
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
