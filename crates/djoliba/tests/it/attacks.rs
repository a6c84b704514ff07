//! Regression tests of attacks found by an adversarial review: each performs the attack.

use store::registry::{HouseholdFilter, PersonFilter};
use store::{Actor, StoreError};

use crate::support::{household, other_registrar, registrar, stores};

/// A reader under a pseudonymised agreement renamed a person of their own organisation and
/// watched where it sorted among the pseudonymised ones: a binary search recovered names.
#[test]
fn pseudonymised_people_never_sort_by_their_hidden_names() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let nrc = registrar(store);
        let iom = other_registrar(store);
        let mut theirs = household("IOM-CASE-9");
        theirs.members[0].given_name = "Mariam".into();
        theirs.members[1].family_name = "Coulibaly".into();
        store.register_household(&iom, &theirs.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        store.set_agreement(&system, "IOM", "NRC", "pseudonymised").unwrap();
        let ours = store
            .register_household(&nrc, &household("NRC-1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let probe = ours.members[0].person.id.clone();
        let mut orders = Vec::new();
        for name in ["Aaron", "Maïga", "Mariam", "Zz"] {
            let mut renamed = crate::support::member("P1", name, "head", "1985");
            renamed.family_name = name.into();
            store
                .update_person(&nrc, &probe, &renamed.parse(store.gazetteer.as_ref(), store.today()).unwrap(), "probe")
                .unwrap();
            let listed = store.list_people(&nrc, &PersonFilter::default()).unwrap();
            let position = listed.items.iter().position(|p| p.id == probe).unwrap();
            let hidden: Vec<usize> =
                listed.items.iter().enumerate().filter(|(_, p)| p.given_name == "Personne").map(|(i, _)| i).collect();
            assert_eq!(hidden.len(), 2, "{}", t.backend);
            assert!(hidden.iter().all(|&i| i > position), "{}: {name} sorted among hidden records", t.backend);
            orders.push(listed.items.iter().map(|p| p.id.clone()).filter(|id| id != &probe).collect::<Vec<_>>());
        }
        assert!(orders.windows(2).all(|w| w[0] == w[1]), "{}: the hidden records' order moved", t.backend);
        // Their case number is not a search key for the reader.
        let by_number = store
            .list_households(&nrc, &HouseholdFilter { external_id: Some("IOM-CASE-9".into()), ..Default::default() })
            .unwrap();
        assert_eq!(by_number.total, 0, "{}", t.backend);
    }
}

/// A household read through a pseudonymised agreement shows its solutions decisions like its
/// movements (they used to be read with the change scope, so the reader saw none).
#[test]
fn solutions_are_read_with_their_household() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let nrc = registrar(store);
        let iom = other_registrar(store);
        let theirs = store
            .register_household(&iom, &household("IOM-S1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let decision = store::figures::SolutionInput {
            decided_on: "2024-05-01".into(),
            basis: "IASC criteria".into(),
            decided_by: "durable solutions working group".into(),
        };
        store.record_solution(&iom, &theirs.household.id, None, &decision).unwrap();
        store.set_agreement(&system, "IOM", "NRC", "pseudonymised").unwrap();
        let seen = store.household_detail(&nrc, &theirs.household.id).unwrap();
        assert_eq!(seen.solutions.len(), 1, "{}", t.backend);
        assert!(matches!(
            store.record_solution(&nrc, &theirs.household.id, None, &decision),
            Err(StoreError::NotFound(_))
        ));
    }
}

