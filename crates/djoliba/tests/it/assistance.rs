//! Assistance: a programme and its rounds, planning from the registry with the
//! duplicate-assistance check, deliveries refused when wrong, reach counting people once.
//! On both databases.

use domain::assistance::{CycleInput, DeliveryInput, ProgrammeInput, Quantity};
use domain::registry::{HouseholdInput, MovementInput};
use store::assistance::PlanFilter;
use store::{Actor, Store, StoreError};

use crate::support::*;

/// A household of `size` displaced to Gao commune in 2024.
pub(crate) fn displaced(store: &Store, actor: &Actor, number: &str, size: usize) -> String {
    let input = HouseholdInput {
        external_id: number.into(),
        registration_point: "ML070101".into(),
        registration_date: "2024-03-01".into(),
        population_group: "IDP".into(),
        members: (0..size)
            .map(|i| {
                member(&format!("P{i}"), &format!("Awa{number}{i}"), if i == 0 { "head" } else { "child" }, "1990")
            })
            .collect(),
        movements: vec![MovementInput {
            from: Some("ML060101".into()),
            ..movement("displacement", "2024-02-10", "ML070101")
        }],
        ..Default::default()
    };
    let household = input.parse(store.gazetteer.as_ref(), store.today()).expect("valid household");
    store.register_household(actor, &household).expect("registered").household.id
}

pub(crate) fn programme(code: &str, kind: &str, per: &str) -> ProgrammeInput {
    ProgrammeInput {
        code: code.into(),
        name: format!("Programme {code}"),
        sector: "SHL".into(),
        kind: kind.into(),
        target_unit: "household".into(),
        start_date: "2024-01-01".into(),
        end_date: "2024-12-31".into(),
        places: vec!["ML07".into()],
        donor: Some("ECHO".into()),
        project: None,
        eligibility: "Ménages déplacés à Gao".into(),
        amount: Quantity::Text("10 000".into()),
        per: per.into(),
        cap_per_household: Some(3),
        unit: "XOF".into(),
        organisation: None,
    }
}

pub(crate) fn round(name: &str) -> CycleInput {
    CycleInput { name: name.into(), start_date: "2024-06-01".into(), end_date: "2024-06-30".into() }
}

pub(crate) fn delivery(household: &str, quantity: &str) -> DeliveryInput {
    DeliveryInput {
        household: household.into(),
        date: "2024-06-20".into(),
        quantity: Quantity::Text(quantity.into()),
        modality: "mobile_money".into(),
        outcome: "delivered".into(),
        reference: Some("OM-123".into()),
        ..Default::default()
    }
}

fn field_of(error: StoreError) -> String {
    match error {
        StoreError::Invalid(errors) => errors.0.iter().map(|e| e.field.clone()).collect::<Vec<_>>().join(","),
        other => format!("not a field error: {other}"),
    }
}

