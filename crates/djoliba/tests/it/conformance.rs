//! Scenarios that must behave the same on SQLite and PostgreSQL.

use domain::registry::MovementInput;
use domain::{MovementKind, Status};
use store::registry::{HouseholdFilter, HouseholdPatch, MovementFilter, PersonFilter};
use store::StoreError;

use crate::support::*;

#[test]
fn registers_a_household_with_members_and_three_movements() {
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        let input = household("HH-001").parse(store.gazetteer.as_ref(), store.today()).expect("valid input");
        let detail = store.register_household(&actor, &input).expect(t.backend);
        assert_eq!(detail.members.len(), 2, "{}", t.backend);
        assert_eq!(detail.movements.len(), 3);
        assert_eq!(detail.household.status, Status::Returned);
        assert_eq!(detail.household.current_location.as_ref().map(|l| l.pcode.as_str()), Some("ML060101"));
        assert_eq!(detail.household.organisation, "NRC");
        assert!(detail.summary.moves_back_and_forth);
        assert_eq!(detail.summary.displacements, 1);
        // 2023-06-10 → 2024-03-01
        assert_eq!(detail.summary.days_displaced, 265);
        let head = detail.household.head_person_id.clone().expect("head set");
        assert!(detail.members.iter().any(|m| m.person.id == head && m.person.given_name == "Aminata"));
        for member in &detail.members {
            assert_eq!(member.summary.status, Status::Returned, "{}", t.backend);
        }
        // Same external id again: a conflict, nothing written.
        let again = store.register_household(&actor, &input);
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{}", t.backend);
        assert_eq!(store.list_households(&actor, &HouseholdFilter::default()).unwrap().total, 1);
    }
}

#[test]
fn inconsistent_chronology_is_refused_naming_the_event() {
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        let mut input = household("HH-002");
        input.movements =
            vec![movement("return", "2023-01-05", "ML060101"), movement("displacement", "2023-03-01", "ML070101")];
        let parsed = input.parse(store.gazetteer.as_ref(), store.today()).unwrap();
        match store.register_household(&actor, &parsed) {
            Err(StoreError::Chronology(e)) => {
                assert_eq!(e.event, "movements[0]", "{}", t.backend);
                assert_eq!(e.conflicting_event.as_deref(), Some("movements[1]"));
            }
            other => panic!("{}: expected a chronology error, got {other:?}", t.backend),
        }
        assert_eq!(store.list_households(&actor, &HouseholdFilter::default()).unwrap().total, 0, "nothing written");

        // A movement after a recorded death.
        let ok = store
            .register_household(&actor, &household("HH-003").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let child =
            ok.members.iter().find(|m| m.person.external_id.as_deref() == Some("P2")).unwrap().person.id.clone();
        let death = MovementInput { kind: "death".into(), date: "2024-04-01".into(), ..Default::default() };
        let death = store
            .record_movement(
                &actor,
                &ok.household.id,
                Some(&child),
                &death.parse(store.gazetteer.as_ref(), store.today()).unwrap(),
            )
            .unwrap();
        let later = movement("secondary_displacement", "2024-05-01", "ML090101")
            .parse(store.gazetteer.as_ref(), store.today())
            .unwrap();
        match store.record_movement(&actor, &ok.household.id, Some(&child), &later) {
            Err(StoreError::Chronology(e)) => {
                assert_eq!(e.conflicting_event.as_deref(), Some(death.id.as_str()), "{}", t.backend)
            }
            other => panic!("{}: expected a chronology error, got {other:?}", t.backend),
        }
    }
}

