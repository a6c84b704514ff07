//! Response plans: indicators, targets imported from an HXL sheet all or nothing and once,
//! and targets beside people reached from deliveries and the registry's stock. On both
//! databases.

use domain::plans::{IndicatorInput, PlanInput};
use exchange::InputFile;
use store::assistance::PlanFilter;
use store::{Actor, Store, StoreError};

use crate::assistance::{delivery, displaced, programme, round};
use crate::support::*;

pub(crate) fn im_officer(store: &Store) -> Actor {
    registrar(store);
    let user = store
        .create_user(&Actor::system(), "cluster-abris", domain::Role::ImOfficer, Some("NRC"), "cluster password 1")
        .expect("user");
    store.verify_login(&user.username, "cluster password 1").unwrap().unwrap()
}

pub(crate) fn hrp() -> PlanInput {
    PlanInput {
        code: "HRP-MLI-2024".into(),
        name: "Plan de réponse humanitaire 2024".into(),
        start_date: "2024-01-01".into(),
        end_date: "2024-12-31".into(),
        sectors: vec!["SHL, EDU".into()],
    }
}

pub(crate) fn shelter_indicator() -> IndicatorInput {
    IndicatorInput {
        code: "SHL-01".into(),
        sector: "SHL".into(),
        name_fr: "Personnes ayant reçu un abri d'urgence".into(),
        name_en: "People who received emergency shelter".into(),
        unit: "people".into(),
        disaggregations: vec!["sex".into(), "age".into()],
        kinds: vec!["shelter_kit".into()],
        ..Default::default()
    }
}

fn sheet(text: &str) -> InputFile {
    InputFile { name: "cibles.csv".into(), bytes: text.as_bytes().to_vec() }
}

const TARGETS: &str = "Indicateur,Région,Cercle,Début,Fin,Dans le besoin,Ciblés\n\
     #indicator+code,#adm1+code,#adm2+code,#date+start,#date+end,#inneed,#targeted\n\
     SHL-01,ML07,ML0701,2024-01-01,2024-12-31,4,10\n\
     SHL-01,ML06,ML0601,2024-01-01,2024-12-31,\"12 000\",\"8 000\"\n\
     EDU-01,ML07,ML0701,2024-01-01,2024-12-31,,300\n";

