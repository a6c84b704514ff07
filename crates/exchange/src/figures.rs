//! Figures as HXL-tagged tables (CSV and XLSX) that read naturally next to IOM DTM datasets on
//! HDX: a header row, then a row of hashtags, then the data.

use std::collections::BTreeMap;

use domain::figures::{Comparison, FlowsReport, PopulationOfConcern, StockReport, AGE_BANDS};
use domain::places::Gazetteer;
use rust_xlsxwriter::{Format, Workbook};

use crate::WriteError;

/// A table with its HXL hashtag row.
pub struct HxlTable {
    pub name: &'static str,
    pub headers: Vec<String>,
    pub tags: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The HXL attribute of a population group, where HXL has one.
fn group_attribute(group: &str) -> &'static str {
    match group {
        "IDP" => "+idps",
        "REF" => "+refugees",
        "RET" => "+returnees+refugees",
        "RDP" => "+returnees+idps",
        // Outside HXL's core attributes: its open extensions.
        "ASY" => "+x_asylum_seekers",
        "OOC" => "+x_others_of_concern",
        _ => "",
    }
}

fn age_attribute(band: &str) -> String {
    format!("+age{}", band.replace('-', "_").replace('+', "plus"))
}

pub fn place_columns(level: u8, headers: &mut Vec<String>, tags: &mut Vec<String>) {
    for l in 1..=level.min(3) {
        headers.push(format!("admin{l}_pcode"));
        tags.push(format!("#adm{l}+code"));
        headers.push(format!("admin{l}_name"));
        tags.push(format!("#adm{l}+name"));
    }
    if level >= domain::figures::SITE_LEVEL {
        // Sites as DTM lists them: #loc.
        headers.extend(["site_code".to_string(), "site_name".to_string()]);
        tags.extend(["#loc+code".to_string(), "#loc+name".to_string()]);
    }
}

pub fn place_cells(gazetteer: &Gazetteer, place: &str, level: u8) -> Vec<String> {
    let mut cells = Vec::new();
    if level >= domain::figures::SITE_LEVEL {
        // Communes (and above) of the site; people not on a site have a row of their own.
        for l in 1..=3 {
            let unit = gazetteer.ancestor_at(place, l);
            cells.push(unit.map(|u| u.pcode.clone()).unwrap_or_default());
            cells.push(unit.map(|u| u.name.clone()).unwrap_or_default());
        }
        // A commune's own code (reach off any site) leaves the site blank.
        let commune = gazetteer.ancestor_at(place, 3).is_some_and(|c| c.pcode == place);
        cells.push(if commune { String::new() } else { place.to_string() });
        cells.push(gazetteer.site(place).map(|s| s.name).unwrap_or_default());
        return cells;
    }
    for l in 1..=level {
        let unit = gazetteer.ancestor_at(place, l as i64);
        cells.push(unit.map(|u| u.pcode.clone()).unwrap_or_else(|| {
            if l == level {
                place.to_string()
            } else {
                String::new()
            }
        }));
        cells.push(unit.map(|u| u.name.clone()).unwrap_or_default());
    }
    cells
}

/// A count, or blank where disclosure control suppressed it.
fn blank_if(suppressed: bool, n: u64) -> String {
    if suppressed {
        String::new()
    } else {
        n.to_string()
    }
}

