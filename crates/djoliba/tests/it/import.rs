//! Registry files: all-or-nothing imports with row-level reports, idempotent repeats, exports
//! that import again unchanged.

use exchange::{Encoding, ImportOptions, InputFile};
use store::import::ImportReport;
use store::{Actor, Store};

use crate::support::*;

const COMMUNES: [&str; 5] = ["ML070101", "ML060101", "ML050101", "ML090101", "ML100101"];

/// 200 households, 500 people, 300 movements: 1,000 data rows in three files.
pub(crate) fn three_files(bad: bool) -> Vec<InputFile> {
    let mut households =
        String::from("household_id,registration_point,registration_date,population_group,origin,shelter_type\n");
    let mut people =
        String::from("household_id,person_id,given_name,family_name,sex,birth_date,relationship,documents_missing\n");
    let mut movements = String::from("household_id,person_id,kind,date,from,to,cause\n");
    for h in 0..200 {
        let here = COMMUNES[h % 5];
        let origin = COMMUNES[(h + 1) % 5];
        households.push_str(&format!("HH-{h:04},{here},2024-0{}-1{},IDP,{origin},host_family\n", 1 + h % 5, h % 10));
        let size = if h < 100 { 3 } else { 2 };
        for p in 0..size {
            let relationship = if p == 0 { "head" } else { "child" };
            let birth = if p == 0 { format!("19{}", 60 + h % 40) } else { format!("20{:02}-0{}-15", 5 + p, 1 + p) };
            people.push_str(&format!(
                "HH-{h:04},HH-{h:04}-{p},Awa{h},Touré,f,{birth},{relationship},birth_certificate\n"
            ));
        }
        movements.push_str(&format!("HH-{h:04},,displacement,2023-0{}-01,{origin},{here},armed_conflict\n", 1 + h % 9));
        if h < 100 {
            movements.push_str(&format!("HH-{h:04},,pendular_visit,2023-11-0{},,{origin},\n", 1 + h % 9));
        }
    }
    if bad {
        // Row 3 of people.csv: an impossible date. Row 4 of movements.csv: a P-code that does not exist.
        people = people.replacen("2006-02-15", "2006-02-30", 1);
        movements = movements.replacen(
            "HH-0001,,pendular_visit,2023-11-02,,ML050101",
            "HH-0001,,pendular_visit,2023-11-02,,ML0799",
            1,
        );
    }
    vec![
        InputFile { name: "households.csv".into(), bytes: households.into_bytes() },
        InputFile { name: "people.csv".into(), bytes: people.into_bytes() },
        InputFile { name: "movements.csv".into(), bytes: movements.into_bytes() },
    ]
}

fn import(store: &Store, files: Vec<InputFile>) -> ImportReport {
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    store.import_files(&registrar(store), files, options, &mut |_, _, _| {}).expect("import runs")
}

fn count(store: &Store, table: &str) -> i64 {
    store.db.read(|tx| tx.query_int(&format!("SELECT COUNT(*) FROM {table}"), store::params![])).unwrap()
}

