//! External series: aggregate figures published by others, imported with their source, method
//! and date, each kept apart; and their comparison with the registry's own figures.

use std::collections::BTreeMap;

use domain::Message;
use serde::{Deserialize, Serialize};

pub use domain::figures::{Comparison, ComparisonRow, SeriesFigure};
use exchange::series::{has_tag_row, read_series, SeriesRow};
use exchange::tables::{read_file, Encoding};
use exchange::InputFile;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::import::{ImportError, RowError};
use crate::reference::{PlaceRef, CURRENT_GAZETTEER};
use crate::{new_id, params, Actor, Store};

/// What the publisher says about a series.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesMeta {
    /// A unique name, e.g. "DTM Mali round 14".
    pub name: String,
    /// Who published it, e.g. "IOM DTM", "CMP", "UNHCR", "IDMC".
    pub source: String,
    /// How it was produced, e.g. "key informant baseline assessment".
    pub method: String,
    /// Population group counted (default IDP).
    pub population_group: Option<String>,
    /// Publication date, YYYY-MM-DD.
    pub published_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesReport {
    /// Set when the series was stored.
    pub series_id: Option<String>,
    pub rows: usize,
    pub matched_by_code: usize,
    pub matched_by_crosswalk: usize,
    pub matched_by_name: usize,
    pub matched_by_alias: usize,
    /// Rows whose place could not be matched, with the reason. Stored series leave them out
    /// only when asked to (`skip_unmatched`), and count them.
    pub unmatched: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub id: String,
    pub name: String,
    pub source: String,
    pub method: String,
    pub population_group: String,
    pub published_on: Option<String>,
    pub file_name: String,
    pub rows: i64,
    pub rows_skipped: i64,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
}

impl Store {
    /// Matches every row's place and, when all match (or `skip_unmatched`), stores the series
    /// in one transaction. A series name is used once.
    pub fn import_series(
        &self,
        actor: &Actor,
        meta: &SeriesMeta,
        file_name: &str,
        file_sha256: &str,
        rows: &[SeriesRow],
        skip_unmatched: bool,
    ) -> Result<SeriesReport, StoreError> {
        actor.require_write()?;
        let name = meta.name.trim();
        for (field, value) in [("name", name), ("source", meta.source.trim()), ("method", meta.method.trim())] {
            if value.is_empty() || value.len() > 300 {
                return Err(StoreError::invalid(field, value, Message::TextLength { max: 300 }));
            }
        }
        let group = meta.population_group.as_deref().unwrap_or("IDP").trim().to_ascii_uppercase();
        use domain::registry::References;
        if !self.gazetteer.has_population_group(&group) {
            return Err(StoreError::invalid(
                "population_group",
                group,
                Message::PopulationGroup { codes: self.gazetteer.population_groups() },
            ));
        }
        let mut report = SeriesReport {
            series_id: None,
            rows: rows.len(),
            matched_by_code: 0,
            matched_by_crosswalk: 0,
            matched_by_name: 0,
            matched_by_alias: 0,
            unmatched: Vec::new(),
        };
        let mut matched = Vec::with_capacity(rows.len());
        for row in rows {
            match self.gazetteer.match_place(&row.place) {
                Ok(m) => {
                    match m.matched_by.as_str() {
                        "code" => report.matched_by_code += 1,
                        "crosswalk" => report.matched_by_crosswalk += 1,
                        "alias" => report.matched_by_alias += 1,
                        _ => report.matched_by_name += 1,
                    }
                    matched.push((row, m));
                }
                Err(why) => report.unmatched.push(RowError {
                    file: file_name.into(),
                    row: row.row,
                    column: "place".into(),
                    value: place_text(&row.place),
                    expected: Message::PlaceUnmatched { detail: why },
                }),
            }
        }
        if !report.unmatched.is_empty() && !skip_unmatched {
            return Ok(report);
        }
        let id = new_id();
        let now = self.now_ms();
        self.db.write(|tx| {
            if tx.query_opt("SELECT id FROM external_series WHERE name = $1", params![name])?.is_some() {
                return Err(StoreError::Conflict(Message::SeriesNameTaken { name: name.to_string() }));
            }
            tx.execute(
                "INSERT INTO external_series (id, name, source, method, population_group, published_on, file_name, file_sha256, rows_skipped, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                params![&id, name, meta.source.trim(), meta.method.trim(), &group, meta.published_on.clone(), file_name, file_sha256, report.unmatched.len() as i64, now, &actor.user_id],
            )?;
            crate::audit::record(tx, actor, now, "import_series", "series", &id, serde_json::json!({"name": name, "rows": matched.len()}))?;
            for (row, m) in &matched {
                tx.execute(
                    "INSERT INTO external_figures (series_id, row_number, reference_date, round, pcode, gazetteer, admin_level, matched_by, place_as_given, individuals, households, females, males) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    params![&id, row.row as i64, row.reference_date.to_string(), row.round.clone(), &m.pcode, CURRENT_GAZETTEER, m.admin_level, &m.matched_by, place_text(&row.place), row.individuals, row.households, row.females, row.males],
                )?;
            }
            Ok(())
        })?;
        report.series_id = Some(id);
        Ok(report)
    }

