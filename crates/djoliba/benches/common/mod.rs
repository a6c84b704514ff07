//! What the benchmarks share: a synthetic operation loaded into a store.
#![allow(dead_code)] // each benchmark uses its part

use domain::synthetic::{self, Places};
use store::import::{ImportItem, RowRef};
use store::{Actor, Store};

/// The binary's allocator (`src/main.rs`), so that benchmarks measure what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Origins in five régions of the north and centre, destinations in Bamako and Mopti.
pub fn places(gazetteer: &domain::places::Gazetteer) -> Places {
    let communes = |region: &str| -> Vec<String> {
        gazetteer.search("", Some(region), Some(3), 1000).into_iter().map(|m| m.location.pcode).collect()
    };
    let mut destinations = communes("ML09");
    destinations.extend(communes("ML04").into_iter().take(10));
    Places { origins: ["ML07", "ML06", "ML05", "ML10", "ML04"].iter().map(|r| communes(r)).collect(), destinations }
}

/// Creates an organisation and imports `households` synthetic households for it; returns its
/// registrar-like actor (the system actor bound to that organisation).
pub fn load(store: &Store, households: usize, seed: u64) -> (Actor, Vec<synthetic::SyntheticHousehold>) {
    let system = Actor::system();
    // A registry loaded by an earlier run (`DJOLIBA_BENCH_KEEP`): the same households again,
    // generated but not imported (a million take minutes to import).
    if let Some(org) = store.list_organisations().unwrap().into_iter().find(|o| o.code == "BENCH") {
        let actor = Actor { organisation_id: Some(org.id), ..system };
        return (actor, synthetic::generate(seed, households, &places(&store.gazetteer)));
    }
    let org = store.create_organisation(&system, "BENCH", "Benchmark").unwrap();
    let actor = Actor { organisation_id: Some(org.id), ..system };
    let generated = synthetic::generate(seed, households, &places(&store.gazetteer));
    let items: Vec<ImportItem> = generated
        .iter()
        .enumerate()
        .map(|(i, g)| ImportItem {
            household: g.household.clone(),
            household_row: RowRef { file: "bench".into(), row: i },
            member_rows: vec![],
            movement_rows: vec![],
        })
        .collect();
    store.import(&actor, &items, "bench", "-", &mut |_| {}).expect("import");
    // The generator's solutions decisions, as the demo records them (one transaction).
    let ids: std::collections::HashMap<String, String> = store
        .db
        .read(|tx| {
            let rows = tx.query(
                "SELECT external_id, id FROM households WHERE organisation_id = $1",
                store::params![actor.organisation_id.as_deref()],
            )?;
            Ok(rows.into_iter().map(|r| (r.text(0), r.text(1))).collect())
        })
        .unwrap();
    let decisions: Vec<_> = generated
        .iter()
        .filter_map(|g| Some((ids.get(&g.household.external_id)?.clone(), g.solution?)))
        .map(|(id, date)| {
            let input = store::figures::SolutionInput {
                decided_on: date.to_string(),
                basis: "Synthetic: durable solutions assessment".into(),
                decided_by: "Benchmark".into(),
            };
            (id, None, input)
        })
        .collect();
    store.record_solutions(&actor, &decisions).unwrap();
    (actor, generated)
}

/// Where a benchmark keeps its SQLite registry: `DJOLIBA_BENCH_KEEP` (a directory, kept for
/// the next run, which then skips the import: the same size and seed only), or a temporary
/// directory.
pub fn sqlite_dir() -> (std::path::PathBuf, Option<tempfile::TempDir>) {
    match std::env::var("DJOLIBA_BENCH_KEEP") {
        Ok(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (dir.into(), None)
        }
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            (dir.path().to_path_buf(), Some(dir))
        }
    }
}

/// A throwaway PostgreSQL database named `name` on the server of `DJOLIBA_TEST_POSTGRES_URL`.
pub fn postgres_target(url: &str, name: &str) -> store::Target {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let mut config: postgres::Config = url.parse().unwrap();
    config.dbname(name);
    store::Target::Postgres { config: Box::new(config), display: "bench".into() }
}

/// The `p` quantile of sorted values (NaN when there are none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