#[test]
fn bad_rows_are_all_reported_and_nothing_is_written_then_the_fix_imports_once() {
    for t in stores() {
        let store = &t.store;
        let files = three_files(true);
        let rows: usize = files.iter().map(|f| String::from_utf8_lossy(&f.bytes).lines().count() - 1).sum();
        assert_eq!(rows, 1000);
        let report = import(store, files);
        let found: Vec<(&str, usize, &str)> =
            report.errors.iter().map(|e| (e.file.as_str(), e.row, e.column.as_str())).collect();
        assert_eq!(
            found,
            [("movements.csv", 5, "to"), ("people.csv", 3, "birth_date")],
            "{}: {:?}",
            t.backend,
            report.errors
        );
        assert!(
            report.errors[0].expected.to_string().contains("no unit ML0799 under Gao (ML07)"),
            "{}",
            report.errors[0].expected
        );
        assert_eq!(report.errors[1].value, "2006-02-30");
        assert_eq!(
            count(store, "households") + count(store, "people") + count(store, "movements"),
            0,
            "{}: nothing written",
            t.backend
        );

        let fixed = import(store, three_files(false));
        assert!(fixed.errors.is_empty(), "{:?}", fixed.errors);
        let summary = fixed.summary.expect("written");
        assert_eq!(
            (summary.households.created, summary.people.created, summary.movements.created),
            (200, 500, 300),
            "{}",
            t.backend
        );

        let versions_before = count(store, "record_versions");
        let again = import(store, three_files(false)).summary.expect("written");
        assert_eq!(
            (again.households.created, again.households.updated, again.households.unchanged),
            (0, 0, 200),
            "{}",
            t.backend
        );
        assert_eq!((again.people.created, again.people.updated, again.people.unchanged), (0, 0, 500));
        assert_eq!((again.movements.created, again.movements.unchanged), (0, 300));
        assert_eq!(count(store, "record_versions"), versions_before, "a repeated import writes no version");
        assert_eq!(count(store, "movements"), 300);
    }
}

#[test]
fn a_corrected_row_updates_with_a_version() {
    let t = sqlite();
    let store = &t.store;
    import(store, three_files(false));
    let mut files = three_files(false);
    files[0].bytes = String::from_utf8(files[0].bytes.clone())
        .unwrap()
        .replacen(
            "HH-0000,ML070101,2024-01-10,IDP,ML060101,host_family",
            "HH-0000,ML070101,2024-01-10,IDP,ML060101,site",
            1,
        )
        .into_bytes();
    let summary = import(store, files).summary.unwrap();
    assert_eq!((summary.households.updated, summary.households.unchanged), (1, 199));
    let actor = Actor::system();
    let page = store
        .list_households(
            &actor,
            &store::registry::HouseholdFilter { external_id: Some("HH-0000".into()), ..Default::default() },
        )
        .unwrap();
    let history = store.history(&actor, "household", &page.items[0].id).unwrap();
    assert_eq!(history.last().unwrap().reason, "import of households.csv, people.csv, movements.csv");
    assert_eq!(history.last().unwrap().changes["shelter_type"]["to"], "site");
}

fn one_file_errors(csv: &str) -> Vec<String> {
    let t = sqlite();
    let report = import(&t.store, vec![InputFile { name: "all.csv".into(), bytes: csv.as_bytes().to_vec() }]);
    report.errors.iter().map(|e| e.to_string()).collect()
}

const HEADER: &str = "record,household_id,registration_point,registration_date,population_group,person_id,given_name,family_name,birth_date,kind,date,to,cause\n";

#[test]
fn bad_input_gets_a_message_naming_row_column_and_expectation() {
    let cases: &[(&str, &str)] = &[
        ("household,H1,ML010114,2024-01-01,IDP,,,,,,,,\n", "retired 2015 code of Khouloum: use ML"),
        ("household,H1,ML070101,2030-01-01,IDP,,,,,,,,\n", "not after today"),
        ("household,H1,ML070101,2024-01-01,IDP,,,,,,,,\nhousehold,H1,ML070101,2024-01-01,IDP,,,,,,,,\n", "already on row 2"),
        ("household,H1,ML070101,2024-01-01,IDP,,,,,,,,\nperson,H9,,,,P1,Awa,Touré,1990,,,,\n", "row 3, column household_id: \"H9\""),
        ("household,H1,ML070101,2024-01-01,XYZ,,,,,,,,\n", "population group code"),
        ("household,H1,ML070101,2024-01-01,IDP,,,,,,,,\nmovement,H1,,,,,,,,return,2023-01-01,ML060101,\nmovement,H1,,,,,,,,displacement,2023-05-01,ML070101,drought\n", "comes before any displacement; it conflicts with the displacement of 2023-05-01 (row 4 of all.csv)"),
        ("household,H1,ML070101,2024-01-01,IDP,,,,,,,,\nmovement,H1,,,,,,,,flight,2023-01-01,ML060101,\n", "column kind: \"flight\""),
        ("elephant,H1,ML070101,2024-01-01,IDP,,,,,,,,\n", "household, person or movement"),
    ];
    for (rows, expected) in cases {
        let errors = one_file_errors(&format!("{HEADER}{rows}"));
        assert!(errors.iter().any(|e| e.contains(expected)), "expected {expected:?} in {errors:?}");
        assert!(errors.iter().all(|e| e.starts_with("all.csv, row ")), "{errors:?}");
    }
}

