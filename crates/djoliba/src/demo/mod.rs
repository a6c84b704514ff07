//! The demo operation: a deterministic synthetic registry of 20,000 households in the régions
//! of Gao, Tombouctou, Mopti, Ménaka and Ségou, and in Bamako, loaded once into its own data
//! folder, with members added, corrected and removed after registration in a few households,
//! and a few dozen people registered a second time by another team, for the duplicate review
//! to show. Everything it shows is marked as demo data.

use anyhow::Context;
use domain::synthetic::{self, Places};
use store::figures::SolutionInput;
use store::import::{ImportItem, RowRef};
use store::{Actor, Store};

mod assistance;
mod funding;
mod plans;
pub mod sync;

pub const HOUSEHOLDS: usize = 20_000;
pub const SEED: u64 = 2012;
pub const USER: &str = "demo";
pub const PASSWORD: &str = "demo-djoliba";
const ORGANISATION: &str = "DEMO";

/// Communes of the régions of origin, and those that receive the displaced.
pub fn places(store: &Store) -> Places {
    let communes_of = |region: &str| -> Vec<String> {
        store.gazetteer.search("", Some(region), Some(3), 1000).into_iter().map(|m| m.location.pcode).collect()
    };
    // Gao, Tombouctou, Mopti, Ménaka, Ségou.
    let origins: Vec<Vec<String>> = ["ML07", "ML06", "ML05", "ML10", "ML04"].iter().map(|r| communes_of(r)).collect();
    // Bamako's communes and the first commune of each cercle of origin (the chief towns).
    let mut destinations = communes_of("ML09");
    for region in ["ML07", "ML06", "ML05", "ML10", "ML04"] {
        for cercle in store.gazetteer.search("", Some(region), Some(2), 100) {
            if let Some(town) = communes_of(&cercle.location.pcode).first() {
                destinations.push(town.clone());
            }
        }
    }
    Places { origins, destinations }
}

/// A first load that stopped before its end: the demo's organisation is there but nobody to
/// sign in as (the demo user is created last).
pub fn interrupted(store: &Store) -> anyhow::Result<bool> {
    Ok(store.organisation(ORGANISATION)?.is_some() && store.count_users()? == 0)
}

/// Loads the demo registry unless it is already there.
pub fn load(store: &Store, households: usize) -> anyhow::Result<()> {
    let system = Actor::system();
    if let Some(org) = store.organisation(ORGANISATION)? {
        // A demo folder from before assistance existed gets its year of assistance.
        let actor = Actor { organisation_id: Some(org.id), ..system };
        assistance::load(store, &actor)?;
        plans::load(store)?;
        funding::load(store)?;
        return load_presence(store);
    }
    eprintln!("Loading the demo operation ({households} synthetic households)…");
    let org = store.create_organisation(&system, ORGANISATION, "Opération de démonstration (données synthétiques)")?;
    let generated = synthetic::generate(SEED, households, &places(store));
    let items: Vec<ImportItem> = generated
        .iter()
        .enumerate()
        .map(|(i, g)| ImportItem {
            household: domain::registry::NewHousehold {
                organisation: Some(ORGANISATION.into()),
                ..g.household.clone()
            },
            household_row: RowRef { file: "demo".into(), row: i + 1 },
            member_rows: Vec::new(),
            movement_rows: Vec::new(),
        })
        .collect();
    let org_id = org.id.clone();
    let actor = Actor { organisation_id: Some(org.id), ..system.clone() };
    store
        .import(&actor, &items, "demo operation", "synthetic", &mut |_| {})
        .map_err(|e| anyhow::anyhow!("the demo registry did not load: {e:?}"))?;
    // One query for every household's id, not one list (and one audit row) per household.
    let ids: std::collections::HashMap<String, String> = store.db.read(|tx| {
        let rows =
            tx.query("SELECT external_id, id FROM households WHERE organisation_id = $1", store::params![&org_id])?;
        Ok(rows.into_iter().map(|r| (r.text(0), r.text(1))).collect())
    })?;
    let decisions: Vec<_> = generated
        .iter()
        .filter_map(|g| Some((ids.get(&g.household.external_id)?.clone(), g.solution?)))
        .map(|(id, date)| {
            let input = SolutionInput {
                decided_on: date.to_string(),
                basis: "Synthetic: durable solutions assessment against the IASC criteria".into(),
                decided_by: "Demo durable solutions working group".into(),
            };
            (id, None, input)
        })
        .collect();
    store.record_solutions(&actor, &decisions).context("cannot record the demo's solutions decisions")?;
    change_members(store, &actor, &generated, &ids)?;
    plant_re_registrations(store, &actor, &generated)?;
    load_dtm_like_series(store, &actor)?;
    load_published_like_series(store, &actor)?;
    assistance::load(store, &actor)?;
    plans::load(store)?;
    funding::load(store)?;
    load_presence(store)?;
    store.create_demo_user(USER, PASSWORD)?;
    Ok(())
}

