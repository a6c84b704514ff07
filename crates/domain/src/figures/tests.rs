//! Tests of the IRIS accounting, of the index against a direct count, and of disclosure control.

use super::*;

mod accounting {
    #[test]
    fn small_cells_are_suppressed_with_a_partner_and_small_places_whole() {
        let cell = |place: &str, sex: &str, band: &str, n: u64| StockCell {
            population_group: "IDP".into(),
            place: place.into(),
            sex: sex.into(),
            age_band: band.into(),
            individuals: n,
            suppressed: false,
        };
        let household = |place: &str, h: u64, n: u64| HouseholdCell {
            population_group: "IDP".into(),
            place: place.into(),
            households: h,
            individuals: n,
            suppressed: false,
        };
        let mut stock = Stock {
            cells: vec![
                cell("ML07", "f", "0-4", 2),
                cell("ML07", "f", "18-59", 40),
                cell("ML07", "m", "0-4", 12),
                cell("ML07", "m", "18-59", 30),
                cell("ML06", "f", "18-59", 3),
                cell("ML06", "m", "18-59", 1),
                cell("ML09", "f", "18-59", 25),
                cell("ML09", "m", "18-59", 25),
            ],
            households: vec![household("ML07", 20, 84), household("ML06", 2, 4), household("ML09", 10, 50)],
        };
        suppress_stock(std::slice::from_mut(&mut stock), 5);
        let hidden: Vec<(&str, &str, &str)> = stock
            .cells
            .iter()
            .filter(|c| c.suppressed)
            .map(|c| (c.place.as_str(), c.sex.as_str(), c.age_band.as_str()))
            .collect();
        // The 2 and, as its partner, the smallest other cell (12); all of the place of 4.
        assert_eq!(
            hidden,
            vec![("ML07", "f", "0-4"), ("ML07", "m", "0-4"), ("ML06", "f", "18-59"), ("ML06", "m", "18-59")]
        );
        assert!(stock.cells.iter().filter(|c| c.suppressed).all(|c| c.individuals == 0));
        // ML06's total alone hidden, the country's total minus the others would give it back:
        // ML07's goes with it (its cells already hide part of it), ML09's stays.
        assert_eq!(stock.households.iter().map(|h| h.suppressed).collect::<Vec<_>>(), vec![true, true, false]);
        assert_eq!(stock.households[2].individuals, 50, "large totals stay");
        assert!(stock.cells.iter().filter(|c| c.place == "ML09").all(|c| !c.suppressed));
        let json = serde_json::to_string(&stock.cells[1]).unwrap();
        assert!(!json.contains("suppressed"), "published cells carry no flag: {json}");
    }

    use super::*;
    use MovementKind::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ev(kind: MovementKind, date: &str, to: Option<&str>, seq: i64) -> Event {
        Event { id: format!("e{seq}"), kind, date: day(date), from: None, to: to.map(Into::into), seq, own: false }
    }

    fn household(events: Vec<Event>, decisions: Vec<&str>, members: usize) -> HouseholdFacts {
        HouseholdFacts {
            population_group: IDP.into(),
            registration_date: day("2024-01-01"),
            registered_location: Some("ML060101".into()),
            events,
            decisions: decisions.into_iter().map(day).collect(),
            members: (0..members)
                .map(|i| MemberFacts {
                    sex: Some(if i % 2 == 0 { Sex::Female } else { Sex::Male }),
                    birth_date: Some(day("1990-05-01")),
                    ..Default::default()
                })
                .collect(),
        }
    }

    #[test]
    fn a_return_is_not_an_exit_but_a_decision_is() {
        let h = household(
            vec![ev(Displacement, "2022-01-10", Some("ML070101"), 1), ev(Return, "2023-01-10", Some("ML060101"), 2)],
            vec!["2024-03-01"],
            3,
        );
        let all = [h];
        let c = compute(&all);
        let at = |d: &str| {
            stock(&c, day(d), 1, None).cells.iter().map(|c| (c.place.clone(), c.individuals)).fold(
                BTreeMap::new(),
                |mut m, (p, n)| {
                    *m.entry(p).or_insert(0) += n;
                    m
                },
            )
        };
        assert_eq!(at("2021-12-31"), BTreeMap::new());
        assert_eq!(at("2022-06-01"), BTreeMap::from([("ML07".to_string(), 3)]));
        assert_eq!(at("2023-06-01"), BTreeMap::from([("ML06".to_string(), 3)]), "returned IDPs stay in the stock");
        assert_eq!(at("2024-03-01"), BTreeMap::new(), "the decision takes them out");
        let f = flows(&c, day("2021-12-31"), day("2024-12-31"), 1, None);
        let account = &f.accounts[0];
        assert_eq!((account.stock_start, account.inflows, account.outflows, account.stock_end), (0, 3, 3, 0));
        assert_eq!(account.outflows_by_kind["solution"], 3);
        assert!(f.matrix.iter().any(|m| m.kind == FlowKind::Return
            && m.origin == "ML07"
            && m.destination == "ML06"
            && m.individuals == 3));
    }

