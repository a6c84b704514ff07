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
        assert!(matches!(store.stock_figures(&actor, "2024-01-01", 4, None), Err(store::StoreError::Invalid(_))));
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

fn load_synthetic(store: &Store, count: usize) {
    let actor = registrar(store);
    let items: Vec<ImportItem> = synthetic::generate(5, count, &places())
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