#[test]
fn a_person_is_assisted_once_per_kind_and_period_and_counted_once() {
    for t in stores() {
        let clerk = registrar(&t.store);
        displaced(&t.store, &clerk, "GAO-1", 5);
        displaced(&t.store, &clerk, "GAO-2", 1);
        // Cash per household member, capped at three members per household.
        let cash = t.store.create_programme(&clerk, &programme("CASH-1", "multipurpose_cash", "person")).unwrap();
        let taken = t.store.create_programme(&clerk, &programme("CASH-1", "multipurpose_cash", "person")).unwrap_err();
        assert!(matches!(taken, StoreError::Conflict(_)), "{taken}");
        let first = t.store.create_cycle(&clerk, &cash.id, &round("Novembre")).unwrap();
        let report =
            t.store.plan_cycle(&clerk, &first.id, &PlanFilter { min_members: Some(2), ..Default::default() }).unwrap();
        assert_eq!((report.planned, report.conflicts.len()), (1, 0), "only the household of five");
        let again =
            t.store.plan_cycle(&clerk, &first.id, &PlanFilter { min_members: Some(2), ..Default::default() }).unwrap();
        assert_eq!((again.planned, again.already_planned), (0, 1), "planning twice plans nobody twice");
        assert_eq!(t.store.cycle(&clerk, &first.id).unwrap().progress.unwrap().entitled_quantity, 30_000.0);

        // Another programme of the same kind over the same period finds the household served.
        let other = t.store.create_programme(&clerk, &programme("CASH-2", "multipurpose_cash", "household")).unwrap();
        let second = t.store.create_cycle(&clerk, &other.id, &round("Novembre bis")).unwrap();
        let report = t.store.plan_cycle(&clerk, &second.id, &PlanFilter::default()).unwrap();
        assert_eq!(report.planned, 1, "the household of one is free");
        assert_eq!(report.conflicts.len(), 1);
        let conflict = &report.conflicts[0];
        assert_eq!((conflict.household.as_str(), conflict.people), ("GAO-1", 5));
        assert_eq!(conflict.programme.as_deref(), Some("CASH-1"), "the user sees whose entitlement it is");
        // Overridden with a reason: planned.
        let overridden = PlanFilter {
            households: vec!["GAO-1".into()],
            overrides: vec![store::assistance::PlanOverride { household: "GAO-1".into(), reason: "x".into() }],
            ..Default::default()
        };
        assert_eq!(field_of(t.store.plan_cycle(&clerk, &second.id, &overridden).unwrap_err()), "overrides[0].reason");
        let overridden = PlanFilter {
            overrides: vec![store::assistance::PlanOverride {
                household: "GAO-1".into(),
                reason: "inondation du 12 novembre".into(),
            }],
            ..overridden
        };
        assert_eq!(t.store.plan_cycle(&clerk, &second.id, &overridden).unwrap().overridden, 1);
        // Another kind (shelter) is no conflict.
        let kits = t.store.create_programme(&clerk, &programme("KITS", "shelter_kit", "household")).unwrap();
        let third = t.store.create_cycle(&clerk, &kits.id, &round("Kits")).unwrap();
        assert_eq!(t.store.plan_cycle(&clerk, &third.id, &PlanFilter::default()).unwrap().conflicts.len(), 0);

        // Deliveries: only while distributing, within the round, within the entitlement.
        let to_household = delivery("GAO-1", "10 000");
        assert!(matches!(t.store.record_delivery(&clerk, &first.id, &to_household), Err(StoreError::Conflict(_))));
        t.store.advance_cycle(&clerk, &first.id, "approved").unwrap();
        assert!(matches!(t.store.advance_cycle(&clerk, &first.id, "closed"), Err(StoreError::Conflict(_))));
        t.store.advance_cycle(&clerk, &first.id, "distributing").unwrap();
        for (bad, field) in [
            (DeliveryInput { quantity: Quantity::Text("25 000 FCFA".into()), ..to_household.clone() }, "quantity"),
            (DeliveryInput { quantity: Quantity::Text("5 kits".into()), ..to_household.clone() }, "quantity"),
            (DeliveryInput { quantity: Quantity::Text("35 000".into()), ..to_household.clone() }, "quantity"),
            (DeliveryInput { date: "2024-05-31".into(), ..to_household.clone() }, "date"),
            (DeliveryInput { household: "GAO-2".into(), ..to_household.clone() }, "household"),
            (DeliveryInput { household: "NOWHERE".into(), ..to_household.clone() }, "household"),
            (DeliveryInput { modality: "par pigeon".into(), ..to_household.clone() }, "modality"),
        ] {
            assert_eq!(field_of(t.store.record_delivery(&clerk, &first.id, &bad).unwrap_err()), field, "{bad:?}");
        }
        // Partly, then the rest; then nothing is left.
        assert_eq!(t.store.record_delivery(&clerk, &first.id, &to_household).unwrap().quantity, 10_000.0);
        let over = t.store.record_delivery(&clerk, &first.id, &delivery("GAO-1", "25 000")).unwrap_err();
        assert_eq!(field_of(over), "quantity", "20 000 remain");
        t.store.record_delivery(&clerk, &first.id, &delivery("GAO-1", "20 000")).unwrap();
        assert_eq!(field_of(t.store.record_delivery(&clerk, &first.id, &to_household).unwrap_err()), "quantity");
        let progress = t.store.cycle(&clerk, &first.id).unwrap().progress.unwrap();
        assert_eq!((progress.reached, progress.delivered_quantity), (1, 30_000.0));

        // Counted now, then again after more deliveries: the count follows (no stale cache).
        assert_eq!(t.store.reach(&clerk, "2024-01-01", "2024-12-31", 2).unwrap().people, 5);
        // The second programme reaches the same person again, and the small household.
        for (cycle, household) in [(&second.id, "GAO-1"), (&second.id, "GAO-2")] {
            let state = t.store.cycle(&clerk, cycle).unwrap().status;
            if state == domain::CycleStatus::Draft {
                t.store.advance_cycle(&clerk, cycle, "approved").unwrap();
                t.store.advance_cycle(&clerk, cycle, "distributing").unwrap();
            }
            t.store.record_delivery(&clerk, cycle, &delivery(household, "10 000")).unwrap();
        }
        let reach = t.store.reach(&clerk, "2024-01-01", "2024-12-31", 2).unwrap();
        // Six people in two households, however many programmes served them.
        assert_eq!((reach.people, reach.households, reach.deliveries), (6, 2, 4), "{reach:?}");
        assert_eq!(reach.rows.iter().map(|r| r.quantity).sum::<f64>(), 50_000.0);
        assert!(reach.rows.iter().all(|r| r.people <= 6 && r.female == r.people), "{reach:?}");
        assert!(reach.rows.iter().all(|r| r.place == "ML0701"), "{reach:?}");
        // Outside the period nobody; a viewer gets no individual-level reach.
        assert_eq!(t.store.reach(&clerk, "2023-01-01", "2023-12-31", 2).unwrap().people, 0);
        // A viewer reads the round but not its counts, which can be small.
        let system = Actor::system();
        t.store.create_user(&system, "donor", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
        let donor = t.store.verify_login("donor", "donor password 1").unwrap().unwrap();
        let seen = t.store.cycle(&donor, &first.id).unwrap();
        assert_eq!((seen.name.as_str(), seen.progress.is_none()), ("Novembre", true));
        // Their reach: by calendar quarter only (periods could be subtracted), small counts hidden.
        assert_eq!(field_of(t.store.reach(&donor, "2024-01-01", "2024-12-31", 2).unwrap_err()), "from");
        let published = t.store.reach(&donor, "2024-04-01", "2024-06-30", 2).unwrap();
        assert_eq!(published.disclosure_threshold, Some(store::DEFAULT_DISCLOSURE_THRESHOLD));
        assert!(published.totals_hidden && published.people == 0, "two households are too few: {published:?}");
        assert!(published.rows.iter().all(|r| r.suppressed && r.people == 0 && r.quantity == 0.0));
        let full = t.store.reach(&clerk, "2024-04-01", "2024-06-30", 2).unwrap();
        assert_eq!((full.people, full.disclosure_threshold), (6, None), "the registrar sees what the registry holds");
        assert!(full.rows.iter().all(|r| r.organisation == "NRC" && r.population_group == "IDP"));
        assert!(full.rows.iter().all(|r| r.by_age["18-59"] == r.people), "born 1990: adults in 2024: {full:?}");
        // Someone of another organisation can neither plan nor deliver in NRC's round.
        let iom = other_registrar(&t.store);
        assert!(matches!(t.store.plan_cycle(&iom, &first.id, &PlanFilter::default()), Err(StoreError::Forbidden(_))));
        assert!(matches!(t.store.record_delivery(&iom, &first.id, &to_household), Err(StoreError::Forbidden(_))));
    }
}

#[test]
fn a_returned_list_is_imported_all_or_nothing_and_once() {
    use exchange::distribution::{list_xlsx, read_returned, ReturnedError};
    use store::assistance::ReturnsError;
    for t in stores() {
        let clerk = registrar(&t.store);
        displaced(&t.store, &clerk, "GAO-1", 3);
        displaced(&t.store, &clerk, "GAO-2", 2);
        let cash = t.store.create_programme(&clerk, &programme("CASH-1", "multipurpose_cash", "household")).unwrap();
        let cycle = t.store.create_cycle(&clerk, &cash.id, &round("Juin")).unwrap();
        t.store.plan_cycle(&clerk, &cycle.id, &PlanFilter::default()).unwrap();
        let other = t
            .store
            .create_cycle(
                &clerk,
                &cash.id,
                &CycleInput { name: "Juillet".into(), start_date: "2024-07-01".into(), end_date: "2024-07-31".into() },
            )
            .unwrap();
        t.store.plan_cycle(&clerk, &other.id, &PlanFilter::default()).unwrap();

        let (heading, rows) = t.store.distribution_list(&clerk, &cycle.id).unwrap();
        assert_eq!(heading.round, "Juin");
        assert_eq!(
            rows.iter().map(|r| (r.household.as_str(), r.people, r.entitled)).collect::<Vec<_>>(),
            [("GAO-1", 3, 10_000.0), ("GAO-2", 2, 10_000.0)]
        );
        assert!(rows[0].head.starts_with("AwaGAO-1"), "the head names the line");
        let xlsx = list_xlsx(&heading, &rows, domain::Lang::Fr).unwrap();
        assert_eq!(read_returned("liste.xlsx", &xlsx).unwrap().blank, 2, "the list as exported has nothing to import");

        // Not being distributed yet: refused as a whole.
        let csv = |lines: &[String]| {
            let mut text =
                String::from("code_droit;numero_menage;quantite_remise;date_remise;modalite;resultat;reference\n");
            for l in lines {
                text.push_str(l);
                text.push('\n');
            }
            read_returned("retour.csv", text.as_bytes()).unwrap()
        };
        let (one, two) = (&rows[0].entitlement, &rows[1].entitlement);
        let good = csv(&[
            format!("{one};GAO-1;10 000;20/06/2024;Argent mobile;Remis;OM-1"),
            format!("{two};GAO-2;;21/06/2024;;Non retiré;"),
        ]);
        assert!(matches!(
            t.store.import_returns(&clerk, &cycle.id, &good, false),
            Err(ReturnsError::Store(StoreError::Conflict(_)))
        ));
        t.store.advance_cycle(&clerk, &cycle.id, "approved").unwrap();
        t.store.advance_cycle(&clerk, &cycle.id, "distributing").unwrap();

        // A tired clerk's list: a unit in the amount, a code of another round, a household number
        // that is not the line's, a date outside the round. Every row said; nothing recorded.
        let july = t.store.distribution_list(&clerk, &other.id).unwrap().1[0].entitlement.clone();
        let bad = csv(&[
            format!("{one};GAO-1;5 kits;20/06/2024;Argent mobile;Remis;"),
            format!("{july};GAO-1;10 000;20/06/2024;;Remis;"),
            format!("{two};GAO-1;10 000;20/06/2024;;Remis;"),
            format!("{two};GAO-2;10 000;02/07/2024;;Remis;"),
        ]);
        let Err(ReturnsError::Rows(errors)) = t.store.import_returns(&clerk, &cycle.id, &bad, false) else {
            panic!("refused")
        };
        let said: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            said,
            [(2, "quantite_remise"), (3, "code_droit"), (4, "numero_menage"), (5, "date_remise"), (5, "modalite")],
            "{errors:?}"
        );
        assert_eq!(t.store.cycle(&clerk, &cycle.id).unwrap().progress.unwrap().reached, 0, "nothing recorded");
        let french = errors[0].expected.render(domain::Lang::Fr);
        assert!(french.contains("XOF"), "{french}");

        // A partner's own list, by household number only: found; an unknown number is said.
        let by_number = read_returned(
            "partenaire.csv",
            b"numero_menage;quantite_remise;date_remise;modalite;resultat\nGAO-3;10 000;20/06/2024;especes;remis\n",
        )
        .unwrap();
        let Err(ReturnsError::Rows(errors)) = t.store.import_returns(&clerk, &cycle.id, &by_number, true) else {
            panic!("refused")
        };
        assert_eq!((errors[0].row, errors[0].column.as_str(), errors[0].value.as_str()), (2, "numero_menage", "GAO-3"));
        let by_number = read_returned(
            "partenaire.csv",
            b"numero_menage;quantite_remise;date_remise;modalite;resultat\nGAO-1;10 000;20/06/2024;especes;remis\n",
        )
        .unwrap();
        assert_eq!(t.store.import_returns(&clerk, &cycle.id, &by_number, true).unwrap().recorded, 1);

        // A dry run checks and keeps nothing; the good list records once, however often imported.
        let dry = t.store.import_returns(&clerk, &cycle.id, &good, true).unwrap();
        assert_eq!((dry.recorded, dry.dry_run), (2, true));
        assert_eq!(t.store.cycle(&clerk, &cycle.id).unwrap().progress.unwrap().reached, 0);
        let done = t.store.import_returns(&clerk, &cycle.id, &good, false).unwrap();
        assert_eq!((done.recorded, done.already_recorded), (2, 0));
        let again = t.store.import_returns(&clerk, &cycle.id, &good, false).unwrap();
        assert_eq!((again.recorded, again.already_recorded), (0, 2), "safe to import twice");
        let progress = t.store.cycle(&clerk, &cycle.id).unwrap().progress.unwrap();
        assert_eq!((progress.reached, progress.delivered_quantity), (1, 10_000.0), "GAO-2 did not come");
        // Someone of another organisation gets neither the list nor an import.
        let iom = other_registrar(&t.store);
        assert!(matches!(t.store.distribution_list(&iom, &cycle.id), Err(StoreError::Forbidden(_))));
        assert!(matches!(
            t.store.import_returns(&iom, &cycle.id, &good, false),
            Err(ReturnsError::Store(StoreError::Forbidden(_)))
        ));
        assert!(matches!(read_returned("x.csv", b"a,b\n1,2\n"), Err(ReturnedError::Rows(_))));
    }
}

