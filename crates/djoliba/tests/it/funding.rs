//! The 4W (counted from deliveries, reported by partners, imported from 3W/5W sheets) and the
//! money (requirements, FTS-shaped flows, budgets, projects) joined to people reached. On both
//! databases.

use exchange::InputFile;
use store::assistance::PlanFilter;
use store::{Actor, Store};

use crate::assistance::{delivery, displaced, programme, round};
use crate::plans::{hrp, im_officer};
use crate::support::*;

fn sheet(name: &str, text: &str) -> InputFile {
    InputFile { name: name.into(), bytes: text.as_bytes().to_vec() }
}

/// Shelter kits delivered in June to two households of Gao (5 people).
fn kits_in_gao(store: &Store, clerk: &Actor) {
    displaced(store, clerk, "GAO-1", 3);
    displaced(store, clerk, "GAO-2", 2);
    let mut kits = programme("KITS-A", "shelter_kit", "household");
    kits.project = Some("MLI-24/SHL/001".into());
    let kits = store.create_programme(clerk, &kits).unwrap();
    let cycle = store.create_cycle(clerk, &kits.id, &round("Juin")).unwrap();
    let filter = PlanFilter { households: vec!["GAO-1".into(), "GAO-2".into()], ..Default::default() };
    store.plan_cycle(clerk, &cycle.id, &filter).unwrap();
    store.advance_cycle(clerk, &cycle.id, "approved").unwrap();
    store.advance_cycle(clerk, &cycle.id, "distributing").unwrap();
    for household in ["GAO-1", "GAO-2"] {
        store.record_delivery(clerk, &cycle.id, &delivery(household, "10 000")).unwrap();
    }
}

pub(crate) const FIVE_W: &str = "Organisation,Secteur,Activité,Région,Cercle,Mois,Groupe,Ciblés,Atteints,Femmes,Hommes\n\
     #org+acronym,#sector+cluster,#activity+name,#adm1+code,#adm2+code,#date+month,#beneficiary,#targeted,#reached+ind,#reached+ind+f,#reached+ind+m\n\
     AMSS,Eau hygiène et assainissement,Kits d'hygiène,ML07,ML0701,2024-05,IDP,\"1 200\",950,500,450\n\
     AMSS,WASH,Kits d'hygiène,ML07,ML0702,2024-05,PDI,300,250,,\n\
     IRC,Protection,Gestion de cas,ML06,,2024-06,,,120,,\n";

