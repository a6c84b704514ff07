//! The operation factsheet in French or English: the same figures as printable HTML (through
//! the web pages, with [`Words`]) and as a two-page A4 PDF typeset by Typst inside the
//! process. The template (`factsheet.typ`) reads everything from one JSON file built here, so
//! no text of the registry is ever parsed as Typst markup; the fonts (Libertinus Serif,
//! data/fonts) are embedded in the binary. The same inputs give the same bytes: no clock
//! is read (the document's date is the factsheet's).

mod words;
mod world;

pub use words::Words;

use domain::factsheet::Factsheet;
use domain::messages::{code_label, Lang};
use serde::Serialize;

/// Pictures the factsheet embeds, made by the caller (the web crate draws them for its pages).
#[derive(Debug, Clone, Default)]
pub struct Pictures {
    /// The choropleth of IDPs by région (SVG).
    pub map_svg: Option<String>,
    /// The twelve-month trend (SVG).
    pub trend_svg: Option<String>,
}

/// "85 534" in French, "85,534" in English.
pub fn number(lang: Lang, n: f64) -> String {
    let rounded = n.round().abs() as u64;
    let digits = rounded.to_string();
    let separator = if lang == Lang::Fr { '\u{202f}' } else { ',' };
    let mut out = String::new();
    if n.round() < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// "42 %" / "42%"; a share that rounds to nothing but is not nothing reads "< 1 %".
pub fn percent(lang: Lang, share: f64) -> String {
    let space = if lang == Lang::Fr { "\u{202f}" } else { "" };
    if share > 0.0 && share < 0.005 {
        return format!("< 1{space}%");
    }
    format!("{:.0}{space}%", share * 100.0)
}

/// 30/06/2024 in French, 30 Jun 2024 in English (`domain::dates::shown`).
pub fn day(lang: Lang, date: chrono::NaiveDate) -> String {
    domain::dates::shown(lang, date)
}

/// "7 bureaux · 153 personnel national · 16 personnel international"; empty without offices.
pub fn staff_summary(lang: Lang, offices: usize, national: i64, international: i64) -> String {
    let w = Words::of(lang);
    if offices == 0 {
        return String::new();
    }
    let noun = if offices == 1 { w.office_word } else { w.offices_word };
    format!(
        "{offices} {noun} · {} {} · {} {}",
        number(lang, national as f64),
        w.national_staff,
        number(lang, international as f64),
        w.international_staff
    )
}

fn count(lang: Lang, n: Option<u64>) -> String {
    n.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into())
}

fn usd(lang: Lang, n: Option<f64>) -> String {
    n.map(|n| format!("{} USD", number(lang, n))).unwrap_or_else(|| "—".into())
}

