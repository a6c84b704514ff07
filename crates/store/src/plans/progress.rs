//! A plan's targets beside what Djoliba counts. Reached is computed, never typed: distinct
//! people (or households) with a delivery of the indicator's kinds of assistance that reached
//! them within the target's period and place, whatever the number of programmes. Displaced is
//! the registry's stock at the place at the period's end (or today), to flag a plan whose
//! people in need fall short of the people the registry holds there.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use domain::IndicatorUnit;
use serde::Serialize;

use super::{plan_in, targets_in};
use crate::error::StoreError;
use crate::visibility::{Access, Visibility};
use crate::{Actor, Store};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanProgress {
    pub plan: String,
    /// Set for readers under disclosure control: reached is published for each indicator
    /// and period over the whole plan only, and when at least this many.
    pub disclosure_threshold: Option<u64>,
    pub rows: Vec<ProgressRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressRow {
    pub indicator: String,
    pub sector: String,
    pub unit: IndicatorUnit,
    /// A région's or cercle's P-code; empty on an indicator's row for the whole plan.
    pub place: String,
    pub start_date: String,
    pub end_date: String,
    pub in_need: Option<f64>,
    pub targeted: Option<f64>,
    /// Whether Djoliba counts it from deliveries (else only partners' reports will).
    pub counted: bool,
    /// People or households reached (in the indicator's unit); `None` when not counted
    /// here or hidden.
    pub reached: Option<i64>,
    /// Hidden for this reader (disclosure control).
    pub reached_hidden: bool,
    /// What partners reported (accepted reports), combined over months and places as the
    /// indicator says; `None` when none was accepted, or hidden.
    pub reported: Option<f64>,
    pub reported_hidden: bool,
    /// Reached as a share of targeted (0.42 for 42 %).
    pub share_of_target: Option<f64>,
    /// Displaced people the registry holds at the place (all groups), for a people indicator.
    pub displaced: Option<i64>,
    /// The registry holds more displaced people there than the plan counts in need.
    pub registry_above_need: bool,
}

impl Store {
    /// Targets beside reached and the registry's stock, for `actor`: readers of records count
    /// the households they may read; others (viewers) get reached over the whole plan for each
    /// indicator and period, small counts hidden.
    pub fn plan_progress(&self, actor: &Actor, plan: &str) -> Result<PlanProgress, StoreError> {
        let controlled = self.figures_need_disclosure_control(actor)?;
        let threshold = self.disclosure_threshold() as i64;
        let cond = Visibility::of(actor).households("h", if controlled { Access::Aggregate } else { Access::Read });
        let (plan, targets, reports) = self.db.read(|tx| {
            let plan = plan_in(tx, plan)?;
            let targets = targets_in(tx, &plan)?;
            let reports = super::reports::accepted(tx, &plan.id)?;
            Ok((plan, targets, reports))
        })?;
        let day = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap_or_default();
        // Targets of one indicator and period are counted in one pass over the deliveries,
        // with the whole plan as one more slot.
        let mut groups: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
        for (i, t) in targets.iter().enumerate() {
            groups.entry((t.indicator.clone(), t.start_date.clone(), t.end_date.clone())).or_default().push(i);
        }
        let mut rows = Vec::new();
        let snapshot = self.figures_snapshot(actor)?;
        // The index and the reader's households once for every indicator.
        let (index, visible) = self.db.read(|tx| {
            let index = self.reach.current(tx)?;
            let visible = crate::assistance::visible_households(tx, &index, &cond)?;
            Ok((index, visible))
        })?;
        // Stock tables by (day, level), each computed once.
        let mut stocks: std::collections::HashMap<(String, u8), domain::figures::Stock> = Default::default();
        let today = self.today();
        for ((code, start, end), members) in groups {
            let Some(indicator) = plan.indicators.iter().find(|i| i.code == code) else { continue };
            let counted = !indicator.kinds.is_empty();
            let kinds: Vec<&str> = indicator.kinds.iter().map(|k| k.as_str()).collect();
            let places: Vec<String> = members.iter().map(|i| targets[*i].place.clone()).collect();
            let counts = if counted {
                let mut slots: Vec<Vec<String>> = places.iter().map(|p| vec![p.clone()]).collect();
                // The plan-wide row: reached anywhere. Counting only the targets' régions
                // would let a viewer subtract the reach page's rows into a small count.
                slots.push(vec![String::new()]);
                index.reached_in(day(&start), day(&end), &kinds, &slots, visible.as_deref())
            } else {
                Vec::new()
            };
            let pick = |(people, households): (i64, i64)| match indicator.unit {
                IndicatorUnit::Households => households,
                _ => people,
            };
            // Partners' accepted reports within the period at (or under) `place`: months
            // combined per organisation and place, then those combined across places.
            let reported = |place: &str| -> Option<f64> {
                let (from, to) = (day(&start), day(&end));
                let mut by_source: BTreeMap<(&str, &str), Vec<(NaiveDate, f64)>> = BTreeMap::new();
                for r in reports.iter().filter(|r| r.indicator == code) {
                    if r.place.starts_with(place) && r.month >= from.with_day(1).unwrap_or(from) && r.month <= to {
                        by_source
                            .entry((r.organisation.as_str(), r.place.as_str()))
                            .or_default()
                            .push((r.month, r.value));
                    }
                }
                let per_source: Vec<(NaiveDate, f64)> = by_source
                    .values()
                    .filter_map(|months| domain::plans::combine(indicator.across_periods, months).map(|v| (from, v)))
                    .collect();
                let across = match indicator.across_places {
                    domain::Aggregation::Latest => domain::Aggregation::Sum,
                    rule => rule,
                };
                domain::plans::combine(across, &per_source)
            };
            let as_of = day(&end).min(today).to_string();
            let mut stock_at = |place: &str| -> Result<Option<i64>, StoreError> {
                if indicator.unit != IndicatorUnit::People {
                    return Ok(None);
                }
                let level = (place.len().saturating_sub(2) / 2) as u8;
                let stock = match stocks.entry((as_of.clone(), level)) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(snapshot.stock(&as_of, level, None)?.stock)
                    }
                };
                let cells: Vec<_> = stock.cells.iter().filter(|c| c.place == place).collect();
                // A hidden cell leaves the count unknown: nothing is shown rather than a part.
                if cells.iter().any(|c| c.suppressed) {
                    return Ok(None);
                }
                Ok(Some(cells.iter().map(|c| c.individuals as i64).sum()))
            };
            for (slot, i) in members.iter().enumerate() {
                let t = &targets[*i];
                let reached = counts.get(slot).map(|c| pick(*c));
                let displaced = stock_at(&t.place)?;
                let partners = reported(&t.place);
                rows.push(ProgressRow {
                    indicator: code.clone(),
                    sector: indicator.sector.clone(),
                    unit: indicator.unit,
                    place: t.place.clone(),
                    start_date: start.clone(),
                    end_date: end.clone(),
                    in_need: t.in_need,
                    targeted: t.targeted,
                    counted,
                    reached: if controlled { None } else { reached },
                    reached_hidden: controlled && counted,
                    reported: if controlled { None } else { partners },
                    reported_hidden: controlled && partners.is_some(),
                    share_of_target: None,
                    displaced,
                    registry_above_need: matches!((displaced, t.in_need), (Some(d), Some(n)) if d as f64 > n),
                });
            }
            // The whole plan: its targets added up as the indicator says across places
            // (a sum, or the largest), reached counted once wherever it happened.
            let whole = counts.get(members.len()).map(|c| pick(*c));
            let add = |f: fn(&super::Target) -> Option<f64>| -> Option<f64> {
                let values: Vec<f64> = members.iter().filter_map(|i| f(&targets[*i])).collect();
                if values.is_empty() {
                    return None;
                }
                // Only cercles, or only régions, add up; a mix would count a cercle twice.
                let regions_only = members.iter().all(|i| targets[*i].place.len() == 4);
                let cercles_only = members.iter().all(|i| targets[*i].place.len() == 6);
                match (indicator.across_places, regions_only || cercles_only) {
                    (domain::Aggregation::Sum, true) => Some(values.iter().sum()),
                    (domain::Aggregation::Maximum, _) => values.iter().copied().reduce(f64::max),
                    _ => None,
                }
            };
            let hidden = controlled && whole.is_some_and(|n| n > 0 && n < threshold);
            let whole_reported = reported("");
            let reported_hidden = controlled && whole_reported.is_some_and(|n| n > 0.0 && n < threshold as f64);
            rows.push(ProgressRow {
                indicator: code.clone(),
                sector: indicator.sector.clone(),
                unit: indicator.unit,
                place: String::new(),
                start_date: start.clone(),
                end_date: end.clone(),
                in_need: add(|t| t.in_need),
                targeted: add(|t| t.targeted),
                counted,
                reached: if hidden { None } else { whole },
                reached_hidden: hidden,
                reported: if reported_hidden { None } else { whole_reported },
                reported_hidden,
                share_of_target: None,
                displaced: None,
                registry_above_need: false,
            });
        }
        for row in &mut rows {
            // Against what Djoliba counts when it counts it, else what partners reported.
            let done = if row.counted { row.reached.map(|r| r as f64) } else { row.reported };
            row.share_of_target = match (done, row.targeted) {
                (Some(r), Some(t)) if t > 0.0 => Some(r / t),
                _ => None,
            };
        }
        Ok(PlanProgress { plan: plan.code, disclosure_threshold: controlled.then_some(threshold as u64), rows })
    }
}

