//! The demo's money and 4W: the 2024 plan's requirements per sector, contributions as FTS
//! records them (commitments, a payment of one, a pledge, euros and kroner at their rates, a
//! flow to two sectors), a project per programme, a budget and expenditure by pillar over
//! nine years, and the partners' 3W/5W sheet. Synthetic figures, imported through the same
//! sheets a user imports.

use store::{Actor, Store};

/// Each demo programme: (code, sector, région, donor, committed USD, planned beneficiaries).
const PROJECTS: &[(&str, &str, &str, &str, f64, f64)] = &[
    (
        "TMUM-GAO-24",
        "FSC",
        "ML07",
        "European Commission's Humanitarian Aid and Civil Protection Department",
        1_850_000.0,
        12_000.0,
    ),
    ("ABRI-MPT-24", "SHL", "ML05", "United States of America, Government of", 960_000.0, 4_500.0),
    ("AME-TBT-23", "SHL", "ML06", "Central Emergency Response Fund", 420_000.0, 3_000.0),
    ("LTB-ANS-24", "PRO-HLP", "ML07", "Norway, Government of", 310_000.0, 1_200.0),
    ("RATT-MPT-24", "EDU", "ML05", "Education Cannot Wait", 540_000.0, 2_400.0),
    ("TMUM-INOND-24", "FSC", "ML07", "Mali Humanitarian Fund", 700_000.0, 6_000.0),
];

fn import(store: &Store, keeper: &Actor, name: &str, text: String, wanted: &str) -> anyhow::Result<()> {
    let file = exchange::InputFile { name: name.into(), bytes: text.into_bytes() };
    let outcome = if wanted == "4w" {
        let o = store.import_activity_file(keeper, file, false).map_err(|e| anyhow::anyhow!("{e}"))?;
        o.errors.first().map(|e| e.to_string())
    } else {
        let o = store.import_funding_file(keeper, file, false).map_err(|e| anyhow::anyhow!("{e}"))?;
        o.errors.first().map(|e| e.to_string())
    };
    match outcome {
        Some(first) => Err(anyhow::anyhow!("the demo's {name} was refused: {first}")),
        None => Ok(()),
    }
}