    pub fn list_series(&self) -> Result<Vec<Series>, StoreError> {
        self.db.read(|tx| {
            let rows = tx.query(
                "SELECT s.id, s.name, s.source, s.method, s.population_group, s.published_on, s.file_name, s.rows_skipped,
                        (SELECT COUNT(*) FROM external_figures f WHERE f.series_id = s.id),
                        (SELECT MIN(reference_date) FROM external_figures f WHERE f.series_id = s.id),
                        (SELECT MAX(reference_date) FROM external_figures f WHERE f.series_id = s.id)
                 FROM external_series s ORDER BY s.name",
                params![],
            )?;
            Ok(rows
                .into_iter()
                .map(|r| Series {
                    id: r.text(0),
                    name: r.text(1),
                    source: r.text(2),
                    method: r.text(3),
                    population_group: r.text(4),
                    published_on: r.opt_text(5),
                    file_name: r.text(6),
                    rows_skipped: r.int(7),
                    rows: r.int(8),
                    first_date: r.opt_text(9),
                    last_date: r.opt_text(10),
                })
                .collect())
        })
    }

    /// The registry's stock of `group` at `as_of` next to each series' latest figure on or
    /// before that date, per place at admin `level`.
    pub fn compare(&self, actor: &Actor, as_of: &str, level: u8, group: &str) -> Result<Comparison, StoreError> {
        let group = group.trim().to_ascii_uppercase();
        let stock = self.stock_figures(actor, as_of, level, Some(&group))?;
        let mut registered: BTreeMap<String, u64> = BTreeMap::new();
        for cell in &stock.stock.cells {
            *registered.entry(cell.place.clone()).or_default() += cell.individuals;
        }
        let as_of_text = stock.as_of.to_string();
        let figures = self.db.read(|tx| {
            tx.query(
                "SELECT s.name, s.source, f.pcode, f.admin_level, f.reference_date, f.individuals FROM external_figures f JOIN external_series s ON s.id = f.series_id
                 WHERE s.population_group = $1 AND f.reference_date <= $2 ORDER BY s.name, f.reference_date",
                params![&group, &as_of_text],
            )
        })?;
        // Latest date per series and place; rows of that date for the same place (sites of a
        // commune, say) add up; then places add up to the level.
        let mut latest: BTreeMap<(String, String), Latest> = BTreeMap::new();
        for r in &figures {
            let (date, value) = (r.text(4), r.opt_int(5));
            match latest.get_mut(&(r.text(0), r.text(2))) {
                Some(entry) if entry.date == date => entry.value = entry.value.zip(value).map(|(a, b)| a + b),
                _ => {
                    latest.insert(
                        (r.text(0), r.text(2)),
                        Latest { source: r.text(1), date, value, admin_level: r.int(3) },
                    );
                }
            }
        }
        let mut series_names: Vec<(String, String)> =
            latest.iter().map(|((s, _), v)| (s.clone(), v.source.clone())).collect();
        series_names.dedup();
        let mut coarser = 0;
        let mut external: BTreeMap<(String, String), Latest> = BTreeMap::new();
        for ((series, pcode), figure) in latest {
            if figure.admin_level < level as i64 {
                coarser += 1;
                continue;
            }
            let place = domain::figures::place_at_level(Some(&pcode), level);
            match external.get_mut(&(series.clone(), place.clone())) {
                Some(sum) => {
                    sum.value = sum.value.zip(figure.value).map(|(a, b)| a + b);
                    sum.date = sum.date.clone().max(figure.date);
                }
                None => {
                    external.insert((series, place), figure);
                }
            }
        }
        let mut places: Vec<String> = registered.keys().cloned().collect();
        places.extend(external.keys().map(|(_, p)| p.clone()));
        places.sort();
        places.dedup();
        let rows = places
            .into_iter()
            .map(|place| {
                let reg = registered.get(&place).copied().unwrap_or(0);
                let series = series_names
                    .iter()
                    .map(|(name, source)| {
                        let found = external.get(&(name.clone(), place.clone()));
                        let individuals = found.and_then(|f| f.value);
                        SeriesFigure {
                            series: name.clone(),
                            source: source.clone(),
                            reference_date: found.map(|f| f.date.clone()),
                            individuals,
                            coverage: individuals
                                .filter(|v| *v > 0)
                                .map(|v| (reg as f64 / v as f64 * 1000.0).round() / 1000.0),
                        }
                    })
                    .collect();
                ComparisonRow {
                    place_name: self.gazetteer.get(&place).map(|l| l.name.clone()).unwrap_or_default(),
                    place,
                    registered: reg,
                    series,
                }
            })
            .collect();
        Ok(Comparison { as_of: stock.as_of, level, population_group: group, rows, coarser_rows_left_out: coarser })
    }
}