#[test]
fn corrections_keep_every_version_and_voids_keep_the_movement() {
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        let detail = store
            .register_household(&actor, &household("HH-010").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let id = detail.household.id.clone();
        let patch = HouseholdPatch {
            shelter_type: Some("famille d'accueil".into()),
            reason: "visit of 2024-06-01".into(),
            expected_version: Some(1),
            ..Default::default()
        };
        let updated = store.update_household(&actor, &id, &patch).expect(t.backend);
        assert_eq!(updated.household.version, 2);
        let stale = store.update_household(
            &actor,
            &id,
            &HouseholdPatch {
                intention: Some("return".into()),
                reason: "x".into(),
                expected_version: Some(1),
                ..Default::default()
            },
        );
        assert!(
            matches!(stale, Err(StoreError::Conflict(_))),
            "{}: an edit made against an old version is refused",
            t.backend
        );
        let history = store.history(&actor, "household", &id).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].reason, "visit of 2024-06-01");
        assert_eq!(history[1].changes["shelter_type"]["to"], "host_family");
        assert_eq!(history[1].changes["shelter_type"]["from"], serde_json::Value::Null);

        // Voiding the return puts the household back to displaced, and keeps the event.
        let ret = detail.movements.iter().find(|m| m.kind == MovementKind::Return).unwrap();
        store.void_movement(&actor, &ret.id, "entered twice").unwrap();
        let after = store.household_detail(&actor, &id).unwrap();
        assert_eq!(after.household.status, Status::Displaced, "{}", t.backend);
        assert_eq!(after.movements.len(), 3);
        assert!(after.movements.iter().any(|m| m.voided && m.void_reason.as_deref() == Some("entered twice")));
        let listed = store
            .list_movements(&actor, &MovementFilter { household_id: Some(id.clone()), ..Default::default() })
            .unwrap();
        assert_eq!(listed.total, 2, "voided movements are left out of lists by default");

        // A person's correction.
        let person = after.members[0].person.clone();
        let mut input = crate::support::member("P1", "Aminata", "head", "1985-02-11");
        input.other_spellings = vec!["Aminatou".into()];
        let parsed = input.parse(store.gazetteer.as_ref(), store.today()).unwrap();
        let corrected = store.update_person(&actor, &person.id, &parsed, "birth certificate seen").unwrap();
        assert_eq!(corrected.birth_date.as_deref(), Some("1985-02-11"));
        let person_history = store.history(&actor, "person", &person.id).unwrap();
        assert_eq!(person_history.last().unwrap().changes["birth_date_precision"]["from"], "year", "{}", t.backend);
        // Found by the other spelling, accents folded.
        let found =
            store.list_people(&actor, &PersonFilter { q: Some("AMINATOU".into()), ..Default::default() }).unwrap();
        assert_eq!(found.total, 1, "{}", t.backend);
    }
}

#[test]
fn lists_filter_and_paginate() {
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        for i in 0..7 {
            let mut input = household(&format!("HH-{i:03}"));
            if i % 2 == 0 {
                input.movements.truncate(1); // still displaced, in Gao (ML070101)
            }
            store.register_household(&actor, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        }
        let page = store
            .list_households(&actor, &HouseholdFilter { limit: Some(3), offset: Some(3), ..Default::default() })
            .unwrap();
        assert_eq!((page.total, page.items.len()), (7, 3), "{}", t.backend);
        let displaced = store
            .list_households(&actor, &HouseholdFilter { status: Some("displaced".into()), ..Default::default() })
            .unwrap();
        assert_eq!(displaced.total, 4, "{}", t.backend);
        let in_gao = store
            .list_households(&actor, &HouseholdFilter { location: Some("ML07".into()), ..Default::default() })
            .unwrap();
        assert_eq!(in_gao.total, 4, "{}", t.backend);
        let by_name =
            store.list_households(&actor, &HouseholdFilter { q: Some("maiga".into()), ..Default::default() }).unwrap();
        assert_eq!(by_name.total, 7, "accent-folded name search, {}", t.backend);
        let bad = store.list_households(
            &actor,
            &HouseholdFilter { registered_from: Some("2024-13-01".into()), ..Default::default() },
        );
        assert!(matches!(bad, Err(StoreError::Invalid(_))));
        let injection = store
            .list_households(
                &actor,
                &HouseholdFilter { external_id: Some("x' OR '1'='1".into()), ..Default::default() },
            )
            .unwrap();
        assert_eq!(injection.total, 0, "{}", t.backend);
        let movements = store
            .list_movements(&actor, &MovementFilter { kind: Some("pendular_visit".into()), ..Default::default() })
            .unwrap();
        assert_eq!(movements.total, 3, "{}", t.backend);
    }
}