/// Version history returned old and new phones and protection-related needs to roles that may
/// not see them on the record.
#[test]
fn history_is_redacted_as_the_record() {
    for t in stores() {
        let store = &t.store;
        let admin = Actor::system();
        let clerk = registrar(store);
        let detail = store
            .register_household(&clerk, &household("HH-H1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let child = detail.members[1].person.id.clone();
        store.create_user(&admin, "caseworker2", domain::Role::Protection, Some("NRC"), "caseworker password").unwrap();
        store.create_user(&admin, "analyst2", domain::Role::ImOfficer, Some("NRC"), "analyst password 1").unwrap();
        let caseworker = store.verify_login("caseworker2", "caseworker password").unwrap().unwrap();
        let analyst = store.verify_login("analyst2", "analyst password 1").unwrap().unwrap();
        let mut changed = crate::support::member("P2", "Fatoumata", "child", "2015-03-02");
        changed.specific_needs = vec!["unaccompanied_child".into(), "disability".into()];
        changed.phone = Some("+223 66 12 34 56".into());
        store
            .update_person(
                &caseworker,
                &child,
                &changed.parse(store.gazetteer.as_ref(), store.today()).unwrap(),
                "visit",
            )
            .unwrap();
        let text = |actor: &Actor| {
            let one = serde_json::to_string(&store.history(actor, "person", &child).unwrap()).unwrap();
            let all = serde_json::to_string(&store.household_history(actor, &detail.household.id).unwrap()).unwrap();
            one + &all
        };
        let full = text(&caseworker);
        assert!(full.contains("unaccompanied_child") && full.contains("66 12 34 56"), "{}", t.backend);
        let analyst_sees = text(&analyst);
        assert!(!analyst_sees.contains("unaccompanied_child"), "{}: {analyst_sees}", t.backend);
        assert!(!analyst_sees.contains("66 12"), "{}", t.backend);
        assert!(analyst_sees.contains("disability"), "what the analyst may see stays");
        let clerk_sees = text(&clerk);
        assert!(!clerk_sees.contains("unaccompanied_child") && clerk_sees.contains("66 12 34 56"), "{}", t.backend);
    }
}

/// A registrar limited to Gao imported a file naming a Ménaka household by its number: the
/// household was updated (names, phone, a member added) though it answered 404 to them.
#[test]
fn an_import_never_reaches_a_household_outside_the_users_regions() {
    use exchange::{Encoding, ImportOptions, InputFile};
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let clerk = registrar(store);
        let mut menaka = household("MNK-0001");
        menaka.registration_point = "ML100101".into();
        menaka.members.truncate(1);
        menaka.movements = vec![domain::registry::MovementInput {
            from: Some("ML060101".into()),
            ..crate::support::movement("displacement", "2023-06-10", "ML100101")
        }];
        let theirs =
            store.register_household(&clerk, &menaka.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        store.create_user(&system, "gao-office", domain::Role::Registrar, Some("NRC"), "gao office pass").unwrap();
        store.set_user_regions(&system, "gao-office", &["ML07".into()]).unwrap();
        let gao = store.verify_login("gao-office", "gao office pass").unwrap().unwrap();
        let files = || {
            vec![
                InputFile {
                    name: "households.csv".into(),
                    bytes: b"household_id,registration_point,registration_date,population_group\nMNK-0001,ML070101,2024-01-15,IDP\n".to_vec(),
                },
                InputFile {
                    name: "people.csv".into(),
                    bytes: b"household_id,person_id,given_name,family_name,sex,birth_date,relationship,phone\nMNK-0001,P1,Awa,Traore,f,1985,head,+223 70 99 99 99\nMNK-0001,P9,Intrus,Traore,m,1990,child,\n".to_vec(),
                },
            ]
        };
        let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
        let report = exchange::import_files(store, &gao, files(), options, &mut |_, _, _| {}).unwrap();
        assert!(report.summary.is_none(), "{}: nothing written", t.backend);
        assert_eq!(report.errors.len(), 1, "{}", t.backend);
        assert_eq!(
            (report.errors[0].file.as_str(), report.errors[0].column.as_str()),
            ("households.csv", "household_id")
        );
        let after = store.household_detail(&clerk, &theirs.household.id).unwrap();
        assert_eq!(after.members.len(), 1, "{}: no member added", t.backend);
        assert_eq!(after.members[0].person.given_name, "Aminata");
        assert_eq!(after.household.version, theirs.household.version);
    }
}

/// A région-scoped change that moves a household out of the user's régions was committed,
/// then answered 404: it is refused before anything is written.
#[test]
fn a_change_that_would_leave_the_users_regions_is_refused_before_writing() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let clerk = registrar(store);
        let mut input = household("GAO-1");
        input.movements.truncate(1);
        let gao_household =
            store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        store.create_user(&system, "gao-2", domain::Role::Registrar, Some("NRC"), "gao office pass").unwrap();
        store.set_user_regions(&system, "gao-2", &["ML07".into()]).unwrap();
        let gao = store.verify_login("gao-2", "gao office pass").unwrap().unwrap();
        let away = crate::support::movement("secondary_displacement", "2024-02-01", "ML050101")
            .parse(store.gazetteer.as_ref(), store.today())
            .unwrap();
        let refused = store.record_movement(&gao, &gao_household.household.id, None, &away);
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{}: {refused:?}", t.backend);
        let detail = store.household_detail(&clerk, &gao_household.household.id).unwrap();
        assert_eq!(detail.movements.len(), 1, "{}: nothing committed", t.backend);
        assert!(store.household_detail(&gao, &gao_household.household.id).is_ok());
    }
}