/// Members' history, as follow-up visits bring it, in every 1,000th household from the fourth:
/// a baby born since registration added, a birth date corrected from a birth certificate, a
/// member recorded by mistake removed. Each with its reason, each a new version.
fn change_members(
    store: &Store,
    actor: &Actor,
    generated: &[synthetic::SyntheticHousehold],
    ids: &std::collections::HashMap<String, String>,
) -> anyhow::Result<()> {
    for (n, g) in generated.iter().skip(3).step_by(1000).enumerate() {
        let Some(id) = ids.get(&g.household.external_id) else { continue };
        let detail = store.household_detail(actor, id)?;
        let person_id = |external: &Option<String>| {
            detail.members.iter().find(|m| m.person.external_id == *external).map(|m| m.person.id.clone())
        };
        let Some(last) = g.household.members.last().filter(|_| g.household.members.len() >= 2) else { continue };
        match n % 3 {
            0 => {
                let head = &g.household.members[0];
                let born = chrono::NaiveDate::from_ymd_opt(2024, 5, 12).unwrap_or_default();
                let baby = domain::registry::NewPerson {
                    external_id: None,
                    given_name: "Aïssata".into(),
                    family_name: head.family_name.clone(),
                    father_name: (head.sex == Some(domain::Sex::Male)).then(|| head.given_name.clone()),
                    sex: Some(domain::Sex::Female),
                    birth_date: Some(domain::FuzzyDate { date: born, precision: domain::DatePrecision::Day }),
                    relationship: Some(domain::Relationship::Child),
                    documents_held: Vec::new(),
                    documents_missing: vec![domain::Document::BirthCertificate],
                    other_spellings: Vec::new(),
                    specific_needs: Vec::new(),
                    phone: None,
                    identifiers: Vec::new(),
                };
                store.add_member(actor, id, &baby, "Naissance signalée lors de la visite de suivi")?;
            }
            1 => {
                // A birth known to the year or estimated, made exact; else a name respelt.
                let inexact = g
                    .household
                    .members
                    .iter()
                    .rev()
                    .find(|m| m.birth_date.is_some_and(|b| b.precision != domain::DatePrecision::Day));
                let (member, corrected, reason) = match inexact {
                    Some(m) => {
                        let year = m.birth_date.map_or(2015, |b| chrono::Datelike::year(&b.date));
                        let exact = chrono::NaiveDate::from_ymd_opt(year, 3, 15).unwrap_or_default();
                        let corrected = domain::registry::NewPerson {
                            birth_date: Some(domain::FuzzyDate { date: exact, precision: domain::DatePrecision::Day }),
                            documents_held: vec![domain::Document::BirthCertificate],
                            documents_missing: Vec::new(),
                            ..m.clone()
                        };
                        (m, corrected, "Acte de naissance présenté : date exacte")
                    }
                    None => {
                        let corrected = domain::registry::NewPerson {
                            other_spellings: vec![last.given_name.clone()],
                            given_name: last.given_name.replace("ou", "u"),
                            ..last.clone()
                        };
                        (last, corrected, "Prénom mal orthographié à l'enregistrement")
                    }
                };
                let Some(person) = person_id(&member.external_id) else { continue };
                store.update_person(actor, &person, &corrected, reason)?;
            }
            _ => {
                let Some(person) = person_id(&last.external_id) else { continue };
                store.remove_member(actor, id, &person, "Enregistré par erreur : vit dans le ménage de son oncle")?;
            }
        }
    }
    Ok(())
}