#[test]
fn unreadable_files_are_named() {
    let t = sqlite();
    let store = &t.store;
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    let truncated =
        InputFile { name: "cut.csv".into(), bytes: format!("{HEADER}household,H1,ML070101,2024-01-01").into_bytes() };
    let err = store.import_files(&registrar(store), vec![truncated], options, &mut |_, _, _| {}).unwrap_err();
    assert!(err.to_string().starts_with("cut.csv, row 2: the row has 4 fields but the header has 13"), "{err}");
    let utf8 = ImportOptions { encoding: Encoding::Utf8, dry_run: false };
    let latin =
        InputFile { name: "latin.csv".into(), bytes: b"household_id,registration_point\nH1,S\xe9gou\n".to_vec() };
    let err = store.import_files(&registrar(store), vec![latin], utf8, &mut |_, _, _| {}).unwrap_err();
    assert!(err.to_string().contains("latin.csv, row 2: the file is not valid UTF-8"), "{err}");
    let fake = InputFile { name: "fake.xlsx".into(), bytes: b"PK\x03\x04not really".to_vec() };
    let err = store.import_files(&registrar(store), vec![fake], options, &mut |_, _, _| {}).unwrap_err();
    assert!(err.to_string().starts_with("fake.xlsx: not a readable Excel workbook"), "{err}");
    let missing =
        InputFile { name: "h.csv".into(), bytes: b"household_id,registration_date\nH1,2024-01-01\n".to_vec() };
    let report = store.import_files(&registrar(store), vec![missing], options, &mut |_, _, _| {}).unwrap();
    assert!(report.errors.iter().any(|e| e.column == "registration_point" && e.row == 1), "{:?}", report.errors);
}

