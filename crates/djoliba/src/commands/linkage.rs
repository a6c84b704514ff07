//! `djoliba linkage`: duplicate detection on files (for large runs and benchmarks), a
//! generator of synthetic registrations with known duplicates, and the registry's own run and
//! review queue.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Subcommand;
use linkage::{Config, Input};

use crate::Cli;

#[derive(Subcommand)]
pub enum LinkageCommand {
    /// Find the people registered more than once in a CSV file: writes `id,cluster_id`, every
    /// input id once; a summary goes to stderr.
    Dedup {
        /// CSV with header id,given_name,family_name,father_name,sex,birth_date,phone,admin1,admin2,admin3.
        #[arg(long)]
        input: PathBuf,
        /// Write `id,cluster_id` for every record here: records of one person share a cluster.
        #[arg(long)]
        output: PathBuf,
        /// Also write the uncertain pairs for a person to review (id_a,id_b,probability).
        #[arg(long)]
        review: Option<PathBuf>,
        /// Link pairs at or above this probability.
        #[arg(long, default_value_t = 0.9)]
        link_at: f64,
        /// Review pairs from this probability up.
        #[arg(long, default_value_t = 0.5)]
        review_from: f64,
        /// Also print the learnt weights (m, u, log2 Bayes factor per field and level).
        #[arg(long)]
        weights: bool,
    },
    /// Write synthetic registrations with known duplicates (and the truth, for `evaluate`).
    Generate {
        /// How many registrations.
        #[arg(long)]
        records: usize,
        /// Share of them that register a person again.
        #[arg(long, default_value_t = 0.14)]
        duplicates: f64,
        /// The same seed writes the same records.
        #[arg(long, default_value_t = 2012)]
        seed: u64,
        /// Write the registrations (CSV, as `dedup` reads them) here.
        #[arg(long)]
        output: PathBuf,
        /// `id,person` for every record.
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Register household by household, with a `household` column.
        #[arg(long)]
        households: bool,
    },
    /// Find duplicates in the registry itself: sure pairs merged (undoable), uncertain ones queued.
    Run,
    /// The registry's review queue.
    Queue {
        /// pending, accepted or rejected.
        #[arg(long, default_value = "pending")]
        status: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Decide a pair of the queue: accept (same person), reject (two people) or undo.
    Decide {
        id: String,
        #[arg(value_parser = ["accept", "reject", "undo"])]
        decision: String,
        /// Why, kept with the decision.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Pair precision, recall and F1 of clusters (`id,cluster_id`) against a truth file (`id,person`).
    Evaluate {
        /// `id,cluster_id`, as `dedup` wrote it.
        #[arg(long)]
        clusters: PathBuf,
        /// `id,person`, as `generate --truth` wrote it.
        #[arg(long)]
        truth: PathBuf,
    },
}

const HEADER: [&str; 10] =
    ["id", "given_name", "family_name", "father_name", "sex", "birth_date", "phone", "admin1", "admin2", "admin3"];

/// An optional column: document numbers as `kind:number`, separated by `|`.
const IDENTIFIERS: &str = "identifiers";

/// An optional column: the household (or family group) a record was registered with.
const HOUSEHOLD: &str = "household";

/// Rows handed to the standardiser at a time: enough for parallel work, little memory.
const BATCH: usize = 65_536;

/// Reads the input file into prepared records: one thread parses the CSV in batches while
/// this one standardises and interns them. A missing column, a bad value or a repeated id is
/// an error naming the file, row and column.
pub fn read_input(path: &PathBuf) -> anyhow::Result<linkage::Prepared> {
    let name = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("{name}: cannot be opened"))?;
    let headers = reader.headers().with_context(|| format!("{name}: no header row"))?.clone();
    let column = |wanted: &str| -> anyhow::Result<usize> {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(wanted))
            .with_context(|| format!("{name}: no column {wanted:?}; the header must name {}", HEADER.join(",")))
    };
    let columns: Vec<usize> = HEADER.iter().map(|c| column(c)).collect::<anyhow::Result<_>>()?;
    let identifiers = column(IDENTIFIERS).ok();
    let household = column(HOUSEHOLD).ok();
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Input>>(2);
    let mut builder = linkage::records::Builder::default();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let parser = scope.spawn(move || -> anyhow::Result<()> {
            let mut batch = Vec::with_capacity(BATCH);
            let mut record = csv::StringRecord::new();
            let mut row = 1;
            while reader.read_record(&mut record).with_context(|| format!("{name}, row {}: not valid CSV", row + 1))? {
                row += 1;
                let get = |i: usize| record.get(columns[i]).unwrap_or("").to_string();
                let id = get(0);
                if id.trim().is_empty() {
                    bail!("{name}, row {row}, column id: empty; every record needs an id");
                }
                let birth = get(5);
                if !birth.trim().is_empty() && linkage::records::Birth::parse(&birth).is_none() {
                    bail!(
                        "{name}, row {row}, column birth_date: {birth:?}; expected YYYY-MM-DD, YYYY-MM, YYYY, ~YYYY (from an estimated age) or empty"
                    );
                }
                let sex = get(4);
                if !matches!(sex.trim(), "" | "m" | "f" | "M" | "F") {
                    bail!("{name}, row {row}, column sex: {sex:?}; expected m, f or empty");
                }
                batch.push(Input {
                    id,
                    given_name: get(1),
                    family_name: get(2),
                    father_name: get(3),
                    sex,
                    birth_date: birth,
                    phone: get(6),
                    identifiers: identifiers
                        .and_then(|i| record.get(i))
                        .map(|text| text.split('|').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect())
                        .unwrap_or_default(),
                    admin1: get(7),
                    admin2: get(8),
                    admin3: get(9),
                    // Optional: people registered together, whose agreement is evidence.
                    household: household.and_then(|i| record.get(i)).unwrap_or("").trim().to_string(),
                });
                if batch.len() == BATCH && send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err()
                {
                    return Ok(());
                }
            }
            let _ = send.send(batch);
            Ok(())
        });
        for batch in receive {
            builder.push_batch(batch);
        }
        parser.join().map_err(|_| anyhow::anyhow!("{}: the reader failed", path.display()))?
    })?;
    let prepared = builder.finish();
    // Ids must be unique: sorted, a repeat sits next to its first.
    let mut order: Vec<u32> = (0..prepared.ids.len() as u32).collect();
    order.sort_unstable_by(|a, b| prepared.ids[*a as usize].cmp(&prepared.ids[*b as usize]));
    if let Some(pair) = order.windows(2).find(|w| prepared.ids[w[0] as usize] == prepared.ids[w[1] as usize]) {
        let (first, second) = (pair[0].min(pair[1]) as usize + 2, pair[0].max(pair[1]) as usize + 2);
        bail!(
            "{}, row {second}, column id: {:?} is already on row {first}; ids must be unique",
            path.display(),
            prepared.ids[pair[0] as usize]
        );
    }
    Ok(prepared)
}