#[test]
fn the_4w_sets_deliveries_beside_partners_sheets_and_goes_out_and_back_in_hxl() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let im = im_officer(store);
        kits_in_gao(store, &clerk);

        // Bad rows: every cell named, nothing written.
        let bad = sheet(
            "5w.csv",
            "Organisation,Secteur,Activité,Cercle,Mois,Groupe,Atteints\n\
             #org,#sector,#activity,#adm2+code,#date,#beneficiary,#reached\n\
             AMSS,Plomberie,Kits,ML0701,2024-05,,10\n\
             AMSS,WASH,Kits,ML070101,2024-05,,10\n\
             AMSS,WASH,Kits,ML0701,2024-05,Nomades,10\n\
             AMSS,WASH,Kits,ML0702,2024-05,,10\n\
             AMSS,WSH,Kits,ML0702,2024-05,,12\n",
        );
        let refused = store.import_activity_file(&im, bad, false).unwrap();
        let named: Vec<(usize, &str)> = refused.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(named, [(3, "Secteur"), (4, "Cercle"), (5, "Groupe"), (7, "Organisation")], "{}", t.backend);
        assert!(store
            .who_what_where(&im, "2024-04-01", "2024-06-30", 2)
            .unwrap()
            .rows
            .iter()
            .all(|r| r.source != domain::ReachedBy::Imported));
        assert!(matches!(
            store.import_activity_file(&clerk, sheet("5w.csv", FIVE_W), false),
            Err(store::import::ImportError::Store(store::StoreError::Forbidden(_)))
        ));
        let first = store.import_activity_file(&im, sheet("5w.csv", FIVE_W), false).unwrap().report.unwrap();
        assert_eq!((first.added, first.changed), (3, 0));
        let again = store.import_activity_file(&im, sheet("5w.csv", FIVE_W), false).unwrap().report.unwrap();
        assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 3));

        let table = store.who_what_where(&im, "2024-04-01", "2024-06-30", 2).unwrap();
        let counted = table.rows.iter().find(|r| r.source == domain::ReachedBy::Counted).expect("counted row");
        assert_eq!(
            (counted.organisation.as_str(), counted.sector.as_str(), counted.activity.as_str(), counted.place.as_str()),
            ("NRC", "SHL", "shelter_kit", "ML0701"),
            "{}: {table:?}",
            t.backend
        );
        assert_eq!((counted.period.as_str(), counted.reached, counted.targeted), ("2024-06", Some(5.0), Some(5.0)));
        let wash: Vec<_> = table.rows.iter().filter(|r| r.sector == "WSH").collect();
        assert_eq!(wash.len(), 2, "one row per cercle at level 2");
        // At région level the two cercles of AMSS add up.
        let regions = store.who_what_where(&im, "2024-04-01", "2024-06-30", 1).unwrap();
        let wash = regions.rows.iter().find(|r| r.sector == "WSH").unwrap();
        assert_eq!((wash.place.as_str(), wash.reached, wash.targeted), ("ML07", Some(1200.0), Some(1500.0)));
        assert_eq!(regions.presence().get("ML07").unwrap(), &["AMSS".to_string(), "NRC".to_string()]);

        // The HXL export goes back in: a fresh store imports it as the same rows.
        let hxl = table.hxl_table(&store.gazetteer);
        let mut csv = format!("{}\n{}\n", hxl.headers.join(","), hxl.tags.join(","));
        for row in &hxl.rows {
            let quoted: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            csv.push_str(&(quoted.join(",") + "\n"));
        }
        let fresh = sqlite();
        let fresh_im = im_officer(&fresh.store);
        let back = fresh.store.import_activity_file(&fresh_im, sheet("4w.csv", &csv), false).unwrap();
        assert!(back.errors.is_empty(), "{:?}", back.errors);
        let round_trip = fresh.store.who_what_where(&fresh_im, "2024-04-01", "2024-06-30", 2).unwrap();
        let key = |r: &store::who_what_where::ActivityFigure| {
            (r.organisation.clone(), r.sector.clone(), r.activity.clone(), r.place.clone(), r.period.clone(), r.reached)
        };
        let mut before: Vec<_> = table.rows.iter().map(key).collect();
        let mut after: Vec<_> = round_trip.rows.iter().map(key).collect();
        before.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        after.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        assert_eq!(before, after);

        // A viewer: whole quarters only, counted rows as the reach page shows them.
        store.create_user(&Actor::system(), "bailleur", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
        let donor = store.verify_login("bailleur", "donor password 1").unwrap().unwrap();
        assert!(store.who_what_where(&donor, "2024-05-01", "2024-06-30", 2).is_err());
        let seen = store.who_what_where(&donor, "2024-04-01", "2024-06-30", 2).unwrap();
        let counted = seen.rows.iter().find(|r| r.source == domain::ReachedBy::Counted).unwrap();
        // Five people but two households: the reach page hides the row, and so does the 4W.
        assert_eq!((counted.reached, counted.reached_hidden), (None, true));
        assert_eq!(counted.period.as_str(), "2024-04-01/2024-06-30");
        assert!(seen.rows.iter().any(|r| r.source == domain::ReachedBy::Imported && r.reached == Some(950.0)));
        assert_eq!(seen.disclosure_threshold, Some(store::DEFAULT_DISCLOSURE_THRESHOLD));
    }
}

pub(crate) const REQUIREMENTS: &str = "countryCode,id,name,code,year,Cluster,Requirements,Funding,Percent Funded\n\
     #country+code,#activity+appeal+id+fts_internal,#activity+appeal+name,#activity+appeal+id+external,#date+year,#sector+cluster+name,#value+funding+required+usd,#value+funding+total+usd,#value+funding+pct\n\
     MLI,1181,Mali 2024,HRP-MLI-2024,2024,Emergency Shelter and NFI,\"2,000,000\",,\n\
     MLI,1181,Mali 2024,HRP-MLI-2024,2024,Education,1000000,,\n\
     MLI,1181,Mali 2024,HRP-MLI-2024,2024,Multi-sector,300000,,\n\
     MLI,1181,Mali 2024,HRP-MLI-2024,2024,Not specified,,-17722,\n";