    #[test]
    fn births_to_displaced_households_enter_the_stock_and_deaths_leave_it() {
        let mut h = household(vec![ev(Displacement, "2022-01-10", Some("ML070101"), 1)], vec![], 2);
        h.members.push(MemberFacts {
            sex: Some(Sex::Female),
            birth_date: Some(day("2023-02-01")),
            events: vec![ev(Birth, "2023-02-01", None, 2)],
            decisions: vec![],
        });
        h.members[0].events.push(ev(Death, "2023-06-01", None, 3));
        let all = [h];
        let c = compute(&all);
        let f = flows(&c, day("2023-01-01"), day("2023-12-31"), 2, None);
        let account = &f.accounts[0];
        assert_eq!((account.stock_start, account.stock_end), (2, 2));
        assert_eq!(account.inflows_by_kind["birth"], 1);
        assert_eq!(account.outflows_by_kind["death"], 1);
        let s = stock(&c, day("2023-03-01"), 3, None);
        assert!(s.cells.iter().any(|c| c.age_band == "0-4" && c.individuals == 1 && c.place == "ML070101"));
        assert_eq!(
            s.households,
            vec![HouseholdCell {
                population_group: "IDP".into(),
                place: "ML070101".into(),
                households: 1,
                individuals: 3,
                suppressed: false,
            }]
        );
    }

    #[test]
    fn other_groups_count_from_registration_until_departure() {
        let mut h = household(vec![ev(DepartureAbroad, "2024-05-01", None, 1)], vec![], 2);
        h.population_group = "REF".into();
        let all = [h];
        let c = compute(&all);
        assert_eq!(stock(&c, day("2023-12-31"), 1, None).cells.len(), 0);
        assert_eq!(stock(&c, day("2024-02-01"), 1, None).cells.iter().map(|c| c.individuals).sum::<u64>(), 2);
        assert_eq!(stock(&c, day("2024-05-01"), 1, None).cells.len(), 0);
    }

    #[test]
    fn age_bands_follow_birthdays() {
        let birth = Some(day("2010-06-15"));
        assert_eq!(age_band(birth, day("2022-06-14")), "5-11");
        assert_eq!(age_band(birth, day("2022-06-15")), "12-17");
        assert_eq!(age_band(None, day("2022-06-15")), "unknown");
        assert_eq!(place_at_level(Some("ML070101"), 2), "ML0701");
        assert_eq!(place_at_level(Some("ML07"), 3), "ML07");
        assert_eq!(place_at_level(Some("ML070101S002"), 3), "ML070101");
        assert_eq!(place_at_level(Some("ML070101S002"), 4), "ML070101S002");
        assert_eq!(place_at_level(Some("ML070101"), 4), NO_SITE);
    }
}

mod identity {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [MovementKind; 8] = [
        MovementKind::Displacement,
        MovementKind::SecondaryDisplacement,
        MovementKind::PendularVisit,
        MovementKind::Return,
        MovementKind::LocalIntegration,
        MovementKind::SettlementElsewhere,
        MovementKind::DepartureAbroad,
        MovementKind::ArrivalFromAbroad,
    ];

    pub(super) fn history() -> impl Strategy<Value = HouseholdFacts> {
        let event = (0usize..KINDS.len(), 0i64..3000, 0usize..4, proptest::option::of(0usize..3));
        let member = (
            proptest::option::of(0i64..20000),
            proptest::collection::vec((0usize..KINDS.len() + 2, 0i64..3000), 0..3),
            proptest::collection::vec(0i64..3000, 0..2),
        );
        (
            prop_oneof![Just("IDP"), Just("REF")],
            proptest::collection::vec(event, 0..12),
            proptest::collection::vec(0i64..3000, 0..2),
            proptest::collection::vec(member, 1..5),
            0i64..3000,
        )
            .prop_map(|(group, events, decisions, members, registered)| {
                let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
                // Two sites among the places, so counts by site are checked too.
                let places = ["ML070101", "ML060101S001", "ML090101", "ML070101S002"];
                let at = |d: i64| base + chrono::Duration::days(d);
                HouseholdFacts {
                    population_group: group.into(),
                    registration_date: at(registered),
                    registered_location: Some(places[0].into()),
                    events: events
                        .into_iter()
                        .enumerate()
                        .map(|(i, (k, d, p, from))| Event {
                            id: format!("h{i}"),
                            kind: KINDS[k],
                            date: at(d),
                            from: from.map(|f| places[f].into()),
                            to: Some(places[p].into()),
                            seq: i as i64,
                            own: false,
                        })
                        .collect(),
                    decisions: decisions.into_iter().map(at).collect(),
                    members: members
                        .into_iter()
                        .enumerate()
                        .map(|(m, (birth, own, decided))| MemberFacts {
                            sex: Some(Sex::Female),
                            birth_date: birth
                                .map(|b| NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(b)),
                            events: own
                                .into_iter()
                                .enumerate()
                                .map(|(i, (k, d))| {
                                    let kind = match k {
                                        k if k < KINDS.len() => KINDS[k],
                                        k if k == KINDS.len() => MovementKind::Death,
                                        _ => MovementKind::Birth,
                                    };
                                    Event {
                                        id: format!("p{m}-{i}"),
                                        kind,
                                        date: at(d),
                                        from: None,
                                        to: Some(places[i % 4].into()),
                                        seq: 100 + i as i64,
                                        own: true,
                                    }
                                })
                                .collect(),
                            decisions: decided.into_iter().map(at).collect(),
                        })
                        .collect(),
                }
            })
    }

