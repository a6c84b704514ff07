//! The factsheet's pictures (the map of IDPs by région, the twelve-month trend), drawn with the
//! pages' own charts, and the factsheet as PDF for the API, the pages and the command line.

use std::collections::HashMap;

use domain::factsheet::Factsheet;
use domain::messages::Lang;

use crate::ui::charts;

/// The map and the trend as SVG, in `lang`.
pub fn pictures(f: &Factsheet, lang: Lang) -> factsheet::Pictures {
    let w = factsheet::Words::of(lang);
    let values: HashMap<String, u64> =
        f.by_region.iter().filter_map(|r| Some((r.pcode.clone(), r.individuals?))).collect();
    let none = if lang == Lang::Fr { "aucune" } else { "none" };
    let map_svg = charts::choropleth("factsheet-map", w.map, w.map, 1, &values, none);
    let shown: Vec<&(chrono::NaiveDate, Option<u64>)> = f.trend.iter().filter(|(_, n)| n.is_some()).collect();
    let trend_svg = (shown.len() >= 2).then(|| {
        let labels: Vec<String> = shown.iter().map(|(d, _)| d.format("%m/%Y").to_string()).collect();
        let series = [charts::Series {
            label: w.iris_stock.to_string(),
            values: shown.iter().filter_map(|(_, n)| *n).collect(),
        }];
        charts::line_chart("factsheet-trend", w.trend, w.trend, &labels, &series)
    });
    factsheet::Pictures { map_svg, trend_svg }
}

/// The two-page PDF.
pub fn pdf(f: &Factsheet, lang: Lang) -> Result<Vec<u8>, String> {
    factsheet::pdf(f, lang, &pictures(f, lang))
}
