//! Need-to-know access and the tamper-evident audit, on both databases.

use store::registry::HouseholdFilter;
use store::{params, Actor, StoreError};

use crate::support::*;

#[test]
fn organisations_see_only_their_records_unless_another_shares_in_full() {
    for t in stores() {
        let store = &t.store;
        let nrc_clerk = registrar(store);
        let admin = Actor::system();
        let iom_clerk = other_registrar(store);
        let detail = store
            .register_household(&nrc_clerk, &household("HH-P1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let id = detail.household.id.clone();
        let person_id = detail.members[0].person.id.clone();

        assert!(
            matches!(store.household_detail(&iom_clerk, &id), Err(StoreError::NotFound(_))),
            "{}: another organisation's record answers not found",
            t.backend
        );
        assert!(matches!(store.person(&iom_clerk, &person_id), Err(StoreError::NotFound(_))));
        assert_eq!(store.list_households(&iom_clerk, &HouseholdFilter::default()).unwrap().total, 0);
        assert_eq!(store.list_people(&iom_clerk, &Default::default()).unwrap().total, 0);
        let movement = detail.movements[0].id.clone();
        assert!(matches!(store.void_movement(&iom_clerk, &movement, "not mine"), Err(StoreError::NotFound(_))));
        let figures = store.stock_figures(&iom_clerk, "2024-01-01", 1, None).unwrap();
        assert!(figures.stock.cells.is_empty(), "{}: figures are scoped too", t.backend);
        assert_eq!(
            store
                .stock_figures(&nrc_clerk, "2024-01-01", 1, None)
                .unwrap()
                .stock
                .cells
                .iter()
                .map(|c| c.individuals)
                .sum::<u64>(),
            2
        );

        store.set_agreement(&admin, "NRC", "IOM", "aggregates").unwrap();
        assert!(store.household_detail(&iom_clerk, &id).is_err(), "aggregates do not open individual records");
        store.set_agreement(&admin, "NRC", "IOM", "full").unwrap();
        assert_eq!(store.household_detail(&iom_clerk, &id).unwrap().household.external_id, "HH-P1", "{}", t.backend);
        assert!(store.household_detail(&nrc_clerk, &id).is_ok());
        assert!(matches!(store.set_agreement(&nrc_clerk, "IOM", "NRC", "full"), Err(StoreError::Forbidden(_))));
        assert!(matches!(store.set_agreement(&admin, "NRC", "IOM", "most"), Err(StoreError::Invalid(_))));
    }
}

#[test]
fn the_audit_chain_records_actions_and_detects_tampering() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        assert!(store.verify_login("nobody", "wrong password here").unwrap().is_none());
        let detail = store
            .register_household(&clerk, &household("HH-A1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        store.household_detail(&clerk, &detail.household.id).unwrap();
        store::export::registry_tables(store, &clerk).unwrap();
        let entries = store.audit_entries(&Actor::system(), 100, 0).unwrap();
        let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
        for expected in ["create", "sign_in", "sign_in_failed", "register", "read", "export"] {
            assert!(actions.contains(&expected), "{}: {expected} missing from {actions:?}", t.backend);
        }
        let all = serde_json::to_string(&entries).unwrap();
        assert!(!all.contains("Aminata") && !all.contains("Maïga"), "no personal data in the audit log");
        let check = store.verify_audit().unwrap();
        assert_eq!(check.problem, None, "{}", t.backend);
        assert!(check.rows >= 6);

        store
            .db
            .write(|tx| tx.execute("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 3", params![]))
            .unwrap();
        let problem = store.verify_audit().unwrap().problem.expect("tampering detected");
        assert!(problem.contains("row 3 was altered"), "{}: {problem}", t.backend);
        store
            .db
            .write(|tx| {
                tx.execute(
                    "UPDATE audit_log SET actor_name = (SELECT actor_name FROM audit_log WHERE seq = 2) WHERE seq = 3",
                    params![],
                )
            })
            .unwrap();

        let last = check.rows;
        store.db.write(|tx| tx.execute("DELETE FROM audit_log WHERE seq = $1", params![last])).unwrap();
        let problem = store.verify_audit().unwrap().problem.expect("a removed row is detected");
        assert!(problem.contains("removed") || problem.contains("altered"), "{}: {problem}", t.backend);
    }
}

#[test]
fn protection_needs_and_phones_reach_only_those_who_need_them() {
    for t in stores() {
        let store = &t.store;
        let admin = Actor::system();
        let clerk = registrar(store);
        let mut input = household("HH-N1");
        input.members[1].specific_needs = vec!["separated_child".into(), "disability".into()];
        input.members[1].phone = Some("+223 70 00 00 00".into());
        let detail =
            store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let child =
            detail.members.iter().find(|m| m.person.external_id.as_deref() == Some("P2")).unwrap().person.id.clone();
        let seen = |actor: &Actor| {
            let p = store.person(actor, &child).unwrap();
            (p.specific_needs.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" "), p.phone.is_some())
        };
        store.create_user(&admin, "caseworker", domain::Role::Protection, Some("NRC"), "caseworker password").unwrap();
        store.create_user(&admin, "analyst", domain::Role::ImOfficer, Some("NRC"), "analyst password 1").unwrap();
        let caseworker = store.verify_login("caseworker", "caseworker password").unwrap().unwrap();
        let analyst = store.verify_login("analyst", "analyst password 1").unwrap().unwrap();
        assert_eq!(seen(&caseworker), ("disability separated_child".to_string(), true), "{}", t.backend);
        assert_eq!(seen(&clerk), ("disability".to_string(), true));
        assert_eq!(seen(&analyst), ("disability".to_string(), false));
        let listed = store.list_people(&analyst, &Default::default()).unwrap();
        assert!(listed
            .items
            .iter()
            .all(|p| p.phone.is_none() && p.specific_needs.iter().all(|n| !n.is_protection_sensitive())));
        let export = store::export::registry_tables(store, &clerk).unwrap();
        assert!(
            export.people.iter().all(|row| !row.join(",").contains("separated_child")),
            "exports follow the same rule"
        );

        // A registrar's correction, made without seeing the need, does not erase it.
        let mut corrected = crate::support::member("P2", "Fatoumata", "child", "2015-03-02");
        corrected.specific_needs = vec!["disability".into()];
        corrected.phone = Some("+223 70 00 00 00".into());
        store
            .update_person(&clerk, &child, &corrected.parse(store.gazetteer.as_ref(), store.today()).unwrap(), "typo")
            .unwrap();
        assert_eq!(seen(&caseworker).0, "disability separated_child", "{}", t.backend);
        store
            .update_person(
                &analyst,
                &child,
                &crate::support::member("P2", "Fatoumata", "child", "2015-03-03")
                    .parse(store.gazetteer.as_ref(), store.today())
                    .unwrap(),
                "date",
            )
            .unwrap();
        assert_eq!(
            seen(&caseworker),
            ("separated_child".to_string(), true),
            "the analyst removed what they saw, not the phone or the hidden need"
        );
    }
}

#[test]
fn repeated_failed_sign_ins_lock_the_account_for_a_while() {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let minutes = Arc::new(AtomicI64::new(0));
    let clock_minutes = minutes.clone();
    let clock: store::Clock = Arc::new(move || now() + chrono::Duration::minutes(clock_minutes.load(Ordering::SeqCst)));
    let (store, _) = store::Store::open_with_clock(&store::Target::default_sqlite(dir.path()), clock).unwrap();
    store.create_user(&Actor::system(), "awa", domain::Role::Viewer, None, "the right password").unwrap();
    for _ in 0..store::auth::MAX_FAILED_SIGN_INS {
        assert!(store.verify_login("awa", "a wrong password").unwrap().is_none());
    }
    assert!(
        store.verify_login("awa", "the right password").unwrap().is_none(),
        "locked: even the right password is refused"
    );
    minutes.store(16, Ordering::SeqCst);
    assert!(store.verify_login("awa", "the right password").unwrap().is_some(), "the lock ends with the window");
    let entries = store.audit_entries(&Actor::system(), 100, 0).unwrap();
    assert!(entries.iter().filter(|e| e.action == "sign_in_failed").all(|e| e.actor == "awa"));
    assert!(store.verify_login("someone", "x").unwrap().is_none());
    let last = &store.audit_entries(&Actor::system(), 1, 0).unwrap()[0];
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("sign_in_failed", "(unknown user)"),
        "what was typed is not kept"
    );
}