#[test]
fn targets_are_imported_once_and_set_beside_people_reached_and_the_registry() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let im = im_officer(store);
        // A registrar does not keep plans; an IM officer does, with known sectors only.
        assert!(matches!(store.create_plan(&clerk, &hrp()), Err(StoreError::Forbidden(_))));
        let bad = PlanInput { sectors: vec!["Abris".into()], ..hrp() };
        assert!(matches!(store.create_plan(&im, &bad), Err(StoreError::Invalid(_))));
        let plan = store.create_plan(&im, &hrp()).unwrap();
        assert!(matches!(store.create_plan(&im, &hrp()), Err(StoreError::Conflict(_))));
        store.create_indicator(&im, &plan.code, &shelter_indicator()).unwrap();
        let outside = IndicatorInput { code: "FSC-01".into(), sector: "FSC".into(), ..shelter_indicator() };
        assert!(matches!(store.create_indicator(&im, &plan.id, &outside), Err(StoreError::Invalid(_))));
        let schools = IndicatorInput {
            code: "EDU-01".into(),
            sector: "EDU".into(),
            name_fr: "Écoles réhabilitées".into(),
            name_en: "Schools rehabilitated".into(),
            unit: "schools".into(),
            kinds: vec![],
            ..shelter_indicator()
        };
        store.create_indicator(&im, &plan.id, &schools).unwrap();

        // Bad rows: all named, nothing written.
        let bad = sheet(
            "Indicateur,Cercle,Début,Fin,Ciblés\n\
             #indicator+code,#adm2+code,#date+start,#date+end,#targeted\n\
             SHL-99,ML0701,2024-01-01,2024-12-31,10\n\
             SHL-01,ML070101,2024-01-01,2024-12-31,10\n\
             SHL-01,ML0701,2023-06-01,2024-12-31,10\n\
             SHL-01,ML0702,2024-01-01,2024-12-31,10\n\
             SHL-01,ML0702,2024-01-01,2024-12-31,12\n",
        );
        let refused = store.import_targets_file(&im, &plan.id, bad, false).unwrap();
        let named: Vec<(usize, String)> = refused.errors.iter().map(|e| (e.row, e.column.clone())).collect();
        assert_eq!(
            named,
            [
                (3, "#indicator+code".to_string()),
                (4, "Cercle".into()),
                (5, "#date".into()),
                (7, "#indicator+code".into())
            ]
        );
        assert!(store.plan_targets(&plan.id).unwrap().is_empty(), "nothing written");
        // Checked only, then imported, then again: nothing changes the second time.
        let checked = store.import_targets_file(&im, &plan.id, sheet(TARGETS), true).unwrap().report.unwrap();
        assert_eq!((checked.added, checked.dry_run), (3, true));
        assert!(store.plan_targets(&plan.id).unwrap().is_empty());
        let imported = store.import_targets_file(&im, &plan.id, sheet(TARGETS), false).unwrap().report.unwrap();
        assert_eq!((imported.added, imported.changed), (3, 0));
        let again = store.import_targets_file(&im, &plan.id, sheet(TARGETS), false).unwrap().report.unwrap();
        assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 3));
        let changed = TARGETS.replace("4,10", "4,12");
        let changed = store.import_targets_file(&im, &plan.id, sheet(&changed), false).unwrap().report.unwrap();
        assert_eq!((changed.added, changed.changed), (0, 1));
        assert!(matches!(
            store.import_targets_file(&clerk, &plan.id, sheet(TARGETS), false),
            Err(store::import::ImportError::Store(StoreError::Forbidden(_)))
        ));

        // Shelter kits to two households of Gao (5 people) through two programmes: counted once.
        displaced(store, &clerk, "GAO-1", 3);
        displaced(store, &clerk, "GAO-2", 2);
        for code in ["KITS-A", "KITS-B"] {
            let kits = store.create_programme(&clerk, &programme(code, "shelter_kit", "household")).unwrap();
            let cycle = store.create_cycle(&clerk, &kits.id, &round("Juin")).unwrap();
            let filter = PlanFilter {
                households: vec!["GAO-1".into()],
                overrides: vec![store::assistance::PlanOverride {
                    household: "GAO-1".into(),
                    reason: "second kit after the flood".into(),
                }],
                ..Default::default()
            };
            store.plan_cycle(&clerk, &cycle.id, &filter).unwrap();
            if code == "KITS-A" {
                store
                    .plan_cycle(
                        &clerk,
                        &cycle.id,
                        &PlanFilter { households: vec!["GAO-2".into()], ..Default::default() },
                    )
                    .unwrap();
            }
            store.advance_cycle(&clerk, &cycle.id, "approved").unwrap();
            store.advance_cycle(&clerk, &cycle.id, "distributing").unwrap();
            store.record_delivery(&clerk, &cycle.id, &delivery("GAO-1", "10 000")).unwrap();
            if code == "KITS-A" {
                store.record_delivery(&clerk, &cycle.id, &delivery("GAO-2", "10 000")).unwrap();
            }
        }
        let progress = store.plan_progress(&im, &plan.code).unwrap();
        let row = |indicator: &str, place: &str| {
            progress
                .rows
                .iter()
                .find(|r| r.indicator == indicator && r.place == place)
                .unwrap_or_else(|| panic!("{indicator} {place}: {progress:?}"))
        };
        let gao = row("SHL-01", "ML0701");
        assert_eq!((gao.reached, gao.targeted, gao.counted), (Some(5), Some(12.0), true), "{}: {gao:?}", t.backend);
        assert_eq!(gao.share_of_target.map(|s| (s * 100.0).round()), Some(42.0));
        // Gao's registry holds 5 displaced people; the plan says 4 are in need there.
        assert_eq!((gao.displaced, gao.registry_above_need), (Some(5), true), "{gao:?}");
        let tombouctou = row("SHL-01", "ML0601");
        assert_eq!((tombouctou.reached, tombouctou.registry_above_need), (Some(0), false));
        let whole = row("SHL-01", "");
        assert_eq!((whole.reached, whole.targeted, whole.in_need), (Some(5), Some(8012.0), Some(12004.0)));
        let schools = row("EDU-01", "ML0701");
        assert_eq!((schools.counted, schools.reached, schools.displaced), (false, None, None));
        // A viewer: targets, and reached over the whole plan only, hidden when small.
        store.create_user(&Actor::system(), "bailleur", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
        let donor = store.verify_login("bailleur", "donor password 1").unwrap().unwrap();
        let seen = store.plan_progress(&donor, &plan.code).unwrap();
        let by_place = seen.rows.iter().filter(|r| r.counted && !r.place.is_empty());
        assert!(by_place.clone().count() == 2 && by_place.into_iter().all(|r| r.reached.is_none() && r.reached_hidden));
        let whole = seen.rows.iter().find(|r| r.indicator == "SHL-01" && r.place.is_empty()).unwrap();
        assert_eq!(whole.reached, Some(5), "five people: not fewer than the threshold");
        assert_eq!(seen.disclosure_threshold, Some(store::DEFAULT_DISCLOSURE_THRESHOLD));
        // Two households reached: too few for a viewer even over the whole plan.
        let households = IndicatorInput { code: "SHL-02".into(), unit: "households".into(), ..shelter_indicator() };
        store.create_indicator(&im, &plan.id, &households).unwrap();
        let sheet2 = "i,c,s,e,t\n#indicator+code,#adm2+code,#date+start,#date+end,#targeted\nSHL-02,ML0701,2024-01-01,2024-12-31,3\n";
        store.import_targets_file(&im, &plan.id, sheet(sheet2), false).unwrap().report.unwrap();
        let whole = |actor: &Actor| {
            let p = store.plan_progress(actor, &plan.id).unwrap();
            p.rows.into_iter().find(|r| r.indicator == "SHL-02" && r.place.is_empty()).unwrap()
        };
        assert_eq!(whole(&im).reached, Some(2));
        let hidden = whole(&donor);
        assert!(hidden.reached.is_none() && hidden.reached_hidden && hidden.share_of_target.is_none(), "{hidden:?}");
        assert!(matches!(store.plan("HRP-NOPE"), Err(StoreError::NotFound(_))));
    }
}

