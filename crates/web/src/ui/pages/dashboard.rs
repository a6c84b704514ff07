//! The dashboard: key figures, the 12-month trend, the map, flows and the account of the quarter, all from one figures snapshot.

use super::*;

struct GroupFigure {
    code: String,
    label: String,
    individuals: String,
    households: String,
    /// For the nouns' agreement ("1 ménage").
    individual_count: u64,
    household_count: u64,
}

pub(super) struct FlowRow {
    pub(super) group: String,
    pub(super) kind: String,
    pub(super) individuals: String,
    pub(super) households: String,
}

struct PairRow {
    origin: String,
    destination: String,
    kind: String,
    individuals: String,
}

pub(super) struct AccountRow {
    pub(super) group: String,
    pub(super) start: String,
    pub(super) inflows: String,
    pub(super) outflows: String,
    pub(super) end: String,
}

/// A period's flows by kind and its stock-and-flow account as pages show them: a hidden count
/// is •, never 0; a change carries its sign.
pub(super) fn flow_view(c: &Ctx, flows: &store::figures::FlowsReport) -> (Vec<FlowRow>, Vec<AccountRow>) {
    let rows = flows
        .flows
        .counts
        .iter()
        .filter(|f| f.individuals > 0 || f.suppressed)
        .map(|f| FlowRow {
            group: f.population_group.clone(),
            kind: c.label(f.kind.as_str()),
            individuals: if f.suppressed { "•".into() } else { c.num(f.individuals) },
            households: if f.suppressed { "•".into() } else { c.num(f.households) },
        })
        .collect();
    let accounts = flows
        .flows
        .accounts
        .iter()
        .map(|a| {
            let shown = |field: &str, n: u64, sign: &str| match (a.is_hidden(field), n) {
                (true, _) => "•".to_string(),
                (false, 0) => "0".to_string(),
                (false, n) => format!("{sign}{}", c.num(n)),
            };
            AccountRow {
                group: c.label(&a.population_group),
                start: shown("stock_start", a.stock_start, ""),
                inflows: shown("inflows", a.inflows, "+"),
                outflows: shown("outflows", a.outflows, "−"),
                end: shown("stock_end", a.stock_end, ""),
            }
        })
        .collect();
    (rows, accounts)
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Ctx,
    as_of: String,
    groups: Vec<GroupFigure>,
    trend_svg: String,
    map_svg: String,
    /// The period of the flows in the reader's convention, its first and last days included.
    period: String,
    /// The date of the figures in the reader's convention (`as_of` fills the date field).
    as_of_shown: String,
    flows: Vec<FlowRow>,
    accounts: Vec<AccountRow>,
    pairs: Vec<PairRow>,
    disclosure: Option<u64>,
    stale: bool,
    /// Assistance of the quarter, for those who read records.
    reach: Option<super::assistance::ReachView>,
}

fn month_ends(today: NaiveDate, count: u32) -> Vec<NaiveDate> {
    let first_of_month = today.with_day(1).unwrap_or(today);
    let mut dates: Vec<NaiveDate> = (1..count)
        .rev()
        .filter_map(|back| first_of_month.checked_sub_months(Months::new(back - 1)).and_then(|d| d.pred_opt()))
        .collect();
    dates.push(today);
    dates
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    as_of: Option<String>,
}