#[test]
fn viewers_get_suppressed_aggregates_and_no_records() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let input = household("HH-SDC").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        let detail = store.register_household(&clerk, &input).unwrap();
        store.create_user(&Actor::system(), "donor", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
        let viewer = store.verify_login("donor", "donor password 1").unwrap().unwrap();
        assert_eq!(store.list_households(&viewer, &Default::default()).unwrap().total, 0, "{}", t.backend);
        assert!(matches!(store.household_detail(&viewer, &detail.household.id), Err(store::StoreError::NotFound(_))));
        let public = store.stock_figures(&viewer, "2023-12-31", 2, Some("IDP")).unwrap();
        assert_eq!(public.disclosure_threshold, Some(5));
        assert!(
            !public.stock.cells.is_empty() && public.stock.cells.iter().all(|c| c.suppressed && c.individuals == 0),
            "{}",
            t.backend
        );
        assert!(public.stock.households.iter().all(|h| h.suppressed));
        let csv = String::from_utf8(
            exchange::figures::csv(&exchange::figures::stock_table(&public, &store.gazetteer)).unwrap(),
        )
        .unwrap();
        let row = csv.lines().nth(2).unwrap();
        assert!(row.ends_with(",,,,,,,,,,,,,,,,,,,,") || row.contains(",,,"), "suppressed cells are blank: {row}");
        let internal = store.stock_figures(&clerk, "2023-12-31", 2, Some("IDP")).unwrap();
        assert_eq!(internal.disclosure_threshold, None);
        assert_eq!(internal.stock.cells.iter().map(|c| c.individuals).sum::<u64>(), 2);
        // A lower threshold publishes more; 1 turns suppression off.
        store.set_disclosure_threshold(1);
        let open = store.stock_figures(&viewer, "2023-12-31", 2, Some("IDP")).unwrap();
        assert_eq!(open.stock.cells.iter().map(|c| c.individuals).sum::<u64>(), 2);
        store.set_disclosure_threshold(store::DEFAULT_DISCLOSURE_THRESHOLD);
        let flows = store.flow_figures(&viewer, "2023-01-01", "2024-06-30", 1, Some("IDP")).unwrap();
        assert!(flows.flows.counts.iter().filter(|c| c.individuals > 0).all(|c| c.individuals >= 5));
    }
}