/// Stock, one row per group and place: households, individuals, by sex and by sex × age band.
pub fn stock_table(report: &StockReport, gazetteer: &Gazetteer) -> HxlTable {
    let mut headers = vec!["date".to_string(), "population_group".to_string()];
    let mut tags = vec!["#date+reported".to_string(), "#meta+population_group".to_string()];
    place_columns(report.level, &mut headers, &mut tags);
    let sexes = ["f", "m", "unknown"];
    // `None`: suppressed by disclosure control, or a sum over a suppressed cell; left blank.
    let mut rows_by_place: BTreeMap<(String, String), BTreeMap<String, Option<u64>>> = BTreeMap::new();
    let add = |entry: &mut BTreeMap<String, Option<u64>>, key: String, n: u64, suppressed: bool| {
        let slot = entry.entry(key).or_insert(Some(0));
        *slot = match *slot {
            Some(v) if !suppressed => Some(v + n),
            _ => None,
        };
    };
    for cell in &report.stock.cells {
        let entry = rows_by_place.entry((cell.population_group.clone(), cell.place.clone())).or_default();
        add(entry, format!("{}_{}", cell.sex, cell.age_band), cell.individuals, cell.suppressed);
        add(entry, cell.sex.clone(), cell.individuals, cell.suppressed);
    }
    for household in &report.stock.households {
        let entry = rows_by_place.entry((household.population_group.clone(), household.place.clone())).or_default();
        let shown = |n: u64| (!household.suppressed).then_some(n);
        entry.insert("hh".into(), shown(household.households));
        entry.insert("ind".into(), shown(household.individuals));
    }
    // Tags carry the group when the table holds one group; otherwise the group column says it.
    let attr = report.population_group.as_deref().map(group_attribute).unwrap_or("");
    headers.extend(["households", "individuals"].map(String::from));
    tags.extend([format!("#affected{attr}+hh"), format!("#affected{attr}+ind")]);
    for sex in sexes {
        headers.push(format!("individuals_{sex}"));
        tags.push(if sex == "unknown" {
            format!("#affected{attr}+ind+sex_unknown")
        } else {
            format!("#affected{attr}+ind+{sex}")
        });
    }
    for sex in sexes {
        for band in AGE_BANDS {
            headers.push(format!("individuals_{sex}_{}", band.replace('-', "_").replace('+', "plus")));
            let sex_attr = if sex == "unknown" { "+sex_unknown".to_string() } else { format!("+{sex}") };
            tags.push(format!("#affected{attr}+ind{sex_attr}{}", age_attribute(band)));
        }
    }
    let rows = rows_by_place
        .into_iter()
        .map(|((group, place), values)| {
            let mut row = vec![report.as_of.to_string(), group];
            row.extend(place_cells(gazetteer, &place, report.level));
            let get = |key: &str| match values.get(key) {
                Some(Some(n)) => n.to_string(),
                Some(None) => String::new(),
                None => "0".to_string(),
            };
            row.push(get("hh"));
            row.push(get("ind"));
            for sex in sexes {
                row.push(get(sex));
            }
            for sex in sexes {
                for band in AGE_BANDS {
                    row.push(get(&format!("{sex}_{band}")));
                }
            }
            row
        })
        .collect();
    HxlTable { name: "stock", headers, tags, rows }
}