    proptest! {
        // Any history, however inconsistent, keeps the books balanced: the stock at the end
        // of a period is the stock at its start plus the inflows less the outflows, overall
        // and for every group.
        #[test]
        fn stock_end_is_stock_start_plus_inflows_minus_outflows(
            households in proptest::collection::vec(history(), 1..8),
            start in 0i64..3000,
            length in 0i64..1500,
        ) {
            let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
            let from = base + chrono::Duration::days(start);
            let to = from + chrono::Duration::days(length);
            let computed = compute(&households);
            let report = flows(&computed, from, to, 1, None);
            for account in &report.accounts {
                prop_assert_eq!(account.stock_start + account.inflows, account.stock_end + account.outflows, "{:?}", account);
                let by_stock = stock(&computed, to, 3, Some(&account.population_group)).cells.iter().map(|c| c.individuals).sum::<u64>();
                prop_assert_eq!(by_stock, account.stock_end);
            }
            for h in &computed {
                for s in &h.spells {
                    prop_assert!(s.end.is_none_or(|e| s.start < e), "empty or reversed spell {:?}", s);
                }
            }
        }
    }
}

mod index_agrees {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // The index answers exactly what the plain scans answer, for any date and level.
        #[test]
        fn index_and_scan_agree(households in proptest::collection::vec(super::identity::history(), 1..8), day in 0i64..3500, length in 0i64..800, level in 1u8..=4) {
            let computed = compute(&households);
            let index = FigureIndex::build(computed.clone());
            let date = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Duration::days(day);
            prop_assert_eq!(index.stock(date, level, None), stock(&computed, date, level, None));
            prop_assert_eq!(index.stock(date, level, Some("IDP")), stock(&computed, date, level, Some("IDP")));
            let to = date + chrono::Duration::days(length);
            prop_assert_eq!(index.flows(date, to, level, None), flows(&computed, date, to, level, None));
        }

        // An index kept current change by change answers what one built afresh answers, and
        // what the scans answer, after any sequence of registrations, edits and removals; an
        // earlier snapshot is left as it was.
        #[test]
        fn an_index_updated_change_by_change_is_the_index_built_afresh(
            first in proptest::collection::vec(super::identity::history(), 0..6),
            changes in proptest::collection::vec((0u32..9, proptest::option::weighted(0.8, super::identity::history())), 1..12),
            day in 0i64..3500,
            length in 0i64..800,
            level in 1u8..=4,
        ) {
            let date = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Duration::days(day);
            let to = date + chrono::Duration::days(length);
            let mut standing: BTreeMap<u32, HouseholdFacts> = first.into_iter().enumerate().map(|(i, h)| (i as u32, h)).collect();
            let computed_of = |standing: &BTreeMap<u32, HouseholdFacts>| -> Vec<ComputedHousehold> {
                standing.iter().map(|(n, facts)| compute_one(*n as usize, facts)).collect()
            };
            let mut index = FigureIndex::build(computed_of(&standing));
            let before = index.clone();
            let stock_before = before.stock(date, level, None);
            for batch in changes.chunks(3) {
                let mut step = Vec::new();
                for (number, facts) in batch {
                    match facts {
                        Some(facts) => { standing.insert(*number, facts.clone()); }
                        None => { standing.remove(number); }
                    }
                    step.push((*number, facts.as_ref().map(|f| compute_one(*number as usize, f))));
                }
                index = index.update(step);
            }
            let computed = computed_of(&standing);
            let fresh = FigureIndex::build(computed.clone());
            for group in [None, Some("IDP")] {
                prop_assert_eq!(index.stock(date, level, group), fresh.stock(date, level, group));
                prop_assert_eq!(index.stock(date, level, group), stock(&computed, date, level, group));
            }
            prop_assert_eq!(index.flows(date, to, level, None), flows(&computed, date, to, level, None));
            prop_assert_eq!(index.flows(date, to, level, Some("IDP")), fresh.flows(date, to, level, Some("IDP")));
            prop_assert_eq!(index.latest_event(), fresh.latest_event());
            prop_assert_eq!(index.idp_without_displacement(), fresh.idp_without_displacement());
            prop_assert_eq!(index.household_count(), standing.len() as u64);
            prop_assert_eq!(before.stock(date, level, None), stock_before);
        }
    }
}