#[test]
fn sessions_and_roles() {
    for t in stores() {
        let store = &t.store;
        let admin = store::Actor::system();
        store.create_user(&admin, "viewer1", domain::Role::Viewer, None, "a long enough password").unwrap();
        assert!(store.verify_login("viewer1", "wrong password!").unwrap().is_none());
        assert!(store.verify_login("nobody", "a long enough password").unwrap().is_none());
        let viewer = store.verify_login("VIEWER1", "a long enough password").unwrap().expect(t.backend);
        let token = store.create_session(&viewer).unwrap();
        assert_eq!(store.session_actor(&token).unwrap().map(|a| a.username), Some("viewer1".into()));
        let input = household("HH-V").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        assert!(matches!(store.register_household(&viewer, &input), Err(StoreError::Forbidden(_))), "{}", t.backend);
        store.delete_session(&token).unwrap();
        assert!(store.session_actor(&token).unwrap().is_none());
        store.set_user_disabled(&admin, "viewer1", true).unwrap();
        assert!(store.verify_login("viewer1", "a long enough password").unwrap().is_none());
    }
}

#[test]
fn reference_tables_are_seeded_once() {
    for t in stores() {
        let counts = t.store.db.read(|tx| {
            Ok((
                tx.query_int(
                    "SELECT COUNT(*) FROM locations WHERE gazetteer = 'cod-ab-mli-2021-12-20'",
                    store::params![],
                )?,
                tx.query_int(
                    "SELECT COUNT(*) FROM locations WHERE gazetteer = 'cod-ab-mli-2015-04-08'",
                    store::params![],
                )?,
                tx.query_int("SELECT COUNT(*) FROM pcode_crosswalk", store::params![])?,
                tx.query_int("SELECT COUNT(*) FROM population_groups", store::params![])?,
            ))
        });
        assert_eq!(counts.unwrap(), (765, 761, 784, 14), "{}", t.backend);
    }
}

#[test]
fn names_are_found_whatever_their_spelling() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let mut input = household("HH-NAMES");
        input.members[0].given_name = "Mohamed".into();
        input.members[0].family_name = "Ag Alhousseini".into();
        input.members[1].given_name = "Djénéba".into();
        store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let find = |q: &str| {
            let filter = store::registry::PersonFilter { q: Some(q.into()), ..Default::default() };
            store.list_people(&clerk, &filter).unwrap().items.into_iter().map(|p| p.given_name).collect::<Vec<_>>()
        };
        assert_eq!(find("Mahamadou"), vec!["Mohamed"], "{}", t.backend);
        assert_eq!(find("muhammad alhousseyni"), vec!["Mohamed"]);
        assert_eq!(find("Jeneba"), vec!["Djénéba"]);
        assert_eq!(find("hamed"), vec!["Mohamed"], "the end of a name as typed");
        assert_eq!(find("DJÉN"), vec!["Djénéba"], "the beginning of a name as typed");
        assert_eq!(find("alhou mohamed"), vec!["Mohamed"], "every word, in any order");
        assert!(find("ham").is_empty(), "the middle of a name is not a search");
        // A corrected name is found under the new spelling only.
        let person = store
            .list_people(&clerk, &store::registry::PersonFilter { q: Some("Djeneba".into()), ..Default::default() })
            .unwrap()
            .items
            .remove(0);
        let mut renamed = crate::support::member("P2", "Kadiatou", "child", "2015-03-02");
        renamed.family_name = person.family_name.clone();
        let renamed = renamed.parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.update_person(&clerk, &person.id, &renamed, "spelling on the birth certificate").unwrap();
        assert!(find("Djeneba").is_empty(), "{}", t.backend);
        assert_eq!(find("kadia"), vec!["Kadiatou"]);

        // A database from before the name index gets it on its next start.
        if t.backend == "sqlite" {
            store
                .db
                .write(|tx| {
                    tx.execute_batch(
                        "DELETE FROM meta WHERE key = 'name_terms'; DELETE FROM person_search_ids; \
                         INSERT INTO person_search (person_search) VALUES ('delete-all');",
                    )
                })
                .unwrap();
            assert!(find("kadia").is_empty(), "the index was emptied");
            let restarted = t.reopen().unwrap();
            let filter = store::registry::PersonFilter { q: Some("kadia alhou".into()), ..Default::default() };
            assert_eq!(restarted.list_people(&clerk, &filter).unwrap().total, 0, "two people, not one");
            let filter = store::registry::PersonFilter { q: Some("kadia".into()), ..Default::default() };
            assert_eq!(restarted.list_people(&clerk, &filter).unwrap().items[0].given_name, "Kadiatou");
        }
        assert!(find("Moussa").is_empty());
        let households = store
            .list_households(
                &clerk,
                &store::registry::HouseholdFilter { q: Some("Mouhamed".into()), ..Default::default() },
            )
            .unwrap();
        assert_eq!(households.total, 1);
    }
}

