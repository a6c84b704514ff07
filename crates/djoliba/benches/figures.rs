//! Figures benchmark: a synthetic registry (default 100,000 households; set
//! `DJOLIBA_BENCH_HOUSEHOLDS=1000000` for the scale) loaded into SQLite (and PostgreSQL
//! when `DJOLIBA_TEST_POSTGRES_URL` names a server, e.g. under `scripts/with-postgres`), then:
//! the first stock query (loading and computing every timeline), stock at admin 2 for
//! arbitrary dates, and flows for a quarter, on the computed (cached) registry; then 20
//! registrations, each followed by the stock that includes it (the index caught up through the
//! change feed), and a full count again with the index's memory. Name search (p50/p99) on the
//! loaded registry.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

use std::time::Instant;

mod common;

use domain::synthetic;
use store::{Store, Target};

fn run(label: &str, store: &Store, households: usize) {
    let start = Instant::now();
    let (actor, generated) = common::load(store, households, 11);
    let people: usize = generated.iter().map(|g| g.household.members.len()).sum();
    let events: usize = generated.iter().map(|g| g.household.movements.len()).sum();
    if label == "sqlite" && std::env::var("DJOLIBA_BENCH_DUCKDB").is_ok() {
        export_for_duckdb(&generated);
    }
    println!(
        "[{label}] {households} households, {people} people, {events} movement events loaded in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    name_search(label, store, &actor, &generated);
    drop(generated);

    let start = Instant::now();
    let first = store.stock_figures(&actor, "2024-06-30", 2, None).unwrap();
    println!("[{label}] first stock query (load + compute every timeline): {:.2} s", start.elapsed().as_secs_f64());
    let in_stock: u64 = first.stock.cells.iter().map(|c| c.individuals).sum();
    let mut times = Vec::new();
    for date in ["2019-03-31", "2020-12-31", "2022-06-30", "2023-09-30", "2024-06-30"] {
        let start = Instant::now();
        let report = store.stock_figures(&actor, date, 2, None).unwrap();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(!report.stock.cells.is_empty() || date < "2019");
    }
    println!(
        "[{label}] stock at admin 2, 5 dates (cached): {} ms; {in_stock} people in a stock on 2024-06-30",
        times.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", ")
    );
    let idps: u64 = first.stock.cells.iter().filter(|c| c.population_group == "IDP").map(|c| c.individuals).sum();
    println!("[{label}] of whom IDPs (the IRIS stock, returned IDPs included): {idps}");
    IDPS.store(idps, std::sync::atomic::Ordering::Relaxed);
    let start = Instant::now();
    let flows = store.flow_figures(&actor, "2023-12-31", "2024-03-31", 2, None).unwrap();
    println!(
        "[{label}] flows for 2024-Q1 at admin 2 (cached): {:.0} ms, {} origin-destination pairs",
        start.elapsed().as_secs_f64() * 1000.0,
        flows.flows.matrix.len()
    );
    fresh_after_writes(label, store, &actor, idps);
    viewer_figures(label, store, &actor);

    // The first full count again, the store and database warm.
    store.recount_figures();
    let start = Instant::now();
    let snapshot = store.figures_snapshot(&actor).unwrap();
    println!(
        "[{label}] full count (load + compute + index, both cores): {:.2} s; index {:.0} MiB; peak resident {} MiB",
        start.elapsed().as_secs_f64(),
        snapshot.index_bytes() as f64 / 1048576.0,
        peak_resident_mib()
    );
}

/// The IDP stock on 2024-06-30 as counted on SQLite, for the comparison with DuckDB.
static IDPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A household of five displaced twice, as a clerk registers it.
fn household_of_five(store: &Store, n: usize) -> domain::registry::NewHousehold {
    use domain::registry::{HouseholdInput, MovementInput, PersonInput};
    let person = |i: usize, given: &str, relationship: &str, sex: &str, birth: &str| PersonInput {
        external_id: Some(format!("P{i}")),
        given_name: given.into(),
        family_name: "Touré".into(),
        sex: Some(sex.into()),
        birth_date: Some(birth.into()),
        relationship: Some(relationship.into()),
        ..Default::default()
    };
    let movement = |kind: &str, date: &str, from: &str, to: &str| MovementInput {
        kind: kind.into(),
        date: date.into(),
        from: Some(from.into()),
        to: Some(to.into()),
        cause: Some("armed_conflict".into()),
        ..Default::default()
    };
    HouseholdInput {
        // Unique across runs on a kept registry (`DJOLIBA_BENCH_KEEP`).
        external_id: format!("FRESH-{}-{n}", std::process::id()),
        registration_point: "ML090101".into(),
        registration_date: "2024-05-02".into(),
        population_group: "IDP".into(),
        origin: Some("ML070101".into()),
        members: vec![
            person(1, "Oumar", "head", "m", "1980"),
            person(2, "Aminata", "spouse", "f", "1986-03-12"),
            person(3, "Moussa", "child", "m", "2010"),
            person(4, "Fatoumata", "child", "f", "2014-09-01"),
            person(5, "Awa", "child", "f", "2019"),
        ],
        movements: vec![
            movement("displacement", "2023-02-14", "ML070101", "ML050101"),
            movement("secondary_displacement", "2024-04-20", "ML050101", "ML090101"),
        ],
        ..Default::default()
    }
    .parse(store.gazetteer.as_ref(), store.today())
    .unwrap()
}