#[test]
fn one_target_is_entered_by_hand_checked_as_a_sheet_row_is() {
    use domain::assistance::Quantity;
    use domain::plans::TargetInput;
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let im = im_officer(store);
        let plan = store.create_plan(&im, &hrp()).unwrap();
        store.create_indicator(&im, &plan.id, &shelter_indicator()).unwrap();
        let entered = |place: &str, from: &str, targeted: &str| TargetInput {
            indicator: "shl-01".into(),
            place: place.into(),
            start_date: from.into(),
            end_date: "31/12/2024".into(),
            in_need: None,
            targeted: Some(Quantity::Text(targeted.into())),
        };
        let fields = |e: StoreError| match e {
            StoreError::Invalid(errors) => errors.0.iter().map(|f| f.field.clone()).collect::<Vec<_>>(),
            other => panic!("{other}"),
        };
        // A commune, a period before the plan, words for a number: each named by its field.
        assert_eq!(
            fields(store.set_target(&im, &plan.id, &entered("ML070101", "01/01/2024", "10")).unwrap_err()),
            ["place"]
        );
        assert_eq!(
            fields(store.set_target(&im, &plan.id, &entered("ML0701", "2023-06-01", "10")).unwrap_err()),
            ["start_date"]
        );
        assert_eq!(
            fields(store.set_target(&im, &plan.id, &entered("ML0701", "01/01/2024", "dix")).unwrap_err()),
            ["targeted"]
        );
        let nothing = TargetInput { targeted: None, ..entered("ML0701", "01/01/2024", "") };
        assert_eq!(fields(store.set_target(&im, &plan.id, &nothing).unwrap_err()), ["targeted"]);
        let unknown = TargetInput { indicator: "SHL-99".into(), ..entered("ML0701", "01/01/2024", "10") };
        assert_eq!(fields(store.set_target(&im, &plan.id, &unknown).unwrap_err()), ["indicator"]);
        assert!(matches!(
            store.set_target(&clerk, &plan.id, &entered("ML0701", "01/01/2024", "10")),
            Err(StoreError::Forbidden(_))
        ));
        assert!(store.plan_targets(&plan.id).unwrap().is_empty(), "nothing written");
        // Entered, then again (unchanged), then corrected; the same key as a sheet's row.
        let added = store.set_target(&im, &plan.id, &entered("ml0701", "01/01/2024", "1 200")).unwrap();
        assert_eq!((added.added, added.changed, added.unchanged), (1, 0, 0));
        let again = store.set_target(&im, &plan.id, &entered("ML0701", "2024-01-01", "1200")).unwrap();
        assert_eq!(again.unchanged, 1);
        let corrected = store.set_target(&im, &plan.id, &entered("ML0701", "2024-01-01", "1 500")).unwrap();
        assert_eq!(corrected.changed, 1);
        let targets = store.plan_targets(&plan.id).unwrap();
        assert_eq!(targets.len(), 1);
        assert_eq!(
            (targets[0].place.as_str(), targets[0].start_date.as_str(), targets[0].targeted),
            ("ML0701", "2024-01-01", Some(1500.0))
        );
    }
}