/// Every 500th household's head registered again, alone, as another team would: the given name
/// respelt or in capitals, a year instead of the date, at another commune of the cercle, the
/// national number carried again by one in three. Then a batch run: the pairs a number confirms
/// are merged, the others wait on the *Doublons* page.
fn plant_re_registrations(
    store: &Store,
    actor: &Actor,
    generated: &[synthetic::SyntheticHousehold],
) -> anyhow::Result<()> {
    let items: Vec<ImportItem> = generated
        .iter()
        .step_by(500)
        .enumerate()
        .filter_map(|(n, g)| {
            let mut head = g.household.members.first()?.clone();
            head.relationship = Some(domain::Relationship::Head);
            head.given_name = match n % 3 {
                0 => head.given_name.replace("ou", "u").replace("Ou", "U"),
                1 => head.given_name.to_uppercase(),
                _ => head.given_name.clone(),
            };
            if let Some(birth) = head.birth_date.as_mut() {
                birth.precision = domain::DatePrecision::Year;
            }
            if n % 3 != 0 {
                head.identifiers.clear();
            }
            let place = g.household.current_location.clone().unwrap_or_else(|| g.household.registration_point.clone());
            let cercle = store.gazetteer.ancestor_at(&place, 2).map(|l| l.pcode.clone()).unwrap_or_default();
            let elsewhere = store
                .gazetteer
                .search("", Some(&cercle), Some(3), 50)
                .into_iter()
                .map(|m| m.location.pcode)
                .find(|c| *c != place)
                .unwrap_or(place);
            let movements = g.household.movements.iter().filter(|m| m.person.is_none()).cloned().collect();
            Some(ImportItem {
                household: domain::registry::NewHousehold {
                    external_id: format!("{}-R", g.household.external_id),
                    organisation: Some(ORGANISATION.into()),
                    registration_point: elsewhere,
                    members: vec![domain::registry::NewPerson { external_id: Some("1".into()), ..head }],
                    movements,
                    ..g.household.clone()
                },
                household_row: RowRef { file: "demo re-registrations".into(), row: n + 1 },
                member_rows: Vec::new(),
                movement_rows: Vec::new(),
            })
        })
        .collect();
    store
        .import(actor, &items, "demo re-registrations", "synthetic", &mut |_| {})
        .map_err(|e| anyhow::anyhow!("the demo's re-registrations did not load: {e:?}"))?;
    store.run_duplicate_detection(actor).context("cannot run the demo's duplicate detection")?;
    Ok(())
}

/// The organisations' offices and staff, and who implements for whom, as factsheets list them.
fn load_presence(store: &Store) -> anyhow::Result<()> {
    if !store.presence()?.offices.is_empty() {
        return Ok(());
    }
    let keeper = Actor::system();
    let offices = [
        (ORGANISATION, "country_office", "Bamako", "ML0901", 46, 9),
        (ORGANISATION, "sub_office", "Gao", "ML0703", 31, 3),
        (ORGANISATION, "sub_office", "Mopti", "ML0506", 24, 2),
        (ORGANISATION, "field_office", "Tombouctou", "ML0605", 18, 1),
        (ORGANISATION, "field_unit", "Ménaka", "ML1001", 9, 0),
        ("AMSS-DEMO", "field_office", "Gao", "ML0703", 14, 0),
        ("IRC-DEMO", "field_office", "Ansongo", "ML0701", 11, 1),
    ];
    for (organisation, kind, name, place, national, international) in offices {
        let input = store::presence::OfficeInput {
            organisation: organisation.into(),
            kind: kind.into(),
            name: name.into(),
            place: place.into(),
            national_staff: national,
            international_staff: international,
        };
        store.set_office(&keeper, &input).with_context(|| format!("the demo's office {organisation} {name}"))?;
    }
    store.set_partner(&keeper, ORGANISATION, "AMSS-DEMO", false)?;
    store.set_partner(&keeper, ORGANISATION, "IRC-DEMO", false)?;
    Ok(())
}