mod disclosure {
    use super::*;

    fn account(inflows: &[(&str, u64)], outflows: &[(&str, u64)], start: u64) -> StockAndFlow {
        let inflows_by_kind: BTreeMap<String, u64> = inflows.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        let outflows_by_kind: BTreeMap<String, u64> = outflows.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        let (i, o): (u64, u64) = (inflows_by_kind.values().sum(), outflows_by_kind.values().sum());
        StockAndFlow {
            population_group: "IDP".into(),
            stock_start: start,
            inflows: i,
            outflows: o,
            stock_end: start + i - o,
            inflows_by_kind,
            outflows_by_kind,
            hidden: Default::default(),
        }
    }

    /// What a reader sees of an account: the published numbers, `None` where hidden.
    fn recoverable(a: &StockAndFlow) -> bool {
        // One equation holds between the published numbers: end = start + Σin − Σout. A hidden
        // entry is recovered when it is the only unknown in it.
        let unknowns = a.hidden.len();
        unknowns == 1
    }

    #[test]
    fn an_account_never_gives_back_a_hidden_count() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        for (inflows, outflows) in [
            (vec![("birth", 3), ("displacement", 120)], vec![("solution", 40)]),
            (vec![("birth", 3)], vec![]),
            (vec![("birth", 2), ("displacement", 4)], vec![("death", 1)]),
            (vec![("displacement", 90)], vec![("death", 2), ("solution", 60)]),
        ] {
            let mut flows = Flows {
                from: day,
                to: day,
                counts: Vec::new(),
                matrix: Vec::new(),
                accounts: vec![account(&inflows, &outflows, 5_000)],
            };
            suppress_flows(std::slice::from_mut(&mut flows), 5);
            let a = &flows.accounts[0];
            assert!(!recoverable(a), "{:?}", a.hidden);
            let small: Vec<String> = inflows
                .iter()
                .map(|(k, n)| (format!("inflows.{k}"), *n))
                .chain(outflows.iter().map(|(k, n)| (format!("outflows.{k}"), *n)))
                .filter(|(_, n)| *n < 5)
                .map(|(k, _)| k)
                .collect();
            for key in &small {
                assert!(a.is_hidden(key), "{key} shown");
                assert!(a.is_hidden("inflows") && a.is_hidden("outflows"), "totals would give {key} back");
            }
            if small.is_empty() {
                assert!(a.hidden.is_empty());
            }
        }
    }

    /// A period's flows with one count by kind and one group's account.
    fn one_count(kind: FlowKind, individuals: u64, households: u64, account: StockAndFlow) -> Flows {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        Flows {
            from: day,
            to: day,
            counts: vec![FlowCount {
                population_group: "IDP".into(),
                kind,
                individuals,
                households,
                suppressed: false,
            }],
            matrix: Vec::new(),
            accounts: vec![account],
        }
    }

    /// With a stock of 3 at the start, 300 arrivals and 300 at the end tell it: a group this
    /// small at either end has no account, and its kinds are hidden in the counts too.
    #[test]
    fn a_group_small_at_either_end_of_the_period_has_no_account() {
        let mut flows = one_count(FlowKind::Displacement, 300, 60, account(&[("displacement", 300)], &[], 3));
        suppress_flows(std::slice::from_mut(&mut flows), 5);
        let a = &flows.accounts[0];
        for field in ["stock_start", "stock_end", "inflows", "outflows", "inflows.displacement"] {
            assert!(a.is_hidden(field), "{field} shown: {a:?}");
        }
        assert!(flows.counts[0].suppressed);
    }

    #[test]
    fn a_count_hidden_in_one_table_is_hidden_in_the_other() {
        let mut flows = one_count(
            FlowKind::Birth,
            3,
            3,
            account(&[("birth", 3), ("displacement", 300)], &[("solution", 50)], 9_000),
        );
        suppress_flows(std::slice::from_mut(&mut flows), 5);
        assert!(flows.counts[0].suppressed);
        assert_eq!(flows.accounts[0].inflows_by_kind["birth"], 0);
    }
}