/// Names like `=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)` went verbatim into CSV exports, where a
/// spreadsheet runs them; they are neutralised, and the export still imports back unchanged.
#[test]
fn csv_exports_neutralise_formulas_and_import_back_unchanged() {
    use exchange::columns::TableKind;
    use exchange::export::{csv_table, registry_tables, table_rows};
    use exchange::{Encoding, ImportOptions, InputFile};
    let t = crate::support::sqlite();
    let store = &t.store;
    let clerk = registrar(store);
    let mut input = household("HH-CSV");
    input.members[0].given_name = "=HYPERLINK(\"http://evil.example\",\"Voir\")".into();
    input.members[1].given_name = "@SUM(1+1)".into();
    input.members[1].phone = Some("+223 70 00 00 01".into());
    store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
    let tables = registry_tables(store, &clerk).unwrap();
    let files: Vec<InputFile> = TableKind::ALL
        .iter()
        .map(|&kind| InputFile {
            name: format!("{}.csv", kind.name()),
            bytes: csv_table(kind, table_rows(&tables, kind)).unwrap(),
        })
        .collect();
    let people = String::from_utf8_lossy(&files[1].bytes).to_string();
    for line in people.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_matches('"');
            assert!(!cell.starts_with(['=', '+', '@']), "a live formula in the export: {cell}");
        }
    }
    assert!(people.contains("'=HYPERLINK") && people.contains("'+223"), "{people}");
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    let report = exchange::import_files(store, &clerk, files, options, &mut |_, _, _| {}).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let again = report.summary.unwrap();
    assert_eq!((again.people.unchanged, again.people.updated), (2, 0), "the export imports back unchanged");
}

/// A duplicated column was accepted, the first one used: which was meant cannot be guessed.
#[test]
fn a_duplicated_column_is_refused() {
    use exchange::{Encoding, ImportOptions, InputFile};
    let t = crate::support::sqlite();
    let clerk = registrar(&t.store);
    let file = InputFile {
        name: "households.csv".into(),
        bytes: b"household_id,registration_point,registration_date,population_group,registration_date\nHH-1,ML070101,2024-01-15,IDP,2024-02-15\n".to_vec(),
    };
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    let report = exchange::import_files(&t.store, &clerk, vec![file], options, &mut |_, _, _| {}).unwrap();
    assert!(report.summary.is_none());
    let e = report.errors.iter().find(|e| e.column == "registration_date").expect("the duplicate is named");
    assert!(e.expected.contains("columns C and E"), "{}", e.expected);
}