#[test]
fn a_field_office_sees_the_households_of_its_regions_only() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        // Displaced to Gao, this household returned to Tombouctou (ML06): it is counted there.
        let back_home = household("HH-TBT").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        let tombouctou = store.register_household(&clerk, &back_home).unwrap();
        let mut mopti = household("HH-MOPTI");
        mopti.registration_point = "ML050101".into();
        mopti.members.truncate(1);
        mopti.movements = vec![domain::registry::MovementInput {
            from: Some("ML060101".into()),
            ..movement("displacement", "2023-06-10", "ML050101")
        }];
        let mopti =
            store.register_household(&clerk, &mopti.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let system = Actor::system();
        assert!(matches!(store.check_regions(&["ML99".into()]), Err(StoreError::Invalid(_))), "{}", t.backend);
        store.create_user(&system, "tbt-office", domain::Role::Registrar, Some("NRC"), "tbt office pass").unwrap();
        store.set_user_regions(&system, "tbt-office", &["ml06".into()]).unwrap();
        let office = store.verify_login("tbt-office", "tbt office pass").unwrap().unwrap();
        assert_eq!(office.regions, vec!["ML06".to_string()]);
        let seen: Vec<String> = store
            .list_households(&office, &HouseholdFilter::default())
            .unwrap()
            .items
            .into_iter()
            .map(|h| h.external_id)
            .collect();
        assert!(
            seen.contains(&"HH-TBT".to_string()) && !seen.contains(&"HH-MOPTI".to_string()),
            "{}: {seen:?}",
            t.backend
        );
        assert!(matches!(store.household_detail(&office, &mopti.household.id), Err(StoreError::NotFound(_))));
        assert!(store.household_detail(&office, &tombouctou.household.id).is_ok());
        // Figures are limited the same way.
        let stock = store.stock_figures(&office, "2023-12-31", 1, None).unwrap();
        assert!(stock.stock.cells.iter().all(|c| c.place != "ML05"), "{}", t.backend);
        // Registering outside one's régions is refused rather than lost from sight.
        let mut elsewhere = household("HH-ELSEWHERE");
        elsewhere.registration_point = "ML050101".into();
        elsewhere.members.truncate(1);
        elsewhere.movements.clear();
        let refused =
            store.register_household(&office, &elsewhere.parse(store.gazetteer.as_ref(), store.today()).unwrap());
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{}", t.backend);
        // Back to every région.
        store.set_user_regions(&system, "tbt-office", &[]).unwrap();
        let office = store.verify_login("tbt-office", "tbt office pass").unwrap().unwrap();
        assert_eq!(store.list_households(&office, &HouseholdFilter::default()).unwrap().total, 2);
    }
}