/// Registrations committed one after another, each followed by the stock that must include
/// it: the time from commit to figures, which the index's catch-up makes independent of the
/// registry's size.
fn fresh_after_writes(label: &str, store: &Store, actor: &store::Actor, idps: u64) {
    let mut times = Vec::new();
    let mut expected = idps;
    for n in 0..20 {
        store.register_household(actor, &household_of_five(store, n)).unwrap();
        expected += 5;
        let start = Instant::now();
        let report = store.stock_figures(actor, "2024-06-30", 2, Some("IDP")).unwrap();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        let now: u64 = report.stock.cells.iter().map(|c| c.individuals).sum();
        assert_eq!(now, expected, "the registration is in the figures");
        assert!(!report.stale);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "[{label}] registration (5 people, 2 movements) committed -> stock including it: p50 {:.1} ms, max {:.1} ms (20 registrations)",
        common::percentile(&times, 0.5),
        times.last().copied().unwrap_or(f64::NAN)
    );
}

/// A viewer's figures: disclosure control of every level from the régions down to the one
/// asked, with its audit, over the cached counts.
fn viewer_figures(label: &str, store: &Store, actor: &store::Actor) {
    let viewer = store::Actor { role: domain::Role::Viewer, ..actor.clone() };
    for level in [1, 2, 3] {
        let start = Instant::now();
        let report = store.stock_figures(&viewer, "2024-06-30", level, None).unwrap();
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        let hidden = report.stock.cells.iter().filter(|c| c.suppressed).count();
        println!(
            "[{label}] viewer's stock at admin {level} (suppressed with the levels above and audited): {elapsed:.0} ms, {hidden} of {} cells hidden",
            report.stock.cells.len()
        );
    }
    let start = Instant::now();
    let flows = store.flow_figures(&viewer, "2023-12-31", "2024-03-31", 3, None).unwrap();
    println!(
        "[{label}] viewer's flows for 2024-Q1 at admin 3: {:.0} ms, {} of {} routes hidden",
        start.elapsed().as_secs_f64() * 1000.0,
        flows.flows.matrix.iter().filter(|m| m.suppressed).count(),
        flows.flows.matrix.len()
    );
}