/// A figure in a box at the top.
#[derive(Debug, Clone, Serialize)]
pub struct KeyFigure {
    pub label: String,
    pub value: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub value: String,
    pub source: String,
    pub method: String,
    pub date: String,
    pub stale: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PopulationLine {
    pub group: String,
    pub registered: String,
    pub published: Vec<Published>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectorLine {
    pub sector: String,
    pub requested: String,
    pub funded: String,
    pub share: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanLine {
    pub plan: String,
    pub requested: String,
    pub funded: String,
    pub share: String,
    pub gap: String,
    pub sectors: Vec<SectorLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BudgetLine {
    pub year: String,
    pub budget: String,
    pub expenditure: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    pub label: String,
    pub people: String,
    pub households: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    pub indicator: String,
    pub target: String,
    pub achieved: String,
    pub share: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfficeRow {
    pub organisation: String,
    pub office: String,
    pub place: String,
    pub national: String,
    pub international: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PresenceRow {
    pub place: String,
    pub organisations: String,
}

/// Everything the factsheet shows, in one language, ready to print: the PDF template reads it
/// as JSON, the HTML page as it is.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub lang: &'static str,
    pub title: String,
    pub subtitle: String,
    pub disclosure: String,
    pub words: &'static Words,
    pub key_figures: Vec<KeyFigure>,
    pub population: Vec<PopulationLine>,
    pub has_map: bool,
    pub has_trend: bool,
    pub funding: Vec<PlanLine>,
    pub budgets: Vec<BudgetLine>,
    pub results_period: String,
    pub results: Vec<ResultRow>,
    pub targets: Vec<TargetRow>,
    pub presence: Vec<PresenceRow>,
    pub offices: Vec<OfficeRow>,
    /// "12 offices · 240 national staff · 18 international staff".
    pub staff: String,
    /// "NRC: AMSS, ADR · UNHCR: …".
    pub partners: String,
    pub sources: Vec<String>,
    pub footer: String,
}

/// The factsheet's contents in `lang`.
pub fn document(f: &Factsheet, lang: Lang, pictures: &Pictures) -> Document {
    let w = Words::of(lang);
    let label = |code: &str| code_label(lang, code);
    let as_of = day(lang, f.as_of);
    let group_row =
        |group: &str| f.population.groups.iter().find(|g| g.population_group == group).and_then(|g| g.rows.first());
    let population = f
        .population
        .groups
        .iter()
        .map(|g| {
            let row = g.rows.first();
            PopulationLine {
                group: label(&g.population_group),
                registered: match row.map(|r| (r.registered_hidden, r.registered)) {
                    Some((true, _)) => "•".into(),
                    Some((false, Some(n))) => number(lang, n as f64),
                    _ => w.not_covered.into(),
                },
                published: row
                    .map(|r| {
                        r.series
                            .iter()
                            .filter_map(|s| {
                                Some(Published {
                                    value: number(lang, s.individuals? as f64),
                                    source: s.source.clone(),
                                    method: s.method.clone(),
                                    date: s.date_as_given.clone().unwrap_or_default(),
                                    stale: s.stale,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut key_figures = vec![
        KeyFigure {
            label: w.idps_registered.into(),
            value: count(lang, group_row(domain::figures::IDP).and_then(|r| r.registered)),
            note: format!("{} {as_of}", w.on),
        },
        KeyFigure {
            label: w.returned_idps.into(),
            value: count(lang, group_row(domain::figures::RETURNED_IDP).and_then(|r| r.registered)),
            note: w.iris_note.into(),
        },
        KeyFigure {
            label: w.people_reached.into(),
            value: f.people_reached.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into()),
            note: format!("{} – {}", day(lang, f.results_from), day(lang, f.results_to)),
        },
    ];
    if let Some(plan) = f.funding.first() {
        key_figures.push(KeyFigure {
            label: w.funded.into(),
            value: plan.share_funded.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
            note: format!("{} {}", plan.plan, plan.year),
        });
    }
    let funding = f
        .funding
        .iter()
        .map(|p| PlanLine {
            plan: format!("{} — {} ({})", p.plan, p.name, p.year),
            requested: usd(lang, p.required_usd),
            funded: usd(lang, Some(p.funded_usd)),
            share: p.share_funded.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
            gap: usd(lang, p.required_usd.map(|r| (r - p.funded_usd).max(0.0))),
            sectors: p
                .sectors
                .iter()
                .take(8)
                .map(|(sector, required, funded, share)| SectorLine {
                    sector: if sector.is_empty() { w.not_specified.to_string() } else { label(sector) },
                    requested: usd(lang, *required),
                    funded: usd(lang, Some(*funded)),
                    share: share.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
                })
                .collect(),
        })
        .collect();
    let skip = f.budgets.len().saturating_sub(6);
    let budgets = f
        .budgets
        .iter()
        .skip(skip)
        .map(|(year, budget, spent)| BudgetLine {
            year: year.to_string(),
            budget: usd(lang, *budget),
            expenditure: usd(lang, *spent),
        })
        .collect();
    let mut results: Vec<&domain::factsheet::ResultLine> = f.results.iter().collect();
    results.sort_by_key(|r| std::cmp::Reverse(r.people.unwrap_or(0)));
    let results = results
        .iter()
        .take(8)
        .map(|r| ResultRow {
            label: format!("{} · {}", label(&r.kind), label(&r.sector)),
            people: r.people.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into()),
            households: r.households.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into()),
        })
        .collect();
    let targets = f
        .targets
        .iter()
        .take(8)
        .map(|t| TargetRow {
            indicator: format!("{} {}", t.indicator, if lang == Lang::Fr { &t.name_fr } else { &t.name_en }),
            target: t.targeted.map(|n| number(lang, n)).unwrap_or_else(|| "—".into()),
            achieved: t.achieved.map(|n| number(lang, n)).unwrap_or_else(|| "•".into()),
            share: t.share.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
        })
        .collect();
    let presence = f
        .presence
        .iter()
        .take(12)
        .map(|(place, orgs)| PresenceRow { place: place.clone(), organisations: orgs.join(", ") })
        .collect();
    let offices: Vec<OfficeRow> = f
        .offices
        .iter()
        .map(|o| OfficeRow {
            organisation: o.organisation.clone(),
            office: format!("{} — {}", label(&o.kind), o.name),
            place: o.place.clone(),
            national: number(lang, o.national_staff as f64),
            international: number(lang, o.international_staff as f64),
        })
        .collect();
    let staff = staff_summary(
        lang,
        f.offices.len(),
        f.offices.iter().map(|o| o.national_staff).sum(),
        f.offices.iter().map(|o| o.international_staff).sum(),
    );
    let mut by_organisation: Vec<(String, Vec<String>)> = Vec::new();
    for (org, partner) in &f.partners {
        match by_organisation.iter_mut().find(|(o, _)| o == org) {
            Some((_, list)) => list.push(partner.clone()),
            None => by_organisation.push((org.clone(), vec![partner.clone()])),
        }
    }
    let partners = by_organisation
        .iter()
        .map(|(org, list)| format!("{org} : {}", list.join(", ")))
        .collect::<Vec<_>>()
        .join(" · ");
    let mut sources: Vec<String> = vec![w.source_registry.to_string()];
    for g in &f.population.groups {
        for s in g.rows.iter().flat_map(|r| &r.series).filter(|s| s.individuals.is_some()) {
            let line = format!("{} — {} ({})", s.series, s.source, s.method);
            if !sources.contains(&line) {
                sources.push(line);
            }
        }
    }
    if !f.funding.is_empty() {
        sources.push(w.source_funding.to_string());
    }
    let scope = match &f.organisation {
        Some((code, name)) => format!("{name} ({code})"),
        None => w.whole_operation.to_string(),
    };
    let disclosure = match (f.public, f.disclosure_threshold) {
        (true, Some(k)) => format!("{} {k}.", w.public_note),
        _ => w.internal_note.to_string(),
    };
    Document {
        lang: lang.code(),
        title: w.title.into(),
        subtitle: format!("{scope} · {} {as_of}", w.data_as_of),
        disclosure,
        words: w,
        key_figures,
        population,
        has_map: pictures.map_svg.is_some(),
        has_trend: pictures.trend_svg.is_some(),
        funding,
        budgets,
        results_period: format!("{} – {}", day(lang, f.results_from), day(lang, f.results_to)),
        results,
        targets,
        presence,
        offices,
        staff,
        partners,
        sources,
        footer: format!("Djoliba {} · {} {as_of}", env!("CARGO_PKG_VERSION"), w.generated_for),
    }
}

/// The factsheet as a PDF (A4, two pages), typeset in process.
pub fn pdf(f: &Factsheet, lang: Lang, pictures: &Pictures) -> Result<Vec<u8>, String> {
    let data = serde_json::to_string(&document(f, lang, pictures)).map_err(|e| e.to_string())?;
    let world = world::FactsheetWorld::new(TEMPLATE, data, pictures, f.as_of);
    world.pdf()
}

const TEMPLATE: &str = include_str!("factsheet.typ");