#[test]
fn organisations_sharing_aggregates_count_in_figures_never_in_records() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let nrc = registrar(store);
        let iom = other_registrar(store);
        for (actor, id) in [(&nrc, "HH-NRC"), (&iom, "HH-IOM-1"), (&iom, "HH-IOM-2"), (&iom, "HH-IOM-3")] {
            let input = household(id).parse(store.gazetteer.as_ref(), store.today()).unwrap();
            store.register_household(actor, &input).unwrap();
        }
        let people = |r: &store::figures::StockReport| r.stock.households.iter().map(|h| h.individuals).sum::<u64>();
        let own = store.stock_figures(&nrc, "2023-12-31", 1, Some("IDP")).unwrap();
        assert_eq!((people(&own), own.disclosure_threshold), (2, None), "{}", t.backend);
        store.set_agreement(&system, "IOM", "NRC", "aggregates").unwrap();
        let shared = store.stock_figures(&nrc, "2023-12-31", 1, Some("IDP")).unwrap();
        assert_eq!(shared.disclosure_threshold, Some(5), "{}", t.backend);
        assert!(
            shared.stock.cells.iter().filter(|c| c.individuals > 0).all(|c| c.individuals >= 5),
            "small cells hidden"
        );
        assert!(shared.stock.cells.iter().any(|c| c.suppressed));
        // Without disclosure control, IOM's six people count with NRC's two.
        store.set_disclosure_threshold(1);
        let open = store.stock_figures(&nrc, "2023-12-31", 1, Some("IDP")).unwrap();
        assert_eq!(people(&open), 8, "{}", t.backend);
        store.set_disclosure_threshold(store::DEFAULT_DISCLOSURE_THRESHOLD);
        let seen = store.list_households(&nrc, &HouseholdFilter::default()).unwrap();
        assert_eq!(seen.total, 1, "{}: IOM's records stay out of sight", t.backend);
    }
}

#[test]
fn pseudonymised_sharing_shows_records_without_identifiers_and_read_only() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let nrc = registrar(store);
        let iom = other_registrar(store);
        let mut input = household("IOM-REG-77");
        input.members[0].phone = Some("+223 76 11 22 33".into());
        let theirs =
            store.register_household(&iom, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        assert!(
            matches!(store.household_detail(&nrc, &theirs.household.id), Err(StoreError::NotFound(_))),
            "{}",
            t.backend
        );
        store.set_agreement(&system, "IOM", "NRC", "pseudonymised").unwrap();
        let listed = store.list_households(&nrc, &HouseholdFilter::default()).unwrap();
        assert_eq!(listed.total, 1, "{}", t.backend);
        assert_eq!(listed.items[0].external_id, "—", "their own number could identify them");
        let detail = store.household_detail(&nrc, &theirs.household.id).unwrap();
        let first = &detail.members[0].person;
        assert_eq!(first.given_name, "Personne");
        assert!(first.family_name.len() == 8 && first.family_name != "Maïga");
        assert_eq!((first.phone.as_deref(), first.father_name.as_deref()), (None, None));
        assert_eq!(first.birth_date.as_deref(), Some("1985"));
        assert_eq!(detail.movements.len(), 3, "the history of movements stays, for the figures' sake");
        let people = store.list_people(&nrc, &store::registry::PersonFilter::default()).unwrap();
        assert!(people.items.iter().all(|p| p.given_name == "Personne"), "{}", t.backend);
        let by_name = store
            .list_people(&nrc, &store::registry::PersonFilter { q: Some("Aminata".into()), ..Default::default() })
            .unwrap();
        assert_eq!(by_name.total, 0, "a name search would tell who is in the shared records");
        // Read only: no change, no version history (it would hold the names).
        let patch = store::registry::HouseholdPatch {
            shelter_type: Some("site".into()),
            reason: "x".into(),
            ..Default::default()
        };
        assert!(matches!(store.update_household(&nrc, &theirs.household.id, &patch), Err(StoreError::NotFound(_))));
        assert!(matches!(store.history(&nrc, "household", &theirs.household.id), Err(StoreError::NotFound(_))));
        // IOM itself still sees everything.
        assert_eq!(store.household_detail(&iom, &theirs.household.id).unwrap().members[0].person.given_name, "Aminata");
    }
}