#[test]
fn a_person_programme_plans_the_members_of_the_age_asked_within_the_cap() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let input = HouseholdInput {
            external_id: "EDU-1".into(),
            registration_point: "ML070101".into(),
            registration_date: "2024-03-01".into(),
            population_group: "IDP".into(),
            members: vec![
                member("P0", "Hawa", "head", "1985"),
                member("P1", "Moussa", "child", "2012-02-01"),
                member("P2", "Aïssata", "child", "2016-09-01"),
                member("P3", "Oumar", "child", "2020-01-15"),
                member("P4", "Bintou", "child", "2010-05-01"),
            ],
            movements: vec![MovementInput {
                from: Some("ML060101".into()),
                ..movement("displacement", "2024-02-10", "ML070101")
            }],
            ..Default::default()
        };
        let household = input.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        t.store.register_household(&clerk, &household).unwrap();
        displaced(&t.store, &clerk, "ADULTS", 2);
        let classes = ProgrammeInput {
            kind: "catch_up_classes".into(),
            sector: "EDU".into(),
            target_unit: "person".into(),
            amount: Quantity::Text("1".into()),
            per: "person".into(),
            unit: "enrolment".into(),
            cap_per_household: Some(2),
            ..programme("EDU", "catch_up_classes", "person")
        };
        let classes = t.store.create_programme(&clerk, &classes).unwrap();
        let cycle = t.store.create_cycle(&clerk, &classes.id, &round("Rentrée")).unwrap();
        // Children of school age (6–17 on 2024-06-01): 14, 12 and 7; at most two per household.
        let school = PlanFilter { min_age: Some(6), max_age: Some(17), ..Default::default() };
        let report = t.store.plan_cycle(&clerk, &cycle.id, &school).unwrap();
        assert_eq!(report.planned, 2, "two children of EDU-1; ADULTS has nobody of that age: {report:?}");
        let (_, list) = t.store.distribution_list(&clerk, &cycle.id).unwrap();
        assert!(list.iter().all(|l| l.household == "EDU-1" && l.member.is_some() && l.people == 1), "{list:?}");
        let named: Vec<&str> = list.iter().map(|l| l.head.as_str()).collect();
        assert!(named.iter().all(|n| !n.starts_with("Hawa") && !n.starts_with("Oumar")), "{named:?}");
    }
}