#[test]
fn windows_1252_semicolon_csv_from_excel_imports() {
    let t = sqlite();
    let mut bytes = b"record;household_id;registration_point;registration_date;population_group;person_id;given_name;family_name\r\n".to_vec();
    bytes.extend_from_slice(b"household;H1;ML070101;15/01/2024;IDP;;;\r\nperson;H1;;;;P1;A\xefcha;Ma\xefga\r\n");
    let report = import(&t.store, vec![InputFile { name: "excel.csv".into(), bytes }]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let people = t.store.list_people(&Actor::system(), &Default::default()).unwrap();
    assert_eq!(people.items[0].family_name, "Maïga");
}

#[test]
fn an_xlsx_export_imports_again_unchanged() {
    let source = sqlite();
    import(&source.store, three_files(false));
    let tables = store::export::registry_tables(&source.store, &Actor::system()).unwrap();
    let workbook = exchange::export::xlsx(Some(&tables)).unwrap();
    let report = import(&source.store, vec![InputFile { name: "export.xlsx".into(), bytes: workbook.clone() }]);
    assert!(report.errors.is_empty(), "{:?}", &report.errors[..report.errors.len().min(5)]);
    let again = report.summary.expect("imports");
    assert_eq!((again.households.unchanged, again.people.unchanged, again.movements.unchanged), (200, 500, 300));
    let target = sqlite();
    let copy = import(&target.store, vec![InputFile { name: "export.xlsx".into(), bytes: workbook }])
        .summary
        .expect("imports");
    assert_eq!((copy.households.created, copy.people.created, copy.movements.created), (200, 500, 300));
    for kind in exchange::columns::TableKind::ALL {
        let csv = exchange::export::csv_table(kind, exchange::export::table_rows(&tables, kind)).unwrap();
        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    }
}

/// On PostgreSQL another server may register a household of the file while the import runs:
/// the batch that loads it by COPY fails on the unique key, and the import, done again household
/// by household, updates that one instead. Nothing is lost or doubled.
#[test]
fn a_household_registered_elsewhere_during_an_import_is_updated_not_doubled() {
    let Some(t) = postgres() else { return };
    let store = &t.store;
    let clerk = registrar(store);
    let (mut starts, mut registered_meanwhile) = (0, false);
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    let report = store
        .import_files(&clerk, three_files(false), options, &mut |phase, done, _| {
            // "writing 0" is said before the transaction begins, then inside it.
            starts += usize::from(phase == "writing" && done == 0);
            if starts == 2 && !registered_meanwhile {
                registered_meanwhile = true;
                // As the file has it, but for its pendular visit and members.
                let mut other = household("HH-0005");
                let mut displacement = movement("displacement", "2023-06-01", "ML070101");
                displacement.from = Some("ML060101".into());
                other.movements = vec![displacement];
                store
                    .register_household(&clerk, &other.parse(store.gazetteer.as_ref(), store.today()).unwrap())
                    .unwrap();
            }
        })
        .unwrap();
    assert!(registered_meanwhile, "the import reported its progress");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let summary = report.summary.unwrap();
    assert_eq!((summary.households.created, summary.households.updated), (199, 1));
    assert_eq!(count(store, "households"), 200);
    assert_eq!(count(store, "household_changes"), 200);
}

/// A dry run does what the import would and rolls it back: it says what would change, and
/// finds what only the registry can tell (a movement that contradicts recorded ones), on both
/// databases, writing nothing.
#[test]
fn a_dry_run_says_what_would_change_and_finds_what_only_the_registry_tells() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let dry = ImportOptions { encoding: Encoding::Auto, dry_run: true };
        let first = store.import_files(&clerk, three_files(false), dry, &mut |_, _, _| {}).unwrap();
        let would = first.summary.expect("a dry run says what would change");
        assert_eq!((would.households.created, would.people.created, would.movements.created), (200, 500, 300));
        assert!(first.dry_run);
        assert_eq!(count(store, "households"), 0, "{}: nothing written", t.backend);
        assert_eq!(count(store, "people") + count(store, "import_batches") + count(store, "household_changes"), 0);

        store
            .import_files(&clerk, three_files(false), ImportOptions { dry_run: false, ..dry }, &mut |_, _, _| {})
            .unwrap();
        let again = store.import_files(&clerk, three_files(false), dry, &mut |_, _, _| {}).unwrap().summary.unwrap();
        assert_eq!((again.households.unchanged, again.households.created, again.households.updated), (200, 0, 0));

        // HH-0005 was displaced on 2023-06-01 and is still: a second displacement to the same
        // place while displaced contradicts the record. Only the registry knows it.
        // The file alone holds no contradiction: HH-0005 and that one movement.
        let mut files = three_files(false);
        for file in &mut files[..2] {
            let text = String::from_utf8(file.bytes.clone()).unwrap();
            let kept: Vec<&str> = text
                .lines()
                .enumerate()
                .filter(|(i, l)| *i == 0 || l.starts_with("HH-0005,"))
                .map(|(_, l)| l)
                .collect();
            file.bytes = format!("{}\n", kept.join("\n")).into_bytes();
        }
        files[2].bytes = b"household_id,person_id,kind,date,from,to,cause\nHH-0005,,displacement,2023-07-10,ML050101,ML070101,armed_conflict\n".to_vec();
        let before = count(store, "movements");
        let report = store.import_files(&clerk, files, dry, &mut |_, _, _| {}).unwrap();
        assert!(!report.errors.is_empty(), "{}: the preview finds the contradiction", t.backend);
        assert!(report.errors[0].expected.to_string().contains("displace"), "{:?}", report.errors);
        assert_eq!(count(store, "movements"), before);
    }
}