/// A series' figure for one place: the latest on or before the date asked.
struct Latest {
    source: String,
    date: String,
    value: Option<i64>,
    admin_level: i64,
}

/// The place as the file gave it, for reports.
pub fn place_text(place: &PlaceRef) -> String {
    let mut parts = Vec::new();
    for level in 0..3 {
        if let Some(code) = place.codes[level].as_deref().filter(|c| !c.is_empty()) {
            parts.push(code.to_string());
        } else if let Some(name) = place.names[level].as_deref().filter(|n| !n.is_empty()) {
            parts.push(name.to_string());
        }
    }
    parts.join(" / ")
}

/// The outcome of a series import: a report, or the cells that could not be read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesImport {
    pub report: Option<SeriesReport>,
    pub errors: Vec<RowError>,
}

impl Store {
    /// Reads a series file (first sheet or CSV), matches its places and stores it.
    pub fn import_series_file(
        &self,
        actor: &Actor,
        meta: &SeriesMeta,
        file: InputFile,
        default_date: Option<&str>,
        skip_unmatched: bool,
    ) -> Result<SeriesImport, ImportError> {
        let default_date = match default_date.map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => Some(
                domain::dates::calendar_day(text)
                    .ok_or_else(|| ImportError::Store(StoreError::invalid("date", text, Message::IsoDate)))?,
            ),
            None => None,
        };
        let sha: String = hex::encode(Sha256::digest(&file.bytes));
        let tables = read_file(&file.name, &file.bytes, Encoding::Auto).map_err(ImportError::File)?;
        let group = meta.population_group.as_deref().unwrap_or("IDP").trim().to_ascii_uppercase();
        let table = tables.into_iter().find(has_tag_row);
        let Some(table) = table else {
            return Ok(SeriesImport {
                report: None,
                errors: vec![RowError {
                    file: file.name,
                    row: 1,
                    column: String::new(),
                    value: String::new(),
                    expected: Message::HxlTagRow,
                }],
            });
        };
        match read_series(&table, &group, default_date, self.today()) {
            Err(errors) => Ok(SeriesImport { report: None, errors }),
            Ok(rows) => {
                let report = self
                    .import_series(actor, meta, &file.name, &sha, &rows, skip_unmatched)
                    .map_err(ImportError::Store)?;
                Ok(SeriesImport { report: Some(report), errors: Vec::new() })
            }
        }
    }
}
