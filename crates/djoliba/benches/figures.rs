//! Figures benchmark: a synthetic registry (default 100,000 households; set
//! `DJOLIBA_BENCH_HOUSEHOLDS=1000000` for the scale) loaded into SQLite (and PostgreSQL
//! when `DJOLIBA_TEST_POSTGRES_URL` names a server, e.g. under `scripts/with-postgres`), then:
//! the first stock query (loading and computing every timeline), stock at admin 2 for
//! arbitrary dates, and flows for a quarter, on the computed (cached) registry.
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
    drop(generated);
    println!(
        "[{label}] {households} households, {people} people, {events} movement events loaded in {:.1} s",
        start.elapsed().as_secs_f64()
    );

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
    let start = Instant::now();
    let flows = store.flow_figures(&actor, "2023-12-31", "2024-03-31", 2, None).unwrap();
    println!(
        "[{label}] flows for 2024-Q1 at admin 2 (cached): {:.0} ms, {} origin-destination pairs",
        start.elapsed().as_secs_f64() * 1000.0,
        flows.flows.matrix.len()
    );
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
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    // DJOLIBA_BENCH_ONLY=postgresql skips SQLite (the 1M load takes minutes on each).
    let only = std::env::var("DJOLIBA_BENCH_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    if only.is_empty() || only == "sqlite" {
        let (sqlite, _) = Store::open(&Target::default_sqlite(dir.path())).unwrap();
        run("sqlite", &sqlite, households);
    }
    if std::env::var("DJOLIBA_BENCH_DUCKDB").is_ok() {
        // The same registry in DuckDB (from PyPI), the equivalent SQL: see the script.
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/duckdb-figures.py");
        let status = std::process::Command::new("python3").arg(script).arg(DUCKDB_DIR).status();
        if !status.is_ok_and(|s| s.success()) {
            println!("[duckdb] not run: `pip install duckdb` first");
        }
    }
    if let Some(url) =
        std::env::var("DJOLIBA_TEST_POSTGRES_URL").ok().filter(|_| only.is_empty() || only == "postgresql")
    {
        let (pg, _) = Store::open(&common::postgres_target(&url, "djoliba_bench")).unwrap();
        run("postgresql", &pg, households);
    }
}