/// A name borne by more people than a search lists: the first 1,000 found, sorted by name,
/// and `more`; a narrower search lists all it finds. Both databases.
#[test]
fn a_common_name_lists_the_first_thousand_found_and_says_there_are_more() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let mut households = String::from("household_id,registration_point,registration_date,population_group\n");
        let mut people = String::from("household_id,person_id,given_name,family_name,sex,birth_date,relationship\n");
        for h in 0..600 {
            households.push_str(&format!("T-{h:04},ML070101,2024-01-15,HST\n"));
            for p in 0..2 {
                people.push_str(&format!(
                    "T-{h:04},{p},Awa{h},Touré,f,1980,{}\n",
                    if p == 0 { "head" } else { "spouse" }
                ));
            }
        }
        let files = vec![
            InputFile { name: "households.csv".into(), bytes: households.into_bytes() },
            InputFile { name: "people.csv".into(), bytes: people.into_bytes() },
        ];
        let report = import(store, files);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let search = |q: &str, offset: i64| {
            let filter = store::registry::PersonFilter {
                q: Some(q.into()),
                limit: Some(500),
                offset: Some(offset),
                ..Default::default()
            };
            store.list_people(&clerk, &filter).unwrap()
        };
        let common = search("toure", 0);
        assert!(common.more, "{}: 1,200 Touré", t.backend);
        assert_eq!(common.total, 1000);
        let names: Vec<String> = common.items.iter().map(|p| p.given_name.clone()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "the page is sorted by name");
        assert_eq!(search("toure", 500).items.len(), 500, "a second page of the first 1,000");
        let narrow = search("toure awa59", 0);
        assert!(!narrow.more);
        // Awa59 and Awa590…Awa599: 11 households of 2.
        assert_eq!(narrow.total, 22, "{}", t.backend);
        // Their households: 600, each once, under the 1,000 a search lists.
        let filter = store::registry::HouseholdFilter { q: Some("toure".into()), ..Default::default() };
        let households = store.list_households(&clerk, &filter).unwrap();
        assert_eq!((households.total, households.more), (600, false), "{}", t.backend);
    }
}

/// Checked files wait 30 minutes for their confirmation, for their uploader only, are taken
/// once, and a user keeps at most four waiting.
#[test]
fn a_checked_upload_waits_half_an_hour_for_its_uploader_and_is_taken_once() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let minutes = std::sync::Arc::new(AtomicI64::new(0));
    let later = minutes.clone();
    let clock = std::sync::Arc::new(move || now() + chrono::Duration::minutes(later.load(Ordering::SeqCst)));
    let (store, _) = Store::open_with_clock(&store::Target::default_sqlite(dir.path()), clock).unwrap();
    let file = || vec![InputFile { name: "people.csv".into(), bytes: b"\xEF\xBB\xBFa,b\r\n\x00\xff".to_vec() }];
    let key = store.keep_upload("u1", file()).unwrap();
    assert!(store.take_upload(&key, "u2").unwrap().is_none(), "another user's");
    minutes.store(29, Ordering::SeqCst);
    let taken = store.take_upload(&key, "u1").unwrap().expect("within 30 minutes");
    assert_eq!((taken[0].name.as_str(), taken[0].bytes.as_slice()), ("people.csv", file()[0].bytes.as_slice()));
    assert!(store.take_upload(&key, "u1").unwrap().is_none(), "once");
    let late = store.keep_upload("u1", file()).unwrap();
    minutes.store(60, Ordering::SeqCst);
    assert!(store.take_upload(&late, "u1").unwrap().is_none(), "gone after 30 minutes");
    let keys: Vec<String> = (0..5).map(|_| store.keep_upload("u1", file()).unwrap()).collect();
    assert!(store.take_upload(&keys[0], "u1").unwrap().is_none(), "the oldest of five goes");
    assert!(store.take_upload(&keys[4], "u1").unwrap().is_some());
    let waiting = store.db.read(|tx| tx.query_int("SELECT COUNT(*) FROM kept_upload_files", store::params![])).unwrap();
    assert_eq!(waiting, 3, "files of taken, expired and dropped uploads are deleted");
}

