//! Reach counted in people: distinct people and households with at least one delivery that
//! reached them over a period, by sector, kind of assistance, organisation, population group
//! and place, with sex and age bands: never a sum over programmes. For readers without the
//! records (viewers, aggregates-only agreements) small counts are suppressed, and periods are
//! calendar quarters, which cannot be differenced into a small one.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use domain::figures::AGE_BANDS;
use domain::places::Gazetteer;
use domain::Message;
use exchange::figures::HxlTable;
use serde::Serialize;

use crate::error::StoreError;
use crate::visibility::{Access, Sql, Visibility};
use crate::{Actor, Store};

/// People and households reached over a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reach {
    pub from: String,
    pub to: String,
    /// Level of `place`: 1 (région), 2 (cercle), 3 (commune) or 4 (site; what was delivered
    /// off any site counts under its commune).
    pub level: i64,
    /// Distinct people reached by anything, whatever the number of programmes that served them.
    pub people: i64,
    pub households: i64,
    pub deliveries: i64,
    /// Set when small counts were suppressed for this reader (fewer than this many).
    pub disclosure_threshold: Option<u64>,
    /// The totals themselves were too small to show (they read 0).
    pub totals_hidden: bool,
    pub rows: Vec<ReachRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReachRow {
    pub sector: String,
    pub kind: String,
    /// The programme's organisation (code).
    pub organisation: String,
    pub population_group: String,
    /// P-code at the requested level where the household was assisted (at the site level, a
    /// site's code, or the commune's for what was delivered off any site).
    pub place: String,
    pub people: i64,
    pub female: i64,
    pub male: i64,
    /// People by age band (`0-4`, `5-11`, `12-17`, `18-59`, `60+`, `unknown`) at the period's end.
    pub by_age: BTreeMap<String, i64>,
    pub households: i64,
    pub deliveries: i64,
    /// Amount or quantity delivered, in `unit`.
    pub quantity: f64,
    pub unit: String,
    /// The whole row was suppressed (its counts read 0).
    pub suppressed: bool,
    /// Counts of the row suppressed (`female`, `male`, `age:0-4`…; they read 0).
    pub hidden: Vec<String>,
}

impl ReachRow {
    pub fn is_hidden(&self, field: &str) -> bool {
        self.suppressed || self.hidden.iter().any(|h| h == field)
    }
}

/// Whether `from`–`to` is one calendar quarter.
fn is_quarter(from: NaiveDate, to: NaiveDate) -> bool {
    let starts = from.day() == 1 && from.month0().is_multiple_of(3);
    let end = from.checked_add_months(chrono::Months::new(3)).and_then(|d| d.pred_opt());
    starts && end == Some(to)
}

impl Store {
    /// The day of the latest delivery that reached someone `actor` may read: where a page's
    /// "this quarter" starts when nothing was delivered lately.
    pub fn last_delivery_on(&self, actor: &Actor) -> Result<Option<String>, StoreError> {
        let access = if self.figures_need_disclosure_control(actor)? { Access::Aggregate } else { Access::Read };
        let visible = Visibility::of(actor).households("h", access);
        let sql = Sql::new(
            "SELECT MAX(d.date) FROM deliveries d JOIN entitlements e ON e.id = d.entitlement_id \
             JOIN households h ON h.id = e.household_id WHERE d.outcome IN ('delivered', 'partial')",
            &[],
        )
        .and(&visible);
        let latest = self.db.read_lagging(|tx| tx.select_opt(&sql))?;
        Ok(latest.and_then(|row| row.opt_text(0)))
    }

    /// People and households reached from `from` to `to`: a person covered by an entitlement
    /// with a delivery that reached them (delivered or partly) counts once, however many
    /// programmes, rounds or deliveries served them; a record merged as a duplicate counts as
    /// the person kept. Readers of records count the households they may read; others (viewers,
    /// aggregates-only agreements) get every household counted with small counts suppressed,
    /// over calendar quarters only.
    pub fn reach(&self, actor: &Actor, from: &str, to: &str, level: i64) -> Result<Reach, StoreError> {
        let parse = |field: &str, text: &str| {
            domain::dates::calendar_day(text).ok_or_else(|| StoreError::invalid(field, text.trim(), Message::IsoDate))
        };
        let (from_day, to_day) = (parse("from", from)?, parse("to", to)?);
        if !(1..=i64::from(domain::figures::SITE_LEVEL)).contains(&level) {
            return Err(StoreError::invalid("level", level.to_string(), Message::FiguresLevel));
        }
        let controlled = self.figures_need_disclosure_control(actor)?;
        if controlled && !is_quarter(from_day, to_day) {
            return Err(StoreError::invalid("from", format!("{from_day} → {to_day}"), Message::CalendarQuarter));
        }
        let cond = Visibility::of(actor).households("h", if controlled { Access::Aggregate } else { Access::Read });
        // Readers under disclosure control get every level suppressed together, so no level
        // gives back what another hides.
        let levels: Vec<i64> =
            if controlled { (1..=i64::from(domain::figures::SITE_LEVEL)).collect() } else { vec![level] };
        let counts = self.db.read_lagging(|tx| {
            let index = self.reach.current(tx)?;
            let visible = visible_households(tx, &index, &cond)?;
            Ok(levels.iter().map(|l| index.count(from_day, to_day, *l, visible.as_deref())).collect::<Vec<_>>())
        })?;
        let mut reaches: Vec<Reach> =
            levels.iter().zip(counts).map(|(l, c)| Reach::of_counts(c, from_day, to_day, *l)).collect();
        if controlled {
            super::reach_disclosure::suppress(&mut reaches, self.disclosure_threshold());
        }
        let at = levels.iter().position(|l| *l == level).unwrap_or(0);
        Ok(reaches.swap_remove(at))
    }
}

