//! The figures page: stock by level, table, chart, map and downloads.

use super::*;

#[derive(Deserialize, Default)]
pub struct FiguresQuery {
    as_of: Option<String>,
    level: Option<u8>,
    group: Option<String>,
    /// Flows over a period, its first and last days included (`YYYY-MM-DD`).
    from: Option<String>,
    to: Option<String>,
}

/// Flows over the period asked for, with their downloads.
struct PeriodFlows {
    rows: Vec<super::dashboard::FlowRow>,
    accounts: Vec<super::dashboard::AccountRow>,
    downloads: Vec<(String, String)>,
}

struct PlaceRow {
    place: String,
    female: String,
    male: String,
    /// People whose sex was not stated: counted in the total, shown apart.
    unknown: String,
    total: String,
    households: String,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    c: Ctx,
    as_of: String,
    level: u8,
    group: String,
    groups: Vec<(String, String)>,
    rows: Vec<PlaceRow>,
    totals: PlaceRow,
    /// Age band, women, men, sex not stated.
    ages: Vec<(String, String, String, String)>,
    /// Some people's sex was not stated: the tables show them in a column of their own.
    any_unknown_sex: bool,
    bars_svg: String,
    map_svg: Option<String>,
    downloads: Vec<(String, String)>,
    error: Option<String>,
    without_displacement: u64,
    /// Set for readers who get suppressed figures: the smallest count shown.
    disclosure: Option<u64>,
    stale: bool,
    from: String,
    to: String,
    period_flows: Option<PeriodFlows>,
    /// What is wrong with the period asked for.
    period_error: Option<String>,
}