/// The template in either language imports as it is: its example household, with French
/// headers and labels read back as codes; and place names are read in a file as in the form.
#[test]
fn the_template_in_french_or_english_imports_its_example_and_place_names_are_read() {
    for lang in [domain::Lang::Fr, domain::Lang::En] {
        let t = sqlite();
        let groups = t.store.gazetteer.population_group_codes();
        let workbook = exchange::export::template(lang, &groups).unwrap();
        let report = import(&t.store, vec![InputFile { name: "modele.xlsx".into(), bytes: workbook }]);
        assert!(report.errors.is_empty(), "{lang:?}: {:?}", report.errors);
        let summary = report.summary.unwrap();
        assert_eq!(
            (summary.households.created, summary.people.created, summary.movements.created),
            (1, 1, 1),
            "{lang:?}"
        );
        let household = t.store.list_households(&Actor::system(), &Default::default()).unwrap().items.remove(0);
        let detail = t.store.household_detail(&Actor::system(), &household.id).unwrap();
        assert_eq!(detail.household.population_group, "IDP");
        assert_eq!(detail.members[0].person.relationship, Some(domain::Relationship::Head));
    }

    // Places written by name: found like the form finds them, an ambiguous or unknown name
    // refused at its cell with the choices or the closest spellings.
    let t = sqlite();
    let households = "household_id,registration_point,registration_date,population_group\n\
                      N-1,Gao,2024-03-01,PDI\nN-2,Bamba,2024-03-01,PDI\nN-3,Tombouctu,2024-03-01,PDI\n";
    let people = "household_id,person_id,given_name,family_name,sex,relationship\n\
                  N-1,1,Awa,Touré,f,chef_menage\nN-2,1,Ali,Touré,m,chef\nN-3,1,Bintou,Touré,f,chef\n";
    let files = || {
        vec![
            InputFile { name: "menages.csv".into(), bytes: households.as_bytes().to_vec() },
            InputFile { name: "personnes.csv".into(), bytes: people.as_bytes().to_vec() },
        ]
    };
    let report = import(&t.store, files());
    let errors: Vec<String> =
        report.errors.iter().map(|e| format!("{} row {} {}: {:?}", e.file, e.row, e.column, e.expected)).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("row 3 registration_point") && errors[0].contains("ML050501"), "{errors:?}");
    assert!(errors[1].contains("row 4 registration_point") && errors[1].contains("Tombouctou"), "{errors:?}");
    assert_eq!(count(&t.store, "households"), 0, "all or nothing");
    let fixed = households.replace("Bamba", "ML070201").replace("Tombouctu", "Tombouctou");
    let report = import(
        &t.store,
        vec![
            InputFile { name: "menages.csv".into(), bytes: fixed.into_bytes() },
            InputFile { name: "personnes.csv".into(), bytes: people.as_bytes().to_vec() },
        ],
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let points: Vec<String> = t
        .store
        .db
        .read(|tx| tx.query("SELECT registration_point FROM households ORDER BY external_id", store::params![]))
        .unwrap()
        .iter()
        .map(|r| r.text(0))
        .collect();
    assert_eq!(points, ["ML070303", "ML070201", "ML060506"], "the communes of Gao and Tombouctou");
}