impl Reach {
    /// The reach of the index's counts, its rows in order.
    fn of_counts(counts: super::reach_index::Counts, from: NaiveDate, to: NaiveDate, level: i64) -> Reach {
        let mut rows: Vec<ReachRow> = counts
            .rows
            .into_iter()
            .map(|c| {
                let [sector, kind, organisation, unit] = c.dims;
                ReachRow {
                    sector,
                    kind,
                    organisation,
                    population_group: c.group,
                    place: c.place,
                    people: c.people,
                    female: c.female,
                    male: c.male,
                    by_age: AGE_BANDS.iter().zip(&c.by_age).map(|(b, n)| (b.to_string(), *n)).collect(),
                    households: c.households,
                    deliveries: c.deliveries,
                    quantity: c.quantity,
                    unit,
                    suppressed: false,
                    hidden: Vec::new(),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            let key = |r: &ReachRow| {
                (
                    r.sector.clone(),
                    r.kind.clone(),
                    r.organisation.clone(),
                    r.population_group.clone(),
                    r.place.clone(),
                    r.unit.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        Reach {
            from: from.to_string(),
            to: to.to_string(),
            level,
            people: counts.people,
            households: counts.households,
            deliveries: counts.deliveries,
            disclosure_threshold: None,
            totals_hidden: false,
            rows,
        }
    }
}

/// The households of the index a reader counts: all (`None`), or those the visibility rules give.
pub(crate) fn visible_households(
    tx: &mut crate::db::Tx<'_>,
    index: &super::reach_index::ReachIndex,
    cond: &crate::visibility::Cond,
) -> Result<Option<Vec<bool>>, StoreError> {
    if cond.is_always() {
        return Ok(None);
    }
    let mut visible = vec![false; index.household_count()];
    for r in tx.select(&Sql::new("SELECT h.id FROM households h WHERE 1 = 1", &[]).and(cond))? {
        if let Some(i) = index.household(r.str(0)) {
            visible[i] = true;
        }
    }
    Ok(Some(visible))
}

impl Reach {
    /// The reach as an HXL-tagged table (3W style), a row per sector, kind, organisation,
    /// group and place; suppressed counts are blank.
    pub fn hxl_table(&self, gazetteer: &Gazetteer) -> HxlTable {
        let level = self.level.clamp(1, i64::from(domain::figures::SITE_LEVEL)) as u8;
        let mut headers = vec!["period_start".to_string(), "period_end".to_string()];
        let mut tags = vec!["#date+start".to_string(), "#date+end".to_string()];
        exchange::figures::place_columns(level, &mut headers, &mut tags);
        let mut columns = vec![
            ("sector_code".to_string(), "#sector+cluster+code".to_string()),
            ("activity_code".into(), "#activity+code".into()),
            ("organisation".into(), "#org+code".into()),
            ("population_group".into(), "#population+code".into()),
            ("reached_individuals".into(), "#reached+ind".into()),
            ("reached_female".into(), "#reached+ind+f".into()),
            ("reached_male".into(), "#reached+ind+m".into()),
        ];
        for band in AGE_BANDS {
            let attribute = band.replace('-', "_").replace('+', "plus");
            columns.push((format!("reached_age_{attribute}"), format!("#reached+ind+age{attribute}")));
        }
        columns.extend([
            ("reached_households".to_string(), "#reached+hh".to_string()),
            ("deliveries".into(), "#output+deliveries".into()),
            ("quantity".into(), "#output+quantity".into()),
            ("unit".into(), "#output+unit".into()),
        ]);
        for (header, tag) in columns {
            headers.push(header);
            tags.push(tag);
        }
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let count = |field: &str, n: i64| if r.is_hidden(field) { String::new() } else { n.to_string() };
                let mut row = vec![self.from.clone(), self.to.clone()];
                row.extend(exchange::figures::place_cells(gazetteer, &r.place, level));
                row.extend([
                    r.sector.clone(),
                    r.kind.clone(),
                    r.organisation.clone(),
                    r.population_group.clone(),
                    count("people", r.people),
                    count("female", r.female),
                    count("male", r.male),
                ]);
                for band in AGE_BANDS {
                    row.push(count(&format!("age:{band}"), r.by_age.get(band).copied().unwrap_or(0)));
                }
                row.extend([
                    count("households", r.households),
                    count("deliveries", r.deliveries),
                    if r.suppressed { String::new() } else { r.quantity.to_string() },
                    r.unit.clone(),
                ]);
                row
            })
            .collect();
        HxlTable { name: "reach", headers, tags, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_are_whole() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(is_quarter(d("2024-04-01"), d("2024-06-30")));
        assert!(!is_quarter(d("2024-04-01"), d("2024-06-29")));
        assert!(!is_quarter(d("2024-02-01"), d("2024-04-30")));
    }
}