#[test]
fn a_person_served_by_a_sharing_organisation_is_not_planned_again() {
    for t in stores() {
        let nrc = registrar(&t.store);
        let iom = other_registrar(&t.store);
        let ours = displaced(&t.store, &nrc, "N-1", 2);
        let theirs = displaced(&t.store, &iom, "I-1", 1);
        let cash = t.store.create_programme(&iom, &programme("IOM-CASH", "multipurpose_cash", "household")).unwrap();
        let cycle = t.store.create_cycle(&iom, &cash.id, &round("Juin")).unwrap();
        assert_eq!(t.store.plan_cycle(&iom, &cycle.id, &PlanFilter::default()).unwrap().planned, 1);
        // IOM's record of the person is the same person as NRC's head (merged into it).
        t.store
            .db
            .write(|tx| {
                tx.execute(
                    "UPDATE people SET duplicate_of = (SELECT id FROM people WHERE household_id = $1 ORDER BY id LIMIT 1) \
                     WHERE household_id = $2",
                    store::params![ours.as_str(), theirs.as_str()],
                )?;
                Ok(())
            })
            .unwrap();
        let plan = |code: &str| {
            let mine = t.store.create_programme(&nrc, &programme(code, "multipurpose_cash", "household")).unwrap();
            let round = t.store.create_cycle(&nrc, &mine.id, &round("Juin NRC")).unwrap();
            t.store.plan_cycle(&nrc, &round.id, &PlanFilter::default()).unwrap()
        };
        // IOM shares aggregates with NRC: the conflict is found, without saying whose.
        t.store.set_agreement(&Actor::system(), "IOM", "NRC", "aggregates").unwrap();
        let report = plan("NRC-1");
        assert_eq!((report.planned, report.conflicts.len()), (0, 1), "{report:?}");
        assert_eq!((report.conflicts[0].people, report.conflicts[0].programme.as_deref()), (1, None));
        // In full: whose entitlement it is, and when.
        t.store.set_agreement(&Actor::system(), "IOM", "NRC", "full").unwrap();
        let report = plan("NRC-2");
        assert_eq!(report.conflicts[0].programme.as_deref(), Some("IOM-CASH"), "{report:?}");
        assert_eq!(report.conflicts[0].cycle.as_deref(), Some("Juin"));
        // Without an agreement IOM's programmes are not NRC's to check: planned.
        t.store.set_agreement(&Actor::system(), "IOM", "NRC", "none").unwrap();
        assert_eq!((plan("NRC-3").planned, plan("NRC-4").conflicts.len()), (1, 1), "then NRC's own round holds it");
    }
}