impl PlanProgress {
    /// Targets beside reached as an HXL table, a row per indicator × place × period (the
    /// plan-wide rows are left to JSON and pages): the targets' columns are those the import
    /// reads, so the table goes back in as it came out.
    pub fn hxl_table(&self, gazetteer: &domain::places::Gazetteer) -> exchange::figures::HxlTable {
        let columns = [
            ("indicator_code", "#indicator+code"),
            ("sector_code", "#sector+cluster+code"),
            ("unit", "#indicator+unit"),
            ("admin1_pcode", "#adm1+code"),
            ("admin1_name", "#adm1+name"),
            ("admin2_pcode", "#adm2+code"),
            ("admin2_name", "#adm2+name"),
            ("period_start", "#date+start"),
            ("period_end", "#date+end"),
            ("in_need", "#inneed"),
            ("targeted", "#targeted"),
            ("reached", "#reached"),
            ("reported_by_partners", "#reached+partners"),
            ("displaced_in_registry", "#affected+displaced+ind"),
        ];
        let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
        let rows = self
            .rows
            .iter()
            .filter(|r| !r.place.is_empty())
            .map(|r| {
                let unit = |level: i64| gazetteer.ancestor_at(&r.place, level);
                let code = |level: i64| unit(level).map(|l| l.pcode.clone()).unwrap_or_default();
                let name = |level: i64| unit(level).map(|l| l.name.clone()).unwrap_or_default();
                vec![
                    r.indicator.clone(),
                    r.sector.clone(),
                    r.unit.as_str().to_string(),
                    code(1),
                    name(1),
                    code(2),
                    name(2),
                    r.start_date.clone(),
                    r.end_date.clone(),
                    number(r.in_need),
                    number(r.targeted),
                    r.reached.map(|n| n.to_string()).unwrap_or_default(),
                    number(r.reported),
                    r.displaced.map(|n| n.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        exchange::figures::HxlTable {
            name: "targets",
            headers: columns.iter().map(|c| c.0.to_string()).collect(),
            tags: columns.iter().map(|c| c.1.to_string()).collect(),
            rows,
        }
    }
}
