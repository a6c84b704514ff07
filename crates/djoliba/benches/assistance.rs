//! Assistance benchmark, on a synthetic registry (default 100,000 households; set
//! `DJOLIBA_BENCH_HOUSEHOLDS=1000000` for the scale) in SQLite, and PostgreSQL when
//! `DJOLIBA_TEST_POSTGRES_URL` names a server:
//! - planning a cash round of a tenth of the households from an uploaded list, with the
//!   duplicate-assistance check against another cash round that already holds half of them;
//! - importing a returned list of a tenth of the households (rows/s, next to the registry
//!   import's households/s);
//! - reach for a year by sector × kind × admin 2 × sex × age, from two deliveries per
//!   household of a round covering every household (2,000,000 deliveries at 1M households).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

use std::time::Instant;

mod common;

use domain::assistance::{CycleInput, ProgrammeInput, Quantity};
use store::assistance::PlanFilter;
use store::{Actor, Store, Target};

fn programme(store: &Store, actor: &Actor, code: &str, kind: &str, sector: &str, unit: &str) -> String {
    let input = ProgrammeInput {
        code: code.into(),
        name: code.into(),
        sector: sector.into(),
        kind: kind.into(),
        target_unit: "household".into(),
        start_date: "2024-01-01".into(),
        end_date: "2024-12-31".into(),
        eligibility: "benchmark".into(),
        amount: Quantity::Number(if unit == "XOF" { 50_000.0 } else { 2.0 }),
        per: "household".into(),
        unit: unit.into(),
        ..Default::default()
    };
    store.create_programme(actor, &input).unwrap().id
}

fn round(store: &Store, actor: &Actor, programme: &str, name: &str, from: &str, to: &str) -> String {
    let input = CycleInput { name: name.into(), start_date: from.into(), end_date: to.into() };
    store.create_cycle(actor, programme, &input).unwrap().id
}

fn distribute(store: &Store, actor: &Actor, cycle: &str) {
    store.advance_cycle(actor, cycle, "approved").unwrap();
    store.advance_cycle(actor, cycle, "distributing").unwrap();
}

fn run(label: &str, store: &Store, households: usize) {
    let start = Instant::now();
    let (actor, generated) = common::load(store, households, 14);
    let numbers: Vec<String> = generated.iter().map(|g| g.household.external_id.clone()).collect();
    drop(generated);
    let load = start.elapsed().as_secs_f64();
    println!("[{label}] {households} households loaded in {load:.1} s ({:.0} households/s)", households as f64 / load);

    // Another cash programme already holds every 20th household over the same months.
    let earlier = programme(store, &actor, "CASH-A", "multipurpose_cash", "FSC", "XOF");
    let earlier = round(store, &actor, &earlier, "A", "2024-03-01", "2024-03-31");
    let every_20th: Vec<String> = numbers.iter().step_by(20).cloned().collect();
    store.plan_cycle(&actor, &earlier, &PlanFilter { households: every_20th, ..Default::default() }).unwrap();
    let cash = programme(store, &actor, "CASH-B", "multipurpose_cash", "FSC", "XOF");
    let cash = round(store, &actor, &cash, "B", "2024-03-15", "2024-04-15");
    let every_10th: Vec<String> = numbers.iter().step_by(10).cloned().collect();
    let start = Instant::now();
    let report =
        store.plan_cycle(&actor, &cash, &PlanFilter { households: every_10th.clone(), ..Default::default() }).unwrap();
    println!(
        "[{label}] plan a cash round of {} households (list) with the duplicate-assistance check: {:.2} s; {} planned, {} left out as already assisted",
        every_10th.len(),
        start.elapsed().as_secs_f64(),
        report.planned,
        report.conflicts.len()
    );

    // A shelter round of every 10th household, delivered by importing its returned list.
    let kits = programme(store, &actor, "KITS", "shelter_kit", "SHL", "kit");
    let kits = round(store, &actor, &kits, "K", "2024-05-01", "2024-05-31");
    store.plan_cycle(&actor, &kits, &PlanFilter { households: every_10th, ..Default::default() }).unwrap();
    distribute(store, &actor, &kits);
    let start = Instant::now();
    let (_, list) = store.distribution_list(&actor, &kits).unwrap();
    let listed = start.elapsed().as_secs_f64();
    let mut csv = String::from("code_droit,numero_menage,quantite_remise,date_remise,modalite,resultat,reference\n");
    for (i, row) in list.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},2,{:02}/05/2024,en nature,remis,K-{i}\n",
            row.entitlement,
            row.household,
            1 + i % 28
        ));
    }
    let returned = exchange::distribution::read_returned("retour.csv", csv.as_bytes()).unwrap();
    let start = Instant::now();
    let imported = store.import_returns(&actor, &kits, &returned, false).unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "[{label}] distribution list of {} lines: {listed:.2} s; returned list imported: {} deliveries in {elapsed:.2} s ({:.0} rows/s)",
        list.len(),
        imported.recorded,
        imported.recorded as f64 / elapsed
    );

    // Food for every household, two deliveries each over the year (written directly: what is
    // measured is reach, not the checks).
    let food = programme(store, &actor, "FOOD", "food", "FSC", "kg");
    let food = round(store, &actor, &food, "F", "2024-01-01", "2024-12-31");
    let start = Instant::now();
    let planned = store.plan_cycle(&actor, &food, &PlanFilter::default()).unwrap();
    println!(
        "[{label}] plan a food round of every household ({}): {:.1} s",
        planned.planned,
        start.elapsed().as_secs_f64()
    );
    distribute(store, &actor, &food);
    store
        .db
        .write(|tx| {
            tx.execute(
                "INSERT INTO deliveries (id, entitlement_id, date, place, quantity, modality, outcome, created_at, created_by) \
                 SELECT e.id || '-' || n.n, e.id, CASE n.n WHEN 1 THEN '2024-03-15' ELSE '2024-09-15' END, \
                 COALESCE(h.current_location, h.registration_point), 1, 'in_kind', 'delivered', 0, 'bench' \
                 FROM entitlements e JOIN households h ON h.id = e.household_id \
                 CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) n WHERE e.cycle_id = $1",
                store::params![food.as_str()],
            )?;
            Ok(())
        })
        .unwrap();
    let deliveries: i64 = store.db.read(|tx| tx.query_int("SELECT COUNT(*) FROM deliveries", &[])).unwrap();
    let mut times = Vec::new();
    let mut people = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let reach = store.reach(&actor, "2024-01-01", "2024-12-31", 2).unwrap();
        times.push(start.elapsed().as_secs_f64());
        people = reach.people;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "[{label}] reach for 2024 by sector × kind × admin 2 × sex × age from {deliveries} deliveries: {} s (3 runs); {people} people",
        times.iter().map(|t| format!("{t:.2}")).collect::<Vec<_>>().join(", ")
    );
}

fn main() {
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    // DJOLIBA_BENCH_DIR keeps the database for a look with sqlite3 afterwards.
    let path = std::env::var("DJOLIBA_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| dir.path().into());
    let (store, _) = Store::open(&Target::default_sqlite(&path)).unwrap();
    run("sqlite", &store, households);
    drop(store);
    if let Ok(url) = std::env::var("DJOLIBA_TEST_POSTGRES_URL") {
        let (store, _) = Store::open(&common::postgres_target(&url, "djoliba_bench_assistance")).unwrap();
        run("postgresql", &store, households);
    }
}