#[test]
fn a_prefix_finds_every_name_it_begins_however_many_words_it_stands_for() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        // Twenty-one given names beginning "Zab": more words than a prefix is expanded into, so
        // SQLite asks FTS5 for the prefix; "zabark" stands for one word, asked for as that word.
        let mut input = household("HH-PREFIX");
        for (i, letter) in ('a'..='t').enumerate() {
            input.members.push(crate::support::member(
                &format!("Z{i}"),
                &format!("Zaba{letter}"),
                "child",
                "2015-03-02",
            ));
        }
        input.members.push(crate::support::member("Z20", "Zabarkane", "child", "2016-04-02"));
        store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let find = |q: &str| {
            let filter = store::registry::PersonFilter { q: Some(q.into()), limit: Some(100), ..Default::default() };
            let mut names: Vec<String> =
                store.list_people(&clerk, &filter).unwrap().items.into_iter().map(|p| p.given_name).collect();
            names.sort();
            names
        };
        assert_eq!(find("zab").len(), 21, "{}", t.backend);
        assert_eq!(find("ZABA maïga").len(), 21, "{}", t.backend);
        assert_eq!(find("zabark"), vec!["Zabarkane"], "{}", t.backend);
        assert_eq!(find("rkane"), vec!["Zabarkane"], "the end of a name, {}", t.backend);
        assert!(find("zabarq").is_empty(), "{}", t.backend);
    }
}

#[test]
fn rows_decode_by_column_name_and_refuse_a_wrong_type_or_null() {
    for t in stores() {
        let rows =
            t.store.db.read(|tx| tx.query("SELECT NULL AS empty_cell, 'Gao' AS place, 5 AS count", &[])).unwrap();
        let row = &rows[0];
        assert_eq!(row.text_of("place").unwrap(), "Gao");
        assert_eq!(row.int_of("count").unwrap(), 5);
        assert_eq!(row.opt_text_of("empty_cell").unwrap(), None);
        let error = |r: Result<String, store::StoreError>| r.unwrap_err().to_string();
        assert!(
            error(row.text_of("empty_cell")).contains("column empty_cell: expected text, found NULL"),
            "{}",
            t.backend
        );
        assert!(row.int_of("place").unwrap_err().to_string().contains("column place: expected an integer, found text"));
        assert!(error(row.text_of("count")).contains("found an integer"), "{}", t.backend);
        assert!(error(row.text_of("absent")).contains("no column absent"));
        // The value itself is never repeated in the error.
        assert!(!row.int_of("place").unwrap_err().to_string().contains("Gao"));
    }
}