/// Name searches as a clerk types them, through the people list (a page of 50 and the total):
/// a given and a family name, a family name alone, the beginning of a given name, a name
/// spelt another way, the end of a name.
fn name_search(label: &str, store: &Store, actor: &store::Actor, generated: &[synthetic::SyntheticHousehold]) {
    let mut rng = synthetic::Rng::new(5);
    let kinds = [
        "given and family name",
        "family name",
        "first 4 letters of a given name",
        "given name spelt another way",
        "last 4 letters of a given name",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let mut found = vec![0usize; kinds.len()];
    for i in 0..300 {
        let g = &generated[rng.below(generated.len())];
        let p = &g.household.members[rng.below(g.household.members.len())];
        let given: String = p.given_name.clone();
        let kind = i % kinds.len();
        let q = match kind {
            0 => format!("{} {}", given, p.family_name),
            1 => p.family_name.clone(),
            2 => given.chars().take(4).collect(),
            3 => given.replacen("ou", "u", 1).replacen('a', "e", 1),
            _ => given.chars().skip(given.chars().count().saturating_sub(4)).collect(),
        };
        let filter = store::registry::PersonFilter { q: Some(q), ..Default::default() };
        let start = Instant::now();
        let page = store.list_people(actor, &filter).unwrap();
        times[kind].push(start.elapsed().as_secs_f64() * 1000.0);
        found[kind] += page.total as usize;
    }
    let mut all: Vec<f64> = times.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    println!(
        "[{label}] name search (300 queries, a page of 50 by name among the first 1,000 found, and their count): p50 {:.1} ms, p99 {:.1} ms",
        common::percentile(&all, 0.5),
        common::percentile(&all, 0.99)
    );
    for (k, kind) in kinds.iter().enumerate() {
        times[k].sort_by(f64::total_cmp);
        println!(
            "[{label}]   {kind}: p50 {:.1} ms, p99 {:.1} ms, {} people listed on average (at most 1,000)",
            common::percentile(&times[k], 0.5),
            common::percentile(&times[k], 0.99),
            found[k] / times[k].len().max(1)
        );
    }
}

/// The process's peak resident memory (Linux), in MiB.
fn peak_resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Where the DuckDB comparison reads the same registry.
const DUCKDB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-duckdb");

/// Writes households' people, events and solutions decisions as CSV for DuckDB.
fn export_for_duckdb(generated: &[synthetic::SyntheticHousehold]) {
    use std::io::Write;
    std::fs::create_dir_all(DUCKDB_DIR).unwrap();
    let file = |name: &str| std::io::BufWriter::new(std::fs::File::create(format!("{DUCKDB_DIR}/{name}")).unwrap());
    let (mut people, mut events, mut solutions) = (file("people.csv"), file("events.csv"), file("solutions.csv"));
    writeln!(people, "household,person,sex,birth").unwrap();
    writeln!(events, "household,person,seq,kind,date,from_place,to_place").unwrap();
    writeln!(solutions, "household,date").unwrap();
    for (h, g) in generated.iter().enumerate() {
        for m in &g.household.members {
            let id = m.external_id.clone().unwrap_or_default();
            let birth = m.birth_date.map(|d| d.iso()).unwrap_or_default();
            let sex = m.sex.map(|s| s.as_str()).unwrap_or("");
            writeln!(people, "{h},{h}-{id},{sex},{birth}").unwrap();
        }
        for (seq, e) in g.household.movements.iter().enumerate() {
            let person = e.person.as_ref().map(|p| format!("{h}-{p}")).unwrap_or_default();
            let from = e.from.clone().unwrap_or_default();
            let to = e.to.clone().unwrap_or_default();
            writeln!(events, "{h},{person},{seq},{},{},{from},{to}", e.kind.as_str(), e.date.iso()).unwrap();
        }
        if let Some(date) = g.solution {
            writeln!(solutions, "{h},{date}").unwrap();
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    // The store's own account of a full count (time to read, walk timelines, index).
    tracing_subscriber::fmt().with_env_filter("store::figures=debug").with_target(false).init();
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    // DJOLIBA_BENCH_ONLY=postgresql skips SQLite (the 1M load takes minutes on each).
    let only = std::env::var("DJOLIBA_BENCH_ONLY").unwrap_or_default();
    let (dir, _temporary) = common::sqlite_dir();
    if only.is_empty() || only == "sqlite" {
        let (sqlite, _) = Store::open(&Target::default_sqlite(&dir)).unwrap();
        run("sqlite", &sqlite, households);
    }
    if std::env::var("DJOLIBA_BENCH_DUCKDB").is_ok() {
        // The same registry in DuckDB (from PyPI), the equivalent SQL: see the script.
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/duckdb-figures.py");
        let output = std::process::Command::new("python3").arg(script).arg(DUCKDB_DIR).output();
        match output {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                print!("{text}");
                // The same people in the same stock: the IRIS IDP stock and DuckDB's query.
                let theirs = text
                    .lines()
                    .find_map(|l| l.strip_suffix(" IDPs on 2024-06-30")?.rsplit(' ').next()?.parse::<u64>().ok());
                let ours = IDPS.load(std::sync::atomic::Ordering::Relaxed);
                println!("[duckdb] IDPs on 2024-06-30: Djoliba {ours}, DuckDB {theirs:?}");
                assert_eq!(Some(ours), theirs, "both count the IDP stock the same way");
            }
            _ => println!("[duckdb] not run: `pip install duckdb` first"),
        }
    }
    if let Some(url) =
        std::env::var("DJOLIBA_TEST_POSTGRES_URL").ok().filter(|_| only.is_empty() || only == "postgresql")
    {
        let (pg, _) = Store::open(&common::postgres_target(&url, "djoliba_bench")).unwrap();
        run("postgresql", &pg, households);
    }
}
