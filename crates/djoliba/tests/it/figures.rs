//! Figures from the registry: IRIS stock and flows, on both databases, through the store, the
//! API and the command line.

use domain::registry::MovementInput;
use domain::synthetic::{self, Places};
use store::figures::SolutionInput;
use store::import::{ImportItem, RowRef};
use store::Store;

use crate::support::*;

fn total(store: &Store, as_of: &str, group: &str) -> u64 {
    let report = store.stock_figures(&store::Actor::system(), as_of, 1, Some(group)).unwrap();
    report.stock.cells.iter().map(|c| c.individuals).sum()
}

#[test]
fn returns_stay_in_the_idp_stock_until_a_solutions_decision() {
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        // Two members displaced 2023-06-10 from Tombouctou to Gao, a pendular visit, a return
        // on 2024-03-01.
        let detail = store
            .register_household(&actor, &household("HH-F1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let id = detail.household.id.clone();
        assert_eq!(total(store, "2023-06-09", "IDP"), 0, "{}", t.backend);
        assert_eq!(total(store, "2023-06-10", "IDP"), 2);
        assert_eq!(total(store, "2024-06-01", "IDP"), 2, "a return is not an exit ({})", t.backend);
        let by_place = store.stock_figures(&actor, "2024-06-01", 2, Some("IDP")).unwrap();
        assert_eq!(by_place.stock.households.len(), 1);
        assert_eq!(
            (by_place.stock.households[0].place.as_str(), by_place.stock.households[0].households),
            ("ML0601", 1)
        );
        let decision = SolutionInput {
            decided_on: "2024-05-15".into(),
            basis: "IASC criteria assessed".into(),
            decided_by: "Commune durable solutions committee".into(),
        };
        store.record_solution(&actor, &id, None, &decision).unwrap();
        assert_eq!(total(store, "2024-05-14", "IDP"), 2, "cached figures were recomputed ({})", t.backend);
        assert_eq!(total(store, "2024-05-15", "IDP"), 0);

        // A movement recorded late changes the past figures it belongs to.
        let other = store
            .register_household(&actor, &household("HH-F2").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        assert_eq!(total(store, "2023-01-01", "IDP"), 0);
        let earlier = MovementInput {
            kind: "secondary_displacement".into(),
            date: "2023-09-01".into(),
            to: Some("ML090101".into()),
            cause: Some("armed_conflict".into()),
            ..Default::default()
        };
        store
            .record_movement(
                &actor,
                &other.household.id,
                None,
                &earlier.parse(store.gazetteer.as_ref(), store.today()).unwrap(),
            )
            .unwrap();
        let in_bamako = store.stock_figures(&actor, "2023-10-01", 1, Some("IDP")).unwrap();
        let bamako: u64 = in_bamako.stock.cells.iter().filter(|c| c.place == "ML09").map(|c| c.individuals).sum();
        assert_eq!(bamako, 2, "{}: {:?}", t.backend, in_bamako.stock.cells);

        let flows = store.flow_figures(&actor, "2023-01-01", "2024-06-30", 1, Some("IDP")).unwrap();
        let account = &flows.flows.accounts[0];
        assert_eq!(
            (account.stock_start, account.inflows, account.outflows, account.stock_end),
            (0, 4, 2, 2),
            "{}",
            t.backend
        );
        assert_eq!(account.outflows_by_kind["solution"], 2);
        assert!(flows.flows.matrix.iter().any(|m| m.origin == "ML06" && m.destination == "ML07" && m.individuals == 4));
        let bad = store.flow_figures(&actor, "2024-01-01", "2023-01-01", 1, None);
        assert!(matches!(bad, Err(store::StoreError::Invalid(_))));
        assert!(matches!(store.stock_figures(&actor, "2024-01-01", 5, None), Err(store::StoreError::Invalid(_))));
    }
}

fn places() -> Places {
    Places {
        origins: vec![
            vec!["ML070101".into(), "ML070201".into(), "ML070301".into()],
            vec!["ML060101".into(), "ML060201".into()],
            vec!["ML100101".into()],
        ],
        destinations: vec!["ML090101".into(), "ML090201".into(), "ML050101".into()],
    }
}

pub(crate) fn load_synthetic(store: &Store, count: usize) {
    load_generated(store, 5, count, &places());
}

/// `count` households of the seeded generator, imported by a registrar.
pub(crate) fn load_generated(store: &Store, seed: u64, count: usize, places: &Places) {
    let actor = registrar(store);
    let items: Vec<ImportItem> = synthetic::generate(seed, count, places)
        .into_iter()
        .enumerate()
        .map(|(i, g)| ImportItem {
            household: g.household,
            household_row: RowRef { file: "synthetic".into(), row: i + 2 },
            member_rows: vec![],
            movement_rows: vec![],
        })
        .collect();
    store.import(&actor, &items, "synthetic", "-", &mut |_| {}).expect("synthetic data imports");
}

#[test]
fn synthetic_figures_are_reproducible_and_balance() {
    let runs: Vec<String> = stores()
        .into_iter()
        .chain(std::iter::once(sqlite()))
        .map(|t| {
            load_synthetic(&t.store, 400);
            let actor = store::Actor::system();
            let stock = t.store.stock_figures(&actor, "2024-06-30", 2, None).unwrap();
            let flows = t.store.flow_figures(&actor, "2021-12-31", "2024-06-30", 2, None).unwrap();
            for account in &flows.flows.accounts {
                assert_eq!(account.stock_start + account.inflows, account.stock_end + account.outflows, "{account:?}");
            }
            serde_json::to_string(&(stock.stock, flows.flows)).unwrap()
        })
        .collect();
    assert!(runs.len() >= 2);
    assert!(runs.windows(2).all(|w| w[0] == w[1]), "the same data give the same figures on every run and database");
}

fn series_file(csv: &str) -> exchange::InputFile {
    exchange::InputFile { name: "dtm.csv".into(), bytes: csv.as_bytes().to_vec() }
}

fn skip() -> store::series::SeriesOptions {
    store::series::SeriesOptions { skip_unmatched: true, ..Default::default() }
}

fn meta(name: &str) -> store::series::SeriesMeta {
    store::series::SeriesMeta {
        name: name.into(),
        source: "IOM DTM".into(),
        method: "key informants".into(),
        population_group: None,
        published_on: None,
    }
}

#[test]
fn external_series_match_places_report_the_rest_and_compare() {
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        // Published series are kept by information-management officers.
        let keeper = crate::plans::im_officer(store);
        store
            .register_household(&actor, &household("HH-S1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        // Codes, a retired 2015 code mapped one-to-one, names without accents, an alias, and
        // two places that cannot be matched.
        let csv = "Région,Cercle,Code cercle,Code commune,Date,PDI\n#adm1+name,#adm2+name,#adm2+code,#adm3+code,#date+reported,#affected+idps+ind\n\
                   ,,ML0601,,2024-01-31,8\n,,,ML010114,2024-01-31,40\nSegou,Baroueli,,,2024-01-31,12\nTimbuktu,Dire,,,2024-01-31,3\n\
                   Gao,Tessit,,,2024-01-31,5\nDouentza,,,,2024-01-31,9\n";
        let outcome =
            store.import_series_file(&keeper, &meta("DTM round 1"), series_file(csv), &Default::default()).unwrap();
        let report = outcome.report.expect("read");
        assert_eq!(report.series_id, None, "{}: nothing stored while places are unmatched", t.backend);
        let unmatched: Vec<(usize, String)> =
            report.unmatched.iter().map(|e| (e.row, e.expected.to_string())).collect();
        assert_eq!(unmatched.len(), 2, "{unmatched:?}");
        assert_eq!(unmatched[0].0, 7);
        assert!(unmatched[0].1.contains("no admin 2 unit named \"Tessit\" in Gao (ML07)"), "{}", unmatched[0].1);
        assert!(unmatched[1].1.contains("2023 reform"), "{}", unmatched[1].1);
        assert_eq!(
            (report.matched_by_code, report.matched_by_crosswalk, report.matched_by_name, report.matched_by_alias),
            (1, 1, 1, 1),
            "{report:?}"
        );
        assert!(store.list_series().unwrap().is_empty());

        let stored =
            store.import_series_file(&keeper, &meta("DTM round 1"), series_file(csv), &skip()).unwrap().report.unwrap();
        assert!(stored.series_id.is_some(), "{}", t.backend);
        let listed = store.list_series().unwrap();
        assert_eq!((listed[0].rows, listed[0].rows_skipped), (4, 2));
        let again = store.import_series_file(&keeper, &meta("DTM round 1"), series_file(csv), &skip());
        assert!(
            matches!(again, Err(store::import::ImportError::Store(store::StoreError::Conflict(_)))),
            "a series name is used once"
        );
        let same_file = store.import_series_file(&keeper, &meta("Another name"), series_file(csv), &skip());
        assert!(
            matches!(same_file, Err(store::import::ImportError::Store(store::StoreError::Conflict(domain::Message::SeriesFileImported { ref name }))) if name == "DTM round 1"),
            "the same file under another name"
        );

        let comparison = store.compare(&actor, "2024-02-01", 2, "IDP").unwrap();
        let tombouctou =
            comparison.rows.iter().find(|r| r.place == "ML0601").expect("the registered household's cercle");
        assert_eq!(tombouctou.registered, Some(0), "registered there, in Gao on 2024-02-01");
        let ansongo = comparison.rows.iter().find(|r| r.place == "ML0701").unwrap();
        assert_eq!((ansongo.registered, ansongo.series[0].individuals), (Some(2), None));
        let dire = comparison.rows.iter().find(|r| r.place_name == "Diré").unwrap();
        assert_eq!(dire.series[0].individuals, Some(11), "ML0601 is Diré: by code and by name, the rows add up");
        let by_region = store.compare(&actor, "2024-02-01", 1, "IDP").unwrap();
        let tomb = by_region.rows.iter().find(|r| r.place == "ML06").unwrap();
        assert_eq!(tomb.series[0].individuals, Some(11), "cercle figures add up to the région ({})", t.backend);
        let gao = by_region.rows.iter().find(|r| r.place == "ML07").unwrap();
        assert_eq!((gao.registered, gao.series[0].coverage), (Some(2), None));
        let segou = by_region.rows.iter().find(|r| r.place == "ML04").unwrap();
        assert_eq!(segou.series[0].individuals, Some(12), "Baroueli, the 2015 spelling of Baraouéli");
        let kayes = by_region.rows.iter().find(|r| r.place == "ML01").unwrap();
        assert_eq!(
            (kayes.series[0].individuals, kayes.series[0].coverage),
            (Some(40), None),
            "Khouloum's 2015 code, through the crosswalk; the registry has never been in Kayes: not covered"
        );
        assert_eq!(kayes.registered, None);
        assert_eq!(stored.people_skipped, 14, "Tessit's 5 and Douentza's 9 left out, counted");
    }
}

#[test]
fn stock_by_displacement_site() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let site = store
            .create_site(
                &clerk,
                &store::sites::NewSite { name: "Site de Sosso Koira".into(), commune: "ML070101".into(), kind: None },
            )
            .unwrap();
        assert_eq!(site.code, "ML070101S001", "{}", t.backend);
        let second = store
            .create_site(
                &clerk,
                &store::sites::NewSite {
                    name: "Centre collectif".into(),
                    commune: "ML070101".into(),
                    kind: Some("collective_centre".into()),
                },
            )
            .unwrap();
        assert_eq!(second.code, "ML070101S002");
        assert!(matches!(
            store.create_site(&clerk, &store::sites::NewSite { name: "x".into(), commune: "ML07".into(), kind: None }),
            Err(store::StoreError::Invalid(_))
        ));
        // Displaced onto the site; another household in the same commune, not on a site.
        let mut on_site = household("HH-SITE");
        on_site.movements = vec![domain::registry::MovementInput {
            from: Some("ML060101".into()),
            ..movement("displacement", "2023-06-10", &site.code)
        }];
        store.register_household(&clerk, &on_site.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let mut off_site = household("HH-TOWN");
        off_site.members.truncate(1);
        off_site.movements.truncate(1);
        store.register_household(&clerk, &off_site.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let by_site = store.stock_figures(&clerk, "2023-12-31", 4, Some("IDP")).unwrap();
        let count = |report: &store::figures::StockReport, place: &str| {
            report.stock.cells.iter().filter(|c| c.place == place).map(|c| c.individuals).sum::<u64>()
        };
        assert_eq!(count(&by_site, "ML070101S001"), 2, "{}", t.backend);
        assert_eq!(count(&by_site, domain::figures::NO_SITE), 1);
        let households_at =
            |place: &str| by_site.stock.households.iter().find(|h| h.place == place).map(|h| h.households);
        assert_eq!((households_at("ML070101S001"), households_at(domain::figures::NO_SITE)), (Some(1), Some(1)));
        // At the commune level the site is part of its commune.
        let by_commune = store.stock_figures(&clerk, "2023-12-31", 3, Some("IDP")).unwrap();
        assert_eq!(count(&by_commune, "ML070101"), 3);
        let table = exchange::figures::stock_table(&by_site, &store.gazetteer);
        assert!(table.tags.contains(&"#loc+code".to_string()));
        let row = table.rows.iter().find(|r| r.contains(&"ML070101S001".to_string())).unwrap();
        assert!(row.contains(&"Site de Sosso Koira".to_string()) && row.contains(&"ML07".to_string()));
        // A location filter on the commune finds the household on the site.
        let filter = store::registry::HouseholdFilter { location: Some("ML070101".into()), ..Default::default() };
        assert_eq!(store.list_households(&clerk, &filter).unwrap().total, 2, "{}", t.backend);
    }
}

#[test]
fn a_busy_registry_serves_the_previous_figures_marked_stale_until_the_new_ones_are_counted() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let total = |r: &store::figures::StockReport| r.stock.cells.iter().map(|c| c.individuals).sum::<u64>();
        store
            .register_household(&clerk, &household("HH-A").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let before = store.stock_figures(&clerk, "2023-12-31", 1, None).unwrap();
        assert!(!before.stale);
        store.set_stale_figures_after(Some(std::time::Duration::ZERO));
        store
            .register_household(&clerk, &household("HH-B").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let started = std::time::Instant::now();
        loop {
            let report = store.stock_figures(&clerk, "2023-12-31", 1, None).unwrap();
            if !report.stale {
                assert_eq!(total(&report), 2 * total(&before), "{}", t.backend);
                break;
            }
            assert_eq!(total(&report), total(&before), "stale figures are the previous version's");
            assert!(started.elapsed() < std::time::Duration::from_secs(30), "the new figures never came");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        store.set_stale_figures_after(None);
    }
}

#[test]
fn figures_of_several_scopes_stay_cached_and_a_snapshot_is_one_version() {
    for t in stores() {
        let store = &t.store;
        let (nrc, iom) = (registrar(store), other_registrar(store));
        let household = household("HH-S1").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.register_household(&nrc, &household).unwrap();
        let first = store.figures_snapshot(&nrc).unwrap();
        // Users of two organisations alternating: neither recomputes the other's figures away.
        let other = store.figures_snapshot(&iom).unwrap();
        assert!(!other.same_computation(&first));
        assert!(store.figures_snapshot(&nrc).unwrap().same_computation(&first), "{}", t.backend);
        assert!(store.figures_snapshot(&iom).unwrap().same_computation(&other), "{}", t.backend);
        // A write makes new figures; the snapshot taken before keeps answering its version.
        let before = first.stock("2024-06-01", 1, Some("IDP")).unwrap();
        let household = crate::support::household("HH-S2").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.register_household(&nrc, &household).unwrap();
        let after = store.figures_snapshot(&nrc).unwrap();
        assert!(after.version > first.version && !after.same_computation(&first));
        let count = |r: &store::figures::StockReport| r.stock.cells.iter().map(|c| c.individuals).sum::<u64>();
        assert_eq!(count(&first.stock("2024-06-01", 1, Some("IDP")).unwrap()), count(&before));
        assert_eq!(count(&after.stock("2024-06-01", 1, Some("IDP")).unwrap()), 2 * count(&before), "{}", t.backend);
    }
}

#[test]
fn published_series_compare_like_for_like_national_by_round_versioned_and_2023_regions_refused() {
    use store::import::ImportError;
    use store::series::SeriesOptions;
    for t in stores() {
        let store = &t.store;
        let actor = registrar(store);
        // Published series are kept by information-management officers.
        let keeper = crate::plans::im_officer(store);
        let hh = household("HH-N1").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.register_household(&actor, &hh).unwrap();
        let import = |name: &str, csv: &str, options: &SeriesOptions| {
            store.import_series_file(&keeper, &meta(name), series_file(csv), options)
        };
        // A national year-end series: a year means its last day.
        let idmc =
            "Pays,Année,PDI\n#country+code,#date+year,#affected+idps+ind\nMLI,2022,\"412 000\"\nMLI,2023,391961\n";
        let stored = import("IDMC year-end", idmc, &Default::default()).unwrap().report.unwrap();
        assert_eq!(stored.version, Some(1), "{}", t.backend);
        let national = store.compare(&actor, "2024-06-30", 0, "IDP").unwrap();
        assert_eq!(national.rows.len(), 1, "{:?}", national.rows);
        let mali = &national.rows[0];
        let idmc_figure = &mali.series[0];
        assert_eq!((mali.place.as_str(), mali.registered.is_some()), ("ML", true));
        assert_eq!(
            (idmc_figure.individuals, idmc_figure.reference_date.as_deref(), idmc_figure.date_as_given.as_deref()),
            (Some(391961), Some("2023-12-31"), Some("2023"))
        );
        assert_eq!((idmc_figure.age_days, idmc_figure.stale), (Some(182), false));
        let end_of_2023 = store.compare(&actor, "2023-12-30", 0, "IDP").unwrap();
        assert_eq!(end_of_2023.rows[0].series[0].individuals, Some(412000), "2023's figure stands on 31 December");
        assert_eq!(end_of_2023.rows[0].registered, Some(2), "displaced in June 2023, counted since");
        let before = store.compare(&actor, "2023-01-01", 0, "IDP").unwrap();
        assert_eq!(before.rows[0].registered, None, "nobody displaced yet: not covered, not 0");
        assert_eq!(before.rows[0].series[0].coverage, None);
        // Rounds: the latest one only, never one place's round 1 beside another's round 2.
        let dtm = "Région,Date,Round,PDI\n#adm1+code,#date+reported,#round,#affected+idps+ind\n\
                   ML07,2024-01-31,1,100\nML05,2024-01-31,1,50\nML07,2024-04-30,2,120\n";
        import("DTM rounds", dtm, &Default::default()).unwrap().report.unwrap();
        let by_region = store.compare(&actor, "2024-06-30", 1, "IDP").unwrap();
        let figure = |c: &store::series::Comparison, place: &str, series: &str| {
            c.rows
                .iter()
                .find(|r| r.place == place)
                .and_then(|r| r.series.iter().find(|s| s.series == series).cloned())
                .unwrap_or_else(|| panic!("{place} {series}: {:?}", c.rows))
        };
        let gao = figure(&by_region, "ML07", "DTM rounds");
        assert_eq!((gao.individuals, gao.round.as_deref()), (Some(120), Some("2")));
        let mopti = by_region.rows.iter().find(|r| r.place == "ML05");
        assert!(mopti.is_none_or(|r| r.series.iter().all(|s| s.individuals.is_none())), "Mopti was not in round 2");
        assert_eq!(
            (by_region.coarser_rows_left_out, by_region.series_with_coarser_rows.clone()),
            (1, vec!["IDMC year-end".to_string()])
        );
        let earlier = store.compare(&actor, "2024-03-01", 1, "IDP").unwrap();
        assert_eq!(figure(&earlier, "ML05", "DTM rounds").individuals, Some(50));
        let mopti = earlier.rows.iter().find(|r| r.place == "ML05").unwrap();
        assert_eq!((mopti.registered, mopti.series[0].coverage), (None, None), "not covered is not 0");
        // A series two years old is shown, flagged.
        let old = store.compare(&actor, "2026-06-30", 1, "IDP").unwrap();
        assert!(figure(&old, "ML07", "DTM rounds").stale);
        // Replaced: a new version counts, the previous one kept; removed, it counts nowhere.
        let corrected = dtm.replace(",120\n", ",130\n");
        let taken = import("DTM rounds", &corrected, &Default::default());
        assert!(
            matches!(taken, Err(ImportError::Store(store::StoreError::Conflict(_)))),
            "a name once, unless replacing"
        );
        let replace = SeriesOptions { replace: true, ..Default::default() };
        let v2 = import("DTM rounds", &corrected, &replace).unwrap().report.unwrap();
        assert_eq!(v2.version, Some(2));
        let now = store.compare(&actor, "2024-06-30", 1, "IDP").unwrap();
        assert_eq!(figure(&now, "ML07", "DTM rounds").individuals, Some(130));
        let detail = store.series_detail("DTM rounds").unwrap();
        assert_eq!(
            detail.versions.iter().map(|v| (v.number, v.current)).collect::<Vec<_>>(),
            vec![(2, true), (1, false)]
        );
        assert_eq!(detail.figures.len(), 3);
        store.remove_series(&keeper, "DTM rounds").unwrap();
        assert!(matches!(store.remove_series(&keeper, "DTM rounds"), Err(store::StoreError::NotFound(_))));
        assert_eq!(store.list_series().unwrap().len(), 1);
        let without = store.compare(&actor, "2024-06-30", 1, "IDP").unwrap();
        assert!(without.rows.iter().all(|r| r.series.iter().all(|s| s.series != "DTM rounds")));
        let back = import("DTM rounds", dtm, &Default::default()).unwrap().report.unwrap();
        assert_eq!(back.version, Some(3), "a removed series' name comes back as its next version");
        // 2023 régions: no sourced composition, so never matched to the cercle of that name.
        let regions = "Région,Date,PDI\n#adm2+name,#date+reported,#affected+idps+ind\nBandiagara,2024-03-31,10\n";
        let refused = import("Régions 2023", regions, &Default::default()).unwrap().report.unwrap();
        assert_eq!(refused.series_id, None);
        assert!(
            refused.unmatched[0].expected.to_string().contains("both a 2021 cercle (Bandiagara (ML05"),
            "{}",
            refused.unmatched[0]
        );
        let as_regions = regions.replace("#adm2", "#adm1");
        let refused = import("Régions 2023", &as_regions, &Default::default()).unwrap().report.unwrap();
        assert!(
            refused.unmatched[0].expected.to_string().contains("no legal or OCHA source"),
            "{}",
            refused.unmatched[0]
        );
        // A sourced 2023 région is the 2021 cercles it is made of; in a table of 2023 régions,
        // Sikasso is the smaller région, and a région without a sourced composition is refused.
        let mut kolondieba = household("HH-B1");
        kolondieba.registration_point = "ML030301".into();
        kolondieba.origin = Some("ML060101".into());
        kolondieba.movements =
            vec![MovementInput { from: Some("ML060101".into()), ..movement("displacement", "2023-06-10", "ML030301") }];
        store.register_household(&actor, &kolondieba.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        let reform = "Région,Date,PDI\n#adm1+name,#date+reported,#affected+idps+ind\n\
                      Bougouni,2024-03-31,40\nKoutiala,2024-03-31,30\nSikasso,2024-03-31,20\nGao,2024-03-31,10\n";
        let stored = import("CMP régions 2023", reform, &Default::default()).unwrap().report.unwrap();
        assert!(stored.series_id.is_some(), "{:?}", stored.unmatched);
        let detail = store.series_detail("CMP régions 2023").unwrap();
        let codes: Vec<&str> = detail.figures.iter().map(|f| f.pcode.as_str()).collect();
        assert_eq!(codes, ["ML23-BOUGOUNI", "ML23-KOUTIALA", "ML23-SIKASSO", "ML07"]);
        let regions_2023 = store.compare(&actor, "2024-06-30", 1, "IDP").unwrap();
        let row = |place: &str| regions_2023.rows.iter().find(|r| r.place == place).unwrap().clone();
        let bougouni = row("ML23-BOUGOUNI");
        let cmp = bougouni.series.iter().find(|s| s.series == "CMP régions 2023").unwrap();
        assert_eq!(
            (bougouni.place_name.as_str(), bougouni.registered, cmp.individuals, cmp.coverage),
            ("Bougouni (2023)", Some(2), Some(40), Some(0.05)),
            "the registry's two people of Kolondiéba count in Bougouni"
        );
        assert_eq!(row("ML23-SIKASSO").registered, None, "nobody registered in Sikasso's 2023 extent");
        assert_eq!(row("ML03").registered, Some(2), "the 2021 région still counts them");
        // A viewer (a donor) sees no count under the threshold: not Kolondiéba's two, nor the
        // 2023 région that holds them, nor the 2021 région they alone make up.
        let viewer = store::Actor { role: domain::Role::Viewer, ..store::Actor::system() };
        let donor = store.compare(&viewer, "2024-06-30", 1, "IDP").unwrap();
        for place in ["ML23-BOUGOUNI", "ML03"] {
            let row = donor.rows.iter().find(|r| r.place == place).unwrap();
            assert_eq!((row.registered, row.registered_hidden), (None, true), "{place}");
            assert!(row.series.iter().all(|s| s.coverage.is_none()), "no coverage gives it back");
        }
        let cercles = store.compare(&actor, "2024-06-30", 2, "IDP").unwrap();
        assert!(cercles.rows.iter().all(|r| !r.place.starts_with("ML23-")));
        assert!(cercles.series_with_coarser_rows.contains(&"CMP régions 2023".to_string()));
        for (name, expected) in [("Kita", "no legal or OCHA source"), ("Kayes", "the 2021 région less Nioro, Kita")] {
            let csv = format!("Région,Date,PDI\n#adm1+name,#date+reported,#affected+idps+ind\nNioro,2024-03-31,5\n{name},2024-03-31,7\n");
            let refused = import("Refused", &csv, &Default::default()).unwrap().report.unwrap();
            assert_eq!(refused.series_id, None);
            assert_eq!((refused.unmatched.len(), refused.people_skipped), (1, 7));
            assert!(refused.unmatched[0].expected.to_string().contains(expected), "{}", refused.unmatched[0]);
        }
        let within = "Région,Cercle,Date,PDI\n#adm1+name,#adm2+name,#date+reported,#affected+idps+ind\nBougouni,Kolondiéba,2024-03-31,12\n";
        let stored = import("Cercles of Bougouni", within, &Default::default()).unwrap().report.unwrap();
        assert!(stored.series_id.is_some(), "{:?}", stored.unmatched);
        assert_eq!(store.series_detail("Cercles of Bougouni").unwrap().figures[0].pcode, "ML0303");
        // Like for like: the IDPs of HH-N1 returned to Tombouctou on 1 March 2024 count as
        // returned IDPs (RDP), not as IDPs, in every comparison.
        let returned = store.compare(&actor, "2024-06-30", 1, "RDP").unwrap();
        let tombouctou = returned.rows.iter().find(|r| r.place == "ML06").unwrap();
        assert_eq!(tombouctou.registered, Some(2));
        let idps = store.compare(&actor, "2024-06-30", 1, "IDP").unwrap();
        let tombouctou = idps.rows.iter().find(|r| r.place == "ML06");
        assert!(tombouctou.is_none_or(|r| r.registered == Some(0)), "{tombouctou:?}");
        // The population of concern: IDPs and returned IDPs apart, each beside its series.
        let concern = store.population_of_concern(&actor, "2024-06-30", 0).unwrap();
        let national = |group: &str| {
            let g = concern.groups.iter().find(|g| g.population_group == group).unwrap();
            (g.rows[0].registered, g.rows[0].series.iter().filter_map(|s| s.individuals).collect::<Vec<_>>())
        };
        assert_eq!(national("IDP").0, Some(2), "Kolondiéba's two, not the returned");
        assert!(national("IDP").1.contains(&391961), "IDMC's 2023 figure beside them");
        assert_eq!(national("RDP"), (Some(2), vec![]));
        assert!(concern.groups.iter().all(|g| g.population_group != "REF"), "no refugee anywhere: left out");
        let tables = exchange::figures::concern_tables(&concern);
        assert_eq!(tables[0].tags[3..], ["#affected+idps+ind+registered", "#affected+returnees+idps+ind+registered"]);
        assert_eq!(tables[0].rows, vec![vec!["2024-06-30", "ML", "Mali (le)", "2", "2"]]);
        let cercle = "Région,Cercle,Date,PDI\n#adm1+name,#adm2+name,#date+reported,#affected+idps+ind\nMopti,Bandiagara,03/2024,10\n";
        let stored = import("Cercle de Bandiagara", cercle, &Default::default()).unwrap().report.unwrap();
        assert!(stored.series_id.is_some(), "the cercle, with its 2021 région");
        let detail = store.series_detail("Cercle de Bandiagara").unwrap();
        assert_eq!(
            (detail.figures[0].reference_date.as_str(), detail.figures[0].date_precision.as_str()),
            ("2024-03-31", "month")
        );
        // A mistyped tag is named, nothing stored.
        let typo = "Cercle,Date,PDI,Femmes\n#adm2+code,#date+reported,#affected+idps+ind,#affected+idps+female\nML0701,2024-03-31,10,6\n";
        let read = import("Typo", typo, &Default::default()).unwrap();
        assert_eq!(
            read.errors[0].expected,
            domain::Message::HxlUnknownTag { written: "+female".into(), suggestion: "+f".into() }
        );
        assert!(read.report.is_none());
    }
}

/// Every figure a page may ask for, as JSON: stock at a few dates and levels, flows over a
/// few periods.
fn every_figure(store: &Store, actor: &store::Actor) -> String {
    let snapshot = store.figures_snapshot(actor).unwrap();
    assert!(!snapshot.stale);
    let mut all = Vec::new();
    for level in 1..=4 {
        for as_of in ["2019-12-31", "2022-06-30", "2024-06-30"] {
            let report = snapshot.stock(as_of, level, None).unwrap();
            all.push(serde_json::to_value((&report.stock, report.idp_households_without_displacement)).unwrap());
        }
        for (from, to) in [("2018-12-31", "2024-06-30"), ("2023-12-31", "2024-03-31")] {
            all.push(serde_json::to_value(&snapshot.flows(from, to, level, None).unwrap().flows).unwrap());
        }
    }
    all.push(serde_json::to_value(snapshot.latest_event_date()).unwrap());
    serde_json::to_string(&all).unwrap()
}

#[test]
fn figures_kept_current_write_by_write_are_the_figures_counted_afresh() {
    use domain::registry::MovementInput;
    use store::duplicates::Decision;
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let system = store::Actor::system();
        let mut rng = synthetic::Rng::new(17);
        let mut pending = synthetic::generate(23, 60, &places()).into_iter();
        let mut households: Vec<String> = Vec::new();
        let places = ["ML070101", "ML060101", "ML090101", "ML050101", "ML070201"];
        for step in 0..90 {
            // Figures asked between writes, so each write is caught up from the one before.
            if step % 3 == 0 {
                store.figures_snapshot(&clerk).unwrap();
                store.figures_snapshot(&system).unwrap();
            }
            let household = households.get(rng.below(households.len().max(1))).cloned();
            let today = store.today();
            match (rng.below(8), household) {
                (0 | 1, _) | (_, None) => {
                    if let Some(next) = pending.next() {
                        households.push(store.register_household(&clerk, &next.household).unwrap().household.id);
                    }
                }
                (2, Some(id)) => {
                    let kind = *rng.pick::<&str>(&["secondary_displacement", "return", "displacement"]);
                    let to = *rng.pick::<&str>(&places);
                    let date = format!("20{}-0{}-1{}", 19 + rng.below(6), 1 + rng.below(9), rng.below(10));
                    let input = MovementInput { from: None, ..movement(kind, &date, to) };
                    // A movement the timeline refuses changes nothing.
                    let _ = store.record_movement(
                        &clerk,
                        &id,
                        None,
                        &input.parse(store.gazetteer.as_ref(), today).unwrap(),
                    );
                }
                (3, Some(id)) => {
                    let detail = store.household_detail(&clerk, &id).unwrap();
                    if let Some(m) = detail.movements.iter().filter(|m| !m.voided).nth(rng.below(3)) {
                        let _ = store.void_movement(&clerk, &m.id, "entered twice");
                    }
                }
                (4, Some(id)) => {
                    let decision = SolutionInput {
                        decided_on: format!("202{}-0{}-15", 2 + rng.below(3), 1 + rng.below(9)),
                        basis: "IASC criteria assessed".into(),
                        decided_by: "Commune durable solutions committee".into(),
                    };
                    let _ = store.record_solution(&clerk, &id, None, &decision);
                }
                (5, Some(id)) => {
                    let detail = store.household_detail(&clerk, &id).unwrap();
                    let person = &detail.members[rng.below(detail.members.len())].person;
                    let mut input = member("PX", "Aïssata", "other_relative", &format!("19{}", 50 + rng.below(49)));
                    input.sex = Some(rng.pick(&["f", "m"][..]).to_string());
                    input.external_id = person.external_id.clone();
                    let _ = store.update_person(
                        &clerk,
                        &person.id,
                        &input.parse(store.gazetteer.as_ref(), today).unwrap(),
                        "seen",
                    );
                }
                (6, Some(id)) => {
                    let input = member(&format!("N{step}"), "Kadidia", "child", &format!("20{}", 10 + rng.below(14)));
                    store
                        .add_member(&clerk, &id, &input.parse(store.gazetteer.as_ref(), today).unwrap(), "born")
                        .unwrap();
                }
                (_, Some(id)) => {
                    // Two records of one person merged, and sometimes the merge undone.
                    let other = households[rng.below(households.len())].clone();
                    let (a, b) =
                        (store.household_detail(&clerk, &id).unwrap(), store.household_detail(&clerk, &other).unwrap());
                    let (a, b) = (&a.members[0].person.id, &b.members[b.members.len() - 1].person.id);
                    if a != b && store.queue_duplicate(&clerk, a, b, 0.9).is_ok() {
                        for pair in store.duplicate_pairs(&clerk, Some("pending"), 50).unwrap() {
                            let _ = store.decide_duplicate(&clerk, &pair.id, Decision::Accept, "same card");
                            if rng.chance(0.3) {
                                let _ = store.decide_duplicate(&clerk, &pair.id, Decision::Undo, "wrong card");
                            }
                        }
                    }
                }
            }
        }
        let kept = (every_figure(store, &clerk), every_figure(store, &system));
        store.recount_figures();
        let counted = (every_figure(store, &clerk), every_figure(store, &system));
        assert!(kept.0 == counted.0, "{}: the registrar's figures kept current differ from a full count", t.backend);
        assert!(kept.1 == counted.1, "{}: all figures kept current differ from a full count", t.backend);

        // Who may see what changes: the figures of the organisation given access count again.
        let iom = other_registrar(store);
        let alone = every_figure(store, &iom);
        store.set_agreement(&system, "NRC", "IOM", "aggregates").unwrap();
        let shared = every_figure(store, &iom);
        assert!(alone != shared, "{}: shared households must reach IOM's figures", t.backend);
        store.recount_figures();
        assert!(shared == every_figure(store, &iom), "{}", t.backend);
    }
}