/// Peak resident memory of this process, from the kernel (Linux), in MiB.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn run(cli: &Cli, cmd: &LinkageCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LinkageCommand::Run => {
            let store = super::open(cli)?;
            let report = store.run_duplicate_detection(&store::Actor::system())?;
            println!(
                "{} people checked, {} candidate pairs: {} sure pairs merged, {} queued for review, {} already decided",
                report.people, report.candidate_pairs, report.merged, report.queued, report.already_decided
            );
            for warning in report.warnings {
                println!("warning: {warning}");
            }
            Ok(ExitCode::SUCCESS)
        }
        LinkageCommand::Queue { status, limit } => {
            let store = super::open(cli)?;
            for pair in store.duplicate_pairs(&store::Actor::system(), Some(status), *limit)? {
                println!(
                    "{}\t{:.3}\t{}\t{} {} ({}, {})\t{} {} ({}, {})",
                    pair.id,
                    pair.probability,
                    pair.status,
                    pair.a.given_name,
                    pair.a.family_name,
                    pair.a.birth_date.as_deref().unwrap_or("?"),
                    pair.a.household_external_id,
                    pair.b.given_name,
                    pair.b.family_name,
                    pair.b.birth_date.as_deref().unwrap_or("?"),
                    pair.b.household_external_id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        LinkageCommand::Decide { id, decision, reason } => {
            let store = super::open(cli)?;
            let decision = match decision.as_str() {
                "accept" => store::duplicates::Decision::Accept,
                "reject" => store::duplicates::Decision::Reject,
                _ => store::duplicates::Decision::Undo,
            };
            let pair = store.decide_duplicate(&store::Actor::system(), id, decision, reason)?;
            println!("{}: {}", pair.id, pair.status);
            Ok(ExitCode::SUCCESS)
        }
        LinkageCommand::Dedup { input, output, review, link_at, review_from, weights } => {
            let started = Instant::now();
            let prepared = read_input(input)?;
            let read = started.elapsed();
            let config = Config { link_at: *link_at, review_from: *review_from, ..Default::default() };
            let outcome = linkage::dedup_prepared(prepared, &config);
            let written = Instant::now();
            let file =
                std::fs::File::create(output).with_context(|| format!("{}: cannot be written", output.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            writeln!(out, "id,cluster_id")?;
            let ids = &outcome.prepared.ids;
            for (i, cluster) in outcome.cluster_of.iter().enumerate() {
                writeln!(out, "{},{}", csv_field(&ids[i]), csv_field(&ids[*cluster as usize]))?;
            }
            out.flush()?;
            if let Some(path) = review {
                let mut out = std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| format!("{}: cannot be written", path.display()))?,
                );
                writeln!(out, "id_a,id_b,probability")?;
                for pair in &outcome.review {
                    writeln!(
                        out,
                        "{},{},{:.4}",
                        csv_field(&ids[pair.a as usize]),
                        csv_field(&ids[pair.b as usize]),
                        pair.probability
                    )?;
                }
                out.flush()?;
            }
            let write = written.elapsed();
            summary(&outcome.report, read, write, started.elapsed(), *weights);
            Ok(ExitCode::SUCCESS)
        }
        LinkageCommand::Generate { records, duplicates, seed, output, truth, households } => {
            let places = linkage::synthetic::sample_places();
            let data = if *households {
                linkage::synthetic::generate_households(*records, *duplicates, &places, *seed)
            } else {
                linkage::synthetic::generate(*records, *duplicates, &places, *seed)
            };
            let mut out =
                csv::Writer::from_path(output).with_context(|| format!("{}: cannot be written", output.display()))?;
            out.write_record(HEADER.iter().copied().chain([IDENTIFIERS, HOUSEHOLD]))?;
            for r in &data.inputs {
                let identifiers = r.identifiers.join("|");
                out.write_record([
                    &r.id,
                    &r.given_name,
                    &r.family_name,
                    &r.father_name,
                    &r.sex,
                    &r.birth_date,
                    &r.phone,
                    &r.admin1,
                    &r.admin2,
                    &r.admin3,
                    &identifiers,
                    &r.household,
                ])?;
            }
            out.flush()?;
            if let Some(path) = truth {
                let mut out = csv::Writer::from_path(path)?;
                out.write_record(["id", "person"])?;
                for (r, person) in data.inputs.iter().zip(&data.truth) {
                    out.write_record([r.id.as_str(), &person.to_string()])?;
                }
                out.flush()?;
            }
            eprintln!("{} synthetic registrations written to {}", data.inputs.len(), output.display());
            Ok(ExitCode::SUCCESS)
        }
        LinkageCommand::Evaluate { clusters, truth } => {
            let read = |path: &PathBuf| -> anyhow::Result<Vec<(String, String)>> {
                let mut reader =
                    csv::Reader::from_path(path).with_context(|| format!("{}: cannot be opened", path.display()))?;
                reader.records().map(|r| Ok(r.map(|r| (r[0].to_string(), r[1].to_string()))?)).collect()
            };
            let truth: std::collections::HashMap<String, String> = read(truth)?.into_iter().collect();
            let mut numbers = std::collections::HashMap::new();
            let (mut predicted, mut actual) = (Vec::new(), Vec::new());
            for (id, cluster) in read(clusters)? {
                let person = truth.get(&id).with_context(|| format!("{id} is not in the truth file"))?;
                let next = numbers.len() as u32;
                predicted.push(*numbers.entry(cluster).or_insert(next));
                actual.push(person.parse::<u64>().unwrap_or(u64::MAX));
            }
            let (precision, recall, f1) = linkage::evaluate(&predicted, &actual);
            println!("pairs: precision {precision:.4}, recall {recall:.4}, F1 {f1:.4}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn csv_field(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\"")).into()
    } else {
        value.into()
    }
}

fn summary(
    report: &linkage::Report,
    read: std::time::Duration,
    write: std::time::Duration,
    total: std::time::Duration,
    weights: bool,
) {
    let e = |text: String| eprintln!("{text}");
    e(format!("records: {}", report.records));
    e(format!(
        "candidate pairs: {} ({:.1} per record)",
        report.candidate_pairs,
        report.candidate_pairs as f64 / report.records.max(1) as f64
    ));
    for r in &report.rules {
        e(format!(
            "  rule {:<38} {:>10} new pairs, {:>8} blocks, largest {:>4}{}",
            r.rule,
            r.pairs,
            r.blocks,
            r.largest_block,
            if r.hot_blocks > 0 {
                format!(", {} hot blocks ({} records) by sorted neighbourhood", r.hot_blocks, r.hot_records)
            } else {
                String::new()
            }
        ));
    }
    let compare_seconds: f64 = report.rules.iter().map(|r| r.pair_seconds).sum();
    e(format!(
        "pair loop: {:.2}s for {} pairs, {:.1} M pairs compared per second",
        compare_seconds,
        report.candidate_pairs,
        report.candidate_pairs as f64 / compare_seconds.max(1e-9) / 1e6
    ));
    if !report.rule_coverage.is_empty() {
        let coverage: Vec<String> =
            report.rule_coverage.iter().map(|(r, c)| format!("{r} {:.0}%", c * 100.0)).collect();
        e(format!(
            "blocking: rules agree on the surest matches: {}; estimated recall of blocking {:.1}%",
            coverage.join(", "),
            report.estimated_blocking_recall * 100.0
        ));
    }
    e(format!("model: {} EM iterations, prior {:.3e}", report.em_iterations, report.prior));
    for warning in &report.model_warnings {
        e(format!("  warning: {warning}"));
    }
    if weights {
        for (field, level, m, u, w) in &report.weights {
            e(format!("  {field:<12} {level:<22} m {m:.4}  u {u:.6}  weight {w:+.2}"));
        }
    }
    if let Some([others, kin]) = report.household {
        let row = |bits: [f64; 3]| format!("most {:+.1}, some {:+.1}, none {:+.1}", bits[0], bits[1], bits[2]);
        e(format!(
            "households: other members alike weigh {} bits; for kin (same family name and cercle) {}",
            row(others),
            row(kin)
        ));
    } else if report.households_known > 0 {
        e(format!(
            "households: given for {} records, but too few pairs of households were alike to learn what they weigh: not weighed",
            report.households_known
        ));
    }
    e(format!(
        "clusters: {} ({} with more than one record, largest {}); links {}, joins refused as incompatible {}, as too large {}",
        report.cluster.clusters,
        report.cluster.multi_record_clusters,
        report.cluster.largest,
        report.cluster.links,
        report.cluster.refused_incompatible,
        report.cluster.refused_size
    ));
    e(format!("review band: {} pairs", report.review_pairs));
    let mut phases = vec![format!("read and standardise {:.2}s", read.as_secs_f64())];
    phases.extend(report.phases.iter().map(|(name, d)| format!("{name} {:.2}s", d.as_secs_f64())));
    phases.push(format!("write {:.2}s", write.as_secs_f64()));
    e(format!("time: {} — total {:.2}s", phases.join(", "), total.as_secs_f64()));
    if let Some(peak) = peak_memory_mib() {
        e(format!("peak memory: {peak:.0} MiB"));
    }
}