pub async fn figures(State(state): State<AppState>, page: SignedIn, Query(q): Query<FiguresQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let as_of = q.as_of.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| state.store.today().to_string());
    let level = q.level.unwrap_or(1);
    let group = q.group.clone().unwrap_or_else(|| "IDP".into());
    let (date, grp) = (as_of.clone(), group.clone());
    let actor_for_flows = actor.clone();
    let report = blocking(&state, move |store| {
        store.stock_figures(&actor, &date, level, Some(grp.as_str()).filter(|g| !g.is_empty()))
    })
    .await;
    let mut page = FiguresPage {
        groups: population_groups(&state.store, &c),
        as_of: as_of.clone(),
        level,
        group: group.clone(),
        rows: Vec::new(),
        totals: PlaceRow {
            place: c.t.total.into(),
            female: "0".into(),
            male: "0".into(),
            unknown: "0".into(),
            total: "0".into(),
            households: "0".into(),
        },
        ages: Vec::new(),
        any_unknown_sex: false,
        bars_svg: String::new(),
        map_svg: None,
        downloads: Vec::new(),
        error: None,
        without_displacement: 0,
        disclosure: None,
        stale: false,
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        period_flows: None,
        period_error: None,
        c,
    };
    let report = match report {
        Ok(report) => report,
        Err(StoreError::Invalid(errors)) => {
            page.error = Some(
                errors
                    .0
                    .into_iter()
                    .map(|e| {
                        format!("{} « {} » — {}", field_label(&page.c, &e.field), e.value, page.c.say(&e.expected))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
        Err(error) => return page.c.error(error),
    };
    page.without_displacement = report.idp_households_without_displacement;
    let c = &page.c;
    // place → (female, male, other, households)
    let mut by_place: HashMap<String, (u64, u64, u64, u64)> = HashMap::new();
    let mut by_age: std::collections::BTreeMap<String, (u64, u64, u64)> = std::collections::BTreeMap::new();
    // Sums that include a cell hidden by disclosure control: (place or age band, column).
    let mut masked: std::collections::HashSet<(String, u8)> = std::collections::HashSet::new();
    for cell in &report.stock.cells {
        if cell.suppressed {
            // Columns: 0 women, 1 men, 2 total, 3 households, 4 sex not stated.
            let column = match cell.sex.as_str() {
                "f" => 0,
                "m" => 1,
                _ => 4,
            };
            for key in
                [(cell.place.clone(), column), (cell.place.clone(), 2), (format!("age:{}", cell.age_band), column)]
            {
                masked.insert(key);
            }
        }
        let entry = by_place.entry(cell.place.clone()).or_default();
        match cell.sex.as_str() {
            "f" => entry.0 += cell.individuals,
            "m" => entry.1 += cell.individuals,
            _ => entry.2 += cell.individuals,
        }
        let age = by_age.entry(cell.age_band.clone()).or_default();
        match cell.sex.as_str() {
            "f" => age.0 += cell.individuals,
            "m" => age.1 += cell.individuals,
            _ => age.2 += cell.individuals,
        }
    }
    for cell in &report.stock.households {
        by_place.entry(cell.place.clone()).or_default().3 += cell.households;
        if cell.suppressed {
            masked.insert((cell.place.clone(), 3));
        }
    }
    page.disclosure = report.disclosure_threshold;
    page.stale = report.stale;
    // A hidden count shows as •; a total over hidden counts as a lower bound.
    let shown = |key: &str, column: u8, n: u64| {
        if masked.contains(&(key.to_string(), column)) {
            "•".to_string()
        } else {
            charts::thousands(n)
        }
    };
    let any = |column: u8| masked.iter().any(|(k, c)| *c == column && !k.starts_with("age:"));
    let bound =
        |column: u8, n: u64| if any(column) { format!("≥ {}", charts::thousands(n)) } else { charts::thousands(n) };
    let mut places: Vec<(String, (u64, u64, u64, u64))> = by_place.into_iter().collect();
    places.sort_by_key(|(place, (f, m, o, _))| (std::cmp::Reverse(f + m + o), place.clone()));
    let g = &state.store.gazetteer;
    let name = |pcode: &str| g.name_of(pcode).map(|n| format!("{n} ({pcode})")).unwrap_or_else(|| c.label(pcode));
    let sum = places.iter().fold((0, 0, 0, 0), |acc, (_, v)| (acc.0 + v.0, acc.1 + v.1, acc.2 + v.2, acc.3 + v.3));
    page.totals = PlaceRow {
        place: c.t.total.into(),
        female: bound(0, sum.0),
        male: bound(1, sum.1),
        unknown: bound(4, sum.2),
        total: bound(2, sum.0 + sum.1 + sum.2),
        households: bound(3, sum.3),
    };
    page.rows = places
        .iter()
        .map(|(place, (f, m, o, h))| PlaceRow {
            place: name(place),
            female: shown(place, 0, *f),
            male: shown(place, 1, *m),
            unknown: shown(place, 4, *o),
            total: shown(place, 2, f + m + o),
            households: shown(place, 3, *h),
        })
        .collect();
    let order = ["0-4", "5-11", "12-17", "18-59", "60+", "unknown"];
    page.any_unknown_sex = report.stock.cells.iter().any(|cell| cell.sex != "f" && cell.sex != "m");
    let mut ages: Vec<(String, (u64, u64, u64))> = by_age.into_iter().collect();
    ages.sort_by_key(|(band, _)| order.iter().position(|o| o == band).unwrap_or(order.len()));
    page.ages = ages
        .into_iter()
        .map(|(band, (f, m, unknown))| {
            let key = format!("age:{band}");
            let bound = |column: u8, n: u64| {
                if masked.contains(&(key.clone(), column)) {
                    format!("≥ {}", charts::thousands(n))
                } else {
                    charts::thousands(n)
                }
            };
            (c.label(&band), bound(0, f), bound(1, m), bound(4, unknown))
        })
        .collect();
    let bars: Vec<(String, u64)> = places
        .iter()
        .take(15)
        .map(|(place, (f, m, o, _))| (g.name_of(place).unwrap_or_else(|| c.label(place)), f + m + o))
        .collect();
    let title = format!("{} — {} {}", c.t.top_places, c.t.as_of.to_lowercase(), report.as_of);
    let desc = bars.iter().map(|(p, v)| format!("{p}: {}", c.num(*v))).collect::<Vec<_>>().join("; ");
    page.bars_svg = charts::bar_chart("bars", &title, &desc, &bars);
    let values: HashMap<String, u64> = places.iter().map(|(p, (f, m, o, _))| (p.clone(), f + m + o)).collect();
    page.map_svg = charts::choropleth("fmap", &title, c.t.map_desc, level, &values, c.t.none);
    let query = |format: &str| {
        serde_urlencoded::to_string([
            ("as_of", as_of.as_str()),
            ("level", &level.to_string()),
            ("group", group.as_str()),
            ("format", format),
        ])
        .unwrap_or_default()
    };
    page.downloads = vec![
        ("CSV (HXL)".into(), format!("/api/v1/figures/stock?{}", query("csv"))),
        (c.t.csv_semicolons.into(), format!("/api/v1/figures/stock?{}&delimiter=semicolon", query("csv"))),
        ("XLSX (HXL)".into(), format!("/api/v1/figures/stock?{}", query("xlsx"))),
        ("JSON".into(), format!("/api/v1/figures/stock?{}", query("json"))),
    ];
    let (from, to) = (page.from.trim().to_string(), page.to.trim().to_string());
    if !from.is_empty() || !to.is_empty() {
        match period_flows(&state, &page.c, actor_for_flows, &from, &to, level, &group).await {
            Ok(flows) => page.period_flows = Some(flows),
            Err(error) => page.period_error = Some(error),
        }
    }
    render(&page)
}

/// The flows between `from` and `to` (both included) as the reader may see them.
async fn period_flows(
    state: &AppState,
    c: &Ctx,
    actor: store::Actor,
    from: &str,
    to: &str,
    level: u8,
    group: &str,
) -> Result<PeriodFlows, String> {
    // The figures count a period from the day after its start: the day before the first asked.
    let first = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d")
        .map_err(|_| format!("{} « {from} » — {}", c.t.from_date, c.say(&domain::Message::IsoDate)))?;
    let last = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d")
        .map_err(|_| format!("{} « {to} » — {}", c.t.to_date, c.say(&domain::Message::IsoDate)))?;
    if last < first {
        let expected = domain::Message::DateOnOrAfter { from: c.day(first) };
        return Err(format!("{} « {to} » — {}", c.t.to_date, c.say(&expected)));
    }
    let start = first.pred_opt().unwrap_or(first).to_string();
    let (until, wanted, grp) = (to.to_string(), start.clone(), group.to_string());
    let report = blocking(state, move |store| {
        store.flow_figures(&actor, &wanted, &until, level, Some(grp.as_str()).filter(|g| !g.is_empty()))
    })
    .await
    .map_err(|error| match error {
        StoreError::Invalid(errors) => errors
            .0
            .iter()
            .map(|e| format!("{} « {} » — {}", field_label(c, &e.field), e.value, c.say(&e.expected)))
            .collect::<Vec<_>>()
            .join("; "),
        // Anything else is ours to fix, not the reader's: said in their language, logged.
        other => {
            tracing::error!(error = %other, "flows of a period failed");
            c.t.error_text.to_string()
        }
    })?;
    let (rows, accounts) = super::dashboard::flow_view(c, &report);
    let query = |format: &str, table: Option<&str>| {
        let mut pairs = vec![("from", start.clone()), ("to", to.to_string()), ("level", level.to_string())];
        pairs.push(("group", group.to_string()));
        pairs.push(("format", format.to_string()));
        if let Some(table) = table {
            pairs.push(("table", table.to_string()));
        }
        format!("/api/v1/figures/flows?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    };
    let downloads = vec![
        (format!("CSV (HXL) — {}", c.t.flows_title), query("csv", Some("flows"))),
        (format!("CSV (HXL) — {}", c.t.origin_destination), query("csv", Some("origin_destination"))),
        (format!("CSV (HXL) — {}", c.t.stock_and_flow), query("csv", Some("stock_and_flow"))),
        ("XLSX (HXL)".into(), query("xlsx", None)),
    ];
    Ok(PeriodFlows { rows, accounts, downloads })
}
