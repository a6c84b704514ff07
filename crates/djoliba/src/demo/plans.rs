//! The demo's response plan for 2024: sectors matching its assistance, an indicator per kind
//! of assistance delivered (and one only partners report), and targets per cercle imported
//! from an HXL sheet as a cluster coordinator would. People in need follow the registry's
//! displaced people at mid-year (one cercle's plan falls short of them, as plans often do).

use anyhow::Context;
use domain::plans::{IndicatorInput, PlanInput};
use store::{Actor, Store};

const CODE: &str = "HRP-MLI-2024";

/// (code, sector, French, English, unit, kinds counted, cercle, share of displaced in need).
type Indicator =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str, f64);

const INDICATORS: &[Indicator] = &[
    (
        "FSC-01",
        "FSC",
        "Personnes ayant reçu un transfert monétaire à usage multiple",
        "People who received multipurpose cash",
        "people",
        "multipurpose_cash",
        "ML0703",
        1.15,
    ),
    (
        "SHL-01",
        "SHL",
        "Ménages ayant reçu un kit d'abri",
        "Households who received a shelter kit",
        "households",
        "shelter_kit",
        "ML0506",
        1.0,
    ),
    (
        "SHL-02",
        "SHL",
        "Ménages ayant reçu un kit d'articles ménagers essentiels",
        "Households who received a household (NFI) kit",
        "households",
        "nfi_kit",
        "ML0605",
        0.40,
    ),
    (
        "EDU-01",
        "EDU",
        "Enfants inscrits aux cours de rattrapage",
        "Children enrolled in catch-up classes",
        "people",
        "catch_up_classes",
        "ML0506",
        0.45,
    ),
    (
        "HLP-01",
        "PRO-HLP",
        "Personnes conseillées sur le logement, la terre et la propriété",
        "People counselled on housing, land and property",
        "people",
        "legal_counselling",
        "ML0701",
        0.80,
    ),
    ("WSH-01", "WSH", "Points d'eau réhabilités", "Water points rehabilitated", "items", "", "ML0703", 0.0),
];

pub fn load(store: &Store) -> anyhow::Result<()> {
    if store.plan(CODE).is_ok() {
        return Ok(());
    }
    let keeper = Actor::system();
    let plan = PlanInput {
        code: CODE.into(),
        name: "Plan de réponse humanitaire Mali 2024 (démonstration, données synthétiques)".into(),
        start_date: "2024-01-01".into(),
        end_date: "2024-12-31".into(),
        sectors: vec!["FSC, SHL, EDU, PRO-HLP, WSH".into()],
    };
    let plan = store.create_plan(&keeper, &plan)?;
    for (code, sector, fr, en, unit, kinds, _, _) in INDICATORS {
        let input = IndicatorInput {
            code: code.to_string(),
            sector: sector.to_string(),
            name_fr: fr.to_string(),
            name_en: en.to_string(),
            unit: unit.to_string(),
            // Water points are counted, not people.
            disaggregations: vec![if kinds.is_empty() { "" } else { "sex, age, population_group" }.into()],
            kinds: vec![kinds.to_string()],
            ..Default::default()
        };
        store.create_indicator(&keeper, &plan.id, &input)?;
    }
    // People in need from the registry's displaced at mid-year; households at 5.5 people.
    let stock = store.stock_figures(&keeper, "2024-06-30", 2, None)?;
    let displaced = |cercle: &str| -> f64 {
        stock.stock.cells.iter().filter(|c| c.place == cercle).map(|c| c.individuals as f64).sum()
    };
    let mut sheet = String::from(
        "Indicateur,Région,Cercle,Début,Fin,Dans le besoin,Ciblés\n\
         #indicator+code,#adm1+code,#adm2+code,#date+start,#date+end,#inneed,#targeted\n",
    );
    for (code, _, _, _, unit, _, cercle, share) in INDICATORS {
        let people = displaced(cercle);
        let (in_need, targeted) = match *unit {
            "households" => ((people * share / 5.5).round(), (people * share / 5.5 * 0.8).round()),
            "items" => (0.0, 24.0),
            _ => ((people * share).round(), (people * share * 0.7).round()),
        };
        let in_need = if in_need > 0.0 { in_need.to_string() } else { String::new() };
        sheet.push_str(&format!("{code},{},{cercle},2024-01-01,2024-12-31,{in_need},{targeted}\n", &cercle[..4]));
    }
    let file = exchange::InputFile { name: "cibles-hrp-2024.csv".into(), bytes: sheet.into_bytes() };
    let outcome = store.import_targets_file(&keeper, &plan.id, file, false).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !outcome.errors.is_empty() {
        let first = outcome.errors.iter().map(|e| e.to_string()).next().unwrap_or_default();
        return Err(anyhow::anyhow!("the demo's targets were refused: {first}")).context("demo plan");
    }
    partner_reports(store, &keeper, &plan.id)
}

/// Two partners who do not register people here report water points each month; one month
/// is sent back with a comment and reported again, the last one waits for review.
fn partner_reports(store: &Store, keeper: &Actor, plan: &str) -> anyhow::Result<()> {
    use domain::assistance::Quantity;
    use domain::plans::ReportInput;
    let partners = [
        ("AMSS-DEMO", "AMSS (partenaire de démonstration)", [1, 2, 0, 3, 2, 1]),
        ("IRC-DEMO", "IRC (partenaire de démonstration)", [0, 1, 2, 2, 1, 2]),
    ];
    for (code, name, monthly) in partners {
        if store.organisation(code)?.is_none() {
            store.create_organisation(keeper, code, name)?;
        }
        for (i, value) in monthly.iter().enumerate() {
            let input = ReportInput {
                indicator: "WSH-01".into(),
                place: "ML0703".into(),
                month: format!("2024-{:02}", i + 1),
                value: Quantity::Number(f64::from(*value)),
                organisation: Some(code.into()),
                ..Default::default()
            };
            let report = store.submit_report(keeper, plan, &input)?;
            match (code, i) {
                // June waits for the coordinator.
                (_, 5) => {}
                ("IRC-DEMO", 3) => {
                    let comment = "Deux points déclarés en avril et en mars au même endroit : préciser les sites";
                    store.review_report(keeper, &report.id, "send_back", Some(comment))?;
                    store.submit_report(keeper, plan, &ReportInput { value: Quantity::Number(1.0), ..input })?;
                }
                _ => {
                    store.review_report(keeper, &report.id, "accept", None)?;
                }
            }
        }
    }
    Ok(())
}