/// Two series as UNHCR, IDMC and the government's commission publish them: a national
/// year-end IDP series (a year means its 31 December), and returned IDPs by région, which
/// published series count apart from IDPs. Both derived from the registry with an offset, so
/// the comparison shows coverage below and above 100 %.
fn load_published_like_series(store: &Store, actor: &Actor) -> anyhow::Result<()> {
    let snapshot = store.figures_snapshot(actor)?;
    let national = |as_of: &str, group: &str| -> anyhow::Result<u64> {
        Ok(snapshot.place_totals(as_of, 1, Some(group), true)?.values().sum())
    };
    let mut csv = String::from("Pays,Année,PDI\n#country+code,#date+year,#affected+idps+ind\n");
    for (year, factor) in [(2022, 1.35), (2023, 1.18)] {
        let idps = national(&format!("{year}-12-31"), "IDP")?;
        csv.push_str(&format!("MLI,{year},{}\n", (idps as f64 * factor).round() as u64));
    }
    let meta = store::series::SeriesMeta {
        name: "IDMC-like year-end IDPs (synthetic)".into(),
        source: "IDMC (synthetic)".into(),
        method: "Year-end stock from government and DTM figures (synthetic)".into(),
        population_group: Some("IDP".into()),
        published_on: Some("2024-05-14".into()),
    };
    import_demo_series(store, actor, meta, "idmc-like-year-end.csv", csv)?;
    let by_region = snapshot.place_totals("2024-06-30", 1, Some(domain::figures::RETURNED_IDP), true)?;
    let mut csv = String::from("Région,Mois,PDI retournées\n#adm1+code,#date+month,#affected+returnees+ind\n");
    for (region, people) in by_region.iter().filter(|(place, _)| place.starts_with("ML")) {
        csv.push_str(&format!("{region},juin 2024,{}\n", (*people as f64 * 1.1).round() as u64));
    }
    let meta = store::series::SeriesMeta {
        name: "CMP-like returned IDPs, June 2024 (synthetic)".into(),
        source: "Commission des mouvements de populations (synthetic)".into(),
        method: "Key informants by région (synthetic)".into(),
        population_group: Some(domain::figures::RETURNED_IDP.into()),
        published_on: Some("2024-07-15".into()),
    };
    import_demo_series(store, actor, meta, "cmp-like-returned-2024-06.csv", csv)
}

fn import_demo_series(
    store: &Store,
    actor: &Actor,
    meta: store::series::SeriesMeta,
    file_name: &str,
    csv: String,
) -> anyhow::Result<()> {
    let file = exchange::InputFile { name: file_name.into(), bytes: csv.into_bytes() };
    let outcome = store
        .import_series_file(actor, &meta, file, &store::series::SeriesOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match outcome.report {
        Some(report) if report.series_id.is_some() => Ok(()),
        other => anyhow::bail!("the demo series did not load: {:?} {:?}", outcome.errors, other.map(|r| r.unmatched)),
    }
}

/// A DTM-like series of the demo's IDPs by cercle, as a partner would publish it: names without
/// P-codes (some without accents), and estimates that disagree with the registry: higher in
/// most places (people not registered yet), lower in a few.
fn load_dtm_like_series(store: &Store, actor: &Actor) -> anyhow::Result<()> {
    let as_of = "2024-03-31";
    let stock = store.stock_figures(actor, as_of, 2, Some("IDP"))?;
    let mut by_cercle: std::collections::BTreeMap<String, (u64, u64)> = std::collections::BTreeMap::new();
    for h in &stock.stock.households {
        let entry = by_cercle.entry(h.place.clone()).or_default();
        entry.0 += h.individuals;
        entry.1 += h.households;
    }
    let mut rng = synthetic::Rng::new(SEED + 1);
    let mut csv = String::from("Région,Cercle,Date,Round,PDI (individus),PDI (ménages)\n#adm1+name,#adm2+name,#date+reported,#round+code,#affected+idps+ind,#affected+idps+hh\n");
    for (cercle, (individuals, households)) in by_cercle {
        let (Some(unit), Some(region)) = (store.gazetteer.get(&cercle), store.gazetteer.ancestor_at(&cercle, 1)) else {
            continue;
        };
        // Mostly more than registered (registration lags), sometimes fewer.
        let factor =
            if rng.chance(0.15) { 0.7 + rng.below(25) as f64 / 100.0 } else { 1.0 + rng.below(90) as f64 / 100.0 };
        let region_name = if rng.chance(0.5) { region.name_ref.clone() } else { region.name.clone() };
        csv.push_str(&format!(
            "{region_name},{},{as_of},1,{},{}\n",
            unit.name,
            (individuals as f64 * factor).round() as u64,
            (households as f64 * factor).round() as u64
        ));
    }
    let meta = store::series::SeriesMeta {
        name: "DTM-like baseline, round 1 (synthetic)".into(),
        source: "IOM DTM (synthetic)".into(),
        method: "Key informant baseline assessment by cercle (synthetic)".into(),
        population_group: Some("IDP".into()),
        published_on: Some("2024-04-30".into()),
    };
    import_demo_series(store, actor, meta, "dtm-like-round-1.csv", csv)
}
