//! Every figures export read back by libhxl (PyPI), the library HDX's tools use: one table a
//! file, its hashtags as written, every row read, and its totals those of the report.

use std::collections::BTreeMap;
use std::process::Command;

use exchange::figures::HxlTable;
use store::Actor;

use crate::support::*;

/// What libhxl read of one file.
#[derive(Debug)]
struct Read {
    tags: Vec<String>,
    rows: usize,
    sums: BTreeMap<String, f64>,
}

impl Read {
    fn from_json(value: &serde_json::Value) -> Read {
        Read {
            tags: value["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect(),
            rows: value["rows"].as_u64().unwrap() as usize,
            sums: value["sums"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap())).collect(),
        }
    }
}

/// Reads the files with scripts/hxl-read.py. Without Python's libhxl the test says so and
/// stops, except under CI, whose script installs it: there its absence fails.
fn read_with_libhxl(files: &[std::path::PathBuf]) -> Option<BTreeMap<String, Read>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/hxl-read.py");
    let output = Command::new("python3").arg(script).args(files).output();
    match output {
        Ok(output) if output.status.success() => {
            let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            Some(value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), Read::from_json(v))).collect())
        }
        other if std::env::var_os("CI").is_none() => {
            eprintln!("libhxl unavailable (pip install libhxl), export check skipped: {other:?}");
            None
        }
        other => panic!("libhxl must read every export in CI: {other:?}"),
    }
}

fn column_sums(table: &HxlTable) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    for row in &table.rows {
        for (tag, value) in table.tags.iter().zip(row) {
            if let Ok(n) = value.parse::<f64>() {
                *sums.entry(tag.clone()).or_default() += n;
            }
        }
    }
    sums
}

#[test]
fn every_figures_export_reads_in_libhxl_with_its_tags_and_totals() {
    let t = sqlite();
    let store = &t.store;
    crate::figures::load_synthetic(store, 300);
    let actor = Actor::system();
    let meta = store::series::SeriesMeta {
        name: "DTM".into(),
        source: "IOM DTM".into(),
        method: "KI".into(),
        population_group: None,
        published_on: None,
    };
    let dtm =
        "Région,Date,PDI\n#adm1+code,#date+reported,#affected+idps+ind\nML09,2024-03-31,900\nML05,2024-03-31,120\n";
    let file = exchange::InputFile { name: "dtm.csv".into(), bytes: dtm.as_bytes().to_vec() };
    store.import_series_file(&actor, &meta, file, &Default::default()).unwrap().report.unwrap().series_id.unwrap();

    let stock = store.stock_figures(&actor, "2024-06-30", 2, Some("IDP")).unwrap();
    let flows = store.flow_figures(&actor, "2023-12-31", "2024-06-30", 1, None).unwrap();
    let comparison = store.compare(&actor, "2024-06-30", 1, "IDP").unwrap();
    let concern = store.population_of_concern(&actor, "2024-06-30", 1).unwrap();
    let mut tables = vec![exchange::figures::stock_table(&stock, &store.gazetteer)];
    tables.extend(exchange::figures::flow_tables(&flows, &store.gazetteer));
    tables.push(exchange::figures::comparison_table(&comparison));
    tables.extend(exchange::figures::concern_tables(&concern).into_iter().map(|mut t| {
        t.name = if t.name == "registry" { "concern_registry" } else { "concern_series" };
        t
    }));
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> = tables
        .iter()
        .map(|table| {
            let path = dir.path().join(format!("{}.csv", table.name));
            std::fs::write(&path, exchange::figures::csv(table).unwrap()).unwrap();
            path
        })
        .collect();
    let Some(read) = read_with_libhxl(&files) else { return };
    for (table, path) in tables.iter().zip(&files) {
        let found = &read[path.to_str().unwrap()];
        assert_eq!(found.tags, table.tags, "{}: the hashtags as written", table.name);
        assert!(!table.rows.is_empty(), "{}: a table with rows", table.name);
        assert_eq!(found.rows, table.rows.len(), "{}: every row read", table.name);
        let ours = column_sums(table);
        for (tag, sum) in &ours {
            let theirs = found.sums.get(tag).copied().unwrap_or_default();
            assert!((theirs - sum).abs() < 1e-6, "{}: {tag} sums to {theirs} in libhxl, {sum} as written", table.name);
        }
    }
    // The totals are the report's.
    let individuals: u64 = stock.stock.cells.iter().map(|c| c.individuals).sum();
    assert_eq!(read[files[0].to_str().unwrap()].sums["#affected+idps+ind"], individuals as f64);
    let idps: u64 = concern.groups[0].rows.iter().filter_map(|r| r.registered).sum();
    let registry = &read[files[files.len() - 2].to_str().unwrap()];
    assert_eq!(registry.sums["#affected+idps+ind+registered"], idps as f64);
    assert!(registry.tags.contains(&"#affected+returnees+idps+ind+registered".to_string()), "{:?}", registry.tags);
}