#[test]
fn a_partner_reports_a_month_once_it_is_over_and_the_coordinator_sends_it_back_then_accepts_it() {
    use domain::assistance::Quantity;
    use domain::plans::ReportInput;
    for t in stores() {
        let store = &t.store;
        let im = im_officer(store);
        let partner = other_registrar(store);
        let plan = store.create_plan(&im, &hrp()).unwrap();
        let water = IndicatorInput {
            code: "WSH-01".into(),
            sector: "SHL".into(),
            name_fr: "Points d'eau réhabilités".into(),
            name_en: "Water points rehabilitated".into(),
            unit: "items".into(),
            across_periods: "sum".into(),
            kinds: vec![],
            disaggregations: vec![],
            ..shelter_indicator()
        };
        store.create_indicator(&im, &plan.id, &water).unwrap();
        // Before any report, the rules may still change (and back).
        let by_max = IndicatorInput { across_periods: "max".into(), ..water.clone() };
        let changed = store.update_indicator(&im, &plan.id, "wsh-01", &by_max).unwrap();
        assert_eq!(changed.across_periods, domain::Aggregation::Maximum);
        store.update_indicator(&im, &plan.id, "WSH-01", &water).unwrap();
        assert!(matches!(store.update_indicator(&partner, &plan.id, "WSH-01", &water), Err(StoreError::Forbidden(_))));
        assert!(matches!(store.update_indicator(&im, &plan.id, "WSH-99", &water), Err(StoreError::NotFound(_))));
        let sheet = "i,c,s,e,t\n#indicator+code,#adm2+code,#date+start,#date+end,#targeted\nWSH-01,ML0701,2024-01-01,2024-12-31,20\n";
        store
            .import_targets_file(&im, &plan.id, InputFile { name: "c.csv".into(), bytes: sheet.into() }, false)
            .unwrap();
        let report = |month: &str, value: &str| ReportInput {
            indicator: "WSH-01".into(),
            place: "ML0701".into(),
            month: month.into(),
            value: Quantity::Text(value.into()),
            ..Default::default()
        };
        // The test clock stands at 2024-06-30: June is not over.
        let early = store.submit_report(&partner, &plan.id, &report("2024-06", "3")).unwrap_err();
        assert!(matches!(early, StoreError::Invalid(ref e) if e.0[0].field == "month"), "{early}");
        let unknown = store.submit_report(
            &partner,
            &plan.id,
            &ReportInput { place: "ML070101".into(), ..report("2024-05", "3") },
        );
        assert!(matches!(unknown, Err(StoreError::Invalid(ref e)) if e.0[0].field == "place"));
        let may = store.submit_report(&partner, &plan.id, &report("2024-05", "4")).unwrap();
        assert_eq!((may.status, may.organisation.as_str()), (domain::ReportStatus::Submitted, "IOM"));
        // A partner does not review; the coordinator sends back only with a comment.
        assert!(matches!(store.review_report(&partner, &may.id, "accept", None), Err(StoreError::Forbidden(_))));
        assert!(matches!(store.review_report(&im, &may.id, "send_back", Some("")), Err(StoreError::Invalid(_))));
        let back =
            store.review_report(&im, &may.id, "send_back", Some("Quatre points à Ansongo ? Joindre la liste")).unwrap();
        assert_eq!(back.status, domain::ReportStatus::SentBack);
        let waiting = store.review_report(&im, &may.id, "accept", None).unwrap_err();
        assert!(matches!(waiting, StoreError::Conflict(domain::Message::ReportSentBack)), "the partner corrects first");
        // Reported again, corrected: submitted, then accepted and locked.
        let again = store.submit_report(&partner, &plan.id, &report("2024-05", "3")).unwrap();
        assert_eq!(
            (again.id.as_str(), again.status, again.value),
            (may.id.as_str(), domain::ReportStatus::Submitted, 3.0)
        );
        store.review_report(&im, &may.id, "accept", None).unwrap();
        assert!(matches!(
            store.submit_report(&partner, &plan.id, &report("2024-05", "9")),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.review_report(&im, &may.id, "send_back", Some("trop tard")),
            Err(StoreError::Conflict(_))
        ));
        let april = store.submit_report(&partner, &plan.id, &report("2024-04", "5")).unwrap();
        store.review_report(&im, &april.id, "accept", None).unwrap();
        // Reported under its rules: they stay; its names still change.
        let fixed = store.update_indicator(&im, &plan.id, "WSH-01", &by_max).unwrap_err();
        assert!(matches!(fixed, StoreError::Conflict(domain::Message::IndicatorRulesFixed { reports: 2 })), "{fixed}");
        let per_unit = IndicatorInput { unit: "schools".into(), ..water.clone() };
        assert!(matches!(store.update_indicator(&im, &plan.id, "WSH-01", &per_unit), Err(StoreError::Conflict(_))));
        let renamed = IndicatorInput { name_fr: "Points d'eau réhabilités ou construits".into(), ..water.clone() };
        let renamed = store.update_indicator(&im, &plan.id, "WSH-01", &renamed).unwrap();
        assert_eq!(
            (renamed.name_fr.as_str(), renamed.across_periods),
            ("Points d'eau réhabilités ou construits", domain::Aggregation::Sum)
        );
        // A report still submitted does not count; accepted ones add up over the months.
        store.submit_report(&partner, &plan.id, &report("2024-03", "100")).unwrap();
        let progress = store.plan_progress(&im, &plan.id).unwrap();
        let row = progress.rows.iter().find(|r| r.place == "ML0701").unwrap();
        assert_eq!((row.counted, row.reported, row.reached), (false, Some(8.0), None), "{}: {row:?}", t.backend);
        assert_eq!(row.share_of_target, Some(0.4));
        let listed = store.plan_reports(&im, &plan.id).unwrap();
        assert_eq!(listed.iter().map(|r| r.month.as_str()).collect::<Vec<_>>(), ["2024-05", "2024-04", "2024-03"]);
        store.create_user(&Actor::system(), "bailleur", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
        let donor = store.verify_login("bailleur", "donor password 1").unwrap().unwrap();
        assert!(matches!(store.plan_reports(&donor, &plan.id), Err(StoreError::Forbidden(_))));
    }
}
