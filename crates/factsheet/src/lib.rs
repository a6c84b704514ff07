//! The operation factsheet in French or English: the same figures as printable HTML (through
//! the web pages, with [`Words`]) and as a two-page A4 PDF typeset by Typst inside the
//! process. The template (`factsheet.typ`) reads everything from one JSON file built here, so
//! no text of the registry is ever parsed as Typst markup; the fonts are Typst's own
//! (Libertinus Serif), embedded in the binary. The same inputs give the same bytes: no clock
//! is read (the document's date is the factsheet's).

mod words;
mod world;

pub use words::Words;

use domain::factsheet::Factsheet;
use domain::messages::{code_label, Lang};
use serde_json::{json, Value};

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

/// 30/06/2024 in French, 30 Jun 2024 in English.
pub fn day(lang: Lang, date: chrono::NaiveDate) -> String {
    match lang {
        Lang::Fr => date.format("%d/%m/%Y").to_string(),
        Lang::En => date.format("%-d %b %Y").to_string(),
    }
}

fn count(lang: Lang, n: Option<u64>) -> String {
    n.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into())
}

fn usd(lang: Lang, n: Option<f64>) -> String {
    n.map(|n| format!("{} USD", number(lang, n))).unwrap_or_else(|| "—".into())
}

/// Everything the template shows, in `lang`, as JSON.
pub fn document_data(f: &Factsheet, lang: Lang, pictures: &Pictures) -> Value {
    let w = Words::of(lang);
    let label = |code: &str| code_label(lang, code);
    let as_of = day(lang, f.as_of);
    let population: Vec<Value> = f
        .population
        .groups
        .iter()
        .map(|g| {
            let row = g.rows.first();
            let published: Vec<Value> = row
                .map(|r| {
                    r.series
                        .iter()
                        .filter_map(|s| {
                            Some(json!({
                                "value": number(lang, s.individuals? as f64),
                                "source": s.source,
                                "method": s.method,
                                "date": s.date_as_given.clone().unwrap_or_default(),
                                "stale": s.stale,
                            }))
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "group": label(&g.population_group),
                "registered": row.and_then(|r| r.registered).map(|n| number(lang, n as f64)).unwrap_or_else(|| w.not_covered.into()),
                "published": published,
            })
        })
        .collect();
    let idps = f
        .population
        .groups
        .iter()
        .find(|g| g.population_group == domain::figures::IDP)
        .and_then(|g| g.rows.first())
        .and_then(|r| r.registered);
    let returned = f
        .population
        .groups
        .iter()
        .find(|g| g.population_group == domain::figures::RETURNED_IDP)
        .and_then(|g| g.rows.first())
        .and_then(|r| r.registered);
    let plan = f.funding.first();
    let mut key_figures = vec![
        json!({"label": w.idps_registered, "value": count(lang, idps), "note": format!("{} {as_of}", w.on)}),
        json!({"label": w.returned_idps, "value": count(lang, returned), "note": w.iris_note}),
        json!({
            "label": w.people_reached,
            "value": f.people_reached.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into()),
            "note": format!("{} – {}", day(lang, f.results_from), day(lang, f.results_to)),
        }),
    ];
    if let Some(plan) = plan {
        key_figures.push(json!({
            "label": w.funded,
            "value": plan.share_funded.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
            "note": format!("{} {}", plan.plan, plan.year),
        }));
    }
    let funding: Vec<Value> = f
        .funding
        .iter()
        .map(|p| {
            json!({
                "plan": format!("{} — {} ({})", p.plan, p.name, p.year),
                "requested": usd(lang, p.required_usd),
                "funded": usd(lang, Some(p.funded_usd)),
                "share": p.share_funded.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
                "gap": usd(lang, p.required_usd.map(|r| (r - p.funded_usd).max(0.0))),
                "sectors": p.sectors.iter().take(8).map(|(sector, required, funded, share)| json!({
                    "sector": if sector.is_empty() { w.not_specified.to_string() } else { label(sector) },
                    "requested": usd(lang, *required),
                    "funded": usd(lang, Some(*funded)),
                    "share": share.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let budgets: Vec<Value> = f
        .budgets
        .iter()
        .rev()
        .take(6)
        .rev()
        .map(|(year, budget, spent)| json!({"year": year.to_string(), "budget": usd(lang, *budget), "expenditure": usd(lang, *spent)}))
        .collect();
    let mut results: Vec<&domain::factsheet::ResultLine> = f.results.iter().collect();
    results.sort_by_key(|r| std::cmp::Reverse(r.people.unwrap_or(0)));
    let results: Vec<Value> = results
        .iter()
        .take(8)
        .map(|r| {
            json!({
                "label": format!("{} · {}", label(&r.kind), label(&r.sector)),
                "people": r.people.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into()),
                "households": r.households.map(|n| number(lang, n as f64)).unwrap_or_else(|| "•".into()),
            })
        })
        .collect();
    let targets: Vec<Value> = f
        .targets
        .iter()
        .take(8)
        .map(|t| {
            json!({
                "indicator": format!("{} {}", t.indicator, if lang == Lang::Fr { &t.name_fr } else { &t.name_en }),
                "target": t.targeted.map(|n| number(lang, n)).unwrap_or_else(|| "—".into()),
                "achieved": t.achieved.map(|n| number(lang, n)).unwrap_or_else(|| "•".into()),
                "share": t.share.map(|s| percent(lang, s)).unwrap_or_else(|| "—".into()),
            })
        })
        .collect();
    let presence: Vec<Value> = f
        .presence
        .iter()
        .take(12)
        .map(|(place, orgs)| json!({"place": place, "organisations": orgs.join(", ")}))
        .collect();
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
    json!({
        "lang": lang.code(),
        "title": w.title,
        "subtitle": format!("{scope} · {} {as_of}", w.data_as_of),
        "disclosure": disclosure,
        "words": w,
        "key_figures": key_figures,
        "population": population,
        "has_map": pictures.map_svg.is_some(),
        "has_trend": pictures.trend_svg.is_some(),
        "funding": funding,
        "budgets": budgets,
        "results_period": format!("{} – {}", day(lang, f.results_from), day(lang, f.results_to)),
        "results": results,
        "targets": targets,
        "presence": presence,
        "sources": sources,
        "footer": format!("Djoliba {} · {} {as_of}", env!("CARGO_PKG_VERSION"), w.generated_for),
    })
}

/// The factsheet as a PDF (A4, two pages), typeset in process.
pub fn pdf(f: &Factsheet, lang: Lang, pictures: &Pictures) -> Result<Vec<u8>, String> {
    let data = document_data(f, lang, pictures);
    let world = world::FactsheetWorld::new(TEMPLATE, data.to_string(), pictures, f.as_of);
    world.pdf()
}

const TEMPLATE: &str = include_str!("factsheet.typ");