pub(crate) const FLOWS: &str = "date,description,amountUSD,srcOrganization,destPlanCode,destOrganization,destGlobalClusters,shares,regions,destProjectCode,status,originalAmount,originalCurrency,exchangeRate,id,parent,budgetYear\n\
     #date,#description+notes,#value+funding+total+usd,#org+name+funder,#activity+appeal+id+external,#org+name+impl,#sector+cluster+name+list,#sector+cluster+pct+list,#adm1+code+list,#activity+project+code,#status+text,#value+funding+total,#value+funding+total+currency,#financial+fx,#activity+id+fts_internal,#activity+id+parent,#date+year+budget\n\
     2024-02-01,Kits abris Gao,,\"European Commission's Humanitarian Aid and Civil Protection Department\",HRP-MLI-2024,Norwegian Refugee Council,Emergency Shelter and NFI,,ML07,MLI-24/SHL/001,commitment,\"460 000\",EUR,0.92,F-1,,2024\n\
     2024-03-01,Premier versement,250000,\"European Commission's Humanitarian Aid and Civil Protection Department\",HRP-MLI-2024,Norwegian Refugee Council,Emergency Shelter and NFI,,ML07,MLI-24/SHL/001,paid,,,,F-2,F-1,2024\n\
     2024-03-10,Éducation et abris,400000,\"Norway, Government of\",HRP-MLI-2024,Norwegian Refugee Council,\"Education,Emergency Shelter and NFI\",\"75,25\",,,commitment,,USD,,F-3,,2024\n\
     2024-04-01,Annonce,1000000,\"Germany, Government of\",HRP-MLI-2024,,,,,,pledge,,,,F-4,,2024\n";