#[test]
fn a_round_is_monitored_on_a_sample_and_those_to_go_back_to_are_listed() {
    use domain::assistance::MonitoringInput;
    use domain::{FollowUpReason, SampleMethod};
    for t in stores() {
        let clerk = registrar(&t.store);
        for i in 1..=12 {
            displaced(&t.store, &clerk, &format!("GAO-{i}"), 2);
        }
        let cash = t.store.create_programme(&clerk, &programme("CASH-PDM", "multipurpose_cash", "household")).unwrap();
        let cycle = t.store.create_cycle(&clerk, &cash.id, &round("Juin")).unwrap();
        assert_eq!(t.store.plan_cycle(&clerk, &cycle.id, &PlanFilter::default()).unwrap().planned, 12);
        t.store.advance_cycle(&clerk, &cycle.id, "approved").unwrap();
        t.store.advance_cycle(&clerk, &cycle.id, "distributing").unwrap();
        let nothing = t.store.draw_monitoring_sample(&clerk, &cycle.id, SampleMethod::Random, None).unwrap_err();
        assert!(matches!(nothing, StoreError::Conflict(domain::Message::NothingToMonitor)), "{nothing}");

        // Nine households served in full, one in part, one did not come, one not yet visited.
        for i in 1..=9 {
            t.store.record_delivery(&clerk, &cycle.id, &delivery(&format!("GAO-{i}"), "10 000")).unwrap();
        }
        t.store.record_delivery(&clerk, &cycle.id, &delivery("GAO-10", "4 000")).unwrap();
        let absent = DeliveryInput {
            quantity: Quantity::Text(String::new()),
            outcome: "not_collected".into(),
            ..delivery("GAO-11", "")
        };
        t.store.record_delivery(&clerk, &cycle.id, &absent).unwrap();

        for size in [0, 11] {
            let refused = t.store.draw_monitoring_sample(&clerk, &cycle.id, SampleMethod::Random, Some(size));
            assert_eq!(field_of(refused.unwrap_err()), "size", "{size}: only the 10 who received may be drawn");
        }
        let full = t.store.draw_monitoring_sample(&clerk, &cycle.id, SampleMethod::Full, None).unwrap();
        assert_eq!((full.population, full.summary.drawn), (10, 10));
        let sample = t.store.draw_monitoring_sample(&clerk, &cycle.id, SampleMethod::Random, Some(4)).unwrap();
        let (_, drawn) = t.store.monitoring_sample(&clerk, &sample.id).unwrap();
        let numbers: std::collections::BTreeSet<&str> = drawn.iter().map(|r| r.household.as_str()).collect();
        assert_eq!(numbers.len(), 4);
        assert!(!numbers.contains("GAO-11") && !numbers.contains("GAO-12"), "only those who received: {numbers:?}");
        assert!(drawn.iter().all(|r| !r.name.is_empty()), "each line names whom to ask");
        assert_eq!(t.store.monitoring_samples(&clerk, &cycle.id).unwrap().len(), 2);

        // A tired clerk's mistakes, each refused at its field.
        let not_drawn = ["GAO-1", "GAO-2", "GAO-3", "GAO-4", "GAO-5", "GAO-6", "GAO-7", "GAO-8", "GAO-9", "GAO-10"]
            .into_iter()
            .find(|n| !numbers.contains(n))
            .unwrap();
        let answer = |household: &str, answer: &str| MonitoringInput {
            household: household.into(),
            answer: answer.into(),
            date: "2024-06-28".into(),
            ..Default::default()
        };
        let first = drawn[0].household.clone();
        for (bad, field) in [
            (answer(not_drawn, "reçu"), "household"),
            (answer(&first, "peut-être"), "answer"),
            (
                MonitoringInput { amount_reported: Quantity::Text("10 000".into()), ..answer(&first, "non reçu") },
                "amount_reported",
            ),
            (
                MonitoringInput { amount_reported: Quantity::Text("25 000 FCFA".into()), ..answer(&first, "reçu") },
                "amount_reported",
            ),
            (answer(&first, "received_with_issues"), "issue"),
            (MonitoringInput { date: "2024-05-02".into(), ..answer(&first, "reçu") }, "date"),
        ] {
            assert_eq!(
                field_of(t.store.record_monitoring_answer(&clerk, &sample.id, &bad).unwrap_err()),
                field,
                "{bad:?}"
            );
        }
        // GAO-10 received only 4 000: asked last, so that the one reporting less got 10 000.
        let mut order: Vec<String> = drawn.iter().map(|r| r.household.clone()).collect();
        order.sort_by_key(|n| n == "GAO-10");
        let [a, b, c, d] = [0, 1, 2, 3].map(|i| order[i].clone());
        let row = t
            .store
            .record_monitoring_answer(
                &clerk,
                &sample.id,
                &MonitoringInput { amount_reported: Quantity::Text("8 000".into()), ..answer(&a, "reçu") },
            )
            .unwrap();
        assert_eq!((row.answer, row.amount_reported), (Some(domain::MonitoringAnswer::Received), Some(8_000.0)));
        let issue =
            MonitoringInput { issue: Some("attente de six heures".into()), ..answer(&b, "reçu avec problèmes") };
        t.store.record_monitoring_answer(&clerk, &sample.id, &issue).unwrap();
        t.store.record_monitoring_answer(&clerk, &sample.id, &answer(&c, "non reçu")).unwrap();
        t.store.record_monitoring_answer(&clerk, &sample.id, &answer(&d, "injoignable")).unwrap();
        // Corrected: asked again the next day, it had received after all.
        t.store.record_monitoring_answer(&clerk, &sample.id, &answer(&d, "reçu")).unwrap();
        let (sample, _) = t.store.monitoring_sample(&clerk, &sample.id).unwrap();
        let s = sample.summary;
        assert_eq!(
            (s.drawn, s.asked, s.received, s.received_with_issues, s.not_received, s.not_reached),
            (4, 4, 2, 1, 1, 0)
        );
        assert_eq!(s.share_received, Some(0.75));
        assert_eq!((s.reported_less, s.reported_quantity), (1, 8_000.0));

        let follow_ups = t.store.follow_ups(&clerk, &cycle.id).unwrap();
        let mut reasons: Vec<(String, FollowUpReason)> =
            follow_ups.iter().map(|f| (f.household.clone(), f.reason)).collect();
        reasons.sort();
        let mut expected = vec![
            ("GAO-10".to_string(), FollowUpReason::Partial),
            ("GAO-11".to_string(), FollowUpReason::NotCollected),
            (a.clone(), FollowUpReason::ReportedLess),
            (b.clone(), FollowUpReason::ReceivedWithIssues),
            (c.clone(), FollowUpReason::NotReceived),
        ];
        expected.sort();
        assert_eq!(reasons, expected, "{}", t.backend);
        let partial = follow_ups.iter().find(|f| f.reason == FollowUpReason::Partial).unwrap();
        assert_eq!(partial.remaining, 6_000.0);

        // Outside the organisation, and for a viewer: not theirs to see.
        let iom = other_registrar(&t.store);
        assert!(matches!(t.store.monitoring_sample(&iom, &sample.id), Err(StoreError::Forbidden(_))));
        assert!(matches!(t.store.follow_ups(&iom, &cycle.id), Err(StoreError::Forbidden(_))));
        let viewer = store::Actor { role: domain::Role::Viewer, ..clerk.clone() };
        assert!(t.store.draw_monitoring_sample(&viewer, &cycle.id, SampleMethod::Full, None).is_err());
        assert!(matches!(t.store.monitoring_sample(&clerk, "nope"), Err(StoreError::NotFound(_))));
    }
}