pub async fn dashboard(State(state): State<AppState>, page: SignedIn, Query(q): Query<DashboardQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let reader = actor.clone();
    let chosen = q.as_of.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
    let figures = blocking(&state, move |store| {
        // Every figure of the page from one registry version.
        let snapshot = store.figures_snapshot(&actor)?;
        // Without a chosen date: today, or the last day something happened if that is earlier.
        let today = store.today();
        let today = match chosen {
            Some(date) => date.min(today),
            None => snapshot.latest_event_date().map_or(today, |latest| latest.min(today)),
        };
        let dates = month_ends(today, 13);
        let from = today.checked_sub_months(Months::new(3)).unwrap_or(today);
        // The trend needs each date's country totals; only the day itself is mapped by place.
        let mut stocks = Vec::new();
        for date in &dates {
            stocks.push((*date, snapshot.group_totals(&date.to_string())?));
        }
        let current = snapshot.stock(&today.to_string(), 1, None)?;
        let flows = snapshot.flows(&from.to_string(), &today.to_string(), 1, None)?;
        Ok((today, from, stocks, current, flows))
    })
    .await;
    let (today, from, stocks, current, flows) = match figures {
        Ok(figures) => figures,
        Err(error) => return c.error(error),
    };
    // Assistance of the quarter holding the date the reader chose; without one, of the quarter
    // of the latest delivery (deliveries go on when movements are no longer recorded).
    let quarter = chosen.map(|_| super::assistance::quarter(today));
    let reach = match super::assistance::quarter_reach(&state, &c, &reader, quarter, 2).await {
        Ok(reach) => reach,
        Err(error) => return c.error(error),
    };
    let gazetteer = &state.store.gazetteer;
    let Some((_, totals)) = stocks.last() else {
        return c.error(store::StoreError::Database("no figures were computed for the dashboard".into()));
    };
    // A group's figures are its country totals (hidden places included, as in the accounts);
    // a total below the threshold is •.
    let shown = |n: Option<u64>| n.map_or_else(|| "•".to_string(), |n| c.num(n));
    let mut codes: Vec<&String> = totals.keys().collect();
    codes.sort_by_key(|code| (std::cmp::Reverse(totals[*code].individuals.unwrap_or(0)), (*code).clone()));
    let groups: Vec<GroupFigure> = codes
        .iter()
        .map(|code| {
            let store::figures::GroupTotal { individuals, households } = totals[*code];
            GroupFigure {
                code: (*code).clone(),
                label: c.label(code),
                individuals: shown(individuals),
                households: shown(households),
                // A hidden count is several: the plural.
                individual_count: individuals.unwrap_or(2),
                household_count: households.unwrap_or(2),
            }
        })
        .collect();
    let x_labels: Vec<String> = stocks.iter().map(|(date, _)| date.format("%m/%y").to_string()).collect();
    let in_trend = |code: &str| -> Vec<Option<u64>> {
        stocks.iter().map(|(_, totals)| totals.get(code).map_or(Some(0), |total| total.individuals)).collect()
    };
    let series: Vec<Series> = codes
        .iter()
        .map(|code| Series {
            label: c.label(code),
            values: in_trend(code).into_iter().map(|n| n.unwrap_or(0)).collect(),
        })
        .collect();
    let trend_desc = codes
        .iter()
        .map(|code| {
            let values = in_trend(code);
            let (first, last) = (values.first().copied().flatten(), values.last().copied().flatten());
            format!("{}: {} → {}", c.label(code), shown(first), shown(last))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let trend_svg = charts::line_chart("trend", c.t.trend_title, &trend_desc, &x_labels, &series);
    let mut by_region: HashMap<String, u64> = HashMap::new();
    for cell in current.stock.cells.iter().filter(|cell| cell.population_group == "IDP") {
        *by_region.entry(cell.place.clone()).or_insert(0) += cell.individuals;
    }
    let map_svg = charts::choropleth("map", c.t.map_title, c.t.map_desc, 1, &by_region, c.t.none).unwrap_or_default();
    let (flow_rows, accounts) = flow_view(&c, &flows);
    let mut matrix = flows.flows.matrix.clone();
    matrix.sort_by_key(|m| std::cmp::Reverse(m.individuals));
    let pairs = matrix
        .iter()
        // A hidden cell is no route to show: its presence alone would tell a small flow.
        .filter(|m| m.origin != m.destination && !m.suppressed && m.individuals > 0)
        .take(10)
        .map(|m| PairRow {
            origin: gazetteer.get(&m.origin).map(|l| l.name.clone()).unwrap_or_else(|| m.origin.clone()),
            destination: gazetteer.get(&m.destination).map(|l| l.name.clone()).unwrap_or_else(|| m.destination.clone()),
            kind: c.label(m.kind.as_str()),
            individuals: c.num(m.individuals),
        })
        .collect();
    render(&DashboardPage {
        disclosure: current.disclosure_threshold,
        stale: current.stale,
        as_of: today.to_string(),
        as_of_shown: c.day(today),
        // Flows count what happened after `from`: the period shown starts the day after.
        period: format!("{} → {}", c.day(from.succ_opt().unwrap_or(from)), c.day(today)),
        groups,
        trend_svg,
        map_svg,
        flows: flow_rows,
        accounts,
        pairs,
        reach,
        c,
    })
}