#[test]
fn money_is_imported_as_fts_shapes_it_and_joined_to_people_reached() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let im = im_officer(store);
        store.create_plan(&im, &hrp()).unwrap();
        kits_in_gao(store, &clerk);

        // Bad flows, each refused with its cell named; nothing written.
        let bad = FLOWS
            .replace("0.92,F-1", ",F-1")
            .replace("250000,\"European", "900000,\"European")
            .replace(
                "HRP-MLI-2024,Norwegian Refugee Council,\"Education",
                "HRP-MLI-2099,Norwegian Refugee Council,\"Education",
            )
            .replace("\"75,25\"", "\"75,20\"")
            .replace("1000000,\"Germany", "-5,\"Germany");
        let refused = store.import_funding_file(&im, sheet("fts.csv", &bad), false).unwrap();
        let named: Vec<(usize, &str)> = refused.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            named,
            [(3, "exchangeRate"), (5, "shares"), (6, "amountUSD")],
            "{}: {:?}",
            t.backend,
            refused.errors
        );
        let refused = store
            .import_funding_file(&im, sheet("fts.csv", &FLOWS.replace("250000,\"European", "900000,\"European")), false)
            .unwrap();
        assert_eq!(refused.errors.len(), 1, "{:?}", refused.errors);
        assert!(matches!(refused.errors[0].expected, domain::Message::PaidAboveCommitment { .. }));
        let refused = store
            .import_funding_file(
                &im,
                sheet("fts.csv", &FLOWS.replace(",commitment,,USD,,F-3,", ",commitment,,USD,,F-3,F-9")),
                false,
            )
            .unwrap();
        assert!(matches!(refused.errors[0].expected, domain::Message::ParentCommitment), "{:?}", refused.errors);
        let refused = store
            .import_funding_file(&im, sheet("fts.csv", &FLOWS.replace("HRP-MLI-2024,,", "HRP-MLI-2099,,")), false)
            .unwrap();
        assert!(matches!(refused.errors[0].expected, domain::Message::PlanOfFlow { .. }), "{:?}", refused.errors);
        assert_eq!(store.funding_overview(&im, None).unwrap().flows, 0, "nothing written");

        let flows = store.import_funding_file(&im, sheet("fts.csv", FLOWS), false).unwrap().report.unwrap();
        assert_eq!((flows.kind.as_str(), flows.added), ("flows", 4));
        let again = store.import_funding_file(&im, sheet("fts.csv", FLOWS), false).unwrap().report.unwrap();
        assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 4), "{}", t.backend);
        let requirements =
            store.import_funding_file(&im, sheet("besoins.csv", REQUIREMENTS), false).unwrap().report.unwrap();
        assert_eq!(
            (requirements.kind.as_str(), requirements.added, requirements.without_amount),
            ("requirements", 3, 1)
        );
        assert_eq!(requirements.not_specified.get("Multi-sector"), Some(&1), "an unlisted label is said");

        let overview = store.funding_overview(&im, Some(2024)).unwrap();
        let plan = &overview.plans[0];
        // EUR 460,000 at 0.92 = USD 500,000 committed (its payment is part of it) + USD
        // 400,000 from Norway; the pledge is not funding.
        assert_eq!((plan.required_usd, plan.funded_usd, plan.pledged_usd), (Some(3_300_000.0), 900_000.0, 1_000_000.0));
        assert_eq!(plan.paid_usd, 250_000.0);
        assert_eq!(plan.share_funded.map(|s| (s * 1000.0).round()), Some(273.0));
        let sector = |code: &str| plan.sectors.iter().find(|s| s.sector == code).unwrap();
        // Shelter: 500,000 + 25 % of 400,000; education: 75 % of it.
        assert_eq!((sector("SHL").funded_usd, sector("EDU").funded_usd), (600_000.0, 300_000.0));
        assert_eq!(sector("SHL").share_funded, Some(0.3));
        assert_eq!(sector("").required_usd, Some(300_000.0), "Multi-sector counts as not specified");
        // Cost per person: shelter money for Gao (500,000) over the 5 people reached there.
        let gao = overview.cost_per_person.iter().find(|c| c.sector == "SHL" && c.region == "ML07").unwrap();
        assert_eq!((gao.people_reached, gao.cost_per_person), (Some(5), Some(100_000.0)), "{}", t.backend);
        let shelter = overview.sector_money.iter().find(|m| m.sector == "SHL").unwrap();
        assert_eq!((shelter.total_usd, shelter.unattributed_usd), (600_000.0, 100_000.0));

        let budgets = "Organisation,Année,Pilier,Budget,Dépenses\n#org+name,#date+year,#sector+pillar,#value+budget+usd,#value+expenditure+usd\n\
             UNHCR,2022,pillar 1,\"42 749 662\",\"20 100 000\"\nUNHCR,2023,idp_projects,30000000,12000000\n";
        let report = store.import_funding_file(&im, sheet("budgets.csv", budgets), false).unwrap().report.unwrap();
        assert_eq!((report.kind.as_str(), report.added), ("budgets", 2));
        let projects = "Code,Nom,Organisation,Plan,Secteurs,Année,Demandé,Bénéficiaires,Indicateurs\n\
             #activity+project+code,#activity+project+name,#org+name+impl,#activity+appeal+id+external,#sector+cluster+list,#date+year,#value+funding+required+usd,#targeted,#indicator+code+list\n\
             MLI-24/SHL/001,Abris d'urgence Gao,NRC,HRP-MLI-2024,SHL,2024,\"1 200 000\",5000,\n";
        let report = store.import_funding_file(&im, sheet("projets.csv", projects), false).unwrap().report.unwrap();
        assert_eq!((report.kind.as_str(), report.added), ("projects", 1));
        let overview = store.funding_overview(&im, None).unwrap();
        let project = &overview.projects[0];
        assert_eq!((project.received_usd, project.programmes.clone()), (500_000.0, vec!["KITS-A".to_string()]));
        assert_eq!(overview.budgets.len(), 2);

        // The requirements table goes out in HXL and back in unchanged.
        let hxl = store.funding_overview(&im, Some(2024)).unwrap().hxl_table();
        let mut csv = format!("{}\n{}\n", hxl.headers.join(","), hxl.tags.join(","));
        for row in &hxl.rows {
            csv.push_str(&(row.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(",") + "\n"));
        }
        let back = store.import_funding_file(&im, sheet("export.csv", &csv), false).unwrap();
        let back = back.report.unwrap_or_else(|| panic!("{:?}", back.errors));
        assert_eq!((back.added, back.changed, back.unchanged), (0, 0, 3));

        // A viewer sees the money; five people reached is not fewer than the threshold.
        store.create_user(&Actor::system(), "bailleur", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
        let donor = store.verify_login("bailleur", "donor password 1").unwrap().unwrap();
        let seen = store.funding_overview(&donor, Some(2024)).unwrap();
        let gao = seen.cost_per_person.iter().find(|c| c.sector == "SHL" && c.region == "ML07").unwrap();
        assert_eq!((gao.people_reached, gao.hidden), (Some(5), false));
    }
}