/// Flows: counts per kind, the origin–destination matrix, and the stock-and-flow accounts.
pub fn flow_tables(report: &FlowsReport, gazetteer: &Gazetteer) -> Vec<HxlTable> {
    let period = |headers: &mut Vec<String>, tags: &mut Vec<String>| {
        headers.extend(["period_start_exclusive", "period_end", "population_group"].map(String::from));
        tags.extend(["#date+start", "#date+end", "#meta+population_group"].map(String::from));
    };
    let f = &report.flows;
    let (mut headers, mut tags) = (Vec::new(), Vec::new());
    period(&mut headers, &mut tags);
    headers.extend(["event", "individuals", "households"].map(String::from));
    tags.extend(["#event+type", "#affected+ind", "#affected+hh"].map(String::from));
    let counts = HxlTable {
        name: "flows",
        headers,
        tags,
        rows: f
            .counts
            .iter()
            .map(|c| {
                vec![
                    f.from.to_string(),
                    f.to.to_string(),
                    c.population_group.clone(),
                    c.kind.as_str().into(),
                    blank_if(c.suppressed, c.individuals),
                    blank_if(c.suppressed, c.households),
                ]
            })
            .collect(),
    };
    let (mut headers, mut tags) = (Vec::new(), Vec::new());
    period(&mut headers, &mut tags);
    headers.extend(
        ["event", "origin_pcode", "origin_name", "destination_pcode", "destination_name", "individuals"]
            .map(String::from),
    );
    let l = report.level;
    tags.extend([
        "#event+type".to_string(),
        format!("#adm{l}+code+origin"),
        format!("#adm{l}+name+origin"),
        format!("#adm{l}+code+destination"),
        format!("#adm{l}+name+destination"),
        "#affected+ind".to_string(),
    ]);
    let name = |code: &str| gazetteer.get(code).map(|u| u.name.clone()).unwrap_or_default();
    let matrix = HxlTable {
        name: "origin_destination",
        headers,
        tags,
        rows: f
            .matrix
            .iter()
            .map(|m| {
                vec![
                    f.from.to_string(),
                    f.to.to_string(),
                    m.population_group.clone(),
                    m.kind.as_str().into(),
                    m.origin.clone(),
                    name(&m.origin),
                    m.destination.clone(),
                    name(&m.destination),
                    blank_if(m.suppressed, m.individuals),
                ]
            })
            .collect(),
    };
    let (mut headers, mut tags) = (Vec::new(), Vec::new());
    period(&mut headers, &mut tags);
    headers.extend(["stock_start", "inflows", "outflows", "stock_end"].map(String::from));
    tags.extend(
        ["#affected+ind+start", "#affected+ind+inflow", "#affected+ind+outflow", "#affected+ind+end"].map(String::from),
    );
    let accounts = HxlTable {
        name: "stock_and_flow",
        headers,
        tags,
        rows: f
            .accounts
            .iter()
            .map(|a| {
                vec![
                    f.from.to_string(),
                    f.to.to_string(),
                    a.population_group.clone(),
                    blank_if(a.is_hidden("stock_start"), a.stock_start),
                    blank_if(a.is_hidden("inflows"), a.inflows),
                    blank_if(a.is_hidden("outflows"), a.outflows),
                    blank_if(a.is_hidden("stock_end"), a.stock_end),
                ]
            })
            .collect(),
    };
    vec![counts, matrix, accounts]
}

/// CSV with the hashtag row under the header (UTF-8 with BOM for Excel).
pub fn csv(table: &HxlTable) -> Result<Vec<u8>, WriteError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(&table.headers)?;
        writer.write_record(&table.tags)?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|c| crate::tables::spreadsheet_safe(c).into_owned()))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// A workbook with one sheet per table, numbers as numbers.
pub fn xlsx(tables: &[HxlTable]) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(table.name)?;
        for (c, (header, tag)) in table.headers.iter().zip(&table.tags).enumerate() {
            sheet.write_string_with_format(0, c as u16, header, &bold)?;
            sheet.write_string(1, c as u16, tag)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 2, c as u16);
                match cell.parse::<f64>() {
                    Ok(n) if !cell.starts_with('0') || cell == "0" => sheet.write_number(r, c, n)?,
                    _ => sheet.write_string(r, c, cell)?,
                };
            }
        }
        sheet.set_freeze_panes(2, 0)?;
        sheet.autofit();
    }
    Ok(workbook.save_to_buffer()?)
}