#[test]
fn a_household_whose_members_all_died_receives_nothing() {
    use domain::registry::MovementInput;
    for t in stores() {
        let clerk = registrar(&t.store);
        let id = displaced(&t.store, &clerk, "GAO-1", 1);
        let cash = t.store.create_programme(&clerk, &programme("CASH-D", "multipurpose_cash", "household")).unwrap();
        let cycle = t.store.create_cycle(&clerk, &cash.id, &round("Juin")).unwrap();
        t.store.plan_cycle(&clerk, &cycle.id, &PlanFilter::default()).unwrap();
        t.store.advance_cycle(&clerk, &cycle.id, "approved").unwrap();
        t.store.advance_cycle(&clerk, &cycle.id, "distributing").unwrap();
        let head = t.store.household_detail(&clerk, &id).unwrap().members[0].person.id.clone();
        let death = MovementInput { kind: "death".into(), date: "2024-06-05".into(), ..Default::default() };
        let death = death.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        t.store.record_movement(&clerk, &id, Some(&head), &death).unwrap();
        let refused = t.store.record_delivery(&clerk, &cycle.id, &delivery("GAO-1", "10 000")).unwrap_err();
        assert_eq!(field_of(refused), "household", "{}", t.backend);
    }
}

#[test]
fn reach_is_counted_by_site_and_what_was_delivered_off_any_site_stays_with_its_commune() {
    for t in stores() {
        let clerk = registrar(&t.store);
        let site = t
            .store
            .create_site(
                &clerk,
                &store::sites::NewSite { name: "Site de Sosso Koira".into(), commune: "ML070101".into(), kind: None },
            )
            .unwrap();
        let on_site = displaced(&t.store, &clerk, "GAO-SITE", 3);
        let to_site = movement("secondary_displacement", "2024-03-05", &site.code);
        let to_site = to_site.parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        t.store.record_movement(&clerk, &on_site, None, &to_site).unwrap();
        displaced(&t.store, &clerk, "GAO-TOWN", 2);
        let kits = t.store.create_programme(&clerk, &programme("KITS", "shelter_kit", "household")).unwrap();
        let round = t.store.create_cycle(&clerk, &kits.id, &round("Juin")).unwrap();
        assert_eq!(t.store.plan_cycle(&clerk, &round.id, &PlanFilter::default()).unwrap().planned, 2);
        t.store.advance_cycle(&clerk, &round.id, "approved").unwrap();
        t.store.advance_cycle(&clerk, &round.id, "distributing").unwrap();
        for household in ["GAO-SITE", "GAO-TOWN"] {
            t.store.record_delivery(&clerk, &round.id, &delivery(household, "10 000")).unwrap();
        }
        let by_site = t.store.reach(&clerk, "2024-06-01", "2024-06-30", 4).unwrap();
        let rows: Vec<(&str, i64)> = by_site.rows.iter().map(|r| (r.place.as_str(), r.people)).collect();
        assert_eq!(rows, [("ML070101", 2), ("ML070101S001", 3)], "{}: {by_site:?}", t.backend);
        assert_eq!(t.store.reach(&clerk, "2024-06-01", "2024-06-30", 3).unwrap().rows[0].people, 5);
        // In HXL the site has its code under #loc; the commune's own row leaves it blank.
        let table = by_site.hxl_table(&t.store.gazetteer);
        let site_column = table.tags.iter().position(|t| t == "#loc+code").expect("a site column");
        let commune_column = table.tags.iter().position(|t| t == "#adm3+code").unwrap();
        let cells: Vec<(&str, &str)> =
            table.rows.iter().map(|r| (r[commune_column].as_str(), r[site_column].as_str())).collect();
        assert_eq!(cells, [("ML070101", ""), ("ML070101", "ML070101S001")]);
        assert_eq!(field_of(t.store.reach(&clerk, "2024-06-01", "2024-06-30", 5).unwrap_err()), "level");
    }
}