/// Loads the money unless flows are there already.
pub fn load(store: &Store) -> anyhow::Result<()> {
    let keeper = Actor::system();
    if store.funding_overview(&keeper, None)?.flows > 0 {
        return Ok(());
    }
    eprintln!("Loading the demo's funding and 4W…");
    let requirements = "Plan,Année,Secteur,Besoins (USD)\n\
         #activity+appeal+id+external,#date+year,#sector+cluster+name,#value+funding+required+usd\n\
         HRP-MLI-2024,2024,Food Security,38000000\n\
         HRP-MLI-2024,2024,Emergency Shelter and NFI,12500000\n\
         HRP-MLI-2024,2024,Education,9000000\n\
         HRP-MLI-2024,2024,\"Housing, Land and Property\",3200000\n\
         HRP-MLI-2024,2024,Water Sanitation Hygiene,14000000\n\
         HRP-MLI-2024,2024,Multi-sector,2000000\n";
    import(store, &keeper, "besoins-hrp-2024.csv", requirements.into(), "funding")?;

    let mut flows = String::from(
        "Date,Description,USD,Bailleur,Plan,Bénéficiaire,Secteurs,Parts,Régions,Projet,Statut,Montant d'origine,Devise,Taux,Id,Paie,Année\n\
         #date,#description+notes,#value+funding+total+usd,#org+name+funder,#activity+appeal+id+external,#org+name+impl,#sector+cluster+name+list,#sector+cluster+pct+list,#adm1+code+list,#activity+project+code,#status+text,#value+funding+total,#value+funding+total+currency,#financial+fx,#activity+id+fts_internal,#activity+id+parent,#date+year+budget\n",
    );
    for (i, (code, sector, region, donor, usd, _)) in PROJECTS.iter().enumerate() {
        let project = format!("PRJ-{code}");
        let (amount, currency, rate) = match i {
            0 => (format!("{:.0}", usd * 0.92), "EUR", "0.92"),
            3 => (format!("{:.0}", usd * 10.6), "NOK", "10.6"),
            _ => (format!("{usd:.0}"), "USD", ""),
        };
        let usd_cell = if rate.is_empty() { format!("{usd:.0}") } else { String::new() };
        flows.push_str(&format!(
            "2024-0{}-15,Contribution au projet {project},{usd_cell},\"{donor}\",HRP-MLI-2024,Opération de démonstration,{sector},,{region},{project},commitment,{amount},{currency},{rate},DEMO-F{},,2024\n",
            i % 6 + 1,
            i + 1
        ));
    }
    // The first commitment is half paid; Norway's second contribution is shared between
    // education and shelter; a pledge is not yet funding; one flow names no région.
    flows.push_str("2024-06-30,Premier versement,925000,\"European Commission's Humanitarian Aid and Civil Protection Department\",HRP-MLI-2024,Opération de démonstration,Food Security,,ML07,PRJ-TMUM-GAO-24,paid,,,,DEMO-F7,DEMO-F1,2024\n");
    flows.push_str("2024-04-02,Éducation et abris (Mopti),600000,\"Norway, Government of\",HRP-MLI-2024,Norwegian Refugee Council,\"Education,Emergency Shelter and NFI\",\"60,40\",ML05,,commitment,,USD,,DEMO-F8,,2024\n");
    flows.push_str("2024-05-20,Annonce de la conférence,4000000,\"Germany, Government of\",HRP-MLI-2024,,,,,,pledge,,,,DEMO-F9,,2024\n");
    flows.push_str("2024-03-05,Eau et assainissement,2100000,\"United Kingdom, Government of\",HRP-MLI-2024,UNICEF,Water Sanitation Hygiene,,,,commitment,,USD,,DEMO-F10,,2024\n");
    flows.push_str("2024-02-12,Coordination,350000,\"Switzerland, Government of\",,OCHA,Coordination and support services,,,,paid,,USD,,DEMO-F11,,2024\n");
    import(store, &keeper, "flux-fts-2024.csv", flows, "funding")?;

    let mut projects = String::from(
        "Code,Nom,Organisation,Plan,Secteurs,Année,Demandé (USD),Bénéficiaires prévus,Indicateurs\n\
         #activity+project+code,#activity+project+name,#org+name+impl,#activity+appeal+id+external,#sector+cluster+list,#date+year,#value+funding+required+usd,#targeted,#indicator+code+list\n",
    );
    for (code, sector, _, _, usd, planned) in PROJECTS {
        let indicator = match *sector {
            "FSC" => "FSC-01",
            "SHL" => "SHL-01",
            "EDU" => "EDU-01",
            _ => "HLP-01",
        };
        projects.push_str(&format!(
            "PRJ-{code},Projet {code} (démonstration),Opération de démonstration,HRP-MLI-2024,{sector},2024,{:.0},{planned},{indicator}\n",
            usd * 1.6
        ));
    }
    import(store, &keeper, "projets-2024.csv", projects, "funding")?;

    // UNHCR-style budget by pillar: needs grow, expenditure follows at 40 to 60 %.
    let mut budgets = String::from(
        "Organisation,Année,Pilier,Budget,Dépenses\n#org+name,#date+year,#sector+pillar,#value+budget+usd,#value+expenditure+usd\n",
    );
    for (i, year) in (2016..=2024).enumerate() {
        let refugees = 38_000_000.0 + 2_500_000.0 * i as f64;
        let idps = 9_000_000.0 + 1_800_000.0 * i as f64;
        let rate = 0.4 + 0.02 * (i % 5) as f64;
        budgets.push_str(&format!("HCR (démo),{year},refugee_programme,{refugees:.0},{:.0}\n", refugees * rate));
        budgets.push_str(&format!("HCR (démo),{year},idp_projects,{idps:.0},{:.0}\n", idps * (rate + 0.05)));
    }
    import(store, &keeper, "budgets-2016-2024.csv", budgets, "funding")?;

    let mut sheet = String::from(
        "Organisation,Secteur,Activité,Région,Cercle,Mois,Groupe,Ciblés,Atteints,Femmes,Hommes\n\
         #org+acronym,#sector+cluster,#activity+name,#adm1+code,#adm2+code,#date+month,#beneficiary,#targeted,#reached+ind,#reached+ind+f,#reached+ind+m\n",
    );
    for month in 1..=6 {
        let n = 400 + 35 * month;
        sheet.push_str(&format!(
            "AMSS-DEMO,EHA,Kits d'hygiène,ML07,ML0701,2024-{month:02},PDI,600,{n},{},{}\n",
            n * 55 / 100,
            n - n * 55 / 100
        ));
        sheet.push_str(&format!(
            "IRC-DEMO,Protection,Gestion de cas,ML05,ML0506,2024-{month:02},IDP,150,{},,\n",
            90 + 7 * month
        ));
        sheet.push_str(&format!(
            "IRC-DEMO,Eau hygiène et assainissement,Points d'eau réhabilités,ML06,,2024-{month:02},HST,,{},,\n",
            month % 3 + 1
        ));
    }
    import(store, &keeper, "5w-partenaires-2024.csv", sheet, "4w")
}