/// The comparison, one row per place and series: registered (empty where the registry is
/// not present), the series' figure of its round with its date and age, and the coverage.
pub fn comparison_table(c: &Comparison) -> HxlTable {
    let l = c.level;
    let attr = group_attribute(&c.population_group);
    let headers = [
        "date",
        "population_group",
        "pcode",
        "name",
        "registered",
        "series",
        "source",
        "series_date",
        "series_date_as_given",
        "series_round",
        "series_age_days",
        "series_stale",
        "series_individuals",
        "coverage",
    ]
    .map(String::from)
    .to_vec();
    let place = if l == 0 { "#country".to_string() } else { format!("#adm{l}") };
    let tags = vec![
        "#date+reported".to_string(),
        "#meta+population_group".to_string(),
        format!("{place}+code"),
        format!("{place}+name"),
        format!("#affected{attr}+ind+registered"),
        "#meta+series".to_string(),
        "#org+source".to_string(),
        "#date+series".to_string(),
        "#date+series+text".to_string(),
        "#round".to_string(),
        "#meta+age_days".to_string(),
        "#meta+stale".to_string(),
        format!("#affected{attr}+ind+estimated"),
        "#indicator+coverage".to_string(),
    ];
    let mut rows = Vec::new();
    for row in &c.rows {
        for s in &row.series {
            rows.push(vec![
                c.as_of.to_string(),
                c.population_group.clone(),
                row.place.clone(),
                row.place_name.clone(),
                row.registered.map(|v| v.to_string()).unwrap_or_default(),
                s.series.clone(),
                s.source.clone(),
                s.reference_date.clone().unwrap_or_default(),
                s.date_as_given.clone().unwrap_or_default(),
                s.round.clone().unwrap_or_default(),
                s.age_days.map(|d| d.to_string()).unwrap_or_default(),
                if s.stale { "1".into() } else { String::new() },
                s.individuals.map(|v| v.to_string()).unwrap_or_default(),
                s.coverage.map(|v| format!("{v:.3}")).unwrap_or_default(),
            ]);
        }
    }
    HxlTable { name: "comparison", headers, tags, rows }
}

/// The population of concern as two tables: the registry's count of each group per place
/// (a column per group, tagged as DTM and HDX tag them), and each series' figure beside it.
pub fn concern_tables(p: &PopulationOfConcern) -> Vec<HxlTable> {
    let place = if p.level == 0 { "#country".to_string() } else { format!("#adm{}", p.level) };
    let mut headers = vec!["date".to_string(), "pcode".to_string(), "name".to_string()];
    let mut tags = vec!["#date+reported".to_string(), format!("{place}+code"), format!("{place}+name")];
    for group in &p.groups {
        headers.push(format!("registered_{}", group.population_group.to_ascii_lowercase()));
        tags.push(format!("#affected{}+ind+registered", group_attribute(&group.population_group)));
    }
    // Place → (name, each group's count: blank where the registry has nobody of the group).
    let mut places: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (i, group) in p.groups.iter().enumerate() {
        for row in &group.rows {
            let entry = places
                .entry(row.place.clone())
                .or_insert_with(|| (row.place_name.clone(), vec![String::new(); p.groups.len()]));
            entry.1[i] = row.registered.map(|n| n.to_string()).unwrap_or_default();
        }
    }
    let rows = places
        .into_iter()
        .map(|(pcode, (name, counts))| {
            let mut row = vec![p.as_of.to_string(), pcode, name];
            row.extend(counts);
            row
        })
        .collect();
    let registry = HxlTable { name: "registry", headers, tags, rows };
    let headers = [
        "date",
        "population_group",
        "pcode",
        "name",
        "registered",
        "series",
        "source",
        "method",
        "series_date",
        "series_date_as_given",
        "series_individuals",
    ]
    .map(String::from)
    .to_vec();
    let tags = vec![
        "#date+reported".to_string(),
        "#meta+population_group".to_string(),
        format!("{place}+code"),
        format!("{place}+name"),
        "#affected+ind+registered".to_string(),
        "#meta+series".to_string(),
        "#org+source".to_string(),
        "#meta+method".to_string(),
        "#date+series".to_string(),
        "#date+series+text".to_string(),
        "#affected+ind+estimated".to_string(),
    ];
    let mut rows = Vec::new();
    for group in &p.groups {
        for row in &group.rows {
            for figure in row.series.iter().filter(|f| f.individuals.is_some()) {
                rows.push(vec![
                    p.as_of.to_string(),
                    group.population_group.clone(),
                    row.place.clone(),
                    row.place_name.clone(),
                    row.registered.map(|n| n.to_string()).unwrap_or_default(),
                    figure.series.clone(),
                    figure.source.clone(),
                    figure.method.clone(),
                    figure.reference_date.clone().unwrap_or_default(),
                    figure.date_as_given.clone().unwrap_or_default(),
                    figure.individuals.map(|n| n.to_string()).unwrap_or_default(),
                ]);
            }
        }
    }
    vec![registry, HxlTable { name: "series", headers, tags, rows }]
}