#[test]
fn errors_name_the_columns_as_the_file_writes_them_and_a_missing_one_in_the_users_language() {
    let t = sqlite();
    let households = "id_ménage;Point d'enregistrement;date_enregistrement;groupe_population\r\n\
                      F-1;ML0701;2024-03-01;PDI\r\n";
    let report =
        import(&t.store, vec![InputFile { name: "menages.csv".into(), bytes: households.as_bytes().to_vec() }]);
    let bad = report.errors.iter().find(|e| e.row == 2).unwrap_or_else(|| panic!("{:?}", report.errors));
    assert_eq!(bad.column, "Point d'enregistrement", "the header as written, not the field's code");

    let missing = "id_ménage;Date d'enregistrement;groupe_population\r\nF-1;2024-03-01;PDI\r\n";
    let report = import(&t.store, vec![InputFile { name: "menages.csv".into(), bytes: missing.as_bytes().to_vec() }]);
    let said: Vec<String> = report.errors.iter().map(|e| e.expected.render(domain::Lang::Fr)).collect();
    assert!(
        said.iter().any(|m| m == "une colonne point_enregistrement dans la table ménages (voir le modèle)"),
        "{said:?}"
    );
    assert!(said.iter().all(|m| !m.contains("registration_") && !m.contains("households")), "{said:?}");
}

/// An import checks batch after batch while the next one is prepared: the error reported is
/// still the first in the file, whichever batch finds it, and nothing is written until the
/// file is right. Both databases.
#[test]
fn errors_in_later_batches_are_reported_in_file_order_and_nothing_is_written() {
    for t in stores() {
        let store = &t.store;
        let files = |return_of_500: bool, organisation_of_1700: &str| {
            let mut households =
                String::from("household_id,registration_point,registration_date,population_group,organisation\n");
            let mut people = String::from("household_id,person_id,given_name,family_name,sex,birth_date\n");
            let mut movements = String::from("household_id,person_id,kind,date,from,to,cause\n");
            for h in 0..2500 {
                let organisation = if h == 1700 { organisation_of_1700 } else { "" };
                households.push_str(&format!("B-{h:04},ML070101,2024-01-15,IDP,{organisation}\n"));
                people.push_str(&format!("B-{h:04},1,Awa{h},Touré,f,1980\n"));
                movements.push_str(&format!("B-{h:04},,displacement,2023-06-01,ML060101,ML070101,flood\n"));
                if h == 500 && return_of_500 {
                    movements.push_str(&format!("B-{h:04},,return,2023-01-01,,ML060101,\n"));
                }
            }
            vec![
                InputFile { name: "households.csv".into(), bytes: households.into_bytes() },
                InputFile { name: "people.csv".into(), bytes: people.into_bytes() },
                InputFile { name: "movements.csv".into(), bytes: movements.into_bytes() },
            ]
        };
        // Household 500 (first batch): a return before any displacement, which only replaying
        // its timeline finds, while the next batch is prepared. Household 1,700 (second batch):
        // an organisation that does not exist, found when that batch is looked up.
        let report = import(store, files(true, "NOSUCH"));
        assert_eq!(report.errors.len(), 1, "{}: {:?}", t.backend, report.errors.first());
        assert_eq!((report.errors[0].file.as_str(), report.errors[0].row), ("movements.csv", 503), "{}", t.backend);
        assert_eq!(count(store, "households"), 0);
        let report = import(store, files(false, "NOSUCH"));
        assert_eq!(report.errors.len(), 1, "{}: {:?}", t.backend, report.errors.first());
        assert_eq!((report.errors[0].file.as_str(), report.errors[0].row), ("households.csv", 1702), "{}", t.backend);
        assert_eq!(report.errors[0].column, "organisation");
        assert_eq!(count(store, "households"), 0);
        let report = import(store, files(false, ""));
        assert!(report.errors.is_empty(), "{}: {:?}", t.backend, report.errors.first());
        assert_eq!(report.summary.unwrap().households.created, 2500);
        assert_eq!((count(store, "households"), count(store, "people")), (2500, 2500), "{}", t.backend);
    }
}
